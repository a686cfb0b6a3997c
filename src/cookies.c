/*
 * src/cookies.c — the client-wide cookie jar (see cookies.h for the model).
 *
 * Lock: jar->lock guards lines/count/cap and every write of generation.
 * generation is also read without the lock, as the fast "nothing changed"
 * test before a transfer; a stale read only delays a reload by one request
 * of that worker, never loses a cookie.
 *
 * Lookups are linear: jars hold a handful of cookies per client, and a
 * transfer only touches the jar when its view is stale or a response set a
 * cookie.
 */
#include "cookies.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A view generation no jar ever reaches: "reload before the next transfer". */
#define STALE UINT64_MAX

struct futurl__cookie_jar {
    pthread_mutex_t lock;
    _Atomic uint64_t generation;
    char **lines;
    size_t count, cap;
};

/* ------------------------------------------------------------ line keys */

/* A Netscape cookie line: domain, tailmatch, path, secure, expires, name,
 * value, separated by tabs; "#HttpOnly_" may prefix the domain. */
typedef struct cookie_key {
    const char *field[3]; /* domain, path, name */
    size_t len[3];
} cookie_key;

static void key_of(const char *line, cookie_key *k) {
    static const int wanted[3] = {0, 2, 5};
    static const char httponly[] = "#HttpOnly_";
    memset(k, 0, sizeof *k);
    if (strncmp(line, httponly, sizeof httponly - 1) == 0)
        line += sizeof httponly - 1;
    const char *p = line;
    for (int field = 0, w = 0; w < 3; field++) {
        size_t n = strcspn(p, "\t");
        if (field == wanted[w]) {
            k->field[w] = p;
            k->len[w] = n;
            w++;
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
}

static int same_key(const char *a, const char *b) {
    cookie_key ka, kb;
    key_of(a, &ka);
    key_of(b, &kb);
    for (int i = 0; i < 3; i++)
        if (ka.len[i] != kb.len[i] ||
            (ka.len[i] && memcmp(ka.field[i], kb.field[i], ka.len[i])))
            return 0;
    return 1;
}

/* --------------------------------------------------------- string lists */

static int lines_push(char ***lines, size_t *count, size_t *cap, const char *line) {
    if (*count == *cap) {
        size_t n = *cap ? 2 * *cap : 8;
        char **p = realloc(*lines, n * sizeof *p);
        if (p == NULL)
            return -1;
        *lines = p;
        *cap = n;
    }
    size_t len = strlen(line) + 1;
    char *copy = malloc(len);
    if (copy == NULL)
        return -1;
    memcpy(copy, line, len);
    (*lines)[(*count)++] = copy;
    return 0;
}

static void lines_clear(char **lines, size_t *count) {
    for (size_t i = 0; i < *count; i++)
        free(lines[i]);
    *count = 0;
}

void futurl__cookie_view_free(futurl__cookie_view *view) {
    lines_clear(view->lines, &view->count);
    free(view->lines);
    view->lines = NULL;
    view->cap = 0;
}

/* ---------------------------------------------------------------- jar */

futurl__cookie_jar *futurl__jar_new(void) {
    futurl__cookie_jar *jar = calloc(1, sizeof *jar);
    if (jar == NULL)
        return NULL;
    if (pthread_mutex_init(&jar->lock, NULL) != 0) {
        free(jar);
        return NULL;
    }
    atomic_init(&jar->generation, 0);
    return jar;
}

void futurl__jar_free(futurl__cookie_jar *jar) {
    if (jar == NULL)
        return;
    lines_clear(jar->lines, &jar->count);
    free(jar->lines);
    pthread_mutex_destroy(&jar->lock);
    free(jar);
}

/* Index of the jar line with line's key, or jar->count. Lock held. */
static size_t jar_find(const futurl__cookie_jar *jar, const char *line) {
    size_t i = 0;
    while (i < jar->count && !same_key(jar->lines[i], line))
        i++;
    return i;
}

/* Insert or replace line; 1 if the jar changed, 0 if not, -1 on ENOMEM. */
static int jar_upsert(futurl__cookie_jar *jar, const char *line) {
    size_t i = jar_find(jar, line);
    if (i == jar->count)
        return lines_push(&jar->lines, &jar->count, &jar->cap, line) == 0 ? 1 : -1;
    if (strcmp(jar->lines[i], line) == 0)
        return 0;
    size_t len = strlen(line) + 1;
    char *copy = malloc(len);
    if (copy == NULL)
        return -1;
    memcpy(copy, line, len);
    free(jar->lines[i]);
    jar->lines[i] = copy;
    return 1;
}

/* Remove exactly line (not a newer value another worker stored under the
 * same key); 1 if removed. */
static int jar_remove(futurl__cookie_jar *jar, const char *line) {
    size_t i = jar_find(jar, line);
    if (i == jar->count || strcmp(jar->lines[i], line) != 0)
        return 0;
    free(jar->lines[i]);
    jar->lines[i] = jar->lines[--jar->count];
    return 1;
}

futurl_status futurl__jar_load(futurl__cookie_jar *jar, futurl__cookie_view *view,
                               CURL *easy) {
    if (atomic_load_explicit(&jar->generation, memory_order_acquire) == view->generation)
        return FUTURL_OK;

    futurl_status st = FUTURL_OK;
    pthread_mutex_lock(&jar->lock);
    lines_clear(view->lines, &view->count);
    CURLcode cc = curl_easy_setopt(easy, CURLOPT_COOKIELIST, "ALL");
    for (size_t i = 0; i < jar->count && cc == CURLE_OK && st == FUTURL_OK; i++) {
        cc = curl_easy_setopt(easy, CURLOPT_COOKIELIST, jar->lines[i]);
        if (lines_push(&view->lines, &view->count, &view->cap, jar->lines[i]) != 0)
            st = FUTURL_ENOMEM;
    }
    if (cc != CURLE_OK)
        st = cc == CURLE_OUT_OF_MEMORY ? FUTURL_ENOMEM : FUTURL_ECURL;
    /* Only a complete load makes the view current; otherwise try again on
     * the next transfer. */
    view->generation = st == FUTURL_OK
                           ? atomic_load_explicit(&jar->generation, memory_order_relaxed)
                           : STALE;
    pthread_mutex_unlock(&jar->lock);
    return st;
}

futurl_status futurl__jar_store(futurl__cookie_jar *jar, futurl__cookie_view *view,
                                CURL *easy) {
    struct curl_slist *now = NULL;
    CURLcode cc = curl_easy_getinfo(easy, CURLINFO_COOKIELIST, &now);
    if (cc != CURLE_OK)
        return cc == CURLE_OUT_OF_MEMORY ? FUTURL_ENOMEM : FUTURL_ECURL;

    int changed = 0, failed = 0;
    pthread_mutex_lock(&jar->lock);
    uint64_t gen = atomic_load_explicit(&jar->generation, memory_order_relaxed);
    int in_sync = gen == view->generation;
    /* New or changed in the handle since it was loaded: into the jar. */
    for (const struct curl_slist *l = now; l != NULL; l = l->next) {
        size_t i = 0;
        while (i < view->count && strcmp(view->lines[i], l->data) != 0)
            i++;
        if (i < view->count)
            continue;
        int r = jar_upsert(jar, l->data);
        failed |= r < 0;
        changed |= r > 0;
    }
    /* Gone from the handle (expired, or deleted by the server): out of it. */
    for (size_t i = 0; i < view->count; i++) {
        const struct curl_slist *l = now;
        while (l != NULL && !same_key(l->data, view->lines[i]))
            l = l->next;
        if (l == NULL)
            changed |= jar_remove(jar, view->lines[i]);
    }
    if (changed)
        atomic_store_explicit(&jar->generation, ++gen, memory_order_release);
    pthread_mutex_unlock(&jar->lock);

    /* The view is what the handle holds now. It matches the jar only if no
     * other worker changed the jar since this one loaded it. */
    lines_clear(view->lines, &view->count);
    for (const struct curl_slist *l = now; l != NULL && !failed; l = l->next)
        failed |= lines_push(&view->lines, &view->count, &view->cap, l->data) != 0;
    view->generation = in_sync && !failed ? gen : STALE;
    curl_slist_free_all(now);
    return failed ? FUTURL_ENOMEM : FUTURL_OK;
}
