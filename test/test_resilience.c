/*
 * test/test_resilience.c — retries, Retry-After, deadlines, rate and
 * per-host limits, the 429 hold, cancellation and shutdown in every waiting
 * state, and the client's counters, all against the project's fault server
 * (test/fault_server.py) on loopback. Each fault must give its documented
 * code and attempt count, agree with the attempts the server counted, and
 * complete its future exactly once. Time bounds are loose: lower bounds are
 * what the feature promises, upper bounds are scaled by support_slack().
 *
 * Host keys: the fault server is reached as http://127.0.0.1:PORT (the
 * base URL) and as http://localhost:PORT — one server, two hosts for the
 * per-host limits and the 429 hold.
 */
#include "support.h"

#include "futurl.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static support_server fault;

static void start_fault(void) {
    ck_assert_msg(support_fault_start(&fault) == 0, "fault server did not start");
}

static void stop_fault(void) {
    support_server_stop(&fault);
}

/* ---------------------------------------------------------------- helpers */

static void opts_init(futurl_client_options *o, unsigned workers) {
    futurl_client_options_init(o);
    o->workers = workers;
}

static futurl_client *client_new(futurl_client_options *o) {
    if (o->base_url == NULL)
        o->base_url = fault.url;
    futurl_client *c = NULL;
    ck_assert_int_eq(futurl_client_create(o, &c), FUTURL_OK);
    return c;
}

static futurl_retry_policy policy(unsigned attempts, long base_ms, long max_ms) {
    futurl_retry_policy p;
    futurl_retry_policy_init(&p);
    p.max_attempts = attempts;
    p.base_delay_ms = base_ms;
    p.max_delay_ms = max_ms;
    return p;
}

static futurl_request *request(const char *method, const char *url) {
    futurl_request *r = NULL;
    ck_assert_int_eq(futurl_request_new(method, url, &r), FUTURL_OK);
    return r;
}

static futurl_request *request_with(const char *method, const char *url,
                                    const futurl_retry_policy *p) {
    futurl_request *r = request(method, url);
    ck_assert_int_eq(futurl_request_set_retry(r, p), FUTURL_OK);
    return r;
}

/* "http://localhost:PORT<path>": the fault server under another host key. */
static void other_host_url(char *buf, size_t size, const char *path) {
    ck_assert_int_lt(snprintf(buf, size, "http://localhost:%d%s", fault.port, path),
                     (int)size);
}

/* A loopback port nobody listens on: bound, then closed. */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* One submitted request: its future, how often its done-callback ran, and
 * when it last ran (monotonic seconds). */
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

/* Submit r (stolen) and count its completions in *t. */
static void submit(futurl_client *c, futurl_request *r, tracked *t) {
    atomic_init(&t->calls, 0);
    atomic_init(&t->done_at, 0.0);
    t->f = NULL;
    ck_assert_int_eq(futurl_client_submit(c, r, &t->f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_on_done(t->f, count_done, t), FUTURL_OK);
}

/* Wait for ts[0..n) (callbacks included) and check each completed exactly
 * once, in a final state. */
static void wait_all(tracked *ts, size_t n) {
    for (size_t i = 0; i < n; i++) {
        (void)futurl_future_wait_for(ts[i].f, (long)(60000 * support_slack()));
        ck_assert_msg(futurl_future_done(ts[i].f), "future %zu of %zu never finished",
                      i, n);
        (void)futurl_future_wait(ts[i].f); /* its callbacks have run after this */
        int calls = atomic_load(&ts[i].calls);
        ck_assert_msg(calls == 1, "future %zu: done-callback ran %d times, want 1", i,
                      calls);
        futurl_state st = futurl_future_state(ts[i].f);
        ck_assert_msg(st == FUTURL_DONE || st == FUTURL_FAILED || st == FUTURL_CANCELLED,
                      "future %zu: state %d is not final", i, (int)st);
    }
}

static void free_all(tracked *ts, size_t n) {
    for (size_t i = 0; i < n; i++)
        futurl_future_free(ts[i].f);
}

static futurl_client_stats stats_of(futurl_client *c) {
    futurl_client_stats s;
    ck_assert_int_eq(futurl_client_get_stats(c, &s), FUTURL_OK);
    return s;
}

enum gauge { PARKED, IN_FLIGHT, QUEUED };

static size_t gauge_of(futurl_client *c, enum gauge g) {
    futurl_client_stats s = stats_of(c);
    return g == PARKED ? s.parked : g == IN_FLIGHT ? s.in_flight : s.queued;
}

/* Poll until the gauge reaches want (or timeout_s × slack passes); returns
 * the last value seen. */
static size_t wait_gauge(futurl_client *c, enum gauge g, size_t want, double timeout_s) {
    double end = support_now() + timeout_s * support_slack();
    size_t v = gauge_of(c, g);
    while (v < want && support_now() < end) {
        support_sleep_ms(2);
        v = gauge_of(c, g);
    }
    return v;
}

/* Poll the fault server until path has seen at least want requests. */
static long wait_attempts(const char *path, long want, double timeout_s) {
    double end = support_now() + timeout_s * support_slack();
    long v = support_fault_attempts(&fault, path);
    while (v < want && support_now() < end) {
        support_sleep_ms(10);
        v = support_fault_attempts(&fault, path);
    }
    return v;
}

/* The final state, status and attempts of one future, with both values on
 * failure. */
static void expect_outcome(const tracked *t, futurl_status want, unsigned attempts) {
    futurl_status st = futurl_future_status(t->f);
    ck_assert_msg(st == want, "status %s (%s), want %s", futurl_err_name(st),
                  futurl_future_errmsg(t->f), futurl_err_name(want));
    const futurl_response *r = futurl_future_response(t->f);
    ck_assert_msg(r != NULL, "no response for a request that ran (%s)",
                  futurl_err_name(st));
    ck_assert_uint_eq(futurl_response_attempts(r), attempts);
}

/* Retry reasons 0 .. attempts-2 exist, are numbered and contain want; the
 * one after them is NULL. */
static void expect_reasons(const futurl_response *r, const char *want) {
    unsigned n = futurl_response_attempts(r);
    for (unsigned i = 0; i + 1 < n; i++) {
        const char *why = futurl_response_retry_reason(r, i);
        ck_assert_msg(why != NULL, "retry reason %u of %u missing", i, n - 1);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "attempt %u: ", i + 1);
        ck_assert_msg(strncmp(why, prefix, strlen(prefix)) == 0,
                      "retry reason %u is \"%s\", want it to start \"%s\"", i, why,
                      prefix);
        ck_assert_msg(strstr(why, want) != NULL,
                      "retry reason %u is \"%s\", want it to name \"%s\"", i, why, want);
    }
    ck_assert_ptr_null(futurl_response_retry_reason(r, n > 0 ? n - 1 : 0));
}

/* ============================================ 1. every fault, its code */

typedef struct fault_case {
    const char *url;          /* NULL: a closed port */
    const char *path;         /* server counter to compare; NULL: none */
    unsigned max_attempts;    /* 0: the default policy (3) */
    long timeout_ms;          /* per attempt; 0: the client's */
    size_t max_bytes;         /* size cap; 0: the client's */
    futurl_status want;
    unsigned want_attempts;
    long want_server;         /* requests the server saw; -1: want_attempts */
    const char *reason;       /* what each retry reason names */
} fault_case;

/* The client follows at most MAX_REDIRECTS: a redirect loop is
 * MAX_REDIRECTS + 1 requests for one attempt. */
#define MAX_REDIRECTS 3

static const fault_case fault_cases[] = {
    /* 0 */ {NULL, NULL, 0, 0, 0, FUTURL_ECONNECT, 3, -1, "FUTURL_ECONNECT"},
    /* 1 */ {"/close", "/close", 0, 0, 0, FUTURL_ENETWORK, 3, -1, "FUTURL_ENETWORK"},
    /* 2 */ {"/reset", "/reset", 0, 0, 0, FUTURL_ENETWORK, 3, -1, "FUTURL_ENETWORK"},
    /* 3 */ {"/truncated_chunked", "/truncated_chunked", 0, 0, 0, FUTURL_ENETWORK, 3, -1,
             "FUTURL_ENETWORK"},
    /* 4 */ {"/short_length", "/short_length", 0, 0, 0, FUTURL_ENETWORK, 3, -1,
             "FUTURL_ENETWORK"},
    /* 5 */ {"/stall", "/stall", 2, 300, 0, FUTURL_ETIMEDOUT, 2, -1, "FUTURL_ETIMEDOUT"},
    /* 6 */ {"/trickle?bytes=100&interval_ms=50", "/trickle", 2, 300, 0,
             FUTURL_ETIMEDOUT, 2, -1, "FUTURL_ETIMEDOUT"},
    /* 7 */ {"/redirect_loop", "/redirect_loop", 0, 0, 0, FUTURL_EREDIRECT, 1,
             MAX_REDIRECTS + 1, ""},
    /* 8: 400 KB of headers: see big_headers_not_retried */
    /* 8 */ {"/big_headers?kb=200", "/big_headers", 0, 0, 0, FUTURL_OK, 1, -1, ""},
    /* 9 */ {"/stream?chunk=16384&interval_ms=1", "/stream", 0, 0, 100000,
             FUTURL_ETOOLARGE, 1, -1, ""},
    /* 10 */ {"/flaky?fail=2", "/flaky", 0, 0, 0, FUTURL_OK, 3, -1, "HTTP 503"},
    /* 11 */ {"/flaky?fail=1&status=502", "/flaky", 0, 0, 0, FUTURL_OK, 2, -1, "HTTP 502"},
    /* 12 */ {"/flaky?fail=1&status=504", "/flaky", 0, 0, 0, FUTURL_OK, 2, -1, "HTTP 504"},
    /* 13 */ {"/flaky?fail=1&status=408", "/flaky", 0, 0, 0, FUTURL_OK, 2, -1, "HTTP 408"},
    /* 14, 15: 500 is not retried by default, nor is a 404 */
    /* 14 */ {"/flaky?fail=1&status=500", "/flaky", 0, 0, 0, FUTURL_OK, 1, -1, ""},
    /* 15 */ {"/status?code=404", "/status", 0, 0, 0, FUTURL_OK, 1, -1, ""},
    /* 16: a Content-Length past the cap is refused before the body */
    /* 16 */ {"/big_headers?kb=0", "/big_headers", 0, 0, 4, FUTURL_ETOOLARGE, 1, -1, ""},
};
#define N_FAULT_CASES ((int)(sizeof fault_cases / sizeof fault_cases[0]))

START_TEST(fault_gives_code_and_attempts) {
    const fault_case *fc = &fault_cases[_i];
    futurl_client_options o;
    opts_init(&o, 2);
    o.max_redirects = MAX_REDIRECTS;
    futurl_client *c = client_new(&o);

    char url[128];
    if (fc->url == NULL)
        snprintf(url, sizeof url, "http://127.0.0.1:%d/ok", closed_port());
    else
        snprintf(url, sizeof url, "%s", fc->url);
    futurl_retry_policy p = policy(fc->max_attempts ? fc->max_attempts
                                                    : FUTURL_DEFAULT_MAX_ATTEMPTS,
                                   20, 100);
    futurl_request *r = request_with("GET", url, &p);
    if (fc->timeout_ms)
        ck_assert_int_eq(futurl_request_set_timeout(r, fc->timeout_ms), FUTURL_OK);
    if (fc->max_bytes)
        ck_assert_int_eq(futurl_request_set_max_response_bytes(r, fc->max_bytes),
                         FUTURL_OK);

    support_fault_reset(&fault);
    tracked t;
    submit(c, r, &t);
    wait_all(&t, 1);
    expect_outcome(&t, fc->want, fc->want_attempts);
    const futurl_response *resp = futurl_future_response(t.f);
    expect_reasons(resp, fc->reason);
    if (fc->want != FUTURL_OK) {
        ck_assert_int_eq(futurl_future_state(t.f), FUTURL_FAILED);
        ck_assert_msg(futurl_future_errmsg(t.f)[0] != '\0', "no message for %s",
                      futurl_err_name(fc->want));
        ck_assert_int_ne(futurl_future_curl_code(t.f), 0);
    }
    if (fc->path != NULL) {
        long want = fc->want_server >= 0 ? fc->want_server : (long)fc->want_attempts;
        long seen = support_fault_attempts(&fault, fc->path);
        ck_assert_msg(seen == want, "%s: server saw %ld requests, want %ld", url, seen,
                      want);
    }
    futurl_client_stats s = stats_of(c);
    ck_assert_uint_eq(s.retries, fc->want_attempts - 1);
    ck_assert_uint_eq(s.submitted, 1);
    ck_assert_uint_eq(s.succeeded + s.failed + s.cancelled, 1);
    free_all(&t, 1);
    futurl_client_destroy(c);
}
END_TEST

