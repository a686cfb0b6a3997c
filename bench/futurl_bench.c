/*
 * bench/futurl_bench.c — futurl measured through its public API only.
 *   futurl_bench http URL REQUESTS WORKERS WINDOW [nojar]
 *       S1-S3: a client with WORKERS workers (default options, or
 *       cookie_jar=0 with "nojar"); futurl_get REQUESTS times, then
 *       futurl_gather. WINDOW 0 keeps every future until one final gather;
 *       WINDOW > 0 waits for and frees the oldest future once WINDOW are
 *       outstanding (bounded memory for 1 MiB bodies), then gathers the
 *       rest. Every response must be 200; body bytes are summed. Time: from
 *       before futurl_client_create to the end of the last wait. With
 *       $BENCH_CAINFO set (S6, https URLs), that file is the client's ca_file.
 *   futurl_bench stream URL REQUESTS WORKERS
 *       S3 pulled: as http, but each request is a stream
 *       (futurl_client_stream) whose body the main thread reads as it
 *       arrives: WORKERS streams open at once, one poll() loop over their
 *       fds and an eventfd that done-callbacks of the headers futures
 *       write, non-blocking reads into one 256 KiB buffer (the body is
 *       never kept whole). Every response must be 200; bytes read are
 *       summed. Time: from before futurl_client_create to the last body's
 *       end.
 *   futurl_bench http URL REQUESTS WORKERS 0 queue
 *       S1 through a completion queue ("futurl-queue"): as http with
 *       WINDOW 0, but every future is attached to one
 *       futurl_completion_queue as it is submitted, and the main thread
 *       drains the queue whenever poll() says its fd is readable, until all
 *       have come (and between submissions, without waiting); responses
 *       are checked and freed after the clock, as http's are.
 *   futurl_bench http URL REQUESTS WORKERS WINDOW free
 *       S1 with each future freed as it completes ("futurl-free"): as
 *       queue, but at most WINDOW requests are outstanding, and the main
 *       thread checks and frees every future the moment it pops it, then
 *       submits more. A caller's program that keeps nothing: its peak RSS
 *       beside raw's is the library's own memory, not the kept responses.
 *   futurl_bench cqlatency SAMPLES WORKERS
 *       The completion queue's delivery latency: SAMPLES no-op-ish jobs,
 *       one at a time on an idle pool, each stamping the time just before
 *       it returns. The future has a plain done-callback (runs on the
 *       worker) and is attached to a queue that the main thread waits on in
 *       poll(); p50/p99 of job end -> done-callback and of job end -> the
 *       loop thread holding the popped entry, in microseconds.
 *   futurl_bench perhost URLS REQUESTS WORKERS MAX_PER_HOST
 *       S8 per-host: as http with WINDOW 0, with the client's max_per_host set to
 *       MAX_PER_HOST (0: no limit); URLS is a comma-separated list, taken
 *       in turn. Every request is submitted at once, so with a limit
 *       thousands wait for a slot of their host, parked: the run measures
 *       what waiting costs at such a backlog (run.py compares it with the
 *       same run without a limit).
 *   futurl_bench hosts @FILE REQUESTS WORKERS KEEPALIVE
 *       S7 many hosts: as http with WINDOW 0, request i to line
 *       i % count of FILE (run.py writes a random spread over 64 nginx
 *       ports), keepalive_per_worker = KEEPALIVE (futurl-keepN). Reports
 *       "new_conns": futurl_response_new_connections summed.
 *   futurl_bench jar URL REQUESTS WORKERS FILL_URL FILL [nojar|cap]
 *       S8 jar: the cost of a full cookie jar. A client with WORKERS workers
 *       and the default jar limits ("cap": max_cookies_per_domain =
 *       max_cookies, so one host may fill the whole jar; "nojar":
 *       cookie_jar = 0). Before the clock: FILL GETs of FILL_URL, a URL
 *       whose responses set new cookies (FILL 0: an empty jar), and
 *       2 x WORKERS GETs of URL to bring every worker's handle in step.
 *       Then REQUESTS GETs of URL, gathered. Time: those REQUESTS only;
 *       clock_cpu_s: the process's CPU over the same span.
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
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define FUTURL_DEFAULTS_TEXT                                                             \
    "futurl client defaults: decompress=1 (Accept-Encoding: all codecs), "               \
    "user_agent=futurl/0.1.0, follow_redirects=1 max 10, connect 10s, "                  \
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

/* Connections the checked responses made (futurl_response_new_connections). */
static long new_conns;

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
    new_conns += futurl_response_new_connections(r);
    return 1;
}

