/*
 * bench/soak.c — the soak test (make soak; bench/soak.py starts nginx and
 * runs it): N requests (1,000,000 by default) through one client, a
 * rolling window of futures in flight, the process's RSS, open file
 * descriptors and threads sampled every SAMPLE completed requests (10,000).
 *
 *   soak URL [N [SAMPLE [WORKERS [WINDOW]]]]
 *
 * Prints one line per sample ("requests rss_kib fds threads seconds"),
 * then a verdict per measure. A measure "keeps growing" when the highest
 * value of the last quarter of the samples is above the highest of the
 * first quarter by more than its margin: RSS 2 MiB or 10 % (the larger),
 * fds 4, threads 0. Taking the highest of each quarter leaves out the
 * warm-up (pools and slabs filling during the first samples count in the
 * first quarter's maximum) and one-sample noise, and a leak of even a few
 * bytes a request (about 2 MiB per 250,000 requests at 8 bytes) shows.
 * Exit 0: every request answered 200 and nothing kept growing.
 */
#include "futurl.h"

#include "common.h"

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sample {
    long requests;
    long rss_kb, fds, threads;
    double seconds;
} sample;

static long count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream's own */
}

static long count_threads(void) {
    FILE *fp = fopen("/proc/self/status", "r");
    if (fp == NULL)
        return -1;
    char line[256];
    long n = -1;
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, "Threads:", 8) == 0) {
            n = strtol(line + 8, NULL, 10);
            break;
        }
    fclose(fp);
    return n;
}

/* The largest value of a measure over samples [from, to). */
static long max_of(const sample *s, size_t from, size_t to, size_t field) {
    long m = -1;
    for (size_t i = from; i < to; i++) {
        long v = *(const long *)((const char *)&s[i] + field);
        if (v > m)
            m = v;
    }
    return m;
}

/* 1 if the measure kept growing (see the top of the file). */
static int verdict(const char *name, const sample *s, size_t n, size_t field, long margin,
                   const char *unit) {
    size_t q = n / 4 ? n / 4 : 1;
    long first = max_of(s, 0, q, field), last = max_of(s, n - q, n, field);
    int grew = last > first + margin;
    printf(
        "soak: %-7s first quarter max %ld %s, last quarter max %ld %s, margin %ld: %s\n",
        name, first, unit, last, unit, margin, grew ? "KEEPS GROWING" : "flat");
    return grew;
}

static void die(const char *what, futurl_status st) {
    fprintf(stderr, "soak: %s: %s\n", what, futurl_strerror(st));
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 6) {
        fprintf(stderr, "usage: %s URL [N [SAMPLE [WORKERS [WINDOW]]]]\n", argv[0]);
        return 64;
    }
    const char *url = argv[1];
    long total = argc > 2 ? bench_parse_count("N", argv[2]) : 1000000;
    long every = argc > 3 ? bench_parse_count("SAMPLE", argv[3]) : 10000;
    long workers = argc > 4 ? bench_parse_count("WORKERS", argv[4]) : 8;
    long window = argc > 5 ? bench_parse_count("WINDOW", argv[5]) : 256;
    size_t nsamples = (size_t)(total / every) + 1;
    sample *samples = calloc(nsamples, sizeof *samples);
    futurl_future **ring = calloc((size_t)window, sizeof *ring);
    if (samples == NULL || ring == NULL)
        die("calloc", FUTURL_ENOMEM);

    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = (unsigned)workers;
    futurl_client *c;
    futurl_status st = futurl_client_create(&o, &c);
    if (st != FUTURL_OK)
        die("futurl_client_create", st);

    double t0 = bench_now();
    long submitted = 0, done = 0, bad = 0;
    size_t ns = 0;
    printf("%10s %10s %6s %8s %9s\n", "requests", "rss_kib", "fds", "threads", "seconds");
    while (done < total) {
        /* Keep the window full; then finish the oldest. */
        while (submitted < total && submitted - done < window) {
            st = futurl_get(c, url, &ring[submitted % window]);
            if (st != FUTURL_OK)
                die("futurl_get", st);
            submitted++;
        }
        futurl_future *f = ring[done % window];
        st = futurl_future_wait(f);
        const futurl_response *r = futurl_future_response(f);
        if (st != FUTURL_OK || r == NULL || futurl_response_status(r) != 200) {
            if (bad++ < 5)
                fprintf(stderr, "soak: request %ld: %s, status %ld\n", done,
                        futurl_err_name(st), r ? futurl_response_status(r) : 0L);
        }
        futurl_future_free(f);
        done++;
        if (done % every == 0 && ns < nsamples) {
            sample *s = &samples[ns++];
            s->requests = done;
            s->rss_kb = bench_vmrss_kb();
            s->fds = count_fds();
            s->threads = count_threads();
            s->seconds = bench_now() - t0;
            printf("%10ld %10ld %6ld %8ld %9.1f\n", s->requests, s->rss_kb, s->fds,
                   s->threads, s->seconds);
            fflush(stdout);
        }
    }
    double secs = bench_now() - t0;
    futurl_client_destroy(c);

    int grew = 0;
    if (ns >= 4) {
        long rss_first = max_of(samples, 0, ns / 4, offsetof(sample, rss_kb));
        long rss_margin = rss_first / 10 > 2048 ? rss_first / 10 : 2048;
        grew += verdict("rss", samples, ns, offsetof(sample, rss_kb), rss_margin, "KiB");
        grew += verdict("fds", samples, ns, offsetof(sample, fds), 4, "");
        grew += verdict("threads", samples, ns, offsetof(sample, threads), 0, "");
    } else {
        printf("soak: fewer than 4 samples: no verdict on growth\n");
    }
    printf("soak: %ld requests in %.1f s (%.0f/s), %ld not 200, %ld workers, window %ld: "
           "%s\n",
           total, secs, (double)total / secs, bad, workers, window,
           bad == 0 && grew == 0 ? "PASS" : "FAIL");
    free(samples);
    free(ring);
    return bad == 0 && grew == 0 ? 0 : 1;
}
