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
    X(EDEADLK, -10, "would deadlock: called from a worker thread")             \
    X(EEXHAUSTED, -11, "nothing left: every future was yielded")               \
    X(EURL, -20, "malformed URL")                                              \
    X(ESCHEME, -21, "URL scheme not allowed (only http and https)")            \
    X(EHEADER, -22, "header name or value not allowed (CR, LF, NUL or bad "    \
                    "name)")                                                   \
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
    X(ECURL, -35, "libcurl error")

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
    /* Queued (not yet running) jobs at most; 0 means
     * FUTURL_DEFAULT_QUEUE_CAPACITY. */
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
 * queue (negative: forever; 0: not at all) and then fails with
 * FUTURL_EQUEUEFULL. Thread-safety: any thread. */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_executor_submit_timeout(futurl_executor *ex, futurl_job_fn fn, void *arg,
                               futurl_free_fn free_arg, futurl_free_fn free_result,
                               long timeout_ms, futurl_future **out);

/* As futurl_executor_submit(), but never waits: FUTURL_EQUEUEFULL at once
 * when the queue is full. Thread-safety: any thread. */
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
 * DRAIN left queued).
 * Returns FUTURL_OK, FUTURL_EINVAL, or FUTURL_EDEADLK when called on one of
 * this executor's own worker threads (nothing is joined then).
 * Thread-safety: any thread except the executor's workers.
 */
FUTURL_API futurl_status futurl_executor_shutdown(futurl_executor *ex,
                                                  futurl_shutdown_mode how);

/* Shut down (FUTURL_DRAIN) if that has not happened, then free the executor.
 * Futures outlive it and stay valid. NULL is allowed.
 * Thread-safety: once, after every other call on ex has returned; never
 * from a worker thread. */
FUTURL_API void futurl_executor_destroy(futurl_executor *ex);

/* The most worker threads the executor runs (its `workers` option).
 * Thread-safety: any thread. */
FUTURL_API unsigned futurl_executor_workers(const futurl_executor *ex);

/* Worker threads started so far: at least 1 (the one create starts), at
 * most futurl_executor_workers(); they stay until shutdown.
 * Thread-safety: any thread. */
FUTURL_API unsigned futurl_executor_threads(const futurl_executor *ex);

/* Number of queued (not yet running) jobs right now, counting slots that
 * submissions in progress have reserved. Thread-safety: any thread. */
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
 * returns at once. Thread-safety: any thread; many threads may wait on one
 * future. */
FUTURL_API futurl_status futurl_future_wait(futurl_future *f);

/* Block at most timeout_ms (negative: forever). Returns the outcome if f
 * finished, else FUTURL_ETIMEDOUT with f untouched — check
 * futurl_future_done() to tell a finished FUTURL_ETIMEDOUT outcome apart.
 * Thread-safety: any thread. */
FUTURL_API futurl_status futurl_future_wait_for(futurl_future *f, long timeout_ms);

/* 1 if f has finished (done, failed or cancelled), else 0; never blocks.
 * Its done-callbacks may still be running: wait for them with
 * futurl_future_wait(). Thread-safety: any thread. */
FUTURL_API int futurl_future_done(const futurl_future *f);

/* The current state; never blocks. Thread-safety: any thread. */
FUTURL_API futurl_state futurl_future_state(const futurl_future *f);

/* The outcome: FUTURL_OK, an error, FUTURL_ECANCELED, or FUTURL_EPENDING if
 * f has not finished. Never blocks. Thread-safety: any thread. */
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
 * this thread). A running one has its cancellation flag set: HTTP transfers
 * abort and end CANCELLED; a generic job ends CANCELLED if it returns
 * FUTURL_ECANCELED, otherwise with whatever it returns.
 * Returns 1 if the cancellation took effect (f was queued, waiting to retry
 * or running), 0 if f had already finished or another thread is finishing it
 * (a deadline, a shutdown): it ends promptly either way. Thread-safety: any
 * thread.
 */
FUTURL_API int futurl_future_cancel(futurl_future *f);