/*
 * 400 KB of headers: a property of the response, the same on every
 * attempt, so not worth retrying. futurl refuses response headers past
 * 256 KiB as FUTURL_ETOOLARGE (below libcurl 7.88's own 300 KiB limit,
 * which surfaces as CURLE_RECV_ERROR and would look like a reset).
 */
START_TEST(big_headers_not_retried) {
    const futurl_status want = FUTURL_ETOOLARGE; /* headers over 256 KiB */
    futurl_client_options o;
    opts_init(&o, 1);
    o.retry = policy(3, 10, 50);
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    tracked t;
    submit(c, request("GET", "/big_headers"), &t);
    wait_all(&t, 1);
    futurl_status st = futurl_future_status(t.f);
    ck_assert_msg(st == want, "status %s (%s), want %s", futurl_err_name(st),
                  futurl_future_errmsg(t.f), futurl_err_name(want));
    const futurl_response *r = futurl_future_response(t.f);
    ck_assert_ptr_nonnull(r);
    unsigned attempts = futurl_response_attempts(r);
    long seen = support_fault_attempts(&fault, "/big_headers");
    ck_assert_msg(attempts == 1 && seen == 1,
                  "a response with 400 KB of headers was tried %u times (server saw %ld), "
                  "want 1: it is not transient (%s)",
                  attempts, seen, futurl_future_errmsg(t.f));
    free_all(&t, 1);
    futurl_client_destroy(c);
}
END_TEST

/* 500 is retried when the policy asks for it. */
START_TEST(retry_on_500_opt_in) {
    futurl_client_options o;
    opts_init(&o, 1);
    futurl_client *c = client_new(&o);
    futurl_retry_policy p = policy(3, 10, 50);
    p.retry_on_500 = 1;
    support_fault_reset(&fault);
    tracked t;
    submit(c, request_with("GET", "/flaky?fail=2&status=500", &p), &t);
    wait_all(&t, 1);
    expect_outcome(&t, FUTURL_OK, 3);
    expect_reasons(futurl_future_response(t.f), "HTTP 500");
    ck_assert_int_eq(futurl_response_status(futurl_future_response(t.f)), 200);
    ck_assert_int_eq(support_fault_attempts(&fault, "/flaky"), 3);
    free_all(&t, 1);
    futurl_client_destroy(c);
}
END_TEST

/* Exhausted retries of an HTTP status: the last response is the result,
 * a value (FUTURL_OK) or FUTURL_EHTTP with raise-for-status. */
START_TEST(exhausted_status_retries) {
    futurl_client_options o;
    opts_init(&o, 1);
    futurl_client *c = client_new(&o);
    futurl_retry_policy p = policy(3, 10, 50);
    support_fault_reset(&fault);
    tracked t[2];
    submit(c, request_with("GET", "/flaky?fail=100", &p), &t[0]);
    futurl_request *r = request_with("GET", "/flaky?fail=100", &p);
    ck_assert_int_eq(futurl_request_set_raise_for_status(r, 1), FUTURL_OK);
    submit(c, r, &t[1]);
    wait_all(t, 2);
    expect_outcome(&t[0], FUTURL_OK, 3);
    expect_outcome(&t[1], FUTURL_EHTTP, 3);
    for (int i = 0; i < 2; i++) {
        const futurl_response *resp = futurl_future_response(t[i].f);
        ck_assert_int_eq(futurl_response_status(resp), 503);
        expect_reasons(resp, "HTTP 503");
    }
    ck_assert_int_eq(support_fault_attempts(&fault, "/flaky"), 6);
    free_all(t, 2);
    futurl_client_destroy(c);
}
END_TEST

/* ---------------------------------------------------------- Retry-After */

typedef struct retry_after_case {
    const char *url;
    const char *path;
    long max_delay_ms;
    long budget_ms;
    unsigned want_attempts;
    double min_s, max_s;   /* elapsed; max_s is scaled by the slack */
    const char *reason;    /* in the retry reason; NULL: no retry */
    long ms_lo, ms_hi;     /* if ms_hi > 0: the Retry-After wait in the reason */
} retry_after_case;

static const retry_after_case retry_after_cases[] = {
    /* 0: seconds, honoured */
    {"/429?retry_after=1", "/429", 5000, 0, 2, 0.95, 1.8, "HTTP 429, Retry-After 1000 ms",
     0, 0},
    /* 1: seconds, clamped to max_delay_ms */
    {"/429?retry_after=3600", "/429", 300, 0, 2, 0.28, 1.0, "HTTP 429, Retry-After 300 ms",
     0, 0},
    /* 2: HTTP-date 2 s ahead: 1 to 3 s, as both clocks are read in whole
     * seconds (and time() may lag the server's clock by a tick) */
    {"/429_date?in_s=2", "/429_date", 5000, 0, 2, 0.95, 3.8, "HTTP 429, Retry-After ", 1000,
     3000},
    /* 3: HTTP-date an hour ahead, clamped */
    {"/429_date?in_s=3600", "/429_date", 400, 0, 2, 0.38, 1.0, "Retry-After 400 ms", 0, 0},
    /* 4: a past date is zero */
    {"/429_date?in_s=-3600", "/429_date", 5000, 0, 2, 0.0, 0.8, "Retry-After 0 ms", 0, 0},
    /* 5-8: garbage is ignored: the backoff (at most 100 ms here) applies */
    {"/429?retry_after=soon", "/429", 100, 0, 2, 0.0, 0.8, "HTTP 429, backoff", 0, 0},
    {"/429?retry_after=5%20seconds", "/429", 5000, 0, 2, 0.0, 0.8, "HTTP 429, backoff",
     0, 0},
    {"/429?retry_after=-5", "/429", 5000, 0, 2, 0.0, 0.8, "HTTP 429, backoff", 0, 0},
    {"/429?retry_after=", "/429", 5000, 0, 2, 0.0, 0.8, "HTTP 429, backoff", 0, 0},
    /* 9: 503 with Retry-After too */
    {"/flaky?fail=1&retry_after=1", "/flaky", 5000, 0, 2, 0.95, 1.8,
     "HTTP 503, Retry-After 1000 ms", 0, 0},
    /* 10: a wait that would overrun the retry budget is not started */
    {"/flaky?fail=1&retry_after=1", "/flaky", 5000, 500, 1, 0.0, 0.8, NULL, 0, 0},
};
#define N_RETRY_AFTER_CASES ((int)(sizeof retry_after_cases / sizeof retry_after_cases[0]))

START_TEST(retry_after_honoured_clamped_or_ignored) {
    const retry_after_case *rc = &retry_after_cases[_i];
    futurl_client_options o;
    opts_init(&o, 1);
    o.retry = policy(2, 50, rc->max_delay_ms);
    o.retry.budget_ms = rc->budget_ms;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    double t0 = support_now();
    tracked t;
    submit(c, request("GET", rc->url), &t);
    wait_all(&t, 1);
    double dt = support_now() - t0;
    expect_outcome(&t, FUTURL_OK, rc->want_attempts);
    const futurl_response *r = futurl_future_response(t.f);
    long status = futurl_response_status(r);
    ck_assert_msg(status == 429 || status == 503 || status == 200, "status %ld", status);
    if (rc->reason != NULL) {
        const char *why = futurl_response_retry_reason(r, 0);
        ck_assert_ptr_nonnull(why);
        const char *at = strstr(why, rc->reason);
        ck_assert_msg(at != NULL, "%s: retry reason \"%s\", want \"%s\"", rc->url, why,
                      rc->reason);
        if (rc->ms_hi > 0) {
            long ms = strtol(at + strlen(rc->reason), NULL, 10);
            ck_assert_msg(ms >= rc->ms_lo && ms <= rc->ms_hi,
                          "%s: retry reason \"%s\": %ld ms, want %ld to %ld ms", rc->url,
                          why, ms, rc->ms_lo, rc->ms_hi);
        }
    } else {
        ck_assert_ptr_null(futurl_response_retry_reason(r, 0));
    }
    ck_assert_msg(dt >= rc->min_s, "%s took %.3f s, want at least %.3f s", rc->url, dt,
                  rc->min_s);
    ck_assert_msg(dt < rc->max_s * support_slack(), "%s took %.3f s, want under %.3f s",
                  rc->url, dt, rc->max_s * support_slack());
    long seen = support_fault_attempts(&fault, rc->path);
    ck_assert_msg(seen == (long)rc->want_attempts, "%s: server saw %ld, want %u", rc->url,
                  seen, rc->want_attempts);
    free_all(&t, 1);
    futurl_client_destroy(c);
}
END_TEST

/* ================================== 2. non-idempotent methods and opt-in */

typedef struct method_case {
    const char *method;
    int opt_in;            /* retry_non_idempotent */
    int idempotency_key;   /* sends Idempotency-Key */
    unsigned want;         /* attempts, as the server counts them too */
} method_case;

static const method_case method_cases[] = {
    {"POST", 0, 0, 1}, {"POST", 1, 0, 3}, {"POST", 0, 1, 3}, {"PATCH", 0, 0, 1},
    {"PATCH", 0, 1, 3}, {"PUT", 0, 0, 3},  {"DELETE", 0, 0, 3},
};
#define N_METHOD_CASES ((int)(sizeof method_cases / sizeof method_cases[0]))

START_TEST(post_retried_only_when_safe) {
    const method_case *mc = &method_cases[_i];
    futurl_client_options o;
    opts_init(&o, 1);
    futurl_client *c = client_new(&o);
    futurl_retry_policy p = policy(3, 10, 50);
    p.retry_non_idempotent = mc->opt_in;
    futurl_request *r = request_with(mc->method, "/reset", &p);
    ck_assert_int_eq(futurl_request_set_body(r, "{\"n\":1}", 7, "application/json"),
                     FUTURL_OK);
    if (mc->idempotency_key)
        ck_assert_int_eq(futurl_request_set_header(r, "Idempotency-Key", "k-123"),
                         FUTURL_OK);
    support_fault_reset(&fault);
    tracked t;
    submit(c, r, &t);
    wait_all(&t, 1);
    expect_outcome(&t, FUTURL_ENETWORK, mc->want);
    long seen = support_fault_attempts(&fault, "/reset");
    ck_assert_msg(seen == (long)mc->want, "%s (opt-in %d, key %d): server saw %ld, want %u",
                  mc->method, mc->opt_in, mc->idempotency_key, seen, mc->want);
    free_all(&t, 1);
    futurl_client_destroy(c);
}
END_TEST

/* ================= 3. backing-off requests do not hold the workers */

