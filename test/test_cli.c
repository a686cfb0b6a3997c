/*
 * test/test_cli.c — the futurl command-line tool (cli/), run as a child
 * process of the same build variant against the project's loopback servers:
 * every flag, every output mode, JSON request lines and their ids, retries
 * counted by the fault server, --per-host and --rate, --fail and the exit
 * codes, bad input lines, files renamed into place, --output-dir refusing
 * to leave its directory, the progress line under a real terminal (tmux),
 * SIGINT and a second SIGINT, and the memory of a 1,000,000-line input.
 * It also checks that every long option is in --help and in the man page.
 */
#include "support.h"

#include "../cli/optlist.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLI_PATH FUTURL_BUILDDIR "/cli/futurl"
#define MAN_PATH FUTURL_SRCDIR "/cli/futurl.1"
#define TMUX     "/usr/bin/tmux"

extern char **environ;

static support_server fault;

static void start_fault(void) {
    ck_assert_msg(support_fault_start(&fault) == 0, "fault server did not start");
}

static void stop_fault(void) {
    support_server_stop(&fault);
}

/* Built with a sanitizer: the tool is too (same variant), and slower. */
static int sanitized(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 1;
#else
    return 0;
#endif
}

/* --------------------------------------------------------------- scratch */

static char scratch[256];

static void scratch_new(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/futurl-cli-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_msg(mkdtemp(scratch) != NULL, "mkdtemp %s: %s", scratch, strerror(errno));
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(p);
    return 0;
}

static void scratch_rm(void) {
    if (scratch[0] != '\0')
        nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    scratch[0] = '\0';
}

/* scratch/name, in one of 8 rotating buffers. */
static const char *sp(const char *name) {
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, 512, "%s/%s", scratch, name);
    return b;
}

/* The fault server's URL for path, in one of 16 rotating buffers. */
static const char *U(const char *path) {
    static char bufs[16][512];
    static int k;
    char *b = bufs[k++ % 16];
    snprintf(b, 512, "%s%s", fault.url, path);
    return b;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* The whole file (new, NUL-terminated), or NULL when it does not exist. */
static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

static int exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Entries of dir (no . and ..), or -1 if it cannot be read. */
static int count_entries(const char *dir, const char *containing) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A '%s'", dir);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, p) != NULL)
        if (containing == NULL || strstr(line, containing) != NULL)
            n++;
    pclose(p);
    return n;
}

/* ------------------------------------------------------ running the tool */

typedef struct run {
    int code; /* exit status; 128+N when killed by signal N */
    double seconds;
    long hwm_kb; /* the child's peak RSS: VmHWM, read while it ran */
    char *out, *err;
    size_t out_len;
} run;

/* environ without proxy variables: the tool must talk to loopback directly. */
static char **child_env(void) {
    static char *env[512];
    int n = 0;
    for (char **e = environ; *e != NULL && n < 510; e++) {
        const char *eq = strchr(*e, '=');
        if (eq != NULL && eq - *e >= 5 && strncasecmp(eq - 5, "proxy", 5) == 0)
            continue;
        env[n++] = *e;
    }
    env[n] = NULL;
    return env;
}

/* Start the tool with args, stdin from in_path (NULL: /dev/null), stdout
 * and stderr to files. */
static pid_t spawn_cli(const char *const *args, const char *in_path, const char *out_path,
                       const char *err_path) {
    const char *argv[128] = {CLI_PATH};
    int argc = 1;
    for (; args[argc - 1] != NULL; argc++) {
        ck_assert_int_lt(argc, 127);
        argv[argc] = args[argc - 1];
    }
    argv[argc] = NULL;
    char **env = child_env();
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(err, 2) < 0)
            _exit(126);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(CLI_PATH, (char *const *)argv, env);
        _exit(127);
    }
    return pid;
}

/* VmHWM of a running futurl in KiB, or 0. (Not wait4's ru_maxrss: it
 * keeps the RSS the child had before exec, the test process's, as a floor,
 * and under valgrind that alone is over 60 MiB.) Read only once the child
 * is futurl: before its exec it is a copy of this process, and under
 * valgrind, slow to fork and exec, a read then saw 70 MiB. */
static long vmhwm_kb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = 0;
    int is_cli = 0;
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "Name:", 5) == 0)
            is_cli = strcmp(line + 5 + strspn(line + 5, " \t"), "futurl\n") == 0;
        else if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    }
    fclose(f);
    return is_cli ? kb : 0;
}

/* Wait for pid (killed after limit_s) and fill r. */
static void reap(pid_t pid, double t0, double limit_s, run *r, const char *out_path,
                 const char *err_path) {
    double deadline = t0 + limit_s * support_slack();
    int status = 0, killed = 0;
    long hwm = 0;
    for (;;) {
        long now_kb = vmhwm_kb(pid); /* VmHWM only grows: the last read counts */
        hwm = now_kb > hwm ? now_kb : hwm;
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        ck_assert_msg(w == 0, "wait4: %s", strerror(errno));
        if (support_now() > deadline && !killed) {
            kill(pid, SIGKILL);
            killed = 1;
        }
        support_sleep_ms(5);
    }
    r->seconds = support_now() - t0;
    r->hwm_kb = hwm;
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r->out = read_all(out_path, &r->out_len);
    r->err = read_all(err_path, NULL);
    ck_assert_msg(r->out != NULL && r->err != NULL, "no output files");
    ck_assert_msg(!killed, "futurl ran over %.0f s; stderr:\n%s",
                  limit_s * support_slack(), r->err);
}

/* A run of the tool in the background: started, then reaped. */
typedef struct bg {
    pid_t pid;
    double t0;
    char out[512], err[512];
} bg;

/* Start the tool: stdin from in_path (NULL: /dev/null), stdout to out_path
 * (NULL: scratch/stdout.txt), stderr to scratch/stderr.txt. */
static void bg_start(bg *b, const char *const *args, const char *in_path,
                     const char *out_path) {
    snprintf(b->out, sizeof b->out, "%s", out_path ? out_path : sp("stdout.txt"));
    snprintf(b->err, sizeof b->err, "%s", sp("stderr.txt"));
    b->t0 = support_now();
    b->pid = spawn_cli(args, in_path, b->out, b->err);
}

/* Wait for it (killed after limit_s) and fill r. */
static void bg_reap(bg *b, double limit_s, run *r) {
    memset(r, 0, sizeof *r);
    reap(b->pid, b->t0, limit_s, r, b->out, b->err);
}

/* Run the tool to completion; stdin_text (NULL: none) is its standard input. */
static void cli_run(run *r, double limit_s, const char *stdin_text,
                    const char *const *args) {
    const char *in = NULL;
    if (stdin_text != NULL) {
        in = sp("stdin.txt");
        write_file(in, stdin_text);
    }
    bg b;
    bg_start(&b, args, in, NULL);
    bg_reap(&b, limit_s, r);
}

#define CLI(r, limit, in, ...)                                                           \
    cli_run(r, limit, in, (const char *const[]){__VA_ARGS__, NULL})

static void run_free(run *r) {
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

/* The records of a JSONL output, as one cJSON array (new). */
static cJSON *jsonl(const char *out) {
    cJSON *arr = cJSON_CreateArray();
    const char *p = out;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "JSONL output does not end with a newline:\n%s", out);
        const char *end = NULL;
        cJSON *rec = cJSON_ParseWithLengthOpts(p, (size_t)(nl - p), &end, 0);
        ck_assert_msg(rec != NULL && cJSON_IsObject(rec) && end == nl,
                      "not a JSON object line: %.*s", (int)(nl - p), p);
        cJSON_AddItemToArray(arr, rec);
        p = nl + 1;
    }
    return arr;
}

/* The record with "n": n. */
static cJSON *rec_n(cJSON *arr, int n) {
    cJSON *rec;
    cJSON_ArrayForEach(rec, arr) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "n");
        if (cJSON_IsNumber(v) && (int)v->valuedouble == n)
            return rec;
    }
    ck_abort_msg("no JSONL record with n = %d", n);
    return NULL;
}

