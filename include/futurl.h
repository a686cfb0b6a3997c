/*
 * futurl — concurrent HTTP for C on a pool of worker threads, with futures.
 *
 * A fixed pool of worker threads takes jobs from a bounded queue. Every
 * submission returns a future the caller can wait on, poll, cancel, attach
 * callbacks to, or combine with others (gather, wait-any, as-completed).
 * The HTTP client runs one blocking libcurl easy transfer per job, on a
 * handle owned by the worker and reused across requests.
 *
 * Conventions used by every comment below:
 *   Returns      – functions that can fail return a futurl_status: FUTURL_OK
 *                  (0) or a negative error code; objects come back through an
 *                  out-parameter, which is set to NULL on failure.
 *   Ownership    – "new": the caller frees it; "borrowed": valid while its
 *                  owner lives, never freed by the caller; "steals": the
 *                  function takes ownership, even when it fails; "copied":
 *                  the function copies the data before it returns.
 *   Thread-safety – stated per function. "any thread" means the call may run
 *                  concurrently with any other call on the same object.
 *   Callbacks    – a callback registered by a call that failed is never
 *                  called; otherwise it is called exactly once.
 *   Waiting      – a call that waits with a time limit (futurl_future_wait_for,
 *                  futurl_gather, futurl_wait_any, futurl_as_completed_next)
 *                  returns FUTURL_EPENDING when the limit passes before what
 *                  it waits for has finished; it changes nothing, and the
 *                  call may be made again. FUTURL_ETIMEDOUT is an outcome: a
 *                  future that ended because a timeout or deadline passed
 *                  (and futurl_gather's FUTURL_CANCEL_ON_TIMEOUT, which ends
 *                  the unfinished ones).
 *
 * Naming: futurl_<object>_<verb or noun>, by these rules.
 *   _create, _destroy – objects that own threads (executor, client):
 *                  destroy shuts down, joins the threads and frees.
 *   _new, _free  – plain values that own no thread (request, as-completed
 *                  iterator); free only releases memory. A future has no
 *                  _new (a submission makes it); futurl_future_free()
 *                  releases the caller's reference, and the work goes on.
 *   _init        – futurl_executor_options_init(),
 *                  futurl_client_options_init(), futurl_retry_policy_init()
 *                  fill a caller's struct with the defaults; nothing to free.
 *   _shutdown    – stop an object's threads without freeing it.
 *   _set_, _add_, _remove_ – configure a request before submit.
 *   _on_<event>  – register a callback (futurl_request_on_chunk(),
 *                  futurl_future_on_done()).
 *   accessors    – named for what they return, without get_
 *                  (futurl_response_status, futurl_executor_queued);
 *                  futurl_client_get_stats() fills a caller's struct, and
 *                  says so with get_.
 *   exceptions   – futurl_global_init() and futurl_global_cleanup() keep the
 *                  names of libcurl's calls they count (curl_global_init,
 *                  curl_global_cleanup); futurl_get(), futurl_delete(),
 *                  futurl_post_json() … are named for the HTTP method they
 *                  send, as the one-liners of Python's requests, and
 *                  futurl_gather_get() is futurl_gather() of GETs; the
 *                  status and version calls (futurl_strerror() …) belong to
 *                  no object. In futurl_response_new_connections(), "new"
 *                  describes the connections: an accessor, not a constructor.
 */
#ifndef FUTURL_H
#define FUTURL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FUTURL_VERSION_MAJOR 0
#define FUTURL_VERSION_MINOR 1
#define FUTURL_VERSION_PATCH 0
#define FUTURL_VERSION_STRING "0.1.0"

#if defined(FUTURL_BUILDING) && defined(__GNUC__)
#define FUTURL_API __attribute__((visibility("default")))
#else
#define FUTURL_API
#endif

#if defined(__GNUC__)
#define FUTURL_NODISCARD __attribute__((warn_unused_result))
#define FUTURL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define FUTURL_NODISCARD
#define FUTURL_PRINTF(f, a)
#endif

/* cJSON is only named by pointer here; include <cjson/cJSON.h> to use it. */
struct cJSON;

/* ======================================================================== */
/* Status codes                                                             */
/* ======================================================================== */

/*
 * X(name, value, message) — the one list that builds the enum,
 * futurl_strerror() and futurl_err_name().
 */
#define FUTURL_STATUS_MAP(X)                                                   \
    X(OK, 0, "success")                                                        \
    X(EINVAL, -1, "invalid argument")                                          \
    X(ENOMEM, -2, "out of memory")                                             \
    X(EQUEUEFULL, -3, "queue is full")                                         \
    X(ESHUTDOWN, -4, "shut down: no new work is accepted")                     \
    X(ETIMEDOUT, -5, "timed out")                                              \
    X(ECANCELED, -6, "cancelled")                                              \
    X(EPENDING, -7, "not finished yet")                                        \
    X(EJOB, -8, "job failed")                                                  \
    X(ETHREAD, -9, "could not start a thread")                                 \
    X(EDEADLK, -10, "would deadlock: the call would wait for this thread")     \
    X(EEXHAUSTED, -11, "nothing left: every future was yielded")               \
    X(EURL, -20, "malformed URL")                                              \
    X(ESCHEME, -21, "URL scheme not allowed (only http and https)")            \
    X(EHEADER, -22, "header name or value not allowed (CR, LF, NUL, bad "      \
                    "name, or one the library owns)")                          \
    X(EMETHOD, -23, "invalid HTTP method token")                               \
    X(ERESOLVE, -24, "could not resolve host")                                 \
    X(ECONNECT, -25, "could not connect")                                      \
    X(ETLS, -26, "TLS failure (handshake or certificate verification)")        \
    X(ENETWORK, -27, "connection failed during transfer (reset, empty reply "  \
                     "or partial body)")                                       \
    X(EPROTOCOL, -28, "HTTP protocol error")                                   \
    X(EREDIRECT, -29, "too many redirects")                                    \
    X(ETOOLARGE, -30, "response larger than the size cap")                     \
    X(EHTTP, -31, "HTTP error status (>= 400)")                                \
    X(EJSON, -32, "invalid JSON")                                              \
    X(EABORTED, -33, "aborted by a user callback")                             \
    X(EIO, -34, "local I/O error")                                             \
    X(ECURL, -35, "libcurl error")                                             \
    X(EJSONPATH, -40, "malformed JSON path")                                   \
    X(ENOTFOUND, -41, "no value at this JSON path")                            \
    X(ETYPE, -42, "the JSON value has another type")

typedef enum futurl_status {
#define FUTURL__ENUM(name, value, msg) FUTURL_##name = (value),
    FUTURL_STATUS_MAP(FUTURL__ENUM)
#undef FUTURL__ENUM
} futurl_status;

/* A short English sentence for s; never NULL ("unknown status" for
 * values outside the enum). Thread-safety: any thread. */
FUTURL_API const char *futurl_strerror(futurl_status s);

/* The enum's name for s, e.g. "FUTURL_ETIMEDOUT"; never NULL
 * ("FUTURL_UNKNOWN" for values outside the enum). Thread-safety: any thread. */
FUTURL_API const char *futurl_err_name(futurl_status s);

/* The library version, "0.1.0". Thread-safety: any thread. */
FUTURL_API const char *futurl_version(void);

/* The version of the libcurl futurl runs on, e.g. "7.88.1" (what
 * curl_version_info reports at run time). Ownership: borrowed, static.
 * Thread-safety: any thread. */
FUTURL_API const char *futurl_curl_version(void);

/* ======================================================================== */
/* Library init                                                             */
/* ======================================================================== */

/*
 * Initialise libcurl for the whole process (curl_global_init), under a lock.
 * futurl_client_create() calls it too, so a program need not — as long as
 * libcurl reports CURL_VERSION_THREADSAFE (Debian 12's does): with an older
 * libcurl, curl_global_init is not safe while other threads run, and the
 * program must call this once before it starts threads.
 * Calls nest: each successful call needs one futurl_global_cleanup().
 * Returns FUTURL_OK or FUTURL_ECURL. Thread-safety: as said above.
 */
FUTURL_API futurl_status futurl_global_init(void);

/* Undo one futurl_global_init(); the last one calls curl_global_cleanup().
 * Call after every client is destroyed. Thread-safety: as futurl_global_init. */
FUTURL_API void futurl_global_cleanup(void);

/* ======================================================================== */
/* Executor: run any blocking function on the pool                          */
/* ======================================================================== */

typedef struct futurl_executor futurl_executor;
typedef struct futurl_future futurl_future;
/* What a running job sees: its cancellation flag and its worker's state. */
typedef struct futurl_job futurl_job;

/* Default queue capacity when futurl_executor_options.queue_capacity is 0. */
#define FUTURL_DEFAULT_QUEUE_CAPACITY 4096u

typedef struct futurl_executor_options {
    /* Worker threads at most; 0 means min(32, online cores + 4), as Python's
     * ThreadPoolExecutor. At most 1024. They start on demand, as there: one
     * at create, then one more for each submission that finds no idle
     * worker to wake (a worker that has just finished a job and is not yet
     * back counts as busy, so a long run of submit-then-wait may start a
     * few). A worker is started by the thread whose submission needed it,
     * and inherits its scheduling policy, priority, nice value and CPU
     * affinity (set your own in on_worker_start), but not its signal mask:
     * workers block every signal. */
    unsigned workers;
    /* Jobs waiting at most: queued ones (not yet running) and, in a
     * client's pool, parked requests (waiting to retry, for a per-host slot
     * or a rate token; they hold no worker). At the bound, submit blocks,
     * try_submit fails with FUTURL_EQUEUEFULL and a submit on a worker
     * thread fails with it at once. A worker that parks a request never
     * waits for room, so queued + parked may pass the bound by at most
     * `workers`. 0 means FUTURL_DEFAULT_QUEUE_CAPACITY. */
    unsigned queue_capacity;
    /* Thread name prefix: workers are named "<prefix>-<index>" (cut to the
     * 15 bytes Linux keeps). Copied. Default "futurl". */
    const char *thread_name;
    /* Called on each worker thread before it takes jobs; its return value is
     * that worker's state (futurl_job_worker_state). NULL: no state. */
    void *(*on_worker_start)(void *userdata, unsigned worker_index);
    /* Called on each worker thread as it exits, with the state above. */
    void (*on_worker_stop)(void *userdata, void *worker_state);
    /* Passed to the two hooks; must outlive the executor. */
    void *userdata;
} futurl_executor_options;

/* Fill opts with the defaults described above. Thread-safety: any thread. */
FUTURL_API void futurl_executor_options_init(futurl_executor_options *opts);

/*
 * Create an executor and start its first worker (the others start on
 * demand; see `workers` above). opts may be NULL (defaults). Returns
 * FUTURL_OK, FUTURL_EINVAL, FUTURL_ENOMEM or FUTURL_ETHREAD (no thread
 * could be started; a later worker that cannot start leaves the work to
 * those running, and the next busy submission tries again). Ownership:
 * *out is new, free with futurl_executor_destroy(). Thread-safety: any
 * thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_executor_create(const futurl_executor_options *opts, futurl_executor **out);

/*
 * A job: runs on a worker thread. It returns FUTURL_OK (the future ends
 * DONE), FUTURL_ECANCELED (ends CANCELLED, meant for a job that saw
 * futurl_job_cancelled()), or any other status (ends FAILED with it). It may
 * store a result in *result whatever it returns.
 */
typedef futurl_status (*futurl_job_fn)(futurl_job *job, void *arg, void **result);

/* A destructor for a job's argument or result. */
typedef void (*futurl_free_fn)(void *p);

/*
 * Submit fn(job, arg, &result) to run on the pool. Blocks while the queue is
 * full, except on a worker thread (inside a job or a done-callback): there
 * it never blocks and fails with FUTURL_EQUEUEFULL instead of deadlocking.
 * free_arg (may be NULL) is called once with arg as soon as the job has
 * finished or was cancelled (before waiters wake and callbacks run), whether
 * or not it ran; free_result (may be NULL) is called with the job's result,
 * if it is not NULL, when the future is released (freed and finished). On failure
 * neither is called: arg stays the caller's.
 * Returns FUTURL_OK, FUTURL_EINVAL, FUTURL_ENOMEM, FUTURL_EQUEUEFULL (worker
 * thread) or FUTURL_ESHUTDOWN (shut down before or while waiting).
 * Ownership: *out is new, free with futurl_future_free().
 * Thread-safety: any thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_executor_submit(futurl_executor *ex, futurl_job_fn fn, void *arg,
                       futurl_free_fn free_arg, futurl_free_fn free_result,
                       futurl_future **out);

/* As futurl_executor_submit(), but waits at most timeout_ms for room in the
 * queue (negative: forever; 0: not at all). Returns what
 * futurl_executor_submit() returns, and FUTURL_EQUEUEFULL also when
 * timeout_ms passes without room. Ownership: *out is new, free with
 * futurl_future_free(). Thread-safety: any thread. */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_executor_submit_timeout(futurl_executor *ex, futurl_job_fn fn, void *arg,
                               futurl_free_fn free_arg, futurl_free_fn free_result,
                               long timeout_ms, futurl_future **out);