/* futurl_get urls[i % nurls] for i in [0, n) into fs, keeping at most window
 * futures outstanding (0: no limit; past it the oldest is waited for, checked
 * and freed), then gather fs[*first..n). Returns the 200s among those checked. */
static long get_all(futurl_client *c, char *const *urls, long nurls, long n, long window,
                    futurl_future **fs, long *first, uint64_t *bytes) {
    long ok = 0;
    *first = 0; /* fs[*first..i) are outstanding */
    for (long i = 0; i < n; i++) {
        futurl_status s = futurl_get(c, urls[i % nurls], &fs[i]);
        if (s != FUTURL_OK)
            die_status("futurl_get", s);
        if (window > 0 && i + 1 - *first > window) {
            (void)futurl_future_wait(fs[*first]);
            ok += check_response(fs[*first], bytes);
            futurl_future_free(fs[*first]);
            (*first)++;
        }
    }
    futurl_gather_counts counts;
    futurl_status s =
        n > *first ? futurl_gather(fs + *first, (size_t)(n - *first), -1, 0, &counts)
                   : FUTURL_OK;
    if (s != FUTURL_OK)
        die_status("futurl_gather", s);
    return ok;
}

/* Check and free what get_all left in fs[first..n): the 200s among them. */
static long check_all(futurl_future **fs, long first, long n, uint64_t *bytes) {
    long ok = 0;
    for (long i = first; i < n; i++) {
        ok += check_response(fs[i], bytes);
        futurl_future_free(fs[i]);
    }
    return ok;
}

/* n GETs of urls[0..nurls) in turn on a client with nw workers: futurl_get each, waiting
 * for and freeing the oldest once `window` are outstanding (0: never), then a gather.
 * Returns the responses that were 200, their body bytes in *bytes and the seconds from
 * before futurl_client_create to the end of the last wait in *secs. */
static long http_run(char *const *urls, long nurls, long n, long nw, long window,
                     int nojar, unsigned max_per_host, unsigned keepalive,
                     uint64_t *bytes, double *secs) {
    futurl_future **fs = xcalloc((size_t)n, sizeof *fs);
    futurl_status s = futurl_global_init();
    if (s != FUTURL_OK)
        die_status("futurl_global_init", s);

    double t0 = bench_now();
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = (unsigned)nw;
    o.cookie_jar = !nojar;
    o.max_per_host = max_per_host;
    const char *ca = getenv("BENCH_CAINFO"); /* S6: run.py's certificate */
    if (ca != NULL && *ca != '\0')
        o.ca_file = ca;
    if (keepalive > 0)
        o.keepalive_per_worker = keepalive;
    futurl_client *c;
    s = futurl_client_create(&o, &c);
    if (s != FUTURL_OK)
        die_status("futurl_client_create", s);
    long first;
    long ok = get_all(c, urls, nurls, n, window, fs, &first, bytes);
    *secs = bench_now() - t0;
    ok += check_all(fs, first, n, bytes);
    futurl_client_destroy(c);
    futurl_global_cleanup();
    free(fs);
    return ok;
}

/* A client with default options and nw workers, and the completion queue that
 * free_run and queue_run attach its futures to. */
typedef struct {
    futurl_client *client;
    futurl_completion_queue *queue;
    struct pollfd pfd; /* the queue's fd, POLLIN */
} queued_client;

/* futurl_global_init, then the clock's start in *t0 (client creation is on the
 * clock, as in http_run), then the client and its queue. Dies on any error. */
static void queued_client_open(queued_client *qc, long nw, double *t0) {
    futurl_status s = futurl_global_init();
    if (s != FUTURL_OK)
        die_status("futurl_global_init", s);
    *t0 = bench_now();
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = (unsigned)nw;
    if ((s = futurl_client_create(&o, &qc->client)) != FUTURL_OK)
        die_status("futurl_client_create", s);
    if ((s = futurl_completion_queue_new(&qc->queue)) != FUTURL_OK)
        die_status("futurl_completion_queue_new", s);
    qc->pfd =
        (struct pollfd){.fd = futurl_completion_queue_fd(qc->queue), .events = POLLIN};
}

