/*
 * src/executor.h — the run-in-executor core as the rest of the library
 * sees it (src/executor.c): submission with a deadline, waking a parked
 * future, and the hooks through which the HTTP layer follows its futures.
 * What a job may do from inside (defer, hand off, claim) is in job.h,
 * included here. Not installed.
 *
 * The executor depends on the future (src/future.h), never the reverse: a
 * future reaches its executor only through the owner record
 * (futurl__future_owner) that the executor hands to futurl__future_new.
 */
#ifndef FUTURL_SRC_EXECUTOR_H
#define FUTURL_SRC_EXECUTOR_H

#include "future.h"
#include "job.h"

#include <stdint.h>

/* Submit with an optional absolute deadline (monotonic ns, 0: none): a
 * future still queued at its deadline ends FUTURL_ETIMEDOUT at that moment,
 * without running. Otherwise as futurl_executor_submit_timeout(). */
futurl_status futurl__executor_submit(futurl_executor *ex, futurl_job_fn fn, void *arg,
                                      futurl_free_fn free_arg, futurl_free_fn free_result,
                                      long timeout_ms, uint64_t deadline_ns,
                                      futurl_future **out);

/* Make a parked future due now (or, if its job is still returning, as soon
 * as it parks). No effect on a future that is not pending. The caller must
 * hold a reference to f. */
void futurl__executor_wake(futurl_executor *ex, futurl_future *f);

/* Futures parked right now. */
size_t futurl__executor_parked(futurl_executor *ex);

/* Set the executor's complete hook (see futurl__complete_hook in
 * src/future.h: its futures call it as they become final). Set it before
 * the first submission. */
void futurl__executor_set_complete_hook(futurl_executor *ex, futurl__complete_hook fn,
                                        void *userdata);

/* Called when a RUNNING future of the executor is cancelled, on the
 * cancelling thread, after its flag is set and with no executor lock held,
 * while the cancelling thread holds a reference: the HTTP layer uses it to
 * interrupt a transfer that waits on a silent peer. Set it before the first
 * submission. */
typedef void (*futurl__cancel_hook)(void *userdata, futurl_future *f);
void futurl__executor_set_cancel_hook(futurl_executor *ex, futurl__cancel_hook fn,
                                      void *userdata);

/* Called when the executor finishes a queued or parked future without its
 * job running again — cancelled, ended by shutdown (status
 * FUTURL_ECANCELED) or by its deadline (FUTURL_ETIMEDOUT) — on the thread
 * that finishes it. It may hand over a result and a message (malloc'd; NULL
 * for the default) for that outcome. The job is not running: its argument
 * (futurl__future_arg) may be read. Set it before the first submission. */
typedef void (*futurl__abandon_hook)(void *userdata, futurl_future *f,
                                     futurl_status status, void **result, char **errmsg);
void futurl__executor_set_abandon_hook(futurl_executor *ex, futurl__abandon_hook fn,
                                       void *userdata);

#endif
