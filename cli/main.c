/*
 * cli/main.c — the futurl command-line tool's main loop: it reads requests
 * incrementally, keeps a bounded window of them in flight on a futurl
 * client, and writes each result as soon as its turn comes, then frees it.
 *
 * Threads. The main thread owns every slot, all output, the progress line
 * and the signals. A future's done-callback runs on a worker (or on the
 * main thread, for a future it cancels) and only hands the slot's index
 * over through the hand-off below; it never touches the slot.
 *
 * The hand-off (struct handoff): a ring of finished slot indices under
 * ho.lock, and an eventfd the main thread polls. ho.lock guards ring, head,
 * count, sleeping and wake_at. The main thread sets `sleeping` (under the
 * lock, and only with the ring empty) before it polls; the callback that
 * brings the ring to `wake_at` entries clears it and writes the eventfd
 * once, so a busy run costs no system call per request and a quiet one never
 * misses a wake-up. While enough requests wait in the queue for the workers
 * (twice the workers in the window), the main thread asks to be woken only
 * every half-worker-count completions, or after BATCH_WAIT_MS: the workers
 * never run dry, and the main thread, which shares the cores with them,
 * wakes a few times less often. Each index is in the ring at most once (a
 * slot finishes once), so the ring never overflows.
 *
 * Files: with -o, a finished body goes to a small executor of writer
 * threads (the futurl executor running our own blocking job, as
 * run_in_executor does), so the copies into the page cache run beside the
 * transfers instead of one after another on the main thread. The write's
 * future comes back through the same hand-off; only then is the slot's
 * record written and the slot freed.
 *
 * Memory is bounded by the window (CLI_WINDOW_MIN or CLI_WINDOW_PER_WORKER
 * per worker): at most that many requests are read ahead of their output,
 * whatever the length of the input. It starts at two requests per worker
 * and grows once bodies have been seen; when they are large it shrinks to about
 * CLI_WINDOW_BYTES of them (a moving average of body sizes times the window), down to two
 * requests per worker: the workers outrun the writers, and a window full of finished 1
 * MiB bodies waiting for them (S3, 64 MiB) was cold in the cache and cost 1.65 times the
 * CPU of a window of 16 (farm-bench, 5 pairs). In input order a slot is freed only when
 * it is written, so request n always lives in slot (n-1) % window.
 *
 * Signals (SIGINT, SIGTERM, SIGHUP) are blocked and read from a signalfd
 * in the same poll: nothing runs in a handler. The first SIGINT drains
 * (stop reading, cancel what has not started, give the running requests
 * CLI_GRACE_MS), a second one or the end of the grace aborts (cancel
 * everything running); SIGTERM and SIGHUP abort at once.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"

#define FLUSH_DELAY_MS 20   /* idle: stdout waits this long for more output */
#define FLUSH_MAX_S    0.1  /* busy: stdout is flushed at least this often */
#define BUSY_POLL_S    0.01 /* busy: signals and input are polled this often */
#define BATCH_WAIT_MS  5    /* a batched wake-up comes at least this soon */

struct app;

/* A slot and what its done-callback needs to hand it over. */
/* A body on its way to a file, on the writer pool: the job reads the slot
 * (n, url, id) and the body, borrowed from the slot's finished future, and
 * fills path, msg and rc; the main thread reads them once the write
 * future has been handed back. */
typedef struct write_task {
    cli_output *out;
    const cli_slot *s;
    const char *body;
    size_t len;
    char *path; /* the file written (new) */
    char msg[512];
    int rc;
} write_task;

/* A slot and what its done-callbacks need to hand it over. */
typedef struct entry {
    cli_slot s;
    struct app *a;
    unsigned index;
    futurl_future *wf; /* its body's write job, while writing and after */
    write_task wt;
} entry;

