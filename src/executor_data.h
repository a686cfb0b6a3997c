/*
 * src/executor_data.h — the executor's shared state: the structures that
 * the run queue (queue.c), the timer heap (heap.c), the workers
 * (worker.c) and the state machine (executor.c) work on together, as
 * curl's urldata.h. Not installed.
 *
 * Guarded by ex->lock: the queue (head, tail), the heap, every
 * future's queue/heap fields (queued, parked, wake_pending, heap_index,
 * wake_ns; a submitter sets `queued` and `qnext` before it publishes the
 * future on the inbox, and the lock holder that takes it acquires them),
 * the PENDING → RUNNING → PENDING (parked) transitions, each
 * worker's `current`, the shutdown flags and the blocked count. Slots in
 * use are `admitted - released`: submitters reserve slots in `admitted`
 * without the lock, but `released` grows only under it, so a submitter
 * that waits for room (under the lock) never misses the signal.
 * `idle` and `waking` are atomic too: a submitter reads them after its push
 * to learn whether it must wake a worker (futurl__wake_worker).
 * Lock order: ex->lock before any future lock (see src/future.h). No user
 * code (jobs, hooks, callbacks) ever runs with ex->lock held.
 */
#ifndef FUTURL_SRC_EXECUTOR_DATA_H
#define FUTURL_SRC_EXECUTOR_DATA_H

#include "future.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct worker {
    futurl_executor *ex;
    pthread_t thread;
    unsigned index;
    void *state;            /* from on_worker_start */
    futurl_future *current; /* (ex->lock) the job it runs, or NULL */
    /* Its own thread's only. hand_off: inside futurl__job_hand_off, where
     * the job is about to return and this worker to look at the queue.
     * owes_wake: futures woken there went to the queue without a worker
     * woken for them; this one takes the next itself. */
    int hand_off;
    unsigned owes_wake;
} worker;

struct futurl_executor {
    pthread_mutex_t lock;
    pthread_cond_t not_empty; /* workers wait here for jobs */
    pthread_cond_t not_full;  /* submitters wait here for room */
    pthread_cond_t joined_cv; /* a second shutdown waits for the first */

    futurl_future *head, *tail;
    size_t capacity;
    /* Slots in use (inbox + queue + parked) = admitted - released, both
     * only growing (and wrapping): submitters write one, workers the other,
     * on lines of their own, so a submission does not pull the workers'
     * line. */
    atomic_size_t released; /* (changed under the lock) slots given back */
    unsigned blocked;       /* submitters waiting on not_full */
    int closed;             /* no new submissions */
    int joining, joined;

    futurl_future **heap; /* timer heap: parked + queued with deadline */
    size_t heap_len, heap_cap;
    atomic_size_t nparked; /* (changed under the lock) parked futures */
    pthread_t timer;
    pthread_cond_t timer_cv; /* the timer thread sleeps here */
    int timer_started, timer_stop;

    /* Its futures' way back here (future.h): the cancel below and the
     * complete hook, set before the first submit. */
    futurl__future_owner owner;
    /* likewise: futurl__cancel_hook, futurl__abandon_hook (executor.h) */
    void (*on_cancel)(void *userdata, futurl_future *f);
    void *on_cancel_data;
    void (*on_abandon)(void *userdata, futurl_future *f, futurl_status status,
                       void **result, char **errmsg);
    void *on_abandon_data;

    worker *workers; /* nworkers slots; the first `started` run */
    unsigned nworkers;
    /* Workers started: grows under the lock (never past nworkers, never
     * after `closed`); submitters read it without the lock only to learn
     * whether one might still have to be started. */
    atomic_uint started;
    futurl_executor_options opts;
    char name[16];

    /* Submitters' line: written without the lock by every submission. */
    _Alignas(64) _Atomic(futurl_future *) inbox; /* newest first */
    atomic_size_t admitted;                      /* slots ever taken */
    atomic_size_t released_seen; /* a recent `released`, so that submitters
                                    read the workers' line only when it
                                    says the queue is full */
    /* Read by every submission, written when a worker sleeps or wakes. */
    _Alignas(64) atomic_uint idle; /* workers waiting (or about to) on
                                      not_empty */
    atomic_uint waking;            /* of those, signalled and not yet running
                                      (changed under the lock only) */
};

struct futurl_job {
    futurl_future *future;
    worker *w;
    char *errmsg;
    int deferred;    /* futurl__job_defer was called: park, do not finish */
    uint64_t due_ns; /* its due time (0: only on wake) */
};

#endif
