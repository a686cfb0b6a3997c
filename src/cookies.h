/*
 * src/cookies.h — the client-wide cookie jar. libcurl 7.88 cannot share
 * its cookie engine between threads safely (CURLSH cookies), so each
 * worker's handle runs its own engine and the jar keeps the truth: lines in
 * Netscape format, one per key (domain, tailmatch, path, name — compared as
 * libcurl compares them), bounded per domain and in total, the least
 * recently set evicted first. Every change gets the next generation and a
 * record in a bounded ring. Before a transfer a worker whose view is stale
 * replays the records it missed (or, fallen behind the ring, compares the
 * whole jar with its view) and feeds only the differences to its handle;
 * after a response that set cookies it exports the handle's cookies, diffs
 * them against its view through a hash index and folds the changes back.
 * Not installed.
 */
#ifndef FUTURL_SRC_COOKIES_H
#define FUTURL_SRC_COOKIES_H

#include <stdint.h>

#include <curl/curl.h>

#include "futurl.h"
#include "hmap.h"

typedef struct futurl__cookie_jar futurl__cookie_jar;

/* What one worker's handle holds, by key, and the jar generation it
 * matches. Owned by the worker and touched by its thread only;
 * zero-initialised is an empty handle in step with a new jar. */
typedef struct futurl__cookie_view {
    futurl__hmap lines; /* view_line nodes (cookies.c) */
    uint64_t generation;
    uint64_t pass; /* marks of the current store's pass over the handle */
    int unknown;   /* a failure left the handle's cookies unknown: clear
                      them and load the whole jar before the next transfer */
} futurl__cookie_view;

/* A Netscape cookie line as libcurl exports it: domain, tailmatch, path,
 * secure, expires, name, value, separated by tabs; "#HttpOnly_" may
 * prefix the domain, a tailmatching domain starts with a dot. Its key is
 * what libcurl 7.88 tells cookies apart by (see src/cookies.c): pointers
 * into the line (the path may point at a static "/"). */
typedef struct futurl__cookie_key {
    const char *domain, *path, *name; /* domain without its leading dot */
    size_t domain_len, path_len, name_len;
    int tailmatch;
    long long expires;
    size_t head_len; /* bytes before the expires field's tab */
    uint64_t hash;   /* of tailmatch, domain, path and name, ASCII case folded */
} futurl__cookie_key;

/* Parse line's key (any bytes: lines come from servers through libcurl).
 * Returns 0, or -1 if it is not a cookie line (fewer than six fields, or
 * an expires field that is not a number). */
int futurl__cookie_key_parse(const char *line, futurl__cookie_key *k);

/* A new empty jar holding at most max_cookies cookies, and at most
 * max_per_domain of one domain (both at least 1). NULL when out of memory
 * or a limit is 0. */
futurl__cookie_jar *futurl__jar_new(size_t max_cookies, size_t max_per_domain);
void futurl__jar_free(futurl__cookie_jar *jar);

/* Before a transfer's first request (handle.c calls it from libcurl's
 * pre-request callback): bring easy's cookie engine up to date with the jar
 * if the view is stale (cheap when it is not: one atomic load). Costs what
 * changed since the view's generation, or the size of jar and view when
 * the view fell behind the ring. Returns FUTURL_OK, FUTURL_ENOMEM or
 * FUTURL_ECURL. */
futurl_status futurl__jar_load(futurl__cookie_jar *jar, futurl__cookie_view *view,
                               CURL *easy);

/* After a transfer whose responses carried Set-Cookie: fold the handle's
 * changes (new, changed, expired or deleted cookies) into the jar, evicting
 * what the limits push out (the handle drops those at its next load).
 * Returns FUTURL_OK, FUTURL_ENOMEM or FUTURL_ECURL. */
futurl_status futurl__jar_store(futurl__cookie_jar *jar, futurl__cookie_view *view,
                                CURL *easy);

/* Free the view's lines. */
void futurl__cookie_view_free(futurl__cookie_view *view);

/* The most bytes of key lines the change ring keeps (a record is about
 * the size of its cookie's domain, path and name). */
#define FUTURL__JAR_RING_BYTES (1u << 20)

/* What a jar holds and has done, for tests and benchmarks. */
typedef struct futurl__jar_stats {
    size_t cookies, domains;
    size_t ring_records, ring_bytes;
    uint64_t generation;
    uint64_t evicted;    /* cookies pushed out by a limit */
    uint64_t replays;    /* loads that replayed the ring */
    uint64_t full_syncs; /* loads that compared the whole jar */
    uint64_t lines_fed;  /* lines given to a handle by loads */
} futurl__jar_stats;

/* Fill *out; thread-safety: any thread (takes the jar lock). */
void futurl__jar_get_stats(futurl__cookie_jar *jar, futurl__jar_stats *out);

#endif
