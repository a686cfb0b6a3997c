/*
 * test/support.c — the loopback test servers every test binary shares, and
 * the clock helpers. It owns starting and stopping httpbin (gunicorn), the
 * HTTPS httpbin with a CA made at test time, nginx speaking HTTP/2 over TLS
 * with such a CA, and test/fault_server.py, plus the plain-socket HTTP/1.0
 * client that probes them and reads the fault server's counters. Starting
 * and probing the servers uses neither libfuturl nor libcurl: the harness
 * must work even when the library under test does not. At the end, the
 * helpers tests share on top of the library: an executor, the ways to
 * wait, cancelling a running transfer, and the HTTP client helpers.
 *
 * Each server gets a listening socket made here on 127.0.0.1:0 (so the port
 * is known before the server runs and no two servers race for one), passed
 * to the child as an inherited fd. nginx (HTTP/2 over TLS) cannot take one:
 * it gets a port found free here and binds it itself, with a retry on
 * EADDRINUSE. The child leads its own process group and gets SIGTERM if the
 * thread that started it dies, so neither a crashed test nor gunicorn's or
 * nginx's workers outlive the test binary.
 */
#include "support.h"

#include "futurl.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PYTHON   "/usr/bin/python3"
#define GUNICORN "/usr/bin/gunicorn"
#define OPENSSL  "/usr/bin/openssl"
#define NGINX    "/usr/sbin/nginx"

#define START_TIMEOUT_S    15.0 /* server answering its first request */
#define STOP_TIMEOUT_S     5.0  /* SIGTERM to exit, before SIGKILL */
#define OPENSSL_TIMEOUT_S  30.0 /* one openssl command */
#define CONTROL_TIMEOUT_MS 5000
#define NGINX_PORT_TRIES   5 /* nginx binds its own port: another may take it */

/* ------------------------------------------------------------------ clock */

