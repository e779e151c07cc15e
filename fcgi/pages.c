/*
 * pages.c: the website. Each page handler validates like the API does (the
 * same parameters, the same validators), asks the same read-side queries,
 * turns the result into a json-c context and renders a mustache template of
 * templates/. The templates are parsed once, when the worker starts; a
 * missing or broken one stops the worker there, not at request time.
 *
 * Everything that reaches a page from a message goes through the template's
 * {{escaped}} variables. The one place a message decides markup is the source
 * link, and only http(s) URLs become links.
 */
#include <json.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "db_matches.h"
#include "db_status.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "mustache.h"
#include "rc.h"
#include "search.h"
#include "text.h"

/* Options of the title select: titles are games, a handful. */
#define SELECT_MAX 200
/* Suggestions under the tournament and team fields: the most active ones;
 * any other name is typed (the page's weight must not grow with the data). */
#define SUGGEST_MAX 30

static struct mustache_set *templates;

/*
 * The form's reference lists (the titles, the most active tournaments and
 * teams) change only with a commit, and counting matches is the costliest
 * query of the page; so each worker keeps them for the data_version they
 * were read at.
 */
static struct {
    uint64_t version; /* 0: nothing kept */
    struct arena arena;
    struct ref_view *v[3];
    size_t n[3];
} refs_kept;

/* The pages; pages_init() refuses to start without each of them. */
static const char *const page_templates[] = {"list", "match", "error"};

int
pages_init(const char *dir, char *err, size_t errlen)
{
    size_t i;

    templates = mustache_set_new();
    if (mustache_set_load_dir(templates, dir, err, errlen) != RC_OK ||
        mustache_set_check(templates, err, errlen) != RC_OK) {
        pages_cleanup();
        return RC_INVALID;
    }
    /* each page rendered once with no data: a missing one is found now */
    for (i = 0; i < sizeof(page_templates) / sizeof(page_templates[0]); i++) {
        json_object *empty = json_object_new_object();
        buf_t scratch;
        int rc;

        buf_init(&scratch, 0);
        rc = mustache_render(templates, page_templates[i], empty, &scratch);
        buf_cleanup(&scratch);
        json_object_put(empty);
        if (rc != RC_OK) {
            snprintf(err, errlen, "%s/%s.mustache: %s", dir, page_templates[i],
                     rc == RC_NOTFOUND ? "missing" : "cannot be rendered");
            pages_cleanup();
            return RC_NOTFOUND;
        }
    }
    return RC_OK;
}

void
pages_cleanup(void)
{
    mustache_set_free(templates);
    templates = NULL;
    arena_cleanup(&refs_kept.arena);
    memset(&refs_kept, 0, sizeof(refs_kept));
}

/* How the states of the samples read: 1 upcoming, 2 finished (they carry
 * the winner); 3 is a match under way. Others show their number. */
static const struct {
    int64_t state;
    const char *label, *css;
} state_labels[] = {{1, "Upcoming", "upcoming"}, {2, "Finished", "finished"}, {3, "Live", "live"}};

#define NSTATES (sizeof(state_labels) / sizeof(state_labels[0]))

static void
add_str(json_object *o, const char *key, const char *s)
{
    if (s != NULL) {
        json_object_object_add(o, key, json_object_new_string(s));
    }
}

