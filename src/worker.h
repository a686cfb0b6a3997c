/*
 * src/worker.h — the executor's threads (src/worker.c), as the state
 * machine (src/executor.c) uses them. Not installed.
 */
#ifndef FUTURL_SRC_WORKER_H
#define FUTURL_SRC_WORKER_H

#include "executor_data.h"

/* 1 if the calling thread is one of ex's workers. */
int futurl__worker_of(const futurl_executor *ex);

/* Start the next worker, unless all have started or ex is shut down;
 * `for_work`: it is started for queued work. Returns 0, or -1 if no thread
 * could be created. With ex->lock held. */
int futurl__start_worker(futurl_executor *ex, int for_work);

/* Wake one idle worker, or start one more when none is idle. With
 * ex->lock held. */
void futurl__wake_worker(futurl_executor *ex);

/* Finish f without its job (cancelled, shutdown, deadline), through the
 * abandon hook; default_msg: its message when the hook gives none. */
void futurl__executor_abandon(futurl_executor *ex, futurl_future *f, futurl_status st,
                              const char *default_msg);

/* Insert f in the timer heap keyed by wake_ns, starting the timer thread
 * on first use. Returns 0, or -1 when out of memory or the thread cannot
 * start. With ex->lock held. */
int futurl__timer_insert(futurl_executor *ex, futurl_future *f, uint64_t wake_ns);
/* 1 when the calling thread is a worker (or the timer thread) of any futurl
 * executor: there, a submit never blocks. */
int futurl__on_worker_thread(void);

/* The calling thread's worker if it is one of ex's and inside
 * futurl__job_hand_off, else NULL. */
worker *futurl__worker_handing_off(const futurl_executor *ex);

/* A parked future re-enters the run queue; a worker is woken for it,
 * unless `self` is given: that worker owes the wake-up then. With ex->lock
 * held. */
void futurl__unpark(futurl_executor *ex, futurl_future *f, worker *self);

#endif
