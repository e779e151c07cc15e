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
#include "hash.h"
#include "log.h"
#include "mapping.h"
#include "rc.h"
#include "search.h"
#include "text.h"

/* The names of the facets' titles and tournaments this thread has read,
 * for the data version they were read at: an open-addressed table of
 * (kind, id) -> name (NULL: the row was gone). Titles and tournaments are
 * few, and a cold search asked MariaDB for the same few names every time
 * (half of its statements). 12 kB a thread; past KEPT_MAX names the rest
 * are read each time until the data moves. */
#define KEPT_SLOTS 512
#define KEPT_MAX   (KEPT_SLOTS / 2)

struct kept_name {
    int64_t id; /* 0: empty slot (ids start at 1) */
    size_t kind;
    const char *name;
};

struct search {
    struct es *es;
    const char *index;
    uint64_t kept_version; /* 0: nothing kept */
    size_t nkept;
    struct kept_name *kept; /* KEPT_SLOTS, on first use */
    struct arena kept_arena;
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
        free(s->kept);
        arena_cleanup(&s->kept_arena);
        free(s);
    }
}

/* A filter by id, by the name's key (case and runs of white space ignored,
 * as the list does for tournaments and teams), or both. */
static void
name_filter(json_object *filters, const char *field, int64_t id, const char *key)
{
    char f[64];

    if (id > 0) {
        snprintf(f, sizeof(f), "%s.id", field);
        json_object_array_add(filters, es_term(f, json_object_new_int64(id)));
    }
    if (key != NULL) {
        snprintf(f, sizeof(f), "%s.name.key", field);
        json_object_array_add(filters, es_term(f, json_object_new_string(key)));
    }
}

static json_object *
sort_by(const char *field, const char *order)
{
    return es_obj1(field, es_obj1("order", json_object_new_string(order)));
}

/* terms on field.id (the names come from the database: a sub-aggregation
 * for them was a third of the engine's work for a query) */
static json_object *
facet_by_id(const char *field)
{
    char idf[64];
    json_object *t = json_object_new_object();

    snprintf(idf, sizeof(idf), "%s.id", field);
    json_object_object_add(t, "field", json_object_new_string(idf));
    json_object_object_add(t, "size", json_object_new_int(FACET_SIZE));
    return es_obj1("terms", t);
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
    return es_obj1("multi_match", mm);
}

