/*
 * src/client_data.h — the client object and its workers: the state that
 * client.c (create, submit, destroy) and the HTTP layer under it
 * (handle.c, transfer.c, http_job.c: a worker's easy handle, one attempt
 * on it, the HTTP job) share, as
 * executor_data.h is for the executor. Not installed.
 */
#ifndef FUTURL_SRC_CLIENT_DATA_H
#define FUTURL_SRC_CLIENT_DATA_H

#include <pthread.h>
#include <sys/epoll.h>

#include <curl/curl.h>

#include <stdatomic.h>

#include "cookies.h"
#include "futurl.h"
#include "limits.h"
#include "request.h"
#include "response.h"

typedef struct futurl__worker futurl__worker;

/* Everything here is written by futurl_client_create() before the first
 * worker starts and read-only afterwards, except the CURLSH, which libcurl
 * guards with share_locks, and the jar and body pool, which guard
 * themselves. */
struct futurl_client {
    futurl_executor *executor;
    futurl_client_options opts;         /* strings are the client's copies */
    struct curl_slist *default_headers; /* every request's list unless it has its own */
    CURLSH *share;                      /* DNS cache only */
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    int share_locks_ready;
    futurl__cookie_jar *jar; /* NULL: opts.cookie_jar is off */
    /* opts.cookies split into "name\tvalue" pairs: fed to each handle's
     * cookie engine as host-only cookies of each request's own host, so a
     * redirect to another host does not carry them (CURLOPT_COOKIE would). */
    char **static_cookies;
    size_t static_cookie_count;
    size_t static_cookie_bytes;        /* as sent, "a=1; b=2" */
    size_t cookie_head;                /* bound of the request head libcurl writes up
                                          to the end of the static cookies, less the
                                          request line and Host (client.c) */
    futurl__limits *limits;            /* NULL: no limits and no 429 hold */
    int limits_always;                 /* every attempt needs admission: a per-host
                                          limit or a rate limit is set */
    atomic_uint_fast64_t hold_horizon; /* the latest 429 hold, monotonic ns:
                                          before it, attempts need admission */
    futurl__body_pool *body_pool;      /* large body mappings for reuse; guards itself */
    futurl__body_pool *slab_pool;      /* spare response slabs; guards itself */
    struct futurl__mock *mock;         /* NULL: the network; else the mock
                                          transport (src/mock.c); guards itself */
    int global_init_done;

    /* The workers, by index, for futurl__interrupt. Guarded by
     * workers_lock, taken before a worker's sock_lock. */
    pthread_mutex_t workers_lock;
    futurl__worker **workers;
    unsigned nworkers;

    struct { /* the wire-level log (src/trace.c): on_debug or FUTURL_DEBUG */
        futurl_debug_fn fn; /* NULL: off, no DEBUGFUNCTION set */
        void *userdata;
        int data; /* body bytes too */
        int mask; /* mask credentials' values */
    } debug;

    struct { /* futurl_client_get_stats; updated with relaxed atomics */
        atomic_uint_fast64_t submitted, succeeded, failed, cancelled;
        atomic_uint_fast64_t retries, throttled, bytes;
        atomic_size_t in_flight;
    } stats;
};

/* Room for sockets a worker's handle holds open at once, first made at
 * start: its connection cache (keepalive_per_worker) and the connections
 * being set up (happy eyeballs tries two). The list grows past it if
 * libcurl ever opens more: every socket is tracked, or refused. */
#define FUTURL__SOCKETS_SPARE 4u

/* Response headers we accept in one transfer, below libcurl's own 300 KiB,
 * so that too much is FUTURL_ETOOLARGE (not retried) rather than a receive
 * error. */
#define FUTURL__MAX_HEADER_BYTES (256u * 1024u)

