/*
 * src/future.h — the internal view of a future: one completion, its state,
 * references, done-callbacks and wait links, and the owner record through
 * which it reaches whoever runs it (src/executor.c) without naming it.
 * Used by the executor (src/executor.h), the waits (src/wait.h) and the
 * HTTP layer. Not installed.
 *
 * Every lock in the library, in the only order they may nest:
 *
 *   lock                      guards                              file
 *   client workers_lock       the client's worker table           handle.c
 *     → worker sock_lock      a worker's open sockets, `running`  handle.c
 *       → stream lock         a stream's buffer, flags, eventfd   stream.c
 *   limits lock               hosts, slot queues, token buckets   limits.c
 *   executor lock             run queue, timer heap, each         executor_data.h
 *                             worker's `current`, PENDING ↔
 *                             RUNNING, the parked flags
 *     → future lock           callbacks, wait links, sleepers     future.c
 *       → waiter lock         a gather's completion log           wait.c
 *   cookie jar lock, body pool lock, curl share locks, stream lock:
 *   leaves, nothing is taken inside them.
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

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* A done-callback in the future's list. */
typedef struct futurl__callback {
    futurl_done_fn fn;
    void *userdata;
    struct futurl__callback *next;
} futurl__callback;

/* Whoever watches futures through wait links (gather, wait-any,
 * as-completed: src/wait.c). Its one field is how completion tells it: the
 * future does not know who is watching, only this function. */
typedef struct futurl__watcher {
    /* Called by completion (futurl__complete) under the future lock once
     * the future has settled; index: the link's; failed: the future ended
     * FAILED. Quick, and it takes no lock but the watcher's own. It may
     * unlink its own link from the future's list, nobody else's. */
    void (*notify)(struct futurl__watcher *w, size_t index, int failed);
} futurl__watcher;

/* One registration of a watcher on one future; owned by the watcher,
 * linked into the future's list. */
typedef struct futurl__wait_link {
    futurl__watcher *watcher;
    size_t index; /* position of the future in the watcher's array */
    struct futurl__wait_link *prev, *next;
    int linked; /* (future lock) 1 while in the future's list */
} futurl__wait_link;

/* Called once for every future of an owner as it becomes final, before
 * its callbacks run and before waiters wake, on the completing thread with
 * the future lock held: it must be quick and take no lock (the client
 * counts outcomes with it). */
typedef void (*futurl__complete_hook)(void *userdata, futurl_future *f);

/* What a future asks of whoever runs it: how to cancel it, and whom to
 * tell as it becomes final. The executor embeds one, fills it in before
 * its first submission and passes it to futurl__future_new(): this is how
 * a future reaches its executor without naming it (the executor depends on
 * the future, never the reverse). */
typedef struct futurl__future_owner {
    /* futurl_future_cancel() of an unfinished f: a queued future is taken
     * off the queue and finished cancelled; a running one gets its flag
     * unless its outcome was claimed first (futurl__future_flag_cancel).
     * Returns 1 if it took effect. */
    int (*cancel)(struct futurl__future_owner *owner, futurl_future *f);
    futurl__complete_hook on_complete; /* NULL: none */
    void *on_complete_data;
} futurl__future_owner;

struct futurl_future {
    atomic_int state;            /* futurl_state */
    atomic_int refs;             /* caller's reference + executor's */
    atomic_int cancel_requested; /* FUTURL__CANCEL_*: cancel and completion
                                    race on it (below); REQUESTED is what
                                    futurl_job_cancelled() sees */
    atomic_int settled;          /* final and its callbacks have run; waits
                                    sleep on this word (a futex) */
    atomic_int gate;             /* FUTURL__GATE_*: how completion goes */
    atomic_int cq_attached;      /* 1 once attached to a completion queue
                                    (src/cq.c): one future, one entry */

    /* Fixed at submission. */
    futurl_job_fn fn;
    void *arg;
    futurl_free_fn free_arg;
    futurl_free_fn free_result;
    futurl__future_owner *owner; /* dereferenced only while not final */

    /* Written once by futurl__complete(), readable after a final state. */
    futurl_status status;
    void *result;
    char *errmsg; /* NULL: futurl_strerror(status) */

    /* Guarded by the future lock (futurl__future_lock). */
    futurl__callback *callbacks, **callbacks_tail;
    futurl__wait_link *links;
    unsigned sleepers;         /* threads in futurl_future_wait* */
    pthread_t settling_thread; /* runs the callbacks (set when final) */

