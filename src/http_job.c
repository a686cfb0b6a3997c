/*
 * src/http_job.c — the HTTP job that runs on a worker: admission (the 429
 * hold, rate limits, per-host slots), one attempt at a time
 * (src/transfer.c), retries with backoff (src/retry.c) and the deadline.
 * Waiting is always done by parking the future (FUTURL__DEFER), never on
 * the worker. Also its abandon hook, for a request that ends while it
 * waits.
 */
#include "http_job.h"

#include "clock.h"
#include "executor.h"
#include "handle.h"
#include "retry.h"
#include "stream.h"
#include "trace.h"
#include "transfer.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ events */

/* On each run of the job: STARTED the first time, UNPARKED after PARKED. */
static void trace_run(futurl_client *c, futurl_request *rq) {
    if (!rq->trace_started) {
        rq->trace_started = 1;
        FUTURL__TRACE(c, rq, .type = FUTURL_EVENT_STARTED);
    }
    if (rq->trace_park != FUTURL_PARK_NONE) {
        FUTURL__TRACE(c, rq, .type = FUTURL_EVENT_UNPARKED, .park = rq->trace_park);
        rq->trace_park = FUTURL_PARK_NONE;
    }
}

/* FINISHED, with the outcome the future is about to get. */
static void trace_finished(futurl_client *c, futurl_request *rq, futurl_status st,
                           const futurl_response *resp, const char *msg) {
    uint64_t now = futurl__now_ns();
    FUTURL__TRACE(c, rq, .type = FUTURL_EVENT_FINISHED, .time_ns = now, .status = st,
                  .http_status = resp != NULL ? futurl_response_status(resp) : 0,
                  .duration_ns = rq->queued_ns != 0 ? now - rq->queued_ns : 0,
                  .reason = st != FUTURL_OK ? msg : NULL);
}

/* ------------------------------------------------------------ retries */

/* Keep run (the scratch copy of a first run) with the request, for its
 * next run. Returns the kept state, or NULL when out of memory. */
static futurl__run *persist_run(futurl_request *rq, futurl__run *run) {
    if (run == rq->run)
        return run;
    futurl__run *kept = futurl__request_run(rq);
    if (kept != NULL)
        *kept = *run;
    return kept;
}

/* Hold every request to rq's host until `until` (a 429 with Retry-After),
 * and tell admission to look from now on. */
static void hold_host(futurl_client *c, futurl_request *rq, uint64_t until) {
    futurl_status st;
    const char *key = futurl__request_host_key(rq, &st);
    if (key == NULL)
        return; /* out of memory: no hold */
    futurl__limits_hold(c->limits, key, until);
    uint64_t seen = atomic_load_explicit(&c->hold_horizon, memory_order_relaxed);
    while (seen < until && !atomic_compare_exchange_weak_explicit(
                               &c->hold_horizon, &seen, until, memory_order_relaxed,
                               memory_order_relaxed))
        ;
}

/* Say, after the attempt's own message, why a failed attempt was not
 * retried: a streamed part it read cannot be rewound. */
static void note_unrewindable(futurl_job *job, const char *part) {
    char msg[256];
    const char *was = futurl__job_errmsg(job);
    snprintf(msg, sizeof msg, "%s", was != NULL ? was : "");
    futurl_job_set_errmsg(job,
                          "%s (not retried: streamed part \"%s\" was read and has "
                          "no rewind callback)",
                          msg, part);
}

/* Log why retry number run->attempts is made. */
static void log_retry(futurl__run *run, futurl_status st, long status, const char *msg,
                      long delay_ms, int from_retry_after) {
    char line[384];
    if (status != 0 && (st == FUTURL_OK || st == FUTURL_EHTTP))
        snprintf(line, sizeof line, "attempt %u: HTTP %ld, %s %ld ms", run->attempts,
                 status, from_retry_after ? "Retry-After" : "backoff", delay_ms);
    else
        snprintf(line, sizeof line, "attempt %u: %s: %s, %s %ld ms", run->attempts,
                 futurl_err_name(st), msg ? msg : futurl_strerror(st),
                 from_retry_after ? "Retry-After" : "backoff", delay_ms);
    /* Out of memory loses a log line, not the request. */
    (void)futurl__buf_append(&run->reasons, line, strlen(line) + 1);
}

