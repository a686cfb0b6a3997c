/*
 * cli/progress.c — the futurl tool's numbers: counts by outcome, status
 * class and error, a latency histogram (log-linear, fixed size, so ten
 * million requests cost no more memory than ten), the live status line on
 * a terminal and the final summary. Main thread only.
 *
 * The status line is redrawn in place: a carriage return, the line cut to
 * the terminal's width, and "erase to end of line" — never a newline, so it
 * stays one line. Rates are taken over the last few seconds of samples; the
 * ETA is the requests left divided by that recent completion rate, shown
 * once the input has been read to its end (before that the total is not
 * known and the count reads "done/read+").
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define RATE_SAMPLES 16 /* at CLI_PROGRESS_MS apart: about 3 s of history */

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_stats_init(cli_stats *st, int progress) {
    memset(st, 0, sizeof *st);
    st->t0 = cli_now();
    st->progress = progress;
    st->next_draw = st->t0 + CLI_PROGRESS_MS / 1000.0;
}

/* ------------------------------------------------------------- histogram */

static size_t hist_index(uint64_t us) {
    if (us < CLI_HIST_SUB)
        return (size_t)us;
    unsigned p = 63u - (unsigned)__builtin_clzll(us); /* >= 5 */
    uint64_t sub = (us >> (p - 5)) - CLI_HIST_SUB;
    size_t i = (size_t)(p - 4) * CLI_HIST_SUB + (size_t)sub;
    return i < CLI_HIST_POW * CLI_HIST_SUB ? i : CLI_HIST_POW * CLI_HIST_SUB - 1;
}

/* The middle of bucket i, in microseconds. */
static double hist_value(size_t i) {
    if (i < CLI_HIST_SUB)
        return (double)i;
    unsigned p = (unsigned)(i / CLI_HIST_SUB) + 4;
    uint64_t sub = i % CLI_HIST_SUB;
    uint64_t lo = (CLI_HIST_SUB + sub) << (p - 5);
    return (double)lo + (double)(1ull << (p - 5)) / 2.0;
}

/* The q-quantile in seconds (0 when empty). */
static double hist_quantile(const cli_stats *st, double q) {
    if (st->hist_n == 0)
        return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)st->hist_n);
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < CLI_HIST_POW * CLI_HIST_SUB; i++) {
        seen += st->hist[i];
        if (seen >= rank) {
            double v = hist_value(i) / 1e6;
            return v < st->lat_max ? v : st->lat_max;
        }
    }
    return st->lat_max;
}

void cli_stats_add(cli_stats *st, futurl_status outcome, int ok,
                   const futurl_response *resp) {
    st->done++;
    if (outcome == FUTURL_ECANCELED)
        st->cancelled++;
    else if (ok)
        st->ok++;
    else
        st->failed++;
    if (outcome != FUTURL_OK && -outcome >= 0 && -outcome < 64)
        st->errors[-outcome]++;
    long status = resp != NULL ? futurl_response_status(resp) : 0;
    st->status_class[status >= 100 && status < 600 ? status / 100 : 0]++;
    if (resp != NULL) {
        unsigned attempts = futurl_response_attempts(resp);
        st->retries += attempts > 1 ? attempts - 1 : 0;
        st->bytes += futurl_response_bytes(resp);
        double t = futurl_response_elapsed(resp);
        if (t >= 0) {
            st->hist[hist_index((uint64_t)(t * 1e6))]++;
            st->hist_n++;
            if (t > st->lat_max)
                st->lat_max = t;
        }
    }
}

/* ------------------------------------------------------------ formatting */

static void fmt_bytes(char *out, size_t cap, double b) {
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        u++;
    }
    snprintf(out, cap, u == 0 ? "%.0f %s" : "%.1f %s", b, unit[u]);
}

