/* page: futurl_gather_get futurl_get_all
 * summary: GET a list of URLs at once and wait for all
 * also: FUTURL_GET_ALL_MAX_WORKERS
 * see: futurl_gather futurl_client_request futurl_response_json_value
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    const char *urls[] = {"http://127.0.0.1:8080/get", "ftp://not-http/",
                          "http://127.0.0.1:8080/status/503"};
    futurl_future *fs[3];
    futurl_gather_counts n;
    futurl_request_options o = {.deadline_ms = 5000};
    if (futurl_gather_get(c, urls, 3, &o, fs, &n) == FUTURL_OK) {
        for (int i = 0; i < 3; i++) {
            if (futurl_future_status(fs[i]) == FUTURL_OK)
                printf("%s: %ld\n", urls[i],
                       futurl_response_status(futurl_future_response(fs[i])));
            else /* "FUTURL_ESCHEME: GET ftp://not-http/: URL scheme not allowed ..." */
                printf("%s\n", futurl_future_errmsg(fs[i]));
            futurl_future_free(fs[i]);
        }
        printf("%zu ok, %zu failed\n", n.ok, n.failed);
    }
    futurl_client_destroy(c);
    return 0;
}
