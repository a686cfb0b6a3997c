/*
 * src/future.c — one completion: creation and release (reference counted
 * between the caller and the executor), the single completion path
 * futurl__complete(), waiting, polling and done-callbacks. Queue membership
 * and cancellation of queued work belong to src/executor.c.
 */
#include "future.h"
#include "memcheck.h"

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

/* Sleep while *word == 0, until woken or the absolute CLOCK_MONOTONIC
 * deadline (NULL: none). Returns 0, or ETIMEDOUT. Spurious returns are
 * fine: callers re-check the word. */
static int futex_wait_zero(atomic_int *word, const struct timespec *deadline) {
    long rc = deadline
                  ? syscall(SYS_futex, (int *)word, FUTEX_WAIT_BITSET_PRIVATE, 0, deadline,
                            NULL, FUTEX_BITSET_MATCH_ANY)
                  : syscall(SYS_futex, (int *)word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return rc == -1 && errno == ETIMEDOUT ? ETIMEDOUT : 0;
}

static void futex_wake_all(atomic_int *word) {
    syscall(SYS_futex, (int *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* ------------------------------------------------------------ clock helpers */

static pthread_condattr_t monotonic_attr;
static pthread_once_t monotonic_once = PTHREAD_ONCE_INIT;
static int monotonic_ok;

static void monotonic_attr_init(void) {
    monotonic_ok = pthread_condattr_init(&monotonic_attr) == 0 &&
                   pthread_condattr_setclock(&monotonic_attr, CLOCK_MONOTONIC) == 0;
}

int futurl__cond_init(pthread_cond_t *c) {
    pthread_once(&monotonic_once, monotonic_attr_init);
    return pthread_cond_init(c, monotonic_ok ? &monotonic_attr : NULL);
}

int futurl__deadline(long timeout_ms, struct timespec *ts) {
    if (timeout_ms < 0)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000L;
    }
    return 1;
}

/* ------------------------------------------------------------ future cache */

/*
 * Futures come and go once per job, often faster than malloc's per-thread
 * cache can serve blocks of their size. Each thread keeps up to
 * CACHE_MAX freed futures for its next submissions; the rest go back to
 * where they came from. The cache is emptied when its thread exits.
 *
 * Where they come from: a thread that submits in bulk (more than
 * SLAB_AFTER futures) carves them one after another from a slab (pool.h),
 * a 64 KiB mapping populated in one call, as workers do for responses. A
 * gather of 50,000 requests keeps 50,000 futures alive at once; from
 * malloc each fresh page cost a page fault, ~3,000 of them in S1, and a
 * fault is an exit to the host on a virtual machine. Cells are 64-byte aligned, so two futures finished by two
 * workers never share a cache line.
 *
 * A cached future still counts in its slab; an empty slab goes back to a
 * process-wide pool of SLAB_SPARES spares or is unmapped. The price, as
 * for responses: one future kept alive keeps its slab mapped, and a
 * thread keeps the slab it carves until it exits.
 *
 * All of it is off under the sanitizers, so that they still see every use
 * after free; under valgrind each carved future is announced as a heap
 * block.
 */
#if FUTURL__ASAN || FUTURL__TSAN
#define CACHE_MAX 0
#else
#define CACHE_MAX 64
#endif

#if CACHE_MAX > 0
#define SLAB_AFTER 256u /* futures a thread takes from malloc before it carves */
#define SLAB_SPARES 16u /* empty slabs kept for reuse, process-wide */
#define CELL_ALIGN 64u  /* no two futures share a cache line */

typedef struct future_cache {
    futurl_future *head; /* linked through qnext */
    unsigned count;
    unsigned long allocated;   /* by this thread, up to SLAB_AFTER */
    futurl__slab_cursor slabs; /* where this thread carves futures */
} future_cache;

static _Thread_local future_cache *thread_cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;
/* The process-wide pool of spare slabs (NULL if it could not be made:
 * empty slabs are unmapped then). Never closed. */
static futurl__body_pool *spare_slabs;

/* Give f's memory back to its slab or to malloc. */
static void future_release_memory(futurl_future *f) {
    if (f->slab != NULL)
        futurl__slab_free(f->slab, f);
    else
        free(f);
}

static void cache_destroy(void *p) {
    future_cache *c = p;
    while (c->head) {
        futurl_future *next = c->head->qnext;
        future_release_memory(c->head);
        c->head = next;
    }
    futurl__slab_cursor_release(&c->slabs);
    free(c);
}

static void cache_key_init(void) {
    cache_key_ok = pthread_key_create(&cache_key, cache_destroy) == 0;
    spare_slabs = futurl__body_pool_new(SLAB_SPARES, SLAB_SPARES * FUTURL__SLAB_BYTES);
}

static future_cache *cache_of_thread(void) {
    if (!thread_cache) {
        pthread_once(&cache_once, cache_key_init);
        future_cache *c = cache_key_ok ? calloc(1, sizeof *c) : NULL;
        if (c && pthread_setspecific(cache_key, c) == 0)
            thread_cache = c;
        else
            free(c);
    }
    return thread_cache;
}

/* A zeroed future from c's slab; NULL when no slab can be had. */
static futurl_future *slab_carve(future_cache *c) {
    futurl__slab *k;
    futurl_future *f =
        futurl__slab_carve(&c->slabs, spare_slabs, sizeof *f, CELL_ALIGN, &k);
    if (f == NULL)
        return NULL;
    memset(f, 0, sizeof *f); /* a spare slab is not zero */
    f->slab = k;
    return f;
}

static futurl_future *future_alloc(void) {
    future_cache *c = cache_of_thread();
    if (c && c->head) {
        futurl_future *f = c->head;
        futurl__slab *k = f->slab;
        c->head = f->qnext;
        c->count--;
        memset(f, 0, sizeof *f);
        f->slab = k;
        return f;
    }
    if (c && c->allocated >= SLAB_AFTER) {
        futurl_future *f = slab_carve(c);
        if (f != NULL)
            return f;
    } else if (c) {
        c->allocated++;
    }
    return calloc(1, sizeof(futurl_future));
}

static void future_dealloc(futurl_future *f) {
    future_cache *c = cache_of_thread();
    if (c && c->count < CACHE_MAX) {
        f->qnext = c->head;
        c->head = f;
        c->count++;
        return;
    }
    future_release_memory(f);
}
#else
static futurl_future *future_alloc(void) {
    return calloc(1, sizeof(futurl_future));
}

static void future_dealloc(futurl_future *f) {
    free(f);
}
#endif

/* ------------------------------------------------------------- life cycle */

futurl_future *futurl__future_new(futurl_executor *ex, futurl_job_fn fn, void *arg,
                                  futurl_free_fn free_arg, futurl_free_fn free_result) {
    futurl_future *f = future_alloc();
    if (!f)
        return NULL;
    atomic_init(&f->state, FUTURL_PENDING);
    atomic_init(&f->refs, 2);
    atomic_init(&f->cancel_requested, 0);
    atomic_init(&f->settled, 0);
    atomic_init(&f->gate, FUTURL__GATE_OPEN);
    f->fn = fn;
    f->arg = arg;
    f->free_arg = free_arg;
    f->free_result = free_result;
    f->ex = ex;
    f->status = FUTURL_EPENDING;
    f->callbacks_tail = &f->callbacks;
    f->heap_index = SIZE_MAX;
    return f;
}

static void future_destroy(futurl_future *f) {
    if (f->free_result && f->result)
        f->free_result(f->result);
    free(f->errmsg);
    future_dealloc(f);
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

/* Settle f (with its lock held): wake waiters and notify gathers. Returns
 * 1 if a thread sleeps on f and futex_wake_all() is due after unlocking. */
static int settle_locked(futurl_future *f, int failed) {
    atomic_store_explicit(&f->settled, 1, memory_order_release);
    for (futurl__wait_link *l = f->links; l; l = l->next)
        futurl__waiter_notify(l->waiter, l->index, failed);
    return f->sleepers != 0;
}

void futurl__complete(futurl_future *f, futurl_status status, void *result,
                      char *errmsg) {
    /* The argument is the job's; it is done with it. Freed before anyone
     * can observe the final state, so a woken waiter may reuse what arg
     * pointed to. */
    if (f->free_arg)
        f->free_arg(f->arg);
    f->arg = NULL;

    futurl_state final = final_state(status);
    int failed = final == FUTURL_FAILED;
    f->status = status;
    f->result = result;
    f->errmsg = errmsg;
    atomic_store_explicit(&f->state, final, memory_order_release);

    /* Nobody registered anything: settled at once, without the lock (the
     * gate's CAS publishes status, result and errmsg to whoever finds it
     * SETTLED). */
    int gate = FUTURL__GATE_OPEN;
    if (atomic_compare_exchange_strong_explicit(&f->gate, &gate, FUTURL__GATE_SETTLED,
                                                memory_order_acq_rel,
                                                memory_order_acquire)) {
        atomic_store_explicit(&f->settled, 1, memory_order_release);
        futurl__executor_completed(f->ex, f);
        return;
    }

    pthread_mutex_t *lock = futurl__future_lock(f);
    pthread_mutex_lock(lock);
    futurl__callback *cb = f->callbacks;
    f->callbacks = NULL;
    f->callbacks_tail = &f->callbacks;
    if (cb)
        f->settling_thread = pthread_self();
    futurl__executor_completed(f->ex, f);
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

/* ---------------------------------------------------------------- waiting */

futurl_status futurl_future_wait_for(futurl_future *f, long timeout_ms) {
    if (!f)
        return FUTURL_EINVAL;
    if (atomic_load_explicit(&f->settled, memory_order_acquire))
        return f->status;
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
    return atomic_load_explicit(&f->settled, memory_order_acquire) ? f->status
                                                                     : FUTURL_ETIMEDOUT;
}

futurl_status futurl_future_wait(futurl_future *f) {
    return futurl_future_wait_for(f, -1);
}

/* ----------------------------------------------------------- cancellation */

int futurl_future_cancel(futurl_future *f) {
    if (!f || futurl__is_final(load_state(f)))
        return 0;
    return futurl__executor_cancel(f->ex, f);
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
