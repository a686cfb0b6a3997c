/*
 * test/test_shortcuts.c — the short forms of issue #19 (src/shortcuts.c,
 * src/jsonpath.c): per-call options really reach the wire (timeouts and
 * deadlines end requests, attempts are counted by the fault server,
 * headers, parameters, bodies and ids are what httpbin and the fault
 * server see); the JSON path accessors on good, missing, mistyped and
 * hostile paths, non-JSON bodies and NULL arguments; and the gather of a
 * URL list, where every URL gets exactly one finished future and its own
 * error. Servers: httpbin and the fault server on 127.0.0.1.
 */
#include "support.h"

#include "futurl.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static support_server httpbin, fault;

static void start_servers(void) {
    ck_assert_msg(support_httpbin_start(&httpbin) == 0, "httpbin did not start");
    ck_assert_msg(support_fault_start(&fault) == 0, "fault server did not start");
}

static void stop_servers(void) {
    support_server_stop(&httpbin);
    support_server_stop(&fault);
}

/* A status equals want; prints both names and what was asked. */
#define assert_st(got, want, what)                                                       \
    do {                                                                                 \
        futurl_status g_ = (got), w_ = (want);                                           \
        ck_assert_msg(g_ == w_, "%s: %s, want %s", (what), futurl_err_name(g_),          \
                      futurl_err_name(w_));                                              \
    } while (0)

/* Send method url with o (may be NULL) on c; it must be accepted. Waits. */
static futurl_future *call(futurl_client *c, const char *method, const char *url,
                           const futurl_request_options *o) {
    futurl_future *f = NULL;
    futurl_status st = futurl_client_request(c, method, url, o, &f);
    ck_assert_msg(st == FUTURL_OK, "futurl_client_request(%s %s): %s", method, url,
                  futurl_err_name(st));
    (void)futurl_future_wait(f);
    return f;
}

/* ================================================== futurl_request_options */

