/*
 * test/alloc_sweep.c — the failing-allocator sweep (make alloc-sweep): a
 * representative program run once for every N, with the Nth allocation
 * made to fail (test/alloc_fail.h: the library's own, libcurl's and
 * cJSON's), from N = 1 until a run completes without an injected failure.
 *
 * alloc_sweep [--valgrind] [--jobs J]: the sweep. It starts the fault
 * server and makes one run for N = 1, 2, ..., J at a time, each in a
 * process of its own forked from this one (which has called
 * curl_global_init_mem and nothing else of libcurl's), with a timeout.
 * With --valgrind each run is `valgrind alloc_sweep run URL N` instead.
 * It prints one line: how many N, how many runs bad (a bad run's output
 * is printed whole). Exit 0 iff no run was bad.
 *
 * alloc_sweep run URL N: one run, the Nth allocation failing (0: none).
 * Exit 0: clean, a failure was injected; 2: clean, nothing was injected
 * (the sweep ends there); 3: a rule below was broken (a message on
 * stderr); 4: clean, but libcurl sent a request without its query (a
 * libcurl 7.88 defect under out-of-memory, counted apart in the summary:
 * futurl cannot see it happen). A crash, a leak (LSan, valgrind) or a hang
 * (the sweep's timeout) is any other exit.
 *
 * The program: a client with 2 workers, retries, a per-host limit, static
 * cookies and the jar; 5 GETs to the fault server, one of them answered
 * 503 and retried; a generic job on the client's pool; a gather; each
 * JSON body parsed; destroy. The rules: every call either succeeds or
 * fails with a futurl status, and fails only if a failure was injected;
 * every future is finished once destroy returns and its done-callback ran
 * exactly once (none if registering it failed); a JSON parse that failed
 * for want of memory succeeds when asked again; without an injection,
 * every outcome is the expected one.
 */
#include "alloc_fail.h"
#include "support.h"

#include "futurl.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#define NGETS             5
#define NFUT              (NGETS + 1)
#define RUN_TIMEOUT_S     30.0     /* one run, ASan build */
#define RUN_TIMEOUT_VG_S  240.0    /* one run under valgrind */
#define GATHER_TIMEOUT_MS 20000L   /* far above a run's few milliseconds */
#define MAX_N             100000ul /* a sweep that never ends is a bug */

/* ------------------------------------------------------------ one run */

static int broken;        /* rules broken in this run */
static int dropped_query; /* requests libcurl sent without their query */

#define RULE(cond, ...)                                                                  \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "alloc_sweep:%d: ", __LINE__);                               \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
            broken++;                                                                    \
        }                                                                                \
    } while (0)

/* A call failed: legal only with an injected failure. */
#define MAY_FAIL(st, what)                                                               \
    RULE((st) == FUTURL_OK || alloc_fail_injected(),                                     \
         "%s: %s (%s) with nothing injected", what, futurl_err_name(st),                 \
         futurl_strerror(st))

static void on_done(futurl_future *f, void *userdata) {
    (void)f;
    atomic_fetch_add((atomic_int *)userdata, 1);
}

/* The generic job: a little work and a result of its own. */
static futurl_status job_fn(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)arg;
    char *text = malloc(32);
    if (text == NULL)
        return FUTURL_ENOMEM;
    snprintf(text, 32, "job done");
    *result = text;
    return FUTURL_OK;
}

static const char *const paths[NGETS] = {"/ok", "/status?code=503", "/ok?delay_ms=10",
                                         "/ok", "/ok"};

/* What path i answers when all goes well. */
static long expected_status(int i) {
    return strstr(paths[i], "503") ? 503 : 200;
}

