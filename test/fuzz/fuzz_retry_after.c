/*
 * test/fuzz/fuzz_retry_after.c — Retry-After values (src/retry.c
 * futurl__retry_after_parse), as a server may send anything. Properties:
 * garbage is refused and leaves the delay untouched; an accepted delay is
 * never negative; delay-seconds give exactly seconds × 1000 (saturating
 * only beyond any sensible wait); surrounding spaces and tabs change
 * nothing; an HTTP-date gives whole seconds, 0 once it is past, and never
 * more for a later "now".
 */
#include "fuzz.h"

#include <limits.h>
#include <time.h>

#include "retry.h"

/* Clocks to compare the input with: the epoch, RFC 9110's example date
 * (Sun, 06 Nov 1994 08:49:37 GMT), today-ish, 2038 and far beyond. */
static const time_t nows[] = {0, 784111777, 1700000000, INT32_MAX, (time_t)1 << 40};
#define NOWS (sizeof nows / sizeof nows[0])

static int is_ws(char c) {
    return c == ' ' || c == '\t';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *value = fuzz_cstr(data, size);
    long delay[NOWS];
    int ok[NOWS];
    for (size_t i = 0; i < NOWS; i++) {
        delay[i] = -7;
        ok[i] = futurl__retry_after_parse(value, nows[i], &delay[i]);
        FUZZ_CHECK(ok[i] == 0 || ok[i] == 1, "returned %d", ok[i]);
        if (ok[i])
            FUZZ_CHECK(delay[i] >= 0, "\"%s\" at %lld: delay %ld ms", value,
                       (long long)nows[i], delay[i]);
        else
            FUZZ_CHECK(delay[i] == -7, "\"%s\" refused but the delay was set to %ld",
                       value, delay[i]);
    }

    /* Trimmed of SP/HTAB, as the parser trims. */
    const char *v = value;
    while (is_ws(*v))
        v++;
    size_t len = strlen(v);
    while (len > 0 && is_ws(v[len - 1]))
        len--;
    size_t digits = 0;
    while (digits < len && v[digits] >= '0' && v[digits] <= '9')
        digits++;

    if (len > 0 && digits == len) {
        /* delay-seconds: the same for every clock, exact up to 1e14 s. */
        unsigned __int128 secs = 0;
        for (size_t i = 0; i < len && secs < ((unsigned __int128)1 << 80); i++)
            secs = secs * 10 + (unsigned)(v[i] - '0');
        for (size_t i = 0; i < NOWS; i++) {
            FUZZ_CHECK(ok[i], "delay-seconds \"%s\" refused", value);
            if (secs <= 100000000000000u)
                FUZZ_CHECK((unsigned __int128)delay[i] == secs * 1000,
                           "\"%s\": %ld ms, want %llu000", value, delay[i],
                           (unsigned long long)secs);
            else
                FUZZ_CHECK(delay[i] >= 100000000000000000L,
                           "\"%s\" (huge) gave only %ld ms", value, delay[i]);
        }
    } else if (len > 0 && digits == 0) {
        /* An HTTP-date or garbage: accepted for one clock, accepted for all;
         * whole seconds; a later clock never waits longer; past means 0. */
        for (size_t i = 0; i < NOWS; i++) {
            FUZZ_CHECK(ok[i] == ok[0], "\"%s\": accepted at one clock only", value);
            if (!ok[i])
                continue;
            if (delay[i] < 1000000000000000L)
                FUZZ_CHECK(delay[i] % 1000 == 0, "\"%s\": %ld ms is not whole seconds",
                           value, delay[i]);
            if (i > 0)
                FUZZ_CHECK(delay[i] <= delay[i - 1],
                           "\"%s\": %ld ms at %lld but %ld ms at the earlier %lld", value,
                           delay[i], (long long)nows[i], delay[i - 1],
                           (long long)nows[i - 1]);
        }
    } else if (len > 0) {
        for (size_t i = 0; i < NOWS; i++)
            FUZZ_CHECK(!ok[i], "\"%s\" (digits, then junk) accepted as %ld ms", value,
                       delay[i]);
    }

    /* Spaces and tabs around the value change nothing. */
    if (size < 4096) {
        char *padded = malloc(size + 5);
        if (padded == NULL)
            abort();
        snprintf(padded, size + 5, " \t%s\t ", value);
        long d = -7;
        int k = futurl__retry_after_parse(padded, nows[2], &d);
        FUZZ_CHECK(k == ok[2] && (!k || d == delay[2]),
                   "\"%s\": %d/%ld ms, padded: %d/%ld ms", value, ok[2], delay[2], k, d);
        free(padded);
    }
    free(value);
    return 0;
}
