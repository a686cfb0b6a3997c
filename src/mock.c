/*
 * src/mock.c — the mock transport (client option `mock`): instead of the
 * network, each connection a worker's handle opens is a loopback TCP
 * connection to a server of the library's own, and a thread of the
 * library's (one per connection) reads the HTTP/1.1 requests libcurl sends
 * on it and writes the answers the caller's futurl_mock_fn gives. libcurl
 * does everything above the socket as over the network: redirects,
 * cookies, auth, the size cap, timeouts; futurl its retries, limits and
 * deadlines. Also here: the request and response objects that function
 * sees.
 *
 * TCP on loopback, not a socketpair: only TCP lets a "reset" be one (an
 * AF_UNIX peer sees a reset only when unread bytes are left behind), and
 * libcurl 7.88 connects every socket itself (it ignores
 * CURL_SOCKOPT_ALREADY_CONNECTED, curl issue 10626). So the opensocket
 * callback binds a socket on loopback and points libcurl at the client's
 * listener (one per mocked client, made on the first connection); its
 * acceptor thread serves the connections from those ports and closes any
 * other (another process may connect to the port).
 *
 * Everything read from the socket is treated as hostile, even though it
 * is libcurl's: the head is bounded (MAX_HEAD), and so is the body
 * (MAX_BODY), Content-Length or chunked.
 *
 * Locks: futurl__mock.lock guards listen_fd, addr, the acceptor's start,
 * the expected ports and the list of connections (conns); a connection's
 * `done` is atomic. A serving thread owns its socket and buffers alone.
 * Threads: the acceptor and each serving thread are joined by
 * futurl__mock_free (serving threads that ended, also as new ones start).
 */
#include "mock.h"

#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* A request head (request line and headers): libcurl builds at most 1 MiB. */
#define MAX_HEAD (1024u * 1024u + 4096u)
/* A request body, Content-Length or chunked (then 413 and a close). */
#define MAX_BODY (64u * 1024u * 1024u)
/* The longest a delay may be: a day. */
#define MAX_DELAY_MS 86400000L
/* Bytes asked of each recv. */
#define READ_CHUNK 65536u

struct futurl_mock_request {
    const char *method;
    const char *url;
    const char *hdr; /* "name\0value\0" per header line */
    size_t hdr_len;
    const char *body; /* NUL-terminated */
    size_t body_len;
};

struct futurl_mock_response {
    long status;
    futurl__buf headers; /* "Name: value\r\n" lines */
    futurl__buf body;
    futurl_mock_error error;
    long delay_ms;
    int nomem; /* a setter ran out of memory: answer 500 */
};

typedef struct conn {
    struct futurl__mock *m;
    int fd;
    pthread_t tid;
    atomic_int done; /* the thread has ended: join it */
    struct conn *next;
    /* The thread's own. */
    futurl__buf in; /* bytes read, from `pos` on not yet parsed */
    size_t pos;
} conn;

struct futurl__mock {
    futurl_mock_fn fn;
    void *userdata;
    pthread_mutex_t lock;
    int listen_fd; /* -1 until the first connection */
    struct sockaddr_in addr;
    pthread_t acceptor;
    int acceptor_started;
    /* Local ports of sockets futurl__mock_connect made, not yet accepted. */
    unsigned short *expected;
    size_t nexpected, capexpected;
    conn *conns;
};

/* ------------------------------------------------------ request accessors */

const char *futurl_mock_request_method(const futurl_mock_request *req) {
    return req != NULL ? req->method : "";
}

const char *futurl_mock_request_url(const futurl_mock_request *req) {
    return req != NULL ? req->url : "";
}

const char *futurl_mock_request_header(const futurl_mock_request *req, const char *name) {
    if (req == NULL || name == NULL)
        return NULL;
    const char *p = req->hdr, *end = req->hdr + req->hdr_len;
    while (p < end) {
        const char *value = p + strlen(p) + 1;
        if (futurl__ascii_streq(p, name))
            return value;
        p = value + strlen(value) + 1;
    }
    return NULL;
}