/* As futurl_executor_submit(), but never waits. Returns what
 * futurl_executor_submit() returns, and FUTURL_EQUEUEFULL at once when the
 * queue is full. Ownership: *out is new, free with futurl_future_free().
 * Thread-safety: any thread. */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_executor_try_submit(futurl_executor *ex, futurl_job_fn fn, void *arg,
                           futurl_free_fn free_arg, futurl_free_fn free_result,
                           futurl_future **out);

/* True (1) when the job's future was cancelled while it runs; long jobs
 * should poll it and return FUTURL_ECANCELED. Thread-safety: any thread. */
FUTURL_API int futurl_job_cancelled(const futurl_job *job);

/* The state on_worker_start returned for the worker running this job
 * (borrowed). Thread-safety: the job's own thread. */
FUTURL_API void *futurl_job_worker_state(const futurl_job *job);

/* Index of the worker running this job, 0 .. workers-1.
 * Thread-safety: the job's own thread. */
FUTURL_API unsigned futurl_job_worker_index(const futurl_job *job);

/* Set the failure message the job's future reports through
 * futurl_future_errmsg() (printf format; copied, cut at 255 bytes).
 * Thread-safety: the job's own thread. */
FUTURL_API void futurl_job_set_errmsg(futurl_job *job, const char *fmt, ...)
    FUTURL_PRINTF(2, 3);

/* How futurl_executor_shutdown() treats queued work. */
typedef enum futurl_shutdown_mode {
    FUTURL_DRAIN = 0,         /* run everything queued, then stop */
    FUTURL_CANCEL_PENDING = 1 /* queued futures end cancelled; running jobs
                                 are asked to stop (futurl_job_cancelled) */
} futurl_shutdown_mode;

/*
 * Stop accepting work, finish or cancel what is queued (per how), and join
 * the workers. Threads blocked in submit wake with FUTURL_ESHUTDOWN. Every
 * future of this executor has completed when it returns. A second call only
 * waits for the first to finish (a later CANCEL_PENDING still cancels what a
 * DRAIN left queued). The done-callbacks of what it cancels (queued futures
 * with CANCEL_PENDING, parked ones in both modes) run on the calling thread.
 * Returns FUTURL_OK, FUTURL_EINVAL, or FUTURL_EDEADLK, doing nothing, when
 * it would have to wait for the calling thread: on one of this executor's
 * workers or its timer thread, or in a done-callback that a shutdown of this
 * executor runs on the calling thread (the shutdown in progress goes on;
 * see futurl_future_on_done).
 * Thread-safety: any thread except those named above.
 */
FUTURL_API futurl_status futurl_executor_shutdown(futurl_executor *ex,
                                                  futurl_shutdown_mode how);

/* Shut down (FUTURL_DRAIN) if that has not happened, then free the executor.
 * Futures outlive it and stay valid. NULL is allowed. Where shutdown would
 * return FUTURL_EDEADLK (a worker, the timer thread, a callback inside a
 * shutdown of ex) it does nothing and ex is not freed: the destroy in
 * progress, if that is what runs the callback, frees it; else destroy it
 * from another thread. Thread-safety: once, after every other call on ex
 * has returned; never from those threads. */
FUTURL_API void futurl_executor_destroy(futurl_executor *ex);

/* The most worker threads the executor runs (its `workers` option).
 * Thread-safety: any thread. */
FUTURL_API unsigned futurl_executor_workers(const futurl_executor *ex);

/* Worker threads started so far: at least 1 (the one create starts), at
 * most futurl_executor_workers(); they stay until shutdown.
 * Thread-safety: any thread. */
FUTURL_API unsigned futurl_executor_threads(const futurl_executor *ex);

/* Number of queued (not yet running, not parked) jobs right now, counting
 * slots that submissions in progress have reserved. Thread-safety: any
 * thread. */
FUTURL_API size_t futurl_executor_queued(futurl_executor *ex);

/* ======================================================================== */
/* Future                                                                   */
/* ======================================================================== */

typedef enum futurl_state {
    FUTURL_PENDING = 0, /* queued (or, for HTTP, waiting to retry) */
    FUTURL_RUNNING,     /* a worker runs it */
    FUTURL_DONE,        /* finished with FUTURL_OK */
    FUTURL_FAILED,      /* finished with an error status */
    FUTURL_CANCELLED    /* finished by cancellation */
} futurl_state;

/* Block until f finishes and the done-callbacks added before that have
 * run (so their userdata may be freed after this returns); return the
 * outcome (futurl_future_status). A callback waiting on its own future
 * returns at once. In a done-callback that its pool's shutdown or timer
 * thread runs, it returns FUTURL_EDEADLK at once, without waiting, if f is
 * unfinished (futurl_future_done() is 0): that thread may be the one that
 * must end f (see futurl_future_on_done). Thread-safety: any thread; many
 * threads may wait on one future. */
FUTURL_API futurl_status futurl_future_wait(futurl_future *f);

/* Block at most timeout_ms (negative: forever; 0: only look). Returns the
 * outcome if f finished (which may itself be FUTURL_ETIMEDOUT: a request
 * whose timeout or deadline passed), FUTURL_EPENDING if it has not
 * finished when timeout_ms passes (f is untouched and goes on), FUTURL_EINVAL
 * if f is NULL, or FUTURL_EDEADLK at once as futurl_future_wait().
 * Thread-safety: any thread. */
FUTURL_API futurl_status futurl_future_wait_for(futurl_future *f, long timeout_ms);

/* 1 if f has finished (done, failed or cancelled), else 0; never blocks.
 * Its done-callbacks may still be running: wait for them with
 * futurl_future_wait(). Thread-safety: any thread. */
FUTURL_API int futurl_future_done(const futurl_future *f);

/* The current state; never blocks. Thread-safety: any thread. */
FUTURL_API futurl_state futurl_future_state(const futurl_future *f);

/* The outcome, never blocking. Returns FUTURL_OK, the error f failed with,
 * FUTURL_ECANCELED, FUTURL_EPENDING if f has not finished, or FUTURL_EINVAL
 * if f is NULL. Thread-safety: any thread. */
FUTURL_API futurl_status futurl_future_status(const futurl_future *f);

/* The job's result (NULL before f finishes). Ownership: borrowed, valid
 * until futurl_future_free(f). Thread-safety: any thread. */
FUTURL_API void *futurl_future_result(const futurl_future *f);

/* A message for the outcome ("" while pending or on success): the job's
 * message if it set one, else futurl_strerror(status). Ownership: borrowed,
 * valid until futurl_future_free(f); never NULL. Thread-safety: any thread. */
FUTURL_API const char *futurl_future_errmsg(const futurl_future *f);

/*
 * Cancel f. A queued future ends CANCELLED at once (its callbacks run on
 * this thread), and so does an HTTP future waiting to retry, for a slot or
 * for a token. A running one has its cancellation flag set, unless its
 * outcome has already been recorded: the two race on one word, and exactly
 * one of them wins.
 * Returns 1 if the cancellation took effect, 0 if f had finished, its
 * outcome had been recorded, or another thread is finishing it (a
 * deadline, a shutdown, another cancel).
 * For an HTTP future (futurl_client_submit and the one-liners) that means:
 * 1 if and only if f ends CANCELLED (for 0, only when a shutdown or another
 * cancel ended it so) — the transfer is aborted, and if it had just ended
 * anyway the future still ends CANCELLED, its response readable.
 * For an executor job: 1 means the job's flag (futurl_job_cancelled) was
 * set before its outcome was recorded, which may be after the job's last
 * look at it; the future ends with what the job returns (CANCELLED for
 * FUTURL_ECANCELED). 0 means the outcome was recorded first.
 * Thread-safety: any thread.
 */
FUTURL_API int futurl_future_cancel(futurl_future *f);

/* A done-callback; f is borrowed for the duration of the call. */
typedef void (*futurl_done_fn)(futurl_future *f, void *userdata);

/*
 * Call fn(f, userdata) exactly once when f finishes, on the thread that
 * finishes it; callbacks added before that run in the order added. If f
 * has already finished, fn runs at once on this thread before this call
 * returns. The caller may hand its reference to the callback, which then
 * calls futurl_future_free(f) itself (f stays valid until the callback
 * returns). If this fails, fn never runs.
 * Where it runs decides what the callback may do with f's pool ("waits":
 * futurl_future_wait*, futurl_gather, futurl_wait_any,
 * futurl_as_completed_next on unfinished futures of that pool):
 *   - a worker (f's job ended): submits never block (FUTURL_EQUEUEFULL
 *     instead); shutdown or destroy of the pool returns FUTURL_EDEADLK;
 *     waits are allowed, but deadlock if what they wait for needs a worker
 *     and every worker waits (not detected: avoid them);
 *   - the executor's timer thread (a deadline passed while f waited):
 *     submits never block; shutdown, destroy and waits return FUTURL_EDEADLK
 *     at once — parked futures return to the queue, and expired ones end,
 *     only through this thread;
 *   - the thread in futurl_executor_shutdown or _destroy (or the client's),
 *     for what that cancels: shutdown, destroy and waits return
 *     FUTURL_EDEADLK at once — this thread has yet to cancel some of those
 *     futures and to join the workers; submits fail FUTURL_ESHUTDOWN;
 *   - the thread that cancels f (futurl_future_cancel, a gather cancelling
 *     the rest), or the thread adding fn to a finished f: no rule beyond
 *     those of that thread, which holds no lock of the library while
 *     callbacks run (a shutdown or a wait there works).
 * Returns FUTURL_OK, FUTURL_EINVAL or FUTURL_ENOMEM. Thread-safety: any thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_future_on_done(futurl_future *f,
                                                               futurl_done_fn fn,
                                                               void *userdata);

/*
 * Release the caller's reference. Legal at any time from any thread, also
 * while f is queued or running: the work goes on (its callbacks still run)
 * and its resources are freed when it ends. To stop it, cancel first.
 * NULL is allowed. Thread-safety: any thread, once per future.
 */
FUTURL_API void futurl_future_free(futurl_future *f);

/* ======================================================================== */
/* Waiting on many futures                                                  */
/* ======================================================================== */

typedef struct futurl_gather_counts {
    size_t ok;        /* finished FUTURL_DONE */
    size_t failed;    /* finished FUTURL_FAILED */
    size_t cancelled; /* finished FUTURL_CANCELLED */
    size_t pending;   /* not finished when gather returned */
} futurl_gather_counts;

/* Flags for futurl_gather(). */
#define FUTURL_CANCEL_ON_ERROR 1u   /* first failure cancels the rest */
#define FUTURL_CANCEL_ON_TIMEOUT 2u /* deadline cancels the unfinished */

/*
 * Wait until every future in fs[0..n) has finished, or timeout_ms has passed
 * (negative: no deadline). Like asyncio.gather(..., return_exceptions=True):
 * failures are values, read per future afterwards. With
 * FUTURL_CANCEL_ON_ERROR the first FAILED future cancels the others (as
 * concurrent.futures.wait(FIRST_EXCEPTION) then cancel) and gather returns
 * once they have all finished. With FUTURL_CANCEL_ON_TIMEOUT a deadline
 * cancels the unfinished ones (asyncio.wait_for) and gather waits for them
 * to end cancelled (running generic jobs may take until they poll the flag).
 * counts (may be NULL) receives the tally at return.
 * Returns FUTURL_OK if all finished (whatever their outcomes),
 * FUTURL_EPENDING at the deadline with some unfinished (they go on),
 * FUTURL_ETIMEDOUT with FUTURL_CANCEL_ON_TIMEOUT once the deadline has ended
 * the unfinished ones (all have finished), FUTURL_EINVAL, FUTURL_ENOMEM, or
 * FUTURL_EDEADLK at once, without waiting, when one of fs is unfinished and
 * this is a done-callback that its pool's shutdown or timer thread runs (see
 * futurl_future_on_done). NULL entries in fs are FUTURL_EINVAL.
 * Thread-safety: any thread.
 */
FUTURL_API futurl_status futurl_gather(futurl_future *const *fs, size_t n,
                                       long timeout_ms, unsigned flags,
                                       futurl_gather_counts *counts);

/* What futurl_wait_any() waits for. */
typedef enum futurl_wait_mode {
    FUTURL_FIRST_COMPLETED = 0, /* any future finishes */
    FUTURL_FIRST_FAILED = 1     /* a future fails (or all finish) */
} futurl_wait_mode;

/*
 * Wait until one of fs[0..n) finishes (FIRST_COMPLETED) or fails
 * (FIRST_FAILED; if all finish without failure it returns too), or until
 * timeout_ms (negative: none). *index (may be NULL) receives the lowest
 * index of a finished (resp. failed) future, or n when none did.
 * Returns FUTURL_OK, FUTURL_EPENDING at timeout_ms with the condition unmet
 * (nothing is cancelled), FUTURL_EINVAL, FUTURL_ENOMEM, or
 * FUTURL_EDEADLK as futurl_gather() when it would have to wait.
 * Thread-safety: any thread.
 */
FUTURL_API futurl_status futurl_wait_any(futurl_future *const *fs, size_t n,
                                         long timeout_ms, futurl_wait_mode mode,
                                         size_t *index);

/* An iterator yielding futures in the order they finish. */
typedef struct futurl_as_completed futurl_as_completed;

