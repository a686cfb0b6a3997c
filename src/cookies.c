/*
 * src/cookies.c — the client-wide cookie jar (see cookies.h for the model).
 * It owns the jar's lines, its per-domain counts, its eviction order and its
 * ring of recent changes; each worker owns its view.
 *
 *   lock       guards                                        held across
 *   jar->lock  cookies, domains, both eviction lists, the    hash look-ups
 *              ring, the stats, every write of generation    and copies of
 *                                                            lines
 *
 * Nothing else is taken inside jar->lock (a leaf, see src/future.h), and
 * nothing slow runs under it: the look-ups and copies are as many as what
 * changed (as the jar and the view are big, for a view that fell behind the
 * ring); libcurl (feeding or exporting a handle's cookies, each a scan of
 * libcurl's own lists) runs after it is released, on lines copied out. generation is also
 * read without the lock, as the fast "nothing changed" test before a transfer; a stale
 * read only delays a load by one request of that worker, never loses a cookie.
 *
 * Keys: libcurl 7.88 treats two cookies as one when their domains (without
 * a leading dot), names and sanitized paths are equal ignoring ASCII case
 * and their tailmatch flags are equal (cookie.c, Curl_cookie_add); the jar
 * and the views key lines exactly so, or a handle would merge what the jar
 * keeps apart. A domain, for the per-domain limit, is the cookie's domain
 * folded to lower case without its leading dot: the host of a host-only
 * cookie, the Domain attribute otherwise (sub-domains count apart).
 *
 * Generations: every change (a set, a deletion, an eviction) takes the next
 * generation and a ring record naming its key. The ring holds the records
 * of generations ring_from+1 .. generation: at most ring_cap of them (twice
 * max_cookies, 64 to 16,384) and RING_BYTES of key lines. A view at generation v >=
 * ring_from replays records v+1 .. generation: for each key named, it compares the jar's
 * line now with its own and feeds the handle the difference (the jar's line, or an
 * expired line that deletes the cookie). A key named twice is compared
 * twice, the second time equal. A view behind ring_from, or with more
 * records to replay than the jar and view hold, compares them whole.
 *
 * Eviction: the cookie set or changed least recently goes first (a
 * Set-Cookie that repeats a cookie exactly leaves no trace in the handle,
 * so it does not count as a change). Within one store, lines come in
 * libcurl's export order.
 */
#include "cookies.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

/* Ring bounds: records of changes, and bytes of their key lines. */
#define RING_RECORDS_MIN 64u
#define RING_RECORDS_MAX 16384u
#define RING_BYTES       FUTURL__JAR_RING_BYTES

/* ------------------------------------------------------------ line keys */

#define FNV_INIT  14695981039346656037ull
#define FNV_PRIME 1099511628211ull

/* FNV-1a of s[0..len) folded to lower case, continuing from h. */
static uint64_t hash_fold(uint64_t h, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        h = (h ^ futurl__ascii_lower((unsigned char)s[i])) * FNV_PRIME;
    return (h ^ 0xff) * FNV_PRIME; /* a separator no text byte produces */
}

/* libcurl's sanitize_cookie_path on path[0..*len): surrounding quotes off,
 * "/" for anything not starting with "/", one trailing "/" off. */
static const char *sanitize_path(const char *path, size_t *len) {
    size_t n = *len;
    if (n > 0 && path[0] == '"') {
        path++;
        n--;
    }
    if (n > 0 && path[n - 1] == '"')
        n--;
    if (n == 0 || path[0] != '/') {
        *len = 1;
        return "/";
    }
    if (path[n - 1] == '/')
        n--;
    *len = n;
    return path;
}

