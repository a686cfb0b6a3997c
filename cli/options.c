/*
 * cli/options.c — the futurl tool's command line: the getopt_long table
 * built from cli/optlist.h, the value parsers (durations, sizes, rates,
 * counts), -d/--json bodies (with @file), and --help / --version. It owns
 * cli_opts: what it allocates, cli_free_options releases.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "optlist.h"

enum {
    OPT__BASE = 256,
#define CLI__ENUM(id, name, arg, letter) OPT_##id,
    CLI_OPTIONS(CLI__ENUM)
#undef CLI__ENUM
};

static const struct option long_options[] = {
#define CLI__LONG(id, name, arg, letter)                                                 \
    {name, (arg) ? required_argument : no_argument, NULL, OPT_##id},
    CLI_OPTIONS(CLI__LONG)
#undef CLI__LONG
        {NULL, 0, NULL, 0}};

/* Short letter -> option id. */
static const struct {
    int letter, id;
} short_map[] = {
#define CLI__SHORT(id, name, arg, letter) {letter, OPT_##id},
    CLI_OPTIONS(CLI__SHORT)
#undef CLI__SHORT
};

static const char usage_text[] =
    "Usage: futurl [options] [URL ...]\n"
    "       futurl [options] -i FILE      (one URL or JSON request per line; - for "
    "stdin)\n"
    "Many HTTP requests at once, with retries, limits, progress and JSONL results.\n"
    "\n"
    "Input:\n"
    "  -i, --input FILE         read requests from FILE (- stdin): a URL or a JSON\n"
    "                           object {\"url\",\"method\",\"headers\",\"json\",\"body\","
    "\"id\"}\n"
    "      --strict             stop at the first bad input line (exit 3)\n"
    "Request:\n"
    "  -X, --request METHOD     method (default GET, or POST with a body)\n"
    "  -H, --header 'N: v'      add a header (repeatable; 'N:' removes, 'N;' empty)\n"
    "  -d, --data DATA          form body (@file reads a file without newlines)\n"
    "      --data-binary DATA   body sent as is (@file reads a file as is)\n"
    "      --json DATA          JSON body; Content-Type and Accept: application/json\n"
    "  -u, --user USER:PASS     basic auth     --oauth2-bearer TOKEN  bearer auth\n"
    "  -A, --user-agent UA      User-Agent (default futurl/VERSION)\n"
    "      --compressed         accepted: responses are always decompressed\n"
    "Timing (seconds, decimals allowed):\n"
    "  -m, --max-time S         each attempt (default 30; 0 none)\n"
    "      --deadline S         whole request, retries and waits included\n"
    "      --connect-timeout S  connecting (default 10)\n"
    "Redirects and TLS:\n"
    "  -L, --location           follow redirects (default)   --no-location  don't\n"
    "      --max-redirs N       at most N redirects (default 10)\n"
    "  -k, --insecure           skip TLS verification (warns)  --cacert FILE  CA file\n"
    "  -x, --proxy URL          use this proxy               --http1.1  no HTTP/2\n"
    "Retries (429, 408, 5xx gateways, resets, timeouts; Retry-After honoured):\n"
    "      --retry N            retries after the first attempt (default 2)\n"
    "      --retry-max-time S   no retry starts later than S after the first\n"
    "      --hold-429           a 429 holds back its whole host (default)\n"
    "      --no-hold-429        ... or only the request that got it\n"
    "Concurrency:\n"
    "  -Z, --parallel           accepted: futurl always runs in parallel\n"
    "      --parallel-max N     requests at once (default 16, at most 1024)\n"
    "      --per-host N         at most N at once to one host\n"
    "      --conn-cache N       idle connections each worker keeps (default 5): raise\n"
    "                           it when the input spans many hosts\n"
    "      --rate R[/s|/m|/h]   start at most R requests per second (minute, hour)\n"
    "      --rate-burst N       let N start at once under --rate (default 1)\n"
    "Failure and size:\n"
    "  -f, --fail               HTTP status >= 400 counts as a failure\n"
    "      --max-filesize SIZE  largest body (k, M, G suffixes; default 64M)\n"
    "Output (default: bodies to stdout in input order):\n"
    "  -o, --output TEMPLATE    body to a file: {n} {id} {host} {path} {basename};\n"
    "                           -o /dev/null throws bodies away\n"
    "  -O, --remote-name        same as -o '{basename}'\n"
    "      --output-dir DIR     write files only inside DIR (alone: -O)\n"
    "      --create-dirs        create missing directories\n"
    "      --clobber            replace existing files  --no-clobber  refuse (default)\n"
    "      --order input|completion   order of stdout output\n"
    "      --jsonl              one JSON result per request on stdout (not bodies)\n"
    "  -s, --silent             no progress line, summary or error lines\n"
    "  -S, --show-error         with -s, still print errors\n"
    "  -h, --help               this text    -V, --version  versions\n"
    "\n"
    "Exit status: 0 all succeeded, 1 some failed (or bad input lines), 2 usage,\n"
    "3 --strict stopped at a bad line, 4 local error (output, setup), 130 interrupted.\n"
    "Ctrl-C once: stop reading, cancel what waits, give running requests 5 s, print\n"
    "the summary; twice: abort at once. See futurl(1).\n";

