/*
 * src/wait.c — every wait: on one future (futurl_future_wait*), and the
 * operations over many futures: gather (all), wait-any (first completed or
 * first failed) and the as-completed iterator; and the wait guards (wait.h)
 * that make a wait which could never end fail FUTURL_EDEADLK.
 *
 * One future: the waiting thread counts itself among the future's sleepers
 * and sleeps on its `settled` word (a futex); completion (src/future.c)
 * wakes the word.
 *
 * Many futures: all three stand on one mechanism, the waiter: a small
 * record with its own lock and condition variable, registered on every
 * future it watches through a futurl__wait_link. futurl__complete() calls
 * the waiter's notify function (waiter_notify, through the link's
 * futurl__watcher) under the future's lock once the future has
 * settled (its callbacks ran), which appends the
 * future's index to the waiter's completion log. The log therefore holds
 * each index exactly once, in completion order (futures already finished at
 * registration are logged first, in array order). Links are removed again
 * under each future's lock before the waiter is freed, so a future that
 * finishes later never touches freed memory.
 *
 * Lock order: future lock → waiter lock.
 */
#include "wait.h"

#include "clock.h"
#include "memcheck.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ------------------------------------------------------------ wait guards */

static _Thread_local futurl__wait_guard *wait_guards; /* innermost first */

void futurl__wait_guard_push(futurl__wait_guard *g, const futurl__future_owner *owner) {
    g->owner = owner;
    g->outer = wait_guards;
    wait_guards = g;
}

void futurl__wait_guard_pop(futurl__wait_guard *g) {
    wait_guards = g->outer;
}

int futurl__wait_guarded(const futurl__future_owner *owner) {
    for (const futurl__wait_guard *g = wait_guards; g != NULL; g = g->outer)
        if (g->owner == owner)
            return 1;
    return 0;
}

/* 1 if this thread runs under any guard (a quick test before a loop). */
static int wait_guards_active(void) {
    return wait_guards != NULL;
}

/* 1 if waiting for f on this thread could never end: f is unfinished and
 * its executor is guarded here. */
static int wait_would_deadlock(const futurl_future *f) {
    /* f->owner may be read while f is unfinished: its executor is alive. */
    return wait_guards != NULL &&
           !futurl__is_final(atomic_load_explicit(&((futurl_future *)f)->state,
                                                  memory_order_acquire)) &&
           futurl__wait_guarded(f->owner);
}

/* ------------------------------------------------------------- one future */

/* Sleep while *word == 0, until woken or the absolute CLOCK_MONOTONIC
 * deadline (NULL: none). Returns 0, or ETIMEDOUT. Spurious returns are
 * fine: callers re-check the word. */