/*
 * Start iterating fs[0..n) in completion order; those already finished come
 * first (in array order). The deadline, timeout_ms (negative: none), counts
 * from now. The array is copied; the futures stay the caller's and must
 * outlive the iterator. Ownership: *out is new, free with
 * futurl_as_completed_free(). Returns FUTURL_OK, FUTURL_EINVAL,
 * FUTURL_ENOMEM. Thread-safety: any thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_as_completed_new(futurl_future *const *fs, size_t n, long timeout_ms,
                        futurl_as_completed **out);

/*
 * Next finished future (borrowed) and, if index is not NULL, its index in
 * the original array. Each future is yielded once. Returns FUTURL_OK,
 * FUTURL_EPENDING when the deadline passes before another future finishes
 * (*f = NULL; a later call yields one that finished meanwhile, without
 * waiting), FUTURL_EEXHAUSTED when all n have been yielded (*f = NULL),
 * FUTURL_EINVAL, or FUTURL_EDEADLK as futurl_gather() when it would have to
 * wait (the iterator stays usable). Thread-safety: one thread at a time per
 * iterator.
 */
FUTURL_API futurl_status futurl_as_completed_next(futurl_as_completed *it,
                                                  futurl_future **f, size_t *index);

/* Free the iterator (not the futures). NULL is allowed.
 * Thread-safety: once, when no next() is running. */
FUTURL_API void futurl_as_completed_free(futurl_as_completed *it);

/* ======================================================================== */
/* Completion queue: results on the caller's own thread                     */
/* ======================================================================== */

/*
 * A completion queue hands finished futures to the one thread that owns it
 * (an event loop: poll, epoll, libuv, GLib …), the second half of Python's
 * loop.run_in_executor. Attach futures, HTTP or generic, at submit time or
 * later; when an attached future finishes, the queue receives one entry
 * holding the future and your tag, exactly once, whatever the outcome
 * (done, failed, cancelled, deadline, shutdown, or already finished when
 * attached). The entry is posted after the future's done-callbacks ran.
 *
 * Its file descriptor (futurl_completion_queue_fd) is readable while the
 * queue holds entries: watch it with any loop, then pop every entry with
 * futurl_completion_queue_next() in one wake-up. A future attached with
 * futurl_completion_queue_on_done() also has a callback that runs on the
 * thread that pops its entry (asyncio's call_soon_threadsafe).
 *
 * Lifetime rules:
 *   - The queue holds a reference to every attached future (taken by the
 *     attach) until its entry has been popped and the next call on the
 *     queue: you may free your future at any time, also before it finishes;
 *     its entry still comes, and the entry's future is valid until your
 *     next _next, _wait or _free on this queue.
 *   - One future, one entry: a future can be attached once, to one queue;
 *     a second attach (to the same queue or another) fails FUTURL_EINVAL.
 *   - futurl_completion_queue_free() while attached futures still run: the
 *     queue detaches from them. They finish as usual (you still own and
 *     free them; waits and callbacks work), but post no entry: their
 *     entries, and the ones not yet popped, are dropped with the queue's
 *     references. The fd is closed once no worker can be writing to it,
 *     at the latest when the last attached future finishes; the memory
 *     behind the queue lives until then, never touched by you.
 *   - Shutdown of a pool (futurl_executor_shutdown, futurl_client_shutdown)
 *     finishes or cancels its futures, and each posts its entry as any
 *     other completion; entries already queued stay, and futures outlive
 *     their pool, so the entries may be popped after the pool is destroyed.
 *   - fork(): not supported. A child must not use a queue made before the
 *     fork; the fd is opened close-on-exec (EFD_CLOEXEC), so an exec'd
 *     program does not inherit it.
 *
 * Thread-safety: one consumer. _next, _wait, _fd and _free are called by
 * one thread at a time (the queue's owner); _attach and _on_done may be
 * called from any thread, also from workers and done-callbacks, but not
 * concurrently with or after _free. Posting an entry takes no lock: a
 * finishing worker pushes it onto a lock-free list and writes the eventfd
 * only when the queue goes from empty to non-empty.
 */
typedef struct futurl_completion_queue futurl_completion_queue;

/* One finished future, as popped from a completion queue. */
typedef struct futurl_completion {
    /* The finished future (futurl_future_done() is 1). Ownership: borrowed
     * from the queue, valid until the next _next, _wait or _free on this
     * queue, even if you freed your reference already. */
    futurl_future *future;
    void *tag; /* the attach's tag, or the on_done's userdata */
    /* The callback that futurl_completion_queue_on_done() registered, which
     * has already run on this thread when the entry is returned; NULL for a
     * plain attach. */
    futurl_done_fn callback;
} futurl_completion;

/* A new, empty completion queue with its eventfd (EFD_CLOEXEC,
 * EFD_NONBLOCK). Returns FUTURL_OK, FUTURL_EINVAL (out is NULL),
 * FUTURL_ENOMEM, or FUTURL_EIO (no eventfd: the process is out of file
 * descriptors). Ownership: *out is new, free with
 * futurl_completion_queue_free(). Thread-safety: any thread. */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_completion_queue_new(futurl_completion_queue **out);

/* Detach from every attached future, drop the entries not yet popped and
 * free the queue (see the lifetime rules above: the futures go on; the fd
 * is closed once no worker can write to it). NULL is allowed. Not from a
 * callback that this queue runs. Thread-safety: the consumer, once, after
 * every other call on q has returned. */
FUTURL_API void futurl_completion_queue_free(futurl_completion_queue *q);

/* The queue's file descriptor: readable (POLLIN) while the queue holds an
 * entry, from the moment a finished future posts it until a pop leaves the
 * queue empty; never readable for an empty queue once _next has returned
 * FUTURL_EPENDING and no future finished since. Watch it, never read or
 * close it. Ownership: borrowed, valid until futurl_completion_queue_free().
 * Returns -1 if q is NULL. Thread-safety: any thread. */
FUTURL_API int futurl_completion_queue_fd(const futurl_completion_queue *q);

/* Attach f: when f finishes (or now, if it has), the queue receives one
 * entry {f, tag, NULL}. Takes a reference to f (see the lifetime rules);
 * you keep yours. Returns FUTURL_OK, FUTURL_EINVAL (q or f NULL, or f is
 * already attached to a queue: this one or another), or FUTURL_ENOMEM
 * (nothing attached). Thread-safety: any thread (not with _free). */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_completion_queue_attach(futurl_completion_queue *q, futurl_future *f, void *tag);

/* Attach f with a callback: as futurl_completion_queue_attach() with tag
 * userdata, and the thread that pops the entry (_next or _wait) runs
 * fn(f, userdata) first, once, then returns the entry with `callback` set
 * to fn. Unlike futurl_future_on_done(), fn never runs on a worker. fn may
 * free f (your reference), attach more futures, and must not call _next,
 * _wait or _free on this queue. Returns as _attach; if it fails, fn never
 * runs. Thread-safety: any thread (not with _free). */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_completion_queue_on_done(
    futurl_completion_queue *q, futurl_future *f, futurl_done_fn fn, void *userdata);

/* Pop the oldest entry without blocking into *entry, running its callback
 * if it has one. Entries come in the order the futures finished (within
 * one wake-up's burst). Returns FUTURL_OK, FUTURL_EPENDING (the queue is
 * empty; *entry is zeroed), FUTURL_EINVAL (q or entry NULL) or
 * FUTURL_EDEADLK (called from a callback this queue runs).
 * Thread-safety: the consumer only. */
FUTURL_API futurl_status futurl_completion_queue_next(futurl_completion_queue *q,
                                                      futurl_completion *entry);

/* As futurl_completion_queue_next(), but wait up to timeout_ms (negative:
 * forever; 0: only look) for an entry, for programs without a loop.
 * Returns FUTURL_OK, FUTURL_EPENDING (none came in time), FUTURL_EINVAL or
 * FUTURL_EDEADLK as _next, or FUTURL_EIO if poll() on the fd failed.
 * Thread-safety: the consumer only. */
FUTURL_API futurl_status futurl_completion_queue_wait(futurl_completion_queue *q,
                                                      long timeout_ms,
                                                      futurl_completion *entry);

/* ======================================================================== */
/* HTTP client                                                              */
/* ======================================================================== */

typedef struct futurl_client futurl_client;
typedef struct futurl_request futurl_request;
typedef struct futurl_response futurl_response;

/* ---------------------------------------------------------- retry policy */

/* Documented defaults of futurl_retry_policy_init(). */
#define FUTURL_DEFAULT_MAX_ATTEMPTS 3u
#define FUTURL_DEFAULT_RETRY_BASE_MS 200L
#define FUTURL_DEFAULT_RETRY_MAX_MS 10000L

/*
 * When and how an HTTP request is tried again. Retried: transient transport
 * failures (FUTURL_ECONNECT, an attempt's FUTURL_ETIMEDOUT, FUTURL_ENETWORK:
 * reset, empty reply, partial body) and HTTP 408, 429, 502, 503, 504 (500
 * with retry_on_500) — only for methods that may be repeated (GET, HEAD,
 * OPTIONS, PUT, DELETE, TRACE), unless retry_non_idempotent is set or the
 * request carries an Idempotency-Key header. Never retried: a request that
 * already streamed body bytes to its chunk callback or file.
 * The wait before retry n (from 0) is full jitter, a random delay in
 * [0, min(max_delay_ms, base_delay_ms * 2^n)], or what Retry-After asks
 * (seconds or HTTP-date; clamped to max_delay_ms; a past date is 0;
 * garbage is ignored). A request waiting to retry holds no worker.
 */
typedef struct futurl_retry_policy {
    unsigned max_attempts; /* attempts in all, first included; 1: no retries */
    long base_delay_ms;    /* default FUTURL_DEFAULT_RETRY_BASE_MS */
    long max_delay_ms;     /* default FUTURL_DEFAULT_RETRY_MAX_MS */
    long budget_ms;        /* 0: none; no retry starts later than this after
                              the first attempt began */
    int retry_on_500;      /* default 0 */
    int retry_non_idempotent; /* default 0: POST, PATCH … only with an
                                 Idempotency-Key header */
} futurl_retry_policy;

/* Fill p with the documented defaults. Thread-safety: any thread. */
FUTURL_API void futurl_retry_policy_init(futurl_retry_policy *p);

/* ------------------------------------------------------- debug and trace */

/* What a futurl_debug_fn is handed (libcurl's curl_infotype). */
typedef enum futurl_debug_type {
    FUTURL_DEBUG_TEXT = 0,   /* libcurl's own notes ("Connected to ...") */
    FUTURL_DEBUG_HEADER_IN,  /* a response header line, status line included */
    FUTURL_DEBUG_HEADER_OUT, /* the request head as sent */
    FUTURL_DEBUG_DATA_IN,    /* body bytes received (only with debug_data) */
    FUTURL_DEBUG_DATA_OUT    /* body bytes sent (only with debug_data) */
} futurl_debug_type;

/* The wire-level debug callback (client option on_debug): data[0..len) is
 * not NUL-terminated; request_id is the id of the request whose transfer
 * produced it ("" for libcurl's notes outside any request, such as closing
 * an idle connection). Both borrowed for the call. Runs on the worker
 * thread inside the transfer: it must be quick, must not block on the
 * request's own future and may run on several workers at once. */
typedef void (*futurl_debug_fn)(const char *request_id, futurl_debug_type type,
                                const char *data, size_t len, void *userdata);

/* What happened to a request (client option on_event). */
typedef enum futurl_event_type {
    FUTURL_EVENT_QUEUED = 1,    /* accepted by submit (caller's thread) */
    FUTURL_EVENT_STARTED,       /* a worker took it up for the first time */
    FUTURL_EVENT_ATTEMPT_START, /* an attempt's transfer begins */
    FUTURL_EVENT_ATTEMPT_END,   /* it ended: status, http_status, duration_ns */
    FUTURL_EVENT_RETRY,         /* another attempt follows: delay_ms, reason */
    FUTURL_EVENT_PARKED,        /* it waits off the workers: park */
    FUTURL_EVENT_UNPARKED,      /* back on a worker after PARKED */
    FUTURL_EVENT_FINISHED       /* its future is about to end: status */
} futurl_event_type;

/* Why a request waits (FUTURL_EVENT_PARKED, FUTURL_EVENT_UNPARKED). */
typedef enum futurl_park_reason {
    FUTURL_PARK_NONE = 0,
    FUTURL_PARK_SLOT,  /* for one of its host's max_per_host slots */
    FUTURL_PARK_TOKEN, /* for a rate_limit or host_rate_limit token */
    FUTURL_PARK_HOLD   /* its host is held after a 429 with Retry-After */
} futurl_park_reason;

/*
 * One lifecycle event, handed to futurl_event_fn for the length of the
 * call (every pointer borrowed). futurl fills it; the caller only reads it,
 * so fields may be added at the end in later versions. Fields that do not
 * apply to a type are 0 or NULL.
 */
typedef struct futurl_event {
    futurl_event_type type;
    const char *request_id;  /* never NULL */
    uint64_t time_ns;        /* CLOCK_MONOTONIC, nanoseconds */
    const char *method;      /* the request's method */
    const char *url;         /* the URL it is sent to (base_url joined) */
    unsigned attempt;        /* ATTEMPT_START/END, RETRY: 1 for the first */
    futurl_status status;    /* ATTEMPT_END, FINISHED: the outcome */
    long http_status;        /* ATTEMPT_END, FINISHED: 0 when none arrived */
    uint64_t duration_ns;    /* ATTEMPT_END: the attempt; FINISHED: since QUEUED */
    long delay_ms;           /* RETRY: the wait before the next attempt */
    const char *reason;      /* RETRY: why ("attempt 1: HTTP 503, backoff 12 ms");
                                ATTEMPT_END, FINISHED: the error message or NULL */
    futurl_park_reason park; /* PARKED, UNPARKED */
} futurl_event;

