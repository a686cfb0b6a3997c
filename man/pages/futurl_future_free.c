/* page: futurl_future_free
 * summary: release a future
 */
#include <futurl.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/post", &f) == FUTURL_OK) {
        /* Fire and forget: the request goes on; its memory is freed when
         * it ends. To stop it instead, futurl_future_cancel(f) first. */
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
    return 0;
}
