/*
 * upload_multipart — multipart/form-data uploads: a text field, bytes from
 * memory with a file name and type, a file from disk, and data streamed
 * from a callback; then what a retry does with a streamed part.
 *
 * Python (httpx):
 *
 *     files = {"meta": ("meta.json", b'{"v":1}', "application/json"),
 *              "notes": open("notes.txt", "rb")}
 *     r = httpx.post(url + "/post", data={"title": "report"}, files=files)
 *
 * Each futurl_request_add_part* call adds one part; the request keeps a
 * copy of what it needs, and every attempt builds the body anew on its
 * worker, so a retry sends each part again from its first byte. A
 * streamed part is sent again only if you give it a rewind callback;
 * without one, a retry after its bytes went out is refused and the
 * future's message says which part stopped it.
 *
 * Run:  build/plain/examples/upload_multipart [BASE_URL]
 */
#include <futurl.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */

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

/* A streamed part's source: lines made on demand, never all in memory. */
typedef struct counter {
    int next, last;
    int rewinds;
} counter;

static size_t counter_read(char *buf, size_t size, void *userdata) {
    counter *c = userdata;
    if (c->next > c->last || size < 16)
        return 0; /* the end (libcurl always offers far more than 16 bytes) */
    int n = snprintf(buf, size, "line %03d\n", c->next++);
    return (size_t)n;
}

static int counter_rewind(void *userdata) {
    counter *c = userdata;
    c->next = 1;
    c->rewinds++;
    return 0;
}

/* Print j[group][name] as httpbin echoed it. */
static void show(const cJSON *j, const char *group, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, group), name);
    const char *s = cJSON_IsString(v) ? v->valuestring : "(missing)";
    printf("  %-5s %-6s %zu bytes: %.*s\n", group, name, strlen(s), (int)strcspn(s, "\n"),
           s);
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;
    if (futurl_global_init() != FUTURL_OK)
        return 1;
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.base_url = base;
    o.timeout_ms = 5000;
    o.retry.max_attempts = 3;
    o.retry.base_delay_ms = 50;
    futurl_client *c = NULL;
    if (futurl_client_create(&o, &c) != FUTURL_OK) {
        fprintf(stderr, "cannot create the client\n");
        return 1;
    }
    int rc = 1;
    char path[] = "/tmp/futurl-upload-XXXXXX";
    int fd = -1;
    futurl_future *f = NULL;
    if (!server_is_up(c, base, argv[0]))
        goto out;

    /* A file on disk to upload. */
    static const char notes[] = "notes from disk\nsecond line\n";
    fd = mkstemp(path);
    if (fd < 0 || write(fd, notes, sizeof notes - 1) != (ssize_t)(sizeof notes - 1)) {
        perror("temporary file");
        goto out;
    }

    printf("1. four kinds of part, POST /post:\n");
    counter lines = {1, 20, 0};
    futurl_request *r = NULL;
    futurl_status st = futurl_request_new("POST", "/post", &r);
    if (st == FUTURL_OK)
        st = futurl_request_add_part(r, "title", "report");
    if (st == FUTURL_OK)
        st = futurl_request_add_part_data(r, "meta", "{\"v\":1}", 7, "meta.json",
                                          "application/json");
    if (st == FUTURL_OK)
        st = futurl_request_add_part_file(r, "notes", path, "notes.txt", "text/plain");
    if (st == FUTURL_OK) /* 20 lines of 9 bytes; -1 if unknown (sent chunked) */
        st = futurl_request_add_part_stream(r, "lines", counter_read, 20 * 9,
                                            counter_rewind, &lines, "lines.txt", NULL);
    if (st == FUTURL_OK)
        st = futurl_client_submit(c, r, &f); /* steals r */
    else
        futurl_request_free(r);
    if (st == FUTURL_OK)
        st = futurl_future_wait(f);
    if (st != FUTURL_OK) {
        fprintf(stderr, "upload: %s (%s)\n", futurl_strerror(st),
                f ? futurl_future_errmsg(f) : "not submitted");
        goto out;
    }
    const futurl_response *resp = futurl_future_response(f);
    const cJSON *j = futurl_response_json(resp);
    printf("  HTTP %ld; httpbin saw:\n", futurl_response_status(resp));
    show(j, "form", "title");
    show(j, "files", "meta");
    show(j, "files", "notes");
    show(j, "files", "lines");
    futurl_future_free(f);
    f = NULL;

    /* httpbin answers /status/503 at once, sometimes before libcurl has
     * read the part (libcurl then stops the upload): an attempt that never
     * read the part needs no rewind, and a retry after it is allowed even
     * without one. So the counts below can differ from run to run. */
    printf("2. a streamed part and retries, PUT /status/503 (3 attempts):\n");
    for (int with_rewind = 1; with_rewind >= 0; with_rewind--) {
        counter src = {1, 3, 0};
        st = futurl_request_new("PUT", "/status/503", &r);
        if (st == FUTURL_OK)
            st = futurl_request_set_raise_for_status(r, 1);
        if (st == FUTURL_OK)
            st = futurl_request_add_part_stream(r, "lines", counter_read, 3 * 9,
                                                with_rewind ? counter_rewind : NULL, &src,
                                                NULL, NULL);
        if (st == FUTURL_OK)
            st = futurl_client_submit(c, r, &f);
        else
            futurl_request_free(r);
        if (st != FUTURL_OK) {
            fprintf(stderr, "submit: %s\n", futurl_strerror(st));
            goto out;
        }
        st = futurl_future_wait(f);
        printf("  %-16s %s after %u attempt(s), %d rewind(s): %s\n",
               with_rewind ? "with rewind:" : "without rewind:", futurl_err_name(st),
               futurl_response_attempts(futurl_future_response(f)), src.rewinds,
               futurl_future_errmsg(f));
        futurl_future_free(f);
        f = NULL;
    }
    rc = 0;
out:
    futurl_future_free(f);
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    futurl_client_destroy(c);
    futurl_global_cleanup();
    return rc;
}