/*
 * The lifecycle callback (client option on_event). Threads: QUEUED runs on
 * the thread that submits (before submit returns; a submit that then fails
 * is followed by FINISHED with its status on the same thread); STARTED,
 * ATTEMPT_*, RETRY, PARKED, UNPARKED, and FINISHED of a request that ends
 * in its job, run on a worker; FINISHED of a request ended while queued or
 * parked (cancel, deadline, shutdown) runs on the thread that ends it (the
 * canceller, the timer thread, the thread shutting down). FINISHED comes
 * before the future is seen as done. So it must be thread-safe, quick, and
 * must not wait for a future of the client. Every QUEUED is followed by
 * exactly one FINISHED for the same id.
 */
typedef void (*futurl_event_fn)(const futurl_event *ev, void *userdata);

/* Longest request id (futurl_request_set_id), in bytes. */
#define FUTURL_MAX_REQUEST_ID_LENGTH 64u

/* ------------------------------------------------------- mock transport */

/* The mock transport (client option `mock`; README, "Testing without a
 * network"): a function of the caller's answers every request in place of
 * a server. A request as it went out on the wire, after everything futurl
 * and libcurl did to it (base_url joined, parameters, default headers,
 * cookies, auth, a redirect's new URL). Read it with the
 * futurl_mock_request_* accessors. Ownership: borrowed, valid only during
 * the call of the futurl_mock_fn it is handed to. */
typedef struct futurl_mock_request futurl_mock_request;

/* The answer a futurl_mock_fn fills in with the futurl_mock_response_*
 * setters: 200 with no header and an empty body until set. Ownership:
 * borrowed, valid only during the call it is handed to; what is set is
 * copied. */
typedef struct futurl_mock_response futurl_mock_response;

/* A transport failure in place of an answer (futurl_mock_response_set_error).
 * Each reaches the request as the same failure from a real server would:
 *   FUTURL_MOCK_RESET   – the connection is reset once the request is read:
 *                         FUTURL_ENETWORK, "Connection reset by peer";
 *   FUTURL_MOCK_EMPTY   – closed without a byte of answer: FUTURL_ENETWORK,
 *                         "Empty reply from server";
 *   FUTURL_MOCK_PARTIAL – the status line, the headers and a Content-Length
 *                         of the whole body, then half of it and a close:
 *                         FUTURL_ENETWORK (a partial body).
 * A timeout is a delay (futurl_mock_response_set_delay) longer than the
 * request's timeout or deadline: FUTURL_ETIMEDOUT. A refused connection
 * cannot be told apart from a reset here (both are retried the same way).
 * As over the network, a RESET or EMPTY on a connection kept alive from an
 * earlier request makes libcurl send the request once more on a new
 * connection by itself (not a futurl retry, not counted in attempts): the
 * mock function is called again for it. */
typedef enum futurl_mock_error {
    FUTURL_MOCK_NONE = 0,
    FUTURL_MOCK_RESET = 1,
    FUTURL_MOCK_EMPTY = 2,
    FUTURL_MOCK_PARTIAL = 3
} futurl_mock_error;

/*
 * The caller's server: answer req by filling resp. It runs on a thread of
 * the library's own (one per connection, not a worker, not the caller's),
 * and several run at once, one per connection a worker opens: it must be
 * thread-safe. It may block (sleep, wait for a test's signal), as a slow
 * server would; the request's timeout, deadline and cancel still end the
 * request on time, but futurl_client_destroy() waits for a call in
 * progress to return. It must not wait for a future of the client.
 */
typedef void (*futurl_mock_fn)(const futurl_mock_request *req,
                               futurl_mock_response *resp, void *userdata);

/* ----------------------------------------------------------------- client */

/* Documented defaults of futurl_client_options_init(). */
#define FUTURL_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define FUTURL_DEFAULT_TIMEOUT_MS 30000L
#define FUTURL_DEFAULT_MAX_REDIRECTS 10L
#define FUTURL_DEFAULT_MAX_RESPONSE_BYTES (64u * 1024u * 1024u)
#define FUTURL_DEFAULT_MAX_COOKIES 3000u           /* RFC 6265 6.1 minimums */
#define FUTURL_DEFAULT_MAX_COOKIES_PER_DOMAIN 50u
#define FUTURL_DEFAULT_KEEPALIVE_PER_WORKER 5u /* libcurl's own default */
/* The largest keepalive_per_worker. */
#define FUTURL_MAX_KEEPALIVE_PER_WORKER 1024u
#define FUTURL_MAX_COOKIES_LIMIT 100000u /* the largest either limit may be */

/*
 * Limits on what a request and a client may carry, checked by the call
 * that takes the value (it fails and changes nothing): so that nothing is
 * accepted that libcurl 7.88 would refuse later. libcurl builds an HTTP/1
 * request head (request line, headers, a body under 64 KiB) of at most
 * 1 MiB and fails the transfer beyond it; it refuses option strings over
 * 8,000,000 bytes; and it leaves out every cookie that would take the
 * request head, up to the end of the Cookie header, to 8190 bytes. All the
 * maxima below at once still fit in 1 MiB.
 */
/* A URL as given to futurl_request_new(), the URL a request ends with
 * (base_url joined, parameters added; else FUTURL_EURL at submit), and the
 * base_url and proxy options. Bytes, the NUL not counted. */
#define FUTURL_MAX_URL_LENGTH 65536u
/* An HTTP method token (FUTURL_EMETHOD beyond it). */
#define FUTURL_MAX_METHOD_LENGTH 256u
/* A request's own header lines, each counted as "Name: value" plus CRLF
 * (FUTURL_EHEADER for the header that would pass it); the client's
 * `headers` on their own likewise. */
#define FUTURL_MAX_HEADER_BYTES 131072u
/* Every other string option that reaches libcurl: user_agent and
 * bearer_token (FUTURL_EHEADER), username, password, ca_file, ca_path,
 * client_cert, client_key (FUTURL_EINVAL). */
#define FUTURL_MAX_OPTION_LENGTH 65536u
/* The `cookies` option as sent ("a=1; b=2"): at most this many bytes, one
 * cookie of RFC 6265's 4096 or several smaller ones, and at most
 * FUTURL_MAX_COOKIES cookies (FUTURL_EHEADER). */
#define FUTURL_MAX_COOKIE_BYTES 4096u
#define FUTURL_MAX_COOKIES      50u

/* The range of rate_limit and host_rate_limit when not 0, in attempts per
 * second: at least one a day, at most 1e9. Outside it create refuses the
 * rate (FUTURL_EINVAL): a slower one would make a request wait for years. */
#define FUTURL_MIN_RATE_LIMIT (1.0 / 86400.0)
#define FUTURL_MAX_RATE_LIMIT 1e9

typedef struct futurl_client_options {
    unsigned workers;        /* 0: as futurl_executor_options */
    unsigned queue_capacity; /* 0: FUTURL_DEFAULT_QUEUE_CAPACITY; bounds
                                queued and parked requests together (see
                                futurl_executor_options) */
    const char *thread_name; /* NULL: "futurl" */
    /* Joined with relative request URLs ("/get", "items?id=1"). NULL: none. */
    const char *base_url;
    /* Default "futurl/<version>". */
    const char *user_agent;
    /* NULL-terminated list of "Name: value" headers sent on every request
     * ("Name;" sends an empty value, "Name:" suppresses a header libcurl
     * would add). The names the request setters refuse (Content-Length,
     * Transfer-Encoding, Host, Connection, Upgrade, TE, Trailer,
     * Proxy-Connection, Keep-Alive, Expect; any case) are refused here too,
     * in any of the three forms: create fails with FUTURL_EHEADER. futurl
     * sends "Expect:" itself: no 100-continue round trip before a body. */
    const char *const *headers;
    long connect_timeout_ms; /* default FUTURL_DEFAULT_CONNECT_TIMEOUT_MS */
    long timeout_ms;         /* whole attempt; default FUTURL_DEFAULT_TIMEOUT_MS */
    int follow_redirects;    /* default 1 */
    long max_redirects;      /* default FUTURL_DEFAULT_MAX_REDIRECTS */
    int verify_tls;          /* default 1: peer and host name verified */
    const char *ca_file, *ca_path;         /* extra trust anchors; NULL: system */
    const char *client_cert, *client_key;  /* PEM files; NULL: none */
    const char *proxy;                     /* e.g. "http://127.0.0.1:3128"; no
                                              space or control byte (FUTURL_EURL) */
    const char *username, *password;       /* HTTP basic auth; NULL: none */
    const char *bearer_token;              /* Authorization: Bearer; NULL: none;
                                              not together with username */
    const char *cookies;                   /* static "a=1; b=2" sent to each
                                              request's own host, never to another
                                              host a redirect leads to; see
                                              FUTURL_MAX_COOKIE_BYTES */
    int cookie_jar;       /* default 1: cookies servers set are kept client-wide */
    /* Bounds of the jar, each 1 .. FUTURL_MAX_COOKIES_LIMIT (0 is refused):
     * past one, the cookie set or changed least recently is evicted and no
     * worker sends it again. A domain is the cookie's (the host of a
     * host-only cookie), without its leading dot; sub-domains count apart. */
    unsigned max_cookies;            /* default FUTURL_DEFAULT_MAX_COOKIES */
    unsigned max_cookies_per_domain; /* default FUTURL_DEFAULT_MAX_COOKIES_PER_DOMAIN */
    size_t max_response_bytes; /* default FUTURL_DEFAULT_MAX_RESPONSE_BYTES;
                                  0, or 2^63 and more (SIZE_MAX…): no cap */
    int raise_for_status; /* default 0: status >= 400 is still FUTURL_OK */
    int decompress;       /* default 1: Accept-Encoding with every codec
                             libcurl has (gzip, deflate, br, zstd) */
    int http2;            /* default 1: HTTP/2 over TLS when offered */
    /* Idle connections each worker keeps open for reuse (its handle's
     * connection cache, libcurl's CURLOPT_MAXCONNECTS); past it the least
     * recently used is closed. Default FUTURL_DEFAULT_KEEPALIVE_PER_WORKER
     * (0: that default); at most FUTURL_MAX_KEEPALIVE_PER_WORKER, else
     * create fails with FUTURL_EINVAL. Raise it when requests spread over
     * more hosts than that: each worker then reconnects less (README,
     * "Many hosts"), at the price of up to workers x this many open
     * sockets. */
    unsigned keepalive_per_worker;

    /* Resilience (see futurl_retry_policy). */
    futurl_retry_policy retry; /* default: futurl_retry_policy_init() */
    long deadline_ms;          /* default 0: none. Per request: from submit to
                                  the end, covering queue wait, backoff and every
                                  attempt; then FUTURL_ETIMEDOUT */
    unsigned max_per_host;     /* default 0: no limit; concurrent requests per
                                  host: scheme://host:port as libcurl connects
                                  (IPv4 numbers normalised, default port
                                  filled in; README, "A host is") */
    double rate_limit;         /* default 0: none; attempts per second, whole
                                  client, token bucket; else from
                                  FUTURL_MIN_RATE_LIMIT to FUTURL_MAX_RATE_LIMIT */
    unsigned rate_burst;       /* default 1: tokens the bucket holds (0: 1) */
    double host_rate_limit;    /* default 0: none; the same, per host */
    unsigned host_rate_burst;  /* default 1 (0: 1) */
    int hold_on_429;           /* default 1: a 429 with Retry-After holds back
                                  every request to that host until then */
    size_t stream_buffer_bytes; /* default FUTURL_DEFAULT_STREAM_BUFFER_BYTES
                                   (0: that default): body bytes a stream
                                   (futurl_client_stream) holds at most before
                                   its transfer waits for the reader */

    /* Debug and trace (README, "Debugging and tracing"). All off by default,
     * at no cost: without on_debug (and FUTURL_DEBUG) libcurl's debug
     * function is never set. */
    futurl_debug_fn on_debug; /* NULL: none; else the wire-level log */
    void *debug_userdata;
    int debug_data;           /* default 0: no body bytes to on_debug */
    int debug_unmasked;       /* default 0: the values of Authorization,
                                 Proxy-Authorization, Cookie and Set-Cookie,
                                 and of cookies in libcurl's cookie-engine
                                 notes, reach on_debug as "***" (an auth
                                 scheme word kept); 1: as sent */
    futurl_event_fn on_event; /* NULL: none; lifecycle events */
    void *event_userdata;
    /* Connect every request through this Unix domain socket instead of
     * TCP (libcurl's CURLOPT_UNIX_SOCKET_PATH): the Docker API, local
     * daemons. URLs keep their host ("http://docker/v1.43/info"): it is
     * the Host header and the key of cookies and per-host limits, and is
     * never resolved. NULL: TCP. At most FUTURL_MAX_UNIX_SOCKET_PATH bytes
     * and not empty, else create fails with FUTURL_EINVAL. */
    const char *unix_socket_path;
    /* Credentials for the proxy (`proxy`, or one from the environment),
     * through libcurl's proxy auth (Basic): Proxy-Authorization goes to the
     * proxy alone, on an absolute-form request or on CONNECT, never to an
     * origin (not inside a CONNECT tunnel, not to a no_proxy host). NULL:
     * none; a password needs a user name. */
    const char *proxy_username, *proxy_password;
    /* Trust anchors for an https:// proxy's certificate (PEM). NULL: the
     * system's. verify_tls covers the proxy too. */
    const char *proxy_ca_file;
    /* Hosts reached directly, not through the proxy: libcurl's no-proxy
     * list ("localhost,.internal,10.0.0.0/8"; "*": all). Joined at create
     * with the environment's no_proxy (or NO_PROXY), which libcurl alone
     * would stop reading once this is set. NULL: the environment's alone.
     * proxy_username … no_proxy: at most FUTURL_MAX_OPTION_LENGTH bytes,
     * no control byte, else create fails with FUTURL_EINVAL. */
    const char *no_proxy;
    /* The mock transport: NULL (default) for the network; else every
     * request is answered by mock(req, resp, mock_userdata) instead of a
     * server (README, "Testing without a network"). Everything above the
     * wire runs as over the network, through the same code: retries,
     * Retry-After, the 429 hold, limits, deadlines, cancel (also during a
     * mocked delay), cookies, redirects (each hop is a call), the size cap,
     * stats and events. Any host name works and none is resolved; proxy
     * (also the environment's) and unix_socket_path are ignored. http://
     * only: an https:// URL, or a redirect to one, fails FUTURL_ESCHEME.
     * mock_userdata must outlive the client; set without mock, create
     * fails FUTURL_EINVAL. */
    futurl_mock_fn mock;
    void *mock_userdata;
} futurl_client_options;