/* futurl_get of url, the future attached to the queue. Dies on any error. */
static void queued_client_get(queued_client *qc, const char *url) {
    futurl_future *f;
    futurl_status s = futurl_get(qc->client, url, &f);
    if (s != FUTURL_OK)
        die_status("futurl_get", s);
    if ((s = futurl_completion_queue_attach(qc->queue, f, NULL)) != FUTURL_OK)
        die_status("futurl_completion_queue_attach", s);
}

static void queued_client_close(queued_client *qc) {
    futurl_completion_queue_free(qc->queue);
    futurl_client_destroy(qc->client);
    futurl_global_cleanup();
}

/* S1 with every future checked and freed as it is popped, at most window
 * outstanding (see the first comment). Returns the 200s; bytes and secs as
 * http_run. */
static long free_run(const char *url, long n, long nw, long window, uint64_t *bytes,
                     double *secs) {
    queued_client qc;
    double t0;
    queued_client_open(&qc, nw, &t0);
    long ok = 0, submitted = 0, done = 0;
    futurl_completion e;
    while (done < n) {
        for (; submitted < n && submitted - done < window; submitted++)
            queued_client_get(&qc, url);
        if (poll(&qc.pfd, 1, -1) < 0)
            die_status("poll", FUTURL_EIO);
        while (futurl_completion_queue_next(qc.queue, &e) == FUTURL_OK) {
            ok += check_response(e.future, bytes);
            futurl_future_free(e.future);
            done++;
        }
    }
    *secs = bench_now() - t0;
    queued_client_close(&qc);
    return ok;
}

/* S1 delivered through a completion queue drained on this thread (see the
 * first comment). Returns the 200s; bytes and secs as http_run. */
static long queue_run(const char *url, long n, long nw, uint64_t *bytes, double *secs) {
    futurl_future **fs = xcalloc((size_t)n, sizeof *fs); /* in the order popped */
    queued_client qc;
    double t0;
    queued_client_open(&qc, nw, &t0);
    long ok = 0, popped = 0;
    futurl_completion e;
    for (long i = 0; i < n; i++) {
        queued_client_get(&qc, url);
        /* A loop takes what is ready between submissions, without waiting. */
        if ((i & 255) == 255 && poll(&qc.pfd, 1, 0) == 1)
            while (futurl_completion_queue_next(qc.queue, &e) == FUTURL_OK)
                fs[popped++] = e.future;
    }
    while (popped < n) {
        if (poll(&qc.pfd, 1, -1) < 0)
            die_status("poll", FUTURL_EIO);
        while (futurl_completion_queue_next(qc.queue, &e) == FUTURL_OK)
            fs[popped++] = e.future;
    }
    *secs = bench_now() - t0;
    /* Checked and freed after the clock, as http_run does after its gather. */
    for (long i = 0; i < n; i++) {
        ok += check_response(fs[i], bytes);
        futurl_future_free(fs[i]);
    }
    free(fs);
    queued_client_close(&qc);
    return ok;
}

static int run_http(int argc, char **argv) {
    if (argc == 7 && strcmp(argv[6], "queue") == 0 && strcmp(argv[5], "0") == 0) {
        long n = bench_parse_count("REQUESTS", argv[3]);
        uint64_t bytes = 0;
        double secs;
        long ok =
            queue_run(argv[2], n, bench_parse_count("WORKERS", argv[4]), &bytes, &secs);
        bench_report("futurl-queue", n, ok, bytes, secs,
                     FUTURL_DEFAULTS_TEXT ", cookie_jar=1, every future attached to a "
                                          "completion queue drained on the main thread",
                     ",\"window\":0");
        return ok == n ? 0 : 1;
    }
    if (argc == 7 && strcmp(argv[6], "free") == 0) {
        long n = bench_parse_count("REQUESTS", argv[3]);
        long window = bench_parse_count("WINDOW", argv[5]);
        uint64_t bytes = 0;
        double secs;
        long ok = free_run(argv[2], n, bench_parse_count("WORKERS", argv[4]), window,
                           &bytes, &secs);
        char extra[64];
        snprintf(extra, sizeof extra, ",\"window\":%ld", window);
        bench_report("futurl-free", n, ok, bytes, secs,
                     FUTURL_DEFAULTS_TEXT ", cookie_jar=1, at most WINDOW outstanding, "
                                          "each future freed as a completion queue "
                                          "delivers it",
                     extra);
        return ok == n ? 0 : 1;
    }
    if (argc != 6 && !(argc == 7 && strcmp(argv[6], "nojar") == 0)) {
        fprintf(stderr, "usage: futurl_bench http URL REQUESTS WORKERS WINDOW "
                        "[nojar|free]\n");
        return 2;
    }
    long n = bench_parse_count("REQUESTS", argv[3]);
    long nw = bench_parse_count("WORKERS", argv[4]);
    long window = strcmp(argv[5], "0") == 0 ? 0 : bench_parse_count("WINDOW", argv[5]);
    int nojar = argc == 7;
    uint64_t bytes = 0;
    double secs;
    long ok = http_run(&argv[2], 1, n, nw, window, nojar, 0, 0, &bytes, &secs);
    char extra[64];
    snprintf(extra, sizeof extra, ",\"window\":%ld", window);
    bench_report(nojar ? "futurl-nojar" : "futurl", n, ok, bytes, secs,
                 nojar ? FUTURL_DEFAULTS_TEXT ", cookie_jar=0"
                       : FUTURL_DEFAULTS_TEXT ", cookie_jar=1",
                 extra);
    return ok == n ? 0 : 1;
}

