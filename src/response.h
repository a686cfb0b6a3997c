/*
 * src/response.h — the response object and the builder a worker fills while
 * a transfer runs. The builder's buffers belong to the worker and are reused
 * from one transfer to the next; finishing copies what the response needs
 * into ONE allocation (struct, header index, header bytes, URL and, for
 * small bodies, the body) and hands a large body over without copying.
 * Not installed.
 */
#ifndef FUTURL_SRC_RESPONSE_H
#define FUTURL_SRC_RESPONSE_H

#include <stdatomic.h>
#include <stdint.h>

#include "futurl.h"
#include "http.h"
#include "pool.h"

typedef struct futurl__header_ref {
    const char *name, *value; /* both inside the response's block */
} futurl__header_ref;

/* The parsed body, published once (json.c). */
typedef struct futurl__json_cache {
    struct cJSON *json; /* NULL: invalid, see error */
    char error[48];
} futurl__json_cache;

/* What the transfer learned from libcurl once it ended. */
typedef struct futurl__response_info {
    const char *url; /* effective URL (borrowed; copied by finish) */
    long status;
    int http_version;
    int curl_code;
    long redirects;
    long new_connections;
    unsigned attempts;
    double elapsed, connect_time, ttfb;
} futurl__response_info;

struct futurl_response {
    futurl__response_info info; /* info.url points into the block */
    const char *body;           /* NUL-terminated, never NULL */
    size_t body_len;
    char *body_owned;        /* a large body handed over: freed with us */
    size_t body_map;         /* != 0: body_owned is a mapping of this size */
    futurl__body_pool *pool; /* a reference, with body_map != 0: where it goes back */
    uint64_t bytes;          /* body bytes received, also when streamed */
    _Atomic(futurl__json_cache *) json;
    char *retry_log; /* why each retry happened, NUL-separated (NULL: none) */
    size_t retry_log_len;
    futurl__slab *slab; /* carved from this slab (holds a reference); NULL: malloc'd */
    void *attached;     /* a stream's reference (src/stream.c), or NULL */
    void (*attached_free)(void *attached);             /* drops it, first thing in free */
    char request_id[FUTURL_MAX_REQUEST_ID_LENGTH + 1]; /* src/trace.c; "" none */
    size_t header_count;
    futurl__header_ref headers[]; /* then header bytes, URL, small body */
};

typedef struct futurl__response_builder {
    futurl__buf body;             /* the buffered body */
    size_t body_map;              /* != 0: body.data is a mapping of this size (cap) */
    futurl__body_pool *pool;      /* borrowed (the client's), may be NULL */
    futurl__body_pool *slab_pool; /* borrowed (the client's): spare slabs, may be NULL */
    futurl__slab_cursor slabs;    /* where small responses are carved */
    futurl__buf hdr;              /* "name\0value\0" for each line of the current block */
    struct {
        uint32_t name, value; /* offsets into hdr */
    } * index;
    size_t count, index_cap;
    uint64_t bytes;
    int saw_set_cookie; /* in any block, redirects included */
} futurl__response_builder;

/* Forget the last transfer (keeps the buffers for the next one). */
void futurl__builder_reset(futurl__response_builder *b);

/* One line from libcurl's header callback (CRLF included or not). A status
 * line starts a new block, so only the final response's headers remain.
 * Returns 0, or -1 when out of memory. */
int futurl__builder_header(futurl__response_builder *b, const char *line, size_t len);

/* 1 if the current block has a header name (case-insensitive). */
int futurl__builder_has_header(const futurl__response_builder *b, const char *name);

/* Make room for a body of expected bytes (from Content-Length). */
int futurl__builder_body_reserve(futurl__response_builder *b, size_t expected);

/* Append body bytes. Returns 0, or -1 when out of memory. */
int futurl__builder_body(futurl__response_builder *b, const char *data, size_t len);

/* The response (new; free with futurl__response_free), NULL when out of
 * memory. Resets b. */
futurl_response *futurl__builder_finish(futurl__response_builder *b,
                                        const futurl__response_info *info);

/* A response with the builder's headers so far and no body (new; free
 * with futurl__response_free), NULL when out of memory. b is unchanged:
 * the transfer goes on. */
futurl_response *futurl__builder_snapshot(const futurl__response_builder *b,
                                          const futurl__response_info *info);

/* Record on r the attempts made and the retry log (copied from log[0..len)).
 * Returns 0, or -1 when out of memory (the log is then dropped). */
int futurl__response_set_retries(futurl_response *r, unsigned attempts, const char *log,
                                 size_t len);

/* Free the builder's buffers. */
void futurl__builder_free(futurl__response_builder *b);

/* The HTTP futures' result destructor: how futurl_future_response()
 * recognises them. */
void futurl__response_free(void *response);

/* The parsed body of r (json.c): FUTURL_OK with *out the document,
 * FUTURL_EJSON (not JSON; futurl_response_json_error says where) or
 * FUTURL_ENOMEM (not cached: a later call parses again). */
futurl_status futurl__response_json_doc(const futurl_response *r,
                                        const struct cJSON **out);

#endif
