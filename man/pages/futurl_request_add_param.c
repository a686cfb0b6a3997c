/* page: futurl_request_add_param
 * summary: add a percent-encoded query parameter
 */
#include <futurl.h>

int main(void) {
    futurl_request *r;
    if (futurl_request_new("GET", "http://127.0.0.1:8080/get", &r) != FUTURL_OK)
        return 1;
    /* Sends GET /get?q=caf%C3%A9%20au%20lait&page=2 */
    futurl_status s = futurl_request_add_param(r, "q", "caf\xc3\xa9 au lait");
    if (s == FUTURL_OK)
        s = futurl_request_add_param(r, "page", "2");
    futurl_request_free(r);
    return s == FUTURL_OK ? 0 : 1;
}
