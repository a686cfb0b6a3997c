/*
 * test/support.h — what every test binary shares: assertion helpers on top
 * of Check, a clock, and the loopback test servers (httpbin under gunicorn,
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
    pid_t pid;          /* server process (0: not running) */
    int port;           /* bound port on 127.0.0.1 */
    char url[96];       /* "http://127.0.0.1:PORT" or "https://localhost:PORT" */
    char dir[256];      /* scratch dir (certificates, logs), removed on stop */
    char ca_file[320];  /* TLS only: the CA certificate that signed the server's */
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

/* Monotonic seconds. */
double support_now(void);

/* Sleep milliseconds. */
void support_sleep_ms(long ms);

/* Timing slack for loose bounds: 1 normally, larger under sanitizers and
 * valgrind (from CK_TIMEOUT_MULTIPLIER). */
double support_slack(void);

#endif