static int futex_wait_zero(atomic_int *word, const struct timespec *deadline) {
    long rc = deadline
                  ? syscall(SYS_futex, (int *)word, FUTEX_WAIT_BITSET_PRIVATE, 0,
                            deadline, NULL, FUTEX_BITSET_MATCH_ANY)
                  : syscall(SYS_futex, (int *)word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return rc == -1 && errno == ETIMEDOUT ? ETIMEDOUT : 0;
}

futurl_status futurl_future_wait_for(futurl_future *f, long timeout_ms) {
    if (!f)
        return FUTURL_EINVAL;
    if (atomic_load_explicit(&f->settled, memory_order_acquire))
        return f->status;
    if (wait_would_deadlock(f))
        return FUTURL_EDEADLK;
    struct timespec deadline;
    int timed = futurl__deadline(timeout_ms, &deadline);
    pthread_mutex_t *lock = futurl__future_lock(f);

    /* Announce the sleeper under the lock, so the completer, which reads
     * `sleepers` under the same lock after setting `settled`, either wakes
     * us or we see `settled` before sleeping (futex compares the word). */
    pthread_mutex_lock(lock);
    int settled = futurl__watch(f);
    if (!settled)
        f->sleepers++;
    pthread_mutex_unlock(lock);
    if (settled)
        return f->status;

    while (!atomic_load_explicit(&f->settled, memory_order_acquire))
        if (futex_wait_zero(&f->settled, timed ? &deadline : NULL) == ETIMEDOUT)
            break;

    pthread_mutex_lock(lock);
    f->sleepers--;
    pthread_mutex_unlock(lock);
    /* Not finished: FUTURL_EPENDING, never FUTURL_ETIMEDOUT, which is an
     * outcome a finished future may have. */
    return atomic_load_explicit(&f->settled, memory_order_acquire) ? f->status
                                                                   : FUTURL_EPENDING;
}

futurl_status futurl_future_wait(futurl_future *f) {
    return futurl_future_wait_for(f, -1);
}

/* ----------------------------------------------------------------- waiter */

typedef struct futurl__waiter futurl__waiter;

struct futurl__waiter {
    futurl__watcher watcher; /* first: completion calls waiter_notify */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    futurl_future **fs;       /* the watched futures (borrowed) */
    futurl__wait_link *links; /* one per future */
    size_t n;
    size_t *log;              /* (lock) indices in completion order */
    void *arrays;             /* links, fs and log live in this one block */
    size_t arrays_map;        /* its mapping's size; 0: from calloc */
    size_t logged;            /* (lock) entries in log */
    size_t failures;          /* (lock) logged futures that FAILED */
    /* (lock) What the sleeping thread waits for: a wake-up for anything
     * less would only cost a futex call (a gather of 50,000 requests wakes
     * once, not 50,000 times). */
    int sleeping;
    size_t want;              /* wake when logged >= want */
    int wake_on_failure;      /* or when a FAILED future is logged */
};

/* A watched future settled (futurl__watcher.notify, under its lock);
 * failed: it ended FAILED. */
static void waiter_notify(futurl__watcher *watcher, size_t index, int failed) {
    futurl__waiter *w = (futurl__waiter *)watcher;
    pthread_mutex_lock(&w->lock);
    w->log[w->logged++] = index;
    w->failures += failed != 0;
    if (w->sleeping && (w->logged >= w->want || (failed && w->wake_on_failure)))
        pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* A block this large comes from mmap, populated in one call: a gather of
 * 50,000 futures needs 2.8 MB here, and from malloc every page of it cost a
 * page fault (an exit to the host on a virtual machine). Never under
 * AddressSanitizer, which must see every block. */
#define ARRAYS_MAP_MIN (FUTURL__ASAN ? SIZE_MAX : (size_t)64 * 1024)

static void arrays_free(futurl__waiter *w) {
    if (w->arrays_map != 0)
        munmap(w->arrays, w->arrays_map);
    else
        free(w->arrays);
}

/* The zeroed block of w's three arrays for n futures; -1 if out of memory. */
static int arrays_alloc(futurl__waiter *w, size_t n) {
    size_t m = n ? n : 1;
    size_t size = m * (sizeof *w->links + sizeof *w->fs + sizeof *w->log);
    char *p;
    if (size >= ARRAYS_MAP_MIN) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        w->arrays_map = (size + page - 1) / page * page;
        p = mmap(NULL, w->arrays_map, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED)
            return -1;
    } else if ((p = calloc(1, size)) == NULL) {
        return -1;
    }
    w->arrays = p;
    w->links = (futurl__wait_link *)(void *)p; /* the most aligned first */
    w->fs = (futurl_future **)(void *)(p + m * sizeof *w->links);
    w->log = (size_t *)(void *)(p + m * (sizeof *w->links + sizeof *w->fs));
    return 0;
}

static void waiter_free(futurl__waiter *w) {
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    arrays_free(w);
    free(w);
}

/* Register a new waiter on fs[0..n). Every future is either logged now
 * (already finished) or linked, never both, never neither. */
static futurl_status waiter_new(futurl_future *const *fs, size_t n, futurl__waiter **out) {
    *out = NULL;
    size_t per_future =
        sizeof(futurl__wait_link) + sizeof(futurl_future *) + sizeof(size_t);
    if ((!fs && n) || n > SIZE_MAX / per_future)
        return FUTURL_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!fs[i])
            return FUTURL_EINVAL;
    futurl__waiter *w = calloc(1, sizeof *w);
    if (!w)
        return FUTURL_ENOMEM;
    if (arrays_alloc(w, n) != 0) {
        free(w);
        return FUTURL_ENOMEM;
    }
    if (pthread_mutex_init(&w->lock, NULL) != 0) {
        arrays_free(w);
        free(w);
        return FUTURL_ENOMEM;
    }
    if (futurl__cond_init(&w->cond) != 0) {
        pthread_mutex_destroy(&w->lock);
        arrays_free(w);
        free(w);
        return FUTURL_ENOMEM;
    }
    w->watcher.notify = waiter_notify;
    w->n = n;
    for (size_t i = 0; i < n; i++) {
        futurl_future *f = fs[i];
        futurl__wait_link *l = &w->links[i];
        w->fs[i] = f;
        l->watcher = &w->watcher;
        l->index = i;
        pthread_mutex_lock(futurl__future_lock(f));
        if (futurl__watch(f)) {
            waiter_notify(&w->watcher, i,
                          atomic_load_explicit(&f->state, memory_order_acquire) ==
                              FUTURL_FAILED);
        } else {
            l->prev = NULL;
            l->next = f->links;
            if (f->links)
                f->links->prev = l;
            f->links = l;
            l->linked = 1;
        }
        pthread_mutex_unlock(futurl__future_lock(f));
    }
    *out = w;
    return FUTURL_OK;
}

