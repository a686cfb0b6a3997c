/*
 * src/job.c — a job's view of its own run, from inside: its future, its
 * cancellation flag, its worker's state and index, its error message, and
 * what the HTTP job asks of the executor — to defer (park) its future, to
 * claim its outcome, to hand a wake-up to its own worker (see job.h).
 */
#include "job.h"

#include "executor_data.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define ERRMSG_MAX 256

int futurl_job_cancelled(const futurl_job *job) {
    return job && atomic_load_explicit(&job->future->cancel_requested,
                                       memory_order_relaxed) == FUTURL__CANCEL_REQUESTED;
}

void *futurl_job_worker_state(const futurl_job *job) {
    return job ? job->w->state : NULL;
}

unsigned futurl_job_worker_index(const futurl_job *job) {
    return job ? job->w->index : 0;
}

futurl_future *futurl__job_future(const futurl_job *job) {
    return job->future;
}

void *futurl__job_hook_userdata(const futurl_job *job) {
    return job->w->ex->opts.userdata;
}

void futurl__job_set_worker_state(futurl_job *job, void *state) {
    job->w->state = state; /* only its own thread reads it */
}

void futurl__job_defer(futurl_job *job, uint64_t due_ns) {
    job->deferred = 1;
    job->due_ns = due_ns;
}

int futurl__job_deferred(const futurl_job *job) {
    return job->deferred;
}

int futurl__job_claim(futurl_job *job) {
    return futurl__future_claim(job->future);
}

const char *futurl__job_errmsg(const futurl_job *job) {
    return job->errmsg;
}

uint64_t futurl__job_deadline(const futurl_job *job) {
    return job->future->deadline_ns;
}

void futurl__job_hand_off(futurl_job *job, void (*fn)(void *), void *arg) {
    job->w->hand_off = 1;
    fn(arg);
    job->w->hand_off = 0;
}

void futurl_job_set_errmsg(futurl_job *job, const char *fmt, ...) {
    if (!job || !fmt)
        return;
    if (!job->errmsg && !(job->errmsg = malloc(ERRMSG_MAX)))
        return; /* out of memory: the status's own message will do */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->errmsg, ERRMSG_MAX, fmt, ap);
    va_end(ap);
}
