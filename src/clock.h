/*
 * src/clock.h — time for the library's deadlines: the monotonic clock in
 * nanoseconds, saturating arithmetic on it, absolute deadlines for timed
 * waits, and condition variables that wait on that clock. Not installed.
 */
#ifndef FUTURL_SRC_CLOCK_H
#define FUTURL_SRC_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Monotonic clock in nanoseconds. */
uint64_t futurl__now_ns(void);

/* now + ms milliseconds, saturating (a time beyond what 64 bits hold is
 * "never", UINT64_MAX - 1, not a wrap to the past). Negative ms counts 0. */
static inline uint64_t futurl__after_ms(uint64_t now, long ms) {
    if (ms <= 0)
        return now;
    if ((uint64_t)ms > (UINT64_MAX - 1 - now) / 1000000u)
        return UINT64_MAX - 1;
    return now + (uint64_t)ms * 1000000u;
}

/* A monotonic deadline timeout_ms from now (negative: none → returns 0 and
 * leaves ts untouched; else 1). */
int futurl__deadline(long timeout_ms, struct timespec *ts);

/* pthread_cond_init with CLOCK_MONOTONIC, for deadline waits. */
int futurl__cond_init(pthread_cond_t *c);

#endif