static cJSON *field(cJSON *rec, const char *key) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    ck_assert_msg(v != NULL, "record has no \"%s\": %s", key,
                  cJSON_PrintUnformatted(rec));
    return v;
}

static double num(cJSON *rec, const char *key) {
    cJSON *v = field(rec, key);
    ck_assert_msg(cJSON_IsNumber(v), "\"%s\" is not a number", key);
    return v->valuedouble;
}

/* A string field, or NULL when it is JSON null. */
static const char *str(cJSON *rec, const char *key) {
    cJSON *v = field(rec, key);
    ck_assert_msg(cJSON_IsString(v) || cJSON_IsNull(v),
                  "\"%s\" is neither string nor null", key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void expect_code(const run *r, int code) {
    ck_assert_msg(r->code == code, "exit %d, expected %d; stderr:\n%s", r->code, code,
                  r->err);
}

static void expect_in(const char *what, const char *text, const char *needle) {
    ck_assert_msg(strstr(text, needle) != NULL, "%s lacks \"%s\":\n%s", what, needle,
                  text);
}

/* ------------------------------------------------- options, help, usage */

/* Does text hold opt (e.g. "--retry") not followed by more of a name? */
static int has_option(const char *text, const char *opt) {
    size_t len = strlen(opt);
    for (const char *p = strstr(text, opt); p != NULL; p = strstr(p + 1, opt)) {
        char c = p[len];
        if (!(c == '-' || c == '.' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 1;
    }
    return 0;
}

START_TEST(every_option_in_help_and_man) {
    scratch_new();
    run r;
    CLI(&r, 10, NULL, "--help");
    expect_code(&r, 0);
    char *man = read_all(MAN_PATH, NULL);
    ck_assert_msg(man != NULL, "%s is missing", MAN_PATH);
    static const char *const names[] = {
#define NAME(id, name, arg, letter) name,
        CLI_OPTIONS(NAME)
#undef NAME
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char help_form[64], man_form[80], *m = man_form;
        snprintf(help_form, sizeof help_form, "--%s", names[i]);
        m += sprintf(m, "\\-\\-");
        for (const char *c = names[i]; *c; c++) /* roff writes '-' as "\-" */
            m += *c == '-' ? sprintf(m, "\\-") : sprintf(m, "%c", *c);
        ck_assert_msg(has_option(r.out, help_form), "--help does not mention %s",
                      help_form);
        ck_assert_msg(has_option(man, man_form), "futurl.1 does not document %s",
                      help_form);
    }
    /* The exit codes are in both. */
    expect_in("--help", r.out, "130 interrupted");
    expect_in("futurl.1", man, ".SH EXIT STATUS");
    free(man);
    run_free(&r);

    CLI(&r, 10, NULL, "--version");
    expect_code(&r, 0);
    expect_in("--version", r.out, "futurl 0.1.0");
    expect_in("--version", r.out, "libfuturl 0.1.0");
    expect_in("--version", r.out, "libcurl 7.");
    run_free(&r);
    scratch_rm();
}
END_TEST

/* Each of these command lines is a usage error: exit 2 and a message. */
static const char *const usage_cases[][4] = {
    {"--bogus", "http://x/", NULL},
    {"http://127.0.0.1:1/", "--retry", NULL}, /* a value is missing */
    {NULL},                                   /* no URL at all */
    {"--retry", "-1", "http://x/"},
    {"--parallel-max", "0", "http://x/"},
    {"--parallel-max", "5000", "http://x/"},
    {"--rate", "fast", "http://x/"},
    {"--rate", "10/y", "http://x/"},
    {"--rate-burst", "0", "http://x/"},
    {"--per-host", "0", "http://x/"},
    {"-m", "soon", "http://x/"},
    {"--deadline", "-1", "http://x/"},
    {"--connect-timeout", "1s", "http://x/"},
    {"--retry-max-time", "x", "http://x/"},
    {"--max-redirs", "many", "http://x/"},
    {"--max-filesize", "12Q", "http://x/"},
    {"--order", "random", "http://x/"},
    {"-H", "NoColon", "http://x/"},
    {"-u", "nopassword", "http://x/"},
    {"-o", "{nope}.txt", "http://x/"},
    {"-o", "same.txt", "http://x/a"}, /* two URLs, one file: needs a placeholder */
    {"-d", "@/nonexistent/futurl-body", "http://x/"},
};
#define N_USAGE_CASES (int)(sizeof usage_cases / sizeof usage_cases[0])

START_TEST(usage_errors_exit_2) {
    scratch_new();
    const char *args[8] = {0};
    int n = 0;
    for (; n < 3 && usage_cases[_i][n] != NULL; n++)
        args[n] = usage_cases[_i][n];
    if (_i == 20)
        args[n++] = "http://x/b";
    if (_i == 2)
        args[n++] = "-s";
    args[n] = NULL;
    run r;
    cli_run(&r, 10, NULL, args);
    expect_code(&r, 2);
    expect_in("stderr", r.err, "futurl: ");
    ck_assert_msg(r.out_len == 0, "stdout not empty: %s", r.out);
    run_free(&r);
    /* --user together with --oauth2-bearer, and -o with a template leaving
     * --output-dir, are usage errors too. */
    if (_i == 0) {
        CLI(&r, 10, NULL, "-u", "a:b", "--oauth2-bearer", "t", "http://x/");
        expect_code(&r, 2);
        run_free(&r);
        CLI(&r, 10, NULL, "--output-dir", scratch, "-o", "../{n}", "http://x/");
        expect_code(&r, 2);
        run_free(&r);
        CLI(&r, 10, NULL, "--output-dir", scratch, "-o", "/tmp/{n}", "http://x/");
        expect_code(&r, 2);
        run_free(&r);
    }
    scratch_rm();
}
END_TEST

/* ------------------------------------------------------- output modes */

START_TEST(bodies_to_stdout_in_input_or_completion_order) {
    scratch_new();
    run r;
    /* The first answers last; input order still writes it first. */
    CLI(&r, 20, NULL, "-s", U("/ok?delay_ms=600"), U("/status?code=201"),
        U("/status?code=202"));
    expect_code(&r, 0);
    const char *slow = strstr(r.out, "\"ok\": true");
    const char *a = strstr(r.out, "\"status\": 201");
    const char *b = strstr(r.out, "\"status\": 202");
    ck_assert_msg(slow && a && b && slow < a && a < b, "not in input order:\n%s", r.out);
    run_free(&r);

    CLI(&r, 20, NULL, "-s", "--order", "completion", U("/ok?delay_ms=600"),
        U("/status?code=201"));
    expect_code(&r, 0);
    slow = strstr(r.out, "\"ok\": true");
    a = strstr(r.out, "\"status\": 201");
    ck_assert_msg(slow && a && a < slow, "not in completion order:\n%s", r.out);
    run_free(&r);

    /* --order input also orders JSONL (completion order by default). */
    CLI(&r, 20, NULL, "-s", "--jsonl", "--order", "input", U("/ok?delay_ms=400"),
        U("/ok"));
    expect_code(&r, 0);
    cJSON *recs = jsonl(r.out);
    ck_assert_int_eq((int)num(cJSON_GetArrayItem(recs, 0), "n"), 1);
    cJSON_Delete(recs);
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "--jsonl", U("/ok?delay_ms=400"), U("/ok"));
    recs = jsonl(r.out);
    ck_assert_int_eq((int)num(cJSON_GetArrayItem(recs, 0), "n"), 2);
    cJSON_Delete(recs);
    run_free(&r);

    /* -o /dev/null throws bodies away; -o - is stdout. */
    CLI(&r, 20, NULL, "-s", "-o", "/dev/null", U("/ok"), U("/ok"));
    expect_code(&r, 0);
    ck_assert_int_eq((int)r.out_len, 0);
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "-o", "-", U("/status?code=203"));
    expect_in("stdout", r.out, "\"status\": 203");
    run_free(&r);
    scratch_rm();
}
END_TEST

START_TEST(jsonl_record_fields) {
    scratch_new();
    run r;
    CLI(&r, 20, NULL, "-s", "--jsonl", U("/ok"), U("/redirect?to=/status%3Fcode%3D201"),
        "http://[1:2:3:4:5:6:7:8:9]/x");
    expect_code(&r, 1);
    cJSON *recs = jsonl(r.out);
    ck_assert_int_eq(cJSON_GetArraySize(recs), 3);
    cJSON *ok = rec_n(recs, 1);
    ck_assert_msg(cJSON_IsNull(field(ok, "id")), "id not null");
    ck_assert_msg(cJSON_IsNull(field(ok, "line")), "line not null for an argument");
    ck_assert_str_eq(str(ok, "method"), "GET");
    ck_assert_str_eq(str(ok, "url"), U("/ok"));
    ck_assert_str_eq(str(ok, "final_url"), U("/ok"));
    ck_assert_int_eq((int)num(ok, "status"), 200);
    ck_assert_str_eq(str(ok, "http_version"), "1.1");
    ck_assert_int_eq((int)num(ok, "bytes"),
                     (int)strlen("{\"ok\": true, \"attempt\": 1}\n"));
    ck_assert_msg(num(ok, "elapsed_s") > 0 && num(ok, "ttfb_s") > 0 &&
                      num(ok, "ttfb_s") <= num(ok, "elapsed_s"),
                  "elapsed %f ttfb %f", num(ok, "elapsed_s"), num(ok, "ttfb_s"));
    ck_assert_int_eq((int)num(ok, "attempts"), 1);
    ck_assert_int_eq((int)num(ok, "redirects"), 0);
    ck_assert_int_eq(cJSON_GetArraySize(field(ok, "retry_reasons")), 0);
    ck_assert_msg(cJSON_IsNull(field(ok, "file")), "file not null");
    ck_assert_msg(cJSON_IsTrue(field(ok, "ok")), "ok not true");
    ck_assert_ptr_null(str(ok, "error"));
    ck_assert_ptr_null(str(ok, "error_message"));

    cJSON *redir = rec_n(recs, 2);
    ck_assert_str_eq(str(redir, "final_url"), U("/status?code=201"));
    ck_assert_int_eq((int)num(redir, "status"), 201);
    ck_assert_int_eq((int)num(redir, "redirects"), 1);

    cJSON *bad = rec_n(recs, 3); /* fails in the worker: no response */
    ck_assert_msg(cJSON_IsFalse(field(bad, "ok")), "ok not false");
    ck_assert_str_eq(str(bad, "error"), "FUTURL_EURL");
    ck_assert_msg(str(bad, "error_message") != NULL, "no message");
    ck_assert_msg(cJSON_IsNull(field(bad, "status")), "status not null");
    cJSON_Delete(recs);
    ck_assert_msg(r.err[0] == '\0', "-s: stderr not empty:\n%s", r.err);
    run_free(&r);
    scratch_rm();
}
END_TEST

/* ----------------------------------------------------------- requests */

/* The /echo body of a run's stdout, parsed (new). */
static cJSON *echo_of(const run *r) {
    cJSON *j = cJSON_Parse(r->out);
    ck_assert_msg(j != NULL, "stdout is not JSON:\n%s", r->out);
    return j;
}

static const char *echo_header(cJSON *echo, const char *name) {
    cJSON *h = cJSON_GetObjectItemCaseSensitive(echo, "headers");
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, name));
}

