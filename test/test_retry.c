/*
 * test/test_retry.c — the retry policy's pure functions (src/retry.h), from
 * tables: what a Retry-After value asks for (delay-seconds and the three
 * HTTP-date forms of RFC 9110 section 5.6.7, against a fixed "now"), the
 * full-jitter backoff's bounds (exact at the ends of each range), which
 * HTTP statuses, methods and transport failures are retried. No server and
 * no clock: test_resilience.c covers the same rules end to end.
 */
#include "support.h"

#include "futurl.h"
#include "retry.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* <limits.h> is not reachable here (-Isrc puts src/limits.h first). */
#define MAX_LONG ((long)(~0UL >> 1))

/* RFC 9110's example date: Sun, 06 Nov 1994 08:49:37 GMT. */
#define NOW ((time_t)784111777)

/* ------------------------------------------------------------ Retry-After */

typedef struct {
    const char *value;
    int ok;        /* 1: accepted */
    long delay_ms; /* when accepted */
} retry_after_case;

static const retry_after_case retry_after_cases[] = {
    /* delay-seconds = 1*DIGIT */
    {"0", 1, 0},
    {"1", 1, 1000},
    {"120", 1, 120000},
    {"007", 1, 7000},
    {"86400", 1, 86400000},
    {" 5", 1, 5000}, /* the spaces around a field value are not part of it */
    {"5\t", 1, 5000},
    {" \t 30 \t ", 1, 30000},
    /* the largest count of seconds whose milliseconds fit in a long */
    {"9223372036854775", 1, 9223372036854775000L},
    /* HTTP-date, IMF-fixdate (the preferred form) */
    {"Sun, 06 Nov 1994 08:49:47 GMT", 1, 10000},
    {"Sun, 06 Nov 1994 09:49:37 GMT", 1, 3600000},
    {"Mon, 07 Nov 1994 08:49:37 GMT", 1, 86400000},
    /* the obsolete forms a recipient must accept */
    {"Sunday, 06-Nov-94 08:49:47 GMT", 1, 10000}, /* RFC 850 */
    {"Sun Nov  6 08:49:47 1994", 1, 10000},       /* asctime */
    /* now, or in the past: no wait */
    {"Sun, 06 Nov 1994 08:49:37 GMT", 1, 0},
    {"Sun, 06 Nov 1994 08:49:36 GMT", 1, 0},
    {"Thu, 01 Jan 1970 00:00:00 GMT", 1, 0},
    /* garbage, never trusted */
    {"", 0, 0},
    {"   ", 0, 0},
    {"\t", 0, 0},
    {"-1", 0, 0},
    {"+5", 0, 0},
    {"1.5", 0, 0},
    {"5s", 0, 0},
    {"5 s", 0, 0},
    {"0x10", 0, 0},
    {"12 Nov 1994", 0, 0}, /* starts with digits: a number with junk */
    {"soon", 0, 0},
    {"Sun, 06 Nov 1994 08:49:47 GMT and then some more words to pass 64 bytes", 0, 0},
};

START_TEST(retry_after_table) {
    const retry_after_case *c = &retry_after_cases[_i];
    long delay = -7; /* must stay as it is when the value is refused */
    int ok = futurl__retry_after_parse(c->value, NOW, &delay);
    ck_assert_msg(ok == c->ok, "case %d, Retry-After \"%s\": accepted %d, want %d", _i,
                  c->value, ok, c->ok);
    long want = c->ok ? c->delay_ms : -7;
    ck_assert_msg(delay == want, "case %d, Retry-After \"%s\": delay %ld ms, want %ld",
                  _i, c->value, delay, want);
}
END_TEST

/* Past what a long holds in milliseconds, the delay saturates (the caller
 * clamps it to max_delay_ms): it never wraps to a short or negative wait. */
START_TEST(retry_after_saturates) {
    static const char *const huge[] = {"9223372036854776", "99999999999999999999",
                                       "18446744073709551616000000000000"};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        long delay = -7;
        ck_assert_int_eq(futurl__retry_after_parse(huge[i], NOW, &delay), 1);
        ck_assert_msg(delay >= MAX_LONG - 1000, "\"%s\": delay %ld ms, want about %ld",
                      huge[i], delay, MAX_LONG);
    }
}
END_TEST

/* A date's delay counts from the "now" given, whatever the wall clock. */
START_TEST(retry_after_date_follows_now) {
    const char *date = "Sun, 06 Nov 1994 08:49:37 GMT";
    static const struct {
        time_t now;
        long want;
    } t[] = {{NOW - 1, 1000},
             {NOW - 3600, 3600000},
             {NOW, 0},
             {NOW + 1, 0},
             {0, 784111777000L}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        long delay = -7;
        ck_assert_int_eq(futurl__retry_after_parse(date, t[i].now, &delay), 1);
        ck_assert_msg(delay == t[i].want, "now %lld: delay %ld, want %ld",
                      (long long)t[i].now, delay, t[i].want);
    }
}
END_TEST