/* A stream slot of run_stream: its headers future, then its stream. */
typedef struct stream_slot {
    futurl_future *f; /* NULL: free */
    futurl_stream *s; /* NULL: headers not in yet */
} stream_slot;

/* A headers future finished: wake the poll loop. */
static void wake_loop(futurl_future *f, void *userdata) {
    (void)f;
    uint64_t one = 1;
    /* A failed write: the counter is at its maximum, the loop awake anyway. */
    (void)!write(*(int *)userdata, &one, sizeof one);
}

static int run_stream(char *url, long n, long nw) {
    futurl_status st = futurl_global_init();
    if (st != FUTURL_OK)
        die_status("futurl_global_init", st);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
        perror("futurl_bench: eventfd");
        return 1;
    }
    stream_slot *slots = xcalloc((size_t)nw, sizeof *slots);
    struct pollfd *pfd = xcalloc((size_t)nw + 1, sizeof *pfd);
    size_t cap = 256 * 1024;
    char *buf = xcalloc(1, cap);
    double t0 = bench_now();
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = (unsigned)nw;
    futurl_client *c;
    st = futurl_client_create(&o, &c);
    if (st != FUTURL_OK)
        die_status("futurl_client_create", st);
    long submitted = 0, finished = 0, ok = 0;
    uint64_t bytes = 0;
    while (finished < n) {
        int np = 0;
        pfd[np++] = (struct pollfd){.fd = efd, .events = POLLIN};
        for (long i = 0; i < nw; i++) {
            stream_slot *sl = &slots[i];
            if (sl->f == NULL && submitted < n) {
                futurl_request *r;
                if ((st = futurl_request_new("GET", url, &r)) != FUTURL_OK ||
                    (st = futurl_client_stream(c, r, &sl->f)) != FUTURL_OK)
                    die_status("futurl_client_stream", st);
                submitted++;
                if ((st = futurl_future_on_done(sl->f, wake_loop, &efd)) != FUTURL_OK)
                    die_status("futurl_future_on_done", st);
            }
            if (sl->f != NULL && sl->s == NULL && futurl_future_done(sl->f)) {
                const futurl_response *resp = futurl_future_response(sl->f);
                sl->s = futurl_future_stream(sl->f);
                if (sl->s == NULL || futurl_response_status(resp) != 200) {
                    fprintf(stderr, "futurl_bench: %s: %s\n",
                            futurl_err_name(futurl_future_status(sl->f)),
                            futurl_future_errmsg(sl->f));
                    futurl_future_free(sl->f);
                    *sl = (stream_slot){0};
                    finished++;
                    i--; /* refill this slot */
                    continue;
                }
            }
            if (sl->s != NULL)
                pfd[np++] =
                    (struct pollfd){.fd = futurl_stream_fd(sl->s), .events = POLLIN};
        }
        if (poll(pfd, (nfds_t)np, -1) < 0) {
            perror("futurl_bench: poll");
            return 1;
        }
        if (pfd[0].revents) {
            uint64_t v;
            (void)!read(efd, &v, sizeof v);
        }
        for (long i = 0; i < nw; i++) {
            stream_slot *sl = &slots[i];
            if (sl->s == NULL)
                continue;
            size_t got;
            while ((st = futurl_stream_read(sl->s, buf, cap, &got, 0)) == FUTURL_OK &&
                   got > 0)
                bytes += got;
            if (st == FUTURL_EPENDING)
                continue;
            if (st == FUTURL_OK)
                ok++;
            else
                fprintf(stderr, "futurl_bench: body: %s: %s\n", futurl_err_name(st),
                        futurl_stream_errmsg(sl->s));
            futurl_future_free(sl->f);
            *sl = (stream_slot){0};
            finished++;
        }
    }
    double secs = bench_now() - t0;
    futurl_client_destroy(c);
    futurl_global_cleanup();
    close(efd);
    free(buf);
    free(pfd);
    free(slots);
    bench_report("futurl-stream", n, ok, bytes, secs,
                 FUTURL_DEFAULTS_TEXT
                 " (body streamed: futurl_client_stream, "
                 "stream_buffer_bytes=256KiB, read by one poll loop)",
                 "");
    return ok == n ? 0 : 1;
}

