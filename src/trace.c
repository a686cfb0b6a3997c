/*
 * src/trace.c — debug and trace hooks: request ids (set by the caller or
 * generated at submit, copied onto each response), the lifecycle events
 * (emitted by the client at submit and by the HTTP job, src/http_job.c),
 * and the wire-level debug log over libcurl's CURLOPT_DEBUGFUNCTION, with
 * credentials masked: the caller's on_debug, or FUTURL_DEBUG's log on
 * stderr. Everything here is off unless asked for: the job checks
 * opts.on_event before building an event, and a handle gets a debug
 * function only when the log is on.
 */
#include "trace.h"

#include "clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ request ids */

static atomic_uint_fast64_t next_id = 1;

futurl_status futurl_request_set_id(futurl_request *r, const char *id) {
    if (r == NULL || id == NULL)
        return FUTURL_EINVAL;
    size_t len = strnlen(id, FUTURL_MAX_REQUEST_ID_LENGTH + 1);
    if (len == 0 || len > FUTURL_MAX_REQUEST_ID_LENGTH)
        return FUTURL_EINVAL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)id[i] < 0x20 || (unsigned char)id[i] > 0x7e)
            return FUTURL_EINVAL;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return FUTURL_ENOMEM;
    memcpy(copy, id, len + 1);
    free(r->id);
    r->id = copy;
    return FUTURL_OK;
}

void futurl__request_id_assign(futurl_request *rq) {
    if (rq->id == NULL && rq->id_num == 0)
        rq->id_num = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
}

/* Room for a request id spelled out: the caller's, or "req-" and a number. */
#define REQUEST_ID_SIZE (FUTURL_MAX_REQUEST_ID_LENGTH + 1)

/* rq's id: the caller's, or "req-<n>" written into buf; "" before submit
 * numbered it. Only the three places below show an id. */
static const char *request_id(const futurl_request *rq, char buf[REQUEST_ID_SIZE]) {
    if (rq->id != NULL)
        return rq->id;
    if (rq->id_num == 0)
        return "";
    snprintf(buf, REQUEST_ID_SIZE, "req-%llu", (unsigned long long)rq->id_num);
    return buf;
}

_Static_assert(sizeof ((futurl_response *)0)->request_id == REQUEST_ID_SIZE,
               "a response holds any request id");

/* Once per response, on the worker: a generated id is spelled straight
 * into the response; only a caller's id is copied. */
void futurl__response_set_request_id(futurl_response *r, const futurl_request *rq) {
    const char *id = request_id(rq, r->request_id);
    if (id != r->request_id)
        snprintf(r->request_id, sizeof r->request_id, "%s", id);
}

const char *futurl_response_request_id(const futurl_response *r) {
    return r != NULL ? r->request_id : "";
}

/* ----------------------------------------------------------------- events */

void futurl__trace_emit(futurl_client *c, const futurl_request *rq, futurl_event *ev) {
    char id[REQUEST_ID_SIZE];
    ev->request_id = request_id(rq, id);
    ev->method = rq->method;
    ev->url = futurl__request_url(rq);
    if (ev->time_ns == 0)
        ev->time_ns = futurl__now_ns();
    c->opts.on_event(ev, c->opts.event_userdata);
    ev->request_id = NULL; /* it pointed at id[], gone when this returns */
}

/* ------------------------------------------------------- the wire-level log */

/* Header names whose values are masked, and whether the value's first word
 * (an auth scheme, "Bearer") is kept. */
static const struct {
    const char *name;
    size_t len;
    int keep_scheme;
} masked[] = {
    {"Authorization", 13, 1},
    {"Proxy-Authorization", 19, 1},
    {"Cookie", 6, 0},
    {"Set-Cookie", 10, 0},
};

