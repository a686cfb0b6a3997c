/* page: futurl_executor_create futurl_executor_options_init
 * summary: create a pool of worker threads with a bounded queue
 */
#include <futurl.h>
#include <stdio.h>
#include <stdlib.h>

static void *start(void *userdata, unsigned index) {
    (void)userdata;
    unsigned *state = malloc(sizeof *state); /* this worker's own state */
    if (state)
        *state = index;
    return state;
}

static void stop(void *userdata, void *state) {
    (void)userdata;
    free(state);
}

int main(void) {
    futurl_executor_options opts;
    futurl_executor_options_init(&opts);
    opts.workers = 4;
    opts.queue_capacity = 100;
    opts.thread_name = "crunch";
    opts.on_worker_start = start;
    opts.on_worker_stop = stop;

    futurl_executor *ex;
    futurl_status s = futurl_executor_create(&opts, &ex);
    if (s != FUTURL_OK) {
        fprintf(stderr, "executor: %s\n", futurl_strerror(s));
        return 1;
    }
    printf("up to %u workers\n", futurl_executor_workers(ex));
    futurl_executor_destroy(ex);
    return 0;
}