typedef struct handoff {
    pthread_mutex_t lock;
    unsigned *ring; /* finished slot indices, FIFO */
    size_t cap, head, count;
    int sleeping;   /* the main thread is (about to be) in poll */
    size_t wake_at; /* ... and wants waking when count reaches this */
    int efd;
} handoff;

enum { RUN, DRAIN, ABORT };

typedef struct app {
    cli_opts o;
    futurl_client *c;
    cli_output out;
    futurl_executor *writer; /* file writes, off the main thread; NULL: none */
    cli_stats st;
    cli_reader rd;
    int have_reader;
    size_t next_arg;
    int input_done;
    entry *slots;
    unsigned window, in_use;
    double avg_body;      /* moving average of body sizes, bytes */
    uint64_t ended;       /* transfers ended so far (the average's sample) */
    unsigned *free_stack; /* completion order: unused slots */
    unsigned n_free;
    uint64_t next_n;     /* number of the last request read */
    uint64_t next_write; /* input order: the next number to write */
    handoff ho;
    int sfd;
    int state;
    double grace_end;
    int interrupted; /* a SIGINT came */
    int exit_signal; /* SIGTERM / SIGHUP */
    int fatal;       /* an exit code for a local error, 0 */
    int unflushed;   /* stdout has data since the last flush */
    double last_flush, last_poll;
} app;

/* ------------------------------------------------------------- hand-off */

/* Push a finished slot; wake the main thread if it sleeps. Any thread. */
static void handoff_push(handoff *ho, unsigned index) {
    pthread_mutex_lock(&ho->lock);
    ho->ring[(ho->head + ho->count) % ho->cap] = index;
    ho->count++;
    int wake = ho->sleeping && ho->count >= ho->wake_at;
    if (wake)
        ho->sleeping = 0;
    pthread_mutex_unlock(&ho->lock);
    if (wake) {
        uint64_t one = 1;
        while (write(ho->efd, &one, sizeof one) < 0 && errno == EINTR)
            ;
    }
}

static void on_done(futurl_future *f, void *userdata) {
    (void)f;
    entry *e = userdata;
    handoff_push(&e->a->ho, e->index);
}

/* ---------------------------------------------------------------- slots */

static int report_errors(const app *a) {
    return !a->o.silent || a->o.show_error;
}

/* "line 12" or "argument 3". */
static void where(const cli_slot *s, char *out, size_t cap) {
    if (s->line != 0)
        snprintf(out, cap, "line %lu", s->line);
    else
        snprintf(out, cap, "argument %llu", (unsigned long long)s->n);
}

/* Abort: cancel every request in flight (their callbacks hand them over). */
static void begin_abort(app *a) {
    a->state = ABORT;
    a->input_done = 1;
    for (unsigned i = 0; i < a->window; i++)
        if (a->slots[i].s.used && a->slots[i].s.f != NULL && !a->slots[i].s.finished)
            futurl_future_cancel(a->slots[i].s.f);
}

/* Drain: stop reading, cancel what waits, let the running finish. */
static void begin_drain(app *a) {
    a->state = DRAIN;
    a->input_done = 1;
    a->grace_end = cli_now() + CLI_GRACE_MS / 1000.0;
    for (unsigned i = 0; i < a->window; i++) {
        cli_slot *s = &a->slots[i].s;
        if (s->used && s->f != NULL && !s->finished &&
            futurl_future_state(s->f) == FUTURL_PENDING)
            futurl_future_cancel(s->f);
    }
}

static void local_error(app *a, const char *what) {
    if (a->fatal == 0) {
        a->fatal = CLI_EXIT_LOCAL;
        if (a->out.out_error != EPIPE) { /* `futurl ... | head` ends quietly */
            cli_progress_clear(&a->st);
            fprintf(stderr, "futurl: %s: %s\n", what, strerror(a->out.out_error));
        }
    }
    if (a->state != ABORT)
        begin_abort(a);
}