double support_now(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("support_now: clock_gettime");
        abort();
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void support_sleep_ms(long ms) {
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

double support_slack(void) {
    const char *env = getenv("CK_TIMEOUT_MULTIPLIER");
    if (env == NULL || *env == '\0')
        return 1.0;
    char *end;
    double v = strtod(env, &end);
    return (*end != '\0' || !(v >= 1.0)) ? 1.0 : v;
}

int support_under_valgrind(void) {
    const char *vg = getenv("FUTURL_VALGRIND");
    return vg != NULL && strcmp(vg, "1") == 0;
}

/* --------------------------------------------------------------- sockets */

/* A CLOEXEC listening socket on 127.0.0.1:0; its port in *port. */
static int listen_loopback(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("support: socket");
        return -1;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("support: listen on 127.0.0.1:0");
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A connected CLOEXEC socket to 127.0.0.1:port, or -1 (errno set). */
static int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* send() all of buf; MSG_NOSIGNAL so a dead peer is an error, not SIGPIPE. */
static int send_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
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

/* Read until the peer closes, buf is full or the deadline passes; the data
 * is NUL-terminated. Returns the byte count, or -1 on timeout or error. */
static ssize_t recv_until_close(int fd, char *buf, size_t cap, double deadline) {
    size_t got = 0;
    while (got + 1 < cap) {
        int left_ms = (int)((deadline - support_now()) * 1000);
        if (left_ms <= 0)
            return -1;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, left_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return (ssize_t)got;
}

/* GET path over HTTP/1.0 (the server closes after the reply). Returns the
 * status and copies the body into body (NUL-terminated, may be truncated),
 * or -1 with the reason in *why (a static string). */
static int http_get(int port, const char *path, int timeout_ms, char *body, size_t cap,
                    const char **why) {
    double deadline = support_now() + timeout_ms / 1000.0;
    char req[512], resp[8192];
    int len = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n",
                       path, port);
    if (len < 0 || (size_t)len >= sizeof req) {
        *why = "path too long";
        return -1;
    }
    int fd = connect_loopback(port);
    if (fd < 0) {
        *why = "connect failed";
        return -1;
    }
    int status = -1;
    if (send_all(fd, req, (size_t)len) != 0)
        *why = "send failed";
    else if (recv_until_close(fd, resp, sizeof resp, deadline) < 0)
        *why = "no complete reply in time";
    else if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
        *why = "not an HTTP reply";
    close(fd);
    if (status < 0)
        return -1;
    const char *start = strstr(resp, "\r\n\r\n");
    snprintf(body, cap, "%s", start ? start + 4 : "");
    return status;
}

/* A TLS 1.2 ClientHello (ECDHE with AES-GCM, RSA or ECDSA certificates,
 * P-256). A TLS server that is up answers it with a handshake record. */
/* clang-format off */
static const unsigned char client_hello[] = {
    0x16, 0x03, 0x01, 0x00, 0x51,                   /* record: handshake, 81 bytes */
    0x01, 0x00, 0x00, 0x4d,                         /* ClientHello, 77 bytes */
    0x03, 0x03,                                     /* TLS 1.2 */
    'f', 'u', 't', 'u', 'r', 'l', ' ', 't',         /* 32 "random" bytes */
    'e', 's', 't', ' ', 'h', 'a', 'r', 'n',
    'e', 's', 's', ' ', 'r', 'a', 'n', 'd',
    'o', 'm', ' ', 'b', 'y', 't', 'e', 's',
    0x00,                                           /* no session id */
    0x00, 0x08, 0xc0, 0x2b, 0xc0, 0x2c, 0xc0, 0x2f, 0xc0, 0x30, /* 4 suites */
    0x01, 0x00,                                     /* null compression */
    0x00, 0x1c,                                     /* extensions, 28 bytes */
    0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, /* groups: P-256 */
    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,             /* point formats: uncompressed */
    0x00, 0x0d, 0x00, 0x0a, 0x00, 0x08,             /* signature algorithms: */
    0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, /* ecdsa, pss, pkcs1, ecdsa384 */
};
/* clang-format on */
_Static_assert(sizeof client_hello == 5 + 0x51, "ClientHello lengths disagree");

/* Is the server on port answering? With http_path, GET it must answer 200;
 * with NULL, a TLS handshake must start. 1: yes; 0: not yet (see *why). */
static int probe(int port, const char *http_path, const char **why) {
    if (http_path != NULL) {
        char body[64];
        int status = http_get(port, http_path, 1000, body, sizeof body, why);
        if (status > 0 && status != 200)
            *why = "the probe did not get 200";
        return status == 200;
    }
    int fd = connect_loopback(port);
    if (fd < 0) {
        *why = "connect failed";
        return 0;
    }
    unsigned char reply[8];
    int up = 0;
    *why = "no TLS reply";
    if (send_all(fd, client_hello, sizeof client_hello) == 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 1000) == 1 && recv(fd, reply, sizeof reply, 0) > 0) {
            up = reply[0] == 0x16; /* a handshake record: the server's hello */
            *why = "the TLS server refused the probe's ClientHello";
        }
    }
    close(fd);
    return up;
}

/* -------------------------------------------------------------- processes */

/* Environment of every child: nothing from the test's environment (no
 * PYTHONPATH of another Python, no GUNICORN_CMD_ARGS, no sanitizer options). */
static char env_path[] = "PATH=/usr/bin:/bin";
static char env_lang[] = "LC_ALL=C.UTF-8";
static char *child_env[] = {env_path, env_lang, NULL};

/* fork + exec argv with stdin /dev/null, stdout and stderr appended to
 * log_path, and keep_fd (if >= 0) inherited as fd 3; every other descriptor
 * is closed. The child leads a new process group and gets SIGTERM when the
 * calling thread dies. Returns the pid or -1. */
static pid_t spawn(const char *const argv[], const char *log_path, int keep_fd) {
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (null_fd < 0 || log_fd < 0) {
        fprintf(stderr, "support: open /dev/null or %s: %s\n", log_path, strerror(errno));
        if (null_fd >= 0)
            close(null_fd);
        if (log_fd >= 0)
            close(log_fd);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls from here to exec: the test may
         * have other threads, holding locks this copy would never see freed. */
        static const char fail[] = "support: child setup or exec failed\n";
        sigset_t none;
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        /* First lift all three above 3, so placing one on 0-3 cannot
         * overwrite another, and so each dup2 below clears FD_CLOEXEC. */
        int in = fcntl(null_fd, F_DUPFD, 10), out = fcntl(log_fd, F_DUPFD, 10);
        int keep = keep_fd >= 0 ? fcntl(keep_fd, F_DUPFD, 10) : -1;
        if (in < 0 || out < 0 || (keep_fd >= 0 && keep < 0))
            goto fail;
        if (dup2(in, 0) != 0 || dup2(out, 1) != 1 || dup2(out, 2) != 2 ||
            (keep >= 0 && dup2(keep, 3) != 3))
            goto fail;
        /* Inherited client sockets would keep connections open after the
         * test closed them, and hide EOF from the server. */
        if (close_range(keep >= 0 ? 4 : 3, ~0U, 0) != 0)
            goto fail;
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) != 0 ||
            sigaction(SIGTERM, &dfl, NULL) != 0 || sigaction(SIGINT, &dfl, NULL) != 0 ||
            sigaction(SIGPIPE, &dfl, NULL) != 0 || sigaction(SIGCHLD, &dfl, NULL) != 0)
            goto fail;
        if (setpgid(0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
            goto fail;
        if (getppid() != parent) /* the parent died before prctl took hold */
            _exit(1);
        /* execve does not modify argv; its prototype predates const. */
        execve(argv[0], (char *const *)argv, child_env);
    fail:
        if (write(2, fail, sizeof fail - 1) < 0)
            _exit(126);
        _exit(127);
    }
    close(null_fd);
    close(log_fd);
    if (pid < 0)
        perror("support: fork");
    return pid;
}

/* Has pid exited? Reaps it if it is our child. If not (stop called from a
 * process forked after start), it can only see it gone, not a zombie. */
static int exited(pid_t pid) {
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
        return 1;
    if (r < 0 && errno == ECHILD)
        return kill(pid, 0) != 0 && errno == ESRCH;
    return 0;
}

/* Wait up to seconds for pid to exit; 1 if it did. */
static int wait_exit(pid_t pid, double seconds) {
    double deadline = support_now() + seconds;
    while (!exited(pid)) {
        if (support_now() > deadline)
            return 0;
        support_sleep_ms(10);
    }
    return 1;
}

/* Run argv to completion (bounded), output to log_path; 0 if it exited 0. */
static int run(const char *const argv[], const char *log_path) {
    pid_t pid = spawn(argv, log_path, -1);
    if (pid < 0)
        return -1;
    double deadline = support_now() + OPENSSL_TIMEOUT_S * support_slack();
    int status;
    pid_t r;
    while ((r = waitpid(pid, &status, WNOHANG)) == 0 && support_now() < deadline)
        support_sleep_ms(10);
    if (r == 0) {
        fprintf(stderr, "support: %s timed out, killing it\n", argv[0]);
        if (kill(-pid, SIGKILL) != 0 || waitpid(pid, &status, 0) != pid)
            perror("support: kill or reap");
        return -1;
    }
    if (r < 0) {
        perror("support: waitpid");
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "support: %s %s failed (status 0x%x), see %s\n", argv[0],
                argv[1] ? argv[1] : "", status, log_path);
        return -1;
    }
    return 0;
}

