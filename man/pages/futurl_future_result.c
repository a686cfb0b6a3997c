/* page: futurl_future_result futurl_future_errmsg
 * summary: a finished future's result or its error message
 */
#include <futurl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static futurl_status greet(futurl_job *job, void *arg, void **result) {
    (void)job;
    *result = strdup(arg); /* freed by free_result when the future is freed */
    return *result ? FUTURL_OK : FUTURL_ENOMEM;
}

int main(void) {
    futurl_executor *ex;
    if (futurl_executor_create(NULL, &ex) != FUTURL_OK)
        return 1;
    static char hello[] = "hello";
    futurl_future *f;
    if (futurl_executor_submit(ex, greet, hello, NULL, free, &f) != FUTURL_OK) {
        futurl_executor_destroy(ex);
        return 1;
    }
    if (futurl_future_wait(f) == FUTURL_OK)
        printf("%s\n", (const char *)futurl_future_result(f)); /* borrowed */
    else
        fprintf(stderr, "failed: %s\n", futurl_future_errmsg(f));
    futurl_future_free(f);
    futurl_executor_destroy(ex);
    return 0;
}