static futurl_status write_job(futurl_job *job, void *arg, void **result) {
    (void)job, (void)result;
    write_task *t = arg;
    t->rc =
        cli_output_file(t->out, t->s, t->body, t->len, &t->path, t->msg, sizeof t->msg);
    return FUTURL_OK;
}

/* Does this finished slot's body go to a file? */
static int needs_file(const app *a, const entry *e) {
    return a->o.output != NULL && a->fatal == 0 && e->s.f != NULL && e->wf == NULL &&
           futurl_future_status(e->s.f) == FUTURL_OK;
}

/* Hand the body to the writer pool; 0, or -1 to write it here instead. */
static int start_write(app *a, entry *e) {
    const futurl_response *resp = futurl_future_response(e->s.f);
    write_task *t = &e->wt;
    memset(t, 0, sizeof *t);
    t->out = &a->out;
    t->s = &e->s;
    t->body = resp != NULL ? futurl_response_body(resp, &t->len) : "";
    if (a->writer == NULL || futurl_executor_submit(a->writer, write_job, t, NULL, NULL,
                                                    &e->wf) != FUTURL_OK) {
        e->wf = NULL;
        return -1;
    }
    if (futurl_future_on_done(e->wf, on_done, e) != FUTURL_OK) {
        (void)futurl_future_wait(e->wf);
        handoff_push(&a->ho, e->index);
    }
    return 0;
}

/* Write a finished slot's results, count it, and free it. */
static void finish(app *a, entry *e) {
    cli_slot *s = &e->s;
    const futurl_response *resp = NULL;
    futurl_status outcome;
    const char *errmsg;
    char msg[512];
    char *file = NULL;
    if (s->f == NULL) {
        outcome = s->bad;
        errmsg = s->bad_msg;
    } else {
        outcome = futurl_future_status(s->f);
        resp = futurl_future_response(s->f);
        errmsg = futurl_future_errmsg(s->f);
    }
    if (e->wf != NULL) { /* written on the pool (or cancelled before) */
        futurl_status ws = futurl_future_status(e->wf);
        file = e->wt.path;
        e->wt.path = NULL;
        if (ws != FUTURL_OK) {
            outcome = ws;
            errmsg = futurl_future_errmsg(e->wf);
        } else if (e->wt.rc != 0) {
            outcome = FUTURL_EIO;
            errmsg = e->wt.msg;
        }
    } else if (outcome == FUTURL_OK && a->fatal == 0) {
        size_t len = 0;
        const char *body = resp != NULL ? futurl_response_body(resp, &len) : "";
        if (a->o.output != NULL) {
            if (cli_output_file(&a->out, s, body, len, &file, msg, sizeof msg) != 0) {
                outcome = FUTURL_EIO;
                errmsg = msg;
            }
        } else if (!a->o.jsonl && !a->o.discard) {
            if (cli_output_body(&a->out, body, len) != 0)
                local_error(a, "stdout");
            a->unflushed = 1;
        }
    }
    int ok = outcome == FUTURL_OK;
    if (a->o.jsonl && a->fatal == 0) {
        if (cli_output_jsonl(&a->out, s, resp, outcome, errmsg, file, ok) != 0)
            local_error(a, "stdout");
        a->unflushed = 1;
    }
    cli_stats_add(&a->st, outcome, ok, resp);
    if (!ok && s->f != NULL && outcome != FUTURL_ECANCELED && report_errors(a)) {
        char at[48];
        where(s, at, sizeof at);
        cli_progress_clear(&a->st);
        fprintf(stderr, "futurl: %s: %s: %s: %s\n", at, s->url, futurl_err_name(outcome),
                errmsg);
    }
    free(file);
    futurl_future_free(e->wf);
    e->wf = NULL;
    cli_slot_clear(s);
    a->in_use--;
    if (a->o.order == CLI_ORDER_COMPLETION)
        a->free_stack[a->n_free++] = e->index;
}

