/* page: futurl_request_set_timeout futurl_request_set_raise_for_status
 *       futurl_request_set_max_response_bytes futurl_request_set_retry
 *       futurl_request_set_deadline
 * summary: per-request limits that override the client's
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_request *r;
    if (futurl_request_new("GET", "http://127.0.0.1:8080/bytes/1000", &r) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    futurl_retry_policy once;
    futurl_retry_policy_init(&once);
    once.max_attempts = 1;
    futurl_status s = futurl_request_set_timeout(r, 2000); /* each attempt */
    if (s == FUTURL_OK)
        s = futurl_request_set_deadline(r, 5000); /* everything */
    if (s == FUTURL_OK)
        s = futurl_request_set_raise_for_status(r, 1); /* >= 400 fails */
    if (s == FUTURL_OK)
        s = futurl_request_set_max_response_bytes(r, 4096); /* else ETOOLARGE */
    if (s == FUTURL_OK)
        s = futurl_request_set_retry(r, &once);
    if (s != FUTURL_OK) {
        futurl_request_free(r);
        futurl_client_destroy(c);
        return 1;
    }
    futurl_future *f;
    if (futurl_client_submit(c, r, &f) == FUTURL_OK) {
        printf("%s\n", futurl_err_name(futurl_future_wait(f)));
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
    return 0;
}
