/*
 * src/cq.c — the completion queue (futurl.h): finished futures handed to
 * the one thread that owns the queue, through an eventfd that any event
 * loop can watch. It owns the queue, its entries and its fd; the futures
 * stay the caller's, and the queue reaches them only through their wait
 * links (future.h), as the waits of src/wait.c do.
 *
 * An entry is one attached future: a watcher and a wait link of its own,
 * the future (one reference, taken by the attach), the tag and the
 * callback. While the future runs, the entry's link sits in the future's
 * list; completion calls entry_notify() under the future lock once the
 * future has settled, which unlinks the link and posts the entry. A future
 * already settled at attach time is posted by the attach itself.
 *
 * Posting takes no lock: `posted` is a lock-free stack (newest first)
 * that finishing threads push onto, and only the consumer takes from
 * (all of it at once, then reversed into `ready`, oldest first). Its head
 * is a list, NULL, or one of two marks:
 *   ARMED  – empty, and the eventfd is clear: whoever pushes onto ARMED
 *            must write the eventfd (the empty → non-empty edge);
 *   NULL   – empty or not, the consumer took the list and has not armed
 *            it again: the eventfd is still readable, so pushes onto NULL
 *            (or onto a list) write nothing;
 *   CLOSED – freed: pushes give up and drop their entry.
 *
 * The fd is readable iff the queue holds an entry. The argument, in the
 * consumer's order (disarm): (1) wait until no edge writer is between its
 * push onto ARMED and its write (edge_writers == 0); (2) read the eventfd,
 * clearing it; (3) swing `posted` NULL → ARMED. If (3) fails, entries
 * were pushed onto NULL after the take, without a write: the consumer
 * writes the eventfd itself and takes them (readable, non-empty). If it
 * succeeds, the fd is clear and the queue empty, and every later push
 * finds ARMED and writes after pushing: no wake-up is lost, because a
 * writer that saw ARMED pushed after (3), so after (2), and its write
 * cannot be the one (2) cleared. And no stale wake-up is left: a writer
 * that pushed onto an earlier ARMED and had not yet written was counted
 * in edge_writers, which (1) waited out, so its write landed before (2).
 * A writer counts itself before its compare-and-swap onto ARMED (seq_cst
 * both sides): if it counted after the consumer's look at the counter,
 * ARMED can only have been installed by (3) since, which is what it saw.
 * Between a push onto ARMED and its write (a few instructions) the queue
 * is non-empty and the fd not yet readable; the wake-up follows.
 *
 * Lifetime. `refs` counts the owner (until _free) and every entry not yet
 * consumed or dropped: a running future's entry keeps the queue's memory
 * alive for its notify. _free closes `posted` (CLOSED), drops what was
 * posted, waits out the edge writers (the only writers of the fd) and
 * closes the fd; entries that post later find CLOSED and drop themselves,
 * and the last one frees the memory.
 *
 * Guarded by: posted, refs, edge_writers – atomics; ready, held,
 * in_callback – the consumer (one thread at a time, by contract). An
 * entry's link – the future lock of its future.
 */
#include "future.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

typedef struct cq_entry {
    futurl__watcher watcher; /* first: entry_notify finds the entry */
    futurl__wait_link link;  /* in the future's list while it runs */
    struct cq_entry *next;   /* in `posted` or `ready` */
    futurl_completion_queue *q;
    futurl_future *f; /* one reference, the queue's */
    void *tag;
    futurl_done_fn fn;
} cq_entry;

struct futurl_completion_queue {
    _Alignas(64) _Atomic(cq_entry *) posted; /* pushed by finishing threads */
    atomic_int edge_writers;                 /* between a push onto ARMED and its write */
    _Alignas(64) atomic_size_t refs;         /* the owner + unconsumed entries */
    int fd;
    /* The consumer's. */
    cq_entry *ready;     /* taken from posted, oldest first */
    futurl_future *held; /* the last entry's future, released next call */
    int in_callback;     /* a queue callback runs on the consumer */
};

static const char armed_mark, closed_mark;
#define ARMED  ((cq_entry *)&armed_mark)
#define CLOSED ((cq_entry *)&closed_mark)

/* ------------------------------------------------------------------ queue */

static void queue_unref(futurl_completion_queue *q) {
    if (atomic_fetch_sub_explicit(&q->refs, 1, memory_order_acq_rel) == 1)
        free(q);
}

