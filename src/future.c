/*
 * src/future.c — one completion: creation and release (reference counted
 * between the caller and the executor), the single completion path
 * futurl__complete(), polling and done-callbacks. Queue membership and
 * cancellation of queued work belong to src/executor.c, which the future
 * reaches only through its owner record (future.h); waiting belongs to
 * src/wait.c.
 */
#include "future.h"

#include "cells.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ future locks */

#define LOCK1 PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
#define LOCK8 LOCK1, LOCK1, LOCK1, LOCK1, LOCK1, LOCK1, LOCK1, LOCK1
pthread_mutex_t futurl__future_locks[FUTURL__LOCK_STRIPES] = {
    LOCK8, LOCK8, LOCK8, LOCK8, LOCK8, LOCK8, LOCK8, LOCK8};

/* ------------------------------------------------------------------ futex */

static void futex_wake_all(atomic_int *word) {
    syscall(SYS_futex, (int *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* ------------------------------------------------------------- life cycle */

/* A future lives in one cell (cells.h). */
_Static_assert(sizeof(futurl_future) <= FUTURL__CELL_USABLE, "a future fits a cell");

futurl_future *futurl__future_new(futurl__future_owner *owner, futurl_job_fn fn,
                                  void *arg, futurl_free_fn free_arg,
                                  futurl_free_fn free_result) {
    futurl_future *f = futurl__cell_alloc();
    if (!f)
        return NULL;
    atomic_init(&f->state, FUTURL_PENDING);
    atomic_init(&f->refs, 2);
    atomic_init(&f->cancel_requested, FUTURL__CANCEL_NONE);
    atomic_init(&f->settled, 0);
    atomic_init(&f->gate, FUTURL__GATE_OPEN);
    atomic_init(&f->cq_attached, 0);
    f->fn = fn;
    f->arg = arg;
    f->free_arg = free_arg;
    f->free_result = free_result;
    f->owner = owner;
    f->status = FUTURL_EPENDING;
    f->callbacks_tail = &f->callbacks;
    f->heap_index = SIZE_MAX;
    return f;
}

static void future_destroy(futurl_future *f) {
    if (f->free_result && f->result)
        f->free_result(f->result);
    free(f->errmsg);
    futurl__cell_free(f);
}

void futurl__future_discard(futurl_future *f) {
    future_destroy(f);
}

int futurl__future_unref(futurl_future *f) {
    return atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1;
}

void futurl__future_release(futurl_future *f) {
    if (futurl__future_unref(f))
        future_destroy(f);
}

void futurl_future_free(futurl_future *f) {
    if (f)
        futurl__future_release(f);
}

/* ------------------------------------------------------------- completion */

static futurl_state final_state(futurl_status status) {
    if (status == FUTURL_OK)
        return FUTURL_DONE;
    if (status == FUTURL_ECANCELED)
        return FUTURL_CANCELLED;
    return FUTURL_FAILED;
}

/* The owner's complete hook, if any (see futurl__complete_hook). */
static void tell_owner(futurl_future *f) {
    futurl__future_owner *o = f->owner;
    if (o->on_complete)
        o->on_complete(o->on_complete_data, f);
}

/* Settle f (with its lock held): wake waiters and notify gathers. Returns
 * 1 if a thread sleeps on f and futex_wake_all() is due after unlocking. */
static int settle_locked(futurl_future *f, int failed) {
    atomic_store_explicit(&f->settled, 1, memory_order_release);
    /* next is read first: a notify may unlink its own link and hand it to
     * a thread that frees it (a completion queue's entry, src/cq.c). */
    for (futurl__wait_link *l = f->links, *next; l; l = next) {
        next = l->next;
        l->watcher->notify(l->watcher, l->index, failed);
    }
    return f->sleepers != 0;
}

int futurl__complete_begin(futurl_future *f, futurl_status status, void *result,
                           char *errmsg) {
    /* From here on a cancel does not take effect (it returns 0), unless one
     * already did (a cancel, or a job that claimed itself: see future.h). */
    (void)futurl__future_claim(f);

    /* The argument is the job's; it is done with it. Freed before anyone
     * can observe the final state, so a woken waiter may reuse what arg
     * pointed to. */
    if (f->free_arg)
        f->free_arg(f->arg);
    f->arg = NULL;

    f->status = status;
    f->result = result;
    f->errmsg = errmsg;
    atomic_store_explicit(&f->state, final_state(status), memory_order_release);

    /* Nobody registered anything: settled at once, without the lock (the
     * gate's CAS publishes status, result and errmsg to whoever finds it
     * SETTLED). */
    int gate = FUTURL__GATE_OPEN;
    if (atomic_compare_exchange_strong_explicit(&f->gate, &gate, FUTURL__GATE_SETTLED,
                                                memory_order_acq_rel,
                                                memory_order_acquire)) {
        atomic_store_explicit(&f->settled, 1, memory_order_release);
        tell_owner(f);
        return 1;
    }
    return 0;
}

void futurl__complete_watched(futurl_future *f) {
    int failed = atomic_load_explicit(&f->state, memory_order_relaxed) == FUTURL_FAILED;
    pthread_mutex_t *lock = futurl__future_lock(f);
    pthread_mutex_lock(lock);
    futurl__callback *cb = f->callbacks;
    f->callbacks = NULL;
    f->callbacks_tail = &f->callbacks;
    if (cb)
        f->settling_thread = pthread_self();
    tell_owner(f);
    /* Without callbacks, final and settled are one step: one lock section. */
    int wake = cb ? 0 : settle_locked(f, failed);
    pthread_mutex_unlock(lock);
    if (wake)
        futex_wake_all(&f->settled);
    if (!cb)
        return;

    /* Callbacks registered before completion, in the order added. Ones
     * added from now on see the final state and run in on_done itself. */
    while (cb) {
        futurl__callback *next = cb->next;
        cb->fn(f, cb->userdata);
        free(cb);
        cb = next;
    }

    /* Only now wake waiters: once wait() or gather() returns, no callback
     * registered before completion is still running, so the caller may
     * free whatever those callbacks use. */
    pthread_mutex_lock(lock);
    wake = settle_locked(f, failed);
    pthread_mutex_unlock(lock);
    if (wake)
        futex_wake_all(&f->settled);
}

void futurl__complete(futurl_future *f, futurl_status status, void *result,
                      char *errmsg) {
    if (!futurl__complete_begin(f, status, result, errmsg))
        futurl__complete_watched(f);
}

int futurl__watch(futurl_future *f) {
    if (atomic_load_explicit(&f->settled, memory_order_acquire))
        return 1;
    int gate = FUTURL__GATE_OPEN;
    if (!atomic_compare_exchange_strong_explicit(&f->gate, &gate, FUTURL__GATE_WATCHED,
                                                 memory_order_acq_rel,
                                                 memory_order_acquire) &&
        gate == FUTURL__GATE_SETTLED)
        return 1; /* completed without the lock; settled is about to read 1 */
    /* A callback waiting on its own future must not wait for itself. */
    return futurl__is_final(atomic_load_explicit(&f->state, memory_order_acquire)) &&
           pthread_equal(f->settling_thread, pthread_self());
}

/* ---------------------------------------------------------------- queries */

static int load_state(const futurl_future *f) {
    return atomic_load_explicit(&((futurl_future *)f)->state, memory_order_acquire);
}

int futurl_future_done(const futurl_future *f) {
    return f && futurl__is_final(load_state(f));
}

futurl_state futurl_future_state(const futurl_future *f) {
    return f ? (futurl_state)load_state(f) : FUTURL_PENDING;
}

futurl_status futurl_future_status(const futurl_future *f) {
    if (!f)
        return FUTURL_EINVAL;
    return futurl__is_final(load_state(f)) ? f->status : FUTURL_EPENDING;
}

void *futurl_future_result(const futurl_future *f) {
    return f && futurl__is_final(load_state(f)) ? f->result : NULL;
}

const char *futurl_future_errmsg(const futurl_future *f) {
    if (!f)
        return futurl_strerror(FUTURL_EINVAL);
    if (!futurl__is_final(load_state(f)) || f->status == FUTURL_OK)
        return "";
    return f->errmsg ? f->errmsg : futurl_strerror(f->status);
}

futurl_free_fn futurl__future_free_result_fn(const futurl_future *f) {
    return f->free_result;
}

void *futurl__future_arg(const futurl_future *f) {
    return f->arg;
}

/* ----------------------------------------------------------- cancellation */

int futurl_future_cancel(futurl_future *f) {
    if (!f || futurl__is_final(load_state(f)))
        return 0;
    return f->owner->cancel(f->owner, f);
}

/* ------------------------------------------------------------- callbacks */

futurl_status futurl_future_on_done(futurl_future *f, futurl_done_fn fn, void *userdata) {
    if (!f || !fn)
        return FUTURL_EINVAL;
    if (!futurl__is_final(load_state(f))) {
        futurl__callback *cb = malloc(sizeof *cb);
        if (!cb)
            return FUTURL_ENOMEM;
        cb->fn = fn;
        cb->userdata = userdata;
        cb->next = NULL;
        pthread_mutex_t *lock = futurl__future_lock(f);
        pthread_mutex_lock(lock);
        if (!futurl__watch(f) && !futurl__is_final(load_state(f))) {
            *f->callbacks_tail = cb;
            f->callbacks_tail = &cb->next;
            pthread_mutex_unlock(lock);
            return FUTURL_OK;
        }
        pthread_mutex_unlock(lock);
        free(cb);
    }
    fn(f, userdata); /* already finished: run now, on this thread */
    return FUTURL_OK;
}
