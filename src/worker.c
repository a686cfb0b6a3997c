/*
 * src/worker.c — the executor's threads and what runs on them: the
 * workers, started on demand, that take futures from the run queue and
 * run their jobs; the jobs' own view (futurl_job_*); parking, where a job
 * hands its future to the timer heap and the timer thread gives it back
 * to the run queue when it is due, or ends it at its deadline.
 *
 * Workers and the timer thread live in one file because each drives the
 * other: a worker parks futures into the heap, and the timer thread wakes
 * (or starts) workers for the futures it unparks.
 *
 * Workers start on demand, as in Python's ThreadPoolExecutor: create starts
 * one, and whoever finds every started worker busy when it queues work
 * starts another, up to `nworkers` (futurl__wake_worker). A pool of 32 for a few
 * requests costs one thread, and creating it costs no thread start-up per
 * worker; a burst of work starts the rest, each as it is needed.
 */
#include "worker.h"

#include "clock.h"
#include "heap.h"
#include "job.h"
#include "queue.h"
#include "wait.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The worker this thread is, for the submit-from-a-worker and
 * shutdown-from-a-worker rules. */
static _Thread_local worker *current_worker;

/* The executor whose timer thread this is: callbacks of futures that
 * expire run there, and must not block on (or shut down) their pool. */
static _Thread_local futurl_executor *current_timer;

int futurl__on_worker_thread(void) {
    return current_worker != NULL || current_timer != NULL;
}

/* 1 if the calling thread is one of ex's workers. */
int futurl__worker_of(const futurl_executor *ex) {
    return current_worker != NULL && current_worker->ex == ex;
}

/* The calling thread's worker if it is one of ex's and inside
 * futurl__job_hand_off, else NULL. */
worker *futurl__worker_handing_off(const futurl_executor *ex) {
    worker *self = current_worker;
    return self != NULL && self->ex == ex && self->hand_off ? self : NULL;
}

/* Start one of the executor's threads (a worker or the timer) with every
 * signal blocked: signals go to the application's threads, never interrupt
 * a job, and SIGPIPE from a dead peer cannot kill the process. The mask is
 * the new thread's own (an attribute), so the calling thread's is never
 * touched: a signal for it cannot be held back and then handled here, with
 * ex->lock held. Returns 0 or an errno value. */
static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg) {
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0)
        return rc;
    sigset_t all;
    sigfillset(&all);
    rc = pthread_attr_setsigmask_np(&attr, &all);
    if (rc == 0)
        rc = pthread_create(t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return rc;
}

static void *worker_main(void *p);

/* Start the next worker, unless all have started or the executor is shut
 * down. Until it reaches its loop, the new worker counts as an idle one
 * (worker_main) — one already woken if `for_work` (the work that started
 * it is its to take), one still to wake if not (a submission then wakes
 * it, instead of starting yet another while it is on its way). Returns 0,
 * or -1 if no thread could be created (the work then waits for the
 * workers already running; the next futurl__wake_worker tries again). With
 * ex->lock held: shutdown joins `started` threads once it has set
 * `closed`, so none can start behind its back. */
int futurl__start_worker(futurl_executor *ex, int for_work) {
    unsigned n = atomic_load_explicit(&ex->started, memory_order_relaxed);
    if (n >= ex->nworkers || ex->closed)
        return 0;
    worker *w = &ex->workers[n];
    w->ex = ex;
    w->index = n;
    atomic_fetch_add_explicit(&ex->idle, 1, memory_order_seq_cst);
    if (for_work)
        atomic_fetch_add_explicit(&ex->waking, 1, memory_order_seq_cst);
    if (start_thread(&w->thread, worker_main, w) != 0) {
        if (for_work)
            atomic_fetch_sub_explicit(&ex->waking, 1, memory_order_seq_cst);
        atomic_fetch_sub_explicit(&ex->idle, 1, memory_order_seq_cst);
        return -1;
    }
    atomic_store_explicit(&ex->started, n + 1, memory_order_relaxed);
    return 0;
}

/* Wake one idle worker, unless every idle one is already waking up: each
 * will look at the whole queue. With none to wake, start one more: the
 * work found every started worker busy — unless nothing is queued any
 * more: a worker that was between two looks at the queue when the
 * submitter read `idle` has taken the work meanwhile, and a new thread
 * would only sit idle. With ex->lock held. */