int futurl__cookie_key_parse(const char *line, futurl__cookie_key *k) {
    static const char httponly[] = "#HttpOnly_";
    const char *p = line;
    if (strncmp(p, httponly, sizeof httponly - 1) == 0)
        p += sizeof httponly - 1;
    const char *field[6];
    size_t len[6];
    for (int i = 0; i < 6; i++) {
        field[i] = p;
        len[i] = strcspn(p, "\t");
        if (p[len[i]] == '\0' && i < 5)
            return -1; /* fewer than six fields */
        p += len[i] + (p[len[i]] != '\0');
    }
    memset(k, 0, sizeof *k);
    k->domain = field[0];
    k->domain_len = len[0];
    if (k->domain_len > 0 && k->domain[0] == '.') {
        k->domain++;
        k->domain_len--;
    }
    k->tailmatch = futurl__ascii_ieq(field[1], len[1], "TRUE", 4);
    k->path_len = len[2];
    k->path = sanitize_path(field[2], &k->path_len);
    char *end;
    k->expires = strtoll(field[4], &end, 10);
    if (len[4] == 0 || end != field[4] + len[4])
        return -1;
    k->name = field[5];
    k->name_len = len[5];
    k->head_len = (size_t)(field[4] - 1 - line);

    uint64_t h = FNV_INIT ^ (uint64_t)k->tailmatch;
    h = hash_fold(h, k->domain, k->domain_len);
    h = hash_fold(h, k->path, k->path_len);
    k->hash = hash_fold(h, k->name, k->name_len);
    return 0;
}

static int keys_equal(const futurl__cookie_key *a, const futurl__cookie_key *b) {
    return a->tailmatch == b->tailmatch &&
           futurl__ascii_ieq(a->domain, a->domain_len, b->domain, b->domain_len) &&
           futurl__ascii_ieq(a->path, a->path_len, b->path, b->path_len) &&
           futurl__ascii_ieq(a->name, a->name_len, b->name, b->name_len);
}

/* libcurl drops a cookie whose expiry has passed before it sends any. */
static int key_expired(const futurl__cookie_key *k, time_t now) {
    return k->expires != 0 && k->expires < (long long)now;
}

/* line's cookie, expired: libcurl reads it as the same cookie (domain,
 * tailmatch, path and secure flag kept, so neither the __Host-/__Secure-
 * rules nor "a non-secure cookie may not overlay a secure one" refuse it),
 * so feeding it to a handle deletes the cookie. The ring keeps these as the
 * names of keys. NULL when out of memory. */
static char *expired_line(const char *line, const futurl__cookie_key *k) {
    size_t n = k->head_len + 3 + k->name_len;
    char *s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, line, k->head_len);
    memcpy(s + k->head_len, "\t1\t", 3);
    memcpy(s + k->head_len + 3, k->name, k->name_len);
    s[n] = '\0';
    return s;
}

/* ------------------------------------------------------- keyed lines */

/* What the jar and the views index: a line, hashed by its key. */
typedef struct keyed_line {
    futurl__hnode node;
    char *line;
} keyed_line;

/* The entry of m with k's key, and its parsed key in *found; NULL if none. */
static keyed_line *find_line(const futurl__hmap *m, const futurl__cookie_key *k,
                             futurl__cookie_key *found) {
    for (futurl__hnode *n = futurl__hmap_chain(m, k->hash); n != NULL; n = n->next) {
        keyed_line *e = (keyed_line *)n;
        if (n->hash == k->hash && futurl__cookie_key_parse(e->line, found) == 0 &&
            keys_equal(found, k))
            return e;
    }
    return NULL;
}

/* ---------------------------------------------------------------- views */

typedef struct view_line {
    keyed_line kl;
    uint64_t pass; /* view->pass when a store last found it in the handle */
} view_line;

/* Make v (NULL: a new entry for hash) hold line, which it takes. NULL when
 * out of memory (line is then freed, v unchanged). */
static view_line *view_put(futurl__cookie_view *view, view_line *v, uint64_t hash,
                           char *line) {
    if (v == NULL) {
        v = calloc(1, sizeof *v);
        if (v == NULL) {
            free(line);
            return NULL;
        }
        v->kl.node.hash = hash;
        if (futurl__hmap_insert(&view->lines, &v->kl.node) != 0) {
            free(v);
            free(line);
            return NULL;
        }
    } else {
        free(v->kl.line);
    }
    v->kl.line = line;
    v->pass = view->pass;
    return v;
}

