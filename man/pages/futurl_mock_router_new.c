/* page: futurl_mock_router_new futurl_mock_router_free futurl_mock_router_add
 *       futurl_mock_router_reply futurl_mock_router_reply_error
 *       futurl_mock_router_reply_header futurl_mock_router_reply_delay
 *       futurl_mock_router_calls futurl_mock_router_unmatched futurl_mock_router_fn
 * summary: canned answers for the mock transport, by method and URL pattern
 * also: futurl_mock_router futurl_mock_error
 * see: futurl_mock_request_method futurl_mock_response_set_status
 *      futurl_client_create
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_mock_router *m;
    unsigned users;
    if (futurl_mock_router_new(&m) != FUTURL_OK)
        return 1;
    /* A 503 first, then the user, for every later call. */
    if (futurl_mock_router_add(m, "GET", "http://api.test/users/*", &users) !=
            FUTURL_OK ||
        futurl_mock_router_reply(m, users, 503, NULL, "busy") != FUTURL_OK ||
        futurl_mock_router_reply(m, users, 200, "application/json",
                                 "{\"name\":\"Ada\"}") != FUTURL_OK) {
        futurl_mock_router_free(m);
        return 1;
    }
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.mock = futurl_mock_router_fn;
    o.mock_userdata = m;
    futurl_client *c;
    if (futurl_client_create(&o, &c) != FUTURL_OK) {
        futurl_mock_router_free(m);
        return 1;
    }
    futurl_future *f;
    if (futurl_get(c, "http://api.test/users/1", &f) == FUTURL_OK) {
        if (futurl_future_wait(f) == FUTURL_OK)
            printf("HTTP %ld after %u attempt(s), %lu call(s)\n",
                   futurl_response_status(futurl_future_response(f)),
                   futurl_response_attempts(futurl_future_response(f)),
                   futurl_mock_router_calls(m, users));
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
    futurl_mock_router_free(m); /* after the client */
    return 0;
}
