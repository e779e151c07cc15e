/*
 * search.c: the search engine's side of /api/search/ and of the website's
 * search box: a client per thread, the _search body built from the list's
 * parameters, and the answer read back as match views and facets. See
 * search.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es.h"
#include "log.h"
#include "rc.h"
#include "search.h"
#include "text.h"

struct search {
    struct es *es;
    const char *index;
};

struct search *
search_new(const struct config *cfg)
{
    /* the same settings as the consumer's mirror (README, Configuration) */
    struct es_options opt = {.connect_timeout_ms = cfg->es_connect_timeout_ms,
                             .timeout_ms = cfg->es_timeout_ms,
                             .retries = cfg->es_retries,
                             .retry_max_ms = cfg->es_retry_max_ms};
    struct search *s;

    if (cfg->elasticsearch_url[0] == '\0') {
        return NULL;
    }
    s = xcalloc(1, sizeof(*s));
    s->es = es_new(cfg->elasticsearch_url, &opt);
    s->index = cfg->elasticsearch_index;
    return s;
}

void
search_free(struct search *s)
{
    if (s != NULL) {
        es_free(s->es);
        free(s);
    }
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
    json_object_array_add(fields, json_object_new_string("teams.aliases^2"));
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
json_object *
search_body(const char *q, const struct match_filter *f, int ordered, int fuzzy)
{
    json_object *body = json_object_new_object(), *b = json_object_new_object();
    json_object *should = json_object_new_array();
    json_object *filters = json_object_new_array(), *sort = json_object_new_array();
    json_object *aggs = json_object_new_object(), *t, *range;

    /* the words in one field (each allowed a typo when fuzzy); or spread
     * over the fields ("overcooked bayes"), exactly */
    json_object_array_add(should, multi_match(q, "best_fields", fuzzy));
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

static const char *
doc_str(json_object *o, const char *key, struct arena *a)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return arena_strndup(a, json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

static int
doc_int(json_object *o, const char *key, int64_t *out)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int)) {
        return 0;
    }
    *out = json_object_get_int64(v);
    return 1;
}

/* {"id", "name"} of a title or tournament */
static void
doc_ref(json_object *o, const char *key, struct arena *a, uint64_t *id, const char **name)
{
    json_object *v;
    int64_t i = 0;

    if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object)) {
        (void)doc_int(v, "id", &i);
        *id = (uint64_t)i;
        *name = doc_str(v, "name", a);
    }
}

void
match_from_doc(json_object *doc, struct arena *a, struct match_view *m)
{
    json_object *teams, *t, *w;
    int64_t v = 0;
    size_t i, n;

    memset(m, 0, sizeof(*m));
    (void)doc_int(doc, "id", &v);
    m->id = (uint64_t)v;
    m->source = doc_str(doc, "source", a);
    m->external_id = doc_str(doc, "external_id", a);
    m->url = doc_str(doc, "url", a);
    m->has_state = doc_int(doc, "state", &m->state);
    m->has_bestof = doc_int(doc, "bestof", &m->bestof);
    m->date_start = doc_str(doc, "date_start", a);
    m->updated_at = doc_str(doc, "updated_at", a);
    v = 0;
    (void)doc_int(doc, "fixture_id", &v);
    m->fixture_id = v > 0 ? (uint64_t)v : m->id; /* a document older than the linker: alone */
    doc_ref(doc, "title", a, &m->title_id, &m->title_name);
    doc_ref(doc, "tournament", a, &m->tournament_id, &m->tournament_name);
    if (!json_object_object_get_ex(doc, "teams", &teams) ||
        !json_object_is_type(teams, json_type_array)) {
        return;
    }
    n = json_object_array_length(teams);
    m->teams = arena_alloc(a, (n ? n : 1) * sizeof(*m->teams));
    for (i = 0; i < n; i++) {
        struct team_view *tv = &m->teams[m->nteams];

        t = json_object_array_get_idx(teams, i);
        if (!json_object_is_type(t, json_type_object)) {
            continue;
        }
        memset(tv, 0, sizeof(*tv));
        v = 0;
        (void)doc_int(t, "id", &v);
        tv->id = (uint64_t)v;
        v = 0;
        (void)doc_int(t, "identity_id", &v);
        tv->identity_id = v > 0 ? (uint64_t)v : tv->id;
        tv->name = doc_str(t, "name", a);
        if (tv->name == NULL) {
            tv->name = "";
        }
        tv->has_score = doc_int(t, "score", &tv->score);
        tv->winner = !json_object_object_get_ex(t, "winner", &w) || w == NULL ? TRI_NULL
                     : json_object_get_boolean(w)                             ? TRI_TRUE
                                                                              : TRI_FALSE;
        m->nteams++;
    }
}

/* The buckets of aggs[name] (NULL: none) into res->facets[k]. */
static void
read_facet(json_object *aggs, const char *name, size_t k, struct arena *a,
           struct search_result *res)
{
    json_object *agg, *buckets, *sub, *sb, *key, *count, *b, *nk;
    size_t i, n;

