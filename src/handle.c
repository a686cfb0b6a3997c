/*
 * src/handle.c — a worker's libcurl easy handle: set up once with the
 * client-wide options when the worker starts (and taken down when it
 * stops), the write/header/progress/pre-request callbacks (size cap,
 * streaming sinks, a stream's headers and body (src/stream.c),
 * cancellation, cookies), reading the transfer's info, and the handle's
 * open sockets, tracked so that a cancel can shut down the transfer it
 * cancels.
 */
#include "handle.h"

#include "hostkey.h"
#include "mock.h"
#include "proxy.h"
#include "stream.h"
#include "trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Never reserve more than this up front from a Content-Length: a lying
 * server must not make us allocate what it will not send. */
#define PRESIZE_MAX (256u * 1024u * 1024u)

/* CURLOPT_BUFFERSIZE: one per worker handle. */
#define RECV_BUFFER_SIZE (64L * 1024L)

/* -------------------------------------------------------------- callbacks */

/* Read an info value, leaving *out as it is if libcurl has none. */
#define GETINFO(easy, info, out) (void)curl_easy_getinfo((easy), (info), (out))

void futurl__handle_info(CURL *easy, CURLcode cc, futurl__response_info *info) {
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

/* A stream request: hand the final response's headers over, once per
 * attempt (an attempt after the first can only come before any were).
 * Returns 0, or -1 with w->failure set when the transfer must abort. */
static int stream_headers(futurl__worker *w) {
    if (w->stream_sent)
        return 0;
    w->stream_sent = 1;
    const futurl_request *rq = w->request;
    futurl__response_info info = {0};
    futurl__handle_info(w->easy, CURLE_OK, &info);
    futurl_response *r = futurl__builder_snapshot(&w->builder, &info);
    if (r == NULL) {
        w->failure = FUTURL__FAIL_NOMEM;
        return -1;
    }
    futurl__response_set_request_id(r, rq);
    int raise = rq->raise_for_status >= 0 ? rq->raise_for_status
                                          : w->client->opts.raise_for_status;
    char msg[160] = "";
    futurl_status st = FUTURL_OK;
    if (raise && info.status >= 400) {
        st = FUTURL_EHTTP;
        snprintf(msg, sizeof msg, "HTTP %ld from %.100s", info.status,
                 info.url ? info.url : "");
    }
    if (futurl__stream_headers(w->stream, r, st, msg) != 0) {
        w->failure = FUTURL__FAIL_CANCELLED;
        return -1;
    }
    return 0;
}

/* A stream request: the body goes to the stream's buffer, the transfer
 * waiting while it is full. */
static int stream_body(futurl__worker *w, const char *data, size_t len) {
    if (stream_headers(w) != 0)
        return -1;
    switch (futurl__stream_push(w->stream, data, len, w->job, w->stop_ns)) {
    case FUTURL__PUSH_OK:
        return 0;
    case FUTURL__PUSH_CLOSED:
        w->failure = FUTURL__FAIL_CLOSED;
        return -1;
    case FUTURL__PUSH_CANCELLED:
        w->failure = FUTURL__FAIL_CANCELLED;
        return -1;
    case FUTURL__PUSH_TIMEDOUT:
        w->failure = FUTURL__FAIL_TIMEOUT;
        return -1;
    }
    return -1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
    futurl__worker *w = userdata;
    futurl__response_builder *b = &w->builder;
    const futurl_request *rq = w->request;
    size_t len = size * nmemb;

    if (w->max_bytes != 0 && len > w->max_bytes - b->bytes) {
        w->failure = FUTURL__FAIL_TOO_LARGE; /* chunked bodies get here */
        return 0;
    }
    if (w->stream != NULL) {
        if (stream_body(w, data, len) != 0)
            return 0;
    } else if (rq->chunk_fn != NULL) {
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

/* 1 if data[0..len) is the status line of a 101 (Switching Protocols). */
static int switches_protocols(const char *data, size_t len) {
    const char *sp =
        len > 5 && memcmp(data, "HTTP/", 5) == 0 ? memchr(data, ' ', len) : NULL;
    if (sp == NULL || (size_t)(data + len - sp) < 4 || memcmp(sp + 1, "101", 3) != 0)
        return 0;
    return sp + 4 == data + len || sp[4] == ' ' || sp[4] == '\r' || sp[4] == '\n';
}

/* At the blank line ending a block of headers: 1 if it is the final
 * response's (not a 1xx, not a redirect libcurl is about to follow). */
static int final_block(futurl__worker *w) {
    long code = 0;
    GETINFO(w->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 100 && code < 200)
        return 0;
    return !(w->client->opts.follow_redirects && code >= 300 && code < 400 &&
             code != 304 && futurl__builder_has_header(&w->builder, "Location"));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata) {
    futurl__worker *w = userdata;
    size_t len = size * nmemb;
    /* futurl never asks for an upgrade (Upgrade is refused), so a 101 is
     * a protocol error; libcurl 7.88 would take every byte after it as the
     * body until the timeout. Aborting also closes the connection. */
    if (switches_protocols(data, len)) {
        w->failure = FUTURL__FAIL_SWITCHED;
        return 0;
    }
    w->header_bytes += len;
    if (w->header_bytes > FUTURL__MAX_HEADER_BYTES) {
        w->failure = FUTURL__FAIL_HEADERS;
        return 0;
    }
    if (futurl__builder_header(&w->builder, data, len) != 0) {
        w->failure = FUTURL__FAIL_NOMEM;
        return 0;
    }
    if (w->stream != NULL && !w->stream_sent && (len == 2 || len == 1) &&
        data[len - 1] == '\n' && final_block(w) && stream_headers(w) != 0)
        return 0;
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

/* The TCP port of an IPv4 or IPv6 address; 0 for any other family. */
static int sockaddr_port(const struct sockaddr_storage *a) {
    if (a->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)a)->sin_port);
    if (a->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
    return 0;
}

/* The socket whose local and remote ports are these: libcurl 7.88 gives
 * no CURLINFO_ACTIVESOCKET before a transfer ends, only the ports in
 * on_prereq. Each socket's ports are looked up once. None or more than one
 * match (a Unix socket has no ports): active_fd stays unknown. */
static void note_active_socket(futurl__worker *w, int local_port, int peer_port) {
    curl_socket_t found = CURL_SOCKET_BAD;
    int matches = 0;
    for (unsigned k = 0; k < w->nsocks; k++) {
        futurl__sock *s = &w->socks[k];
        if (s->local_port < 0) {
            struct sockaddr_storage a;
            socklen_t len = sizeof a;
            s->local_port = getsockname(s->fd, (struct sockaddr *)&a, &len) == 0
                                ? sockaddr_port(&a)
                                : 0;
            len = sizeof a;
            s->peer_port = getpeername(s->fd, (struct sockaddr *)&a, &len) == 0
                               ? sockaddr_port(&a)
                               : 0;
        }
        if (s->local_port != 0 && s->local_port == local_port &&
            s->peer_port == peer_port) {
            found = s->fd;
            matches++;
        }
    }
    pthread_mutex_lock(&w->sock_lock);
    w->active_fd = matches == 1 ? found : CURL_SOCKET_BAD;
    pthread_mutex_unlock(&w->sock_lock);
}

/* Before each request goes out, on the connection it will use: note that
 * connection for a cancel (futurl__interrupt), and give the handle its
 * cookies once per attempt: the jar's, then the client's static ones for
 * the request's host.
 * Not earlier: after a response that set 50 cookies, libcurl 7.88 silently
 * ignores every cookie given through CURLOPT_COOKIELIST (its per-request
 * Set-Cookie cap, cookie.c) until the next request starts, and this
 * callback runs after that count was reset, before the request with its
 * Cookie header is built. */
static int on_prereq(void *userdata, char *primary_ip, char *local_ip, int primary_port,
                     int local_port) {
    futurl__worker *w = userdata;
    futurl_client *c = w->client;
    (void)primary_ip;
    (void)local_ip;
    note_active_socket(w, local_port, primary_port);
    if (!w->cookies_pending)
        return CURL_PREREQFUNC_OK;
    w->cookies_pending = 0;
    if ((c->jar != NULL && futurl__jar_load(c->jar, &w->cookies, w->easy) != FUTURL_OK) ||
        (w->cookie_host_key != NULL &&
         futurl__static_cookies(w, w->cookie_host_key, 1) != FUTURL_OK)) {
        w->failure = FUTURL__FAIL_COOKIES;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

/* ------------------------------------------------- sockets, for cancelling */

/* Make room for cap sockets in w's lists; 0, or -1 (lists unchanged) when
 * out of memory. Under sock_lock, or before the worker is published. */
static int sockets_grow(futurl__worker *w, unsigned cap) {
    futurl__sock *socks = realloc(w->socks, cap * sizeof *socks);
    if (socks == NULL)
        return -1;
    w->socks = socks;
    struct epoll_event *ready = realloc(w->idle_ready, cap * sizeof *ready);
    if (ready == NULL)
        return -1;
    w->idle_ready = ready;
    w->socks_cap = cap;
    return 0;
}

/* The lists and the idle set: 0, or -1; either way sockets_free() undoes it. */
static int sockets_init(futurl__worker *w, unsigned cap) {
    w->idle_ep = epoll_create1(EPOLL_CLOEXEC);
    if (w->idle_ep < 0)
        return -1;
    return sockets_grow(w, cap); /* on failure sockets_free() frees the rest */
}

static void sockets_free(futurl__worker *w) {
    if (w->idle_ep >= 0)
        close(w->idle_ep);
    free(w->socks);
    free(w->idle_ready);
}

static curl_socket_t on_open_socket(void *userdata, curlsocktype purpose,
                                    struct curl_sockaddr *address) {
    futurl__worker *w = userdata;
    (void)purpose;
    /* Mocked: a connection to the client's own server, whatever address. */
    curl_socket_t fd =
        w->client->mock != NULL
            ? futurl__mock_connect(w->client->mock, address)
            : socket(address->family, address->socktype, address->protocol);
    if (fd == CURL_SOCKET_BAD)
        return fd;
    /* Untracked, a socket would escape cancellation and the check for
     * unclean connections: grow the list, or refuse the socket. */
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    pthread_mutex_lock(&w->sock_lock);
    if ((w->nsocks == w->socks_cap && sockets_grow(w, 2 * w->socks_cap) != 0) ||
        epoll_ctl(w->idle_ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        pthread_mutex_unlock(&w->sock_lock);
        close(fd);
        return CURL_SOCKET_BAD;
    }
    w->socks[w->nsocks++] = (futurl__sock){.fd = fd, .gen = w->xfer_gen, -1, -1};
    pthread_mutex_unlock(&w->sock_lock);
    return fd;
}

static int on_close_socket(void *userdata, curl_socket_t fd) {
    futurl__worker *w = userdata;
    pthread_mutex_lock(&w->sock_lock);
    for (unsigned i = 0; i < w->nsocks; i++) {
        if (w->socks[i].fd == fd) {
            w->socks[i] = w->socks[--w->nsocks];
            break;
        }
    }
    if (w->active_fd == fd)
        w->active_fd = CURL_SOCKET_BAD;
    /* Closed under the lock: no canceller can shut down this number once
     * it is reused for something else. Out of the idle set first (an HTTP/2
     * socket has left it already: ENOENT, ignored). */
    (void)epoll_ctl(w->idle_ep, EPOLL_CTL_DEL, fd, NULL);
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
             * of at its next progress tick. The transfer's connection is
             * lost anyway: the one it opened (or is opening: happy eyeballs,
             * a proxy) or the kept one it took. The worker's other idle
             * connections stay. Between taking a kept connection and the
             * request going out (on_prereq) that one is not known yet:
             * then every socket goes, as the progress tick would be late. */
            int known = w->active_fd != CURL_SOCKET_BAD;
            for (unsigned k = 0; k < w->nsocks && !known; k++)
                known = w->socks[k].gen == w->xfer_gen;
            for (unsigned k = 0; k < w->nsocks; k++) {
                const futurl__sock *s = &w->socks[k];
                if (!known || s->gen == w->xfer_gen || s->fd == w->active_fd)
                    shutdown(s->fd, SHUT_RDWR);
            }
            /* A stream's transfer may wait for its reader, not the peer. */
            if (w->stream != NULL)
                futurl__stream_wake(w->stream);
        }
        pthread_mutex_unlock(&w->sock_lock);
    }
    pthread_mutex_unlock(&c->workers_lock);
}

/*
 * Before a transfer: shut down every idle HTTP/1 connection of the handle
 * that has bytes waiting (or the peer's FIN). Between two exchanges an
 * HTTP/1 connection is silent; bytes there answer no request the handle is
 * about to make: a response past the end of the last one (a server sending
 * more than its Content-Length, a HEAD or 204 answered with a body, the
 * answer to a request smuggled inside a body). libcurl 7.88 reuses such a
 * connection (its liveness check only peeks for EOF) and would read those
 * bytes as the next answer, and every later answer on it one out of step.
 * libcurl finds a shut-down socket dead, or fails to send on it and retries
 * on a new connection. HTTP/2 connections are left alone: frames arrive on
 * idle ones by design (PING, SETTINGS), and streams cannot get out of step.
 * The handle's HTTP/1 sockets sit in an epoll set (idle_ep, level-
 * triggered), so this costs one epoll_wait that returns only the readable
 * ones, however many connections the cache keeps (a poll() over all of
 * them cost 10 us a request with 64; bench S7). The set and the lists only
 * change on this thread (libcurl's socket callbacks run inside its calls
 * here), so they are read without sock_lock.
 */
void futurl__drop_unclean_connections(futurl__worker *w) {
    if (w->nsocks == 0)
        return;
    int n = epoll_wait(w->idle_ep, w->idle_ready, (int)w->socks_cap, 0);
    for (int i = 0; i < n; i++)
        shutdown(w->idle_ready[i].data.fd, SHUT_RDWR);
}

/* After an HTTP/2 transfer: take its connection's socket out of the idle
 * set (see above). */
void futurl__mark_h2_socket(futurl__worker *w) {
    curl_socket_t fd = CURL_SOCKET_BAD;
    if (curl_easy_getinfo(w->easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
        fd == CURL_SOCKET_BAD)
        return;
    (void)epoll_ctl(w->idle_ep, EPOLL_CTL_DEL, fd, NULL); /* ENOENT: already out */
}

void futurl__set_running(futurl__worker *w, futurl_future *f) {
    pthread_mutex_lock(&w->sock_lock);
    if (f != NULL)
        w->xfer_gen++;
    w->active_fd = CURL_SOCKET_BAD;
    w->running = f;
    w->stream = f != NULL && w->request != NULL ? w->request->stream : NULL;
    pthread_mutex_unlock(&w->sock_lock);
}

/* ---------------------------------------------------------- handle setup */

futurl_status futurl__setopt_failed(CURLcode cc, const char *what, char *errmsg,
                                    size_t size) {
    if (errmsg != NULL)
        snprintf(errmsg, size, "libcurl refused %s: %s", what, curl_easy_strerror(cc));
    return cc == CURLE_OUT_OF_MEMORY ? FUTURL_ENOMEM : FUTURL_ECURL;
}

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
    SETOPT(easy, CURLOPT_MAXCONNECTS, (long)futurl__keepalive_per_worker(o));

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
    if (o->unix_socket_path != NULL)
        SETOPT(easy, CURLOPT_UNIX_SOCKET_PATH, o->unix_socket_path);
    futurl_status pst = futurl__proxy_setup(easy, o, errmsg, errmsg_size);
    if (pst != FUTURL_OK)
        return pst;

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
    if (c->mock != NULL) { /* after the proxy and socket options it overrides */
        futurl_status mst = futurl__mock_setup(easy, errmsg, errmsg_size);
        if (mst != FUTURL_OK)
            return mst;
    }

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
        SETOPT(easy, CURLOPT_PREREQFUNCTION, on_prereq);
        SETOPT(easy, CURLOPT_PREREQDATA, (void *)w);
    }
    return futurl__debug_setup(c, easy, w, errmsg, errmsg_size);
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
    w->idle_ep = -1;
    w->active_fd = CURL_SOCKET_BAD;
    if (w->easy == NULL ||
        sockets_init(w, futurl__keepalive_per_worker(&c->opts) + FUTURL__SOCKETS_SPARE) !=
            0 ||
        futurl__handle_setup(client, w->easy, w, w->errbuf, sizeof w->errbuf) !=
            FUTURL_OK) {
        /* Checked on a scratch handle at create, so this is out of memory;
         * the worker's next HTTP job tries again (job_worker). */
        curl_easy_cleanup(w->easy);
        pthread_mutex_destroy(&w->sock_lock);
        sockets_free(w);
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
    sockets_free(w);
    futurl__builder_free(&w->builder);
    futurl__cookie_view_free(&w->cookies);
    futurl__buf_free(&w->cookie_line);
    futurl__buf_free(&w->debug_line);
    free(w);
}

/* Put the client's static cookies into the handle's cookie engine as
 * host-only cookies of rq's host (libcurl's cookie line: domain, tailmatch,
 * path, secure, expires, name, value) for the length of one transfer:
 * present = 1 adds them (sent to that host only, merged with the jar's into
 * one Cookie header), present = 0 removes them again (an expired line
 * deletes a cookie), before the jar sees the handle's cookies. So neither a
 * later redirect on this handle nor another worker, through the jar, ever
 * carries them to another host. */
futurl_status futurl__static_cookies(futurl__worker *w, const char *host_key,
                                     int present) {
    futurl_client *c = w->client;
    size_t host_len;
    const char *host = futurl__host_key_host(host_key, &host_len);
    futurl__buf *line = &w->cookie_line;
    for (size_t i = 0; i < c->static_cookie_count; i++) {
        line->len = 0;
        if (futurl__buf_append(line, host, host_len) != 0 ||
            futurl__buf_puts(line, present ? "\tFALSE\t/\tFALSE\t0\t"
                                           : "\tFALSE\t/\tFALSE\t1\t") != 0 ||
            futurl__buf_puts(line, c->static_cookies[i]) != 0 ||
            curl_easy_setopt(w->easy, CURLOPT_COOKIELIST, line->data) != CURLE_OK)
            return FUTURL_ENOMEM;
    }
    return FUTURL_OK;
}