const char *futurl_mock_request_body(const futurl_mock_request *req, size_t *len) {
    if (len != NULL)
        *len = req != NULL ? req->body_len : 0;
    return req != NULL && req->body != NULL ? req->body : "";
}

/* ------------------------------------------------------- response setters */

futurl_status futurl_mock_response_set_status(futurl_mock_response *resp, long status) {
    if (resp == NULL || status < 200 || status > 999)
        return FUTURL_EINVAL;
    resp->status = status;
    return FUTURL_OK;
}

/* 1 if a caller may send this header in an answer: a token name, a clean
 * value, not one that frames the message. */
int futurl__mock_header_ok(const char *name, const char *value) {
    size_t n = strlen(name);
    return futurl__is_token(name, n) && futurl__is_field_value(value) &&
           !futurl__ascii_streq(name, "Content-Length") &&
           !futurl__ascii_streq(name, "Transfer-Encoding") &&
           !futurl__ascii_streq(name, "Connection");
}

futurl_status futurl_mock_response_add_header(futurl_mock_response *resp,
                                              const char *name, const char *value) {
    if (resp == NULL || name == NULL || value == NULL)
        return FUTURL_EINVAL;
    if (!futurl__mock_header_ok(name, value))
        return FUTURL_EHEADER;
    if (futurl__buf_puts(&resp->headers, name) != 0 ||
        futurl__buf_puts(&resp->headers, ": ") != 0 ||
        futurl__buf_puts(&resp->headers, value) != 0 ||
        futurl__buf_puts(&resp->headers, "\r\n") != 0) {
        resp->nomem = 1;
        return FUTURL_ENOMEM;
    }
    return FUTURL_OK;
}

futurl_status futurl_mock_response_set_body(futurl_mock_response *resp, const void *data,
                                            size_t len) {
    if (resp == NULL || (data == NULL && len > 0))
        return FUTURL_EINVAL;
    resp->body.len = 0;
    if (futurl__buf_append(&resp->body, data, len) != 0) {
        resp->nomem = 1;
        return FUTURL_ENOMEM;
    }
    return FUTURL_OK;
}

futurl_status futurl_mock_response_set_error(futurl_mock_response *resp,
                                             futurl_mock_error error) {
    if (resp == NULL || (int)error < FUTURL_MOCK_NONE || (int)error > FUTURL_MOCK_PARTIAL)
        return FUTURL_EINVAL;
    resp->error = error;
    return FUTURL_OK;
}

futurl_status futurl_mock_response_set_delay(futurl_mock_response *resp, long delay_ms) {
    if (resp == NULL || delay_ms < 0 || delay_ms > MAX_DELAY_MS)
        return FUTURL_EINVAL;
    resp->delay_ms = delay_ms;
    return FUTURL_OK;
}

/* --------------------------------------------------------------- reading */

