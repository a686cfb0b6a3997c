/* page: futurl_response_body
 * summary: the body of a response
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/robots.txt", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_future_wait(f) == FUTURL_OK) {
        size_t len;
        const char *body = futurl_response_body(futurl_future_response(f), &len);
        fwrite(body, 1, len, stdout); /* may hold NUL bytes: use len */
    }
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