void futurl__wake_worker(futurl_executor *ex) {
    if (atomic_load_explicit(&ex->idle, memory_order_relaxed) >
        atomic_load_explicit(&ex->waking, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&ex->waking, 1, memory_order_seq_cst);
        pthread_cond_signal(&ex->not_empty);
    } else if (ex->head != NULL || futurl__inbox_has_work(ex)) {
        (void)futurl__start_worker(ex, 1);
    }
}

/* Finish f without its job (cancelled, shutdown, deadline): the abandon
 * hook may hand over what the job had (HTTP: the last response). */
void futurl__executor_abandon(futurl_executor *ex, futurl_future *f, futurl_status st,
                              const char *default_msg) {
    void *result = NULL;
    char *msg = NULL;
    if (ex->on_abandon)
        ex->on_abandon(ex->on_abandon_data, f, st, &result, &msg);
    if (msg == NULL && default_msg != NULL) {
        msg = malloc(strlen(default_msg) + 1);
        if (msg)
            strcpy(msg, default_msg);
    }
    futurl__complete(f, st, result, msg);
}

static void *timer_main(void *p);

/* Insert f keyed by wake_ns; starts the timer thread on first use and
 * wakes it when f becomes the earliest. Returns 0, or -1 when out of
 * memory or the timer thread cannot start. */
int futurl__timer_insert(futurl_executor *ex, futurl_future *f, uint64_t wake_ns) {
    if (futurl__heap_grow(ex) != 0)
        return -1;
    if (!ex->timer_started) {
        if (start_thread(&ex->timer, timer_main, ex) != 0)
            return -1;
        ex->timer_started = 1;
    }
    futurl__heap_push(ex, f, wake_ns);
    if (f->heap_index == 0)
        pthread_cond_signal(&ex->timer_cv);
    return 0;
}

/* A parked future re-enters the run queue with the slot it kept while
 * parked, so it needs no room (the timer thread must never block). Its
 * deadline watches it again while it waits there. A worker is woken for
 * it, unless `self` is given: that worker owes the wake-up then (see
 * futurl__executor_wake). */
void futurl__unpark(futurl_executor *ex, futurl_future *f, worker *self) {
    futurl__heap_remove(ex, f);
    futurl__unmark_parked(ex, f, 0);
    futurl__take_inbox(ex, 0); /* it goes behind what was submitted before */
    futurl__queue_link(ex, f);
    if (f->deadline_ns)
        (void)futurl__timer_insert(ex, f, f->deadline_ns); /* no memory: the job checks */
    if (self != NULL)
        self->owes_wake++;
    else
        futurl__wake_worker(ex);
}

/* Wake a worker for each future this one owes, but `keep` (1: the future
 * it has just taken from the queue stands for one), while any is queued.
 * With ex->lock held. */
static void pay_wakes(worker *w, unsigned keep) {
    unsigned owed = w->owes_wake > keep ? w->owes_wake - keep : 0;
    w->owes_wake = 0;
    for (; owed > 0 && w->ex->head != NULL; owed--)
        futurl__wake_worker(w->ex);
}

static void *timer_main(void *p) {
    futurl_executor *ex = p;
    current_timer = ex;
    /* Callbacks of expired futures run here: none may wait for a future of
     * ex, which may need this thread to unpark or expire it. */
    futurl__wait_guard guard;
    futurl__wait_guard_push(&guard, &ex->owner);
    pthread_setname_np(pthread_self(), "futurl-timer");
    pthread_mutex_lock(&ex->lock);
    while (!ex->timer_stop) {
        uint64_t now = futurl__now_ns();
        futurl_future *expired = NULL; /* queued past their deadline */
        while (ex->heap_len && ex->heap[0]->wake_ns <= now) {
            futurl_future *f = ex->heap[0];
            futurl__heap_remove(ex, f);
            int expires = f->deadline_ns && f->deadline_ns <= now;
            if (f->parked && !expires) {
                futurl__unpark(ex, f, NULL); /* due: back to the run queue */
                continue;
            }
            /* Its deadline passed while it waited to run (again): it ends
             * now, not when a worker gets to it. */
            if (f->parked)
                futurl__unmark_parked(ex, f, 1);
            else
                futurl__queue_unlink(ex, f);
            f->qnext = expired;
            expired = f;
        }
        if (expired) {
            pthread_mutex_unlock(&ex->lock);
            while (expired) {
                futurl_future *next = expired->qnext;
                expired->qnext = NULL;
                futurl__executor_abandon(ex, expired, FUTURL_ETIMEDOUT,
                                         "deadline passed before it could run");
                futurl__future_release(expired);
                expired = next;
            }
            pthread_mutex_lock(&ex->lock);
            continue;
        }
        if (ex->heap_len && ex->heap[0]->wake_ns != UINT64_MAX) {
            uint64_t at = ex->heap[0]->wake_ns;
            struct timespec ts = {(time_t)(at / 1000000000u), (long)(at % 1000000000u)};
            pthread_cond_timedwait(&ex->timer_cv, &ex->lock, &ts);
        } else {
            pthread_cond_wait(&ex->timer_cv, &ex->lock);
        }
    }
    pthread_mutex_unlock(&ex->lock);
    futurl__wait_guard_pop(&guard);
    return NULL;
}