/* ---------------------------------------------------------------- backoff */

typedef struct {
    long base_ms, max_ms;
    unsigned n; /* retry number, from 0 */
    uint64_t r; /* the random draw */
    long want;  /* r mod (ceiling + 1), ceiling = min(max, base * 2^n) */
} backoff_case;

static const backoff_case backoff_cases[] = {
    /* the defaults, 200 ms base and 10 s cap: ceilings 200, 400, 800 … */
    {200, 10000, 0, 0, 0},
    {200, 10000, 0, 200, 200},  /* the top of [0, 200] */
    {200, 10000, 0, 201, 0},    /* wraps */
    {200, 10000, 0, 1000, 196}, /* 1000 mod 201 */
    {200, 10000, 1, 400, 400},
    {200, 10000, 1, 401, 0},
    {200, 10000, 5, 6400, 6400},
    {200, 10000, 5, 6401, 0},
    {200, 10000, 6, 10000, 10000}, /* 12800 capped at 10000 */
    {200, 10000, 6, 10001, 0},
    {200, 10000, 1000, 10000, 10000}, /* a huge n does not overflow */
    {200, 10000, 1000, UINT64_MAX, (long)(UINT64_MAX % 10001)},
    /* a base above the cap is the cap */
    {1000, 500, 0, 500, 500},
    {1000, 500, 0, 501, 0},
    /* no wait at all */
    {0, 10000, 0, 12345, 0},
    {0, 10000, 30, 12345, 0},
    {200, 0, 0, 12345, 0},
    {-5, 10000, 3, 12345, 0},
    {200, -1, 3, 12345, 0},
    /* near LONG_MAX the doubling saturates instead of wrapping */
    {MAX_LONG / 2 + 1, MAX_LONG, 3, (uint64_t)MAX_LONG, MAX_LONG},
    {MAX_LONG / 2 + 1, MAX_LONG, 3, (uint64_t)MAX_LONG + 1, 0},
};

START_TEST(backoff_table) {
    const backoff_case *c = &backoff_cases[_i];
    futurl_retry_policy p;
    futurl_retry_policy_init(&p);
    p.base_delay_ms = c->base_ms;
    p.max_delay_ms = c->max_ms;
    long got = futurl__retry_backoff_ms(&p, c->n, c->r);
    ck_assert_msg(got == c->want,
                  "case %d: base %ld, max %ld, retry %u, r %llu: %ld ms, want %ld", _i,
                  c->base_ms, c->max_ms, c->n, (unsigned long long)c->r, got, c->want);
}
END_TEST

/* Over many draws of the library's own generator, every delay lies in
 * [0, ceiling] and both ends of the range are reachable in principle: the
 * smallest and largest seen are near them (loose: 1% of the range). */
