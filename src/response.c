/*
 * src/response.c — the response object: the builder that collects the
 * final response's headers and body while a transfer runs, the single
 * allocation a finished response lives in, the pool that recycles large
 * body mappings, and the read-only accessors (JSON ones are in json.c).
 */
#include "response.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "future.h"
#include "memcheck.h"

/* Bodies up to this size are copied into the response's own block (one
 * malloc for the whole response); larger ones are handed over as they are. */
#define INLINE_BODY_MAX (16u * 1024u)

/* A worker keeps a body buffer this large between transfers; a bigger one
 * (left by a failed large download) is given back. */
#define KEEP_BODY_CAP (1024u * 1024u)

/* A body announced at least this large gets its own populated mapping. */
#define MAP_BODY_MIN (128u * 1024u)

/* ------------------------------------------------------------ body memory */

/*
 * Large bodies: each response keeps its body until the caller frees it, so
 * every large body needs fresh memory, and touching fresh pages one fault
 * at a time cost more than the transfer itself (measured: a 1 MiB body took
 * ~3x the CPU of receiving it, most of it in page faults inside memcpy).
 * A body announced large (Content-Length) is therefore an anonymous mapping
 * with MAP_POPULATE: the kernel sets up all pages in one call (or one
 * recycled from the client's pool, below). If it grows past the
 * announcement (decompression), mremap moves it.
 */
static size_t page_round(size_t n) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (n + page - 1) / page * page;
}

static void body_release(char *data, size_t map) {
    if (map != 0)
        munmap(data, map);
    else
        free(data);
}

/*
 * Reuse: freeing a response unmapped its large body and the next large
 * body mapped and populated fresh pages again (mmap + zeroing + munmap:
 * with the pool, 1 MiB downloads took 1470 -> 522 µs of CPU each). A
 * freed body's mapping goes back to its client's pool (pool.h) instead,
 * and the next body announced at a size it fits takes it. Bounded: at most
 * max_count mappings and max_bytes in all; beyond that a mapping is
 * unmapped as before.
 */

/* ------------------------------------------------------------ response slabs */

/*
 * Small responses: a response lives until the caller frees it, so holding
 * many (a gather of 50,000) needs fresh memory for each, and on a virtual
 * machine a first touch of a page costs ~10 µs (a fault and an exit to the
 * host): measured in S1, keeping 400 bytes per request from malloc cost
 * more CPU than the request itself. So a worker carves its small responses
 * one after another from a slab (pool.h), a 64 KiB mapping populated in
 * one call, and a slab goes back whole to the client's slab pool when its
 * last response is freed. The price: one response kept alive keeps its
 * slab mapped. Larger responses (over a quarter of a slab) use malloc.
 * Off under AddressSanitizer (it must see every response).
 */
#define SLABS (!FUTURL__ASAN)

#define SLAB_ALIGN 16u

/* Give up the builder's body buffer: a mapping back to the pool. */
static void builder_release(futurl__response_builder *b) {
    if (b->body_map != 0 && b->pool != NULL)
        futurl__pool_give(b->pool, b->body.data, b->body_map);
    else
        body_release(b->body.data, b->body_map);
    b->body = (futurl__buf){0};
    b->body_map = 0;
}

/* Make room for need bytes in all (the NUL included). */
static int body_grow(futurl__response_builder *b, size_t need) {
    futurl__buf *buf = &b->body;
    if (need <= buf->cap)
        return 0;
    if (b->body_map == 0)
        return futurl__buf_reserve(buf, need - buf->len - 1);
    size_t map = page_round(need > 2 * b->body_map ? need : 2 * b->body_map);
    void *p = mremap(buf->data, b->body_map, map, MREMAP_MAYMOVE);
    if (p == MAP_FAILED)
        return -1;
    buf->data = p;
    buf->cap = b->body_map = map;
    return 0;
}

/* ---------------------------------------------------------------- builder */

void futurl__builder_reset(futurl__response_builder *b) {
    if (b->body_map != 0 || b->body.cap > KEEP_BODY_CAP)
        builder_release(b);
    b->body.len = 0;
    b->hdr.len = 0;
    b->count = 0;
    b->bytes = 0;
    b->saw_set_cookie = 0;
}

void futurl__builder_free(futurl__response_builder *b) {
    builder_release(b);
    futurl__slab_cursor_release(&b->slabs);
    futurl__buf_free(&b->hdr);
    free(b->index);
    b->index = NULL;
    b->count = b->index_cap = 0;
}

