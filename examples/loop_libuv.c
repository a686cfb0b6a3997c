/*
 * loop_libuv — futurl inside a libuv loop: completions arrive through
 * uv_poll_t on the completion queue's fd, while a uv_timer ticks beside
 * them, all on the loop's thread.
 *
 * Python (asyncio is the loop; uvloop is asyncio on libuv):
 *
 *     async def main():
 *         ticker = asyncio.create_task(tick_every(0.1))
 *         futs = [loop.run_in_executor(pool, fetch, u) for u in urls]
 *         for fut in asyncio.as_completed(futs):
 *             print(await fut)
 *
 * The library knows nothing of libuv: the loop watches one file
 * descriptor, readable while finished futures wait in the queue, and the
 * poll callback pops them all. Each future is attached with
 * futurl_completion_queue_on_done(), so its callback runs right there on
 * the loop thread (call_soon_threadsafe's half of run_in_executor), never
 * on a worker. libuv (Debian libuv1-dev, `make deps`) is a dependency of
 * this example only, never of futurl.
 *
 * Run:  build/plain/examples/loop_libuv [BASE_URL]
 */
#include <futurl.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */
#define N            20

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

typedef struct app {
    futurl_completion_queue *q;
    uv_poll_t poll;
    uv_timer_t timer;
    pthread_t loop_thread;
    int pending, on_loop, ticks;
    char urls[N][32];
} app;

typedef struct call {
    app *a;
    int index;
} call;

/* Runs on the loop thread, from futurl_completion_queue_next(). */
static void on_done(futurl_future *f, void *userdata) {
    call *c = userdata;
    app *a = c->a;
    const futurl_response *r = futurl_future_response(f);
    a->on_loop += pthread_equal(pthread_self(), a->loop_thread) != 0;
    a->pending--;
    printf("[loop thread] %2d/%d  %-12s HTTP %ld\n", N - a->pending, N, a->urls[c->index],
           r ? futurl_response_status(r) : 0L);
    futurl_future_free(f); /* our reference was handed to this callback */
}

static void on_readable(uv_poll_t *handle, int status, int events) {
    app *a = handle->data;
    (void)events;
    if (status < 0) {
        fprintf(stderr, "uv_poll: %s\n", uv_strerror(status));
        return;
    }
    futurl_completion e;
    while (futurl_completion_queue_next(a->q, &e) == FUTURL_OK)
        ; /* each pop ran its on_done callback */
    fflush(stdout);
    if (a->pending == 0) {
        uv_poll_stop(&a->poll);
        uv_timer_stop(&a->timer); /* nothing left: uv_run returns */
    }
}

static void on_tick(uv_timer_t *t) {
    app *a = t->data;
    a->ticks++;
    printf("[loop thread] tick %d, %d request(s) pending\n", a->ticks, a->pending);
    fflush(stdout);
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    opts.workers = 5;
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
    static app a;
    static call calls[N];
    a.loop_thread = pthread_self();
    if ((st = futurl_completion_queue_new(&a.q)) != FUTURL_OK) {
        fprintf(stderr, "cannot make the queue: %s\n", futurl_strerror(st));
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }
    uv_loop_t *loop = uv_default_loop();
    uv_poll_init(loop, &a.poll, futurl_completion_queue_fd(a.q));
    a.poll.data = &a;
    uv_poll_start(&a.poll, UV_READABLE, on_readable);
    uv_timer_init(loop, &a.timer);
    a.timer.data = &a;
    uv_timer_start(&a.timer, on_tick, 100, 100);

    for (int i = 0; i < N; i++) {
        snprintf(a.urls[i], sizeof a.urls[i], "/delay/0.%d", (i * 3) % 10);
        calls[i] = (call){&a, i};
        futurl_request *r;
        futurl_future *f;
        if ((st = futurl_request_new("GET", a.urls[i], &r)) != FUTURL_OK ||
            (st = futurl_client_submit(client, r, &f)) != FUTURL_OK) {
            fprintf(stderr, "request %d: %s\n", i, futurl_strerror(st));
            continue;
        }
        if ((st = futurl_completion_queue_on_done(a.q, f, on_done, &calls[i])) !=
            FUTURL_OK) {
            fprintf(stderr, "attach %d: %s\n", i, futurl_strerror(st));
            futurl_future_free(f);
            continue;
        }
        a.pending++;
    }
    printf("%d requests submitted; the loop runs\n", a.pending);
    fflush(stdout);
    int submitted = a.pending;
    uv_run(loop, UV_RUN_DEFAULT);

    printf("%d of %d callbacks ran on the loop thread, beside %d timer ticks\n",
           a.on_loop, submitted, a.ticks);
    uv_close((uv_handle_t *)&a.poll, NULL);
    uv_close((uv_handle_t *)&a.timer, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    futurl_completion_queue_free(a.q);
    futurl_client_destroy(client);
    return a.pending == 0 && submitted == N ? EXIT_SUCCESS : EXIT_FAILURE;
}
