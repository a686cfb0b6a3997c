/*
 * src/executor.c — the run-in-executor core: worker threads, the bounded
 * run queue with backpressure, cancellation of queued work, and shutdown.
 *
 * The queue is an intrusive doubly linked list through the futures
 * themselves (qprev/qnext), so queueing allocates nothing and a cancelled
 * future leaves the queue at once, giving its slot back to submitters.
 *
 * Submitting does not take the executor lock: a submitter reserves a slot
 * (the atomic `admitted` count) and pushes its future onto the inbox, a
 * lock-free stack (newest first, linked through qnext). Whoever holds the
 * lock and needs the whole queue — a worker that found it empty, cancel,
 * shutdown, a parked future re-entering, a submitter on the slow path —
 * first moves the inbox, oldest first, to the queue's tail (take_inbox).
 * Workers pick up a burst of submissions in one step, and a submitter
 * takes the lock only to wake a sleeping worker that no one is waking yet
 * (wake_worker: once per sleeper, not once per job), to wait for room, or
 * to put a future with a deadline into the timer heap. Shutdown closes the
 * inbox with a sentinel: no push can succeed after the last look at it.
 *
 * A job may also park its future (futurl__job_defer): the future goes back
 * to PENDING without holding a worker and waits in a timer heap — a binary
 * min-heap keyed by wake time — until it is due or woken, when it re-enters
 * the run queue. Queued futures with a deadline sit in the same heap, keyed
 * by the deadline, so they end FUTURL_ETIMEDOUT on time even if no worker
 * reaches them. One timer thread per executor, started on first use, acts
 * on the heap.
 *
 * Workers start on demand, as in Python's ThreadPoolExecutor: create starts
 * one, and whoever finds every started worker busy when it queues work
 * starts another, up to `nworkers` (wake_worker). A pool of 32 for a few
 * requests costs one thread, and creating it costs no thread start-up per
 * worker; a burst of work starts the rest, each as it is needed.
 *
 * Guarded by ex->lock: the queue (head, tail), the heap, every
 * future's queue/heap fields (queued, parked, wake_pending, heap_index,
 * wake_ns; a submitter sets `queued` and `qnext` before it publishes the
 * future on the inbox, and the lock holder that takes it acquires them),
 * the PENDING → RUNNING → PENDING (parked) transitions, each
 * worker's `current`, the shutdown flags and the blocked count. The
 * queue's length is `admitted - released`: submitters reserve slots in
 * `admitted` without the lock, but `released` grows only under it, so a
 * submitter that waits for room (under the lock) never misses the signal.
 * `idle` and `waking` are atomic too: a submitter reads them after its push
 * to learn whether it must wake a worker (wake_worker).
 * Lock order: ex->lock before any future lock (see src/future.h). No user
 * code (jobs, hooks, callbacks) ever runs with ex->lock held.
 */
#include "future.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WORKERS 1024u
#define ROOM_POLL_MS 5 /* a blocked submitter looks for room this often */
#define ERRMSG_MAX 256

typedef struct worker {
    futurl_executor *ex;
    pthread_t thread;
    unsigned index;
    void *state;             /* from on_worker_start */
    futurl_future *current;  /* (ex->lock) the job it runs, or NULL */
} worker;

struct futurl_executor {
    pthread_mutex_t lock;
    pthread_cond_t not_empty; /* workers wait here for jobs */
    pthread_cond_t not_full;  /* submitters wait here for room */
    pthread_cond_t joined_cv; /* a second shutdown waits for the first */

    futurl_future *head, *tail;
    size_t capacity;
    /* Queued (inbox + queue) = admitted - released, both only growing (and
     * wrapping): submitters write one, workers the other, on lines of
     * their own, so a submission does not pull the workers' line. */
    atomic_size_t released;   /* (changed under the lock) slots given back */
    unsigned blocked;         /* submitters waiting on not_full */
    int closed;               /* no new submissions */
    int joining, joined;