/* Read more bytes onto c->in. Returns 1, or 0 at the end or an error. */
static int fill(conn *c) {
    if (futurl__buf_reserve(&c->in, READ_CHUNK) != 0)
        return 0;
    for (;;) {
        ssize_t n = recv(c->fd, c->in.data + c->in.len, READ_CHUNK, 0);
        if (n > 0) {
            c->in.len += (size_t)n;
            c->in.data[c->in.len] = '\0';
            return 1;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return 0;
    }
}

/* The next CRLF-terminated line from c->pos, at most max bytes with the
 * CRLF: its start in *line (offset) and length without the CRLF. Returns 1,
 * 0 at the end of the connection, -1 for a bare LF, -2 when too long (as
 * READ_BAD and READ_TOO_LARGE below). */
static int read_line(conn *c, size_t max, size_t *line, size_t *len) {
    size_t scanned = c->pos;
    for (;;) {
        char *p = c->in.len > scanned
                      ? memchr(c->in.data + scanned, '\n', c->in.len - scanned)
                      : NULL;
        if (p != NULL) {
            size_t end = (size_t)(p - c->in.data);
            if (end + 1 - c->pos > max)
                return -2;
            if (end == c->pos || p[-1] != '\r')
                return -1; /* a bare LF */
            *line = c->pos;
            *len = end - 1 - c->pos;
            c->pos = end + 1;
            return 1;
        }
        scanned = c->in.len;
        if (c->in.len - c->pos > max)
            return -2;
        if (!fill(c))
            return 0;
    }
}

/* Make n more bytes than c->pos available. Returns 1 or 0 (the end). */
static int need(conn *c, size_t n) {
    while (c->in.len - c->pos < n)
        if (!fill(c))
            return 0;
    return 1;
}

/* What one request needs beyond its bytes. */
typedef struct parsed {
    futurl__buf hdr;  /* "name\0value\0" */
    futurl__buf body; /* the body, NUL-terminated */
    futurl__buf url;
    char method[FUTURL_MAX_METHOD_LENGTH + 1];
    int close; /* Connection: close, or HTTP/1.0 */
    int head;  /* HEAD: the answer has no body */
} parsed;

/* How a read ended. */
enum { READ_OK = 1, READ_EOF = 0, READ_BAD = -1, READ_TOO_LARGE = -2, READ_NOMEM = -3 };
/* read_line returns READ_EOF, READ_BAD and READ_TOO_LARGE by value. */

static int is_digits(const char *s, size_t n) {
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* A chunked body onto q->body. */
static int read_chunked(conn *c, parsed *q) {
    for (;;) {
        size_t line, len;
        int r = read_line(c, 1024, &line, &len);
        if (r <= 0)
            return r;
        const char *s = c->in.data + line;
        size_t hex = 0;
        uint64_t size = 0;
        while (hex < len && strchr("0123456789abcdefABCDEF", s[hex]) != NULL && s[hex]) {
            unsigned v = s[hex] <= '9' ? (unsigned)(s[hex] - '0')
                                       : (unsigned)((s[hex] | 0x20) - 'a' + 10);
            size = size * 16 + v;
            if (size > MAX_BODY)
                return READ_TOO_LARGE;
            hex++;
        }
        if (hex == 0 || (hex < len && s[hex] != ';' && s[hex] != ' ' && s[hex] != '\t'))
            return READ_BAD;
        if (size == 0)
            break;
        if (q->body.len + size > MAX_BODY)
            return READ_TOO_LARGE;
        if (!need(c, (size_t)size + 2))
            return READ_EOF;
        const char *data = c->in.data + c->pos;
        if (data[size] != '\r' || data[size + 1] != '\n')
            return READ_BAD;
        if (futurl__buf_append(&q->body, data, (size_t)size) != 0)
            return READ_NOMEM;
        c->pos += (size_t)size + 2;
    }
    for (;;) { /* trailers, until the empty line */
        size_t line, len;
        int r = read_line(c, MAX_HEAD, &line, &len);
        if (r <= 0)
            return r;
        if (len == 0)
            return READ_OK;
    }
}

/* Trim the spaces and tabs around s[0..*n). */
static const char *trim(const char *s, size_t *n) {
    while (*n > 0 && (s[0] == ' ' || s[0] == '\t'))
        s++, (*n)--;
    while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
        (*n)--;
    return s;
}

/* One request from c into q. */
static int read_request(conn *c, parsed *q) {
    size_t line, len, head_start = c->pos;
    int r = read_line(c, MAX_HEAD, &line, &len);
    if (r <= 0)
        return r;
    /* METHOD SP target SP HTTP/1.x */
    const char *s = c->in.data + line;
    const char *sp1 = memchr(s, ' ', len);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - s)) : NULL;
    if (sp1 == NULL || sp2 == NULL || sp2 == sp1 + 1 ||
        !futurl__is_token(s, (size_t)(sp1 - s)) ||
        (size_t)(sp1 - s) > FUTURL_MAX_METHOD_LENGTH)
        return READ_BAD;
    size_t vlen = len - (size_t)(sp2 + 1 - s);
    if (vlen != 8 ||
        (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.0", 8) != 0))
        return READ_BAD;
    memcpy(q->method, s, (size_t)(sp1 - s));
    q->method[sp1 - s] = '\0';
    q->head = strcmp(q->method, "HEAD") == 0;
    q->close = sp2[8] == '0';
    const char *target = sp1 + 1;
    size_t target_len = (size_t)(sp2 - target);
    for (size_t i = 0; i < target_len; i++)
        if ((unsigned char)target[i] <= 0x20 || target[i] == 0x7f)
            return READ_BAD;
    /* Copy the target out: c->in may move as more is read. */
    futurl__buf t = {0};
    if (futurl__buf_append(&t, target, target_len) != 0)
        return READ_NOMEM;

    int64_t content_length = -1;
    int chunked = 0, st = READ_OK;
    const char *host = NULL;
    size_t host_off = 0, host_len = 0;
    for (;;) {
        r = read_line(c, MAX_HEAD, &line, &len);
        if (r <= 0) {
            st = r;
            break;
        }
        if (c->pos - head_start > MAX_HEAD) {
            st = READ_TOO_LARGE;
            break;
        }
        if (len == 0)
            break;
        s = c->in.data + line;
        const char *colon = memchr(s, ':', len);
        if (colon == NULL || !futurl__is_token(s, (size_t)(colon - s))) {
            st = READ_BAD; /* also obs-fold: a line starting with a space */
            break;
        }
        size_t name_len = (size_t)(colon - s), value_len = len - name_len - 1;
        const char *value = trim(colon + 1, &value_len);
        for (size_t i = 0; i < value_len; i++)
            if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
                st = READ_BAD;
        if (st != READ_OK)
            break;
        if (futurl__ascii_ieq(s, name_len, "Content-Length", 14)) {
            if (!is_digits(value, value_len) || value_len > 12) {
                st = READ_BAD;
                break;
            }
            int64_t v = 0;
            for (size_t i = 0; i < value_len; i++)
                v = v * 10 + (value[i] - '0');
            if (content_length >= 0 && content_length != v) {
                st = READ_BAD;
                break;
            }
            content_length = v;
        } else if (futurl__ascii_ieq(s, name_len, "Transfer-Encoding", 17)) {
            if (!futurl__ascii_ieq(value, value_len, "chunked", 7)) {
                st = READ_BAD;
                break;
            }
            chunked = 1;
        } else if (futurl__ascii_ieq(s, name_len, "Connection", 10)) {
            if (futurl__ascii_ieq(value, value_len, "close", 5))
                q->close = 1;
        } else if (futurl__ascii_ieq(s, name_len, "Host", 4)) {
            if (host != NULL) {
                st = READ_BAD;
                break;
            }
            host = value;
        }
        size_t off = q->hdr.len;
        if (futurl__buf_append(&q->hdr, s, name_len) != 0 ||
            futurl__buf_append(&q->hdr, "", 1) != 0 ||
            futurl__buf_append(&q->hdr, value, value_len) != 0 ||
            futurl__buf_append(&q->hdr, "", 1) != 0) {
            st = READ_NOMEM;
            break;
        }
        if (host == value) {
            host_off = off + name_len + 1;
            host_len = value_len;
        }
    }
    if (st == READ_OK && (host == NULL || (chunked && content_length >= 0)))
        st = READ_BAD;
    /* The URL as it went out: an absolute target as it is, else
     * "http://" Host target. */
    if (st == READ_OK) {
        int absolute = t.len >= 7 && memcmp(t.data, "http://", 7) == 0;
        if ((!absolute &&
             (futurl__buf_puts(&q->url, "http://") != 0 ||
              futurl__buf_append(&q->url, q->hdr.data + host_off, host_len) != 0)) ||
            futurl__buf_append(&q->url, t.data, t.len) != 0)
            st = READ_NOMEM;
    }
    futurl__buf_free(&t);
    if (st != READ_OK)
        return st;
    if (chunked)
        return read_chunked(c, q);
    if (content_length > (int64_t)MAX_BODY)
        return READ_TOO_LARGE;
    if (content_length > 0) {
        if (!need(c, (size_t)content_length))
            return READ_EOF;
        if (futurl__buf_append(&q->body, c->in.data + c->pos, (size_t)content_length) !=
            0)
            return READ_NOMEM;
        c->pos += (size_t)content_length;
    }
    return READ_OK;
}

/* --------------------------------------------------------------- writing */

static int send_all(int fd, const char *p, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static const char *reason(long status) {
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 413:
        return "Content Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Mock";
    }
}

/* Send the answer; partial: half the body, then the caller closes.
 * Returns 0 or -1 (the peer is gone). */
static int send_answer(int fd, const futurl_mock_response *a, int head, int partial) {
    int bodyless = head || a->status == 204 || a->status == 304;
    size_t len = a->body.len;
    if (partial && len < 2)
        len = 2;
    futurl__buf out = {0};
    char line[96];
    snprintf(line, sizeof line, "HTTP/1.1 %03ld %s\r\n", a->status, reason(a->status));
    int bad = futurl__buf_puts(&out, line) != 0 ||
              (a->headers.len != 0 &&
               futurl__buf_append(&out, a->headers.data, a->headers.len) != 0);
    if (!bad && !(a->status == 204 || a->status == 304)) {
        snprintf(line, sizeof line, "Content-Length: %zu\r\n", len);
        bad = futurl__buf_puts(&out, line) != 0;
    }
    if (!bad)
        bad = futurl__buf_puts(&out, "\r\n") != 0;
    if (!bad && !bodyless) {
        size_t n = partial ? len / 2 : len;
        if (n <= a->body.len)
            bad = futurl__buf_append(&out, a->body.data, n) != 0;
        else
            bad = futurl__buf_puts(&out, "x") != 0; /* len 2, half of it */
    }
    int rc = bad ? -1 : send_all(fd, out.data, out.len);
    futurl__buf_free(&out);
    return rc;
}

/* A plain-text answer of the server's own (a bad request, out of memory). */
static int send_plain(int fd, long status, const char *text, int head) {
    futurl_mock_response a = {.status = status};
    int rc = -1;
    if (futurl_mock_response_add_header(&a, "Content-Type", "text/plain") == FUTURL_OK &&
        futurl_mock_response_set_body(&a, text, strlen(text)) == FUTURL_OK)
        rc = send_answer(fd, &a, head, 0);
    futurl__buf_free(&a.headers);
    futurl__buf_free(&a.body);
    return rc;
}

/* Wait ms, or less if the client closes or shuts down its end (cancel,
 * timeout): returns 0 after the whole wait, -1 if the peer is gone or
 * sent something (it sends nothing before an answer). */
static int wait_delay(int fd, long ms) {
    uint64_t end = futurl__after_ms(futurl__now_ns(), ms);
    for (;;) {
        uint64_t now = futurl__now_ns();
        if (now >= end)
            return 0;
        uint64_t left = (end - now + 999999u) / 1000000u;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0)
            return -1;
    }
}

/* ----------------------------------------------------------- the server */

/* Close with a reset (RST, not FIN). */
static void close_reset(int fd) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void *serve(void *arg) {
    conn *c = arg;
    futurl__mock *m = c->m;
    int fd = c->fd, reset = 0;
    for (;;) {
        parsed q = {0};
        int r = read_request(c, &q);
        int keep = 0;
        if (r == READ_OK) {
            futurl_mock_request req = {
                .method = q.method,
                .url = q.url.data,
                .hdr = q.hdr.data ? q.hdr.data : "",
                .hdr_len = q.hdr.len,
                .body = q.body.data ? q.body.data : "",
                .body_len = q.body.len,
            };
            futurl_mock_response a = {.status = 200};
            m->fn(&req, &a, m->userdata);
            if (a.nomem) {
                keep =
                    send_plain(fd, 500, "futurl mock: out of memory building the answer",
                               q.head) == 0;
            } else if (a.delay_ms > 0 && wait_delay(fd, a.delay_ms) != 0) {
                keep = 0; /* the client gave up */
            } else if (a.error == FUTURL_MOCK_RESET) {
                reset = 1;
            } else if (a.error == FUTURL_MOCK_PARTIAL) {
                (void)send_answer(fd, &a, 0, 1);
            } else if (a.error == FUTURL_MOCK_NONE) {
                keep = send_answer(fd, &a, q.head, 0) == 0 && !q.close;
            }
            futurl__buf_free(&a.headers);
            futurl__buf_free(&a.body);
        } else if (r == READ_BAD) {
            (void)send_plain(fd, 400, "futurl mock: malformed request", 0);
        } else if (r == READ_TOO_LARGE) {
            (void)send_plain(fd, 413, "futurl mock: request larger than the mock accepts",
                             0);
        } else if (r == READ_NOMEM) {
            (void)send_plain(fd, 500, "futurl mock: out of memory reading the request",
                             0);
        }
        futurl__buf_free(&q.hdr);
        futurl__buf_free(&q.body);
        futurl__buf_free(&q.url);
        if (!keep)
            break;
        /* Keep what follows the request for the next one. */
        memmove(c->in.data, c->in.data + c->pos, c->in.len - c->pos);
        c->in.len -= c->pos;
        c->pos = 0;
    }
    if (reset)
        close_reset(fd);
    else
        close(fd);
    futurl__buf_free(&c->in);
    atomic_store(&c->done, 1);
    return NULL;
}

void futurl__mock_serve_fd(futurl__mock *m, int fd) {
    conn c = {.m = m, .fd = fd};
    atomic_init(&c.done, 0);
    (void)serve(&c);
}

futurl_status futurl__mock_new(futurl_mock_fn fn, void *userdata, futurl__mock **out) {
    *out = NULL;
    futurl__mock *m = calloc(1, sizeof *m);
    if (m == NULL)
        return FUTURL_ENOMEM;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return FUTURL_ENOMEM;
    }
    m->fn = fn;
    m->userdata = userdata;
    m->listen_fd = -1;
    *out = m;
    return FUTURL_OK;
}

