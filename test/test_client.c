/*
 * test/test_client.c — the HTTP layer against a real httpbin on loopback:
 * GET and JSON, every method, params and header escaping, refused schemes
 * and header injection (before anything is sent), status as a value versus
 * raise-for-status, redirects and their limit, decompression, basic and
 * bearer auth, the client-wide cookie jar across workers, the size cap on a
 * chunked body, streaming, timeouts, cancellation latency, connection reuse.
 */
#include "support.h"

#include "futurl.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static support_server httpbin;

static void start_httpbin(void) {
    ck_assert_msg(support_httpbin_start(&httpbin) == 0, "httpbin did not start");
}

static void stop_httpbin(void) {
    support_server_stop(&httpbin);
}

/* ---------------------------------------------------------------- helpers */

/* The HTTP helpers (support_client, support_run, support_get_ok,
 * support_json, ...) are in test/support.c. */

/* ------------------------------------------------------------------ tests */

START_TEST(test_get_json) {
    futurl_client *c = support_client(httpbin.url, 2, 0);
    futurl_future *f = support_get_ok(c, "/get?x=1");
    const futurl_response *r = futurl_future_response(f);
    ck_assert_int_eq(futurl_response_status(r), 200);
    ck_assert_int_eq(futurl_response_http_version(r), 11);
    ck_assert_str_eq(futurl_response_header(r, "content-TYPE"), "application/json");
    ck_assert_str_eq(support_json_str(support_json(f), "args", "x"), "1");
    ck_assert_ptr_eq(futurl_response_json(r), futurl_response_json(r)); /* cached */
    ck_assert_ptr_null(futurl_response_json_error(r));
    ck_assert_str_eq(support_json_str(support_json(f), "headers", "User-Agent"),
                     "futurl/" FUTURL_VERSION_STRING);
    size_t len;
    const char *body = futurl_response_body(r, &len);
    ck_assert_uint_eq(strlen(body), len);
    ck_assert_uint_eq(futurl_response_bytes(r), len);
    char want[sizeof httpbin.url + 16];
    snprintf(want, sizeof want, "%s/get?x=1", httpbin.url);
    ck_assert_str_eq(futurl_response_url(r), want);
    ck_assert_uint_eq(futurl_response_attempts(r), 1);
    ck_assert(futurl_response_elapsed(r) > 0.0);
    ck_assert(futurl_response_ttfb(r) <= futurl_response_elapsed(r));
    ck_assert_int_eq(futurl_future_curl_code(f), 0);
    /* Headers: in order, countable, every one reachable. */
    size_t n = futurl_response_header_count(r);
    ck_assert_uint_gt(n, 2);
    const char *name, *value;
    ck_assert_int_eq(futurl_response_header_at(r, 0, &name, &value), FUTURL_OK);
    ck_assert_ptr_nonnull(name);
    ck_assert_ptr_nonnull(value);
    /* Past the end, or no response: a status, and both outputs cleared. */
    ck_assert_int_eq(futurl_response_header_at(r, n, &name, &value), FUTURL_EINVAL);
    ck_assert_ptr_null(name);
    ck_assert_ptr_null(value);
    name = value = "unset";
    ck_assert_int_eq(futurl_response_header_at(NULL, 0, &name, &value), FUTURL_EINVAL);
    ck_assert_ptr_null(name);
    ck_assert_ptr_null(value);
    futurl_future_free(f);
    ck_assert_ptr_null(futurl_future_response(NULL));
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_post_json_roundtrip) {
    futurl_client *c = support_client(httpbin.url, 2, 0);
    cJSON *doc =
        cJSON_Parse("{\"name\":\"fütürl\",\"n\":42,\"list\":[1,2,{\"a\":null}]}");
    ck_assert_ptr_nonnull(doc);
    futurl_future *f = NULL;
    ck_assert_int_eq(futurl_post_json(c, "/post", doc, &f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
    const cJSON *echo = support_json(f);
    ck_assert(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(echo, "json"), doc, 1));
    ck_assert_str_eq(support_json_str(echo, "headers", "Content-Type"),
                     "application/json");
    futurl_future_free(f);

    /* PUT and PATCH one-liners too. */
    ck_assert_int_eq(futurl_put_json(c, "/put", doc, &f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
    ck_assert(
        cJSON_Compare(cJSON_GetObjectItemCaseSensitive(support_json(f), "json"), doc, 1));
    futurl_future_free(f);
    ck_assert_int_eq(futurl_patch_json(c, "/patch", doc, &f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
    ck_assert(
        cJSON_Compare(cJSON_GetObjectItemCaseSensitive(support_json(f), "json"), doc, 1));
    futurl_future_free(f);
    ck_assert_int_eq(futurl_post_json(c, "/post", NULL, &f), FUTURL_EINVAL);
    ck_assert_ptr_null(f);
    cJSON_Delete(doc);

    /* A form. */
    futurl_request *r = support_request("POST", "/post");
    ck_assert_int_eq(futurl_request_add_form(r, "a b", "c&d=e"), FUTURL_OK);
    ck_assert_int_eq(futurl_request_add_form(r, "x", "1"), FUTURL_OK);
    f = support_run(c, r);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_OK);
    ck_assert_str_eq(support_json_str(support_json(f), "form", "a b"), "c&d=e");
    ck_assert_str_eq(support_json_str(support_json(f), "form", "x"), "1");
    futurl_future_free(f);

    /* Raw bytes with a type, then without one (libcurl must not call it
     * a form). */
    r = support_request("POST", "/post");
    ck_assert_int_eq(futurl_request_set_body(r, "hello", 5, "text/plain"), FUTURL_OK);
    f = support_run(c, r);
    ck_assert_str_eq(support_json_str(support_json(f), "data", NULL), "hello");
    ck_assert_str_eq(support_json_str(support_json(f), "headers", "Content-Type"),
                     "text/plain");
    futurl_future_free(f);
    r = support_request("POST", "/post");
    ck_assert_int_eq(futurl_request_set_body(r, "raw", 3, NULL), FUTURL_OK);
    f = support_run(c, r);
    ck_assert_str_eq(support_json_str(support_json(f), "data", NULL), "raw");
    ck_assert_ptr_null(support_json_str(support_json(f), "headers", "Content-Type"));
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_methods) {
    futurl_client *c = support_client(httpbin.url, 3, 0);
    /* TRACE: any other token goes out as it is (httpbin's /anything takes it). */
    const char *methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"};
    futurl_future *fs[6];
    for (int i = 0; i < 6; i++) {
        futurl_request *r = support_request(methods[i], "/anything");
        ck_assert_int_eq(futurl_client_submit(c, r, &fs[i]), FUTURL_OK);
    }
    ck_assert_int_eq(futurl_gather(fs, 6, 10000, 0, NULL), FUTURL_OK);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(futurl_future_status(fs[i]), FUTURL_OK);
        ck_assert_str_eq(support_json_str(support_json(fs[i]), "method", NULL),
                         methods[i]);
        futurl_future_free(fs[i]);
    }
    /* HEAD: headers, no body; then the same handle does a GET again. */
    for (int i = 0; i < 3; i++) {
        futurl_future *f = support_run(c, support_request("HEAD", "/get"));
        const futurl_response *r = futurl_future_response(f);
        ck_assert_int_eq(futurl_response_status(r), 200);
        ck_assert_ptr_nonnull(futurl_response_header(r, "Content-Length"));
        size_t len = 1;
        ck_assert_str_eq(futurl_response_body(r, &len), "");
        ck_assert_uint_eq(len, 0);
        futurl_future_free(f);
        f = support_get_ok(c, "/get");
        ck_assert_uint_gt(strlen(futurl_response_body(futurl_future_response(f), NULL)),
                          10);
        futurl_future_free(f);
    }
    /* A body goes out with DELETE too (it used to be dropped while its
     * Content-Type still went): httpbin echoes it back. OPTIONS with a body
     * is answered by httpbin itself, not echoed; test_transport's
     * test_body_with_any_method sees its bytes arrive at the fault server. */
    futurl_request *rd = support_request("DELETE", "/anything");
    ck_assert_int_eq(futurl_request_set_body(rd, "q=1", 3, "text/plain"), FUTURL_OK);
    futurl_future *fd = support_run(c, rd);
    support_assert_status(fd, FUTURL_OK);
    support_assert_str_or_null(support_json_str(support_json(fd), "data", NULL), "q=1");
    futurl_future_free(fd);
    futurl_request *ro = support_request("OPTIONS", "/anything");
    ck_assert_int_eq(futurl_request_set_body(ro, "q=1", 3, "text/plain"), FUTURL_OK);
    futurl_future *fo = support_run(c, ro);
    support_assert_status(fo, FUTURL_OK);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(fo)), 200);
    futurl_future_free(fo);
    /* A method the route does not know reaches the server as sent. */
    futurl_future *g = support_run(c, support_request("PURGE", "/anything"));
    ck_assert_int_eq(futurl_response_status(futurl_future_response(g)), 405);
    futurl_future_free(g);
    /* OPTIONS. */
    futurl_future *f = support_run(c, support_request("OPTIONS", "/get"));
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 200);
    ck_assert_ptr_nonnull(futurl_response_header(futurl_future_response(f), "Allow"));
    futurl_future_free(f);
    /* Bad tokens. */
    futurl_request *r = (futurl_request *)1;
    ck_assert_int_eq(futurl_request_new("GE T", "/get", &r), FUTURL_EMETHOD);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(futurl_request_new("GET\r\n", "/get", &r), FUTURL_EMETHOD);
    ck_assert_int_eq(futurl_request_new("", "/get", &r), FUTURL_EMETHOD);
    ck_assert_int_eq(futurl_request_new(NULL, "/get", &r), FUTURL_EINVAL);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_params) {
    futurl_client *c = support_client(httpbin.url, 1, 0);
    futurl_request *r = support_request("GET", "/get?already=1");
    ck_assert_int_eq(futurl_request_add_param(r, "q", "a b&c=d/é+%#"), FUTURL_OK);
    ck_assert_int_eq(futurl_request_add_param(r, "empty", ""), FUTURL_OK);
    ck_assert_int_eq(futurl_request_add_param(r, "k&=", "v"), FUTURL_OK);
    futurl_future *f = support_run(c, r);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_OK);
    const cJSON *j = support_json(f);
    ck_assert_str_eq(support_json_str(j, "args", "already"), "1");
    ck_assert_str_eq(support_json_str(j, "args", "q"), "a b&c=d/é+%#");
    ck_assert_str_eq(support_json_str(j, "args", "empty"), "");
    ck_assert_str_eq(support_json_str(j, "args", "k&="), "v");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_headers) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = 2;
    const char *defaults[] = {"X-Default: d", "X-Gone: g", NULL};
    o.headers = defaults;
    futurl_client *c = support_client_opts(&o, httpbin.url);

    futurl_request *r = support_request("GET", "/headers");
    ck_assert_int_eq(futurl_request_set_header(r, "x-default", "override"), FUTURL_OK);
    ck_assert_int_eq(futurl_request_remove_header(r, "X-Gone"), FUTURL_OK);
    ck_assert_int_eq(futurl_request_remove_header(r, "Accept"),
                     FUTURL_OK); /* libcurl's */
    ck_assert_int_eq(futurl_request_add_header(r, "X-Multi", "1"), FUTURL_OK);
    ck_assert_int_eq(futurl_request_add_header(r, "X-Multi", "2"), FUTURL_OK);
    ck_assert_int_eq(futurl_request_set_header(r, "X-Empty", ""), FUTURL_OK);
    ck_assert_int_eq(futurl_request_set_header(r, "User-Agent", "mine/1"), FUTURL_OK);
    futurl_future *f = support_run(c, r);
    const cJSON *j = support_json(f);
    ck_assert_str_eq(support_json_str(j, "headers", "X-Default"), "override");
    ck_assert_ptr_null(support_json_str(j, "headers", "X-Gone"));
    ck_assert_ptr_null(support_json_str(j, "headers", "Accept"));
    ck_assert_str_eq(support_json_str(j, "headers", "X-Multi"), "1,2");
    ck_assert_str_eq(support_json_str(j, "headers", "X-Empty"), "");
    ck_assert_str_eq(support_json_str(j, "headers", "User-Agent"), "mine/1");
    futurl_future_free(f);

    /* The next request on any worker has the defaults back. */
    for (int i = 0; i < 4; i++) {
        f = support_get_ok(c, "/headers");
        j = support_json(f);
        ck_assert_str_eq(support_json_str(j, "headers", "X-Default"), "d");
        ck_assert_str_eq(support_json_str(j, "headers", "X-Gone"), "g");
        ck_assert_str_eq(support_json_str(j, "headers", "Accept"), "*/*");
        ck_assert_ptr_null(support_json_str(j, "headers", "X-Multi"));
        futurl_future_free(f);
    }

    /* Injection is refused when set: nothing to send, so nothing sent. */
    r = support_request("GET", "/headers");
    ck_assert_int_eq(futurl_request_set_header(r, "X-Evil", "a\r\nX-Injected: 1"),
                     FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_set_header(r, "X-Evil", "a\nb"), FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_add_header(r, "X-Evil", "a\rb"), FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_set_header(r, "Bad Name", "v"), FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_set_header(r, "X:y", "v"), FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_set_header(r, "", "v"), FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_remove_header(r, "X\r\nY"), FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_set_body(r, "x", 1, "text/plain\r\nX-I: 1"),
                     FUTURL_EHEADER);
    f = support_run(c, r); /* what was refused is not in it */
    ck_assert_ptr_null(support_json_str(support_json(f), "headers", "X-Evil"));
    ck_assert_ptr_null(support_json_str(support_json(f), "headers", "X-Injected"));
    futurl_future_free(f);
    futurl_client_destroy(c);

    /* Client defaults are checked at create. */
    const char *evil[] = {"X-A: 1\r\nX-B: 2", NULL};
    o.headers = evil;
    c = (futurl_client *)1;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EHEADER);
    ck_assert_ptr_null(c);
    const char *noname[] = {"no colon", NULL};
    o.headers = noname;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EHEADER);
    o.headers = NULL;
    o.user_agent = "ua\r\nX-I: 1";
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EHEADER);
}
END_TEST