/* What the transfer has to report beyond the CURLcode. */
typedef enum futurl__failure {
    FUTURL__FAIL_NONE = 0,
    FUTURL__FAIL_TOO_LARGE, /* the size cap, counted in the write callback */
    FUTURL__FAIL_HEADERS,   /* response headers over FUTURL__MAX_HEADER_BYTES */
    FUTURL__FAIL_CHUNK,     /* the chunk callback returned non-zero */
    FUTURL__FAIL_PROGRESS,  /* the progress callback returned non-zero */
    FUTURL__FAIL_CANCELLED, /* the future was cancelled */
    FUTURL__FAIL_IO,        /* short fwrite to the output file */
    FUTURL__FAIL_NOMEM,     /* a buffer could not grow */
    FUTURL__FAIL_SWITCHED,  /* a 101 nobody asked for (futurl never upgrades) */
    FUTURL__FAIL_COOKIES,   /* the handle could not be given its cookies */
    FUTURL__FAIL_TIMEOUT,   /* the attempt's time ran out while a stream's
                               reader held the body back */
    FUTURL__FAIL_CLOSED     /* the stream's reader closed or cancelled it */
} futurl__failure;

/* Per-worker state (futurl_job_worker_state): one easy handle, set up once
 * with the client's options and reused. Only its own thread touches it. */
/* A socket of a worker's handle (handle.c): which transfer opened it, and
 * its local and remote ports once looked up (-1 until then). */
typedef struct futurl__sock {
    curl_socket_t fd;
    unsigned gen;
    int local_port, peer_port;
} futurl__sock;

struct futurl__worker {
    futurl_client *client;
    CURL *easy;
    char errbuf[CURL_ERROR_SIZE];
    futurl__response_builder builder;
    futurl__cookie_view cookies;
    futurl__buf cookie_line;     /* static_cookies' line, reused */
    int cookies_pending;         /* on_prereq has yet to give the handle its cookies */
    const char *cookie_host_key; /* the attempt's host key when the client has
                                    static cookies (borrowed from its request) */
    int broken;                  /* its handle could not be reset: its jobs fail */

    /* The transfer in progress (valid during curl_easy_perform). */
    futurl_job *job;
    const futurl_request *request;
    uint64_t max_bytes; /* 0: no cap */
    size_t header_bytes;
    futurl__failure failure;
    int io_errno;
    uint64_t stop_ns; /* the attempt's end (monotonic; 0: none) */
    int stream_sent;  /* a stream's headers were handed over */

    /* For cancelling a transfer that waits on a silent peer: the handle's
     * open sockets (libcurl's open/close socket callbacks keep the list)
     * and the future whose transfer runs. Guarded by sock_lock, so a
     * canceller never shuts down a descriptor already closed and reused. */
    pthread_mutex_t sock_lock;
    futurl__sock *socks;
    unsigned nsocks, socks_cap;
    /* The running transfer is number xfer_gen, its request going out on
     * active_fd (found in on_prereq; CURL_SOCKET_BAD before). A cancel
     * shuts down only the sockets that transfer opened and active_fd, so
     * the worker keeps its idle connections to other hosts. */
    unsigned xfer_gen;
    curl_socket_t active_fd;
    futurl_future *running;
    futurl_stream *stream; /* the running request's stream, or NULL */
    /* The handle's HTTP/1 sockets, readable while idle only when unclean
     * (handle.c, futurl__drop_unclean_connections): an epoll set, and
     * socks_cap entries for its answer. Only this worker's thread uses
     * them (the set is changed under sock_lock too, beside the list). */
    int idle_ep;
    struct epoll_event *idle_ready;

    futurl__buf debug_line; /* the masked copy of a debug header block */
};

/* opts->keepalive_per_worker, its default for 0. */
static inline unsigned futurl__keepalive_per_worker(const futurl_client_options *o) {
    return o->keepalive_per_worker != 0 ? o->keepalive_per_worker
                                        : FUTURL_DEFAULT_KEEPALIVE_PER_WORKER;
}

#endif
