/* page: futurl_future_response futurl_future_curl_code futurl_future_http_status
 * summary: the HTTP response of a finished future
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/get", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    futurl_status s = futurl_future_wait(f);
    const futurl_response *r = futurl_future_response(f); /* borrowed from f */
    if (r)
        printf("HTTP %ld, %s\n", futurl_response_status(r), futurl_err_name(s));
    else
        printf("no response: %s (libcurl code %d)\n", futurl_future_errmsg(f),
               futurl_future_curl_code(f));
    futurl_future_free(f); /* r is gone with it */
    futurl_client_destroy(c);
    return 0;
}