START_TEST(backoff_does_not_hold_workers) {
    const size_t n_slow = support_under_valgrind() ? 30 : 100, n_fast = 20;
    futurl_client_options o;
    opts_init(&o, 4);
    o.hold_on_429 = 0; /* this test is about workers, not the host hold */
    /* Retry-After 1 s, again and again: each throttled request waits 1 s
     * between attempts, and would hold a worker that long if it slept. */
    o.retry = policy(1000, 1000, 1000);
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);

    tracked *slow = calloc(n_slow, sizeof *slow);
    tracked *fast = calloc(n_fast, sizeof *fast);
    ck_assert_ptr_nonnull(slow);
    ck_assert_ptr_nonnull(fast);
    for (size_t i = 0; i < n_slow; i++)
        submit(c, request("GET", "/429?retry_after=1"), &slow[i]);
    long first = wait_attempts("/429", (long)n_slow, 10.0);
    ck_assert_msg(first >= (long)n_slow, "the server saw %ld of %zu first attempts", first,
                  n_slow);
    size_t parked = wait_gauge(c, PARKED, 1, 5.0);
    ck_assert_msg(parked > 0, "no request parked while backing off (parked %zu)", parked);

    double t0 = support_now();
    for (size_t i = 0; i < n_fast; i++)
        submit(c, request("GET", "/ok"), &fast[i]);
    wait_all(fast, n_fast);
    double dt = support_now() - t0;
    futurl_client_stats mid = stats_of(c);
    for (size_t i = 0; i < n_fast; i++)
        ck_assert_int_eq(futurl_future_status(fast[i].f), FUTURL_OK);
    /* Sleeping on the workers would take n_slow / 4 seconds. */
    ck_assert_msg(dt < 1.5 * support_slack(),
                  "%zu fast requests took %.3f s beside %zu backing off", n_fast, dt,
                  n_slow);
    size_t slow_done = 0;
    for (size_t i = 0; i < n_slow; i++)
        slow_done += (size_t)futurl_future_done(slow[i].f);
    ck_assert_msg(slow_done == 0, "%zu throttled requests finished, want 0", slow_done);
    fprintf(stderr, "backoff: %zu fast GETs in %.3f s beside %zu parked (%zu seen)\n",
            n_fast, dt, n_slow, parked);

    /* Shutdown ends every backing-off request, cancelled, none lost. */
    ck_assert_int_eq(futurl_client_shutdown(c, FUTURL_CANCEL_PENDING), FUTURL_OK);
    wait_all(slow, n_slow);
    for (size_t i = 0; i < n_slow; i++)
        ck_assert_int_eq(futurl_future_state(slow[i].f), FUTURL_CANCELLED);
    futurl_client_stats s = stats_of(c);
    ck_assert_uint_eq(s.submitted, n_slow + n_fast);
    ck_assert_uint_eq(s.succeeded, n_fast);
    ck_assert_uint_eq(s.cancelled, n_slow);
    ck_assert_uint_eq(s.failed, 0);
    ck_assert_uint_eq(s.parked, 0);
    ck_assert_uint_eq(s.in_flight, 0);
    ck_assert_uint_ge(s.throttled, n_slow);
    ck_assert_uint_ge(mid.retries, n_slow);
    free_all(slow, n_slow);
    free_all(fast, n_fast);
    free(slow);
    free(fast);
    futurl_client_destroy(c);
}
END_TEST

/* =================================== 4. host-wide hold after a 429 */

START_TEST(hold_after_429_is_per_host) {
    const int hold = _i; /* hold_on_429 */
    futurl_client_options o;
    opts_init(&o, 4);
    o.hold_on_429 = hold;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);

    futurl_retry_policy once = policy(1, 10, 10000);
    tracked t429;
    submit(c, request_with("GET", "/429?retry_after=2", &once), &t429);
    wait_all(&t429, 1);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(t429.f)), 429);
    double t_429 = atomic_load(&t429.done_at);

    enum { N = 3 };
    tracked same[N], other[N];
    char url[128];
    other_host_url(url, sizeof url, "/echo");
    for (int i = 0; i < N; i++) {
        submit(c, request("GET", "/ok"), &same[i]);
        submit(c, request("GET", url), &other[i]);
    }
    wait_all(other, N);
    if (hold) {
        /* The other host went ahead; this one's requests wait in the
         * library, not on a worker, and have not reached the server. */
        size_t parked = wait_gauge(c, PARKED, N, 1.0);
        long reached = support_fault_attempts(&fault, "/ok");
        int early = support_now() < t_429 + 1.8;
        if (early) {
            ck_assert_msg(parked == N, "parked %zu during the hold, want %d", parked, N);
            ck_assert_msg(reached == 0, "%ld held requests reached the server", reached);
        }
    }
    wait_all(same, N);
    double other_last = 0, same_first = 1e300;
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(futurl_future_status(same[i].f), FUTURL_OK);
        ck_assert_int_eq(futurl_future_status(other[i].f), FUTURL_OK);
        ck_assert_uint_eq(futurl_response_attempts(futurl_future_response(same[i].f)), 1);
        double a = atomic_load(&other[i].done_at), b = atomic_load(&same[i].done_at);
        if (a > other_last)
            other_last = a;
        if (b < same_first)
            same_first = b;
    }
    ck_assert_msg(other_last - t_429 < 1.0 * support_slack(),
                  "the other host's requests ended %.3f s after the 429",
                  other_last - t_429);
    if (hold) {
        ck_assert_msg(same_first - t_429 >= 1.9,
                      "a held request ended %.3f s after the 429, want >= 1.9 s",
                      same_first - t_429);
        ck_assert_msg(other_last < same_first,
                      "other host done at +%.3f s, held host at +%.3f s",
                      other_last - t_429, same_first - t_429);
    } else {
        ck_assert_msg(same_first - t_429 < 1.0 * support_slack(),
                      "without the hold a request ended %.3f s after the 429",
                      same_first - t_429);
    }
    /* The held requests did not each discover the limit. */
    ck_assert_int_eq(support_fault_attempts(&fault, "/429"), 1);
    ck_assert_int_eq(support_fault_attempts(&fault, "/ok"), N);
    free_all(&t429, 1);
    free_all(same, N);
    free_all(other, N);
    futurl_client_destroy(c);
}
END_TEST

/* A request's own retry after a 429 waits out the hold as well, and the
 * others to that host wait with it: nobody hammers the throttled host. */
START_TEST(hold_covers_the_retry_and_the_others) {
    futurl_client_options o;
    opts_init(&o, 4);
    o.retry = policy(2, 10, 10000);
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    tracked first, later[4];
    double t0 = support_now();
    submit(c, request("GET", "/flaky?fail=1&status=429&retry_after=1"), &first);
    /* Parked to retry: the 429 has been read and the hold set. */
    ck_assert_uint_eq(wait_gauge(c, PARKED, 1, 5.0), 1);
    for (int i = 0; i < 4; i++)
        submit(c, request("GET", "/flaky?fail=0"), &later[i]);
    wait_all(&first, 1);
    wait_all(later, 4);
    expect_outcome(&first, FUTURL_OK, 2);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(first.f)), 200);
    for (int i = 0; i < 4; i++) {
        expect_outcome(&later[i], FUTURL_OK, 1);
        double dt = atomic_load(&later[i].done_at) - t0;
        ck_assert_msg(dt >= 0.95, "request %d ended %.3f s in, inside the 1 s hold", i, dt);
    }
    ck_assert_int_eq(support_fault_attempts(&fault, "/flaky"), 1 + 1 + 4);
    futurl_client_stats s = stats_of(c);
    ck_assert_uint_eq(s.throttled, 1);
    free_all(&first, 1);
    free_all(later, 4);
    futurl_client_destroy(c);
}
END_TEST

/* =================================== 5. rate limits and per-host slots */

START_TEST(rate_limit_paces_requests) {
    const size_t n = support_under_valgrind() ? 30 : 50;
    futurl_client_options o;
    opts_init(&o, 4);
    o.rate_limit = 20.0;
    o.rate_burst = 1;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    tracked *ts = calloc(n, sizeof *ts);
    ck_assert_ptr_nonnull(ts);
    double t0 = support_now();
    for (size_t i = 0; i < n; i++)
        submit(c, request("GET", "/ok"), &ts[i]);
    /* Waiting for a token is parking, not holding a worker. */
    size_t parked = wait_gauge(c, PARKED, n / 2, 2.0);
    ck_assert_msg(parked >= n / 2, "parked %zu while waiting for tokens, want >= %zu",
                  parked, n / 2);
    wait_all(ts, n);
    double dt = support_now() - t0;
    double ideal = (double)(n - 1) / 20.0; /* one token at once, then 20/s */
    fprintf(stderr, "rate limit: %zu GETs at 20/s in %.3f s (ideal %.2f s)\n", n, dt,
            ideal);
    ck_assert_msg(dt >= ideal - 0.25, "%zu requests at 20/s took %.3f s, want >= %.3f s",
                  n, dt, ideal - 0.25);
    ck_assert_msg(dt < (ideal + 1.55) * support_slack(),
                  "%zu requests at 20/s took %.3f s, want < %.3f s", n, dt,
                  (ideal + 1.55) * support_slack());
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(futurl_future_status(ts[i].f), FUTURL_OK);
    ck_assert_int_eq(support_fault_attempts(&fault, "/ok"), (long)n);
    futurl_client_stats s = stats_of(c);
    ck_assert_uint_eq(s.succeeded, n);
    ck_assert_uint_eq(s.parked, 0);
    free_all(ts, n);
    free(ts);
    futurl_client_destroy(c);
}
END_TEST

/* A burst lets that many go at once; the rest follow at the rate. */
START_TEST(rate_limit_burst) {
    futurl_client_options o;
    opts_init(&o, 4);
    o.rate_limit = 5.0;
    o.rate_burst = 4;
    futurl_client *c = client_new(&o);
    enum { N = 6 };
    tracked ts[N];
    double t0 = support_now();
    for (int i = 0; i < N; i++)
        submit(c, request("GET", "/ok"), &ts[i]);
    wait_all(ts, N);
    double times[N];
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(futurl_future_status(ts[i].f), FUTURL_OK);
        times[i] = atomic_load(&ts[i].done_at) - t0;
    }
    /* Sorted: four at once, then one every 200 ms. */
    for (int i = 1; i < N; i++)
        for (int j = i; j > 0 && times[j] < times[j - 1]; j--) {
            double x = times[j];
            times[j] = times[j - 1];
            times[j - 1] = x;
        }
    ck_assert_msg(times[3] < 0.5 * support_slack(), "4th of a burst of 4 at %.3f s",
                  times[3]);
    ck_assert_msg(times[4] >= 0.15, "5th request at %.3f s, want >= 0.15 s", times[4]);
    ck_assert_msg(times[5] >= 0.35, "6th request at %.3f s, want >= 0.35 s", times[5]);
    free_all(ts, N);
    futurl_client_destroy(c);
}
END_TEST

/* Rates are refused outside [FUTURL_MIN_RATE_LIMIT, FUTURL_MAX_RATE_LIMIT]
 * (and NaN); at the accepted extremes, with the smallest and largest
 * bursts, a request that must wait for a token parks and cancels cleanly.
 * The waiting is what matters: at 1e-12 per second (once accepted) the
 * wait for the second token, 1e21 ns, overflowed a float-to-integer
 * conversion (undefined: clang's -fsanitize=float-cast-overflow aborts). */
