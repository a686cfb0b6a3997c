/*
 * test/test_examples.c — every program in examples/ must keep working: each
 * runs against a local httpbin and has to exit 0 within its time bound and
 * print the lines that show its point (so an example cannot silently rot
 * when the library changes). Without a server, each must fail and tell the
 * reader to run `make serve`. The binaries come from `make examples`, which
 * `make test` runs first.
 *
 * Three examples need servers of another shape and have tests of their own
 * below the table: mock_test needs none, unix_socket talks to httpbin on a
 * Unix domain socket (started as `make serve-unix` starts it), and proxy
 * goes through test/proxy_server.py (as `make serve-proxy`) to httpbin; the
 * proxy's log shows what reached it. Without their servers they must name
 * their own make targets.
 */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

#include "futurl.h"

#include <cjson/cJSON.h>

/* ------------------------------------------------------ running a program */

typedef struct run_result {
    int exit_code; /* -1: killed, or no normal exit */
    double seconds;
    char out[64 * 1024]; /* stdout and stderr together, NUL-terminated */
} run_result;

/* Run FUTURL_BUILDDIR/examples/<name> base_url [arg], collecting its output;
 * killed after limit_s seconds. */
static void run_example(const char *name, const char *base_url, const char *arg,
                        double limit_s, run_result *r) {
    char path[512];
    snprintf(path, sizeof path, "%s/examples/%s", FUTURL_BUILDDIR, name);
    ck_assert_msg(access(path, X_OK) == 0, "%s is not built (make examples): %s", path,
                  strerror(errno));
    memset(r, 0, sizeof *r);
    r->exit_code = -1;

    /* Up to two extra words in arg ("3 1"), split on the space. */
    char words[64] = "";
    char *argv[6] = {path, (char *)base_url, NULL, NULL, NULL, NULL};
    if (arg != NULL) {
        snprintf(words, sizeof words, "%s", arg);
        argv[2] = words;
        char *space = strchr(words, ' ');
        if (space != NULL) {
            *space = '\0';
            argv[3] = space + 1;
        }
    }

    int pfd[2];
    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    fflush(NULL);
    double t0 = support_now();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* stdin is empty: an example that reads commands (loop_poll) sees
         * its end at once, whatever terminal runs the tests. */
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0 && dup2(devnull, 0) == 0 && dup2(pfd[1], 1) == 1 &&
            dup2(pfd[1], 2) == 2)
            execv(path, argv);
        _exit(127);
    }
    close(pfd[1]);

    size_t len = 0;
    double deadline = t0 + limit_s * support_slack();
    int killed = 0;
    for (;;) {
        int left_ms = (int)((deadline - support_now()) * 1000);
        if (left_ms <= 0) {
            kill(pid, SIGKILL);
            killed = 1;
            break;
        }
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        int n = poll(&p, 1, left_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue; /* the deadline check above ends the loop */
        ssize_t got = read(pfd[0], r->out + len, sizeof r->out - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* EOF: the program closed its output (exited) */
        len += (size_t)got;
        if (len == sizeof r->out - 1)
            break; /* full: the rest is not needed */
    }
    close(pfd[0]);
    r->out[len] = '\0';

    int status;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    r->seconds = support_now() - t0;
    ck_assert_int_eq(w, pid);
    if (!killed && WIFEXITED(status))
        r->exit_code = WEXITSTATUS(status);
    ck_assert_msg(!killed, "%s ran over %.0f s; output so far:\n%s", name,
                  limit_s * support_slack(), r->out);
}

/* Each of the NULL-terminated needles must occur in out, in this order. */
static void expect_in_order(const char *name, const char *out,
                            const char *const *needles) {
    const char *at = out;
    for (; *needles != NULL; needles++) {
        const char *hit = strstr(at, *needles);
        ck_assert_msg(hit != NULL, "%s: expected \"%s\" (in this order) in:\n%s", name,
                      *needles, out);
        at = hit + strlen(*needles);
    }
}

/* Each of the NULL-terminated needles must occur in out, anywhere. */
static void expect_anywhere(const char *name, const char *out,
                            const char *const *needles) {
    for (; *needles != NULL; needles++)
        ck_assert_msg(strstr(out, *needles) != NULL, "%s: expected \"%s\" in:\n%s", name,
                      *needles, out);
}

/* The number printed right after label, or -1. */
static double number_after(const char *out, const char *label) {
    const char *at = strstr(out, label);
    return at != NULL ? strtod(at + strlen(label), NULL) : -1.0;
}

/* --------------------------------------------------------- extra checks */

/* sync_vs_pool: 3 requests of 1 s each must overlap on the pool. */
static void check_speedup(const char *out) {
    double seq = number_after(out, "one after another:");
    double pool = number_after(out, "all on the pool:");
    double speedup = number_after(out, "speedup:");
    ck_assert_msg(seq >= 2.9, "sequential took %.2f s, expected >= 3 x 1 s", seq);
    ck_assert_msg(pool >= 0.95 && pool < 2.0 * support_slack(),
                  "pool took %.2f s, expected about 1 s", pool);
    ck_assert_msg(speedup >= 1.8, "speedup %.2f, expected about 3", speedup);
}

/* limit: 20 requests of 0.4 s, 5 at a time, take 4 waves (1.6 s) all three
 * ways, not 0.4 s (no limit) and not 8 s (no concurrency). */
static void check_waves(const char *out) {
    static const char *const parts[] = {"1. ", "2. ", "3. "};
    for (size_t i = 0; i < 3; i++) {
        const char *part = strstr(out, parts[i]);
        ck_assert_msg(part != NULL, "limit: no part %s", parts[i]);
        double took = number_after(part, "20 requests in");
        ck_assert_msg(took >= 1.5 && took < 3.2 * support_slack(),
                      "limit part %zu: %.2f s, expected about 1.6 s", i + 1, took);
    }
}

/* quick: all 50 answered, each with its own n, nothing reported as failed. */
static void check_quick(const char *out) {
    for (int i = 0; i < 50; i++) {
        char want[48];
        snprintf(want, sizeof want, "/get?n=%d: HTTP 200 n=%d\n", i, i);
        ck_assert_msg(strstr(out, want) != NULL, "quick: no line \"%s\" in:\n%s", want,
                      out);
    }
    ck_assert_msg(strstr(out, "(make serve?)") == NULL, "quick reported a failure:\n%s",
                  out);
}

/* debug_log: what each request sent and got, in order under its own id
 * (the two may interleave), and neither secret of examples/debug_log.c
 * anywhere: its bearer token and its session cookie. */
static void check_debug_log(const char *out) {
    static const char *const whoami[] = {"[whoami] > GET /bearer HTTP/1.1\n",
                                         "[whoami] > Authorization: Bearer ***\n",
                                         "[whoami] > Cookie: ***\n",
                                         "[whoami] < HTTP/1.1 200 OK\n",
                                         "[whoami] { ",
                                         NULL};
    static const char *const order[] = {"[order] > POST /anything/orders HTTP/1.1\n",
                                        "[order] > Authorization: Bearer ***\n",
                                        "[order] > Content-Type: application/json\n",
                                        "[order] } 22 bytes of body\n",
                                        "[order] < HTTP/1.1 200 OK\n",
                                        NULL};
    static const char *const cookie_notes[] = {"* Added cookie session=\"***\"", NULL};
    expect_in_order("debug_log", out, whoami);
    expect_in_order("debug_log", out, order);
    expect_anywhere("debug_log", out, cookie_notes);
    static const char *const secrets[] = {"s3cret-token-4242", "8f14e45fceea167a"};
    for (size_t i = 0; i < 2; i++)
        ck_assert_msg(strstr(out, secrets[i]) == NULL, "debug_log shows \"%s\":\n%s",
                      secrets[i], out);
}

/* ------------------------------------------------------------ the table */

typedef struct example_case {
    const char *name;
    const char *arg;    /* after the base URL; NULL: none */
    double max_seconds; /* times support_slack() */
    const char *in_order[12];
    const char *anywhere[6];
    void (*check)(const char *out);
} example_case;

/* One example per block; clang-format would put every field on a line. */
/* clang-format off */
static const example_case cases[] = {
    {"hello", NULL, 5,
     {"status:       200", "greeting:     hello from C", "user agent:   futurl/", NULL},
     {NULL}, NULL},
    {"quick", NULL, 8,
     {"/get?n=0: HTTP 200 n=0\n", "/get?n=1: HTTP 200 n=1\n", "/get?n=49: HTTP 200 n=49\n",
      NULL},
     {NULL}, check_quick},
    {"gather", NULL, 8,
     {"return_exceptions=True", "HTTP 404", "FUTURL_EHTTP", "FUTURL_ETIMEDOUT",
      "FUTURL_ECONNECT", "3 ok, 3 failed, 0 cancelled", "FUTURL_CANCEL_ON_ERROR",
      "0 ok, 1 failed, 2 cancelled", NULL},
     {NULL}, NULL},
    {"as_completed", NULL, 10,
     {"s  /get ", "s  /delay/1 ", "s  /delay/2 ", "winner: /delay/0.2?replica=fast (ok)",
      "cancelled the loser: /delay/2?replica=slow", NULL},
     {NULL}, NULL},
    {"limit", NULL, 12,
     {"1. the pool is the semaphore", "20 requests in", "on 5 workers", "2. a window",
      "20 requests in", "on 20 workers, at most 5 at once", "3. max_per_host = 5",
      "20 requests in", NULL},
     {NULL}, check_waves},
    {"retry", NULL, 8,
     {"attempt 1: GET /status/503", "attempt 3: GET /status/200  -> HTTP 200, done",
      "attempt 4: GET /status/503", "giving up after 4 attempts",
      "HTTP 404, not worth retrying", "2. futurl's retry policy", "attempt 3: HTTP 503",
      "after 4 attempt(s)", "after 1 attempt(s)", NULL},
     {NULL}, NULL},
    {"timeout", NULL, 10,
     {"FUTURL_EPENDING, request still running: yes", "ended FUTURL_ECANCELED",
      "1 attempt(s): FUTURL_ETIMEDOUT", "attempt(s): FUTURL_ETIMEDOUT",
      "/delay/0.2  done", "/delay/5    cancelled", "/delay/0.5  done", NULL},
     {NULL}, NULL},
    {"methods_json", NULL, 5,
     {"POST /post       HTTP 200  json seen: {\"languages\":[\"C\",\"Python\"],\"name\":\"Ada\"}",
      "PUT /put         HTTP 200  json seen:", "PATCH /patch     HTTP 200  json seen:",
      "DELETE /delete   HTTP 200", "HEAD /get        HTTP 200  Content-Length:",
      "OPTIONS /get     HTTP 200  Allow:", "json seen: {\"raw\":true}",
      "form seen: {\"name\":\"Ada Lovelace\"}", NULL},
     {NULL}, NULL},
    {"pagination", NULL, 5,
     {"11 pages of 256 bytes", "11 ok, 0 failed", "flattened 2600 of 2600 bytes",
      "in order", NULL},
     {NULL}, NULL},
    {"fan_out", NULL, 5,
     {"/links/8/0 links to 7 pages", "/links/8/1 ", "/links/8/7 ",
      "fetched 7 of 7 pages concurrently", NULL},
     {NULL}, NULL},
    {"api_client", NULL, 8,
     {"/get         ok      after 1 attempt(s)", "/status/503  failed  after 3 attempt(s)",
      "/status/404  failed  after 1 attempt(s)", "3 of 5 ok", "\"client_ip\":",
      "futurl-api-example/1.0", "\"request_id\":", NULL},
     {NULL}, NULL},
    {"streaming", NULL, 8,
     {"chunks, 102400 bytes, FNV-1a", "chunk 5: 1 byte(s)",
      "stopped with FUTURL_EABORTED after 10 bytes", "the file holds 102400 bytes", NULL},
     {NULL}, NULL},
    {"stream_pull", NULL, 8,
     {"1. stop early:", "headers: HTTP 200, Content-Type application/octet-stream",
      "never more than 16 KB buffered: yes", "2. read to the end:",
      "FUTURL_OK after 102400 bytes, FNV-1a", "3. poll() the stream's fd:",
      "FUTURL_OK after 4 bytes", NULL},
     {NULL}, NULL},
    {"trace_events", NULL, 8,
     {"# TYPE futurl_attempt_duration_seconds histogram",
      "futurl_attempt_duration_seconds_bucket{le=\"+Inf\"} 7",
      "futurl_attempt_duration_seconds_count 7",
      "span trace_id=ex-3 name=\"HTTP GET\"", "http.response.status_code=503, futurl.attempts=3",
      "  child name=\"attempt 3\"", "  event name=\"retry\" attributes={delay_ms=",
      "reason=\"attempt 1: HTTP 503, backoff", "span trace_id=ex-5", NULL},
     {NULL}, NULL},
    {"upload_multipart", NULL, 8,
     {"1. four kinds of part", "HTTP 200; httpbin saw:", "form  title  6 bytes: report",
      "files meta   7 bytes: {\"v\":1}", "files notes  28 bytes: notes from disk",
      "files lines  180 bytes: line 001", "2. a streamed part and retries",
      /* httpbin may answer 503 before libcurl has read the part (libcurl
       * then stops the upload), so how many attempts read it varies: the
       * rewinds and the refusal are checked exactly in test_multipart,
       * against a server that always reads the body first. */
      "with rewind:     FUTURL_EHTTP after 3 attempt(s), ", "without rewind:  FUTURL_EHTTP after ",
      NULL},
     {NULL}, NULL},
    {"background", NULL, 8,
     {"request started in the background", "other work:",
      "background request finished: HTTP 200, task=background", NULL},
     {NULL}, NULL},
    {"run_in_executor", NULL, 8,
     {"GET /uuid                   HTTP 200", "25997 primes", "bytes, FNV-1a",
      "FUTURL_EIO: cannot open /nonexistent/futurl.conf", "4 ok, 1 failed", NULL},
     {NULL}, NULL},
    {"callbacks", NULL, 5,
     {"submitting 5 requests", "all callbacks ran: yes (6 ok)",
      "callback on main thread: /get (already done)", NULL},
     {"callback on a worker: /status/418", "HTTP 418", "following up",
      "callback on a worker: /anything/<uuid>", NULL},
     NULL},
    {"loop_poll", NULL, 10,
     {"20 requests submitted; type status, cancel or quit", "[main thread]  1/20",
      "[main thread] 20/20", "20 of 20 completions arrived on the main thread", NULL},
     {"stdin closed;", "/status/418  FUTURL_OK  HTTP 418",
      "/delay/0.9   FUTURL_OK  HTTP 200", NULL},
     NULL},
    {"loop_libuv", NULL, 10,
     {"20 requests submitted; the loop runs", "[loop thread]  1/20",
      "[loop thread] 20/20", "20 of 20 callbacks ran on the loop thread, beside", NULL},
     {"[loop thread] tick 1, ", NULL},
     NULL},
    {"loop_glib", NULL, 10,
     {"20 requests submitted; the main loop runs", "[main thread]  1/20",
      "[main thread] 20/20",
      "20 of 20 completions arrived on the main thread, beside", NULL},
     {"[main thread] tick 1, ", NULL},
     NULL},
    {"debug_log", NULL, 8,
     {"[whoami] HTTP 200, authenticated: true",
      "[order] HTTP 200, the server got item \"tea\"", NULL},
     {NULL}, check_debug_log},
    /* Small N in the test: ~3 s one after another, ~1 s on the pool. */
    {"sync_vs_pool", "3 1", 10,
     {"3 requests to", "one after another:", "all on the pool:", "(3 workers)", "speedup:",
      NULL},
     {NULL}, check_speedup},
};
/* clang-format on */
enum { N_CASES = sizeof cases / sizeof cases[0] };

/* --------------------------------------------------------------- tests */

static support_server httpbin;

static void start_httpbin(void) {
    ck_assert_msg(support_httpbin_start(&httpbin) == 0, "httpbin did not start");
}

static void stop_httpbin(void) {
    support_server_stop(&httpbin);
}

static run_result result; /* big: static, not on the stack */

START_TEST(example_runs) {
    const example_case *c = &cases[_i];
    run_example(c->name, httpbin.url, c->arg, c->max_seconds, &result);
    ck_assert_msg(result.exit_code == 0, "%s exited %d; output:\n%s", c->name,
                  result.exit_code, result.out);
    expect_in_order(c->name, result.out, c->in_order);
    expect_anywhere(c->name, result.out, c->anywhere);
    if (c->check != NULL)
        c->check(result.out);
}
END_TEST

/* A loopback port with nothing listening: bound (so no one else takes it
 * while the test runs) but never listen()ed, so connecting is refused. */
static int dead_port(int *fd_out) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *fd_out = fd;
    return ntohs(sa.sin_port);
}