START_TEST(test_schemes) {
    futurl_client *c = support_client(httpbin.url, 1, 0);
    futurl_request *r = (futurl_request *)1;
    ck_assert_int_eq(futurl_request_new("GET", "file:///etc/passwd", &r), FUTURL_ESCHEME);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(futurl_request_new("GET", "gopher://127.0.0.1/x", &r),
                     FUTURL_ESCHEME);
    ck_assert_int_eq(futurl_request_new("GET", "FTP://127.0.0.1/", &r), FUTURL_ESCHEME);
    ck_assert_int_eq(futurl_request_new("GET", "http://[::1", &r), FUTURL_EURL);
    ck_assert_int_eq(futurl_request_new("GET", "http://h:65536/", &r), FUTURL_EURL);
    ck_assert_int_eq(futurl_request_new("GET", "http:///", &r), FUTURL_EURL);
    ck_assert_int_eq(futurl_request_new("GET", "http://a b/", &r), FUTURL_EURL);
    futurl_future *f = (futurl_future *)1;
    ck_assert_int_eq(futurl_get(c, "file:///etc/passwd", &f), FUTURL_ESCHEME);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(futurl_get(c, "gopher://127.0.0.1:70/", &f), FUTURL_ESCHEME);
    /* What libcurl's parser refuses is refused at once, escapes in the
     * host name and bad IPv6 literals included (test_hostkey has more). */
    ck_assert_int_eq(futurl_get(c, "http://h%20x/get", &f), FUTURL_EURL);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(futurl_get(c, "http://[1:2]/get", &f), FUTURL_EURL);
    /* HTTP (any case) is fine. */
    char url[64];
    snprintf(url, sizeof url, "HTTP://127.0.0.1:%d/get", httpbin.port);
    f = support_get_ok(c, url);
    futurl_future_free(f);

    /* A redirect to file:// is refused by libcurl (REDIR_PROTOCOLS). */
    f = support_get_ok(c, "/status/200"); /* warm up */
    futurl_future_free(f);
    ck_assert_int_eq(futurl_get(c, "/redirect-to?url=file%3A%2F%2F%2Fetc%2Fpasswd", &f),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_ESCHEME);
    ck_assert_int_eq(futurl_future_curl_code(f), 1 /* CURLE_UNSUPPORTED_PROTOCOL */);
    futurl_future_free(f);
    futurl_client_destroy(c);

    /* A relative URL needs a base; a base must be http(s). */
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = 1;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_OK);
    ck_assert_int_eq(futurl_get(c, "/get", &f), FUTURL_EURL);
    futurl_client_destroy(c);
    o.base_url = "file:///tmp";
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_ESCHEME);
}
END_TEST