START_TEST(request_flags_reach_the_server) {
    scratch_new();
    run r;
    CLI(&r, 20, NULL, "-s", "-X", "PATCH", "-H", "X-A: 1", "-H", "X-A: 2", "-H",
        "Accept:", "-H", "X-Empty;", "-d", "a=1", "-d", "b=2", "-A", "agent/7", "-u",
        "user:pw", U("/echo"));
    expect_code(&r, 0);
    cJSON *e = echo_of(&r);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "method")), "PATCH");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "body")), "a=1&b=2");
    ck_assert_str_eq(echo_header(e, "X-A"), "1, 2");
    ck_assert_ptr_null(echo_header(e, "Accept"));
    ck_assert_str_eq(echo_header(e, "X-Empty"), "");
    ck_assert_str_eq(echo_header(e, "Content-Type"), "application/x-www-form-urlencoded");
    ck_assert_str_eq(echo_header(e, "User-Agent"), "agent/7");
    ck_assert_str_eq(echo_header(e, "Authorization"), "Basic dXNlcjpwdw==");
    cJSON_Delete(e);
    run_free(&r);

    CLI(&r, 20, NULL, "-s", "--oauth2-bearer", "tok123", "--json", "{\"k\":1}",
        U("/echo"));
    e = echo_of(&r);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "method")), "POST");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "body")), "{\"k\":1}");
    ck_assert_str_eq(echo_header(e, "Content-Type"), "application/json");
    ck_assert_str_eq(echo_header(e, "Accept"), "application/json");
    ck_assert_str_eq(echo_header(e, "Authorization"), "Bearer tok123");
    cJSON_Delete(e);
    run_free(&r);

    /* -d @file drops newlines (as curl); --data-binary @file keeps them;
     * --json @file; -Z and --compressed are accepted (gzip is decoded). */
    write_file(sp("body.txt"), "x=1\ny=2\n");
    char at[600];
    snprintf(at, sizeof at, "@%s", sp("body.txt"));
    CLI(&r, 20, NULL, "-s", "-Z", "-d", at, U("/echo"));
    e = echo_of(&r);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "body")), "x=1y=2");
    cJSON_Delete(e);
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "--data-binary", at, "-H", "Content-Type: text/plain",
        U("/echo"));
    e = echo_of(&r);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "body")), "x=1\ny=2\n");
    ck_assert_str_eq(echo_header(e, "Content-Type"), "text/plain");
    cJSON_Delete(e);
    run_free(&r);
    write_file(sp("body.json"), "[1,2]");
    snprintf(at, sizeof at, "@%s", sp("body.json"));
    CLI(&r, 20, NULL, "-s", "-X", "PUT", "--json", at, U("/echo"));
    e = echo_of(&r);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "method")), "PUT");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "body")), "[1,2]");
    cJSON_Delete(e);
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "--compressed", U("/gzip"));
    expect_code(&r, 0);
    expect_in("stdout", r.out, "\"gzipped\": true");
    run_free(&r);
    scratch_rm();
}
END_TEST

