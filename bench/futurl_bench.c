/*
 * bench/futurl_bench.c — futurl measured through its public API only.
 *   futurl_bench http URL REQUESTS WORKERS WINDOW [nojar]
 *       S1-S3: a client with WORKERS workers (default options, or
 *       cookie_jar=0 with "nojar"); futurl_get REQUESTS times, then
 *       futurl_gather. WINDOW 0 keeps every future until one final gather;
 *       WINDOW > 0 waits for and frees the oldest future once WINDOW are
 *       outstanding (bounded memory for 1 MiB bodies), then gathers the
 *       rest. Every response must be 200; body bytes are summed. Time: from
 *       before futurl_client_create to the end of the last wait.
 *   futurl_bench throughput JOBS WORKERS
 *       S4: an executor with WORKERS workers and the default queue;
 *       futurl_executor_submit of JOBS no-op jobs with a rolling window of
 *       8192 futures (wait for the oldest, free it), then a gather.
 *   futurl_bench latency SAMPLES WORKERS
 *       S4: submit one no-op job, futurl_future_wait, free; SAMPLES times on
 *       an idle pool; p50/p99/max submit-to-completion in microseconds.
 *   futurl_bench memory URL QUEUED
 *       S5: a client whose 2 workers are held inside jobs of ours; QUEUED
 *       futurl_get futures are queued and the growth of VmRSS and of malloc's
 *       bytes in use is divided by QUEUED, minus the URL's own strlen+1.
 *       The futures are then cancelled (nothing is fetched).
 *   futurl_bench startup URL WORKERS ROUNDS
 *       Start-up cost: ROUNDS times, futurl_client_create with WORKERS
 *       workers, one futurl_get of URL waited for, futurl_client_destroy;
 *       p50/p90 of create alone and of create to first response, in ms.
 * Prints one JSON result line (see common.h).
 */
#include "common.h"

#include <futurl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FUTURL_DEFAULTS_TEXT                                                  \
    "futurl client defaults: decompress=1 (Accept-Encoding: all codecs), "    \
    "user_agent=futurl/0.1.0, follow_redirects=1 max 10, connect 10s, "      \
    "timeout 30s, max_response_bytes=64MiB, body buffered"

static void die_status(const char *what, futurl_status s) {
    fprintf(stderr, "futurl_bench: %s: %s\n", what, futurl_err_name(s));
    exit(1);
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "futurl_bench: out of memory\n");
        exit(1);
    }
    return p;
}

/* 1 if f finished with a 200 response; adds its body length to *bytes. */
static int check_response(futurl_future *f, uint64_t *bytes) {
    const futurl_response *r = futurl_future_response(f);
    if (futurl_future_status(f) != FUTURL_OK || !r || futurl_response_status(r) != 200) {
        fprintf(stderr, "futurl_bench: %s: %s (HTTP %ld)\n",
                futurl_err_name(futurl_future_status(f)), futurl_future_errmsg(f),
                r ? futurl_response_status(r) : 0L);
        return 0;
    }
    size_t len = 0;
    (void)futurl_response_body(r, &len);
    *bytes += len;
    return 1;
}

static int run_http(int argc, char **argv) {
    if (argc != 6 && !(argc == 7 && strcmp(argv[6], "nojar") == 0)) {
        fprintf(stderr, "usage: futurl_bench http URL REQUESTS WORKERS WINDOW [nojar]\n");
        return 2;
    }
    const char *url = argv[2];
    long n = bench_parse_count("REQUESTS", argv[3]);
    long nw = bench_parse_count("WORKERS", argv[4]);
    long window = strcmp(argv[5], "0") == 0 ? 0 : bench_parse_count("WINDOW", argv[5]);
    int nojar = argc == 7;
    futurl_future **fs = xcalloc((size_t)n, sizeof *fs);
    futurl_status s = futurl_global_init();
    if (s != FUTURL_OK)
        die_status("futurl_global_init", s);

    double t0 = bench_now();
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = (unsigned)nw;
    o.cookie_jar = !nojar;
    futurl_client *c;
    s = futurl_client_create(&o, &c);
    if (s != FUTURL_OK)
        die_status("futurl_client_create", s);
    uint64_t bytes = 0;
    long ok = 0, first = 0; /* fs[first..i) are outstanding */
    for (long i = 0; i < n; i++) {
        s = futurl_get(c, url, &fs[i]);
        if (s != FUTURL_OK)
            die_status("futurl_get", s);
        if (window > 0 && i + 1 - first > window) {
            (void)futurl_future_wait(fs[first]);
            ok += check_response(fs[first], &bytes);
            futurl_future_free(fs[first]);
            first++;
        }
    }
    futurl_gather_counts counts;
    s = futurl_gather(fs + first, (size_t)(n - first), -1, 0, &counts);
    if (s != FUTURL_OK)
        die_status("futurl_gather", s);
    double secs = bench_now() - t0;
    for (long i = first; i < n; i++) {
        ok += check_response(fs[i], &bytes);
        futurl_future_free(fs[i]);
    }
    futurl_client_destroy(c);
    futurl_global_cleanup();
    char extra[64];
    snprintf(extra, sizeof extra, ",\"window\":%ld", window);
    bench_report(nojar ? "futurl-nojar" : "futurl", n, ok, bytes, secs,
                 nojar ? FUTURL_DEFAULTS_TEXT ", cookie_jar=0"
                       : FUTURL_DEFAULTS_TEXT ", cookie_jar=1",
                 extra);
    free(fs);
    return ok == n ? 0 : 1;
}