START_TEST(test_status_and_raise) {
    futurl_client *c = support_client(httpbin.url, 2, 0);
    futurl_future *f = support_get_ok(c, "/status/404");
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 404);
    futurl_future_free(f);

    futurl_request *r = support_request("GET", "/status/404");
    ck_assert_int_eq(futurl_request_set_raise_for_status(r, 1), FUTURL_OK);
    f = support_run(c, r);
    ck_assert_int_eq(futurl_future_state(f), FUTURL_FAILED);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_EHTTP);
    ck_assert_msg(strstr(futurl_future_errmsg(f), "HTTP 404 from http://127.0.0.1:") !=
                      NULL,
                  "message: %s", futurl_future_errmsg(f));
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 404);
    futurl_future_free(f);
    futurl_client_destroy(c);

    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = 1;
    o.raise_for_status = 1;
    c = support_client_opts(&o, httpbin.url);
    f = NULL;
    ck_assert_int_eq(futurl_get(c, "/status/503", &f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_EHTTP);
    futurl_future_free(f);
    r = support_request("GET", "/status/503");
    ck_assert_int_eq(futurl_request_set_raise_for_status(r, 0), FUTURL_OK);
    f = support_run(c, r);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_OK);
    futurl_future_free(f);
    f = support_get_ok(c, "/status/204");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_redirects) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = 2;
    o.max_redirects = 5;
    futurl_client *c = support_client_opts(&o, httpbin.url);
    futurl_future *f = support_get_ok(c, "/redirect/3");
    const futurl_response *r = futurl_future_response(f);
    ck_assert_int_eq(futurl_response_status(r), 200);
    ck_assert_int_eq(futurl_response_redirects(r), 3);
    ck_assert_ptr_nonnull(strstr(futurl_response_url(r), "/get"));
    /* Only the final response's headers. */
    ck_assert_ptr_null(futurl_response_header(r, "Location"));
    futurl_future_free(f);

    ck_assert_int_eq(futurl_get(c, "/redirect/7", &f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_EREDIRECT);
    ck_assert_int_eq(futurl_future_curl_code(f), 47 /* CURLE_TOO_MANY_REDIRECTS */);
    futurl_future_free(f);

    /* 303 turns POST into GET (the target only allows GET). */
    futurl_request *rq =
        support_request("POST", "/redirect-to?url=%2Fget&status_code=303");
    ck_assert_int_eq(futurl_request_set_body(rq, "x", 1, "text/plain"), FUTURL_OK);
    f = support_run(c, rq);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_OK);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 200);
    futurl_future_free(f);
    futurl_client_destroy(c);

    o.follow_redirects = 0;
    c = support_client_opts(&o, httpbin.url);
    f = support_get_ok(c, "/redirect/1");
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 302);
    ck_assert_ptr_nonnull(futurl_response_header(futurl_future_response(f), "location"));
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_decompress) {
    futurl_client *c = support_client(httpbin.url, 1, 0);
    futurl_future *f = support_get_ok(c, "/gzip");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(support_json(f), "gzipped")));
    ck_assert_str_eq(
        futurl_response_header(futurl_future_response(f), "Content-Encoding"), "gzip");
    futurl_future_free(f);
    f = support_get_ok(c, "/deflate");
    ck_assert(
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(support_json(f), "deflated")));
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_auth) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = 1;
    o.username = "user";
    o.password = "s3cret";
    futurl_client *c = support_client_opts(&o, httpbin.url);
    futurl_future *f = support_get_ok(c, "/basic-auth/user/s3cret");
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 200);
    ck_assert(
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(support_json(f), "authenticated")));
    futurl_future_free(f);
    f = support_get_ok(c, "/basic-auth/user/other");
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 401);
    futurl_future_free(f);

    /* Same host after a redirect: still sent. Another host (localhost is
     * another name than 127.0.0.1 to libcurl): dropped. */
    char url[128];
    snprintf(url, sizeof url,
             "/redirect-to?url=http%%3A%%2F%%2F127.0.0.1%%3A%d%%2Fheaders", httpbin.port);
    f = support_get_ok(c, url);
    ck_assert_ptr_nonnull(support_json_str(support_json(f), "headers", "Authorization"));
    futurl_future_free(f);
    snprintf(url, sizeof url,
             "/redirect-to?url=http%%3A%%2F%%2Flocalhost%%3A%d%%2Fheaders", httpbin.port);
    f = support_get_ok(c, url);
    ck_assert_int_eq(futurl_response_redirects(futurl_future_response(f)), 1);
    ck_assert_ptr_null(support_json_str(support_json(f), "headers", "Authorization"));
    futurl_future_free(f);
    futurl_client_destroy(c);

    o.username = o.password = NULL;
    o.bearer_token = "tok3n";
    c = support_client_opts(&o, httpbin.url);
    f = support_get_ok(c, "/bearer");
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 200);
    ck_assert_str_eq(support_json_str(support_json(f), "token", NULL), "tok3n");
    futurl_future_free(f);
    f = support_get_ok(c, url); /* the bearer token stays home too */
    ck_assert_ptr_null(support_json_str(support_json(f), "headers", "Authorization"));
    futurl_future_free(f);
    futurl_client_destroy(c);

    o.bearer_token = NULL;
    c = support_client_opts(&o, httpbin.url);
    f = support_get_ok(c, "/bearer");
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 401);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* Every request sees the cookie, across workers; a deletion spreads too. */
START_TEST(test_cookie_jar_across_workers) {
    enum { N = 64 };
    futurl_client *c = support_client(httpbin.url, 4, 0);
    futurl_future *f = support_get_ok(c, "/cookies/set?session=abc&lang=en");
    ck_assert_str_eq(support_json_str(support_json(f), "cookies", "session"), "abc");
    futurl_future_free(f);

    futurl_future *fs[N];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++)
            ck_assert_int_eq(futurl_get(c, "/cookies", &fs[i]), FUTURL_OK);
        ck_assert_int_eq(futurl_gather(fs, N, 20000, 0, NULL), FUTURL_OK);
        for (int i = 0; i < N; i++) {
            const char *want = round == 0 ? "abc" : NULL;
            const char *got = support_json_str(support_json(fs[i]), "cookies", "session");
            if (want == NULL)
                ck_assert_ptr_null(got);
            else
                ck_assert_str_eq(got, want);
            ck_assert_str_eq(support_json_str(support_json(fs[i]), "cookies", "lang"),
                             "en");
            futurl_future_free(fs[i]);
        }
        if (round == 0) {
            f = support_get_ok(c, "/cookies/delete?session");
            ck_assert_ptr_null(support_json_str(support_json(f), "cookies", "session"));
            futurl_future_free(f);
        }
    }
    futurl_client_destroy(c);

    /* Jar off: nothing is kept; static cookies still go out. */
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = 1;
    o.cookie_jar = 0;
    o.cookies = "fixed=1";
    c = support_client_opts(&o, httpbin.url);
    f = support_get_ok(c, "/cookies/set?session=abc");
    futurl_future_free(f);
    f = support_get_ok(c, "/cookies");
    ck_assert_ptr_null(support_json_str(support_json(f), "cookies", "session"));
    ck_assert_str_eq(support_json_str(support_json(f), "cookies", "fixed"), "1");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

