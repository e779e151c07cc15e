/*
 * es.c: the Elasticsearch REST client on one reused libcurl easy handle; see
 * es.h. Requests are built from json-c objects; answers are parsed with
 * json-c. Retries happen here, so callers see one result per call.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "es.h"
#include "log.h"
#include "mem.h"
#include "rc.h"
#include "render_json.h"

#define RESPONSE_MAX     (256u * 1024 * 1024) /* a larger answer is an error, not an OOM */
#define BACKOFF_START_MS 100

struct es {
    CURL *curl;
    char *base; /* without a trailing slash */
    struct es_options opt;
    struct curl_slist *hdr_json, *hdr_ndjson; /* Content-Type (and no Expect: 100) */
    buf_t resp;
    char err[512];
};

static int curl_ready;

struct es *
es_new(const char *base_url, const struct es_options *opt)
{
    struct es *es = xcalloc(1, sizeof(*es));
    size_t n = strlen(base_url);

    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = 1;
    }
    while (n > 0 && base_url[n - 1] == '/') {
        n--;
    }
    es->base = xstrndup(base_url, n);
    es->opt = *opt;
    es->curl = curl_easy_init();
    es->hdr_json = curl_slist_append(NULL, "Content-Type: application/json");
    es->hdr_json = curl_slist_append(es->hdr_json, "Expect:");
    es->hdr_ndjson = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
    es->hdr_ndjson = curl_slist_append(es->hdr_ndjson, "Expect:");
    buf_init(&es->resp, RESPONSE_MAX);
    if (es->curl == NULL || es->hdr_json == NULL || es->hdr_ndjson == NULL) {
        /* the first request reports it; the process carries on without search */
        log_error("es", "event=init_failed");
    }
    return es;
}

struct es *
es_new_from_config(const struct config *cfg)
{
    struct es_options opt;

    if (cfg->elasticsearch_url[0] == '\0') {
        return NULL;
    }
    opt.connect_timeout_ms = cfg->es_connect_timeout_ms;
    opt.timeout_ms = cfg->es_timeout_ms;
    opt.retries = cfg->es_retries;
    opt.retry_max_ms = cfg->es_retry_max_ms;
    return es_new(cfg->elasticsearch_url, &opt);
}

void
es_free(struct es *es)
{
    if (es == NULL) {
        return;
    }
    if (es->curl != NULL) {
        curl_easy_cleanup(es->curl);
    }
    curl_slist_free_all(es->hdr_json);
    curl_slist_free_all(es->hdr_ndjson);
    buf_cleanup(&es->resp);
    free(es->base);
    free(es);
}

const char *
es_last_error(const struct es *es)
{
    return es->err;
}

static size_t
on_data(char *p, size_t size, size_t nmemb, void *userdata)
{
    buf_t *b = userdata;

    buf_append(b, p, size * nmemb);
    return b->err ? 0 : size * nmemb; /* 0 aborts the transfer */
}

/* The rc for a final HTTP status. */
static int
status_rc(long status)
{
    if (status >= 200 && status < 300) {
        return RC_OK;
    }
    if (status == 404) {
        return RC_NOTFOUND;
    }
    if (status == 400) {
        return RC_INVALID;
    }
    if (status == 429 || status >= 500) {
        return RC_UNAVAIL;
    }
    return RC_ERR;
}

/* Puts "type: reason" of an error answer ({"error": {...}, "status"}) into es->err. */
static void
note_http_error(struct es *es, long status, json_object *answer)
{
    json_object *e = NULL, *type = NULL, *reason = NULL;

    if (answer != NULL && json_object_object_get_ex(answer, "error", &e)) {
        if (json_object_is_type(e, json_type_object)) {
            json_object_object_get_ex(e, "type", &type);
            json_object_object_get_ex(e, "reason", &reason);
        } else {
            reason = e;
        }
    }
    snprintf(es->err, sizeof(es->err), "HTTP %ld%s%s%s%s", status, type ? " " : "",
             type ? json_object_get_string(type) : "", reason ? ": " : "",
             reason ? json_object_get_string(reason) : "");
}