/* A done-callback; f is borrowed for the duration of the call. */
typedef void (*futurl_done_fn)(futurl_future *f, void *userdata);

/*
 * Call fn(f, userdata) exactly once when f finishes, on the thread that
 * finishes it: a worker; the thread that cancels it; the thread that shuts
 * the pool down (for what that cancels); or the executor's timer thread
 * (a deadline passed while it waited). Callbacks added before that run in
 * the order added. On a worker or the timer thread a submit never blocks
 * (FUTURL_EQUEUEFULL instead); a callback must not wait on other futures of
 * its pool nor shut it down. If f has already finished, fn runs at once on this
 * thread before this call returns. The caller may hand its reference to
 * the callback, which then calls futurl_future_free(f) itself (f stays
 * valid until the callback returns). If this fails, fn never runs.
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
 * FUTURL_ETIMEDOUT at the deadline, FUTURL_EINVAL, FUTURL_ENOMEM.
 * NULL entries in fs are FUTURL_EINVAL. Thread-safety: any thread.
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
 * Returns FUTURL_OK, FUTURL_ETIMEDOUT, FUTURL_EINVAL, FUTURL_ENOMEM.
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
 * FUTURL_ETIMEDOUT at the deadline (call again: it stays timed out),
 * FUTURL_EEXHAUSTED when all n have been yielded (*f = NULL), FUTURL_EINVAL.
 * Thread-safety: one thread at a time per iterator.
 */
FUTURL_API futurl_status futurl_as_completed_next(futurl_as_completed *it,
                                                  futurl_future **f, size_t *index);

/* Free the iterator (not the futures). NULL is allowed.
 * Thread-safety: once, when no next() is running. */
FUTURL_API void futurl_as_completed_free(futurl_as_completed *it);

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

/* Documented defaults of futurl_client_options_init(). */
#define FUTURL_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define FUTURL_DEFAULT_TIMEOUT_MS 30000L
#define FUTURL_DEFAULT_MAX_REDIRECTS 10L
#define FUTURL_DEFAULT_MAX_RESPONSE_BYTES (64u * 1024u * 1024u)

typedef struct futurl_client_options {
    unsigned workers;        /* 0: as futurl_executor_options */
    unsigned queue_capacity; /* 0: FUTURL_DEFAULT_QUEUE_CAPACITY */
    const char *thread_name; /* NULL: "futurl" */
    /* Joined with relative request URLs ("/get", "items?id=1"). NULL: none. */
    const char *base_url;
    /* Default "futurl/<version>". */
    const char *user_agent;
    /* NULL-terminated list of "Name: value" headers sent on every request
     * ("Name;" sends an empty value, "Name:" suppresses a header libcurl
     * would add). Besides these, futurl sends "Expect:" unless you name
     * Expect: no 100-continue round trip before a body. */
    const char *const *headers;
    long connect_timeout_ms; /* default FUTURL_DEFAULT_CONNECT_TIMEOUT_MS */
    long timeout_ms;         /* whole attempt; default FUTURL_DEFAULT_TIMEOUT_MS */
    int follow_redirects;    /* default 1 */
    long max_redirects;      /* default FUTURL_DEFAULT_MAX_REDIRECTS */
    int verify_tls;          /* default 1: peer and host name verified */
    const char *ca_file, *ca_path;         /* extra trust anchors; NULL: system */
    const char *client_cert, *client_key;  /* PEM files; NULL: none */
    const char *proxy;                     /* e.g. "http://127.0.0.1:3128" */
    const char *username, *password;       /* HTTP basic auth; NULL: none */
    const char *bearer_token;              /* Authorization: Bearer; NULL: none;
                                              not together with username */
    const char *cookies;                   /* static "a=1; b=2" sent to each
                                              request's own host, never to another
                                              host a redirect leads to */
    int cookie_jar;       /* default 1: cookies servers set are kept client-wide */
    size_t max_response_bytes; /* default FUTURL_DEFAULT_MAX_RESPONSE_BYTES;
                                  0: no cap */
    int raise_for_status; /* default 0: status >= 400 is still FUTURL_OK */
    int decompress;       /* default 1: Accept-Encoding with every codec
                             libcurl has (gzip, deflate, br, zstd) */
    int http2;            /* default 1: HTTP/2 over TLS when offered */

    /* Resilience (see futurl_retry_policy). */
    futurl_retry_policy retry; /* default: futurl_retry_policy_init() */
    long deadline_ms;          /* default 0: none. Per request: from submit to
                                  the end, covering queue wait, backoff and every
                                  attempt; then FUTURL_ETIMEDOUT */
    unsigned max_per_host;     /* default 0: no limit; concurrent requests per
                                  host (scheme://host:port) */
    double rate_limit;         /* default 0: none; attempts per second, whole
                                  client, token bucket */
    unsigned rate_burst;       /* default 1: tokens the bucket holds */
    double host_rate_limit;    /* default 0: none; the same, per host */
    unsigned host_rate_burst;  /* default 1 */
    int hold_on_429;           /* default 1: a 429 with Retry-After holds back
                                  every request to that host until then */
} futurl_client_options;

