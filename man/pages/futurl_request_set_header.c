/* page: futurl_request_set_header futurl_request_add_header futurl_request_remove_header
 * summary: the header lines a request sends
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_request *r;
    if (futurl_request_new("GET", "http://127.0.0.1:8080/headers", &r) != FUTURL_OK)
        return 1;
    futurl_status s = futurl_request_set_header(r, "Authorization", "Bearer abc");
    if (s == FUTURL_OK)
        s = futurl_request_add_header(r, "Accept", "application/json");
    if (s == FUTURL_OK)
        s = futurl_request_add_header(r, "Accept", "text/plain");
    if (s == FUTURL_OK)
        s = futurl_request_remove_header(r, "User-Agent");
    /* A value with CR or LF is refused, and the request is left as it was. */
    if (futurl_request_set_header(r, "X-Bad", "a\r\nInjected: 1") == FUTURL_EHEADER)
        printf("refused\n");
    futurl_request_free(r);
    return s == FUTURL_OK ? 0 : 1;
}
