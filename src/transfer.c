/*
 * src/transfer.c — one attempt of a request on a worker's easy handle
 * (src/handle.c): a request sets only what it changes and the attempt
 * resets exactly that afterwards, so the handle (and its kept-alive
 * connection) serves the next request as it was. Also here: the
 * CURLcode → futurl_status mapping with libcurl's per-handle error text
 * (the transfer's info is read by src/handle.c). Retries, admission and the deadline
 * around it are the HTTP job's (src/http_job.c).
 */
#include "transfer.h"

#include "clock.h"
#include "handle.h"
#include "hostkey.h"
#include "job.h"
#include "trace.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* What a request changed on the handle (the reset list). */
enum {
    CHANGED_NOBODY = 1 << 0,
    CHANGED_POSTFIELDS = 1 << 1,
    CHANGED_CUSTOMREQUEST = 1 << 2,
    CHANGED_HTTPHEADER = 1 << 3,
    CHANGED_TIMEOUT = 1 << 4,
    CHANGED_MAXFILESIZE = 1 << 5,
    CHANGED_MIMEPOST = 1 << 6
};

/* ---------------------------------------------------------- one request */

/* rq's host key (src/hostkey.h), computed when something first needs it and
 * kept with the request for its next attempts. NULL, with *st set, when it
 * cannot be had (out of memory; a URL libcurl refuses fails at perform). */
const char *futurl__request_host_key(futurl_request *rq, futurl_status *st) {
    *st = FUTURL_OK;
    if (rq->host_key == NULL)
        *st = futurl__host_key(futurl__request_url(rq), &rq->host_key);
    return rq->host_key;
}

/* Set what rq needs beyond the client-wide options, with this attempt's
 * timeout; *changed says what to reset, also when this fails half-way.
 * A multipart body is built into *mime (src/multipart.c), which the caller
 * frees after the reset. */