static futurl_status noop(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)arg;
    (void)result;
    return FUTURL_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static futurl_executor *make_executor(long workers) {
    futurl_executor_options o;
    futurl_executor_options_init(&o);
    o.workers = (unsigned)workers;
    futurl_executor *ex;
    futurl_status s = futurl_executor_create(&o, &ex);
    if (s != FUTURL_OK)
        die_status("futurl_executor_create", s);
    return ex;
}

#define EXEC_WINDOW 8192L

static int run_throughput(long n, long nw) {
    futurl_executor *ex = make_executor(nw);
    futurl_future **fs = xcalloc(EXEC_WINDOW, sizeof *fs);
    long ok = 0;
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        futurl_future **slot = &fs[i % EXEC_WINDOW];
        if (*slot) {
            ok += futurl_future_wait(*slot) == FUTURL_OK;
            futurl_future_free(*slot);
        }
        futurl_status s = futurl_executor_submit(ex, noop, NULL, NULL, NULL, slot);
        if (s != FUTURL_OK)
            die_status("futurl_executor_submit", s);
    }
    long outstanding = n < EXEC_WINDOW ? n : EXEC_WINDOW;
    futurl_status s = futurl_gather(fs, (size_t)outstanding, -1, 0, NULL);
    if (s != FUTURL_OK)
        die_status("futurl_gather", s);
    double secs = bench_now() - t0;
    for (long i = 0; i < outstanding; i++) {
        ok += futurl_future_status(fs[i]) == FUTURL_OK;
        futurl_future_free(fs[i]);
    }
    futurl_executor_destroy(ex);
    free(fs);
    bench_report("futurl", n, ok, 0, secs,
                 "futurl_executor_submit, default queue (4096), window of 8192 "
                 "futures: wait oldest + free",
                 NULL);
    return ok == n ? 0 : 1;
}

static int run_latency(long n, long nw) {
    futurl_executor *ex = make_executor(nw);
    double *lat = xcalloc((size_t)n, sizeof *lat);
    long ok = 0;
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        futurl_future *f;
        double s0 = bench_now();
        futurl_status s = futurl_executor_submit(ex, noop, NULL, NULL, NULL, &f);
        if (s != FUTURL_OK)
            die_status("futurl_executor_submit", s);
        ok += futurl_future_wait(f) == FUTURL_OK;
        lat[i] = (bench_now() - s0) * 1e6;
        futurl_future_free(f);
    }
    double secs = bench_now() - t0;
    futurl_executor_destroy(ex);
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    char extra[128];
    snprintf(extra, sizeof extra, ",\"p50_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f",
             lat[n / 2], lat[(size_t)((double)n * 0.99)], lat[n - 1]);
    bench_report("futurl", n, ok, 0, secs,
                 "submit one no-op job, futurl_future_wait, futurl_future_free", extra);
    free(lat);
    return ok == n ? 0 : 1;
}

/* S5: jobs that hold every worker until the gate opens. */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open;
    atomic_int entered;
};

static futurl_status hold(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)result;
    struct gate *g = arg;
    atomic_fetch_add(&g->entered, 1);
    pthread_mutex_lock(&g->mu);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    return FUTURL_OK;
}

#define MEMORY_WORKERS 2