#define PERHOST_MAX_URLS 64

static int run_perhost(char *url_list, long n, long nw, const char *max_arg) {
    long max = strcmp(max_arg, "0") == 0 ? 0 : bench_parse_count("MAX_PER_HOST", max_arg);
    if (max > 1000000) {
        fprintf(stderr, "futurl_bench: MAX_PER_HOST %ld is too large\n", max);
        return 2;
    }
    char *urls[PERHOST_MAX_URLS];
    long nurls = 0;
    for (char *save = NULL, *u = strtok_r(url_list, ",", &save); u != NULL;
         u = strtok_r(NULL, ",", &save)) {
        if (nurls == PERHOST_MAX_URLS) {
            fprintf(stderr, "futurl_bench: at most %d URLs\n", PERHOST_MAX_URLS);
            return 2;
        }
        urls[nurls++] = u;
    }
    if (nurls == 0) {
        fprintf(stderr, "futurl_bench: no URL\n");
        return 2;
    }
    uint64_t bytes = 0;
    double secs;
    long ok = http_run(urls, nurls, n, nw, 0, 0, (unsigned)max, 0, &bytes, &secs);
    char impl[48], opts[sizeof FUTURL_DEFAULTS_TEXT + 64], extra[96];
    if (max == 0)
        snprintf(impl, sizeof impl, "futurl-nolimit");
    else
        snprintf(impl, sizeof impl, "futurl-max%ld", max);
    snprintf(opts, sizeof opts, "%s, cookie_jar=1, max_per_host=%ld",
             FUTURL_DEFAULTS_TEXT, max);
    snprintf(extra, sizeof extra, ",\"max_per_host\":%ld,\"hosts\":%ld", max, nurls);
    bench_report(impl, n, ok, bytes, secs, opts, extra);
    return ok == n ? 0 : 1;
}

/* S7: REQUESTS GETs spread over the URLs of @FILE, keepalive_per_worker
 * KEEPALIVE (see the first comment). */
static int run_hosts(const char *file, long n, long nw, long keepalive) {
    char **urls;
    long nurls = bench_url_list(file, &urls);
    if (keepalive > (long)FUTURL_MAX_KEEPALIVE_PER_WORKER) {
        fprintf(stderr, "futurl_bench: KEEPALIVE %ld is too large\n", keepalive);
        return 2;
    }
    uint64_t bytes = 0;
    double secs;
    long ok = http_run(urls, nurls, n, nw, 0, 0, 0, (unsigned)keepalive, &bytes, &secs);
    char impl[48], opts[sizeof FUTURL_DEFAULTS_TEXT + 64], extra[96];
    snprintf(impl, sizeof impl, "futurl-keep%ld", keepalive);
    snprintf(opts, sizeof opts, "%s, cookie_jar=1, keepalive_per_worker=%ld",
             FUTURL_DEFAULTS_TEXT, keepalive);
    snprintf(extra, sizeof extra, ",\"new_conns\":%ld,\"maxconnects\":%ld", new_conns,
             keepalive);
    bench_report(impl, n, ok, bytes, secs, opts, extra);
    return ok == n ? 0 : 1;
}

/* S8 jar: FILL responses of FILL_URL (each sets new cookies) fill the jar, 2 x
 * WORKERS GETs of URL bring the workers' handles in step, then the clock
 * runs over REQUESTS GETs of URL, gathered. */
