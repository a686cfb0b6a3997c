/*
 * callbacks — react to each response when it is done; chain a follow-up.
 *
 * Python (concurrent.futures / asyncio):
 *
 *     future = executor.submit(fetch, url)
 *     future.add_done_callback(lambda f: print(f.result().status_code))
 *
 * futurl_future_on_done(f, fn, userdata) calls fn(f, userdata) exactly once
 * when f finishes — also when it failed or was cancelled. Which thread runs
 * it matters in C:
 *   - the worker thread that finished f, if f was still running (the usual
 *     case): keep callbacks short, guard any state they share (here a
 *     mutex), and never block in them — a callback that waits on another
 *     future of the same pool can deadlock it. Submitting from a callback
 *     is fine: it never blocks (a full queue fails with FUTURL_EQUEUEFULL);
 *   - your own thread, at once, inside on_done(), if f had already
 *     finished — the last part of the program shows that.
 * Ownership: once on_done() succeeded, main hands its reference over and
 * the callback frees the future — fire and forget. Main then sleeps on a
 * latch the callbacks count down, not on any future.
 *
 * Run:  build/plain/examples/callbacks [BASE_URL]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <futurl.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */

/* Exit early, and say how to fix it, when no server answers at base. */
static int server_is_up(futurl_client *c, const char *base, const char *prog) {
    futurl_future *f = NULL;
    futurl_status st = futurl_get(c, "/get", &f);
    if (st == FUTURL_OK)
        st = futurl_future_wait(f);
    futurl_future_free(f);
    if (st == FUTURL_OK)
        return 1;
    fprintf(stderr,
            "No HTTP server answers at %s (%s).\n"
            "Start the local one in another terminal with `make serve`,\n"
            "or pass a base URL: %s http://127.0.0.1:PORT\n",
            base, futurl_strerror(st), prog);
    return 0;
}

typedef struct shared shared;

/* One request's context: what its callback needs to know about it. */
typedef struct call {
    const char *label;
    shared *s;
} call;

/* State every callback shares, on main's stack: it outlives the callbacks
 * because main destroys the client (joining the workers) before it
 * returns. The lock guards `left` and `ok`; the rest is written before the
 * first submit and only read afterwards. */
struct shared {
    pthread_mutex_t lock;
    pthread_cond_t all_done;
    int left; /* callbacks still to come */
    int ok;
    pthread_t main_thread;
    futurl_client *client;
    call follow_up; /* the context of the request on_uuid chains */
};

static void count_down(shared *s, int ok) {
    pthread_mutex_lock(&s->lock);
    s->ok += ok;
    if (--s->left == 0)
        pthread_cond_signal(&s->all_done);
    pthread_mutex_unlock(&s->lock);
}

static const char *thread_name(const shared *s) {
    return pthread_equal(pthread_self(), s->main_thread) ? "main thread" : "a worker";
}

/* The callback for every request: report, free the future, count down. */
static void on_response(futurl_future *f, void *userdata) {
    const call *c = userdata;
    int ok = futurl_future_status(f) == FUTURL_OK;
    if (ok)
        printf("  callback on %s: %-20s HTTP %ld\n", thread_name(c->s), c->label,
               futurl_response_status(futurl_future_response(f)));
    else
        printf("  callback on %s: %-20s %s\n", thread_name(c->s), c->label,
               futurl_err_name(futurl_future_status(f)));
    futurl_future_free(f); /* ours: main handed its reference over */
    count_down(c->s, ok);
}

/* A continuation: when /uuid arrives, ask for /anything/<uuid> — a request
 * that depends on another's result, submitted from the worker thread. */