/* Copy a log to stderr, so a failed start explains itself. */
static void dump_log(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[512];
    fprintf(stderr, "---- %s\n", path);
    while (fgets(line, sizeof line, f) != NULL)
        fputs(line, stderr);
    fprintf(stderr, "----\n");
    fclose(f);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        fprintf(stderr, "support: remove %s: %s\n", path, strerror(errno));
    return 0; /* remove what we can */
}

/* Fill the struct's scratch dir; 0 or -1. */
static int make_dir(support_server *s) {
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(s->dir, sizeof s->dir, "%s/futurl-test-XXXXXX",
                     tmp && *tmp ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof s->dir || mkdtemp(s->dir) == NULL) {
        fprintf(stderr, "support: cannot make a scratch dir in %s: %s\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        s->dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* s->dir/name into out; 0 or -1 if it does not fit. */
static int dir_path(const support_server *s, const char *name, char *out, size_t cap) {
    int n = snprintf(out, cap, "%s/%s", s->dir, name);
    if (n < 0 || (size_t)n >= cap) {
        fprintf(stderr, "support: path %s/%s too long\n", s->dir, name);
        return -1;
    }
    return 0;
}

/* Stop s->pid's whole process group (SIGTERM, then SIGKILL) and clear
 * s->pid; the scratch dir stays. */
static void stop_process(support_server *s) {
    if (s->pid > 0) {
        /* The whole group: gunicorn's master and its workers. */
        if (kill(-s->pid, SIGTERM) != 0 && errno != ESRCH)
            perror("support: kill SIGTERM");
        if (!wait_exit(s->pid, STOP_TIMEOUT_S)) {
            fprintf(stderr, "support: server %d ignored SIGTERM, killing it\n",
                    (int)s->pid);
            if (kill(-s->pid, SIGKILL) != 0 && errno != ESRCH)
                perror("support: kill SIGKILL");
            if (!wait_exit(s->pid, STOP_TIMEOUT_S))
                fprintf(stderr, "support: server %d survived SIGKILL\n", (int)s->pid);
        }
        /* Stragglers left by a master that died first; the pgid cannot be
         * reused while any of them lives, so this reaches only them. */
        if (kill(-s->pid, SIGKILL) != 0 && errno != ESRCH)
            perror("support: kill SIGKILL");
    }
    s->pid = 0;
}

void support_server_stop(support_server *s) {
    stop_process(s);
    if (s->dir[0] != '\0' && nftw(s->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "support: cannot walk %s: %s\n", s->dir, strerror(errno));
    memset(s, 0, sizeof *s);
}

/* Spawn argv with listen_fd (if >= 0) inherited, then wait until probe_path
 * answers on s->port (NULL: until a TLS handshake starts), probing only once
 * ready_file (if not NULL) exists: a server that binds its own port writes
 * it after binding, so until then the port may be someone else's. 0: ready;
 * -1: not; the process is gone (stopped if it still ran), and *died is 1 if
 * it exited by itself during start-up. The dir and the log stay. */
static int launch(support_server *s, const char *const argv[], int listen_fd,
                  const char *log_path, const char *probe_path, const char *ready_file,
                  int *died) {
    *died = 0;
    s->pid = spawn(argv, log_path, listen_fd);
    /* The child holds the socket now. Not keeping it here means a dead
     * server refuses connections instead of leaving them in the backlog. */
    if (listen_fd >= 0)
        close(listen_fd);
    if (s->pid < 0) {
        s->pid = 0;
        return -1;
    }
    double deadline = support_now() + START_TIMEOUT_S;
    const char *why = "not started";
    for (;;) {
        if (ready_file != NULL && access(ready_file, F_OK) != 0)
            why = "no pid file yet";
        else if (probe(s->port, probe_path, &why))
            return 0;
        if (exited(s->pid)) {
            fprintf(stderr, "support: %s exited during start-up\n", argv[0]);
            s->pid = 0;
            *died = 1;
            break;
        }
        if (support_now() > deadline) {
            fprintf(stderr, "support: %s on port %d not ready after %.0f s: %s\n",
                    argv[0], s->port, START_TIMEOUT_S, why);
            break;
        }
        support_sleep_ms(20);
    }
    stop_process(s);
    return -1;
}

/* launch(), and on failure show the log and remove the dir. */
static int start_and_wait(support_server *s, const char *const argv[], int listen_fd,
                          const char *log_path, const char *probe_path) {
    int died;
    if (launch(s, argv, listen_fd, log_path, probe_path, NULL, &died) == 0)
        return 0;
    dump_log(log_path);
    support_server_stop(s);
    return -1;
}

/* ---------------------------------------------------------------- httpbin */

/* gunicorn serving httpbin on s->port; certfile/keyfile NULL for plain HTTP. */
static int start_gunicorn(support_server *s, const char *certfile, const char *keyfile) {
    char log_path[320];
    int fd = listen_loopback(&s->port);
    if (fd < 0 || dir_path(s, "gunicorn.log", log_path, sizeof log_path) != 0) {
        if (fd >= 0)
            close(fd);
        support_server_stop(s);
        return -1;
    }
    /* spawn() hands the socket over as fd 3.
     * -I: Debian's Python, isolated from any user site or PYTHON* variables.
     * No --access-logfile: gunicorn then keeps no access log.
     * Keep-alive 5 s: idle connections wait in gthread's poller, not a thread.
     * Graceful timeout 0: on SIGTERM the master kills workers at once instead
     * of waiting for requests in flight (a cancelled /delay/10 sleeps on). */
    const char *argv[32] = {PYTHON,    "-I",
                            GUNICORN,  "--bind",
                            "fd://3",  "--workers",
                            "1",       "--worker-class",
                            "gthread", "--threads",
                            "32",      "--keep-alive",
                            "5",       "--graceful-timeout",
                            "0",       "--error-logfile",
                            log_path,  "--log-level",
                            "warning", "--chdir",
                            s->dir};
    size_t argc = 0;
    while (argv[argc] != NULL) /* the rest of argv is zeroed: append there */
        argc++;
    if (certfile != NULL) {
        argv[argc++] = "--certfile";
        argv[argc++] = certfile;
        argv[argc++] = "--keyfile";
        argv[argc++] = keyfile;
    }
    argv[argc++] = "httpbin:app";
    argv[argc] = NULL;
    return start_and_wait(s, argv, fd, log_path, certfile == NULL ? "/get" : NULL);
}

int support_httpbin_start(support_server *s) {
    memset(s, 0, sizeof *s);
    if (make_dir(s) != 0)
        return -1;
    if (start_gunicorn(s, NULL, NULL) != 0)
        return -1;
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
    return 0;
}

/* The openssl configuration: a CA that may sign only certificates, and a
 * server certificate valid for localhost and 127.0.0.1. Our own file, so
 * the system's openssl.cnf cannot add or clash with extensions. */
static const char openssl_cnf[] = "[req]\n"
                                  "distinguished_name = dn\n"
                                  "prompt = no\n"
                                  "[dn]\n"
                                  "CN = unused\n"
                                  "[ca_ext]\n"
                                  "basicConstraints = critical,CA:TRUE\n"
                                  "keyUsage = critical,keyCertSign,cRLSign\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "[server_ext]\n"
                                  "basicConstraints = critical,CA:FALSE\n"
                                  "keyUsage = critical,digitalSignature\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "authorityKeyIdentifier = keyid\n";

/* CA and server certificate into s->dir: ca.pem (s->ca_file), ca.key,
 * server.pem, server.key. P-256 keys: quick to make. */
static int make_certificates(support_server *s) {
    char cnf[320], log[320], ca_key[320], csr[320], key[320], cert[320];
    if (dir_path(s, "openssl.cnf", cnf, sizeof cnf) ||
        dir_path(s, "openssl.log", log, sizeof log) ||
        dir_path(s, "ca.key", ca_key, sizeof ca_key) ||
        dir_path(s, "ca.pem", s->ca_file, sizeof s->ca_file) ||
        dir_path(s, "server.csr", csr, sizeof csr) ||
        dir_path(s, "server.key", key, sizeof key) ||
        dir_path(s, "server.pem", cert, sizeof cert))
        return -1;
    FILE *f = fopen(cnf, "w");
    if (f == NULL || fputs(openssl_cnf, f) == EOF || fclose(f) != 0) {
        fprintf(stderr, "support: write %s: %s\n", cnf, strerror(errno));
        return -1;
    }
    const char *ca_argv[] = {OPENSSL,
                             "req",
                             "-x509",
                             "-config",
                             cnf,
                             "-extensions",
                             "ca_ext",
                             "-newkey",
                             "ec",
                             "-pkeyopt",
                             "ec_paramgen_curve:P-256",
                             "-nodes",
                             "-subj",
                             "/CN=futurl test CA",
                             "-days",
                             "2",
                             "-keyout",
                             ca_key,
                             "-out",
                             s->ca_file,
                             NULL};
    const char *csr_argv[] = {OPENSSL,   "req",      "-new",
                              "-config", cnf,        "-newkey",
                              "ec",      "-pkeyopt", "ec_paramgen_curve:P-256",
                              "-nodes",  "-subj",    "/CN=localhost",
                              "-keyout", key,        "-out",
                              csr,       NULL};
    const char *sign_argv[] = {
        OPENSSL,  "x509",        "-req",        "-in",  csr,     "-CA", s->ca_file,
        "-CAkey", ca_key,        "-set_serial", "1",    "-days", "2",   "-extfile",
        cnf,      "-extensions", "server_ext",  "-out", cert,    NULL};
    if (run(ca_argv, log) != 0 || run(csr_argv, log) != 0 || run(sign_argv, log) != 0) {
        dump_log(log);
        return -1;
    }
    return 0;
}

int support_httpbin_tls_start(support_server *s) {
    char key[320], cert[320];
    memset(s, 0, sizeof *s);
    if (make_dir(s) != 0)
        return -1;
    if (make_certificates(s) != 0 || dir_path(s, "server.key", key, sizeof key) != 0 ||
        dir_path(s, "server.pem", cert, sizeof cert) != 0) {
        support_server_stop(s);
        return -1;
    }
    if (start_gunicorn(s, cert, key) != 0)
        return -1;
    snprintf(s->url, sizeof s->url, "https://localhost:%d", s->port);
    return 0;
}

/* ------------------------------------------------------------------ nginx */

/* nginx's whole configuration: our own file, so nothing from /etc/nginx
 * (modules, sites) comes along. One worker, every path inside s->dir. As
 * root the worker stays root too, so it can enter the 0700 scratch dir. */
static int write_nginx_conf(const support_server *s, const char *path,
                            const char *log_path, const char *pid_path, const char *cert,
                            const char *key) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "support: write %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = fprintf(f,
                     "%s"
                     "worker_processes 1;\n"
                     "daemon off;\n"
                     "pid %s;\n"
                     "error_log %s warn;\n"
                     "events { worker_connections 256; }\n"
                     "http {\n"
                     "    access_log off;\n"
                     "    client_body_temp_path %s/client_body;\n"
                     "    proxy_temp_path %s/proxy;\n"
                     "    fastcgi_temp_path %s/fastcgi;\n"
                     "    uwsgi_temp_path %s/uwsgi;\n"
                     "    scgi_temp_path %s/scgi;\n"
                     "    server {\n"
                     "        listen 127.0.0.1:%d ssl http2;\n"
                     "        ssl_certificate %s;\n"
                     "        ssl_certificate_key %s;\n"
                     "        location /h2 {\n"
                     "            default_type application/json;\n"
                     "            return 200 '{\"ok\":true}';\n"
                     "        }\n"
                     "    }\n"
                     "}\n",
                     geteuid() == 0 ? "user root;\n" : "", pid_path, log_path, s->dir,
                     s->dir, s->dir, s->dir, s->dir, s->port, cert, key) > 0;
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "support: write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Does the log say a bind() found its address in use? */
static int log_says_in_use(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, "Address already in use") != NULL;
    fclose(f);
    return found;
}

int support_nginx_h2_start(support_server *s) {
    char key[320], cert[320], conf[320], log_path[320], pid_path[320];
    memset(s, 0, sizeof *s);
    if (make_dir(s) != 0)
        return -1;
    if (make_certificates(s) != 0 || dir_path(s, "server.key", key, sizeof key) != 0 ||
        dir_path(s, "server.pem", cert, sizeof cert) != 0 ||
        dir_path(s, "nginx.conf", conf, sizeof conf) != 0 ||
        dir_path(s, "nginx.log", log_path, sizeof log_path) != 0 ||
        dir_path(s, "nginx.pid", pid_path, sizeof pid_path) != 0) {
        support_server_stop(s);
        return -1;
    }
    /* -e: the log for what nginx says before it has read error_log. */
    const char *argv[] = {NGINX, "-p", s->dir, "-c", conf, "-e", log_path, NULL};
    for (int try = 1;; try++) {
        /* nginx cannot take an inherited socket: find a free port, let it
         * go, and have nginx bind it. Another process may take it first, so
         * probe only once nginx wrote its pid file, which it does after
         * binding (the probe must not reach the other process). */
        int fd = listen_loopback(&s->port);
        if (fd < 0) {
            support_server_stop(s);
            return -1;
        }
        close(fd);
        if ((unlink(log_path) != 0 && errno != ENOENT) ||
            (unlink(pid_path) != 0 && errno != ENOENT)) {
            fprintf(stderr, "support: clean %s: %s\n", s->dir, strerror(errno));
            support_server_stop(s);
            return -1;
        }
        if (write_nginx_conf(s, conf, log_path, pid_path, cert, key) != 0) {
            support_server_stop(s);
            return -1;
        }
        int died;
        if (launch(s, argv, -1, log_path, NULL, pid_path, &died) == 0)
            break;
        if (died && try < NGINX_PORT_TRIES && log_says_in_use(log_path)) {
            fprintf(stderr, "support: port %d taken before nginx bound it, retrying\n",
                    s->port);
            continue;
        }
        dump_log(log_path);
        support_server_stop(s);
        return -1;
    }
    snprintf(s->url, sizeof s->url, "https://localhost:%d", s->port);
    return 0;
}

/* ----------------------------------------------------------- fault server */

int support_fault_start(support_server *s) {
    char log_path[320];
    memset(s, 0, sizeof *s);
    if (make_dir(s) != 0)
        return -1;
    int fd = listen_loopback(&s->port);
    if (fd < 0 || dir_path(s, "fault_server.log", log_path, sizeof log_path) != 0) {
        if (fd >= 0)
            close(fd);
        support_server_stop(s);
        return -1;
    }
    const char *argv[] = {PYTHON, "-I", FUTURL_SRCDIR "/test/fault_server.py",
                          "--fd", "3",  NULL};
    if (start_and_wait(s, argv, fd, log_path, "/_stats?path=/") != 0)
        return -1;
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
    return 0;
}

/* One number from the fault server's /_stats reply for path, or -1. */
static long fault_stat(const support_server *s, const char *path, const char *key) {
    char target[300], body[256], field[32];
    const char *why;
    snprintf(field, sizeof field, "\"%s\":", key);
    if (snprintf(target, sizeof target, "/_stats?path=%s", path) >= (int)sizeof target) {
        fprintf(stderr, "support: fault stats: path too long: %s\n", path);
        return -1;
    }
    int status = http_get(s->port, target, CONTROL_TIMEOUT_MS, body, sizeof body, &why);
    const char *at = status == 200 ? strstr(body, field) : NULL;
    if (at == NULL) {
        fprintf(stderr, "support: GET %s on port %d: %s (status %d, body \"%s\")\n",
                target, s->port, status < 0 ? why : "no such field", status,
                status < 0 ? "" : body);
        return -1;
    }
    return strtol(at + strlen(field), NULL, 10);
}

long support_fault_attempts(const support_server *s, const char *path) {
    return fault_stat(s, path, "attempts");
}

long support_fault_peak(const support_server *s, const char *path) {
    return fault_stat(s, path, "peak");
}

long support_fault_connections(const support_server *s) {
    return fault_stat(s, "/", "connections");
}

void support_fault_reset(const support_server *s) {
    char body[64];
    const char *why;
    int status =
        http_get(s->port, "/_reset", CONTROL_TIMEOUT_MS, body, sizeof body, &why);
    if (status != 200)
        fprintf(stderr, "support: GET /_reset on port %d failed: %s\n", s->port,
                status < 0 ? why : "status not 200");
}

struct futurl_executor *support_executor(unsigned workers, unsigned capacity) {
    futurl_executor_options o;
    futurl_executor_options_init(&o);
    o.workers = workers;
    if (capacity != 0)
        o.queue_capacity = capacity;
    futurl_executor *ex = NULL;
    futurl_status st = futurl_executor_create(&o, &ex);
    ck_assert_msg(st == FUTURL_OK, "futurl_executor_create(%u workers, capacity %u): %s",
                  workers, capacity, futurl_err_name(st));
    return ex;
}

int support_wait_one(struct futurl_future *f, int kind) {
    futurl_future *fs[1] = {f};
    switch (kind) {
    case SUPPORT_WAIT_FUTURE:
        return futurl_future_wait(f);
    case SUPPORT_WAIT_FOR:
        return futurl_future_wait_for(f, 10000);
    case SUPPORT_WAIT_GATHER:
        return futurl_gather(fs, 1, 10000, 0, NULL);
    case SUPPORT_WAIT_ANY:
        return futurl_wait_any(fs, 1, 10000, FUTURL_FIRST_COMPLETED, NULL);
    default: {
        futurl_as_completed *it = NULL;
        futurl_status st = futurl_as_completed_new(fs, 1, 10000, &it);
        if (st != FUTURL_OK)
            return st;
        futurl_future *next = NULL;
        st = futurl_as_completed_next(it, &next, NULL);
        futurl_as_completed_free(it);
        return st;
    }
    }
}

const char *support_wait_name(int kind) {
    static const char *const names[SUPPORT_WAIT_KINDS] = {
        "futurl_future_wait", "futurl_future_wait_for", "futurl_gather",
        "futurl_wait_any", "futurl_as_completed_next"};
    return kind >= 0 && kind < SUPPORT_WAIT_KINDS ? names[kind] : "?";
}

double support_cancel_running(struct futurl_client *c, const char *url, double after_s) {
    futurl_future *f = NULL;
    futurl_status st = futurl_get(c, url, &f);
    ck_assert_msg(st == FUTURL_OK, "futurl_get(%s): %s", url, futurl_err_name(st));
    for (int i = 0; i < 10000 && futurl_future_state(f) != FUTURL_RUNNING; i++)
        support_sleep_ms(1);
    support_sleep_ms((long)(after_s * 1000));
    ck_assert_msg(futurl_future_state(f) == FUTURL_RUNNING, "%s: state %d, not running",
                  url, (int)futurl_future_state(f));
    double t0 = support_now();
    ck_assert_int_eq(futurl_future_cancel(f), 1);
    futurl_future_wait(f);
    double took = support_now() - t0;
    ck_assert_int_eq(futurl_future_state(f), FUTURL_CANCELLED);
    ck_assert_msg(futurl_future_status(f) == FUTURL_ECANCELED,
                  "%s: status %s, not ECANCELED", url,
                  futurl_err_name(futurl_future_status(f)));
    /* It ran, so the response is there, with libcurl's code for how the
     * transfer stopped: the progress callback saw the cancel (42,
     * CURLE_ABORTED_BY_CALLBACK), or the shut-down socket got there first
     * (56 RECV_ERROR, 55 SEND_ERROR, 52 GOT_NOTHING, 18 PARTIAL_FILE; seen
     * under valgrind: 56). */
    ck_assert_ptr_nonnull(futurl_future_response(f));
    int code = futurl_future_curl_code(f);
    ck_assert_msg(code == 42 || code == 56 || code == 55 || code == 52 || code == 18,
                  "%s: curl code after cancel: %d", url, code);
    futurl_future_free(f);
    return took;
}

/* ------------------------------------------------------ HTTP client helpers */

void support_client_options(futurl_client_options *o, const char *base, unsigned workers,
                            unsigned attempts) {
    futurl_client_options_init(o);
    o->base_url = base;
    o->workers = workers;
    if (attempts != 0)
        o->retry.max_attempts = attempts;
}

futurl_client *support_client_opts(futurl_client_options *o, const char *base) {
    if (base != NULL)
        o->base_url = base;
    futurl_client *c = NULL;
    futurl_status st = futurl_client_create(o, &c);
    ck_assert_msg(st == FUTURL_OK, "futurl_client_create (base %s): %s",
                  o->base_url ? o->base_url : "none", futurl_err_name(st));
    return c;
}

futurl_client *support_client(const char *base, unsigned workers, unsigned attempts) {
    futurl_client_options o;
    support_client_options(&o, base, workers, attempts);
    return support_client_opts(&o, NULL);
}

futurl_request *support_request(const char *method, const char *url) {
    futurl_request *r = NULL;
    futurl_status st = futurl_request_new(method, url, &r);
    ck_assert_msg(st == FUTURL_OK, "futurl_request_new(%s, %s): %s", method, url,
                  futurl_err_name(st));
    return r;
}

futurl_future *support_run(futurl_client *c, futurl_request *r) {
    futurl_future *f = NULL;
    futurl_status st = futurl_client_submit(c, r, &f);
    ck_assert_msg(st == FUTURL_OK, "futurl_client_submit: %s", futurl_err_name(st));
    (void)futurl_future_wait(f);
    return f;
}

futurl_future *support_get(futurl_client *c, const char *url) {
    futurl_future *f = NULL;
    futurl_status st = futurl_get(c, url, &f); /* the one-liner, as a caller would */
    ck_assert_msg(st == FUTURL_OK, "futurl_get(%s): %s", url, futurl_err_name(st));
    (void)futurl_future_wait(f);
    return f;
}

futurl_future *support_get_ok_at(futurl_client *c, const char *url, int line) {
    futurl_future *f = support_get(c, url);
    futurl_status st = futurl_future_status(f);
    ck_assert_msg(st == FUTURL_OK, "line %d: GET %s: status %s (%s), want FUTURL_OK",
                  line, url, futurl_err_name(st), futurl_future_errmsg(f));
    return f;
}

const cJSON *support_json(futurl_future *f) {
    const futurl_response *r = futurl_future_response(f);
    ck_assert_msg(r != NULL, "no response (status %s: %s)",
                  futurl_err_name(futurl_future_status(f)), futurl_future_errmsg(f));
    const cJSON *j = futurl_response_json(r);
    ck_assert_msg(j != NULL, "not JSON (%s): %s", futurl_response_json_error(r),
                  futurl_response_body(r, NULL));
    return j;
}

const char *support_json_str(const cJSON *j, const char *k1, const char *k2) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k1);
    if (k2 != NULL)
        v = cJSON_GetObjectItemCaseSensitive(v, k2);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

long support_json_int(const cJSON *j, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    ck_assert_msg(cJSON_IsNumber(v), "no number \"%s\"", k);
    return (long)v->valuedouble;
}

int support_read_port_line(int fd, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    double deadline = support_now() + 20 * support_slack();
    while (strchr(buf, '\n') == NULL && len < size - 1 && support_now() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t got = read(fd, buf + len, size - 1 - len);
        if (got <= 0)
            break;
        len += (size_t)got;
        buf[len] = '\0';
    }
    int port;
    return sscanf(buf, "port %d", &port) == 1 ? port : -1;
}

int support_unix_socket_answers(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}