START_TEST(rate_limit_range) {
    static const struct {
        double rate, host_rate;
        unsigned burst, host_burst;
        futurl_status want;
        int second_waits; /* the second of two requests waits for a token */
    } cases[] = {
        {1e-12, 0, 1, 1, FUTURL_EINVAL, 1},
        {0, 1e-12, 1, 1, FUTURL_EINVAL, 1},
        {5e-324, 0, 1, 1, FUTURL_EINVAL, 1},
        {FUTURL_MIN_RATE_LIMIT * 0.999, 0, 1, 1, FUTURL_EINVAL, 1},
        {0, FUTURL_MAX_RATE_LIMIT * 1.001, 1, 1, FUTURL_EINVAL, 0},
        {-1.0, 0, 1, 1, FUTURL_EINVAL, 0},
        {NAN, 0, 1, 1, FUTURL_EINVAL, 0},
        {0, INFINITY, 1, 1, FUTURL_EINVAL, 0},
        {FUTURL_MIN_RATE_LIMIT, 0, 1, 1, FUTURL_OK, 1},
        {0, FUTURL_MIN_RATE_LIMIT, 0, 0, FUTURL_OK, 1},
        {FUTURL_MIN_RATE_LIMIT, FUTURL_MIN_RATE_LIMIT, ~0u, ~0u, FUTURL_OK, 0},
        {FUTURL_MAX_RATE_LIMIT, FUTURL_MAX_RATE_LIMIT, 1, 1, FUTURL_OK, 0},
        {FUTURL_MAX_RATE_LIMIT, FUTURL_MIN_RATE_LIMIT, ~0u, 1, FUTURL_OK, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        futurl_client_options o;
        opts_init(&o, 2);
        o.base_url = fault.url;
        o.rate_limit = cases[i].rate;
        o.host_rate_limit = cases[i].host_rate;
        o.rate_burst = cases[i].burst;
        o.host_rate_burst = cases[i].host_burst;
        futurl_client *c = NULL;
        futurl_status st = futurl_client_create(&o, &c);
        if (st == FUTURL_OK) { /* accepted: two requests, then see the second wait */
            tracked ts[2];
            submit(c, request("GET", "/ok"), &ts[0]);
            (void)futurl_future_wait(ts[0].f);
            submit(c, request("GET", "/ok"), &ts[1]);
            if (cases[i].second_waits) {
                ck_assert_msg(wait_gauge(c, PARKED, 1, 5.0) == 1,
                              "case %zu: the second request is not waiting for a token",
                              i);
                ck_assert_int_eq(futurl_future_wait_for(ts[1].f, 100), FUTURL_EPENDING);
                ck_assert_int_eq(futurl_future_cancel(ts[1].f), 1);
            }
            wait_all(ts, 2);
            ck_assert_int_eq(futurl_future_status(ts[0].f), FUTURL_OK);
            ck_assert_int_eq(futurl_future_state(ts[1].f),
                             cases[i].second_waits ? FUTURL_CANCELLED : FUTURL_DONE);
            free_all(ts, 2);
            futurl_client_destroy(c);
        }
        ck_assert_msg(st == cases[i].want,
                      "case %zu: rate %g, host rate %g, bursts %u/%u: create %s, want %s",
                      i, cases[i].rate, cases[i].host_rate, cases[i].burst,
                      cases[i].host_burst, futurl_err_name(st),
                      futurl_err_name(cases[i].want));
    }
}
END_TEST

/* host_rate_limit paces each host on its own: two hosts at 10/s each take
 * as long as one. */
START_TEST(host_rate_limit_is_per_host) {
    futurl_client_options o;
    opts_init(&o, 4);
    o.host_rate_limit = 10.0;
    o.host_rate_burst = 1;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    enum { N = 10 };
    tracked a[N], b[N];
    char url[128];
    other_host_url(url, sizeof url, "/echo");
    double t0 = support_now();
    for (int i = 0; i < N; i++) {
        submit(c, request("GET", "/ok"), &a[i]);
        submit(c, request("GET", url), &b[i]);
    }
    wait_all(a, N);
    wait_all(b, N);
    double dt = support_now() - t0;
    double last_a = 0, last_b = 0;
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(futurl_future_status(a[i].f), FUTURL_OK);
        ck_assert_int_eq(futurl_future_status(b[i].f), FUTURL_OK);
        double x = atomic_load(&a[i].done_at) - t0, y = atomic_load(&b[i].done_at) - t0;
        last_a = x > last_a ? x : last_a;
        last_b = y > last_b ? y : last_b;
    }
    fprintf(stderr, "host rate: 2 x %d GETs at 10/s per host in %.3f s\n", N, dt);
    ck_assert_msg(last_a >= 0.85 && last_b >= 0.85,
                  "each host at 10/s: last done at %.3f s and %.3f s, want >= 0.85 s",
                  last_a, last_b);
    /* One shared bucket would take 1.9 s. */
    ck_assert_msg(dt < 1.6 * support_slack(), "two hosts took %.3f s, want < %.3f s", dt,
                  1.6 * support_slack());
    ck_assert_int_eq(support_fault_attempts(&fault, "/ok"), N);
    ck_assert_int_eq(support_fault_attempts(&fault, "/echo"), N);
    free_all(a, N);
    free_all(b, N);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(max_per_host_never_exceeded) {
    enum { N = 20, LIMIT = 3 };
    futurl_client_options o;
    opts_init(&o, 8);
    o.max_per_host = LIMIT;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    tracked ts[N], other;
    char url[128];
    other_host_url(url, sizeof url, "/echo");
    double t0 = support_now();
    for (int i = 0; i < N; i++)
        submit(c, request("GET", "/slot?delay_ms=200"), &ts[i]);
    /* The waiting ones wait in the library, not on a worker... */
    size_t parked = wait_gauge(c, PARKED, N - LIMIT, 2.0);
    ck_assert_msg(parked >= N - LIMIT - 1, "parked %zu waiting for a slot, want ~%d",
                  parked, N - LIMIT);
    /* ... and another host is not behind them. */
    submit(c, request("GET", url), &other);
    wait_all(&other, 1);
    ck_assert_int_eq(futurl_future_status(other.f), FUTURL_OK);
    double other_dt = atomic_load(&other.done_at) - t0;
    ck_assert_msg(other_dt < 0.6 * support_slack(),
                  "another host waited %.3f s behind a full one", other_dt);
    wait_all(ts, N);
    double dt = support_now() - t0;
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(futurl_future_status(ts[i].f), FUTURL_OK);
    /* /slot, not /ok: its peak cannot count the next request overlapping the
     * last bytes of the one before (see fault_server.py). */
    long peak = support_fault_peak(&fault, "/slot");
    ck_assert_msg(peak <= LIMIT, "server peak %ld > max_per_host %d", peak, LIMIT);
    ck_assert_msg(peak == LIMIT, "server peak %ld, want %d (in parallel)", peak, LIMIT);
    ck_assert_int_eq(support_fault_attempts(&fault, "/slot"), N);
    /* ceil(20 / 3) = 7 rounds of 200 ms. */
    ck_assert_msg(dt >= 1.3, "%d requests, %d at a time, took %.3f s, want >= 1.3 s", N,
                  LIMIT, dt);
    ck_assert_msg(dt < 3.5 * support_slack(), "took %.3f s, want < %.3f s", dt,
                  3.5 * support_slack());
    free_all(ts, N);
    free_all(&other, 1);
    futurl_client_destroy(c);
}
END_TEST

/* A client of `workers` workers with max_per_host = 1, where `holder` (a
 * GET of holder_url) holds the slot and `waiter` (of waiter_url) is parked
 * waiting for it. */
static futurl_client *holder_and_waiter(unsigned workers, const char *holder_url,
                                        tracked *holder, const char *waiter_url,
                                        tracked *waiter) {
    futurl_client_options o;
    opts_init(&o, workers);
    o.max_per_host = 1;
    futurl_client *c = client_new(&o);
    submit(c, request("GET", holder_url), holder);
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 1, 5.0), 1);
    submit(c, request("GET", waiter_url), waiter);
    ck_assert_uint_eq(wait_gauge(c, PARKED, 1, 5.0), 1);
    return c;
}

/* Waits for another request from a done-callback. */
typedef struct wait_next {
    futurl_future *next;
    atomic_int ran;
    futurl_status st;
} wait_next;

static void cb_wait_next(futurl_future *f, void *userdata) {
    wait_next *w = userdata;
    (void)f;
    w->st = futurl_future_wait_for(w->next, (long)(10000 * support_slack()));
    atomic_store(&w->ran, 1);
}

/*
 * A request that ends hands its host's slot to the next waiter, which its
 * worker then takes itself instead of waking another one. A done-callback
 * of the ending request runs on that worker first; if it waits for the
 * next waiter, another worker must have been woken for it, or it would
 * wait for ever while the second worker sleeps.
 */
START_TEST(callback_may_wait_for_the_request_it_lets_in) {
    static tracked a, b;
    futurl_client *c = holder_and_waiter(2, "/slot?delay_ms=200", &a, "/slot", &b);
    static wait_next w;
    w = (wait_next){.next = b.f, .st = FUTURL_EINVAL};
    atomic_init(&w.ran, 0);
    ck_assert_int_eq(futurl_future_on_done(a.f, cb_wait_next, &w), FUTURL_OK);
    wait_all(&a, 1);
    ck_assert_int_eq(atomic_load(&w.ran), 1);
    ck_assert_msg(w.st == FUTURL_OK,
                  "a callback of the request that let the next one "
                  "in, waiting for it: %s, want FUTURL_OK",
                  futurl_err_name(w.st));
    wait_all(&b, 1);
    free_all(&a, 1);
    free_all(&b, 1);
    futurl_client_destroy(c);
}
END_TEST

/* A generic job that, once let go, cancels `cancel` and then watches
 * `watch` for up to a few seconds, without waiting on it (a worker may not
 * wait for its own pool). */
typedef struct cancel_then_watch {
    futurl_future *cancel, *watch;
    atomic_int go;
    atomic_int saw_done; /* -1 until the job ends */
} cancel_then_watch;

static futurl_status job_cancel_then_watch(futurl_job *job, void *arg, void **result) {
    cancel_then_watch *cw = arg;
    (void)job;
    (void)result;
    double end = support_now() + 10.0 * support_slack();
    while (!atomic_load(&cw->go) && support_now() < end)
        support_sleep_ms(1);
    (void)futurl_future_cancel(cw->cancel);
    end = support_now() + 5.0 * support_slack();
    while (!futurl_future_done(cw->watch) && support_now() < end)
        support_sleep_ms(5);
    atomic_store(&cw->saw_done, futurl_future_done(cw->watch));
    return FUTURL_OK;
}

/*
 * Only the HTTP job passing its own slot on, as it returns, may keep the
 * wake-up of the request that gets the slot for its worker. Here user code
 * in a generic job cancels the granted request; the slot passes to the
 * next one while two workers sleep. Before the fix the generic job's worker
 * owed that wake-up, so the next request sat in the queue until the job
 * ended (never, here: the job watches it for 5 s).
 *
 * Three workers: the job holds one; `holder` gets a 429 (Retry-After: 1)
 * after 300 ms, which holds the host back and passes the slot to `granted`,
 * which then parks with the slot until the hold ends; `next` waits for the
 * slot. The job then cancels `granted`.
 */
START_TEST(user_code_in_a_job_never_owes_a_wake) {
    futurl_client_options o;
    opts_init(&o, 3);
    o.max_per_host = 1;
    futurl_client *c = client_new(&o);
    static cancel_then_watch cw;
    static tracked holder, granted, next;
    atomic_init(&cw.go, 0);
    atomic_init(&cw.saw_done, -1);
    futurl_future *job = NULL;
    ck_assert_int_eq(futurl_executor_submit(futurl_client_executor(c), job_cancel_then_watch,
                                            &cw, NULL, NULL, &job),
                     FUTURL_OK);
    futurl_request *r = request("GET", "/429?retry_after=1&delay_ms=300");
    futurl_retry_policy once = policy(1, 10, 5000); /* the hold: up to max_delay_ms */
    ck_assert_int_eq(futurl_request_set_retry(r, &once), FUTURL_OK);
    submit(c, r, &holder);
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 1, 5.0), 1);
    submit(c, request("GET", "/slot"), &granted);
    ck_assert_uint_eq(wait_gauge(c, PARKED, 1, 5.0), 1);
    submit(c, request("GET", "/slot"), &next);
    ck_assert_uint_eq(wait_gauge(c, PARKED, 2, 5.0), 2);
    cw.cancel = granted.f;
    cw.watch = next.f;
    wait_all(&holder, 1);
    /* `granted` takes the slot, meets the hold and parks again. */
    support_sleep_ms(200);
    ck_assert_uint_eq(gauge_of(c, PARKED), 2);
    atomic_store(&cw.go, 1);
    ck_assert_int_eq(futurl_future_wait_for(job, (long)(20000 * support_slack())),
                     FUTURL_OK);
    ck_assert_msg(atomic_load(&cw.saw_done) == 1,
                  "the request that got the slot when user code in a job cancelled "
                  "the one holding it: done %d after 5 s, want 1",
                  atomic_load(&cw.saw_done));
    wait_all(&granted, 1);
    wait_all(&next, 1);
    ck_assert_int_eq(futurl_future_status(granted.f), FUTURL_ECANCELED);
    expect_outcome(&next, FUTURL_OK, 1);
    futurl_future_free(job);
    free_all(&holder, 1);
    free_all(&granted, 1);
    free_all(&next, 1);
    futurl_client_destroy(c);
}
END_TEST

/* ------------------------------------------- parked requests are bounded */

/* queued + parked right now. */
static size_t waiting_of(futurl_client *c) {
    futurl_client_stats s = stats_of(c);
    return s.queued + s.parked;
}

/* Records what futurl_client_submit returned on a worker thread. */
typedef struct worker_submit {
    futurl_client *c;
    atomic_int open;
    atomic_int entered;
    futurl_status st;
} worker_submit;

