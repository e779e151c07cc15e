/*
 * h_search.c: GET /api/search/, full-text search over the match documents
 * the consumer mirrors into Elasticsearch (or OpenSearch), with the filters,
 * ordering and pagination of /api/matches/ and facets by title, tournament
 * and state. The website's search box goes through search_run() too.
 *
 * The words of q go into a `multi_match` query, which analyses them as text:
 * query-syntax characters are just characters, never syntax. Everything
 * sent is built with json-c. An engine that is off, down or refusing answers
 * 503 with a JSON message; no engine error reaches a client as a 500.
 */
#include <stdio.h>
#include <string.h>

#include "es.h"
#include "handlers.h"
#include "log.h"
#include "rc.h"
#include "render_json.h"
#include "search.h"
#include "text.h"

/* The engine refuses from + size beyond its result window (10,000). */
#define SEARCH_WINDOW 10000
/* Facet buckets per field. */
#define FACET_SIZE 20

static struct es *es;
static const char *es_index;

void
search_init(const struct config *cfg)
{
    /* the same settings as the consumer's mirror (README, Configuration) */
    struct es_options opt = {.connect_timeout_ms = cfg->es_connect_timeout_ms,
                             .timeout_ms = cfg->es_timeout_ms,
                             .retries = cfg->es_retries,
                             .retry_max_ms = cfg->es_retry_max_ms};

    if (cfg->elasticsearch_url[0] != '\0') {
        es = es_new(cfg->elasticsearch_url, &opt);
        es_index = cfg->elasticsearch_index;
    }
}

void
search_cleanup(void)
{
    es_free(es);
    es = NULL;
}

int
search_enabled(void)
{
    return es != NULL;
}

static json_object *
obj1(const char *key, json_object *v)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, key, v);
    return o;
}

static json_object *
term(const char *field, json_object *v)
{
    return obj1("term", obj1(field, v));
}

/* A filter by id, by the name's key (case and runs of white space ignored,
 * as the list does for tournaments and teams), or both. */
static void
name_filter(json_object *filters, const char *field, int64_t id, const char *key)
{
    char f[64];

    if (id > 0) {
        snprintf(f, sizeof(f), "%s.id", field);
        json_object_array_add(filters, term(f, json_object_new_int64(id)));
    }
    if (key != NULL) {
        snprintf(f, sizeof(f), "%s.name.key", field);
        json_object_array_add(filters, term(f, json_object_new_string(key)));
    }
}

static json_object *
sort_by(const char *field, const char *order)
{
    return obj1(field, obj1("order", json_object_new_string(order)));
}

/* terms on field.id with the name of each bucket */
static json_object *
facet_by_id(const char *field)
{
    char idf[64], namef[64];
    json_object *t = json_object_new_object(), *agg;

    snprintf(idf, sizeof(idf), "%s.id", field);
    snprintf(namef, sizeof(namef), "%s.name.keyword", field);
    json_object_object_add(t, "field", json_object_new_string(idf));
    json_object_object_add(t, "size", json_object_new_int(FACET_SIZE));
    agg = obj1("terms", t);
    t = json_object_new_object();
    json_object_object_add(t, "field", json_object_new_string(namef));
    json_object_object_add(t, "size", json_object_new_int(1));
    json_object_object_add(agg, "aggs", obj1("name", obj1("terms", t)));
    return agg;
}

/* A multi_match of every word of q over the names. */
static json_object *
multi_match(const char *q, const char *type, int fuzzy)
{
    json_object *mm = json_object_new_object(), *fields = json_object_new_array();

    json_object_array_add(fields, json_object_new_string("teams.name^3"));
    json_object_array_add(fields, json_object_new_string("tournament.name^2"));
    json_object_array_add(fields, json_object_new_string("title.name"));
    json_object_object_add(mm, "query", json_object_new_string(q));
    json_object_object_add(mm, "type", json_object_new_string(type));
    json_object_object_add(mm, "fields", fields);
    json_object_object_add(mm, "operator", json_object_new_string("and"));
    if (fuzzy) {
        json_object_object_add(mm, "fuzziness", json_object_new_string("AUTO"));
    }
    return obj1("multi_match", mm);
}

