/* page: futurl_client_shutdown futurl_client_destroy
 * summary: stop a client's pool and free the client
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/delay/5", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    /* Abort what runs, cancel what waits; every future has finished after. */
    if (futurl_client_shutdown(c, FUTURL_CANCEL_PENDING) != FUTURL_OK)
        fprintf(stderr, "shutdown failed\n");
    printf("%s\n", futurl_err_name(futurl_future_status(f)));
    futurl_future_free(f); /* futures outlive the client */
    futurl_client_destroy(c);
    return 0;
}
