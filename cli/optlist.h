/*
 * cli/optlist.h — the one list of the futurl tool's options. It builds the
 * getopt_long table and the short-option string in cli/options.c, and
 * test/test_cli.c includes it to check that every long option appears in
 * `futurl --help` and in the man page (cli/futurl.1), so they cannot drift.
 *
 * X(id, long name, argument (0 none, 1 required), short letter or 0)
 * Order: the groups of --help.
 */
#ifndef FUTURL_CLI_OPTLIST_H
#define FUTURL_CLI_OPTLIST_H

#define CLI_OPTIONS(X)                                                                   \
    /* input */                                                                          \
    X(INPUT, "input", 1, 'i')                                                            \
    X(STRICT, "strict", 0, 0)                                                            \
    /* request */                                                                        \
    X(REQUEST, "request", 1, 'X')                                                        \
    X(HEADER, "header", 1, 'H')                                                          \
    X(DATA, "data", 1, 'd')                                                              \
    X(DATA_BINARY, "data-binary", 1, 0)                                                  \
    X(JSON, "json", 1, 0)                                                                \
    X(USER, "user", 1, 'u')                                                              \
    X(BEARER, "oauth2-bearer", 1, 0)                                                     \
    X(USER_AGENT, "user-agent", 1, 'A')                                                  \
    X(COMPRESSED, "compressed", 0, 0)                                                    \
    /* timing */                                                                         \
    X(MAX_TIME, "max-time", 1, 'm')                                                      \
    X(DEADLINE, "deadline", 1, 0)                                                        \
    X(CONNECT_TIMEOUT, "connect-timeout", 1, 0)                                          \
    /* redirects */                                                                      \
    X(LOCATION, "location", 0, 'L')                                                      \
    X(NO_LOCATION, "no-location", 0, 0)                                                  \
    X(MAX_REDIRS, "max-redirs", 1, 0)                                                    \
    /* TLS and proxy */                                                                  \
    X(INSECURE, "insecure", 0, 'k')                                                      \
    X(CACERT, "cacert", 1, 0)                                                            \
    X(PROXY, "proxy", 1, 'x')                                                            \
    X(HTTP11, "http1.1", 0, 0)                                                           \
    /* retries */                                                                        \
    X(RETRY, "retry", 1, 0)                                                              \
    X(RETRY_MAX_TIME, "retry-max-time", 1, 0)                                            \
    X(HOLD_429, "hold-429", 0, 0)                                                        \
    X(NO_HOLD_429, "no-hold-429", 0, 0)                                                  \
    /* concurrency */                                                                    \
    X(PARALLEL, "parallel", 0, 'Z')                                                      \
    X(PARALLEL_MAX, "parallel-max", 1, 0)                                                \
    X(PER_HOST, "per-host", 1, 0)                                                        \
    X(CONN_CACHE, "conn-cache", 1, 0)                                                    \
    X(RATE, "rate", 1, 0)                                                                \
    X(RATE_BURST, "rate-burst", 1, 0)                                                    \
    /* failure and size */                                                               \
    X(FAIL, "fail", 0, 'f')                                                              \
    X(MAX_FILESIZE, "max-filesize", 1, 0)                                                \
    /* output */                                                                         \
    X(OUTPUT, "output", 1, 'o')                                                          \
    X(REMOTE_NAME, "remote-name", 0, 'O')                                                \
    X(OUTPUT_DIR, "output-dir", 1, 0)                                                    \
    X(CREATE_DIRS, "create-dirs", 0, 0)                                                  \
    X(CLOBBER, "clobber", 0, 0)                                                          \
    X(NO_CLOBBER, "no-clobber", 0, 0)                                                    \
    X(ORDER, "order", 1, 0)                                                              \
    X(JSONL, "jsonl", 0, 0)                                                              \
    X(SILENT, "silent", 0, 's')                                                          \
    X(SHOW_ERROR, "show-error", 0, 'S')                                                  \
    X(HELP, "help", 0, 'h')                                                              \
    X(VERSION, "version", 0, 'V')

#endif
