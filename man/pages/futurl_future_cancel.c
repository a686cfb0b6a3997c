/* page: futurl_future_cancel
 * summary: cancel a queued or running future
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/delay/10", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_future_wait_for(f, 1000) == FUTURL_EPENDING) {
        int took = futurl_future_cancel(f); /* aborts the transfer */
        printf("cancel took effect: %d\n", took);
    }
    /* It ends promptly either way. */
    printf("%s\n", futurl_err_name(futurl_future_wait(f)));
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