static futurl_status job_submit_when_open(futurl_job *job, void *arg, void **result) {
    worker_submit *ws = arg;
    (void)job;
    (void)result;
    atomic_store(&ws->entered, 1);
    while (!atomic_load(&ws->open))
        support_sleep_ms(1);
    futurl_future *f = NULL;
    futurl_request *r = NULL;
    if (futurl_request_new("GET", "/slot", &r) != FUTURL_OK)
        return FUTURL_ENOMEM;
    ws->st = futurl_client_submit(ws->c, r, &f); /* must not block */
    futurl_future_free(f);
    return FUTURL_OK;
}

typedef struct blocked_submit {
    futurl_client *c;
    tracked *t;
    atomic_int returned;
} blocked_submit;

static void *submit_blocking(void *p) {
    blocked_submit *b = p;
    submit(b->c, request("GET", "/slot"), b->t);
    atomic_store(&b->returned, 1);
    return NULL;
}

/*
 * Issue 14, defect 4: requests parked while they wait for a per-host slot
 * count against queue_capacity, as queued ones do. While one slow request
 * holds the only slot, try_submit fails FUTURL_EQUEUEFULL once capacity
 * requests wait (workers may park up to `workers` more), a blocking submit
 * blocks, and one on a worker thread fails instead; queued + parked never
 * passes the bound, and every request completes exactly once. Before the
 * fix a parked request gave its queue slot back, and try_submit never
 * failed.
 */
START_TEST(parked_requests_count_against_queue_capacity) {
    enum { W = 3, CAP = 8, BOUND = CAP + W, MAX = 200 };
    futurl_client_options o;
    opts_init(&o, W);
    o.queue_capacity = CAP;
    o.max_per_host = 1;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    /* Static: under CK_FORK=no a failed run must not leave callbacks
     * pointing into a dead stack frame. */
    static tracked blocker, ts[MAX], late;
    submit(c, request("GET", "/slot?delay_ms=1500"), &blocker); /* the slot */
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 1, 5.0), 1);
    static worker_submit ws;
    ws.c = c;
    atomic_store(&ws.open, 0);
    atomic_store(&ws.entered, 0);
    ws.st = FUTURL_OK;
    futurl_future *wf = NULL; /* holds a second worker until it submits */
    ck_assert_int_eq(futurl_executor_submit(futurl_client_executor(c),
                                            job_submit_when_open, &ws, NULL, NULL, &wf),
                     FUTURL_OK);
    for (int i = 0; i < 5000 && !atomic_load(&ws.entered); i++)
        support_sleep_ms(1);
    ck_assert_int_eq(atomic_load(&ws.entered), 1);

    /* Fill: the third worker parks what the queue hands it. */
    size_t n = 0, most = 0;
    double quiet_until = support_now() + 0.3;
    while (n < MAX && support_now() < quiet_until) {
        futurl_request *r = request("GET", "/slot");
        atomic_init(&ts[n].calls, 0);
        atomic_init(&ts[n].done_at, 0.0);
        futurl_status st = futurl_client_try_submit(c, r, &ts[n].f);
        if (st == FUTURL_OK) {
            ck_assert_int_eq(futurl_future_on_done(ts[n].f, count_done, &ts[n]),
                             FUTURL_OK);
            n++;
            quiet_until = support_now() + 0.3; /* until 0.3 s of refusals */
        } else {
            ck_assert_msg(st == FUTURL_EQUEUEFULL,
                          "try_submit: %s, want OK or "
                          "FUTURL_EQUEUEFULL",
                          futurl_err_name(st));
            support_sleep_ms(2);
        }
        size_t w = waiting_of(c);
        most = w > most ? w : most;
    }
    ck_assert_msg(n < MAX,
                  "try_submit took %zu requests while one slow request holds "
                  "the only slot: parked requests are not bounded",
                  n);
    ck_assert_msg(n >= CAP && n <= BOUND,
                  "try_submit took %zu requests, want %d..%d "
                  "(queue_capacity, + workers)",
                  n, CAP, BOUND);
    ck_assert_msg(most <= BOUND, "queued + parked reached %zu, bound %d", most, BOUND);
    ck_assert_uint_ge(gauge_of(c, PARKED), CAP - 1);

    /* On a worker thread, a blocking submit fails at once instead. */
    atomic_store(&ws.open, 1);
    ck_assert_int_eq(futurl_future_wait_for(wf, 5000), FUTURL_OK);
    ck_assert_msg(ws.st == FUTURL_EQUEUEFULL,
                  "submit on a worker with the queue full of "
                  "parked requests: %s, want FUTURL_EQUEUEFULL",
                  futurl_err_name(ws.st));
    futurl_future_free(wf);

    /* Elsewhere it blocks until the slow request ends and room comes. */
    static blocked_submit b;
    b.c = c;
    b.t = &late;
    atomic_store(&b.returned, 0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, submit_blocking, &b), 0);
    support_sleep_ms(150);
    ck_assert_msg(!atomic_load(&b.returned) && !futurl_future_done(blocker.f),
                  "a blocking submit returned while the queue was full of parked "
                  "requests");
    pthread_join(th, NULL);
    ck_assert_int_eq(futurl_future_done(blocker.f), 1);

    wait_all(&blocker, 1);
    wait_all(ts, n);
    wait_all(&late, 1);
    ck_assert_int_eq(futurl_future_status(blocker.f), FUTURL_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(futurl_future_status(ts[i].f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_status(late.f), FUTURL_OK);
    ck_assert_int_eq(support_fault_peak(&fault, "/slot"), 1);
    ck_assert_int_eq(support_fault_attempts(&fault, "/slot"), (long)n + 2);
    free_all(&blocker, 1);
    free_all(ts, n);
    free_all(&late, 1);
    futurl_client_destroy(c);
}
END_TEST

/* Samples queued + parked of a client until told to stop. */
typedef struct sampler {
    futurl_client *c;
    atomic_int stop;
    size_t most;
    long samples;
} sampler;

static void *sample_waiting(void *p) {
    sampler *s = p;
    while (!atomic_load(&s->stop)) {
        size_t w = waiting_of(s->c);
        s->most = w > s->most ? w : s->most;
        s->samples++;
        support_sleep_ms(1);
    }
    return NULL;
}

/*
 * The same at scale: N requests through max_per_host = 1 on a slow
 * endpoint, submitted by blocking submits as fast as they go. queued +
 * parked stays within queue_capacity + workers all along, and every
 * request completes exactly once, one at a time on the server.
 */
START_TEST(parked_bound_holds_at_scale) {
    enum { W = 4, CAP = 32, BOUND = CAP + W };
    const int n = support_under_valgrind() ? 200 : 2000;
    futurl_client_options o;
    opts_init(&o, W);
    o.queue_capacity = CAP;
    o.max_per_host = 1;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    tracked *ts = calloc((size_t)n, sizeof *ts);
    ck_assert_ptr_nonnull(ts);
    static sampler s;
    s = (sampler){.c = c, .most = 0, .samples = 0};
    atomic_init(&s.stop, 0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, sample_waiting, &s), 0);
    size_t most = 0;
    for (int i = 0; i < n; i++) {
        submit(c, request("GET", "/slot?delay_ms=1"), &ts[i]);
        size_t w = waiting_of(c);
        most = w > most ? w : most;
    }
    wait_all(ts, (size_t)n);
    atomic_store(&s.stop, 1);
    pthread_join(th, NULL);
    most = s.most > most ? s.most : most;
    ck_assert_msg(most <= BOUND, "queued + parked reached %zu, bound %d (%ld samples)",
                  most, BOUND, s.samples);
    ck_assert_msg(most >= CAP / 2,
                  "queued + parked peaked at %zu: the backlog never "
                  "built up (bound %d)",
                  most, BOUND);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(futurl_future_status(ts[i].f), FUTURL_OK);
    ck_assert_int_eq(support_fault_attempts(&fault, "/slot"), n);
    ck_assert_int_eq(support_fault_peak(&fault, "/slot"), 1);
    futurl_client_stats st = stats_of(c);
    ck_assert_uint_eq(st.succeeded, (uint64_t)n);
    ck_assert_uint_eq(st.queued + st.parked, 0);
    free_all(ts, (size_t)n);
    free(ts);
    futurl_client_destroy(c);
}
END_TEST

/*
 * Issue 14, defect 4 (the correctness half; the time is bench S6's): 20,000
 * requests with max_per_host = 1 over two hosts, all submitted at once, so
 * thousands wait for each host's slot. All complete exactly once, and each
 * host serves one at a time.
 */
START_TEST(per_host_limit_at_scale) {
    const int n = support_under_valgrind() ? 1000 : 20000;
    futurl_client_options o;
    opts_init(&o, 8);
    o.max_per_host = 1;
    o.queue_capacity = (unsigned)n; /* all of them wait at once */
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    char other[128];
    other_host_url(other, sizeof other, "/slot2");
    tracked *ts = calloc((size_t)n, sizeof *ts);
    ck_assert_ptr_nonnull(ts);
    double t0 = support_now();
    for (int i = 0; i < n; i++)
        submit(c, request("GET", i % 2 ? other : "/slot"), &ts[i]);
    size_t parked = wait_gauge(c, PARKED, (size_t)n / 2, 10.0);
    wait_all(ts, (size_t)n);
    double dt = support_now() - t0;
    for (int i = 0; i < n; i++) {
        futurl_status st = futurl_future_status(ts[i].f);
        ck_assert_msg(st == FUTURL_OK, "request %d: %s (%s)", i, futurl_err_name(st),
                      futurl_future_errmsg(ts[i].f));
    }
    ck_assert_int_eq(support_fault_attempts(&fault, "/slot"), n / 2);
    ck_assert_int_eq(support_fault_attempts(&fault, "/slot2"), n / 2);
    ck_assert_int_eq(support_fault_peak(&fault, "/slot"), 1);
    ck_assert_int_eq(support_fault_peak(&fault, "/slot2"), 1);
    futurl_client_stats st = stats_of(c);
    ck_assert_uint_eq(st.succeeded, (uint64_t)n);
    ck_assert_uint_eq(st.parked, 0);
    printf("per-host limit: %d GETs, 2 hosts, 1 at a time each, in %.2f s "
           "(%zu parked at once)\n",
           n, dt, parked);
    ck_assert_msg(dt < 120 * support_slack(), "took %.1f s", dt);
    free_all(ts, (size_t)n);
    free(ts);
    futurl_client_destroy(c);
}
END_TEST

/* ======================================================== 6. deadlines */

/* A slow blocker on the fault server whose body keeps flowing (so
 * cancelling it takes milliseconds): 50 s unless cancelled. */
#define BLOCKER "/trickle?bytes=5000&interval_ms=10"

static void expect_deadline(const tracked *t, double t0, double deadline_s) {
    futurl_status st = futurl_future_status(t->f);
    ck_assert_msg(st == FUTURL_ETIMEDOUT, "status %s (%s), want FUTURL_ETIMEDOUT",
                  futurl_err_name(st), futurl_future_errmsg(t->f));
    double dt = atomic_load(&t->done_at) - t0;
    ck_assert_msg(dt >= deadline_s - 0.02, "ended %.3f s after submit, deadline %.3f s", dt,
                  deadline_s);
    ck_assert_msg(dt < deadline_s + 0.5 * support_slack(),
                  "ended %.3f s after submit, deadline %.3f s", dt, deadline_s);
}

START_TEST(deadline_during_backoff) {
    futurl_client_options o;
    opts_init(&o, 2);
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    /* 503 asking for 5 s: the next attempt would come long after the
     * deadline. */
    futurl_retry_policy p = policy(5, 10, 10000);
    futurl_request *r = request_with("GET", "/flaky?fail=100&retry_after=5", &p);
    ck_assert_int_eq(futurl_request_set_deadline(r, 500), FUTURL_OK);
    double t0 = support_now();
    tracked t;
    submit(c, r, &t);
    size_t parked = wait_gauge(c, PARKED, 1, 2.0);
    ck_assert_uint_eq(parked, 1);
    wait_all(&t, 1);
    expect_deadline(&t, t0, 0.5);
    /* The last attempt's response stays readable; no second attempt. */
    const futurl_response *resp = futurl_future_response(t.f);
    ck_assert_ptr_nonnull(resp);
    ck_assert_int_eq(futurl_response_status(resp), 503);
    ck_assert_uint_eq(futurl_response_attempts(resp), 1);
    ck_assert_msg(strstr(futurl_future_errmsg(t.f), "deadline") != NULL,
                  "errmsg \"%s\" does not name the deadline", futurl_future_errmsg(t.f));
    ck_assert_int_eq(support_fault_attempts(&fault, "/flaky"), 1);
    free_all(&t, 1);
    futurl_client_destroy(c);
}
END_TEST

