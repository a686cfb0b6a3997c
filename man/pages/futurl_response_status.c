/* page: futurl_response_status
 * summary: the HTTP status of a response
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/status/404", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    /* A 404 is a transfer that worked: FUTURL_OK, status 404. */
    if (futurl_future_wait(f) == FUTURL_OK) {
        long status = futurl_response_status(futurl_future_response(f));
        printf("%s\n", status == 404 ? "not found" : "found");
    }
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
