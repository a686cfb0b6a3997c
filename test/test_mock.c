/*
 * test/test_mock.c — the mock transport (client option `mock`) and its
 * router. Three parts:
 *   1. the same retry and limit tests run over both transports (the loop
 *      index picks one): the project's fault server on loopback, and the
 *      mock with a function that plays the same endpoints (fake_server);
 *      each must give the same outcome, attempt counts and timing;
 *   2. everything above the wire over the mock: what the function sees,
 *      cookies, redirects (each hop a call), the size cap, JSON, stats,
 *      events, callbacks, transport failures, https refused, cancel and
 *      deadlines during a mocked delay, and a stress run with random
 *      cancels where every future completes exactly once;
 *   3. the router and bad input.
 */
#include "support.h"

#include "futurl.h"
#include "mock.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------ the fake server (mock) */

/* Per-path bookkeeping, as the fault server keeps it: requests seen and
 * the peak of those in progress at once. */
#define MAX_PATHS 32
static struct {
    pthread_mutex_t lock;
    char path[MAX_PATHS][64];
    long attempts[MAX_PATHS], inflight[MAX_PATHS], peak[MAX_PATHS];
    int n;
} book = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int book_slot(const char *path) {
    for (int i = 0; i < book.n; i++)
        if (strcmp(book.path[i], path) == 0)
            return i;
    ck_assert_int_lt(book.n, MAX_PATHS);
    snprintf(book.path[book.n], sizeof book.path[0], "%s", path);
    book.attempts[book.n] = book.inflight[book.n] = book.peak[book.n] = 0;
    return book.n++;
}

/* Count a request on path; returns which attempt it is (1, 2, …). */
static long book_begin(const char *path) {
    pthread_mutex_lock(&book.lock);
    int i = book_slot(path);
    long n = ++book.attempts[i];
    if (++book.inflight[i] > book.peak[i])
        book.peak[i] = book.inflight[i];
    pthread_mutex_unlock(&book.lock);
    return n;
}

static void book_end(const char *path) {
    pthread_mutex_lock(&book.lock);
    book.inflight[book_slot(path)]--;
    pthread_mutex_unlock(&book.lock);
}

static long book_get(const char *path, int peak) {
    pthread_mutex_lock(&book.lock);
    long v = 0;
    for (int i = 0; i < book.n; i++)
        if (strcmp(book.path[i], path) == 0)
            v = peak ? book.peak[i] : book.attempts[i];
    pthread_mutex_unlock(&book.lock);
    return v;
}

static void book_reset(void) {
    pthread_mutex_lock(&book.lock);
    book.n = 0;
    pthread_mutex_unlock(&book.lock);
}

/* The path of an absolute URL, without its query, into buf. */
static void url_path(const char *url, char *buf, size_t size) {
    const char *p = strstr(url, "://");
    p = p != NULL ? strchr(p + 3, '/') : NULL;
    if (p == NULL)
        p = "/";
    size_t n = strcspn(p, "?");
    snprintf(buf, size, "%.*s", (int)n, p);
}

/* Query argument name of url, or NULL; into buf. */
static const char *url_arg(const char *url, const char *name, char *buf, size_t size) {
    const char *q = strchr(url, '?');
    size_t len = strlen(name);
    while (q != NULL) {
        q++;
        if (strncmp(q, name, len) == 0 && q[len] == '=') {
            size_t n = strcspn(q + len + 1, "&");
            snprintf(buf, size, "%.*s", (int)n, q + len + 1);
            return buf;
        }
        q = strchr(q, '&');
    }
    return NULL;
}

static long url_int(const char *url, const char *name, long def) {
    char buf[32];
    return url_arg(url, name, buf, sizeof buf) ? strtol(buf, NULL, 10) : def;
}

static void answer_json(futurl_mock_response *resp, long status, const char *json) {
    ck_assert_int_eq(futurl_mock_response_set_status(resp, status), FUTURL_OK);
    ck_assert_int_eq(
        futurl_mock_response_add_header(resp, "Content-Type", "application/json"),
        FUTURL_OK);
    ck_assert_int_eq(futurl_mock_response_set_body(resp, json, strlen(json)), FUTURL_OK);
}

/* The fault server's endpoints that the shared tests use, and a few more
 * for part 2. Runs on the mock's serving threads, several at once. */