/* The _search body for q with the list's filters, ordering and page. */
static json_object *
search_body(const char *q, const struct match_filter *f, int ordered)
{
    json_object *body = json_object_new_object(), *b = json_object_new_object();
    json_object *should = json_object_new_array();
    json_object *filters = json_object_new_array(), *sort = json_object_new_array();
    json_object *aggs = json_object_new_object(), *t, *range;

    /* the words in one field, each allowed a typo; or spread over the
     * fields ("overcooked bayes"), exactly */
    json_object_array_add(should, multi_match(q, "best_fields", 1));
    json_object_array_add(should, multi_match(q, "cross_fields", 0));
    json_object_object_add(b, "should", should);
    json_object_object_add(b, "minimum_should_match", json_object_new_int(1));

    name_filter(filters, "title", f->title_id, f->title_key);
    name_filter(filters, "tournament", f->tournament_id, f->tournament_key);
    name_filter(filters, "teams", f->team_id, f->team_key);
    if (f->has_state) {
        json_object_array_add(filters, term("state", json_object_new_int64(f->state)));
    }
    if (f->source != NULL) {
        json_object_array_add(filters, term("source", json_object_new_string(f->source)));
    }
    if (f->has_gte || f->has_lte) {
        range = json_object_new_object();
        if (f->has_gte) {
            json_object_object_add(range, "gte", json_object_new_int64(f->gte));
        }
        if (f->has_lte) {
            json_object_object_add(range, "lte", json_object_new_int64(f->lte));
        }
        json_object_object_add(range, "format", json_object_new_string("epoch_second"));
        json_object_array_add(filters, obj1("range", obj1("date_start", range)));
    }
    json_object_object_add(b, "filter", filters);
    json_object_object_add(body, "query", obj1("bool", b));

    /* relevance unless an ordering was asked for; ties by id */
    if (!ordered) {
        json_object_array_add(sort, json_object_new_string("_score"));
        json_object_array_add(sort, sort_by("id", "desc"));
    } else if (f->order == ORDER_DATE_DESC || f->order == ORDER_DATE_ASC) {
        const char *dir = f->order == ORDER_DATE_DESC ? "desc" : "asc";
        t = obj1("order", json_object_new_string(dir));
        json_object_object_add(t, "missing", json_object_new_string("_last"));
        json_object_array_add(sort, obj1("date_start", t));
        json_object_array_add(sort, sort_by("id", dir));
    } else {
        json_object_array_add(sort, sort_by("id", f->order == ORDER_ID_ASC ? "asc" : "desc"));
    }
    json_object_object_add(body, "sort", sort);
    json_object_object_add(body, "from", json_object_new_int64((f->page - 1) * f->page_size));
    json_object_object_add(body, "size", json_object_new_int64(f->page_size));
    json_object_object_add(body, "track_total_hits", json_object_new_boolean(1));

    json_object_object_add(aggs, "title", facet_by_id("title"));
    json_object_object_add(aggs, "tournament", facet_by_id("tournament"));
    t = json_object_new_object();
    json_object_object_add(t, "field", json_object_new_string("state"));
    json_object_object_add(t, "size", json_object_new_int(FACET_SIZE));
    json_object_object_add(aggs, "state", obj1("terms", t));
    json_object_object_add(body, "aggs", aggs);
    return body;
}

/* The facets of an answer, as [{"id", "name", "count"}] or [{"value", "count"}]. */
static json_object *
facets_of(json_object *aggs)
{
    static const char *const names[] = {"title", "tournament", "state"};
    json_object *out = json_object_new_object(), *agg, *buckets, *sub, *sb;
    size_t i, k, n;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_object *list = json_object_new_array();

        json_object_object_add(out, names[i], list);
        if (!json_object_object_get_ex(aggs, names[i], &agg) ||
            !json_object_object_get_ex(agg, "buckets", &buckets) ||
            !json_object_is_type(buckets, json_type_array)) {
            continue;
        }
        n = json_object_array_length(buckets);
        for (k = 0; k < n; k++) {
            json_object *b = json_object_array_get_idx(buckets, k), *key, *count, *f;

            if (!json_object_object_get_ex(b, "key", &key) ||
                !json_object_object_get_ex(b, "doc_count", &count)) {
                continue;
            }
            f = json_object_new_object();
            if (i < 2) {
                json_object_object_add(f, "id", json_object_get(key));
                if (json_object_object_get_ex(b, "name", &sub) &&
                    json_object_object_get_ex(sub, "buckets", &sb) &&
                    json_object_array_length(sb) > 0 &&
                    json_object_object_get_ex(json_object_array_get_idx(sb, 0), "key", &key)) {
                    json_object_object_add(f, "name", json_object_get(key));
                } else {
                    json_object_object_add(f, "name", NULL);
                }
            } else {
                json_object_object_add(f, "value", json_object_get(key));
            }
            json_object_object_add(f, "count", json_object_get(count));
            json_object_array_add(list, f);
        }
    }
    return out;
}

