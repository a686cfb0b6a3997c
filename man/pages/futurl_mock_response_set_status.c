/* page: futurl_mock_response_set_status futurl_mock_response_add_header
 *       futurl_mock_response_set_body futurl_mock_response_set_error
 *       futurl_mock_response_set_delay
 * summary: the answer a mock function gives
 * also: futurl_mock_response futurl_mock_error
 * see: futurl_mock_request_method futurl_mock_router_new futurl_client_create
 */
#include <futurl.h>
#include <stdio.h>
#include <string.h>

/* /slow answers after 2 s, /down resets the connection, the rest is JSON. */
static void server(const futurl_mock_request *req, futurl_mock_response *resp,
                   void *userdata) {
    (void)userdata;
    const char *url = futurl_mock_request_url(req);
    if (strstr(url, "/down") != NULL) {
        (void)futurl_mock_response_set_error(resp, FUTURL_MOCK_RESET);
        return;
    }
    if (strstr(url, "/slow") != NULL)
        (void)futurl_mock_response_set_delay(resp, 2000);
    (void)futurl_mock_response_set_status(resp, 201);
    (void)futurl_mock_response_add_header(resp, "Content-Type", "application/json");
    (void)futurl_mock_response_set_body(resp, "{\"ok\":true}", 11);
}

int main(void) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.mock = server;
    o.timeout_ms = 500;
    o.retry.max_attempts = 1;
    futurl_client *c;
    if (futurl_client_create(&o, &c) != FUTURL_OK)
        return 1;
    const char *urls[] = {"http://api.test/ok", "http://api.test/slow",
                          "http://api.test/down"};
    for (int i = 0; i < 3; i++) {
        futurl_future *f;
        if (futurl_get(c, urls[i], &f) != FUTURL_OK)
            continue;
        printf("%s: %s\n", urls[i], futurl_err_name(futurl_future_wait(f)));
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
    return 0;
}