/* Take everything the callbacks handed over; write what may be written. */
static void collect(app *a) {
    unsigned batch[256];
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&a->ho.lock);
        while (n < sizeof batch / sizeof batch[0] && a->ho.count > 0) {
            batch[n++] = a->ho.ring[a->ho.head];
            a->ho.head = (a->ho.head + 1) % a->ho.cap;
            a->ho.count--;
        }
        pthread_mutex_unlock(&a->ho.lock);
        if (n == 0)
            return;
        for (size_t i = 0; i < n; i++) {
            entry *e = &a->slots[batch[i]];
            if (e->wf == NULL && e->s.f != NULL) { /* its transfer just ended */
                const futurl_response *r = futurl_future_response(e->s.f);
                double b = r != NULL ? (double)futurl_response_bytes(r) : 0;
                a->avg_body += (b - a->avg_body) / 8;
                a->ended++;
            }
            if (needs_file(a, e) && start_write(a, e) == 0)
                continue; /* back here once written */
            if (a->o.order == CLI_ORDER_COMPLETION) {
                finish(a, e);
                continue;
            }
            e->s.finished = 1;
            for (;;) { /* write the finished head of the line */
                entry *head = &a->slots[a->next_write % a->window];
                if (!head->s.used || !head->s.finished || head->s.n != a->next_write + 1)
                    break;
                a->next_write++;
                finish(a, head);
            }
        }
    }
}

/* Start one input item: a request, or a bad line handed over at once. */
static void admit(app *a, const char *text, unsigned long line, int too_long) {
    unsigned idx = a->o.order == CLI_ORDER_COMPLETION ? a->free_stack[--a->n_free]
                                                      : (unsigned)(a->next_n % a->window);
    entry *e = &a->slots[idx];
    cli_slot *s = &e->s;
    s->used = 1;
    s->n = ++a->next_n;
    s->line = line;
    a->in_use++;
    a->st.read++;
    char msg[512];
    futurl_request *req = NULL;
    futurl_status st;
    if (too_long) {
        st = FUTURL_EINVAL;
        snprintf(msg, sizeof msg, "line longer than %u bytes", CLI_MAX_LINE);
    } else {
        st = cli_build_request(&a->o, text, s, &req, msg, sizeof msg);
    }
    if (st == FUTURL_OK) {
        st = futurl_client_submit(a->c, req, &s->f);
        if (st == FUTURL_OK) {
            if (futurl_future_on_done(s->f, on_done, e) != FUTURL_OK) {
                (void)futurl_future_wait(s->f); /* no callback: finish it here */
                handoff_push(&a->ho, idx);
            }
            return;
        }
        snprintf(msg, sizeof msg, "submit: %s", futurl_strerror(st));
    }
    /* A bad item: never sent, counted as a failure, reported with its place. */
    s->bad = st;
    s->bad_msg = strdup(msg);
    a->st.bad_lines++;
    if (report_errors(a) || a->o.strict) {
        char at[48];
        where(s, at, sizeof at);
        cli_progress_clear(&a->st);
        fprintf(stderr, "futurl: %s: %s%s\n", at, msg,
                a->o.strict ? " (stopping: --strict)" : "");
    }
    handoff_push(&a->ho, idx);
    if (a->o.strict && a->fatal == 0) {
        a->fatal = CLI_EXIT_STRICT;
        begin_abort(a);
    }
}

/* Read and start as many items as the window has room for. Returns 1 when
 * the input needs a poll for more data. */