/* The client-wide deadline cuts an attempt short, and a timeout the
 * deadline caused is not retried (attempt timeouts otherwise are). */
START_TEST(client_deadline_during_attempt) {
    futurl_client_options o;
    opts_init(&o, 2);
    o.deadline_ms = 400;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    double t0 = support_now();
    tracked t;
    submit(c, request("GET", "/stall"), &t); /* timeouts are retried... */
    wait_all(&t, 1);
    expect_deadline(&t, t0, 0.4);
    /* ... but not when the deadline is what cut the attempt. */
    ck_assert_uint_eq(futurl_response_attempts(futurl_future_response(t.f)), 1);
    ck_assert_int_eq(support_fault_attempts(&fault, "/stall"), 1);
    free_all(&t, 1);
    futurl_client_destroy(c);
}
END_TEST

/* Deadlines while queued behind busy workers, waiting for a per-host slot,
 * and waiting for a rate token: each ends on time and never reaches the
 * server. _i: 0 queued, 1 slot, 2 token. */
START_TEST(deadline_while_waiting) {
    static const char *const what[] = {"queued", "waiting for a slot",
                                       "waiting for a token"};
    futurl_client_options o;
    opts_init(&o, _i == 0 ? 1 : 4);
    if (_i == 1)
        o.max_per_host = 1;
    if (_i == 2) {
        o.rate_limit = 0.5;
        o.rate_burst = 1;
    }
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    tracked blocker, t, after;
    submit(c, request("GET", BLOCKER), &blocker);
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 1, 5.0), 1);
    futurl_request *r = request("GET", "/echo");
    ck_assert_int_eq(futurl_request_set_deadline(r, 300), FUTURL_OK);
    double t0 = support_now();
    submit(c, r, &t);
    wait_all(&t, 1);
    expect_deadline(&t, t0, 0.3);
    ck_assert_msg(futurl_future_response(t.f) == NULL, "%s: a response without a transfer",
                  what[_i]);
    ck_assert_int_eq(support_fault_attempts(&fault, "/echo"), 0);
    ck_assert_int_eq(futurl_future_cancel(blocker.f), 1);
    wait_all(&blocker, 1);
    ck_assert_int_eq(futurl_future_state(blocker.f), FUTURL_CANCELLED);
    if (_i != 2) {
        /* Nothing was left holding the worker or the slot. */
        submit(c, request("GET", "/echo"), &after);
        wait_all(&after, 1);
        ck_assert_int_eq(futurl_future_status(after.f), FUTURL_OK);
        ck_assert_msg(atomic_load(&after.done_at) - t0 < 2.0 * support_slack(),
                      "the next request after a timed-out one took %.3f s",
                      atomic_load(&after.done_at) - t0);
        free_all(&after, 1);
    }
    futurl_client_stats s = stats_of(c);
    ck_assert_uint_eq(s.failed, 1);
    ck_assert_uint_eq(s.cancelled, 1);
    ck_assert_uint_eq(s.parked, 0);
    free_all(&blocker, 1);
    free_all(&t, 1);
    futurl_client_destroy(c);
}
END_TEST

/*
 * A request whose backoff ends while every worker is busy re-enters the run
 * queue; its deadline must still end it on time there, as it does for a
 * request queued from the start (deadline_while_waiting).
 */
START_TEST(deadline_after_backoff_while_workers_busy) {
    futurl_client_options o;
    opts_init(&o, 1);
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    futurl_retry_policy p = policy(5, 10, 200); /* Retry-After 1 s, clamped to 200 ms */
    futurl_request *r = request_with("GET", "/flaky?fail=100&retry_after=1", &p);
    ck_assert_int_eq(futurl_request_set_deadline(r, 600), FUTURL_OK);
    double t0 = support_now();
    static tracked t, blocker; /* see granted_slot_passed_on_when_waiter_ends_unrun */
    submit(c, r, &t);
    ck_assert_uint_eq(wait_gauge(c, PARKED, 1, 2.0), 1); /* first attempt made */
    submit(c, request("GET", BLOCKER), &blocker);       /* the only worker */
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 1, 2.0), 1);
    (void)futurl_future_wait_for(t.f, (long)(600 + 1000 * support_slack()));
    int done = futurl_future_done(t.f);
    ck_assert_int_eq(futurl_future_cancel(blocker.f), 1);
    wait_all(&blocker, 1);
    wait_all(&t, 1);
    ck_assert_msg(done, "deadline 0.6 s: still not ended %.3f s after submit, queued "
                        "behind a busy worker after its backoff",
                  support_now() - t0);
    expect_deadline(&t, t0, 0.6);
    ck_assert_int_eq(support_fault_attempts(&fault, "/flaky"), 1);
    free_all(&t, 1);
    free_all(&blocker, 1);
    futurl_client_destroy(c);
}
END_TEST

/* ============================== 7. cancel and shutdown in every state */

enum wait_kind { W_QUEUED, W_PARKED, W_TOKEN, W_SLOT, W_IN_FLIGHT, W_KINDS };
static const char *const kind_names[] = {"queued", "parked (backoff)",
                                         "waiting for a token", "waiting for a slot",
                                         "in flight"};

/*
 * K targets in the given state, perhaps behind a blocker (queued, slot) or
 * after a first request (token), then ended by futurl_future_cancel on each
 * (how == 0) or futurl_client_shutdown(FUTURL_CANCEL_PENDING) (how == 1).
 */
static void cancel_in_state(enum wait_kind kind, int how) {
    enum { K = 5 };
    futurl_client_options o;
    opts_init(&o, kind == W_QUEUED ? 1 : 4);
    o.hold_on_429 = 0;
    if (kind == W_TOKEN) {
        o.rate_limit = 0.2; /* one token now, the next in 5 s */
        o.rate_burst = 1;
    }
    if (kind == W_SLOT)
        o.max_per_host = 1;
    if (kind == W_PARKED)
        o.retry = policy(3, 10, 60000);
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);

    tracked lead, ts[K];
    int has_lead = kind == W_QUEUED || kind == W_SLOT || kind == W_TOKEN;
    if (has_lead) {
        submit(c, request("GET", kind == W_TOKEN ? "/ok" : BLOCKER), &lead);
        if (kind == W_TOKEN)
            wait_all(&lead, 1);
        else
            ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 1, 5.0), 1);
    }
    const char *url = kind == W_PARKED      ? "/429?retry_after=30"
                      : kind == W_IN_FLIGHT ? BLOCKER
                                            : "/echo";
    for (int i = 0; i < K; i++)
        submit(c, request("GET", url), &ts[i]);

    /* Wait until all K are in the state under test. */
    size_t seen;
    if (kind == W_QUEUED)
        seen = wait_gauge(c, QUEUED, K, 5.0);
    else if (kind == W_IN_FLIGHT)
        seen = wait_gauge(c, IN_FLIGHT, K > 4 ? 4 : K, 5.0);
    else
        seen = wait_gauge(c, PARKED, K, 5.0);
    size_t want = kind == W_IN_FLIGHT ? 4 : K; /* 4 workers: one stays queued */
    ck_assert_msg(seen == want, "%s: %zu of %zu there", kind_names[kind], seen, want);
    if (kind == W_PARKED)
        ck_assert_int_eq(support_fault_attempts(&fault, "/429"), K);

    double t0 = support_now();
    if (how == 0) {
        for (int i = 0; i < K; i++) {
            ck_assert_int_eq(futurl_future_cancel(ts[i].f), 1);
            if (kind != W_IN_FLIGHT)
                /* Not running: ends at once, on this thread. */
                ck_assert_msg(futurl_future_done(ts[i].f), "%s: cancel did not end it",
                              kind_names[kind]);
        }
        wait_all(ts, K);
        if (has_lead && kind != W_TOKEN) {
            ck_assert_int_eq(futurl_future_cancel(lead.f), 1);
            wait_all(&lead, 1);
            ck_assert_int_eq(futurl_future_state(lead.f), FUTURL_CANCELLED);
        }
        if (kind == W_SLOT || kind == W_QUEUED) {
            /* Cancelled waiters left no slot or worker taken. */
            tracked after;
            submit(c, request("GET", "/ok"), &after);
            wait_all(&after, 1);
            ck_assert_int_eq(futurl_future_status(after.f), FUTURL_OK);
            free_all(&after, 1);
        }
    } else {
        ck_assert_int_eq(futurl_client_shutdown(c, FUTURL_CANCEL_PENDING), FUTURL_OK);
        ck_assert_msg(support_now() - t0 < 2.0 * support_slack(),
                      "%s: shutdown took %.3f s", kind_names[kind], support_now() - t0);
        for (int i = 0; i < K; i++)
            ck_assert_msg(futurl_future_done(ts[i].f),
                          "%s: future %d not finished after shutdown", kind_names[kind],
                          i);
        wait_all(ts, K);
        if (has_lead) {
            wait_all(&lead, 1);
            ck_assert_int_eq(futurl_future_state(lead.f),
                             kind == W_TOKEN ? FUTURL_DONE : FUTURL_CANCELLED);
        }
    }
    double dt = support_now() - t0;
    for (int i = 0; i < K; i++)
        ck_assert_msg(futurl_future_state(ts[i].f) == FUTURL_CANCELLED,
                      "%s: future %d state %d, want CANCELLED (%s)", kind_names[kind], i,
                      (int)futurl_future_state(ts[i].f), futurl_future_errmsg(ts[i].f));
    ck_assert_msg(dt < 2.0 * support_slack(), "%s: ending them took %.3f s",
                  kind_names[kind], dt);

    /* Nothing behind the targets reached the server. */
    if (kind == W_QUEUED || kind == W_SLOT || kind == W_TOKEN)
        ck_assert_int_eq(support_fault_attempts(&fault, "/echo"), 0);
    if (kind == W_PARKED)
        ck_assert_int_eq(support_fault_attempts(&fault, "/429"), K);

    futurl_client_stats s = stats_of(c);
    uint64_t submitted = K + (has_lead ? 1 : 0) +
                         ((how == 0 && (kind == W_SLOT || kind == W_QUEUED)) ? 1 : 0);
    ck_assert_uint_eq(s.submitted, submitted);
    ck_assert_uint_eq(s.succeeded + s.failed + s.cancelled, submitted);
    ck_assert_uint_eq(s.cancelled, K + ((has_lead && kind != W_TOKEN) ? 1 : 0));
    ck_assert_uint_eq(s.failed, 0);
    ck_assert_uint_eq(s.parked, 0);
    ck_assert_uint_eq(s.in_flight, 0);
    ck_assert_uint_eq(s.queued, 0);
    free_all(ts, K);
    if (has_lead)
        free_all(&lead, 1);
    futurl_client_destroy(c);
}

START_TEST(cancel_each_in_state) {
    cancel_in_state((enum wait_kind)_i, 0);
}
END_TEST

START_TEST(shutdown_in_state) {
    cancel_in_state((enum wait_kind)_i, 1);
}
END_TEST

/* Cancelled slot waiters are skipped: the slot passes to the next one
 * still waiting, in order, and the limit holds. */
