/*
 * bench/multi.c — the event-driven peer: one thread drives the libcurl multi
 * interface with at most N transfers at once; each of the N easy handles is
 * re-added for the next request when its transfer ends (handles reused,
 * connections kept alive in the multi's cache). Same options as raw
 * (common.c), bodies discarded.
 * Usage: multi URL|@FILE REQUESTS MAXPARALLEL [MAXCONNECTS]: request i goes
 * to URL or to line i % count of FILE (see common.h). Without MAXCONNECTS at
 * most MAXPARALLEL connections are open (CURLMOPT_MAX_TOTAL_CONNECTIONS);
 * with it, the shared cache keeps MAXCONNECTS (CURLMOPT_MAXCONNECTS) and the
 * total is not capped. Prints one JSON result line with "new_conns"
 * (CURLINFO_NUM_CONNECTS summed); the time runs from the first add to the
 * last completion.
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>

/* No transfer here may take longer; bounds the event loop. */
#define DEADLINE_S 600.0

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: multi URL|@FILE REQUESTS MAXPARALLEL [MAXCONNECTS]\n");
        return 2;
    }
    char **urls;
    long nurls = bench_url_list(argv[1], &urls);
    long maxconnects = argc == 5 ? bench_parse_count("MAXCONNECTS", argv[4]) : 0;
    long n = bench_parse_count("REQUESTS", argv[2]);
    long par = bench_parse_count("MAXPARALLEL", argv[3]);
    if (par > n)
        par = n;
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        fprintf(stderr, "multi: curl_global_init failed\n");
        return 1;
    }
    CURLM *m = curl_multi_init();
    CURL **hs = calloc((size_t)par, sizeof *hs);
    uint64_t bytes = 0;
    if (!m || !hs) {
        fprintf(stderr, "multi: out of memory\n");
        return 1;
    }
    if (curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          maxconnects > 0 ? 0L : par) != CURLM_OK ||
        (maxconnects > 0 &&
         curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, maxconnects) != CURLM_OK)) {
        fprintf(stderr, "multi: CURLMOPT_MAX_TOTAL_CONNECTIONS failed\n");
        return 1;
    }
    for (long i = 0; i < par; i++) {
        hs[i] = curl_easy_init();
        if (!hs[i] || bench_curl_setup(hs[i], urls[i % nurls], &bytes) != CURLE_OK) {
            fprintf(stderr, "multi: easy handle setup failed\n");
            return 1;
        }
    }
    double t0 = bench_now();
    long added = 0, done = 0, ok = 0, conns = 0;
    for (; added < par; added++) {
        if (curl_multi_add_handle(m, hs[added]) != CURLM_OK) {
            fprintf(stderr, "multi: add_handle failed\n");
            return 1;
        }
    }
    while (done < n) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK) {
            fprintf(stderr, "multi: %s\n", curl_multi_strerror(mc));
            break;
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *h = msg->easy_handle;
            CURLcode rc = msg->data.result;
            long status = 0, made = 0;
            if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &made) == CURLE_OK)
                conns += made;
            if (rc == CURLE_OK)
                rc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            if (rc == CURLE_OK && status == 200)
                ok++;
            else
                fprintf(stderr, "multi: %s status %ld\n", curl_easy_strerror(rc), status);
            done++;
            if (curl_multi_remove_handle(m, h) != CURLM_OK) {
                fprintf(stderr, "multi: remove_handle failed\n");
                return 1;
            }
            if (added < n) {
                if ((nurls > 1 &&
                     curl_easy_setopt(h, CURLOPT_URL, urls[added % nurls]) != CURLE_OK) ||
                    curl_multi_add_handle(m, h) != CURLM_OK) {
                    fprintf(stderr, "multi: add_handle failed\n");
                    return 1;
                }
                added++;
            }
        }
        /* After the finished ones were re-added: a re-added handle's timer
         * is due at once, so this returns without sleeping then. */
        if (done < n && (mc = curl_multi_poll(m, NULL, 0, 1000, NULL)) != CURLM_OK) {
            fprintf(stderr, "multi: %s\n", curl_multi_strerror(mc));
            break;
        }
        if (bench_now() - t0 > DEADLINE_S) {
            fprintf(stderr, "multi: gave up after %.0f s\n", DEADLINE_S);
            break;
        }
    }
    double secs = bench_now() - t0;
    char extra[96];
    snprintf(extra, sizeof extra, ",\"new_conns\":%ld,\"maxconnects\":%ld", conns,
             maxconnects > 0 ? maxconnects : 4 * par); /* libcurl's default */
    bench_report("multi", n, ok, bytes, secs,
                 maxconnects > 0 ? BENCH_CURL_OPTS_TEXT " MAXCONNECTS=M"
                                 : BENCH_CURL_OPTS_TEXT " MAX_TOTAL_CONNECTIONS=N",
                 extra);
    for (long i = 0; i < par; i++)
        curl_easy_cleanup(hs[i]);
    free(hs);
    curl_multi_cleanup(m);
    curl_global_cleanup();
    return ok == n ? 0 : 1;
}