/* The longest unix_socket_path: what struct sockaddr_un's sun_path holds
 * on Linux (108 bytes) without its NUL. */
#define FUTURL_MAX_UNIX_SOCKET_PATH 107u

/* Default of futurl_client_options.stream_buffer_bytes: 256 KiB. */
#define FUTURL_DEFAULT_STREAM_BUFFER_BYTES (256u * 1024u)

/* Fill opts with the documented defaults. Thread-safety: any thread. */
FUTURL_API void futurl_client_options_init(futurl_client_options *opts);

/*
 * Create a client and its pool; every string in opts is copied. Each worker
 * gets its own libcurl easy handle, reused across requests.
 * Returns FUTURL_OK, FUTURL_EINVAL (bad option, e.g. a negative timeout,
 * username together with bearer_token, a rate limit outside
 * [FUTURL_MIN_RATE_LIMIT, FUTURL_MAX_RATE_LIMIT], a cookie limit of 0 or
 * above FUTURL_MAX_COOKIES_LIMIT, keepalive_per_worker above
 * FUTURL_MAX_KEEPALIVE_PER_WORKER, a string over FUTURL_MAX_OPTION_LENGTH, an
 * empty unix_socket_path or one over FUTURL_MAX_UNIX_SOCKET_PATH, a
 * proxy_password without proxy_username, a control byte in a proxy option,
 * a mock_userdata without a mock),
 * FUTURL_ESCHEME (base_url not http/https), FUTURL_EURL (malformed or
 * too long base_url; a proxy with a space or control byte, or too long),
 * FUTURL_EHEADER (a default header, user_agent, cookies or bearer_token
 * that is not a valid header line or value, is too long, or a default
 * header the library owns), FUTURL_ENOMEM, FUTURL_ETHREAD, FUTURL_ECURL.
 * The environment variable FUTURL_DEBUG is read here, once: when set to
 * anything but "" or "0" and opts->on_debug is NULL, the client writes its
 * wire-level log to stderr, one line per header or note, each tagged with
 * the request id, values of Authorization, Proxy-Authorization, Cookie and
 * Set-Cookie (and in the cookie engine's notes) masked. Words, comma-separated: "1" (or any), "unmasked"
 * (values as sent), "data" (body byte counts too).
 * Ownership: *out is new, free with futurl_client_destroy().
 * Thread-safety: any thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_client_create(const futurl_client_options *opts, futurl_client **out);

/* The client's executor, to submit your own blocking jobs beside its
 * requests. Ownership: borrowed, valid until futurl_client_destroy(); do not
 * shut it down or destroy it yourself. Thread-safety: any thread. */
FUTURL_API futurl_executor *futurl_client_executor(futurl_client *c);

/* Shut the client's pool down (see futurl_executor_shutdown); running
 * transfers are aborted with FUTURL_CANCEL_PENDING. Returns FUTURL_OK,
 * FUTURL_EINVAL (c is NULL), or FUTURL_EDEADLK, doing nothing, where
 * futurl_executor_shutdown() returns it (the client's workers and timer
 * thread, a callback inside a shutdown of the client).
 * Thread-safety: any thread except those. */
FUTURL_API futurl_status futurl_client_shutdown(futurl_client *c,
                                                futurl_shutdown_mode how);

/* Shut down (FUTURL_DRAIN) if needed and free the client. Futures outlive
 * it. NULL is allowed. Thread-safety: once, after all other calls on c; never
 * from one of its own workers, its timer thread or a callback inside a
 * shutdown of c: it would wait for itself, so it does nothing there and the
 * client is not freed while in use (as futurl_executor_destroy). */
FUTURL_API void futurl_client_destroy(futurl_client *c);

/* Counters of a client, readable at any time from any thread. */
typedef struct futurl_client_stats {
    uint64_t submitted; /* HTTP requests accepted by submit */
    uint64_t succeeded; /* finished FUTURL_OK */
    uint64_t failed;    /* finished with an error */
    uint64_t cancelled; /* finished cancelled */
    uint64_t retries;   /* attempts after the first */
    uint64_t throttled; /* 429 responses seen */
    uint64_t bytes;     /* body bytes received */
    size_t queued;      /* waiting for a worker (the client's own jobs too) */
    size_t parked;      /* waiting to retry, for a slot or a token; with
                           queued, at most queue_capacity + workers */
    size_t in_flight;   /* transfers running now */
} futurl_client_stats;

/* Fill *out with the client's counters (each read atomically; together a
 * close, not exact, snapshot). Returns FUTURL_OK or FUTURL_EINVAL.
 * Thread-safety: any thread. */
FUTURL_API futurl_status futurl_client_get_stats(futurl_client *c,
                                                 futurl_client_stats *out);

/* ---------------------------------------------------------------- request */

/*
 * A new request. method is an HTTP token ("GET", "PURGE", …; checked:
 * FUTURL_EMETHOD); url is absolute http(s) or relative to the client's
 * base_url (checked at submit). Both copied. An absolute URL's scheme is
 * checked here (FUTURL_ESCHEME), and it is refused (FUTURL_EURL) if
 * libcurl's URL parser would refuse it (control bytes, spaces, a bad host,
 * IPv6 literal or port), or would only guess at its host: the scheme must
 * be followed by exactly two slashes ("http:/h/" and "http:///h/" are
 * refused, and so is a relative "///h/" at submit); nor may a host name
 * hold %7F or an escaped letter, digit, '-', '.', '_' or '~' (libcurl
 * takes them, but reads the host otherwise once it writes the URL, as it
 * does to add a query). A host is what libcurl connects to (see README,
 * "A host is"). Methods are case-sensitive:
 * GET, HEAD and POST are sent as libcurl does them natively (so a 301, 302
 * or 303 turns a POST into a GET); any other method is sent verbatim and,
 * with libcurl 7.88, kept on redirects. A method longer than
 * FUTURL_MAX_METHOD_LENGTH is FUTURL_EMETHOD, a URL longer than
 * FUTURL_MAX_URL_LENGTH FUTURL_EURL. Returns FUTURL_OK, FUTURL_EINVAL,
 * FUTURL_EMETHOD, FUTURL_ESCHEME, FUTURL_EURL, FUTURL_ENOMEM.
 * Ownership: *out is new: free it, or hand it to futurl_client_submit().
 * Thread-safety: a request is used by one thread at a time.
 */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_request_new(const char *method,
                                                            const char *url,
                                                            futurl_request **out);

/* Set header name to value, replacing a client default or an earlier value
 * of the same name (case-insensitive); "" sends an empty value. Refuses a
 * name that is not an HTTP token and any control character but HTAB in the
 * value (CR, LF, NUL…): FUTURL_EHEADER, and nothing is changed. Also
 * refused, in any case, the names the library owns because they frame the
 * message or manage the connection, so that the server reads each request
 * exactly as it was sent and answers stay in step with requests:
 * Content-Length, Transfer-Encoding, Host, Connection, Upgrade, TE,
 * Trailer, Proxy-Connection, Keep-Alive and Expect (futurl never asks for
 * 100-continue). For a virtual host, put its name in the URL. Copied.
 * Returns FUTURL_OK, FUTURL_EINVAL (an argument is NULL), FUTURL_EHEADER
 * (as above, or the request's headers would pass FUTURL_MAX_HEADER_BYTES)
 * or FUTURL_ENOMEM. Thread-safety: a request is used by one thread at a
 * time. */
FUTURL_API futurl_status futurl_request_set_header(futurl_request *r, const char *name,
                                                   const char *value);

/* Add one more header line, keeping earlier ones of the same name. Checked
 * and copied as set_header (the same names are refused). Returns what
 * futurl_request_set_header() returns. Thread-safety: a request is used by
 * one thread at a time. */
FUTURL_API futurl_status futurl_request_add_header(futurl_request *r, const char *name,
                                                   const char *value);

/* Send no header of this name: drops a client default and suppresses one
 * libcurl would add (e.g. "Accept"). The names set_header refuses are
 * refused here too (FUTURL_EHEADER): suppressing libcurl's Content-Length
 * or Host would unframe the message just the same. Returns what
 * futurl_request_set_header() returns. Thread-safety: a request is used by
 * one thread at a time. */
FUTURL_API futurl_status futurl_request_remove_header(futurl_request *r,
                                                      const char *name);

/* Append name=value to the query string, both percent-encoded. Copied.
 * Returns FUTURL_OK, FUTURL_EINVAL (an argument is NULL) or FUTURL_ENOMEM;
 * a URL that grows past FUTURL_MAX_URL_LENGTH is FUTURL_EURL at submit.
 * Thread-safety: a request is used by one thread at a time. */
FUTURL_API futurl_status futurl_request_add_param(futurl_request *r, const char *name,
                                                  const char *value);

/* Body bytes (copied; len may be 0) with an optional Content-Type (checked
 * as a header value). Without one no Content-Type is sent (libcurl would
 * claim a form). POST, PUT and PATCH without a body send Content-Length: 0;
 * HEAD never sends a body. Returns FUTURL_OK, FUTURL_EINVAL (r is NULL,
 * or data is NULL with len > 0), FUTURL_EHEADER (content_type) or
 * FUTURL_ENOMEM. Thread-safety: a request is used by one thread at a time. */
FUTURL_API futurl_status futurl_request_set_body(futurl_request *r, const void *data,
                                                 size_t len, const char *content_type);

/* Body: json serialized now (the caller keeps json), with
 * Content-Type: application/json. Returns FUTURL_OK, FUTURL_EINVAL (an
 * argument is NULL), FUTURL_EJSON if it cannot be printed (cJSON does not
 * tell a bad tree from a lack of memory), FUTURL_EHEADER or FUTURL_ENOMEM as
 * futurl_request_set_body(). Thread-safety: a request is used by one thread
 * at a time. */
FUTURL_API futurl_status futurl_request_set_json(futurl_request *r,
                                                 const struct cJSON *json);

/* Add a URL-encoded form field; the body becomes
 * application/x-www-form-urlencoded. FUTURL_EINVAL after set_body() or
 * set_json() (a later set_body() replaces the form). Copied. Returns
 * FUTURL_OK, FUTURL_EINVAL (that, or an argument is NULL), FUTURL_EHEADER
 * (no room for the Content-Type under FUTURL_MAX_HEADER_BYTES) or
 * FUTURL_ENOMEM. Thread-safety: a request is used by one thread at a time. */
FUTURL_API futurl_status futurl_request_add_form(futurl_request *r, const char *name,
                                                 const char *value);

/*
 * Multipart/form-data bodies (RFC 7578), built on libcurl's mime API. Each
 * add_part* call appends one part, in order; the request then sends
 * multipart/form-data with a boundary libcurl picks (do not set a
 * Content-Type header of your own). A GET becomes a GET with that body;
 * POST and PUT are the usual. Parts exclude set_body(), set_json() and
 * add_form() both ways (FUTURL_EINVAL). Names, file names and content types
 * are copied; a control byte in any of them, or one over
 * FUTURL_MAX_OPTION_LENGTH, is refused (FUTURL_EINVAL, content type:
 * FUTURL_EHEADER). The body is built anew for every attempt on the worker's
 * own handle, so a retry sends every part again from its start — a
 * streamed part only through its rewind callback (below).
 */

/* A text field name=value (value copied). Returns FUTURL_OK, FUTURL_EINVAL
 * (an argument is NULL, a control byte in name, or the request has another
 * kind of body) or FUTURL_ENOMEM. Thread-safety: a request is used by one
 * thread at a time. */
FUTURL_API futurl_status futurl_request_add_part(futurl_request *r, const char *name,
                                                 const char *value);