static void check_http(futurl_future *f, int i) {
    futurl_status st = futurl_future_status(f);
    const futurl_response *r = futurl_future_response(f);
    if (st != FUTURL_OK) {
        RULE(alloc_fail_injected(), "GET %s: %s (%s) with nothing injected", paths[i],
             futurl_err_name(st), futurl_future_errmsg(f) ? futurl_future_errmsg(f) : "");
        return;
    }
    RULE(r != NULL, "GET %s: FUTURL_OK without a response", paths[i]);
    if (r == NULL)
        return;
    long status = futurl_response_status(r);
    const char *body = futurl_response_body(r, NULL);
    if (expected_status(i) == 503 && status == 200 && alloc_fail_injected() &&
        strncmp(body, "{\"status\": 200}", 15) == 0) {
        /* /status without its ?code=503: libcurl 7.88 ignores a failed
         * allocation of the query (url.c: (void)curl_url_get(uh,
         * CURLUPART_QUERY, ...)) and sends the request without it. */
        dropped_query++;
        return;
    }
    RULE(status == expected_status(i),
         "GET %s: status %ld, expected %ld (attempt %u, body %.80s)", paths[i], status,
         expected_status(i), futurl_response_attempts(r), body);
    if (expected_status(i) == 503)
        RULE(futurl_response_attempts(r) == 3 || alloc_fail_injected(),
             "GET %s: %u attempts with nothing injected, expected 3", paths[i],
             futurl_response_attempts(r));
    const cJSON *j = futurl_response_json(r);
    if (j == NULL) {
        const char *why = futurl_response_json_error(r);
        RULE(alloc_fail_injected(), "GET %s: JSON failed (%s) with nothing injected",
             paths[i], why ? why : "no message");
        /* Only the Nth allocation fails: asked again, it must parse. */
        j = futurl_response_json(r);
        RULE(j != NULL,
             "GET %s: JSON failed again (%s): an out-of-memory failure was "
             "kept",
             paths[i],
             futurl_response_json_error(r) ? futurl_response_json_error(r) : "");
    }
    if (j != NULL)
        RULE(futurl_response_json_error(r) == NULL, "GET %s: JSON parsed, yet an error",
             paths[i]);
}

/* One run; libcurl_ready: curl_global_init_mem was called already (by the
 * sweep, before it forked this process). */