/* Join the threads that have ended and unlink them. With m->lock. */
static void reap(futurl__mock *m, int all) {
    for (conn **pp = &m->conns; *pp != NULL;) {
        conn *c = *pp;
        if (all || atomic_load(&c->done)) {
            pthread_join(c->tid, NULL);
            *pp = c->next;
            free(c);
        } else {
            pp = &c->next;
        }
    }
}

void futurl__mock_free(futurl__mock *m) {
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    int started = m->acceptor_started;
    if (m->listen_fd >= 0)
        shutdown(m->listen_fd, SHUT_RDWR); /* wakes the acceptor */
    pthread_mutex_unlock(&m->lock);
    if (started)
        pthread_join(m->acceptor, NULL);
    /* Every handle is cleaned up: each serving thread has seen its end. */
    reap(m, 1);
    if (m->listen_fd >= 0)
        close(m->listen_fd);
    free(m->expected);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* Take port out of the expected ones. With m->lock. Returns 1 if it was. */
static int take_expected(futurl__mock *m, unsigned short port) {
    for (size_t i = 0; i < m->nexpected; i++)
        if (m->expected[i] == port) {
            m->expected[i] = m->expected[--m->nexpected];
            return 1;
        }
    return 0;
}

/* Start a serving thread for fd. With m->lock. Returns 0, or -1 (fd closed). */
static int start_conn(futurl__mock *m, int fd) {
    conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        close(fd);
        return -1;
    }
    c->m = m;
    c->fd = fd;
    if (pthread_create(&c->tid, NULL, serve, c) != 0) {
        close(fd);
        free(c);
        return -1;
    }
    c->next = m->conns;
    m->conns = c;
    return 0;
}