static void fmt_seconds(char *out, size_t cap, double s) {
    if (s < 0 || s > 1e7 || s != s) {
        snprintf(out, cap, "--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, cap, "%ld:%02ld", t / 60, t % 60);
}

static void fmt_latency(char *out, size_t cap, double s) {
    if (s < 1.0)
        snprintf(out, cap, "%.1f ms", s * 1000);
    else
        snprintf(out, cap, "%.2f s", s);
}

static int term_width(void) {
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

/* ---------------------------------------------------------- status line */

void cli_progress_draw(cli_stats *st, futurl_client *c, double now, int force) {
    if (!st->progress || (!force && now < st->next_draw))
        return;
    st->next_draw = now + CLI_PROGRESS_MS / 1000.0;
    futurl_client_stats cs;
    memset(&cs, 0, sizeof cs);
    if (c != NULL)
        (void)futurl_client_get_stats(c, &cs);

    /* A sample for the recent rates; the oldest kept is the baseline. */
    unsigned head = st->rate_head;
    st->rate_t[head] = now;
    st->rate_done[head] = st->done;
    st->rate_bytes[head] = cs.bytes;
    st->rate_head = (head + 1) % RATE_SAMPLES;
    if (st->rate_n < RATE_SAMPLES)
        st->rate_n++;
    unsigned oldest = (st->rate_head + RATE_SAMPLES - st->rate_n) % RATE_SAMPLES;
    double span = now - st->rate_t[oldest];
    double req_rate = 0, byte_rate = 0;
    if (span > 0.05) {
        req_rate = (double)(st->done - st->rate_done[oldest]) / span;
        byte_rate = (double)(cs.bytes - st->rate_bytes[oldest]) / span;
    } else if (now > st->t0) {
        req_rate = (double)st->done / (now - st->t0);
        byte_rate = (double)cs.bytes / (now - st->t0);
    }

    char total[32], bar[64] = "", eta[32] = "--", bytes_s[24], line[512];
    if (st->total_known) {
        snprintf(total, sizeof total, "%" PRIu64, st->read);
        double frac = st->read ? (double)st->done / (double)st->read : 1.0;
        int width = 20, full = (int)(frac * width);
        bar[0] = '[';
        for (int i = 0; i < width; i++)
            bar[1 + i] = i < full ? '#' : (i == full ? '>' : '.');
        bar[1 + width] = ']';
        snprintf(bar + width + 2, sizeof bar - (size_t)width - 2, " %3d%%",
                 (int)(frac * 100));
        if (req_rate > 0)
            fmt_seconds(eta, sizeof eta, (double)(st->read - st->done) / req_rate);
        else if (st->done == st->read)
            snprintf(eta, sizeof eta, "0:00");
    } else {
        snprintf(total, sizeof total, "%" PRIu64 "+", st->read);
        snprintf(bar, sizeof bar, "[reading input]");
    }
    fmt_bytes(bytes_s, sizeof bytes_s, byte_rate);
    int n = snprintf(line, sizeof line,
                     "%s %" PRIu64 "/%s  failed %" PRIu64 "  running %zu  queued %zu"
                     "  retry-wait %zu  %.0f req/s  %s/s  ETA %s",
                     bar, st->done, total, st->failed, cs.in_flight, cs.queued, cs.parked,
                     req_rate, bytes_s, eta);
    int width = term_width() - 1; /* never the last column: no wrap */
    if (n > width)
        n = width;
    if (n < 0)
        n = 0;
    fprintf(stderr, "\r%.*s\x1b[K", n, line);
    fflush(stderr);
    st->drawn = 1;
}

void cli_progress_clear(cli_stats *st) {
    if (st->drawn) {
        fputs("\r\x1b[K", stderr);
        fflush(stderr);
        st->drawn = 0;
    }
}

/* --------------------------------------------------------------- summary */

void cli_stats_summary(const cli_stats *st, int interrupted) {
    double secs = cli_now() - st->t0;
    char bytes[24], rate[24], p50[24], p90[24], p99[24], max[24];
    fmt_bytes(bytes, sizeof bytes, (double)st->bytes);
    fmt_bytes(rate, sizeof rate, secs > 0 ? (double)st->bytes / secs : 0);
    fprintf(stderr,
            "futurl: %" PRIu64 " requests in %.2f s (%.0f req/s, %s/s): %" PRIu64
            " ok, %" PRIu64 " failed, %" PRIu64 " cancelled%s\n",
            st->done, secs, secs > 0 ? (double)st->done / secs : 0, rate, st->ok,
            st->failed, st->cancelled, interrupted ? " (interrupted)" : "");
    fprintf(stderr, "  status:");
    static const char *const cls[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    int any = 0;
    for (int i = 1; i <= 5; i++)
        if (st->status_class[i] != 0) {
            fprintf(stderr, " %s %" PRIu64, cls[i], st->status_class[i]);
            any = 1;
        }
    if (st->status_class[0] != 0)
        fprintf(stderr, " no response %" PRIu64, st->status_class[0]);
    else if (!any)
        fprintf(stderr, " none");
    fprintf(stderr, "\n");
    any = 0;
    for (int i = 1; i < 64; i++) {
        if (st->errors[i] == 0)
            continue;
        fprintf(stderr, "%s %s %" PRIu64,
                any ? "," : "  errors:", futurl_err_name((futurl_status)-i),
                st->errors[i]);
        any = 1;
    }
    if (any)
        fprintf(stderr, "\n");
    if (st->hist_n > 0) {
        fmt_latency(p50, sizeof p50, hist_quantile(st, 0.50));
        fmt_latency(p90, sizeof p90, hist_quantile(st, 0.90));
        fmt_latency(p99, sizeof p99, hist_quantile(st, 0.99));
        fmt_latency(max, sizeof max, st->lat_max);
        fprintf(stderr, "  latency: p50 %s, p90 %s, p99 %s, max %s\n", p50, p90, p99,
                max);
    }
    fprintf(stderr, "  received %s; %" PRIu64 " retries; %" PRIu64 " bad input line%s\n",
            bytes, st->retries, st->bad_lines, st->bad_lines == 1 ? "" : "s");
}
