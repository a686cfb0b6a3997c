/*
 * src/transfer.c — a worker's libcurl easy handle and the HTTP job that runs
 * on it. The handle gets the client-wide options once, when the worker
 * starts; a request sets only what it changes and the job resets exactly
 * that afterwards, so the handle (and its kept-alive connection) serves the
 * next request as it was. Also here: the write/header/progress callbacks
 * (size cap, streaming sinks, cancellation) and the CURLcode → futurl_status
 * mapping with libcurl's per-handle error text.
 */
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "retry.h"

/* Never reserve more than this up front from a Content-Length: a lying
 * server must not make us allocate what it will not send. */
#define PRESIZE_MAX (256u * 1024u * 1024u)

/* CURLOPT_BUFFERSIZE: one per worker handle. */
#define RECV_BUFFER_SIZE (64L * 1024L)

/* What a request changed on the handle (the reset list). */
enum {
    CHANGED_NOBODY = 1 << 0,
    CHANGED_POSTFIELDS = 1 << 1,
    CHANGED_CUSTOMREQUEST = 1 << 2,
    CHANGED_HTTPHEADER = 1 << 3,
    CHANGED_TIMEOUT = 1 << 4,
    CHANGED_MAXFILESIZE = 1 << 5
};

/* -------------------------------------------------------------- callbacks */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
    futurl__worker *w = userdata;
    futurl__response_builder *b = &w->builder;
    const futurl_request *rq = w->request;
    size_t len = size * nmemb;

    if (w->max_bytes != 0 && len > w->max_bytes - b->bytes) {
        w->failure = FUTURL__FAIL_TOO_LARGE; /* chunked bodies get here */
        return 0;
    }
    if (rq->chunk_fn != NULL) {
        if (rq->chunk_fn(data, len, rq->chunk_userdata) != 0) {
            w->failure = FUTURL__FAIL_CHUNK;
            return 0;
        }
    } else if (rq->out != NULL) {
        if (len != 0 && fwrite(data, 1, len, rq->out) != len) {
            w->failure = FUTURL__FAIL_IO;
            w->io_errno = errno;
            return 0;
        }
    } else {
        if (b->bytes == 0) {
            /* First bytes: size the buffer once from Content-Length. */
            curl_off_t expected = -1;
            if (curl_easy_getinfo(w->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                                  &expected) == CURLE_OK &&
                expected > 0 && (uint64_t)expected <= PRESIZE_MAX &&
                (w->max_bytes == 0 || (uint64_t)expected <= w->max_bytes))
                (void)futurl__builder_body_reserve(b, (size_t)expected); /* a hint only */
        }
        if (futurl__builder_body(b, data, len) != 0) {
            w->failure = FUTURL__FAIL_NOMEM;
            return 0;
        }
    }
    b->bytes += len;
    return len;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata) {
    futurl__worker *w = userdata;
    size_t len = size * nmemb;
    w->header_bytes += len;
    if (w->header_bytes > FUTURL__MAX_HEADER_BYTES) {
        w->failure = FUTURL__FAIL_HEADERS;
        return 0;
    }
    if (futurl__builder_header(&w->builder, data, len) != 0) {
        w->failure = FUTURL__FAIL_NOMEM;
        return 0;
    }
    return len;
}

/* Called often while data flows and about once a second while the peer is
 * silent: the bound on cancellation latency. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow) {
    futurl__worker *w = userdata;
    const futurl_request *rq = w->request;
    (void)ultotal;
    (void)ulnow;
    if (futurl_job_cancelled(w->job)) {
        w->failure = FUTURL__FAIL_CANCELLED;
        return 1;
    }
    if (rq->progress_fn != NULL &&
        rq->progress_fn((uint64_t)dlnow, dltotal > 0 ? (uint64_t)dltotal : 0,
                        rq->progress_userdata) != 0) {
        w->failure = FUTURL__FAIL_PROGRESS;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------- sockets, for cancelling */