/* Accept the connections the client's handles make; serve those that come
 * from a socket futurl__mock_connect made (its port is expected), close
 * any other (another process may connect to the port). Ends when the
 * listener is shut down. */
static void *acceptor(void *arg) {
    futurl__mock *m = arg;
    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        int fd = accept4(m->listen_fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) {
                struct timespec ts = {0, 10 * 1000 * 1000};
                nanosleep(&ts, NULL); /* the client's connect times out meanwhile */
                continue;
            }
            return NULL; /* shut down */
        }
        pthread_mutex_lock(&m->lock);
        reap(m, 0);
        int ours = plen == sizeof peer && peer.sin_family == AF_INET &&
                   peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
                   take_expected(m, ntohs(peer.sin_port));
        if (ours) {
            int one = 1;
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            (void)start_conn(m, fd);
        } else {
            close(fd);
        }
        pthread_mutex_unlock(&m->lock);
    }
}

/* The loopback listener and its acceptor, made once. With m->lock. */
static int listener(futurl__mock *m) {
    if (m->acceptor_started)
        return 0;
    if (m->listen_fd < 0) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof a;
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 128) != 0 ||
            getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
            close(fd);
            return -1;
        }
        m->listen_fd = fd;
        m->addr = a;
    }
    if (pthread_create(&m->acceptor, NULL, acceptor, m) != 0)
        return -1;
    m->acceptor_started = 1;
    return 0;
}

