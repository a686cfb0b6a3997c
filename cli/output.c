/*
 * cli/output.c — where the futurl tool's results go: bodies to stdout,
 * bodies to files named by a template, and JSONL records. It owns the
 * output directory's descriptor and the rules that keep files inside it:
 *
 *  - The template's own text is the user's: it may name any path, unless
 *    --output-dir is given, where it must stay relative and free of "..".
 *  - A value put into a placeholder comes from the input or the URL, which
 *    may be an attacker's: it may not hold '/' ({path} may, but none of its
 *    segments may be empty, "." or ".."), control bytes, or be "." / "..".
 *  - Under --output-dir every directory of the path is opened with
 *    O_NOFOLLOW from the directory's own descriptor: a symlink anywhere
 *    below it is refused, so a file can never land outside it.
 *  - A body goes to a temporary name in its target directory and is renamed
 *    into place only once complete; without --clobber the rename refuses to
 *    replace an existing name (renameat2 RENAME_NOREPLACE, or link+unlink).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define STDOUT_BUFFER (64u * 1024u)

/* ------------------------------------------------------------ the buffer */

static int buf_reserve(cli_output *w, size_t more) {
    if (w->len + more <= w->cap)
        return 0;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap < w->len + more)
        cap *= 2;
    char *b = realloc(w->buf, cap);
    if (b == NULL) {
        w->oom = 1;
        return -1;
    }
    w->buf = b;
    w->cap = cap;
    return 0;
}

static void buf_put(cli_output *w, const char *s, size_t n) {
    if (buf_reserve(w, n) == 0) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
    }
}

static void buf_puts(cli_output *w, const char *s) {
    buf_put(w, s, strlen(s));
}

static void buf_printf(cli_output *w, const char *fmt, ...) FUTURL_PRINTF(2, 3);
static void buf_printf(cli_output *w, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_put(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    size_t need;
    unsigned min;
    unsigned cp;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) {
        need = 2, cp = s[0] & 0x1Fu, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        need = 3, cp = s[0] & 0x0Fu, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        need = 4, cp = s[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

/* s as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static void buf_json_str(cli_output *w, const char *s) {
    if (s == NULL) {
        buf_puts(w, "null");
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    buf_put(w, "\"", 1);
    while (n > 0) {
        size_t run = 0; /* plain bytes copied in one go */
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' &&
               p[run] != '\\')
            run++;
        buf_put(w, (const char *)p, run);
        p += run;
        n -= run;
        if (n == 0)
            break;
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            buf_put(w, esc, 2);
            p++, n--;
        } else if (*p < 0x20 || *p == 0x7f) {
            buf_printf(w, "\\u%04x", *p);
            p++, n--;
        } else {
            size_t k = utf8_len(p, n);
            if (k == 0) {
                buf_puts(w, "\\ufffd");
                k = 1;
            } else {
                buf_put(w, (const char *)p, k);
            }
            p += k, n -= k;
        }
    }
    buf_put(w, "\"", 1);
}

/* ---------------------------------------------------------------- stdout */

static int out_write(cli_output *w, const char *data, size_t len) {
    if (w->out_error != 0)
        return -1;
    if (len > 0 && fwrite(data, 1, len, w->out) != len) {
        w->out_error = errno != 0 ? errno : EIO;
        return -1;
    }
    return 0;
}

int cli_output_flush(cli_output *w) {
    if (w->out_error != 0)
        return -1;
    if (fflush(w->out) != 0) {
        w->out_error = errno != 0 ? errno : EIO;
        return -1;
    }
    return 0;
}

int cli_output_body(cli_output *w, const char *body, size_t len) {
    return out_write(w, body, len);
}

/* --------------------------------------------------------------- set-up */

/* mkdir -p of a path the user gave (trusted: symlinks are followed). */
static int mkdir_p(const char *path) {
    char *p = strdup(path);
    if (p == NULL)
        return -1;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return 0;
}

