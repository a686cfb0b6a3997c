/*
 * debug_log — the wire-level log through a callback of your own: libcurl's
 * notes and every header line sent and received, each tagged with the id
 * of its request, the values of Authorization and Cookie masked.
 *
 * Python (httpx's trace extension, or http.client's debuglevel):
 *
 *     async def log(event, info): print(event, info)
 *     await client.get("/bearer", extensions={"trace": log})
 *
 * The client option on_debug receives what libcurl's CURLOPT_DEBUGFUNCTION
 * does, plus the request id: futurl_request_set_id() names a request
 * ("whoami" below), or submit calls it "req-N". The same id is on the
 * response (futurl_response_request_id), so a log line leads to its result
 * and back. The callback runs on the worker inside the transfer, on several
 * workers at once: it writes each call's lines under a lock, so the lines of
 * two requests may interleave but never mix. One call may carry several
 * lines (a request's whole head comes in one).
 *
 * Masking happens before the callback sees anything: the values of
 * Authorization and Proxy-Authorization (the scheme word kept: "Bearer
 * ***"), Cookie and Set-Cookie, and of the cookies libcurl notes as its jar
 * stores them ("Added cookie session=\"***\""); debug_unmasked = 1 shows
 * them as sent. Body bytes (debug_data = 1) are never masked, and httpbin's
 * /bearer echoes the token in its body, so this log keeps only their sizes.
 *
 * For a program not written with on_debug, set FUTURL_DEBUG=1 in its
 * environment: every client it creates writes the same log, masked, to
 * stderr ("futurl [req-1] > GET /get HTTP/1.1"); FUTURL_DEBUG=unmasked,data
 * adds the credentials as sent and the body sizes. Try it on any example:
 *
 *       FUTURL_DEBUG=1 build/plain/examples/hello
 *
 * Run:  make serve                      (the local httpbin, in another terminal)
 *       build/plain/examples/debug_log [BASE_URL]
 */
#include <futurl.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BASE "http://127.0.0.1:8765"    /* where `make serve` listens */
#define TOKEN        "s3cret-token-4242"        /* never in the log */
#define SESSION      "session=8f14e45fceea167a" /* nor this */
#define ORDER        "{\"item\":\"tea\",\"qty\":2}"

/* Where the log goes. Any worker may write: one lock for each call's lines. */
typedef struct wire_log {
    pthread_mutex_t lock;
    FILE *out;
} wire_log;

/* The on_debug callback. data[0..len) is not NUL-terminated. */
static void on_debug(const char *request_id, futurl_debug_type type, const char *data,
                     size_t len, void *userdata) {
    /* As curl -v: * a note, < received, > sent, { } body bytes in and out. */
    static const char marks[] = "*<>{}";
    wire_log *log = userdata;
    const char *id = request_id[0] != '\0' ? request_id : "-"; /* "": no request */
    pthread_mutex_lock(&log->lock);
    if (type == FUTURL_DEBUG_DATA_IN || type == FUTURL_DEBUG_DATA_OUT) {
        fprintf(log->out, "[%s] %c %zu bytes of body\n", id, marks[type], len);
    } else {
        for (size_t pos = 0; pos < len;) { /* one log line per line of data */
            const char *line = data + pos;
            const char *nl = memchr(line, '\n', len - pos);
            size_t n = nl != NULL ? (size_t)(nl - line) : len - pos;
            pos += n + (nl != NULL);
            while (n > 0 && line[n - 1] == '\r')
                n--;
            if (n > 0)
                fprintf(log->out, "[%s] %c %.*s\n", id, marks[type], (int)n, line);
        }
    }
    pthread_mutex_unlock(&log->lock);
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;
    wire_log log = {.lock = PTHREAD_MUTEX_INITIALIZER, .out = stdout};

    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    opts.bearer_token = TOKEN; /* Authorization: Bearer ..., every request */
    opts.cookies = SESSION;    /* Cookie: ..., to each request's own host */
    opts.on_debug = on_debug;
    opts.debug_userdata = &log; /* must outlive the client */
    opts.debug_data = 1;        /* body pieces too */
    futurl_client *client;
    futurl_status st = futurl_client_create(&opts, &client);
    if (st != FUTURL_OK) {
        fprintf(stderr, "debug_log: cannot create the client: %s\n", futurl_strerror(st));
        return EXIT_FAILURE;
    }

    /* Two requests at once, each named by its id. */
    futurl_request_options who = {.id = "whoami"};
    futurl_request_options order = {.id = "order",
                                    .body = ORDER,
                                    .body_len = strlen(ORDER),
                                    .content_type = "application/json"};
    futurl_future *fw = NULL, *fo = NULL;
    if ((st = futurl_client_request(client, "GET", "/bearer", &who, &fw)) != FUTURL_OK ||
        (st = futurl_client_request(client, "POST", "/anything/orders", &order, &fo)) !=
            FUTURL_OK) {
        fprintf(stderr, "debug_log: submit: %s\n", futurl_strerror(st));
        futurl_future_free(fw);
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }

    /* The results, by the same ids as the log. A JSON accessor gives the
     * future's own failure first (FUTURL_ECONNECT ...). */
    (void)futurl_future_wait(fw);
    (void)futurl_future_wait(fo);
    int authenticated = 0;
    const char *item = NULL;
    futurl_status sw = futurl_future_json_bool(fw, "authenticated", &authenticated);
    futurl_status so = futurl_future_json_string(fo, "json.item", &item);
    pthread_mutex_lock(&log.lock); /* a worker may still be logging */
    printf("\n");
    if (sw == FUTURL_OK)
        printf("[%s] HTTP %ld, authenticated: %s\n",
               futurl_response_request_id(futurl_future_response(fw)),
               futurl_future_http_status(fw), authenticated ? "true" : "false");
    if (so == FUTURL_OK)
        printf("[%s] HTTP %ld, the server got item \"%s\"\n",
               futurl_response_request_id(futurl_future_response(fo)),
               futurl_future_http_status(fo), item);
    fflush(stdout);
    pthread_mutex_unlock(&log.lock);
    if (sw != FUTURL_OK || so != FUTURL_OK)
        fprintf(stderr, "debug_log: whoami %s, order %s\n", futurl_err_name(sw),
                futurl_err_name(so));
    if (sw == FUTURL_ECONNECT || so == FUTURL_ECONNECT)
        fprintf(stderr,
                "No HTTP server answers at %s (the log above says how it went).\n"
                "Start the local one in another terminal with `make serve`,\n"
                "or pass a base URL: %s http://127.0.0.1:PORT\n",
                base, argv[0]);

    futurl_future_free(fw);
    futurl_future_free(fo);
    futurl_client_destroy(client); /* may log a last note: "-" */
    return sw == FUTURL_OK && so == FUTURL_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}