START_TEST(example_without_server_says_make_serve) {
    const example_case *c = &cases[_i];
    int fd;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", dead_port(&fd));
    run_example(c->name, url, c->arg, 10, &result);
    close(fd);
    ck_assert_msg(result.exit_code > 0, "%s exited %d with no server; output:\n%s",
                  c->name, result.exit_code, result.out);
    ck_assert_msg(strstr(result.out, "make serve") != NULL,
                  "%s does not say how to start the server; output:\n%s", c->name,
                  result.out);
}
END_TEST

/* mock_test needs no server at all (the mock transport answers): it runs
 * with a base URL where nothing listens, and must pass every check. */
START_TEST(mock_test_needs_no_server) {
    int fd;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", dead_port(&fd));
    run_example("mock_test", url, NULL, 8, &result);
    close(fd);
    ck_assert_msg(result.exit_code == 0, "mock_test exited %d; output:\n%s",
                  result.exit_code, result.out);
    static const char *const in_order[] = {
        "1. a 503, then a 200",
        "fetch_user(1): FUTURL_OK, name \"Ada\", 2 attempt(s), the server saw 2",
        "PASS  fetch_user(1) gives Ada",
        "PASS  after 2 attempts, both seen by the server",
        "2. an answer 5 s late, a 300 ms deadline",
        "fetch_user(2): FUTURL_ETIMEDOUT after 0.",
        "PASS  fetch_user(2) times out",
        "PASS  at the deadline",
        "3. a list in three pages",
        "page 1: Ada",
        "page 3: Donald",
        "list_users: FUTURL_OK, 6 users on 3 pages",
        "PASS  list_users walks all 3 pages",
        "PASS  no request went unanswered",
        "all passed: 0 failure(s)",
        NULL};
    expect_in_order("mock_test", result.out, in_order);
    ck_assert_msg(strstr(result.out, "FAIL") == NULL, "mock_test: a check failed:\n%s",
                  result.out);
}
END_TEST

