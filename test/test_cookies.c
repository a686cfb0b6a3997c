/*
 * test/test_cookies.c — the client-wide cookie jar: its bounds (per domain
 * and in total, the least recently set evicted first) as the server sees
 * them in the Cookie header of every worker's requests; the two limit
 * options; incremental sync between workers (set, replace, delete through
 * one worker, exact on every other, also for a worker that fell behind the
 * change ring); a jar at its cap still serving requests. Against the fault
 * server's /cookies (test/fault_server.py), on 127.0.0.1 and localhost
 * (two cookie domains). The jar itself, without a server, at 3,000 cookies
 * over 100 domains: the white-box cases at the end.
 */
#include "support.h"

#include "client.h"
#include "cookies.h"
#include "futurl.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static support_server fault;
static char other_host[128]; /* the fault server as http://localhost:PORT */

static void start_fault(void) {
    ck_assert_msg(support_fault_start(&fault) == 0, "fault server did not start");
    snprintf(other_host, sizeof other_host, "http://localhost:%d", fault.port);
}

static void stop_fault(void) {
    support_server_stop(&fault);
}

/* How long a probe holds its worker, so that probes started together run
 * on different workers. */
#define PROBE_DELAY_MS 400

/* ------------------------------------------------------- string lists */

typedef struct strs {
    char **v;
    size_t n, cap;
} strs;

static void strs_push(strs *s, const char *text) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        ck_assert_ptr_nonnull(s->v);
    }
    s->v[s->n] = strdup(text);
    ck_assert_ptr_nonnull(s->v[s->n]);
    s->n++;
}

static void strs_free(strs *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Drop the first `count` entries. */
static void strs_drop_first(strs *s, size_t count) {
    ck_assert_uint_le(count, s->n);
    for (size_t i = 0; i < count; i++)
        free(s->v[i]);
    if (count > 0)
        memmove(s->v, s->v + count, (s->n - count) * sizeof *s->v);
    s->n -= count;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* got and want hold the same strings, in any order; what says where. */
static void assert_same(strs *got, strs *want, const char *what) {
    if (got->n > 1)
        qsort(got->v, got->n, sizeof *got->v, cmp_str);
    if (want->n > 1)
        qsort(want->v, want->n, sizeof *want->v, cmp_str);
    size_t i = 0;
    while (i < got->n && i < want->n && strcmp(got->v[i], want->v[i]) == 0)
        i++;
    ck_assert_msg(got->n == want->n && i == got->n,
                  "%s: got %zu cookies, want %zu; first difference at #%zu: got %s, "
                  "want %s",
                  what, got->n, want->n, i, i < got->n ? got->v[i] : "(end)",
                  i < want->n ? want->v[i] : "(end)");
}

/* ------------------------------------------------------------- client */

/* A client of `workers` workers; max, per_domain 0: the defaults. One
 * attempt per request: a retry would hide which response set what. */
static futurl_client *new_client(unsigned workers, unsigned max, unsigned per_domain) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = workers;
    o.retry.max_attempts = 1;
    if (max != 0)
        o.max_cookies = max;
    if (per_domain != 0)
        o.max_cookies_per_domain = per_domain;
    futurl_client *c = NULL;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_OK);
    return c;
}

/* Start a GET of host + the printf-formatted path. */
static futurl_future *start(futurl_client *c, const char *host, const char *fmt, ...) {
    char path[256], url[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    snprintf(url, sizeof url, "%s%s", host, path);
    futurl_future *f = NULL;
    ck_assert_int_eq(futurl_get(c, url, &f), FUTURL_OK);
    return f;
}

/* Wait for f: it must be a 200 with JSON. */
static const cJSON *answer(futurl_future *f) {
    ck_assert_msg(futurl_future_wait(f) == FUTURL_OK, "request failed: %s",
                  futurl_future_errmsg(f));
    const futurl_response *r = futurl_future_response(f);
    ck_assert_int_eq(futurl_response_status(r), 200);
    const cJSON *j = futurl_response_json(r);
    ck_assert_msg(j != NULL, "not JSON: %s", futurl_response_json_error(r));
    return j;
}

/* Append the strings of j's array `key` to out, each followed by suffix. */
static void collect(const cJSON *j, const char *key, const char *suffix, strs *out) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key);
    ck_assert_msg(cJSON_IsArray(a), "no array \"%s\" in the answer", key);
    const cJSON *item;
    cJSON_ArrayForEach(item, a) {
        char pair[256];
        ck_assert(cJSON_IsString(item));
        snprintf(pair, sizeof pair, "%s%s", item->valuestring, suffix);
        strs_push(out, pair);
    }
}