START_TEST(json_lines_round_trip_with_ids) {
    scratch_new();
    char input[4096];
    snprintf(
        input, sizeof input,
        "# requests\n"
        "{\"url\":\"%s\",\"id\":\"alpha\"}\n"
        "\n"
        "{\"url\":\"%s\",\"method\":\"POST\",\"json\":{\"a\":[1,2]},\"id\":42}\n"
        "{\"url\":\"%s\",\"method\":\"PUT\",\"body\":\"raw\",\"headers\":{\"X-T\":\"t\","
        "\"Content-Type\":\"text/plain\"},\"id\":{\"k\":[true,null]}}\n"
        "{\"url\":\"%s\",\"headers\":[\"X-L: 1\",\"X-L: 2\"]}\n"
        "%s\n",
        U("/echo"), U("/echo"), U("/echo"), U("/echo"), U("/echo"));
    write_file(sp("in.txt"), input);
    run r;
    CLI(&r, 20, NULL, "-s", "--jsonl", "-i", sp("in.txt"));
    expect_code(&r, 0);
    cJSON *recs = jsonl(r.out);
    ck_assert_int_eq(cJSON_GetArraySize(recs), 5);
    ck_assert_str_eq(cJSON_GetStringValue(field(rec_n(recs, 1), "id")), "alpha");
    ck_assert_int_eq((int)num(rec_n(recs, 1), "line"), 2);
    ck_assert_int_eq((int)num(rec_n(recs, 2), "id"), 42);
    ck_assert_int_eq((int)num(rec_n(recs, 2), "line"), 4);
    ck_assert_str_eq(str(rec_n(recs, 2), "method"), "POST");
    cJSON *want = cJSON_Parse("{\"k\":[true,null]}");
    ck_assert_msg(cJSON_Compare(field(rec_n(recs, 3), "id"), want, 1),
                  "object id changed");
    cJSON_Delete(want);
    ck_assert_msg(cJSON_IsNull(field(rec_n(recs, 4), "id")), "id not null");
    ck_assert_int_eq((int)num(rec_n(recs, 5), "line"), 7);
    cJSON_Delete(recs);
    run_free(&r);

    /* The same requests with their bodies: what the server saw. */
    CLI(&r, 20, NULL, "-s", "-i", sp("in.txt"));
    expect_code(&r, 0);
    const char *p = r.out;
    cJSON *e[5];
    for (int i = 0; i < 5; i++) {
        const char *end = NULL;
        e[i] = cJSON_ParseWithOpts(p, &end, 0);
        ck_assert_msg(e[i] != NULL, "echo %d not JSON: %s", i, p);
        p = end;
    }
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e[1], "body")),
                     "{\"a\":[1,2]}");
    ck_assert_str_eq(echo_header(e[1], "Content-Type"), "application/json");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e[2], "method")), "PUT");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e[2], "body")), "raw");
    ck_assert_str_eq(echo_header(e[2], "X-T"), "t");
    ck_assert_str_eq(echo_header(e[2], "Content-Type"), "text/plain");
    ck_assert_str_eq(echo_header(e[3], "X-L"), "1, 2");
    for (int i = 0; i < 5; i++)
        cJSON_Delete(e[i]);
    run_free(&r);
    scratch_rm();
}
END_TEST

START_TEST(bad_input_lines_counted_with_line_numbers) {
    scratch_new();
    size_t big = (1u << 20) + 10; /* over the 1 MiB line bound */
    char *input = malloc(big + 4096);
    int n = sprintf(input,
                    "%s\n"                /* 1 good */
                    "ftp://127.0.0.1/x\n" /* 2 scheme */
                    "{\"url\": \n"        /* 3 invalid JSON */
                    "{\"id\":1}\n"        /* 4 no url */
                    "{\"url\":\"%s\",\"headers\":{\"Bad\\nName\":\"v\"}}\n" /* 5 header */
                    "{\"url\":\"%s\",\"colour\":\"red\"}\n",                /* 6 key */
                    U("/ok"), U("/ok"), U("/ok"));
    memset(input + n, 'a', big); /* 7: too long */
    n += (int)big;
    n += sprintf(input + n, "\n%s\n", U("/status?code=204")); /* 8 good */
    write_file(sp("in.txt"), input);
    free(input);
    run r;
    CLI(&r, 20, NULL, "--jsonl", "-i", sp("in.txt"));
    expect_code(&r, 1);
    static const char *const lines[] = {
        "line 2:", "line 3:", "line 4:", "line 5:", "line 6:", "line 7:"};
    for (int i = 0; i < 6; i++)
        expect_in("stderr", r.err, lines[i]);
    expect_in("stderr", r.err, "6 bad input lines");
    expect_in("stderr", r.err, "2 ok, 6 failed");
    cJSON *recs = jsonl(r.out);
    ck_assert_int_eq(cJSON_GetArraySize(recs), 8);
    ck_assert_str_eq(str(rec_n(recs, 2), "error"), "FUTURL_ESCHEME");
    ck_assert_str_eq(str(rec_n(recs, 3), "error"), "FUTURL_EJSON");
    ck_assert_str_eq(str(rec_n(recs, 5), "error"), "FUTURL_EHEADER");
    ck_assert_int_eq((int)num(rec_n(recs, 7), "line"), 7);
    ck_assert_int_eq((int)num(rec_n(recs, 8), "status"), 204);
    cJSON_Delete(recs);
    run_free(&r);

    /* --strict stops at the first bad line: exit 3, nothing after it sent. */
    support_fault_reset(&fault);
    char strict[1024];
    snprintf(strict, sizeof strict, "%s\nnot a url\n%s\n%s\n", U("/ok"), U("/echo"),
             U("/echo"));
    CLI(&r, 20, strict, "--strict", "--parallel-max", "1", "-i", "-");
    expect_code(&r, 3);
    expect_in("stderr", r.err, "line 2:");
    expect_in("stderr", r.err, "--strict");
    ck_assert_int_eq(support_fault_attempts(&fault, "/echo"), 0);
    run_free(&r);
    scratch_rm();
}
END_TEST

/* ------------------------------------------------ retries and limits */

START_TEST(retries_match_the_server_counter) {
    scratch_new();
    support_fault_reset(&fault);
    run r;
    CLI(&r, 20, NULL, "-s", "--jsonl", "--retry", "3", U("/flaky?fail=2&retry_after=0"));
    expect_code(&r, 0);
    cJSON *recs = jsonl(r.out);
    cJSON *rec = rec_n(recs, 1);
    long server = support_fault_attempts(&fault, "/flaky");
    ck_assert_int_eq((long)num(rec, "attempts"), server);
    ck_assert_int_eq(server, 3);
    ck_assert_int_eq(cJSON_GetArraySize(field(rec, "retry_reasons")), 2);
    expect_in("retry reason",
              cJSON_GetStringValue(cJSON_GetArrayItem(field(rec, "retry_reasons"), 0)),
              "HTTP 503");
    cJSON_Delete(recs);
    run_free(&r);

    /* --retry 0: one attempt; a 503 is still a response (exit 0) ... */
    support_fault_reset(&fault);
    CLI(&r, 20, NULL, "-s", "--jsonl", "--retry", "0", U("/flaky?fail=1"));
    expect_code(&r, 0);
    recs = jsonl(r.out);
    ck_assert_int_eq((int)num(rec_n(recs, 1), "attempts"), 1);
    ck_assert_int_eq((int)num(rec_n(recs, 1), "status"), 503);
    ck_assert_int_eq(support_fault_attempts(&fault, "/flaky"), 1);
    cJSON_Delete(recs);
    run_free(&r);
    /* ... unless --fail. The default is 2 retries. */
    support_fault_reset(&fault);
    CLI(&r, 20, NULL, "-s", "--jsonl", "--fail", U("/flaky?fail=5&retry_after=0"));
    expect_code(&r, 1);
    recs = jsonl(r.out);
    ck_assert_str_eq(str(rec_n(recs, 1), "error"), "FUTURL_EHTTP");
    ck_assert_int_eq((int)num(rec_n(recs, 1), "attempts"), 3);
    ck_assert_int_eq(support_fault_attempts(&fault, "/flaky"), 3);
    cJSON_Delete(recs);
    run_free(&r);

    /* --retry-max-time: Retry-After 1 s; no retry starts after 1.5 s, so
     * attempts at 0 s and 1 s only. */
    support_fault_reset(&fault);
    CLI(&r, 20, NULL, "-s", "--jsonl", "--retry", "10", "--retry-max-time", "1.5",
        U("/flaky?fail=100&retry_after=1"));
    recs = jsonl(r.out);
    ck_assert_int_eq((int)num(rec_n(recs, 1), "attempts"), 2);
    ck_assert_int_eq(support_fault_attempts(&fault, "/flaky"), 2);
    ck_assert_msg(r.seconds >= 0.9, "took %.2f s, Retry-After 1 s ignored?", r.seconds);
    cJSON_Delete(recs);
    run_free(&r);
    scratch_rm();
}
END_TEST