static int run_jar(int argc, char **argv) {
    const char *mode = argc == 8 ? argv[7] : "";
    if ((argc != 7 && argc != 8) ||
        (argc == 8 && strcmp(mode, "nojar") != 0 && strcmp(mode, "cap") != 0)) {
        fprintf(stderr, "usage: futurl_bench jar URL REQUESTS WORKERS FILL_URL FILL "
                        "[nojar|cap]\n");
        return 2;
    }
    long n = bench_parse_count("REQUESTS", argv[3]);
    long nw = bench_parse_count("WORKERS", argv[4]);
    long fill = strcmp(argv[6], "0") == 0 ? 0 : bench_parse_count("FILL", argv[6]);
    int nojar = strcmp(mode, "nojar") == 0, cap = strcmp(mode, "cap") == 0;
    long most = n > fill ? n : fill;
    futurl_future **fs = xcalloc((size_t)(most > 2 * nw ? most : 2 * nw), sizeof *fs);
    futurl_status s = futurl_global_init();
    if (s != FUTURL_OK)
        die_status("futurl_global_init", s);
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = (unsigned)nw;
    o.cookie_jar = !nojar;
    if (cap)
        o.max_cookies_per_domain = o.max_cookies; /* one host may fill the jar */
    futurl_client *c;
    s = futurl_client_create(&o, &c);
    if (s != FUTURL_OK)
        die_status("futurl_client_create", s);
    uint64_t bytes = 0;
    long first, ok = get_all(c, &argv[5], 1, fill, 0, fs, &first, &bytes);
    ok += check_all(fs, first, fill, &bytes);
    ok += get_all(c, &argv[2], 1, 2 * nw, 0, fs, &first, &bytes);
    ok += check_all(fs, first, 2 * nw, &bytes);
    if (ok != fill + 2 * nw) {
        fprintf(stderr, "futurl_bench: %ld of %ld fill and warm-up requests failed\n",
                fill + 2 * nw - ok, fill + 2 * nw);
        return 1;
    }

    bytes = 0;
    double cpu0 = bench_cpu_seconds(), t0 = bench_now();
    ok = get_all(c, &argv[2], 1, n, 0, fs, &first, &bytes);
    double secs = bench_now() - t0, cpu = bench_cpu_seconds() - cpu0;
    ok += check_all(fs, first, n, &bytes);
    futurl_client_destroy(c);
    futurl_global_cleanup();
    char extra[128], opts[512];
    snprintf(extra, sizeof extra, ",\"fill_requests\":%ld,\"clock_cpu_s\":%.6f", fill,
             cpu);
    snprintf(opts, sizeof opts,
             FUTURL_DEFAULTS_TEXT ", cookie_jar=%d, max_cookies=%u, "
                                  "max_cookies_per_domain=%u; %ld fill + %ld warm-up "
                                  "requests before the clock",
             !nojar, o.max_cookies, o.max_cookies_per_domain, fill, 2 * nw);
    bench_report(nojar       ? "futurl-nojar"
                 : fill == 0 ? "futurl"
                 : cap       ? "futurl-jar-cap"
                             : "futurl-jar-50",
                 n, ok, bytes, secs, opts, extra);
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

/* cqlatency: the job stamps its end; the done-callback stamps its start. */
typedef struct cq_sample {
    double job_end, callback;
} cq_sample;

static futurl_status stamp_end(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)result;
    ((cq_sample *)arg)->job_end = bench_now();
    return FUTURL_OK;
}

static void stamp_callback(futurl_future *f, void *userdata) {
    (void)f;
    ((cq_sample *)userdata)->callback = bench_now();
}

