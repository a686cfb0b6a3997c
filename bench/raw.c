/*
 * bench/raw.c — the design's own limit for HTTP throughput: N pthreads, each
 * with one curl easy handle reused for every request (so one kept-alive
 * connection per thread), claiming request numbers from an atomic counter.
 * No queue, no futures, bodies discarded.
 * Usage: raw URL|@FILE REQUESTS THREADS [MAXCONNECTS] [cookies FILL_URL FILL
 * KEEP] [copy]: request i goes to URL, or to line i % count of FILE (S7's many
 * hosts; see common.h); MAXCONNECTS sets each handle's connection cache
 * (CURLOPT_MAXCONNECTS, libcurl's default 5). Prints one JSON result line
 * (see common.h) with "new_conns", the connections made
 * (CURLINFO_NUM_CONNECTS summed) and "clock_cpu_s", the process's CPU
 * over the clock; the time runs from before the threads start until the
 * last one is joined.
 *
 * "cookies" (S8 jar's floor: libcurl alone sending what futurl's jar
 * sends): before the clock, one handle with libcurl's cookie engine GETs
 * FILL_URL FILL times (responses that set new cookies), and the KEEP
 * cookies it was given last (its export lists them in the order set) go
 * into every thread's handle, a CURLOPT_COOKIELIST line each. Those handles
 * are made before the clock; the timed requests then send the cookies as
 * futurl's handles do when the jar holds the same, with nothing synced.
 * The result line adds "cookies", the count each handle was given
 * (clock_cpu_s leaves the fill out; cpu_s counts it).
 *
 * "copy" (S3's raw-copy; not with "cookies"): each body is copied into
 * its thread's buffer, reused from one request to the next, instead of
 * discarded: the one copy that any client keeping bodies makes on libcurl,
 * whose write callback lends its own receive buffer. futurl keeps its
 * bodies; raw-copy is that part of the work without the rest of futurl.
 */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shared {
    char **urls;
    long nurls;
    long maxconnects; /* 0: libcurl's default */
    int copy;         /* "copy": bodies copied into a buffer per thread */
    long n;
    atomic_long conns;
    atomic_long next;
    atomic_long ok;
    atomic_ullong bytes;
};

/* A handle with the options every implementation sets; bytes counts its
 * bodies. NULL (with a message) on failure. */
static CURL *make_handle(const struct shared *s, uint64_t *bytes) {
    CURL *h = curl_easy_init();
    if (!h) {
        fprintf(stderr, "raw: curl_easy_init failed\n");
        return NULL;
    }
    CURLcode rc = bench_curl_setup(h, s->urls[0], bytes);
    if (rc == CURLE_OK && s->maxconnects > 0)
        rc = curl_easy_setopt(h, CURLOPT_MAXCONNECTS, s->maxconnects);
    if (rc != CURLE_OK) {
        fprintf(stderr, "raw: setopt: %s\n", curl_easy_strerror(rc));
        curl_easy_cleanup(h);
        return NULL;
    }
    return h;
}

/* "copy": the body of the request in flight; len goes back to 0 before
 * each request, the memory stays. */
struct copied {
    char *data;
    size_t len, cap;
    uint64_t *bytes;
};

static size_t copy_body(char *data, size_t size, size_t nmemb, void *ud) {
    struct copied *k = ud;
    size_t n = size * nmemb;
    if (n == 0) /* an empty body: nothing to copy, maybe nothing allocated */
        return 0;
    if (n > k->cap - k->len) {
        size_t cap = k->cap ? k->cap : 64 * 1024;
        while (cap - k->len < n)
            cap *= 2;
        char *d = realloc(k->data, cap);
        if (d == NULL)
            return 0; /* libcurl fails the transfer: CURLE_WRITE_ERROR */
        k->data = d;
        k->cap = cap;
    }
    memcpy(k->data + k->len, data, n);
    k->len += n;
    *k->bytes += n;
    return n;
}

struct thread_arg {
    struct shared *s;
    CURL *h;        /* made before the clock, or NULL */
    uint64_t bytes; /* h's write callback counts here */
};

static void *worker(void *arg) {
    struct thread_arg *t = arg;
    struct shared *s = t->s;
    uint64_t bytes = 0;
    long ok = 0;
    CURL *h = t->h ? t->h : make_handle(s, &bytes);
    if (!h)
        return NULL;
    CURLcode rc;
    struct copied body = {.bytes = t->h ? &t->bytes : &bytes};
    if (s->copy && (curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, copy_body) != CURLE_OK ||
                    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body) != CURLE_OK)) {
        fprintf(stderr, "raw: setopt: copy\n");
        curl_easy_cleanup(h);
        return NULL;
    }
    long conns = 0, i;
    while ((i = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed)) < s->n) {
        long status = 0, made = 0;
        body.len = 0;
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
    free(body.data);
    atomic_fetch_add(&s->ok, ok);
    atomic_fetch_add(&s->conns, conns);
    atomic_fetch_add(&s->bytes, bytes + t->bytes);
    return NULL;
}

