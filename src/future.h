/*
 * src/future.h — the internal view of a future, shared by the executor
 * (src/executor.c), completion and callbacks (src/future.c), the waits over
 * many futures (src/wait.c) and the HTTP layer. Not installed.
 *
 * Every lock in the library, in the only order they may nest:
 *
 *   lock                      guards                              file
 *   client workers_lock       the client's worker table           transfer.c
 *     → worker sock_lock      a worker's open sockets, `running`  transfer.c
 *   limits lock               hosts, slot queues, token buckets   limits.c
 *   executor lock             run queue, timer heap, each         executor.c
 *                             worker's `current`, PENDING ↔
 *                             RUNNING, the parked flags
 *     → future lock           callbacks, wait links, sleepers     future.c
 *       → waiter lock         a gather's completion log           wait.c
 *   cookie jar lock, body pool lock, curl share locks: leaves, nothing
 *   is taken inside them.
 *
 * The limits lock and the executor lock are never held together: wake-ups
 * that limits.c decides happen after it lets go. No user code (job, hook,
 * callback, destructor) runs with the executor lock or a future lock held.
 * The future lock is one of a shared set (futurl__future_lock); no code
 * holds two of them at once.
 *
 * A future's state goes PENDING → RUNNING only under the executor lock, and
 * back to PENDING only there, when its job parks it (the worker stops
 * naming it as `current` in the same section). It reaches a final state
 * (DONE, FAILED, CANCELLED) only in futurl__complete(), exactly once, and
 * there without the future lock when nobody watches (see the gate below).
 * Readers that see a final state with an
 * acquire load may read status, result and errmsg without the lock: they
 * were written before the releasing store and never change afterwards.
 * Completion has two steps: the state becomes final, the done-callbacks
 * registered so far run, and only then is the future "settled": waits and
 * waiters (gather, wait-any, as-completed) wake on settled, so when they
 * return no such callback is still running.
 */
#ifndef FUTURL_SRC_FUTURE_H
#define FUTURL_SRC_FUTURE_H

#include "futurl.h"
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct futurl__waiter futurl__waiter;

/* A done-callback in the future's list. */
typedef struct futurl__callback {
    futurl_done_fn fn;
    void *userdata;
    struct futurl__callback *next;
} futurl__callback;

/* One registration of a waiter (gather, wait-any, as-completed) on one
 * future; owned by the waiter, linked into the future's list. */
typedef struct futurl__wait_link {
    futurl__waiter *waiter;
    size_t index; /* position of the future in the waiter's array */
    struct futurl__wait_link *prev, *next;
    int linked;   /* (future lock) 1 while in the future's list */
} futurl__wait_link;

struct futurl_future {
    atomic_int state;              /* futurl_state */
    atomic_int refs;               /* caller's reference + executor's */
    atomic_int cancel_requested;   /* seen by futurl_job_cancelled() */
    atomic_int settled;            /* final and its callbacks have run; waits
                                      sleep on this word (a futex) */
    atomic_int gate;               /* FUTURL__GATE_*: how completion goes */

    /* Fixed at submission. */
    futurl_job_fn fn;
    void *arg;
    futurl_free_fn free_arg;
    futurl_free_fn free_result;
    futurl_executor *ex;           /* dereferenced only while not final */

    /* Written once by futurl__complete(), readable after a final state. */
    futurl_status status;
    void *result;
    char *errmsg;                  /* NULL: futurl_strerror(status) */

    /* Guarded by the future lock (futurl__future_lock). */
    futurl__callback *callbacks, **callbacks_tail;
    futurl__wait_link *links;
    unsigned sleepers;             /* threads in futurl_future_wait* */
    pthread_t settling_thread;     /* runs the callbacks (set when final) */

    /* Guarded by the executor lock: membership of the run queue and of the
     * timer heap (parked futures, and queued ones with a deadline). A
     * submitter sets `queued` and `qnext` (the inbox link) before it
     * publishes the future; see src/executor.c. */
    futurl_future *qprev, *qnext;
    int queued;                    /* in the run queue */
    int parked;                    /* deferred by its job, waiting to re-run */
    int wake_pending;              /* woken while its job was still running */
    size_t heap_index;             /* position in the timer heap, or SIZE_MAX */
    uint64_t wake_ns;              /* heap key: when the timer acts on it */
    uint64_t deadline_ns;          /* monotonic; 0: none */