/* Take v out of the view; returns its line, for the caller to free. */
static char *view_take(futurl__cookie_view *view, view_line *v) {
    char *line = v->kl.line;
    futurl__hmap_remove(&view->lines, &v->kl.node);
    free(v);
    return line;
}

void futurl__cookie_view_free(futurl__cookie_view *view) {
    futurl__hnode *n = futurl__hmap_next(&view->lines, NULL);
    while (n != NULL) {
        futurl__hnode *next = futurl__hmap_next(&view->lines, n);
        free(view_take(view, (view_line *)n));
        n = next;
    }
    futurl__hmap_free(&view->lines);
    memset(view, 0, sizeof *view);
}

/* Lines to give a handle, in order; `owned` ones are freed after. */
typedef struct feed {
    struct feed_item {
        const char *line;
        char *owned;
        int set; /* store: a set (1) or a deletion (0) */
    } * items;
    size_t count, cap;
} feed;

static int feed_push(feed *f, const char *line, char *owned, int set) {
    if (f->count == f->cap) {
        size_t n = f->cap ? 2 * f->cap : 32;
        struct feed_item *p = realloc(f->items, n * sizeof *p);
        if (p == NULL)
            return -1;
        f->items = p;
        f->cap = n;
    }
    f->items[f->count++] = (struct feed_item){line, owned, set};
    return 0;
}

static void feed_free(feed *f) {
    for (size_t i = 0; i < f->count; i++)
        free(f->items[i].owned);
    free(f->items);
}

/* ------------------------------------------------------------------ jar */

typedef struct jar_domain jar_domain;

typedef struct jar_cookie {
    keyed_line kl;
    jar_domain *domain;
    struct jar_cookie *older, *newer;         /* jar->oldest .. jar->newest */
    struct jar_cookie *dom_older, *dom_newer; /* domain->oldest .. newest */
} jar_cookie;

struct jar_domain {
    futurl__hnode node;
    size_t count;
    jar_cookie *oldest, *newest;
    size_t len;
    char name[]; /* lower case, no leading dot */
};

typedef struct change {
    uint64_t generation;
    char *key_line; /* an expired line with the changed key */
    size_t size;
} change;

struct futurl__cookie_jar {
    pthread_mutex_t lock;
    _Atomic uint64_t generation;
    size_t max_cookies, max_per_domain;
    futurl__hmap cookies; /* jar_cookie, by key */
    futurl__hmap domains; /* jar_domain, by name */
    size_t count;
    jar_cookie *oldest, *newest;
    change *ring; /* a circular buffer of ring_cap */
    size_t ring_cap, ring_head, ring_len, ring_bytes;
    uint64_t ring_from;
    futurl__jar_stats stats; /* the counters; sizes are filled on read */
};

futurl__cookie_jar *futurl__jar_new(size_t max_cookies, size_t max_per_domain) {
    if (max_cookies == 0 || max_per_domain == 0)
        return NULL;
    futurl__cookie_jar *jar = calloc(1, sizeof *jar);
    if (jar == NULL)
        return NULL;
    jar->max_cookies = max_cookies;
    jar->max_per_domain = max_per_domain;
    /* Replaying more records than the jar and a view hold costs more than
     * comparing them whole, so more than twice the jar is never replayed. */
    jar->ring_cap =
        max_cookies < RING_RECORDS_MAX / 2 ? 2 * max_cookies : RING_RECORDS_MAX;
    if (jar->ring_cap < RING_RECORDS_MIN)
        jar->ring_cap = RING_RECORDS_MIN;
    jar->ring = calloc(jar->ring_cap, sizeof *jar->ring);
    if (jar->ring == NULL || pthread_mutex_init(&jar->lock, NULL) != 0) {
        free(jar->ring);
        free(jar);
        return NULL;
    }
    atomic_init(&jar->generation, 0);
    return jar;
}

/* ------------------------------------------------------- the ring */