/* The _search body for q with the list's filters, ordering and page. */
json_object *
search_body(const char *q, const struct match_filter *f, int ordered, int fuzzy, int views)
{
    json_object *body = json_object_new_object(), *b = json_object_new_object();
    json_object *should = json_object_new_array();
    json_object *filters = json_object_new_array(), *sort = json_object_new_array();
    json_object *aggs = json_object_new_object(), *t, *range;

    /* as typed: every word in some field, spread over them ("overcooked
     * bayes") or in one; with a typo allowed per word: all in one field.
     * (Each pass has one clause. The words all in one field are also spread
     * over the fields, and what the exact clause finds the first pass
     * already found: a second clause in a pass finds nothing more, and cost
     * the engine half of its work per query.) */
    json_object_array_add(should, fuzzy ? multi_match(q, "best_fields", 1)
                                        : multi_match(q, "cross_fields", 0));
    json_object_object_add(b, "should", should);
    json_object_object_add(b, "minimum_should_match", json_object_new_int(1));

    name_filter(filters, "title", f->title_id, f->title_key);
    name_filter(filters, "tournament", f->tournament_id, f->tournament_key);
    name_filter(filters, "teams", f->team_id, f->team_key);
    if (f->has_state) {
        json_object_array_add(filters, es_term("state", json_object_new_int64(f->state)));
    }
    if (f->source != NULL) {
        json_object_array_add(filters, es_term("source", json_object_new_string(f->source)));
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
        json_object_array_add(filters, es_obj1("range", es_obj1("date_start", range)));
    }
    json_object_object_add(b, "filter", filters);
    json_object_object_add(body, "query", es_obj1("bool", b));

    /* relevance unless an ordering was asked for; ties by id */
    if (!ordered) {
        json_object_array_add(sort, json_object_new_string("_score"));
        json_object_array_add(sort, sort_by("id", "desc"));
    } else if (f->order == ORDER_DATE_DESC || f->order == ORDER_DATE_ASC) {
        const char *dir = f->order == ORDER_DATE_DESC ? "desc" : "asc";
        t = es_obj1("order", json_object_new_string(dir));
        json_object_object_add(t, "missing", json_object_new_string("_last"));
        json_object_array_add(sort, es_obj1("date_start", t));
        json_object_array_add(sort, sort_by("id", dir));
    } else {
        json_object_array_add(sort, sort_by("id", f->order == ORDER_ID_ASC ? "asc" : "desc"));
    }
    json_object_object_add(body, "sort", sort);
    json_object_object_add(body, "from", json_object_new_int64((f->page - 1) * f->page_size));
    json_object_object_add(body, "size", json_object_new_int64(f->page_size));
    json_object_object_add(body, "track_total_hits", json_object_new_boolean(1));
    /* from doc values only: the id, and the view when asked (a page's 20 to
     * 50 rows from MariaDB were a third of the machine's CPU for a search).
     * Reading and sending the whole documents was two thirds of the
     * engine's work. */
    json_object_object_add(body, "_source", json_object_new_boolean(0));
    json_object_object_add(body, "stored_fields", json_object_new_string("_none_"));
    t = json_object_new_array();
    json_object_array_add(t, json_object_new_string("id"));
    if (views) {
        json_object_array_add(t, json_object_new_string(MAPPING_VIEW));
    }
    json_object_object_add(body, "docvalue_fields", t);

    json_object_object_add(aggs, "title", facet_by_id("title"));
    json_object_object_add(aggs, "tournament", facet_by_id("tournament"));
    t = json_object_new_object();
    json_object_object_add(t, "field", json_object_new_string("state"));
    json_object_object_add(t, "size", json_object_new_int(FACET_SIZE));
    json_object_object_add(aggs, "state", es_obj1("terms", t));
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

/* The buckets of aggs[name] (NULL: none) into res->facets[k]. */
static void
read_facet(json_object *aggs, const char *name, size_t k, struct arena *a,
           struct search_result *res)
{
    json_object *agg, *buckets, *key, *count, *b;
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
            f->id = json_object_get_int64(key); /* its name: search_load_matches */
        }
        res->nfacets[k]++;
    }
}

/* fields.view of a hit whose id is id, when it is that match's document:
 * {"id":<id>,...}, well-formed UTF-8 with no control byte (render_json
 * escapes them all). A view that is not (a mirror of another build, a
 * hand-made document) is left unread: the row then comes from the
 * database. */
static void
read_view(json_object *fields, uint64_t id, struct arena *a, struct search_view *out)
{
    json_object *list, *v;
    char head[32];
    const char *s;
    size_t len, hlen, i;

    out->json = NULL;
    out->len = 0;
    if (!json_object_object_get_ex(fields, MAPPING_VIEW, &list) ||
        !json_object_is_type(list, json_type_array) || json_object_array_length(list) != 1 ||
        !json_object_is_type((v = json_object_array_get_idx(list, 0)), json_type_string)) {
        return;
    }
    s = json_object_get_string(v);
    len = (size_t)json_object_get_string_len(v);
    hlen = (size_t)snprintf(head, sizeof(head), "{\"id\":%llu,", (unsigned long long)id);
    if (len <= hlen || len > 4 * MAPPING_VIEW_MAX || memcmp(s, head, hlen) != 0 ||
        s[len - 1] != '}') {
        return;
    }
    for (i = hlen; i < len; i++) {
        if ((unsigned char)s[i] < 0x20) {
            return;
        }
    }
    if (utf8_check(s, len, &i) != RC_OK) {
        return;
    }
    out->json = arena_strndup(a, s, len);
    out->len = len;
}

