/* page: futurl_mock_request_method futurl_mock_request_url futurl_mock_request_header
 *       futurl_mock_request_body
 * summary: the request a mock function answers
 * also: futurl_mock_request futurl_mock_fn
 * see: futurl_mock_response_set_status futurl_mock_router_new
 *      futurl_client_create
 */
#include <futurl.h>
#include <stdio.h>
#include <string.h>

/* Echo the method, URL and body back; runs on the library's threads. */
static void echo(const futurl_mock_request *req, futurl_mock_response *resp,
                 void *userdata) {
    (void)userdata;
    char text[512];
    size_t len;
    const char *body = futurl_mock_request_body(req, &len);
    const char *type = futurl_mock_request_header(req, "Content-Type");
    snprintf(text, sizeof text, "%s %s (%s, %zu bytes): %.200s",
             futurl_mock_request_method(req), futurl_mock_request_url(req),
             type ? type : "no type", len, body);
    (void)futurl_mock_response_set_body(resp, text, strlen(text));
}

int main(void) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.mock = echo;
    futurl_client *c;
    if (futurl_client_create(&o, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://example.test/echo?x=1", &f) == FUTURL_OK) {
        if (futurl_future_wait(f) == FUTURL_OK)
            printf("%s\n", futurl_response_body(futurl_future_response(f), NULL));
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
    return 0;
}