static void ring_pop(futurl__cookie_jar *jar) {
    change *ch = &jar->ring[jar->ring_head];
    jar->ring_from = ch->generation;
    jar->ring_bytes -= ch->size;
    free(ch->key_line);
    jar->ring_head = (jar->ring_head + 1) % jar->ring_cap;
    jar->ring_len--;
}

/* A change of the key of line (parsed in k): the next generation, and its
 * record. Without memory for the record the ring is emptied instead: every
 * view then compares the whole jar once. Lock held. */
static void record(futurl__cookie_jar *jar, const char *line,
                   const futurl__cookie_key *k) {
    uint64_t gen = atomic_load_explicit(&jar->generation, memory_order_relaxed) + 1;
    char *key_line = expired_line(line, k);
    size_t size = key_line ? strlen(key_line) + 1 : 0;
    while (jar->ring_len > 0 && (key_line == NULL || jar->ring_len == jar->ring_cap ||
                                 jar->ring_bytes + size > RING_BYTES))
        ring_pop(jar);
    if (key_line == NULL) {
        jar->ring_from = gen;
    } else {
        change *ch = &jar->ring[(jar->ring_head + jar->ring_len) % jar->ring_cap];
        *ch = (change){gen, key_line, size};
        jar->ring_len++;
        jar->ring_bytes += size;
    }
    atomic_store_explicit(&jar->generation, gen, memory_order_release);
}

/* ------------------------------------------------- domains and order */

static jar_domain *domain_get(futurl__cookie_jar *jar, const futurl__cookie_key *k) {
    uint64_t h = hash_fold(FNV_INIT, k->domain, k->domain_len);
    for (futurl__hnode *n = futurl__hmap_chain(&jar->domains, h); n; n = n->next) {
        jar_domain *d = (jar_domain *)n;
        if (n->hash == h && futurl__ascii_ieq(d->name, d->len, k->domain, k->domain_len))
            return d;
    }
    jar_domain *d = calloc(1, sizeof *d + k->domain_len + 1);
    if (d == NULL)
        return NULL;
    for (size_t i = 0; i < k->domain_len; i++)
        d->name[i] = (char)futurl__ascii_lower((unsigned char)k->domain[i]);
    d->len = k->domain_len;
    d->node.hash = h;
    if (futurl__hmap_insert(&jar->domains, &d->node) != 0) {
        free(d);
        return NULL;
    }
    return d;
}

static void order_unlink(futurl__cookie_jar *jar, jar_cookie *c) {
    jar_domain *d = c->domain;
    *(c->older ? &c->older->newer : &jar->oldest) = c->newer;
    *(c->newer ? &c->newer->older : &jar->newest) = c->older;
    *(c->dom_older ? &c->dom_older->dom_newer : &d->oldest) = c->dom_newer;
    *(c->dom_newer ? &c->dom_newer->dom_older : &d->newest) = c->dom_older;
}

static void order_push_newest(futurl__cookie_jar *jar, jar_cookie *c) {
    jar_domain *d = c->domain;
    c->newer = NULL;
    c->older = jar->newest;
    *(jar->newest ? &jar->newest->newer : &jar->oldest) = c;
    jar->newest = c;
    c->dom_newer = NULL;
    c->dom_older = d->newest;
    *(d->newest ? &d->newest->dom_newer : &d->oldest) = c;
    d->newest = c;
}

/* Take c out of the jar and free it, recording the change. */
static void jar_remove(futurl__cookie_jar *jar, jar_cookie *c) {
    futurl__cookie_key k;
    if (futurl__cookie_key_parse(c->kl.line, &k) == 0)
        record(jar, c->kl.line, &k);
    futurl__hmap_remove(&jar->cookies, &c->kl.node);
    order_unlink(jar, c);
    jar->count--;
    jar_domain *d = c->domain;
    if (--d->count == 0) {
        futurl__hmap_remove(&jar->domains, &d->node);
        free(d);
    }
    free(c->kl.line);
    free(c);
}

/* Store line (key k) as the newest cookie, then evict what the limits push
 * out. 1 if the jar changed, 0 if it held this line already, -1 when out
 * of memory. Lock held. */
