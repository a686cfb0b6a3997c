/*
 * src/cookies.h — the client-wide cookie jar. libcurl 7.88 cannot share
 * its cookie engine between threads safely (CURLSH cookies), so each
 * worker's handle runs its own engine and the jar keeps the truth: lines in
 * Netscape format keyed by (domain, path, name), plus a generation counter
 * bumped on every change. A worker loads the jar into its handle when its
 * generation is stale, and after a response that set cookies exports the
 * handle's cookies and folds the difference back. Not installed.
 */
#ifndef FUTURL_SRC_COOKIES_H
#define FUTURL_SRC_COOKIES_H

#include <stdint.h>

#include <curl/curl.h>

#include "futurl.h"

typedef struct futurl__cookie_jar futurl__cookie_jar;

/* What one worker's handle holds: the lines it loaded or last exported, and
 * the jar generation they match. Owned by the worker; zero-initialised. */
typedef struct futurl__cookie_view {
    char **lines;
    size_t count, cap;
    uint64_t generation;
} futurl__cookie_view;

/* A new empty jar, NULL when out of memory. */
futurl__cookie_jar *futurl__jar_new(void);
void futurl__jar_free(futurl__cookie_jar *jar);

/* Before a transfer: bring easy's cookie engine up to date with the jar if
 * the view is stale (cheap when it is not: one atomic load).
 * Returns FUTURL_OK, FUTURL_ENOMEM or FUTURL_ECURL. */
futurl_status futurl__jar_load(futurl__cookie_jar *jar, futurl__cookie_view *view,
                               CURL *easy);

/* After a transfer whose responses carried Set-Cookie: fold the handle's
 * changes (new, changed, expired or deleted cookies) into the jar.
 * Returns FUTURL_OK, FUTURL_ENOMEM or FUTURL_ECURL. */
futurl_status futurl__jar_store(futurl__cookie_jar *jar, futurl__cookie_view *view,
                                CURL *easy);

/* Free the view's lines. */
void futurl__cookie_view_free(futurl__cookie_view *view);

#endif
