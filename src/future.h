/*
 * src/future.h — internal view of futures, shared by the executor, the
 * wait operations and the HTTP layer. Not installed.
 */
#ifndef FUTURL_SRC_FUTURE_H
#define FUTURL_SRC_FUTURE_H

#include "futurl.h"

/* The result destructor f was submitted with (the HTTP layer uses it to
 * recognise its own futures: futurl_future_response). */
futurl_free_fn futurl__future_free_result_fn(const futurl_future *f);

/* The argument f was submitted with (borrowed; valid until f is released). */
void *futurl__future_arg(const futurl_future *f);

/* The future of a running job (borrowed). */
futurl_future *futurl__job_future(const futurl_job *job);

/* 1 when the calling thread is a worker of any futurl executor. */
int futurl__on_worker_thread(void);

#endif