START_TEST(parallel_max_and_per_host_bound_the_peak) {
    scratch_new();
    const char *args[40] = {"-s", "-o",         "/dev/null", "--parallel-max",
                            "8",  "--per-host", "2"};
    int n = 7;
    for (int i = 0; i < 12; i++)
        args[n++] = U("/slot?delay_ms=150");
    args[n] = NULL;
    support_fault_reset(&fault);
    run r;
    cli_run(&r, 30, NULL, args);
    expect_code(&r, 0);
    ck_assert_int_eq(support_fault_attempts(&fault, "/slot"), 12);
    ck_assert_int_eq(support_fault_peak(&fault, "/slot"), 2);
    run_free(&r);

    args[4] = "3"; /* --parallel-max 3, per-host limit off: */
    args[5] = "-Z";
    args[6] = "-s";
    support_fault_reset(&fault);
    cli_run(&r, 30, NULL, args);
    expect_code(&r, 0);
    ck_assert_int_eq(support_fault_peak(&fault, "/slot"), 3);
    run_free(&r);
    scratch_rm();
}
END_TEST

/* --conn-cache: one worker cycling over 6 hosts (fault servers) opens a
 * connection for nearly every request with libcurl's 5 cached, and one a
 * host when the cache holds them all (each server counts its own). */
static long conns_over_hosts(const char *cache) {
    enum { HOSTS = 6, ROUNDS = 4 };
    support_server hosts[HOSTS];
    for (int i = 0; i < HOSTS; i++)
        ck_assert_msg(support_fault_start(&hosts[i]) == 0,
                      "fault server %d did not start", i);
    char urls[HOSTS * ROUNDS][128];
    const char *args[HOSTS * ROUNDS + 10] = {"-s", "-o", "/dev/null", "--parallel-max",
                                             "1"};
    int n = 5;
    if (cache != NULL) {
        args[n++] = "--conn-cache";
        args[n++] = cache;
    }
    for (int i = 0; i < HOSTS * ROUNDS; i++) {
        snprintf(urls[i], sizeof urls[i], "%s/ok", hosts[i % HOSTS].url);
        args[n++] = urls[i];
    }
    args[n] = NULL;
    run r;
    cli_run(&r, 30, NULL, args);
    expect_code(&r, 0);
    run_free(&r);
    long conns = 0;
    for (int i = 0; i < HOSTS; i++) {
        ck_assert_int_eq(support_fault_attempts(&hosts[i], "/ok"), ROUNDS);
        conns += support_fault_connections(&hosts[i]);
        support_server_stop(&hosts[i]);
    }
    return conns;
}

START_TEST(conn_cache_keeps_a_connection_per_host) {
    /* libcurl closes the connection idle longest, which in a strict round
     * robin is nearly always the one needed next (not strictly: 22 of 24
     * seen), so the default reconnects for most requests. */
    long def = conns_over_hosts(NULL), big = conns_over_hosts("8");
    ck_assert_msg(def >= 18, "default cache: %ld connections for 24 requests, want 18+",
                  def);
    ck_assert_msg(big == 6, "--conn-cache 8: %ld connections for 24 requests, want 6",
                  big);
}
END_TEST

/* 11 requests at rate R with burst B take at least (11 - B) / R seconds. */
static double paced(const char *rate, const char *burst) {
    const char *args[40] = {"-s", "-o", "/dev/null", "--rate", rate};
    int n = 5;
    if (burst != NULL) {
        args[n++] = "--rate-burst";
        args[n++] = burst;
    }
    for (int i = 0; i < 11; i++)
        args[n++] = U("/ok");
    args[n] = NULL;
    run r;
    cli_run(&r, 30, NULL, args);
    expect_code(&r, 0);
    double s = r.seconds;
    run_free(&r);
    return s;
}

START_TEST(rate_paces_the_requests) {
    scratch_new();
    double t = paced("10/s", NULL);
    ck_assert_msg(t >= 0.95 && t < 3.0 * support_slack(), "10/s: 11 requests in %.2f s",
                  t);
    t = paced("600/m", NULL);
    ck_assert_msg(t >= 0.95 && t < 3.0 * support_slack(), "600/m: 11 requests in %.2f s",
                  t);
    t = paced("10", "6");
    ck_assert_msg(t >= 0.45 && t < 2.5 * support_slack(),
                  "burst 6: 11 requests in %.2f s", t);
    scratch_rm();
}
END_TEST

/* One at a time: a 429 with Retry-After 5 s, then /ok to the same host,
 * each with a 3 s deadline. Held, /ok cannot start before its deadline;
 * not held, it has 3 s to finish, which even a loaded machine gives it. */
START_TEST(hold_429_holds_the_host) {
    scratch_new();
    run r;
    CLI(&r, 20, NULL, "-s", "--jsonl", "--retry", "0", "--parallel-max", "1",
        "--deadline", "3", "--hold-429", U("/429?retry_after=5"), U("/ok"));
    expect_code(&r, 1);
    cJSON *recs = jsonl(r.out);
    ck_assert_int_eq((int)num(rec_n(recs, 1), "status"), 429);
    ck_assert_str_eq(str(rec_n(recs, 2), "error"), "FUTURL_ETIMEDOUT");
    ck_assert_msg(r.seconds >= 2.9, "held /ok ended after %.2f s", r.seconds);
    cJSON_Delete(recs);
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "--jsonl", "--retry", "0", "--parallel-max", "1",
        "--deadline", "3", "--no-hold-429", U("/429?retry_after=5"), U("/ok"));
    expect_code(&r, 0);
    recs = jsonl(r.out);
    ck_assert_int_eq((int)num(rec_n(recs, 1), "status"), 429);
    ck_assert_int_eq((int)num(rec_n(recs, 2), "status"), 200);
    cJSON_Delete(recs);
    run_free(&r);
    scratch_rm();
}
END_TEST

START_TEST(fail_sets_the_exit_code) {
    scratch_new();
    run r;
    CLI(&r, 20, NULL, "-s", U("/status?code=404"), U("/ok"));
    expect_code(&r, 0); /* a 404 is a response, as with curl */
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "-f", U("/status?code=404"), U("/ok"));
    expect_code(&r, 1);
    ck_assert_msg(strstr(r.out, "\"status\": 404") == NULL, "a failed body was written");
    expect_in("stdout", r.out, "\"ok\": true");
    run_free(&r);
    CLI(&r, 20, NULL, "--fail", U("/ok"), U("/status?code=204"));
    expect_code(&r, 0);
    expect_in("summary", r.err, "2 ok, 0 failed");
    /* stderr is a file here: a summary, and no status line or escape. */
    ck_assert_msg(strchr(r.err, '\x1b') == NULL && strchr(r.err, '\r') == NULL,
                  "terminal codes in a redirected stderr:\n%s", r.err);
    run_free(&r);
    /* -s hides the error lines and the summary; -S brings the errors back. */
    CLI(&r, 20, NULL, "-s", "-f", U("/status?code=500"));
    expect_code(&r, 1);
    ck_assert_msg(r.err[0] == '\0', "-s: stderr not empty:\n%s", r.err);
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "-S", "-f", U("/status?code=500"));
    expect_code(&r, 1);
    expect_in("stderr", r.err, "FUTURL_EHTTP");
    ck_assert_msg(strstr(r.err, "requests in") == NULL, "-s: summary printed");
    run_free(&r);
    scratch_rm();
}
END_TEST

/* A --jsonl run of one request: its exit code, and record 1's error name
 * ("null" for none) and status (0: do not check). Frees the run. */
static void expect_first(run *r, int code, const char *error, int status) {
    expect_code(r, code);
    cJSON *recs = jsonl(r->out);
    cJSON *rec = rec_n(recs, 1);
    const char *e = str(rec, "error");
    ck_assert_str_eq(e != NULL ? e : "null", error);
    if (status != 0)
        ck_assert_int_eq((int)num(rec, "status"), status);
    cJSON_Delete(recs);
    run_free(r);
}