/* The masked entry line[0..len) starts with ("Name:"), or -1. */
static int masked_header(const char *line, size_t len) {
    const char *colon = memchr(line, ':', len);
    if (colon == NULL)
        return -1;
    size_t name_len = (size_t)(colon - line);
    for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++)
        if (futurl__ascii_ieq(line, name_len, masked[i].name, masked[i].len))
            return (int)i;
    return -1;
}

int futurl__debug_mask(const char *data, size_t len, futurl__buf *out) {
    int any = 0;
    out->len = 0;
    for (size_t pos = 0; pos < len;) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) + 1 : len - pos;
        pos += line_len;
        int m = masked_header(line, line_len);
        if (m < 0) {
            if (futurl__buf_append(out, line, line_len) != 0)
                return -1;
            continue;
        }
        any = 1;
        /* "Name:", the spaces, the scheme word if kept, then "***" and the
         * line's own ending. */
        size_t end = line_len;
        while (end > 0 && (line[end - 1] == '\n' || line[end - 1] == '\r'))
            end--;
        size_t keep = masked[m].len + 1;
        while (keep < end && (line[keep] == ' ' || line[keep] == '\t'))
            keep++;
        if (masked[m].keep_scheme) {
            size_t word = keep;
            while (word < end && line[word] != ' ' && line[word] != '\t')
                word++;
            if (word < end) /* a scheme and a credential: keep "Scheme " */
                keep = word + 1;
        }
        if (futurl__buf_append(out, line, keep) != 0 ||
            futurl__buf_puts(out, "***") != 0 ||
            futurl__buf_append(out, line + end, line_len - end) != 0)
            return -1;
    }
    return any;
}

/* libcurl's cookie engine notes every cookie it stores, value and all
 * ("Added cookie sid=\"v\" for domain h, path /, expire 0", "Replaced
 * cookie ..."): the Set-Cookie of a server and the `cookies` option pass
 * through it, so such a note is as secret as those headers. Names hold no
 * '=', so the value starts after the first one and ends at the last
 * "\" for domain " (a value may hold quotes); without that tail, the whole
 * rest of the note is masked. Returns as futurl__debug_mask(); 0 for any
 * other note. */
static int mask_cookie_note(const char *data, size_t len, futurl__buf *out) {
    static const char *const verbs[] = {"Added cookie ", "Replaced cookie "};
    static const char tail[] = "\" for domain ";
    const size_t tail_len = sizeof tail - 1;
    size_t keep = 0;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        size_t n = strlen(verbs[i]);
        if (len >= n && memcmp(data, verbs[i], n) == 0)
            keep = n;
    }
    if (keep == 0)
        return 0;
    const char *eq = memchr(data + keep, '=', len - keep);
    if (eq != NULL)
        keep = (size_t)(eq - data) + 1 + (eq + 1 < data + len && eq[1] == '"');
    size_t end = len; /* the masked value is data[keep..end) */
    for (size_t at = keep; at + tail_len <= len; at++)
        if (memcmp(data + at, tail, tail_len) == 0)
            end = at; /* the closing quote and the rest are kept */
    if (end == len)   /* no tail: keep only the line's own ending */
        while (end > keep && (data[end - 1] == '\n' || data[end - 1] == '\r'))
            end--;
    out->len = 0;
    if (futurl__buf_append(out, data, keep) != 0 || futurl__buf_puts(out, "***") != 0 ||
        futurl__buf_append(out, data + end, len - end) != 0)
        return -1;
    return 1;
}

