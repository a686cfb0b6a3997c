/*
 * src/transfer.c — a worker's libcurl easy handle and the HTTP job that runs
 * on it. The handle gets the client-wide options once, when the worker
 * starts; a request sets only what it changes and the job resets exactly
 * that afterwards, so the handle (and its kept-alive connection) serves the
 * next request as it was. Also here: the write/header/progress callbacks
 * (size cap, streaming sinks, cancellation) and the CURLcode → futurl_status
 * mapping with libcurl's per-handle error text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* Never reserve more than this up front from a Content-Length: a lying
 * server must not make us allocate what it will not send. */
#define PRESIZE_MAX (256u * 1024u * 1024u)

/* What a request changed on the handle (the reset list). */
enum {
    CHANGED_NOBODY = 1 << 0,
    CHANGED_POSTFIELDS = 1 << 1,
    CHANGED_CUSTOMREQUEST = 1 << 2,
    CHANGED_HTTPHEADER = 1 << 3,
    CHANGED_TIMEOUT = 1 << 4,
    CHANGED_MAXFILESIZE = 1 << 5
};

/* -------------------------------------------------------------- callbacks */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
    futurl__worker *w = userdata;
    futurl__response_builder *b = &w->builder;
    const futurl_request *rq = w->request;
    size_t len = size * nmemb;

    if (w->max_bytes != 0 && len > w->max_bytes - b->bytes) {
        w->failure = FUTURL__FAIL_TOO_LARGE; /* chunked bodies get here */
        return 0;
    }
    if (rq->chunk_fn != NULL) {
        if (rq->chunk_fn(data, len, rq->chunk_userdata) != 0) {
            w->failure = FUTURL__FAIL_CHUNK;
            return 0;
        }
    } else if (rq->out != NULL) {
        if (len != 0 && fwrite(data, 1, len, rq->out) != len) {
            w->failure = FUTURL__FAIL_IO;
            w->io_errno = errno;
            return 0;
        }
    } else {
        if (b->bytes == 0) {
            /* First bytes: size the buffer once from Content-Length. */
            curl_off_t expected = -1;
            if (curl_easy_getinfo(w->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                                  &expected) == CURLE_OK &&
                expected > 0 && (uint64_t)expected <= PRESIZE_MAX &&
                (w->max_bytes == 0 || (uint64_t)expected <= w->max_bytes))
                (void)futurl__builder_body_reserve(b, (size_t)expected); /* a hint only */
        }
        if (futurl__builder_body(b, data, len) != 0) {
            w->failure = FUTURL__FAIL_NOMEM;
            return 0;
        }
    }
    b->bytes += len;
    return len;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata) {
    futurl__worker *w = userdata;
    size_t len = size * nmemb;
    if (futurl__builder_header(&w->builder, data, len) != 0) {
        w->failure = FUTURL__FAIL_NOMEM;
        return 0;
    }
    return len;
}

/* Called often while data flows and about once a second while the peer is
 * silent: the bound on cancellation latency. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow) {
    futurl__worker *w = userdata;
    const futurl_request *rq = w->request;
    (void)ultotal;
    (void)ulnow;
    if (futurl_job_cancelled(w->job)) {
        w->failure = FUTURL__FAIL_CANCELLED;
        return 1;
    }
    if (rq->progress_fn != NULL &&
        rq->progress_fn((uint64_t)dlnow, dltotal > 0 ? (uint64_t)dltotal : 0,
                        rq->progress_userdata) != 0) {
        w->failure = FUTURL__FAIL_PROGRESS;
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------- handle setup */

static futurl_status setopt_failed(CURLcode cc, const char *what, char *errmsg,
                                   size_t size) {
    if (errmsg != NULL)
        snprintf(errmsg, size, "libcurl refused %s: %s", what, curl_easy_strerror(cc));
    return cc == CURLE_OUT_OF_MEMORY ? FUTURL_ENOMEM : FUTURL_ECURL;
}

