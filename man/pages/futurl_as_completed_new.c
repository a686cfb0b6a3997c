/* page: futurl_as_completed_new futurl_as_completed_next futurl_as_completed_free
 * summary: iterate over futures in the order they finish
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    const char *urls[] = {"http://127.0.0.1:8080/delay/2",
                          "http://127.0.0.1:8080/delay/1", "http://127.0.0.1:8080/get"};
    futurl_future *fs[3];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        if (futurl_get(c, urls[i], &fs[n]) == FUTURL_OK)
            n++;
    futurl_as_completed *it;
    if (futurl_as_completed_new(fs, n, 10000, &it) == FUTURL_OK) {
        futurl_future *f;
        size_t i;
        while (futurl_as_completed_next(it, &f, &i) == FUTURL_OK)
            printf("%s finished: %s\n", urls[i],
                   futurl_err_name(futurl_future_status(f)));
        futurl_as_completed_free(it);
    }
    for (size_t i = 0; i < n; i++)
        futurl_future_free(fs[i]);
    futurl_client_destroy(c);
    return 0;
}
