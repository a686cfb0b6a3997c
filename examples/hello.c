/*
 * hello — one GET on the pool: its status and a field of its JSON.
 *
 * Python (httpx / httpr AsyncClient, seeds 001-003):
 *
 *     async with AsyncClient(base_url=URL) as client:
 *         r = await client.get("/get", params={"greeting": "hello from C"})
 *         print(r.status_code, r.json()["args"]["greeting"])
 *
 * The model: the client owns a pool of worker threads. Submitting a request
 * puts it on the pool's queue and returns at once with a future; waiting on
 * the future is the `await` — this thread sleeps until a worker has run the
 * whole transfer. The response belongs to the future: read it, then free
 * the future, and the response goes with it.
 *
 * Run:  make serve                      (the local httpbin, in another terminal)
 *       build/plain/examples/hello [BASE_URL]
 */
#include <futurl.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;

    /* Options start from documented defaults (TLS verified, 30 s timeout,
     * at most 10 redirects ...); change only what you need. Strings are
     * copied, so opts may go out of scope after create. */
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    futurl_client *client;
    futurl_status st = futurl_client_create(&opts, &client);
    if (st != FUTURL_OK) {
        fprintf(stderr, "hello: cannot create the client: %s\n", futurl_strerror(st));
        return EXIT_FAILURE;
    }

    /* Build the request; the query parameter is percent-encoded for us. */
    futurl_request *req = NULL;
    futurl_future *fut = NULL;
    int rc = EXIT_FAILURE;
    if ((st = futurl_request_new("GET", "/get", &req)) != FUTURL_OK ||
        (st = futurl_request_add_param(req, "greeting", "hello from C")) != FUTURL_OK) {
        fprintf(stderr, "hello: cannot build the request: %s\n", futurl_strerror(st));
        futurl_request_free(req); /* never submitted: still ours; NULL is fine */
        goto out;
    }

    /* Submit takes the request (even if it fails) and hands back a future. */
    if ((st = futurl_client_submit(client, req, &fut)) != FUTURL_OK) {
        fprintf(stderr, "hello: submit: %s\n", futurl_strerror(st));
        goto out;
    }

    /* The `await`. A transport failure is the future's outcome, with a
     * per-future message; an HTTP status such as 404 would not be one. */
    if ((st = futurl_future_wait(fut)) != FUTURL_OK) {
        fprintf(stderr, "hello: GET %s/get failed: %s\n", base,
                futurl_future_errmsg(fut));
        if (st == FUTURL_ECONNECT)
            fprintf(stderr,
                    "No HTTP server answers at %s.\n"
                    "Start the local one in another terminal with `make serve`,\n"
                    "or pass a base URL: %s http://127.0.0.1:PORT\n",
                    base, argv[0]);
        goto out;
    }

    /* Borrowed pointers, valid until the future is freed. The JSON is
     * parsed on first use and cached in the response. */
    const futurl_response *resp = futurl_future_response(fut);
    const cJSON *json = futurl_response_json(resp);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(json, "args");
    const cJSON *greeting = cJSON_GetObjectItemCaseSensitive(args, "greeting");
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(json, "headers");
    const cJSON *agent = cJSON_GetObjectItemCaseSensitive(headers, "User-Agent");
    if (!cJSON_IsString(greeting) || !cJSON_IsString(agent)) {
        fprintf(stderr, "hello: unexpected body from %s\n", futurl_response_url(resp));
        goto out;
    }

    printf("GET %s\n", futurl_response_url(resp));
    printf("status:       %ld in %.3f s\n", futurl_response_status(resp),
           futurl_response_elapsed(resp));
    printf("greeting:     %s\n", greeting->valuestring);
    printf("user agent:   %s\n", agent->valuestring);
    rc = EXIT_SUCCESS;

out:
    futurl_future_free(fut);       /* frees the response too; NULL is fine */
    futurl_client_destroy(client); /* drains the queue, joins the workers */
    return rc;
}