static int admit_input(app *a) {
    /* Two per worker until bodies have been seen; then for large bodies a
     * window of about CLI_WINDOW_BYTES, down to two per worker. */
    unsigned window = a->window;
    if (a->ended < 2 * a->o.parallel) {
        window = 2 * a->o.parallel < a->window ? 2 * a->o.parallel : a->window;
    } else if (a->avg_body * window > CLI_WINDOW_BYTES) {
        double w = CLI_WINDOW_BYTES / a->avg_body;
        window = w > 2.0 * a->o.parallel ? (unsigned)w : 2 * a->o.parallel;
        window = window < a->window ? window : a->window;
    }
    while (a->state == RUN && !a->input_done && a->in_use < window) {
        if (a->next_arg < a->o.n_urls) {
            admit(a, a->o.urls[a->next_arg++], 0, 0);
            continue;
        }
        if (!a->have_reader) {
            a->input_done = 1;
            break;
        }
        char *line;
        unsigned long no;
        int r = cli_reader_next(&a->rd, &line, &no);
        if (r == CLI_LINE || r == CLI_LINE_TOO_LONG) {
            admit(a, line, no, r == CLI_LINE_TOO_LONG);
        } else if (r == CLI_LINE_NEED_DATA) {
            return 1;
        } else {
            if (a->rd.err != 0) {
                cli_progress_clear(&a->st);
                fprintf(stderr, "futurl: reading %s: %s\n", a->o.input,
                        strerror(a->rd.err));
                if (a->fatal == 0)
                    a->fatal = CLI_EXIT_LOCAL;
            }
            a->input_done = 1;
        }
    }
    if (a->input_done)
        a->st.total_known = 1;
    return 0;
}

static void handle_signals(app *a) {
    struct signalfd_siginfo si;
    while (read(a->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGINT && !a->interrupted && a->exit_signal == 0) {
            a->interrupted = 1;
            if (a->state == RUN)
                begin_drain(a);
        } else {
            if (si.ssi_signo == SIGINT)
                a->interrupted = 1;
            else if (a->exit_signal == 0)
                a->exit_signal = (int)si.ssi_signo;
            if (a->state != ABORT)
                begin_abort(a);
        }
    }
}

/* --------------------------------------------------------------- set-up */

static int make_client(app *a) {
    const cli_opts *o = &a->o;
    futurl_client_options co;
    futurl_client_options_init(&co);
    co.workers = o->parallel;
    co.queue_capacity = a->window + o->parallel + 16; /* submit never waits */
    co.thread_name = "futurl";
    if (o->user_agent != NULL)
        co.user_agent = o->user_agent;
    if (o->max_time_ms >= 0)
        co.timeout_ms = o->max_time_ms;
    if (o->connect_timeout_ms >= 0)
        co.connect_timeout_ms = o->connect_timeout_ms;
    if (o->deadline_ms >= 0)
        co.deadline_ms = o->deadline_ms;
    co.follow_redirects = o->follow;
    if (o->max_redirs >= 0)
        co.max_redirects = o->max_redirs;
    co.verify_tls = !o->insecure;
    co.ca_file = o->cacert;
    co.proxy = o->proxy;
    co.http2 = !o->http11;
    char *user = NULL;
    if (o->user != NULL) {
        user = strdup(o->user);
        if (user == NULL)
            return FUTURL_ENOMEM;
        char *colon = strchr(user, ':');
        *colon = '\0';
        co.username = user;
        co.password = colon + 1;
    }
    co.bearer_token = o->bearer;
    if (o->max_filesize >= 0)
        co.max_response_bytes = (size_t)o->max_filesize;
    co.raise_for_status = o->fail;
    co.retry.max_attempts = (unsigned)o->retry + 1;
    co.retry.budget_ms = o->retry_max_ms;
    co.max_per_host = o->per_host;
    if (o->conn_cache != 0)
        co.keepalive_per_worker = o->conn_cache;
    co.rate_limit = o->rate;
    if (o->rate_burst != 0)
        co.rate_burst = o->rate_burst;
    co.hold_on_429 = o->hold_429;
    futurl_status st = futurl_client_create(&co, &a->c);
    free(user);
    return st;
}

