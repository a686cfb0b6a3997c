/*
 * cli/cli.h — what the parts of the futurl command-line tool share: the
 * parsed options, one in-flight request (a slot of the window), the input
 * reader, the output writers, and the statistics behind the progress line
 * and the summary. The tool uses only the public header futurl.h and cJSON,
 * as any program of a library user would.
 *
 * Threads: everything here belongs to the main thread, except the hand-off
 * of finished slots in cli/main.c (its own lock, documented there). Worker
 * threads never touch a slot: a done-callback only passes its index on.
 */
#ifndef FUTURL_CLI_H
#define FUTURL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "futurl.h"

/* Exit codes (also in --help, the man page and README). */
enum {
    CLI_EXIT_OK = 0,          /* every request succeeded */
    CLI_EXIT_FAILED = 1,      /* some failed (or were bad input lines) */
    CLI_EXIT_USAGE = 2,       /* bad command line */
    CLI_EXIT_STRICT = 3,      /* --strict: a bad input line stopped the run */
    CLI_EXIT_LOCAL = 4,       /* local trouble: output unwritable, no client */
    CLI_EXIT_INTERRUPT = 130, /* SIGINT (128 + 2) */
};

/* Bounds. */
#define CLI_MAX_LINE          (1u << 20) /* bytes in one input line, newline excluded */
#define CLI_GRACE_MS          5000L      /* after the first SIGINT */
#define CLI_PROGRESS_MS       200L       /* progress redraw period */
#define CLI_DEFAULT_PARALLEL  16u        /* --parallel-max default */
#define CLI_MAX_PARALLEL      1024u      /* the library's worker bound */
#define CLI_WINDOW_MIN        64u        /* in-flight requests at least ... */
#define CLI_WINDOW_PER_WORKER 8u         /* ... or this many per worker */
#define CLI_DEFAULT_RETRY     2L         /* retries after the first attempt */
#define CLI_WRITERS           4u         /* threads writing files, at most */
#define CLI_WINDOW_BYTES      16777216.0 /* large bodies: window in bytes (main.c) */

typedef enum cli_order { CLI_ORDER_INPUT, CLI_ORDER_COMPLETION } cli_order;

/* One -H value, split once: name, and value (NULL: "Name:" removes the
 * header; "" from "Name;" sends it empty). */
typedef struct cli_header {
    char *name;
    char *value;
} cli_header;

typedef struct cli_opts {
    /* input */
    char **urls; /* URLs given as arguments (borrowed from argv) */
    size_t n_urls;
    const char *input; /* -i FILE, "-" for stdin; NULL: none */
    int strict;
    /* request */
    const char *method; /* -X; NULL: GET, or POST with a body */
    cli_header *headers;
    size_t n_headers;
    char *body; /* -d / --data-binary / --json, joined; NULL: none */
    size_t body_len;
    int body_json;       /* the body came from --json */
    int body_from_stdin; /* a body was @- */
    const char *user;
    const char *bearer;
    const char *user_agent;
    /* timing, ms; -1: library default */
    long max_time_ms, deadline_ms, connect_timeout_ms;
    /* redirects, TLS */
    int follow;
    long max_redirs; /* -1: library default */
    int insecure;
    const char *cacert;
    const char *proxy;
    int http11;
    /* retries, concurrency */
    long retry;        /* retries after the first attempt */
    long retry_max_ms; /* 0: none */
    int hold_429;
    unsigned parallel;
    unsigned per_host;   /* 0: none */
    unsigned conn_cache; /* connections each worker keeps; 0: library default */
    double rate;         /* requests per second; 0: none */
    unsigned rate_burst; /* 0: library default */
    /* failure, size */
    int fail;
    int64_t max_filesize; /* -1: library default */
    /* output */
    const char *output;     /* -o template; NULL: none */
    const char *output_dir; /* NULL: none */
    int create_dirs;
    int clobber;
    int discard; /* -o /dev/null: bodies thrown away */
    int jsonl;
    cli_order order;
    int silent, show_error;
} cli_opts;

/* Parse argv into *o. Returns -1 to go on, or an exit code: 0 after --help
 * or --version (printed), CLI_EXIT_USAGE after a message on stderr. */
int cli_parse_options(int argc, char **argv, cli_opts *o);

/* Free what cli_parse_options allocated. */
void cli_free_options(cli_opts *o);

/* ------------------------------------------------------------ the reader */

/* Reads the input file incrementally, one read() at a time, never holding
 * more than one line (at most CLI_MAX_LINE bytes) plus one read's worth. */
typedef struct cli_reader {
    int fd;
    int eof;      /* read() returned 0: what is buffered is all */
    int skipping; /* inside an overlong line: drop bytes up to its newline */
    char *buf;
    size_t cap, start, end; /* unread bytes are buf[start, end) */
    unsigned long line_no;  /* of the last line handed out */
    int err;                /* errno of a failed read, 0 */
} cli_reader;

enum { CLI_LINE, CLI_LINE_TOO_LONG, CLI_LINE_NEED_DATA, CLI_LINE_EOF };

/* Open path ("-": stdin) into r. Returns 0, or -1 with errno set. */
int cli_reader_open(cli_reader *r, const char *path);

