/*
 * src/request.h — the request object as the transfer sees it. A request is
 * built by one thread, then frozen by futurl__request_prepare() at submit;
 * from then on it is read-only, so a retry can run it again as often as it
 * likes — except its run state (futurl__run), which only its job touches.
 * Not installed.
 */
#ifndef FUTURL_SRC_REQUEST_H
#define FUTURL_SRC_REQUEST_H

#include <curl/curl.h>

#include "futurl.h"
#include "http.h"
#include "limits.h"
#include "multipart.h"

/* How the transfer tells libcurl which method to send. */
typedef enum futurl__method_kind {
    FUTURL__METHOD_GET,   /* the handle's resting state: nothing to set */
    FUTURL__METHOD_HEAD,  /* CURLOPT_NOBODY */
    FUTURL__METHOD_POST,  /* CURLOPT_POSTFIELDS, so 301/302/303 turn it into GET */
    FUTURL__METHOD_CUSTOM /* CURLOPT_CUSTOMREQUEST (+ POSTFIELDS for a body) */
} futurl__method_kind;

typedef enum futurl__header_op {
    FUTURL__HEADER_SET,   /* replaces defaults and earlier values of the name */
    FUTURL__HEADER_ADD,   /* one more line of the name */
    FUTURL__HEADER_REMOVE /* "Name:": send none, not even libcurl's own */
} futurl__header_op;

typedef struct futurl__header {
    char *line;      /* ready for libcurl: "Name: value", "Name;" (empty) or "Name:" */
    size_t name_len; /* the name is line[0..name_len) */
    futurl__header_op op;
} futurl__header;

typedef enum futurl__body_kind {
    FUTURL__BODY_NONE,
    FUTURL__BODY_BYTES,    /* set_body / set_json */
    FUTURL__BODY_FORM,     /* add_form: body holds "a=1&b=2" */
    FUTURL__BODY_MULTIPART /* add_part*: parts holds them (src/multipart.c) */
} futurl__body_kind;

/* Retry and admission state of a submitted request: made by the HTTP job
 * on its first run and touched only by that job (one run at a time), so a
 * request that waits in the queue does not pay for it. */
typedef struct futurl__run {
    unsigned attempts;         /* attempts finished */
    uint64_t first_ns;         /* when the first attempt began */
    uint64_t rng;              /* jitter state */
    futurl__buf reasons;       /* why each retry happened, NUL-separated */
    futurl_response *last;     /* the last attempt's response, if any */
    futurl_status last_status; /* and its outcome */
    char last_msg[256];
    futurl__admission adm; /* slot and tokens held */
} futurl__run;

/*
 * One queued request. Its size is the memory every queued future costs
 * (bench S5, target <= 512 bytes of RSS each), so the struct holds
 * pointers and sizes first and its small fields packed at the end, and the
 * request id is out of line: a number until the caller names it.
 */
struct futurl_request {
    char *method; /* method and url live in the same block, after the struct */
    char *url;    /* as given */
    futurl__buf query; /* encoded "a=1&b=2" from add_param */
    futurl__buf body;
    futurl__parts *parts; /* multipart/form-data: NULL unless BODY_MULTIPART */
    futurl__header *headers;
    size_t header_count, header_cap;
    size_t header_bytes; /* their lines with CRLF: FUTURL_MAX_HEADER_BYTES at most */

    futurl_retry_policy *retry; /* NULL: the client's */
    futurl__run *run;           /* NULL until the job first runs */
    /* Its host as libcurl will connect to it (src/hostkey.h), made by its
     * job when first needed (limits, the 429 hold, static cookies) and
     * touched only by that job, like run. NULL: not yet. */
    char *host_key;
    long deadline_ms;          /* -1: the client's */
    long timeout_ms;           /* -1: the client's */
    size_t max_response_bytes; /* 0: no cap (futurl__size_cap) */