static int setup(app *a) {
    const cli_opts *o = &a->o;
    unsigned w = o->parallel * CLI_WINDOW_PER_WORKER;
    a->window = w > CLI_WINDOW_MIN ? w : CLI_WINDOW_MIN;
    a->slots = calloc(a->window, sizeof *a->slots);
    a->free_stack = calloc(a->window, sizeof *a->free_stack);
    a->ho.ring = calloc(a->window, sizeof *a->ho.ring);
    a->ho.cap = a->window;
    if (a->slots == NULL || a->free_stack == NULL || a->ho.ring == NULL) {
        fprintf(stderr, "futurl: out of memory\n");
        return CLI_EXIT_LOCAL;
    }
    for (unsigned i = 0; i < a->window; i++) {
        a->slots[i].a = a;
        a->slots[i].index = i;
        a->free_stack[a->n_free++] = a->window - 1 - i;
    }
    pthread_mutex_init(&a->ho.lock, NULL);
    a->ho.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    /* Blocked before any worker starts, so only the signalfd sees them. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    a->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is EPIPE, not death */
    if (a->ho.efd < 0 || a->sfd < 0) {
        fprintf(stderr, "futurl: eventfd/signalfd: %s\n", strerror(errno));
        return CLI_EXIT_LOCAL;
    }
    int code = CLI_EXIT_LOCAL;
    if (cli_output_init(&a->out, o, &code) != 0)
        return code;
    if (o->input != NULL) {
        if (cli_reader_open(&a->rd, o->input) != 0) {
            fprintf(stderr, "futurl: %s: %s\n", o->input, strerror(errno));
            return CLI_EXIT_LOCAL;
        }
        a->have_reader = 1;
    }
    if (o->insecure && !o->silent)
        fprintf(stderr, "futurl: warning: --insecure: TLS certificates and host names "
                        "are not verified\n");
    if (o->output != NULL) {
        futurl_executor_options xo;
        futurl_executor_options_init(&xo);
        xo.workers = o->parallel < CLI_WRITERS ? o->parallel : CLI_WRITERS;
        xo.queue_capacity = a->window; /* a slot has one write at most */
        xo.thread_name = "futurl-write";
        if (futurl_executor_create(&xo, &a->writer) != FUTURL_OK)
            a->writer = NULL; /* the main thread writes */
    }
    futurl_status st = make_client(a);
    if (st != FUTURL_OK) {
        fprintf(stderr, "futurl: cannot start the client: %s (%s)\n", futurl_strerror(st),
                futurl_err_name(st));
        return st == FUTURL_EINVAL || st == FUTURL_ESCHEME || st == FUTURL_EURL ||
                       st == FUTURL_EHEADER
                   ? CLI_EXIT_USAGE
                   : CLI_EXIT_LOCAL;
    }
    cli_stats_init(&a->st, isatty(STDERR_FILENO) && !o->silent);
    return -1;
}

static void teardown(app *a) {
    futurl_client_destroy(a->c);
    futurl_executor_destroy(a->writer);
    if (a->slots != NULL)
        for (unsigned i = 0; i < a->window; i++) {
            futurl_future_free(a->slots[i].wf);
            free(a->slots[i].wt.path);
            cli_slot_clear(&a->slots[i].s);
        }
    if (a->have_reader)
        cli_reader_close(&a->rd);
    cli_output_close(&a->out);
    if (a->ho.ring != NULL)
        pthread_mutex_destroy(&a->ho.lock);
    if (a->ho.efd >= 0)
        close(a->ho.efd);
    if (a->sfd >= 0)
        close(a->sfd);
    free(a->slots);
    free(a->free_stack);
    free(a->ho.ring);
    cli_free_options(&a->o);
}

/* ------------------------------------------------------------ main loop */

