/* page: futurl_future_wait futurl_future_wait_for
 * summary: block until a future finishes, or for a while
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/delay/2", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    futurl_status s = futurl_future_wait_for(f, 500);
    if (s == FUTURL_EPENDING) {
        printf("still running after 500 ms; waiting for the rest\n");
        s = futurl_future_wait(f);
    }
    printf("%s\n", s == FUTURL_OK ? "done" : futurl_future_errmsg(f));
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
