/*
 * test/test_keepalive.c — keepalive_per_worker: how many idle connections
 * each worker's handle keeps (libcurl's connection cache), against
 * HOSTS fault servers, so that requests spread over more hosts than the
 * cache holds. It checks that the option is applied (connections made are
 * counted through futurl_response_new_connections and the servers' own
 * accept counters), that the check for unclean idle connections (an
 * answer nobody asked for, waiting on an idle socket) still finds the one
 * among many, that a cancel still ends a transfer promptly with many
 * connections open, and that bad values are refused.
 */
#include "support.h"

#include <futurl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTS  10
#define ROUNDS 5

static support_server servers[HOSTS];

static void start_servers(void) {
    for (int i = 0; i < HOSTS; i++)
        if (support_fault_start(&servers[i]) != 0) {
            fprintf(stderr, "test_keepalive: fault server %d did not start\n", i);
            exit(1);
        }
}

static void stop_servers(void) {
    for (int i = 0; i < HOSTS; i++)
        support_server_stop(&servers[i]);
}

static futurl_client *client_keeping(unsigned keepalive) {
    futurl_client_options o;
    support_client_options(&o, NULL, 1, 1);
    o.keepalive_per_worker = keepalive;
    return support_client_opts(&o, NULL);
}

/* GET /echo on server i; the connections it opened. */
static long get_on(futurl_client *c, int i, const char *id) {
    char url[160];
    snprintf(url, sizeof url, "%s/echo?id=%s", servers[i].url, id);
    futurl_future *f = support_get(c, url);
    const futurl_response *r = futurl_future_response(f);
    ck_assert_msg(futurl_future_status(f) == FUTURL_OK && r != NULL &&
                      futurl_response_status(r) == 200,
                  "GET %s: %s (%s)", url, futurl_err_name(futurl_future_status(f)),
                  futurl_future_errmsg(f));
    const char *query = support_json_str(support_json(f), "query", NULL);
    char want[64];
    snprintf(want, sizeof want, "id=%s", id);
    ck_assert_msg(query != NULL && strcmp(query, want) == 0,
                  "GET %s got another request's answer: query %s", url,
                  query ? query : "(none)");
    long opened = futurl_response_new_connections(r);
    futurl_future_free(f);
    return opened;
}

static long accepted_total(void) {
    long n = 0;
    for (int i = 0; i < HOSTS; i++)
        n += support_fault_connections(&servers[i]);
    return n;
}

/* ROUNDS rounds over the HOSTS servers, one worker: the connections made,
 * counted by the client and by the servers. */
static void round_robin(unsigned keepalive, long *by_client, long *by_servers) {
    futurl_client *c = client_keeping(keepalive);
    long before = accepted_total();
    *by_client = 0;
    char id[32];
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < HOSTS; i++) {
            snprintf(id, sizeof id, "r%dh%d", r, i);
            *by_client += get_on(c, i, id);
        }
    futurl_client_destroy(c);
    *by_servers = accepted_total() - before;
}

START_TEST(test_cache_holds_every_host) {
    long client, server;
    round_robin(HOSTS + 2, &client, &server);
    ck_assert_msg(client == HOSTS && server == HOSTS,
                  "keepalive %d over %d hosts: %ld connections made (servers: %ld), "
                  "want %d",
                  HOSTS + 2, HOSTS, client, server, HOSTS);
}
END_TEST

START_TEST(test_default_cache_is_libcurls) {
    /* Round robin over more hosts than the cache holds: the least recently
     * used is always the one needed next, so every request connects. */
    long client, server;
    round_robin(0, &client, &server);
    ck_assert_msg(client == HOSTS * ROUNDS && server == HOSTS * ROUNDS,
                  "default keepalive (%u) over %d hosts: %ld connections made "
                  "(servers: %ld), want %d",
                  FUTURL_DEFAULT_KEEPALIVE_PER_WORKER, HOSTS, client, server,
                  HOSTS * ROUNDS);
    /* One fewer than the hosts: mostly new connections (libcurl evicts the
     * connection idle longest, but not strictly the one needed next). */
    round_robin(HOSTS - 1, &client, &server);
    ck_assert_msg(client > HOSTS * ROUNDS / 2 && client == server,
                  "keepalive %d over %d hosts: %ld connections made (servers: %ld), "
                  "want over %d",
                  HOSTS - 1, HOSTS, client, server, HOSTS * ROUNDS / 2);
}
END_TEST