/* Hand the attempts made and their log to the final response. */
static futurl_status finish(futurl__run *run, futurl_response *resp, futurl_status st,
                            void **result) {
    if (resp != NULL) {
        (void)futurl__response_set_retries(resp, run->attempts, run->reasons.data,
                                           run->reasons.len);
        *result = resp;
    }
    return st;
}

/* The message of a request whose deadline passed (run may be NULL). */
static void deadline_message(const futurl__run *run, char *buf, size_t size) {
    if (run == NULL || run->attempts == 0)
        snprintf(buf, size, "deadline passed before the request could run");
    else
        snprintf(buf, size, "deadline passed after %u attempt%s (last: %s)",
                 run->attempts, run->attempts == 1 ? "" : "s", run->last_msg);
}

typedef struct release_args {
    futurl_client *c;
    futurl__admission *adm;
} release_args;

static void release_admission(void *p) {
    release_args *a = p;
    futurl__limits_done(a->c->limits, a->c->executor, a->adm);
}

/* The request's place in its host's queue and its slot pass on; the job
 * returns right after, so this worker takes a request that gets the slot
 * itself (futurl__job_hand_off). */
static void pass_admission_on(futurl_job *job, futurl_client *c, futurl__run *run) {
    release_args a = {c, &run->adm};
    futurl__job_hand_off(job, release_admission, &a);
}

/* End without another attempt (cancelled, or the deadline passed): the last
 * attempt's response, if any, stays readable. */
static futurl_status give_up(futurl_job *job, futurl_client *c, futurl__run *run,
                             futurl_status st, void **result) {
    if (c->limits != NULL)
        pass_admission_on(job, c, run);
    if (st == FUTURL_ETIMEDOUT) {
        char msg[384];
        deadline_message(run, msg, sizeof msg);
        futurl_job_set_errmsg(job, "%s", msg);
    }
    futurl_response *last = run->last;
    run->last = NULL;
    return finish(run, last, st, result);
}

void futurl__abandon(void *client, futurl_future *f, futurl_status status, void **result,
                     char **errmsg) {
    futurl_client *c = client;
    futurl_request *rq = futurl__future_arg(f);
    futurl__run *run = rq != NULL ? rq->run : NULL;
    /* Its place in a per-host queue, and a slot granted to it, pass on now. */
    if (c->limits != NULL && run != NULL)
        futurl__limits_done(c->limits, c->executor, &run->adm);
    if (status == FUTURL_ETIMEDOUT && (*errmsg = malloc(384)) != NULL)
        deadline_message(run, *errmsg, 384);
    /* Between attempts: the last one's response stays readable. */
    if (run != NULL && run->last != NULL) {
        (void)finish(run, run->last, status, result);
        run->last = NULL;
    }
    if (rq != NULL)
        trace_finished(c, rq, status, *result,
                       *errmsg != NULL ? *errmsg : futurl_strerror(status));
}

/* The worker's state, made now if its thread could not make it when it
 * started, and its handle set up again if that failed after a request
 * (both out of memory then): one such failure fails one request, not every
 * later one on this worker. NULL, or w->broken, if that fails again. */
static futurl__worker *job_worker(futurl_job *job, futurl_client *c) {
    futurl__worker *w = futurl_job_worker_state(job);
    if (w == NULL) {
        w = futurl__worker_start(c, futurl_job_worker_index(job));
        if (w != NULL)
            futurl__job_set_worker_state(job, w);
    } else if (w->broken) {
        curl_easy_reset(w->easy);
        w->broken = futurl__handle_setup(c, w->easy, w, NULL, 0) != FUTURL_OK;
    }
    return w;
}

/*
 * One step of the HTTP job: give up (cancelled, deadline), wait for
 * admission (429 hold, rate tokens, a per-host slot), or make one attempt
 * and then finish or schedule the next. Waiting is always done by parking
 * the future (FUTURL__DEFER), never on the worker.
 */