int
search_check_params(const struct query *qs, struct arena *a, const char **q, struct match_filter *f,
                    int *ordered, struct param_errors *e)
{
    const char *v;

    *q = NULL;
    param_match_filter(qs, a, f, e);
    *ordered = f->has_order;
    v = query_get(qs, "q", e);
    if (v != NULL && utf8_len(v, strlen(v)) > SEARCH_Q_MAX) {
        param_error(e, "q", "at most %d characters", SEARCH_Q_MAX);
        return RC_INVALID;
    }
    v = v != NULL ? text_clean(a, v, strlen(v)) : NULL;
    if (v == NULL || v[0] == '\0') {
        param_error(e, "q", "give the words to search for");
    } else {
        *q = v;
    }
    return e->n == 0 ? RC_OK : RC_INVALID;
}

int
search_past_window(const struct match_filter *f)
{
    return f->page * f->page_size > SEARCH_WINDOW;
}

int
search_run(const char *q, const struct match_filter *f, int ordered, struct search_result *res)
{
    json_object *body, *answer = NULL, *hits, *total, *v;
    const char *text;
    size_t len;
    int rc;

    memset(res, 0, sizeof(*res));
    if (es == NULL) {
        return RC_UNAVAIL;
    }
    body = search_body(q, f, ordered);
    text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);
    rc = es_search(es, es_index, text, len, &answer);
    json_object_put(body);
    if (rc != RC_OK) {
        json_object_put(answer);
        if (rc == RC_NOTFOUND) {
            /* no index yet: nothing mirrored so far, not an outage */
            res->answer = json_object_new_array();
            res->hits = res->answer;
            res->facets = facets_of(NULL);
            return RC_OK;
        }
        log_warn("search", "event=search_failed rc=%d err=\"%s\"", rc, es_last_error(es));
        return RC_UNAVAIL;
    }
    if (!json_object_object_get_ex(answer, "hits", &hits) ||
        !json_object_object_get_ex(hits, "hits", &res->hits) ||
        !json_object_is_type(res->hits, json_type_array)) {
        log_warn("search", "event=search_answer_unreadable");
        json_object_put(answer);
        res->hits = NULL;
        return RC_UNAVAIL;
    }
    if (json_object_object_get_ex(hits, "total", &total)) {
        /* {"value": N, "relation": "eq"} since 7.0 */
        if (json_object_object_get_ex(total, "value", &v)) {
            total = v;
        }
        res->count = (uint64_t)json_object_get_int64(total);
    }
    res->facets =
        json_object_object_get_ex(answer, "aggregations", &v) ? facets_of(v) : facets_of(NULL);
    res->answer = answer;
    return RC_OK;
}

void
search_result_cleanup(struct search_result *res)
{
    json_object_put(res->answer);
    json_object_put(res->facets);
    memset(res, 0, sizeof(*res));
}

/* GET /api/search/ */
int
h_api_search(struct req *r)
{
    struct match_filter f;
    struct search_result res;
    const char *q, *next, *prev;
    int ordered, rc;
    size_t i, n;

    if (es == NULL) {
        return resp_error(r, 503,
                          "Search is off: this server has no ELASTICSEARCH_URL. "
                          "/api/matches/ lists and filters without it.");
    }
    if (search_check_params(&r->q, &r->arena, &q, &f, &ordered, &r->errors) != RC_OK) {
        return resp_param_errors(r);
    }
    if (search_past_window(&f)) {
        return resp_error(r, 404, "Invalid page.");
    }
    rc = search_run(q, &f, ordered, &res);
    if (rc != RC_OK) {
        buf_append_str(&r->headers, "Retry-After: 5\r\n");
        return resp_error(r, 503, "Search is unavailable, try again shortly.");
    }
    n = res.hits ? json_object_array_length(res.hits) : 0;
    if (n == 0 && f.page > 1) {
        search_result_cleanup(&res);
        return resp_error(r, 404, "Invalid page.");
    }
    next = (uint64_t)(f.page * f.page_size) < res.count ? req_page_url(r, f.page + 1) : NULL;
    prev = f.page > 1 ? req_page_url(r, f.page - 1) : NULL;
    render_json_page_start(&r->body, res.count, next, prev);
    for (i = 0; i < n; i++) {
        json_object *src;

        if (json_object_object_get_ex(json_object_array_get_idx(res.hits, i), "_source", &src)) {
            buf_append_str(&r->body, i > 0 ? "," : "");
            render_json_value(&r->body, src);
        }
    }
    buf_append_str(&r->body, "],\"facets\":");
    render_json_value(&r->body, res.facets);
    buf_append_char(&r->body, '}');
    search_result_cleanup(&res);
    return resp_api_json(r);
}
