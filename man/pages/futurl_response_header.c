/* page: futurl_response_header futurl_response_header_nth futurl_response_header_count
 *       futurl_response_header_at
 * summary: the header lines of a response
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/response-headers?a=1&a=2", &f) !=
        FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    (void)futurl_future_wait(f);
    const futurl_response *r = futurl_future_response(f);
    if (r) {
        const char *type = futurl_response_header(r, "content-type");
        printf("Content-Type: %s\n", type ? type : "(none)");
        for (size_t n = 0; futurl_response_header_nth(r, "a", n); n++)
            printf("a[%zu] = %s\n", n, futurl_response_header_nth(r, "a", n));
        for (size_t i = 0; i < futurl_response_header_count(r); i++) {
            const char *name, *value;
            if (futurl_response_header_at(r, i, &name, &value) == FUTURL_OK)
                printf("%s: %s\n", name, value);
        }
    }
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