int
search_read_answer(json_object *answer, struct arena *a, struct search_result *res)
{
    static const char *const names[NFACETS] = {"title", "tournament", "state"};
    json_object *hits, *list, *total, *v, *aggs = NULL;
    size_t i, n, k;

    memset(res, 0, sizeof(*res));
    if (!json_object_object_get_ex(answer, "hits", &hits) ||
        !json_object_is_type(hits, json_type_object)) {
        return RC_INVALID;
    }
    /* filtered by ANSWER_PARTS, an answer without hits has no list at all */
    if (!json_object_object_get_ex(hits, "hits", &list)) {
        list = NULL;
    } else if (!json_object_is_type(list, json_type_array)) {
        return RC_INVALID;
    }
    if (json_object_object_get_ex(hits, "total", &total)) {
        /* {"value": N, "relation": "eq"} since 7.0 */
        if (json_object_object_get_ex(total, "value", &v)) {
            total = v;
        }
        res->count = (uint64_t)json_object_get_int64(total);
    }
    n = list != NULL ? json_object_array_length(list) : 0;
    res->ms = arena_alloc(a, (n ? n : 1) * sizeof(*res->ms));
    res->views = arena_alloc(a, (n ? n : 1) * sizeof(*res->views));
    for (i = 0; i < n; i++) {
        json_object *fields, *ids, *id;

        /* {"fields": {"id": [N], "view": ["{...}"]}}: from the doc values */
        if (json_object_object_get_ex(json_object_array_get_idx(list, i), "fields", &fields) &&
            json_object_object_get_ex(fields, "id", &ids) &&
            json_object_is_type(ids, json_type_array) && json_object_array_length(ids) == 1 &&
            json_object_is_type((id = json_object_array_get_idx(ids, 0)), json_type_int) &&
            json_object_get_int64(id) > 0) {
            memset(&res->ms[res->n], 0, sizeof(res->ms[res->n]));
            res->ms[res->n].id = (uint64_t)json_object_get_int64(id);
            read_view(fields, res->ms[res->n].id, a, &res->views[res->n]);
            res->n++;
        }
    }
    (void)json_object_object_get_ex(answer, "aggregations", &aggs);
    for (k = 0; k < NFACETS; k++) {
        read_facet(aggs, names[k], k, a, res);
    }
    return RC_OK;
}

/* What search_read_answer reads of an answer: the engine sends nothing else
 * (a hit's index, score and sort values were three quarters of its bytes). */
#define ANSWER_PARTS                                                                               \
    "hits.total,hits.hits.fields,aggregations.*.buckets.key,aggregations.*.buckets.doc_count"

/* One _search; RC_OK (an index not made yet answers nothing), RC_UNAVAIL. */
static int
ask(struct search *s, const char *q, const struct match_filter *f, int ordered, int fuzzy,
    int views, struct arena *a, struct search_result *res)
{
    json_object *body, *answer = NULL;
    const char *text;
    size_t len;
    int rc;

    memset(res, 0, sizeof(*res));
    body = search_body(q, f, ordered, fuzzy, views);
    text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);
    rc = es_search(s->es, s->index, ANSWER_PARTS, text, len, &answer);
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
search_run(struct search *s, const char *q, const struct match_filter *f, int ordered, int views,
           struct arena *a, struct search_result *res)
{
    int rc;

    memset(res, 0, sizeof(*res));
    if (s == NULL) {
        return RC_UNAVAIL;
    }
    rc = ask(s, q, f, ordered, 0, views, a, res);
    if (rc == RC_OK && res->count == 0) {
        rc = ask(s, q, f, ordered, 1, views, a, res);
    }
    return rc;
}

_Static_assert(FACET_SIZE <= NAMES_MAX, "every facet bucket's name is looked up");

/* The slot of (kind, id): where it is kept, or the empty slot it would take. */
static struct kept_name *
kept_slot(struct search *s, size_t kind, int64_t id)
{
    const int64_t key[2] = {id, (int64_t)kind};
    size_t i = (size_t)(hash_bytes(key, sizeof(key)) % KEPT_SLOTS);

    while (s->kept[i].id != 0 && (s->kept[i].id != id || s->kept[i].kind != kind)) {
        i = (i + 1) % KEPT_SLOTS;
    }
    return &s->kept[i];
}