/* An in-memory part: len bytes of data (copied; len may be 0), with an
 * optional filename (NULL: none) and content_type (NULL: one libcurl
 * guesses from the file name's extension — .txt, .html, .png, .pdf … — or
 * none). Returns what futurl_request_add_part() returns, or FUTURL_EHEADER
 * (content_type empty or with a control byte). Thread-safety: a request is
 * used by one thread at a time. */
FUTURL_API futurl_status futurl_request_add_part_data(futurl_request *r, const char *name,
                                                      const void *data, size_t len,
                                                      const char *filename,
                                                      const char *content_type);

/* A part read from the file at path (copied) at each attempt, by the
 * worker; filename defaults to the path's base name (NULL), content_type to
 * one libcurl guesses from the extension (NULL). The file must be readable
 * now (checked here) and while the request runs (else the future fails
 * FUTURL_EIO). Returns what futurl_request_add_part_data() returns, or
 * FUTURL_EIO (path cannot be opened) or FUTURL_EINVAL (path NULL or
 * empty). Thread-safety: a request is used by one thread at a time. */
FUTURL_API futurl_status futurl_request_add_part_file(futurl_request *r, const char *name,
                                                      const char *path,
                                                      const char *filename,
                                                      const char *content_type);

/* Read callback of a streamed part, on the worker thread: copy at most size
 * bytes into buf and return how many; 0 at the end; FUTURL_READ_ABORT to
 * abort the transfer (the future fails FUTURL_EABORTED). */
typedef size_t (*futurl_read_fn)(char *buf, size_t size, void *userdata);
#define FUTURL_READ_ABORT ((size_t)-1)
/* Rewind callback of a streamed part, on the worker thread: start the data
 * again from its first byte; return 0, or non-zero if it cannot (the
 * attempt fails FUTURL_EABORTED). */
typedef int (*futurl_rewind_fn)(void *userdata);

/* A part whose bytes come from read at each attempt: size bytes (-1:
 * unknown, then the body is sent chunked). userdata (borrowed) must stay
 * valid until the future finishes. Retries: before an attempt after one
 * that read from the part, rewind is called; with rewind NULL such a retry
 * is refused and the future ends with that attempt's outcome, its message
 * saying which part could not be rewound (an attempt that failed before
 * reading, e.g. a refused connection, is retried as usual). Returns what
 * futurl_request_add_part_data() returns, or FUTURL_EINVAL (read NULL,
 * size below -1). Thread-safety: a request is used by one thread at a
 * time; read and rewind run on the worker thread that runs the transfer. */
FUTURL_API futurl_status futurl_request_add_part_stream(futurl_request *r,
                                                        const char *name,
                                                        futurl_read_fn read, int64_t size,
                                                        futurl_rewind_fn rewind,
                                                        void *userdata,
                                                        const char *filename,
                                                        const char *content_type);

/* Per-request total timeout for one attempt, overriding the client's
 * (0: none). Returns FUTURL_OK, or FUTURL_EINVAL for a negative timeout or
 * a NULL r. Thread-safety: a request is used by one thread at a time. */
FUTURL_API futurl_status futurl_request_set_timeout(futurl_request *r, long timeout_ms);

/* Per-request raise-for-status (0 or 1), overriding the client's. Returns
 * FUTURL_OK, or FUTURL_EINVAL for another value or a NULL r.
 * Thread-safety: a request is used by one thread at a time. */
FUTURL_API futurl_status futurl_request_set_raise_for_status(futurl_request *r, int on);

/* Per-request response-size cap in bytes, overriding the client's: 0, or
 * 2^63 and more (SIZE_MAX…), means no cap. Returns FUTURL_OK, or
 * FUTURL_EINVAL for a NULL r. Thread-safety: a request is used by one thread
 * at a time. */
FUTURL_API futurl_status futurl_request_set_max_response_bytes(futurl_request *r,
                                                               size_t max_bytes);

/* Per-request retry policy (copied), overriding the client's. Returns
 * FUTURL_OK, FUTURL_EINVAL (an argument is NULL, max_attempts is 0, or a
 * delay or the budget is negative) or FUTURL_ENOMEM.
 * Thread-safety: a request is used by one thread at a time. */
FUTURL_API futurl_status futurl_request_set_retry(futurl_request *r,
                                                  const futurl_retry_policy *p);

/* Per-request deadline in milliseconds from submit (0: none), overriding the
 * client's: covers queue wait, waits for a slot or a token, backoff and all
 * attempts. When it passes the future ends FUTURL_ETIMEDOUT — at the
 * deadline, not after another attempt. Returns FUTURL_OK, or FUTURL_EINVAL
 * for a negative deadline or a NULL r. Thread-safety: a request is used by
 * one thread at a time. */
FUTURL_API futurl_status futurl_request_set_deadline(futurl_request *r, long deadline_ms);

/* Name the request: id (copied) shows in its events, the debug log and on
 * its response (futurl_response_request_id). 1 to
 * FUTURL_MAX_REQUEST_ID_LENGTH printable ASCII bytes (0x20-0x7E: no CR, LF
 * or other control byte). A request without one gets "req-N" at submit, N
 * counting up from 1 in the process. Returns FUTURL_OK, FUTURL_EINVAL
 * (NULL r or id, empty, too long, a byte outside that range: r unchanged),
 * or FUTURL_ENOMEM (r unchanged). A second call replaces the id.
 * Thread-safety: a request is used by one thread at a time. */
FUTURL_API futurl_status futurl_request_set_id(futurl_request *r, const char *id);

/*
 * Stream the body to fn as it arrives, instead of buffering it (the
 * response body is then empty). fn runs on the worker thread; returning
 * non-zero aborts the transfer (FUTURL_EABORTED). The size cap still
 * applies. Replaces any set_output_file(). Returns FUTURL_OK, or
 * FUTURL_EINVAL if r or fn is NULL. Thread-safety: a request is used by one
 * thread at a time; fn runs on the worker thread that runs the transfer.
 */
typedef int (*futurl_chunk_fn)(const char *data, size_t len, void *userdata);
FUTURL_API futurl_status futurl_request_on_chunk(futurl_request *r, futurl_chunk_fn fn,
                                                 void *userdata);

/* Write the body to fp (borrowed; must stay open until the future
 * finishes) instead of buffering it; replaces any on_chunk(). A short write
 * fails the future with FUTURL_EIO. Returns FUTURL_OK, or FUTURL_EINVAL if
 * r or fp is NULL. Thread-safety: a request is used by one thread at a
 * time; the worker thread writes to fp. */
FUTURL_API futurl_status futurl_request_set_output_file(futurl_request *r, FILE *fp);

/* Progress callback on the worker thread, at least about once a second:
 * bytes received so far and the expected total (0 if unknown). Returning
 * non-zero aborts the transfer (FUTURL_EABORTED). Returns FUTURL_OK, or
 * FUTURL_EINVAL if r or fn is NULL. Thread-safety: a request is used by one
 * thread at a time; fn runs on the worker thread that runs the transfer. */
typedef int (*futurl_progress_fn)(uint64_t received, uint64_t total, void *userdata);
FUTURL_API futurl_status futurl_request_on_progress(futurl_request *r,
                                                    futurl_progress_fn fn,
                                                    void *userdata);

/* Free a request that was not submitted (submit steals it, even when it
 * fails). NULL is allowed. Thread-safety: the one thread using r. */
FUTURL_API void futurl_request_free(futurl_request *r);

/*
 * Queue r on the client's pool. Blocks while the queue is full (never on a
 * worker thread: FUTURL_EQUEUEFULL there). The result of the future is a
 * futurl_response (futurl_future_response). A transfer failure ends the
 * future FAILED with a code by class (FUTURL_ETIMEDOUT, FUTURL_ECONNECT,
 * FUTURL_ERESOLVE, FUTURL_ETLS, FUTURL_ENETWORK, FUTURL_ETOOLARGE,
 * FUTURL_EREDIRECT, FUTURL_EPROTOCOL, FUTURL_EHTTP …) and libcurl's message.
 * Cancelling it while it runs aborts the transfer and ends it CANCELLED
 * within milliseconds, also while the server is silent (the transfer's
 * sockets are shut down; measured on loopback: about 1 ms silent, 5 ms while
 * data flows).
 * FUTURL_EURL also when the final URL (base_url joined, parameters added)
 * is longer than FUTURL_MAX_URL_LENGTH, or when, with the client's static
 * cookies, the request head up to the Cookie header would pass libcurl's
 * 8190 bytes (libcurl would leave the cookies out).
 * Returns FUTURL_OK, FUTURL_EINVAL, FUTURL_ESCHEME, FUTURL_EURL, FUTURL_ENOMEM,
 * FUTURL_EQUEUEFULL, FUTURL_ESHUTDOWN. Ownership: steals r (also on failure);
 * *out is new. Thread-safety: any thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_client_submit(futurl_client *c,
                                                              futurl_request *r,
                                                              futurl_future **out);

/* As futurl_client_submit() but never blocks. Returns what
 * futurl_client_submit() returns, and FUTURL_EQUEUEFULL at once when the
 * queue is full. Ownership: steals r (also on failure); *out is new.
 * Thread-safety: any thread. */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_client_try_submit(futurl_client *c,
                                                                  futurl_request *r,
                                                                  futurl_future **out);

/* One-liners: build, submit, return the future. Returns what
 * futurl_request_new() and futurl_client_submit() return. Ownership: *out
 * is new. Thread-safety: any thread. */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_get(futurl_client *c, const char *url,
                                                    futurl_future **out);
FUTURL_API FUTURL_NODISCARD futurl_status futurl_delete(futurl_client *c, const char *url,
                                                       futurl_future **out);
/* POST, PUT or PATCH json (serialized now; the caller keeps it). Returns
 * what futurl_request_new(), futurl_request_set_json() and
 * futurl_client_submit() return (FUTURL_EINVAL for a NULL body).
 * Ownership: *out is new. Thread-safety: any thread. */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_post_json(futurl_client *c,
                                                          const char *url,
                                                          const struct cJSON *body,
                                                          futurl_future **out);
FUTURL_API FUTURL_NODISCARD futurl_status futurl_put_json(futurl_client *c,
                                                         const char *url,
                                                         const struct cJSON *body,
                                                         futurl_future **out);
FUTURL_API FUTURL_NODISCARD futurl_status futurl_patch_json(futurl_client *c,
                                                           const char *url,
                                                           const struct cJSON *body,
                                                           futurl_future **out);

/*
 * Per-call settings of futurl_client_request() and futurl_gather_get(), the
 * keyword arguments of httpx's client.request(method, url, timeout=...).
 * Every field's default is zero, and stays so in later versions: a struct
 * zeroed by futurl_request_options_init(), by "= {0}" or by a designated
 * initializer ("{.timeout_ms = 1000, .max_attempts = 3}") means "as the
 * client says". Everything else a request can do: futurl_request_new().
 */
typedef struct futurl_request_options {
    long timeout_ms;       /* one attempt (futurl_request_set_timeout):
                              0: the client's; negative: none; else ms */
    long deadline_ms;      /* from submit to the end, every attempt and wait
                              included (futurl_request_set_deadline):
                              0: the client's; negative: none; else ms */
    unsigned max_attempts; /* 0: as the retry policy says; else attempts in
                              all, first included (1: no retries) */
    const futurl_retry_policy *retry; /* NULL: the client's policy; copied */
    int raise_for_status;  /* 0: the client's; 1: on; -1: off */
    /* NULL-terminated "Name: value" lines, as futurl_client_options.headers
     * ("Name;" sends an empty value, "Name:" sends none); each replaces a
     * client default of its name (futurl_request_set_header). NULL: none. */
    const char *const *headers;
    /* NULL-terminated list of name, value, name, value ... query parameters,
     * percent-encoded (futurl_request_add_param). NULL: none. */
    const char *const *params;
    /* The body: json (serialized at the call; the caller keeps it) or
     * body_len bytes of body (copied) with content_type (may be NULL); not
     * both. NULL: none. */
    const struct cJSON *json;
    const void *body;
    size_t body_len;
    const char *content_type;
    const char *id; /* the request id (futurl_request_set_id); NULL: "req-N" */
} futurl_request_options;

/* Zero opts: every field "as the client says". Thread-safety: any thread. */
FUTURL_API void futurl_request_options_init(futurl_request_options *opts);

