/*
 * loop_glib — futurl inside a GLib main loop (GTK's loop): completions
 * arrive through g_unix_fd_add() on the completion queue's fd, beside a
 * g_timeout_add() timer, all on the main thread.
 *
 * Python (a GTK program with asyncio-style results; on PyGObject the
 * result must come back to the GTK thread before it touches a widget):
 *
 *     fut = loop.run_in_executor(pool, fetch, url)
 *     fut.add_done_callback(lambda f: label.set_text(f.result()))
 *
 * A GTK application may only touch its widgets from the main thread, so
 * futurl's done-callbacks (which run on workers) are the wrong place for
 * results. Here every future is attached to a completion queue; GLib
 * watches the queue's fd and, when it is readable, the source callback
 * pops every finished future with futurl_completion_queue_next(), on the
 * main thread. GLib (Debian libglib2.0-dev, `make deps`) is a dependency
 * of this example only, never of futurl.
 *
 * Run:  build/plain/examples/loop_glib [BASE_URL]
 */
#include <futurl.h>

#include <glib-unix.h>
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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
    GMainLoop *loop;
    GThread *main_thread;
    guint timer;
    int pending, on_main, ticks;
    char urls[N][32];
    futurl_future *fs[N];
} app;

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data) {
    app *a = data;
    (void)fd;
    (void)cond;
    futurl_completion e;
    while (futurl_completion_queue_next(a->q, &e) == FUTURL_OK) {
        int i = (int)(intptr_t)e.tag;
        const futurl_response *r = futurl_future_response(e.future);
        a->on_main += g_thread_self() == a->main_thread;
        a->pending--;
        printf("[main thread] %2d/%d  %-12s HTTP %ld\n", N - a->pending, N, a->urls[i],
               r ? futurl_response_status(r) : 0L);
    }
    fflush(stdout);
    if (a->pending > 0)
        return G_SOURCE_CONTINUE;
    g_source_remove(a->timer);
    g_main_loop_quit(a->loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_tick(gpointer data) {
    app *a = data;
    a->ticks++;
    printf("[main thread] tick %d, %d request(s) pending\n", a->ticks, a->pending);
    fflush(stdout);
    return G_SOURCE_CONTINUE;
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
    a.main_thread = g_thread_self();
    if ((st = futurl_completion_queue_new(&a.q)) != FUTURL_OK) {
        fprintf(stderr, "cannot make the queue: %s\n", futurl_strerror(st));
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }
    a.loop = g_main_loop_new(NULL, FALSE);
    g_unix_fd_add(futurl_completion_queue_fd(a.q), G_IO_IN, on_readable, &a);
    a.timer = g_timeout_add(100, on_tick, &a);

    for (int i = 0; i < N; i++) {
        snprintf(a.urls[i], sizeof a.urls[i], "/delay/0.%d", (i * 3) % 10);
        futurl_request *r;
        if ((st = futurl_request_new("GET", a.urls[i], &r)) != FUTURL_OK ||
            (st = futurl_client_submit(client, r, &a.fs[i])) != FUTURL_OK ||
            (st = futurl_completion_queue_attach(a.q, a.fs[i], (void *)(intptr_t)i)) !=
                FUTURL_OK) {
            fprintf(stderr, "request %d: %s\n", i, futurl_strerror(st));
            continue;
        }
        a.pending++;
    }
    int submitted = a.pending;
    printf("%d requests submitted; the main loop runs\n", submitted);
    fflush(stdout);
    if (submitted > 0)
        g_main_loop_run(a.loop);

    printf("%d of %d completions arrived on the main thread, beside %d timer ticks\n",
           a.on_main, submitted, a.ticks);
    g_main_loop_unref(a.loop);
    futurl_completion_queue_free(a.q);
    for (int i = 0; i < N; i++)
        futurl_future_free(a.fs[i]);
    futurl_client_destroy(client);
    return a.pending == 0 && submitted == N ? EXIT_SUCCESS : EXIT_FAILURE;
}
