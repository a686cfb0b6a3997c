/*
 * src/http_job.h — the HTTP job and its abandon hook (src/http_job.c), as
 * the client (src/client.c) hands them to its executor. Not installed.
 */
#ifndef FUTURL_SRC_HTTP_JOB_H
#define FUTURL_SRC_HTTP_JOB_H

#include "client_data.h"

/* The executor's abandon hook: a queued or parked request ends without
 * running again (cancelled, shut down, deadline); give up its place in a
 * per-host queue (a slot granted to it passes on), and hand over its last
 * response and, for a deadline, the message with attempts and last cause. */
void futurl__abandon(void *client, futurl_future *f, futurl_status status, void **result,
                     char **errmsg);

/* The HTTP job: arg is a prepared futurl_request, *result a futurl_response. */
futurl_status futurl__http_job(futurl_job *job, void *arg, void **result);

#endif