curl_socket_t futurl__mock_connect(futurl__mock *m, struct curl_sockaddr *address) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    /* Bound now, so its port is known before libcurl connects. */
    struct sockaddr_in local = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t llen = sizeof local;
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0 ||
        getsockname(fd, (struct sockaddr *)&local, &llen) != 0) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    int ok = 0;
    pthread_mutex_lock(&m->lock);
    if (listener(m) == 0) {
        if (m->nexpected == m->capexpected) {
            size_t cap = m->capexpected ? 2 * m->capexpected : 16;
            unsigned short *v = realloc(m->expected, cap * sizeof *v);
            if (v != NULL) {
                m->expected = v;
                m->capexpected = cap;
            }
        }
        if (m->nexpected < m->capexpected) {
            m->expected[m->nexpected++] = ntohs(local.sin_port);
            ok = 1;
        }
    }
    struct sockaddr_in to = m->addr;
    pthread_mutex_unlock(&m->lock);
    if (!ok) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    /* libcurl connects to the address the callback leaves. */
    address->family = AF_INET;
    address->socktype = SOCK_STREAM;
    address->protocol = IPPROTO_TCP;
    address->addrlen = sizeof to;
    memcpy(&address->addr, &to, sizeof to);
    return fd;
}

/* Set an option of a mocked handle or return its failure. Not handle.c's
 * SETOPT: handle.c calls this file, so this one does not call back. */