static curl_socket_t on_open_socket(void *userdata, curlsocktype purpose,
                                    struct curl_sockaddr *address) {
    futurl__worker *w = userdata;
    (void)purpose;
    curl_socket_t fd = socket(address->family, address->socktype, address->protocol);
    if (fd == CURL_SOCKET_BAD)
        return fd;
    pthread_mutex_lock(&w->sock_lock);
    if (w->nsocks < FUTURL__MAX_SOCKETS)
        w->socks[w->nsocks++] = fd;
    pthread_mutex_unlock(&w->sock_lock);
    return fd;
}

static int on_close_socket(void *userdata, curl_socket_t fd) {
    futurl__worker *w = userdata;
    pthread_mutex_lock(&w->sock_lock);
    for (unsigned i = 0; i < w->nsocks; i++) {
        if (w->socks[i] == fd) {
            w->socks[i] = w->socks[--w->nsocks];
            break;
        }
    }
    /* Closed under the lock: no canceller can shut down this number once
     * it is reused for something else. */
    int rc = close(fd);
    pthread_mutex_unlock(&w->sock_lock);
    return rc;
}

void futurl__interrupt(void *client, futurl_future *f) {
    futurl_client *c = client;
    pthread_mutex_lock(&c->workers_lock);
    for (unsigned i = 0; i < c->nworkers; i++) {
        futurl__worker *w = c->workers[i];
        if (w == NULL)
            continue;
        pthread_mutex_lock(&w->sock_lock);
        if (w->running == f) {
            /* The peer is silent or slow: wake libcurl's poll now instead
             * of at its next progress tick. The connection is lost anyway,
             * and idle ones are checked before reuse. */
            for (unsigned k = 0; k < w->nsocks; k++)
                shutdown(w->socks[k], SHUT_RDWR);
        }
        pthread_mutex_unlock(&w->sock_lock);
    }
    pthread_mutex_unlock(&c->workers_lock);
}

static void set_running(futurl__worker *w, futurl_future *f) {
    pthread_mutex_lock(&w->sock_lock);
    w->running = f;
    pthread_mutex_unlock(&w->sock_lock);
}

/* ---------------------------------------------------------- handle setup */

static futurl_status setopt_failed(CURLcode cc, const char *what, char *errmsg,
                                   size_t size) {
    if (errmsg != NULL)
        snprintf(errmsg, size, "libcurl refused %s: %s", what, curl_easy_strerror(cc));
    return cc == CURLE_OUT_OF_MEMORY ? FUTURL_ENOMEM : FUTURL_ECURL;
}