/* ------------------------------------------------ servers of other shapes */

/* Start argv (argv[0] an absolute path) in a process group of its own, so
 * a stop reaches gunicorn's workers too, with stdout on out_fd (-1:
 * /dev/null); it gets SIGTERM if this process dies first. */
static pid_t spawn_server(const char *const *argv, int out_fd) {
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int out = out_fd >= 0 ? out_fd : open("/dev/null", O_WRONLY);
        if (out >= 0 && dup2(out, 1) == 1)
            execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    setpgid(pid, pid); /* also here: no window where a stop misses it */
    return pid;
}

/* SIGTERM to the group, SIGKILL after 10 s; idempotent. */
static void stop_server(pid_t *pid) {
    if (*pid <= 0)
        return;
    kill(-*pid, SIGTERM);
    int status;
    double deadline = support_now() + 10;
    while (waitpid(*pid, &status, WNOHANG) == 0) {
        if (support_now() > deadline) {
            kill(-*pid, SIGKILL);
            waitpid(*pid, &status, 0);
            break;
        }
        support_sleep_ms(20);
    }
    kill(-*pid, SIGKILL); /* workers left by a master that died first */
    *pid = 0;
}

/* httpbin on a Unix domain socket in a temporary directory, started the
 * way `make serve-unix` starts it: examples/serve.sh unix:PATH. */