#define MOCK_SETOPT(easy, opt, value)                                                    \
    do {                                                                                 \
        CURLcode cc_ = curl_easy_setopt((easy), opt, value);                             \
        if (cc_ != CURLE_OK) {                                                           \
            if (errmsg != NULL)                                                          \
                snprintf(errmsg, errmsg_size, "libcurl refused %s: %s", #opt,            \
                         curl_easy_strerror(cc_));                                       \
            return cc_ == CURLE_OUT_OF_MEMORY ? FUTURL_ENOMEM : FUTURL_ECURL;            \
        }                                                                                \
    } while (0)

futurl_status futurl__mock_setup(CURL *easy, char *errmsg, size_t errmsg_size) {
    /* Any host and port to 127.0.0.1: a number, so nothing is resolved.
     * libcurl only reads the list. */
    static struct curl_slist connect_to_list = {(char *)"::127.0.0.1:", NULL};
    MOCK_SETOPT(easy, CURLOPT_CONNECT_TO, &connect_to_list);
    MOCK_SETOPT(easy, CURLOPT_PROXY, "");
    MOCK_SETOPT(easy, CURLOPT_NOPROXY, "*");
    MOCK_SETOPT(easy, CURLOPT_UNIX_SOCKET_PATH, (char *)NULL);
    MOCK_SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http");
    MOCK_SETOPT(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http");
    return FUTURL_OK;
}