static inline int is_ows(char c) {
    return c == ' ' || c == '\t';
}

/* CR, LF and NUL inside a field are read as SP (RFC 9110 section 5.5):
 * libcurl hands over "X: a\rb" as one line, and a caller must never get a
 * value that could end a header line it writes somewhere else. Such a byte
 * at either end of a value is trimmed as space is. */
static inline int is_bare(char c) {
    return c == '\r' || c == '\n' || c == '\0';
}

static inline int is_blank(char c) {
    return (unsigned char)c <= ' ' && (is_ows(c) || is_bare(c));
}

/* Copy n bytes of a field, CR, LF and NUL as SP; plain is a promise that
 * there are none. */
static void copy_field(char *out, const char *in, size_t n, int plain) {
    memcpy(out, in, n);
    for (size_t i = 0; !plain && i < n; i++)
        if (is_bare(out[i]))
            out[i] = ' ';
}

/* 1 if p[0..n) holds a byte below 0x0e (CR, LF and NUL are; so is HTAB),
 * eight bytes at a time: a byte loop over every header line cost 1 % of
 * a small request's instructions. x - 0x0e.. borrows into a byte's high
 * bit only where the byte is below 0x0e (and ~x keeps bytes >= 0x80 out). */
static int has_low_byte(const char *p, size_t n) {
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        if ((x - ones * 0x0e) & ~x & highs)
            return 1;
    }
    for (; i < n; i++)
        if ((unsigned char)p[i] < 0x0e)
            return 1;
    return 0;
}

int futurl__builder_header(futurl__response_builder *b, const char *line, size_t len) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a redirect, a 1xx, a proxy CONNECT): only
         * the final one's headers are kept. */
        b->hdr.len = 0;
        b->count = 0;
        return 0;
    }
    if (len == 0)
        return 0; /* the blank line ending a block */

    if (is_ows(line[0])) {
        /* obs-fold: a continuation of the previous value, joined by SP. */
        if (b->count == 0)
            return 0;
        while (len > 0 && is_blank(line[len - 1]))
            len--;
        size_t skip = 0;
        while (skip < len && is_blank(line[skip]))
            skip++;
        size_t n = len - skip;
        if (n == 0)
            return 0;
        if (futurl__buf_reserve(&b->hdr, n + 1) != 0)
            return -1;
        /* " text" in place of the value's NUL (no space after an empty
         * value: name and value are "name\0\0" then), then the NUL. */
        char *out = b->hdr.data + b->hdr.len - 1;
        size_t sp = out[-1] != '\0';
        out[0] = ' ';
        copy_field(out + sp, line + skip, n, !has_low_byte(line + skip, n));
        out[sp + n] = '\0';
        b->hdr.len += sp + n;
        return 0;
    }

    const char *colon = memchr(line, ':', len);
    if (colon == NULL)
        return 0; /* not a header line; libcurl has judged the response already */
    size_t name_len = (size_t)(colon - line);
    while (name_len > 0 && is_blank(line[name_len - 1]))
        name_len--;
    const char *value = colon + 1, *end = line + len;
    while (value < end && is_blank(*value))
        value++;
    while (end > value && is_blank(end[-1]))
        end--;

    if (futurl__ascii_ieq(line, name_len, "set-cookie", 10))
        b->saw_set_cookie = 1;
    if (b->count == b->index_cap) {
        size_t cap = b->index_cap ? 2 * b->index_cap : 32;
        void *p = realloc(b->index, cap * sizeof *b->index);
        if (p == NULL)
            return -1;
        b->index = p;
        b->index_cap = cap;
    }
    /* "name\0value\0", room made once (this runs for every header line). */
    size_t value_len = (size_t)(end - value);
    size_t name_at = b->hdr.len, value_at = name_at + name_len + 1;
    if (value_at + value_len >= UINT32_MAX ||
        futurl__buf_reserve(&b->hdr, name_len + value_len + 2) != 0)
        return -1;
    char *out = b->hdr.data + name_at;
    int plain = !has_low_byte(line, len);
    copy_field(out, line, name_len, plain);
    out[name_len] = '\0';
    copy_field(out + name_len + 1, value, value_len, plain);
    out[name_len + 1 + value_len] = '\0';
    b->hdr.len = value_at + value_len + 1;
    b->index[b->count].name = (uint32_t)name_at;
    b->index[b->count].value = (uint32_t)value_at;
    b->count++;
    return 0;
}

