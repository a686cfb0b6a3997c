/* page: futurl_future_json_value futurl_future_json_string
 *       futurl_future_json_number futurl_future_json_int futurl_future_json_bool
 * summary: a field of a future's JSON response, the future's own failure first
 * see: futurl_response_json_value futurl_future_state futurl_gather_get
 */
#include <futurl.h>
#include <stdint.h>
#include <stdio.h>

int main(void) {
    const char *urls[] = {"http://127.0.0.1:8080/get?n=1",
                          "http://127.0.0.1:8080/delay/5"};
    futurl_request_options o = {.timeout_ms = 1000};
    futurl_future *fs[2];
    if (futurl_get_all(urls, 2, &o, fs, NULL) != FUTURL_OK)
        return 1;
    for (int i = 0; i < 2; i++) {
        const char *n;
        /* The first prints "n = 1"; the second FUTURL_ETIMEDOUT, the
         * future's own failure, before any JSON is looked at. */
        futurl_status st = futurl_future_json_string(fs[i], "args.n", &n);
        if (st == FUTURL_OK)
            printf("%s: n = %s\n", urls[i], n);
        else
            printf("%s: %s %s\n", urls[i], futurl_err_name(st),
                   futurl_future_errmsg(fs[i]));
        futurl_future_free(fs[i]);
    }
    return 0;
}
