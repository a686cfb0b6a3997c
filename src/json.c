/*
 * src/json.c — the thin cJSON layer: JSON request bodies (serialized at
 * once) and a response body parsed on first use, cached once for every
 * thread (a failure for want of memory is not cached: the next call
 * tries again). Never reads cJSON's process-global error pointer: the error
 * position comes from return_parse_end, and trailing garbage is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "request.h"
#include "response.h"

futurl_status futurl_request_set_json(futurl_request *r, const struct cJSON *json) {
    if (r == NULL || json == NULL)
        return FUTURL_EINVAL;
    char *text = cJSON_PrintUnformatted(json);
    if (text == NULL)
        return FUTURL_EJSON; /* cJSON does not tell a bad tree from no memory */
    futurl_status st = futurl_request_set_body(r, text, strlen(text), "application/json");
    cJSON_free(text);
    return st;
}

static int is_json_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parse r's body into a new cache entry; NULL when out of memory, which
 * is never cached: the next call parses again. cJSON answers NULL both for
 * bad JSON and when an allocation failed; the allocator's errno tells them
 * apart (malloc sets ENOMEM; nothing in a syntax failure does). */
static futurl__json_cache *parse_body(const futurl_response *r) {
    futurl__json_cache *cache = malloc(sizeof *cache);
    if (cache == NULL)
        return NULL;
    const char *body = r->body, *body_end = body + r->body_len, *end = NULL;
    /* require_null_terminated = 0: the length bounds the parse, and we look
     * past return_parse_end ourselves. */
    int saved_errno = errno;
    errno = 0;
    cJSON *json = cJSON_ParseWithLengthOpts(body, r->body_len, &end, 0);
    int oom = json == NULL && errno == ENOMEM;
    errno = saved_errno;
    if (oom) {
        free(cache);
        return NULL;
    }
    if (end == NULL || end < body || end > body_end)
        end = body; /* cJSON gave no position (an empty body) */
    if (json != NULL) {
        while (end < body_end && is_json_space(*end))
            end++;
        if (end != body_end) { /* "{}x": valid JSON followed by garbage */
            cJSON_Delete(json);
            json = NULL;
        }
    }
    cache->json = json;
    cache->error[0] = '\0';
    if (json == NULL)
        snprintf(cache->error, sizeof cache->error, "invalid JSON at byte %zu",
                 (size_t)(end - body));
    return cache;
}

/* The cache, parsing on first call. Several threads may race here: each
 * parses, one publishes with a compare-and-swap, the others drop theirs. */
static futurl__json_cache *json_cache(const futurl_response *r) {
    /* The cache is logically part of the immutable response. */
    futurl_response *mut = (futurl_response *)r;
    futurl__json_cache *cache = atomic_load_explicit(&mut->json, memory_order_acquire);
    if (cache != NULL)
        return cache;
    futurl__json_cache *mine = parse_body(r);
    if (mine == NULL)
        return NULL;
    if (atomic_compare_exchange_strong_explicit(
            &mut->json, &cache, mine, memory_order_acq_rel, memory_order_acquire))
        return mine;
    cJSON_Delete(mine->json); /* lost the race: cache holds the winner's */
    free(mine);
    return cache;
}

const struct cJSON *futurl_response_json(const futurl_response *r) {
    if (r == NULL)
        return NULL;
    futurl__json_cache *cache = json_cache(r);
    return cache ? cache->json : NULL;
}

futurl_status futurl__response_json_doc(const futurl_response *r,
                                        const struct cJSON **out) {
    futurl__json_cache *cache = json_cache(r);
    *out = cache ? cache->json : NULL;
    if (cache == NULL)
        return FUTURL_ENOMEM;
    return cache->json ? FUTURL_OK : FUTURL_EJSON;
}

const char *futurl_response_json_error(const futurl_response *r) {
    if (r == NULL)
        return NULL;
    futurl__json_cache *cache = json_cache(r);
    if (cache == NULL)
        return "out of memory while parsing JSON";
    return cache->json ? NULL : cache->error;
}
