/*
 * src/queue.c — the executor's bounded run queue: the queue itself, the
 * lock-free inbox that submitters push onto, and the slots that bound
 * queued and parked futures together (see queue.h).
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
 * first moves the inbox, oldest first, to the queue's tail (futurl__take_inbox).
 * Workers pick up a burst of submissions in one step, and a submitter
 * takes the lock only to wake a sleeping worker that no one is waking yet
 * (futurl__wake_worker: once per sleeper, not once per job), to wait for room, or
 * to put a future with a deadline into the timer heap. Shutdown closes the
 * inbox with a sentinel: no push can succeed after the last look at it.
 *
 * Slots. The queue's capacity bounds queued and parked futures together:
 * a slot is taken by a submission (which waits or fails when there is none)
 * and by a job that parks its future (which never waits: workers must not
 * block, so it may go past the capacity); a parked future keeps its slot
 * when it re-enters the queue (so the timer thread never needs room it
 * cannot get), and gives it back when a worker takes it or when it ends
 * without running again. A running future holds none. Queued + parked +
 * running therefore never grows past capacity + workers by a submission,
 * and parking does not change it: parked futures are bounded, and hold
 * submitters back as queued ones do.
 */
#include "queue.h"

/* The inbox after shutdown: pushes fail, takes find nothing. */
#define INBOX_CLOSED ((futurl_future *)&inbox_closed_mark)
static const char inbox_closed_mark;

/* admitted - released, read in that order: a submitter's stale admitted
 * may be behind a fresher released, so a "negative" count means 0. */
static size_t slot_count(size_t admitted, size_t released) {
    size_t n = admitted - released;
    return n > SIZE_MAX / 2 ? 0 : n;
}

/* Slots in use now: queued (inbox included) and parked futures. */
size_t futurl__slots_used(futurl_executor *ex) {
    size_t a = atomic_load_explicit(&ex->admitted, memory_order_relaxed);
    return slot_count(a, atomic_load_explicit(&ex->released, memory_order_relaxed));
}

/* Reserve one slot below capacity. Returns 1, or 0 if the queue is full. */
int futurl__slot_reserve(futurl_executor *ex) {
    size_t a = atomic_load_explicit(&ex->admitted, memory_order_relaxed);
    for (;;) {
        size_t r = atomic_load_explicit(&ex->released_seen, memory_order_relaxed);
        if (slot_count(a, r) >= ex->capacity) {
            /* `released` only grows, so an old view (racing stores may even
             * move this copy back) errs on the side of full. Look at the
             * real one. */
            r = atomic_load_explicit(&ex->released, memory_order_relaxed);
            atomic_store_explicit(&ex->released_seen, r, memory_order_relaxed);
            if (slot_count(a, r) >= ex->capacity)
                return 0;
        }
        if (atomic_compare_exchange_weak_explicit(
                &ex->admitted, &a, a + 1, memory_order_relaxed, memory_order_relaxed))
            return 1;
    }
}

/* Give a reserved slot back without queueing (the submission failed). */
void futurl__slot_unreserve(futurl_executor *ex) {
    atomic_fetch_sub_explicit(&ex->admitted, 1, memory_order_relaxed);
}

/* Push f onto the inbox. Returns 0, or -1 if the executor is shut down.
 * seq_cst: paired with a worker that counts itself idle and then looks at
 * the inbox, one of the two sees the other (see worker_main). */
int futurl__inbox_push(futurl_executor *ex, futurl_future *f) {
    futurl_future *top = atomic_load_explicit(&ex->inbox, memory_order_relaxed);
    do {
        if (top == INBOX_CLOSED)
            return -1;
        f->qnext = top;
    } while (!atomic_compare_exchange_weak_explicit(
        &ex->inbox, &top, f, memory_order_seq_cst, memory_order_relaxed));
    return 0;
}

int futurl__inbox_has_work(futurl_executor *ex) {
    futurl_future *top = atomic_load_explicit(&ex->inbox, memory_order_seq_cst);
    return top != NULL && top != INBOX_CLOSED;
}

/* Link f at the queue's tail (its slot is already counted). */
void futurl__queue_link(futurl_executor *ex, futurl_future *f) {
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
void futurl__take_inbox(futurl_executor *ex, int close) {
    /* seq_cst: a worker that just took a wake-up's place must see what was
     * pushed before the submitter decided not to signal (see futurl__wake_worker). */
    futurl_future *top = atomic_load_explicit(&ex->inbox, memory_order_seq_cst);
    futurl_future *want = close ? INBOX_CLOSED : NULL;
    do {
        if (top == INBOX_CLOSED || (top == NULL && !close))
            return;
    } while (!atomic_compare_exchange_weak_explicit(
        &ex->inbox, &top, want, memory_order_seq_cst, memory_order_seq_cst));
    futurl_future *oldest_first = NULL;
    while (top) {
        futurl_future *next = top->qnext;
        top->qnext = oldest_first;
        oldest_first = top;
        top = next;
    }
    while (oldest_first) {
        futurl_future *next = oldest_first->qnext;
        futurl__queue_link(ex, oldest_first);
        oldest_first = next;
    }
}

/* Give one slot back (a future left the queue, or a parked one ended).
 * With ex->lock held. */
void futurl__slot_release(futurl_executor *ex) {
    size_t released = atomic_load_explicit(&ex->released, memory_order_relaxed) + 1;
    atomic_store_explicit(&ex->released, released, memory_order_relaxed);
    /* Wake a blocked submitter once the queue is down to half: one wake-up
     * then admits a batch, instead of a futex call and a context switch per
     * job (measured: ~11 us of CPU per request at 50k small GETs). It also
     * looks by itself every ROOM_POLL_MS (futurl__executor_submit). */
    if (ex->blocked &&
        slot_count(atomic_load_explicit(&ex->admitted, memory_order_relaxed), released) <=
            ex->capacity / 2)
        pthread_cond_signal(&ex->not_full);
}

void futurl__queue_unlink(futurl_executor *ex, futurl_future *f) {
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
    futurl__slot_release(ex);
}

/* f is parked no more; `slot`: it ends here, so its slot goes back (one
 * that re-enters the queue keeps it). With ex->lock held. */
void futurl__unmark_parked(futurl_executor *ex, futurl_future *f, int slot) {
    f->parked = 0;
    atomic_fetch_sub_explicit(&ex->nparked, 1, memory_order_relaxed);
    if (slot)
        futurl__slot_release(ex);
}
