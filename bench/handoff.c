/*
 * bench/handoff.c — the minimal executor S4 compares futurl's with: a
 * bounded ring of (function, argument) jobs guarded by one mutex, with a
 * "not empty" and a "not full" condition variable, and W worker threads
 * that pop and run jobs. No futures, no allocation per job.
 *   handoff throughput JOBS WORKERS  — one thread submits JOBS no-op jobs;
 *       each worker counts completions and the last one signals the
 *       submitter; time from first submit to last completion.
 *   handoff latency SAMPLES WORKERS — submit one job and wait for its
 *       completion flag (mutex + condvar), SAMPLES times on an idle pool;
 *       reports p50/p99/max of submit-to-completion in microseconds.
 * Prints one JSON result line (see common.h).
 */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPACITY 4096 /* the same as futurl's default queue capacity */

struct job {
    void (*fn)(void *);
    void *arg;
};

/* Lock order: only q.mu (the completion locks are never held with it). */
struct queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    struct job ring[CAPACITY];
    size_t head, len;
    int stop;
};

static struct queue q = {.mu = PTHREAD_MUTEX_INITIALIZER,
                         .not_empty = PTHREAD_COND_INITIALIZER,
                         .not_full = PTHREAD_COND_INITIALIZER};

static void push(void (*fn)(void *), void *arg) {
    pthread_mutex_lock(&q.mu);
    while (q.len == CAPACITY)
        pthread_cond_wait(&q.not_full, &q.mu);
    q.ring[(q.head + q.len) % CAPACITY] = (struct job){fn, arg};
    q.len++;
    pthread_cond_signal(&q.not_empty);
    pthread_mutex_unlock(&q.mu);
}

static void *worker(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&q.mu);
        while (q.len == 0 && !q.stop)
            pthread_cond_wait(&q.not_empty, &q.mu);
        if (q.len == 0) {
            pthread_mutex_unlock(&q.mu);
            return NULL;
        }
        struct job j = q.ring[q.head];
        q.head = (q.head + 1) % CAPACITY;
        q.len--;
        pthread_cond_signal(&q.not_full);
        pthread_mutex_unlock(&q.mu);
        j.fn(j.arg);
    }
}

/* Completion: a counter the last job turns into a signal. */
struct completion {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_long left;
    int done;
};

static void complete(struct completion *c) {
    pthread_mutex_lock(&c->mu);
    c->done = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void await(struct completion *c) {
    pthread_mutex_lock(&c->mu);
    while (!c->done)
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

static void noop_counted(void *arg) {
    struct completion *c = arg;
    if (atomic_fetch_sub_explicit(&c->left, 1, memory_order_acq_rel) == 1)
        complete(c);
}

static void noop_flagged(void *arg) {
    complete(arg);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[1], "throughput") != 0 && strcmp(argv[1], "latency") != 0)) {
        fprintf(stderr, "usage: handoff throughput|latency COUNT WORKERS\n");
        return 2;
    }
    int latency = strcmp(argv[1], "latency") == 0;
    long n = bench_parse_count("COUNT", argv[2]);
    long nw = bench_parse_count("WORKERS", argv[3]);
    pthread_t *tids = calloc((size_t)nw, sizeof *tids);
    double *lat = latency ? calloc((size_t)n, sizeof *lat) : NULL;
    if (!tids || (latency && !lat)) {
        fprintf(stderr, "handoff: out of memory\n");
        return 1;
    }
    for (long i = 0; i < nw; i++) {
        if (pthread_create(&tids[i], NULL, worker, NULL) != 0) {
            fprintf(stderr, "handoff: pthread_create failed\n");
            return 1;
        }
    }
    char extra[256] = "";
    double t0 = bench_now(), secs;
    if (!latency) {
        struct completion c = {.mu = PTHREAD_MUTEX_INITIALIZER,
                               .cv = PTHREAD_COND_INITIALIZER};
        atomic_init(&c.left, n);
        for (long i = 0; i < n; i++)
            push(noop_counted, &c);
        await(&c);
        secs = bench_now() - t0;
    } else {
        for (long i = 0; i < n; i++) {
            struct completion c = {.mu = PTHREAD_MUTEX_INITIALIZER,
                                   .cv = PTHREAD_COND_INITIALIZER};
            double s0 = bench_now();
            push(noop_flagged, &c);
            await(&c);
            lat[i] = (bench_now() - s0) * 1e6;
        }
        secs = bench_now() - t0;
        qsort(lat, (size_t)n, sizeof *lat, cmp_double);
        snprintf(extra, sizeof extra, ",\"p50_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f",
                 lat[n / 2], lat[(size_t)((double)n * 0.99)], lat[n - 1]);
    }
    pthread_mutex_lock(&q.mu);
    q.stop = 1;
    pthread_cond_broadcast(&q.not_empty);
    pthread_mutex_unlock(&q.mu);
    for (long i = 0; i < nw; i++)
        pthread_join(tids[i], NULL);
    bench_report("handoff", n, n, 0, secs,
                 "one mutex, not_empty/not_full condvars, ring of 4096, no per-job "
                 "allocation",
                 extra);
    free(lat);
    free(tids);
    return 0;
}
