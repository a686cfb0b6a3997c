/*
 * src/queue.h — the executor's run queue, its inbox and its slots
 * (src/queue.c). All of it works on struct futurl_executor
 * (executor_data.h); "with ex->lock held" is said where it applies. Not
 * installed.
 */
#ifndef FUTURL_SRC_QUEUE_H
#define FUTURL_SRC_QUEUE_H

#include "executor_data.h"

/* Slots in use now: queued (inbox included) and parked futures. */
size_t futurl__slots_used(futurl_executor *ex);

/* Reserve one slot below capacity, without the lock. Returns 1, or 0 if
 * the queue is full. */
int futurl__slot_reserve(futurl_executor *ex);

/* Give a reserved slot back without queueing (the submission failed). */
void futurl__slot_unreserve(futurl_executor *ex);

/* Push f onto the inbox, without the lock. Returns 0, or -1 if the
 * executor is shut down. */
int futurl__inbox_push(futurl_executor *ex, futurl_future *f);

/* 1 if the inbox holds a submission. */
int futurl__inbox_has_work(futurl_executor *ex);

/* Link f at the queue's tail (its slot is already counted). With ex->lock. */
void futurl__queue_link(futurl_executor *ex, futurl_future *f);

/* Move the inbox, oldest first, to the queue's tail; with `close`, leave
 * the inbox closed. With ex->lock. */
void futurl__take_inbox(futurl_executor *ex, int close);

/* Give one slot back, waking a blocked submitter once the queue is down to
 * half. With ex->lock. */
void futurl__slot_release(futurl_executor *ex);

/* Take f off the queue and give its slot back. With ex->lock. */
void futurl__queue_unlink(futurl_executor *ex, futurl_future *f);

/* f is parked no more; `slot`: it ends here, so its slot goes back. With
 * ex->lock. */
void futurl__unmark_parked(futurl_executor *ex, futurl_future *f, int slot);

#endif
