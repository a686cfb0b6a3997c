/* page: futurl_client_create futurl_client_options_init
 * summary: create an HTTP client and its pool
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    static const char *const headers[] = {"Accept: application/json", NULL};
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.workers = 8;
    opts.base_url = "http://127.0.0.1:8080/";
    opts.headers = headers;
    opts.timeout_ms = 10000;
    opts.max_per_host = 4;
    opts.raise_for_status = 1;

    futurl_client *c;
    futurl_status s = futurl_client_create(&opts, &c);
    if (s != FUTURL_OK) {
        fprintf(stderr, "client: %s\n", futurl_strerror(s));
        return 1;
    }
    futurl_future *f;
    if (futurl_get(c, "get", &f) == FUTURL_OK) { /* relative to base_url */
        printf("%s\n", futurl_err_name(futurl_future_wait(f)));
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
    return 0;
}