static void run(app *a) {
    for (;;) {
        collect(a);
        int need_input = admit_input(a);
        if (a->input_done && a->in_use == 0) {
            collect(a);
            if (a->in_use == 0)
                break;
        }
        double now = cli_now();
        cli_progress_draw(&a->st, a->c, now, 0);
        if (a->state == DRAIN && now >= a->grace_end)
            begin_abort(a);

        long timeout = -1;
        if (a->st.progress)
            timeout = (long)((a->st.next_draw - now) * 1000) + 1;
        if (a->state == DRAIN) {
            long g = (long)((a->grace_end - now) * 1000) + 1;
            timeout = timeout < 0 || g < timeout ? g : timeout;
        }
        int delayed_flush = 0;
        if (a->unflushed && (timeout < 0 || timeout > FLUSH_DELAY_MS)) {
            timeout = FLUSH_DELAY_MS;
            delayed_flush = 1;
        }
        struct pollfd p[3] = {{.fd = a->sfd, .events = POLLIN},
                              {.fd = a->ho.efd, .events = POLLIN},
                              {.fd = -1, .events = POLLIN}};
        if (need_input && a->state == RUN && a->in_use < a->window)
            p[2].fd = a->rd.fd;

        size_t batch = 1; /* see "The hand-off" above */
        if (a->state == RUN && !a->input_done && a->in_use >= 2 * a->o.parallel &&
            a->o.parallel >= 4) {
            batch = a->o.parallel / 2;
            if (timeout < 0 || timeout > BATCH_WAIT_MS)
                timeout = BATCH_WAIT_MS;
        }
        pthread_mutex_lock(&a->ho.lock);
        int pending = a->ho.count > 0;
        a->ho.sleeping = !pending;
        a->ho.wake_at = batch;
        pthread_mutex_unlock(&a->ho.lock);
        /* Busy: look at signals and input now and then, not every batch. */
        if (pending && p[2].fd < 0 && now - a->last_poll < BUSY_POLL_S)
            continue;
        a->last_poll = now;
        if (a->unflushed && now - a->last_flush > FLUSH_MAX_S)
            delayed_flush = 1, timeout = 0;
        int r = poll(p, 3, pending ? 0 : (int)timeout);
        pthread_mutex_lock(&a->ho.lock);
        a->ho.sleeping = 0;
        pthread_mutex_unlock(&a->ho.lock);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "futurl: poll: %s\n", strerror(errno));
            a->fatal = CLI_EXIT_LOCAL;
            begin_abort(a);
        }
        if ((r == 0 || pending) && delayed_flush) {
            if (cli_output_flush(&a->out) != 0)
                local_error(a, "stdout");
            a->unflushed = 0;
            a->last_flush = cli_now();
        }
        if (r > 0 && (p[1].revents & POLLIN)) {
            uint64_t v;
            while (read(a->ho.efd, &v, sizeof v) < 0 && errno == EINTR)
                ;
        }
        if (r > 0 && p[2].fd >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
            cli_reader_fill(&a->rd);
        if (r > 0 && (p[0].revents & POLLIN))
            handle_signals(a);
    }
}

int main(int argc, char **argv) {
    app a;
    memset(&a, 0, sizeof a);
    a.sfd = a.ho.efd = -1;
    int code = cli_parse_options(argc, argv, &a.o);
    if (code >= 0) {
        cli_free_options(&a.o);
        return code;
    }
    code = setup(&a);
    if (code >= 0) {
        teardown(&a);
        return code;
    }
    run(&a);
    if (cli_output_flush(&a.out) != 0 && a.fatal == 0)
        local_error(&a, "stdout");
    cli_progress_clear(&a.st);
    if (!a.o.silent)
        cli_stats_summary(&a.st, a.interrupted || a.exit_signal != 0);
    if (a.fatal != 0)
        code = a.fatal;
    else if (a.exit_signal != 0)
        code = 128 + a.exit_signal;
    else if (a.interrupted)
        code = CLI_EXIT_INTERRUPT;
    else if (a.st.failed > 0)
        code = CLI_EXIT_FAILED;
    else
        code = CLI_EXIT_OK;
    teardown(&a);
    return code;
}