/* One attempt. Returns the CURLcode; *status is 0 without an answer. */
static CURLcode
perform(struct es *es, const char *method, const char *url, const char *content_type,
        const char *body, size_t len, long *status)
{
    CURL *c = es->curl;
    CURLcode cc;

    curl_easy_reset(c); /* options only: the connection cache stays */
    buf_reset(&es->resp);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)es->opt.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)es->opt.timeout_ms);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &es->resp);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    if (content_type != NULL) {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER,
                         strcmp(content_type, "application/x-ndjson") == 0 ? es->hdr_ndjson
                                                                           : es->hdr_json);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    *status = 0;
    cc = curl_easy_perform(c);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    }
    return cc;
}

int
es_request(struct es *es, const char *method, const char *path, const char *content_type,
           const char *body, size_t len, long *status, json_object **out)
{
    buf_t url;
    struct backoff backoff;
    int attempt, rc = RC_UNAVAIL;
    json_object *answer = NULL;

    *status = 0;
    if (out != NULL) {
        *out = NULL;
    }
    es->err[0] = '\0';
    if (es->curl == NULL) {
        snprintf(es->err, sizeof(es->err), "no curl handle");
        return RC_ERR;
    }
    backoff_init(&backoff, BACKOFF_START_MS, es->opt.retry_max_ms);
    buf_init(&url, 0);
    buf_append_str(&url, es->base);
    buf_append_str(&url, path);
    for (attempt = 0;; attempt++) {
        CURLcode cc = perform(es, method, url.data, content_type, body, len, status);

        if (cc != CURLE_OK) {
            snprintf(es->err, sizeof(es->err), "%s%s", curl_easy_strerror(cc),
                     es->resp.err ? " (answer too large)" : "");
            rc = es->resp.err ? RC_ERR : RC_UNAVAIL;
        } else {
            rc = status_rc(*status);
        }
        if (rc != RC_UNAVAIL || attempt >= es->opt.retries) {
            break;
        }
        long delay = backoff_next(&backoff);

        log_debug("es", "event=retry method=%s path=\"%s\" status=%ld err=\"%s\" delay_ms=%ld",
                  method, path, *status, es->err, delay);
        backoff_sleep_ms(delay);
    }
    buf_cleanup(&url);
    if (*status != 0 && es->resp.len > 0 && es->resp.data[0] == '{') {
        answer = json_tokener_parse(es->resp.data);
    }
    if (*status != 0 && rc != RC_OK) {
        note_http_error(es, *status, answer);
    }
    if (out != NULL) {
        *out = answer;
    } else {
        json_object_put(answer);
    }
    return rc;
}

/* es_request with a json-c body (or none). */
static int
request_json(struct es *es, const char *method, const char *path, json_object *body,
             json_object **out)
{
    long status;
    size_t len = 0;
    const char *s = NULL;

    if (body != NULL) {
        s = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);
    }
    return es_request(es, method, path, body ? "application/json" : NULL, s, len, &status, out);
}

/* "/" + name + suffix, the name percent-encoded (index names are checked by
 * config, but a path must never carry a raw '/', '?' or '#'). */
static void
path_for(buf_t *p, const char *name, const char *suffix)
{
    const unsigned char *s;

    buf_init(p, 0);
    buf_append_char(p, '/');
    for (s = (const unsigned char *)name; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
            *s == '-' || *s == '_' || *s == '.') {
            buf_append_char(p, (char)*s);
        } else {
            buf_appendf(p, "%%%02X", *s);
        }
    }
    buf_append_str(p, suffix);
}

int
es_index_exists(struct es *es, const char *index)
{
    buf_t p;
    long status;
    int rc;

    path_for(&p, index, "");
    rc = es_request(es, "HEAD", p.data, NULL, NULL, 0, &status, NULL);
    buf_cleanup(&p);
    return rc;
}

/* method on /index + suffix, with an optional JSON body, no answer kept. */
static int
index_call(struct es *es, const char *method, const char *index, const char *suffix,
           json_object *body)
{
    buf_t p;
    int rc;

    path_for(&p, index, suffix);
    rc = request_json(es, method, p.data, body, NULL);
    buf_cleanup(&p);
    return rc;
}

int
es_index_create(struct es *es, const char *index, json_object *body)
{
    return index_call(es, "PUT", index, "", body);
}

int
es_index_delete(struct es *es, const char *index)
{
    return index_call(es, "DELETE", index, "", NULL);
}

