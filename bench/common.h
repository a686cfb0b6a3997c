/*
 * bench/common.h — helpers shared by the C benchmark programs: a monotonic
 * clock, the process's CPU time and memory (peak RSS, current VmRSS, heap
 * bytes in use), the libcurl options every C HTTP implementation sets so
 * that raw, multi and futurl transfer with the same settings, and the one
 * JSON result line each program prints for bench/run.py.
 */
#ifndef FUTURL_BENCH_COMMON_H
#define FUTURL_BENCH_COMMON_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* User + system CPU seconds of the whole process so far. */
double bench_cpu_seconds(void);

/* Peak resident set size in KiB: VmHWM from /proc/self/status, or -1.
 * Not getrusage's ru_maxrss, which keeps the RSS of the process that
 * exec'ed us (the Python driver) as a floor. */
long bench_peak_rss_kb(void);

/* Current VmRSS in KiB from /proc/self/status, or -1. */
long bench_vmrss_kb(void);

/* Heap bytes in use over all malloc arenas (mallinfo2 uordblks+hblkhd). */
size_t bench_heap_bytes(void);

/* Parse a positive count; exits with a message on anything else. */
long bench_parse_count(const char *what, const char *s);

/* The URLs of a run: "@FILE" reads one URL a line from FILE (S7: a list
 * made by run.py, the same order for every implementation), anything else
 * is the one URL itself. Request i goes to urls[i % count]. Returns the
 * count (>= 1) and the array in *urls; exits with a message on a read
 * error or an empty list. Freed at exit. */
long bench_url_list(const char *arg, char ***urls);

/* What the raw and multi handles set, in words, for the results; then
 * what becomes of the body. */
#define BENCH_CURL_OPTS_COMMON                                                \
    "NOSIGNAL=1 keep-alive(reused handle) ACCEPT_ENCODING=all-codecs "        \
    "USERAGENT=futurl/" FUTURL_BENCH_UA_VERSION " FOLLOWLOCATION=1 "          \
    "MAXREDIRS=10 CONNECTTIMEOUT=10s TIMEOUT=30s TCP_KEEPALIVE=1 "            \
    "BUFFERSIZE=64KiB "                                                       \
    "HTTP_VERSION=2TLS PROTOCOLS=http,https "
#define BENCH_CURL_OPTS_TEXT BENCH_CURL_OPTS_COMMON "body discarded"
#define FUTURL_BENCH_UA_VERSION "0.1.0"

/* Set the options above on h (the ones futurl's client sets by default, so
 * the transfers are comparable; futurl also installs header and progress
 * callbacks, a DNS share and the cookie engine, which are its own cost),
 * with url, the trust anchor in $BENCH_CAINFO when set (S6), and a write
 * callback that adds
 * the body size to *bytes and discards the data. Returns CURLE_OK or the
 * first failing code. */
CURLcode bench_curl_setup(CURL *h, const char *url, uint64_t *bytes);

/*
 * Print the result line: {"impl":…,"n":…,"ok":…,"bytes":…,"seconds":…,
 * "cpu_s":…,"peak_rss_kb":…,"opts":…} followed by extra, a string of more
 * ,"key":value pairs (may be "" or NULL), and a newline. It only prints;
 * each program exits non-zero itself when ok != n.
 */
void bench_report(const char *impl, long n, long ok, uint64_t bytes, double seconds,
                  const char *opts, const char *extra);

#endif
