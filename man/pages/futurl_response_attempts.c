/* page: futurl_response_attempts futurl_response_retry_reason
 * summary: how many attempts a request took, and why it was retried
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/status/503", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    (void)futurl_future_wait(f);
    const futurl_response *r = futurl_future_response(f);
    if (r) {
        unsigned n = futurl_response_attempts(r);
        printf("%u attempt(s)\n", n);
        for (unsigned i = 0; i + 1 < n; i++)
            printf("  %s\n", futurl_response_retry_reason(r, i));
    }
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