/* Does path have a ".." segment? */
static int has_dotdot(const char *path) {
    for (const char *p = path; *p != '\0';) {
        const char *e = strchr(p, '/');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return 0;
}

int cli_output_init(cli_output *w, const cli_opts *o, int *code) {
    memset(w, 0, sizeof *w);
    w->o = o;
    w->root_fd = -1;
    w->pid = (long)getpid();
    w->out = stdout;
    setvbuf(stdout, NULL, _IOFBF, STDOUT_BUFFER);
    if (o->output_dir == NULL)
        return 0;
    if (o->output != NULL && (o->output[0] == '/' || has_dotdot(o->output))) {
        fprintf(stderr,
                "futurl: -o %s: with --output-dir the name must stay inside it (no "
                "absolute path, no \"..\")\n",
                o->output);
        *code = CLI_EXIT_USAGE;
        return -1;
    }
    if (o->create_dirs && mkdir_p(o->output_dir) != 0) {
        fprintf(stderr, "futurl: --output-dir %s: %s\n", o->output_dir, strerror(errno));
        *code = CLI_EXIT_LOCAL;
        return -1;
    }
    w->root_fd = open(o->output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->root_fd < 0) {
        fprintf(stderr, "futurl: --output-dir %s: %s%s\n", o->output_dir, strerror(errno),
                errno == ENOENT ? " (--create-dirs makes it)" : "");
        *code = CLI_EXIT_LOCAL;
        return -1;
    }
    return 0;
}

void cli_output_close(cli_output *w) {
    if (w->root_fd >= 0)
        close(w->root_fd);
    free(w->buf);
    w->root_fd = -1;
    w->buf = NULL;
}

/* ------------------------------------------------------------- templates */

/* The parts of a URL the placeholders name, borrowed from url as ranges. */
typedef struct url_parts {
    const char *host;
    size_t host_len;
    const char *path; /* after the first '/', up to '?' or '#' */
    size_t path_len;
} url_parts;

static void split_url(const char *url, url_parts *u) {
    memset(u, 0, sizeof *u);
    const char *p = strstr(url, "://");
    p = p != NULL ? p + 3 : url;
    size_t auth_len = strcspn(p, "/?#");
    const char *at = memchr(p, '@', auth_len);
    while (at != NULL) { /* the last '@' ends the user info */
        const char *next = memchr(at + 1, '@', auth_len - (size_t)(at + 1 - p));
        if (next == NULL)
            break;
        at = next;
    }
    const char *host = at != NULL ? at + 1 : p;
    const char *auth_end = p + auth_len;
    const char *host_end = auth_end;
    if (*host == '[') {
        const char *close = memchr(host, ']', (size_t)(auth_end - host));
        host_end = close != NULL ? close + 1 : auth_end;
    } else {
        const char *colon = memchr(host, ':', (size_t)(auth_end - host));
        if (colon != NULL)
            host_end = colon;
    }
    u->host = host;
    u->host_len = (size_t)(host_end - host);
    if (*auth_end == '/') {
        u->path = auth_end + 1;
        u->path_len = strcspn(u->path, "?#");
    } else {
        u->path = auth_end;
        u->path_len = 0;
    }
}

/* Is this placeholder value safe? slashes: may it hold '/' ({path}). */
static const char *unsafe_value(const char *v, size_t len, int slashes) {
    if (len == 0)
        return "empty";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f)
            return "a control character";
        if (c == '/' && !slashes)
            return "a '/'";
    }
    const char *seg = v;
    const char *end = v + len;
    while (seg <= end) {
        const char *e = memchr(seg, '/', (size_t)(end - seg));
        size_t n = e != NULL ? (size_t)(e - seg) : (size_t)(end - seg);
        if (n == 0)
            return "an empty path segment";
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return "a \".\" or \"..\" segment";
        if (e == NULL)
            break;
        seg = e + 1;
    }
    return NULL;
}

/* Expand the -o template for slot s into out. 0, or -1 with msg. */
static int expand(const cli_output *w, const cli_slot *s, char *out, size_t cap,
                  char *msg, size_t mcap) {
    url_parts u;
    split_url(s->url, &u);
    size_t len = 0;
    for (const char *t = w->o->output; *t != '\0';) {
        const char *v = NULL;
        size_t vlen = 0;
        int slashes = 0;
        char num[32];
        const char *name = NULL;
        if (*t != '{') {
            if (len + 1 >= cap)
                goto too_long;
            out[len++] = *t++;
            continue;
        }
        if (strncmp(t, "{n}", 3) == 0) {
            name = "{n}";
            vlen = (size_t)snprintf(num, sizeof num, "%" PRIu64, s->n);
            v = num;
        } else if (strncmp(t, "{id}", 4) == 0) {
            name = "{id}";
            if (s->id_text != NULL) {
                v = s->id_text;
                vlen = strlen(v);
            } else {
                vlen = (size_t)snprintf(num, sizeof num, "%" PRIu64, s->n);
                v = num;
            }
        } else if (strncmp(t, "{host}", 6) == 0) {
            name = "{host}";
            v = u.host;
            vlen = u.host_len;
        } else if (strncmp(t, "{path}", 6) == 0) {
            name = "{path}";
            v = u.path;
            vlen = u.path_len;
            slashes = 1;
        } else if (strncmp(t, "{basename}", 10) == 0) {
            name = "{basename}";
            const char *slash = u.path_len > 0 ? memrchr(u.path, '/', u.path_len) : NULL;
            v = slash != NULL ? slash + 1 : u.path;
            vlen = u.path_len - (size_t)(v - u.path);
        } else { /* options.c refused unknown placeholders */
            snprintf(msg, mcap, "bad template");
            return -1;
        }
        int index_html = 0;
        if ((slashes || strcmp(name, "{basename}") == 0) &&
            (vlen == 0 || v[vlen - 1] == '/'))
            index_html = 1; /* "/" or "/dir/": a directory's index */
        const char *why =
            unsafe_value(v, index_html && vlen > 0 ? vlen - 1 : vlen, slashes);
        if (why != NULL && !(index_html && vlen == 0)) {
            snprintf(msg, mcap, "file name refused: %s would hold %s", name, why);
            return -1;
        }
        if (len + vlen + 11 >= cap)
            goto too_long;
        memcpy(out + len, v, vlen);
        len += vlen;
        if (index_html) {
            memcpy(out + len, "index.html", 10);
            len += 10;
        }
        t += strlen(name);
    }
    out[len] = '\0';
    return 0;
too_long:
    snprintf(msg, mcap, "file name refused: longer than %zu bytes", cap - 1);
    return -1;
}

