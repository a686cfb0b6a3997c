/*
 * src/executor.c — the run-in-executor core's state machine: options,
 * create, submit (with backpressure), cancel and shutdown, and the hooks
 * the HTTP layer follows its futures by. What it drives lives beside it:
 * the run queue and its inbox (queue.c), the timer heap (heap.c), the
 * worker and timer threads with parking (worker.c), on the state they
 * share (executor_data.h).
 */
#include "executor.h"

#include "executor_data.h"

#include "clock.h"
#include "heap.h"
#include "queue.h"
#include "wait.h"
#include "worker.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WORKERS  1024u
#define ROOM_POLL_MS 5 /* a blocked submitter looks for room this often */

/* 1 if this thread cannot shut ex down without waiting for itself: one of
 * its workers, or a thread under a wait guard for ex — its timer thread, or
 * one running callbacks inside a shutdown of ex (see src/wait.h). */
static int own_thread(const futurl_executor *ex) {
    return futurl__worker_of(ex) || futurl__wait_guarded(&ex->owner);
}

/* ---------------------------------------------------------------- options */

static unsigned default_workers(void) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    return cpus + 4 < 32 ? (unsigned)cpus + 4 : 32;
}

void futurl_executor_options_init(futurl_executor_options *opts) {
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->workers = default_workers();
    opts->queue_capacity = FUTURL_DEFAULT_QUEUE_CAPACITY;
    opts->thread_name = "futurl";
}

/* ------------------------------------------------------------------ queue */

/* ------------------------------------------------------------- timer heap */

/* ----------------------------------------------------------------- worker */

/* ------------------------------------------------------------- job access */

void futurl__executor_wake(futurl_executor *ex, futurl_future *f) {
    /* From inside futurl__job_hand_off on a worker of ex (the HTTP layer
     * passing a per-host slot on as its attempt ends): this worker looks at
     * the queue again in a moment, so it owes f's wake-up instead of waking
     * another — on a host limited to one request at a time, the next one
     * then runs on the same thread without a context switch. The wake-up is
     * paid before any callback runs on this worker, and when it finds more
     * queued than it takes. Anywhere else in a job (user code: a chunk
     * callback, a generic job cancelling a request) the job may go on for
     * long, so a worker is woken as from any other thread. */
    worker *self = futurl__worker_handing_off(ex);
    pthread_mutex_lock(&ex->lock);
    int st = atomic_load_explicit(&f->state, memory_order_acquire);
    if (f->parked)
        futurl__unpark(ex, f, self);
    else if (st == FUTURL_RUNNING)
        f->wake_pending = 1; /* its job is about to park it */
    pthread_mutex_unlock(&ex->lock);
}

void futurl__executor_set_complete_hook(futurl_executor *ex, futurl__complete_hook fn,
                                        void *userdata) {
    ex->owner.on_complete = fn;
    ex->owner.on_complete_data = userdata;
}

void futurl__executor_set_cancel_hook(futurl_executor *ex, futurl__cancel_hook fn,
                                      void *userdata) {
    ex->on_cancel = fn;
    ex->on_cancel_data = userdata;
}

void futurl__executor_set_abandon_hook(futurl_executor *ex, futurl__abandon_hook fn,
                                       void *userdata) {
    ex->on_abandon = fn;
    ex->on_abandon_data = userdata;
}

size_t futurl__executor_parked(futurl_executor *ex) {
    return atomic_load_explicit(&ex->nparked, memory_order_relaxed);
}

/* ---------------------------------------------------------------- create */

static int executor_cancel(futurl__future_owner *owner, futurl_future *f);

static void executor_free(futurl_executor *ex) {
    pthread_cond_destroy(&ex->timer_cv);
    pthread_cond_destroy(&ex->joined_cv);
    pthread_cond_destroy(&ex->not_full);
    pthread_cond_destroy(&ex->not_empty);
    pthread_mutex_destroy(&ex->lock);
    free(ex->heap);
    free(ex->workers);
    free(ex);
}