/* Fill opts with the documented defaults. Thread-safety: any thread. */
FUTURL_API void futurl_client_options_init(futurl_client_options *opts);

/*
 * Create a client and its pool; every string in opts is copied. Each worker
 * gets its own libcurl easy handle, reused across requests.
 * Returns FUTURL_OK, FUTURL_EINVAL (bad option, e.g. a negative timeout,
 * or username together with bearer_token), FUTURL_ESCHEME (base_url not
 * http/https), FUTURL_EURL (malformed base_url), FUTURL_EHEADER (a default
 * header, user_agent, cookies or bearer_token that is not a valid header
 * line or value), FUTURL_ENOMEM, FUTURL_ETHREAD, FUTURL_ECURL. Ownership: *out is new, free with futurl_client_destroy().
 * Thread-safety: any thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status
futurl_client_create(const futurl_client_options *opts, futurl_client **out);

/* The client's executor, to submit your own blocking jobs beside its
 * requests. Ownership: borrowed, valid until futurl_client_destroy(); do not
 * shut it down or destroy it yourself. Thread-safety: any thread. */
FUTURL_API futurl_executor *futurl_client_executor(futurl_client *c);

/* Shut the client's pool down (see futurl_executor_shutdown); running
 * transfers are aborted with FUTURL_CANCEL_PENDING. Thread-safety: any
 * thread except the client's workers. */
FUTURL_API futurl_status futurl_client_shutdown(futurl_client *c,
                                                futurl_shutdown_mode how);

/* Shut down (FUTURL_DRAIN) if needed and free the client. Futures outlive
 * it. NULL is allowed. Thread-safety: once, after all other calls on c; never
 * from one of its own workers or callbacks (it would wait for itself: the
 * call then does nothing and the client is leaked, rather than freed while
 * in use). */
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
    size_t parked;      /* waiting to retry, for a slot or a token */
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
 * checked here (FUTURL_ESCHEME), and so are control bytes, spaces and the
 * shape of its host and port (FUTURL_EURL); a defect only libcurl's full
 * parse finds (a bad IPv6 literal, say) fails the future with FUTURL_EURL
 * before anything is sent. Methods are case-sensitive:
 * GET, HEAD and POST are sent as libcurl does them natively (so a 301, 302
 * or 303 turns a POST into a GET); any other method is sent verbatim and,
 * with libcurl 7.88, kept on redirects. Returns FUTURL_OK, FUTURL_EINVAL,
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
 * value (CR, LF, NUL…): FUTURL_EHEADER, and nothing is changed. Copied. */
FUTURL_API futurl_status futurl_request_set_header(futurl_request *r, const char *name,
                                                   const char *value);

/* Add one more header line, keeping earlier ones of the same name. Checked
 * and copied as set_header. */
FUTURL_API futurl_status futurl_request_add_header(futurl_request *r, const char *name,
                                                   const char *value);