static void waiter_release(futurl__waiter *w) {
    for (size_t i = 0; i < w->n; i++) {
        futurl_future *f = w->fs[i];
        futurl__wait_link *l = &w->links[i];
        pthread_mutex_lock(futurl__future_lock(f));
        if (l->linked) {
            if (l->prev)
                l->prev->next = l->next;
            else
                f->links = l->next;
            if (l->next)
                l->next->prev = l->prev;
            l->linked = 0;
        }
        pthread_mutex_unlock(futurl__future_lock(f));
    }
    waiter_free(w);
}

/* Sleep under w->lock until at least `want` futures are logged (or, with
 * on_failure, a failure is) or the deadline passes. Returns 0 on timeout
 * with the condition still unmet, else 1. */
static int waiter_wait_locked(futurl__waiter *w, size_t want, int on_failure, int timed,
                              const struct timespec *deadline) {
    int rc = 0;
    while (w->logged < want && !(on_failure && w->failures) && rc != ETIMEDOUT) {
        w->want = want;
        w->wake_on_failure = on_failure;
        w->sleeping = 1;
        rc = timed ? pthread_cond_timedwait(&w->cond, &w->lock, deadline)
                   : pthread_cond_wait(&w->cond, &w->lock);
        w->sleeping = 0;
    }
    return w->logged >= want || (on_failure && w->failures);
}

/* 1 if one of w's futures is unfinished and this thread must not wait for
 * it (a done-callback run by its pool's shutdown or timer thread: see
 * futurl__wait_guard_push). */
static int would_deadlock(const futurl__waiter *w) {
    if (!wait_guards_active())
        return 0;
    for (size_t i = 0; i < w->n; i++)
        if (wait_would_deadlock(w->fs[i]))
            return 1;
    return 0;
}

static void cancel_all(futurl__waiter *w) {
    for (size_t i = 0; i < w->n; i++)
        futurl_future_cancel(w->fs[i]);
}

static void tally(futurl_future *const *fs, size_t n, futurl_gather_counts *c) {
    futurl_gather_counts t = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        switch (futurl_future_state(fs[i])) {
        case FUTURL_DONE: t.ok++; break;
        case FUTURL_FAILED: t.failed++; break;
        case FUTURL_CANCELLED: t.cancelled++; break;
        default: t.pending++; break;
        }
    }
    *c = t;
}

/* ------------------------------------------------------------------ gather */

futurl_status futurl_gather(futurl_future *const *fs, size_t n, long timeout_ms,
                            unsigned flags, futurl_gather_counts *counts) {
    if (flags & ~(FUTURL_CANCEL_ON_ERROR | FUTURL_CANCEL_ON_TIMEOUT))
        return FUTURL_EINVAL;
    futurl__waiter *w;
    futurl_status st = waiter_new(fs, n, &w);
    if (st != FUTURL_OK)
        return st;
    if (would_deadlock(w)) { /* it would have to wait for that one */
        waiter_release(w);
        if (counts)
            tally(fs, n, counts);
        return FUTURL_EDEADLK;
    }
    struct timespec deadline;
    int timed = futurl__deadline(timeout_ms, &deadline);

    int cancel_on_error = (flags & FUTURL_CANCEL_ON_ERROR) != 0;
    st = FUTURL_OK;
    pthread_mutex_lock(&w->lock);
    while (w->logged < n) {
        if (cancel_on_error && w->failures) {
            /* The first failure cancels the rest; then wait for them to
             * land (cancelling re-enters notify, so not under our lock). */
            cancel_on_error = 0;
            pthread_mutex_unlock(&w->lock);
            cancel_all(w);
            pthread_mutex_lock(&w->lock);
            continue;
        }
        if (!waiter_wait_locked(w, n, cancel_on_error, timed, &deadline)) {
            /* Some are unfinished: FUTURL_EPENDING, as every wait says it.
             * With CANCEL_ON_TIMEOUT the deadline ends them, and that is
             * what FUTURL_ETIMEDOUT reports. */
            if (!(flags & FUTURL_CANCEL_ON_TIMEOUT)) {
                st = FUTURL_EPENDING;
                break;
            }
            st = FUTURL_ETIMEDOUT;
            /* asyncio.wait_for: the deadline cancels what is left; wait
             * (without deadline) for the cancellations to land. */
            timed = 0;
            pthread_mutex_unlock(&w->lock);
            cancel_all(w);
            pthread_mutex_lock(&w->lock);
        }
    }
    pthread_mutex_unlock(&w->lock);
    waiter_release(w);
    if (counts)
        tally(fs, n, counts);
    return st;
}

