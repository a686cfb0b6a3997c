/*
 * mock_test — unit-test your own API client without a server: the mock
 * transport answers every request from a router of canned responses.
 *
 * Python (httpx's MockTransport):
 *
 *     def handler(request):
 *         return httpx.Response(200, json={"id": 1, "name": "Ada"})
 *     client = httpx.Client(transport=httpx.MockTransport(handler))
 *
 * The code under test is fetch_user() and list_users() below: what an
 * application would write around futurl. The test sets the client options
 * `mock` and `mock_userdata` to a futurl_mock_router with canned answers
 * for made-up URLs (http://api.test/...: nothing is resolved, nothing
 * leaves the process), then checks what the client code makes of them.
 * Everything above the wire runs as against a real server, so the client's
 * retry policy and timeouts are tested too:
 *   1. a 503 and then a 200: the retry policy tries again, the caller sees
 *      the 200;
 *   2. an answer delayed past the request's deadline: FUTURL_ETIMEDOUT, on
 *      time;
 *   3. a list in three pages, each naming the next: the walk follows them.
 * Each check prints PASS or FAIL; the program exits 0 only if all pass.
 *
 * The mock's functions run on threads of the library's own, several at
 * once: the router locks for itself; a mock function of your own must be
 * thread-safe too.
 *
 * Run:  build/plain/examples/mock_test   (no server needed)
 */
#include <futurl.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------- the code under test */

/* GET /users/<id> (all attempts within deadline_ms, 0: no deadline) and
 * copy its "name" into name. Returns the request's
 * status (FUTURL_OK, FUTURL_ETIMEDOUT, …), or FUTURL_EJSON when the answer
 * has no name; *attempts gets the attempts made. */
static futurl_status fetch_user(futurl_client *c, int id, long deadline_ms, char *name,
                                size_t cap, unsigned *attempts) {
    char url[64];
    snprintf(url, sizeof url, "/users/%d", id);
    futurl_request *r;
    futurl_status st = futurl_request_new("GET", url, &r);
    if (st != FUTURL_OK)
        return st;
    if (deadline_ms > 0 &&
        (st = futurl_request_set_deadline(r, deadline_ms)) != FUTURL_OK) {
        futurl_request_free(r);
        return st;
    }
    futurl_future *f;
    if ((st = futurl_client_submit(c, r, &f)) != FUTURL_OK)
        return st;
    st = futurl_future_wait(f);
    const futurl_response *resp = futurl_future_response(f);
    *attempts = resp != NULL ? futurl_response_attempts(resp) : 0;
    if (st == FUTURL_OK) {
        const cJSON *j = futurl_response_json(resp);
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(j, "name");
        if (cJSON_IsString(n))
            snprintf(name, cap, "%s", n->valuestring);
        else
            st = FUTURL_EJSON;
    }
    futurl_future_free(f);
    return st;
}

/* Walk GET /users?page=1 and the pages each "next" names; print every
 * user. Returns FUTURL_OK with *users and *pages counted, or the first
 * failure. */
static futurl_status list_users(futurl_client *c, int *users, int *pages) {
    char url[256] = "/users?page=1";
    *users = *pages = 0;
    while (url[0] != '\0') {
        futurl_future *f;
        futurl_status st = futurl_get(c, url, &f);
        if (st != FUTURL_OK)
            return st;
        st = futurl_future_wait(f);
        const cJSON *j =
            st == FUTURL_OK ? futurl_response_json(futurl_future_response(f)) : NULL;
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "users");
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(j, "next");
        if (st == FUTURL_OK && !cJSON_IsArray(list))
            st = FUTURL_EJSON;
        if (st != FUTURL_OK) {
            futurl_future_free(f);
            return st;
        }
        (*pages)++;
        const cJSON *u;
        cJSON_ArrayForEach(u, list) {
            if (cJSON_IsString(u)) {
                printf("      page %d: %s\n", *pages, u->valuestring);
                (*users)++;
            }
        }
        snprintf(url, sizeof url, "%s", cJSON_IsString(next) ? next->valuestring : "");
        futurl_future_free(f);
    }
    return FUTURL_OK;
}

/* ------------------------------------------------------------ the test */

static int failures;