START_TEST(timing_redirect_and_size_flags) {
    scratch_new();
    run r;
    CLI(&r, 20, NULL, "-s", "--jsonl", "--retry", "0", "-m", "0.5", U("/stall"));
    ck_assert_msg(r.seconds >= 0.45 && r.seconds < 3 * support_slack(), "-m 0.5: %.2f s",
                  r.seconds);
    expect_first(&r, 1, "FUTURL_ETIMEDOUT", 0);
    /* --deadline covers the retries: Retry-After 1 s, deadline 1.5 s. */
    CLI(&r, 20, NULL, "-s", "--jsonl", "--retry", "10", "--deadline", "1.5",
        "--connect-timeout", "2", U("/flaky?fail=100&retry_after=1"));
    ck_assert_msg(r.seconds >= 1.4 && r.seconds < 4 * support_slack(), "deadline: %.2f s",
                  r.seconds);
    expect_first(&r, 1, "FUTURL_ETIMEDOUT", 0);
    /* Redirects: followed by default (-L), not with --no-location, bounded
     * by --max-redirs. */
    CLI(&r, 20, NULL, "-s", "--jsonl", "--no-location", U("/redirect?to=/ok"));
    expect_first(&r, 0, "null", 302);
    CLI(&r, 20, NULL, "-s", "--jsonl", "--no-location", "-L", U("/redirect?to=/ok"));
    expect_first(&r, 0, "null", 200);
    CLI(&r, 20, NULL, "-s", "--jsonl", "--max-redirs", "2", U("/redirect_loop"));
    expect_first(&r, 1, "FUTURL_EREDIRECT", 0);
    /* --max-filesize */
    CLI(&r, 20, NULL, "-s", "--jsonl", "--max-filesize", "10", U("/ok"));
    expect_first(&r, 1, "FUTURL_ETOOLARGE", 0);
    CLI(&r, 20, NULL, "-s", "--jsonl", "--max-filesize", "1k", U("/ok"));
    expect_first(&r, 0, "null", 200);
    scratch_rm();
}
END_TEST

/* A proxy: the fault server answers an absolute-form request itself, so a
 * request to a closed port arrives there only through -x. */
START_TEST(proxy_flag_routes_through_the_proxy) {
    scratch_new();
    run r;
    CLI(&r, 20, NULL, "-s", "--retry", "0", "-x", fault.url, "http://127.0.0.1:9/echo");
    expect_code(&r, 0);
    cJSON *e = echo_of(&r);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "path")), "/echo");
    ck_assert_str_eq(echo_header(e, "Host"), "127.0.0.1:9");
    cJSON_Delete(e);
    run_free(&r);
    scratch_rm();
}
END_TEST

START_TEST(tls_flags) {
    scratch_new();
    support_server h2;
    ck_assert_msg(support_nginx_h2_start(&h2) == 0, "nginx (h2) did not start");
    char url[160];
    snprintf(url, sizeof url, "%s/h2", h2.url);
    run r;
    CLI(&r, 20, NULL, "-s", "--jsonl", "--retry", "0", url);
    expect_first(&r, 1, "FUTURL_ETLS", 0);
    CLI(&r, 20, NULL, "-k", "--jsonl", url);
    expect_in("stderr", r.err, "warning: --insecure");
    expect_first(&r, 0, "null", 200);
    CLI(&r, 20, NULL, "-s", "--jsonl", "--cacert", h2.ca_file, url);
    expect_in("stdout", r.out, "\"http_version\":\"2\"");
    expect_first(&r, 0, "null", 200);
    CLI(&r, 20, NULL, "-s", "--jsonl", "--http1.1", "--cacert", h2.ca_file, url);
    expect_in("stdout", r.out, "\"http_version\":\"1.1\"");
    expect_first(&r, 0, "null", 200);
    support_server_stop(&h2);
    scratch_rm();
}
END_TEST

/* ------------------------------------------------------------ files */

START_TEST(files_from_templates) {
    scratch_new();
    char input[2048];
    snprintf(input, sizeof input,
             "{\"url\":\"%s\",\"id\":\"first\"}\n"
             "{\"url\":\"%s\",\"id\":7}\n",
             U("/status?code=201"), U("/status?code=202"));
    write_file(sp("in.txt"), input);
    char out[512];
    snprintf(out, sizeof out, "%s", sp("out"));
    run r;
    CLI(&r, 20, NULL, "-s", "--jsonl", "--create-dirs", "--output-dir", out, "-o",
        "{host}/{id}-{n}.json", "-i", sp("in.txt"));
    expect_code(&r, 0);
    char *a = read_all(sp("out/127.0.0.1/first-1.json"), NULL);
    char *b = read_all(sp("out/127.0.0.1/7-2.json"), NULL);
    ck_assert_msg(a != NULL && b != NULL, "files missing");
    ck_assert_str_eq(a, "{\"status\": 201}\n");
    ck_assert_str_eq(b, "{\"status\": 202}\n");
    free(a);
    free(b);
    cJSON *recs = jsonl(r.out);
    char want[600];
    snprintf(want, sizeof want, "%s/127.0.0.1/first-1.json", out);
    ck_assert_str_eq(str(rec_n(recs, 1), "file"), want);
    cJSON_Delete(recs);
    run_free(&r);

    /* {path} with --create-dirs; {basename}; -O; --output-dir alone. */
    CLI(&r, 20, NULL, "-s", "--create-dirs", "--output-dir", out, "-o", "p/{path}",
        U("/status?code=203"));
    expect_code(&r, 0);
    ck_assert_msg(exists(sp("out/p/status")), "{path} file missing");
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "--output-dir", out, "-o", "b-{basename}", U("/echo?x=1"));
    expect_code(&r, 0);
    ck_assert_msg(exists(sp("out/b-echo")), "{basename} file missing");
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "--output-dir", out, "-O", U("/ok"));
    expect_code(&r, 0);
    ck_assert_msg(exists(sp("out/ok")), "-O file missing");
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "--output-dir", out, U("/gzip"));
    expect_code(&r, 0);
    ck_assert_msg(exists(sp("out/gzip")), "--output-dir alone: file missing");
    run_free(&r);
    /* A template without --output-dir, relative to the working dir... here
     * an absolute one the user typed; and -o FILE for a single URL. */
    char tmpl[600];
    snprintf(tmpl, sizeof tmpl, "%s/plain-{n}.txt", scratch);
    CLI(&r, 20, NULL, "-s", "-o", tmpl, U("/ok"), U("/ok"));
    expect_code(&r, 0);
    ck_assert_msg(exists(sp("plain-1.txt")) && exists(sp("plain-2.txt")), "-o {n}");
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "-o", sp("single.txt"), U("/ok"));
    expect_code(&r, 0);
    ck_assert_msg(exists(sp("single.txt")), "-o FILE");
    run_free(&r);

    /* Never over an existing file unless --clobber. */
    write_file(sp("out/ok"), "mine");
    CLI(&r, 20, NULL, "--no-clobber", "--jsonl", "--output-dir", out, "-O", U("/ok"));
    expect_code(&r, 1);
    expect_in("stderr", r.err, "exists");
    a = read_all(sp("out/ok"), NULL);
    ck_assert_str_eq(a, "mine");
    free(a);
    run_free(&r);
    CLI(&r, 20, NULL, "-s", "--clobber", "--output-dir", out, "-O", U("/ok"));
    expect_code(&r, 0);
    a = read_all(sp("out/ok"), NULL);
    expect_in("out/ok", a, "\"ok\": true");
    free(a);
    run_free(&r);
    ck_assert_int_eq(count_entries(out, ".tmp"), 0);
    scratch_rm();
}
END_TEST