START_TEST(test_options_init_is_all_zero) {
    futurl_request_options o, zero;
    memset(&o, 0xA5, sizeof o);
    memset(&zero, 0, sizeof zero);
    futurl_request_options_init(&o);
    ck_assert_msg(memcmp(&o, &zero, sizeof o) == 0, "init left a non-zero byte");
    futurl_request_options_init(NULL); /* allowed */
    /* NULL options and zero options both mean "as the client says". */
    futurl_client *c = support_client(httpbin.url, 2, 1);
    futurl_future *f = call(c, "GET", "/get", NULL);
    support_assert_status(f, FUTURL_OK);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 200);
    futurl_future_free(f);
    f = call(c, "GET", "/get", &o);
    support_assert_status(f, FUTURL_OK);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_timeout_applied) {
    futurl_client_options co;
    support_client_options(&co, fault.url, 2, 1);
    co.timeout_ms = 300;
    futurl_client *c = support_client_opts(&co, NULL);
    /* 0: the client's 300 ms ends a 1 s answer. */
    futurl_future *f = call(c, "GET", "/ok?delay_ms=1000", &(futurl_request_options){0});
    support_assert_status(f, FUTURL_ETIMEDOUT);
    futurl_future_free(f);
    /* Negative: no timeout, so the slow answer arrives. */
    f = call(c, "GET", "/ok?delay_ms=600", &(futurl_request_options){.timeout_ms = -1});
    support_assert_status(f, FUTURL_OK);
    futurl_future_free(f);
    futurl_client_destroy(c);

    /* A client without a short timeout: the option's own ends it. */
    c = support_client(fault.url, 2, 1);
    double t0 = support_now();
    f = call(c, "GET", "/stall", &(futurl_request_options){.timeout_ms = 250});
    double took = support_now() - t0;
    support_assert_status(f, FUTURL_ETIMEDOUT);
    ck_assert_msg(took >= 0.2 && took < 3.0 * support_slack(),
                  "timeout 250 ms ended the request after %.3f s", took);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_deadline_applied) {
    futurl_client_options co;
    support_client_options(&co, fault.url, 2, 1);
    co.deadline_ms = 300;
    futurl_client *c = support_client_opts(&co, NULL);
    futurl_future *f = call(c, "GET", "/ok?delay_ms=1000", NULL);
    support_assert_status(f, FUTURL_ETIMEDOUT);
    futurl_future_free(f);
    f = call(c, "GET", "/ok?delay_ms=600", &(futurl_request_options){.deadline_ms = -1});
    support_assert_status(f, FUTURL_OK);
    futurl_future_free(f);
    futurl_client_destroy(c);

    c = support_client(fault.url, 2, 1);
    f = call(c, "GET", "/stall", &(futurl_request_options){.deadline_ms = 250});
    support_assert_status(f, FUTURL_ETIMEDOUT);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* GET /status?code=503 with o on a client of one attempt; returns the
 * attempts the fault server counted (and checks the response agrees). */
static long attempts_with(futurl_client *c, const futurl_request_options *o) {
    support_fault_reset(&fault);
    futurl_future *f = call(c, "GET", "/status?code=503", o);
    support_assert_status(f, FUTURL_OK); /* a 503 is an answer */
    const futurl_response *r = futurl_future_response(f);
    ck_assert_int_eq(futurl_response_status(r), 503);
    long seen = support_fault_attempts(&fault, "/status");
    ck_assert_msg((long)futurl_response_attempts(r) == seen,
                  "response says %u attempts, the server counted %ld",
                  futurl_response_attempts(r), seen);
    futurl_future_free(f);
    return seen;
}

START_TEST(test_attempts_counted_by_server) {
    futurl_client_options co;
    support_client_options(&co, fault.url, 2, 1); /* the client: no retries */
    co.retry.base_delay_ms = 1;
    co.retry.max_delay_ms = 5;
    futurl_client *c = support_client_opts(&co, NULL);
    ck_assert_int_eq(attempts_with(c, NULL), 1);
    ck_assert_int_eq(attempts_with(c, &(futurl_request_options){.max_attempts = 3}), 3);

    futurl_retry_policy p;
    futurl_retry_policy_init(&p);
    p.max_attempts = 4;
    p.base_delay_ms = 1;
    p.max_delay_ms = 5;
    ck_assert_int_eq(attempts_with(c, &(futurl_request_options){.retry = &p}), 4);
    /* max_attempts overrides the policy's count, keeping its delays. */
    ck_assert_int_eq(
        attempts_with(c, &(futurl_request_options){.retry = &p, .max_attempts = 2}), 2);
    /* A bad policy is refused by futurl_request_set_retry's own check. */
    p.base_delay_ms = -1;
    futurl_future *f = (futurl_future *)&p; /* must be reset to NULL */
    assert_st(futurl_client_request(c, "GET", "/status?code=503",
                                    &(futurl_request_options){.retry = &p}, &f),
              FUTURL_EINVAL, "negative base delay");
    ck_assert_ptr_null(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_raise_for_status) {
    futurl_client *c = support_client(httpbin.url, 2, 1);
    futurl_future *f =
        call(c, "GET", "/status/404", &(futurl_request_options){.raise_for_status = 1});
    support_assert_status(f, FUTURL_EHTTP);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 404);
    futurl_future_free(f);
    f = call(c, "GET", "/status/404", &(futurl_request_options){.raise_for_status = 0});
    support_assert_status(f, FUTURL_OK);
    futurl_future_free(f);
    futurl_client_destroy(c);

    futurl_client_options co;
    support_client_options(&co, httpbin.url, 2, 1);
    co.raise_for_status = 1;
    c = support_client_opts(&co, NULL);
    f = call(c, "GET", "/status/404", &(futurl_request_options){.raise_for_status = -1});
    support_assert_status(f, FUTURL_OK);
    futurl_future_free(f);
    f = call(c, "GET", "/status/404", NULL);
    support_assert_status(f, FUTURL_EHTTP);
    futurl_future_free(f);
    assert_st(futurl_client_request(c, "GET", "/get",
                                    &(futurl_request_options){.raise_for_status = 2}, &f),
              FUTURL_EINVAL, "raise_for_status 2");
    ck_assert_ptr_null(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_headers_reach_the_wire) {
    futurl_client_options co;
    support_client_options(&co, fault.url, 2, 1);
    static const char *const defaults[] = {"X-Default: client", "X-Keep: kept", NULL};
    co.headers = defaults;
    futurl_client *c = support_client_opts(&co, NULL);
    static const char *const mine[] = {"X-One:   1  ", "X-Empty;",
                                       "Accept:", "X-Default: call", NULL};
    futurl_future *f =
        call(c, "GET", "/echo", &(futurl_request_options){.headers = mine});
    support_assert_status(f, FUTURL_OK);
    const cJSON *j = support_json(f);
    support_assert_str_or_null(support_json_str(j, "headers", "X-One"), "1");
    support_assert_str_or_null(support_json_str(j, "headers", "X-Empty"), "");
    support_assert_str_or_null(support_json_str(j, "headers", "Accept"), NULL);
    support_assert_str_or_null(support_json_str(j, "headers", "X-Default"), "call");
    support_assert_str_or_null(support_json_str(j, "headers", "X-Keep"), "kept");
    futurl_future_free(f);

    /* Every line the client's defaults refuse is refused here, nothing sent. */
    static const char *const bad[][2] = {
        {"Host: evil", NULL},
        {"Content-Length: 5", NULL},
        {"Bad Name: x", NULL},
        {"X-A: b\r\nX-B: c", NULL},
        {"no colon", NULL},
        {"X-Semi; x", NULL},
        {"", NULL},
    };
    support_fault_reset(&fault);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = (futurl_future *)&co;
        assert_st(futurl_client_request(c, "GET", "/echo",
                                        &(futurl_request_options){.headers = bad[i]}, &f),
                  FUTURL_EHEADER, bad[i][0]);
        ck_assert_ptr_null(f);
    }
    ck_assert_int_eq(support_fault_attempts(&fault, "/echo"), 0);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_params_body_id) {
    futurl_client *c = support_client(httpbin.url, 2, 1);
    static const char *const params[] = {"q", "a b&c=d", "n", "7", NULL};
    futurl_future *f = call(c, "GET", "/get?x=1",
                            &(futurl_request_options){.params = params, .id = "mine-1"});
    support_assert_status(f, FUTURL_OK);
    const futurl_response *r = futurl_future_response(f);
    const char *s = NULL;
    assert_st(futurl_response_json_string(r, "args.q", &s), FUTURL_OK, "args.q");
    ck_assert_str_eq(s, "a b&c=d");
    assert_st(futurl_response_json_string(r, "args.x", &s), FUTURL_OK, "args.x");
    ck_assert_str_eq(s, "1");
    ck_assert_str_eq(futurl_response_request_id(r), "mine-1");
    futurl_future_free(f);

    cJSON *doc = cJSON_Parse("{\"name\":\"Ada\",\"langs\":[\"C\"]}");
    f = call(c, "POST", "/post", &(futurl_request_options){.json = doc});
    cJSON_Delete(doc); /* serialized at the call */
    support_assert_status(f, FUTURL_OK);
    r = futurl_future_response(f);
    assert_st(futurl_response_json_string(r, "json.langs[0]", &s), FUTURL_OK, "langs[0]");
    ck_assert_str_eq(s, "C");
    assert_st(futurl_response_json_string(r, "headers.Content-Type", &s), FUTURL_OK,
              "Content-Type");
    ck_assert_str_eq(s, "application/json");
    futurl_future_free(f);

    f = call(c, "PUT", "/put",
             &(futurl_request_options){
                 .body = "raw bytes", .body_len = 9, .content_type = "text/plain"});
    support_assert_status(f, FUTURL_OK);
    r = futurl_future_response(f);
    assert_st(futurl_response_json_string(r, "data", &s), FUTURL_OK, "data");
    ck_assert_str_eq(s, "raw bytes");
    futurl_future_free(f);

    /* Refusals: nothing is submitted, *out is NULL. */
    static const char *const odd[] = {"q", NULL};
    cJSON *j = cJSON_CreateObject();
    struct {
        futurl_request_options o;
        futurl_status want;
        const char *what;
    } bad[] = {
        {{.params = odd}, FUTURL_EINVAL, "odd params"},
        {{.json = j, .body = "x", .body_len = 1}, FUTURL_EINVAL, "json and body"},
        {{.json = j, .content_type = "text/plain"}, FUTURL_EINVAL, "json and type"},
        {{.body = NULL, .body_len = 3}, FUTURL_EINVAL, "NULL body, length 3"},
        {{.body = "x", .body_len = 1, .content_type = "a\nb"}, FUTURL_EHEADER, "type LF"},
        {{.id = "two\nlines"}, FUTURL_EINVAL, "id with LF"},
        {{.id = ""}, FUTURL_EINVAL, "empty id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = (futurl_future *)j;
        assert_st(futurl_client_request(c, "POST", "/post", &bad[i].o, &f), bad[i].want,
                  bad[i].what);
        ck_assert_ptr_null(f);
    }
    cJSON_Delete(j);

    /* NULL arguments, bad method and URL. */
    futurl_request_options o = {0};
    assert_st(futurl_client_request(NULL, "GET", "/get", &o, &f), FUTURL_EINVAL,
              "NULL c");
    ck_assert_ptr_null(f);
    assert_st(futurl_client_request(c, NULL, "/get", &o, &f), FUTURL_EINVAL,
              "NULL method");
    assert_st(futurl_client_request(c, "GET", NULL, &o, &f), FUTURL_EINVAL, "NULL url");
    assert_st(futurl_client_request(c, "GET", "/get", &o, NULL), FUTURL_EINVAL,
              "NULL out");
    assert_st(futurl_client_request(c, "G ET", "/get", &o, &f), FUTURL_EMETHOD, "method");
    assert_st(futurl_client_request(c, "GET", "ftp://x/", &o, &f), FUTURL_ESCHEME,
              "ftp URL");
    assert_st(futurl_client_request(c, "GET", "http://a b/", &o, &f), FUTURL_EURL,
              "space in host");
    ck_assert_ptr_null(f);
    futurl_client_destroy(c);
}
END_TEST

/* ======================================================== JSON path */

/* The document the path tests walk; httpbin's /anything echoes it under
 * "json". */
static const char DOC[] =
    "{\"data\":{\"items\":[{\"name\":\"first\",\"id\":1},{\"name\":\"second\",\"id\":2}],"
    "\"count\":2,\"ok\":true,\"off\":false,\"none\":null,\"ratio\":1.5,"
    "\"neg\":-42,\"exact\":9007199254740992,\"inexact\":9007199254740994,"
    "\"huge\":1e300,\"digits\":\"12\",\"nested\":[[10,11],[20]],\"empty\":{},"
    "\"empty_list\":[]},"
    "\"a.b\":\"dotted\",\"\":\"empty name\",\"q\\\"x\":\"quote\","
    "\"back\\\\slash\":\"backslash\",\"sp ace\":\"space\",\"[x]\":\"brackets\","
    "\"h\\u00e9llo\":\"utf-8\",\"Case\":\"upper\",\"case\":\"lower\"}";

static futurl_future *doc_future; /* per test: the answer to DOC */
static futurl_client *doc_client;

static const futurl_response *doc_response(void) {
    doc_client = support_client(httpbin.url, 2, 1);
    doc_future = call(doc_client, "POST", "/anything",
                      &(futurl_request_options){.body = DOC,
                                                .body_len = sizeof DOC - 1,
                                                .content_type = "application/json"});
    support_assert_status(doc_future, FUTURL_OK);
    const futurl_response *r = futurl_future_response(doc_future);
    const cJSON *j = NULL;
    assert_st(futurl_response_json_value(r, "json", &j), FUTURL_OK, "json");
    ck_assert_msg(cJSON_IsObject(j), "httpbin did not echo the document: %s",
                  futurl_response_body(r, NULL));
    return r;
}

static void doc_done(void) {
    futurl_future_free(doc_future);
    futurl_client_destroy(doc_client);
}

typedef struct {
    const char *path;
    futurl_status want;
} path_case;

/* Against json_value: syntax, missing, steps into the wrong type. */
static const path_case path_cases[] = {
    {"", FUTURL_OK},
    {"json", FUTURL_OK},
    {"json.data.items[0].name", FUTURL_OK},
    {"json.data.items[1]", FUTURL_OK},
    {"json.data.nested[0][1]", FUTURL_OK},
    {"json[\"data\"][\"items\"][0][\"name\"]", FUTURL_OK},
    {"json[\"a.b\"]", FUTURL_OK},
    {"json[\"\"]", FUTURL_OK},
    {"json[\"q\\\"x\"]", FUTURL_OK},
    {"json[\"back\\\\slash\"]", FUTURL_OK},
    {"json.sp ace", FUTURL_OK},
    {"json[\"[x]\"]", FUTURL_OK},
    {"json.h\xc3\xa9llo", FUTURL_OK},
    {"json.data.none", FUTURL_OK},
    {"json.data.empty", FUTURL_OK},
    /* missing */
    {"nope", FUTURL_ENOTFOUND},
    {"json.nope.deeper", FUTURL_ENOTFOUND},
    {"json.CASE", FUTURL_ENOTFOUND},
    {"json.a", FUTURL_ENOTFOUND}, /* "a.b" is one name */
    {"json.data.items[2]", FUTURL_ENOTFOUND},
    {"json.data.empty_list[0]", FUTURL_ENOTFOUND},
    {"json.data.empty.x", FUTURL_ENOTFOUND},
    {"json.data.items[4294967296]", FUTURL_ENOTFOUND},
    {"json.data.items[18446744073709551615]", FUTURL_ENOTFOUND},
    {"json.data.items[99999999999999999999999999999999999999999]", FUTURL_ENOTFOUND},
    {"json[\"q\\\\x\"]", FUTURL_ENOTFOUND},
    /* a step into a value that cannot have it */
    {"json.data.items.name", FUTURL_ETYPE},
    {"json.data[0]", FUTURL_ETYPE},
    {"json.data.items[0][0]", FUTURL_ETYPE},
    {"json.data.count.x", FUTURL_ETYPE},
    {"json.data.none.x", FUTURL_ETYPE},
    {"json.data.none[0]", FUTURL_ETYPE},
    {"json.data.items[0].name.first", FUTURL_ETYPE},
    /* malformed, whatever the document */
    {".json", FUTURL_EJSONPATH},
    {"json.", FUTURL_EJSONPATH},
    {"json..data", FUTURL_EJSONPATH},
    {".", FUTURL_EJSONPATH},
    {"[", FUTURL_EJSONPATH},
    {"[]", FUTURL_EJSONPATH},
    {"json[", FUTURL_EJSONPATH},
    {"json[0", FUTURL_EJSONPATH},
    {"json[-1]", FUTURL_EJSONPATH},
    {"json[+1]", FUTURL_EJSONPATH},
    {"json[01]", FUTURL_EJSONPATH},
    {"json[ 1]", FUTURL_EJSONPATH},
    {"json[1 ]", FUTURL_EJSONPATH},
    {"json[1x]", FUTURL_EJSONPATH},
    {"json[0x1]", FUTURL_EJSONPATH},
    {"json]", FUTURL_EJSONPATH},
    {"json\"", FUTURL_EJSONPATH},
    {"json\\", FUTURL_EJSONPATH},
    {"json.data.items[0]name", FUTURL_EJSONPATH},
    {"json.[0]", FUTURL_EJSONPATH},
    {"json[\"a", FUTURL_EJSONPATH},
    {"json[\"a\"", FUTURL_EJSONPATH},
    {"json[\"a\"x]", FUTURL_EJSONPATH},
    {"json[\"a\\x\"]", FUTURL_EJSONPATH},
    {"json[\"a\\", FUTURL_EJSONPATH},
    {"json['a']", FUTURL_EJSONPATH},
    {"json.data.items[*]", FUTURL_EJSONPATH},
    /* a malformed tail is found before the missing head */
    {"nope..x", FUTURL_EJSONPATH},
};

START_TEST(test_path_table) {
    const futurl_response *r = doc_response();
    for (size_t i = 0; i < sizeof path_cases / sizeof path_cases[0]; i++) {
        const path_case *pc = &path_cases[i];
        const cJSON *v = (const cJSON *)r; /* must be overwritten */
        futurl_status st = futurl_response_json_value(r, pc->path, &v);
        ck_assert_msg(st == pc->want, "path \"%s\": %s, want %s", pc->path,
                      futurl_err_name(st), futurl_err_name(pc->want));
        ck_assert_msg((st == FUTURL_OK) == (v != NULL), "path \"%s\": %s with *out %p",
                      pc->path, futurl_err_name(st), (const void *)v);
    }
    doc_done();
}
END_TEST

START_TEST(test_typed_accessors) {
    const futurl_response *r = doc_response();
    const char *s = "x";
    double d = 7;
    int64_t n = 7;
    int b = 7;
    const cJSON *v = NULL;

    assert_st(futurl_response_json_string(r, "json.data.items[1].name", &s), FUTURL_OK,
              "string");
    ck_assert_str_eq(s, "second");
    assert_st(futurl_response_json_string(r, "json[\"q\\\"x\"]", &s), FUTURL_OK,
              "quoted");
    ck_assert_str_eq(s, "quote");
    assert_st(futurl_response_json_string(r, "json[\"\"]", &s), FUTURL_OK, "empty name");
    ck_assert_str_eq(s, "empty name");
    assert_st(futurl_response_json_string(r, "json.Case", &s), FUTURL_OK, "Case");
    ck_assert_str_eq(s, "upper");
    assert_st(futurl_response_json_number(r, "json.data.ratio", &d), FUTURL_OK, "number");
    ck_assert_double_eq(d, 1.5);
    assert_st(futurl_response_json_number(r, "json.data.huge", &d), FUTURL_OK, "1e300");
    ck_assert_double_eq(d, 1e300);
    assert_st(futurl_response_json_int(r, "json.data.neg", &n), FUTURL_OK, "int");
    ck_assert_int_eq(n, -42);
    assert_st(futurl_response_json_int(r, "json.data.exact", &n), FUTURL_OK, "2^53");
    ck_assert_int_eq(n, INT64_C(9007199254740992));
    assert_st(futurl_response_json_int(r, "json.data.nested[1][0]", &n), FUTURL_OK, "20");
    ck_assert_int_eq(n, 20);
    assert_st(futurl_response_json_bool(r, "json.data.ok", &b), FUTURL_OK, "true");
    ck_assert_int_eq(b, 1);
    assert_st(futurl_response_json_bool(r, "json.data.off", &b), FUTURL_OK, "false");
    ck_assert_int_eq(b, 0);
    assert_st(futurl_response_json_value(r, "json.data.none", &v), FUTURL_OK, "null");
    ck_assert_msg(cJSON_IsNull(v), "json.data.none is not null");

    /* Wrong types: *out is NULL or 0 afterwards. */
    struct {
        char kind; /* s, d, i, b */
        const char *path;
        futurl_status want;
    } bad[] = {
        {'s', "json.data.count", FUTURL_ETYPE},
        {'s', "json.data.none", FUTURL_ETYPE},
        {'s', "json.data.items", FUTURL_ETYPE},
        {'s', "json.data.ok", FUTURL_ETYPE},
        {'d', "json.data.digits", FUTURL_ETYPE},
        {'d', "json.data.none", FUTURL_ETYPE},
        {'d', "json.data.ok", FUTURL_ETYPE},
        {'i', "json.data.ratio", FUTURL_ETYPE},
        {'i', "json.data.inexact", FUTURL_ETYPE},
        {'i', "json.data.huge", FUTURL_ETYPE},
        {'i', "json.data.digits", FUTURL_ETYPE},
        {'i', "json.data.ok", FUTURL_ETYPE},
        {'b', "json.data.count", FUTURL_ETYPE},
        {'b', "json.data.digits", FUTURL_ETYPE},
        {'b', "json.data.none", FUTURL_ETYPE},
        {'s', "json.nope", FUTURL_ENOTFOUND},
        {'d', "json..", FUTURL_EJSONPATH},
        {'i', "json.data.items[9]", FUTURL_ENOTFOUND},
        {'b', "json.data.ok.x", FUTURL_ETYPE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        futurl_status st = FUTURL_OK;
        int cleared = 0;
        s = "x";
        d = n = b = 7;
        switch (bad[i].kind) {
        case 's':
            st = futurl_response_json_string(r, bad[i].path, &s);
            cleared = s == NULL;
            break;
        case 'd':
            st = futurl_response_json_number(r, bad[i].path, &d);
            cleared = d == 0;
            break;
        case 'i':
            st = futurl_response_json_int(r, bad[i].path, &n);
            cleared = n == 0;
            break;
        default:
            st = futurl_response_json_bool(r, bad[i].path, &b);
            cleared = b == 0;
        }
        ck_assert_msg(st == bad[i].want, "%c \"%s\": %s, want %s", bad[i].kind,
                      bad[i].path, futurl_err_name(st), futurl_err_name(bad[i].want));
        ck_assert_msg(cleared, "%c \"%s\": *out not cleared", bad[i].kind, bad[i].path);
    }
    doc_done();
}
END_TEST

START_TEST(test_path_null_arguments_and_length) {
    const futurl_response *r = doc_response();
    const char *s = "x";
    const cJSON *v = NULL;
    double d = 1;
    int64_t n = 1;
    int b = 1;
    assert_st(futurl_response_json_value(NULL, "json", &v), FUTURL_EINVAL, "NULL r");
    assert_st(futurl_response_json_value(r, NULL, &v), FUTURL_EINVAL, "NULL path");
    assert_st(futurl_response_json_value(r, "json", NULL), FUTURL_EINVAL, "NULL out");
    assert_st(futurl_response_json_string(NULL, "json", &s), FUTURL_EINVAL, "string r");
    ck_assert_ptr_null(s);
    assert_st(futurl_response_json_string(r, "json.data.items[0].name", NULL),
              FUTURL_EINVAL, "string out");
    assert_st(futurl_response_json_number(r, NULL, &d), FUTURL_EINVAL, "number path");
    assert_st(futurl_response_json_number(r, "json.data.ratio", NULL), FUTURL_EINVAL,
              "number out");
    assert_st(futurl_response_json_int(NULL, "x", &n), FUTURL_EINVAL, "int r");
    assert_st(futurl_response_json_int(r, "json.data.neg", NULL), FUTURL_EINVAL,
              "int out");
    assert_st(futurl_response_json_bool(r, NULL, &b), FUTURL_EINVAL, "bool path");
    assert_st(futurl_response_json_bool(r, "json.data.ok", NULL), FUTURL_EINVAL,
              "bool out");

    /* The length bound: at the limit a path is read (and here not found),
     * one byte more is refused. ".a" steps walk nothing at all once the
     * first is missing, so this is quick either way. */
    size_t max = FUTURL_MAX_JSON_PATH_LENGTH;
    char *p = malloc(max + 2);
    ck_assert_ptr_nonnull(p);
    p[0] = 'x';
    for (size_t i = 1; i + 1 < max; i += 2)
        memcpy(p + i, ".a", 2);
    p[max - 1] = 'z';
    p[max] = '\0';
    assert_st(futurl_response_json_value(r, p, &v), FUTURL_ENOTFOUND, "4096-byte path");
    p[max] = 'z';
    p[max + 1] = '\0';
    assert_st(futurl_response_json_value(r, p, &v), FUTURL_EJSONPATH, "4097-byte path");
    /* 1365 index steps: the first meets an object, and the walk stops. */
    for (size_t i = 0; i + 3 <= max; i += 3)
        memcpy(p + i, "[0]", 3);
    p[max - max % 3] = '\0';
    assert_st(futurl_response_json_value(r, p, &v), FUTURL_ETYPE, "1365 x [0]");
    free(p);
    doc_done();
}
END_TEST

START_TEST(test_path_on_non_json_bodies) {
    futurl_client *c = support_client(httpbin.url, 2, 1);
    static const char *const urls[] = {"/html", "/robots.txt", "/status/204", "/xml"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        futurl_future *f = call(c, "GET", urls[i], NULL);
        support_assert_status(f, FUTURL_OK);
        const futurl_response *r = futurl_future_response(f);
        const char *s = "x";
        assert_st(futurl_response_json_string(r, "a", &s), FUTURL_EJSON, urls[i]);
        ck_assert_ptr_null(s);
        ck_assert_msg(
            futurl_response_json_error(r) != NULL &&
                strncmp(futurl_response_json_error(r), "invalid JSON at byte", 20) == 0,
            "%s: json_error %s", urls[i], futurl_response_json_error(r));
        /* A malformed path is told first, whatever the body. */
        assert_st(futurl_response_json_string(r, "a..b", &s), FUTURL_EJSONPATH, urls[i]);
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
}
END_TEST

/* Random paths over the bytes that matter to the grammar: whatever comes,
 * the answer is one of the documented codes, *out agrees with it, and a
 * path is malformed whatever the body (the same code on a body that is not
 * JSON, where only EJSONPATH can come before EJSON). ASan and valgrind
 * watch every byte read. */
START_TEST(test_path_random) {
    const futurl_response *r = doc_response();
    futurl_future *html = call(doc_client, "GET", "/html", NULL);
    const futurl_response *hr = futurl_future_response(html);
    static const char alphabet[] = ".[]\"\\019adjsonatiemx ";
    int rounds = support_under_valgrind() ? 2000 : 20000;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    char path[40];
    int seen[5] = {0};
    for (int k = 0; k < rounds; k++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        /* Often a real name of the document first, then random bytes. */
        static const char *const heads[] = {"", "json", "json.data", "json.data.items",
                                            "json.data.count"};
        size_t at = (size_t)snprintf(path, sizeof path, "%s", heads[(seed >> 20) % 5]);
        size_t len = at + seed % 9;
        for (uint64_t x = seed >> 8; at < len && at + 1 < sizeof path; x /= 23)
            path[at++] = alphabet[x % (sizeof alphabet - 1)];
        path[at] = '\0';
        const cJSON *v = (const cJSON *)r;
        futurl_status st = futurl_response_json_value(r, path, &v);
        ck_assert_msg(st == FUTURL_OK || st == FUTURL_ENOTFOUND || st == FUTURL_ETYPE ||
                          st == FUTURL_EJSONPATH,
                      "path \"%s\": %s", path, futurl_err_name(st));
        ck_assert_msg((st == FUTURL_OK) == (v != NULL), "path \"%s\": %s, *out %p", path,
                      futurl_err_name(st), (const void *)v);
        futurl_status on_html = futurl_response_json_value(hr, path, &v);
        ck_assert_msg(on_html ==
                          (st == FUTURL_EJSONPATH ? FUTURL_EJSONPATH : FUTURL_EJSON),
                      "path \"%s\": %s on JSON, %s on HTML", path, futurl_err_name(st),
                      futurl_err_name(on_html));
        seen[st == FUTURL_OK          ? 0
             : st == FUTURL_ENOTFOUND ? 1
             : st == FUTURL_ETYPE     ? 2
                                      : 3]++;
    }
    /* The generator reaches every outcome, or the test proves little. */
    ck_assert_msg(seen[0] > 0 && seen[1] > 0 && seen[2] > 0 && seen[3] > 0,
                  "outcomes: ok %d, not found %d, type %d, malformed %d", seen[0],
                  seen[1], seen[2], seen[3]);
    futurl_future_free(html);
    doc_done();
}
END_TEST

/* A deeply nested document: the walk is a loop, so depth costs nothing. */
START_TEST(test_path_deep_nesting) {
    enum { DEPTH = 400 };
    size_t len = DEPTH * 6 + 16;
    char *doc = malloc(len), *path = malloc(DEPTH * 2 + 16);
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_nonnull(path);
    size_t at = 0, pat = 0;
    for (int i = 0; i < DEPTH; i++) {
        memcpy(doc + at, "{\"a\":", 5);
        at += 5;
    }
    at += (size_t)snprintf(doc + at, len - at, "42");
    for (int i = 0; i < DEPTH; i++)
        doc[at++] = '}';
    memcpy(path, "json", 4);
    pat = 4;
    for (int i = 0; i < DEPTH; i++) {
        memcpy(path + pat, ".a", 2);
        pat += 2;
    }
    path[pat] = '\0';
    futurl_client *c = support_client(httpbin.url, 2, 1);
    futurl_future *f =
        call(c, "POST", "/anything",
             &(futurl_request_options){
                 .body = doc, .body_len = at, .content_type = "application/json"});
    support_assert_status(f, FUTURL_OK);
    const futurl_response *r = futurl_future_response(f);
    int64_t n = 0;
    assert_st(futurl_response_json_int(r, path, &n), FUTURL_OK, "400 levels");
    ck_assert_int_eq(n, 42);
    memcpy(path + pat, ".a", 3);
    assert_st(futurl_response_json_int(r, path, &n), FUTURL_ETYPE, "one level too far");
    futurl_future_free(f);
    futurl_client_destroy(c);
    free(doc);
    free(path);
}
END_TEST

/* Several threads read paths of one response at once, the first read
 * parsing the body (ThreadSanitizer watches the cache's publication). */
static const futurl_response *shared_response;
static atomic_int path_errors;

static void *read_paths(void *arg) {
    (void)arg;
    for (int i = 0; i < 200; i++) {
        const char *s = NULL;
        int64_t n = 0;
        if (futurl_response_json_string(shared_response, "json.data.items[0].name", &s) !=
                FUTURL_OK ||
            strcmp(s, "first") != 0 ||
            futurl_response_json_int(shared_response, "json.data.items[1].id", &n) !=
                FUTURL_OK ||
            n != 2)
            atomic_fetch_add(&path_errors, 1);
    }
    return NULL;
}

START_TEST(test_path_from_many_threads) {
    futurl_client *c = support_client(httpbin.url, 2, 1);
    futurl_future *f = call(
        c, "POST", "/anything",
        &(futurl_request_options){
            .body = DOC, .body_len = sizeof DOC - 1, .content_type = "application/json"});
    support_assert_status(f, FUTURL_OK);
    shared_response = futurl_future_response(f);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, read_paths, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&path_errors), 0);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* ======================================================== gather of URLs */

static atomic_int callbacks_run;

static void count_callback(futurl_future *f, void *userdata) {
    (void)f;
    (void)userdata;
    atomic_fetch_add(&callbacks_run, 1);
}

START_TEST(test_gather_get_empty_and_null) {
    futurl_client *c = support_client(httpbin.url, 2, 1);
    futurl_gather_counts n;
    memset(&n, 0xA5, sizeof n);
    assert_st(futurl_gather_get(c, NULL, 0, NULL, NULL, &n), FUTURL_OK, "n 0");
    ck_assert_msg(n.ok == 0 && n.failed == 0 && n.cancelled == 0 && n.pending == 0,
                  "counts %zu %zu %zu %zu", n.ok, n.failed, n.cancelled, n.pending);
    const char *urls[] = {"/get"};
    futurl_future *fs[1] = {NULL};
    assert_st(futurl_gather_get(NULL, urls, 1, NULL, fs, &n), FUTURL_EINVAL, "NULL c");
    assert_st(futurl_gather_get(c, NULL, 1, NULL, fs, NULL), FUTURL_EINVAL, "NULL urls");
    assert_st(futurl_gather_get(c, urls, 1, NULL, NULL, NULL), FUTURL_EINVAL, "NULL fs");
    ck_assert_ptr_null(fs[0]);
    futurl_client_stats stats;
    ck_assert_int_eq(futurl_client_get_stats(c, &stats), FUTURL_OK);
    ck_assert_int_eq(stats.submitted, 0);
    futurl_client_destroy(c);
}
END_TEST

/* A loopback port that refuses connections (bound, never listening). */
static int dead_port(int *fd_out) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *fd_out = fd;
    return ntohs(sa.sin_port);
}

START_TEST(test_gather_get_errors_per_url) {
    int fd;
    char dead[64], slow[160], flaky[160];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d/get", dead_port(&fd));
    snprintf(slow, sizeof slow, "%s/ok?delay_ms=300", fault.url);
    snprintf(flaky, sizeof flaky, "%s/status?code=503", fault.url);
    size_t long_len = FUTURL_MAX_URL_LENGTH + 10;
    char *too_long = malloc(long_len + 1);
    ck_assert_ptr_nonnull(too_long);
    memset(too_long, 'a', long_len);
    memcpy(too_long, "http://h/", 9);
    too_long[long_len] = '\0';
    const char *urls[] = {"/get?n=0", "ftp://x/", NULL,  "http://a b/", slow,
                          dead,       too_long,   flaky, "/get?n=8"};
    static const futurl_status want[] = {FUTURL_OK,   FUTURL_ESCHEME, FUTURL_EINVAL,
                                         FUTURL_EURL, FUTURL_OK,      FUTURL_ECONNECT,
                                         FUTURL_EURL, FUTURL_OK,      FUTURL_OK};
    static const int submitted[] = {1, 0, 0, 0, 1, 1, 0, 1, 1};
    enum { N = sizeof urls / sizeof urls[0] };

    futurl_client_options co;
    support_client_options(&co, httpbin.url, 4, 1);
    co.retry.base_delay_ms = 1;
    co.retry.max_delay_ms = 5;
    futurl_client *c = support_client_opts(&co, NULL);
    support_fault_reset(&fault);
    futurl_future *fs[N];
    futurl_gather_counts n;
    double t0 = support_now();
    assert_st(futurl_gather_get(c, urls, N, &(futurl_request_options){.max_attempts = 2},
                                fs, &n),
              FUTURL_OK, "gather_get");
    double took = support_now() - t0;
    close(fd);
    ck_assert_msg(took >= 0.29, "returned after %.3f s, before the 300 ms answer", took);
    ck_assert_msg(n.ok == 4 && n.failed == 5 && n.cancelled == 0 && n.pending == 0,
                  "counts ok %zu failed %zu cancelled %zu pending %zu, want 4 5 0 0",
                  n.ok, n.failed, n.cancelled, n.pending);
    atomic_store(&callbacks_run, 0);
    for (int i = 0; i < N; i++) {
        char what[64];
        snprintf(what, sizeof what, "url %d", i);
        ck_assert_msg(fs[i] != NULL, "url %d has no future", i);
        ck_assert_msg(futurl_future_done(fs[i]), "url %d not finished", i);
        assert_st(futurl_future_status(fs[i]), want[i], what);
        ck_assert_int_eq(futurl_future_cancel(fs[i]), 0); /* finished: nothing to do */
        ck_assert_int_eq(futurl_future_on_done(fs[i], count_callback, NULL), FUTURL_OK);
        const futurl_response *r = futurl_future_response(fs[i]);
        ck_assert_msg((r != NULL) == submitted[i], "url %d: response %p", i,
                      (const void *)r);
        if (!submitted[i]) {
            /* The message names the failure and the URL, a long one cut. */
            const char *m = futurl_future_errmsg(fs[i]);
            ck_assert_msg(strstr(m, futurl_err_name(want[i])) != NULL, "url %d: \"%s\"",
                          i, m);
            ck_assert_msg(urls[i] == NULL ? strstr(m, "NULL") != NULL
                                          : strstr(m, "GET ") != NULL,
                          "url %d: \"%s\"", i, m);
            ck_assert_msg(strlen(m) < 400, "url %d: message of %zu bytes", i, strlen(m));
            assert_st(futurl_future_wait(fs[i]), want[i], what);
        }
    }
    ck_assert_int_eq(atomic_load(&callbacks_run), N); /* each once, at once */
    /* The options reached the submitted ones: the 503 was tried twice. */
    ck_assert_int_eq(support_fault_attempts(&fault, "/status"), 2);
    ck_assert_int_eq(futurl_response_attempts(futurl_future_response(fs[7])), 2);
    const char *s = NULL;
    assert_st(futurl_response_json_string(futurl_future_response(fs[8]), "args.n", &s),
              FUTURL_OK, "args.n");
    ck_assert_str_eq(s, "8");
    futurl_client_stats stats;
    ck_assert_int_eq(futurl_client_get_stats(c, &stats), FUTURL_OK);
    ck_assert_int_eq(stats.submitted, 5);
    for (int i = 0; i < N; i++)
        futurl_future_free(fs[i]);
    free(too_long);
    futurl_client_destroy(c);
}
END_TEST

/* The program: 50 at once, each with its own field. */
START_TEST(test_gather_get_fifty) {
    enum { N = 50 };
    char bufs[N][32];
    const char *urls[N];
    for (int i = 0; i < N; i++) {
        snprintf(bufs[i], sizeof bufs[i], "/get?n=%d", i);
        urls[i] = bufs[i];
    }
    futurl_client *c = support_client(httpbin.url, 8, 1);
    futurl_future *fs[N];
    futurl_gather_counts n;
    assert_st(futurl_gather_get(
                  c, urls, N,
                  &(futurl_request_options){.timeout_ms = 5000, .max_attempts = 3}, fs,
                  &n),
              FUTURL_OK, "gather_get 50");
    ck_assert_msg(n.ok == N, "%zu of %d ok", n.ok, N);
    for (int i = 0; i < N; i++) {
        const char *s = NULL;
        const futurl_response *r = futurl_future_response(fs[i]);
        ck_assert_int_eq(futurl_response_status(r), 200);
        assert_st(futurl_response_json_string(r, "args.n", &s), FUTURL_OK, urls[i]);
        ck_assert_str_eq(s, bufs[i] + strlen("/get?n="));
        futurl_future_free(fs[i]);
    }
    futurl_client_destroy(c);
}
END_TEST

/* A shut-down client: every URL fails FUTURL_ESHUTDOWN, each on its own. */
START_TEST(test_gather_get_after_shutdown) {
    futurl_client *c = support_client(httpbin.url, 2, 1);
    ck_assert_int_eq(futurl_client_shutdown(c, FUTURL_DRAIN), FUTURL_OK);
    const char *urls[] = {"/get", "/uuid", "/get?x=1"};
    futurl_future *fs[3];
    futurl_gather_counts n;
    assert_st(futurl_gather_get(c, urls, 3, NULL, fs, &n), FUTURL_OK, "after shutdown");
    ck_assert_int_eq(n.failed, 3);
    for (int i = 0; i < 3; i++) {
        support_assert_status(fs[i], FUTURL_ESHUTDOWN);
        ck_assert_ptr_null(futurl_future_response(fs[i]));
        futurl_future_free(fs[i]);
    }
    futurl_client_destroy(c);
}
END_TEST

/* ====================================================== futurl_get_all */

START_TEST(test_get_all_arguments) {
    futurl_gather_counts n;
    memset(&n, 0xA5, sizeof n);
    assert_st(futurl_get_all(NULL, 0, NULL, NULL, &n), FUTURL_OK, "n 0");
    ck_assert_msg(n.ok == 0 && n.failed == 0 && n.cancelled == 0 && n.pending == 0,
                  "counts %zu %zu %zu %zu", n.ok, n.failed, n.cancelled, n.pending);
    const char *urls[] = {"http://127.0.0.1:1/"};
    futurl_future *fs[1] = {NULL};
    assert_st(futurl_get_all(NULL, 1, NULL, fs, NULL), FUTURL_EINVAL, "NULL urls");
    assert_st(futurl_get_all(urls, 1, NULL, NULL, NULL), FUTURL_EINVAL, "NULL fs");
    ck_assert_ptr_null(fs[0]);
}
END_TEST

/* Forty URLs, each with its own outcome; the per-call options reach the
 * wire, the client of the call sends up to FUTURL_GET_ALL_MAX_WORKERS at
 * once (the fault server's peak), and the futures outlive that client. */
START_TEST(test_get_all_outcomes) {
    enum { N = 40, SLOW = 12 };
    int fd;
    char dead[64], bufs[N][160];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d/get", dead_port(&fd));
    const char *urls[N];
    futurl_status want[N];
    for (int i = 0; i < N; i++) {
        urls[i] = bufs[i];
        want[i] = FUTURL_OK;
        if (i < SLOW)
            snprintf(bufs[i], sizeof bufs[i], "%s/ok?delay_ms=400&i=%d", fault.url, i);
        else if (i % 10 == 3)
            urls[i] = "ftp://x/", want[i] = FUTURL_ESCHEME;
        else if (i % 10 == 7)
            urls[i] = dead, want[i] = FUTURL_ECONNECT;
        else if (i == N - 1)
            urls[i] = NULL, want[i] = FUTURL_EINVAL;
        else
            snprintf(bufs[i], sizeof bufs[i], "%s/get?n=%d", httpbin.url, i);
    }
    support_fault_reset(&fault);
    futurl_future *fs[N];
    futurl_gather_counts n;
    assert_st(futurl_get_all(urls, N,
                             &(futurl_request_options){
                                 .timeout_ms = 10000,
                                 .max_attempts = 1,
                                 .headers = (const char *[]){"X-Get-All: yes", NULL}},
                             fs, &n),
              FUTURL_OK, "get_all");
    close(fd);
    size_t failed = 0;
    for (int i = 0; i < N; i++)
        failed += want[i] != FUTURL_OK;
    ck_assert_msg(n.ok == N - failed && n.failed == failed && n.pending == 0,
                  "counts ok %zu failed %zu pending %zu, want %zu %zu 0", n.ok, n.failed,
                  n.pending, N - failed, failed);
    long peak = support_fault_peak(&fault, "/ok");
    ck_assert_msg(peak >= 4 && peak <= SLOW, "%ld of %d slow requests at once", peak,
                  SLOW);
    for (int i = 0; i < N; i++) {
        char what[64];
        snprintf(what, sizeof what, "url %d", i);
        ck_assert_msg(fs[i] != NULL && futurl_future_done(fs[i]), "url %d not finished",
                      i);
        assert_st(futurl_future_status(fs[i]), want[i], what);
        if (want[i] == FUTURL_OK && i >= SLOW) {
            char nbuf[16];
            const char *v = NULL;
            snprintf(nbuf, sizeof nbuf, "%d", i);
            assert_st(futurl_future_json_string(fs[i], "args.n", &v), FUTURL_OK, what);
            ck_assert_str_eq(v, nbuf);
            assert_st(futurl_future_json_string(fs[i], "headers.X-Get-All", &v),
                      FUTURL_OK, what);
            ck_assert_str_eq(v, "yes");
        }
        futurl_future_free(fs[i]);
    }
}
END_TEST

/* ============================================ a future's JSON, outcome first */

static futurl_status job_without_result(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)arg;
    *result = NULL;
    return FUTURL_OK;
}

START_TEST(test_future_json_done) {
    futurl_client *c = support_client(httpbin.url, 2, 1);
    futurl_future *f = call(c, "GET", "/get?n=7", NULL);
    const char *s = "junk";
    const cJSON *v = NULL;
    int64_t i64 = 99;
    double d = 99;
    int b = 99;
    assert_st(futurl_future_json_string(f, "args.n", &s), FUTURL_OK, "args.n");
    ck_assert_str_eq(s, "7");
    assert_st(futurl_future_json_value(f, "args", &v), FUTURL_OK, "args");
    ck_assert_msg(cJSON_IsObject(v), "args is no object");
    ck_assert_int_eq(futurl_future_http_status(f), 200);
    /* The response's own answers, unchanged, once the future is DONE. */
    assert_st(futurl_future_json_int(f, "args.n", &i64), FUTURL_ETYPE, "int of a string");
    ck_assert_int_eq(i64, 0);
    assert_st(futurl_future_json_string(f, "args.m", &s), FUTURL_ENOTFOUND, "args.m");
    ck_assert_ptr_null(s);
    assert_st(futurl_future_json_string(f, "args..n", &s), FUTURL_EJSONPATH, "args..n");
    /* NULL arguments. */
    assert_st(futurl_future_json_string(NULL, "args.n", &s), FUTURL_EINVAL, "NULL f");
    ck_assert_ptr_null(s);
    assert_st(futurl_future_json_string(f, NULL, &s), FUTURL_EINVAL, "NULL path");
    assert_st(futurl_future_json_string(f, "args.n", NULL), FUTURL_EINVAL, "NULL out");
    ck_assert_int_eq(futurl_future_http_status(NULL), 0);
    futurl_future_free(f);

    /* Numbers and booleans, echoed by httpbin from a JSON body. */
    static const char body[] = "{\"a\": 12, \"b\": true, \"c\": 2.5}";
    f = call(c, "POST", "/anything",
             &(futurl_request_options){.body = body,
                                       .body_len = sizeof body - 1,
                                       .content_type = "application/json"});
    assert_st(futurl_future_json_int(f, "json.a", &i64), FUTURL_OK, "json.a");
    ck_assert_int_eq(i64, 12);
    assert_st(futurl_future_json_bool(f, "json.b", &b), FUTURL_OK, "json.b");
    ck_assert_int_eq(b, 1);
    assert_st(futurl_future_json_number(f, "json.c", &d), FUTURL_OK, "json.c");
    ck_assert_msg(d == 2.5, "json.c = %g, want 2.5", d);
    futurl_future_free(f);

    /* A future that is no HTTP future. */
    futurl_future *job;
    ck_assert_int_eq(futurl_executor_submit(futurl_client_executor(c), job_without_result,
                                            NULL, NULL, NULL, &job),
                     FUTURL_OK);
    assert_st(futurl_future_wait(job), FUTURL_OK, "job");
    s = "junk";
    assert_st(futurl_future_json_string(job, "a", &s), FUTURL_EINVAL, "a job's future");
    ck_assert_ptr_null(s);
    ck_assert_int_eq(futurl_future_http_status(job), 0);
    futurl_future_free(job);
    futurl_client_destroy(c);
}
END_TEST

/* The future's outcome comes first, whatever the path: a timeout, an
 * error status under raise_for_status, unfinished, cancelled. */
START_TEST(test_future_json_outcome_first) {
    futurl_client *c = support_client(fault.url, 2, 1);
    const futurl_request_options once = {.max_attempts = 1, .timeout_ms = 200};
    futurl_future *f = call(c, "GET", "/ok?delay_ms=2000", &once);
    const char *s = "junk";
    const cJSON *v = (const cJSON *)&s;
    double d = 99;
    int64_t i64 = 99;
    int b = 99;
    assert_st(futurl_future_json_string(f, "a", &s), FUTURL_ETIMEDOUT, "string");
    assert_st(futurl_future_json_value(f, "a..", &v), FUTURL_ETIMEDOUT, "bad path");
    assert_st(futurl_future_json_number(f, "a", &d), FUTURL_ETIMEDOUT, "number");
    assert_st(futurl_future_json_int(f, "a", &i64), FUTURL_ETIMEDOUT, "int");
    assert_st(futurl_future_json_bool(f, "a", &b), FUTURL_ETIMEDOUT, "bool");
    ck_assert_msg(s == NULL && v == NULL && d == 0 && i64 == 0 && b == 0,
                  "outputs not cleared: %p %p %g %lld %d", (const void *)s,
                  (const void *)v, d, (long long)i64, b);
    ck_assert_int_eq(futurl_future_http_status(f), 0);
    futurl_future_free(f);

    f = call(c, "GET", "/status?code=503",
             &(futurl_request_options){.max_attempts = 1, .raise_for_status = 1});
    assert_st(futurl_future_json_string(f, "a", &s), FUTURL_EHTTP, "503");
    ck_assert_int_eq(futurl_future_http_status(f), 503);
    futurl_future_free(f);

    ck_assert_int_eq(futurl_client_request(c, "GET", "/ok?delay_ms=3000", NULL, &f),
                     FUTURL_OK);
    assert_st(futurl_future_json_string(f, "a", &s), FUTURL_EPENDING, "unfinished");
    ck_assert_int_eq(futurl_future_http_status(f), 0);
    (void)futurl_future_cancel(f);
    (void)futurl_future_wait(f);
    assert_st(futurl_future_json_string(f, "a", &s), FUTURL_ECANCELED, "cancelled");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

static Suite *shortcuts_suite(void) {
    Suite *s = suite_create("shortcuts");
    TCase *tc = tcase_create("options");
    tcase_add_unchecked_fixture(tc, start_servers, stop_servers);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_options_init_is_all_zero);
    tcase_add_test(tc, test_timeout_applied);
    tcase_add_test(tc, test_deadline_applied);
    tcase_add_test(tc, test_attempts_counted_by_server);
    tcase_add_test(tc, test_raise_for_status);
    tcase_add_test(tc, test_headers_reach_the_wire);
    tcase_add_test(tc, test_params_body_id);
    tcase_add_test(tc, test_path_table);
    tcase_add_test(tc, test_typed_accessors);
    tcase_add_test(tc, test_path_null_arguments_and_length);
    tcase_add_test(tc, test_path_on_non_json_bodies);
    tcase_add_test(tc, test_path_random);
    tcase_add_test(tc, test_path_deep_nesting);
    tcase_add_test(tc, test_path_from_many_threads);
    tcase_add_test(tc, test_gather_get_empty_and_null);
    tcase_add_test(tc, test_gather_get_errors_per_url);
    tcase_add_test(tc, test_gather_get_fifty);
    tcase_add_test(tc, test_gather_get_after_shutdown);
    tcase_add_test(tc, test_get_all_arguments);
    tcase_add_test(tc, test_get_all_outcomes);
    tcase_add_test(tc, test_future_json_done);
    tcase_add_test(tc, test_future_json_outcome_first);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    if (setenv("no_proxy", "127.0.0.1,localhost", 1) != 0)
        return EXIT_FAILURE;
    SRunner *sr = srunner_create(shortcuts_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