static int jar_set(futurl__cookie_jar *jar, const char *line,
                   const futurl__cookie_key *k) {
    futurl__cookie_key found;
    jar_cookie *c = (jar_cookie *)find_line(&jar->cookies, k, &found);
    if (c != NULL && strcmp(c->kl.line, line) == 0)
        return 0;
    char *copy = strdup(line);
    if (copy == NULL)
        return -1;
    if (c != NULL) {
        free(c->kl.line);
        c->kl.line = copy;
        order_unlink(jar, c);
        order_push_newest(jar, c);
        record(jar, copy, k);
        return 1;
    }
    jar_domain *d = domain_get(jar, k);
    c = d ? calloc(1, sizeof *c) : NULL;
    if (c != NULL) {
        c->kl.node.hash = k->hash;
        c->kl.line = copy;
        c->domain = d;
    }
    if (c == NULL || futurl__hmap_insert(&jar->cookies, &c->kl.node) != 0) {
        free(c);
        free(copy);
        if (d != NULL && d->count == 0) {
            futurl__hmap_remove(&jar->domains, &d->node);
            free(d);
        }
        return -1;
    }
    d->count++;
    jar->count++;
    order_push_newest(jar, c);
    record(jar, copy, k);
    /* c is the newest, so it goes last: never while a limit (>= 1) holds. */
    while (d->count > jar->max_per_domain) {
        jar_remove(jar, d->oldest);
        jar->stats.evicted++;
    }
    while (jar->count > jar->max_cookies) {
        jar_remove(jar, jar->oldest);
        jar->stats.evicted++;
    }
    return 1;
}

/* The handle that held exactly line lost it (expired, or the server
 * deleted it): remove it, unless the jar has moved on to another value
 * (another worker set it since; that value then reaches this handle at
 * its next load). Lock held. */
static void jar_gone(futurl__cookie_jar *jar, const char *line,
                     const futurl__cookie_key *k) {
    futurl__cookie_key found;
    jar_cookie *c = (jar_cookie *)find_line(&jar->cookies, k, &found);
    if (c != NULL && strcmp(c->kl.line, line) == 0)
        jar_remove(jar, c);
}

void futurl__jar_free(futurl__cookie_jar *jar) {
    if (jar == NULL)
        return;
    for (jar_cookie *c = jar->oldest, *next; c != NULL; c = next) {
        next = c->newer;
        free(c->kl.line);
        free(c);
    }
    futurl__hnode *n = futurl__hmap_next(&jar->domains, NULL);
    while (n != NULL) {
        futurl__hnode *next = futurl__hmap_next(&jar->domains, n);
        free(n);
        n = next;
    }
    futurl__hmap_free(&jar->cookies);
    futurl__hmap_free(&jar->domains);
    while (jar->ring_len > 0)
        ring_pop(jar);
    free(jar->ring);
    pthread_mutex_destroy(&jar->lock);
    free(jar);
}

void futurl__jar_get_stats(futurl__cookie_jar *jar, futurl__jar_stats *out) {
    pthread_mutex_lock(&jar->lock);
    *out = jar->stats;
    out->cookies = jar->count;
    out->domains = jar->domains.count;
    out->ring_records = jar->ring_len;
    out->ring_bytes = jar->ring_bytes;
    out->generation = atomic_load_explicit(&jar->generation, memory_order_relaxed);
    pthread_mutex_unlock(&jar->lock);
}

/* ---------------------------------------------------------------- load */

/* The jar's line for k's key, NULL if none or expired. Lock held. */
static keyed_line *live_line(const futurl__cookie_jar *jar, const futurl__cookie_key *k,
                             time_t now) {
    futurl__cookie_key found;
    keyed_line *e = find_line(&jar->cookies, k, &found);
    return e != NULL && !key_expired(&found, now) ? e : NULL;
}

/* Bring the view's entry for k's key to the jar's line (an expired one
 * counts as none), queueing for the handle what that takes. 0, or -1 when
 * out of memory (the view is then no longer what the handle will hold).
 * Lock held. */