static void
add_int(json_object *o, const char *key, int64_t v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

static void
add_bool(json_object *o, const char *key, int v)
{
    json_object_object_add(o, key, json_object_new_boolean(v != 0));
}

/* An ISO 8601 instant for a datetime attribute: HTML allows at most three
 * digits of a second's fraction ("...:56.123456Z" becomes "...:56.123Z"). */
static void
add_datetime(json_object *o, const char *key, const char *iso)
{
    char s[40];
    const char *dot;
    size_t n;

    if (iso == NULL) {
        return;
    }
    dot = strchr(iso, '.');
    n = strlen(iso);
    if (dot == NULL || n >= sizeof(s) || strspn(dot + 1, "0123456789") <= 3) {
        add_str(o, key, iso);
        return;
    }
    memcpy(s, iso, (size_t)(dot - iso) + 4);
    snprintf(s + (dot - iso) + 4, sizeof(s) - (size_t)(dot - iso) - 4, "%s",
             dot + 1 + strspn(dot + 1, "0123456789"));
    add_str(o, key, s);
}

/* "2020-01-07T14:30:00Z" as "2020-01-07 14:30" (the pages say UTC). */
static void
add_time(json_object *o, const char *key, const char *iso, int seconds)
{
    char s[32];
    size_t n;

    if (iso == NULL) {
        return;
    }
    n = strlen(iso);
    if (n < 16 || n >= sizeof(s)) {
        add_str(o, key, iso);
        return;
    }
    memcpy(s, iso, n + 1);
    s[10] = ' ';
    s[seconds && n >= 19 ? 19 : 16] = '\0';
    add_str(o, key, s);
}

static void
add_state(json_object *o, int has_state, int64_t state)
{
    char s[32];
    size_t i;

    if (!has_state) {
        add_str(o, "state_label", "Unknown");
        add_str(o, "state_class", "unknown");
        return;
    }
    add_int(o, "state", state);
    for (i = 0; i < NSTATES; i++) {
        if (state_labels[i].state == state) {
            add_str(o, "state_label", state_labels[i].label);
            add_str(o, "state_class", state_labels[i].css);
            return;
        }
    }
    snprintf(s, sizeof(s), "State %lld", (long long)state);
    add_str(o, "state_label", s);
    add_str(o, "state_class", "other");
}

/* Text a message carried, for a page: invalid UTF-8 (possible only in a
 * raw payload) shows as U+FFFD instead of reaching the browser. */
static json_object *
text_value(const char *s, size_t n)
{
    buf_t b;
    json_object *v;
    size_t bad;

    if (utf8_check(s, n, &bad) == RC_OK) {
        return json_object_new_string_len(s, (int)n);
    }
    buf_init(&b, 0);
    while (n > 0) {
        if (utf8_check(s, n, &bad) == RC_OK) {
            bad = n;
        }
        buf_append(&b, s, bad);
        if (bad < n) {
            buf_append_str(&b, "\xEF\xBF\xBD");
            bad++;
        }
        s += bad;
        n -= bad;
    }
    v = json_object_new_string_len(b.data ? b.data : "", (int)b.len);
    buf_cleanup(&b);
    return v;
}

/* The context of one match, for a table row or the detail page. */
static json_object *
match_ctx(const struct match_view *m)
{
    json_object *o = json_object_new_object(), *teams = json_object_new_array();
    char href[48];
    size_t i;

    add_int(o, "id", (int64_t)m->id);
    snprintf(href, sizeof(href), "/matches/%llu/", (unsigned long long)m->id);
    add_str(o, "href", href);
    add_str(o, "source", m->source);
    add_str(o, "external_id", m->external_id);
    if (m->url != NULL) {
        add_str(o, "url", m->url);
        add_bool(o, "url_is_link",
                 strncmp(m->url, "https://", 8) == 0 || strncmp(m->url, "http://", 7) == 0);
    }
    add_state(o, m->has_state, m->state);
    if (m->has_bestof) {
        add_int(o, "bestof", m->bestof);
    }
    add_bool(o, "has_bestof", m->has_bestof);
    add_datetime(o, "date_start_iso", m->date_start);
    add_time(o, "date_start", m->date_start, 0);
    add_str(o, "title", m->title_name);
    add_str(o, "tournament", m->tournament_name);
    add_time(o, "updated_at", m->updated_at, 1);
    for (i = 0; i < m->nteams; i++) {
        const struct team_view *t = &m->teams[i];
        json_object *tj = json_object_new_object();

        add_int(tj, "id", (int64_t)t->id);
        add_str(tj, "name", t->name[0] != '\0' ? t->name : "(no name)");
        if (t->has_score) {
            add_int(tj, "score", t->score);
        }
        add_bool(tj, "has_score", t->has_score);
        add_bool(tj, "winner", t->winner == TRI_TRUE);
        add_bool(tj, "loser", t->winner == TRI_FALSE);
        add_bool(tj, "last", i + 1 == m->nteams);
        json_object_array_add(teams, tj);
    }
    json_object_object_add(o, "teams", teams);
    return o;
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

/* A search hit's document (the JSON of /api/matches/{id}/) as a match_view,
 * so search results show exactly like list rows. */
static void
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

/* Whether ingestion is stalled, as /healthz judges it; asked of the
 * database at most once a second per worker, so the pages' hot path stays
 * free of round trips. */
int
pages_ingest_stalled(struct req *r)
{
    static long checked_ms = -1;
    static int stalled;
    long now = dt_mono_ms();

    if (checked_ms < 0 || now - checked_ms >= 1000) {
        struct consumer_status cs;
        struct ingest_health h;

        if (db_status_get(r->db, &cs) == RC_OK) {
            ingest_judge(&cs, r->cfg->health_stall_s, &h);
            stalled = h.stalled;
        }
        checked_ms = now;
    }
    return stalled;
}

/* Renders template name with ctx and sends it with status; frees ctx. */
static int
send_page(struct req *r, int status, const char *name, json_object *ctx)
{
    int rc;

    if (pages_ingest_stalled(r)) {
        json_object_object_add(ctx, "ingest_stalled", json_object_new_boolean(1));
    }
    buf_reset(&r->body);
    rc = mustache_render(templates, name, ctx, &r->body);
    json_object_put(ctx);
    if (rc != RC_OK) {
        log_error("pages", "event=render_failed template=%s rc=%d", name, rc);
        buf_reset(&r->body);
        buf_append_str(&r->body, "<!doctype html><title>Internal error</title>"
                                 "<h1>Internal error</h1>");
        return resp_html(r, 500);
    }
    if (status == 200) {
        return resp_html_validated(r);
    }
    return resp_html(r, status);
}

static const char *
status_heading(int status)
{
    switch (status) {
    case 400:
        return "Bad request";
    case 404:
        return "Page not found";
    case 405:
        return "Method not allowed";
    case 503:
        return "Service unavailable";
    default:
        return "Internal error";
    }
}

int
page_error(struct req *r, int status, const char *message)
{
    json_object *ctx;

    if (templates == NULL) {
        return resp_error(r, status, message);
    }
    ctx = json_object_new_object();
    add_int(ctx, "status", status);
    add_str(ctx, "heading", status_heading(status));
    add_str(ctx, "message", message);
    if (status == 503) {
        buf_append_str(&r->headers, "Retry-After: 5\r\n");
    }
    return send_page(r, status, "error", ctx);
}

/* A database failure as a page: 404, 503 or 500. */
static int
page_db_failed(struct req *r, int rc, const char *what)
{
    if (rc == RC_NOTFOUND) {
        return page_error(r, 404, what);
    }
    metrics_db_error();
    if (rc == RC_UNAVAIL) {
        return page_error(r, 503, "The database is unavailable. Please try again shortly.");
    }
    return page_error(r, 500, "Something went wrong on our side. It has been logged.");
}

/* The value the form sent for param, to show it again. */
static const char *
form_value(const struct req *r, const char *param)
{
    size_t i;

    for (i = 0; i < r->q.n; i++) {
        if (strcmp(r->q.p[i].key, param) == 0) {
            return r->q.p[i].val;
        }
    }
    return NULL;
}

/* What was wrong with param, or NULL. */
static const char *
field_error(const struct req *r, const char *param)
{
    size_t i;

    for (i = 0; i < r->errors.n; i++) {
        if (strcmp(r->errors.name[i], param) == 0) {
            return r->errors.msg[i];
        }
    }
    return NULL;
}

/* One field of the filter form: {name, label, value, error}. */
static json_object *
field_ctx(const struct req *r, const char *name, const char *label)
{
    json_object *o = json_object_new_object();

    add_str(o, "name", name);
    add_str(o, "label", label);
    add_str(o, "value", form_value(r, name));
    add_str(o, "error", field_error(r, name));
    return o;
}

/* A date field: a date input can only hold a valid YYYY-MM-DD, so it gets
 * the date part of what was typed when there is one (a time after it
 * aside), and nothing otherwise; the error says what was wrong. */
static json_object *
date_ctx(const struct req *r, const char *name, const char *label)
{
    json_object *o = field_ctx(r, name, label);
    const char *v = form_value(r, name);
    int64_t t;

    if (v != NULL && strlen(v) >= 10 && dt_parse(v, 10, 0, 1, &t, NULL) == RC_OK) {
        json_object_object_add(o, "date_value", json_object_new_string_len(v, 10));
    }
    return o;
}

/* Adds {value, label, selected} to the options of select. */
static void
add_option(json_object *opts, const char *current, const char *value, const char *label)
{
    json_object *o = json_object_new_object();

    add_str(o, "value", value);
    add_str(o, "label", label);
    add_bool(o, "selected", current != NULL && strcmp(current, value) == 0);
    json_object_array_add(opts, o);
}

static void
keep_refs(uint64_t version, struct ref_view *const v[3], const size_t n[3])
{
    size_t k, i;

    if (refs_kept.arena.chunk_size == 0) {
        arena_init(&refs_kept.arena, 64 * 1024);
    }
    arena_reset(&refs_kept.arena);
    for (k = 0; k < 3; k++) {
        refs_kept.v[k] = arena_alloc(&refs_kept.arena, (n[k] ? n[k] : 1) * sizeof(*v[k]));
        for (i = 0; i < n[k]; i++) {
            struct ref_view *d = &refs_kept.v[k][i];

            *d = v[k][i];
            d->name = arena_strndup(&refs_kept.arena, v[k][i].name, strlen(v[k][i].name));
            if (v[k][i].source != NULL) {
                d->source = arena_strndup(&refs_kept.arena, v[k][i].source, strlen(v[k][i].source));
            }
        }
        refs_kept.n[k] = n[k];
    }
    refs_kept.version = version;
}

/* The form's lists (REF_* order): every title (up to SELECT_MAX), the
 * SUGGEST_MAX most active tournaments and teams. */
static int
form_refs(struct req *r, struct ref_view *v[3], size_t n[3])
{
    uint64_t count;
    size_t k;
    int rc;

    if (r->data_version != 0 && refs_kept.version == r->data_version) {
        for (k = 0; k < 3; k++) {
            v[k] = refs_kept.v[k];
            n[k] = refs_kept.n[k];
        }
        return RC_OK;
    }
    rc = db_matches_refs(r->db, REF_TITLES, 1, SELECT_MAX, &r->arena, &v[REF_TITLES],
                         &n[REF_TITLES], &count);
    if (rc == RC_OK) {
        rc = db_matches_top(r->db, REF_TOURNAMENTS, SUGGEST_MAX, &r->arena, &v[REF_TOURNAMENTS],
                            &n[REF_TOURNAMENTS]);
    }
    if (rc == RC_OK) {
        rc = db_matches_top(r->db, REF_TEAMS, SUGGEST_MAX, &r->arena, &v[REF_TEAMS], &n[REF_TEAMS]);
    }
    if (rc != RC_OK) {
        return rc;
    }
    if (r->data_version != 0) {
        keep_refs(r->data_version, v, n);
    }
    return RC_OK;
}

/* The title select: names as values (the title parameter takes a name),
 * the one equal to the filter's ignoring case and white space selected. */
static json_object *
title_select(struct req *r, const struct ref_view *v, size_t n)
{
    json_object *sel = field_ctx(r, "title", "Title"), *opts = json_object_new_array();
    const char *current = form_value(r, "title");
    const char *ckey = current ? text_title_key(&r->arena, current, strlen(current)) : NULL;
    size_t i;

    add_str(sel, "any", "Any title");
    add_bool(sel, "select", 1);
    for (i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        const char *key = text_title_key(&r->arena, v[i].name, strlen(v[i].name));

        add_str(o, "value", v[i].name);
        add_str(o, "label", v[i].name);
        add_bool(o, "selected", ckey != NULL && ckey[0] != '\0' && strcmp(ckey, key) == 0);
        json_object_array_add(opts, o);
    }
    json_object_object_add(sel, "options", opts);
    return sel;
}

/* A name field (tournament, team): typed, matched as the API matches names,
 * with the most active names as suggestions (a datalist). */
static json_object *
name_field(struct req *r, const struct ref_view *v, size_t n, const char *name, const char *label,
           const char *any)
{
    json_object *f = field_ctx(r, name, label), *opts = json_object_new_array();
    size_t i;

    add_str(f, "any", any);
    add_bool(f, "text", 1);
    for (i = 0; i < n; i++) {
        json_object_array_add(opts, json_object_new_string(v[i].name));
    }
    json_object_object_add(f, "suggestions", opts);
    return f;
}

/* The filter form as submitted: the selects (reference lists, states,
 * ordering), the dates as typed, each error next to its field and all of
 * them in a summary. */
static int
form_ctx(struct req *r, json_object **out)
{
    static const struct {
        const char *value, *label;
    } orderings[] = {{"-date_start", "Newest first"},
                     {"date_start", "Oldest first"},
                     {"-id", "Recently added"},
                     {"id", "First added"}};
    /* how the summary names a parameter */
    static const struct {
        const char *name, *label;
    } labels[] = {{"q", "Search"},
                  {"date_start__gte", "From"},
                  {"date_start__lte", "To"},
                  {"ordering", "Order"},
                  {"state", "State"},
                  {"title", "Title"},
                  {"tournament", "Tournament"},
                  {"team", "Team"},
                  {"title_id", "Title id"},
                  {"tournament_id", "Tournament id"},
                  {"team_id", "Team id"},
                  {"page", "Page"},
                  {"page_size", "Page size"},
                  {"source", "Source"}};
    json_object *form, *selects;
    static const char *const id_params[] = {"title_id", "tournament_id", "team_id"};
    json_object *sel, *opts, *all, *hidden;
    struct ref_view *views[3];
    size_t nviews[3];
    char s[24];
    size_t i;
    int rc;

    rc = form_refs(r, views, nviews);
    if (rc != RC_OK) {
        return rc;
    }
    form = json_object_new_object();
    selects = json_object_new_array();
    all = json_object_new_array();
    json_object_object_add(form, "selects", selects);
    json_object_object_add(form, "errors", all);
    json_object_array_add(selects, title_select(r, views[REF_TITLES], nviews[REF_TITLES]));
    json_object_array_add(selects, name_field(r, views[REF_TOURNAMENTS], nviews[REF_TOURNAMENTS],
                                              "tournament", "Tournament", "Any tournament"));
    json_object_array_add(
        selects, name_field(r, views[REF_TEAMS], nviews[REF_TEAMS], "team", "Team", "Any team"));
    sel = field_ctx(r, "state", "State");
    add_str(sel, "any", "Any state");
    add_bool(sel, "select", 1);
    opts = json_object_new_array();
    for (i = 0; i < NSTATES; i++) {
        snprintf(s, sizeof(s), "%lld", (long long)state_labels[i].state);
        add_option(opts, form_value(r, "state"), s, state_labels[i].label);
    }
    json_object_object_add(sel, "options", opts);
    json_object_array_add(selects, sel);

    sel = field_ctx(r, "ordering", "Order");
    add_bool(sel, "select", 1);
    opts = json_object_new_array();
    for (i = 0; i < sizeof(orderings) / sizeof(orderings[0]); i++) {
        add_option(opts, form_value(r, "ordering"), orderings[i].value, orderings[i].label);
    }
    json_object_object_add(sel, "options", opts);
    json_object_array_add(selects, sel);

    /* the id filters a facet link set have no field: kept when the form is sent again */
    hidden = json_object_new_array();
    for (i = 0; i < sizeof(id_params) / sizeof(id_params[0]); i++) {
        if (form_value(r, id_params[i]) != NULL) {
            json_object_array_add(hidden, field_ctx(r, id_params[i], id_params[i]));
        }
    }
    json_object_object_add(form, "hidden", hidden);
    json_object_object_add(form, "q", field_ctx(r, "q", "Search"));
    json_object_object_add(form, "date_from", date_ctx(r, "date_start__gte", "From"));
    json_object_object_add(form, "date_to", date_ctx(r, "date_start__lte", "To"));
    for (i = 0; i < r->errors.n; i++) {
        json_object *e = json_object_new_object();
        size_t k;

        add_str(e, "field", r->errors.name[i]);
        add_str(e, "label", r->errors.name[i]);
        for (k = 0; k < sizeof(labels) / sizeof(labels[0]); k++) {
            if (strcmp(labels[k].name, r->errors.name[i]) == 0) {
                add_str(e, "label", labels[k].label);
            }
        }
        add_str(e, "message", r->errors.msg[i]);
        json_object_array_add(all, e);
    }
    *out = form;
    return RC_OK;
}

/* Drops the parameters an empty form field sends ("title=&state="), so
 * "any" is simply no filter. */
static void
drop_empty_params(struct query *q)
{
    size_t i, n = 0;

    for (i = 0; i < q->n; i++) {
        if (q->p[i].val[0] != '\0') {
            q->p[n++] = q->p[i];
        }
    }
    q->n = n;
}

/* Pagination: "?<the filters>&page=N" links and where we are. */
static json_object *
pager_ctx(struct req *r, int64_t page, int64_t page_size, uint64_t count)
{
    json_object *o = json_object_new_object();
    int64_t pages =
        count == 0 ? 1 : (int64_t)((count + (uint64_t)page_size - 1) / (uint64_t)page_size);

    add_int(o, "page", page);
    add_int(o, "pages", pages);
    if (page > 1) {
        add_str(o, "first", req_page_query(r, 1));
        add_str(o, "previous", req_page_query(r, page - 1));
    }
    if (page < pages) {
        add_str(o, "next", req_page_query(r, page + 1));
        add_str(o, "last", req_page_query(r, pages));
    }
    add_bool(o, "several", pages > 1);
    return o;
}

/* The search's facets as links that add the filter to this search. */
static json_object *
facet_links(struct req *r, json_object *facets)
{
    static const char *const fields[] = {"title", "tournament"};
    static const char *const id_params[] = {"title_id", "tournament_id"};
    json_object *out = json_object_new_array(), *list, *b, *v;
    size_t i, k, n;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        /* a field already filtered has nothing to refine */
        if (form_value(r, fields[i]) != NULL || form_value(r, id_params[i]) != NULL ||
            !json_object_object_get_ex(facets, fields[i], &list)) {
            continue;
        }
        n = json_object_array_length(list);
        for (k = 0; k < n; k++) {
            json_object *o = json_object_new_object();
            const char *base = req_page_query(r, 1);
            char *href;
            size_t len;

            b = json_object_array_get_idx(list, k);
            add_str(o, "field", fields[i]);
            add_str(o, "name",
                    json_object_object_get_ex(b, "name", &v) && v != NULL
                        ? json_object_get_string(v)
                        : "(none)");
            (void)json_object_object_get_ex(b, "count", &v);
            add_int(o, "count", json_object_get_int64(v));
            (void)json_object_object_get_ex(b, "id", &v);
            len = strlen(base) + strlen(id_params[i]) + 32;
            href = arena_alloc(&r->arena, len);
            snprintf(href, len, "%s%s%s=%lld", base, strcmp(base, "?") == 0 ? "" : "&",
                     id_params[i], (long long)json_object_get_int64(v));
            add_str(o, "href", href);
            json_object_array_add(out, o);
        }
    }
    return out;
}

/* GET /: the match list with its filter form; with q, the same table from
 * the search engine, by relevance unless an order is chosen. */
int
h_page_list(struct req *r)
{
    struct match_filter f = {0};
    struct match_view *ms = NULL;
    struct search_result res = {0};
    json_object *ctx, *form, *rows;
    const char *q = NULL;
    size_t n = 0, i;
    uint64_t count = 0;
    int rc, status = 200, ordered;

    drop_empty_params(&r->q);
    if (r->errors.n == 0 && form_value(r, "q") != NULL) {
        r->uncached = 1; /* the engine moves on its own */
        if (!search_enabled()) {
            param_error(&r->errors, "q", "search is off on this server");
        } else if (search_check_params(&r->q, &r->arena, &q, &f, &ordered, &r->errors) == RC_OK) {
            if (search_past_window(&f)) {
                return page_error(r, 404, "There is no such page of matches.");
            }
            if (search_run(q, &f, ordered, &res) != RC_OK) {
                return page_error(r, 503, "Search is unavailable. Please try again shortly.");
            }
            n = json_object_array_length(res.hits);
            ms = arena_alloc(&r->arena, (n ? n : 1) * sizeof(*ms));
            for (i = 0; i < n; i++) {
                json_object *src = NULL;

                (void)json_object_object_get_ex(json_object_array_get_idx(res.hits, i), "_source",
                                                &src);
                match_from_doc(src, &r->arena, &ms[i]);
            }
            count = res.count;
        }
    } else if (r->errors.n == 0) {
        param_match_filter(&r->q, &r->arena, &f, &r->errors);
        if (r->errors.n == 0) {
            rc = db_matches_list(r->db, &f, &r->arena, &ms, &n, &count);
            if (rc != RC_OK) {
                return page_db_failed(r, rc, "No such matches.");
            }
        }
    }
    if (r->errors.n > 0) {
        status = 400;
    } else if (n == 0 && f.page > 1) {
        search_result_cleanup(&res);
        return page_error(r, 404, "There is no such page of matches.");
    }
    rc = form_ctx(r, &form);
    if (rc != RC_OK) {
        search_result_cleanup(&res);
        return page_db_failed(r, rc, "No such list.");
    }
    ctx = json_object_new_object();
    json_object_object_add(ctx, "form", form);
    add_bool(ctx, "invalid", status != 200);
    add_bool(ctx, "search_on", search_enabled());
    if (status == 200) {
        rows = json_object_new_array();
        for (i = 0; i < n; i++) {
            json_object_array_add(rows, match_ctx(&ms[i]));
        }
        json_object_object_add(ctx, "matches", rows);
        add_bool(ctx, "has_matches", n > 0);
        add_int(ctx, "count", (int64_t)count);
        add_bool(ctx, "one", count == 1);
        add_bool(ctx, "filtered", r->q.n > 0);
        add_str(ctx, "q", q);
        if (q != NULL) {
            json_object *fl = facet_links(r, res.facets);

            add_bool(ctx, "has_facets", json_object_array_length(fl) > 0);
            json_object_object_add(ctx, "facets", fl);
        }
        json_object_object_add(ctx, "pager", pager_ctx(r, f.page, f.page_size, count));
    }
    search_result_cleanup(&res);
    return send_page(r, status, "list", ctx);
}

/* GET /matches/{id}/: one match and the messages that built it. */
int
h_page_match(struct req *r)
{
    struct match_view *m;
    struct message_view *msgs;
    json_object *ctx, *hist;
    uint64_t id;
    size_t n, i;
    int rc;

    if (param_id(r->route_arg, &id) != RC_OK) {
        return page_error(r, 404, "There is no such match.");
    }
    rc = db_matches_find_by_id(r->db, id, &r->arena, &m);
    if (rc == RC_OK) {
        rc = db_matches_messages(r->db, id, &r->arena, &msgs, &n);
    }
    if (rc != RC_OK) {
        return page_db_failed(r, rc, "There is no such match.");
    }
    ctx = json_object_new_object();
    json_object_object_add(ctx, "match", match_ctx(m));
    hist = json_object_new_array();
    for (i = 0; i < n; i++) {
        json_object *o = json_object_new_object();

        add_int(o, "id", (int64_t)msgs[i].id);
        add_datetime(o, "received_at_iso", msgs[i].received_at);
        add_time(o, "received_at", msgs[i].received_at, 1);
        add_str(o, "status", msgs[i].status);
        add_str(o, "error", msgs[i].error);
        json_object_object_add(o, "payload", text_value(msgs[i].payload, msgs[i].len));
        json_object_array_add(hist, o);
    }
    json_object_object_add(ctx, "messages", hist);
    add_int(ctx, "message_count", (int64_t)n);
    add_bool(ctx, "one_message", n == 1);
    return send_page(r, 200, "match", ctx);
}
