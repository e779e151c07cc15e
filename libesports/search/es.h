/*
 * es.h: the Elasticsearch REST client (libcurl behind this module; nothing
 * else includes curl.h). It speaks only the API that Elasticsearch 7.10+,
 * 8.x and OpenSearch share: index create/exists/delete, _aliases, _bulk,
 * _search and _refresh. Every JSON it sends is built with json-c.
 *
 * A struct es owns one curl easy handle, reused for every request so the
 * connection stays alive between them. Each request has a connect and a
 * total timeout; connection errors, 429 and 5xx answers are retried with a
 * capped exponential backoff. One struct es per process (not thread-safe).
 *
 * Results: RC_OK; RC_UNAVAIL when the engine cannot be reached or keeps
 * answering 429/5xx; RC_NOTFOUND for 404; RC_INVALID for 400 (a request the
 * engine refused, such as a malformed query); RC_ERR otherwise. After a
 * failure es_last_error() says what happened in one line.
 */
#ifndef ESPORTS_ES_H
#define ESPORTS_ES_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"

struct es;

struct es_options {
    int connect_timeout_ms; /* one connect attempt */
    int timeout_ms;         /* a whole request, connect included */
    int retries;            /* further attempts after a retryable failure (0 = none) */
    int retry_max_ms;       /* cap of the backoff between attempts (100 ms doubling) */
};

/* A client for base_url ("http://host:port", optionally with user:password@
 * and a path prefix; a trailing slash is ignored). Never NULL; nothing is
 * connected until the first request. Free with es_free(). */
struct es *es_new(const char *base_url, const struct es_options *opt);
/* A client for cfg's ELASTICSEARCH_URL with its ES_* timeouts and retries,
 * or NULL when the URL is empty (search is off). */
struct es *es_new_from_config(const struct config *cfg);
/* Closes the connection. Accepts NULL. */
void es_free(struct es *es);

/* One line on the last failure ("connect: Connection refused", "HTTP 400
 * parsing_exception: ..."); "" when the last request succeeded. Owned by es,
 * valid until the next request. */
const char *es_last_error(const struct es *es);

/*
 * One request: method ("GET", "PUT", "POST", "DELETE", "HEAD"), path (starts
 * with '/'; URL-encode what needs it), an optional body of len bytes with
 * its content type (NULL: none). *status receives the HTTP status (0 when no
 * answer came); *out (may be NULL) the parsed JSON answer, or NULL when it
 * had none or it did not parse; the caller puts it. Retries as above;
 * returns the rc for the final status.
 */
int es_request(struct es *es, const char *method, const char *path, const char *content_type,
               const char *body, size_t len, long *status, json_object **out);

/* ---- indices and aliases ------------------------------------------------ */

/* RC_OK when index (or an alias of that name) exists, RC_NOTFOUND when not,
 * or an error. */
int es_index_exists(struct es *es, const char *index);
/* Creates index with body ({"settings", "mappings", "aliases"}, not consumed).
 * RC_OK; RC_INVALID when it exists already (es_last_error says
 * resource_already_exists_exception) or the body was refused. */
int es_index_create(struct es *es, const char *index, json_object *body);
/* Deletes index: RC_OK, RC_NOTFOUND or an error. */
int es_index_delete(struct es *es, const char *index);
/* Makes the documents indexed so far searchable (tests and tools). */
int es_refresh(struct es *es, const char *index);

/* The concrete indices alias points at: RC_OK with *indices (a json-c array
 * of strings; put it), RC_NOTFOUND when no alias has that name. */
int es_alias_indices(struct es *es, const char *alias, json_object **indices);
/* Applies actions (a json-c array of {"add"|"remove"|"remove_index": {...}}
 * objects, not consumed) atomically through POST /_aliases. */
int es_aliases(struct es *es, json_object *actions);

/* ---- _search -------------------------------------------------------------- */

/* POST /{index}/_search with a raw JSON body of len bytes; filter_path (NULL:
 * none) names the parts of the answer to send, a comma-separated list of URL
 * safe paths. RC_OK with *out (the parsed answer; put it); RC_INVALID when the
 * engine refused the query (400), RC_NOTFOUND when the index is missing,
 * RC_UNAVAIL when it is down. */
int es_search(struct es *es, const char *index, const char *filter_path, const char *body,
              size_t len, json_object **out);

/* POST /{index}/_update_by_query?refresh=true with body (not consumed): the
 * documents it changed are searchable when it returns. RC_OK with *updated
 * (may be NULL) when every matching document was processed; RC_ERR on a
 * version conflict (a document changed meanwhile: run it again) or when the
 * answer lists failures. */
int es_update_by_query(struct es *es, const char *index, json_object *body, uint64_t *updated);

/* Query DSL pieces: {key: v}, and {"term": {field: v}} (each takes v). */
json_object *es_obj1(const char *key, json_object *v);
json_object *es_term(const char *field, json_object *v);

/* ---- _bulk ----------------------------------------------------------------- */

struct es_bulk_item {
    const char *id;  /* the document id as given; owned by the bulk */
    int status;      /* HTTP status of the item (0 when the bulk got no answer) */
    int ok;          /* 1 when the engine confirmed the item */
    char error[512]; /* "type: reason" when !ok */
};

/* Index operations collected into one NDJSON body, then sent at once. */
struct es_bulk {
    buf_t body;
    struct es_bulk_item *items;
    size_t n, cap;
    size_t nok, nfailed; /* after es_bulk_send */
};

void es_bulk_init(struct es_bulk *b);
/* Empties b for the next round (keeps its memory). */
void es_bulk_reset(struct es_bulk *b);
/* Frees b. Accepts NULL. */
void es_bulk_cleanup(struct es_bulk *b);
/* Queues an index operation of doc (not consumed) under id into index (an
 * alias with one index is fine). */
void es_bulk_index(struct es_bulk *b, const char *index, const char *id, json_object *doc);
/* Queues a delete of id from index. */
void es_bulk_delete(struct es_bulk *b, const char *index, const char *id);
/*
 * Sends the queued operations in one POST /_bulk and reads each item's
 * result into b->items (in the order queued), counting nok and nfailed.
 * RC_OK when the engine answered for every item, whatever their results;
 * otherwise an error and no item is marked ok.
 */
int es_bulk_send(struct es *es, struct es_bulk *b);
/* Reads the answer of POST /_bulk (not consumed; may be NULL) into
 * b->items as es_bulk_send does: RC_OK when it holds one result per item,
 * whatever their results; otherwise RC_ERR, err (errlen bytes) says why and
 * every item failed for that reason. */
int es_bulk_read(struct es_bulk *b, json_object *answer, char *err, size_t errlen);

#endif