static int count_chunks(const char *data, size_t len, void *userdata) {
    (void)data;
    *(size_t *)userdata += len;
    return 0;
}

static int abort_chunks(const char *data, size_t len, void *userdata) {
    (void)data;
    (void)len;
    (void)userdata;
    return 1;
}

START_TEST(test_size_cap_and_streaming) {
    futurl_client *c = support_client(httpbin.url, 2, 0);
    /* Chunked: only the write callback can stop it. */
    futurl_request *r = support_request("GET", "/stream-bytes/200000?chunk_size=1024");
    ck_assert_int_eq(futurl_request_set_max_response_bytes(r, 10000), FUTURL_OK);
    futurl_future *f = support_run(c, r);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_ETOOLARGE);
    const futurl_response *resp = futurl_future_response(f);
    ck_assert_ptr_nonnull(resp);
    ck_assert_uint_le(futurl_response_bytes(resp), 10000);
    ck_assert_int_eq(futurl_future_curl_code(f), 23 /* CURLE_WRITE_ERROR */);
    futurl_future_free(f);
    /* Content-Length: refused before the body. */
    r = support_request("GET", "/bytes/50000");
    ck_assert_int_eq(futurl_request_set_max_response_bytes(r, 10000), FUTURL_OK);
    f = support_run(c, r);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_ETOOLARGE);
    ck_assert_int_eq(futurl_future_curl_code(f), 63 /* CURLE_FILESIZE_EXCEEDED */);
    futurl_future_free(f);
    /* Under the cap, and the cap is reset for the next request. */
    r = support_request("GET", "/stream-bytes/5000");
    ck_assert_int_eq(futurl_request_set_max_response_bytes(r, 10000), FUTURL_OK);
    f = support_run(c, r);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_OK);
    size_t len = 0;
    futurl_response_body(futurl_future_response(f), &len);
    ck_assert_uint_eq(len, 5000);
    futurl_future_free(f);
    for (int i = 0; i < 4; i++) {
        f = support_get_ok(c, "/bytes/50000");
        futurl_response_body(futurl_future_response(f), &len);
        ck_assert_uint_eq(len, 50000);
        futurl_future_free(f);
    }

    /* A large announced body (its own mapping) then small ones again. */
    enum { BIG = 200000 };
    char *payload = malloc(BIG);
    ck_assert_ptr_nonnull(payload);
    memset(payload, 'a', BIG);
    r = support_request("POST", "/anything");
    ck_assert_int_eq(futurl_request_set_body(r, payload, BIG, "text/plain"), FUTURL_OK);
    free(payload);
    f = support_run(c, r);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_OK);
    const char *big = futurl_response_body(futurl_future_response(f), &len);
    ck_assert_uint_gt(len, BIG);
    ck_assert_uint_eq(strlen(big), len);
    const char *echo = support_json_str(support_json(f), "data", NULL);
    ck_assert_uint_eq(strlen(echo), BIG);
    ck_assert_uint_eq(strspn(echo, "a"), BIG);
    futurl_future_free(f);
    f = support_get_ok(c, "/bytes/100");
    futurl_response_body(futurl_future_response(f), &len);
    ck_assert_uint_eq(len, 100);
    futurl_future_free(f);

    /* Streaming to a callback. */
    size_t seen = 0;
    r = support_request("GET", "/stream-bytes/100000?chunk_size=4096");
    ck_assert_int_eq(futurl_request_on_chunk(r, count_chunks, &seen), FUTURL_OK);
    f = support_run(c, r);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_OK);
    ck_assert_uint_eq(seen, 100000);
    ck_assert_uint_eq(futurl_response_bytes(futurl_future_response(f)), 100000);
    ck_assert_str_eq(futurl_response_body(futurl_future_response(f), NULL), "");
    futurl_future_free(f);
    r = support_request("GET", "/stream-bytes/100000");
    ck_assert_int_eq(futurl_request_on_chunk(r, abort_chunks, NULL), FUTURL_OK);
    f = support_run(c, r);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_EABORTED);
    futurl_future_free(f);

    /* To a file. */
    FILE *fp = tmpfile();
    ck_assert_ptr_nonnull(fp);
    r = support_request("GET", "/bytes/30000");
    ck_assert_int_eq(futurl_request_set_output_file(r, fp), FUTURL_OK);
    f = support_run(c, r);
    ck_assert_int_eq(futurl_future_status(f), FUTURL_OK);
    ck_assert_int_eq(ftell(fp), 30000);
    fclose(fp);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* POST a BIG-byte body of fill bytes to /anything: the echo is announced
 * large, so its buffer is a mapping, recycled through the client's pool. */