/* --------------------------------------------------------------- files */

/* Open the directory that will hold path's last segment, and point *name at
 * that segment. Under --output-dir: from its descriptor, no symlink, no
 * "..", no absolute path. Returns a descriptor, or -1 with msg. */
static int open_parent(const cli_output *w, char *path, const char **name, char *msg,
                       size_t mcap) {
    char *slash = strrchr(path, '/');
    *name = slash != NULL ? slash + 1 : path;
    if (**name == '\0' || strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0) {
        snprintf(msg, mcap, "file name refused: \"%s\" names a directory", path);
        return -1;
    }
    if (w->root_fd < 0) { /* the user's own path: follow it as it is */
        if (slash == NULL)
            return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        const char *dir = slash == path ? "/" : path;
        *slash = '\0';
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && w->o->create_dirs && mkdir_p(dir) == 0)
            fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            snprintf(msg, mcap, "%s: %s%s", dir, strerror(errno),
                     errno == ENOENT ? " (--create-dirs makes it)" : "");
        *slash = '/';
        return fd;
    }
    if (path[0] == '/' || has_dotdot(path)) { /* checked before; never trust it */
        snprintf(msg, mcap, "file name refused: \"%s\" leaves --output-dir", path);
        return -1;
    }
    int fd = dup(w->root_fd);
    if (fd < 0) {
        snprintf(msg, mcap, "dup: %s", strerror(errno));
        return -1;
    }
    /* Every segment before name ends with a '/'. */
    for (char *seg = path; seg < *name;) {
        char *end = strchr(seg, '/');
        *end = '\0';
        if (seg[0] != '\0' && strcmp(seg, ".") != 0) { /* "a//b", "./b": stay */
            int next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next < 0 && errno == ENOENT && w->o->create_dirs &&
                (mkdirat(fd, seg, 0777) == 0 || errno == EEXIST))
                next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next < 0) {
                int e = errno;
                struct stat st;
                int link = fstatat(fd, seg, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                           S_ISLNK(st.st_mode);
                *end = '/';
                snprintf(msg, mcap, "%s/%s: %s", w->o->output_dir, path,
                         link          ? "a symbolic link in the path is refused under "
                                         "--output-dir"
                         : e == ENOENT ? "no such directory (--create-dirs makes it)"
                                       : strerror(e));
                close(fd);
                return -1;
            }
            close(fd);
            fd = next;
        }
        *end = '/';
        seg = end + 1;
    }
    return fd;
}