int
es_refresh(struct es *es, const char *index)
{
    return index_call(es, "POST", index, "/_refresh", NULL);
}

int
es_alias_indices(struct es *es, const char *alias, json_object **indices)
{
    buf_t p;
    json_object *answer = NULL;
    int rc;

    *indices = NULL;
    {
        buf_t a;

        path_for(&a, alias, "");
        buf_init(&p, 0);
        buf_append_str(&p, "/_alias");
        buf_append_str(&p, a.data);
        buf_cleanup(&a);
    }
    rc = request_json(es, "GET", p.data, NULL, &answer);
    buf_cleanup(&p);
    if (rc == RC_OK) {
        /* {"index-name": {"aliases": {"alias": {}}}, ...} */
        json_object *list = json_object_new_array();

        if (json_object_is_type(answer, json_type_object)) {
            json_object_object_foreach(answer, name, v)
            {
                (void)v;
                json_object_array_add(list, json_object_new_string(name));
            }
        }
        *indices = list;
    }
    json_object_put(answer);
    return rc;
}

int
es_aliases(struct es *es, json_object *actions)
{
    json_object *body = json_object_new_object();
    int rc;

    json_object_object_add(body, "actions", json_object_get(actions));
    rc = request_json(es, "POST", "/_aliases", body, NULL);
    json_object_put(body);
    return rc;
}

int
es_search(struct es *es, const char *index, const char *filter_path, const char *body, size_t len,
          json_object **out)
{
    buf_t p;
    long status;
    int rc;

    path_for(&p, index, "/_search");
    if (filter_path != NULL) {
        buf_append_str(&p, "?filter_path=");
        buf_append_str(&p, filter_path);
    }
    rc = es_request(es, "POST", p.data, "application/json", body, len, &status, out);
    buf_cleanup(&p);
    if (rc != RC_OK && out != NULL) {
        json_object_put(*out);
        *out = NULL;
    }
    if (rc == RC_OK && out != NULL && *out == NULL) {
        snprintf(es->err, sizeof(es->err), "the answer is not JSON");
        rc = RC_ERR;
    }
    return rc;
}

json_object *
es_obj1(const char *key, json_object *v)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, key, v);
    return o;
}

json_object *
es_term(const char *field, json_object *v)
{
    return es_obj1("term", es_obj1(field, v));
}

int
es_update_by_query(struct es *es, const char *index, json_object *body, uint64_t *updated)
{
    json_object *answer = NULL, *v = NULL;
    buf_t p;
    int rc;

    path_for(&p, index, "/_update_by_query?refresh=true");
    rc = request_json(es, "POST", p.data, body, &answer);
    buf_cleanup(&p);
    if (rc == RC_OK && json_object_object_get_ex(answer, "failures", &v) &&
        json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
        snprintf(es->err, sizeof(es->err), "update_by_query failures: %.400s",
                 json_object_to_json_string(v));
        rc = RC_ERR;
    }
    if (updated != NULL) {
        *updated = rc == RC_OK && json_object_object_get_ex(answer, "updated", &v)
                       ? (uint64_t)json_object_get_int64(v)
                       : 0;
    }
    json_object_put(answer);
    return rc;
}

/* ---- _bulk -------------------------------------------------------------------- */

void
es_bulk_init(struct es_bulk *b)
{
    memset(b, 0, sizeof(*b));
    buf_init(&b->body, 0);
}

void
es_bulk_reset(struct es_bulk *b)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        free((char *)b->items[i].id);
    }
    buf_reset(&b->body);
    b->n = b->nok = b->nfailed = 0;
}

void
es_bulk_cleanup(struct es_bulk *b)
{
    if (b == NULL) {
        return;
    }
    es_bulk_reset(b);
    buf_cleanup(&b->body);
    free(b->items);
    b->items = NULL;
    b->cap = 0;
}

/* One line of NDJSON. */
static void
append_json_line(buf_t *out, json_object *o)
{
    render_json_value(out, o);
    buf_append_char(out, '\n');
}

