/*
 * src/clock.c — the monotonic clock and the deadlines taken from it (see
 * clock.h). It owns the one condition-variable attribute that every timed
 * wait of the library shares.
 */
#include "clock.h"

/* ------------------------------------------------------------ clock helpers */

uint64_t futurl__now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static pthread_condattr_t monotonic_attr;
static pthread_once_t monotonic_once = PTHREAD_ONCE_INIT;
static int monotonic_ok;

static void monotonic_attr_init(void) {
    monotonic_ok = pthread_condattr_init(&monotonic_attr) == 0 &&
                   pthread_condattr_setclock(&monotonic_attr, CLOCK_MONOTONIC) == 0;
}

int futurl__cond_init(pthread_cond_t *c) {
    pthread_once(&monotonic_once, monotonic_attr_init);
    return pthread_cond_init(c, monotonic_ok ? &monotonic_attr : NULL);
}

int futurl__deadline(long timeout_ms, struct timespec *ts) {
    if (timeout_ms < 0)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000L;
    }
    return 1;
}
