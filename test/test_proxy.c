/*
 * test/test_proxy.c — proxy options: proxy_username/proxy_password reach
 * the proxy (test/proxy_server.py records Proxy-Authorization) and never
 * the origin (httpbin echoes the headers it got), for plain HTTP
 * (absolute-form) and HTTPS (CONNECT, then TLS to the origin inside the
 * tunnel); a 407 without them; no_proxy sends a host direct, joined with
 * the environment's no_proxy; an https:// proxy verified with
 * proxy_ca_file; bad options. Every server is on 127.0.0.1.
 */
#include "support.h"

#include "futurl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define USER  "ada"
#define PASS  "s3cret:x"
#define BASIC "Basic YWRhOnMzY3JldDp4" /* base64("ada:s3cret:x") */

static support_server httpbin, tls;

typedef struct proxy {
    pid_t pid;
    int port;
    char url[64];
} proxy;
static proxy plain_proxy, tls_proxy;

/* Start test/proxy_server.py with extra arguments; bounded wait for its
 * "port N" line. */
static void proxy_start(proxy *p, const char *scheme, const char *const *extra) {
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    fflush(NULL);
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        const char *argv[12] = {"python3", FUTURL_SRCDIR "/test/proxy_server.py",
                                "--port", "0"};
        size_t n = 4;
        for (size_t i = 0; extra[i] != NULL && n < 11; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execv("/usr/bin/python3", (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    char buf[64];
    p->port = support_read_port_line(pfd[0], buf, sizeof buf);
    close(pfd[0]);
    ck_assert_msg(p->port > 0, "proxy did not start: \"%s\"", buf);
    snprintf(p->url, sizeof p->url, "%s://%s:%d", scheme,
             strcmp(scheme, "https") == 0 ? "localhost" : "127.0.0.1", p->port);
}

static void proxy_stop(proxy *p) {
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGTERM);
    int status;
    double deadline = support_now() + 10;
    while (waitpid(p->pid, &status, WNOHANG) == 0) {
        if (support_now() > deadline) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            break;
        }
        support_sleep_ms(20);
    }
    p->pid = 0;
}

static void start_servers(void) {
    ck_assert_msg(support_httpbin_start(&httpbin) == 0, "httpbin did not start");
    ck_assert_msg(support_httpbin_tls_start(&tls) == 0, "TLS httpbin did not start");
    const char *const auth[] = {"--user", USER ":" PASS, NULL};
    proxy_start(&plain_proxy, "http", auth);
    char cert[320], key[320];
    snprintf(cert, sizeof cert, "%s/server.pem", tls.dir);
    snprintf(key, sizeof key, "%s/server.key", tls.dir);
    const char *const tls_args[] = {"--user", USER ":" PASS, "--tls", cert, key, NULL};
    proxy_start(&tls_proxy, "https", tls_args);
}

static void stop_servers(void) {
    proxy_stop(&plain_proxy);
    proxy_stop(&tls_proxy);
    support_server_stop(&httpbin);
    support_server_stop(&tls);
}

/* ---------------------------------------------------------------- helpers */

/* Options for a client through p (NULL: no proxy), trusting the TLS
 * httpbin's CA, with the credentials when creds is set. */
static void proxy_options(futurl_client_options *o, const proxy *p, int creds) {
    support_client_options(o, NULL, 2, 1);
    o->proxy = p != NULL ? p->url : NULL;
    o->ca_file = tls.ca_file;
    if (creds) {
        o->proxy_username = USER;
        o->proxy_password = PASS;
    }
}

/* What the proxy p recorded since its last reset (a JSON array, new);
 * asked of it directly, with an origin-form request. */
static cJSON *proxy_log(const proxy *p, int reset) {
    futurl_client_options o;
    support_client_options(&o, NULL, 1, 1);
    o.ca_file = tls.ca_file;
    futurl_client *c = support_client_opts(&o, NULL);
    char url[128];
    snprintf(url, sizeof url, "%s/%s", p->url, reset ? "_reset" : "_log");
    futurl_future *f = support_get_ok(c, url);
    cJSON *copy = cJSON_Duplicate(support_json(f), 1);
    futurl_future_free(f);
    futurl_client_destroy(c);
    return copy;
}

static void proxy_reset(const proxy *p) {
    cJSON_Delete(proxy_log(p, 1));
}

/* The proxy's only record: its method, target and Proxy-Authorization. */
static void assert_one_record(cJSON *log, const char *method, const char *target_prefix,
                              const char *auth) {
    ck_assert_msg(cJSON_GetArraySize(log) == 1, "proxy log has %d records, want 1",
                  cJSON_GetArraySize(log));
    const cJSON *rec = cJSON_GetArrayItem(log, 0);
    support_assert_str_or_null(support_json_str(rec, "method", NULL), method);
    const char *target = support_json_str(rec, "target", NULL);
    ck_assert_msg(
        target != NULL && strncmp(target, target_prefix, strlen(target_prefix)) == 0,
        "target \"%s\", want \"%s...\"", target ? target : "(null)", target_prefix);
    support_assert_str_or_null(support_json_str(rec, "proxy_authorization", NULL), auth);
}

/* GET url on c: it must end FUTURL_OK with HTTP 200, and the origin (an
 * httpbin /headers) must have seen no Proxy-Authorization. */
static void get_origin_clean(futurl_client *c, const char *url) {
    futurl_future *f = support_get_ok(c, url);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 200);
    const cJSON *j = support_json(f);
    support_assert_str_or_null(support_json_str(j, "headers", "Proxy-Authorization"),
                               NULL);
    ck_assert_msg(support_json_str(j, "headers", "Host") != NULL, "no headers echoed");
    futurl_future_free(f);
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_http_credentials_reach_the_proxy_only) {
    futurl_client_options o;
    proxy_options(&o, &plain_proxy, 1);
    futurl_client *c = support_client_opts(&o, NULL);
    char url[160];
    snprintf(url, sizeof url, "%s/headers", httpbin.url);
    for (int i = 0; i < 3; i++) {
        proxy_reset(&plain_proxy);
        get_origin_clean(c, url);
        cJSON *log = proxy_log(&plain_proxy, 0);
        assert_one_record(log, "GET", url, BASIC);
        cJSON_Delete(log);
    }
    /* A request's own headers never carry them either. */
    futurl_request *r = support_request("GET", url);
    ck_assert_int_eq(futurl_request_set_header(r, "X-Probe", "1"), FUTURL_OK);
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_OK);
    support_assert_str_or_null(
        support_json_str(support_json(f), "headers", "Proxy-Authorization"), NULL);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_without_credentials_407) {
    futurl_client_options o;
    proxy_options(&o, &plain_proxy, 0);
    futurl_client *c = support_client_opts(&o, NULL);
    char url[160];
    snprintf(url, sizeof url, "%s/headers", httpbin.url);
    proxy_reset(&plain_proxy);
    futurl_future *f = support_get_ok(c, url);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 407);
    futurl_future_free(f);
    cJSON *log = proxy_log(&plain_proxy, 0);
    assert_one_record(log, "GET", url, NULL);
    cJSON_Delete(log);
    futurl_client_destroy(c);

    /* Wrong ones: 407 too, and the proxy saw what was sent. */
    proxy_options(&o, &plain_proxy, 1);
    o.proxy_password = "wrong";
    c = support_client_opts(&o, NULL);
    proxy_reset(&plain_proxy);
    f = support_get_ok(c, url);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 407);
    futurl_future_free(f);
    log = proxy_log(&plain_proxy, 0);
    assert_one_record(log, "GET", url, "Basic YWRhOndyb25n"); /* ada:wrong */
    cJSON_Delete(log);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_https_goes_through_connect) {
    futurl_client_options o;
    proxy_options(&o, &plain_proxy, 1);
    futurl_client *c = support_client_opts(&o, NULL);
    char url[160], target[64];
    snprintf(url, sizeof url, "%s/headers", tls.url);
    snprintf(target, sizeof target, "localhost:%d", tls.port);
    proxy_reset(&plain_proxy);
    get_origin_clean(c, url); /* TLS to the origin inside the tunnel */
    cJSON *log = proxy_log(&plain_proxy, 0);
    assert_one_record(log, "CONNECT", target, BASIC);
    cJSON_Delete(log);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_no_proxy_goes_direct) {
    futurl_client_options o;
    char url[160], tls_url[160];
    snprintf(url, sizeof url, "%s/headers", httpbin.url);
    snprintf(tls_url, sizeof tls_url, "%s/headers", tls.url);

    /* The option alone. */
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    proxy_options(&o, &plain_proxy, 1);
    o.no_proxy = "127.0.0.1";
    futurl_client *c = support_client_opts(&o, NULL);
    proxy_reset(&plain_proxy);
    get_origin_clean(c, url);     /* direct */
    get_origin_clean(c, tls_url); /* localhost: proxied */
    cJSON *log = proxy_log(&plain_proxy, 0);
    char target[64];
    snprintf(target, sizeof target, "localhost:%d", tls.port);
    assert_one_record(log, "CONNECT", target, BASIC);
    cJSON_Delete(log);
    futurl_client_destroy(c);

    /* With the environment's list: both count (libcurl alone would read
     * only the option). */
    ck_assert_int_eq(setenv("no_proxy", "localhost", 1), 0);
    proxy_options(&o, &plain_proxy, 1);
    o.no_proxy = "127.0.0.1";
    c = support_client_opts(&o, NULL);
    proxy_reset(&plain_proxy);
    get_origin_clean(c, url);
    get_origin_clean(c, tls_url);
    log = proxy_log(&plain_proxy, 0);
    ck_assert_msg(cJSON_GetArraySize(log) == 0, "proxy log has %d records, want 0",
                  cJSON_GetArraySize(log));
    cJSON_Delete(log);
    futurl_client_destroy(c);

    /* The environment's list alone still works with no option. */
    proxy_options(&o, &plain_proxy, 1);
    c = support_client_opts(&o, NULL);
    proxy_reset(&plain_proxy);
    get_origin_clean(c, tls_url); /* localhost: direct */
    get_origin_clean(c, url);     /* 127.0.0.1: proxied */
    log = proxy_log(&plain_proxy, 0);
    assert_one_record(log, "GET", url, BASIC);
    cJSON_Delete(log);
    futurl_client_destroy(c);
    unsetenv("no_proxy");
}
END_TEST