static void check(int ok, const char *what) {
    printf("  %s  %s\n", ok ? "PASS" : "FAIL", what);
    if (!ok)
        failures++;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define API  "http://api.test"
#define JSON "application/json"

/* The canned answers. Returns FUTURL_OK or the first failure. */
static futurl_status routes(futurl_mock_router *m, unsigned *flaky, unsigned *slow,
                            unsigned *page) {
    futurl_status st;
    unsigned p2, p3;
    /* 1: a 503 with Retry-After: 0, then the user. */
    if ((st = futurl_mock_router_add(m, "GET", API "/users/1", flaky)) != FUTURL_OK ||
        (st = futurl_mock_router_reply(m, *flaky, 503, "text/plain", "busy")) !=
            FUTURL_OK ||
        (st = futurl_mock_router_reply_header(m, *flaky, "Retry-After", "0")) !=
            FUTURL_OK ||
        (st = futurl_mock_router_reply(m, *flaky, 200, JSON,
                                       "{\"id\":1,\"name\":\"Ada\"}")) != FUTURL_OK)
        return st;
    /* 2: an answer 5 s late. */
    if ((st = futurl_mock_router_add(m, "GET", API "/users/2", slow)) != FUTURL_OK ||
        (st = futurl_mock_router_reply(m, *slow, 200, JSON,
                                       "{\"id\":2,\"name\":\"Grace\"}")) != FUTURL_OK ||
        (st = futurl_mock_router_reply_delay(m, *slow, 5000)) != FUTURL_OK)
        return st;
    /* 3: three pages; the most specific patterns first. */
    if ((st = futurl_mock_router_add(m, "GET", API "/users?page=2", &p2)) != FUTURL_OK ||
        (st = futurl_mock_router_reply(
             m, p2, 200, JSON,
             "{\"users\":[\"Edsger\",\"Barbara\"],\"next\":\"/users?page=3\"}")) !=
            FUTURL_OK ||
        (st = futurl_mock_router_add(m, "GET", API "/users?page=3", &p3)) != FUTURL_OK ||
        (st = futurl_mock_router_reply(
             m, p3, 200, JSON, "{\"users\":[\"Donald\"],\"next\":null}")) != FUTURL_OK ||
        (st = futurl_mock_router_add(m, "GET", API "/users?page=*", page)) != FUTURL_OK ||
        (st = futurl_mock_router_reply(
             m, *page, 200, JSON,
             "{\"users\":[\"Ada\",\"Grace\",\"Alan\"],\"next\":\"/users?page=2\"}")) !=
            FUTURL_OK)
        return st;
    return FUTURL_OK;
}

int main(void) {
    futurl_mock_router *m;
    if (futurl_mock_router_new(&m) != FUTURL_OK)
        return 1;
    unsigned flaky, slow, page;
    futurl_status st = routes(m, &flaky, &slow, &page);
    if (st != FUTURL_OK) {
        fprintf(stderr, "mock_test: routes: %s\n", futurl_strerror(st));
        futurl_mock_router_free(m);
        return 1;
    }

    futurl_client_options o;
    futurl_client_options_init(&o);
    o.base_url = API;
    o.mock = futurl_mock_router_fn; /* the network, replaced */
    o.mock_userdata = m;
    o.retry.max_attempts = 3;
    o.retry.base_delay_ms = 10;
    futurl_client *c;
    if ((st = futurl_client_create(&o, &c)) != FUTURL_OK) {
        fprintf(stderr, "mock_test: client: %s\n", futurl_strerror(st));
        futurl_mock_router_free(m);
        return 1;
    }

    char name[64] = "";
    unsigned attempts = 0;
    printf("1. a 503, then a 200: the retry policy hides the 503\n");
    st = fetch_user(c, 1, 0, name, sizeof name, &attempts);
    printf("      fetch_user(1): %s, name \"%s\", %u attempt(s), the server saw %lu\n",
           futurl_err_name(st), name, attempts, futurl_mock_router_calls(m, flaky));
    check(st == FUTURL_OK && strcmp(name, "Ada") == 0, "fetch_user(1) gives Ada");
    check(attempts == 2 && futurl_mock_router_calls(m, flaky) == 2,
          "after 2 attempts, both seen by the server");

    printf("2. an answer 5 s late, a 300 ms deadline\n");
    double t0 = now_s();
    st = fetch_user(c, 2, 300, name, sizeof name, &attempts);
    double took = now_s() - t0;
    printf("      fetch_user(2): %s after %.2f s, %u attempt(s)\n", futurl_err_name(st),
           took, attempts);
    check(st == FUTURL_ETIMEDOUT, "fetch_user(2) times out");
    check(took < 4.0, "at the deadline, not when the answer would have come");

    printf("3. a list in three pages\n");
    int users, pages;
    st = list_users(c, &users, &pages);
    printf("      list_users: %s, %d users on %d pages\n", futurl_err_name(st), users,
           pages);
    check(st == FUTURL_OK && users == 6 && pages == 3, "list_users walks all 3 pages");
    check(futurl_mock_router_unmatched(m) == 0, "no request went unanswered");

    futurl_client_destroy(c);
    futurl_mock_router_free(m); /* after the client: it answers until then */
    printf("%s: %d failure(s)\n", failures == 0 ? "all passed" : "FAILED", failures);
    return failures == 0 ? 0 : 1;
}