static futurl_status http_step(futurl_job *job, void *arg, void **result) {
    futurl_client *c = futurl__job_hook_userdata(job);
    futurl__worker *w = job_worker(job, c);
    futurl_request *rq = arg;
    if (c->opts.on_event != NULL)
        trace_run(c, rq);
    if (w == NULL || w->broken) {
        /* A request back from waiting may hold admission (a slot granted,
         * its place in a host's queue): give_up passes it on. */
        futurl_status st = w == NULL ? FUTURL_ENOMEM : FUTURL_ECURL;
        futurl_job_set_errmsg(
            job, w == NULL ? "the worker has no libcurl handle (out of memory)"
                           : "the worker's libcurl handle could not be reset");
        return rq->run != NULL ? give_up(job, c, rq->run, st, result) : st;
    }
    futurl_future *f = futurl__job_future(job);
    uint64_t now = futurl__now_ns();
    uint64_t deadline = futurl__job_deadline(job);

    /* The run state is kept only by requests that wait or retry: the first
     * run uses this scratch copy and persists it when it must. */
    futurl__run scratch, *run = rq->run;
    if (run == NULL) {
        memset(&scratch, 0, sizeof scratch);
        run = &scratch;
    }
    if (futurl_job_cancelled(job))
        return give_up(job, c, run, FUTURL_ECANCELED, result);
    if (deadline != 0 && now >= deadline)
        return give_up(job, c, run, FUTURL_ETIMEDOUT, result);

    /* Admission, when a limit applies: always with a per-host or rate
     * limit; with only the 429 hold, while some host is held. */
    if (c->limits != NULL &&
        (c->limits_always || run->adm.host != NULL ||
         now < atomic_load_explicit(&c->hold_horizon, memory_order_relaxed))) {
        if ((run = persist_run(rq, run)) == NULL) {
            futurl_job_set_errmsg(job, "out of memory before the request could run");
            return FUTURL_ENOMEM;
        }
        futurl_status kst;
        const char *key = futurl__request_host_key(rq, &kst);
        uint64_t due = 0;
        futurl__admit a = key == NULL ? FUTURL__ADMIT_GO /* out of memory: no limits */
                                      : futurl__limits_admit(c->limits, c->executor, key,
                                                             f, &run->adm, now, &due);
        if (a != FUTURL__ADMIT_GO) {
            if (c->opts.on_event != NULL) {
                rq->trace_park = a == FUTURL__ADMIT_WAIT_SLOT   ? FUTURL_PARK_SLOT
                                 : a == FUTURL__ADMIT_WAIT_HOLD ? FUTURL_PARK_HOLD
                                                                : FUTURL_PARK_TOKEN;
                FUTURL__TRACE(c, rq, .type = FUTURL_EVENT_PARKED, .time_ns = now,
                              .park = rq->trace_park);
            }
            futurl__job_defer(job, a != FUTURL__ADMIT_WAIT_SLOT ? due : 0);
            return FUTURL__DEFER;
        }
    }
    if (run->attempts == 0) {
        run->first_ns = now;
        run->rng = now ^ ((uint64_t)(uintptr_t)rq << 16);
    }

    /* This attempt's timeout: the request's, cut to what the deadline leaves. */
    long timeout = rq->timeout_ms >= 0 ? rq->timeout_ms : c->opts.timeout_ms;
    if (deadline != 0 && deadline - now < (uint64_t)LONG_MAX / 2 * 1000000u) {
        long left = (long)((deadline - now) / 1000000u) + 1;
        if (timeout == 0 || left < timeout)
            timeout = left;
    }

    futurl_response *resp = NULL;
    uint64_t attempt_ns = 0;
    if (c->opts.on_event != NULL) {
        attempt_ns = futurl__now_ns();
        FUTURL__TRACE(c, rq, .type = FUTURL_EVENT_ATTEMPT_START, .time_ns = attempt_ns,
                      .attempt = run->attempts + 1);
    }
    atomic_fetch_add_explicit(&c->stats.in_flight, 1, memory_order_relaxed);
    futurl_status st = futurl__run_attempt(job, w, rq, timeout, &resp);
    atomic_fetch_sub_explicit(&c->stats.in_flight, 1, memory_order_relaxed);
    run->attempts++;
    if (c->opts.on_event != NULL) {
        uint64_t end = futurl__now_ns();
        FUTURL__TRACE(c, rq, .type = FUTURL_EVENT_ATTEMPT_END, .time_ns = end,
                      .attempt = run->attempts, .status = st,
                      .http_status = resp != NULL ? futurl_response_status(resp) : 0,
                      .duration_ns = end - attempt_ns,
                      .reason = st != FUTURL_OK ? futurl__job_errmsg(job) : NULL);
    }
    if (run->adm.host != NULL)
        pass_admission_on(job, c, run);

    long status = resp != NULL ? futurl_response_status(resp) : 0;
    if (resp != NULL)
        atomic_fetch_add_explicit(&c->stats.bytes, futurl_response_bytes(resp),
                                  memory_order_relaxed);
    if (status == 429)
        atomic_fetch_add_explicit(&c->stats.throttled, 1, memory_order_relaxed);

    const futurl_retry_policy *p = rq->retry != NULL ? rq->retry : &c->opts.retry;
    long retry_after = -1;
    /* Retry-After matters only for a 429 hold or a retry; a success that is
     * not a retried status needs no header lookup. */
    int may_wait = status == 429 || st != FUTURL_OK || futurl__retry_status(p, status);
    const char *ra =
        resp != NULL && may_wait ? futurl_response_header(resp, "Retry-After") : NULL;
    if (ra != NULL && futurl__retry_after_parse(ra, time(NULL), &retry_after)) {
        if (retry_after > p->max_delay_ms)
            retry_after = p->max_delay_ms;
    } else {
        retry_after = -1;
    }
    now = futurl__now_ns();
    if (status == 429 && retry_after >= 0 && c->limits != NULL && c->opts.hold_on_429)
        hold_host(c, rq, futurl__after_ms(now, retry_after));

    long delay = 0;
    futurl__retry_attempt attempt = {
        .st = st,
        .status = status,
        .method = rq->method,
        .has_idempotency_key = futurl__request_has_idempotency_key(rq),
        /* Bytes already handed to a sink cannot be taken back. */
        .streamed = ((rq->chunk_fn != NULL || rq->out != NULL) && resp != NULL &&
                     futurl_response_bytes(resp) > 0) ||
                    (rq->stream != NULL && futurl__stream_started(rq->stream)),
        .attempts = run->attempts,
        .first_ns = run->first_ns,
        .retry_after_ms = retry_after,
    };
    int retry = futurl__retry_should(p, &attempt, now, deadline,
                                     futurl__rand_next(&run->rng), &delay);
    /* A streamed multipart part without a rewind callback was read: it
     * cannot be sent again (src/multipart.c). */
    const char *unrewindable = retry ? futurl__parts_unrewindable(rq->parts) : NULL;
    if (unrewindable != NULL) {
        if (st != FUTURL_OK)
            note_unrewindable(job, unrewindable);
        retry = 0;
    }
    if (!retry)
        return finish(run, resp, st, result);

    futurl__run *kept = persist_run(rq, run);
    if (kept == NULL) /* out of memory: this outcome is the last */
        return finish(run, resp, st, result);
    run = kept;
    const char *msg = futurl__job_errmsg(job);
    size_t logged = run->reasons.len;
    log_retry(run, st, status, msg, delay, retry_after >= 0);
    FUTURL__TRACE(c, rq, .type = FUTURL_EVENT_RETRY, .time_ns = now,
                  .attempt = run->attempts, .delay_ms = delay,
                  .reason =
                      run->reasons.len > logged ? run->reasons.data + logged : NULL);
    if (status != 0 && (st == FUTURL_OK || st == FUTURL_EHTTP))
        snprintf(run->last_msg, sizeof run->last_msg, "HTTP %ld", status);
    else
        snprintf(run->last_msg, sizeof run->last_msg, "%s",
                 msg ? msg : futurl_strerror(st));
    futurl__response_free(run->last);
    run->last = resp;
    run->last_status = st;
    atomic_fetch_add_explicit(&c->stats.retries, 1, memory_order_relaxed);
    futurl__job_defer(job, futurl__after_ms(now, delay));
    return FUTURL__DEFER;
}

/* The HTTP job: a step, then its outcome claimed against a cancel
 * (future.h). A cancel that took effect first wins even if the transfer
 * had just ended well: cancel's 1 means CANCELLED, and the response, if
 * any, stays readable. */
futurl_status futurl__http_job(futurl_job *job, void *arg, void **result) {
    futurl_status st = http_step(job, arg, result);
    if (futurl__job_deferred(job))
        return st;
    if (st != FUTURL_ECANCELED && !futurl__job_claim(job)) {
        futurl_job_set_errmsg(job, "cancelled as the request ended (its outcome: %s)",
                              futurl_err_name(st));
        st = FUTURL_ECANCELED;
    }
    futurl_client *c = futurl__job_hook_userdata(job);
    if (c->opts.on_event != NULL) {
        const char *msg = futurl__job_errmsg(job);
        trace_finished(c, arg, st, *result, msg != NULL ? msg : futurl_strerror(st));
    }
    return st;
}
