/*
 * test/test_unix.c — the unix_socket_path client option: requests reach
 * the project's fault server listening on a Unix domain socket in a
 * temporary directory (test/fault_server.py --unix), the URL's host stays
 * the Host header and the per-host key (limits hold per host), a missing
 * socket fails as a refused connection, and create validates the path.
 */
#include "support.h"

#include "futurl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64], sock_path[96];
static pid_t server_pid;

static void start_server(void) {
    snprintf(dir, sizeof dir, "/tmp/futurl-unix-XXXXXX");
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(sock_path, sizeof sock_path, "%s/fault.sock", dir);
    fflush(NULL);
    server_pid = fork();
    ck_assert_int_ge(server_pid, 0);
    if (server_pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1); /* its "unix PATH" line */
        execl("/usr/bin/python3", "python3", FUTURL_SRCDIR "/test/fault_server.py",
              "--unix", sock_path, (char *)NULL);
        _exit(127);
    }
    /* Bounded: 20 s at most, longer under sanitizers. */
    double deadline = support_now() + 20 * support_slack();
    while (!support_unix_socket_answers(sock_path) && support_now() < deadline)
        support_sleep_ms(20);
    ck_assert_msg(support_unix_socket_answers(sock_path),
                  "the fault server did not listen on %s", sock_path);
}

static void stop_server(void) {
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        int status;
        double deadline = support_now() + 10;
        while (waitpid(server_pid, &status, WNOHANG) == 0) {
            if (support_now() > deadline) {
                kill(server_pid, SIGKILL);
                waitpid(server_pid, &status, 0);
                break;
            }
            support_sleep_ms(20);
        }
        server_pid = 0;
    }
    unlink(sock_path);
    rmdir(dir);
}

static futurl_client *unix_client(unsigned workers, unsigned max_per_host) {
    futurl_client_options o;
    support_client_options(&o, NULL, workers, 1);
    o.unix_socket_path = sock_path;
    o.max_per_host = max_per_host;
    return support_client_opts(&o, NULL);
}

/* The fault server's peak concurrency on path, asked through c. */
static long peak_of(futurl_client *c, const char *path) {
    char url[128];
    snprintf(url, sizeof url, "http://stats.local/_stats?path=%s", path);
    futurl_future *f = support_get_ok(c, url);
    long peak = support_json_int(support_json(f), "peak");
    futurl_future_free(f);
    return peak;
}

START_TEST(test_requests_go_through_the_socket) {
    futurl_client *c = unix_client(2, 0);
    /* Hosts that resolve nowhere: nothing is looked up or dialled. */
    const char *const urls[] = {"http://docker/echo?x=1",
                                "http://docker.invalid:2375/echo",
                                "http://127.0.0.1:1/echo"};
    const char *const hosts[] = {"docker", "docker.invalid:2375", "127.0.0.1:1"};
    for (int round = 0; round < 5; round++) {
        for (size_t i = 0; i < 3; i++) {
            futurl_future *f = support_get_ok(c, urls[i]);
            const cJSON *j = support_json(f);
            support_assert_str_or_null(support_json_str(j, "path", NULL), "/echo");
            support_assert_str_or_null(support_json_str(j, "headers", "Host"), hosts[i]);
            futurl_future_free(f);
        }
    }
    /* A body goes the same way. */
    futurl_request *r = support_request("POST", "http://docker/echo");
    ck_assert_int_eq(futurl_request_set_body(r, "hello", 5, "text/plain"), FUTURL_OK);
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_OK);
    support_assert_str_or_null(support_json_str(support_json(f), "body", NULL), "hello");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* Submit n GETs of url on c and wait for all; each must succeed. */
static void run_all(futurl_client *c, const char *url, int n) {
    futurl_future *fs[16];
    for (int i = 0; i < n; i++) {
        futurl_request *r = support_request("GET", url);
        ck_assert_int_eq(futurl_client_submit(c, r, &fs[i]), FUTURL_OK);
    }
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(futurl_future_wait_for(fs[i], (long)(30000 * support_slack())),
                         FUTURL_OK);
        support_assert_status(fs[i], FUTURL_OK);
        futurl_future_free(fs[i]);
    }
}

START_TEST(test_per_host_limit_keys_on_the_url_host) {
    /* max_per_host 1 on 4 workers: one at a time to host a, and host b is
     * another key with its own slot. */
    futurl_client *c = unix_client(4, 1);
    futurl_request *reset = support_request("GET", "http://a/_reset");
    futurl_future_free(support_run(c, reset));
    futurl_future *fs[8];
    for (int i = 0; i < 8; i++) {
        futurl_request *r = support_request("GET", i % 2 ? "http://b/slot2?delay_ms=150"
                                                         : "http://a/slot?delay_ms=150");
        ck_assert_int_eq(futurl_client_submit(c, r, &fs[i]), FUTURL_OK);
    }
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(futurl_future_wait_for(fs[i], (long)(30000 * support_slack())),
                         FUTURL_OK);
        support_assert_status(fs[i], FUTURL_OK);
        futurl_future_free(fs[i]);
    }
    long pa = peak_of(c, "/slot"), pb = peak_of(c, "/slot2");
    ck_assert_msg(pa == 1 && pb == 1, "peaks: host a %ld, host b %ld; want 1 and 1", pa,
                  pb);
    futurl_client_destroy(c);

    /* Without the limit the same socket serves several at once: the limit
     * above is what held them to one. */
    c = unix_client(4, 0);
    futurl_future_free(support_run(c, support_request("GET", "http://a/_reset")));
    run_all(c, "http://a/slot?delay_ms=300", 4);
    long free_peak = peak_of(c, "/slot");
    ck_assert_msg(free_peak >= 2, "peak without a limit %ld, want >= 2", free_peak);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_missing_socket_is_a_refused_connection) {
    futurl_client_options o;
    char missing[160];
    snprintf(missing, sizeof missing, "%s/nobody-here.sock", dir);
    support_client_options(&o, NULL, 1, 1);
    o.unix_socket_path = missing;
    futurl_client *c = support_client_opts(&o, NULL);
    futurl_future *f = support_get(c, "http://docker/echo");
    support_assert_status(f, FUTURL_ECONNECT);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_path_validated_at_create) {
    futurl_client_options o;
    futurl_client *c = NULL;
    char path[FUTURL_MAX_UNIX_SOCKET_PATH + 2];

    support_client_options(&o, NULL, 1, 1);
    o.unix_socket_path = "";
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EINVAL);
    ck_assert_ptr_null(c);

    memset(path, 'a', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0'; /* 108 bytes: no room for sun_path's NUL */
    o.unix_socket_path = path;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_EINVAL);
    ck_assert_ptr_null(c);

    path[sizeof path - 2] = '\0'; /* 107 bytes: fits */
    ck_assert_int_eq(strlen(path), FUTURL_MAX_UNIX_SOCKET_PATH);
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_OK);
    futurl_client_destroy(c);
    c = NULL;

    /* The option is copied at create. */
    char copy[128];
    snprintf(copy, sizeof copy, "%s", sock_path);
    o.unix_socket_path = copy;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_OK);
    memset(copy, 'x', strlen(copy));
    futurl_future *f = support_get_ok(c, "http://docker/ok");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

static Suite *unix_suite(void) {
    Suite *s = suite_create("unix");
    TCase *tc = tcase_create("unix socket");
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_requests_go_through_the_socket);
    tcase_add_test(tc, test_per_host_limit_keys_on_the_url_host);
    tcase_add_test(tc, test_missing_socket_is_a_refused_connection);
    tcase_add_test(tc, test_path_validated_at_create);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(unix_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