/* Park f after its job returned FUTURL__DEFER. Returns 0 if parked (or
 * requeued at once), or a status to complete it with instead. */
static futurl_status park(worker *w, futurl_future *f, uint64_t due_ns) {
    futurl_executor *ex = w->ex;
    futurl_status st = FUTURL_OK;
    pthread_mutex_lock(&ex->lock);
    /* Once parked, f is another worker's (or the timer's) to run and free:
     * this worker must stop naming it before anyone else can see it. */
    w->current = NULL;
    if (ex->closed) {
        st = FUTURL_ECANCELED; /* shutdown ends parked work, cancelled */
    } else if (atomic_load_explicit(&f->cancel_requested, memory_order_relaxed) ==
               FUTURL__CANCEL_REQUESTED) {
        st = FUTURL_ECANCELED;
    } else {
        atomic_store_explicit(&f->state, FUTURL_PENDING, memory_order_release);
        f->parked = 1;
        atomic_fetch_add_explicit(&ex->nparked, 1, memory_order_relaxed);
        /* Its slot: taken without waiting (a worker never blocks), so it
         * may go past the capacity, by one per worker at most. */
        atomic_fetch_add_explicit(&ex->admitted, 1, memory_order_relaxed);
        /* Always in the heap, so shutdown finds every parked future; one
         * that waits only for a wake-up is keyed "never". */
        uint64_t wake = due_ns ? due_ns : UINT64_MAX;
        if (f->deadline_ns && f->deadline_ns < wake)
            wake = f->deadline_ns; /* the job then sees its deadline passed */
        if (f->wake_pending || wake <= futurl__now_ns()) {
            f->wake_pending = 0;
            futurl__unpark(ex, f, NULL);
        } else if (futurl__timer_insert(ex, f, wake) != 0) {
            futurl__unmark_parked(ex, f, 1);
            atomic_store_explicit(&f->state, FUTURL_RUNNING, memory_order_release);
            st = FUTURL_ENOMEM;
        }
    }
    if (st != FUTURL_OK)
        w->current = f; /* not parked: still ours to complete */
    pthread_mutex_unlock(&ex->lock);
    return st;
}

/* Pay the wake-ups this worker owes before user code runs on it (a
 * callback could wait for a future they were for). */
static void pay_wakes_before_callbacks(worker *w) {
    if (!w->owes_wake)
        return;
    pthread_mutex_lock(&w->ex->lock);
    pay_wakes(w, 0);
    pthread_mutex_unlock(&w->ex->lock);
}

/* Run f's job. Returns 1 if f was parked (the executor's reference now
 * belongs to the parked future), 0 if it completed. */
static int run_job(worker *w, futurl_future *f) {
    futurl_job job = {.future = f, .w = w};
    void *result = NULL;
    futurl_status st = f->fn(&job, f->arg, &result);
    if (job.deferred) {
        free(job.errmsg); /* an attempt's message, not this outcome's */
        st = park(w, f, job.due_ns);
        if (st == FUTURL_OK)
            return 1;
        pay_wakes_before_callbacks(w);
        /* Shut down or cancelled meanwhile, or no memory to park: only
         * internal (HTTP) jobs defer, and for them a cancel that took
         * effect wins (future.h). */
        if (st != FUTURL_ECANCELED && !futurl__future_claim(f))
            st = FUTURL_ECANCELED;
        futurl__executor_abandon(w->ex, f, st, NULL);
        return 0;
    }
    if (st > 0) { /* not a futurl_status a job may return */
        futurl_job_set_errmsg(&job, "job returned %d, which is not a futurl_status",
                              (int)st);
        st = FUTURL_EJOB;
    }
    if (st == FUTURL_OK) { /* a message set on the way is not an error */
        free(job.errmsg);
        job.errmsg = NULL;
    }
    /* A wake-up owed is paid only if callbacks are to run here. The
     * destructor of the argument runs first: it is the HTTP layer's, the
     * only code that wakes futures from inside a job. */
    if (!futurl__complete_begin(f, st, result, job.errmsg)) {
        pay_wakes_before_callbacks(w);
        futurl__complete_watched(f);
    }
    return 0;
}