/* ---------------------------------------------------------------- wait-any */

futurl_status futurl_wait_any(futurl_future *const *fs, size_t n, long timeout_ms,
                              futurl_wait_mode mode, size_t *index) {
    if (index)
        *index = n;
    if (n == 0 || (mode != FUTURL_FIRST_COMPLETED && mode != FUTURL_FIRST_FAILED))
        return FUTURL_EINVAL;
    futurl__waiter *w;
    futurl_status st = waiter_new(fs, n, &w);
    if (st != FUTURL_OK)
        return st;
    struct timespec deadline;
    int timed = futurl__deadline(timeout_ms, &deadline);

    size_t found = n;
    int first_failed = mode == FUTURL_FIRST_FAILED;
    size_t want = first_failed ? n : 1;
    pthread_mutex_lock(&w->lock);
    if (w->logged < want && !(first_failed && w->failures) && would_deadlock(w)) {
        pthread_mutex_unlock(&w->lock); /* it would have to wait */
        waiter_release(w);
        return FUTURL_EDEADLK;
    }
    int ok = waiter_wait_locked(w, want, first_failed, timed, &deadline);
    /* Among everything logged so far, report the lowest index that
     * qualifies, so a result does not depend on scheduling noise. */
    for (size_t i = 0; i < w->logged; i++) {
        size_t k = w->log[i];
        if ((!first_failed || futurl_future_state(w->fs[k]) == FUTURL_FAILED) && k < found)
            found = k;
    }
    st = ok ? FUTURL_OK : FUTURL_EPENDING;
    pthread_mutex_unlock(&w->lock);
    waiter_release(w);
    if (index)
        *index = found;
    return st;
}

/* ------------------------------------------------------------ as-completed */

struct futurl_as_completed {
    futurl__waiter *w;
    size_t yielded;
    int timed;
    struct timespec deadline;
};

futurl_status futurl_as_completed_new(futurl_future *const *fs, size_t n,
                                      long timeout_ms, futurl_as_completed **out) {
    if (!out)
        return FUTURL_EINVAL;
    *out = NULL;
    futurl_as_completed *it = calloc(1, sizeof *it);
    if (!it)
        return FUTURL_ENOMEM;
    futurl_status st = waiter_new(fs, n, &it->w);
    if (st != FUTURL_OK) {
        free(it);
        return st;
    }
    it->timed = futurl__deadline(timeout_ms, &it->deadline);
    *out = it;
    return FUTURL_OK;
}

futurl_status futurl_as_completed_next(futurl_as_completed *it, futurl_future **f,
                                       size_t *index) {
    if (f)
        *f = NULL;
    if (!it || !f)
        return FUTURL_EINVAL;
    futurl__waiter *w = it->w;
    if (it->yielded == w->n)
        return FUTURL_EEXHAUSTED;
    pthread_mutex_lock(&w->lock);
    if (w->logged <= it->yielded && would_deadlock(w)) {
        pthread_mutex_unlock(&w->lock); /* it would have to wait */
        return FUTURL_EDEADLK;
    }
    int got = waiter_wait_locked(w, it->yielded + 1, 0, it->timed, &it->deadline);
    size_t k = got ? w->log[it->yielded] : 0;
    pthread_mutex_unlock(&w->lock);
    if (!got)
        return FUTURL_EPENDING;
    it->yielded++;
    *f = w->fs[k];
    if (index)
        *index = k;
    return FUTURL_OK;
}

void futurl_as_completed_free(futurl_as_completed *it) {
    if (!it)
        return;
    waiter_release(it->w);
    free(it);
}