int futurl__builder_has_header(const futurl__response_builder *b, const char *name) {
    for (size_t i = 0; i < b->count; i++)
        if (futurl__ascii_streq(b->hdr.data + b->index[i].name, name))
            return 1;
    return 0;
}

/* Copy b's headers (and their index) and the final URL into r, right after
 * its header references; r->info is info with url pointing at the copy.
 * Returns where the next part (the body) goes. */
static char *put_headers_and_url(futurl_response *r, const futurl__response_builder *b,
                                 const futurl__response_info *info, const char *url,
                                 size_t url_size) {
    char *p = (char *)&r->headers[b->count];
    if (b->hdr.len != 0)
        memcpy(p, b->hdr.data, b->hdr.len);
    for (size_t i = 0; i < b->count; i++) {
        r->headers[i].name = p + b->index[i].name;
        r->headers[i].value = p + b->index[i].value;
    }
    r->header_count = b->count;
    p += b->hdr.len;
    memcpy(p, url, url_size);
    r->info = *info;
    r->info.url = p;
    return p + url_size;
}

int futurl__builder_body_reserve(futurl__response_builder *b, size_t expected) {
    /* Exactly the announced size, not the next power of two: a 1 MiB body
     * must not take 2 MiB (nor be shrunk at the end). */
    futurl__buf *buf = &b->body;
    if (buf->len != 0 || expected >= (size_t)-1 / 2 || expected + 1 <= buf->cap)
        return 0;
    if (expected < MAP_BODY_MIN)
        return body_grow(b, expected + 1);
    size_t map = page_round(expected + 1);
    void *p = b->pool != NULL ? futurl__pool_take(b->pool, map, &map) : NULL;
    if (p == NULL) {
        p = mmap(NULL, map, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED)
            return -1;
    }
    builder_release(b);
    b->body.data = p;
    b->body.cap = b->body_map = map;
    return 0;
}

