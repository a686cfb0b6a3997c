/*
 * src/trace.h — debug and trace hooks (src/trace.c): request ids, the
 * lifecycle events the client and the HTTP job emit, and the wire-level
 * debug log over libcurl's CURLOPT_DEBUGFUNCTION (the caller's on_debug,
 * or FUTURL_DEBUG's stderr log). Not installed.
 */
#ifndef FUTURL_SRC_TRACE_H
#define FUTURL_SRC_TRACE_H

#include "client_data.h"

/* Give rq a generated id ("req-N") if the caller set none. */
void futurl__request_id_assign(futurl_request *rq);

/* Copy rq's id onto r (futurl_response_request_id). */
void futurl__response_set_request_id(futurl_response *r, const futurl_request *rq);

/* Fill in ev's request fields (id, method, URL) and its time (now, if 0)
 * and call the client's on_event. Only when c->opts.on_event is set. */
void futurl__trace_emit(futurl_client *c, const futurl_request *rq, futurl_event *ev);

/* Emit an event of type with the named fields, at no cost beyond a NULL
 * check when the client has no on_event. */
#define FUTURL__TRACE(c, rq, ...)                                                        \
    do {                                                                                 \
        if ((c)->opts.on_event != NULL) {                                                \
            futurl_event ev_ = {__VA_ARGS__};                                            \
            futurl__trace_emit((c), (rq), &ev_);                                         \
        }                                                                                \
    } while (0)

/* At create: the wire-level log from opts.on_debug, else from the
 * environment variable FUTURL_DEBUG (read here, once). */
void futurl__debug_configure(futurl_client *c);

/* Set the worker's handle up for the wire-level log, if it is on (else
 * nothing: no DEBUGFUNCTION, no VERBOSE). Returns as futurl__handle_setup. */
futurl_status futurl__debug_setup(futurl_client *c, CURL *easy, futurl__worker *w,
                                  char *errmsg, size_t errmsg_size);

/* Mask the values of credential headers in the header block data[0..len)
 * into out (reset first). Returns 1 if out holds the masked copy, 0 if
 * nothing needed masking (out unused), -1 when out of memory. */
int futurl__debug_mask(const char *data, size_t len, futurl__buf *out);

#endif