START_TEST(output_dir_refuses_to_leave) {
    scratch_new();
    char out[512];
    snprintf(out, sizeof out, "%s", sp("out"));
    ck_assert_int_eq(mkdir(out, 0777), 0);
    ck_assert_int_eq(mkdir(sp("outside"), 0777), 0);
    ck_assert_int_eq(symlink(sp("outside"), sp("out/link")), 0);
    char input[4096];
    snprintf(input, sizeof input,
             "{\"url\":\"%s\",\"id\":\"../escaped\"}\n"
             "{\"url\":\"%s\",\"id\":\"%s/absolute\"}\n"
             "{\"url\":\"%s\",\"id\":\"..\"}\n"
             "{\"url\":\"%s\",\"id\":\"a/b\"}\n"
             "{\"url\":\"%s\",\"id\":\"ctl\\u0001x\"}\n"
             "{\"url\":\"%s\",\"id\":\"fine\"}\n",
             U("/ok"), U("/ok"), scratch, U("/ok"), U("/ok"), U("/ok"), U("/ok"));
    write_file(sp("in.txt"), input);
    run r;
    CLI(&r, 20, NULL, "--jsonl", "--create-dirs", "--output-dir", out, "-o", "{id}", "-i",
        sp("in.txt"));
    expect_code(&r, 1);
    cJSON *recs = jsonl(r.out);
    for (int n = 1; n <= 5; n++) {
        ck_assert_str_eq(str(rec_n(recs, n), "error"), "FUTURL_EIO");
        expect_in("message", str(rec_n(recs, n), "error_message"), "refused");
    }
    ck_assert_msg(cJSON_IsTrue(field(rec_n(recs, 6), "ok")), "the safe name failed");
    cJSON_Delete(recs);
    ck_assert_msg(!exists(sp("escaped")) && !exists(sp("absolute")), "a file escaped");
    ck_assert_int_eq(count_entries(out, NULL), 2); /* link and fine */
    run_free(&r);

    /* A URL path with ".." in {path}; a symlink inside the dir. */
    CLI(&r, 20, NULL, "--jsonl", "--create-dirs", "--output-dir", out, "-o", "{path}",
        U("/x/../../../escaped2"));
    expect_code(&r, 1);
    expect_in("stdout", r.out, "refused");
    run_free(&r);
    CLI(&r, 20, NULL, "--jsonl", "--output-dir", out, "-o", "link/{n}", U("/ok"));
    expect_code(&r, 1);
    expect_in("stdout", r.out, "symbolic link");
    ck_assert_int_eq(count_entries(sp("outside"), NULL), 0);
    run_free(&r);
    scratch_rm();
}
END_TEST

/* Files appear only complete: while a slow body arrives, the final name
 * either does not exist or holds all of it; no temporary name stays. */
START_TEST(files_are_renamed_into_place) {
    scratch_new();
    char out[512];
    snprintf(out, sizeof out, "%s", sp("out"));
    const char *args[] = {"-s",
                          "--create-dirs",
                          "--output-dir",
                          out,
                          "-o",
                          "{n}.bin",
                          U("/trickle?bytes=20&interval_ms=40"),
                          U("/trickle?bytes=20&interval_ms=30"),
                          NULL};
    bg b;
    bg_start(&b, args, NULL, NULL);
    int seen[3] = {0, 0, 0}; /* seen[n]: n.bin was there, complete */
    for (int i = 0; i < 2000 && !(seen[1] && seen[2]); i++) {
        for (int n = 1; n <= 2; n++) {
            char name[600];
            snprintf(name, sizeof name, "%s/%d.bin", out, n);
            size_t len;
            char *body = read_all(name, &len);
            if (body != NULL) {
                ck_assert_msg(len == 20, "%s visible with %zu of 20 bytes", name, len);
                seen[n] = 1;
                free(body);
            }
        }
        support_sleep_ms(5);
    }
    run r;
    bg_reap(&b, 20, &r);
    expect_code(&r, 0);
    ck_assert_msg(seen[1] && seen[2], "files seen: 1.bin %d, 2.bin %d", seen[1], seen[2]);
    ck_assert_int_eq(count_entries(out, NULL), 2);
    run_free(&r);
    scratch_rm();
}
END_TEST

/* ----------------------------------------------------------- signals */

/* Wait until the fault server has seen `want` requests on path. */
static void wait_attempts(const char *path, long want) {
    for (int i = 0; i < 1000; i++) {
        if (support_fault_attempts(&fault, path) >= want)
            return;
        support_sleep_ms(10);
    }
    ck_abort_msg("the server never saw %ld requests on %s", want, path);
}

START_TEST(first_sigint_drains_then_exits_130) {
    scratch_new();
    support_fault_reset(&fault);
    char out[512];
    snprintf(out, sizeof out, "%s", sp("out"));
    const char *args[40] = {"--create-dirs", "--output-dir",   out, "-o",
                            "{n}.json",      "--parallel-max", "3"};
    int n = 7;
    for (int i = 0; i < 23; i++)
        args[n++] = U("/ok?delay_ms=1200");
    args[n] = NULL;
    bg b;
    bg_start(&b, args, NULL, NULL);
    wait_attempts("/ok", 3);
    support_sleep_ms(100);
    double t_int = support_now();
    ck_assert_int_eq(kill(b.pid, SIGINT), 0);
    run r;
    bg_reap(&b, 20, &r);
    double after = support_now() - t_int;
    expect_code(&r, 130);
    ck_assert_msg(after < 1.2 + 1.5 * support_slack(), "exit %.2f s after SIGINT", after);
    /* The three that ran are ok; every other one read is cancelled (how
     * many were read ahead depends on the window). */
    unsigned long total = 0, cancelled = 0;
    ck_assert_msg(sscanf(r.err, "futurl: %lu requests", &total) == 1, "%s", r.err);
    const char *c = strstr(r.err, "3 ok, 0 failed, ");
    ck_assert_msg(c != NULL && sscanf(c, "3 ok, 0 failed, %lu cancelled (interrupted)",
                                      &cancelled) == 1,
                  "summary:\n%s", r.err);
    ck_assert_msg(cancelled >= 1 && total == cancelled + 3, "%lu read, %lu cancelled",
                  total, cancelled);
    ck_assert_msg(strchr(r.err, '\x1b') == NULL && strchr(r.err, '\r') == NULL,
                  "terminal codes in a redirected stderr:\n%s", r.err);
    /* The three running ones finished and were renamed; nothing else. */
    ck_assert_int_eq(count_entries(out, NULL), 3);
    ck_assert_int_eq(count_entries(out, ".tmp"), 0);
    ck_assert_int_eq(support_fault_attempts(&fault, "/ok"), 3);
    run_free(&r);
    scratch_rm();
}
END_TEST

START_TEST(second_sigint_aborts_at_once) {
    scratch_new();
    support_fault_reset(&fault);
    char out[512];
    snprintf(out, sizeof out, "%s", sp("out"));
    const char *args[] = {"--create-dirs", "--output-dir", out, "-o",
                          "{n}",           "--retry",      "0", U("/stall"),
                          U("/stall"),     U("/stall"),    NULL};
    bg b;
    bg_start(&b, args, NULL, NULL);
    wait_attempts("/stall", 3);
    ck_assert_int_eq(kill(b.pid, SIGINT), 0);
    support_sleep_ms(300);
    double t2 = support_now();
    ck_assert_int_eq(kill(b.pid, SIGINT), 0);
    run r;
    bg_reap(&b, 20, &r);
    double after = support_now() - t2;
    expect_code(&r, 130);
    ck_assert_msg(after < 1.0 * support_slack(), "exit %.2f s after the second SIGINT",
                  after);
    expect_in("summary", r.err, "3 cancelled (interrupted)");
    ck_assert_int_eq(count_entries(out, NULL), 0);
    run_free(&r);
    scratch_rm();
}
END_TEST

START_TEST(grace_period_ends_the_drain) {
    scratch_new();
    support_fault_reset(&fault);
    const char *args[] = {"-o", "/dev/null", "--retry", "0", U("/stall"), NULL};
    bg b;
    bg_start(&b, args, NULL, NULL);
    wait_attempts("/stall", 1);
    double t1 = support_now();
    ck_assert_int_eq(kill(b.pid, SIGINT), 0);
    run r;
    bg_reap(&b, 30, &r);
    double after = support_now() - t1;
    expect_code(&r, 130);
    ck_assert_msg(after >= 4.9 && after < 5.0 + 2.0 * support_slack(),
                  "grace of 5 s, exit after %.2f s", after);
    run_free(&r);

    /* SIGTERM aborts at once: 128 + 15. */
    support_fault_reset(&fault);
    bg_start(&b, args, NULL, NULL);
    wait_attempts("/stall", 1);
    t1 = support_now();
    ck_assert_int_eq(kill(b.pid, SIGTERM), 0);
    bg_reap(&b, 30, &r);
    expect_code(&r, 143);
    ck_assert_msg(support_now() - t1 < 1.0 * support_slack(), "SIGTERM took %.2f s",
                  support_now() - t1);
    run_free(&r);
    scratch_rm();
}
END_TEST