int futurl__builder_body(futurl__response_builder *b, const char *data, size_t len) {
    futurl__buf *buf = &b->body;
    if (len >= (size_t)-1 / 2 - buf->len || body_grow(b, buf->len + len + 1) != 0)
        return -1;
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

futurl_response *futurl__builder_finish(futurl__response_builder *b,
                                        const futurl__response_info *info) {
    const char *url = info->url ? info->url : "";
    size_t url_size = strlen(url) + 1;
    size_t body_len = b->body.len;
    int inline_body = body_len <= INLINE_BODY_MAX;
    size_t size = sizeof(futurl_response) + b->count * sizeof(futurl__header_ref) +
                  b->hdr.len + url_size + (inline_body ? body_len + 1 : 0);

    futurl__slab *slab = NULL;
    futurl_response *r =
        SLABS ? futurl__slab_carve(&b->slabs, b->slab_pool, size, SLAB_ALIGN, &slab)
              : NULL;
    if (r == NULL && (r = malloc(size)) == NULL)
        return NULL;
    r->slab = slab;
    char *p = put_headers_and_url(r, b, info, url, url_size);

    if (inline_body) {
        if (body_len != 0)
            memcpy(p, b->body.data, body_len);
        p[body_len] = '\0';
        r->body = p;
        r->body_owned = NULL;
        r->body_map = 0;
        r->pool = NULL;
    } else {
        /* Handed over as it is: a body that grew by doubling wastes at most
         * half, and shrinking it would copy it. */
        r->body = r->body_owned = b->body.data;
        r->body_map = b->body_map;
        r->pool = b->body_map != 0 ? b->pool : NULL;
        if (r->pool != NULL)
            futurl__pool_ref(r->pool);
        b->body = (futurl__buf){0};
        b->body_map = 0;
    }
    r->body_len = body_len;
    r->bytes = b->bytes;
    r->retry_log = NULL;
    r->retry_log_len = 0;
    r->attached = NULL;
    r->attached_free = NULL;
    r->request_id[0] = '\0';
    atomic_init(&r->json, NULL);
    futurl__builder_reset(b);
    return r;
}

futurl_response *futurl__builder_snapshot(const futurl__response_builder *b,
                                          const futurl__response_info *info) {
    const char *url = info->url ? info->url : "";
    size_t url_size = strlen(url) + 1;
    size_t size = sizeof(futurl_response) + b->count * sizeof(futurl__header_ref) +
                  b->hdr.len + url_size + 1;
    futurl_response *r = malloc(size);
    if (r == NULL)
        return NULL;
    char *p = put_headers_and_url(r, b, info, url, url_size);
    p[0] = '\0';
    r->body = p;
    r->body_len = 0;
    r->body_owned = NULL;
    r->body_map = 0;
    r->pool = NULL;
    r->bytes = 0;
    r->request_id[0] = '\0';
    r->retry_log = NULL;
    r->retry_log_len = 0;
    r->slab = NULL;
    r->attached = NULL;
    r->attached_free = NULL;
    atomic_init(&r->json, NULL);
    return r;
}

void futurl__response_free(void *response) {
    futurl_response *r = response;
    if (r == NULL)
        return;
    if (r->attached_free != NULL)
        r->attached_free(r->attached);
    futurl__json_cache *cache = atomic_load_explicit(&r->json, memory_order_acquire);
    if (cache != NULL) {
        cJSON_Delete(cache->json);
        free(cache);
    }
    if (r->pool != NULL) {
        futurl__pool_give(r->pool, r->body_owned, r->body_map);
        futurl__pool_unref(r->pool);
    } else {
        body_release(r->body_owned, r->body_map);
    }
    free(r->retry_log);
    if (r->slab != NULL) {
        futurl__slab_free(r->slab, r);
    } else {
        free(r);
    }
}

int futurl__response_set_retries(futurl_response *r, unsigned attempts, const char *log,
                                 size_t len) {
    r->info.attempts = attempts;
    if (len == 0)
        return 0;
    char *copy = malloc(len);
    if (copy == NULL)
        return -1;
    memcpy(copy, log, len);
    free(r->retry_log);
    r->retry_log = copy;
    r->retry_log_len = len;
    return 0;
}

/* -------------------------------------------------------------- accessors */

const futurl_response *futurl_future_response(const futurl_future *f) {
    if (f == NULL || futurl__future_free_result_fn(f) != futurl__response_free)
        return NULL;
    return futurl_future_result(f);
}

int futurl_future_curl_code(const futurl_future *f) {
    const futurl_response *r = futurl_future_response(f);
    return r ? r->info.curl_code : 0;
}

long futurl_response_status(const futurl_response *r) {
    return r ? r->info.status : 0;
}

const char *futurl_response_header_nth(const futurl_response *r, const char *name,
                                       size_t n) {
    if (r == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < r->header_count; i++)
        if (futurl__ascii_streq(r->headers[i].name, name) && n-- == 0)
            return r->headers[i].value;
    return NULL;
}

const char *futurl_response_header(const futurl_response *r, const char *name) {
    return futurl_response_header_nth(r, name, 0);
}

size_t futurl_response_header_count(const futurl_response *r) {
    return r ? r->header_count : 0;
}

futurl_status futurl_response_header_at(const futurl_response *r, size_t i,
                                        const char **name, const char **value) {
    int ok = r != NULL && i < r->header_count;
    if (name != NULL)
        *name = ok ? r->headers[i].name : NULL;
    if (value != NULL)
        *value = ok ? r->headers[i].value : NULL;
    return ok ? FUTURL_OK : FUTURL_EINVAL;
}

const char *futurl_response_body(const futurl_response *r, size_t *len) {
    if (len != NULL)
        *len = r ? r->body_len : 0;
    return r ? r->body : "";
}

const char *futurl_response_url(const futurl_response *r) {
    return r ? r->info.url : NULL;
}

long futurl_response_redirects(const futurl_response *r) {
    return r ? r->info.redirects : 0;
}

int futurl_response_http_version(const futurl_response *r) {
    return r ? r->info.http_version : 0;
}

uint64_t futurl_response_bytes(const futurl_response *r) {
    return r ? r->bytes : 0;
}

double futurl_response_elapsed(const futurl_response *r) {
    return r ? r->info.elapsed : 0.0;
}

double futurl_response_connect_time(const futurl_response *r) {
    return r ? r->info.connect_time : 0.0;
}

double futurl_response_ttfb(const futurl_response *r) {
    return r ? r->info.ttfb : 0.0;
}

unsigned futurl_response_attempts(const futurl_response *r) {
    return r ? r->info.attempts : 0;
}

const char *futurl_response_retry_reason(const futurl_response *r, unsigned i) {
    if (r == NULL || r->retry_log == NULL)
        return NULL;
    const char *p = r->retry_log, *end = r->retry_log + r->retry_log_len;
    for (; p < end; p += strlen(p) + 1, i--)
        if (i == 0)
            return p;
    return NULL;
}

long futurl_response_new_connections(const futurl_response *r) {
    return r ? r->info.new_connections : 0;
}