static int run_once(const char *base, unsigned long n, int libcurl_ready) {
    if (!libcurl_ready && alloc_fail_install_curl() != 0) {
        fprintf(stderr, "alloc_sweep: curl_global_init_mem failed\n");
        return 3;
    }
    alloc_fail_install_cjson();
    alloc_fail_reset();
    alloc_fail_at(n);

    futurl_future *fs[NFUT] = {0};
    atomic_int calls[NFUT];
    int registered[NFUT] = {0};
    for (int i = 0; i < NFUT; i++)
        atomic_init(&calls[i], 0);

    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = 2;
    o.max_per_host = 2;
    o.cookies = "sweep=1";
    o.retry.max_attempts = 3;
    o.retry.base_delay_ms = 1;
    o.retry.max_delay_ms = 5;
    futurl_client *c = NULL;
    futurl_status st = futurl_client_create(&o, &c);
    MAY_FAIL(st, "futurl_client_create");
    if (st == FUTURL_OK) {
        char url[256];
        for (int i = 0; i < NGETS; i++) {
            snprintf(url, sizeof url, "%s%s", base, paths[i]);
            st = futurl_get(c, url, &fs[i]);
            MAY_FAIL(st, "futurl_get");
            if (st != FUTURL_OK) {
                fs[i] = NULL;
                continue;
            }
            st = futurl_future_on_done(fs[i], on_done, &calls[i]);
            MAY_FAIL(st, "futurl_future_on_done");
            registered[i] = st == FUTURL_OK;
        }
        st = futurl_executor_submit(futurl_client_executor(c), job_fn, NULL, NULL, free,
                                    &fs[NGETS]);
        MAY_FAIL(st, "futurl_executor_submit");
        if (st != FUTURL_OK)
            fs[NGETS] = NULL;
        else if ((st = futurl_future_on_done(fs[NGETS], on_done, &calls[NGETS])) ==
                 FUTURL_OK)
            registered[NGETS] = 1;
        else
            MAY_FAIL(st, "futurl_future_on_done");

        futurl_future *live[NFUT];
        size_t k = 0;
        for (int i = 0; i < NFUT; i++)
            if (fs[i] != NULL)
                live[k++] = fs[i];
        futurl_gather_counts counts;
        st = k > 0 ? futurl_gather(live, k, GATHER_TIMEOUT_MS, 0, &counts) : FUTURL_OK;
        RULE(st != FUTURL_EPENDING, "gather: not finished in %ld ms", GATHER_TIMEOUT_MS);
        MAY_FAIL(st, "futurl_gather");
        if (st == FUTURL_ENOMEM) /* wait one by one instead */
            for (size_t i = 0; i < k; i++) {
                (void)futurl_future_wait_for(live[i], GATHER_TIMEOUT_MS);
                RULE(futurl_future_done(live[i]), "future %zu: not finished in %ld ms", i,
                     GATHER_TIMEOUT_MS);
            }

        for (int i = 0; i < NGETS; i++)
            if (fs[i] != NULL && futurl_future_done(fs[i]))
                check_http(fs[i], i);
        if (fs[NGETS] != NULL && futurl_future_done(fs[NGETS])) {
            st = futurl_future_status(fs[NGETS]);
            MAY_FAIL(st, "the generic job");
            const char *res = futurl_future_result(fs[NGETS]);
            if (st == FUTURL_OK)
                RULE(res != NULL && strcmp(res, "job done") == 0, "job result: %s",
                     res ? res : "(null)");
        }
        futurl_client_destroy(c);
    }

    /* Exactly once: every future finished, every callback ran once. */
    for (int i = 0; i < NFUT; i++) {
        if (fs[i] == NULL)
            continue;
        RULE(futurl_future_done(fs[i]), "future %d: not finished after destroy", i);
        int got = atomic_load(&calls[i]), want = registered[i];
        RULE(got == want, "future %d: done-callback ran %d times, expected %d", i, got,
             want);
        futurl_future_free(fs[i]);
    }
    int injected = alloc_fail_injected();
    unsigned long counted = alloc_fail_count();
    curl_global_cleanup();
    cJSON_InitHooks(NULL);
    if (broken)
        return 3;
    if (dropped_query)
        return 4;
    if (!injected) {
        if (n != 0)
            fprintf(stderr, "alloc_sweep: N=%lu: nothing injected (%lu allocations)\n", n,
                    counted);
        return 2;
    }
    return 0;
}

/* ------------------------------------------------------------ the sweep */

typedef struct child {
    pid_t pid;
    unsigned long n;
    double started;
    char log[64];
} child;

static const char *self_path;
static int use_valgrind;

static pid_t spawn(const char *url, unsigned long n, const char *log) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    FILE *out = fopen(log, "w");
    if (out == NULL || dup2(fileno(out), 1) < 0 || dup2(fileno(out), 2) < 0)
        _exit(120);
    if (!use_valgrind) /* the run itself, in this fresh process: no exec */
        exit(run_once(url, n, 1));
    char nbuf[32];
    snprintf(nbuf, sizeof nbuf, "%lu", n);
    execlp("valgrind", "valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
           "--show-leak-kinds=definite,indirect",
           "--errors-for-leak-kinds=definite,indirect",
           "--suppressions=" FUTURL_SRCDIR "/test/valgrind.supp", self_path, "run", url,
           nbuf, (char *)NULL);
    perror("alloc_sweep: exec");
    _exit(121);
}

static void print_log(const char *log) {
    FILE *in = fopen(log, "r");
    char line[1024];
    int lines = 0;
    while (in != NULL && fgets(line, sizeof line, in) != NULL && lines++ < 80)
        fprintf(stderr, "    %s", line);
    if (in != NULL)
        fclose(in);
}

