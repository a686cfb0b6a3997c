/*
 * loop_poll — results on your own thread: a poll() loop that reads
 * commands from stdin while 20 requests complete through a completion
 * queue's file descriptor.
 *
 * Python (asyncio's run_in_executor, where the result comes back on the
 * loop's own thread):
 *
 *     loop = asyncio.get_running_loop()
 *     futs = [loop.run_in_executor(pool, fetch, url) for url in urls]
 *     for fut in asyncio.as_completed(futs):      # on the loop thread
 *         print(await fut)
 *
 * A program built around poll() (or epoll, select) cannot block in
 * futurl_future_wait(), and done-callbacks run on worker threads, where it
 * would need locks. A futurl_completion_queue bridges the two: attach each
 * future with a tag, put futurl_completion_queue_fd() in your poll set next
 * to your other descriptors, and when it is readable pop every finished
 * future with futurl_completion_queue_next(). Everything below runs on the
 * main thread; the workers only post entries.
 *
 * Commands on stdin while it runs: "status" (how many are done), "cancel"
 * (cancel the unfinished), "quit". At the end of stdin the loop keeps
 * going until every request has come back.
 *
 * Run:  build/plain/examples/loop_poll [BASE_URL]
 */
#include <futurl.h>

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    futurl_completion_queue *q;
    if ((st = futurl_completion_queue_new(&q)) != FUTURL_OK) {
        fprintf(stderr, "cannot make the queue: %s\n", futurl_strerror(st));
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }

    /* 20 requests, slow and fast mixed, each attached with its index. */
    char urls[N][32];
    futurl_future *fs[N] = {0};
    int pending = 0;
    for (int i = 0; i < N; i++) {
        if (i % 5 == 4)
            snprintf(urls[i], sizeof urls[i], "/status/418");
        else
            snprintf(urls[i], sizeof urls[i], "/delay/0.%d", (i * 7) % 10);
        futurl_request *r;
        if ((st = futurl_request_new("GET", urls[i], &r)) == FUTURL_OK &&
            (st = futurl_client_submit(client, r, &fs[i])) == FUTURL_OK &&
            (st = futurl_completion_queue_attach(q, fs[i], (void *)(intptr_t)i)) ==
                FUTURL_OK)
            pending++;
        else
            fprintf(stderr, "request %d: %s\n", i, futurl_strerror(st));
    }
    printf("20 requests submitted; type status, cancel or quit\n");
    fflush(stdout);

    pthread_t main_thread = pthread_self();
    int on_main = 0, done = 0, stdin_open = 1;
    struct pollfd pfd[2] = {{.fd = futurl_completion_queue_fd(q), .events = POLLIN},
                            {.fd = STDIN_FILENO, .events = POLLIN}};
    while (pending > 0) {
        if (poll(pfd, stdin_open ? 2 : 1, -1) < 0) {
            perror("poll");
            break;
        }
        if (pfd[0].revents & POLLIN) {
            /* Drain: every entry ready now, in one wake-up. */
            futurl_completion e;
            while (futurl_completion_queue_next(q, &e) == FUTURL_OK) {
                int i = (int)(intptr_t)e.tag;
                const futurl_response *resp = futurl_future_response(e.future);
                on_main += pthread_equal(pthread_self(), main_thread) != 0;
                pending--;
                done++;
                printf("[main thread] %2d/%d  %-12s %s", done, N, urls[i],
                       futurl_err_name(futurl_future_status(e.future)));
                if (resp)
                    printf("  HTTP %ld", futurl_response_status(resp));
                printf("\n");
            }
            fflush(stdout);
        }
        if (stdin_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            char line[64];
            if (!fgets(line, sizeof line, stdin)) {
                stdin_open = 0; /* end of input: keep waiting for requests */
                printf("stdin closed; %d request(s) still to come\n", pending);
            } else if (strncmp(line, "status", 6) == 0) {
                printf("status: %d done, %d pending\n", done, pending);
            } else if (strncmp(line, "cancel", 6) == 0) {
                int n = 0;
                for (int i = 0; i < N; i++)
                    n += fs[i] && futurl_future_cancel(fs[i]);
                printf("cancelled %d; their entries follow\n", n);
            } else if (strncmp(line, "quit", 4) == 0) {
                break;
            } else {
                printf("commands: status, cancel, quit\n");
            }
            fflush(stdout);
        }
    }
    printf("%d of %d completions arrived on the main thread\n", on_main, N);

    /* Freeing the queue first is fine: unfinished requests (after quit)
     * simply finish unobserved. */
    futurl_completion_queue_free(q);
    for (int i = 0; i < N; i++)
        futurl_future_free(fs[i]);
    futurl_client_destroy(client);
    return pending == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