/*
 * Build a request of method and url with opts (may be NULL: none) and
 * submit it: the one-liner that takes settings (httpx's
 * client.request(method, url, ...)). Each field goes through the setter it
 * names, and is checked as it checks it; any refusal fails the call and
 * nothing is submitted. Returns FUTURL_OK or what futurl_request_new(), the
 * setters and futurl_client_submit() return: FUTURL_EINVAL (c, method, url
 * or out NULL; raise_for_status not -1, 0 or 1; both json and body; a
 * params list of odd length; body NULL with body_len > 0; a bad retry
 * policy or id), FUTURL_EMETHOD, FUTURL_EURL, FUTURL_ESCHEME,
 * FUTURL_EHEADER (a header line the request setters refuse, a bad
 * content_type), FUTURL_EJSON, FUTURL_ENOMEM, FUTURL_EQUEUEFULL,
 * FUTURL_ESHUTDOWN. Blocks as futurl_client_submit() while the queue is
 * full. Ownership: opts and all it points to are copied; *out is new, free
 * with futurl_future_free(). Thread-safety: any thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_client_request(futurl_client *c, const char *method, const char *url,
                      const futurl_request_options *opts, futurl_future **out);

/*
 * GET every url of urls[0..n) with opts (may be NULL) at once, then wait
 * until all have finished: asyncio.gather(*(client.get(u) for u in urls),
 * return_exceptions=True). fs[i] receives the future of urls[i], always,
 * so every URL has exactly one outcome, read as for futurl_gather(): a URL
 * that could not even be submitted (NULL, malformed, a refused header of
 * opts, a full queue on a worker thread, a shut-down client) has a future
 * already FAILED with that status (futurl_future_status) and a message
 * naming the URL (futurl_future_errmsg), and no response. It waits without
 * a time limit: bound it with opts->deadline_ms (each request then ends
 * FUTURL_ETIMEDOUT by that time) or the client's timeouts; for other ways
 * to wait (as-completed, fail fast), submit each with
 * futurl_client_request(). counts (may be NULL) receives the tally.
 * Returns FUTURL_OK once every future finished (whatever their outcomes;
 * also for n == 0), FUTURL_EINVAL (c NULL, or urls or fs NULL with n > 0:
 * nothing is submitted), FUTURL_ENOMEM (fs[] all NULL: what was submitted
 * is cancelled and freed), or FUTURL_EDEADLK where futurl_gather() returns
 * it (fs[] holds every future, unfinished ones go on). Blocks while the
 * queue is full, as futurl_client_submit(). Ownership: urls and opts are
 * copied; each fs[i] is new, free it with futurl_future_free().
 * Thread-safety: any thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_gather_get(
    futurl_client *c, const char *const *urls, size_t n,
    const futurl_request_options *opts, futurl_future **fs, futurl_gather_counts *counts);

/*
 * futurl_gather_get() on a client made for this call alone, with default
 * options except its workers: one per URL, at most
 * FUTURL_GET_ALL_MAX_WORKERS; the client is destroyed before the call
 * returns (futures outlive their client). The module-level requests.get()
 * or httpx.get() beside a Session: for one batch in a short program. Every
 * batch pays for starting its threads and connections, and nothing is
 * shared between batches (connections, cookies, limits), so a program that
 * sends more than one batch makes a client and uses futurl_gather_get().
 * Returns FUTURL_OK once every future finished (also for n == 0, which
 * makes no client), FUTURL_EINVAL (urls or fs NULL with n > 0), or, with
 * every fs[i] NULL and nothing sent, what futurl_client_create() returns
 * (FUTURL_ENOMEM, FUTURL_ETHREAD) and FUTURL_ENOMEM as futurl_gather_get().
 * Blocks until all have finished. Ownership: as futurl_gather_get().
 * Thread-safety: any thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_get_all(const char *const *urls, size_t n,
                                                        const futurl_request_options *opts,
                                                        futurl_future **fs,
                                                        futurl_gather_counts *counts);

/* Workers of futurl_get_all()'s client at most (the executor's default
 * ceiling). */
#define FUTURL_GET_ALL_MAX_WORKERS 32u

/* --------------------------------------------------------------- response */

/* The response of an HTTP future once it finished, whenever its transfer
 * ran: also when it FAILED (FUTURL_EHTTP: the full response; a transport
 * error: status 0 or the status that arrived, and any partial body) or was
 * cancelled while running, so status, headers and the libcurl code can be
 * read. NULL for a queued or running future, one cancelled before it ran,
 * or one that is not an HTTP future. Ownership: borrowed, valid until
 * futurl_future_free(f). Thread-safety: any thread. Every accessor below
 * is read-only and safe from any thread. */
FUTURL_API const futurl_response *futurl_future_response(const futurl_future *f);

/* The libcurl error code (CURLcode) of the last attempt; 0 on success and
 * when no transfer ran (no response). Thread-safety: any thread. */
FUTURL_API int futurl_future_curl_code(const futurl_future *f);

/* HTTP status of f's final response: futurl_response_status() of
 * futurl_future_response(f); 0 when f has none (NULL, unfinished, not an
 * HTTP future, no response arrived). Thread-safety: any thread. */
FUTURL_API long futurl_future_http_status(const futurl_future *f);

/* HTTP status of the final response (0 if none arrived).
 * Thread-safety: any thread. */
FUTURL_API long futurl_response_status(const futurl_response *r);

/* First value of header name (case-insensitive) in the final response, or
 * NULL. Borrowed. Values (and names) never hold CR, LF or NUL: a server's
 * bare CR inside a line reads as a space (RFC 9110 section 5.5), and the
 * spaces around a value are trimmed. Thread-safety: any thread. */
FUTURL_API const char *futurl_response_header(const futurl_response *r,
                                              const char *name);

/* The n-th (0-based) value of a repeated header, or NULL. Borrowed.
 * Thread-safety: any thread. */
FUTURL_API const char *futurl_response_header_nth(const futurl_response *r,
                                                  const char *name, size_t n);

/* Number of header lines in the final response. Thread-safety: any thread. */
FUTURL_API size_t futurl_response_header_count(const futurl_response *r);

/* The i-th header line, in the order received: its name into *name and
 * its value into *value (borrowed; either pointer may be NULL). Returns
 * FUTURL_OK, or FUTURL_EINVAL if r is NULL or i is out of range (i >=
 * futurl_response_header_count(r)), and then sets *name and *value to
 * NULL. Thread-safety: any thread. */
FUTURL_API futurl_status futurl_response_header_at(const futurl_response *r, size_t i,
                                                   const char **name,
                                                   const char **value);

/* The body (NUL-terminated; the NUL is not counted in *len, which may be
 * NULL). Never NULL: "" when empty or streamed. Borrowed.
 * Thread-safety: any thread. */
FUTURL_API const char *futurl_response_body(const futurl_response *r, size_t *len);

/* The body parsed as JSON, parsed on first call and cached; NULL if it is
 * not valid JSON (see futurl_response_json_error), or if memory ran out
 * (not cached: a later call parses again). Borrowed.
 * Thread-safety: any thread. */
FUTURL_API const struct cJSON *futurl_response_json(const futurl_response *r);

/* After futurl_response_json() returned NULL: a message with the byte
 * offset of the error ("invalid JSON at byte 17", or "out of memory while
 * parsing JSON"); NULL if the body parsed.
 * Borrowed. Thread-safety: any thread. */
FUTURL_API const char *futurl_response_json_error(const futurl_response *r);

/* Longest path futurl_response_json_value() and the typed accessors take,
 * in bytes (FUTURL_EJSONPATH beyond it). */
#define FUTURL_MAX_JSON_PATH_LENGTH 4096u

/*
 * The value at path in the response's JSON body (futurl_response_json,
 * parsed once and cached). A path is "" (the whole document) or a run of
 * steps, such as (as C strings) "data.items[0].name", "[2].id" or
 * "headers[\"Content-Type\"]". A step .name (the first one without its
 * dot) is the member of an object: a name is one or more bytes other than
 * . [ ] " and backslash, compared byte for byte (case-sensitive). A step
 * [N] is element N (0-based) of an array: decimal digits without sign,
 * space or leading zero. A step ["name"] is a member whose name may hold
 * any byte (a.b, the empty name ...): inside the quotes, a backslash and a
 * quote stand for a quote, two backslashes for one, every other byte for
 * itself (so "[\"a\\\"b\"]" in C names a"b). Nothing else (no
 * spaces between steps, no wildcards), at most FUTURL_MAX_JSON_PATH_LENGTH
 * bytes. An object with a repeated name answers its first member. Walking
 * takes time in proportion to the path and to the members and elements it
 * passes, and allocates nothing.
 * Returns FUTURL_OK with *out set, or, with *out NULL (or 0), checked in
 * this order: FUTURL_EINVAL (r, path or out NULL), FUTURL_EJSONPATH (the
 * path is malformed or too long: whatever the body), FUTURL_EJSON (the body
 * is not JSON: futurl_response_json_error() says where), FUTURL_ENOMEM (no
 * memory to parse it), FUTURL_ENOTFOUND (an object has no member of that
 * name, or an array is shorter), FUTURL_ETYPE (a step into a value that is
 * no object, resp. no array; or, in the typed accessors below, a value of
 * another type). Ownership: *out is borrowed, valid until
 * futurl_future_free() of the response's future. Thread-safety: any thread.
 */
FUTURL_API futurl_status futurl_response_json_value(const futurl_response *r,
                                                    const char *path,
                                                    const struct cJSON **out);

/* The string at path (futurl_response_json_value); FUTURL_ETYPE for any
 * other type, null included. Ownership: *out is borrowed, valid until
 * futurl_future_free() of the response's future. Returns as
 * futurl_response_json_value(). Thread-safety: any thread. */
FUTURL_API futurl_status futurl_response_json_string(const futurl_response *r,
                                                     const char *path, const char **out);

/* The number at path, as a double; FUTURL_ETYPE for any other type (a
 * string of digits too). Returns as futurl_response_json_value().
 * Thread-safety: any thread. */
FUTURL_API futurl_status futurl_response_json_number(const futurl_response *r,
                                                     const char *path, double *out);

/* The number at path as an integer: FUTURL_ETYPE unless it is a whole
 * number of at most 2^53 in size (9007199254740992; larger ones a JSON
 * parser holds as a double and may have rounded, so they are refused, not
 * guessed), or of another type. Returns as futurl_response_json_value().
 * Thread-safety: any thread. */
FUTURL_API futurl_status futurl_response_json_int(const futurl_response *r,
                                                  const char *path, int64_t *out);

/* The boolean at path: 1 for true, 0 for false; FUTURL_ETYPE for any other
 * type (0, 1 and "true" too). Returns as futurl_response_json_value().
 * Thread-safety: any thread. */
FUTURL_API futurl_status futurl_response_json_bool(const futurl_response *r,
                                                   const char *path, int *out);

/*
 * The JSON accessors above on a future, its outcome first: the value at
 * path in the body of f's response when f finished well, so one call
 * answers "did I get my field?" (in Python, (await r.json())["a"]["b"]
 * raising whatever happened on the way). Returns, checked in this order:
 * FUTURL_EINVAL (f, path or out NULL; f not an HTTP future), f's own
 * status when it did not end DONE (futurl_future_status: FUTURL_EPENDING
 * unfinished, FUTURL_ECANCELED, or the failure: FUTURL_ETIMEDOUT,
 * FUTURL_EHTTP under raise_for_status ..., whose message is
 * futurl_future_errmsg), then as the response's accessor. *out is set on
 * FUTURL_OK, NULL (or 0) otherwise. Ownership: *out is borrowed, valid
 * until futurl_future_free(f). Thread-safety: any thread.
 */
FUTURL_API futurl_status futurl_future_json_value(const futurl_future *f,
                                                  const char *path,
                                                  const struct cJSON **out);

/* As futurl_response_json_string(), f's outcome first.
 * Returns as futurl_future_json_value(). Thread-safety: any thread. */
FUTURL_API futurl_status futurl_future_json_string(const futurl_future *f,
                                                   const char *path, const char **out);

/* As futurl_response_json_number(), f's outcome first.
 * Returns as futurl_future_json_value(). Thread-safety: any thread. */
FUTURL_API futurl_status futurl_future_json_number(const futurl_future *f,
                                                   const char *path, double *out);

/* As futurl_response_json_int(), f's outcome first.
 * Returns as futurl_future_json_value(). Thread-safety: any thread. */
FUTURL_API futurl_status futurl_future_json_int(const futurl_future *f,
                                                const char *path, int64_t *out);

/* As futurl_response_json_bool(), f's outcome first.
 * Returns as futurl_future_json_value(). Thread-safety: any thread. */
FUTURL_API futurl_status futurl_future_json_bool(const futurl_future *f,
                                                 const char *path, int *out);

/* The URL of the final response (after redirects). Borrowed.
 * Thread-safety: any thread. */
FUTURL_API const char *futurl_response_url(const futurl_response *r);

/* Redirects followed. Thread-safety: any thread. */
FUTURL_API long futurl_response_redirects(const futurl_response *r);

/* HTTP version of the final response: 10, 11, 20 or 30 (0 unknown).
 * Thread-safety: any thread. */
FUTURL_API int futurl_response_http_version(const futurl_response *r);

/* Body bytes received (also when streamed). Thread-safety: any thread. */
FUTURL_API uint64_t futurl_response_bytes(const futurl_response *r);

/* Seconds: whole transfer, until connected, until the first byte.
 * Thread-safety: any thread. */
FUTURL_API double futurl_response_elapsed(const futurl_response *r);
FUTURL_API double futurl_response_connect_time(const futurl_response *r);
FUTURL_API double futurl_response_ttfb(const futurl_response *r);

/* Attempts made (1 without retries). Thread-safety: any thread. */
FUTURL_API unsigned futurl_response_attempts(const futurl_response *r);

/* Why retry i (0 .. attempts-2) happened, e.g. "attempt 1: HTTP 503,
 * Retry-After 1000 ms" or "attempt 2: FUTURL_ENETWORK: Recv failure:
 * Connection reset by peer, backoff 173 ms"; NULL past the end. Borrowed.
 * Thread-safety: any thread. */
FUTURL_API const char *futurl_response_retry_reason(const futurl_response *r,
                                                    unsigned i);

/* The id of the request this response answers (futurl_request_set_id, or
 * the generated "req-N"); "" for a response no transfer made. Borrowed.
 * Thread-safety: any thread. */
FUTURL_API const char *futurl_response_request_id(const futurl_response *r);

