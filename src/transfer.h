/*
 * src/transfer.h — one attempt of a request on a worker's easy handle
 * (src/transfer.c), as the HTTP job uses it. Not installed.
 */
#ifndef FUTURL_SRC_TRANSFER_H
#define FUTURL_SRC_TRANSFER_H

#include "client_data.h"

/* rq's host key (src/hostkey.h), computed once and kept with the request;
 * NULL, with *st set, when it cannot be had. */
const char *futurl__request_host_key(futurl_request *rq, futurl_status *st);

/* One attempt of rq on w's handle, limited to timeout_ms: its outcome,
 * the response in *resp (NULL only when out of memory). */
futurl_status futurl__run_attempt(futurl_job *job, futurl__worker *w, futurl_request *rq,
                                  long timeout_ms, futurl_response **resp);

#endif
