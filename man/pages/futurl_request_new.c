/* page: futurl_request_new futurl_request_free
 * summary: build an HTTP request to submit
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_request *r;
    futurl_status s = futurl_request_new("PURGE", "http://127.0.0.1:8080/anything", &r);
    if (s != FUTURL_OK) {
        fprintf(stderr, "request: %s\n", futurl_strerror(s));
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_request_set_header(r, "X-Reason", "stale") != FUTURL_OK) {
        futurl_request_free(r); /* never submitted: ours to free */
        futurl_client_destroy(c);
        return 1;
    }
    futurl_future *f;
    if (futurl_client_submit(c, r, &f) == FUTURL_OK) { /* r is the client's now */
        (void)futurl_future_wait(f);
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
    return 0;
}