futurl_status futurl_completion_queue_new(futurl_completion_queue **out) {
    if (!out)
        return FUTURL_EINVAL;
    *out = NULL;
    futurl_completion_queue *q = aligned_alloc(64, sizeof *q);
    if (!q)
        return FUTURL_ENOMEM;
    memset(q, 0, sizeof *q);
    q->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (q->fd < 0) {
        free(q);
        return errno == ENOMEM ? FUTURL_ENOMEM : FUTURL_EIO;
    }
    atomic_init(&q->posted, ARMED);
    atomic_init(&q->edge_writers, 0);
    atomic_init(&q->refs, 1);
    *out = q;
    return FUTURL_OK;
}

int futurl_completion_queue_fd(const futurl_completion_queue *q) {
    return q ? q->fd : -1;
}

static void fd_signal(int fd) {
    uint64_t one = 1;
    while (write(fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

static void fd_clear(int fd) {
    uint64_t n;
    while (read(fd, &n, sizeof n) < 0 && errno == EINTR)
        ;
}

/* Drop an entry that will never be popped (its queue is freed): give back
 * its future reference (the completer, or the consumer, holds another, so
 * this never frees the future under its lock) and its queue reference. */
static void entry_drop(cq_entry *e) {
    futurl_completion_queue *q = e->q;
    futurl__future_release(e->f);
    free(e);
    queue_unref(q);
}

/* Post e: push it onto `posted`, and write the fd on the empty → non-empty
 * edge. Any thread; takes no lock. */
static void entry_post(cq_entry *e) {
    futurl_completion_queue *q = e->q;
    cq_entry *head = atomic_load_explicit(&q->posted, memory_order_relaxed);
    int counted = 0;
    for (;;) {
        if (head == CLOSED)
            break;
        if (head == ARMED && !counted) {
            atomic_fetch_add_explicit(&q->edge_writers, 1, memory_order_seq_cst);
            counted = 1;
        }
        e->next = head == ARMED ? NULL : head;
        if (atomic_compare_exchange_weak_explicit(
                &q->posted, &head, e, memory_order_seq_cst, memory_order_relaxed))
            break;
    }
    if (head == ARMED)
        fd_signal(q->fd);
    /* From here e may already be consumed; q lives while we are counted
     * (_free waits for edge_writers), or through e's reference if we
     * drop it. */
    if (counted)
        atomic_fetch_sub_explicit(&q->edge_writers, 1, memory_order_seq_cst);
    if (head == CLOSED)
        entry_drop(e);
}

/* The watched future settled (futurl__watcher.notify, under its lock). */
static void entry_notify(futurl__watcher *w, size_t index, int failed) {
    (void)index;
    (void)failed;
    cq_entry *e = (cq_entry *)w;
    futurl__wait_link *l = &e->link;
    if (l->prev)
        l->prev->next = l->next;
    else
        e->f->links = l->next;
    if (l->next)
        l->next->prev = l->prev;
    l->linked = 0;
    entry_post(e);
}

static futurl_status attach(futurl_completion_queue *q, futurl_future *f, void *tag,
                            futurl_done_fn fn) {
    if (!q || !f)
        return FUTURL_EINVAL;
    cq_entry *e = calloc(1, sizeof *e);
    if (!e)
        return FUTURL_ENOMEM;
    if (atomic_exchange_explicit(&f->cq_attached, 1, memory_order_relaxed)) {
        free(e);
        return FUTURL_EINVAL;
    }
    e->watcher.notify = entry_notify;
    e->link.watcher = &e->watcher;
    e->q = q;
    e->f = f;
    e->tag = tag;
    e->fn = fn;
    futurl__future_ref(f);
    atomic_fetch_add_explicit(&q->refs, 1, memory_order_relaxed);
    pthread_mutex_t *lock = futurl__future_lock(f);
    pthread_mutex_lock(lock);
    int settled = futurl__watch(f);
    if (!settled) {
        e->link.prev = NULL;
        e->link.next = f->links;
        if (f->links)
            f->links->prev = &e->link;
        f->links = &e->link;
        e->link.linked = 1;
    }
    pthread_mutex_unlock(lock);
    if (settled)
        entry_post(e); /* finished already: its entry now */
    return FUTURL_OK;
}

futurl_status futurl_completion_queue_attach(futurl_completion_queue *q, futurl_future *f,
                                             void *tag) {
    return attach(q, f, tag, NULL);
}

futurl_status futurl_completion_queue_on_done(futurl_completion_queue *q,
                                              futurl_future *f, futurl_done_fn fn,
                                              void *userdata) {
    if (!fn)
        return FUTURL_EINVAL;
    return attach(q, f, userdata, fn);
}

/* ---------------------------------------------------------------- consumer */

/* Move what was posted, oldest first, behind `ready`. */
static void take_posted(futurl_completion_queue *q) {
    cq_entry *top = atomic_load_explicit(&q->posted, memory_order_acquire);
    if (top == ARMED || top == NULL)
        return;
    top = atomic_exchange_explicit(&q->posted, NULL, memory_order_acquire);
    cq_entry *oldest_first = NULL;
    while (top) {
        cq_entry *next = top->next;
        top->next = oldest_first;
        oldest_first = top;
        top = next;
    }
    cq_entry **tail = &q->ready;
    while (*tail)
        tail = &(*tail)->next;
    *tail = oldest_first;
}

/* `ready` and `posted` are empty as far as the consumer saw: clear the fd
 * and arm `posted` (the argument is in the first comment). */
static void disarm(futurl_completion_queue *q) {
    if (atomic_load_explicit(&q->posted, memory_order_acquire) == ARMED)
        return; /* armed since the last disarm: the fd is clear */
    while (atomic_load_explicit(&q->edge_writers, memory_order_seq_cst) != 0)
        sched_yield();
    fd_clear(q->fd);
    cq_entry *seen = NULL;
    if (!atomic_compare_exchange_strong_explicit(
            &q->posted, &seen, ARMED, memory_order_seq_cst, memory_order_acquire)) {
        fd_signal(q->fd); /* pushed onto NULL since the take: unsignalled */
        take_posted(q);
    }
}

static void release_held(futurl_completion_queue *q) {
    if (q->held) {
        futurl__future_release(q->held);
        q->held = NULL;
    }
}

futurl_status futurl_completion_queue_next(futurl_completion_queue *q,
                                           futurl_completion *entry) {
    if (entry)
        memset(entry, 0, sizeof *entry);
    if (!q || !entry)
        return FUTURL_EINVAL;
    if (q->in_callback)
        return FUTURL_EDEADLK;
    release_held(q);
    if (!q->ready)
        take_posted(q);
    if (!q->ready) {
        disarm(q);
        if (!q->ready)
            return FUTURL_EPENDING;
    }
    cq_entry *e = q->ready;
    q->ready = e->next;
    if (!q->ready) {
        take_posted(q);
        if (!q->ready)
            disarm(q); /* so the fd is clear when the last entry leaves */
    }
    entry->future = e->f;
    entry->tag = e->tag;
    entry->callback = e->fn;
    q->held = e->f; /* e's reference, released at the next call */
    free(e);
    queue_unref(q); /* never the last: the owner holds one */
    if (entry->callback) {
        q->in_callback = 1;
        entry->callback(entry->future, entry->tag);
        q->in_callback = 0;
    }
    return FUTURL_OK;
}

futurl_status futurl_completion_queue_wait(futurl_completion_queue *q, long timeout_ms,
                                           futurl_completion *entry) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        futurl_status rc = futurl_completion_queue_next(q, entry);
        if (rc != FUTURL_EPENDING)
            return rc;
        int wait_ms = -1;
        if (timeout_ms >= 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long long spent = (long long)(now.tv_sec - start.tv_sec) * 1000 +
                              (now.tv_nsec - start.tv_nsec) / 1000000;
            if (spent >= timeout_ms)
                return FUTURL_EPENDING;
            long long left = timeout_ms - spent;
            wait_ms = left > 60000 ? 60000 : (int)left;
        }
        /* _next returned EPENDING, so the queue is armed: the next post
         * writes the fd. */
        struct pollfd p = {.fd = q->fd, .events = POLLIN};
        if (poll(&p, 1, wait_ms) < 0 && errno != EINTR)
            return FUTURL_EIO;
    }
}

void futurl_completion_queue_free(futurl_completion_queue *q) {
    if (!q)
        return;
    release_held(q);
    cq_entry *top = atomic_exchange_explicit(&q->posted, CLOSED, memory_order_seq_cst);
    while (top && top != ARMED) {
        cq_entry *next = top->next;
        entry_drop(top);
        top = next;
    }
    while (q->ready) {
        cq_entry *next = q->ready->next;
        entry_drop(q->ready);
        q->ready = next;
    }
    /* Edge writers are the only threads that touch the fd; new ones find
     * CLOSED. */
    while (atomic_load_explicit(&q->edge_writers, memory_order_seq_cst) != 0)
        sched_yield();
    close(q->fd);
    q->fd = -1;
    queue_unref(q); /* the owner's; running futures' entries keep the rest */
}