    futurl__slab *slab;            /* carved from this slab; NULL: malloc'd */
};

/* What a job returns after futurl__job_defer(): the value is ignored (the
 * call decides), this name just says so at the return. */
#define FUTURL__DEFER FUTURL_OK

/* Monotonic clock in nanoseconds. */
uint64_t futurl__now_ns(void);

/* now + ms milliseconds, saturating (a time beyond what 64 bits hold is
 * "never", UINT64_MAX - 1, not a wrap to the past). Negative ms counts 0. */
static inline uint64_t futurl__after_ms(uint64_t now, long ms) {
    if (ms <= 0)
        return now;
    if ((uint64_t)ms > (UINT64_MAX - 1 - now) / 1000000u)
        return UINT64_MAX - 1;
    return now + (uint64_t)ms * 1000000u;
}

/* Submit with an optional absolute deadline (monotonic ns, 0: none): a
 * future still queued at its deadline ends FUTURL_ETIMEDOUT at that moment,
 * without running. Otherwise as futurl_executor_submit_timeout(). */
futurl_status futurl__executor_submit(futurl_executor *ex, futurl_job_fn fn, void *arg,
                                      futurl_free_fn free_arg, futurl_free_fn free_result,
                                      long timeout_ms, uint64_t deadline_ns,
                                      futurl_future **out);

/* From inside a job: after this, the job's return (say FUTURL__DEFER) puts
 * the future back to PENDING without holding a worker; it re-enters the run queue at
 * due_ns (monotonic; 0: only when woken) or when futurl__executor_wake() is
 * called, whichever is first, and the same job runs again with the same
 * argument. Cancelling a parked future finishes it at once; shutdown
 * finishes parked futures cancelled. */
void futurl__job_defer(futurl_job *job, uint64_t due_ns);

/* Make a parked future due now (or, if its job is still returning, as soon
 * as it parks). No effect on a future that is not pending. The caller must
 * hold a reference to f. */
void futurl__executor_wake(futurl_executor *ex, futurl_future *f);

/* The message futurl_job_set_errmsg() set in this run, or NULL. */
const char *futurl__job_errmsg(const futurl_job *job);

/* The deadline the future was submitted with (monotonic ns, 0: none). */
uint64_t futurl__job_deadline(const futurl_job *job);

/* Futures parked right now. */
size_t futurl__executor_parked(futurl_executor *ex);

/* Called once for every future of the executor as it becomes final, before
 * its callbacks run and before waiters wake, on the completing thread with
 * the future lock held: it must be quick and take no lock (the client
 * counts outcomes with it). Set it before the first submission. */
typedef void (*futurl__complete_hook)(void *userdata, futurl_future *f);
void futurl__executor_set_complete_hook(futurl_executor *ex, futurl__complete_hook fn,
                                        void *userdata);

/* Run the hook, if any (futurl__complete calls it). */
void futurl__executor_completed(futurl_executor *ex, futurl_future *f);

/* Called when a RUNNING future of the executor is cancelled, on the
 * cancelling thread, after its flag is set and with no executor lock held,
 * while the cancelling thread holds a reference: the HTTP layer uses it to
 * interrupt a transfer that waits on a silent peer. Set it before the first
 * submission. */
typedef void (*futurl__cancel_hook)(void *userdata, futurl_future *f);
void futurl__executor_set_cancel_hook(futurl_executor *ex, futurl__cancel_hook fn,
                                      void *userdata);

/* Called when the executor finishes a queued or parked future without its
 * job running again — cancelled, ended by shutdown (status
 * FUTURL_ECANCELED) or by its deadline (FUTURL_ETIMEDOUT) — on the thread
 * that finishes it. It may hand over a result and a message (malloc'd; NULL
 * for the default) for that outcome. The job is not running: its argument
 * (futurl__future_arg) may be read. Set it before the first submission. */
typedef void (*futurl__abandon_hook)(void *userdata, futurl_future *f,
                                     futurl_status status, void **result,
                                     char **errmsg);