    /* Guarded by the executor lock: membership of the run queue and of the
     * timer heap (parked futures, and queued ones with a deadline). A
     * submitter sets `queued` and `qnext` (the inbox link) before it
     * publishes the future; see src/queue.c. */
    futurl_future *qprev, *qnext;
    int queued;           /* in the run queue */
    int parked;           /* deferred by its job, waiting to re-run */
    int wake_pending;     /* woken while its job was still running */
    size_t heap_index;    /* position in the timer heap, or SIZE_MAX */
    uint64_t wake_ns;     /* heap key: when the timer acts on it */
    uint64_t deadline_ns; /* monotonic; 0: none */
};

/* The future lock: a future has no mutex of its own but shares one of a
 * fixed set, chosen by its address (futures are many and short-lived; a
 * mutex and a condition variable each would cost 88 bytes and two init and
 * destroy calls per job). No code holds two future locks at once. */
#define FUTURL__LOCK_STRIPES 64u
extern pthread_mutex_t futurl__future_locks[FUTURL__LOCK_STRIPES];
static inline pthread_mutex_t *futurl__future_lock(const futurl_future *f) {
    return &futurl__future_locks[((uintptr_t)f / 64u) % FUTURL__LOCK_STRIPES];
}

/* A new PENDING future for fn(arg) with two references (caller + executor),
 * run by owner. */
futurl_future *futurl__future_new(futurl__future_owner *owner, futurl_job_fn fn,
                                  void *arg, futurl_free_fn free_arg,
                                  futurl_free_fn free_result);

/* Free f now, whatever its references (a future never handed out, or one
 * whose last reference futurl__future_unref() dropped). */
void futurl__future_discard(futurl_future *f);

/* Drop one reference without freeing; returns 1 if it was the last, and the
 * caller must then call futurl__future_discard(f). */
int futurl__future_unref(futurl_future *f);

/* Finish f exactly once: free its argument, record the outcome (steals
 * result and errmsg), wake waiters, then run the callbacks on this thread.
 * The caller must own a reference, kept across the call. */
void futurl__complete(futurl_future *f, futurl_status status, void *result, char *errmsg);

/* futurl__complete() in two steps, for a caller with something to do
 * before callbacks run on its thread: the first frees the argument, makes
 * f final and returns 1 if that settled it (nobody watched: no callback
 * will run); else 0, and the caller must call futurl__complete_watched(f),
 * which runs the callbacks and wakes waiters. */
int futurl__complete_begin(futurl_future *f, futurl_status status, void *result,
                           char *errmsg);
void futurl__complete_watched(futurl_future *f);

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

/*
 * Cancel against completion: one word decides which came first, without a
 * lock on the completion path. A canceller swings cancel_requested
 * NONE -> REQUESTED, a completer NONE -> CLAIMED, each with one
 * compare-and-swap; whoever finds the other's value lost. So "cancel took
 * effect" (futurl_future_cancel returns 1) and "the outcome was recorded
 * first" (it returns 0) never both hold. Every completion claims
 * (futurl__complete); the HTTP job claims before it returns its outcome,
 * and turns a lost claim into FUTURL_ECANCELED, so that for HTTP futures
 * cancel's 1 means the future ends CANCELLED. A generic job's outcome
 * stands either way.
 */
enum {
    FUTURL__CANCEL_NONE = 0,
    FUTURL__CANCEL_REQUESTED = 1,
    FUTURL__CANCEL_CLAIMED = 2
};

/* Swing f's cancel word from NONE to `to`. Returns 1 if it holds `to`
 * (now or before), 0 if the other side got there first. */
static inline int futurl__future_cancel_word(futurl_future *f, int to) {
    int seen = FUTURL__CANCEL_NONE;
    return atomic_compare_exchange_strong_explicit(&f->cancel_requested, &seen, to,
                                                   memory_order_acq_rel,
                                                   memory_order_acquire) ||
           seen == to;
}

/* Flag f cancelled unless its outcome was claimed first. Returns 1 if f is
 * flagged (now or before), 0 if its outcome was claimed. */
static inline int futurl__future_flag_cancel(futurl_future *f) {
    return futurl__future_cancel_word(f, FUTURL__CANCEL_REQUESTED);
}

/* Claim f's outcome unless a cancel was flagged first. Returns 1 if the
 * outcome is claimed (now or before), 0 if a cancel came first. */
static inline int futurl__future_claim(futurl_future *f) {
    return futurl__future_cancel_word(f, FUTURL__CANCEL_CLAIMED);
}

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

/* The result destructor f was submitted with (the HTTP layer uses it to
 * recognise its own futures: futurl_future_response). */
futurl_free_fn futurl__future_free_result_fn(const futurl_future *f);

/* The argument f was submitted with (borrowed; valid until the job has
 * finished, i.e. inside the job and before completion). */
void *futurl__future_arg(const futurl_future *f);

#endif
