/* page: futurl_completion_queue_new futurl_completion_queue_free
 *       futurl_completion_queue_fd futurl_completion_queue_attach
 *       futurl_completion_queue_on_done futurl_completion_queue_next
 *       futurl_completion_queue_wait
 * summary: receive finished futures on the caller's own thread, through an fd
 * also: futurl_completion
 * see: futurl_future_on_done futurl_executor_submit
 */
#include <futurl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>

static futurl_status square(futurl_job *job, void *arg, void **result) {
    (void)job;
    intptr_t n = (intptr_t)arg;
    *result = (void *)(n * n);
    return FUTURL_OK;
}

int main(void) {
    futurl_executor *ex;
    futurl_completion_queue *q;
    if (futurl_executor_create(NULL, &ex) != FUTURL_OK)
        return 1;
    if (futurl_completion_queue_new(&q) != FUTURL_OK)
        return 1;
    int pending = 0;
    for (intptr_t i = 1; i <= 5; i++) {
        futurl_future *f;
        if (futurl_executor_submit(ex, square, (void *)i, NULL, NULL, &f) != FUTURL_OK)
            continue;
        if (futurl_completion_queue_attach(q, f, (void *)i) == FUTURL_OK)
            pending++;
        futurl_future_free(f); /* the queue keeps it until its entry is popped */
    }
    /* An event loop watches the fd beside its other descriptors. */
    struct pollfd p = {.fd = futurl_completion_queue_fd(q), .events = POLLIN};
    while (pending > 0 && poll(&p, 1, 5000) > 0) {
        futurl_completion e;
        while (futurl_completion_queue_next(q, &e) == FUTURL_OK) {
            printf("%ld squared is %ld\n", (long)(intptr_t)e.tag,
                   (long)(intptr_t)futurl_future_result(e.future));
            pending--;
        }
    }
    futurl_completion_queue_free(q);
    futurl_executor_destroy(ex);
    return pending == 0 ? 0 : 1;
}
