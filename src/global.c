/*
 * src/global.c — libcurl's process-wide init and cleanup, counted so that
 * clients (and callers) can nest them. curl_global_init is only safe to
 * call while other threads run when libcurl says so (CURL_VERSION_THREADSAFE,
 * true for Debian 12's 7.88); otherwise the caller must call
 * futurl_global_init() before starting threads, as the header says. It
 * also reports the libcurl version the process runs on.
 */
#include <pthread.h>

#include <curl/curl.h>

#include "futurl.h"

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long global_refs; /* guarded by global_lock */

futurl_status futurl_global_init(void) {
    futurl_status st = FUTURL_OK;
    pthread_mutex_lock(&global_lock);
    if (global_refs == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        st = FUTURL_ECURL;
    else
        global_refs++;
    pthread_mutex_unlock(&global_lock);
    return st;
}

void futurl_global_cleanup(void) {
    pthread_mutex_lock(&global_lock);
    if (global_refs > 0 && --global_refs == 0)
        curl_global_cleanup();
    pthread_mutex_unlock(&global_lock);
}

const char *futurl_curl_version(void) {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return v != NULL && v->version != NULL ? v->version : "unknown";
}