static void fake_server(const futurl_mock_request *req, futurl_mock_response *resp,
                        void *userdata) {
    (void)userdata;
    const char *url = futurl_mock_request_url(req);
    char path[64], buf[128], json[512];
    url_path(url, path, sizeof path);
    long attempt = book_begin(path);
    if (strcmp(path, "/ok") == 0 || strcmp(path, "/slot") == 0) {
        long delay = url_int(url, "delay_ms", 0);
        if (delay > 0)
            support_sleep_ms(delay); /* in the "server": counted in flight */
        snprintf(json, sizeof json, "{\"ok\":true,\"attempt\":%ld}", attempt);
        answer_json(resp, 200, json);
    } else if (strcmp(path, "/flaky") == 0 || strcmp(path, "/429") == 0) {
        int is429 = strcmp(path, "/429") == 0;
        long fail = is429 ? 1L << 30 : url_int(url, "fail", 1);
        long status = is429 ? 429 : url_int(url, "status", 503);
        if (attempt <= fail) {
            snprintf(json, sizeof json, "{\"status\":%ld,\"attempt\":%ld}", status,
                     attempt);
            answer_json(resp, status, json);
            if (url_arg(url, "retry_after", buf, sizeof buf) != NULL)
                ck_assert_int_eq(
                    futurl_mock_response_add_header(resp, "Retry-After", buf), FUTURL_OK);
        } else {
            snprintf(json, sizeof json, "{\"attempt\":%ld}", attempt);
            answer_json(resp, 200, json);
        }
    } else if (strcmp(path, "/stall") == 0) {
        (void)futurl_mock_response_set_delay(resp, 60000);
    } else if (strcmp(path, "/reset") == 0) {
        (void)futurl_mock_response_set_error(resp, FUTURL_MOCK_RESET);
    } else if (strcmp(path, "/empty") == 0) {
        (void)futurl_mock_response_set_error(resp, FUTURL_MOCK_EMPTY);
    } else if (strcmp(path, "/partial") == 0) {
        (void)futurl_mock_response_set_body(resp, "0123456789", 10);
        (void)futurl_mock_response_set_error(resp, FUTURL_MOCK_PARTIAL);
    } else if (strcmp(path, "/redirect") == 0) {
        const char *to = url_arg(url, "to", buf, sizeof buf);
        answer_json(resp, url_int(url, "code", 302), "{}");
        ck_assert_int_eq(
            futurl_mock_response_add_header(resp, "Location", to ? to : "/ok"),
            FUTURL_OK);
    } else if (strcmp(path, "/redirect_loop") == 0) {
        answer_json(resp, 302, "{}");
        (void)futurl_mock_response_add_header(resp, "Location", "/redirect_loop");
    } else if (strcmp(path, "/set_cookie") == 0) {
        answer_json(resp, 200, "{}");
        ck_assert_int_eq(
            futurl_mock_response_add_header(resp, "Set-Cookie", "sid=abc123; Path=/"),
            FUTURL_OK);
    } else if (strcmp(path, "/big") == 0) {
        size_t n = (size_t)url_int(url, "bytes", 1000);
        char *body = malloc(n);
        ck_assert_ptr_nonnull(body);
        memset(body, 'b', n);
        ck_assert_int_eq(futurl_mock_response_set_body(resp, body, n), FUTURL_OK);
        free(body);
    } else if (strcmp(path, "/nocontent") == 0) {
        ck_assert_int_eq(futurl_mock_response_set_status(resp, 204), FUTURL_OK);
    } else { /* /echo and anything else: what arrived, as JSON */
        size_t len;
        const char *body = futurl_mock_request_body(req, &len);
        cJSON *j = cJSON_CreateObject();
        const char *cookie = futurl_mock_request_header(req, "Cookie");
        const char *ua = futurl_mock_request_header(req, "user-agent");
        const char *x = futurl_mock_request_header(req, "X-Test");
        const char *ct = futurl_mock_request_header(req, "Content-Type");
        const char *te = futurl_mock_request_header(req, "Transfer-Encoding");
        cJSON_AddStringToObject(j, "method", futurl_mock_request_method(req));
        cJSON_AddStringToObject(j, "url", url);
        cJSON_AddStringToObject(j, "cookie", cookie ? cookie : "");
        cJSON_AddStringToObject(j, "ua", ua ? ua : "");
        cJSON_AddStringToObject(j, "x_test", x ? x : "");
        cJSON_AddStringToObject(j, "content_type", ct ? ct : "");
        cJSON_AddStringToObject(j, "te", te ? te : "");
        cJSON_AddStringToObject(j, "body", body);
        cJSON_AddNumberToObject(j, "body_len", (double)len);
        cJSON_AddNumberToObject(j, "attempt", (double)attempt);
        char *text = cJSON_PrintUnformatted(j);
        answer_json(resp, 200, text);
        cJSON_free(text);
        cJSON_Delete(j);
    }
    book_end(path);
}

/* ------------------------------------------------------------ transports */

static support_server fault;
static int fault_up;

static void start_fault(void) {
    fault_up = support_fault_start(&fault) == 0;
    ck_assert_msg(fault_up, "fault server did not start");
}

static void stop_fault(void) {
    support_server_stop(&fault);
}

enum { OVER_FAULT_SERVER, OVER_MOCK, N_TRANSPORTS };

static const char *transport_name(int t) {
    return t == OVER_MOCK ? "mock" : "fault server";
}

/* A client over transport t (base URL set), from o. */
static futurl_client *client_over(int t, futurl_client_options *o) {
    if (t == OVER_MOCK) {
        o->base_url = "http://api.test";
        o->mock = fake_server;
        book_reset();
    } else {
        o->base_url = fault.url;
        support_fault_reset(&fault);
    }
    futurl_client *c = NULL;
    futurl_status st = futurl_client_create(o, &c);
    ck_assert_msg(st == FUTURL_OK, "create over %s: %s", transport_name(t),
                  futurl_err_name(st));
    return c;
}

static long attempts_seen(int t, const char *path) {
    return t == OVER_MOCK ? book_get(path, 0) : support_fault_attempts(&fault, path);
}

static long peak_seen(int t, const char *path) {
    return t == OVER_MOCK ? book_get(path, 1) : support_fault_peak(&fault, path);
}

/* The same server under another host key. */
static void other_host(int t, char *buf, size_t size, const char *path) {
    if (t == OVER_MOCK)
        snprintf(buf, size, "http://other.test%s", path);
    else
        snprintf(buf, size, "http://localhost:%d%s", fault.port, path);
}

/* ----------------------------------------------------------------- helpers */

static void opts(futurl_client_options *o, unsigned workers, unsigned attempts,
                 long base_ms, long max_ms) {
    futurl_client_options_init(o);
    o->workers = workers;
    o->retry.max_attempts = attempts;
    o->retry.base_delay_ms = base_ms;
    o->retry.max_delay_ms = max_ms;
}

typedef struct tracked {
    futurl_future *f;
    atomic_int calls;
    _Atomic double done_at;
} tracked;

static void count_done(futurl_future *f, void *userdata) {
    tracked *t = userdata;
    (void)f;
    atomic_store(&t->done_at, support_now());
    atomic_fetch_add(&t->calls, 1);
}