static futurl_future *echo_big(futurl_client *c, size_t big, char fill) {
    char *payload = malloc(big);
    ck_assert_ptr_nonnull(payload);
    memset(payload, fill, big);
    futurl_request *r = support_request("POST", "/anything");
    ck_assert_int_eq(futurl_request_set_body(r, payload, big, "text/plain"), FUTURL_OK);
    free(payload);
    futurl_future *f = support_run(c, r);
    ck_assert_msg(futurl_future_status(f) == FUTURL_OK, "%s", futurl_future_errmsg(f));
    return f;
}

static void check_echo(futurl_future *f, size_t big, char fill) {
    const char *echo = support_json_str(support_json(f), "data", NULL);
    ck_assert_ptr_nonnull(echo);
    ck_assert_uint_eq(strlen(echo), big);
    const char set[2] = {fill, '\0'};
    ck_assert_uint_eq(strspn(echo, set), big);
}

START_TEST(test_body_pool) {
    enum { BIG = 300000 };
    futurl_client *c = support_client(httpbin.url, 1, 0);
    /* Two alive at once never share a buffer; a freed one is reused whole. */
    futurl_future *a = echo_big(c, BIG, 'a');
    futurl_future *b = echo_big(c, BIG, 'b');
    check_echo(a, BIG, 'a');
    check_echo(b, BIG, 'b');
    futurl_future_free(a);
    futurl_future *d = echo_big(c, BIG, 'd');
    check_echo(b, BIG, 'b');
    check_echo(d, BIG, 'd');
    futurl_future_free(d);
    /* A smaller large body may take a bigger recycled buffer, and a much
     * bigger one gets its own. */
    futurl_future *e = echo_big(c, BIG / 2 + BIG / 4, 'e');
    futurl_future *g = echo_big(c, 3 * BIG, 'g');
    check_echo(e, BIG / 2 + BIG / 4, 'e');
    check_echo(g, 3 * BIG, 'g');
    futurl_future_free(e);
    /* Responses outlive their client: their buffers go when they do. */
    futurl_client_destroy(c);
    check_echo(b, BIG, 'b');
    check_echo(g, 3 * BIG, 'g');
    futurl_future_free(b);
    futurl_future_free(g);
}
END_TEST