/* Appends the action line {op: {"_index", "_id"}} and records the item. */
static void
bulk_action(struct es_bulk *b, const char *op, const char *index, const char *id)
{
    json_object *action = json_object_new_object();
    json_object *meta = json_object_new_object();
    struct es_bulk_item *it;

    json_object_object_add(meta, "_index", json_object_new_string(index));
    json_object_object_add(meta, "_id", json_object_new_string(id));
    json_object_object_add(action, op, meta);
    append_json_line(&b->body, action);
    json_object_put(action);
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->items = xrealloc(b->items, b->cap * sizeof(*b->items));
    }
    it = &b->items[b->n++];
    memset(it, 0, sizeof(*it));
    it->id = xstrdup(id);
}

void
es_bulk_index(struct es_bulk *b, const char *index, const char *id, json_object *doc)
{
    bulk_action(b, "index", index, id);
    append_json_line(&b->body, doc);
}

void
es_bulk_delete(struct es_bulk *b, const char *index, const char *id)
{
    bulk_action(b, "delete", index, id);
}

/* Reads one item of the answer ({"index": {"_id", "status", "error"}}). */
static void
read_item(struct es_bulk_item *it, json_object *entry)
{
    json_object *res = NULL, *status = NULL, *error = NULL;

    if (json_object_is_type(entry, json_type_object)) {
        json_object_object_foreach(entry, op, v)
        {
            (void)op;
            res = v;
            break;
        }
    }
    if (res == NULL || !json_object_object_get_ex(res, "status", &status)) {
        snprintf(it->error, sizeof(it->error), "no result for this item");
        return;
    }
    it->status = json_object_get_int(status);
    /* a delete of a missing document is done too */
    it->ok = (it->status >= 200 && it->status < 300) ||
             (it->status == 404 && json_object_object_get_ex(res, "result", NULL));
    if (it->ok) {
        return;
    }
    if (json_object_object_get_ex(res, "error", &error) &&
        json_object_is_type(error, json_type_object)) {
        json_object *type = NULL, *reason = NULL;

        json_object_object_get_ex(error, "type", &type);
        json_object_object_get_ex(error, "reason", &reason);
        snprintf(it->error, sizeof(it->error), "%s: %s",
                 type ? json_object_get_string(type) : "error",
                 reason ? json_object_get_string(reason) : "");
    } else {
        snprintf(it->error, sizeof(it->error), "status %d", it->status);
    }
}

/* Every item failed, for the reason err. */
static void
fail_all(struct es_bulk *b, const char *err)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        b->items[i].ok = 0;
        snprintf(b->items[i].error, sizeof(b->items[i].error), "%s", err);
    }
    b->nok = 0;
    b->nfailed = b->n;
}

static void
clear_results(struct es_bulk *b)
{
    size_t i;

    b->nok = b->nfailed = 0;
    for (i = 0; i < b->n; i++) {
        b->items[i].ok = 0;
        b->items[i].status = 0;
        b->items[i].error[0] = '\0';
    }
}

int
es_bulk_read(struct es_bulk *b, json_object *answer, char *err, size_t errlen)
{
    json_object *items = NULL;
    size_t i;

    clear_results(b);
    if (answer == NULL || !json_object_object_get_ex(answer, "items", &items) ||
        !json_object_is_type(items, json_type_array) || json_object_array_length(items) != b->n) {
        snprintf(err, errlen, "bulk answer without one result per item");
        fail_all(b, err);
        return RC_ERR;
    }
    for (i = 0; i < b->n; i++) {
        read_item(&b->items[i], json_object_array_get_idx(items, i));
        if (b->items[i].ok) {
            b->nok++;
        } else {
            b->nfailed++;
        }
    }
    return RC_OK;
}

int
es_bulk_send(struct es *es, struct es_bulk *b)
{
    json_object *answer = NULL;
    long status;
    int rc;

    clear_results(b);
    if (b->n == 0) {
        return RC_OK;
    }
    if (b->body.err) {
        snprintf(es->err, sizeof(es->err), "bulk body too large");
        return RC_ERR;
    }
    rc = es_request(es, "POST", "/_bulk", "application/x-ndjson", b->body.data, b->body.len,
                    &status, &answer);
    if (rc == RC_OK) {
        rc = es_bulk_read(b, answer, es->err, sizeof(es->err));
    } else {
        fail_all(b, es->err);
    }
    json_object_put(answer);
    return rc;
}