    futurl_chunk_fn chunk_fn; /* sinks: at most one of chunk_fn and out */
    void *chunk_userdata;
    FILE *out;
    futurl_progress_fn progress_fn;
    void *progress_userdata;
    futurl_stream *stream; /* futurl_client_stream: the body goes there */

    /* Tracing (src/trace.c): the id is the caller's (id, its own
     * allocation) or "req-<id_num>", numbered at submit and spelled out
     * only where it is shown (src/trace.c). queued_ns is written
     * at submit; trace_started and trace_park (below) by the job. */
    char *id;
    uint64_t id_num;    /* 0: not numbered yet */
    uint64_t queued_ns; /* when QUEUED was emitted (0: no events) */

    /* Set by futurl__request_prepare(), read-only afterwards. */
    char *final_url;           /* joined + query; NULL: url is final */
    struct curl_slist *merged; /* defaults merged with ours; NULL: defaults */

    /* The small fields, packed here. Set by the caller's setters (and
     * futurl_request_new) before submit: */
    futurl__method_kind method_kind;
    futurl__body_kind body_kind;
    signed char raise_for_status; /* -1: the client's; else 0 or 1 */
    unsigned char url_is_absolute;
    unsigned char has_max_bytes;
    /* Set by futurl__request_prepare(), read-only afterwards: */
    unsigned char prepared;
    unsigned char sends_body; /* POSTFIELDS: the body, or "" for POST/PUT/PATCH */
    /* Written only by the request's job (src/http_job.c): */
    unsigned char trace_started;   /* STARTED was emitted */
    futurl_park_reason trace_park; /* PARKED emitted, UNPARKED due */
};

/*
 * Freeze r for submission: join its URL with base_url (may be NULL), append
 * the query, check the scheme of the result, and merge its headers with the
 * client's defaults (borrowed, read-only). Idempotent.
 * Returns FUTURL_OK, FUTURL_EURL, FUTURL_ESCHEME or FUTURL_ENOMEM.
 */
futurl_status futurl__request_prepare(futurl_request *r, const char *base_url,
                                      const struct curl_slist *defaults);

/* The URL libcurl gets (valid once prepared). */
static inline const char *futurl__request_url(const futurl_request *r) {
    return r->final_url ? r->final_url : r->url;
}

/* 1 if the request sets an Idempotency-Key header (it may be retried
 * whatever its method). */
int futurl__request_has_idempotency_key(const futurl_request *r);

/* The run state, made on first use; NULL when out of memory. */
futurl__run *futurl__request_run(futurl_request *r);

/* Set header name to value (op SET or ADD), both already checked. */
futurl_status futurl__request_put_header(futurl_request *r, const char *name,
                                         const char *value, futurl__header_op op);

/* A response-size cap as the transfer uses it: 0 (no cap) for 0 and for
 * anything libcurl's curl_off_t cannot hold (2^63 and more, SIZE_MAX),
 * which libcurl would refuse at setopt. */
static inline size_t futurl__size_cap(size_t max_bytes) {
    return (uint64_t)max_bytes > (uint64_t)INT64_MAX ? 0 : max_bytes;
}

/* Length of the scheme of url ("http" → 4) if url starts with one followed
 * by ':', else 0 (a relative reference). */
size_t futurl__url_scheme_len(const char *url);

/* 1 if the scheme s[0..len) is http or https (any case). */
int futurl__scheme_allowed(const char *s, size_t len);

/* Check an absolute URL: FUTURL_OK, FUTURL_ESCHEME, FUTURL_EURL, FUTURL_ENOMEM. */
futurl_status futurl__url_check(const char *url);

/* 1 if name[0..len) is a header the library owns (message framing,
 * connection management, Expect: see request.c), refused in every header
 * setter and in the client's default headers. */
int futurl__header_reserved(const char *name, size_t len);

/* Check a client default header line ("Name: value", "Name;" or "Name:"):
 * FUTURL_OK or FUTURL_EHEADER (also for a reserved name); *name_len
 * receives the name's length. */
futurl_status futurl__header_line_check(const char *line, size_t *name_len);

#endif
