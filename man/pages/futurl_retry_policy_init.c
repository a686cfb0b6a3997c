/* page: futurl_retry_policy_init
 * summary: the retry policy and its defaults
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    futurl_retry_policy_init(&opts.retry); /* already done by options_init */
    opts.retry.max_attempts = 5;
    opts.retry.budget_ms = 20000;
    futurl_client *c;
    if (futurl_client_create(&opts, &c) != FUTURL_OK)
        return 1;

    /* A different policy for one request: retry a POST that carries no
     * Idempotency-Key. */
    futurl_retry_policy p;
    futurl_retry_policy_init(&p);
    p.retry_non_idempotent = 1;
    futurl_request *r;
    if (futurl_request_new("POST", "http://127.0.0.1:8080/post", &r) == FUTURL_OK &&
        futurl_request_set_retry(r, &p) == FUTURL_OK) {
        futurl_future *f;
        if (futurl_client_submit(c, r, &f) == FUTURL_OK) {
            (void)futurl_future_wait(f);
            const futurl_response *resp = futurl_future_response(f);
            if (resp)
                printf("%u attempt(s)\n", futurl_response_attempts(resp));
            futurl_future_free(f);
        }
    } else {
        futurl_request_free(r);
    }
    futurl_client_destroy(c);
    return 0;
}