futurl_status futurl_executor_create(const futurl_executor_options *opts,
                                     futurl_executor **out) {
    if (!out)
        return FUTURL_EINVAL;
    *out = NULL;
    futurl_executor_options o;
    if (opts)
        o = *opts;
    else
        futurl_executor_options_init(&o);
    if (o.workers == 0)
        o.workers = default_workers();
    if (o.queue_capacity == 0)
        o.queue_capacity = FUTURL_DEFAULT_QUEUE_CAPACITY;
    if (o.workers > MAX_WORKERS)
        return FUTURL_EINVAL;

    /* Aligned for the submitters' line (see struct futurl_executor). */
    futurl_executor *ex = aligned_alloc(_Alignof(futurl_executor), sizeof *ex);
    if (!ex)
        return FUTURL_ENOMEM;
    memset(ex, 0, sizeof *ex);
    ex->workers = calloc(o.workers, sizeof *ex->workers);
    if (!ex->workers) {
        free(ex);
        return FUTURL_ENOMEM;
    }
    /* Adaptive: spin briefly before sleeping. Critical sections here are a
     * few pointer moves, so a contended lock is usually free again within
     * the spin, without a futex call. */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    int mrc = pthread_mutex_init(&ex->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (mrc != 0) {
        free(ex->workers);
        free(ex);
        return FUTURL_ENOMEM;
    }
    /* Condition variables on the monotonic clock for submit_timeout. */
    if (futurl__cond_init(&ex->not_empty) != 0 || futurl__cond_init(&ex->not_full) != 0 ||
        futurl__cond_init(&ex->joined_cv) != 0 || futurl__cond_init(&ex->timer_cv) != 0) {
        /* pthread_cond_destroy of an uninitialised cond is not allowed;
         * glibc's cond_init cannot fail with a valid attr, so this path is
         * out-of-memory only in theory. */
        pthread_mutex_destroy(&ex->lock);
        free(ex->workers);
        free(ex);
        return FUTURL_ENOMEM;
    }
    ex->owner.cancel = executor_cancel;
    ex->opts = o;
    ex->capacity = o.queue_capacity;
    ex->nworkers = o.workers;
    snprintf(ex->name, sizeof ex->name, "%s", o.thread_name ? o.thread_name : "futurl");
    ex->opts.thread_name = NULL; /* copied into name; the caller's may go */

    /* One worker now, so that a pool that cannot start threads fails
     * here; the others start when work finds every started one busy. */
    pthread_mutex_lock(&ex->lock);
    int rc = futurl__start_worker(ex, 0);
    pthread_mutex_unlock(&ex->lock);
    if (rc != 0) {
        executor_free(ex);
        return FUTURL_ETHREAD;
    }
    *out = ex;
    return FUTURL_OK;
}

/* ---------------------------------------------------------------- submit */

futurl_status futurl__executor_submit(futurl_executor *ex, futurl_job_fn fn, void *arg,
                                      futurl_free_fn free_arg, futurl_free_fn free_result,
                                      long timeout_ms, uint64_t deadline_ns,
                                      futurl_future **out) {
    if (out)
        *out = NULL;
    if (!ex || !fn || !out)
        return FUTURL_EINVAL;
    futurl_future *f = futurl__future_new(&ex->owner, fn, arg, free_arg, free_result);
    if (!f)
        return FUTURL_ENOMEM;
    f->deadline_ns = deadline_ns;

    /* The common case, without the lock: room in the queue, no deadline. */
    if (!deadline_ns && futurl__slot_reserve(ex)) {
        f->queued = 1;
        if (futurl__inbox_push(ex, f) != 0) {
            futurl__slot_unreserve(ex);
            futurl__future_discard(f);
            return FUTURL_ESHUTDOWN;
        }
        if (atomic_load_explicit(&ex->idle, memory_order_seq_cst) >
                atomic_load_explicit(&ex->waking, memory_order_seq_cst) ||
            atomic_load_explicit(&ex->started, memory_order_relaxed) < ex->nworkers) {
            pthread_mutex_lock(&ex->lock);
            futurl__wake_worker(ex);
            pthread_mutex_unlock(&ex->lock);
        }
        *out = f;
        return FUTURL_OK;
    }

    /* A worker (or the timer thread) must never block on a pool: if every
     * worker did, no one would ever make room. */
    if (futurl__on_worker_thread())
        timeout_ms = 0;
    struct timespec deadline;
    int timed = futurl__deadline(timeout_ms, &deadline);

    futurl_status st = FUTURL_OK;
    int expired = 0;
    pthread_mutex_lock(&ex->lock);
    for (;;) {
        if (ex->closed) {
            st = FUTURL_ESHUTDOWN;
            break;
        }
        if (futurl__slot_reserve(ex))
            break;
        if (timeout_ms == 0 || expired) {
            st = FUTURL_EQUEUEFULL;
            break;
        }
        /* Workers signal only once the queue is down to half (one wake-up
         * admits a batch); meanwhile look again every ROOM_POLL_MS, so a
         * slow pool never keeps a submitter waiting long past the first
         * free slot. */
        struct timespec poll;
        futurl__deadline(ROOM_POLL_MS, &poll);
        int poll_first =
            !timed || poll.tv_sec < deadline.tv_sec ||
            (poll.tv_sec == deadline.tv_sec && poll.tv_nsec < deadline.tv_nsec);
        ex->blocked++;
        int rc = pthread_cond_timedwait(&ex->not_full, &ex->lock,
                                        poll_first ? &poll : &deadline);
        ex->blocked--;
        expired = rc == ETIMEDOUT && !poll_first; /* one last look, then give up */
    }
    if (st == FUTURL_OK && deadline_ns && futurl__timer_insert(ex, f, deadline_ns) != 0) {
        futurl__slot_unreserve(ex);
        st = FUTURL_ENOMEM;
    }
    if (st == FUTURL_OK) {
        futurl__take_inbox(ex, 0); /* those submitted before f go first */
        futurl__queue_link(ex, f);
        futurl__wake_worker(ex);
    } else if (ex->blocked && !ex->closed && futurl__slots_used(ex) < ex->capacity) {
        /* We may have swallowed a wake-up meant for room in the queue. */
        pthread_cond_signal(&ex->not_full);
    }
    pthread_mutex_unlock(&ex->lock);

    if (st != FUTURL_OK) {
        futurl__future_discard(f);
        return st;
    }
    *out = f;
    return FUTURL_OK;
}

futurl_status futurl_executor_submit_timeout(futurl_executor *ex, futurl_job_fn fn,
                                             void *arg, futurl_free_fn free_arg,
                                             futurl_free_fn free_result, long timeout_ms,
                                             futurl_future **out) {
    return futurl__executor_submit(ex, fn, arg, free_arg, free_result, timeout_ms, 0,
                                   out);
}

futurl_status futurl_executor_submit(futurl_executor *ex, futurl_job_fn fn, void *arg,
                                     futurl_free_fn free_arg, futurl_free_fn free_result,
                                     futurl_future **out) {
    return futurl_executor_submit_timeout(ex, fn, arg, free_arg, free_result, -1, out);
}

futurl_status futurl_executor_try_submit(futurl_executor *ex, futurl_job_fn fn, void *arg,
                                         futurl_free_fn free_arg,
                                         futurl_free_fn free_result,
                                         futurl_future **out) {
    return futurl_executor_submit_timeout(ex, fn, arg, free_arg, free_result, 0, out);
}

/* ---------------------------------------------------------- cancellation */

/* The cancelling half that belongs to the executor (its owner record's
 * cancel: see futurl__future_owner in future.h). */
static int executor_cancel(futurl__future_owner *owner, futurl_future *f) {
    futurl_executor *ex =
        (futurl_executor *)(void *)((char *)owner - offsetof(futurl_executor, owner));
    pthread_mutex_lock(&ex->lock);
    int st = atomic_load_explicit(&f->state, memory_order_acquire);
    int took = 0, dequeued = 0, running = 0;
    if (st == FUTURL_PENDING && f->queued) {
        futurl__take_inbox(ex, 0); /* f may still be there */
        futurl__queue_unlink(ex, f);
        futurl__heap_remove(ex, f);
        if (ex->blocked) /* its slot goes to a waiting submitter now */
            pthread_cond_signal(&ex->not_full);
        dequeued = took = 1;
    } else if (st == FUTURL_PENDING && f->parked) {
        futurl__heap_remove(ex, f);
        futurl__unmark_parked(ex, f, 1);
        if (ex->blocked) /* likewise */
            pthread_cond_signal(&ex->not_full);
        dequeued = took = 1;
    } else if (st == FUTURL_RUNNING && futurl__future_flag_cancel(f)) {
        took = running = 1;
        futurl__future_ref(f); /* kept alive for the hook below */
    }
    /* RUNNING and not flagged: its outcome was claimed first. PENDING but
     * neither queued nor parked: another thread is finishing it (cancelled
     * or timed out). */
    pthread_mutex_unlock(&ex->lock);

    if (dequeued) {
        (void)futurl__future_flag_cancel(f); /* queued or parked: never claimed */
        futurl__executor_abandon(ex, f, FUTURL_ECANCELED, NULL);
        futurl__future_release(f); /* the executor's reference */
    }
    if (running) {
        if (ex->on_cancel)
            ex->on_cancel(ex->on_cancel_data, f);
        futurl__future_release(f);
    }
    return took;
}

/* -------------------------------------------------------------- shutdown */

/* Finish a chain of futures (linked through qnext) cancelled. */
static void complete_cancelled(futurl_executor *ex, futurl_future *chain) {
    while (chain) {
        futurl_future *next = chain->qnext;
        chain->qprev = chain->qnext = NULL;
        (void)futurl__future_flag_cancel(chain);
        futurl__executor_abandon(ex, chain, FUTURL_ECANCELED, NULL);
        futurl__future_release(chain);
        chain = next;
    }
}

futurl_status futurl_executor_shutdown(futurl_executor *ex, futurl_shutdown_mode how) {
    if (!ex || (how != FUTURL_DRAIN && how != FUTURL_CANCEL_PENDING))
        return FUTURL_EINVAL;
    if (own_thread(ex))
        return FUTURL_EDEADLK;

    /* Running futures to interrupt through the cancel hook. */
    futurl_future **interrupted =
        how == FUTURL_CANCEL_PENDING ? calloc(ex->nworkers, sizeof *interrupted) : NULL;
    size_t ninterrupted = 0;

    pthread_mutex_lock(&ex->lock);
    ex->closed = 1;
    futurl__take_inbox(ex, 1); /* the last submissions; none can follow */
    futurl_future *cancelled = NULL;
    if (how == FUTURL_CANCEL_PENDING) {
        while (ex->head) {
            futurl_future *f = ex->head;
            futurl__queue_unlink(ex, f);
            futurl__heap_remove(ex, f);
            f->qnext = cancelled;
            cancelled = f;
        }
        for (unsigned i = 0; i < ex->nworkers; i++) {
            futurl_future *f = ex->workers[i].current;
            if (f && futurl__future_flag_cancel(f)) { /* not if already claimed */
                if (ex->on_cancel && interrupted) {   /* no memory: the flag will do */
                    futurl__future_ref(f);            /* for the hook, after the unlock */
                    interrupted[ninterrupted++] = f;
                }
            }
        }
    }
    /* Parked futures end cancelled in both modes: draining runs what is
     * queued, it does not wait out backoffs. No job can park from now on.
     * The heap is compacted in one pass and rebuilt, never futurl__heap_remove()d
     * while walked by index (a removal moves entries across the walk). */
    size_t keep = 0;
    for (size_t i = 0; i < ex->heap_len; i++) {
        futurl_future *f = ex->heap[i];
        if (f->parked) {
            f->heap_index = SIZE_MAX;
            futurl__unmark_parked(ex, f, 1);
            f->qnext = cancelled;
            cancelled = f;
        } else {
            futurl__heap_set(ex, keep++, f);
        }
    }
    ex->heap_len = keep;
    for (size_t i = keep / 2; i-- > 0;)
        futurl__heap_sift_down(ex, i);
    pthread_cond_signal(&ex->timer_cv);
    pthread_cond_broadcast(&ex->not_empty);
    pthread_cond_broadcast(&ex->not_full);
    int first = !ex->joining;
    ex->joining = 1;
    unsigned started = atomic_load_explicit(&ex->started, memory_order_relaxed);
    pthread_mutex_unlock(&ex->lock); /* `closed` is set: none start after this */

    /* Outside the lock: their callbacks run here, under a guard: until
     * this thread is through the chain, a callback that waited for a future
     * of ex could wait for one that only this thread will end, and a
     * nested shutdown for the join below. Both fail FUTURL_EDEADLK there. */
    futurl__wait_guard guard;
    futurl__wait_guard_push(&guard, &ex->owner);
    complete_cancelled(ex, cancelled);
    for (size_t i = 0; i < ninterrupted; i++) {
        ex->on_cancel(ex->on_cancel_data, interrupted[i]);
        futurl__future_release(interrupted[i]);
    }
    futurl__wait_guard_pop(&guard);
    free(interrupted);

    if (first) {
        for (unsigned i = 0; i < started; i++)
            pthread_join(ex->workers[i].thread, NULL);
        pthread_mutex_lock(&ex->lock);
        ex->timer_stop = 1;
        pthread_cond_signal(&ex->timer_cv);
        int timer = ex->timer_started;
        pthread_mutex_unlock(&ex->lock);
        if (timer)
            pthread_join(ex->timer, NULL);
        pthread_mutex_lock(&ex->lock);
        ex->joined = 1;
        pthread_cond_broadcast(&ex->joined_cv);
        pthread_mutex_unlock(&ex->lock);
    } else {
        pthread_mutex_lock(&ex->lock);
        while (!ex->joined)
            pthread_cond_wait(&ex->joined_cv, &ex->lock);
        pthread_mutex_unlock(&ex->lock);
    }
    return FUTURL_OK;
}

void futurl_executor_destroy(futurl_executor *ex) {
    if (!ex)
        return;
    /* From a worker thread this cannot join (EDEADLK): leaking the
     * executor is then the only safe choice. */
    if (futurl_executor_shutdown(ex, FUTURL_DRAIN) != FUTURL_OK)
        return;
    executor_free(ex);
}

unsigned futurl_executor_workers(const futurl_executor *ex) {
    return ex ? ex->nworkers : 0;
}

unsigned futurl_executor_threads(const futurl_executor *ex) {
    return ex ? atomic_load_explicit(&ex->started, memory_order_relaxed) : 0;
}

size_t futurl_executor_queued(futurl_executor *ex) {
    if (!ex)
        return 0;
    /* Parked futures hold slots too; they are not queued. */
    size_t parked = atomic_load_explicit(&ex->nparked, memory_order_relaxed);
    size_t used = futurl__slots_used(ex);
    return used > parked ? used - parked : 0;
}
