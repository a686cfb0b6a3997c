/*
 * src/stream.c — a streaming request's body on the caller's side: the
 * bounded ring buffer between the worker's transfer (producer, blocking
 * while the buffer is full) and the reader (futurl_stream_read, blocking
 * with a timeout or not at all), its readiness eventfd, close and cancel,
 * and the headers future the caller holds, finished either by the worker
 * when the final headers arrive or by the end of the transfer's own
 * (private) future, exactly once.
 *
 * Lifetime: the stream is reference counted. One reference is the
 * transfer's, dropped when the transfer's future has finished (after the
 * headers future has); one is held by the headers future's response
 * (attached to it, dropped when the caller frees that future). The stream
 * holds the transfer's future and frees it last.
 *
 *   lock            guards                                   order
 *   stream lock     buffer, counts, flags, eventfd state,     a leaf: taken inside a
 *                   status and message                       worker's sock_lock (the
 *                                                            cancel hook), nothing
 *                                                            taken inside it
 *
 * No future is completed and no user code runs with the stream lock held.
 */
#include "stream.h"

#include "clock.h"
#include "future.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct futurl_stream {
    pthread_mutex_t lock;
    pthread_cond_t readable; /* readers wait: bytes, the end, a cancel */
    pthread_cond_t writable; /* the producer waits: room, close, a wake */
    atomic_int refs;
    int efd;

    /* Guarded by lock. */
    char *buf;
    size_t cap, head, count; /* ring: count bytes from head */
    uint64_t delivered;      /* bytes the reader took */
    int efd_set;             /* the eventfd holds a count */
    int finished;            /* the transfer ended: status, errmsg final */
    int cancelled;           /* close or cancel while it ran */
    int closed;              /* futurl_stream_close: reads refused */
    int wake;                /* futurl__stream_wake: look at the job */
    int started;             /* the headers were handed over */
    int headers_done;        /* the headers future was finished */
    futurl_status status;
    char errmsg[256];

    futurl_future *headers;  /* the caller's; ours until it finishes */
    futurl_future *transfer; /* private; freed with the stream */
    futurl__future_owner owner;
};

/* ---------------------------------------------------------------- life */

static void stream_unref(futurl_stream *s) {
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    futurl_future_free(s->transfer);
    if (s->efd >= 0)
        close(s->efd);
    pthread_cond_destroy(&s->readable);
    pthread_cond_destroy(&s->writable);
    pthread_mutex_destroy(&s->lock);
    free(s->buf);
    free(s);
}

/* The headers future's response drops its reference: the caller freed that
 * future, so nobody reads any more. */
static void response_release(void *stream) {
    futurl_stream *s = stream;
    futurl_stream_close(s);
    stream_unref(s);
}

/* Cancel of the headers future before it finished: it must end CANCELLED,
 * so flag it first (the worker claims it before handing the headers over)
 * and abort the transfer; its end finishes the headers future. */
static int cancel_headers(futurl__future_owner *owner, futurl_future *f) {
    futurl_stream *s = (futurl_stream *)((char *)owner - offsetof(futurl_stream, owner));
    if (!futurl__future_flag_cancel(f))
        return 0;
    pthread_mutex_lock(&s->lock);
    futurl_future *t = s->transfer;
    pthread_mutex_unlock(&s->lock);
    if (t != NULL)
        (void)futurl_future_cancel(t);
    return 1;
}