void futurl__executor_set_abandon_hook(futurl_executor *ex, futurl__abandon_hook fn,
                                       void *userdata);

/* The future lock: a future has no mutex of its own but shares one of a
 * fixed set, chosen by its address (futures are many and short-lived; a
 * mutex and a condition variable each would cost 88 bytes and two init and
 * destroy calls per job). No code holds two future locks at once. */
#define FUTURL__LOCK_STRIPES 64u
extern pthread_mutex_t futurl__future_locks[FUTURL__LOCK_STRIPES];
static inline pthread_mutex_t *futurl__future_lock(const futurl_future *f) {
    return &futurl__future_locks[((uintptr_t)f / 64u) % FUTURL__LOCK_STRIPES];
}

/* A new PENDING future for fn(arg) with two references (caller + executor). */
futurl_future *futurl__future_new(futurl_executor *ex, futurl_job_fn fn, void *arg,
                                  futurl_free_fn free_arg, futurl_free_fn free_result);

/* Free f now, whatever its references (a future never handed out, or one
 * whose last reference futurl__future_unref() dropped). */
void futurl__future_discard(futurl_future *f);

/* Drop one reference without freeing; returns 1 if it was the last, and the
 * caller must then call futurl__future_discard(f). */
int futurl__future_unref(futurl_future *f);

/* Finish f exactly once: free its argument, record the outcome (steals
 * result and errmsg), wake waiters, then run the callbacks on this thread.
 * The caller must own a reference, kept across the call. */
void futurl__complete(futurl_future *f, futurl_status status, void *result,
                      char *errmsg);

/*
 * The gate: most futures are never waited on while they run (a gather
 * that comes later, a poll), and those complete without taking the
 * future lock. Whoever registers a sleeper, a wait link or a callback
 * first closes the gate (WATCHED), under the future lock; the completer
 * swings it OPEN -> SETTLED with one compare-and-swap, or finds it
 * WATCHED and completes under the lock, waking and notifying whoever
 * registered. The single word decides which came first.
 */
enum { FUTURL__GATE_OPEN = 0, FUTURL__GATE_WATCHED = 1, FUTURL__GATE_SETTLED = 2 };

/* With f's lock held, before registering a sleeper, wait link or
 * callback: 1 if f is settled (or final and this thread is running its
 * callbacks, so a callback that waits on its own future does not
 * deadlock), and nothing must be registered; else 0, and f's completion
 * will take the lock and see the registration. */
int futurl__watch(futurl_future *f);

/* Take one more reference (a queue that keeps f beyond its job's run). */
static inline void futurl__future_ref(futurl_future *f) {
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

/* Drop one reference; the last frees the future. */
void futurl__future_release(futurl_future *f);

/* 1 if s is a final state. */
static inline int futurl__is_final(int s) {
    return s == FUTURL_DONE || s == FUTURL_FAILED || s == FUTURL_CANCELLED;
}

/* The cancelling half that belongs to the executor: a queued future is
 * taken off the queue and finished cancelled; a running one gets its flag.
 * Returns 1 if it took effect. */
int futurl__executor_cancel(futurl_executor *ex, futurl_future *f);

/* The result destructor f was submitted with (the HTTP layer uses it to
 * recognise its own futures: futurl_future_response). */
futurl_free_fn futurl__future_free_result_fn(const futurl_future *f);

/* The argument f was submitted with (borrowed; valid until the job has
 * finished, i.e. inside the job and before completion). */
void *futurl__future_arg(const futurl_future *f);

/* The future of a running job (borrowed). */
futurl_future *futurl__job_future(const futurl_job *job);

/* 1 when the calling thread is a worker (or the timer thread) of any futurl
 * executor: there, a submit never blocks. */
int futurl__on_worker_thread(void);

/* Waiter notification, called by futurl__complete() under the future lock;
 * failed: the future ended FAILED. */
void futurl__waiter_notify(futurl__waiter *w, size_t index, int failed);

/* A monotonic deadline timeout_ms from now (negative: none → returns 0 and
 * leaves ts untouched; else 1). */
int futurl__deadline(long timeout_ms, struct timespec *ts);

/* pthread_cond_init with CLOCK_MONOTONIC, for deadline waits. */
int futurl__cond_init(pthread_cond_t *c);

#endif