static void on_uuid(futurl_future *f, void *userdata) {
    const call *c = userdata;
    const cJSON *uuid = NULL;
    if (futurl_future_status(f) == FUTURL_OK)
        uuid = cJSON_GetObjectItemCaseSensitive(
            futurl_response_json(futurl_future_response(f)), "uuid");
    printf("  callback on %s: %-20s %s, following up\n", thread_name(c->s), c->label,
           cJSON_IsString(uuid) ? uuid->valuestring : "no uuid");

    char url[96];
    futurl_future *next = NULL;
    futurl_status st = FUTURL_EINVAL;
    if (cJSON_IsString(uuid)) {
        snprintf(url, sizeof url, "/anything/%.40s", uuid->valuestring);
        st = futurl_get(c->s->client, url, &next); /* never blocks on a worker */
    }
    if (st == FUTURL_OK &&
        (st = futurl_future_on_done(next, on_response, &c->s->follow_up)) != FUTURL_OK)
        futurl_future_free(next);
    if (st != FUTURL_OK)
        count_down(c->s, 0); /* the follow-up's callback will never come */
    futurl_future_free(f);
    count_down(c->s, st == FUTURL_OK);
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;

    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    futurl_client *client;
    futurl_status st = futurl_client_create(&opts, &client);
    if (st != FUTURL_OK) {
        fprintf(stderr, "cannot create the client: %s\n", futurl_strerror(st));
        return EXIT_FAILURE;
    }
    if (!server_is_up(client, base, argv[0])) {
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }

    static const char *const urls[] = {"/delay/0.6", "/delay/0.3", "/status/418", "/get",
                                       "/uuid"};
    enum { N = sizeof urls / sizeof urls[0] };
    shared s = {.lock = PTHREAD_MUTEX_INITIALIZER,
                .all_done = PTHREAD_COND_INITIALIZER,
                .left = N + 1, /* + the follow-up of /uuid */
                .main_thread = pthread_self(),
                .client = client};
    s.follow_up = (call){"/anything/<uuid>", &s};
    call calls[N];

    printf("submitting %d requests, each with a done-callback:\n", N);
    fflush(stdout);
    for (int i = 0; i < N; i++) {
        calls[i] = (call){urls[i], &s};
        futurl_future *f;
        int is_uuid = i == N - 1;
        if ((st = futurl_get(client, urls[i], &f)) == FUTURL_OK &&
            (st = futurl_future_on_done(f, is_uuid ? on_uuid : on_response, &calls[i])) !=
                FUTURL_OK)
            futurl_future_free(f); /* the callback will not run: f is still ours */
        if (st != FUTURL_OK) {
            fprintf(stderr, "submit %s: %s\n", urls[i], futurl_strerror(st));
            count_down(&s, 0);
            if (is_uuid)
                count_down(&s, 0); /* no follow-up either */
        }
        /* On success main keeps no pointer to f: the callback owns it. */
    }

    /* Sleep until every callback has run; bounded at 10 s. */
    struct timespec deadline;
    int timed_out = clock_gettime(CLOCK_REALTIME, &deadline) != 0;
    deadline.tv_sec += 10;
    pthread_mutex_lock(&s.lock);
    while (s.left > 0 && !timed_out)
        timed_out = pthread_cond_timedwait(&s.all_done, &s.lock, &deadline) == ETIMEDOUT;
    int ok = s.ok, left = s.left;
    pthread_mutex_unlock(&s.lock);
    printf("all callbacks ran: %s (%d ok)\n", left == 0 ? "yes" : "no", ok);

    /* A callback added to a future that has already finished runs at once,
     * on the thread that adds it. */
    if (left == 0) {
        printf("adding a callback to a finished future:\n");
        s.left = 1; /* every earlier callback is over: no lock needed */
        call late = {"/get (already done)", &s}; /* used before on_done returns */
        futurl_future *f;
        if ((st = futurl_get(client, "/get", &f)) == FUTURL_OK &&
            (st = futurl_future_wait(f)) == FUTURL_OK &&
            (st = futurl_future_on_done(f, on_response, &late)) != FUTURL_OK)
            futurl_future_free(f);
        if (st != FUTURL_OK)
            fprintf(stderr, "late callback: %s\n", futurl_strerror(st));
    }

    /* Destroy drains the queue and joins the workers: after it, no callback
     * can still be running, so `s` may go out of scope. */
    futurl_client_destroy(client);
    return left == 0 && ok == N + 1 && st == FUTURL_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}