    futurl_future **heap;     /* timer heap: parked + queued with deadline */
    size_t heap_len, heap_cap;
    size_t nparked;
    pthread_t timer;
    pthread_cond_t timer_cv;  /* the timer thread sleeps here */
    int timer_started, timer_stop;

    futurl__complete_hook on_complete; /* set before the first submit */
    void *on_complete_data;
    futurl__cancel_hook on_cancel;     /* likewise */
    void *on_cancel_data;
    futurl__abandon_hook on_abandon;   /* likewise */
    void *on_abandon_data;

    worker *workers;          /* nworkers slots; the first `started` run */
    unsigned nworkers;
    /* Workers started: grows under the lock (never past nworkers, never
     * after `closed`); submitters read it without the lock only to learn
     * whether one might still have to be started. */
    atomic_uint started;
    futurl_executor_options opts;
    char name[16];

    /* Submitters' line: written without the lock by every submission. */
    _Alignas(64) _Atomic(futurl_future *) inbox; /* newest first */
    atomic_size_t admitted;      /* slots ever taken */
    atomic_size_t released_seen; /* a recent `released`, so that submitters
                                    read the workers' line only when it
                                    says the queue is full */
    /* Read by every submission, written when a worker sleeps or wakes. */
    _Alignas(64) atomic_uint idle; /* workers waiting (or about to) on
                                      not_empty */
    atomic_uint waking;          /* of those, signalled and not yet running
                                    (changed under the lock only) */
};

struct futurl_job {
    futurl_future *future;
    worker *w;
    char *errmsg;
    int deferred;     /* futurl__job_defer was called: park, do not finish */
    uint64_t due_ns;  /* its due time (0: only on wake) */
};

/* The worker this thread is, for the submit-from-a-worker and
 * shutdown-from-a-worker rules. */
static _Thread_local worker *current_worker;
/* The executor whose timer thread this is: callbacks of futures that
 * expire run there, and must not block on (or shut down) their pool. */
static _Thread_local futurl_executor *current_timer;

int futurl__on_worker_thread(void) {
    return current_worker != NULL || current_timer != NULL;
}