/* GET /anything?i=<i> and check, later, that the echo still says i. */
static futurl_future *get_numbered(futurl_client *c, int i) {
    char url[64];
    snprintf(url, sizeof url, "/anything?i=%d", i);
    futurl_future *f = NULL;
    ck_assert_int_eq(futurl_get(c, url, &f), FUTURL_OK);
    return f;
}

static void check_numbered(futurl_future *f, int i) {
    ck_assert_msg(futurl_future_status(f) == FUTURL_OK, "request %d: %s", i,
                  futurl_future_errmsg(f));
    char want[16];
    snprintf(want, sizeof want, "%d", i);
    const char *got = support_json_str(support_json(f), "args", "i");
    ck_assert_msg(got != NULL && strcmp(got, want) == 0, "request %d: echo says %s", i,
                  got ? got : "(none)");
}

/* httpbin's /range/N: N bytes of "abc...z" over and over. */
static void check_range(futurl_future *f, size_t n) {
    size_t len = 0;
    const char *body = futurl_response_body(futurl_future_response(f), &len);
    ck_assert_uint_eq(len, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(body[i] == 'a' + (char)(i % 26), "byte %zu is %d", i, body[i]);
}

START_TEST(test_response_slabs) {
    /* Small responses are carved from shared 64 KiB slabs: hundreds kept
     * at once span several slabs per worker; freeing every other one, in
     * a scrambled order, and making more must not disturb the survivors;
     * survivors outlive their client. */
    enum { N = 400 };
    futurl_client *c = support_client(httpbin.url, 4, 0);
    futurl_future **fs = calloc(2 * N, sizeof *fs);
    ck_assert_ptr_nonnull(fs);
    for (int i = 0; i < N; i++)
        fs[i] = get_numbered(c, i);
    ck_assert_int_eq(futurl_gather(fs, N, 60000, 0, NULL), FUTURL_OK);
    for (int i = 0; i < N; i++)
        check_numbered(fs[i], i);
    for (int k = 0; k < N; k++) { /* 7 is coprime to N: each index once */
        int i = (k * 7) % N;
        if (i % 2 == 1) {
            futurl_future_free(fs[i]);
            fs[i] = NULL;
        }
    }
    for (int i = N; i < 2 * N; i++)
        fs[i] = get_numbered(c, i);
    ck_assert_int_eq(futurl_gather(fs + N, N, 60000, 0, NULL), FUTURL_OK);
    for (int i = 0; i < 2 * N; i++)
        if (fs[i] != NULL)
            check_numbered(fs[i], i);
    /* A response larger than a slab's share (a 16,000-byte body kept
     * inline, plus headers) is its own allocation. */
    futurl_future *big = support_get_ok(c, "/range/16000");
    check_range(big, 16000);
    futurl_client_destroy(c);
    for (int i = 0; i < 2 * N; i++)
        if (fs[i] != NULL) {
            check_numbered(fs[i], i);
            futurl_future_free(fs[i]);
        }
    check_range(big, 16000);
    futurl_future_free(big);
    free(fs);
}
END_TEST

START_TEST(test_timeout_and_connect_errors) {
    futurl_client *c = support_client(httpbin.url, 2, 0);
    futurl_request *r = support_request("GET", "/delay/5");
    ck_assert_int_eq(futurl_request_set_timeout(r, 300), FUTURL_OK);
    double t0 = support_now();
    futurl_future *f = support_run(c, r);
    double took = support_now() - t0;
    ck_assert_int_eq(futurl_future_status(f), FUTURL_ETIMEDOUT);
    ck_assert_msg(took < 2.0 * support_slack(), "timeout took %.3f s", took);
    ck_assert_int_eq(futurl_future_curl_code(f), 28 /* CURLE_OPERATION_TIMEDOUT */);
    ck_assert_ptr_nonnull(futurl_future_response(f)); /* it ran: status 0 */
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 0);
    futurl_future_free(f);

    ck_assert_int_eq(futurl_get(c, "http://127.0.0.1:1/", &f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_ECONNECT);
    ck_assert_msg(strstr(futurl_future_errmsg(f), "127.0.0.1") != NULL, "message: %s",
                  futurl_future_errmsg(f));
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_json_errors) {
    futurl_client *c = support_client(httpbin.url, 1, 0);
    futurl_future *f = support_get_ok(c, "/html");
    const futurl_response *r = futurl_future_response(f);
    ck_assert_ptr_null(futurl_response_json(r));
    ck_assert_str_eq(futurl_response_json_error(r), "invalid JSON at byte 0");
    futurl_future_free(f);
    /* base64 of {"a":1}x: valid JSON, then garbage. */
    f = support_get_ok(c, "/base64/eyJhIjoxfXg=");
    r = futurl_future_response(f);
    ck_assert_ptr_null(futurl_response_json(r));
    ck_assert_str_eq(futurl_response_json_error(r), "invalid JSON at byte 7");
    futurl_future_free(f);
    /* {"a":1} with trailing whitespace is fine. */
    f = support_get_ok(c, "/base64/eyJhIjoxfSAK");
    ck_assert_ptr_nonnull(futurl_response_json(futurl_future_response(f)));
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_cancel_running) {
    futurl_client *c = support_client(httpbin.url, 2, 0);
    double silent = 0, flowing = 0;
    for (int i = 0; i < 3; i++) {
        double s = support_cancel_running(c, "/delay/10", 0.3 + 0.25 * i);
        double d = support_cancel_running(c, "/drip?duration=10&numbytes=1000&delay=0",
                                          0.3 + 0.25 * i);
        silent = s > silent ? s : silent;
        flowing = d > flowing ? d : flowing;
    }
    fprintf(stderr,
            "cancel latency (worst of 3): server silent %.3f s, data flowing %.3f s\n",
            silent, flowing);
    ck_assert_msg(silent < 1.5 * support_slack(), "silent cancel took %.3f s", silent);
    ck_assert_msg(flowing < 1.5 * support_slack(), "flowing cancel took %.3f s", flowing);
    /* The worker is fine afterwards. */
    futurl_future *f = support_get_ok(c, "/get");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_connection_reuse) {
    enum { N = 200, WORKERS = 8 };
    futurl_client *c = support_client(httpbin.url, WORKERS, 0);
    futurl_future **fs = calloc(N, sizeof *fs);
    ck_assert_ptr_nonnull(fs);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(futurl_get(c, i % 2 ? "/get" : "/uuid", &fs[i]), FUTURL_OK);
    futurl_gather_counts counts;
    ck_assert_int_eq(futurl_gather(fs, N, 30000, 0, &counts), FUTURL_OK);
    ck_assert_uint_eq(counts.ok, N);
    long connections = 0;
    for (int i = 0; i < N; i++) {
        const futurl_response *r = futurl_future_response(fs[i]);
        ck_assert_int_eq(futurl_response_status(r), 200);
        connections += futurl_response_new_connections(r);
        futurl_future_free(fs[i]);
    }
    free(fs);
    fprintf(stderr, "%d GETs through %d workers: %ld new connections\n", N, WORKERS,
            connections);
    ck_assert_int_ge(connections, 1);
    ck_assert_int_le(connections, WORKERS + 2);
    futurl_client_destroy(c);
}
END_TEST

/* The executor is there for the caller's own jobs beside HTTP. */
static futurl_status job_answer(futurl_job *job, void *arg, void **result) {
    (void)job;
    *result = arg;
    return FUTURL_OK;
}

START_TEST(test_own_jobs_beside_http) {
    futurl_client *c = support_client(httpbin.url, 2, 0);
    futurl_future *fs[2];
    ck_assert_int_eq(futurl_get(c, "/get", &fs[0]), FUTURL_OK);
    ck_assert_int_eq(futurl_executor_submit(futurl_client_executor(c), job_answer,
                                            (void *)42, NULL, NULL, &fs[1]),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_gather(fs, 2, 10000, 0, NULL), FUTURL_OK);
    ck_assert_ptr_nonnull(futurl_future_response(fs[0]));
    ck_assert_ptr_null(futurl_future_response(fs[1])); /* not an HTTP future */
    ck_assert_ptr_eq(futurl_future_result(fs[1]), (void *)42);
    ck_assert_int_eq(futurl_future_curl_code(fs[1]), 0);
    futurl_future_free(fs[0]);
    futurl_future_free(fs[1]);
    /* Submit steals the request also when it fails. */
    futurl_request *r = support_request("GET", "/get");
    futurl_future *f = (futurl_future *)1;
    ck_assert_int_eq(futurl_client_submit(NULL, r, &f), FUTURL_EINVAL);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(futurl_client_shutdown(c, FUTURL_DRAIN), FUTURL_OK);
    r = support_request("GET", "/get");
    ck_assert_int_eq(futurl_client_submit(c, r, &f), FUTURL_ESHUTDOWN);
    futurl_client_destroy(c);
}
END_TEST

/* ------------------------------------------------------------------ suite */

static Suite *client_suite(void) {
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("httpbin");
    tcase_add_unchecked_fixture(tc, start_httpbin, stop_httpbin);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_get_json);
    tcase_add_test(tc, test_post_json_roundtrip);
    tcase_add_test(tc, test_methods);
    tcase_add_test(tc, test_params);
    tcase_add_test(tc, test_headers);
    tcase_add_test(tc, test_schemes);
    tcase_add_test(tc, test_status_and_raise);
    tcase_add_test(tc, test_redirects);
    tcase_add_test(tc, test_decompress);
    tcase_add_test(tc, test_auth);
    tcase_add_test(tc, test_cookie_jar_across_workers);
    tcase_add_test(tc, test_size_cap_and_streaming);
    tcase_add_test(tc, test_response_slabs);
    tcase_add_test(tc, test_body_pool);
    tcase_add_test(tc, test_timeout_and_connect_errors);
    tcase_add_test(tc, test_json_errors);
    tcase_add_test(tc, test_cancel_running);
    tcase_add_test(tc, test_connection_reuse);
    tcase_add_test(tc, test_own_jobs_beside_http);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(client_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
