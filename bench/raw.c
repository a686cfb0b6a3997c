/*
 * bench/raw.c — the design's own limit for HTTP throughput: N pthreads, each
 * with one curl easy handle reused for every request (so one kept-alive
 * connection per thread), claiming request numbers from an atomic counter.
 * No queue, no futures, bodies discarded.
 * Usage: raw URL|@FILE REQUESTS THREADS [MAXCONNECTS]: request i goes to
 * URL, or to line i % count of FILE (S7's many hosts; see common.h);
 * MAXCONNECTS sets each handle's connection cache (CURLOPT_MAXCONNECTS,
 * libcurl's default 5). Prints one JSON result line (see common.h) with
 * "new_conns", the connections made (CURLINFO_NUM_CONNECTS summed); the
 * time runs from before the threads start until the last one is joined.
 */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct shared {
    char **urls;
    long nurls;
    long maxconnects; /* 0: libcurl's default */
    long n;
    atomic_long conns;
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
    CURLcode rc = bench_curl_setup(h, s->urls[0], &bytes);
    if (rc == CURLE_OK && s->maxconnects > 0)
        rc = curl_easy_setopt(h, CURLOPT_MAXCONNECTS, s->maxconnects);
    if (rc != CURLE_OK) {
        fprintf(stderr, "raw: setopt: %s\n", curl_easy_strerror(rc));
        curl_easy_cleanup(h);
        return NULL;
    }
    long conns = 0, i;
    while ((i = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed)) < s->n) {
        long status = 0, made = 0;
        rc = s->nurls > 1 ? curl_easy_setopt(h, CURLOPT_URL, s->urls[i % s->nurls])
                          : CURLE_OK;
        if (rc == CURLE_OK)
            rc = curl_easy_perform(h);
        if (rc == CURLE_OK && curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &made) == CURLE_OK)
            conns += made;
        if (rc == CURLE_OK)
            rc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OK && status == 200)
            ok++;
        else
            fprintf(stderr, "raw: %s status %ld\n", curl_easy_strerror(rc), status);
    }
    curl_easy_cleanup(h);
    atomic_fetch_add(&s->ok, ok);
    atomic_fetch_add(&s->conns, conns);
    atomic_fetch_add(&s->bytes, bytes);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: raw URL|@FILE REQUESTS THREADS [MAXCONNECTS]\n");
        return 2;
    }
    struct shared s = {.n = bench_parse_count("REQUESTS", argv[2])};
    s.nurls = bench_url_list(argv[1], &s.urls);
    if (argc == 5)
        s.maxconnects = bench_parse_count("MAXCONNECTS", argv[4]);
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
    char extra[96];
    snprintf(extra, sizeof extra, ",\"new_conns\":%ld,\"maxconnects\":%ld",
             atomic_load(&s.conns), s.maxconnects > 0 ? s.maxconnects : 5L);
    bench_report("raw", s.n, atomic_load(&s.ok), atomic_load(&s.bytes), secs,
                 BENCH_CURL_OPTS_TEXT, extra);
    free(tids);
    curl_global_cleanup();
    return atomic_load(&s.ok) == s.n ? 0 : 1;
}
