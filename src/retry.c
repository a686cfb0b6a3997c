/*
 * src/retry.c — the retry policy's decisions: transient outcomes,
 * idempotent methods, full-jitter backoff, Retry-After, and whether an
 * attempt that just ended is tried again (futurl__retry_should). Pure
 * functions:
 * the HTTP job (src/http_job.c) calls them and does the waiting by parking
 * its future (src/worker.c), never by sleeping on a worker.
 */
#include "retry.h"

#include <curl/curl.h>
#include <limits.h>
#include <string.h>

#include "http.h"

void futurl_retry_policy_init(futurl_retry_policy *p) {
    if (p == NULL)
        return;
    memset(p, 0, sizeof *p);
    p->max_attempts = FUTURL_DEFAULT_MAX_ATTEMPTS;
    p->base_delay_ms = FUTURL_DEFAULT_RETRY_BASE_MS;
    p->max_delay_ms = FUTURL_DEFAULT_RETRY_MAX_MS;
    p->budget_ms = 0;
    p->retry_on_500 = 0;
    p->retry_non_idempotent = 0;
}

int futurl__retry_transient_error(futurl_status st) {
    return st == FUTURL_ECONNECT || st == FUTURL_ETIMEDOUT || st == FUTURL_ENETWORK;
}

int futurl__retry_status(const futurl_retry_policy *p, long status) {
    switch (status) {
    case 408: /* Request Timeout */
    case 429: /* Too Many Requests */
    case 502: /* Bad Gateway */
    case 503: /* Service Unavailable */
    case 504: /* Gateway Timeout */
        return 1;
    case 500:
        return p->retry_on_500 != 0;
    default:
        return 0;
    }
}

int futurl__retry_method_ok(const futurl_retry_policy *p, const char *method,
                            int has_idempotency_key) {
    /* RFC 9110 §9.2.2: these may be repeated with the same effect. */
    static const char *const idempotent[] = {"GET", "HEAD", "OPTIONS",
                                             "PUT", "DELETE", "TRACE"};
    for (size_t i = 0; i < sizeof idempotent / sizeof idempotent[0]; i++)
        if (strcmp(method, idempotent[i]) == 0)
            return 1;
    return p->retry_non_idempotent || has_idempotency_key;
}

long futurl__retry_backoff_ms(const futurl_retry_policy *p, unsigned n, uint64_t r) {
    long cap = p->max_delay_ms > 0 ? p->max_delay_ms : 0;
    long ceiling = p->base_delay_ms > 0 ? p->base_delay_ms : 0;
    for (unsigned i = 0; i < n && ceiling < cap; i++)
        ceiling = ceiling > LONG_MAX / 2 ? LONG_MAX : ceiling * 2;
    if (ceiling > cap)
        ceiling = cap;
    return ceiling > 0 ? (long)(r % ((uint64_t)ceiling + 1)) : 0;
}

int futurl__retry_after_parse(const char *value, time_t now, long *delay_ms) {
    while (*value == ' ' || *value == '\t')
        value++;
    size_t len = strlen(value);
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
        len--;
    if (len == 0)
        return 0;

    /* delay-seconds = 1*DIGIT */
    size_t digits = 0;
    while (digits < len && value[digits] >= '0' && value[digits] <= '9')
        digits++;
    if (digits == len) {
        long secs = 0;
        for (size_t i = 0; i < len; i++) {
            if (secs > LONG_MAX / 10000) { /* absurdly far: saturate */
                secs = LONG_MAX / 1000;
                break;
            }
            secs = secs * 10 + (value[i] - '0');
        }
        *delay_ms = secs > LONG_MAX / 1000 ? LONG_MAX : secs * 1000;
        return 1;
    }

    /* HTTP-date: a date needs letters, so a number with junk is garbage,
     * not a date curl_getdate() would guess at. */
    if (digits > 0)
        return 0;
    char buf[64];
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, value, len);
    buf[len] = '\0';
    time_t when = curl_getdate(buf, NULL);
    if (when == (time_t)-1)
        return 0;
    if (when <= now) {
        *delay_ms = 0; /* a date in the past: no need to wait */
        return 1;
    }
    double ms = difftime(when, now) * 1000.0;
    *delay_ms = ms > (double)LONG_MAX ? LONG_MAX : (long)ms;
    return 1;
}

uint64_t futurl__rand_next(uint64_t *state) {
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15u;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Du;
}

/* Whether to try again, and after how long. */
int futurl__retry_should(const futurl_retry_policy *p, const futurl__retry_attempt *a,
                         uint64_t now, uint64_t deadline, uint64_t rnd, long *delay_ms) {
    futurl_status st = a->st;
    if (st == FUTURL_ECANCELED || a->attempts >= p->max_attempts)
        return 0;
    long status = a->status;
    int transient = futurl__retry_transient_error(st) &&
                    !(st == FUTURL_ETIMEDOUT && deadline != 0 && now >= deadline);
    int http = (st == FUTURL_OK || st == FUTURL_EHTTP) && futurl__retry_status(p, status);
    if (!transient && !http)
        return 0;
    if (!futurl__retry_method_ok(p, a->method, a->has_idempotency_key))
        return 0;
    /* Bytes already handed to a sink cannot be taken back. */
    if (a->streamed)
        return 0;
    *delay_ms = a->retry_after_ms >= 0
                    ? a->retry_after_ms
                    : futurl__retry_backoff_ms(p, a->attempts - 1, rnd);
    long elapsed_ms = (long)((now - a->first_ns) / 1000000u);
    if (p->budget_ms > 0 &&
        (elapsed_ms >= p->budget_ms || *delay_ms > p->budget_ms - elapsed_ms))
        return 0;
    return 1;
}
