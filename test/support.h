/*
 * test/support.h — what every test binary shares: assertion helpers on top
 * of Check, a clock, the HTTP client helpers (make a client, run a request,
 * read its JSON), and the loopback test servers (httpbin under gunicorn,
 * an HTTPS httpbin with a certificate made at test time, nginx with HTTP/2
 * over TLS, and the project's own fault server, test/fault_server.py).
 * Servers bind 127.0.0.1 on an ephemeral port and are stopped by
 * support_server_stop().
 */
#ifndef FUTURL_TEST_SUPPORT_H
#define FUTURL_TEST_SUPPORT_H

#include <check.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct support_server {
    pid_t pid;         /* server process (0: not running) */
    int port;          /* bound port on 127.0.0.1 */
    char url[96];      /* "http://127.0.0.1:PORT" or "https://localhost:PORT" */
    char dir[256];     /* scratch dir (certificates, logs), removed on stop */
    char ca_file[320]; /* TLS only: the CA certificate that signed the server's */
} support_server;

/* Start httpbin (Debian python3-httpbin) under gunicorn with threads.
 * Returns 0 when it answers, -1 (with a message on stderr) otherwise. */
int support_httpbin_start(support_server *s);

/* Start httpbin over TLS with a fresh CA + server certificate for
 * "localhost" and 127.0.0.1 (openssl CLI); s->url is https://localhost:PORT. */
int support_httpbin_tls_start(support_server *s);

/* Start nginx (/usr/sbin/nginx, one worker) speaking HTTP/2 and HTTP/1.1
 * over TLS, certificates as above; s->url is https://localhost:PORT and
 * GET /h2 answers 200 {"ok":true}. nginx binds the port itself (a free one,
 * retried if another process takes it first). */
int support_nginx_h2_start(support_server *s);

/* Start the fault server (test/fault_server.py). */
int support_fault_start(support_server *s);

/* Stop a server started above and remove its scratch dir; idempotent. */
void support_server_stop(support_server *s);

/* Fault server bookkeeping: requests received on path since the last reset,
 * peak concurrent requests on path, TCP connections accepted in total. */
long support_fault_attempts(const support_server *s, const char *path);
long support_fault_peak(const support_server *s, const char *path);
long support_fault_connections(const support_server *s);
void support_fault_reset(const support_server *s);

/* An executor with `workers` workers and a queue of `capacity` (0: the
 * default); fails the test if it cannot be made. */
struct futurl_executor;
struct futurl_executor *support_executor(unsigned workers, unsigned capacity);

/* Start a GET of url on c, wait until it runs and after_s more, cancel it;
 * checks it ends CANCELLED with its response and a curl code a cancel
 * produces. Returns how long the cancel took to end it, in seconds. */
struct futurl_client;
double support_cancel_running(struct futurl_client *c, const char *url, double after_s);

/* Ways to wait for one future, for tests that must hold for each. */
enum {
    SUPPORT_WAIT_FUTURE, /* futurl_future_wait */
    SUPPORT_WAIT_FOR,    /* futurl_future_wait_for, 10 s */
    SUPPORT_WAIT_GATHER, /* futurl_gather of it alone, 10 s */
    SUPPORT_WAIT_ANY,    /* futurl_wait_any of it alone, 10 s */
    SUPPORT_WAIT_NEXT,   /* futurl_as_completed_next, 10 s */
    SUPPORT_WAIT_KINDS
};

/* Wait for f the `kind` way; returns what that call returned (for a
 * gather, wait-any or as-completed: FUTURL_OK once f finished, not f's
 * outcome). */
struct futurl_future;
int support_wait_one(struct futurl_future *f, int kind);

/* The name of a SUPPORT_WAIT_ kind, for messages. */
const char *support_wait_name(int kind);

/* ------------------------------------------------------ HTTP client helpers
 * One copy for every test binary (test_client.c and test_transport.c each
 * had their own, already diverging). Each fails the test, with the status
 * name and what was asked, when a step that must work does not. */
struct futurl_client_options;
struct futurl_request;
struct cJSON;

/* Default options, then base_url (may be NULL), workers and, when attempts
 * is not 0, retry.max_attempts (1: no retries). */
void support_client_options(struct futurl_client_options *o, const char *base,
                            unsigned workers, unsigned attempts);

/* Create a client from o, first setting o->base_url to base when base is
 * not NULL. */
struct futurl_client *support_client_opts(struct futurl_client_options *o,
                                          const char *base);

/* support_client_options(), then create. */
struct futurl_client *support_client(const char *base, unsigned workers,
                                     unsigned attempts);

/* A new request (futurl_request_new must succeed). */
struct futurl_request *support_request(const char *method, const char *url);

/* Submit r (must be accepted) and wait for it, whatever its outcome; the
 * caller frees the future. */
struct futurl_future *support_run(struct futurl_client *c, struct futurl_request *r);

/* GET url and wait, whatever the outcome. */
struct futurl_future *support_get(struct futurl_client *c, const char *url);

/* GET url and wait; the outcome must be FUTURL_OK (the message names the
 * caller's line). */
struct futurl_future *support_get_ok_at(struct futurl_client *c, const char *url,
                                        int line);
#define support_get_ok(c, url) support_get_ok_at((c), (url), __LINE__)

/* f's response body as JSON: f must have a response whose body parses. */
const struct cJSON *support_json(struct futurl_future *f);

/* The string at j[k1] (or j[k1][k2] when k2 is not NULL); NULL if missing
 * or not a string. */
const char *support_json_str(const struct cJSON *j, const char *k1, const char *k2);

/* The number at j[k], which must be one. */
long support_json_int(const struct cJSON *j, const char *k);

/* The future ended with want; prints both names and f's message otherwise. */
#define support_assert_status(f, want)                                                   \
    do {                                                                                 \
        int got_ = futurl_future_status(f), want_ = (want);                              \
        ck_assert_msg(got_ == want_, "status %s (%s), want %s", futurl_err_name(got_),   \
                      futurl_future_errmsg(f), futurl_err_name(want_));                  \
    } while (0)

/* The optional string got equals want (NULL: absent); prints both. */
#define support_assert_str_or_null(got, want)                                            \
    do {                                                                                 \
        const char *g_ = (got), *w_ = (want);                                            \
        ck_assert_msg((g_ == NULL && w_ == NULL) ||                                      \
                          (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0),             \
                      "%s is \"%s\", want \"%s\"", #got, g_ ? g_ : "(absent)",           \
                      w_ ? w_ : "(absent)");                                             \
    } while (0)

/* Monotonic seconds. */
double support_now(void);

/* Sleep milliseconds. */
void support_sleep_ms(long ms);

/* 1 under valgrind (make valgrind sets FUTURL_VALGRIND=1), where every
 * thread is about 50 times slower: big loops shrink. */
int support_under_valgrind(void);

/* Timing slack for loose bounds: 1 normally, larger under sanitizers and
 * valgrind (from CK_TIMEOUT_MULTIPLIER). */
double support_slack(void);

/* Read fd (a server's stdout) until its first line, at most
 * 20 s × support_slack(), into buf (NUL-terminated, cut to size - 1); the
 * N of a "port N" line, or -1 (buf says what came instead). */
int support_read_port_line(int fd, char *buf, size_t size);

/* 1 once something accepts connections on the Unix socket at path. */
int support_unix_socket_answers(const char *path);

#endif
