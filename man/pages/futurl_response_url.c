/* page: futurl_response_url futurl_response_redirects futurl_response_http_version
 * summary: where a response came from and how
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/redirect/2", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_future_wait(f) == FUTURL_OK) {
        const futurl_response *r = futurl_future_response(f);
        int v = futurl_response_http_version(r);
        printf("%s after %ld redirects, HTTP/%d.%d\n", futurl_response_url(r),
               futurl_response_redirects(r), v / 10, v % 10);
    }
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