/* Send no header of this name: drops a client default and suppresses one
 * libcurl would add (e.g. "Accept"). */
FUTURL_API futurl_status futurl_request_remove_header(futurl_request *r,
                                                      const char *name);

/* Append name=value to the query string, both percent-encoded. Copied. */
FUTURL_API futurl_status futurl_request_add_param(futurl_request *r, const char *name,
                                                  const char *value);

/* Body bytes (copied; len may be 0) with an optional Content-Type (checked
 * as a header value). Without one no Content-Type is sent (libcurl would
 * claim a form). POST, PUT and PATCH without a body send Content-Length: 0;
 * HEAD never sends a body. */
FUTURL_API futurl_status futurl_request_set_body(futurl_request *r, const void *data,
                                                 size_t len, const char *content_type);

/* Body: json serialized now (the caller keeps json), with
 * Content-Type: application/json. FUTURL_EJSON if it cannot be printed. */
FUTURL_API futurl_status futurl_request_set_json(futurl_request *r,
                                                 const struct cJSON *json);

/* Add a URL-encoded form field; the body becomes
 * application/x-www-form-urlencoded. FUTURL_EINVAL after set_body() or
 * set_json() (a later set_body() replaces the form). Copied. */
FUTURL_API futurl_status futurl_request_add_form(futurl_request *r, const char *name,
                                                 const char *value);

/* Per-request total timeout for one attempt, overriding the client's
 * (0: none, negative: FUTURL_EINVAL). */
FUTURL_API futurl_status futurl_request_set_timeout(futurl_request *r, long timeout_ms);

/* Per-request raise-for-status (0 or 1), overriding the client's. */
FUTURL_API futurl_status futurl_request_set_raise_for_status(futurl_request *r, int on);

/* Per-request response-size cap in bytes (0: none), overriding the client's. */
FUTURL_API futurl_status futurl_request_set_max_response_bytes(futurl_request *r,
                                                               size_t max_bytes);

/* Per-request retry policy (copied), overriding the client's. */
FUTURL_API futurl_status futurl_request_set_retry(futurl_request *r,
                                                  const futurl_retry_policy *p);

/* Per-request deadline in milliseconds from submit (0: none), overriding the
 * client's: covers queue wait, waits for a slot or a token, backoff and all
 * attempts. When it passes the future ends FUTURL_ETIMEDOUT — at the
 * deadline, not after another attempt. Negative: FUTURL_EINVAL. */
FUTURL_API futurl_status futurl_request_set_deadline(futurl_request *r, long deadline_ms);

/*
 * Stream the body to fn as it arrives, instead of buffering it (the
 * response body is then empty). fn runs on the worker thread; returning
 * non-zero aborts the transfer (FUTURL_EABORTED). The size cap still
 * applies. Replaces any set_output_file().
 */
typedef int (*futurl_chunk_fn)(const char *data, size_t len, void *userdata);
FUTURL_API futurl_status futurl_request_on_chunk(futurl_request *r, futurl_chunk_fn fn,
                                                 void *userdata);

/* Write the body to fp (borrowed; must stay open until the future
 * finishes) instead of buffering it. A short write fails with FUTURL_EIO. */
FUTURL_API futurl_status futurl_request_set_output_file(futurl_request *r, FILE *fp);

/* Progress callback on the worker thread, at least about once a second:
 * bytes received so far and the expected total (0 if unknown). Returning
 * non-zero aborts the transfer (FUTURL_EABORTED). */
typedef int (*futurl_progress_fn)(uint64_t received, uint64_t total, void *userdata);
FUTURL_API futurl_status futurl_request_on_progress(futurl_request *r,
                                                    futurl_progress_fn fn,
                                                    void *userdata);

/* Free a request that was not submitted. NULL is allowed. */
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
 * Returns FUTURL_OK, FUTURL_EINVAL, FUTURL_ESCHEME, FUTURL_EURL, FUTURL_ENOMEM,
 * FUTURL_EQUEUEFULL, FUTURL_ESHUTDOWN. Ownership: steals r (also on failure);
 * *out is new. Thread-safety: any thread.
 */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_client_submit(futurl_client *c,
                                                              futurl_request *r,
                                                              futurl_future **out);

