/* page: futurl_client_executor
 * summary: the client's pool, for jobs of your own
 */
#include <futurl.h>
#include <stdio.h>

static futurl_status tidy(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)arg;
    (void)result;
    return FUTURL_OK; /* e.g. write a file, parse a reply */
}

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *fs[2];
    if (futurl_get(c, "http://127.0.0.1:8080/get", &fs[0]) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_executor_submit(futurl_client_executor(c), tidy, NULL, NULL, NULL,
                               &fs[1]) != FUTURL_OK) {
        futurl_future_free(fs[0]);
        futurl_client_destroy(c);
        return 1;
    }
    futurl_gather_counts counts;
    (void)futurl_gather(fs, 2, -1, 0, &counts); /* HTTP and a job in one gather */
    printf("%zu ok\n", counts.ok);
    futurl_future_free(fs[0]);
    futurl_future_free(fs[1]);
    futurl_client_destroy(c);
    return 0;
}