futurl_status futurl__stream_new(size_t cap, futurl_stream **out,
                                 futurl_future **headers) {
    *out = NULL;
    *headers = NULL;
    futurl_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return FUTURL_ENOMEM;
    pthread_condattr_t ca;
    int ok = pthread_condattr_init(&ca) == 0;
    if (ok)
        (void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (!ok || pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return FUTURL_ENOMEM;
    }
    if (pthread_cond_init(&s->readable, &ca) != 0) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        return FUTURL_ENOMEM;
    }
    if (pthread_cond_init(&s->writable, &ca) != 0) {
        pthread_cond_destroy(&s->readable);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return FUTURL_ENOMEM;
    }
    pthread_condattr_destroy(&ca);
    atomic_init(&s->refs, 1); /* the transfer's */
    s->cap = cap;
    s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->buf = malloc(cap);
    s->owner.cancel = cancel_headers;
    s->headers = futurl__future_new(&s->owner, NULL, NULL, NULL, futurl__response_free);
    if (s->efd < 0 || s->buf == NULL || s->headers == NULL) {
        if (s->headers != NULL)
            futurl__future_discard(s->headers);
        s->headers = NULL;
        stream_unref(s);
        return FUTURL_ENOMEM;
    }
    *out = s;
    *headers = s->headers;
    return FUTURL_OK;
}

void futurl__stream_discard(futurl_stream *s, futurl_future *headers) {
    futurl__future_discard(headers);
    stream_unref(s);
}

/* ------------------------------------------------------------ eventfd */

/* With the lock held: make the fd readable (bytes, the end, a cancel). */
static void set_ready(futurl_stream *s) {
    if (s->efd_set)
        return;
    uint64_t one = 1;
    if (write(s->efd, &one, sizeof one) == (ssize_t)sizeof one)
        s->efd_set = 1;
}

/* With the lock held: after a read, unready while nothing waits. */
static void clear_ready(futurl_stream *s) {
    if (!s->efd_set || s->count != 0 || s->finished || s->cancelled)
        return;
    uint64_t n;
    if (read(s->efd, &n, sizeof n) == (ssize_t)sizeof n || errno == EAGAIN)
        s->efd_set = 0;
}

/* ----------------------------------------------------- headers future */

/* Finish the headers future with resp (steals it; may be NULL), attaching
 * the stream to resp, then drop our reference to the future. */
static void finish_headers(futurl_stream *s, futurl_status st, futurl_response *resp,
                           const char *msg) {
    if (resp == NULL) {
        /* No transfer ran (cancelled while queued): an empty response, so
         * that the future holds a reference to us like every other. */
        static const futurl__response_builder none = {0};
        static const futurl__response_info no_info = {0};
        resp = futurl__builder_snapshot(&none, &no_info);
    }
    if (resp != NULL) {
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
        resp->attached = s;
        resp->attached_free = response_release;
    } else {
        /* Out of memory: the future gets no response, so it holds no
         * reference to us and a canceller might still reach s->owner:
         * keep s alive for good (a leak when memory ran out rather than a
         * use after free). */
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    }
    char *copy = msg != NULL && msg[0] != '\0' ? strdup(msg) : NULL;
    futurl_future *f = s->headers;
    futurl__complete(f, st, resp, copy);
    futurl__future_release(f);
}

int futurl__stream_headers(futurl_stream *s, futurl_response *resp, futurl_status st,
                           const char *errmsg) {
    if (!futurl__future_claim(s->headers)) {
        futurl__response_free(resp);
        return -1; /* cancelled first: it ends CANCELLED with the transfer */
    }
    pthread_mutex_lock(&s->lock);
    int done = s->headers_done;
    s->headers_done = 1;
    s->started = 1;
    pthread_mutex_unlock(&s->lock);
    if (done) {
        futurl__response_free(resp);
        return 0;
    }
    finish_headers(s, st, resp, errmsg);
    return 0;
}

int futurl__stream_started(futurl_stream *s) {
    pthread_mutex_lock(&s->lock);
    int started = s->started;
    pthread_mutex_unlock(&s->lock);
    return started;
}

/* The transfer's future finished: the body ends with its outcome, and the
 * headers future, if the headers never came, finishes with it. */