/* One request to host setting n new cookies named prefix<number> (value 1)
 * plus the query extra; waits; appends "name=1" of each new one to set. */
static void set_cookies(futurl_client *c, const char *host, int n, const char *prefix,
                        const char *extra, strs *set) {
    futurl_future *f = start(c, host, "/cookies?n=%d&prefix=%s%s", n, prefix, extra);
    strs names = {0};
    collect(answer(f), "set", "=1", &names);
    for (size_t i = 0; i < names.n && set != NULL; i++)
        if ((int)i < n)
            strs_push(set, names.v[i]);
    strs_free(&names);
    futurl_future_free(f);
}

/* `workers` requests to host at once, each holding its worker
 * PROBE_DELAY_MS: every worker's Cookie header must be exactly want. */
static void probe_all(futurl_client *c, const char *host, unsigned workers, strs *want,
                      const char *what) {
    futurl_future *fs[16];
    ck_assert_uint_le(workers, 16);
    for (unsigned i = 0; i < workers; i++)
        fs[i] = start(c, host, "/cookies?delay_ms=%d", PROBE_DELAY_MS);
    for (unsigned i = 0; i < workers; i++) {
        strs got = {0};
        collect(answer(fs[i]), "received", "", &got);
        char where[160];
        snprintf(where, sizeof where, "%s (probe %u of %u)", what, i + 1, workers);
        assert_same(&got, want, where);
        strs_free(&got);
        futurl_future_free(fs[i]);
    }
}

static futurl__jar_stats jar_stats(futurl_client *c) {
    futurl__jar_stats s;
    futurl__jar_get_stats(c->jar, &s);
    return s;
}

/* -------------------------------------------------- bounds, end to end */

/* Many responses set thousands of cookies for two domains through four
 * workers: no request ever carries more than 50 cookies for its host, and
 * afterwards every worker sends exactly the 50 set last. (The unbounded jar
 * sent 60 in the 10th request.) */
START_TEST(test_bounds_per_domain) {
    enum { WORKERS = 4, STORM = 80, PER = 20, LIMIT = 50 };
    futurl_client *c = new_client(WORKERS, 0, 0);
    futurl_future *fs[STORM];
    for (int i = 0; i < STORM; i++)
        fs[i] = start(c, i % 2 ? other_host : fault.url, "/cookies?n=%d&prefix=%s", PER,
                      i % 2 ? "b" : "a");
    int worst = 0;
    for (int i = 0; i < STORM; i++) {
        const cJSON *j = answer(fs[i]);
        int got = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "received"));
        worst = got > worst ? got : worst;
        ck_assert_msg(got <= LIMIT,
                      "request %d to %s carried %d cookies, more than the %d a domain "
                      "may hold",
                      i, i % 2 ? "localhost" : "127.0.0.1", got, LIMIT);
        futurl_future_free(fs[i]);
    }
    printf("bounds: %d responses set %d cookies each over 2 domains; at most %d "
           "cookies in one request\n",
           STORM, PER, worst);

    /* Oldest first: 5 x 10 more for 127.0.0.1, one after another, push out
     * every cookie the storm left there, on every worker. */
    strs newest = {0};
    for (int i = 0; i < 5; i++)
        set_cookies(c, fault.url, 10, "s", "", &newest);
    probe_all(c, fault.url, WORKERS, &newest, "127.0.0.1 after 50 newer cookies");

    /* localhost kept its own 50, all from the storm. */
    futurl_future *p = start(c, other_host, "/cookies");
    strs got = {0};
    collect(answer(p), "received", "", &got);
    ck_assert_uint_eq(got.n, LIMIT);
    for (size_t i = 0; i < got.n; i++)
        ck_assert_msg(got.v[i][0] == 'b', "localhost got %s", got.v[i]);
    futurl_future_free(p);

    futurl__jar_stats s = jar_stats(c);
    ck_assert_uint_eq(s.cookies, 2 * LIMIT);
    ck_assert_uint_eq(s.domains, 2);
    ck_assert_uint_eq(s.evicted, (uint64_t)STORM * PER + 50 - 2 * LIMIT);
    strs_free(&got);
    strs_free(&newest);
    futurl_client_destroy(c);
}
END_TEST

