/*
 * src/retry.h — retry decisions, free of I/O and locks: which outcomes are
 * transient, which methods may be repeated, how long to back off (full
 * jitter), what a Retry-After header asks for, and whether to try again. Used by the HTTP
 * job (src/http_job.c). Not installed.
 */
#ifndef FUTURL_SRC_RETRY_H
#define FUTURL_SRC_RETRY_H

#include <stdint.h>
#include <time.h>

#include "futurl.h"

/* 1 if a failed attempt with this transport status may succeed when tried
 * again: could not connect, attempt timed out, connection failed during the
 * transfer (reset, empty reply, partial body). */
int futurl__retry_transient_error(futurl_status st);

/* 1 if the policy retries this HTTP status: 408, 429, 502, 503, 504, and
 * 500 when p->retry_on_500. */
int futurl__retry_status(const futurl_retry_policy *p, long status);

/* 1 if a request with this method may be sent twice: GET, HEAD, OPTIONS,
 * PUT, DELETE, TRACE always; any other method (POST, PATCH, …) only when
 * the policy allows non-idempotent retries or the request carries an
 * Idempotency-Key header. */
int futurl__retry_method_ok(const futurl_retry_policy *p, const char *method,
                            int has_idempotency_key);

/* Full jitter: a uniformly random delay in [0, min(max_delay, base·2^n)]
 * milliseconds, n = retry number counted from 0. r is a random 64-bit
 * value. */
long futurl__retry_backoff_ms(const futurl_retry_policy *p, unsigned n, uint64_t r);

/* Parse a Retry-After value: delay-seconds or an HTTP-date (compared with
 * now). A past date gives 0. Returns 1 with *delay_ms set, or 0 for a
 * value that is neither (garbage is ignored, never trusted). The caller
 * clamps to its maximum. */
int futurl__retry_after_parse(const char *value, time_t now, long *delay_ms);

/* The attempt that just ended, as the retry decision sees it. */
typedef struct futurl__retry_attempt {
    futurl_status st;        /* its outcome */
    long status;             /* its HTTP status; 0: no response */
    const char *method;      /* the request's */
    int has_idempotency_key; /* the request carries an Idempotency-Key */
    int streamed;            /* some of its body already went to a sink */
    unsigned attempts;       /* attempts finished, this one included */
    uint64_t first_ns;       /* when the first attempt began (monotonic) */
    long retry_after_ms;     /* what Retry-After asked for, clamped; -1: none */
} futurl__retry_attempt;

/* Whether to try again, and after how long: 1 with *delay_ms set, or 0.
 * now and deadline (0: none) are monotonic ns; rnd is a random value for
 * the jitter (futurl__rand_next). */
int futurl__retry_should(const futurl_retry_policy *p, const futurl__retry_attempt *a,
                         uint64_t now, uint64_t deadline, uint64_t rnd, long *delay_ms);

/* A small, fast PRNG (xorshift64*) for jitter; one state per worker. */
uint64_t futurl__rand_next(uint64_t *state);

#endif