START_TEST(slot_passes_over_cancelled_waiters) {
    enum { K = 6 };
    futurl_client_options o;
    opts_init(&o, 4);
    o.max_per_host = 1;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    tracked lead, ts[K];
    submit(c, request("GET", "/slot?delay_ms=300"), &lead);
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 1, 5.0), 1);
    /* One at a time: the queue is in order of arrival at admission, and
     * waiters submitted together may arrive there in any order (seen under
     * valgrind: two workers took ts[1] and ts[2] and ts[2] came first). */
    for (int i = 0; i < K; i++) {
        submit(c, request("GET", "/slot?delay_ms=50"), &ts[i]);
        ck_assert_uint_eq(wait_gauge(c, PARKED, (size_t)i + 1, 5.0), (size_t)i + 1);
    }
    for (int i = 0; i < K; i += 2)
        ck_assert_int_eq(futurl_future_cancel(ts[i].f), 1);
    wait_all(&lead, 1);
    wait_all(ts, K);
    ck_assert_int_eq(futurl_future_status(lead.f), FUTURL_OK);
    /* The order the server saw them in: its per-path counter, echoed. */
    int want_order = 2; /* the lead was 1 */
    for (int i = 0; i < K; i++) {
        if (i % 2 == 0) {
            ck_assert_int_eq(futurl_future_state(ts[i].f), FUTURL_CANCELLED);
            continue;
        }
        ck_assert_int_eq(futurl_future_status(ts[i].f), FUTURL_OK);
        const cJSON *j = futurl_response_json(futurl_future_response(ts[i].f));
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(j, "attempt");
        ck_assert_msg(cJSON_IsNumber(n), "no attempt number in the reply of waiter %d", i);
        ck_assert_msg(n->valueint == want_order, "waiter %d reached the server as number "
                                                 "%d, want %d (queue order)",
                      i, n->valueint, want_order);
        want_order++;
    }
    ck_assert_int_eq(support_fault_attempts(&fault, "/slot"), 1 + K / 2);
    ck_assert_int_eq(support_fault_peak(&fault, "/slot"), 1);
    futurl_client_stats s = stats_of(c);
    ck_assert_uint_eq(s.succeeded, 1 + K / 2);
    ck_assert_uint_eq(s.cancelled, K / 2);
    free_all(&lead, 1);
    free_all(ts, K);
    futurl_client_destroy(c);
}
END_TEST

/* A job on the client's executor that holds its worker until the gate
 * opens (or it is cancelled). */
typedef struct gate {
    atomic_int entered, open;
} gate;

static futurl_status job_gate(futurl_job *job, void *arg, void **result) {
    gate *g = arg;
    (void)result;
    atomic_store(&g->entered, 1);
    while (!atomic_load(&g->open) && !futurl_job_cancelled(job))
        support_sleep_ms(1);
    return FUTURL_OK;
}

/*
 * A waiter that was handed the slot but ends before its job claims it —
 * cancelled (_i == 0) or past its deadline (_i == 1) while it sits in the run
 * queue behind busy workers — must pass the slot on: the waiter behind it
 * still runs, without anything else happening on that host.
 */
START_TEST(granted_slot_passed_on_when_waiter_ends_unrun) {
    futurl_client_options o;
    opts_init(&o, 2);
    o.max_per_host = 1;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    char other[128];
    other_host_url(other, sizeof other, BLOCKER);
    /* Static, as gx below: under CK_FORK=no a failed run must not leave
     * callbacks and jobs pointing into a dead stack frame. */
    static tracked a, b, w, g;
    submit(c, request("GET", "/slot?delay_ms=400"), &a); /* worker 1, the slot */
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 1, 5.0), 1);
    futurl_request *rb = request("GET", "/echo");
    if (_i == 1)
        ck_assert_int_eq(futurl_request_set_deadline(rb, 700), FUTURL_OK);
    submit(c, rb, &b);                           /* first waiter */
    submit(c, request("GET", "/echo?n=2"), &w); /* second waiter */
    ck_assert_uint_eq(wait_gauge(c, PARKED, 2, 5.0), 2);
    submit(c, request("GET", other), &g);        /* worker 2, another host */
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 2, 5.0), 2);
    static gate gx;
    atomic_store(&gx.entered, 0);
    atomic_store(&gx.open, 0);
    futurl_future *x = NULL; /* next in the run queue: takes worker 1 after a */
    ck_assert_int_eq(futurl_executor_submit(futurl_client_executor(c), job_gate, &gx,
                                            NULL, NULL, &x),
                     FUTURL_OK);
    wait_all(&a, 1); /* a ends: the slot goes to b, queued behind x */
    ck_assert_int_eq(futurl_future_status(a.f), FUTURL_OK);
    for (int i = 0; i < 5000 && !atomic_load(&gx.entered); i++)
        support_sleep_ms(1);
    ck_assert_int_eq(atomic_load(&gx.entered), 1);
    ck_assert_uint_eq(gauge_of(c, QUEUED), 1);
    ck_assert_uint_eq(gauge_of(c, PARKED), 1);
    ck_assert_int_eq(futurl_future_done(b.f), 0);
    if (_i == 0)
        ck_assert_int_eq(futurl_future_cancel(b.f), 1);
    /* Both workers stay busy: b must end without running. */
    (void)futurl_future_wait_for(b.f, (long)(1000 * support_slack()));
    ck_assert_msg(futurl_future_done(b.f),
                  "a waiter woken into the run queue did not end at its deadline "
                  "(see deadline_after_backoff_while_workers_busy)");
    wait_all(&b, 1);
    ck_assert_int_eq(futurl_future_status(b.f),
                     _i == 0 ? FUTURL_ECANCELED : FUTURL_ETIMEDOUT);
    atomic_store(&gx.open, 1);
    ck_assert_int_eq(futurl_future_wait_for(x, 5000), FUTURL_OK);
    ck_assert_int_eq(futurl_future_cancel(g.f), 1);
    wait_all(&g, 1);
    /* Nothing else touches host 127.0.0.1 now: w must get the slot anyway. */
    futurl_status st = futurl_future_wait_for(w.f, (long)(3000 * support_slack()));
    ck_assert_msg(st == FUTURL_OK,
                  "the waiter behind a %s one: %s after 3 s (parked %zu): the slot "
                  "handed to it was lost",
                  _i == 0 ? "cancelled" : "timed-out", futurl_err_name(st),
                  gauge_of(c, PARKED));
    wait_all(&w, 1);
    ck_assert_int_eq(support_fault_attempts(&fault, "/echo"), 1);
    futurl_future_free(x);
    free_all(&a, 1);
    free_all(&b, 1);
    free_all(&w, 1);
    free_all(&g, 1);
    futurl_client_destroy(c);
}
END_TEST

/*
 * A waiter handed the slot while a 429 hold is on claims the slot and then
 * parks for the hold. Cancelled there, it must give the slot back: after
 * the hold the host still runs max_per_host requests at once.
 */
START_TEST(slot_given_back_when_cancelled_during_hold) {
    futurl_client_options o;
    opts_init(&o, 3);
    o.max_per_host = 2;
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    char other[128];
    other_host_url(other, sizeof other, BLOCKER);
    futurl_retry_policy once = policy(1, 10, 10000);
    tracked l1, l2, h, b, g;
    submit(c, request("GET", "/slot?delay_ms=300"), &l1); /* workers 1, 2: */
    submit(c, request("GET", "/slot?delay_ms=800"), &l2); /* both slots */
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 2, 5.0), 2);
    submit(c, request_with("GET", "/429?retry_after=1", &once), &h); /* waiters, */
    ck_assert_uint_eq(wait_gauge(c, PARKED, 1, 5.0), 1);
    submit(c, request("GET", "/echo"), &b);                          /* in order */
    ck_assert_uint_eq(wait_gauge(c, PARKED, 2, 5.0), 2);
    submit(c, request("GET", other), &g); /* worker 3, another host */
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 3, 5.0), 3);
    /* l1 ends: h takes its slot on worker 1 and gets a 429 with
     * Retry-After 1; its slot goes to b, which runs on worker 1 once h is
     * done — with the hold set, so b parks holding the slot. */
    wait_all(&h, 1);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(h.f)), 429);
    ck_assert_uint_eq(wait_gauge(c, PARKED, 1, 5.0), 1);
    support_sleep_ms(20);
    ck_assert_int_eq(futurl_future_done(b.f), 0);
    ck_assert_int_eq(futurl_future_cancel(b.f), 1);
    wait_all(&b, 1);
    ck_assert_int_eq(futurl_future_state(b.f), FUTURL_CANCELLED);
    ck_assert_int_eq(futurl_future_cancel(g.f), 1);
    wait_all(&g, 1);
    wait_all(&l1, 1);
    wait_all(&l2, 1);
    ck_assert_int_eq(support_fault_attempts(&fault, "/echo"), 0);

    /* After the hold: two at once, as max_per_host says. */
    double hold_end = atomic_load(&h.done_at) + 1.0;
    while (support_now() < hold_end + 0.05)
        support_sleep_ms(10);
    support_fault_reset(&fault);
    tracked after[2];
    for (int i = 0; i < 2; i++)
        submit(c, request("GET", "/slot?delay_ms=300"), &after[i]);
    wait_all(after, 2);
    long peak = support_fault_peak(&fault, "/slot");
    ck_assert_msg(peak == 2, "after a waiter was cancelled during a hold the host runs "
                             "%ld at once, want max_per_host 2: its slot was lost", peak);
    futurl_client_stats s = stats_of(c);
    ck_assert_uint_eq(s.parked + s.in_flight, 0);
    free_all(after, 2);
    free_all(&l1, 1);
    free_all(&l2, 1);
    free_all(&h, 1);
    free_all(&b, 1);
    free_all(&g, 1);
    futurl_client_destroy(c);
}
END_TEST

/* One client with requests in every state at once — in flight on two
 * hosts, waiting for a slot, backing off, queued for a worker — then
 * shutdown: every one ends cancelled. */
START_TEST(shutdown_with_everything_pending) {
    futurl_client_options o;
    opts_init(&o, 3);
    o.max_per_host = 2;
    o.hold_on_429 = 0;
    o.retry = policy(3, 10, 60000);
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    char other_blocker[128], other_echo[128];
    other_host_url(other_blocker, sizeof other_blocker, BLOCKER);
    other_host_url(other_echo, sizeof other_echo, "/echo");
    enum { N = 12 };
    tracked ts[N];
    int n = 0;
    for (int i = 0; i < 2; i++) /* in flight: host A full, two workers busy */
        submit(c, request("GET", BLOCKER), &ts[n++]);
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 2, 5.0), 2);
    for (int i = 0; i < 4; i++) /* waiting for one of host A's slots */
        submit(c, request("GET", "/echo"), &ts[n++]);
    ck_assert_uint_eq(wait_gauge(c, PARKED, 4, 5.0), 4);
    char other_429[128];
    other_host_url(other_429, sizeof other_429, "/429?retry_after=30");
    submit(c, request("GET", other_429), &ts[n++]); /* backing off, on host B */
    ck_assert_uint_eq(wait_gauge(c, PARKED, 5, 5.0), 5);
    submit(c, request("GET", other_blocker), &ts[n++]); /* the third worker */
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 3, 5.0), 3);
    for (int i = 0; i < 4; i++) /* queued: no worker free */
        submit(c, request("GET", other_echo), &ts[n++]);
    ck_assert_int_eq(n, N);
    ck_assert_uint_eq(wait_gauge(c, QUEUED, 4, 5.0), 4);
    futurl_client_stats before = stats_of(c);
    ck_assert_uint_eq(before.in_flight, 3);
    ck_assert_uint_eq(before.parked, 5);

    double t0 = support_now();
    ck_assert_int_eq(futurl_client_shutdown(c, FUTURL_CANCEL_PENDING), FUTURL_OK);
    ck_assert_msg(support_now() - t0 < 2.0 * support_slack(), "shutdown took %.3f s",
                  support_now() - t0);
    wait_all(ts, N);
    for (int i = 0; i < N; i++)
        ck_assert_msg(futurl_future_state(ts[i].f) == FUTURL_CANCELLED,
                      "future %d: state %d (%s)", i, (int)futurl_future_state(ts[i].f),
                      futurl_future_errmsg(ts[i].f));
    ck_assert_int_eq(support_fault_attempts(&fault, "/echo"), 0);
    ck_assert_int_eq(support_fault_attempts(&fault, "/429"), 1);
    futurl_client_stats s = stats_of(c);
    ck_assert_uint_eq(s.submitted, N);
    ck_assert_uint_eq(s.cancelled, N);
    ck_assert_uint_eq(s.succeeded + s.failed, 0);
    ck_assert_uint_eq(s.parked + s.in_flight + s.queued, 0);
    free_all(ts, N);
    futurl_client_destroy(c);
}
END_TEST

