/*
 * bench/common.c — shared helpers of the C benchmark programs (see
 * common.h): clocks, CPU and memory readings, the common libcurl options and
 * the JSON result line bench/run.py parses.
 */
#include "common.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

double bench_now(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(2);
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu_seconds(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Reads "Key:   123 kB" from /proc/self/status; -1 if absent. */
static long status_kb(const char *key) {
    FILE *fp = fopen("/proc/self/status", "r");
    if (!fp)
        return -1;
    char line[256];
    size_t klen = strlen(key);
    long kb = -1;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(fp);
    return kb;
}

long bench_peak_rss_kb(void) {
    return status_kb("VmHWM");
}

long bench_vmrss_kb(void) {
    return status_kb("VmRSS");
}

size_t bench_heap_bytes(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

long bench_parse_count(const char *what, const char *s) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v <= 0) {
        fprintf(stderr, "bench: %s must be a positive integer, got \"%s\"\n", what, s);
        exit(2);
    }
    return v;
}

long bench_url_list(const char *arg, char ***urls) {
    static char *one[1];
    if (arg[0] != '@') {
        one[0] = (char *)arg;
        *urls = one;
        return 1;
    }
    FILE *f = fopen(arg + 1, "r");
    if (f == NULL) {
        fprintf(stderr, "bench: %s: %s\n", arg + 1, strerror(errno));
        exit(2);
    }
    char **list = NULL, *line = NULL;
    size_t cap = 0, lcap = 0;
    long n = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if ((size_t)n == cap) {
            cap = cap ? 2 * cap : 1024;
            char **grown = realloc(list, cap * sizeof *list);
            if (grown == NULL) {
                fprintf(stderr, "bench: out of memory\n");
                exit(1);
            }
            list = grown;
        }
        if ((list[n++] = strdup(line)) == NULL) {
            fprintf(stderr, "bench: out of memory\n");
            exit(1);
        }
    }
    free(line);
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "bench: %s has no URL\n", arg + 1);
        exit(2);
    }
    *urls = list;
    return n;
}

static size_t count_and_discard(char *data, size_t size, size_t nmemb, void *ud) {
    (void)data;
    *(uint64_t *)ud += size * nmemb;
    return size * nmemb;
}

CURLcode bench_curl_setup(CURL *h, const char *url, uint64_t *bytes) {
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                         \
    do {                                                                      \
        if (rc == CURLE_OK)                                                   \
            rc = curl_easy_setopt(h, opt, val);                               \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_USERAGENT, "futurl/" FUTURL_BENCH_UA_VERSION);
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, 10L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    SET(CURLOPT_TIMEOUT_MS, 30000L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_BUFFERSIZE, 64L * 1024L); /* as futurl's handles */
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    /* S6: the certificate run.py made for its TLS servers. */
    const char *ca = getenv("BENCH_CAINFO");
    if (ca != NULL && *ca != '\0')
        SET(CURLOPT_CAINFO, ca);
    SET(CURLOPT_WRITEFUNCTION, count_and_discard);
    SET(CURLOPT_WRITEDATA, bytes);
#undef SET
    return rc;
}

void bench_report(const char *impl, long n, long ok, uint64_t bytes, double seconds,
                  const char *opts, const char *extra) {
    printf("{\"impl\":\"%s\",\"n\":%ld,\"ok\":%ld,\"bytes\":%llu,\"seconds\":%.6f,"
           "\"cpu_s\":%.3f,\"peak_rss_kb\":%ld,\"opts\":\"%s\"%s}\n",
           impl, n, ok, (unsigned long long)bytes, seconds, bench_cpu_seconds(),
           bench_peak_rss_kb(), opts, extra ? extra : "");
    fflush(stdout);
}