/* ------------------------------------------------------------ options */

START_TEST(test_limit_options) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    ck_assert_uint_eq(o.max_cookies, 3000);
    ck_assert_uint_eq(o.max_cookies_per_domain, 50);
    ck_assert_uint_eq(FUTURL_DEFAULT_MAX_COOKIES, 3000);
    ck_assert_uint_eq(FUTURL_DEFAULT_MAX_COOKIES_PER_DOMAIN, 50);

    /* 0 and values past FUTURL_MAX_COOKIES_LIMIT are refused, also with the
     * jar off (the options are checked whole). */
    const struct {
        unsigned max, per_domain;
        int jar;
        futurl_status want;
    } cases[] = {
        {0, 50, 1, FUTURL_EINVAL},
        {3000, 0, 1, FUTURL_EINVAL},
        {0, 0, 0, FUTURL_EINVAL},
        {FUTURL_MAX_COOKIES_LIMIT + 1, 50, 1, FUTURL_EINVAL},
        {3000, FUTURL_MAX_COOKIES_LIMIT + 1, 1, FUTURL_EINVAL},
        {FUTURL_MAX_COOKIES_LIMIT, FUTURL_MAX_COOKIES_LIMIT, 1, FUTURL_OK},
        {1, 1, 1, FUTURL_OK},
        {10, 50, 1, FUTURL_OK}, /* per domain above the total: the total binds */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        futurl_client_options_init(&o);
        o.workers = 1;
        o.max_cookies = cases[i].max;
        o.max_cookies_per_domain = cases[i].per_domain;
        o.cookie_jar = cases[i].jar;
        futurl_client *c = (futurl_client *)&o; /* must be reset to NULL on failure */
        futurl_status st = futurl_client_create(&o, &c);
        ck_assert_msg(st == cases[i].want, "case %zu (%u, %u): %s, want %s", i,
                      cases[i].max, cases[i].per_domain, futurl_err_name(st),
                      futurl_err_name(cases[i].want));
        if (st != FUTURL_OK)
            ck_assert_ptr_null(c);
        futurl_client_destroy(st == FUTURL_OK ? c : NULL);
    }
}
END_TEST

/* Smaller limits: 40 a domain, 60 in all. The total evicts the oldest
 * cookies of whichever domain holds them. */
START_TEST(test_smaller_limits) {
    enum { WORKERS = 3 };
    futurl_client *c = new_client(WORKERS, 60, 40);
    strs a = {0}, b = {0}, none = {0};
    for (int i = 0; i < 4; i++)
        set_cookies(c, fault.url, 10, "p", "", &a);
    for (int i = 0; i < 4; i++)
        set_cookies(c, other_host, 10, "q", "", &b);
    strs_drop_first(&a, 20); /* 80 > 60: 127.0.0.1's first 20 went */
    probe_all(c, fault.url, WORKERS, &a, "127.0.0.1, total 60");
    probe_all(c, other_host, WORKERS, &b, "localhost, total 60");

    /* 10 more for localhost: 50 > 40 there, its own oldest 10 go. */
    set_cookies(c, other_host, 10, "r", "", &b);
    strs_drop_first(&b, 10);
    probe_all(c, other_host, WORKERS, &b, "localhost, 40 a domain");
    probe_all(c, fault.url, WORKERS, &a, "127.0.0.1 untouched");

    /* A limit of 1: each new cookie replaces the last. */
    futurl_client_destroy(c);
    c = new_client(2, 1, 1);
    strs one = {0};
    set_cookies(c, fault.url, 5, "t", "", &one);
    strs_drop_first(&one, 4); /* stored in the order set: the last one stays */
    futurl__jar_stats s = jar_stats(c);
    ck_assert_uint_eq(s.cookies, 1);
    ck_assert_uint_eq(s.evicted, 4);
    probe_all(c, fault.url, 2, &one, "127.0.0.1, limit 1");
    set_cookies(c, other_host, 1, "u", "", NULL);
    probe_all(c, fault.url, 2, &none, "127.0.0.1, limit 1, after localhost set one");
    strs_free(&one);
    strs_free(&a);
    strs_free(&b);
    futurl_client_destroy(c);
}
END_TEST