/* A worker stops counting itself idle; `woken`: it slept (or was starting),
 * so a pending signal may be its. Whoever wakes takes a pending signal's
 * place (a spurious wake-up may take another's: that one then finds its
 * signal gone, and looks at the queue before it sleeps again). The signal
 * goes back before the worker leaves `idle`: a submitter reads `idle`
 * first, so it must never see a worker gone from `idle` but still counted
 * in `waking` — it would skip waking another sleeper while this one takes
 * only what is there now. With ex->lock held. */
static void leave_idle(futurl_executor *ex, int woken) {
    if (woken && atomic_load_explicit(&ex->waking, memory_order_relaxed))
        atomic_fetch_sub_explicit(&ex->waking, 1, memory_order_seq_cst);
    atomic_fetch_sub_explicit(&ex->idle, 1, memory_order_seq_cst);
}

static void *worker_main(void *p) {
    worker *w = p;
    futurl_executor *ex = w->ex;
    current_worker = w;

    /* Linux keeps 15 bytes: up to 10 of the prefix, '-', 4 index digits. */
    char name[32];
    snprintf(name, sizeof name, "%.10s-%u", ex->name, w->index);
    name[15] = '\0';
    pthread_setname_np(pthread_self(), name);

    if (ex->opts.on_worker_start)
        w->state = ex->opts.on_worker_start(ex->opts.userdata, w->index);

    pthread_mutex_lock(&ex->lock);
    /* Counted idle since futurl__start_worker: leave as a worker woken from the
     * wait below does, then look at the whole queue. */
    leave_idle(ex, 1);
    for (;;) {
        if (!ex->head)
            futurl__take_inbox(ex, 0);
        while (!ex->head && !ex->closed) {
            /* Count ourselves idle, then look at the inbox once more: a
             * submitter pushes, then reads `idle` and `waking` (all
             * seq_cst), so either we see its future here, or it sees us —
             * and signals (under the lock, so not before we wait) unless
             * every idle worker already has a signal coming, each of which
             * will take the inbox after its push. */
            w->owes_wake = 0; /* all it woke were taken */
            atomic_fetch_add_explicit(&ex->idle, 1, memory_order_seq_cst);
            int slept = !futurl__inbox_has_work(ex);
            if (slept)
                pthread_cond_wait(&ex->not_empty, &ex->lock);
            leave_idle(ex, slept);
            futurl__take_inbox(ex, 0);
        }
        futurl_future *f = ex->head;
        if (!f)
            break; /* closed and drained */
        futurl__queue_unlink(ex, f);
        /* Its last job woke a future into the queue without waking a worker:
         * taking this one pays for one; another worker is woken only if
         * more is queued. */
        if (w->owes_wake)
            pay_wakes(w, 1);
        futurl__heap_remove(ex, f); /* its deadline is the job's business now */
        atomic_store_explicit(&f->state, FUTURL_RUNNING, memory_order_release);
        w->current = f;
        pthread_mutex_unlock(&ex->lock);

        int parked = run_job(w, f);

        /* current is cleared before the executor's reference goes, so a
         * shutdown never flags a freed future. The last reference frees
         * outside the lock: a result destructor is user code. */
        pthread_mutex_lock(&ex->lock);
        w->current = NULL;
        if (!parked && futurl__future_unref(f)) {
            pthread_mutex_unlock(&ex->lock);
            futurl__future_discard(f);
            pthread_mutex_lock(&ex->lock);
        }
    }
    pthread_mutex_unlock(&ex->lock);

    if (ex->opts.on_worker_stop)
        ex->opts.on_worker_stop(ex->opts.userdata, w->state);
    current_worker = NULL;
    return NULL;
}