static void usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "futurl: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'futurl --help' for more information.\n");
}

/* Seconds with decimals ("2", "0.5") to milliseconds; -1 on garbage. */
static long parse_seconds(const char *s) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !(v >= 0) || v > 1e9)
        return -1;
    return (long)llround(v * 1000.0);
}

/* A whole number in [lo, hi]; -1 on garbage. */
static long parse_count(const char *s, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi)
        return -1;
    return v;
}

/* Bytes with an optional k, M or G suffix (powers of 1024); -1 on garbage. */
static int64_t parse_size(const char *s) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno != 0 || v < 0)
        return -1;
    int shift = 0;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    default:
        return -1;
    }
    if (*end != '\0' && end[1] != '\0')
        return -1;
    if (v > (INT64_MAX >> shift))
        return -1;
    return (int64_t)v << shift;
}

/* "R", "R/s", "R/m", "R/h" to requests per second; -1 on garbage. */
static double parse_rate(const char *s) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || !(v > 0) || v > 1e9)
        return -1;
    double per = 1;
    if (*end == '/') {
        if (strcmp(end, "/s") == 0)
            per = 1;
        else if (strcmp(end, "/m") == 0)
            per = 60;
        else if (strcmp(end, "/h") == 0)
            per = 3600;
        else
            return -1;
    } else if (*end != '\0') {
        return -1;
    }
    return v / per;
}