static void transfer_done(futurl_future *t, void *userdata) {
    futurl_stream *s = userdata;
    futurl_status st = futurl_future_status(t);
    pthread_mutex_lock(&s->lock);
    /* A response whose headers were not handed over (a 3xx libcurl did not
     * follow, say) has no body to read but is a response all the same. */
    if (!s->headers_done && (st == FUTURL_OK || st == FUTURL_EHTTP))
        s->started = 1;
    /* A raise-for-status body read to its end is a clean end. */
    s->status = st == FUTURL_EHTTP && s->started ? FUTURL_OK : st;
    if (s->status != FUTURL_OK)
        snprintf(s->errmsg, sizeof s->errmsg, "%s after %llu body bytes read",
                 futurl_future_errmsg(t), (unsigned long long)s->delivered);
    s->finished = 1;
    set_ready(s);
    pthread_cond_broadcast(&s->readable);
    pthread_cond_broadcast(&s->writable);
    int need = !s->headers_done;
    s->headers_done = 1;
    pthread_mutex_unlock(&s->lock);
    if (need) {
        /* The transfer's response moves to the headers future: nobody
         * else reads this private future's result. */
        futurl_response *resp = t->result;
        t->result = NULL;
        int cancelled =
            atomic_load_explicit(&s->headers->cancel_requested, memory_order_acquire) ==
            FUTURL__CANCEL_REQUESTED;
        futurl_status hst = cancelled ? FUTURL_ECANCELED : st;
        finish_headers(s, hst, resp,
                       hst == st ? futurl_future_errmsg(t)
                                 : "cancelled before the response headers arrived");
    }
    stream_unref(s); /* the transfer's reference */
}

futurl_status futurl__stream_attach(futurl_stream *s, futurl_future *transfer,
                                    futurl_future *headers) {
    pthread_mutex_lock(&s->lock);
    s->transfer = transfer;
    pthread_mutex_unlock(&s->lock);
    if (futurl_future_on_done(transfer, transfer_done, s) == FUTURL_OK)
        return FUTURL_OK;
    /* Nobody would see the transfer end: stop it and wait for it; the
     * headers future, never handed out, goes with the stream. */
    (void)futurl_future_cancel(transfer);
    (void)futurl_future_wait(transfer);
    pthread_mutex_lock(&s->lock);
    int done = s->headers_done;
    s->headers_done = 1;
    pthread_mutex_unlock(&s->lock);
    if (done) /* handed over: the caller's reference is all that is left */
        futurl_future_free(headers);
    else
        futurl__stream_discard(s, headers), s = NULL;
    if (s != NULL)
        stream_unref(s);
    return FUTURL_ENOMEM;
}

/* ------------------------------------------------------------ producer */

