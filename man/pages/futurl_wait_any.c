/* page: futurl_wait_any
 * summary: wait until one of many futures finishes or fails
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    /* Two mirrors; take whichever answers first, cancel the other. */
    futurl_future *fs[2];
    if (futurl_get(c, "http://127.0.0.1:8080/delay/1", &fs[0]) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_get(c, "http://127.0.0.1:8081/delay/1", &fs[1]) != FUTURL_OK) {
        futurl_future_free(fs[0]);
        futurl_client_destroy(c);
        return 1;
    }
    size_t first;
    if (futurl_wait_any(fs, 2, 10000, FUTURL_FIRST_COMPLETED, &first) == FUTURL_OK)
        printf("mirror %zu answered first\n", first);
    for (size_t i = 0; i < 2; i++) {
        futurl_future_cancel(fs[i]);
        futurl_future_free(fs[i]);
    }
    futurl_client_destroy(c);
    return 0;
}