/* Set an option or return from the calling function with the failure. */
#define SETOPT(easy, opt, value)                                                         \
    do {                                                                                 \
        CURLcode cc_ = curl_easy_setopt((easy), opt, value);                             \
        if (cc_ != CURLE_OK)                                                             \
            return setopt_failed(cc_, #opt, errmsg, errmsg_size);                        \
    } while (0)

futurl_status futurl__handle_setup(futurl_client *c, CURL *easy, futurl__worker *w,
                                   char *errmsg, size_t errmsg_size) {
    const futurl_client_options *o = &c->opts;

    SETOPT(easy, CURLOPT_NOSIGNAL, 1L);
    /* Only http and https, also where a redirect points. */
    SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SETOPT(easy, CURLOPT_FOLLOWLOCATION, o->follow_redirects ? 1L : 0L);
    SETOPT(easy, CURLOPT_MAXREDIRS, o->max_redirects);
    SETOPT(easy, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    SETOPT(easy, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    SETOPT(easy, CURLOPT_TCP_KEEPALIVE, 1L);

    SETOPT(easy, CURLOPT_SSL_VERIFYPEER, o->verify_tls ? 1L : 0L);
    SETOPT(easy, CURLOPT_SSL_VERIFYHOST, o->verify_tls ? 2L : 0L);
    if (o->ca_file != NULL)
        SETOPT(easy, CURLOPT_CAINFO, o->ca_file);
    if (o->ca_path != NULL)
        SETOPT(easy, CURLOPT_CAPATH, o->ca_path);
    if (o->client_cert != NULL)
        SETOPT(easy, CURLOPT_SSLCERT, o->client_cert);
    if (o->client_key != NULL)
        SETOPT(easy, CURLOPT_SSLKEY, o->client_key);
    if (o->proxy != NULL)
        SETOPT(easy, CURLOPT_PROXY, o->proxy);

    SETOPT(easy, CURLOPT_USERAGENT, o->user_agent);
    /* Credentials through libcurl's auth, never as a custom header: libcurl
     * then keeps them from a host a redirect leads to. */
    if (o->bearer_token != NULL) {
        SETOPT(easy, CURLOPT_XOAUTH2_BEARER, o->bearer_token);
        SETOPT(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
    } else if (o->username != NULL) {
        SETOPT(easy, CURLOPT_USERNAME, o->username);
        SETOPT(easy, CURLOPT_PASSWORD, o->password ? o->password : "");
        SETOPT(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    }
    if (o->cookies != NULL)
        SETOPT(easy, CURLOPT_COOKIE, o->cookies);
    if (c->jar != NULL)
        SETOPT(easy, CURLOPT_COOKIEFILE, ""); /* the engine on, no file */
    if (o->decompress)
        SETOPT(easy, CURLOPT_ACCEPT_ENCODING, ""); /* every codec libcurl has */
    if (o->http2 && (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_HTTP2))
        SETOPT(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    else
        SETOPT(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (o->max_response_bytes != 0) /* refuses early on Content-Length */
        SETOPT(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_response_bytes);
    SETOPT(easy, CURLOPT_HTTPHEADER, c->default_headers);
    SETOPT(easy, CURLOPT_SHARE, c->share);

    if (w != NULL) {
        SETOPT(easy, CURLOPT_ERRORBUFFER, w->errbuf);
        SETOPT(easy, CURLOPT_WRITEFUNCTION, on_body);
        SETOPT(easy, CURLOPT_WRITEDATA, (void *)w);
        SETOPT(easy, CURLOPT_HEADERFUNCTION, on_header);
        SETOPT(easy, CURLOPT_HEADERDATA, (void *)w);
        SETOPT(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
        SETOPT(easy, CURLOPT_XFERINFODATA, (void *)w);
        SETOPT(easy, CURLOPT_NOPROGRESS, 0L);
    }
    return FUTURL_OK;
}

void *futurl__worker_start(void *client, unsigned index) {
    (void)index;
    futurl__worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->client = client;
    w->easy = curl_easy_init();
    if (w->easy == NULL || futurl__handle_setup(client, w->easy, w, w->errbuf,
                                                sizeof w->errbuf) != FUTURL_OK) {
        /* Checked on a scratch handle at create, so this is out of memory;
         * the worker's jobs fail with FUTURL_ENOMEM. */
        curl_easy_cleanup(w->easy);
        free(w);
        return NULL;
    }
    return w;
}

void futurl__worker_stop(void *client, void *worker) {
    futurl__worker *w = worker;
    (void)client;
    if (w == NULL)
        return;
    curl_easy_cleanup(w->easy);
    futurl__builder_free(&w->builder);
    futurl__cookie_view_free(&w->cookies);
    free(w);
}

/* ---------------------------------------------------------- one request */

/* Set what rq needs beyond the client-wide options; *changed says what to
 * reset, also when this fails half-way. */
static futurl_status apply_request(futurl__worker *w, const futurl_request *rq,
                                   unsigned *changed) {
    futurl_client *c = w->client;
    CURL *easy = w->easy;
    char *errmsg = w->errbuf;
    size_t errmsg_size = sizeof w->errbuf;

    SETOPT(easy, CURLOPT_URL, futurl__request_url(rq));
    if (rq->method_kind == FUTURL__METHOD_HEAD) {
        *changed |= CHANGED_NOBODY;
        SETOPT(easy, CURLOPT_NOBODY, 1L);
    }
    if (rq->sends_body) {
        /* POSTFIELDS (not CUSTOMREQUEST alone) for POST, so 301/302/303
         * turn it into a GET as browsers do. */
        *changed |= CHANGED_POSTFIELDS;
        SETOPT(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body.len);
        SETOPT(easy, CURLOPT_POSTFIELDS, rq->body.data ? rq->body.data : "");
    }
    if (rq->method_kind == FUTURL__METHOD_CUSTOM) {
        *changed |= CHANGED_CUSTOMREQUEST;
        SETOPT(easy, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    if (rq->merged != NULL) {
        *changed |= CHANGED_HTTPHEADER;
        SETOPT(easy, CURLOPT_HTTPHEADER, rq->merged);
    }
    if (rq->timeout_ms >= 0 && rq->timeout_ms != c->opts.timeout_ms) {
        *changed |= CHANGED_TIMEOUT;
        SETOPT(easy, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
    }
    if (rq->has_max_bytes && rq->max_response_bytes != c->opts.max_response_bytes) {
        *changed |= CHANGED_MAXFILESIZE;
        SETOPT(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rq->max_response_bytes);
    }
    return FUTURL_OK;
}

/* Put back what apply_request changed. */
static futurl_status reset_request(futurl__worker *w, unsigned changed) {
    futurl_client *c = w->client;
    CURL *easy = w->easy;
    char *errmsg = NULL;
    size_t errmsg_size = 0;

    if (changed & CHANGED_POSTFIELDS) {
        SETOPT(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
        SETOPT(easy, CURLOPT_POSTFIELDS, (char *)NULL);
    }
    if (changed & (CHANGED_NOBODY | CHANGED_POSTFIELDS))
        SETOPT(easy, CURLOPT_HTTPGET, 1L); /* clears NOBODY and POST too */
    if (changed & CHANGED_CUSTOMREQUEST)
        SETOPT(easy, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    if (changed & CHANGED_HTTPHEADER)
        SETOPT(easy, CURLOPT_HTTPHEADER, c->default_headers);
    if (changed & CHANGED_TIMEOUT)
        SETOPT(easy, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
    if (changed & CHANGED_MAXFILESIZE)
        SETOPT(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opts.max_response_bytes);
    return FUTURL_OK;
}

/* Read an info value, leaving *out as it is if libcurl has none. */
#define GETINFO(easy, info, out) (void)curl_easy_getinfo((easy), (info), (out))

static void collect_info(CURL *easy, CURLcode cc, futurl__response_info *info) {
    long version = 0;
    curl_off_t total = 0, connect = 0, start = 0;
    char *url = NULL;
    GETINFO(easy, CURLINFO_RESPONSE_CODE, &info->status);
    GETINFO(easy, CURLINFO_HTTP_VERSION, &version);
    GETINFO(easy, CURLINFO_EFFECTIVE_URL, &url);
    GETINFO(easy, CURLINFO_REDIRECT_COUNT, &info->redirects);
    GETINFO(easy, CURLINFO_NUM_CONNECTS, &info->new_connections);
    GETINFO(easy, CURLINFO_TOTAL_TIME_T, &total);
    GETINFO(easy, CURLINFO_CONNECT_TIME_T, &connect);
    GETINFO(easy, CURLINFO_STARTTRANSFER_TIME_T, &start);
    switch (version) {
    case CURL_HTTP_VERSION_1_0:
        info->http_version = 10;
        break;
    case CURL_HTTP_VERSION_1_1:
        info->http_version = 11;
        break;
    case CURL_HTTP_VERSION_2_0:
        info->http_version = 20;
        break;
    case CURL_HTTP_VERSION_3:
        info->http_version = 30;
        break;
    default:
        info->http_version = 0;
        break;
    }
    info->url = url;
    info->curl_code = (int)cc;
    info->attempts = 1;
    info->elapsed = (double)total / 1e6;
    info->connect_time = (double)connect / 1e6;
    info->ttfb = (double)start / 1e6;
}

/* The futurl class of a libcurl failure. */
static futurl_status status_of(CURLcode cc) {
    switch (cc) {
    case CURLE_OK:
        return FUTURL_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return FUTURL_ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
        return FUTURL_ECONNECT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return FUTURL_ERESOLVE;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return FUTURL_ETLS;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return FUTURL_ENETWORK;
    case CURLE_TOO_MANY_REDIRECTS:
        return FUTURL_EREDIRECT;
    case CURLE_FILESIZE_EXCEEDED:
        return FUTURL_ETOOLARGE;
    case CURLE_UNSUPPORTED_PROTOCOL:
        return FUTURL_ESCHEME;
    case CURLE_URL_MALFORMAT:
        return FUTURL_EURL;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
        return FUTURL_EPROTOCOL;
    case CURLE_OUT_OF_MEMORY:
        return FUTURL_ENOMEM;
    case CURLE_ABORTED_BY_CALLBACK:
        return FUTURL_ECANCELED;
    default:
        return FUTURL_ECURL;
    }
}

/* The outcome of a finished transfer, with its message set on the job. */
static futurl_status outcome(futurl_job *job, futurl__worker *w, CURLcode cc,
                             const futurl_response *resp) {
    const futurl_request *rq = w->request;
    if (cc != CURLE_OK) {
        switch (w->failure) {
        case FUTURL__FAIL_TOO_LARGE:
            futurl_job_set_errmsg(job, "response body larger than the %llu-byte cap",
                                  (unsigned long long)w->max_bytes);
            return FUTURL_ETOOLARGE;
        case FUTURL__FAIL_CHUNK:
            futurl_job_set_errmsg(job, "transfer aborted by the chunk callback");
            return FUTURL_EABORTED;
        case FUTURL__FAIL_PROGRESS:
            futurl_job_set_errmsg(job, "transfer aborted by the progress callback");
            return FUTURL_EABORTED;
        case FUTURL__FAIL_CANCELLED:
            futurl_job_set_errmsg(job, "cancelled while the transfer ran");
            return FUTURL_ECANCELED;
        case FUTURL__FAIL_IO:
            futurl_job_set_errmsg(job,
                                  "writing the body to the output file failed (errno %d)",
                                  w->io_errno);
            return FUTURL_EIO;
        case FUTURL__FAIL_NOMEM:
            futurl_job_set_errmsg(job, "out of memory while receiving the response");
            return FUTURL_ENOMEM;
        case FUTURL__FAIL_NONE:
            break;
        }
        futurl_status st = status_of(cc);
        if (st == FUTURL_ETOOLARGE)
            futurl_job_set_errmsg(job,
                                  "response body larger than the %llu-byte cap "
                                  "(Content-Length)",
                                  (unsigned long long)w->max_bytes);
        else
            futurl_job_set_errmsg(job, "%s",
                                  w->errbuf[0] ? w->errbuf : curl_easy_strerror(cc));
        return st;
    }
    int raise = rq->raise_for_status >= 0 ? rq->raise_for_status
                                          : w->client->opts.raise_for_status;
    long status = futurl_response_status(resp);
    if (raise && status >= 400) {
        futurl_job_set_errmsg(job, "HTTP %ld from %s", status, futurl_response_url(resp));
        return FUTURL_EHTTP;
    }
    return FUTURL_OK;
}

futurl_status futurl__http_job(futurl_job *job, void *arg, void **result) {
    futurl__worker *w = futurl_job_worker_state(job);
    const futurl_request *rq = arg;
    if (w == NULL) {
        futurl_job_set_errmsg(job, "the worker has no libcurl handle (out of memory)");
        return FUTURL_ENOMEM;
    }
    if (w->broken) {
        futurl_job_set_errmsg(job, "the worker's libcurl handle could not be reset");
        return FUTURL_ECURL;
    }
    if (futurl_job_cancelled(job))
        return FUTURL_ECANCELED;
    futurl_client *c = w->client;

    w->job = job;
    w->request = rq;
    w->max_bytes =
        rq->has_max_bytes ? rq->max_response_bytes : c->opts.max_response_bytes;
    w->failure = FUTURL__FAIL_NONE;
    w->errbuf[0] = '\0';
    futurl__builder_reset(&w->builder);

    unsigned changed = 0;
    futurl_status st = apply_request(w, rq, &changed);
    if (st == FUTURL_OK && c->jar != NULL)
        st = futurl__jar_load(c->jar, &w->cookies, w->easy);
    if (st != FUTURL_OK) {
        futurl_job_set_errmsg(job, "%s", w->errbuf[0] ? w->errbuf : futurl_strerror(st));
    } else {
        CURLcode cc = curl_easy_perform(w->easy);
        futurl__response_info info = {0};
        collect_info(w->easy, cc, &info);
        if (c->jar != NULL && w->builder.saw_set_cookie) {
            /* A jar failure loses cookies, not the response: keep going. */
            (void)futurl__jar_store(c->jar, &w->cookies, w->easy);
        }
        futurl_response *resp = futurl__builder_finish(&w->builder, &info);
        if (resp == NULL) {
            futurl_job_set_errmsg(job, "out of memory while building the response");
            st = FUTURL_ENOMEM;
        } else {
            *result = resp;
            st = outcome(job, w, cc, resp);
        }
    }

    if (reset_request(w, changed) != FUTURL_OK) {
        /* Cannot happen short of a libcurl bug; start the handle afresh
         * (curl_easy_reset keeps its connections) rather than leak this
         * request's settings into the next. */
        curl_easy_reset(w->easy);
        w->broken = futurl__handle_setup(c, w->easy, w, NULL, 0) != FUTURL_OK;
    }
    w->job = NULL;
    w->request = NULL;
    return st;
}
