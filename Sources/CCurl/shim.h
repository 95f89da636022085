#include <curl/curl.h>
#include <stddef.h>

// curl_easy_setopt and curl_easy_getinfo are variadic: Swift cannot call them. One typed
// wrapper per argument type.
static inline CURLcode sluice_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode sluice_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode sluice_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode sluice_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
// Certificates and keys from memory (CURLOPT_CAINFO_BLOB, CURLOPT_SSLCERT_BLOB, ...); curl copies them.
static inline CURLcode sluice_curl_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length) {
    struct curl_blob blob = { (void *)data, length, CURL_BLOB_COPY };
    return curl_easy_setopt(handle, option, &blob);
}
typedef size_t (*sluice_curl_write_callback)(char *data, size_t size, size_t count, void *context);
static inline CURLcode sluice_curl_setopt_write_function(CURL *handle, CURLoption option, sluice_curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}
static inline CURLcode sluice_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