static int on_debug(CURL *easy, curl_infotype info, char *data, size_t size,
                    void *userdata) {
    futurl__worker *w = userdata;
    futurl_client *c = w->client;
    (void)easy;
    futurl_debug_type type;
    switch (info) {
    case CURLINFO_TEXT:
        type = FUTURL_DEBUG_TEXT;
        break;
    case CURLINFO_HEADER_IN:
        type = FUTURL_DEBUG_HEADER_IN;
        break;
    case CURLINFO_HEADER_OUT:
        type = FUTURL_DEBUG_HEADER_OUT;
        break;
    case CURLINFO_DATA_IN:
        type = FUTURL_DEBUG_DATA_IN;
        break;
    case CURLINFO_DATA_OUT:
        type = FUTURL_DEBUG_DATA_OUT;
        break;
    default: /* TLS records: never */
        return 0;
    }
    if ((type == FUTURL_DEBUG_DATA_IN || type == FUTURL_DEBUG_DATA_OUT) && !c->debug.data)
        return 0;
    if (c->debug.mask && type != FUTURL_DEBUG_DATA_IN && type != FUTURL_DEBUG_DATA_OUT) {
        int m = type == FUTURL_DEBUG_TEXT
                    ? mask_cookie_note(data, size, &w->debug_line)
                    : futurl__debug_mask(data, size, &w->debug_line);
        if (m < 0)
            return 0; /* out of memory: nothing rather than a secret */
        if (m > 0) {
            data = w->debug_line.data;
            size = w->debug_line.len;
        }
    }
    char buf[REQUEST_ID_SIZE];
    const char *id = w->request != NULL ? request_id(w->request, buf) : "";
    c->debug.fn(id, type, data, size, c->debug.userdata);
    return 0;
}

/* FUTURL_DEBUG's log: one line per header line or note, with the id. */
static void stderr_log(const char *id, futurl_debug_type type, const char *data,
                       size_t len, void *userdata) {
    static const char marks[] = "*<>{}";
    (void)userdata;
    char mark = marks[type];
    flockfile(stderr);
    if (type == FUTURL_DEBUG_DATA_IN || type == FUTURL_DEBUG_DATA_OUT) {
        fprintf(stderr, "futurl [%s] %c %zu bytes\n", id, mark, len);
    } else {
        for (size_t pos = 0; pos < len;) {
            const char *line = data + pos;
            const char *nl = memchr(line, '\n', len - pos);
            size_t line_len = nl ? (size_t)(nl - line) : len - pos;
            pos += line_len + (nl != NULL);
            while (line_len > 0 && line[line_len - 1] == '\r')
                line_len--;
            if (line_len > 0)
                fprintf(stderr, "futurl [%s] %c %.*s\n", id, mark, (int)line_len, line);
        }
    }
    funlockfile(stderr);
}

/* 1 if the comma-separated list words holds word. */
static int has_word(const char *words, const char *word) {
    size_t n = strlen(word);
    for (const char *p = words; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && memcmp(p, word, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

void futurl__debug_configure(futurl_client *c) {
    const futurl_client_options *o = &c->opts;
    if (o->on_debug != NULL) {
        c->debug.fn = o->on_debug;
        c->debug.userdata = o->debug_userdata;
        c->debug.data = o->debug_data != 0;
        c->debug.mask = !o->debug_unmasked;
        return;
    }
    const char *env = getenv("FUTURL_DEBUG");
    if (env == NULL || env[0] == '\0' || strcmp(env, "0") == 0)
        return;
    c->debug.fn = stderr_log;
    c->debug.userdata = NULL;
    c->debug.data = has_word(env, "data");
    c->debug.mask = !has_word(env, "unmasked");
}

futurl_status futurl__debug_setup(futurl_client *c, CURL *easy, futurl__worker *w,
                                  char *errmsg, size_t errmsg_size) {
    if (c->debug.fn == NULL || w == NULL)
        return FUTURL_OK;
    CURLcode cc = curl_easy_setopt(easy, CURLOPT_DEBUGFUNCTION, on_debug);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(easy, CURLOPT_DEBUGDATA, (void *)w);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(easy, CURLOPT_VERBOSE, 1L);
    if (cc == CURLE_OK)
        return FUTURL_OK;
    if (errmsg != NULL)
        snprintf(errmsg, errmsg_size, "libcurl refused its debug function: %s",
                 curl_easy_strerror(cc));
    return cc == CURLE_OUT_OF_MEMORY ? FUTURL_ENOMEM : FUTURL_ECURL;
}