/* 1 if this thread belongs to ex (one of its workers or its timer). */
static int own_thread(const futurl_executor *ex) {
    return (current_worker && current_worker->ex == ex) || current_timer == ex;
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

/* The inbox after shutdown: pushes fail, takes find nothing. */
#define INBOX_CLOSED ((futurl_future *)&inbox_closed_mark)
static const char inbox_closed_mark;

/* admitted - released, read in that order: a submitter's stale admitted
 * may be behind a fresher released, so a "negative" count means 0. */
static size_t queued_count(size_t admitted, size_t released) {
    size_t n = admitted - released;
    return n > SIZE_MAX / 2 ? 0 : n;
}

/* Reserve one slot below capacity. Returns 1, or 0 if the queue is full. */
static int reserve_slot(futurl_executor *ex) {
    size_t a = atomic_load_explicit(&ex->admitted, memory_order_relaxed);
    for (;;) {
        size_t r = atomic_load_explicit(&ex->released_seen, memory_order_relaxed);
        if (queued_count(a, r) >= ex->capacity) {
            /* `released` only grows, so an old view (racing stores may even
             * move this copy back) errs on the side of full. Look at the
             * real one. */
            r = atomic_load_explicit(&ex->released, memory_order_relaxed);
            atomic_store_explicit(&ex->released_seen, r, memory_order_relaxed);
            if (queued_count(a, r) >= ex->capacity)
                return 0;
        }
        if (atomic_compare_exchange_weak_explicit(&ex->admitted, &a, a + 1,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
            return 1;
    }
}

/* Give a reserved slot back without queueing (the submission failed). */
static void unreserve_slot(futurl_executor *ex) {
    atomic_fetch_sub_explicit(&ex->admitted, 1, memory_order_relaxed);
}

/* Push f onto the inbox. Returns 0, or -1 if the executor is shut down.
 * seq_cst: paired with a worker that counts itself idle and then looks at
 * the inbox, one of the two sees the other (see worker_main). */
static int inbox_push(futurl_executor *ex, futurl_future *f) {
    futurl_future *top = atomic_load_explicit(&ex->inbox, memory_order_relaxed);
    do {
        if (top == INBOX_CLOSED)
            return -1;
        f->qnext = top;
    } while (!atomic_compare_exchange_weak_explicit(&ex->inbox, &top, f, memory_order_seq_cst,
                                                    memory_order_relaxed));
    return 0;
}

static int inbox_has_work(futurl_executor *ex) {
    futurl_future *top = atomic_load_explicit(&ex->inbox, memory_order_seq_cst);
    return top != NULL && top != INBOX_CLOSED;
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
 * workers already running; the next wake_worker tries again). With
 * ex->lock held: shutdown joins `started` threads once it has set
 * `closed`, so none can start behind its back. */
static int start_worker(futurl_executor *ex, int for_work) {
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
 * work found every started worker busy. With ex->lock held. */
static void wake_worker(futurl_executor *ex) {
    if (atomic_load_explicit(&ex->idle, memory_order_relaxed) >
        atomic_load_explicit(&ex->waking, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&ex->waking, 1, memory_order_seq_cst);
        pthread_cond_signal(&ex->not_empty);
    } else {
        (void)start_worker(ex, 1);
    }
}

/* Link f at the queue's tail (its slot is already counted). */
static void queue_link(futurl_executor *ex, futurl_future *f) {
    f->qnext = NULL;
    f->qprev = ex->tail;
    if (ex->tail)
        ex->tail->qnext = f;
    else
        ex->head = f;
    ex->tail = f;
    f->queued = 1;
}

/* Move the inbox, oldest first, to the queue's tail; with `close`, leave
 * the inbox closed. With ex->lock held. */
static void take_inbox(futurl_executor *ex, int close) {
    /* seq_cst: a worker that just took a wake-up's place must see what was
     * pushed before the submitter decided not to signal (see wake_worker). */
    futurl_future *top = atomic_load_explicit(&ex->inbox, memory_order_seq_cst);
    futurl_future *want = close ? INBOX_CLOSED : NULL;
    do {
        if (top == INBOX_CLOSED || (top == NULL && !close))
            return;
    } while (!atomic_compare_exchange_weak_explicit(&ex->inbox, &top, want,
                                                    memory_order_seq_cst,
                                                    memory_order_seq_cst));
    futurl_future *oldest_first = NULL;
    while (top) {
        futurl_future *next = top->qnext;
        top->qnext = oldest_first;
        oldest_first = top;
        top = next;
    }
    while (oldest_first) {
        futurl_future *next = oldest_first->qnext;
        queue_link(ex, oldest_first);
        oldest_first = next;
    }
}

/* Queue f without a reservation (a parked future re-entering). */
static void queue_push(futurl_executor *ex, futurl_future *f) {
    atomic_fetch_add_explicit(&ex->admitted, 1, memory_order_relaxed);
    queue_link(ex, f);
}

static void queue_unlink(futurl_executor *ex, futurl_future *f) {
    if (f->qprev)
        f->qprev->qnext = f->qnext;
    else
        ex->head = f->qnext;
    if (f->qnext)
        f->qnext->qprev = f->qprev;
    else
        ex->tail = f->qprev;
    f->qprev = f->qnext = NULL;
    f->queued = 0;
    size_t released = atomic_load_explicit(&ex->released, memory_order_relaxed) + 1;
    atomic_store_explicit(&ex->released, released, memory_order_relaxed);
    /* Wake a blocked submitter once the queue is down to half: one wake-up
     * then admits a batch, instead of a futex call and a context switch per
     * job (measured: ~11 us of CPU per request at 50k small GETs). It also
     * looks by itself every ROOM_POLL_MS (futurl__executor_submit). */
    if (ex->blocked &&
        queued_count(atomic_load_explicit(&ex->admitted, memory_order_relaxed), released) <=
            ex->capacity / 2)
        pthread_cond_signal(&ex->not_full);
}

/* ------------------------------------------------------------- timer heap */

uint64_t futurl__now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void heap_set(futurl_executor *ex, size_t i, futurl_future *f) {
    ex->heap[i] = f;
    f->heap_index = i;
}

static void heap_sift_up(futurl_executor *ex, size_t i) {
    futurl_future *f = ex->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (ex->heap[parent]->wake_ns <= f->wake_ns)
            break;
        heap_set(ex, i, ex->heap[parent]);
        i = parent;
    }
    heap_set(ex, i, f);
}

static void heap_sift_down(futurl_executor *ex, size_t i) {
    futurl_future *f = ex->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= ex->heap_len)
            break;
        if (child + 1 < ex->heap_len && ex->heap[child + 1]->wake_ns < ex->heap[child]->wake_ns)
            child++;
        if (f->wake_ns <= ex->heap[child]->wake_ns)
            break;
        heap_set(ex, i, ex->heap[child]);
        i = child;
    }
    heap_set(ex, i, f);
}

/* Finish f without its job (cancelled, shutdown, deadline): the abandon
 * hook may hand over what the job had (HTTP: the last response). */
static void abandon(futurl_executor *ex, futurl_future *f, futurl_status st,
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
static int heap_insert(futurl_executor *ex, futurl_future *f, uint64_t wake_ns) {
    if (ex->heap_len == ex->heap_cap) {
        size_t cap = ex->heap_cap ? 2 * ex->heap_cap : 64;
        futurl_future **h = realloc(ex->heap, cap * sizeof *h);
        if (!h)
            return -1;
        ex->heap = h;
        ex->heap_cap = cap;
    }
    if (!ex->timer_started) {
        if (start_thread(&ex->timer, timer_main, ex) != 0)
            return -1;
        ex->timer_started = 1;
    }
    f->wake_ns = wake_ns;
    ex->heap[ex->heap_len] = f;
    f->heap_index = ex->heap_len++;
    heap_sift_up(ex, f->heap_index);
    if (f->heap_index == 0)
        pthread_cond_signal(&ex->timer_cv);
    return 0;
}

static void heap_remove(futurl_executor *ex, futurl_future *f) {
    size_t i = f->heap_index;
    if (i == SIZE_MAX)
        return;
    f->heap_index = SIZE_MAX;
    futurl_future *last = ex->heap[--ex->heap_len];
    if (i == ex->heap_len)
        return;
    heap_set(ex, i, last);
    heap_sift_up(ex, i);
    heap_sift_down(ex, last->heap_index);
}

/* A parked future re-enters the run queue. Re-entries do not wait for
 * room: they were admitted once already, and the timer thread must never
 * block. So the queue may briefly hold more than its capacity. Its
 * deadline watches it again while it waits there. */
static void unpark(futurl_executor *ex, futurl_future *f) {
    heap_remove(ex, f);
    f->parked = 0;
    ex->nparked--;
    take_inbox(ex, 0); /* it goes behind what was submitted before */
    queue_push(ex, f);
    if (f->deadline_ns)
        (void)heap_insert(ex, f, f->deadline_ns); /* no memory: the job checks */
    wake_worker(ex);
}


static void *timer_main(void *p) {
    futurl_executor *ex = p;
    current_timer = ex;
    pthread_setname_np(pthread_self(), "futurl-timer");
    pthread_mutex_lock(&ex->lock);
    while (!ex->timer_stop) {
        uint64_t now = futurl__now_ns();
        futurl_future *expired = NULL; /* queued past their deadline */
        while (ex->heap_len && ex->heap[0]->wake_ns <= now) {
            futurl_future *f = ex->heap[0];
            heap_remove(ex, f);
            int expires = f->deadline_ns && f->deadline_ns <= now;
            if (f->parked && !expires) {
                unpark(ex, f); /* due: back to the run queue */
                continue;
            }
            /* Its deadline passed while it waited to run (again): it ends
             * now, not when a worker gets to it. */
            if (f->parked) {
                f->parked = 0;
                ex->nparked--;
            } else {
                queue_unlink(ex, f);
            }
            f->qnext = expired;
            expired = f;
        }
        if (expired) {
            pthread_mutex_unlock(&ex->lock);
            while (expired) {
                futurl_future *next = expired->qnext;
                expired->qnext = NULL;
                abandon(ex, expired, FUTURL_ETIMEDOUT, "deadline passed before it could run");
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
    return NULL;
}

/* ----------------------------------------------------------------- worker */

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
    } else if (atomic_load_explicit(&f->cancel_requested, memory_order_relaxed)) {
        st = FUTURL_ECANCELED;
    } else {
        atomic_store_explicit(&f->state, FUTURL_PENDING, memory_order_release);
        f->parked = 1;
        ex->nparked++;
        /* Always in the heap, so shutdown finds every parked future; one
         * that waits only for a wake-up is keyed "never". */
        uint64_t wake = due_ns ? due_ns : UINT64_MAX;
        if (f->deadline_ns && f->deadline_ns < wake)
            wake = f->deadline_ns; /* the job then sees its deadline passed */
        if (f->wake_pending || wake <= futurl__now_ns()) {
            f->wake_pending = 0;
            unpark(ex, f);
        } else if (heap_insert(ex, f, wake) != 0) {
            f->parked = 0;
            ex->nparked--;
            atomic_store_explicit(&f->state, FUTURL_RUNNING, memory_order_release);
            st = FUTURL_ENOMEM;
        }
    }
    if (st != FUTURL_OK)
        w->current = f; /* not parked: still ours to complete */
    pthread_mutex_unlock(&ex->lock);
    return st;
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
        abandon(w->ex, f, st, NULL); /* shut down or cancelled meanwhile */
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
    futurl__complete(f, st, result, job.errmsg);
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
    /* Counted idle since start_worker: leave as a worker woken from the
     * wait below does, then look at the whole queue. */
    leave_idle(ex, 1);
    for (;;) {
        if (!ex->head)
            take_inbox(ex, 0);
        while (!ex->head && !ex->closed) {
            /* Count ourselves idle, then look at the inbox once more: a
             * submitter pushes, then reads `idle` and `waking` (all
             * seq_cst), so either we see its future here, or it sees us —
             * and signals (under the lock, so not before we wait) unless
             * every idle worker already has a signal coming, each of which
             * will take the inbox after its push. */
            atomic_fetch_add_explicit(&ex->idle, 1, memory_order_seq_cst);
            int slept = !inbox_has_work(ex);
            if (slept)
                pthread_cond_wait(&ex->not_empty, &ex->lock);
            leave_idle(ex, slept);
            take_inbox(ex, 0);
        }
        futurl_future *f = ex->head;
        if (!f)
            break; /* closed and drained */
        queue_unlink(ex, f);
        heap_remove(ex, f); /* its deadline is the job's business now */
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

/* ------------------------------------------------------------- job access */

int futurl_job_cancelled(const futurl_job *job) {
    return job && atomic_load_explicit(&job->future->cancel_requested, memory_order_relaxed);
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

void futurl__job_defer(futurl_job *job, uint64_t due_ns) {
    job->deferred = 1;
    job->due_ns = due_ns;
}

const char *futurl__job_errmsg(const futurl_job *job) {
    return job->errmsg;
}

uint64_t futurl__job_deadline(const futurl_job *job) {
    return job->future->deadline_ns;
}

void futurl__executor_wake(futurl_executor *ex, futurl_future *f) {
    pthread_mutex_lock(&ex->lock);
    int st = atomic_load_explicit(&f->state, memory_order_acquire);
    if (f->parked)
        unpark(ex, f);
    else if (st == FUTURL_RUNNING)
        f->wake_pending = 1; /* its job is about to park it */
    pthread_mutex_unlock(&ex->lock);
}

void futurl__executor_set_complete_hook(futurl_executor *ex, futurl__complete_hook fn,
                                        void *userdata) {
    ex->on_complete = fn;
    ex->on_complete_data = userdata;
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

void futurl__executor_completed(futurl_executor *ex, futurl_future *f) {
    if (ex->on_complete)
        ex->on_complete(ex->on_complete_data, f);
}

size_t futurl__executor_parked(futurl_executor *ex) {
    pthread_mutex_lock(&ex->lock);
    size_t n = ex->nparked;
    pthread_mutex_unlock(&ex->lock);
    return n;
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

/* ---------------------------------------------------------------- create */

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
    ex->opts = o;
    ex->capacity = o.queue_capacity;
    ex->nworkers = o.workers;
    snprintf(ex->name, sizeof ex->name, "%s", o.thread_name ? o.thread_name : "futurl");
    ex->opts.thread_name = NULL; /* copied into name; the caller's may go */

    /* One worker now, so that a pool that cannot start threads fails
     * here; the others start when work finds every started one busy. */
    pthread_mutex_lock(&ex->lock);
    int rc = start_worker(ex, 0);
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
    futurl_future *f = futurl__future_new(ex, fn, arg, free_arg, free_result);
    if (!f)
        return FUTURL_ENOMEM;
    f->deadline_ns = deadline_ns;

    /* The common case, without the lock: room in the queue, no deadline. */
    if (!deadline_ns && reserve_slot(ex)) {
        f->queued = 1;
        if (inbox_push(ex, f) != 0) {
            unreserve_slot(ex);
            futurl__future_discard(f);
            return FUTURL_ESHUTDOWN;
        }
        if (atomic_load_explicit(&ex->idle, memory_order_seq_cst) >
                atomic_load_explicit(&ex->waking, memory_order_seq_cst) ||
            atomic_load_explicit(&ex->started, memory_order_relaxed) < ex->nworkers) {
            pthread_mutex_lock(&ex->lock);
            wake_worker(ex);
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
        if (reserve_slot(ex))
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
        int poll_first = !timed || poll.tv_sec < deadline.tv_sec ||
                         (poll.tv_sec == deadline.tv_sec && poll.tv_nsec < deadline.tv_nsec);
        ex->blocked++;
        int rc = pthread_cond_timedwait(&ex->not_full, &ex->lock, poll_first ? &poll : &deadline);
        ex->blocked--;
        expired = rc == ETIMEDOUT && !poll_first; /* one last look, then give up */
    }
    if (st == FUTURL_OK && deadline_ns && heap_insert(ex, f, deadline_ns) != 0) {
        unreserve_slot(ex);
        st = FUTURL_ENOMEM;
    }
    if (st == FUTURL_OK) {
        take_inbox(ex, 0); /* those submitted before f go first */
        queue_link(ex, f);
        wake_worker(ex);
    } else if (ex->blocked && !ex->closed && futurl_executor_queued(ex) < ex->capacity) {
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
    return futurl__executor_submit(ex, fn, arg, free_arg, free_result, timeout_ms, 0, out);
}

futurl_status futurl_executor_submit(futurl_executor *ex, futurl_job_fn fn, void *arg,
                                     futurl_free_fn free_arg, futurl_free_fn free_result,
                                     futurl_future **out) {
    return futurl_executor_submit_timeout(ex, fn, arg, free_arg, free_result, -1, out);
}

futurl_status futurl_executor_try_submit(futurl_executor *ex, futurl_job_fn fn, void *arg,
                                         futurl_free_fn free_arg,
                                         futurl_free_fn free_result, futurl_future **out) {
    return futurl_executor_submit_timeout(ex, fn, arg, free_arg, free_result, 0, out);
}

/* ---------------------------------------------------------- cancellation */

int futurl__executor_cancel(futurl_executor *ex, futurl_future *f) {
    pthread_mutex_lock(&ex->lock);
    int st = atomic_load_explicit(&f->state, memory_order_acquire);
    int took = 0, dequeued = 0, running = 0;
    if (st == FUTURL_PENDING && f->queued) {
        take_inbox(ex, 0); /* f may still be there */
        queue_unlink(ex, f);
        heap_remove(ex, f);
        if (ex->blocked) /* its slot goes to a waiting submitter now */
            pthread_cond_signal(&ex->not_full);
        dequeued = took = 1;
    } else if (st == FUTURL_PENDING && f->parked) {
        heap_remove(ex, f);
        f->parked = 0;
        ex->nparked--;
        dequeued = took = 1;
    } else if (st == FUTURL_RUNNING) {
        atomic_store_explicit(&f->cancel_requested, 1, memory_order_relaxed);
        took = running = 1;
        futurl__future_ref(f); /* kept alive for the hook below */
    }
    /* PENDING but neither queued nor parked: another thread is finishing
     * it (cancelled or timed out). */
    pthread_mutex_unlock(&ex->lock);

    if (dequeued) {
        atomic_store_explicit(&f->cancel_requested, 1, memory_order_relaxed);
        abandon(ex, f, FUTURL_ECANCELED, NULL);
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
        atomic_store_explicit(&chain->cancel_requested, 1, memory_order_relaxed);
        abandon(ex, chain, FUTURL_ECANCELED, NULL);
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
    take_inbox(ex, 1); /* the last submissions; none can follow */
    futurl_future *cancelled = NULL;
    if (how == FUTURL_CANCEL_PENDING) {
        while (ex->head) {
            futurl_future *f = ex->head;
            queue_unlink(ex, f);
            heap_remove(ex, f);
            f->qnext = cancelled;
            cancelled = f;
        }
        for (unsigned i = 0; i < ex->nworkers; i++) {
            futurl_future *f = ex->workers[i].current;
            if (f) {
                atomic_store_explicit(&f->cancel_requested, 1, memory_order_relaxed);
                if (ex->on_cancel && interrupted) { /* no memory: the flag will do */
                    futurl__future_ref(f); /* for the hook, after the unlock */
                    interrupted[ninterrupted++] = f;
                }
            }
        }
    }
    /* Parked futures end cancelled in both modes: draining runs what is
     * queued, it does not wait out backoffs. No job can park from now on.
     * The heap is compacted in one pass and rebuilt, never heap_remove()d
     * while walked by index (a removal moves entries across the walk). */
    size_t keep = 0;
    for (size_t i = 0; i < ex->heap_len; i++) {
        futurl_future *f = ex->heap[i];
        if (f->parked) {
            f->heap_index = SIZE_MAX;
            f->parked = 0;
            ex->nparked--;
            f->qnext = cancelled;
            cancelled = f;
        } else {
            heap_set(ex, keep++, f);
        }
    }
    ex->heap_len = keep;
    for (size_t i = keep / 2; i-- > 0;)
        heap_sift_down(ex, i);
    pthread_cond_signal(&ex->timer_cv);
    pthread_cond_broadcast(&ex->not_empty);
    pthread_cond_broadcast(&ex->not_full);
    int first = !ex->joining;
    ex->joining = 1;
    unsigned started = atomic_load_explicit(&ex->started, memory_order_relaxed);
    pthread_mutex_unlock(&ex->lock); /* `closed` is set: none start after this */

    /* Outside the lock: their callbacks run here. */
    complete_cancelled(ex, cancelled);
    for (size_t i = 0; i < ninterrupted; i++) {
        ex->on_cancel(ex->on_cancel_data, interrupted[i]);
        futurl__future_release(interrupted[i]);
    }
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
    size_t a = atomic_load_explicit(&ex->admitted, memory_order_relaxed);
    return queued_count(a, atomic_load_explicit(&ex->released, memory_order_relaxed));
}
