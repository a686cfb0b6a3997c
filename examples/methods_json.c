/*
 * methods_json — every HTTP method, JSON and form bodies, all at once.
 *
 * Then what the server saw of each.
 *
 * Python (seed 002, "HTTP Methods"; seed 003, "Async POST Requests"):
 *
 *     await client.post("/post", json={"key": "value"})
 *     await client.put("/put", json=...); await client.patch("/patch", json=...)
 *     await client.delete("/delete"); await client.head("/get")
 *     await client.options("/get"); await client.request("GET", "/get")
 *
 * Ownership of bodies: a cJSON body is serialized when you submit, so the
 * cJSON tree is yours again as soon as the call returns — below it is
 * built once, used for three requests, and deleted before any of them has
 * even started. Raw bytes (futurl_request_set_body) and form fields are
 * copied the same way. The JSON of a response is parsed on first use and
 * owned by the response: never cJSON_Delete() it.
 *
 * Run:  build/plain/examples/methods_json [BASE_URL]
 */
#include <futurl.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* {"name": "Ada", "languages": ["C", "Python"]}, or NULL out of memory.
 * Items added to a cJSON object belong to it: one cJSON_Delete frees all. */
static cJSON *make_user(void) {
    cJSON *user = cJSON_CreateObject();
    cJSON *langs = cJSON_AddArrayToObject(user, "languages"); /* NULL if user is */
    if (langs == NULL || cJSON_AddStringToObject(user, "name", "Ada") == NULL ||
        !cJSON_AddItemToArray(langs, cJSON_CreateString("C")) ||
        !cJSON_AddItemToArray(langs, cJSON_CreateString("Python"))) {
        cJSON_Delete(user);
        return NULL;
    }
    return user;
}

/* A request with no body helper of its own: any method, optional raw body
 * or form field. */
static futurl_status submit_custom(futurl_client *c, const char *method, const char *url,
                                   const char *body, const char *form_name,
                                   futurl_future **out) {
    futurl_request *r;
    futurl_status st = futurl_request_new(method, url, &r);
    if (st != FUTURL_OK)
        return st;
    if (body != NULL)
        st = futurl_request_set_body(r, body, strlen(body), "application/json");
    else if (form_name != NULL)
        st = futurl_request_add_form(r, form_name, "Ada Lovelace");
    if (st != FUTURL_OK) {
        futurl_request_free(r);
        return st;
    }
    return futurl_client_submit(c, r, out);
}

/* Print what the server saw for one finished request. */
static void show(const char *label, futurl_future *f) {
    if (futurl_future_status(f) != FUTURL_OK) {
        printf("  %-16s failed: %s\n", label, futurl_future_errmsg(f));
        return;
    }
    const futurl_response *resp = futurl_future_response(f);
    printf("  %-16s HTTP %ld  ", label, futurl_response_status(resp));

    const char *allow = futurl_response_header(resp, "Allow");
    const cJSON *echo = futurl_response_json(resp); /* NULL if not JSON */
    const cJSON *json = cJSON_GetObjectItemCaseSensitive(echo, "json");
    const cJSON *form = cJSON_GetObjectItemCaseSensitive(echo, "form");
    char *text = NULL;
    if (allow != NULL) { /* OPTIONS */
        printf("Allow: %s\n", allow);
    } else if (echo == NULL) { /* HEAD: headers only */
        size_t len;
        futurl_response_body(resp, &len);
        printf("Content-Length: %s, body %zu bytes\n",
               futurl_response_header(resp, "Content-Length"), len);
    } else if (!cJSON_IsNull(json) && json != NULL) {
        text = cJSON_PrintUnformatted(json);
        printf("json seen: %s\n", text ? text : "?");
    } else if (cJSON_GetArraySize(form) > 0) {
        text = cJSON_PrintUnformatted(form);
        printf("form seen: %s\n", text ? text : "?");
    } else {
        printf("no body\n");
    }
    cJSON_free(text);
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;

    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    futurl_client *client;
    futurl_status st = futurl_client_create(&opts, &client);
    if (st != FUTURL_OK) {
        fprintf(stderr, "cannot create the client: %s\n", futurl_strerror(st));
        return EXIT_FAILURE;
    }
    if (!server_is_up(client, base, argv[0])) {
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }

    enum { POST, PUT, PATCH, DELETE, HEAD, OPTIONS, RAW, FORM, N };
    static const char *const labels[N] = {"POST /post",     "PUT /put",  "PATCH /patch",
                                          "DELETE /delete", "HEAD /get", "OPTIONS /get",
                                          "POST raw JSON",  "POST form"};
    futurl_future *fs[N] = {NULL};

    cJSON *user = make_user();
    if (user == NULL) {
        fprintf(stderr, "out of memory\n");
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }
    /* Stop at the first failed submit; fs[] entries after it stay NULL. */
    if ((st = futurl_post_json(client, "/post", user, &fs[POST])) == FUTURL_OK &&
        (st = futurl_put_json(client, "/put", user, &fs[PUT])) == FUTURL_OK &&
        (st = futurl_patch_json(client, "/patch", user, &fs[PATCH])) == FUTURL_OK &&
        (st = futurl_delete(client, "/delete", &fs[DELETE])) == FUTURL_OK &&
        (st = submit_custom(client, "HEAD", "/get", NULL, NULL, &fs[HEAD])) ==
            FUTURL_OK &&
        (st = submit_custom(client, "OPTIONS", "/get", NULL, NULL, &fs[OPTIONS])) ==
            FUTURL_OK &&
        (st = submit_custom(client, "POST", "/post", "{\"raw\": true}", NULL,
                            &fs[RAW])) == FUTURL_OK)
        st = submit_custom(client, "POST", "/post", NULL, "name", &fs[FORM]);
    cJSON_Delete(user); /* already serialized into each request */

    int rc = EXIT_FAILURE;
    if (st != FUTURL_OK) {
        fprintf(stderr, "submit: %s\n", futurl_strerror(st));
    } else {
        futurl_gather_counts counts = {0};
        if (futurl_gather(fs, N, 10000, 0, &counts) == FUTURL_OK) {
            for (int i = 0; i < N; i++)
                show(labels[i], fs[i]);
            rc = counts.ok == N ? EXIT_SUCCESS : EXIT_FAILURE;
        }
    }
    for (int i = 0; i < N; i++)
        futurl_future_free(fs[i]); /* NULL entries are fine */
    futurl_client_destroy(client);
    return rc;
}