static futurl_status apply_request(futurl__worker *w, futurl_request *rq, long timeout_ms,
                                   unsigned *changed, futurl__mime **mime) {
    futurl_client *c = w->client;
    CURL *easy = w->easy;
    char *errmsg = w->errbuf;
    size_t errmsg_size = sizeof w->errbuf;

    SETOPT(easy, CURLOPT_URL, futurl__request_url(rq));
    if (rq->method_kind == FUTURL__METHOD_HEAD) {
        *changed |= CHANGED_NOBODY;
        SETOPT(easy, CURLOPT_NOBODY, 1L);
    }
    if (rq->sends_body && rq->parts != NULL) {
        futurl_status st = futurl__mime_build(rq->parts, easy, mime, errmsg, errmsg_size);
        if (st != FUTURL_OK)
            return st;
        *changed |= CHANGED_MIMEPOST;
        SETOPT(easy, CURLOPT_MIMEPOST, futurl__mime_handle(*mime));
    } else if (rq->sends_body) {
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
    if (timeout_ms != c->opts.timeout_ms) {
        *changed |= CHANGED_TIMEOUT;
        SETOPT(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
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
    if (changed & CHANGED_MIMEPOST)
        SETOPT(easy, CURLOPT_MIMEPOST, (curl_mime *)NULL);
    if (changed & (CHANGED_NOBODY | CHANGED_POSTFIELDS | CHANGED_MIMEPOST))
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
    case CURLE_READ_ERROR: /* an upload's file (a multipart part) */
        return FUTURL_EIO;
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
    if (cc != CURLE_OK && w->failure == FUTURL__FAIL_NONE && futurl_job_cancelled(job))
        w->failure = FUTURL__FAIL_CANCELLED; /* its sockets were shut down */
    if (cc != CURLE_OK) {
        switch (w->failure) {
        case FUTURL__FAIL_TOO_LARGE:
            futurl_job_set_errmsg(job, "response body larger than the %llu-byte cap",
                                  (unsigned long long)w->max_bytes);
            return FUTURL_ETOOLARGE;
        case FUTURL__FAIL_HEADERS:
            futurl_job_set_errmsg(job, "response headers larger than %u bytes",
                                  FUTURL__MAX_HEADER_BYTES);
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
        case FUTURL__FAIL_SWITCHED:
            futurl_job_set_errmsg(job, "the server switched protocols (HTTP 101), "
                                       "although no upgrade was asked for");
            return FUTURL_EPROTOCOL;
        case FUTURL__FAIL_COOKIES:
            futurl_job_set_errmsg(job,
                                  "out of memory while giving the handle its cookies");
            return FUTURL_ENOMEM;
        case FUTURL__FAIL_TIMEOUT:
            futurl_job_set_errmsg(job, "timed out while the stream's reader held the "
                                       "body back");
            return FUTURL_ETIMEDOUT;
        case FUTURL__FAIL_CLOSED:
            futurl_job_set_errmsg(job, "the stream was closed while the transfer ran");
            return FUTURL_ECANCELED;
        case FUTURL__FAIL_NONE:
            break;
        }
        futurl_status st = status_of(cc);
        if (st == FUTURL_ETOOLARGE)
            futurl_job_set_errmsg(job,
                                  "response body larger than the %llu-byte cap "
                                  "(Content-Length)",
                                  (unsigned long long)w->max_bytes);
        else if (st == FUTURL_ESCHEME && w->client->mock != NULL)
            futurl_job_set_errmsg(job,
                                  "the mock transport serves http:// URLs only, "
                                  "not https:// (%s)",
                                  w->errbuf[0] ? w->errbuf : curl_easy_strerror(cc));
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

/* One attempt of rq on w's handle, limited to timeout_ms (the request's,
 * cut to the deadline): its outcome, with the response (NULL only when out
 * of memory) in *resp and a failure message set on the job. */
futurl_status futurl__run_attempt(futurl_job *job, futurl__worker *w, futurl_request *rq,
                                  long timeout_ms, futurl_response **resp) {
    futurl_client *c = w->client;
    const char *host_key = NULL;

    w->job = job;
    w->request = rq;
    w->max_bytes =
        rq->has_max_bytes ? rq->max_response_bytes : c->opts.max_response_bytes;
    w->failure = FUTURL__FAIL_NONE;
    w->header_bytes = 0;
    w->stream_sent = 0;
    w->stop_ns = timeout_ms > 0 ? futurl__after_ms(futurl__now_ns(), timeout_ms) : 0;
    w->errbuf[0] = '\0';
    futurl__builder_reset(&w->builder);

    unsigned changed = 0;
    futurl__mime *mime = NULL;
    futurl_status st = apply_request(w, rq, timeout_ms, &changed, &mime);
    if (st == FUTURL_OK && c->static_cookie_count != 0)
        host_key = futurl__request_host_key(rq, &st);
    if (st != FUTURL_OK) {
        futurl_job_set_errmsg(job, "%s", w->errbuf[0] ? w->errbuf : futurl_strerror(st));
    } else {
        futurl__drop_unclean_connections(w);
        futurl__set_running(w, futurl__job_future(job));
        w->cookie_host_key = host_key; /* static cookies for this host, if any */
        w->cookies_pending = 1;        /* on_prereq gives the handle its cookies */
        CURLcode cc = curl_easy_perform(w->easy);
        w->cookies_pending = 0; /* still set if no request went out */
        futurl__set_running(w, NULL);
        futurl__response_info info = {0};
        futurl__handle_info(w->easy, cc, &info);
        if (info.http_version == 20)
            futurl__mark_h2_socket(w);
        if (host_key != NULL)
            (void)futurl__static_cookies(w, host_key,
                                         0); /* out again before the jar looks */
        if (c->jar != NULL && w->builder.saw_set_cookie) {
            /* A jar failure loses cookies, not the response: keep going. */
            (void)futurl__jar_store(c->jar, &w->cookies, w->easy);
        } else if (c->jar == NULL && w->builder.saw_set_cookie) {
            /* The engine is on only for the static cookies: keep nothing a
             * server set (cookie_jar is off). */
            (void)curl_easy_setopt(w->easy, CURLOPT_COOKIELIST, "ALL");
        }
        futurl_response *r = futurl__builder_finish(&w->builder, &info);
        if (r == NULL) {
            futurl_job_set_errmsg(job, "out of memory while building the response");
            st = FUTURL_ENOMEM;
        } else {
            futurl__response_set_request_id(r, rq);
            *resp = r;
            st = outcome(job, w, cc, r);
            const char *part = futurl__mime_aborted(mime);
            if (cc == CURLE_ABORTED_BY_CALLBACK && part != NULL &&
                w->failure == FUTURL__FAIL_NONE) {
                futurl_job_set_errmsg(
                    job, "transfer aborted by the read callback of streamed part \"%s\"",
                    part);
                st = FUTURL_EABORTED;
            }
        }
    }

    if (reset_request(w, changed) != FUTURL_OK) {
        /* Cannot happen short of a libcurl bug; start the handle afresh
         * (curl_easy_reset keeps its connections) rather than leak this
         * request's settings into the next. */
        curl_easy_reset(w->easy);
        w->broken = futurl__handle_setup(c, w->easy, w, NULL, 0) != FUTURL_OK;
    }
    futurl__mime_free(mime); /* the handle no longer names it */
    w->job = NULL;
    w->request = NULL;
    return st;
}