static int sync_key(futurl__cookie_jar *jar, futurl__cookie_view *view,
                    const futurl__cookie_key *k, time_t now, feed *f) {
    futurl__cookie_key vk;
    keyed_line *e = live_line(jar, k, now);
    view_line *v = (view_line *)find_line(&view->lines, k, &vk);
    if (e == NULL) {
        if (v == NULL)
            return 0;
        char *del = expired_line(v->kl.line, &vk);
        if (del == NULL || feed_push(f, del, del, 0) != 0) {
            free(del);
            return -1;
        }
        free(view_take(view, v));
        return 0;
    }
    if (v != NULL && strcmp(v->kl.line, e->line) == 0)
        return 0;
    char *copy = strdup(e->line);
    if (copy == NULL || (v = view_put(view, v, k->hash, copy)) == NULL)
        return -1;
    return feed_push(f, v->kl.line, NULL, 1);
}

/* The records the view missed. Lock held. */
static int replay(futurl__cookie_jar *jar, futurl__cookie_view *view, time_t now,
                  feed *f) {
    for (size_t i = (size_t)(view->generation - jar->ring_from); i < jar->ring_len; i++) {
        const change *ch = &jar->ring[(jar->ring_head + i) % jar->ring_cap];
        futurl__cookie_key k;
        if (futurl__cookie_key_parse(ch->key_line, &k) == 0 &&
            sync_key(jar, view, &k, now, f) != 0)
            return -1;
    }
    return 0;
}

/* Every key only the view has, then every key of the jar. Deletions go
 * first: libcurl refuses a cookie that would overlay a secure one still
 * there. Lock held. */
static int full_sync(futurl__cookie_jar *jar, futurl__cookie_view *view, time_t now,
                     feed *f) {
    futurl__hnode *n = futurl__hmap_next(&view->lines, NULL);
    while (n != NULL) {
        futurl__hnode *next = futurl__hmap_next(&view->lines, n); /* n may go */
        futurl__cookie_key k;
        if (futurl__cookie_key_parse(((view_line *)n)->kl.line, &k) == 0 &&
            live_line(jar, &k, now) == NULL && sync_key(jar, view, &k, now, f) != 0)
            return -1;
        n = next;
    }
    for (jar_cookie *c = jar->oldest; c != NULL; c = c->newer) {
        futurl__cookie_key k;
        if (futurl__cookie_key_parse(c->kl.line, &k) == 0 &&
            sync_key(jar, view, &k, now, f) != 0)
            return -1;
    }
    return 0;
}

static futurl_status status_of(CURLcode cc) {
    return cc == CURLE_OK              ? FUTURL_OK
           : cc == CURLE_OUT_OF_MEMORY ? FUTURL_ENOMEM
                                       : FUTURL_ECURL;
}

futurl_status futurl__jar_load(futurl__cookie_jar *jar, futurl__cookie_view *view,
                               CURL *easy) {
    if (!view->unknown &&
        atomic_load_explicit(&jar->generation, memory_order_acquire) == view->generation)
        return FUTURL_OK;

    int clear = view->unknown;
    if (clear)
        futurl__cookie_view_free(view); /* the handle is emptied first below */
    time_t now = time(NULL);
    feed f = {0};
    pthread_mutex_lock(&jar->lock);
    uint64_t gen = atomic_load_explicit(&jar->generation, memory_order_relaxed);
    int rc;
    if (!clear && view->generation >= jar->ring_from &&
        gen - view->generation <= jar->count + view->lines.count) {
        rc = replay(jar, view, now, &f);
        jar->stats.replays++;
    } else {
        rc = full_sync(jar, view, now, &f);
        jar->stats.full_syncs++;
    }
    jar->stats.lines_fed += f.count;
    pthread_mutex_unlock(&jar->lock);

    CURLcode cc = CURLE_OK;
    if (rc == 0 && clear)
        cc = curl_easy_setopt(easy, CURLOPT_COOKIELIST, "ALL");
    for (size_t i = 0; rc == 0 && cc == CURLE_OK && i < f.count; i++)
        cc = curl_easy_setopt(easy, CURLOPT_COOKIELIST, f.items[i].line);
    feed_free(&f);
    futurl_status st = rc != 0 ? FUTURL_ENOMEM : status_of(cc);
    /* Only a complete load makes the view current; otherwise the handle
     * starts afresh before the next transfer. */
    view->unknown = st != FUTURL_OK;
    if (st == FUTURL_OK)
        view->generation = gen;
    return st;
}