/* In a callback of a request its client's shutdown cancels: shut the
 * client down and destroy it (both must do nothing), and wait for the
 * request that holds the slot. */
typedef struct client_nested {
    futurl_client *c;
    futurl_future *running;
    atomic_int ran;
    int running_was_done;
    futurl_status st_shutdown, st_wait;
} client_nested;

static void cb_client_nested(futurl_future *f, void *userdata) {
    client_nested *n = userdata;
    (void)f;
    n->st_shutdown = futurl_client_shutdown(n->c, FUTURL_CANCEL_PENDING);
    futurl_client_destroy(n->c); /* must not free the client in use */
    n->running_was_done = futurl_future_done(n->running);
    n->st_wait = futurl_future_wait(n->running);
    atomic_fetch_add(&n->ran, 1);
}

/*
 * Issue 14, defect 3, through the client: a request parked for a per-host
 * slot is cancelled by futurl_client_shutdown (_i == 0) or
 * futurl_client_destroy (_i == 1) on the calling thread. In its callback,
 * futurl_client_shutdown returns FUTURL_EDEADLK, futurl_client_destroy does
 * nothing, and waiting for the running request returns FUTURL_EDEADLK;
 * the outer call then finishes normally. Before the fix the nested
 * shutdown hung.
 */
START_TEST(client_shutdown_from_its_shutdown_callback) {
    static tracked running, waiting;
    /* The holder is aborted by CANCEL_PENDING, waited for by destroy. */
    futurl_client *c =
        holder_and_waiter(2, "/slot?delay_ms=1000", &running, "/echo", &waiting);
    static client_nested n;
    n = (client_nested){.c = c, .running = running.f};
    atomic_init(&n.ran, 0);
    ck_assert_int_eq(futurl_future_on_done(waiting.f, cb_client_nested, &n), FUTURL_OK);
    if (_i == 0)
        ck_assert_int_eq(futurl_client_shutdown(c, FUTURL_CANCEL_PENDING), FUTURL_OK);
    else
        futurl_client_destroy(c);
    ck_assert_int_eq(atomic_load(&n.ran), 1);
    ck_assert_msg(n.st_shutdown == FUTURL_EDEADLK,
                  "futurl_client_shutdown in its shutdown's callback: %s, want "
                  "FUTURL_EDEADLK",
                  futurl_err_name(n.st_shutdown));
    ck_assert_msg(n.running_was_done || n.st_wait == FUTURL_EDEADLK,
                  "waiting for the running request there: %s, want FUTURL_EDEADLK",
                  futurl_err_name(n.st_wait));
    wait_all(&running, 1);
    wait_all(&waiting, 1);
    ck_assert_int_eq(futurl_future_state(waiting.f), FUTURL_CANCELLED);
    ck_assert_int_eq(futurl_future_state(running.f),
                     _i == 0 ? FUTURL_CANCELLED : FUTURL_DONE);
    if (_i == 0) { /* still there: the nested destroy freed nothing */
        futurl_client_stats s = stats_of(c);
        ck_assert_uint_eq(s.cancelled, 2);
        futurl_client_destroy(c);
    }
    free_all(&running, 1);
    free_all(&waiting, 1);
}
END_TEST

START_TEST(destroy_ends_parked_requests) {
    futurl_client_options o;
    opts_init(&o, 2);
    o.hold_on_429 = 0;
    o.retry = policy(3, 10, 60000);
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);
    enum { N = 4 };
    tracked ts[N];
    for (int i = 0; i < N; i++)
        submit(c, request("GET", "/429?retry_after=30"), &ts[i]);
    ck_assert_uint_eq(wait_gauge(c, PARKED, N, 5.0), N);
    double t0 = support_now();
    futurl_client_destroy(c); /* drains the queue; backoffs are not waited out */
    ck_assert_msg(support_now() - t0 < 2.0 * support_slack(), "destroy took %.3f s",
                  support_now() - t0);
    wait_all(ts, N);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(futurl_future_state(ts[i].f), FUTURL_CANCELLED);
    free_all(ts, N);
}
END_TEST

/* ============================================================ 8. stats */

START_TEST(stats_match_what_happened) {
    futurl_client_options o;
    opts_init(&o, 2);
    o.hold_on_429 = 0;
    o.retry = policy(3, 10, 50);
    futurl_client *c = client_new(&o);
    support_fault_reset(&fault);

    /* One parked request, cancelled: one 429 seen, one retry scheduled. */
    futurl_retry_policy p_slow = policy(2, 10, 60000);
    tracked parked;
    submit(c, request_with("GET", "/429?retry_after=30", &p_slow), &parked);
    ck_assert_uint_eq(wait_gauge(c, PARKED, 1, 5.0), 1);
    uint64_t parked_bytes = stats_of(c).bytes;
    ck_assert_uint_gt(parked_bytes, 0);
    ck_assert_int_eq(futurl_future_cancel(parked.f), 1);
    wait_all(&parked, 1);

    enum { N = 6 };
    tracked ts[N];
    futurl_retry_policy p2 = policy(2, 10, 50);
    /* Constant bodies, so every attempt's bytes are known. */
    submit(c, request("GET", "/status?code=200"), &ts[0]); /* ok, 1 attempt */
    submit(c, request("GET", "/status?code=200"), &ts[1]);
    submit(c, request("GET", "/status?code=429"), &ts[2]); /* 3 attempts, 429s, ok */
    futurl_request *r = request_with("GET", "/status?code=503", &p2);
    ck_assert_int_eq(futurl_request_set_raise_for_status(r, 1), FUTURL_OK);
    submit(c, r, &ts[3]);                                       /* 2 attempts, EHTTP */
    submit(c, request_with("GET", "/close", &p2), &ts[4]);      /* 2, ENETWORK */
    submit(c, request("GET", "/stream?chunk=4096&interval_ms=1"), &ts[5]);
    wait_all(ts, N - 1);
    ck_assert_uint_eq(wait_gauge(c, IN_FLIGHT, 1, 5.0), 1);
    support_sleep_ms(50); /* some of the stream has arrived */
    ck_assert_int_eq(futurl_future_cancel(ts[5].f), 1); /* cancelled while running */
    wait_all(&ts[5], 1);

    expect_outcome(&ts[0], FUTURL_OK, 1);
    expect_outcome(&ts[1], FUTURL_OK, 1);
    expect_outcome(&ts[2], FUTURL_OK, 3);
    expect_outcome(&ts[3], FUTURL_EHTTP, 2);
    expect_outcome(&ts[4], FUTURL_ENETWORK, 2);
    ck_assert_int_eq(futurl_future_state(ts[5].f), FUTURL_CANCELLED);
    uint64_t bytes = parked_bytes;
    for (int i = 0; i < 4; i++) {
        const futurl_response *resp = futurl_future_response(ts[i].f);
        bytes += futurl_response_bytes(resp) * futurl_response_attempts(resp);
    }
    const futurl_response *streamed = futurl_future_response(ts[5].f);
    ck_assert_ptr_nonnull(streamed);
    ck_assert_uint_gt(futurl_response_bytes(streamed), 0);
    bytes += futurl_response_bytes(streamed);

    futurl_client_stats s = stats_of(c);
    ck_assert_uint_eq(s.submitted, N + 1);
    ck_assert_uint_eq(s.succeeded, 3);
    ck_assert_uint_eq(s.failed, 2);
    ck_assert_uint_eq(s.cancelled, 2);
    ck_assert_uint_eq(s.retries, 1 + 2 + 1 + 1);
    ck_assert_uint_eq(s.throttled, 1 + 3);
    ck_assert_uint_eq(s.bytes, bytes);
    ck_assert_uint_eq(s.parked, 0);
    ck_assert_uint_eq(s.in_flight, 0);
    ck_assert_uint_eq(s.queued, 0);
    ck_assert_int_eq(futurl_client_get_stats(NULL, &s), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_client_get_stats(c, NULL), FUTURL_EINVAL);
    free_all(&parked, 1);
    free_all(ts, N);
    futurl_client_destroy(c);
}
END_TEST

/* Bad policies and deadlines are refused. */
START_TEST(invalid_resilience_options) {
    futurl_request *r = request("GET", "/ok");
    futurl_retry_policy p = policy(0, 10, 10);
    ck_assert_int_eq(futurl_request_set_retry(r, &p), FUTURL_EINVAL);
    p = policy(1, -1, 10);
    ck_assert_int_eq(futurl_request_set_retry(r, &p), FUTURL_EINVAL);
    p = policy(1, 1, -10);
    ck_assert_int_eq(futurl_request_set_retry(r, &p), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_set_retry(r, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_set_deadline(r, -1), FUTURL_EINVAL);
    futurl_request_free(r);

    futurl_client_options o;
    futurl_client *c = (futurl_client *)1;
    opts_init(&o, 1);
    o.rate_limit = -1;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EINVAL);
    ck_assert_ptr_null(c);
    opts_init(&o, 1);
    o.deadline_ms = -5;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EINVAL);
    opts_init(&o, 1);
    o.retry.max_attempts = 0;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EINVAL);
    /* The policy's defaults: test_retry.c, policy_defaults. */
}
END_TEST

/* ------------------------------------------------------------------ suite */

static TCase *tcase(Suite *s, const char *name, int timeout_s) {
    TCase *tc = tcase_create(name);
    tcase_add_unchecked_fixture(tc, start_fault, stop_fault);
    tcase_set_timeout(tc, timeout_s);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *resilience_suite(void) {
    Suite *s = suite_create("resilience");
    TCase *tc = tcase(s, "faults", 20);
    tcase_add_loop_test(tc, fault_gives_code_and_attempts, 0, N_FAULT_CASES);
    tcase_add_test(tc, big_headers_not_retried);
    tcase_add_test(tc, retry_on_500_opt_in);
    tcase_add_test(tc, exhausted_status_retries);
    tcase_add_loop_test(tc, retry_after_honoured_clamped_or_ignored, 0,
                        N_RETRY_AFTER_CASES);
    tcase_add_loop_test(tc, post_retried_only_when_safe, 0, N_METHOD_CASES);
    tcase_add_test(tc, invalid_resilience_options);

    tc = tcase(s, "throttling", 30);
    tcase_add_test(tc, backoff_does_not_hold_workers);
    tcase_add_loop_test(tc, hold_after_429_is_per_host, 0, 2);
    tcase_add_test(tc, hold_covers_the_retry_and_the_others);
    tcase_add_test(tc, rate_limit_paces_requests);
    tcase_add_test(tc, rate_limit_burst);
    tcase_add_test(tc, rate_limit_range);
    tcase_add_test(tc, host_rate_limit_is_per_host);
    tcase_add_test(tc, max_per_host_never_exceeded);
    tcase_add_test(tc, callback_may_wait_for_the_request_it_lets_in);
    tcase_add_test(tc, user_code_in_a_job_never_owes_a_wake);
    tcase_add_test(tc, parked_requests_count_against_queue_capacity);
    tcase_add_test(tc, parked_bound_holds_at_scale);

    tc = tcase(s, "scale", 180);
    tcase_add_test(tc, per_host_limit_at_scale);

    tc = tcase(s, "deadlines", 20);
    tcase_add_test(tc, deadline_during_backoff);
    tcase_add_test(tc, client_deadline_during_attempt);
    tcase_add_loop_test(tc, deadline_while_waiting, 0, 3);
    tcase_add_test(tc, deadline_after_backoff_while_workers_busy);

    tc = tcase(s, "cancel", 20);
    tcase_add_loop_test(tc, cancel_each_in_state, 0, W_KINDS);
    tcase_add_loop_test(tc, shutdown_in_state, 0, W_KINDS);
    tcase_add_test(tc, slot_passes_over_cancelled_waiters);
    tcase_add_loop_test(tc, granted_slot_passed_on_when_waiter_ends_unrun, 0, 2);
    tcase_add_test(tc, slot_given_back_when_cancelled_during_hold);
    tcase_add_test(tc, shutdown_with_everything_pending);
    tcase_add_test(tc, destroy_ends_parked_requests);
    tcase_add_loop_test(tc, client_shutdown_from_its_shutdown_callback, 0, 2);
    tcase_add_test(tc, stats_match_what_happened);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(resilience_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