static char unix_dir[64], unix_sock[96];
static pid_t unix_pid;

static void start_unix_httpbin(void) {
    snprintf(unix_dir, sizeof unix_dir, "/tmp/futurl-examples-XXXXXX");
    ck_assert_msg(mkdtemp(unix_dir) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(unix_sock, sizeof unix_sock, "%s/httpbin.sock", unix_dir);
    char bind[128];
    snprintf(bind, sizeof bind, "unix:%s", unix_sock);
    const char *const argv[] = {"/bin/sh", FUTURL_SRCDIR "/examples/serve.sh", bind,
                                NULL};
    unix_pid = spawn_server(argv, -1);
    double deadline = support_now() + 20 * support_slack();
    while (!support_unix_socket_answers(unix_sock) && support_now() < deadline &&
           waitpid(unix_pid, NULL, WNOHANG) == 0)
        support_sleep_ms(20);
    ck_assert_msg(support_unix_socket_answers(unix_sock), "httpbin did not listen on %s",
                  unix_sock);
}

static void stop_unix_httpbin(void) {
    stop_server(&unix_pid);
    unlink(unix_sock); /* gunicorn removes it; not if it was killed */
    rmdir(unix_dir);
}

/* test/proxy_server.py wanting ada:s3cret, as `make serve-proxy` starts
 * it, in front of its own httpbin; bounded wait for its "port N" line. */
#define PROXY_BASIC "Basic YWRhOnMzY3JldA==" /* base64("ada:s3cret") */
static pid_t proxy_pid;
static char proxy_url[64];

static void start_proxy_and_httpbin(void) {
    start_httpbin();
    int pfd[2];
    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    const char *const argv[] = {
        "/usr/bin/python3", "-I", FUTURL_SRCDIR "/test/proxy_server.py",
        "--port",           "0",  "--user",
        "ada:s3cret",       NULL};
    proxy_pid = spawn_server(argv, pfd[1]);
    close(pfd[1]);
    char buf[64];
    int port = support_read_port_line(pfd[0], buf, sizeof buf);
    close(pfd[0]);
    ck_assert_msg(port > 0, "the proxy did not start: \"%s\"", buf);
    snprintf(proxy_url, sizeof proxy_url, "http://127.0.0.1:%d", port);
}

static void stop_proxy_and_httpbin(void) {
    stop_server(&proxy_pid);
    stop_httpbin();
}

/* What the proxy recorded (a JSON array, new): asked of it directly. */
static cJSON *proxy_log(void) {
    futurl_client *c = support_client(NULL, 1, 1);
    char url[96];
    snprintf(url, sizeof url, "%s/_log", proxy_url);
    futurl_future *f = support_get_ok(c, url);
    cJSON *copy = cJSON_Duplicate(support_json(f), 1);
    futurl_future_free(f);
    futurl_client_destroy(c);
    return copy;
}

/* ------------------------------------------------- their examples' tests */

/* unix_socket: the answers came from the server on the socket. The base's
 * host, docker.invalid, resolves nowhere (RFC 2606), so no TCP server
 * could have echoed it back. */
START_TEST(unix_socket_talks_through_the_socket) {
    run_example("unix_socket", unix_sock, "http://docker.invalid", 8, &result);
    ck_assert_msg(result.exit_code == 0, "unix_socket exited %d; output:\n%s",
                  result.exit_code, result.out);
    char head[160];
    snprintf(head, sizeof head, "3 requests at once over %s;", unix_sock);
    const char *const in_order[] = {
        head, "  HTTP 200  http://docker.invalid/anything/v1.43/containers/json?all=1\n",
        "  HTTP 200  http://docker.invalid/anything/v1.43/images/json\n",
        "  HTTP 200  http://docker.invalid/anything/v1.43/info\n", NULL};
    expect_in_order("unix_socket", result.out, in_order);
}
END_TEST

/* A socket path where nothing listens: fail, naming `make serve-unix`. */
START_TEST(unix_socket_without_server_says_make_serve_unix) {
    char dir[] = "/tmp/futurl-examples-XXXXXX", path[64];
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(path, sizeof path, "%s/nobody.sock", dir);
    run_example("unix_socket", path, NULL, 10, &result);
    rmdir(dir);
    ck_assert_msg(result.exit_code > 0, "unix_socket exited %d with no server:\n%s",
                  result.exit_code, result.out);
    const char *const needles[] = {"could not connect", "make serve-unix", NULL};
    expect_anywhere("unix_socket", result.out, needles);
}
END_TEST

/* proxy: its output, and what the proxy saw: part 1 with the credentials,
 * part 2 without, part 3 not at all (no_proxy). The environment's no_proxy
 * (main sets 127.0.0.1) is the example's to set aside. */
START_TEST(proxy_goes_through_the_proxy) {
    run_example("proxy", proxy_url, httpbin.url, 10, &result);
    ck_assert_msg(result.exit_code == 0, "proxy exited %d; output:\n%s", result.exit_code,
                  result.out);
    char part[3][160], first[96], second[96];
    for (int i = 0; i < 3; i++)
        snprintf(part[i], sizeof part[i], "GET %s/headers?part=%d\n", httpbin.url, i + 1);
    snprintf(first, sizeof first, "1. through %s as ada\n", proxy_url);
    snprintf(second, sizeof second, "2. through %s without credentials\n", proxy_url);
    const char *const in_order[] = {
        first,
        part[0],
        "HTTP 200 from the origin, which saw Proxy-Authorization: none\n",
        second,
        part[1],
        "HTTP 407 from the proxy, Proxy-Authenticate: Basic realm=\"futurl-test\"\n",
        "3. no_proxy = \"127.0.0.1\", without credentials\n",
        part[2],
        "HTTP 200 straight from the origin; the proxy was not asked\n",
        NULL};
    expect_in_order("proxy", result.out, in_order);

    cJSON *log = proxy_log();
    char *text = cJSON_PrintUnformatted(log);
    ck_assert_msg(cJSON_GetArraySize(log) == 2, "the proxy saw %d requests, want 2: %s",
                  cJSON_GetArraySize(log), text);
    const char *const want_auth[] = {PROXY_BASIC, NULL};
    for (int i = 0; i < 2; i++) {
        const cJSON *rec = cJSON_GetArrayItem(log, i);
        char target[160];
        snprintf(target, sizeof target, "%s/headers?part=%d", httpbin.url, i + 1);
        support_assert_str_or_null(support_json_str(rec, "method", NULL), "GET");
        support_assert_str_or_null(support_json_str(rec, "target", NULL), target);
        support_assert_str_or_null(support_json_str(rec, "proxy_authorization", NULL),
                                   want_auth[i]);
    }
    free(text);
    cJSON_Delete(log);
}
END_TEST

/* No proxy and no httpbin: fail, naming both make targets. */
START_TEST(proxy_without_servers_says_make_serve_proxy) {
    int fd1, fd2;
    char proxy[64], base[64];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", dead_port(&fd1));
    snprintf(base, sizeof base, "http://127.0.0.1:%d", dead_port(&fd2));
    run_example("proxy", proxy, base, 10, &result);
    close(fd1);
    close(fd2);
    ck_assert_msg(result.exit_code > 0, "proxy exited %d with no servers:\n%s",
                  result.exit_code, result.out);
    const char *const needles[] = {"`make serve`", "`make serve-proxy`", NULL};
    expect_anywhere("proxy", result.out, needles);
}
END_TEST

static Suite *examples_suite(void) {
    Suite *s = suite_create("examples");
    /* Each test runs one example; the slowest (sync_vs_pool, limit) take
     * about 4-5 s. */
    TCase *tc = tcase_create("against httpbin");
    tcase_add_unchecked_fixture(tc, start_httpbin, stop_httpbin);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, example_runs, 0, N_CASES);
    suite_add_tcase(s, tc);

    tc = tcase_create("no server");
    tcase_set_timeout(tc, 15);
    tcase_add_loop_test(tc, example_without_server_says_make_serve, 0, N_CASES);
    suite_add_tcase(s, tc);

    tc = tcase_create("mock transport");
    tcase_set_timeout(tc, 15);
    tcase_add_test(tc, mock_test_needs_no_server);
    suite_add_tcase(s, tc);

    tc = tcase_create("unix socket");
    tcase_add_unchecked_fixture(tc, start_unix_httpbin, stop_unix_httpbin);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, unix_socket_talks_through_the_socket);
    tcase_add_test(tc, unix_socket_without_server_says_make_serve_unix);
    suite_add_tcase(s, tc);

    tc = tcase_create("proxy");
    tcase_add_unchecked_fixture(tc, start_proxy_and_httpbin, stop_proxy_and_httpbin);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, proxy_goes_through_the_proxy);
    tcase_add_test(tc, proxy_without_servers_says_make_serve_proxy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    /* The examples talk to loopback only: keep a proxy from the
     * environment (which libcurl honours) out of the way. */
    if (setenv("no_proxy", "127.0.0.1,localhost", 1) != 0)
        return EXIT_FAILURE;
    /* examples/proxy reads its credentials from these, else make
     * serve-proxy's, which the test's proxy wants. */
    if (unsetenv("PROXY_USER") != 0 || unsetenv("PROXY_PASSWORD") != 0)
        return EXIT_FAILURE;
    SRunner *sr = srunner_create(examples_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