/* ------------------------------------------------------ sync, end to end */

/* A cookie set, replaced or deleted through one worker is sent exactly so
 * by every worker on its next request: rounds of one change and a probe of
 * every worker, each worker replaying the ring. */
START_TEST(test_sync_across_workers) {
    enum { WORKERS = 4, ROUNDS = 12 };
    futurl_client *c = new_client(WORKERS, 0, 0);
    strs want = {0};
    probe_all(c, fault.url, WORKERS, &want, "empty jar");
    futurl__jar_stats before = jar_stats(c);
    char value[32] = "";
    for (int round = 0; round < ROUNDS; round++) {
        char what[96], extra[96];
        switch (round % 3) {
        case 0: /* set, or replace the value a delete left out */
        case 1: /* replace */
            snprintf(value, sizeof value, "v%d", round);
            snprintf(extra, sizeof extra, "&name=k&value=%s", value);
            snprintf(what, sizeof what, "round %d: k=%s", round, value);
            break;
        default: /* delete */
            snprintf(extra, sizeof extra, "&name=k&value=gone&max_age=0");
            snprintf(what, sizeof what, "round %d: k deleted", round);
            value[0] = '\0';
            break;
        }
        /* One new cookie besides, so that every round changes the jar. */
        set_cookies(c, fault.url, 1, "n", extra, &want);
        for (size_t i = 0; i < want.n; i++)
            if (strncmp(want.v[i], "k=", 2) == 0) {
                free(want.v[i]);
                want.v[i] = want.v[--want.n];
            }
        if (value[0] != '\0') {
            char pair[64];
            snprintf(pair, sizeof pair, "k=%s", value);
            strs_push(&want, pair);
        }
        probe_all(c, fault.url, WORKERS, &want, what);
    }
    futurl__jar_stats after = jar_stats(c);
    ck_assert_msg(after.replays > before.replays, "no load replayed the ring (%llu)",
                  (unsigned long long)after.replays);
    ck_assert_uint_eq(after.full_syncs, before.full_syncs);
    strs_free(&want);
    futurl_client_destroy(c);
}
END_TEST

/* A worker busy while the others change the jar more than the ring holds
 * catches up by comparing the whole jar, and ends up exact. */
START_TEST(test_sync_behind_ring) {
    enum { WORKERS = 2, LIMIT = 8 };
    futurl_client *c = new_client(WORKERS, LIMIT, LIMIT); /* a ring of 64 */
    strs want = {0};
    set_cookies(c, fault.url, LIMIT, "x", "", &want);
    probe_all(c, fault.url, WORKERS, &want, "both workers in step");

    /* One worker waits 1.5 s inside a request; the other makes 20 x 8
     * changes and evicts 19 x 8: about 300 records, the ring keeps 64. */
    futurl_future *busy = start(c, fault.url, "/cookies?delay_ms=1500");
    support_sleep_ms(100);
    for (int i = 0; i < 20; i++)
        set_cookies(c, fault.url, LIMIT, "y", "", &want);
    strs old = {0};
    collect(answer(busy), "received", "", &old);
    futurl_future_free(busy);
    strs_drop_first(&want, want.n - LIMIT);
    futurl__jar_stats before = jar_stats(c);
    probe_all(c, fault.url, WORKERS, &want, "after falling behind the ring");
    futurl__jar_stats after = jar_stats(c);
    ck_assert_msg(after.full_syncs > before.full_syncs,
                  "the worker that fell behind did not compare the whole jar "
                  "(full syncs %llu -> %llu)",
                  (unsigned long long)before.full_syncs,
                  (unsigned long long)after.full_syncs);
    strs_free(&old);
    strs_free(&want);
    futurl_client_destroy(c);
}
END_TEST

