/*
 * src/heap.c — the executor's timer heap: a binary min-heap of futures
 * keyed by wake time (wake_ns), each future knowing its place
 * (heap_index), as libuv's heap-inl.h. With ex->lock held throughout.
 * What goes in and when it is acted on belongs to the workers and the
 * timer thread (src/worker.c):
 *
 * A job may also park its future (futurl__job_defer): the future goes back
 * to PENDING without holding a worker and waits in a timer heap — a binary
 * min-heap keyed by wake time — until it is due or woken, when it re-enters
 * the run queue. Queued futures with a deadline sit in the same heap, keyed
 * by the deadline, so they end FUTURL_ETIMEDOUT on time even if no worker
 * reaches them. One timer thread per executor, started on first use, acts
 * on the heap.
 */
#include "heap.h"

#include <stdlib.h>

void futurl__heap_set(futurl_executor *ex, size_t i, futurl_future *f) {
    ex->heap[i] = f;
    f->heap_index = i;
}

static void heap_sift_up(futurl_executor *ex, size_t i) {
    futurl_future *f = ex->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (ex->heap[parent]->wake_ns <= f->wake_ns)
            break;
        futurl__heap_set(ex, i, ex->heap[parent]);
        i = parent;
    }
    futurl__heap_set(ex, i, f);
}

void futurl__heap_sift_down(futurl_executor *ex, size_t i) {
    futurl_future *f = ex->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= ex->heap_len)
            break;
        if (child + 1 < ex->heap_len &&
            ex->heap[child + 1]->wake_ns < ex->heap[child]->wake_ns)
            child++;
        if (f->wake_ns <= ex->heap[child]->wake_ns)
            break;
        futurl__heap_set(ex, i, ex->heap[child]);
        i = child;
    }
    futurl__heap_set(ex, i, f);
}

/* Make room in the heap for one more. Returns 0, or -1 when out of
 * memory. */
int futurl__heap_grow(futurl_executor *ex) {
    if (ex->heap_len == ex->heap_cap) {
        size_t cap = ex->heap_cap ? 2 * ex->heap_cap : 64;
        futurl_future **h = realloc(ex->heap, cap * sizeof *h);
        if (!h)
            return -1;
        ex->heap = h;
        ex->heap_cap = cap;
    }
    return 0;
}

/* Insert f keyed by wake_ns, in the room futurl__heap_grow() made. */
void futurl__heap_push(futurl_executor *ex, futurl_future *f, uint64_t wake_ns) {
    f->wake_ns = wake_ns;
    ex->heap[ex->heap_len] = f;
    f->heap_index = ex->heap_len++;
    heap_sift_up(ex, f->heap_index);
}

void futurl__heap_remove(futurl_executor *ex, futurl_future *f) {
    size_t i = f->heap_index;
    if (i == SIZE_MAX)
        return;
    f->heap_index = SIZE_MAX;
    futurl_future *last = ex->heap[--ex->heap_len];
    if (i == ex->heap_len)
        return;
    futurl__heap_set(ex, i, last);
    heap_sift_up(ex, i);
    futurl__heap_sift_down(ex, last->heap_index);
}
