/*
 * src/heap.h — the executor's timer heap (src/heap.c). Not installed.
 */
#ifndef FUTURL_SRC_HEAP_H
#define FUTURL_SRC_HEAP_H

#include "executor_data.h"

/* Put f at index i (its heap_index follows). */
void futurl__heap_set(futurl_executor *ex, size_t i, futurl_future *f);

/* Restore the heap below index i (also to rebuild it bottom-up). */
void futurl__heap_sift_down(futurl_executor *ex, size_t i);

/* Make room for one more. Returns 0, or -1 when out of memory. */
int futurl__heap_grow(futurl_executor *ex);

/* Insert f keyed by wake_ns, in the room futurl__heap_grow() made. */
void futurl__heap_push(futurl_executor *ex, futurl_future *f, uint64_t wake_ns);

/* Take f out of the heap; nothing if it is not in it. */
void futurl__heap_remove(futurl_executor *ex, futurl_future *f);

#endif