START_TEST(backoff_stays_in_range) {
    futurl_retry_policy p;
    futurl_retry_policy_init(&p);
    uint64_t state = 42;
    for (unsigned n = 0; n < 12; n++) {
        long ceiling = p.base_delay_ms << n;
        if (ceiling > p.max_delay_ms)
            ceiling = p.max_delay_ms;
        long lo = MAX_LONG, hi = -1;
        for (int k = 0; k < 20000; k++) {
            long d = futurl__retry_backoff_ms(&p, n, futurl__rand_next(&state));
            ck_assert_msg(d >= 0 && d <= ceiling, "retry %u: %ld ms outside [0, %ld]", n,
                          d, ceiling);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        ck_assert_msg(lo <= ceiling / 100 && hi >= ceiling - ceiling / 100,
                      "retry %u: draws span [%ld, %ld] of [0, %ld]", n, lo, hi, ceiling);
    }
}
END_TEST

/* The generator: a zero state is seeded, and one state gives one sequence. */
START_TEST(rand_is_a_sequence) {
    uint64_t a = 0, b = 0, c = 7;
    uint64_t a1 = futurl__rand_next(&a);
    ck_assert_msg(a != 0, "a zero state stays zero");
    ck_assert_uint_eq(a1, futurl__rand_next(&b));
    ck_assert_uint_eq(futurl__rand_next(&a), futurl__rand_next(&b));
    ck_assert_msg(futurl__rand_next(&c) != a1, "two seeds gave one first value");
}
END_TEST

/* ------------------------------------------------- what is retried at all */

typedef struct {
    long status;
    int want, want_with_500;
} status_case;

static const status_case status_cases[] = {
    {408, 1, 1}, {429, 1, 1}, {502, 1, 1}, {503, 1, 1}, {504, 1, 1},
    {500, 0, 1}, /* only with retry_on_500 */
    {0, 0, 0},   {200, 0, 0}, {204, 0, 0}, {301, 0, 0}, {400, 0, 0},
    {401, 0, 0}, {403, 0, 0}, {404, 0, 0}, {409, 0, 0}, {425, 0, 0},
    {501, 0, 0}, {505, 0, 0}, {507, 0, 0}, {599, 0, 0}, {-1, 0, 0},
};

START_TEST(status_table) {
    const status_case *c = &status_cases[_i];
    futurl_retry_policy p;
    futurl_retry_policy_init(&p);
    int got = futurl__retry_status(&p, c->status);
    ck_assert_msg(got == c->want, "HTTP %ld: retried %d, want %d", c->status, got,
                  c->want);
    p.retry_on_500 = 1;
    got = futurl__retry_status(&p, c->status);
    ck_assert_msg(got == c->want_with_500,
                  "HTTP %ld with retry_on_500: retried %d, want %d", c->status, got,
                  c->want_with_500);
}
END_TEST

typedef struct {
    const char *method;
    int plain;    /* the default policy, no Idempotency-Key */
    int with_key; /* the request carries an Idempotency-Key */
} method_case;

static const method_case method_cases[] = {
    /* RFC 9110 section 9.2.2 */
    {"GET", 1, 1},
    {"HEAD", 1, 1},
    {"OPTIONS", 1, 1},
    {"PUT", 1, 1},
    {"DELETE", 1, 1},
    {"TRACE", 1, 1},
    {"POST", 0, 1},
    {"PATCH", 0, 1},
    {"CONNECT", 0, 1},
    {"PURGE", 0, 1},
    /* methods are case-sensitive: "get" is another method */
    {"get", 0, 1},
    {"Put", 0, 1},
    {"GETX", 0, 1},
};

START_TEST(method_table) {
    const method_case *c = &method_cases[_i];
    futurl_retry_policy p;
    futurl_retry_policy_init(&p);
    int got = futurl__retry_method_ok(&p, c->method, 0);
    ck_assert_msg(got == c->plain, "%s: retried %d, want %d", c->method, got, c->plain);
    got = futurl__retry_method_ok(&p, c->method, 1);
    ck_assert_msg(got == c->with_key, "%s with Idempotency-Key: retried %d, want %d",
                  c->method, got, c->with_key);
    p.retry_non_idempotent = 1;
    got = futurl__retry_method_ok(&p, c->method, 0);
    ck_assert_msg(got == 1, "%s with retry_non_idempotent: retried %d, want 1", c->method,
                  got);
}
END_TEST

START_TEST(transient_table) {
    static const struct {
        futurl_status st;
        int want;
    } t[] = {
        {FUTURL_ECONNECT, 1},  {FUTURL_ETIMEDOUT, 1}, {FUTURL_ENETWORK, 1},
        {FUTURL_OK, 0},        {FUTURL_ERESOLVE, 0},  {FUTURL_ETLS, 0},
        {FUTURL_EPROTOCOL, 0}, {FUTURL_EREDIRECT, 0}, {FUTURL_ETOOLARGE, 0},
        {FUTURL_EHTTP, 0},     {FUTURL_EABORTED, 0},  {FUTURL_EIO, 0},
        {FUTURL_ECURL, 0},     {FUTURL_ECANCELED, 0}, {FUTURL_EPENDING, 0},
        {FUTURL_ENOMEM, 0},    {FUTURL_EURL, 0},      {FUTURL_EHEADER, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int got = futurl__retry_transient_error(t[i].st);
        ck_assert_msg(got == t[i].want, "%s: transient %d, want %d",
                      futurl_err_name(t[i].st), got, t[i].want);
    }
}
END_TEST

/* The documented defaults are what futurl_retry_policy_init() fills in. */
START_TEST(policy_defaults) {
    futurl_retry_policy p;
    memset(&p, 0xAB, sizeof p);
    futurl_retry_policy_init(&p);
    ck_assert_uint_eq(p.max_attempts, FUTURL_DEFAULT_MAX_ATTEMPTS);
    ck_assert_int_eq(p.base_delay_ms, FUTURL_DEFAULT_RETRY_BASE_MS);
    ck_assert_int_eq(p.max_delay_ms, FUTURL_DEFAULT_RETRY_MAX_MS);
    ck_assert_int_eq(p.budget_ms, 0);
    ck_assert_int_eq(p.retry_on_500, 0);
    ck_assert_int_eq(p.retry_non_idempotent, 0);
    futurl_retry_policy_init(NULL); /* allowed, does nothing */
}
END_TEST

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *retry_suite(void) {
    Suite *s = suite_create("retry");
    TCase *tc = tcase_create("retry_after");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, retry_after_table, 0, N_OF(retry_after_cases));
    tcase_add_test(tc, retry_after_saturates);
    tcase_add_test(tc, retry_after_date_follows_now);
    suite_add_tcase(s, tc);

    tc = tcase_create("backoff");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, backoff_table, 0, N_OF(backoff_cases));
    tcase_add_test(tc, backoff_stays_in_range);
    tcase_add_test(tc, rand_is_a_sequence);
    suite_add_tcase(s, tc);

    tc = tcase_create("decisions");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, status_table, 0, N_OF(status_cases));
    tcase_add_loop_test(tc, method_table, 0, N_OF(method_cases));
    tcase_add_test(tc, transient_table);
    tcase_add_test(tc, policy_defaults);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(retry_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