static int run_cqlatency(long n, long nw) {
    futurl_executor *ex = make_executor(nw);
    futurl_completion_queue *q;
    futurl_status s = futurl_completion_queue_new(&q);
    if (s != FUTURL_OK)
        die_status("futurl_completion_queue_new", s);
    double *cb = xcalloc((size_t)n, sizeof *cb), *lq = xcalloc((size_t)n, sizeof *lq);
    long ok = 0;
    struct pollfd p = {.fd = futurl_completion_queue_fd(q), .events = POLLIN};
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        cq_sample sample = {0, 0};
        futurl_future *f;
        if ((s = futurl_executor_submit(ex, stamp_end, &sample, NULL, NULL, &f)) !=
            FUTURL_OK)
            die_status("futurl_executor_submit", s);
        if ((s = futurl_future_on_done(f, stamp_callback, &sample)) != FUTURL_OK)
            die_status("futurl_future_on_done", s);
        if ((s = futurl_completion_queue_attach(q, f, NULL)) != FUTURL_OK)
            die_status("futurl_completion_queue_attach", s);
        futurl_completion e;
        while ((s = futurl_completion_queue_next(q, &e)) == FUTURL_EPENDING)
            (void)poll(&p, 1, -1); /* the loop sleeps until the fd wakes it */
        double seen = bench_now();
        ok += s == FUTURL_OK && e.future == f && futurl_future_status(f) == FUTURL_OK;
        cb[i] = (sample.callback - sample.job_end) * 1e6;
        lq[i] = (seen - sample.job_end) * 1e6;
        futurl_future_free(f);
    }
    double secs = bench_now() - t0;
    futurl_completion_queue_free(q);
    futurl_executor_destroy(ex);
    qsort(cb, (size_t)n, sizeof *cb, cmp_double);
    qsort(lq, (size_t)n, sizeof *lq, cmp_double);
    size_t p99 = (size_t)((double)n * 0.99);
    char extra[256];
    snprintf(extra, sizeof extra,
             ",\"queue_p50_us\":%.2f,\"queue_p99_us\":%.2f,\"callback_p50_us\":%.2f,"
             "\"callback_p99_us\":%.2f",
             lq[n / 2], lq[p99], cb[n / 2], cb[p99]);
    bench_report("futurl-queue", n, ok, 0, secs,
                 "one job at a time; job end -> done-callback on the worker, and job "
                 "end -> entry popped by a thread sleeping in poll() on the queue fd",
                 extra);
    free(cb);
    free(lq);
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
    if (argc >= 2 && strcmp(argv[1], "jar") == 0)
        return run_jar(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "http") == 0)
        return run_http(argc, argv);
    if (argc == 5 && strcmp(argv[1], "stream") == 0)
        return run_stream(argv[2], bench_parse_count("REQUESTS", argv[3]),
                          bench_parse_count("WORKERS", argv[4]));
    if (argc == 6 && strcmp(argv[1], "hosts") == 0)
        return run_hosts(argv[2], bench_parse_count("REQUESTS", argv[3]),
                         bench_parse_count("WORKERS", argv[4]),
                         bench_parse_count("KEEPALIVE", argv[5]));
    if (argc == 6 && strcmp(argv[1], "perhost") == 0)
        return run_perhost(argv[2], bench_parse_count("REQUESTS", argv[3]),
                           bench_parse_count("WORKERS", argv[4]), argv[5]);
    if (argc == 4 && strcmp(argv[1], "throughput") == 0)
        return run_throughput(bench_parse_count("JOBS", argv[2]),
                              bench_parse_count("WORKERS", argv[3]));
    if (argc == 4 && strcmp(argv[1], "latency") == 0)
        return run_latency(bench_parse_count("SAMPLES", argv[2]),
                           bench_parse_count("WORKERS", argv[3]));
    if (argc == 4 && strcmp(argv[1], "cqlatency") == 0)
        return run_cqlatency(bench_parse_count("SAMPLES", argv[2]),
                             bench_parse_count("WORKERS", argv[3]));
    if (argc == 4 && strcmp(argv[1], "memory") == 0)
        return run_memory(argv[2], bench_parse_count("QUEUED", argv[3]));
    if (argc == 5 && strcmp(argv[1], "startup") == 0)
        return run_startup(argv[2], bench_parse_count("WORKERS", argv[3]),
                           bench_parse_count("ROUNDS", argv[4]));
    fprintf(stderr,
            "usage: futurl_bench http URL REQUESTS WORKERS WINDOW [nojar]\n"
            "       futurl_bench http URL REQUESTS WORKERS 0 queue\n"
            "       futurl_bench stream URL REQUESTS WORKERS\n"
            "       futurl_bench cqlatency SAMPLES WORKERS\n"
            "       futurl_bench jar URL REQUESTS WORKERS FILL_URL FILL [nojar|cap]\n"
            "       futurl_bench perhost URLS REQUESTS WORKERS MAX_PER_HOST\n"
            "       futurl_bench hosts @FILE REQUESTS WORKERS KEEPALIVE\n"
            "       futurl_bench throughput JOBS WORKERS\n"
            "       futurl_bench latency SAMPLES WORKERS\n"
            "       futurl_bench memory URL QUEUED\n"
            "       futurl_bench startup URL WORKERS ROUNDS\n");
    return 2;
}
