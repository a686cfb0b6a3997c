/* page: futurl_client_request futurl_request_options_init
 * summary: build and submit a request with per-call settings in one call
 * also: futurl_request_options
 * see: futurl_get futurl_gather_get futurl_request_new
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    static const char *const headers[] = {"Accept: application/json", NULL};
    static const char *const params[] = {"q", "a b&c", NULL};
    futurl_request_options o = {
        .timeout_ms = 1000, .max_attempts = 3, .headers = headers, .params = params};
    futurl_future *f;
    futurl_status st =
        futurl_client_request(c, "GET", "http://127.0.0.1:8080/get", &o, &f);
    if (st != FUTURL_OK) {
        fprintf(stderr, "not sent: %s\n", futurl_strerror(st));
    } else {
        if (futurl_future_wait(f) == FUTURL_OK)
            printf("%ld\n", futurl_response_status(futurl_future_response(f)));
        else
            fprintf(stderr, "%s\n", futurl_future_errmsg(f));
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
    return 0;
}