/* libcurl 7.88 ignores cookies given to a handle after a response that set
 * 50 until its next request starts. The jar and the static cookies
 * (o.cookies) go in once it has: both still reach the next request on the
 * same worker, with the jar on and off. */
START_TEST(test_after_fifty_set_cookies) {
    for (int jar = 1; jar >= 0; jar--) {
        futurl_client_options o;
        futurl_client_options_init(&o);
        o.workers = 1;
        o.retry.max_attempts = 1;
        o.cookie_jar = jar;
        o.cookies = "fixed=1";
        futurl_client *c = NULL;
        ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_OK);
        strs want = {0};
        for (int round = 0; round < 3; round++) {
            futurl_future *f = start(c, fault.url, "/cookies?n=50&prefix=h%d", round);
            strs got = {0};
            const cJSON *j = answer(f);
            collect(j, "received", "", &got);
            strs_push(&want, "fixed=1");
            char what[64];
            snprintf(what, sizeof what, "jar %s, request %d", jar ? "on" : "off", round);
            assert_same(&got, &want, what);
            strs_free(&want);
            if (jar) /* next time: the 50 this response set (they evicted the rest) */
                collect(j, "set", "=1", &want);
            strs_free(&got);
            futurl_future_free(f);
        }
        strs_free(&want);
        futurl_client_destroy(c);
    }
}
END_TEST

/* ---------------------------------------------------------- at the cap */

/* A jar at its 3,000-cookie cap (one domain allowed all of it) keeps
 * serving: rounds of four requests that each set 50 more cookies, evicting
 * 50, complete within a loose bound (timing is for the benchmark: make
 * bench); libcurl sends at most 150 cookies in one request. */
START_TEST(test_jar_at_cap) {
    enum { WORKERS = 4, CAP = 3000, PER = 50, ROUNDS = 4 };
    futurl_client *c = new_client(WORKERS, CAP, CAP);
    futurl_future *fs[WORKERS];
    for (int filled = 0; filled < CAP + PER; filled += WORKERS * PER) {
        for (int i = 0; i < WORKERS; i++)
            fs[i] = start(c, fault.url, "/cookies?n=%d&prefix=f", PER);
        for (int i = 0; i < WORKERS; i++) {
            (void)answer(fs[i]);
            futurl_future_free(fs[i]);
        }
    }
    ck_assert_uint_eq(jar_stats(c).cookies, CAP);
    double worst = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = support_now();
        for (int i = 0; i < WORKERS; i++)
            fs[i] = start(c, fault.url, "/cookies?n=%d&prefix=g", PER);
        for (int i = 0; i < WORKERS; i++) {
            const cJSON *j = answer(fs[i]);
            int sent =
                cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "received"));
            ck_assert_msg(sent <= 150, "%d cookies in one request", sent);
            futurl_future_free(fs[i]);
        }
        double took = support_now() - t0;
        worst = took > worst ? took : worst;
        ck_assert_msg(took < 10.0 * support_slack(),
                      "round %d of 4 requests at the cap took %.3f s", round, took);
    }
    futurl__jar_stats s = jar_stats(c);
    ck_assert_uint_eq(s.cookies, CAP);
    printf("at the cap: %zu cookies, worst round of %d requests %.3f s\n", s.cookies,
           WORKERS, worst);
    futurl_client_destroy(c);
}
END_TEST

/* ------------------------------------------------ the jar, white-box */

/* A handle with the cookie engine on and nothing in it. */
static CURL *new_handle(void) {
    CURL *e = curl_easy_init();
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(curl_easy_setopt(e, CURLOPT_COOKIEFILE, ""), CURLE_OK);
    return e;
}

