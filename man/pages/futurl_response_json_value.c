/* page: futurl_response_json_value futurl_response_json_string
 *       futurl_response_json_number futurl_response_json_int futurl_response_json_bool
 * summary: the value at a path such as "data.items[0].name" in a JSON response
 * also: FUTURL_MAX_JSON_PATH_LENGTH
 * see: futurl_response_json futurl_gather_get
 */
#include <futurl.h>
#include <stdint.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/json", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    futurl_status st = futurl_future_wait(f);
    if (st == FUTURL_OK) {
        const futurl_response *r = futurl_future_response(f);
        const char *title;
        int64_t n;
        st = futurl_response_json_string(r, "slideshow.slides[0].title", &title);
        if (st == FUTURL_OK)
            printf("title: %s\n", title);
        else /* FUTURL_EJSON, FUTURL_ENOTFOUND, FUTURL_ETYPE ... */
            fprintf(stderr, "slideshow.slides[0].title: %s\n", futurl_strerror(st));
        if (futurl_response_json_int(r, "slideshow[\"slide count\"]", &n) ==
            FUTURL_ENOTFOUND)
            printf("no slide count\n");
    } else {
        fprintf(stderr, "%s\n", futurl_future_errmsg(f));
    }
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
