/*
 * bench/raw.c — the design's own limit for HTTP throughput: N pthreads, each
 * with one curl easy handle reused for every request (so one kept-alive
 * connection per thread), claiming request numbers from an atomic counter.
 * No queue, no futures, bodies discarded. Usage: raw URL REQUESTS THREADS.
 * Prints one JSON result line (see common.h); the time runs from before the
 * threads start until the last one is joined.
 */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct shared {
    const char *url;
    long n;
    atomic_long next;
    atomic_long ok;
    atomic_ullong bytes;
};

static void *worker(void *arg) {
    struct shared *s = arg;
    uint64_t bytes = 0;
    long ok = 0;
    CURL *h = curl_easy_init();
    if (!h) {
        fprintf(stderr, "raw: curl_easy_init failed\n");
        return NULL;
    }
    CURLcode rc = bench_curl_setup(h, s->url, &bytes);
    if (rc != CURLE_OK) {
        fprintf(stderr, "raw: setopt: %s\n", curl_easy_strerror(rc));
        curl_easy_cleanup(h);
        return NULL;
    }
    while (atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed) < s->n) {
        long status = 0;
        rc = curl_easy_perform(h);
        if (rc == CURLE_OK)
            rc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OK && status == 200)
            ok++;
        else
            fprintf(stderr, "raw: %s status %ld\n", curl_easy_strerror(rc), status);
    }
    curl_easy_cleanup(h);
    atomic_fetch_add(&s->ok, ok);
    atomic_fetch_add(&s->bytes, bytes);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: raw URL REQUESTS THREADS\n");
        return 2;
    }
    struct shared s = {.url = argv[1], .n = bench_parse_count("REQUESTS", argv[2])};
    long nthreads = bench_parse_count("THREADS", argv[3]);
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        fprintf(stderr, "raw: curl_global_init failed\n");
        return 1;
    }
    pthread_t *tids = calloc((size_t)nthreads, sizeof *tids);
    if (!tids) {
        fprintf(stderr, "raw: out of memory\n");
        return 1;
    }
    double t0 = bench_now();
    long started = 0;
    for (; started < nthreads; started++) {
        if (pthread_create(&tids[started], NULL, worker, &s) != 0) {
            fprintf(stderr, "raw: pthread_create failed\n");
            break;
        }
    }
    for (long i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    double secs = bench_now() - t0;
    bench_report("raw", s.n, atomic_load(&s.ok), atomic_load(&s.bytes), secs,
                 BENCH_CURL_OPTS_TEXT, NULL);
    free(tids);
    curl_global_cleanup();
    return atomic_load(&s.ok) == s.n ? 0 : 1;
}