/* What a server would set: a host-only cookie name=value of host. */
static void set_line(CURL *e, const char *host, const char *name, const char *value,
                     long long expires) {
    size_t size = strlen(host) + strlen(name) + strlen(value) + 64;
    char *line = malloc(size);
    ck_assert_ptr_nonnull(line);
    snprintf(line, size, "%s\tFALSE\t/\tFALSE\t%lld\t%s\t%s", host, expires, name, value);
    ck_assert_int_eq(curl_easy_setopt(e, CURLOPT_COOKIELIST, line), CURLE_OK);
    free(line);
}

/* The handle's live cookies as "host name=value". */
static void handle_cookies(CURL *e, strs *out) {
    struct curl_slist *list = NULL;
    ck_assert_int_eq(curl_easy_getinfo(e, CURLINFO_COOKIELIST, &list), CURLE_OK);
    for (struct curl_slist *l = list; l != NULL; l = l->next) {
        const char *field[7] = {0}, *p = l->data;
        size_t len[7] = {0};
        int n = 0;
        for (; n < 7 && p != NULL; n++) {
            const char *tab = n < 6 ? strchr(p, '\t') : NULL;
            field[n] = p;
            len[n] = tab ? (size_t)(tab - p) : strlen(p);
            p = tab ? tab + 1 : NULL;
        }
        ck_assert_msg(n >= 6, "odd line %s", l->data);
        long long expires = strtoll(field[4], NULL, 10);
        if (expires != 0 && expires < (long long)time(NULL))
            continue; /* libcurl drops it before sending anything */
        size_t size = len[0] + len[5] + len[6] + 3;
        char *item = malloc(size);
        ck_assert_ptr_nonnull(item);
        snprintf(item, size, "%.*s %.*s=%.*s", (int)len[0], field[0], (int)len[5],
                 field[5], (int)len[6], field[6] ? field[6] : "");
        strs_push(out, item);
        free(item);
    }
    curl_slist_free_all(list);
}

/* A jar and two handles with their views, as two workers hold them. */
typedef struct two_workers {
    futurl__cookie_jar *jar;
    futurl__cookie_view va, vb;
    CURL *a, *b;
} two_workers;

static void two_workers_new(two_workers *t, size_t max, size_t per_domain) {
    memset(t, 0, sizeof *t);
    t->jar = futurl__jar_new(max, per_domain);
    ck_assert_ptr_nonnull(t->jar);
    t->a = new_handle();
    t->b = new_handle();
}

static void two_workers_free(two_workers *t) {
    futurl__cookie_view_free(&t->va);
    futurl__cookie_view_free(&t->vb);
    curl_easy_cleanup(t->a);
    curl_easy_cleanup(t->b);
    futurl__jar_free(t->jar);
}

/* 100 domains, 60 cookies each, stored one domain at a time through one
 * handle (loaded before each, as a worker does): a second handle, loaded
 * once at the end, holds the newest 50 of the newest 60 domains — 3,000,
 * the oldest domains gone whole. */
START_TEST(test_jar_many_domains) {
    enum { DOMAINS = 100, EACH = 60, PER = 50, CAP = 3000 };
    two_workers t;
    two_workers_new(&t, CAP, PER);
    futurl__cookie_jar *jar = t.jar;
    CURL *a = t.a, *b = t.b;
    strs want = {0};
    for (int d = 0; d < DOMAINS; d++) {
        char host[64];
        snprintf(host, sizeof host, "d%d.example", d);
        ck_assert_int_eq(futurl__jar_load(jar, &t.va, a), FUTURL_OK);
        for (int i = 0; i < EACH; i++) {
            char name[32];
            snprintf(name, sizeof name, "c%d", i);
            set_line(a, host, name, "1", 0);
            if (d >= DOMAINS - CAP / PER && i >= EACH - PER) {
                char item[128];
                snprintf(item, sizeof item, "%s %s=1", host, name);
                strs_push(&want, item);
            }
        }
        ck_assert_int_eq(futurl__jar_store(jar, &t.va, a), FUTURL_OK);
    }
    ck_assert_int_eq(futurl__jar_load(jar, &t.vb, b), FUTURL_OK);
    strs got = {0};
    handle_cookies(b, &got);
    assert_same(&got, &want, "a fresh handle after 100 domains");
    strs_free(&got);
    /* The storing handle drops the evicted ones at its next load. */
    ck_assert_int_eq(futurl__jar_load(jar, &t.va, a), FUTURL_OK);
    handle_cookies(a, &got);
    assert_same(&got, &want, "the storing handle after its next load");
    futurl__jar_stats s;
    futurl__jar_get_stats(jar, &s);
    ck_assert_uint_eq(s.cookies, CAP);
    ck_assert_uint_eq(s.domains, CAP / PER);
    ck_assert_uint_eq(s.evicted, DOMAINS * EACH - CAP);
    strs_free(&got);
    strs_free(&want);
    two_workers_free(&t);
}
END_TEST