/* --------------------------------------------------------------- store */

futurl_status futurl__jar_store(futurl__cookie_jar *jar, futurl__cookie_view *view,
                                CURL *easy) {
    struct curl_slist *list = NULL;
    CURLcode cc = curl_easy_getinfo(easy, CURLINFO_COOKIELIST, &list);
    if (cc != CURLE_OK) {
        view->unknown = 1; /* what the response set stays out of the handle */
        return status_of(cc);
    }

    /* The view becomes what the handle holds now; the differences go to
     * the jar. An expired line is a cookie libcurl no longer sends. */
    time_t now = time(NULL);
    feed changes = {0};
    size_t count = 0;
    for (const struct curl_slist *l = list; l != NULL; l = l->next)
        count++;
    /* Walked last line first: a handle can hold one key twice (libcurl
     * reads an empty Netscape path as "/" yet keeps it apart from "/"), and
     * another handle fed the export keeps the later line, so the jar does. */
    const char **lines = malloc((count ? count : 1) * sizeof *lines);
    int failed = lines == NULL;
    if (!failed) {
        size_t i = count;
        for (const struct curl_slist *l = list; l != NULL; l = l->next)
            lines[--i] = l->data;
    }
    view->pass++;
    for (size_t i = 0; i < count && !failed; i++) {
        futurl__cookie_key k, vk;
        if (futurl__cookie_key_parse(lines[i], &k) != 0 || key_expired(&k, now))
            continue;
        view_line *v = (view_line *)find_line(&view->lines, &k, &vk);
        if (v != NULL && v->pass == view->pass)
            continue; /* the key again, earlier in the export: overlaid */
        if (v != NULL && strcmp(v->kl.line, lines[i]) == 0) {
            v->pass = view->pass;
            continue;
        }
        char *copy = strdup(lines[i]);
        failed = copy == NULL || (v = view_put(view, v, k.hash, copy)) == NULL ||
                 feed_push(&changes, v->kl.line, NULL, 1) != 0;
    }
    /* Back to the export's order, which is the order the cookies were set
     * in: the jar evicts the least recent first. */
    for (size_t i = 0, j = changes.count; i + 1 < j; i++, j--) {
        struct feed_item t = changes.items[i];
        changes.items[i] = changes.items[j - 1];
        changes.items[j - 1] = t;
    }
    futurl__hnode *n = failed ? NULL : futurl__hmap_next(&view->lines, NULL);
    while (n != NULL && !failed) {
        futurl__hnode *next = futurl__hmap_next(&view->lines, n);
        view_line *v = (view_line *)n;
        if (v->pass != view->pass) {
            failed = feed_push(&changes, v->kl.line, v->kl.line, 0) != 0;
            if (!failed)
                (void)view_take(view, v); /* the line now belongs to changes */
        }
        n = next;
    }

    pthread_mutex_lock(&jar->lock);
    for (size_t i = 0; i < changes.count; i++) {
        const struct feed_item *it = &changes.items[i];
        futurl__cookie_key k;
        if (futurl__cookie_key_parse(it->line, &k) != 0)
            continue;
        if (it->set)
            failed |= jar_set(jar, it->line, &k) < 0;
        else
            jar_gone(jar, it->line, &k);
    }
    pthread_mutex_unlock(&jar->lock);

    feed_free(&changes);
    free(lines);
    curl_slist_free_all(list);
    /* The view's generation stays: the next load replays what changed since,
     * this store's own records included (equal, so free) and evictions. A
     * failure leaves cookies in the handle the jar lacks: start afresh. */
    if (failed)
        view->unknown = 1;
    return failed ? FUTURL_ENOMEM : FUTURL_OK;
}
