/* page: futurl_request_add_part futurl_request_add_part_data
 *       futurl_request_add_part_file futurl_request_add_part_stream
 * summary: multipart/form-data parts: fields, in-memory data, files, streamed data
 * also: futurl_read_fn futurl_rewind_fn FUTURL_READ_ABORT
 * see: futurl_request_set_body
 */
#include <futurl.h>
#include <string.h>

typedef struct source {
    const char *text;
    size_t pos;
} source;

static size_t source_read(char *buf, size_t size, void *userdata) {
    source *s = userdata;
    size_t n = strlen(s->text + s->pos);
    if (n > size)
        n = size;
    memcpy(buf, s->text + s->pos, n);
    s->pos += n;
    return n; /* 0 at the end */
}

static int source_rewind(void *userdata) { /* lets a retry send it again */
    ((source *)userdata)->pos = 0;
    return 0;
}

int main(void) {
    futurl_request *r;
    if (futurl_request_new("POST", "http://127.0.0.1:8080/post", &r) != FUTURL_OK)
        return 1;
    static source log = {"streamed line\n", 0}; /* lives until the future ends */
    futurl_status s = futurl_request_add_part(r, "title", "report");
    if (s == FUTURL_OK)
        s = futurl_request_add_part_data(r, "meta", "{\"v\":1}", 7, "meta.json",
                                         "application/json");
    if (s == FUTURL_OK)
        s = futurl_request_add_part_file(r, "hosts", "/etc/hosts", NULL, "text/plain");
    if (s == FUTURL_OK)
        s = futurl_request_add_part_stream(r, "log", source_read,
                                           (int64_t)strlen(log.text), source_rewind, &log,
                                           "log.txt", NULL);
    futurl_request_free(r); /* or submit it */
    return s == FUTURL_OK ? 0 : 1;
}