/* Replays cost what changed: with 3,000 cookies in the jar, a handle two
 * changes behind (a replacement and a deletion: an expired cookie) is fed
 * two lines; a handle behind the ring compares the whole jar but is fed
 * only the differences. */
START_TEST(test_jar_replay_cost) {
    enum { CAP = 3000 };
    two_workers t;
    two_workers_new(&t, CAP, CAP);
    futurl__cookie_jar *jar = t.jar;
    CURL *a = t.a, *b = t.b;
    ck_assert_int_eq(futurl__jar_load(jar, &t.va, a), FUTURL_OK);
    for (int i = 0; i < CAP; i++) {
        char name[32];
        snprintf(name, sizeof name, "c%d", i);
        set_line(a, i % 2 ? "one.example" : "two.example", name, "1", 0);
    }
    ck_assert_int_eq(futurl__jar_store(jar, &t.va, a), FUTURL_OK);
    ck_assert_int_eq(futurl__jar_load(jar, &t.vb, b), FUTURL_OK);
    futurl__jar_stats s0, s1;

    /* One replacement and one deletion through a. */
    ck_assert_int_eq(futurl__jar_load(jar, &t.va, a), FUTURL_OK);
    set_line(a, "one.example", "c1", "2", 0);
    set_line(a, "two.example", "c2", "1", 1); /* expired: deleted */
    ck_assert_int_eq(futurl__jar_store(jar, &t.va, a), FUTURL_OK);
    futurl__jar_get_stats(jar, &s0);
    ck_assert_int_eq(futurl__jar_load(jar, &t.vb, b), FUTURL_OK);
    futurl__jar_get_stats(jar, &s1);
    ck_assert_uint_eq(s1.cookies, CAP - 1);
    ck_assert_uint_eq(s1.replays, s0.replays + 1);
    ck_assert_uint_eq(s1.lines_fed - s0.lines_fed, 2);
    strs got = {0}, want = {0};
    handle_cookies(b, &got);
    ck_assert_uint_eq(got.n, CAP - 1);
    int saw_new = 0;
    for (size_t i = 0; i < got.n; i++) {
        ck_assert_msg(strcmp(got.v[i], "two.example c2=1") != 0, "c2 was not deleted");
        ck_assert_msg(strcmp(got.v[i], "one.example c1=1") != 0, "c1 kept its old value");
        saw_new |= strcmp(got.v[i], "one.example c1=2") == 0;
    }
    ck_assert_msg(saw_new, "c1=2 did not reach the other handle");
    strs_free(&got);

    /* a makes 7,000 changes (replacing values) while b idles: the ring
     * (6,000 records) has lost b's place. b compares the whole jar and is
     * fed only the 3,000 lines that differ. */
    for (int round = 0; round < 7; round++) {
        ck_assert_int_eq(futurl__jar_load(jar, &t.va, a), FUTURL_OK);
        for (int i = round * 1000; i < round * 1000 + 1000; i++) {
            char name[32], value[16];
            snprintf(name, sizeof name, "c%d", i % CAP);
            snprintf(value, sizeof value, "r%d", round);
            set_line(a, i % CAP % 2 ? "one.example" : "two.example", name, value, 0);
        }
        ck_assert_int_eq(futurl__jar_store(jar, &t.va, a), FUTURL_OK);
    }
    futurl__jar_get_stats(jar, &s0);
    ck_assert_int_eq(futurl__jar_load(jar, &t.vb, b), FUTURL_OK);
    futurl__jar_get_stats(jar, &s1);
    ck_assert_uint_eq(s1.full_syncs, s0.full_syncs + 1);
    ck_assert_uint_eq(s1.lines_fed - s0.lines_fed, CAP);
    ck_assert_int_eq(futurl__jar_load(jar, &t.va, a), FUTURL_OK);
    handle_cookies(a, &want);
    handle_cookies(b, &got);
    ck_assert_uint_eq(want.n, CAP);
    assert_same(&got, &want, "the handle that fell behind the ring");
    strs_free(&got);
    strs_free(&want);
    two_workers_free(&t);
}
END_TEST