/* An unasked answer arrives on one idle connection among HOSTS: the next
 * request to that host opens a new connection and gets its own answer;
 * the other hosts' idle connections are kept. */
START_TEST(test_unclean_found_among_many) {
    futurl_client *c = client_keeping(HOSTS + 2);
    char id[32];
    for (int i = 0; i < HOSTS; i++) {
        snprintf(id, sizeof id, "open%d", i);
        ck_assert_int_eq(get_on(c, i, id), 1);
    }
    int bad = HOSTS / 2 + 1 + _i % (HOSTS / 2 - 1);
    char url[160];
    snprintf(url, sizeof url, "%s/extra?delay_ms=30", servers[bad].url);
    futurl_future_free(support_get_ok_at(c, url, __LINE__));
    support_sleep_ms(150); /* the extra answer has arrived by now */
    for (int i = 0; i < HOSTS; i++) {
        snprintf(id, sizeof id, "after%d", i);
        long opened = get_on(c, i, id);
        ck_assert_msg(opened == (i == bad),
                      "host %d (the unclean one: %d): %ld connections opened, want %d", i,
                      bad, opened, i == bad);
    }
    futurl_client_destroy(c);
}
END_TEST

/* With HOSTS idle connections open on the worker, a cancel still ends a
 * transfer stalled on a silent server at once, and costs the worker only
 * that transfer's connection. */
START_TEST(test_cancel_with_many_open) {
    futurl_client *c = client_keeping(HOSTS + 2);
    char id[32], url[160];
    for (int i = 0; i < HOSTS; i++) {
        snprintf(id, sizeof id, "c%d", i);
        (void)get_on(c, i, id);
    }
    snprintf(url, sizeof url, "%s/stall?seconds=20", servers[0].url);
    double took = support_cancel_running(c, url, 0.1);
    ck_assert_msg(took < 2.0 * support_slack(), "the cancel took %.3f s", took);
    /* The worker goes on: every host answers again, the cancelled
     * transfer's host on a new connection, every other one on the
     * connection it kept (a cancel shuts down only the transfer's own). */
    for (int i = 0; i < HOSTS; i++) {
        snprintf(id, sizeof id, "d%d", i);
        long opened = get_on(c, i, id);
        ck_assert_msg(opened == (i == 0),
                      "host %d after a cancel on host 0: %ld connections opened, want %d",
                      i, opened, i == 0);
    }
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_bad_values) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    ck_assert_uint_eq(o.keepalive_per_worker, FUTURL_DEFAULT_KEEPALIVE_PER_WORKER);
    o.keepalive_per_worker = FUTURL_MAX_KEEPALIVE_PER_WORKER + 1;
    futurl_client *c = (futurl_client *)&o; /* must be left alone on failure */
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EINVAL);
    o.keepalive_per_worker = (unsigned)-1;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EINVAL);
    /* The largest is taken, and works. */
    futurl_client *big = client_keeping(FUTURL_MAX_KEEPALIVE_PER_WORKER);
    ck_assert_int_eq(get_on(big, 0, "max"), 1);
    ck_assert_int_eq(get_on(big, 0, "max2"), 0);
    futurl_client_destroy(big);
}
END_TEST

static Suite *keepalive_suite(void) {
    Suite *s = suite_create("keepalive");
    TCase *tc = tcase_create("hosts");
    tcase_add_unchecked_fixture(tc, start_servers, stop_servers);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cache_holds_every_host);
    tcase_add_test(tc, test_default_cache_is_libcurls);
    tcase_add_loop_test(tc, test_unclean_found_among_many, 0, 4);
    tcase_add_test(tc, test_cancel_with_many_open);
    tcase_add_test(tc, test_bad_values);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(keepalive_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
