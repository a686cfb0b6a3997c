/*
 * src/stream.h — a streaming request's body buffer and its headers future
 * (src/stream.c), as the client (submit), the handle's write and header
 * callbacks (the producer) and the HTTP job (no retry once started) use
 * them. Not installed.
 */
#ifndef FUTURL_SRC_STREAM_H
#define FUTURL_SRC_STREAM_H

#include "futurl.h"
#include "response.h"

#include <stdint.h>

/* A new stream holding at most cap body bytes, and its headers future
 * (*headers: PENDING, finished by the stream). The stream holds one
 * reference for its transfer, dropped when that transfer's future
 * finishes (futurl__stream_attach). Returns FUTURL_OK or FUTURL_ENOMEM. */
futurl_status futurl__stream_new(size_t cap, futurl_stream **out,
                                 futurl_future **headers);

/* Undo futurl__stream_new() when the transfer could not be submitted:
 * frees the stream and the headers future (never handed out). */
void futurl__stream_discard(futurl_stream *s, futurl_future *headers);

/* Give the stream its transfer's future (steals the caller's reference)
 * and watch it: when it finishes the body ends, and the headers future
 * finishes with its outcome if the headers never came. Returns FUTURL_OK,
 * or FUTURL_ENOMEM after cancelling the transfer and waiting for it (the
 * stream and headers future are then freed). */
futurl_status futurl__stream_attach(futurl_stream *s, futurl_future *transfer,
                                    futurl_future *headers);

/* The producer (a worker, inside its transfer): the final response's
 * headers arrived. Finishes the headers future with resp (steals it;
 * FUTURL_OK, or FUTURL_EHTTP and a message for raise-for-status) unless it
 * was cancelled first. Returns 0, or -1 when the transfer must abort (the
 * headers future was cancelled). */
int futurl__stream_headers(futurl_stream *s, futurl_response *resp, futurl_status st,
                           const char *errmsg);

/* 1 once the headers were handed over (no retry from then on). */
int futurl__stream_started(futurl_stream *s);

/* What futurl__stream_push() reports. */
typedef enum futurl__push {
    FUTURL__PUSH_OK = 0,
    FUTURL__PUSH_CLOSED,    /* the reader closed or cancelled the stream */
    FUTURL__PUSH_CANCELLED, /* the transfer's job was cancelled (shutdown) */
    FUTURL__PUSH_TIMEDOUT   /* stop_ns passed while the buffer stayed full */
} futurl__push;

/* The producer: append data[0..len), waiting while the buffer is full,
 * until the reader takes some, closes or cancels, job is cancelled, or
 * stop_ns (monotonic; 0: none) passes. */
futurl__push futurl__stream_push(futurl_stream *s, const char *data, size_t len,
                                 futurl_job *job, uint64_t stop_ns);

/* Wake a producer waiting in futurl__stream_push, so that it looks at its
 * job's cancellation flag (the client's cancel hook). */
void futurl__stream_wake(futurl_stream *s);

#endif