/* The ring is bounded in bytes too: cookies with 3,000-byte names fill its
 * 1 MiB with about 340 records. A handle idle through 400 such changes has
 * lost its place, compares the whole jar and ends exact. */
START_TEST(test_jar_ring_bytes) {
    enum { CHANGES = 400, NAME = 3000 };
    two_workers t;
    two_workers_new(&t, 3000, 3000);
    ck_assert_int_eq(futurl__jar_load(t.jar, &t.vb, t.b), FUTURL_OK);
    static char name[NAME + 1];
    memset(name, 'n', NAME);
    for (int i = 0; i < CHANGES; i++) {
        ck_assert_int_eq(futurl__jar_load(t.jar, &t.va, t.a), FUTURL_OK);
        int n = snprintf(name, 8, "%04d", i); /* different from the start */
        name[n] = 'n';
        set_line(t.a, "big.example", name, "1", 0);
        ck_assert_int_eq(futurl__jar_store(t.jar, &t.va, t.a), FUTURL_OK);
        futurl__jar_stats s;
        futurl__jar_get_stats(t.jar, &s);
        ck_assert_uint_le(s.ring_bytes, FUTURL__JAR_RING_BYTES);
    }
    futurl__jar_stats s0, s1;
    futurl__jar_get_stats(t.jar, &s0);
    ck_assert_uint_lt(s0.ring_records, CHANGES);
    ck_assert_uint_gt(s0.ring_bytes, FUTURL__JAR_RING_BYTES - 2 * (NAME + 64));
    ck_assert_int_eq(futurl__jar_load(t.jar, &t.vb, t.b), FUTURL_OK);
    futurl__jar_get_stats(t.jar, &s1);
    ck_assert_uint_eq(s1.full_syncs, s0.full_syncs + 1);
    ck_assert_uint_eq(s1.lines_fed - s0.lines_fed, CHANGES);
    ck_assert_int_eq(futurl__jar_load(t.jar, &t.va, t.a), FUTURL_OK);
    strs got = {0}, want = {0};
    handle_cookies(t.a, &want);
    handle_cookies(t.b, &got);
    ck_assert_uint_eq(want.n, CHANGES);
    assert_same(&got, &want, "the handle that fell behind a ring full of long names");
    strs_free(&got);
    strs_free(&want);
    two_workers_free(&t);
}
END_TEST

/* ------------------------------------------------------------- suite */

static Suite *cookies_suite(void) {
    Suite *s = suite_create("cookies");
    TCase *tc = tcase_create("fault");
    tcase_add_unchecked_fixture(tc, start_fault, stop_fault);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bounds_per_domain);
    tcase_add_test(tc, test_limit_options);
    tcase_add_test(tc, test_smaller_limits);
    tcase_add_test(tc, test_sync_across_workers);
    tcase_add_test(tc, test_sync_behind_ring);
    tcase_add_test(tc, test_after_fifty_set_cookies);
    tcase_add_test(tc, test_jar_at_cap);
    suite_add_tcase(s, tc);
    tc = tcase_create("jar");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_jar_many_domains);
    tcase_add_test(tc, test_jar_replay_cost);
    tcase_add_test(tc, test_jar_ring_bytes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    curl_global_init(CURL_GLOBAL_ALL);
    SRunner *sr = srunner_create(cookies_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