/* "cookies": FILL GETs of url on one handle; returns its export's last
 * keep lines (fewer if it holds fewer), count in *kept. Exits on failure. */
static struct curl_slist *fill_cookies(const char *url, long fill, long keep,
                                       long *kept) {
    uint64_t bytes = 0;
    CURL *h = curl_easy_init();
    CURLcode rc = h ? bench_curl_setup(h, url, &bytes) : CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_COOKIEFILE, ""); /* the engine on */
    for (long i = 0; rc == CURLE_OK && i < fill; i++)
        rc = curl_easy_perform(h);
    struct curl_slist *all = NULL, *mine = NULL;
    if (rc == CURLE_OK)
        rc = curl_easy_getinfo(h, CURLINFO_COOKIELIST, &all);
    if (rc != CURLE_OK) {
        fprintf(stderr, "raw: filling cookies: %s\n", curl_easy_strerror(rc));
        exit(1);
    }
    long count = 0;
    for (struct curl_slist *l = all; l; l = l->next)
        count++;
    *kept = 0;
    for (struct curl_slist *l = all; l; l = l->next, count--) {
        if (count > keep)
            continue;
        struct curl_slist *n = curl_slist_append(mine, l->data);
        if (!n) {
            fprintf(stderr, "raw: out of memory\n");
            exit(1);
        }
        mine = n;
        (*kept)++;
    }
    curl_slist_free_all(all);
    curl_easy_cleanup(h);
    return mine;
}

int main(int argc, char **argv) {
    int copy = argc > 4 && strcmp(argv[argc - 1], "copy") == 0;
    if (copy)
        argc--;
    int cookies = argc > 4 && strcmp(argv[argc - 4], "cookies") == 0;
    int rest = argc - (cookies ? 4 : 0); /* the arguments before "cookies" */
    if ((rest != 4 && rest != 5) || (copy && cookies)) {
        fprintf(stderr, "usage: raw URL|@FILE REQUESTS THREADS [MAXCONNECTS] "
                        "[cookies FILL_URL FILL KEEP | copy]\n");
        return 2;
    }
    struct shared s = {.n = bench_parse_count("REQUESTS", argv[2]), .copy = copy};
    s.nurls = bench_url_list(argv[1], &s.urls);
    if (rest == 5)
        s.maxconnects = bench_parse_count("MAXCONNECTS", argv[4]);
    long nthreads = bench_parse_count("THREADS", argv[3]);
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        fprintf(stderr, "raw: curl_global_init failed\n");
        return 1;
    }
    pthread_t *tids = calloc((size_t)nthreads, sizeof *tids);
    struct thread_arg *args = calloc((size_t)nthreads, sizeof *args);
    if (!tids || !args) {
        fprintf(stderr, "raw: out of memory\n");
        return 1;
    }
    long kept = 0;
    for (long i = 0; i < nthreads; i++)
        args[i].s = &s;
    if (cookies) {
        struct curl_slist *lines =
            fill_cookies(argv[rest + 1], bench_parse_count("FILL", argv[rest + 2]),
                         bench_parse_count("KEEP", argv[rest + 3]), &kept);
        for (long i = 0; i < nthreads; i++) {
            args[i].h = make_handle(&s, &args[i].bytes);
            if (!args[i].h)
                return 1;
            for (struct curl_slist *l = lines; l; l = l->next) {
                CURLcode rc = curl_easy_setopt(args[i].h, CURLOPT_COOKIELIST, l->data);
                if (rc != CURLE_OK) {
                    fprintf(stderr, "raw: COOKIELIST: %s\n", curl_easy_strerror(rc));
                    return 1;
                }
            }
        }
        curl_slist_free_all(lines);
    }
    double cpu0 = bench_cpu_seconds(), t0 = bench_now();
    long started = 0;
    for (; started < nthreads; started++) {
        if (pthread_create(&tids[started], NULL, worker, &args[started]) != 0) {
            fprintf(stderr, "raw: pthread_create failed\n");
            break;
        }
    }
    for (long i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    double secs = bench_now() - t0, cpu = bench_cpu_seconds() - cpu0;
    char extra[160];
    int len = snprintf(extra, sizeof extra,
                       ",\"new_conns\":%ld,\"maxconnects\":%ld,\"clock_cpu_s\":%.6f",
                       atomic_load(&s.conns), s.maxconnects > 0 ? s.maxconnects : 5L, cpu);
    if (cookies)
        snprintf(extra + len, sizeof extra - (size_t)len, ",\"cookies\":%ld", kept);
    bench_report(cookies ? "raw-jar" : copy ? "raw-copy" : "raw", s.n, atomic_load(&s.ok),
                 atomic_load(&s.bytes), secs,
                 copy ? BENCH_CURL_OPTS_COMMON "body copied into a buffer per thread"
                      : BENCH_CURL_OPTS_TEXT,
                 extra);
    free(tids);
    free(args);
    curl_global_cleanup();
    return atomic_load(&s.ok) == s.n ? 0 : 1;
}