START_TEST(test_https_proxy_with_proxy_ca_file) {
    futurl_client_options o;
    char url[160];
    snprintf(url, sizeof url, "%s/headers", httpbin.url);

    /* Without its CA the proxy's certificate is not trusted. */
    proxy_options(&o, &tls_proxy, 1);
    futurl_client *c = support_client_opts(&o, NULL);
    futurl_future *f = support_get(c, url);
    support_assert_status(f, FUTURL_ETLS);
    futurl_future_free(f);
    futurl_client_destroy(c);

    proxy_options(&o, &tls_proxy, 1);
    o.proxy_ca_file = tls.ca_file;
    c = support_client_opts(&o, NULL);
    proxy_reset(&tls_proxy);
    get_origin_clean(c, url);
    cJSON *log = proxy_log(&tls_proxy, 0);
    assert_one_record(log, "GET", url, BASIC);
    cJSON_Delete(log);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_bad_options) {
    futurl_client_options o;
    futurl_client *c = NULL;
    support_client_options(&o, NULL, 1, 1);
    o.proxy_password = "p"; /* without a user name */
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EINVAL);
    ck_assert_ptr_null(c);

    const char *bad[] = {"a\r\nX-Injected: 1", "a\tb", "a\x7f"};
    for (size_t i = 0; i < 3; i++) {
        for (int field = 0; field < 4; field++) {
            support_client_options(&o, NULL, 1, 1);
            const char **slot[] = {&o.proxy_username, &o.proxy_password, &o.proxy_ca_file,
                                   &o.no_proxy};
            o.proxy_username = "u";
            *slot[field] = bad[i];
            ck_assert_msg(futurl_client_create(&o, &c) == FUTURL_EINVAL,
                          "field %d value %zu accepted", field, i);
            ck_assert_ptr_null(c);
        }
    }
    char *big = malloc(FUTURL_MAX_OPTION_LENGTH + 2);
    ck_assert_ptr_nonnull(big);
    memset(big, 'a', FUTURL_MAX_OPTION_LENGTH + 1);
    big[FUTURL_MAX_OPTION_LENGTH + 1] = '\0';
    support_client_options(&o, NULL, 1, 1);
    o.no_proxy = big;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EINVAL);
    big[FUTURL_MAX_OPTION_LENGTH] = '\0'; /* at the limit: accepted */
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_OK);
    futurl_client_destroy(c);
    free(big);
}
END_TEST

static Suite *proxy_suite(void) {
    Suite *s = suite_create("proxy");
    TCase *tc = tcase_create("loopback");
    tcase_add_unchecked_fixture(tc, start_servers, stop_servers);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_http_credentials_reach_the_proxy_only);
    tcase_add_test(tc, test_without_credentials_407);
    tcase_add_test(tc, test_https_goes_through_connect);
    tcase_add_test(tc, test_no_proxy_goes_direct);
    tcase_add_test(tc, test_https_proxy_with_proxy_ca_file);
    tcase_add_test(tc, test_bad_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    /* The environment's proxies would change what these tests prove. */
    const char *const vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                "ALL_PROXY",  "no_proxy",    "NO_PROXY"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    SRunner *sr = srunner_create(proxy_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