    res->facets[k] = NULL;
    res->nfacets[k] = 0;
    if (aggs == NULL || !json_object_object_get_ex(aggs, name, &agg) ||
        !json_object_object_get_ex(agg, "buckets", &buckets) ||
        !json_object_is_type(buckets, json_type_array)) {
        return;
    }
    n = json_object_array_length(buckets);
    res->facets[k] = arena_alloc(a, (n ? n : 1) * sizeof(*res->facets[k]));
    for (i = 0; i < n; i++) {
        struct search_facet *f = &res->facets[k][res->nfacets[k]];

        b = json_object_array_get_idx(buckets, i);
        if (!json_object_object_get_ex(b, "key", &key) ||
            !json_object_object_get_ex(b, "doc_count", &count)) {
            continue;
        }
        memset(f, 0, sizeof(*f));
        f->count = (uint64_t)json_object_get_int64(count);
        if (k == FACET_STATE) {
            f->value = json_object_get_int64(key);
        } else {
            f->id = json_object_get_int64(key);
            if (json_object_object_get_ex(b, "name", &sub) &&
                json_object_object_get_ex(sub, "buckets", &sb) &&
                json_object_is_type(sb, json_type_array) && json_object_array_length(sb) > 0 &&
                json_object_object_get_ex(json_object_array_get_idx(sb, 0), "key", &nk)) {
                f->name = arena_strndup(a, json_object_get_string(nk),
                                        (size_t)json_object_get_string_len(nk));
            }
        }
        res->nfacets[k]++;
    }
}

int
search_read_answer(json_object *answer, struct arena *a, struct search_result *res)
{
    static const char *const names[NFACETS] = {"title", "tournament", "state"};
    json_object *hits, *list, *total, *v, *aggs = NULL;
    size_t i, n, k;

    memset(res, 0, sizeof(*res));
    if (!json_object_object_get_ex(answer, "hits", &hits) ||
        !json_object_object_get_ex(hits, "hits", &list) ||
        !json_object_is_type(list, json_type_array)) {
        return RC_INVALID;
    }
    if (json_object_object_get_ex(hits, "total", &total)) {
        /* {"value": N, "relation": "eq"} since 7.0 */
        if (json_object_object_get_ex(total, "value", &v)) {
            total = v;
        }
        res->count = (uint64_t)json_object_get_int64(total);
    }
    n = json_object_array_length(list);
    res->ms = arena_alloc(a, (n ? n : 1) * sizeof(*res->ms));
    for (i = 0; i < n; i++) {
        json_object *src;

        if (json_object_object_get_ex(json_object_array_get_idx(list, i), "_source", &src) &&
            json_object_is_type(src, json_type_object)) {
            match_from_doc(src, a, &res->ms[res->n++]);
        }
    }
    (void)json_object_object_get_ex(answer, "aggregations", &aggs);
    for (k = 0; k < NFACETS; k++) {
        read_facet(aggs, names[k], k, a, res);
    }
    return RC_OK;
}

/* One _search; RC_OK (an index not made yet answers nothing), RC_UNAVAIL. */
static int
ask(struct search *s, const char *q, const struct match_filter *f, int ordered, int fuzzy,
    struct arena *a, struct search_result *res)
{
    json_object *body, *answer = NULL;
    const char *text;
    size_t len;
    int rc;

    memset(res, 0, sizeof(*res));
    body = search_body(q, f, ordered, fuzzy);
    text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);
    rc = es_search(s->es, s->index, text, len, &answer);
    json_object_put(body);
    if (rc == RC_NOTFOUND) {
        /* no index yet: nothing mirrored so far, not an outage */
        json_object_put(answer);
        return RC_OK;
    }
    if (rc != RC_OK) {
        json_object_put(answer);
        log_warn("search", "event=search_failed rc=%d err=\"%s\"", rc, es_last_error(s->es));
        return RC_UNAVAIL;
    }
    rc = search_read_answer(answer, a, res);
    json_object_put(answer);
    if (rc != RC_OK) {
        log_warn("search", "event=search_answer_unreadable");
        return RC_UNAVAIL;
    }
    return RC_OK;
}

/* The words as typed first; only when they find nothing, again with a typo
 * allowed per word. Fuzzy matching is most of the engine's work for a query
 * (a third of it without), and a query that finds what it names needs none. */
int
search_run(struct search *s, const char *q, const struct match_filter *f, int ordered,
           struct arena *a, struct search_result *res)
{
    int rc;

    memset(res, 0, sizeof(*res));
    if (s == NULL) {
        return RC_UNAVAIL;
    }
    rc = ask(s, q, f, ordered, 0, a, res);
    if (rc == RC_OK && res->count == 0) {
        rc = ask(s, q, f, ordered, 1, a, res);
    }
    return rc;
}
