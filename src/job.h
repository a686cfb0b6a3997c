/*
 * src/job.h — a job's view of its own run, from inside (src/job.c): defer
 * (park) its future, hand a wake-up to its own worker, claim its outcome,
 * read its message, deadline and future. The public part is in futurl.h
 * (futurl_job_cancelled, futurl_job_set_errmsg, ...). Not installed.
 */
#ifndef FUTURL_SRC_JOB_H
#define FUTURL_SRC_JOB_H

#include "futurl.h"

#include <stdint.h>

/* What a job returns after futurl__job_defer(): the value is ignored (the
 * call decides), this name just says so at the return. */
#define FUTURL__DEFER FUTURL_OK

/* From inside a job: after this, the job's return (say FUTURL__DEFER) puts
 * the future back to PENDING without holding a worker; it re-enters the run queue at
 * due_ns (monotonic; 0: only when woken) or when futurl__executor_wake() is
 * called, whichever is first, and the same job runs again with the same
 * argument. Cancelling a parked future finishes it at once; shutdown
 * finishes parked futures cancelled. */
void futurl__job_defer(futurl_job *job, uint64_t due_ns);

/* From inside a job that returns right after: run fn(arg), and let any
 * futurl__executor_wake() it makes be owed by this worker, which takes the
 * woken future itself as it looks at the queue next (no other worker is
 * woken for it). Nothing that can run for long, or wait, may run in fn. */
void futurl__job_hand_off(futurl_job *job, void (*fn)(void *), void *arg);

/* The message futurl_job_set_errmsg() set in this run, or NULL. */
const char *futurl__job_errmsg(const futurl_job *job);

/* The deadline the future was submitted with (monotonic ns, 0: none). */
uint64_t futurl__job_deadline(const futurl_job *job);

/* From inside a job: claim its future's outcome (futurl__future_claim). */
int futurl__job_claim(futurl_job *job);

/* 1 if the job called futurl__job_defer() in this run. */
int futurl__job_deferred(const futurl_job *job);

/* The future of a running job (borrowed). */
futurl_future *futurl__job_future(const futurl_job *job);

/* The userdata of the executor's worker hooks (futurl_executor_options),
 * for a job that must reach its owner (the HTTP client) without the
 * worker's state: the state may be missing, when on_worker_start failed. */
void *futurl__job_hook_userdata(const futurl_job *job);

/* Replace the state of the worker running this job (it made the state
 * on_worker_start could not); on_worker_stop gets the new one. */
void futurl__job_set_worker_state(futurl_job *job, void *state);

#endif