static void submit(futurl_client *c, const char *method, const char *url, tracked *t) {
    futurl_request *r = support_request(method, url);
    atomic_init(&t->calls, 0);
    atomic_init(&t->done_at, 0.0);
    ck_assert_int_eq(futurl_client_submit(c, r, &t->f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_on_done(t->f, count_done, t), FUTURL_OK);
}

/* Wait for each, which must have completed exactly once. */
static void wait_all(tracked *ts, size_t n) {
    for (size_t i = 0; i < n; i++) {
        (void)futurl_future_wait_for(ts[i].f, (long)(30000 * support_slack()));
        ck_assert_msg(futurl_future_done(ts[i].f), "future %zu never finished", i);
        (void)futurl_future_wait(ts[i].f);
        int calls = atomic_load(&ts[i].calls);
        ck_assert_msg(calls == 1, "future %zu: done-callback ran %d times, want 1", i,
                      calls);
    }
}

static void free_all(tracked *ts, size_t n) {
    for (size_t i = 0; i < n; i++)
        futurl_future_free(ts[i].f);
}

static unsigned attempts_of(futurl_future *f) {
    const futurl_response *r = futurl_future_response(f);
    ck_assert_msg(r != NULL, "no response (%s)",
                  futurl_err_name(futurl_future_status(f)));
    return futurl_response_attempts(r);
}

#define assert_attempts(t, f, want, path)                                                \
    do {                                                                                 \
        unsigned got_ = attempts_of(f);                                                  \
        long seen_ = attempts_seen((t), (path));                                         \
        ck_assert_msg(got_ == (unsigned)(want) && seen_ == (long)(want),                 \
                      "over %s: %u attempt(s), server saw %ld, want %d",                 \
                      transport_name(t), got_, seen_, (int)(want));                      \
    } while (0)

/* ====================================== 1. the same tests, both transports */

START_TEST(shared_503_then_200) {
    futurl_client_options o;
    opts(&o, 2, 3, 10, 100);
    futurl_client *c = client_over(_i, &o);
    futurl_future *f = support_get(c, "/flaky?fail=2");
    support_assert_status(f, FUTURL_OK);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 200);
    assert_attempts(_i, f, 3, "/flaky");
    const char *why = futurl_response_retry_reason(futurl_future_response(f), 0);
    ck_assert_msg(why != NULL && strstr(why, "attempt 1: HTTP 503") != NULL,
                  "over %s: retry reason \"%s\"", transport_name(_i),
                  why ? why : "(none)");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(shared_retries_exhausted) {
    futurl_client_options o;
    opts(&o, 2, 4, 5, 50);
    futurl_client *c = client_over(_i, &o);
    futurl_future *f = support_get(c, "/flaky?fail=100&status=502");
    support_assert_status(f, FUTURL_OK); /* a status is not an error by default */
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 502);
    assert_attempts(_i, f, 4, "/flaky");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(shared_retry_after_honoured) {
    futurl_client_options o;
    opts(&o, 1, 2, 50, 5000);
    futurl_client *c = client_over(_i, &o);
    double t0 = support_now();
    futurl_future *f = support_get(c, "/429?retry_after=1");
    double dt = support_now() - t0;
    support_assert_status(f, FUTURL_OK);
    assert_attempts(_i, f, 2, "/429");
    const char *why = futurl_response_retry_reason(futurl_future_response(f), 0);
    ck_assert_msg(why != NULL && strstr(why, "HTTP 429, Retry-After 1000 ms") != NULL,
                  "over %s: retry reason \"%s\"", transport_name(_i),
                  why ? why : "(none)");
    ck_assert_msg(dt >= 0.95 && dt < 1.8 * support_slack(),
                  "over %s: took %.3f s, want 1 s", transport_name(_i), dt);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(shared_reset_is_retried) {
    futurl_client_options o;
    opts(&o, 1, 3, 5, 50);
    futurl_client *c = client_over(_i, &o);
    futurl_future *f = support_get(c, "/reset");
    support_assert_status(f, FUTURL_ENETWORK);
    assert_attempts(_i, f, 3, "/reset");
    ck_assert_msg(strstr(futurl_future_errmsg(f), "reset") != NULL, "over %s: \"%s\"",
                  transport_name(_i), futurl_future_errmsg(f));
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(shared_hold_after_429) {
    futurl_client_options o;
    opts(&o, 4, 1, 10, 10000);
    futurl_client *c = client_over(_i, &o);
    futurl_future *f429 = support_get(c, "/429?retry_after=1");
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f429)), 429);
    double t_429 = support_now();
    enum { N = 3 };
    tracked same[N], other[N];
    char url[128];
    other_host(_i, url, sizeof url, "/echo");
    for (int i = 0; i < N; i++) {
        submit(c, "GET", "/ok", &same[i]);
        submit(c, "GET", url, &other[i]);
    }
    wait_all(other, N);
    wait_all(same, N);
    for (int i = 0; i < N; i++) {
        support_assert_status(same[i].f, FUTURL_OK);
        support_assert_status(other[i].f, FUTURL_OK);
        double a = atomic_load(&other[i].done_at) - t_429;
        double b = atomic_load(&same[i].done_at) - t_429;
        ck_assert_msg(a < 0.7 * support_slack(), "over %s: other host done at +%.3f s",
                      transport_name(_i), a);
        ck_assert_msg(b >= 0.85, "over %s: held host done at +%.3f s, inside the hold",
                      transport_name(_i), b);
    }
    ck_assert_int_eq(attempts_seen(_i, "/429"), 1);
    ck_assert_int_eq(attempts_seen(_i, "/ok"), N);
    futurl_future_free(f429);
    free_all(same, N);
    free_all(other, N);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(shared_max_per_host) {
    enum { N = 9, LIMIT = 3 };
    futurl_client_options o;
    opts(&o, 6, 1, 10, 100);
    o.max_per_host = LIMIT;
    futurl_client *c = client_over(_i, &o);
    tracked ts[N];
    double t0 = support_now();
    for (int i = 0; i < N; i++)
        submit(c, "GET", "/slot?delay_ms=150", &ts[i]);
    wait_all(ts, N);
    double dt = support_now() - t0;
    for (int i = 0; i < N; i++)
        support_assert_status(ts[i].f, FUTURL_OK);
    long peak = peak_seen(_i, "/slot");
    ck_assert_msg(peak == LIMIT, "over %s: server peak %ld, want %d", transport_name(_i),
                  peak, LIMIT);
    ck_assert_int_eq(attempts_seen(_i, "/slot"), N);
    ck_assert_msg(dt >= 0.42 && dt < 2.5 * support_slack(),
                  "over %s: %d requests, %d at a time, took %.3f s", transport_name(_i),
                  N, LIMIT, dt);
    free_all(ts, N);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(shared_rate_limit) {
    enum { N = 10 };
    futurl_client_options o;
    opts(&o, 4, 1, 10, 100);
    o.rate_limit = 20.0;
    futurl_client *c = client_over(_i, &o);
    tracked ts[N];
    double t0 = support_now();
    for (int i = 0; i < N; i++)
        submit(c, "GET", "/ok", &ts[i]);
    wait_all(ts, N);
    double dt = support_now() - t0;
    double ideal = (N - 1) / 20.0;
    ck_assert_msg(dt >= ideal - 0.1 && dt < (ideal + 1.0) * support_slack(),
                  "over %s: %d requests at 20/s took %.3f s, ideal %.2f s",
                  transport_name(_i), N, dt, ideal);
    ck_assert_int_eq(attempts_seen(_i, "/ok"), N);
    free_all(ts, N);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(shared_deadline_during_attempt) {
    futurl_client_options o;
    opts(&o, 1, 3, 10, 100);
    o.deadline_ms = 300;
    futurl_client *c = client_over(_i, &o);
    double t0 = support_now();
    futurl_future *f = support_get(c, "/stall");
    double dt = support_now() - t0;
    support_assert_status(f, FUTURL_ETIMEDOUT);
    ck_assert_msg(dt >= 0.28 && dt < 1.0 * support_slack(),
                  "over %s: deadline of 300 ms ended it after %.3f s", transport_name(_i),
                  dt);
    ck_assert_int_eq(attempts_seen(_i, "/stall"), 1);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(shared_cancel_while_server_silent) {
    futurl_client_options o;
    opts(&o, 1, 1, 10, 100);
    futurl_client *c = client_over(_i, &o);
    double took = support_cancel_running(c, "/stall", 0.1);
    ck_assert_msg(took < 0.5 * support_slack(), "over %s: cancel took %.3f s",
                  transport_name(_i), took);
    /* The worker is free again at once. */
    futurl_future *f = support_get_ok(c, "/ok");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* ===================================== 2. above the wire, over the mock */

static futurl_client *mock_client(futurl_client_options *o) {
    return client_over(OVER_MOCK, o);
}

START_TEST(request_as_it_went_out) {
    futurl_client_options o;
    opts(&o, 2, 1, 10, 100);
    const char *headers[] = {"X-Test: from-client", NULL};
    o.headers = headers;
    futurl_client *c = mock_client(&o);
    futurl_request *r = support_request("POST", "/echo?a=1");
    ck_assert_int_eq(futurl_request_add_param(r, "b", "two words"), FUTURL_OK);
    ck_assert_int_eq(futurl_request_set_body(r, "hello body", 10, "text/plain"),
                     FUTURL_OK);
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_OK);
    const cJSON *j = support_json(f);
    support_assert_str_or_null(support_json_str(j, "method", NULL), "POST");
    support_assert_str_or_null(support_json_str(j, "url", NULL),
                               "http://api.test/echo?a=1&b=two%20words");
    support_assert_str_or_null(support_json_str(j, "x_test", NULL), "from-client");
    support_assert_str_or_null(support_json_str(j, "content_type", NULL), "text/plain");
    support_assert_str_or_null(support_json_str(j, "body", NULL), "hello body");
    ck_assert_int_eq(support_json_int(j, "body_len"), 10);
    ck_assert_ptr_nonnull(strstr(support_json_str(j, "ua", NULL), "futurl/"));
    futurl_future_free(f);

    /* A port in the URL reaches the function as it was written. */
    f = support_get_ok(c, "http://api.test:8443/echo");
    support_assert_str_or_null(support_json_str(support_json(f), "url", NULL),
                               "http://api.test:8443/echo");
    futurl_future_free(f);
    /* HEAD and 204: no body, the connection stays usable. */
    f = support_run(c, support_request("HEAD", "/echo"));
    support_assert_status(f, FUTURL_OK);
    ck_assert_uint_eq(futurl_response_bytes(futurl_future_response(f)), 0);
    futurl_future_free(f);
    f = support_get_ok(c, "/nocontent");
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 204);
    futurl_future_free(f);
    f = support_get_ok(c, "/echo");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* A streamed part of unknown size: libcurl sends the body chunked. */
static size_t read_stream(char *buf, size_t size, void *userdata) {
    size_t *left = userdata;
    size_t n = size < *left ? size : *left;
    if (n > 1000)
        n = 1000; /* many chunks */
    memset(buf, 'z', n);
    *left -= n;
    return n;
}

START_TEST(chunked_upload_arrives_whole) {
    futurl_client_options o;
    opts(&o, 1, 1, 10, 100);
    futurl_client *c = mock_client(&o);
    size_t left = 70000;
    futurl_request *r = support_request("POST", "/echo");
    ck_assert_int_eq(futurl_request_add_part_stream(r, "data", read_stream, -1, NULL,
                                                    &left, "z.bin", NULL),
                     FUTURL_OK);
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_OK);
    const cJSON *j = support_json(f);
    support_assert_str_or_null(support_json_str(j, "te", NULL), "chunked");
    ck_assert_int_gt(support_json_int(j, "body_len"), 70000);
    const char *body = support_json_str(j, "body", NULL);
    ck_assert_ptr_nonnull(body);
    ck_assert_ptr_nonnull(strstr(body, "zzzzzzzzzz"));
    ck_assert_ptr_nonnull(
        strstr(support_json_str(j, "content_type", NULL), "multipart/form-data"));
    ck_assert_uint_eq(left, 0);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(cookies_through_the_jar) {
    futurl_client_options o;
    opts(&o, 3, 1, 10, 100);
    futurl_client *c = mock_client(&o);
    futurl_future *f = support_get_ok(c, "/set_cookie");
    futurl_future_free(f);
    /* Every worker sends it back to that host; another host never. */
    for (int i = 0; i < 4; i++) {
        f = support_get_ok(c, "/echo");
        support_assert_str_or_null(support_json_str(support_json(f), "cookie", NULL),
                                   "sid=abc123");
        futurl_future_free(f);
    }
    f = support_get_ok(c, "http://other.test/echo");
    support_assert_str_or_null(support_json_str(support_json(f), "cookie", NULL), "");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(redirects_each_hop_a_call) {
    futurl_client_options o;
    opts(&o, 1, 1, 10, 100);
    futurl_client *c = mock_client(&o);
    futurl_future *f = support_get_ok(c, "/redirect?to=http://other.test/echo");
    const futurl_response *r = futurl_future_response(f);
    ck_assert_int_eq(futurl_response_redirects(r), 1);
    ck_assert_str_eq(futurl_response_url(r), "http://other.test/echo");
    support_assert_str_or_null(support_json_str(support_json(f), "url", NULL),
                               "http://other.test/echo");
    ck_assert_int_eq(book_get("/redirect", 0), 1);
    ck_assert_int_eq(book_get("/echo", 0), 1);
    futurl_future_free(f);

    /* A 303 turns a POST into a GET. */
    futurl_request *q = support_request("POST", "/redirect?code=303&to=/echo");
    ck_assert_int_eq(futurl_request_set_body(q, "x", 1, "text/plain"), FUTURL_OK);
    f = support_run(c, q);
    support_assert_status(f, FUTURL_OK);
    support_assert_str_or_null(support_json_str(support_json(f), "method", NULL), "GET");
    futurl_future_free(f);

    f = support_get(c, "/redirect_loop");
    support_assert_status(f, FUTURL_EREDIRECT);
    ck_assert_int_eq(book_get("/redirect_loop", 0), FUTURL_DEFAULT_MAX_REDIRECTS + 1);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(https_refused_with_a_message) {
    futurl_client_options o;
    opts(&o, 1, 1, 10, 100);
    futurl_client *c = mock_client(&o);
    futurl_future *f = support_get(c, "https://api.test/echo");
    support_assert_status(f, FUTURL_ESCHEME);
    ck_assert_msg(strstr(futurl_future_errmsg(f), "mock transport serves http://") !=
                      NULL,
                  "message \"%s\"", futurl_future_errmsg(f));
    futurl_future_free(f);
    /* Also where a redirect points. */
    f = support_get(c, "/redirect?to=https://api.test/echo");
    support_assert_status(f, FUTURL_ESCHEME);
    ck_assert_int_eq(book_get("/echo", 0), 0);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(size_cap_and_json) {
    futurl_client_options o;
    opts(&o, 1, 1, 10, 100);
    o.max_response_bytes = 1000;
    futurl_client *c = mock_client(&o);
    futurl_future *f = support_get(c, "/big?bytes=5000");
    support_assert_status(f, FUTURL_ETOOLARGE);
    futurl_future_free(f);
    f = support_get_ok(c, "/big?bytes=1000");
    ck_assert_uint_eq(futurl_response_bytes(futurl_future_response(f)), 1000);
    ck_assert_ptr_null(futurl_response_json(futurl_future_response(f)));
    futurl_future_free(f);
    f = support_get_ok(c, "/ok");
    ck_assert_int_eq(support_json_int(support_json(f), "attempt"), 1);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(transport_failures) {
    futurl_client_options o;
    opts(&o, 1, 1, 10, 100);
    futurl_client *c = mock_client(&o);
    static const struct {
        const char *path;
        const char *msg;
    } t[] = {{"/reset", "reset"}, {"/empty", "Empty reply"}, {"/partial", "remaining"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        futurl_future *f = support_get(c, t[i].path);
        support_assert_status(f, FUTURL_ENETWORK);
        ck_assert_msg(strstr(futurl_future_errmsg(f), t[i].msg) != NULL,
                      "%s: message \"%s\", want \"%s\"", t[i].path,
                      futurl_future_errmsg(f), t[i].msg);
        futurl_future_free(f);
    }
    futurl_future *f = support_get(c, "/partial");
    size_t len;
    ck_assert_str_eq(futurl_response_body(futurl_future_response(f), &len), "01234");
    futurl_future_free(f);
    f = support_get_ok(c, "/ok"); /* the worker's handle goes on */
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

static atomic_int events_attempts, events_finished;
static void on_event(const futurl_event *ev, void *userdata) {
    (void)userdata;
    if (ev->type == FUTURL_EVENT_ATTEMPT_START)
        atomic_fetch_add(&events_attempts, 1);
    if (ev->type == FUTURL_EVENT_FINISHED)
        atomic_fetch_add(&events_finished, 1);
}

START_TEST(stats_events_callbacks) {
    futurl_client_options o;
    opts(&o, 2, 3, 5, 50);
    o.on_event = on_event;
    atomic_store(&events_attempts, 0);
    atomic_store(&events_finished, 0);
    futurl_client *c = mock_client(&o);
    tracked t[3];
    submit(c, "GET", "/flaky?fail=1", &t[0]);
    submit(c, "GET", "/429?retry_after=0", &t[1]);
    submit(c, "GET", "/empty", &t[2]);
    wait_all(t, 3);
    support_assert_status(t[0].f, FUTURL_OK);
    support_assert_status(t[1].f, FUTURL_OK);
    support_assert_status(t[2].f, FUTURL_ENETWORK);
    futurl_client_stats s;
    ck_assert_int_eq(futurl_client_get_stats(c, &s), FUTURL_OK);
    ck_assert_uint_eq(s.submitted, 3);
    ck_assert_uint_eq(s.succeeded, 2);
    ck_assert_uint_eq(s.failed, 1);
    ck_assert_uint_eq(s.retries, 1 + 2 + 2);
    ck_assert_uint_eq(s.throttled, 3);
    ck_assert_uint_eq(s.in_flight, 0);
    ck_assert_int_eq(atomic_load(&events_attempts), 2 + 3 + 3);
    free_all(t, 3);
    futurl_client_destroy(c);
    ck_assert_int_eq(atomic_load(&events_finished), 3);
}
END_TEST

START_TEST(cancel_during_mocked_delay) {
    futurl_client_options o;
    opts(&o, 2, 1, 10, 100);
    futurl_client *c = mock_client(&o);
    for (int i = 0; i < 3; i++) {
        double took = support_cancel_running(c, "/stall", 0.05);
        ck_assert_msg(took < 0.3 * support_slack(), "cancel took %.3f s", took);
    }
    /* Destroy does not wait out the 60 s delays: each serving thread saw
     * its connection end. */
    double t0 = support_now();
    futurl_client_destroy(c);
    double dt = support_now() - t0;
    ck_assert_msg(dt < 1.0 * support_slack(), "destroy took %.3f s", dt);
}
END_TEST

START_TEST(destroy_with_requests_in_delay) {
    futurl_client_options o;
    opts(&o, 4, 1, 10, 100);
    futurl_client *c = mock_client(&o);
    tracked t[4];
    for (int i = 0; i < 4; i++)
        submit(c, "GET", "/stall", &t[i]);
    support_sleep_ms(100);
    double t0 = support_now();
    ck_assert_int_eq(futurl_client_shutdown(c, FUTURL_CANCEL_PENDING), FUTURL_OK);
    futurl_client_destroy(c);
    double dt = support_now() - t0;
    ck_assert_msg(dt < 2.0 * support_slack(), "shutdown took %.3f s", dt);
    wait_all(t, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(futurl_future_state(t[i].f), FUTURL_CANCELLED);
    free_all(t, 4);
}
END_TEST

/* Many requests, random delays, random cancels: every future completes
 * exactly once, and every one not cancelled succeeds. */
START_TEST(stress_random_cancels) {
    const size_t n = support_under_valgrind() ? 40 : 300;
    futurl_client_options o;
    opts(&o, 8, 2, 5, 20);
    futurl_client *c = mock_client(&o);
    tracked *ts = calloc(n, sizeof *ts);
    ck_assert_ptr_nonnull(ts);
    uint64_t rng = 12345;
    for (size_t i = 0; i < n; i++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        char url[64];
        switch ((rng >> 33) % 4) {
        case 0:
            snprintf(url, sizeof url, "/stall");
            break;
        case 1:
            snprintf(url, sizeof url, "/flaky?fail=1");
            break;
        default:
            snprintf(url, sizeof url, "/ok?delay_ms=%d", (int)((rng >> 40) % 10));
            break;
        }
        submit(c, "GET", url, &ts[i]);
        if ((rng >> 20) % 3 == 0 && i >= 3)
            (void)futurl_future_cancel(ts[i - 3].f);
    }
    /* Whatever still runs (the stalls) is cancelled now. */
    support_sleep_ms(20);
    for (size_t i = 0; i < n; i++) {
        if (!futurl_future_done(ts[i].f))
            (void)futurl_future_wait_for(ts[i].f, 50);
        if (!futurl_future_done(ts[i].f))
            (void)futurl_future_cancel(ts[i].f);
    }
    wait_all(ts, n);
    size_t ok = 0, cancelled = 0;
    for (size_t i = 0; i < n; i++) {
        futurl_state st = futurl_future_state(ts[i].f);
        ck_assert_msg(st == FUTURL_DONE || st == FUTURL_CANCELLED,
                      "future %zu ended %d (%s)", i, (int)st,
                      futurl_future_errmsg(ts[i].f));
        ok += st == FUTURL_DONE;
        cancelled += st == FUTURL_CANCELLED;
    }
    ck_assert_uint_eq(ok + cancelled, n);
    ck_assert_uint_gt(ok, 0);
    ck_assert_uint_gt(cancelled, 0);
    futurl_client_stats s;
    ck_assert_int_eq(futurl_client_get_stats(c, &s), FUTURL_OK);
    ck_assert_uint_eq(s.succeeded, ok);
    ck_assert_uint_eq(s.cancelled, cancelled);
    free_all(ts, n);
    free(ts);
    futurl_client_destroy(c);
}
END_TEST

/* ================================================ 3. router, bad input */

START_TEST(router_replies_in_order_and_counts) {
    futurl_mock_router *m;
    ck_assert_int_eq(futurl_mock_router_new(&m), FUTURL_OK);
    unsigned a, b, any;
    ck_assert_int_eq(futurl_mock_router_add(m, "GET", "http://api.test/a", &a),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_mock_router_reply(m, a, 503, NULL, "first"), FUTURL_OK);
    ck_assert_int_eq(futurl_mock_router_reply(m, a, 201, "text/plain", "second"),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_mock_router_reply_header(m, a, "X-N", "2"), FUTURL_OK);
    ck_assert_int_eq(futurl_mock_router_add(m, NULL, "http://api.test/b/*/end", &b),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_mock_router_reply_error(m, b, FUTURL_MOCK_EMPTY), FUTURL_OK);
    ck_assert_int_eq(futurl_mock_router_reply(m, b, 200, NULL, "b"), FUTURL_OK);
    ck_assert_int_eq(futurl_mock_router_add(m, "DELETE", "*", &any), FUTURL_OK);
    ck_assert_uint_eq(a, 0);
    ck_assert_uint_eq(b, 1);
    ck_assert_uint_eq(any, 2);

    futurl_client_options o;
    opts(&o, 1, 1, 10, 100); /* one handle: /b reuses /a's connection */
    o.base_url = "http://api.test";
    o.mock = futurl_mock_router_fn;
    o.mock_userdata = m;
    futurl_client *c = NULL;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_OK);
    static const struct {
        long status;
        const char *body;
    } want[] = {{503, "first"}, {201, "second"}, {201, "second"}};
    for (int i = 0; i < 3; i++) {
        futurl_future *f = support_get_ok(c, "/a");
        const futurl_response *r = futurl_future_response(f);
        ck_assert_int_eq(futurl_response_status(r), want[i].status);
        ck_assert_str_eq(futurl_response_body(r, NULL), want[i].body);
        if (i > 0) {
            support_assert_str_or_null(futurl_response_header(r, "X-N"), "2");
            support_assert_str_or_null(futurl_response_header(r, "Content-Type"),
                                       "text/plain");
        }
        futurl_future_free(f);
    }
    /* The empty reply comes on the connection /a kept alive: libcurl sends
     * the request again on a new one by itself (as over the network), and
     * that gets the route's next answer. */
    futurl_future *f = support_get_ok(c, "/b/x/y?z/end");
    ck_assert_str_eq(futurl_response_body(futurl_future_response(f), NULL), "b");
    ck_assert_uint_eq(futurl_response_attempts(futurl_future_response(f)), 1);
    futurl_future_free(f);
    f = support_run(c, support_request("POST", "/b/1/end"));
    support_assert_status(f, FUTURL_OK);
    ck_assert_str_eq(futurl_response_body(futurl_future_response(f), NULL), "b");
    futurl_future_free(f);
    /* No route: 501, the body names the request. */
    f = support_get_ok(c, "/nowhere?q=1");
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 501);
    ck_assert_str_eq(futurl_response_body(futurl_future_response(f), NULL),
                     "futurl mock: no route for GET http://api.test/nowhere?q=1");
    futurl_future_free(f);
    /* A route without a reply: 501 too, and counted. */
    f = support_run(c, support_request("DELETE", "/x"));
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 501);
    futurl_future_free(f);
    ck_assert_uint_eq(futurl_mock_router_calls(m, a), 3);
    ck_assert_uint_eq(futurl_mock_router_calls(m, b), 3);
    ck_assert_uint_eq(futurl_mock_router_calls(m, any), 1);
    ck_assert_uint_eq(futurl_mock_router_calls(m, 99), 0);
    ck_assert_uint_eq(futurl_mock_router_unmatched(m), 1);
    futurl_client_destroy(c);
    futurl_mock_router_free(m);
}
END_TEST

START_TEST(router_bad_input) {
    futurl_mock_router *m = (futurl_mock_router *)1;
    ck_assert_int_eq(futurl_mock_router_new(NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_new(&m), FUTURL_OK);
    unsigned r = 77;
    ck_assert_int_eq(futurl_mock_router_add(NULL, "GET", "*", &r), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_add(m, "GET", NULL, &r), FUTURL_EINVAL);
    ck_assert_uint_eq(r, 77);
    ck_assert_int_eq(futurl_mock_router_add(m, "GET", "*", NULL), FUTURL_OK);
    ck_assert_int_eq(futurl_mock_router_reply(NULL, 0, 200, NULL, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply(m, 1, 200, NULL, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply(m, 0, 199, NULL, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply(m, 0, 1000, NULL, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply(m, 0, 200, "a\r\nb", NULL), FUTURL_EHEADER);
    ck_assert_int_eq(futurl_mock_router_reply_header(m, 0, "X", "1"), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply_delay(m, 0, 10), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply(m, 0, 200, NULL, NULL), FUTURL_OK);
    ck_assert_int_eq(futurl_mock_router_reply_header(m, 0, "Content-Length", "5"),
                     FUTURL_EHEADER);
    ck_assert_int_eq(futurl_mock_router_reply_header(m, 0, "transfer-encoding", "x"),
                     FUTURL_EHEADER);
    ck_assert_int_eq(futurl_mock_router_reply_header(m, 0, "Bad Name", "x"),
                     FUTURL_EHEADER);
    ck_assert_int_eq(futurl_mock_router_reply_header(m, 0, "X", "a\nb"), FUTURL_EHEADER);
    ck_assert_int_eq(futurl_mock_router_reply_header(m, 0, NULL, "x"), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply_delay(m, 0, -1), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply_delay(m, 5, 10), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply_error(m, 0, FUTURL_MOCK_NONE),
                     FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply_error(m, 0, (futurl_mock_error)42),
                     FUTURL_EINVAL);
    ck_assert_int_eq(futurl_mock_router_reply_error(m, 3, FUTURL_MOCK_RESET),
                     FUTURL_EINVAL);
    /* Userdata for no mock function is a mistake, not the network. */
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.mock_userdata = m;
    futurl_client *c = (futurl_client *)1;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_uint_eq(futurl_mock_router_calls(NULL, 0), 0);
    ck_assert_uint_eq(futurl_mock_router_unmatched(NULL), 0);
    futurl_mock_router_free(m);
    futurl_mock_router_free(NULL);
}
END_TEST

/* What the setters return, recorded inside a mock function (they are only
 * usable there). */
static struct {
    int status[4], header[6], body[2], error[3], delay[3];
    const char *method, *url, *hdr_null, *missing;
    size_t body_len;
} seen;

static void setter_probe(const futurl_mock_request *req, futurl_mock_response *resp,
                         void *userdata) {
    (void)userdata;
    seen.status[0] = futurl_mock_response_set_status(NULL, 200);
    seen.status[1] = futurl_mock_response_set_status(resp, 100);
    seen.status[2] = futurl_mock_response_set_status(resp, 1000);
    seen.status[3] = futurl_mock_response_set_status(resp, 418);
    seen.header[0] = futurl_mock_response_add_header(NULL, "X", "1");
    seen.header[1] = futurl_mock_response_add_header(resp, NULL, "1");
    seen.header[2] = futurl_mock_response_add_header(resp, "X", "a\r\nInjected: 1");
    seen.header[3] = futurl_mock_response_add_header(resp, "Connection", "close");
    seen.header[4] = futurl_mock_response_add_header(resp, "X:Y", "1");
    seen.header[5] = futurl_mock_response_add_header(resp, "X-Ok", "yes");
    seen.body[0] = futurl_mock_response_set_body(resp, NULL, 3);
    seen.body[1] = futurl_mock_response_set_body(resp, NULL, 0);
    seen.error[0] = futurl_mock_response_set_error(NULL, FUTURL_MOCK_RESET);
    seen.error[1] = futurl_mock_response_set_error(resp, (futurl_mock_error)9);
    seen.error[2] = futurl_mock_response_set_error(resp, FUTURL_MOCK_NONE);
    seen.delay[0] = futurl_mock_response_set_delay(NULL, 1);
    seen.delay[1] = futurl_mock_response_set_delay(resp, -1);
    seen.delay[2] = futurl_mock_response_set_delay(resp, 86400001L);
    seen.method = futurl_mock_request_method(NULL);
    seen.url = futurl_mock_request_url(NULL);
    seen.hdr_null = futurl_mock_request_header(req, NULL);
    seen.missing = futurl_mock_request_header(req, "X-Not-There");
    (void)futurl_mock_request_body(NULL, &seen.body_len);
}

START_TEST(response_setters_bad_input) {
    futurl_client_options o;
    opts(&o, 1, 1, 10, 100);
    o.mock = setter_probe;
    futurl_client *c = support_client_opts(&o, NULL);
    futurl_future *f = support_get_ok(c, "http://api.test/");
    const futurl_response *r = futurl_future_response(f);
    ck_assert_int_eq(futurl_response_status(r), 418);
    support_assert_str_or_null(futurl_response_header(r, "X-Ok"), "yes");
    support_assert_str_or_null(futurl_response_header(r, "Injected"), NULL);
    futurl_future_free(f);
    futurl_client_destroy(c);
    const int want_status[] = {FUTURL_EINVAL, FUTURL_EINVAL, FUTURL_EINVAL, FUTURL_OK};
    const int want_header[] = {FUTURL_EINVAL,  FUTURL_EINVAL,  FUTURL_EHEADER,
                               FUTURL_EHEADER, FUTURL_EHEADER, FUTURL_OK};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(seen.status[i] == want_status[i], "set_status %d: %s, want %s", i,
                      futurl_err_name(seen.status[i]), futurl_err_name(want_status[i]));
    for (int i = 0; i < 6; i++)
        ck_assert_msg(seen.header[i] == want_header[i], "add_header %d: %s, want %s", i,
                      futurl_err_name(seen.header[i]), futurl_err_name(want_header[i]));
    ck_assert_int_eq(seen.body[0], FUTURL_EINVAL);
    ck_assert_int_eq(seen.body[1], FUTURL_OK);
    ck_assert_int_eq(seen.error[0], FUTURL_EINVAL);
    ck_assert_int_eq(seen.error[1], FUTURL_EINVAL);
    ck_assert_int_eq(seen.error[2], FUTURL_OK);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(seen.delay[i], FUTURL_EINVAL);
    ck_assert_str_eq(seen.method, "");
    ck_assert_str_eq(seen.url, "");
    ck_assert_ptr_null(seen.hdr_null);
    ck_assert_ptr_null(seen.missing);
    ck_assert_uint_eq(seen.body_len, 0);
}
END_TEST

/* ================================= 4. the server's parser, raw bytes */

typedef struct raw_server {
    futurl__mock *m;
    int fd;
} raw_server;

static void *raw_serve(void *p) {
    raw_server *rs = p;
    futurl__mock_serve_fd(rs->m, rs->fd);
    return NULL;
}

/* Send bytes to the mock's connection code over a socketpair, then the end;
 * return everything it answered (malloc'd, NUL-terminated). */
static char *raw_exchange(const char *bytes, size_t len) {
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    raw_server rs = {.fd = sv[1]};
    ck_assert_int_eq(futurl__mock_new(fake_server, NULL, &rs.m), FUTURL_OK);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, raw_serve, &rs), 0);
    for (size_t off = 0; off < len;) {
        ssize_t n = send(sv[0], bytes + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server closed: it answered early */
        off += (size_t)n;
    }
    shutdown(sv[0], SHUT_WR);
    size_t cap = 4096, got = 0;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    for (;;) {
        if (got + 1024 > cap)
            ck_assert_ptr_nonnull(out = realloc(out, cap *= 2));
        ssize_t n = recv(sv[0], out + got, cap - got - 1, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    pthread_join(t, NULL);
    close(sv[0]);
    futurl__mock_free(rs.m);
    return out;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

typedef struct raw_case {
    const char *bytes;
    const char *want; /* the start of the answer; "" for none */
    int answers;      /* status lines in the answer */
} raw_case;

#define H "Host: api.test\r\n"
static const raw_case raw_cases[] = {
    /* 0-3: well-formed */
    {"GET /ok HTTP/1.1\r\n" H "\r\n", "HTTP/1.1 200 OK\r\n", 1},
    {"GET /ok HTTP/1.1\r\n" H "\r\nGET /ok HTTP/1.1\r\n" H "\r\n", "HTTP/1.1 200 OK\r\n",
     2},
    {"POST /echo HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n"
     "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
     "HTTP/1.1 200 OK\r\n", 1},
    {"GET /ok HTTP/1.0\r\n" H "\r\nGET /ok HTTP/1.1\r\n" H "\r\n", "HTTP/1.1 200 OK\r\n",
     1}, /* HTTP/1.0: closed after one */
    /* 4: Connection: close */
    {"GET /ok HTTP/1.1\r\n" H "Connection: close\r\n\r\nGET /ok HTTP/1.1\r\n" H "\r\n",
     "HTTP/1.1 200 OK\r\n", 1},
    /* 5-17: malformed: 400 and a close */
    {"GET /ok HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ", 1}, /* no Host */
    {"GET /ok HTTP/1.1\r\n" H H "\r\n", "HTTP/1.1 400 ", 1},
    {"GET  /ok HTTP/1.1\r\n" H "\r\n", "HTTP/1.1 400 ", 1},
    {"GET /ok HTTP/2.0\r\n" H "\r\n", "HTTP/1.1 400 ", 1},
    {"GET /ok HTTP/1.1\n"
     "Host: a\n\n",
     "HTTP/1.1 400 ", 1},
    {"GET /ok HTTP/1.1\r\n" H " folded: x\r\n\r\n", "HTTP/1.1 400 ", 1},
    {"GET /ok HTTP/1.1\r\n" H "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
     "HTTP/1.1 400 ", 1},
    {"POST /ok HTTP/1.1\r\n" H "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
     "HTTP/1.1 400 ", 1},
    {"POST /ok HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 400 ", 1},
    {"POST /ok HTTP/1.1\r\n" H "Content-Length: +5\r\n\r\nhello", "HTTP/1.1 400 ", 1},
    {"POST /ok HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
     "HTTP/1.1 400 ", 1},
    {"POST /ok HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n",
     "HTTP/1.1 400 ", 1},
    {"G(T /ok HTTP/1.1\r\n" H "\r\n", "HTTP/1.1 400 ", 1},
    /* 18-19: too large: 413 */
    {"POST /ok HTTP/1.1\r\n" H "Content-Length: 999999999999\r\n\r\n", "HTTP/1.1 413 ",
     1},
    {"POST /ok HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\nffffffffff\r\n",
     "HTTP/1.1 413 ", 1},
    /* 20-21: cut short: no answer */
    {"POST /ok HTTP/1.1\r\n" H "Content-Length: 10\r\n\r\nabc", "", 0},
    {"GET /ok HTTP/1.1\r\nHo", "", 0},
};
#undef H
#define N_RAW_CASES ((int)(sizeof raw_cases / sizeof raw_cases[0]))

START_TEST(parser_raw_bytes) {
    const raw_case *rc = &raw_cases[_i];
    char *out = raw_exchange(rc->bytes, strlen(rc->bytes));
    ck_assert_msg(strncmp(out, rc->want, strlen(rc->want)) == 0,
                  "case %d: answer \"%.80s\", want it to start \"%s\"", _i, out,
                  rc->want);
    ck_assert_msg(count(out, "HTTP/1.1 ") == rc->answers,
                  "case %d: %d answers, want %d:\n%s", _i, count(out, "HTTP/1.1 "),
                  rc->answers, out);
    if (_i == 2)
        ck_assert_msg(strstr(out, "\"body\":\"hello world\"") != NULL, "chunked body: %s",
                      out);
    free(out);
}
END_TEST

/* A NUL in a header value, and a head over the bound (413, not a buffer
 * that grows without end). */
START_TEST(parser_nul_and_huge_head) {
    static const char nul[] = "GET /ok HTTP/1.1\r\nHost: api.test\r\nX: a\0b\r\n\r\n";
    char *out = raw_exchange(nul, sizeof nul - 1);
    ck_assert_msg(strncmp(out, "HTTP/1.1 400 ", 13) == 0, "NUL: \"%.60s\"", out);
    free(out);
    size_t n = 3u * 1024u * 1024u;
    char *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    memcpy(big, "GET /ok HTTP/1.1\r\n", 18);
    for (size_t i = 18; i < n; i += 64)
        memcpy(big + i,
               "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
               n - i < 64 ? n - i : 64);
    out = raw_exchange(big, n);
    ck_assert_msg(strncmp(out, "HTTP/1.1 413 ", 13) == 0, "huge head: \"%.60s\"", out);
    free(out);
    free(big);
}
END_TEST

/* ----------------------------------------------------------------- suite */

static Suite *mock_suite(void) {
    Suite *s = suite_create("mock");
    TCase *tc = tcase_create("same tests, both transports");
    tcase_add_unchecked_fixture(tc, start_fault, stop_fault);
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, shared_503_then_200, 0, N_TRANSPORTS);
    tcase_add_loop_test(tc, shared_retries_exhausted, 0, N_TRANSPORTS);
    tcase_add_loop_test(tc, shared_retry_after_honoured, 0, N_TRANSPORTS);
    tcase_add_loop_test(tc, shared_reset_is_retried, 0, N_TRANSPORTS);
    tcase_add_loop_test(tc, shared_hold_after_429, 0, N_TRANSPORTS);
    tcase_add_loop_test(tc, shared_max_per_host, 0, N_TRANSPORTS);
    tcase_add_loop_test(tc, shared_rate_limit, 0, N_TRANSPORTS);
    tcase_add_loop_test(tc, shared_deadline_during_attempt, 0, N_TRANSPORTS);
    tcase_add_loop_test(tc, shared_cancel_while_server_silent, 0, N_TRANSPORTS);
    suite_add_tcase(s, tc);

    tc = tcase_create("above the wire");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, request_as_it_went_out);
    tcase_add_test(tc, chunked_upload_arrives_whole);
    tcase_add_test(tc, cookies_through_the_jar);
    tcase_add_test(tc, redirects_each_hop_a_call);
    tcase_add_test(tc, https_refused_with_a_message);
    tcase_add_test(tc, size_cap_and_json);
    tcase_add_test(tc, transport_failures);
    tcase_add_test(tc, stats_events_callbacks);
    tcase_add_test(tc, cancel_during_mocked_delay);
    tcase_add_test(tc, destroy_with_requests_in_delay);
    tcase_add_test(tc, stress_random_cancels);
    suite_add_tcase(s, tc);

    tc = tcase_create("router and bad input");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, router_replies_in_order_and_counts);
    tcase_add_test(tc, router_bad_input);
    tcase_add_test(tc, response_setters_bad_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("parser");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, parser_raw_bytes, 0, N_RAW_CASES);
    tcase_add_test(tc, parser_nul_and_huge_head);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(mock_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