/* As futurl_client_submit() but never blocks (FUTURL_EQUEUEFULL). */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_client_try_submit(futurl_client *c,
                                                                  futurl_request *r,
                                                                  futurl_future **out);

/* One-liners: build, submit, return the future. Same returns as submit. */
FUTURL_API FUTURL_NODISCARD futurl_status futurl_get(futurl_client *c, const char *url,
                                                    futurl_future **out);
FUTURL_API FUTURL_NODISCARD futurl_status futurl_delete(futurl_client *c, const char *url,
                                                       futurl_future **out);
/* POST, PUT or PATCH json (serialized now; the caller keeps it). */
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
 * when no transfer ran (no response). */
FUTURL_API int futurl_future_curl_code(const futurl_future *f);

/* HTTP status of the final response (0 if none arrived). */
FUTURL_API long futurl_response_status(const futurl_response *r);

/* First value of header name (case-insensitive) in the final response, or
 * NULL. Borrowed. */
FUTURL_API const char *futurl_response_header(const futurl_response *r,
                                              const char *name);

/* The n-th (0-based) value of a repeated header, or NULL. Borrowed. */
FUTURL_API const char *futurl_response_header_nth(const futurl_response *r,
                                                  const char *name, size_t n);

/* Number of header lines in the final response. */
FUTURL_API size_t futurl_response_header_count(const futurl_response *r);

/* The i-th header line, in the order received: 0 and its name and value
 * (borrowed), or -1 if i is out of range. */
FUTURL_API int futurl_response_header_at(const futurl_response *r, size_t i,
                                         const char **name, const char **value);

/* The body (NUL-terminated; the NUL is not counted in *len, which may be
 * NULL). Never NULL: "" when empty or streamed. Borrowed. */
FUTURL_API const char *futurl_response_body(const futurl_response *r, size_t *len);

/* The body parsed as JSON, parsed on first call and cached; NULL if it is
 * not valid JSON (see futurl_response_json_error). Borrowed. */
FUTURL_API const struct cJSON *futurl_response_json(const futurl_response *r);

/* After futurl_response_json() returned NULL: a message with the byte
 * offset of the error ("invalid JSON at byte 17"); NULL if the body parsed.
 * Borrowed. */
FUTURL_API const char *futurl_response_json_error(const futurl_response *r);

/* The URL of the final response (after redirects). Borrowed. */
FUTURL_API const char *futurl_response_url(const futurl_response *r);

/* Redirects followed. */
FUTURL_API long futurl_response_redirects(const futurl_response *r);

/* HTTP version of the final response: 10, 11, 20 or 30 (0 unknown). */
FUTURL_API int futurl_response_http_version(const futurl_response *r);

/* Body bytes received (also when streamed). */
FUTURL_API uint64_t futurl_response_bytes(const futurl_response *r);

/* Seconds: whole transfer, until connected, until the first byte. */
FUTURL_API double futurl_response_elapsed(const futurl_response *r);
FUTURL_API double futurl_response_connect_time(const futurl_response *r);
FUTURL_API double futurl_response_ttfb(const futurl_response *r);

/* Attempts made (1 without retries). */
FUTURL_API unsigned futurl_response_attempts(const futurl_response *r);

/* Why retry i (0 .. attempts-2) happened, e.g. "attempt 1: HTTP 503,
 * Retry-After 1000 ms" or "attempt 2: FUTURL_ENETWORK: Recv failure:
 * Connection reset by peer, backoff 173 ms"; NULL past the end. Borrowed. */
FUTURL_API const char *futurl_response_retry_reason(const futurl_response *r,
                                                    unsigned i);

/* New connections this transfer opened (0 when a kept-alive one was reused). */
FUTURL_API long futurl_response_new_connections(const futurl_response *r);

#ifdef __cplusplus
}
#endif

#endif /* FUTURL_H */