static int sweep(unsigned jobs) {
    support_server srv;
    if (support_fault_start(&srv) != 0) {
        fprintf(stderr, "alloc_sweep: the fault server did not start\n");
        return 1;
    }
    char dir[] = "/tmp/alloc_sweep.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("alloc_sweep: mkdtemp");
        support_server_stop(&srv);
        return 1;
    }
    /* libcurl's global init (OpenSSL's) once, here, for every forked run:
     * half of a run's CPU otherwise. Its allocations are counted from the
     * start; a run's own libcurl allocations go through the same hooks. */
    if (!use_valgrind && alloc_fail_install_curl() != 0) {
        fprintf(stderr, "alloc_sweep: curl_global_init_mem failed\n");
        support_server_stop(&srv);
        return 1;
    }
    double timeout = use_valgrind ? RUN_TIMEOUT_VG_S : RUN_TIMEOUT_S;
    double t0 = support_now();
    child kids[16];
    unsigned running = 0;
    unsigned long next = 1, last_n = 0, runs = 0, bad = 0, clean_at = 0,
                  libcurl_defects = 0;
    while (running > 0 || (clean_at == 0 && next <= MAX_N)) {
        while (clean_at == 0 && running < jobs && next <= MAX_N) {
            child *k = &kids[running];
            k->n = next++;
            snprintf(k->log, sizeof k->log, "%s/%lu.log", dir, k->n);
            k->started = support_now();
            k->pid = spawn(srv.url, k->n, k->log);
            if (k->pid < 0) {
                perror("alloc_sweep: fork");
                clean_at = k->n; /* stop launching; count what ran */
                break;
            }
            running++;
        }
        support_sleep_ms(2);
        for (unsigned i = 0; i < running;) {
            child *k = &kids[i];
            int status = 0;
            pid_t got = waitpid(k->pid, &status, WNOHANG);
            int timed_out = 0;
            if (got == 0 && support_now() - k->started > timeout) {
                kill(k->pid, SIGKILL);
                waitpid(k->pid, &status, 0);
                timed_out = 1;
            } else if (got == 0) {
                i++;
                continue;
            }
            runs++;
            if (k->n > last_n)
                last_n = k->n;
            int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            if (!timed_out && rc == 4) {
                libcurl_defects++;
            } else if (!timed_out && rc == 2) {
                if (clean_at == 0 || k->n < clean_at)
                    clean_at = k->n;
            } else if (timed_out || rc != 0) {
                bad++;
                if (timed_out)
                    fprintf(stderr, "alloc_sweep: N=%lu: no end after %.0f s (killed)\n",
                            k->n, timeout);
                else if (WIFSIGNALED(status))
                    fprintf(stderr, "alloc_sweep: N=%lu: killed by signal %d\n", k->n,
                            WTERMSIG(status));
                else
                    fprintf(stderr, "alloc_sweep: N=%lu: exit %d\n", k->n, rc);
                print_log(k->log);
            }
            unlink(k->log);
            kids[i] = kids[--running];
        }
    }
    rmdir(dir);
    support_server_stop(&srv);
    if (clean_at == 0) {
        fprintf(stderr, "alloc_sweep: no run completed without an injected failure\n");
        bad++;
    }
    printf("alloc-sweep%s: N 1..%lu (first clean run at N=%lu), %lu runs, %lu bad, %.1f s"
           " (%lu with libcurl's dropped query)\n",
           use_valgrind ? " (valgrind)" : "", last_n, clean_at, runs, bad,
           support_now() - t0, libcurl_defects);
    return bad == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "run") == 0)
        return run_once(argv[2], strtoul(argv[3], NULL, 10), 0);
    self_path = argv[0];
    unsigned jobs = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--valgrind") == 0) {
            use_valgrind = 1;
        } else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) {
            jobs = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s [--valgrind] [--jobs J] | run URL N\n", argv[0]);
            return 64;
        }
    }
    if (jobs < 1 || jobs > 16)
        jobs = 2;
    return sweep(jobs);
}