static int run_memory(const char *url, long n) {
    futurl_future **fs = xcalloc((size_t)n, sizeof *fs);
    memset(fs, 0xff, (size_t)n * sizeof *fs); /* fault the array in before */
    futurl_future *holders[MEMORY_WORKERS];
    struct gate g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    futurl_status s = futurl_global_init();
    if (s != FUTURL_OK)
        die_status("futurl_global_init", s);
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = MEMORY_WORKERS;
    o.queue_capacity = (unsigned)n + MEMORY_WORKERS;
    futurl_client *c;
    s = futurl_client_create(&o, &c);
    if (s != FUTURL_OK)
        die_status("futurl_client_create", s);
    for (int i = 0; i < MEMORY_WORKERS; i++) {
        s = futurl_executor_submit(futurl_client_executor(c), hold, &g, NULL, NULL,
                                   &holders[i]);
        if (s != FUTURL_OK)
            die_status("futurl_executor_submit", s);
    }
    for (int tries = 0; atomic_load(&g.entered) < MEMORY_WORKERS; tries++) {
        if (tries == 10000) {
            fprintf(stderr, "futurl_bench: workers did not start within 10 s\n");
            return 1;
        }
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    long rss0 = bench_vmrss_kb();
    size_t heap0 = bench_heap_bytes();
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        s = futurl_get(c, url, &fs[i]);
        if (s != FUTURL_OK)
            die_status("futurl_get", s);
    }
    double secs = bench_now() - t0;
    long rss1 = bench_vmrss_kb();
    size_t heap1 = bench_heap_bytes();
    size_t queued = futurl_executor_queued(futurl_client_executor(c));
    long cancelled = 0;
    for (long i = 0; i < n; i++)
        cancelled += futurl_future_cancel(fs[i]);
    pthread_mutex_lock(&g.mu);
    g.open = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    s = futurl_gather(holders, MEMORY_WORKERS, -1, 0, NULL);
    if (s != FUTURL_OK)
        die_status("futurl_gather", s);
    for (int i = 0; i < MEMORY_WORKERS; i++)
        futurl_future_free(holders[i]);
    for (long i = 0; i < n; i++)
        futurl_future_free(fs[i]);
    futurl_client_destroy(c);
    futurl_global_cleanup();
    double url_bytes = (double)strlen(url) + 1;
    double rss_per = (double)(rss1 - rss0) * 1024.0 / (double)n - url_bytes;
    double heap_per = ((double)heap1 - (double)heap0) / (double)n - url_bytes;
    char extra[256];
    snprintf(extra, sizeof extra,
             ",\"queued\":%zu,\"rss_bytes_per_future\":%.1f,"
             "\"heap_bytes_per_future\":%.1f,\"url_bytes\":%.0f",
             queued, rss_per, heap_per, url_bytes);
    bench_report("futurl", n, cancelled, 0, secs,
                 FUTURL_DEFAULTS_TEXT ", workers held by 2 jobs, futures queued "
                                      "then cancelled",
                 extra);
    free(fs);
    return cancelled == n && queued == (size_t)n ? 0 : 1;
}

static int run_startup(const char *url, long nw, long rounds) {
    double *create_ms = xcalloc((size_t)rounds, sizeof *create_ms);
    double *first_ms = xcalloc((size_t)rounds, sizeof *first_ms);
    futurl_status s = futurl_global_init();
    if (s != FUTURL_OK)
        die_status("futurl_global_init", s);
    long ok = 0;
    double t_all = bench_now();
    for (long r = 0; r < rounds; r++) {
        futurl_client_options o;
        futurl_client_options_init(&o);
        o.workers = (unsigned)nw;
        futurl_client *c;
        double t0 = bench_now();
        s = futurl_client_create(&o, &c);
        if (s != FUTURL_OK)
            die_status("futurl_client_create", s);
        create_ms[r] = (bench_now() - t0) * 1e3;
        futurl_future *f;
        s = futurl_get(c, url, &f);
        if (s != FUTURL_OK)
            die_status("futurl_get", s);
        (void)futurl_future_wait(f);
        first_ms[r] = (bench_now() - t0) * 1e3;
        uint64_t bytes = 0;
        ok += check_response(f, &bytes);
        futurl_future_free(f);
        futurl_client_destroy(c);
    }
    double secs = bench_now() - t_all;
    futurl_global_cleanup();
    qsort(create_ms, (size_t)rounds, sizeof *create_ms, cmp_double);
    qsort(first_ms, (size_t)rounds, sizeof *first_ms, cmp_double);
    size_t p50 = (size_t)rounds / 2, p90 = (size_t)(rounds * 9 / 10);
    char extra[256];
    snprintf(extra, sizeof extra,
             ",\"workers\":%ld,\"create_ms_p50\":%.3f,\"create_ms_p90\":%.3f,"
             "\"first_response_ms_p50\":%.3f,\"first_response_ms_p90\":%.3f",
             nw, create_ms[p50], create_ms[p90], first_ms[p50], first_ms[p90]);
    bench_report("futurl", rounds, ok, 0, secs,
                 FUTURL_DEFAULTS_TEXT ", client created, one GET, destroyed, per round",
                 extra);
    free(create_ms);
    free(first_ms);
    return ok == rounds ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "http") == 0)
        return run_http(argc, argv);
    if (argc == 4 && strcmp(argv[1], "throughput") == 0)
        return run_throughput(bench_parse_count("JOBS", argv[2]),
                              bench_parse_count("WORKERS", argv[3]));
    if (argc == 4 && strcmp(argv[1], "latency") == 0)
        return run_latency(bench_parse_count("SAMPLES", argv[2]),
                           bench_parse_count("WORKERS", argv[3]));
    if (argc == 4 && strcmp(argv[1], "memory") == 0)
        return run_memory(argv[2], bench_parse_count("QUEUED", argv[3]));
    if (argc == 5 && strcmp(argv[1], "startup") == 0)
        return run_startup(argv[2], bench_parse_count("WORKERS", argv[3]),
                           bench_parse_count("ROUNDS", argv[4]));
    fprintf(stderr, "usage: futurl_bench http URL REQUESTS WORKERS WINDOW [nojar]\n"
                    "       futurl_bench throughput JOBS WORKERS\n"
                    "       futurl_bench latency SAMPLES WORKERS\n"
                    "       futurl_bench memory URL QUEUED\n"
                    "       futurl_bench startup URL WORKERS ROUNDS\n");
    return 2;
}