futurl__push futurl__stream_push(futurl_stream *s, const char *data, size_t len,
                                 futurl_job *job, uint64_t stop_ns) {
    pthread_mutex_lock(&s->lock);
    futurl__push rc = FUTURL__PUSH_OK;
    while (len != 0) {
        if (s->cancelled) {
            rc = FUTURL__PUSH_CLOSED;
            break;
        }
        if (job != NULL && futurl_job_cancelled(job)) {
            rc = FUTURL__PUSH_CANCELLED;
            break;
        }
        size_t room = s->cap - s->count;
        if (room == 0) {
            s->wake = 0;
            if (stop_ns == 0) {
                pthread_cond_wait(&s->writable, &s->lock);
            } else {
                uint64_t now = futurl__now_ns();
                if (now >= stop_ns) {
                    rc = FUTURL__PUSH_TIMEDOUT;
                    break;
                }
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                uint64_t at = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec +
                              (stop_ns - now);
                ts.tv_sec = (time_t)(at / 1000000000u);
                ts.tv_nsec = (long)(at % 1000000000u);
                (void)pthread_cond_timedwait(&s->writable, &s->lock, &ts);
            }
            continue;
        }
        size_t n = len < room ? len : room;
        size_t tail = (s->head + s->count) % s->cap;
        size_t first = s->cap - tail < n ? s->cap - tail : n;
        memcpy(s->buf + tail, data, first);
        if (n > first)
            memcpy(s->buf, data + first, n - first);
        s->count += n;
        data += n;
        len -= n;
        set_ready(s);
        pthread_cond_broadcast(&s->readable);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void futurl__stream_wake(futurl_stream *s) {
    pthread_mutex_lock(&s->lock);
    s->wake = 1;
    pthread_cond_broadcast(&s->writable);
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------- reader */

futurl_stream *futurl_future_stream(const futurl_future *f) {
    const futurl_response *r = futurl_future_response(f);
    if (r == NULL || r->attached_free != response_release)
        return NULL;
    futurl_stream *s = r->attached;
    return s->started ? s : NULL; /* written before the future finished */
}

futurl_status futurl_stream_read(futurl_stream *s, void *buf, size_t cap, size_t *got,
                                 long timeout_ms) {
    if (got != NULL)
        *got = 0;
    if (s == NULL || buf == NULL || cap == 0 || got == NULL)
        return FUTURL_EINVAL;
    struct timespec until;
    if (timeout_ms > 0) {
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    futurl_status st;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (s->closed) {
            st = FUTURL_EINVAL;
            break;
        }
        if (s->count != 0) {
            size_t n = cap < s->count ? cap : s->count;
            size_t first = s->cap - s->head < n ? s->cap - s->head : n;
            memcpy(buf, s->buf + s->head, first);
            if (n > first)
                memcpy((char *)buf + first, s->buf, n - first);
            s->head = (s->head + n) % s->cap;
            s->count -= n;
            s->delivered += n;
            *got = n;
            clear_ready(s);
            pthread_cond_signal(&s->writable);
            st = FUTURL_OK;
            break;
        }
        if (s->finished) {
            st = s->status;
            break;
        }
        if (s->cancelled) {
            st = FUTURL_ECANCELED;
            break;
        }
        if (timeout_ms == 0) {
            st = FUTURL_EPENDING;
            break;
        }
        if (timeout_ms < 0) {
            pthread_cond_wait(&s->readable, &s->lock);
        } else if (pthread_cond_timedwait(&s->readable, &s->lock, &until) == ETIMEDOUT &&
                   s->count == 0 && !s->finished && !s->cancelled && !s->closed) {
            st = FUTURL_EPENDING;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return st;
}

int futurl_stream_fd(const futurl_stream *s) {
    return s != NULL ? s->efd : -1;
}

uint64_t futurl_stream_bytes(const futurl_stream *s) {
    if (s == NULL)
        return 0;
    futurl_stream *m = (futurl_stream *)s;
    pthread_mutex_lock(&m->lock);
    uint64_t n = m->delivered;
    pthread_mutex_unlock(&m->lock);
    return n;
}

size_t futurl_stream_buffered(const futurl_stream *s) {
    if (s == NULL)
        return 0;
    futurl_stream *m = (futurl_stream *)s;
    pthread_mutex_lock(&m->lock);
    size_t n = m->count;
    pthread_mutex_unlock(&m->lock);
    return n;
}

const char *futurl_stream_errmsg(const futurl_stream *s) {
    if (s == NULL)
        return futurl_strerror(FUTURL_EINVAL);
    futurl_stream *m = (futurl_stream *)s;
    pthread_mutex_lock(&m->lock);
    const char *msg = m->finished ? m->errmsg : "";
    pthread_mutex_unlock(&m->lock);
    return msg;
}

int futurl_stream_cancel(futurl_stream *s) {
    if (s == NULL)
        return 0;
    pthread_mutex_lock(&s->lock);
    int running = !s->finished && !s->cancelled;
    if (running) {
        s->cancelled = 1;
        set_ready(s);
        pthread_cond_broadcast(&s->readable);
        pthread_cond_broadcast(&s->writable);
    }
    futurl_future *t = s->transfer;
    pthread_mutex_unlock(&s->lock);
    /* The transfer may wait on a silent peer, not on us: the cancel hook
     * shuts its sockets down. */
    if (running && t != NULL)
        (void)futurl_future_cancel(t);
    return running;
}

void futurl_stream_close(futurl_stream *s) {
    if (s == NULL)
        return;
    (void)futurl_stream_cancel(s);
    pthread_mutex_lock(&s->lock);
    s->closed = 1;
    pthread_cond_broadcast(&s->readable);
    pthread_mutex_unlock(&s->lock);
}