static int write_all(int fd, const char *p, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Move tmp to name in dir; without --clobber never over an existing name. */
static int publish(const cli_output *w, int dir, const char *tmp, const char *name) {
    if (w->o->clobber)
        return renameat(dir, tmp, dir, name);
    if (renameat2(dir, tmp, dir, name, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* A file system without RENAME_NOREPLACE: link fails on an existing name. */
    if (linkat(dir, tmp, dir, name, 0) != 0)
        return -1;
    unlinkat(dir, tmp, 0);
    return 0;
}

int cli_output_file(cli_output *w, const cli_slot *s, const char *body, size_t len,
                    char **path_out, char *msg, size_t mcap) {
    char path[4096];
    *path_out = NULL;
    if (expand(w, s, path, sizeof path, msg, mcap) != 0)
        return -1;
    const char *name;
    int dir = open_parent(w, path, &name, msg, mcap);
    if (dir < 0)
        return -1;
    char tmp[96];
    int fd = -1;
    for (unsigned k = 0; fd < 0 && k < 100; k++) {
        snprintf(tmp, sizeof tmp, ".futurl-%ld-%" PRIu64 "-%u.tmp", w->pid, s->n, k);
        fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    int rc = -1;
    if (fd < 0) {
        snprintf(msg, mcap, "cannot create a file beside %s: %s", path, strerror(errno));
    } else {
        int ok = write_all(fd, body, len) == 0;
        int e = errno;
        if (close(fd) != 0 && ok) {
            ok = 0;
            e = errno;
        }
        if (!ok)
            snprintf(msg, mcap, "%s: %s", path, strerror(e));
        else if (publish(w, dir, tmp, name) != 0)
            snprintf(msg, mcap, "%s: %s", path,
                     errno == EEXIST ? "exists (--clobber replaces it)"
                                     : strerror(errno));
        else
            rc = 0;
        if (rc != 0)
            unlinkat(dir, tmp, 0);
    }
    close(dir);
    if (rc == 0) {
        size_t need =
            strlen(path) + (w->o->output_dir ? strlen(w->o->output_dir) : 0) + 2;
        *path_out = malloc(need);
        if (*path_out != NULL) {
            if (w->o->output_dir != NULL)
                snprintf(*path_out, need, "%s/%s", w->o->output_dir, path);
            else
                snprintf(*path_out, need, "%s", path);
        }
    }
    return rc;
}

/* ----------------------------------------------------------------- JSONL */

/* Seconds with six decimals, from integers (printf's float path costs
 * more than the rest of a record). */
static void buf_seconds(cli_output *w, double s) {
    if (!(s >= 0) || s > 1e12) {
        buf_puts(w, "null");
        return;
    }
    uint64_t us = (uint64_t)(s * 1e6 + 0.5);
    buf_printf(w, "%" PRIu64 ".%06" PRIu64, us / 1000000u, us % 1000000u);
}

static const char *http_version(int v) {
    switch (v) {
    case 10:
        return "\"1.0\"";
    case 11:
        return "\"1.1\"";
    case 20:
        return "\"2\"";
    case 30:
        return "\"3\"";
    default:
        return "null";
    }
}

int cli_output_jsonl(cli_output *w, const cli_slot *s, const futurl_response *resp,
                     futurl_status st, const char *errmsg, const char *file, int ok) {
    w->len = 0;
    buf_printf(w, "{\"n\":%" PRIu64 ",\"id\":", s->n);
    buf_puts(w, s->id_json != NULL ? s->id_json : "null");
    if (s->line != 0)
        buf_printf(w, ",\"line\":%lu", s->line);
    else
        buf_puts(w, ",\"line\":null");
    buf_puts(w, ",\"method\":");
    buf_json_str(w, s->method);
    buf_puts(w, ",\"url\":");
    buf_json_str(w, s->url);
    if (resp != NULL) {
        long status = futurl_response_status(resp);
        buf_puts(w, ",\"final_url\":");
        buf_json_str(w, futurl_response_url(resp));
        if (status > 0)
            buf_printf(w, ",\"status\":%ld", status);
        else
            buf_puts(w, ",\"status\":null");
        buf_printf(w, ",\"http_version\":%s",
                   http_version(futurl_response_http_version(resp)));
        buf_printf(w,
                   ",\"bytes\":%" PRIu64 ",\"elapsed_s\":", futurl_response_bytes(resp));
        buf_seconds(w, futurl_response_elapsed(resp));
        buf_puts(w, ",\"ttfb_s\":");
        buf_seconds(w, futurl_response_ttfb(resp));
        buf_printf(w, ",\"attempts\":%u,\"redirects\":%ld,\"retry_reasons\":[",
                   futurl_response_attempts(resp), futurl_response_redirects(resp));
        const char *why;
        for (unsigned i = 0; (why = futurl_response_retry_reason(resp, i)) != NULL; i++) {
            if (i > 0)
                buf_put(w, ",", 1);
            buf_json_str(w, why);
        }
        buf_put(w, "]", 1);
    } else {
        buf_puts(w, ",\"final_url\":null,\"status\":null,\"http_version\":null,"
                    "\"bytes\":0,\"elapsed_s\":null,\"ttfb_s\":null,\"attempts\":0,"
                    "\"redirects\":0,\"retry_reasons\":[]");
    }
    buf_puts(w, ",\"file\":");
    buf_json_str(w, file);
    buf_puts(w, ok ? ",\"ok\":true,\"error\":" : ",\"ok\":false,\"error\":");
    if (st == FUTURL_OK) {
        buf_puts(w, "null,\"error_message\":null}\n");
    } else {
        buf_json_str(w, futurl_err_name(st));
        buf_puts(w, ",\"error_message\":");
        buf_json_str(w, errmsg);
        buf_puts(w, "}\n");
    }
    if (w->oom) {
        w->oom = 0;
        w->out_error = ENOMEM;
        return -1;
    }
    return out_write(w, w->buf, w->len);
}