/* New connections this transfer opened (0 when a kept-alive one was reused).
 * Thread-safety: any thread. */
FUTURL_API long futurl_response_new_connections(const futurl_response *r);

/* ======================================================================== */
/* Mock transport: test code that uses futurl without a network            */
/* ======================================================================== */

/* The request's method ("GET", "POST", …) as sent. Ownership: borrowed,
 * valid during the futurl_mock_fn call; "" for a NULL req.
 * Thread-safety: any thread. */
FUTURL_API const char *futurl_mock_request_method(const futurl_mock_request *req);

/* The request's full URL, "http://" + its Host + its target, as libcurl
 * sent it ("http://api.test/users?page=2"). Ownership: borrowed, valid
 * during the call; "" for a NULL req. Thread-safety: any thread. */
FUTURL_API const char *futurl_mock_request_url(const futurl_mock_request *req);

/* The first value of header name (case-insensitive) the request carried,
 * or NULL (also for a NULL argument). Ownership: borrowed, valid during the
 * call. Thread-safety: any thread. */
FUTURL_API const char *futurl_mock_request_header(const futurl_mock_request *req,
                                                  const char *name);

/* The request's body (NUL-terminated; the NUL not counted in *len, which
 * may be NULL); "" when it has none. A chunked body arrives whole.
 * Ownership: borrowed, valid during the call. Thread-safety: any thread. */
FUTURL_API const char *futurl_mock_request_body(const futurl_mock_request *req,
                                                size_t *len);

/* The status to answer, 200 to 999 (an interim 1xx is not an answer).
 * Returns FUTURL_OK or FUTURL_EINVAL (NULL resp, status out of range).
 * Thread-safety: the response is used by one thread, its call's. */
FUTURL_API futurl_status futurl_mock_response_set_status(futurl_mock_response *resp,
                                                         long status);

/* Add a header line to the answer ("Set-Cookie", "Location", "Retry-After"
 * …), copied. The library frames the message: Content-Length,
 * Transfer-Encoding and Connection are refused, as are a name that is not
 * a token and a value with a control byte (CR, LF, NUL). Returns
 * FUTURL_OK, FUTURL_EINVAL (a NULL argument), FUTURL_EHEADER or
 * FUTURL_ENOMEM. Thread-safety: the response's call only. */
FUTURL_API futurl_status futurl_mock_response_add_header(futurl_mock_response *resp,
                                                         const char *name,
                                                         const char *value);

/* The answer's body (copied; replaces an earlier one; len may be 0), sent
 * with its Content-Length (not for HEAD, 204 and 304, which have none).
 * Returns FUTURL_OK, FUTURL_EINVAL (NULL resp, or NULL data with len > 0)
 * or FUTURL_ENOMEM. Thread-safety: the response's call only. */
FUTURL_API futurl_status futurl_mock_response_set_body(futurl_mock_response *resp,
                                                       const void *data, size_t len);

/* Answer with a transport failure instead (futurl_mock_error;
 * FUTURL_MOCK_NONE undoes it). Returns FUTURL_OK or FUTURL_EINVAL (NULL
 * resp, unknown value). Thread-safety: the response's call only. */
FUTURL_API futurl_status futurl_mock_response_set_error(futurl_mock_response *resp,
                                                        futurl_mock_error error);

/* Wait delay_ms (0 to 86,400,000) after the call returns before the answer
 * (or the failure) goes out, as a slow server would. The wait ends at once
 * when the client gives up on the request (cancel, timeout, deadline,
 * shutdown): nothing is sent then. Returns FUTURL_OK or FUTURL_EINVAL.
 * Thread-safety: the response's call only. */
FUTURL_API futurl_status futurl_mock_response_set_delay(futurl_mock_response *resp,
                                                        long delay_ms);

/* ------------------------------------------------------------ mock router */

/* A ready-made futurl_mock_fn: routes by method and URL pattern, each with
 * canned answers given in order, and counts calls. */
typedef struct futurl_mock_router futurl_mock_router;

/* A new router without routes. Use it as
 * opts.mock = futurl_mock_router_fn, opts.mock_userdata = router; it must
 * outlive the client. A request no route matches is answered 501 with the
 * body "futurl mock: no route for METHOD URL" (and counted: see
 * futurl_mock_router_unmatched). Returns FUTURL_OK, FUTURL_EINVAL or
 * FUTURL_ENOMEM. Ownership: *out is new, free with
 * futurl_mock_router_free(). Thread-safety: any thread. */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_mock_router_new(futurl_mock_router **out);

/* Free a router (NULL is allowed). Thread-safety: once, after every
 * client that uses it is destroyed. */
FUTURL_API void futurl_mock_router_free(futurl_mock_router *m);

/* Add a route: method ("GET"; NULL or "*": any) and a URL pattern matched
 * against the whole URL ("http://api.test/users/1"), where '*' stands for
 * any run of bytes, '/' and '?' included ("http://api.test/users/" then
 * '*').
 * Routes are tried in the order added; the first match answers. Its index
 * (0, 1, …) goes to *route (may be NULL). Both strings copied. A route
 * without a reply answers 501 too. Returns FUTURL_OK, FUTURL_EINVAL (NULL
 * m or pattern) or FUTURL_ENOMEM. Thread-safety: any thread, also while
 * clients use the router. */
FUTURL_API futurl_status futurl_mock_router_add(futurl_mock_router *m, const char *method,
                                                const char *pattern, unsigned *route);

/* Append a canned answer to a route: status (200 to 999), a Content-Type
 * (NULL: none) and a body (NULL: empty), copied. A route's answers are
 * given one per call in the order appended; the last repeats. Returns
 * FUTURL_OK, FUTURL_EINVAL (NULL m, unknown route, status out of range),
 * FUTURL_EHEADER (content_type) or FUTURL_ENOMEM. Thread-safety: any
 * thread. */
FUTURL_API futurl_status futurl_mock_router_reply(futurl_mock_router *m, unsigned route,
                                                  long status, const char *content_type,
                                                  const char *body);

/* Append a canned transport failure (futurl_mock_error, not
 * FUTURL_MOCK_NONE) to a route, in order with its answers. Returns
 * FUTURL_OK, FUTURL_EINVAL or FUTURL_ENOMEM. Thread-safety: any thread. */
FUTURL_API futurl_status futurl_mock_router_reply_error(futurl_mock_router *m,
                                                        unsigned route,
                                                        futurl_mock_error error);

/* Add a header line to the route's last canned answer (checked as
 * futurl_mock_response_add_header). Returns FUTURL_OK, FUTURL_EINVAL
 * (NULL argument, unknown route, a route without an answer),
 * FUTURL_EHEADER or FUTURL_ENOMEM. Thread-safety: any thread. */
FUTURL_API futurl_status futurl_mock_router_reply_header(futurl_mock_router *m,
                                                         unsigned route,
                                                         const char *name,
                                                         const char *value);

/* Delay the route's last canned answer (as futurl_mock_response_set_delay).
 * Returns FUTURL_OK or FUTURL_EINVAL. Thread-safety: any thread. */
FUTURL_API futurl_status futurl_mock_router_reply_delay(futurl_mock_router *m,
                                                        unsigned route, long delay_ms);

/* Requests the route answered so far (0 for a NULL m or unknown route).
 * Thread-safety: any thread. */
FUTURL_API unsigned long futurl_mock_router_calls(const futurl_mock_router *m,
                                                  unsigned route);

/* Requests no route matched (answered 501). Thread-safety: any thread. */
FUTURL_API unsigned long futurl_mock_router_unmatched(const futurl_mock_router *m);

/* The router as a futurl_mock_fn; userdata is the futurl_mock_router.
 * Thread-safety: any thread (the router has its own lock). */
FUTURL_API void futurl_mock_router_fn(const futurl_mock_request *req,
                                      futurl_mock_response *resp, void *userdata);

/* ======================================================================== */
/* Streams: the body pulled on the caller's thread                          */
/* ======================================================================== */

/* A response body read by the caller as it arrives (httpx's
 * client.stream() / aiter_bytes() / aclose()). */
typedef struct futurl_stream futurl_stream;

/*
 * Queue r as a streaming request. The future finishes as soon as the
 * headers of the final response have arrived (after redirects; interim 1xx
 * responses are skipped), or when the request fails before that. Then
 * futurl_future_response() gives the status and headers (bytes, elapsed and
 * the other counters are as at that moment) and futurl_future_stream() the
 * body. With raise_for_status a status >= 400 ends the future FAILED with
 * FUTURL_EHTTP, and the stream still gives the body. A stream future always
 * has a response once finished: one that failed or was cancelled before a
 * transfer ran has status 0 and no headers.
 * The transfer holds at most the client's stream_buffer_bytes of body that
 * the reader has not taken: while the buffer is full, it stops reading from
 * the socket. Retries (of the client's or the request's policy) happen only
 * until the headers have been handed over: a 503 that arrives as the final
 * response is the stream's response, not retried. The size cap, timeout
 * and deadline still hold, also while the transfer waits for the reader.
 * The request must have no chunk callback or output file (FUTURL_EINVAL).
 * Cancelling the future before it finishes aborts the request (it ends
 * CANCELLED); afterwards, use futurl_stream_cancel() or close.
 * Returns what futurl_client_submit() returns. Ownership: steals r (also on
 * failure); *out is new, free with futurl_future_free(), which also closes
 * its stream. Thread-safety: any thread. The future's done-callbacks may
 * run on the worker, inside the transfer: they must not wait for the
 * stream's body (futurl_stream_read with a timeout would wait for itself).
 */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_client_stream(futurl_client *c,
                                                               futurl_request *r,
                                                               futurl_future **out);

/* The stream of a future from futurl_client_stream() whose headers arrived
 * (it finished DONE, or FAILED with FUTURL_EHTTP); NULL otherwise (not
 * finished, failed before the headers, cancelled, not a stream future).
 * Ownership: borrowed, valid until futurl_future_free(f). Thread-safety:
 * any thread. */
FUTURL_API futurl_stream *futurl_future_stream(const futurl_future *f);

/*
 * Read up to cap body bytes into buf, waiting at most timeout_ms for some
 * (negative: forever; 0: never waits, the non-blocking read). Bytes that
 * arrived are always handed over before the end or an error is reported.
 * Returns FUTURL_OK with *got > 0 (bytes read) or *got == 0 (the end of
 * the body: the transfer completed and every byte was read; again on every
 * later call); FUTURL_EPENDING with *got == 0 when nothing arrived within
 * timeout_ms; the status the transfer failed with once its bytes are read
 * (FUTURL_ENETWORK for a reset, FUTURL_ETOOLARGE, FUTURL_ETIMEDOUT,
 * FUTURL_ECANCELED after futurl_stream_cancel(), ...; see
 * futurl_stream_errmsg() and futurl_stream_bytes() for the bytes read
 * before it), again on every later call; FUTURL_EINVAL (a NULL argument,
 * cap 0, or a closed stream). Thread-safety: any thread; several readers
 * may read at once (each byte goes to one of them), and close or cancel
 * may run on another thread, which wakes a blocked reader.
 */
FUTURL_API futurl_status futurl_stream_read(futurl_stream *s, void *buf, size_t cap,
                                            size_t *got, long timeout_ms);

/* A descriptor (eventfd, close-on-exec, non-blocking) that is readable
 * while body bytes, the end or an error wait to be read: watch it with
 * poll, epoll, libuv or GLib and call futurl_stream_read(..., 0) when it
 * is; never read or close it yourself. -1 for a NULL s. Ownership:
 * borrowed, valid until futurl_future_free() of the stream's future.
 * Not inherited across exec; after fork, the child must not use it.
 * Thread-safety: any thread. */
FUTURL_API int futurl_stream_fd(const futurl_stream *s);

/* Body bytes read from s so far (the partial count after an error).
 * Thread-safety: any thread. */
FUTURL_API uint64_t futurl_stream_bytes(const futurl_stream *s);

/* Body bytes buffered in s now, never more than the client's
 * stream_buffer_bytes. Thread-safety: any thread. */
FUTURL_API size_t futurl_stream_buffered(const futurl_stream *s);

/* Why the body ended badly ("" while it goes on or after a clean end).
 * Ownership: borrowed, valid until futurl_future_free() of the stream's
 * future; stable once futurl_stream_read() has returned the error.
 * Thread-safety: any thread. */
FUTURL_API const char *futurl_stream_errmsg(const futurl_stream *s);

/* Abort the transfer if it is still running: it stops within milliseconds
 * (the connection is closed, the worker goes back to the pool), and reads
 * return FUTURL_ECANCELED at once, also one blocked on another thread.
 * Returns 1 if the transfer was still running, 0 if it had ended (the body
 * stays readable) or s is NULL. Thread-safety: any thread. */
FUTURL_API int futurl_stream_cancel(futurl_stream *s);

/* Stop reading: futurl_stream_cancel() if the transfer still runs;
 * afterwards reads return FUTURL_EINVAL. After the end of the body was
 * read (a read returned 0 bytes with FUTURL_OK) the connection stays open
 * for the next request. The memory stays until futurl_future_free() of the
 * stream's future, which closes the stream itself if needed. NULL is
 * allowed. Thread-safety: any thread; a second close does nothing. */
FUTURL_API void futurl_stream_close(futurl_stream *s);

#ifdef __cplusplus
}
#endif

#endif /* FUTURL_H */