/* Set an option or return from the calling function with the failure. */
#define SETOPT(easy, opt, value)                                                         \
    do {                                                                                 \
        CURLcode cc_ = curl_easy_setopt((easy), opt, value);                             \
        if (cc_ != CURLE_OK)                                                             \
            return setopt_failed(cc_, #opt, errmsg, errmsg_size);                        \
    } while (0)

futurl_status futurl__handle_setup(futurl_client *c, CURL *easy, futurl__worker *w,
                                   char *errmsg, size_t errmsg_size) {
    const futurl_client_options *o = &c->opts;

    SETOPT(easy, CURLOPT_NOSIGNAL, 1L);
    /* Only http and https, also where a redirect points. */
    SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SETOPT(easy, CURLOPT_FOLLOWLOCATION, o->follow_redirects ? 1L : 0L);
    SETOPT(easy, CURLOPT_MAXREDIRS, o->max_redirects);
    SETOPT(easy, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    SETOPT(easy, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    SETOPT(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    /* libcurl's receive buffer: 16 KiB by default, so a 1 MiB body took 64+
     * reads and write callbacks. 64 KiB cut the CPU of 1 MiB downloads by a
     * third at the same throughput; 256 KiB saved no more CPU and lost
     * throughput (bench/README.md). Small responses: no difference. */
    SETOPT(easy, CURLOPT_BUFFERSIZE, RECV_BUFFER_SIZE);

    SETOPT(easy, CURLOPT_SSL_VERIFYPEER, o->verify_tls ? 1L : 0L);
    SETOPT(easy, CURLOPT_SSL_VERIFYHOST, o->verify_tls ? 2L : 0L);
    if (o->ca_file != NULL)
        SETOPT(easy, CURLOPT_CAINFO, o->ca_file);
    if (o->ca_path != NULL)
        SETOPT(easy, CURLOPT_CAPATH, o->ca_path);
    if (o->client_cert != NULL)
        SETOPT(easy, CURLOPT_SSLCERT, o->client_cert);
    if (o->client_key != NULL)
        SETOPT(easy, CURLOPT_SSLKEY, o->client_key);
    if (o->proxy != NULL)
        SETOPT(easy, CURLOPT_PROXY, o->proxy);

    SETOPT(easy, CURLOPT_USERAGENT, o->user_agent);
    /* Credentials through libcurl's auth, never as a custom header: libcurl
     * then keeps them from a host a redirect leads to. */
    if (o->bearer_token != NULL) {
        SETOPT(easy, CURLOPT_XOAUTH2_BEARER, o->bearer_token);
        SETOPT(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
    } else if (o->username != NULL) {
        SETOPT(easy, CURLOPT_USERNAME, o->username);
        SETOPT(easy, CURLOPT_PASSWORD, o->password ? o->password : "");
        SETOPT(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    }
    if (c->jar != NULL || c->static_cookie_count != 0)
        SETOPT(easy, CURLOPT_COOKIEFILE, ""); /* the engine on, no file */
    if (o->decompress)
        SETOPT(easy, CURLOPT_ACCEPT_ENCODING, ""); /* every codec libcurl has */
    if (o->http2 && (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_HTTP2))
        SETOPT(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    else
        SETOPT(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (o->max_response_bytes != 0) /* refuses early on Content-Length */
        SETOPT(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_response_bytes);
    SETOPT(easy, CURLOPT_HTTPHEADER, c->default_headers);
    SETOPT(easy, CURLOPT_SHARE, c->share);

    if (w != NULL) {
        SETOPT(easy, CURLOPT_ERRORBUFFER, w->errbuf);
        SETOPT(easy, CURLOPT_WRITEFUNCTION, on_body);
        SETOPT(easy, CURLOPT_WRITEDATA, (void *)w);
        SETOPT(easy, CURLOPT_HEADERFUNCTION, on_header);
        SETOPT(easy, CURLOPT_HEADERDATA, (void *)w);
        SETOPT(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
        SETOPT(easy, CURLOPT_XFERINFODATA, (void *)w);
        SETOPT(easy, CURLOPT_NOPROGRESS, 0L);
        SETOPT(easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        SETOPT(easy, CURLOPT_OPENSOCKETDATA, (void *)w);
        SETOPT(easy, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
        SETOPT(easy, CURLOPT_CLOSESOCKETDATA, (void *)w);
    }
    return FUTURL_OK;
}

void *futurl__worker_start(void *client, unsigned index) {
    futurl_client *c = client;
    futurl__worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    if (pthread_mutex_init(&w->sock_lock, NULL) != 0) {
        free(w);
        return NULL;
    }
    w->client = client;
    w->builder.pool = w->client->body_pool;
    w->builder.slab_pool = w->client->slab_pool;
    w->easy = curl_easy_init();
    if (w->easy == NULL || futurl__handle_setup(client, w->easy, w, w->errbuf,
                                                sizeof w->errbuf) != FUTURL_OK) {
        /* Checked on a scratch handle at create, so this is out of memory;
         * the worker's jobs fail with FUTURL_ENOMEM. */
        curl_easy_cleanup(w->easy);
        pthread_mutex_destroy(&w->sock_lock);
        free(w);
        return NULL;
    }
    if (index < c->nworkers) {
        pthread_mutex_lock(&c->workers_lock);
        c->workers[index] = w;
        pthread_mutex_unlock(&c->workers_lock);
    }
    return w;
}

void futurl__worker_stop(void *client, void *worker) {
    futurl_client *c = client;
    futurl__worker *w = worker;
    if (w == NULL)
        return;
    pthread_mutex_lock(&c->workers_lock);
    for (unsigned i = 0; i < c->nworkers; i++)
        if (c->workers[i] == w)
            c->workers[i] = NULL;
    pthread_mutex_unlock(&c->workers_lock);
    curl_easy_cleanup(w->easy); /* closes its sockets through on_close_socket */
    pthread_mutex_destroy(&w->sock_lock);
    futurl__builder_free(&w->builder);
    futurl__cookie_view_free(&w->cookies);
    free(w);
}

/* ---------------------------------------------------------- one request */

/* The authority of an absolute URL ("host:port", "[v6]:port"), without
 * user info: a pointer into url and its length. */
static const char *url_authority(const char *url, size_t *len) {
    const char *sep = strstr(url, "://");
    const char *auth = sep ? sep + 3 : url;
    size_t n = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', n);
    if (at != NULL) {
        n -= (size_t)(at + 1 - auth);
        auth = at + 1;
    }
    *len = n;
    return auth;
}

/* Put the client's static cookies into the handle's cookie engine as
 * host-only cookies of rq's host (libcurl's cookie line: domain, tailmatch,
 * path, secure, expires, name, value) for the length of one transfer:
 * present = 1 adds them (sent to that host only, merged with the jar's into
 * one Cookie header), present = 0 removes them again (an expired line
 * deletes a cookie), before the jar sees the handle's cookies. So neither a
 * later redirect on this handle nor another worker, through the jar, ever
 * carries them to another host. */
static futurl_status static_cookies(futurl__worker *w, const futurl_request *rq,
                                    int present) {
    futurl_client *c = w->client;
    size_t host_len;
    const char *host = url_authority(futurl__request_url(rq), &host_len);
    if (host_len > 0 && host[0] == '[') { /* [v6]:port */
        const char *close = memchr(host, ']', host_len);
        host_len = close ? (size_t)(close - host - 1) : 0;
        host++;
    } else {
        const char *colon = memchr(host, ':', host_len);
        if (colon != NULL)
            host_len = (size_t)(colon - host);
    }
    char line[1024];
    for (size_t i = 0; i < c->static_cookie_count; i++) {
        int n = snprintf(line, sizeof line, "%.*s\tFALSE\t/\tFALSE\t%s\t%s",
                         (int)host_len, host, present ? "0" : "1", c->static_cookies[i]);
        if (n < 0 || (size_t)n >= sizeof line)
            continue; /* longer than any server would take in one header */
        if (curl_easy_setopt(w->easy, CURLOPT_COOKIELIST, line) != CURLE_OK)
            return FUTURL_ENOMEM;
    }
    return FUTURL_OK;
}

/* Set what rq needs beyond the client-wide options; *changed says what to
 * reset, also when this fails half-way. */
static futurl_status apply_request(futurl__worker *w, const futurl_request *rq,
                                   unsigned *changed) {
    futurl_client *c = w->client;
    CURL *easy = w->easy;
    char *errmsg = w->errbuf;
    size_t errmsg_size = sizeof w->errbuf;

    SETOPT(easy, CURLOPT_URL, futurl__request_url(rq));
    if (rq->method_kind == FUTURL__METHOD_HEAD) {
        *changed |= CHANGED_NOBODY;
        SETOPT(easy, CURLOPT_NOBODY, 1L);
    }
    if (rq->sends_body) {
        /* POSTFIELDS (not CUSTOMREQUEST alone) for POST, so 301/302/303
         * turn it into a GET as browsers do. */
        *changed |= CHANGED_POSTFIELDS;
        SETOPT(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body.len);
        SETOPT(easy, CURLOPT_POSTFIELDS, rq->body.data ? rq->body.data : "");
    }
    if (rq->method_kind == FUTURL__METHOD_CUSTOM) {
        *changed |= CHANGED_CUSTOMREQUEST;
        SETOPT(easy, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    if (rq->merged != NULL) {
        *changed |= CHANGED_HTTPHEADER;
        SETOPT(easy, CURLOPT_HTTPHEADER, rq->merged);
    }
    if (w->attempt_timeout_ms != c->opts.timeout_ms) {
        *changed |= CHANGED_TIMEOUT;
        SETOPT(easy, CURLOPT_TIMEOUT_MS, w->attempt_timeout_ms);
    }
    if (rq->has_max_bytes && rq->max_response_bytes != c->opts.max_response_bytes) {
        *changed |= CHANGED_MAXFILESIZE;
        SETOPT(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rq->max_response_bytes);
    }
    return FUTURL_OK;
}

/* Put back what apply_request changed. */
static futurl_status reset_request(futurl__worker *w, unsigned changed) {
    futurl_client *c = w->client;
    CURL *easy = w->easy;
    char *errmsg = NULL;
    size_t errmsg_size = 0;

    if (changed & CHANGED_POSTFIELDS) {
        SETOPT(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
        SETOPT(easy, CURLOPT_POSTFIELDS, (char *)NULL);
    }
    if (changed & (CHANGED_NOBODY | CHANGED_POSTFIELDS))
        SETOPT(easy, CURLOPT_HTTPGET, 1L); /* clears NOBODY and POST too */
    if (changed & CHANGED_CUSTOMREQUEST)
        SETOPT(easy, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    if (changed & CHANGED_HTTPHEADER)
        SETOPT(easy, CURLOPT_HTTPHEADER, c->default_headers);
    if (changed & CHANGED_TIMEOUT)
        SETOPT(easy, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
    if (changed & CHANGED_MAXFILESIZE)
        SETOPT(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opts.max_response_bytes);
    return FUTURL_OK;
}

/* Read an info value, leaving *out as it is if libcurl has none. */
#define GETINFO(easy, info, out) (void)curl_easy_getinfo((easy), (info), (out))

static void collect_info(CURL *easy, CURLcode cc, futurl__response_info *info) {
    long version = 0;
    curl_off_t total = 0, connect = 0, start = 0;
    char *url = NULL;
    GETINFO(easy, CURLINFO_RESPONSE_CODE, &info->status);
    GETINFO(easy, CURLINFO_HTTP_VERSION, &version);
    GETINFO(easy, CURLINFO_EFFECTIVE_URL, &url);
    GETINFO(easy, CURLINFO_REDIRECT_COUNT, &info->redirects);
    GETINFO(easy, CURLINFO_NUM_CONNECTS, &info->new_connections);
    GETINFO(easy, CURLINFO_TOTAL_TIME_T, &total);
    GETINFO(easy, CURLINFO_CONNECT_TIME_T, &connect);
    GETINFO(easy, CURLINFO_STARTTRANSFER_TIME_T, &start);
    switch (version) {
    case CURL_HTTP_VERSION_1_0:
        info->http_version = 10;
        break;
    case CURL_HTTP_VERSION_1_1:
        info->http_version = 11;
        break;
    case CURL_HTTP_VERSION_2_0:
        info->http_version = 20;
        break;
    case CURL_HTTP_VERSION_3:
        info->http_version = 30;
        break;
    default:
        info->http_version = 0;
        break;
    }
    info->url = url;
    info->curl_code = (int)cc;
    info->attempts = 1;
    info->elapsed = (double)total / 1e6;
    info->connect_time = (double)connect / 1e6;
    info->ttfb = (double)start / 1e6;
}

/* The futurl class of a libcurl failure. */
static futurl_status status_of(CURLcode cc) {
    switch (cc) {
    case CURLE_OK:
        return FUTURL_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return FUTURL_ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
        return FUTURL_ECONNECT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return FUTURL_ERESOLVE;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return FUTURL_ETLS;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return FUTURL_ENETWORK;
    case CURLE_TOO_MANY_REDIRECTS:
        return FUTURL_EREDIRECT;
    case CURLE_FILESIZE_EXCEEDED:
        return FUTURL_ETOOLARGE;
    case CURLE_UNSUPPORTED_PROTOCOL:
        return FUTURL_ESCHEME;
    case CURLE_URL_MALFORMAT:
        return FUTURL_EURL;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
        return FUTURL_EPROTOCOL;
    case CURLE_OUT_OF_MEMORY:
        return FUTURL_ENOMEM;
    case CURLE_ABORTED_BY_CALLBACK:
        return FUTURL_ECANCELED;
    default:
        return FUTURL_ECURL;
    }
}

/* The outcome of a finished transfer, with its message set on the job. */
static futurl_status outcome(futurl_job *job, futurl__worker *w, CURLcode cc,
                             const futurl_response *resp) {
    const futurl_request *rq = w->request;
    if (cc != CURLE_OK && w->failure == FUTURL__FAIL_NONE && futurl_job_cancelled(job))
        w->failure = FUTURL__FAIL_CANCELLED; /* its sockets were shut down */
    if (cc != CURLE_OK) {
        switch (w->failure) {
        case FUTURL__FAIL_TOO_LARGE:
            futurl_job_set_errmsg(job, "response body larger than the %llu-byte cap",
                                  (unsigned long long)w->max_bytes);
            return FUTURL_ETOOLARGE;
        case FUTURL__FAIL_HEADERS:
            futurl_job_set_errmsg(job, "response headers larger than %u bytes",
                                  FUTURL__MAX_HEADER_BYTES);
            return FUTURL_ETOOLARGE;
        case FUTURL__FAIL_CHUNK:
            futurl_job_set_errmsg(job, "transfer aborted by the chunk callback");
            return FUTURL_EABORTED;
        case FUTURL__FAIL_PROGRESS:
            futurl_job_set_errmsg(job, "transfer aborted by the progress callback");
            return FUTURL_EABORTED;
        case FUTURL__FAIL_CANCELLED:
            futurl_job_set_errmsg(job, "cancelled while the transfer ran");
            return FUTURL_ECANCELED;
        case FUTURL__FAIL_IO:
            futurl_job_set_errmsg(job,
                                  "writing the body to the output file failed (errno %d)",
                                  w->io_errno);
            return FUTURL_EIO;
        case FUTURL__FAIL_NOMEM:
            futurl_job_set_errmsg(job, "out of memory while receiving the response");
            return FUTURL_ENOMEM;
        case FUTURL__FAIL_NONE:
            break;
        }
        futurl_status st = status_of(cc);
        if (st == FUTURL_ETOOLARGE)
            futurl_job_set_errmsg(job,
                                  "response body larger than the %llu-byte cap "
                                  "(Content-Length)",
                                  (unsigned long long)w->max_bytes);
        else
            futurl_job_set_errmsg(job, "%s",
                                  w->errbuf[0] ? w->errbuf : curl_easy_strerror(cc));
        return st;
    }
    int raise = rq->raise_for_status >= 0 ? rq->raise_for_status
                                          : w->client->opts.raise_for_status;
    long status = futurl_response_status(resp);
    if (raise && status >= 400) {
        futurl_job_set_errmsg(job, "HTTP %ld from %s", status, futurl_response_url(resp));
        return FUTURL_EHTTP;
    }
    return FUTURL_OK;
}

/* One attempt of rq on w's handle: its outcome, with the response (NULL
 * only when out of memory) in *resp and a failure message set on the job. */
static futurl_status run_attempt(futurl_job *job, futurl__worker *w,
                                 const futurl_request *rq, futurl_response **resp) {
    futurl_client *c = w->client;

    w->job = job;
    w->request = rq;
    w->max_bytes =
        rq->has_max_bytes ? rq->max_response_bytes : c->opts.max_response_bytes;
    w->failure = FUTURL__FAIL_NONE;
    w->header_bytes = 0;
    w->errbuf[0] = '\0';
    futurl__builder_reset(&w->builder);

    unsigned changed = 0;
    futurl_status st = apply_request(w, rq, &changed);
    if (st == FUTURL_OK && c->jar != NULL)
        st = futurl__jar_load(c->jar, &w->cookies, w->easy);
    if (st == FUTURL_OK && c->static_cookie_count != 0)
        st = static_cookies(w, rq, 1);
    if (st != FUTURL_OK) {
        futurl_job_set_errmsg(job, "%s", w->errbuf[0] ? w->errbuf : futurl_strerror(st));
    } else {
        set_running(w, futurl__job_future(job));
        CURLcode cc = curl_easy_perform(w->easy);
        set_running(w, NULL);
        futurl__response_info info = {0};
        collect_info(w->easy, cc, &info);
        if (c->static_cookie_count != 0)
            (void)static_cookies(w, rq, 0); /* out again before the jar looks */
        if (c->jar != NULL && w->builder.saw_set_cookie) {
            /* A jar failure loses cookies, not the response: keep going. */
            (void)futurl__jar_store(c->jar, &w->cookies, w->easy);
        } else if (c->jar == NULL && w->builder.saw_set_cookie) {
            /* The engine is on only for the static cookies: keep nothing a
             * server set (cookie_jar is off). */
            (void)curl_easy_setopt(w->easy, CURLOPT_COOKIELIST, "ALL");
        }
        futurl_response *r = futurl__builder_finish(&w->builder, &info);
        if (r == NULL) {
            futurl_job_set_errmsg(job, "out of memory while building the response");
            st = FUTURL_ENOMEM;
        } else {
            *resp = r;
            st = outcome(job, w, cc, r);
        }
    }

    if (reset_request(w, changed) != FUTURL_OK) {
        /* Cannot happen short of a libcurl bug; start the handle afresh
         * (curl_easy_reset keeps its connections) rather than leak this
         * request's settings into the next. */
        curl_easy_reset(w->easy);
        w->broken = futurl__handle_setup(c, w->easy, w, NULL, 0) != FUTURL_OK;
    }
    w->job = NULL;
    w->request = NULL;
    return st;
}

/* ------------------------------------------------------------ retries */

/* "scheme://authority" of url, lower-case, without user info: the key of
 * per-host limits. NULL when out of memory. */
static char *host_key_of(const char *url) {
    const char *sep = strstr(url, "://");
    size_t scheme_len = sep ? (size_t)(sep - url) : 0;
    size_t auth_len;
    const char *auth = url_authority(url, &auth_len);
    char *key = malloc(scheme_len + 3 + auth_len + 1);
    if (key == NULL)
        return NULL;
    size_t n = 0; /* lower-cased: hosts and schemes are case-insensitive */
    for (size_t i = 0; i < scheme_len; i++)
        key[n++] = (char)futurl__ascii_lower((unsigned char)url[i]);
    memcpy(key + n, "://", 3);
    n += 3;
    for (size_t i = 0; i < auth_len; i++)
        key[n++] = (char)futurl__ascii_lower((unsigned char)auth[i]);
    key[n] = '\0';
    return key;
}

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
static void hold_host(futurl_client *c, const futurl_request *rq, const futurl__run *run,
                      uint64_t until) {
    char *key = run->host_key ? NULL : host_key_of(futurl__request_url(rq));
    const char *k = run->host_key ? run->host_key : key;
    if (k == NULL)
        return; /* out of memory: no hold */
    futurl__limits_hold(c->limits, k, until);
    free(key);
    uint64_t seen = atomic_load_explicit(&c->hold_horizon, memory_order_relaxed);
    while (seen < until && !atomic_compare_exchange_weak_explicit(
                               &c->hold_horizon, &seen, until, memory_order_relaxed,
                               memory_order_relaxed))
        ;
}

/* Log why retry number run->attempts is made. */
static void log_retry(futurl__run *run, futurl_status st, long status, const char *msg,
                      long delay_ms, int from_retry_after) {
    char line[384];
    if (status != 0 && (st == FUTURL_OK || st == FUTURL_EHTTP))
        snprintf(line, sizeof line, "attempt %u: HTTP %ld, %s %ld ms", run->attempts, status,
                 from_retry_after ? "Retry-After" : "backoff", delay_ms);
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
        snprintf(buf, size, "deadline passed after %u attempt%s (last: %s)", run->attempts,
                 run->attempts == 1 ? "" : "s", run->last_msg);
}

/* End without another attempt (cancelled, or the deadline passed): the last
 * attempt's response, if any, stays readable. */
static futurl_status give_up(futurl_job *job, futurl_client *c, futurl__run *run,
                             futurl_status st, void **result) {
    if (c->limits != NULL)
        futurl__limits_done(c->limits, c->executor, futurl__job_future(job), &run->adm);
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
    (void)client; /* a per-host queue lets go of f by itself once it is final */
    futurl_request *rq = futurl__future_arg(f);
    futurl__run *run = rq != NULL ? rq->run : NULL;
    if (status == FUTURL_ETIMEDOUT && (*errmsg = malloc(384)) != NULL)
        deadline_message(run, *errmsg, 384);
    /* Between attempts: the last one's response stays readable. */
    if (run != NULL && run->last != NULL) {
        (void)finish(run, run->last, status, result);
        run->last = NULL;
    }
}

/* Whether to try again, and after how long. */
static int should_retry(const futurl_request *rq, const futurl_retry_policy *p,
                        const futurl__run *run, futurl_status st,
                        const futurl_response *resp, long retry_after_ms,
                        uint64_t now, uint64_t deadline, uint64_t rnd, long *delay_ms) {
    if (st == FUTURL_ECANCELED || run->attempts >= p->max_attempts)
        return 0;
    long status = resp != NULL ? futurl_response_status(resp) : 0;
    int transient = futurl__retry_transient_error(st) &&
                    !(st == FUTURL_ETIMEDOUT && deadline != 0 && now >= deadline);
    int http = (st == FUTURL_OK || st == FUTURL_EHTTP) && futurl__retry_status(p, status);
    if (!transient && !http)
        return 0;
    if (!futurl__retry_method_ok(p, rq->method, futurl__request_has_idempotency_key(rq)))
        return 0;
    /* Bytes already handed to a sink cannot be taken back. */
    if ((rq->chunk_fn != NULL || rq->out != NULL) && resp != NULL &&
        futurl_response_bytes(resp) > 0)
        return 0;
    *delay_ms = retry_after_ms >= 0 ? retry_after_ms
                                    : futurl__retry_backoff_ms(p, run->attempts - 1, rnd);
    long elapsed_ms = (long)((now - run->first_ns) / 1000000u);
    if (p->budget_ms > 0 && (elapsed_ms >= p->budget_ms || *delay_ms > p->budget_ms - elapsed_ms))
        return 0;
    return 1;
}

/*
 * The HTTP job. Each run is one step: give up (cancelled, deadline), wait
 * for admission (429 hold, rate tokens, a per-host slot), or make one
 * attempt and then finish or schedule the next. Waiting is always done by
 * parking the future (FUTURL__DEFER), never on the worker.
 */
futurl_status futurl__http_job(futurl_job *job, void *arg, void **result) {
    futurl__worker *w = futurl_job_worker_state(job);
    futurl_request *rq = arg;
    if (w == NULL) {
        futurl_job_set_errmsg(job, "the worker has no libcurl handle (out of memory)");
        return FUTURL_ENOMEM;
    }
    if (w->broken) {
        futurl_job_set_errmsg(job, "the worker's libcurl handle could not be reset");
        return FUTURL_ECURL;
    }
    futurl_client *c = w->client;
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
        if (run->host_key == NULL)
            run->host_key = host_key_of(futurl__request_url(rq));
        uint64_t due = 0;
        futurl__admit a = run->host_key == NULL
                              ? FUTURL__ADMIT_GO /* out of memory: no limits */
                              : futurl__limits_admit(c->limits, c->executor, run->host_key,
                                                     f, &run->adm, now, &due);
        if (a != FUTURL__ADMIT_GO) {
            futurl__job_defer(job, a == FUTURL__ADMIT_WAIT_UNTIL ? due : 0);
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
    w->attempt_timeout_ms = timeout;

    futurl_response *resp = NULL;
    atomic_fetch_add_explicit(&c->stats.in_flight, 1, memory_order_relaxed);
    futurl_status st = run_attempt(job, w, rq, &resp);
    atomic_fetch_sub_explicit(&c->stats.in_flight, 1, memory_order_relaxed);
    run->attempts++;
    if (run->adm.host != NULL)
        futurl__limits_done(c->limits, c->executor, f, &run->adm);

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
        hold_host(c, rq, run, futurl__after_ms(now, retry_after));

    long delay = 0;
    if (!should_retry(rq, p, run, st, resp, retry_after, now, deadline,
                      futurl__rand_next(&run->rng), &delay))
        return finish(run, resp, st, result);

    futurl__run *kept = persist_run(rq, run);
    if (kept == NULL) /* out of memory: this outcome is the last */
        return finish(run, resp, st, result);
    run = kept;
    const char *msg = futurl__job_errmsg(job);
    log_retry(run, st, status, msg, delay, retry_after >= 0);
    if (status != 0 && (st == FUTURL_OK || st == FUTURL_EHTTP))
        snprintf(run->last_msg, sizeof run->last_msg, "HTTP %ld", status);
    else
        snprintf(run->last_msg, sizeof run->last_msg, "%s", msg ? msg : futurl_strerror(st));
    futurl__response_free(run->last);
    run->last = resp;
    run->last_status = st;
    atomic_fetch_add_explicit(&c->stats.retries, 1, memory_order_relaxed);
    futurl__job_defer(job, futurl__after_ms(now, delay));
    return FUTURL__DEFER;
}