/* Read a whole file ("-": stdin) into a new buffer. */
static char *read_file(const char *path, size_t *len) {
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (n == cap) {
            char *more = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (more == NULL) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = more;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) {
            if (ferror(fp)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    int e = errno;
    if (fp != stdin)
        fclose(fp);
    errno = e;
    *len = n;
    return buf;
}

/* Append one -d / --data-binary / --json value to the body. -d joins values
 * with '&' and strips CR and LF from @file contents, as curl does. */
static int add_body(cli_opts *o, const char *arg, int kind) {
    size_t len;
    char *data;
    if (arg[0] == '@') {
        data = read_file(arg + 1, &len);
        if (data == NULL) {
            fprintf(stderr, "futurl: cannot read %s: %s\n", arg + 1, strerror(errno));
            return -1;
        }
        if (kind == OPT_DATA) {
            size_t k = 0;
            for (size_t i = 0; i < len; i++)
                if (data[i] != '\r' && data[i] != '\n')
                    data[k++] = data[i];
            len = k;
        }
    } else {
        len = strlen(arg);
        data = malloc(len + 1);
        if (data == NULL)
            return -1;
        memcpy(data, arg, len);
    }
    int sep = o->body != NULL && kind != OPT_JSON;
    char *joined = realloc(o->body, o->body_len + (size_t)sep + len + 1);
    if (joined == NULL) {
        free(data);
        return -1;
    }
    if (sep)
        joined[o->body_len++] = '&';
    memcpy(joined + o->body_len, data, len);
    o->body_len += len;
    joined[o->body_len] = '\0';
    o->body = joined;
    free(data);
    return 0;
}

/* Split "Name: value" / "Name:" / "Name;" into *h (new strings). */
static int parse_header(const char *arg, cli_header *h) {
    const char *colon = strpbrk(arg, ":;");
    if (colon == NULL || colon == arg)
        return -1;
    h->name = strndup(arg, (size_t)(colon - arg));
    if (h->name == NULL)
        return -1;
    h->value = NULL;
    if (*colon == ';') {
        if (colon[1] != '\0') { /* "N;x" is not curl's empty-header form */
            free(h->name);
            return -1;
        }
        h->value = strdup("");
    } else {
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v == '\0')
            return 0; /* "Name:" removes the header */
        h->value = strdup(v);
    }
    if (h->value == NULL) {
        free(h->name);
        return -1;
    }
    return 0;
}

static int print_version(void) {
    printf("futurl %s (command-line tool)\n"
           "libfuturl %s, libcurl %s\n",
           FUTURL_VERSION_STRING, futurl_version(), futurl_curl_version());
    return 0;
}

/* Does the template hold a known {placeholder}? Unknown ones are an error
 * (-1), so a typo does not silently name every file alike. */
static int template_vars(const char *t) {
    static const char *const known[] = {"{n}", "{id}", "{host}", "{path}", "{basename}"};
    int found = 0;
    for (const char *p = strchr(t, '{'); p != NULL; p = strchr(p + 1, '{')) {
        int ok = 0;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (strncmp(p, known[k], strlen(known[k])) == 0)
                ok = 1;
        if (!ok)
            return -1;
        found = 1;
    }
    return found;
}

/* The checks that need every option. */
static int check_options(cli_opts *o) {
    if (o->n_urls == 0 && o->input == NULL) {
        usage_error("%s", "no URL given (arguments or -i FILE)");
        return CLI_EXIT_USAGE;
    }
    if (o->user != NULL && o->bearer != NULL) {
        usage_error("%s", "--user and --oauth2-bearer exclude each other");
        return CLI_EXIT_USAGE;
    }
    if (o->output != NULL && strcmp(o->output, "-") == 0)
        o->output = NULL; /* curl's -o -: stdout, the default */
    if (o->output != NULL && strcmp(o->output, "/dev/null") == 0) {
        o->output = NULL;
        o->discard = 1;
    }
    if (o->output == NULL && o->output_dir != NULL && !o->discard)
        o->output = "{basename}";
    if (o->output != NULL) {
        int vars = template_vars(o->output);
        if (vars < 0) {
            usage_error("-o %s: unknown {placeholder} (known: {n} {id} {host} {path} "
                        "{basename})",
                        o->output);
            return CLI_EXIT_USAGE;
        }
        if (vars == 0 && (o->n_urls > 1 || o->input != NULL)) {
            usage_error("-o %s: several requests would share one file; use a "
                        "placeholder such as {n}",
                        o->output);
            return CLI_EXIT_USAGE;
        }
        if (o->output[0] == '\0') {
            usage_error("%s", "-o: empty file name");
            return CLI_EXIT_USAGE;
        }
    }
    if (o->input != NULL && strcmp(o->input, "-") == 0 && o->body != NULL &&
        o->body_from_stdin) {
        usage_error("%s", "stdin cannot be both the input (-i -) and a body (@-)");
        return CLI_EXIT_USAGE;
    }
    return -1;
}

int cli_parse_options(int argc, char **argv, cli_opts *o) {
    memset(o, 0, sizeof *o);
    o->max_time_ms = o->deadline_ms = o->connect_timeout_ms = -1;
    o->follow = 1;
    o->max_redirs = -1;
    o->retry = CLI_DEFAULT_RETRY;
    o->hold_429 = 1;
    o->parallel = CLI_DEFAULT_PARALLEL;
    o->max_filesize = -1;
    o->order = (cli_order)-1;

    char shorts[128];
    size_t k = 0;
    shorts[k++] = ':'; /* a missing value returns ':', not '?' */
    for (size_t i = 0; i < sizeof short_map / sizeof short_map[0]; i++) {
        if (short_map[i].letter == 0)
            continue;
        shorts[k++] = (char)short_map[i].letter;
        if (long_options[i].has_arg == required_argument)
            shorts[k++] = ':';
    }
    shorts[k] = '\0';

    int c, longind;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, long_options, &longind)) != -1) {
        if (c == '?') {
            if (optopt != 0)
                fprintf(stderr, "futurl: unknown option -%c\n", optopt);
            else
                fprintf(stderr, "futurl: unknown option %s\n", argv[optind - 1]);
            fprintf(stderr, "Try 'futurl --help' for more information.\n");
            return CLI_EXIT_USAGE;
        }
        if (c == ':') {
            fprintf(stderr, "futurl: option %s needs a value\n", argv[optind - 1]);
            fprintf(stderr, "Try 'futurl --help' for more information.\n");
            return CLI_EXIT_USAGE;
        }
        int id = c;
        if (c < OPT__BASE)
            for (size_t i = 0; i < sizeof short_map / sizeof short_map[0]; i++)
                if (short_map[i].letter == c)
                    id = short_map[i].id;
        const char *a = optarg;
        long v;
        switch (id) {
        case OPT_INPUT:
            o->input = a;
            break;
        case OPT_STRICT:
            o->strict = 1;
            break;
        case OPT_REQUEST:
            o->method = a;
            break;
        case OPT_HEADER: {
            cli_header h;
            if (parse_header(a, &h) != 0) {
                usage_error("-H '%s': expected 'Name: value', 'Name:' or 'Name;'", a);
                return CLI_EXIT_USAGE;
            }
            cli_header *more = realloc(o->headers, (o->n_headers + 1) * sizeof *more);
            if (more == NULL) {
                free(h.name);
                free(h.value);
                return CLI_EXIT_LOCAL;
            }
            o->headers = more;
            o->headers[o->n_headers++] = h;
            break;
        }
        case OPT_DATA:
        case OPT_DATA_BINARY:
        case OPT_JSON:
            if ((id == OPT_JSON) != o->body_json && o->body != NULL) {
                usage_error("%s", "--json cannot be mixed with -d / --data-binary");
                return CLI_EXIT_USAGE;
            }
            o->body_json = id == OPT_JSON;
            if (strcmp(a, "@-") == 0)
                o->body_from_stdin = 1;
            if (add_body(o, a, id) != 0)
                return CLI_EXIT_USAGE;
            break;
        case OPT_USER:
            if (strchr(a, ':') == NULL) {
                usage_error("-u %s: expected USER:PASSWORD", a);
                return CLI_EXIT_USAGE;
            }
            o->user = a;
            break;
        case OPT_BEARER:
            o->bearer = a;
            break;
        case OPT_USER_AGENT:
            o->user_agent = a;
            break;
        case OPT_COMPRESSED:
        case OPT_PARALLEL:
            break; /* always so */
        case OPT_MAX_TIME:
        case OPT_DEADLINE:
        case OPT_CONNECT_TIMEOUT:
        case OPT_RETRY_MAX_TIME:
            if ((v = parse_seconds(a)) < 0) {
                usage_error("'%s': expected seconds, e.g. 2 or 0.5", a);
                return CLI_EXIT_USAGE;
            }
            if (id == OPT_MAX_TIME)
                o->max_time_ms = v;
            else if (id == OPT_DEADLINE)
                o->deadline_ms = v;
            else if (id == OPT_CONNECT_TIMEOUT)
                o->connect_timeout_ms = v;
            else
                o->retry_max_ms = v;
            break;
        case OPT_LOCATION:
            o->follow = 1;
            break;
        case OPT_NO_LOCATION:
            o->follow = 0;
            break;
        case OPT_MAX_REDIRS:
            if ((o->max_redirs = parse_count(a, 0, 1000)) < 0) {
                usage_error("--max-redirs '%s': expected 0 to 1000", a);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_INSECURE:
            o->insecure = 1;
            break;
        case OPT_CACERT:
            o->cacert = a;
            break;
        case OPT_PROXY:
            o->proxy = a;
            break;
        case OPT_HTTP11:
            o->http11 = 1;
            break;
        case OPT_RETRY:
            if ((o->retry = parse_count(a, 0, 1000)) < 0) {
                usage_error("--retry '%s': expected 0 to 1000", a);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_HOLD_429:
            o->hold_429 = 1;
            break;
        case OPT_NO_HOLD_429:
            o->hold_429 = 0;
            break;
        case OPT_PARALLEL_MAX:
            if ((v = parse_count(a, 1, CLI_MAX_PARALLEL)) < 0) {
                usage_error("--parallel-max '%s': expected 1 to 1024", a);
                return CLI_EXIT_USAGE;
            }
            o->parallel = (unsigned)v;
            break;
        case OPT_PER_HOST:
            if ((v = parse_count(a, 1, 1000000)) < 0) {
                usage_error("--per-host '%s': expected a count of 1 or more", a);
                return CLI_EXIT_USAGE;
            }
            o->per_host = (unsigned)v;
            break;
        case OPT_CONN_CACHE:
            if ((v = parse_count(a, 1, FUTURL_MAX_KEEPALIVE_PER_WORKER)) < 0) {
                usage_error("--conn-cache '%s': expected 1 to 1024", a);
                return CLI_EXIT_USAGE;
            }
            o->conn_cache = (unsigned)v;
            break;
        case OPT_RATE:
            if ((o->rate = parse_rate(a)) < 0) {
                usage_error("--rate '%s': expected e.g. 10, 10/s, 600/m or 1/h", a);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_RATE_BURST:
            if ((v = parse_count(a, 1, 1000000)) < 0) {
                usage_error("--rate-burst '%s': expected a count of 1 or more", a);
                return CLI_EXIT_USAGE;
            }
            o->rate_burst = (unsigned)v;
            break;
        case OPT_FAIL:
            o->fail = 1;
            break;
        case OPT_MAX_FILESIZE:
            if ((o->max_filesize = parse_size(a)) < 0) {
                usage_error("--max-filesize '%s': expected bytes, e.g. 5000, 64k, 2M", a);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_OUTPUT:
            o->output = a;
            break;
        case OPT_REMOTE_NAME:
            o->output = "{basename}";
            break;
        case OPT_OUTPUT_DIR:
            o->output_dir = a;
            break;
        case OPT_CREATE_DIRS:
            o->create_dirs = 1;
            break;
        case OPT_CLOBBER:
            o->clobber = 1;
            break;
        case OPT_NO_CLOBBER:
            o->clobber = 0;
            break;
        case OPT_ORDER:
            if (strcmp(a, "input") == 0)
                o->order = CLI_ORDER_INPUT;
            else if (strcmp(a, "completion") == 0)
                o->order = CLI_ORDER_COMPLETION;
            else {
                usage_error("--order '%s': expected input or completion", a);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_JSONL:
            o->jsonl = 1;
            break;
        case OPT_SILENT:
            o->silent = 1;
            break;
        case OPT_SHOW_ERROR:
            o->show_error = 1;
            break;
        case OPT_HELP:
            fputs(usage_text, stdout);
            return 0;
        case OPT_VERSION:
            return print_version();
        default:
            fprintf(stderr, "futurl: internal error: option %d\n", c);
            return CLI_EXIT_USAGE;
        }
    }
    o->urls = argv + optind;
    o->n_urls = (size_t)(argc - optind);
    if ((int)o->order == -1) /* bodies in input order; JSONL as results come */
        o->order = o->jsonl ? CLI_ORDER_COMPLETION : CLI_ORDER_INPUT;
    return check_options(o);
}

void cli_free_options(cli_opts *o) {
    for (size_t i = 0; i < o->n_headers; i++) {
        free(o->headers[i].name);
        free(o->headers[i].value);
    }
    free(o->headers);
    free(o->body);
    memset(o, 0, sizeof *o);
}