/* The next non-blank line that is not a "#" comment, trimmed, NUL-terminated
 * in place (borrowed until the next call), with its number:
 * CLI_LINE; CLI_LINE_TOO_LONG (the line is skipped, *line_no set);
 * CLI_LINE_NEED_DATA (call cli_reader_fill when the fd is readable);
 * CLI_LINE_EOF (also after a read error: see r->err). */
int cli_reader_next(cli_reader *r, char **line, unsigned long *line_no);

/* One read() into the buffer. Returns 0, or -1 on a read error (r->err). */
int cli_reader_fill(cli_reader *r);

void cli_reader_close(cli_reader *r);

/* --------------------------------------------------- one request (a slot) */

typedef struct cli_slot {
    int used;
    int finished;       /* its outcome is known (completion order: unused) */
    uint64_t n;         /* request number, 1-based, in input order */
    unsigned long line; /* input line, 0: a command-line argument */
    futurl_future *f;   /* NULL: a bad input line, never submitted */
    char *url;          /* as given (new) */
    const char *method; /* static, borrowed from opts, or method_own */
    char *method_own;   /* a JSON line's method (new) */
    char *id_json;      /* the JSON line's "id" serialized, or NULL (new) */
    char *id_text;      /* the id for {id}: a string's text or the JSON (new) */
    futurl_status bad;  /* bad input line: why (FUTURL_EURL, FUTURL_EJSON ...) */
    char *bad_msg;      /* its message (new) */
} cli_slot;

/* Build the request of one input item (a URL, or a JSON object line) with
 * the command line's defaults. On success *out is a new request and the
 * slot's url, method, id_json and id_text are set. On a bad line returns
 * its status with a message in msg (cap bytes). */
futurl_status cli_build_request(const cli_opts *o, const char *text, cli_slot *s,
                                futurl_request **out, char *msg, size_t cap);

/* Release what the slot owns (the future included) and clear it. */
void cli_slot_clear(cli_slot *s);

/* ---------------------------------------------------------------- output */

typedef struct cli_output {
    const cli_opts *o;
    int root_fd; /* --output-dir, opened once; -1: none */
    long pid;
    FILE *out;     /* stdout */
    int out_error; /* errno of a failed stdout write, 0 */
    char *buf;     /* one JSONL record */
    size_t len, cap;
    int oom; /* the record could not grow */
} cli_output;

/* Check the output options and open the output directory. Returns 0, or
 * -1 with a message on stderr (a usage problem or an unusable dir) and
 * *code set to the exit code. */
int cli_output_init(cli_output *w, const cli_opts *o, int *code);
void cli_output_close(cli_output *w);

/* Write a finished request's body to its file: a temporary name in the
 * target directory, renamed into place once complete (never over an
 * existing file without --clobber). *path (new) receives the path written.
 * Returns 0, or -1 with a message in msg. */
int cli_output_file(cli_output *w, const cli_slot *s, const char *body, size_t len,
                    char **path, char *msg, size_t cap);

/* Append body to stdout. Returns 0 or -1 (w->out_error set). */
int cli_output_body(cli_output *w, const char *body, size_t len);

/* One JSONL record for a finished slot: resp may be NULL (not run, bad
 * line); st is the outcome as the tool counts it; file may be NULL. */
int cli_output_jsonl(cli_output *w, const cli_slot *s, const futurl_response *resp,
                     futurl_status st, const char *errmsg, const char *file, int ok);

/* Flush stdout. Returns 0 or -1 (w->out_error set). */
int cli_output_flush(cli_output *w);

/* ------------------------------------------------------ stats, progress */

#define CLI_HIST_SUB 32 /* sub-buckets per power of two: ~3 % resolution */
#define CLI_HIST_POW 40 /* microseconds up to 2^40 (12 days) */

typedef struct cli_stats {
    double t0;       /* start, monotonic seconds */
    uint64_t read;   /* input items read so far */
    int total_known; /* the input is fully read */
    uint64_t done, ok, failed, cancelled, bad_lines;
    uint64_t retries, bytes;
    uint64_t status_class[6]; /* [0] no response, [1..5] 1xx..5xx */
    uint64_t errors[64];      /* by -futurl_status */
    uint64_t hist[CLI_HIST_POW * CLI_HIST_SUB];
    uint64_t hist_n;
    double lat_max;
    /* progress */
    int progress; /* stderr is a TTY and not -s */
    int drawn;    /* a status line is on the screen */
    double next_draw;
    double rate_t[16]; /* recent (time, done, bytes) samples, a ring */
    uint64_t rate_done[16], rate_bytes[16];
    unsigned rate_head, rate_n;
} cli_stats;

void cli_stats_init(cli_stats *st, int progress);

/* Count one finished request: its outcome, response (may be NULL). */
void cli_stats_add(cli_stats *st, futurl_status outcome, int ok,
                   const futurl_response *resp);

/* Redraw the status line if due (or now when force). */
void cli_progress_draw(cli_stats *st, futurl_client *c, double now, int force);

/* Erase the status line (before other stderr output and the summary). */
void cli_progress_clear(cli_stats *st);

/* The summary on stderr. */
void cli_stats_summary(const cli_stats *st, int interrupted);

/* Monotonic seconds. */
double cli_now(void);

#endif
