/* page: futurl_executor_submit futurl_executor_submit_timeout futurl_executor_try_submit
 * summary: run a blocking function on the pool and get a future
 */
#include <futurl.h>
#include <stdio.h>
#include <stdlib.h>

/* A job: square the number it is given; the result is a new long. */
static futurl_status square(futurl_job *job, void *arg, void **result) {
    (void)job;
    long *out = malloc(sizeof *out);
    if (!out)
        return FUTURL_ENOMEM;
    *out = *(long *)arg * *(long *)arg;
    *result = out;
    return FUTURL_OK;
}

int main(void) {
    futurl_executor *ex;
    if (futurl_executor_create(NULL, &ex) != FUTURL_OK)
        return 1;
    long *n = malloc(sizeof *n);
    if (!n)
        return 1;
    *n = 12;
    futurl_future *f;
    /* free_arg frees n once the job is over; free_result frees the result
     * when f is freed. On failure neither runs: n is still ours. */
    futurl_status s = futurl_executor_submit(ex, square, n, free, free, &f);
    if (s != FUTURL_OK) {
        fprintf(stderr, "submit: %s\n", futurl_strerror(s));
        free(n);
        futurl_executor_destroy(ex);
        return 1;
    }
    if (futurl_future_wait(f) == FUTURL_OK)
        printf("12 squared is %ld\n", *(long *)futurl_future_result(f));
    futurl_future_free(f);

    /* Never wait for room: a full queue is FUTURL_EQUEUEFULL at once. */
    static long seven = 7;
    s = futurl_executor_try_submit(ex, square, &seven, NULL, free, &f);
    if (s == FUTURL_OK) {
        (void)futurl_future_wait(f);
        futurl_future_free(f);
    } else {
        /* Or wait at most 100 ms for room. */
        s = futurl_executor_submit_timeout(ex, square, &seven, NULL, free, 100, &f);
        if (s == FUTURL_OK) {
            (void)futurl_future_wait(f);
            futurl_future_free(f);
        }
    }
    futurl_executor_destroy(ex);
    return 0;
}