/* Starts keeping names for version (forgetting those of another). */
static void
kept_start(struct search *s, uint64_t version)
{
    if (s->kept == NULL) {
        s->kept = xcalloc(KEPT_SLOTS, sizeof(*s->kept));
        /* a few hundred short names: small chunks */
        arena_init(&s->kept_arena, 4 * 1024);
    } else if (s->kept_version == version) {
        return;
    } else {
        memset(s->kept, 0, KEPT_SLOTS * sizeof(*s->kept));
        arena_reset(&s->kept_arena);
    }
    s->nkept = 0;
    s->kept_version = version;
}

/* The names of the title and tournament facets' buckets, as the database
 * has them at version (a bucket whose row is gone keeps a NULL name): those
 * kept for it, the others asked in one statement and kept. version 0
 * (unknown) keeps nothing. */
static int
load_facet_names(struct search *s, struct db *db, uint64_t version, struct arena *a,
                 struct search_result *res)
{
    static const size_t kinds[2] = {FACET_TITLE, FACET_TOURNAMENT};
    int64_t ids[2][NAMES_MAX];
    size_t bucket[2][NAMES_MAX]; /* the bucket each id asked is the id of */
    const char *names[2][NAMES_MAX];
    const int64_t *idp[2] = {ids[0], ids[1]};
    const char **namep[2] = {names[0], names[1]};
    size_t n[2], k, i, nb;
    int keep = s != NULL && version != 0, rc;

    if (keep) {
        kept_start(s, version);
    }
    for (k = 0; k < 2; k++) {
        n[k] = 0;
        nb = res->nfacets[kinds[k]] < NAMES_MAX ? res->nfacets[kinds[k]] : NAMES_MAX;
        for (i = 0; i < nb; i++) {
            struct search_facet *f = &res->facets[kinds[k]][i];
            struct kept_name *e = keep && f->id > 0 ? kept_slot(s, k, f->id) : NULL;

            if (e != NULL && e->id != 0) {
                f->name = e->name;
            } else {
                bucket[k][n[k]] = i;
                ids[k][n[k]++] = f->id;
            }
        }
    }
    if (n[0] + n[1] == 0) {
        return RC_OK;
    }
    rc = db_matches_names(db, idp, n, a, namep);
    for (k = 0; rc == RC_OK && k < 2; k++) {
        for (i = 0; i < n[k]; i++) {
            struct kept_name *e;

            res->facets[kinds[k]][bucket[k][i]].name = names[k][i];
            if (!keep || ids[k][i] <= 0 || s->nkept >= KEPT_MAX) {
                continue;
            }
            e = kept_slot(s, k, ids[k][i]);
            if (e->id == 0) {
                e->id = ids[k][i];
                e->kind = k;
                e->name = names[k][i] == NULL
                              ? NULL
                              : arena_strndup(&s->kept_arena, names[k][i], strlen(names[k][i]));
                s->nkept++;
            }
        }
    }
    return rc;
}

int
search_load_matches(struct search *s, struct db *db, uint64_t version, struct arena *a,
                    struct search_result *res)
{
    uint64_t *ids;
    struct match_view *rows = NULL;
    size_t nrows = 0, i, k, n = 0, nids = 0;
    int rc;

    rc = load_facet_names(s, db, version, a, res);
    if (rc != RC_OK || res->n == 0) {
        return rc;
    }
    ids = arena_alloc(a, res->n * sizeof(*ids));
    for (i = 0; i < res->n; i++) {
        if (res->views[i].json == NULL) {
            ids[nids++] = res->ms[i].id;
        }
    }
    if (nids == 0) {
        return RC_OK;
    }
    rc = db_matches_find_many(db, ids, nids, a, &rows, &nrows);
    if (rc != RC_OK) {
        return rc;
    }
    /* in the engine's order; a hit without a view whose row is gone is
     * left out */
    for (i = 0; i < res->n; i++) {
        if (res->views[i].json == NULL) {
            for (k = 0; k < nrows && rows[k].id != res->ms[i].id; k++) {
            }
            if (k == nrows) {
                continue;
            }
            res->ms[i] = rows[k];
        }
        res->ms[n] = res->ms[i];
        res->views[n++] = res->views[i];
    }
    res->n = n;
    return RC_OK;
}