/* ------------------------------------------------ progress under tmux */

/* Run a tmux command on our private server; its output (new). */
static char *tmux(const char *sock, const char *args) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s -S '%s' %s 2>&1", TMUX, sock, args);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen tmux");
    size_t cap = 65536, n = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - 1 - n, p)) > 0)
        n += got;
    buf[n] = '\0';
    pclose(p);
    return buf;
}

/* The row of the pane holding text, or -1; *count: rows holding it. */
static int row_of(const char *pane, const char *text, int *count) {
    int row = 0, found = -1;
    *count = 0;
    for (const char *p = pane; *p != '\0'; row++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (memmem(p, len, text, strlen(text)) != NULL) {
            found = found < 0 ? row : found;
            (*count)++;
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return found;
}

START_TEST(progress_line_in_a_terminal) {
    ck_assert_msg(access(TMUX, X_OK) == 0, "tmux is missing: make deps installs it");
    scratch_new();
    char sock[600];
    snprintf(sock, sizeof sock, "%s", sp("tmux.sock"));
    char urls[4096] = "";
    for (int i = 0; i < 16; i++) {
        strcat(urls, " '");
        strcat(urls, U("/ok?delay_ms=250"));
        strcat(urls, "'");
    }
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "new-session -d -x 150 -y 12 -s cli \"%s --parallel-max 2 -o /dev/null%s; "
             "echo FUTURL-EXIT=\\$?; sleep 30\"",
             CLI_PATH, urls);
    free(tmux(sock, cmd));
    char seen[8][256];
    int n_seen = 0, row = -1, done = 0;
    for (int i = 0; i < 600 && !done; i++) {
        support_sleep_ms(50);
        char *pane = tmux(sock, "capture-pane -p -t cli");
        int count;
        int r = row_of(pane, "ETA", &count);
        ck_assert_msg(count <= 1, "%d status lines at once:\n%s", count, pane);
        if (r >= 0) {
            if (row < 0)
                row = r;
            ck_assert_msg(r == row, "the status line moved from row %d to %d:\n%s", row,
                          r, pane);
            /* Keep the distinct texts of that row. */
            const char *p = pane;
            for (int k = 0; k < r; k++)
                p = strchr(p, '\n') + 1;
            char line[256];
            snprintf(line, sizeof line, "%.*s", (int)strcspn(p, "\n"), p);
            if (n_seen == 0 || (strcmp(seen[n_seen - 1], line) != 0 && n_seen < 8))
                snprintf(seen[n_seen++], sizeof seen[0], "%s", line);
        }
        if (strstr(pane, "FUTURL-EXIT=") != NULL) {
            done = 1;
            expect_in("pane", pane, "FUTURL-EXIT=0");
            expect_in("pane", pane, "16 requests in");
            expect_in("pane", pane, "latency: p50");
            int count_eta;
            ck_assert_msg(row_of(pane, "ETA", &count_eta) < 0,
                          "the status line was not cleared:\n%s", pane);
        }
        free(pane);
    }
    free(tmux(sock, "kill-server"));
    ck_assert_msg(done, "futurl did not finish in the terminal");
    ck_assert_msg(n_seen >= 2, "the status line never changed (%d texts)", n_seen);
    expect_in("status line", seen[n_seen - 1], "/16");
    expect_in("status line", seen[0], "req/s");
    scratch_rm();
}
END_TEST

/* ------------------------------------------------------- memory at scale */

START_TEST(million_lines_in_bounded_memory) {
    scratch_new();
    /* Each line fails in the worker (libcurl's URL parse refuses the IPv6
     * literal the cheap check lets through), so every line goes through the
     * reader, a request, a submission, a future, the hand-off and a JSONL
     * record, without waiting on a network: 1,000,000 lines fit the time.
     * Under a sanitizer (slower, and ASan's quarantine holds freed memory)
     * 100,000 lines and no RSS bound: LeakSanitizer checks instead. */
    long lines = sanitized() ? 100000 : 1000000;
    FILE *f = fopen(sp("million.txt"), "w");
    ck_assert_ptr_nonnull(f);
    for (long i = 0; i < lines; i++)
        fprintf(f, "http://[1:2:3:4:5:6:7:8:9]/item/%ld\n", i);
    ck_assert_int_eq(fclose(f), 0);
    const char *args[] = {"--jsonl", "--retry",         "0", "--parallel-max", "8",
                          "-i",      sp("million.txt"), NULL};
    bg b;
    bg_start(&b, args, NULL, "/dev/null");
    run r;
    bg_reap(&b, 150, &r);
    expect_code(&r, 1);
    char want[64];
    snprintf(want, sizeof want, "%ld requests in", lines);
    expect_in("summary", r.err, want);
    snprintf(want, sizeof want, "FUTURL_EURL %ld", lines);
    expect_in("summary", r.err, want);
    fprintf(stderr,
            "test_cli: %ld lines, --jsonl to /dev/null: %.1f s, peak RSS (VmHWM) "
            "%.1f MiB\n",
            lines, r.seconds, r.hwm_kb / 1024.0);
    ck_assert_msg(r.hwm_kb > 0, "VmHWM was never read");
    if (!sanitized())
        ck_assert_msg(r.hwm_kb < 64 * 1024, "peak RSS %ld KiB for %ld lines", r.hwm_kb,
                      lines);
    run_free(&r);
    scratch_rm();
}
END_TEST

/* ------------------------------------------------------------------ suite */

static TCase *tcase(Suite *s, const char *name, int timeout_s) {
    TCase *tc = tcase_create(name);
    tcase_add_unchecked_fixture(tc, start_fault, stop_fault);
    tcase_set_timeout(tc, timeout_s);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *cli_suite(void) {
    Suite *s = suite_create("cli");
    TCase *tc = tcase(s, "options", 30);
    tcase_add_test(tc, every_option_in_help_and_man);
    tcase_add_loop_test(tc, usage_errors_exit_2, 0, N_USAGE_CASES);

    tc = tcase(s, "requests", 40);
    tcase_add_test(tc, bodies_to_stdout_in_input_or_completion_order);
    tcase_add_test(tc, jsonl_record_fields);
    tcase_add_test(tc, request_flags_reach_the_server);
    tcase_add_test(tc, json_lines_round_trip_with_ids);
    tcase_add_test(tc, bad_input_lines_counted_with_line_numbers);
    tcase_add_test(tc, retries_match_the_server_counter);
    tcase_add_test(tc, parallel_max_and_per_host_bound_the_peak);
    tcase_add_test(tc, conn_cache_keeps_a_connection_per_host);
    tcase_add_test(tc, rate_paces_the_requests);
    tcase_add_test(tc, hold_429_holds_the_host);
    tcase_add_test(tc, fail_sets_the_exit_code);
    tcase_add_test(tc, timing_redirect_and_size_flags);
    tcase_add_test(tc, proxy_flag_routes_through_the_proxy);
    tcase_add_test(tc, tls_flags);

    tc = tcase(s, "files", 40);
    tcase_add_test(tc, files_from_templates);
    tcase_add_test(tc, output_dir_refuses_to_leave);
    tcase_add_test(tc, files_are_renamed_into_place);

    tc = tcase(s, "signals", 40);
    tcase_add_test(tc, first_sigint_drains_then_exits_130);
    tcase_add_test(tc, second_sigint_aborts_at_once);
    tcase_add_test(tc, grace_period_ends_the_drain);

    tc = tcase(s, "terminal", 60);
    tcase_add_test(tc, progress_line_in_a_terminal);

    tc = tcase(s, "scale", 180);
    tcase_add_test(tc, million_lines_in_bounded_memory);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
