/*
 * view.c: the pages' view models (json-c contexts for the templates), the
 * reference lists of the filter form kept per data version, and rendering;
 * see view.h.
 */
#include <json.h>
#include <stdio.h>
#include <string.h>

#include "db_fixtures.h"
#include "db_matches.h"
#include "db_status.h"
#include "log.h"
#include "mustache.h"
#include "rc.h"
#include "util.h"
#include "clock.h"
#include "text.h"
#include "view.h"

/* Options of the title select: titles are games, a handful. */
#define SELECT_MAX 200
/* Suggestions under the tournament and team fields: the most active ones;
 * any other name is typed (the page's weight must not grow with the data). */
#define SUGGEST_MAX 30

/* The pages; view_load() refuses to start without each of them. */
static const char *const page_templates[] = {"list", "match", "team", "error"};

struct mustache_set *
view_load(const char *dir, char *err, size_t errlen)
{
    struct mustache_set *t = mustache_set_new();
    size_t i;

    if (mustache_set_load_dir(t, dir, err, errlen) != RC_OK ||
        mustache_set_check(t, err, errlen) != RC_OK) {
        mustache_set_free(t);
        return NULL;
    }
    /* each page rendered once with no data: a missing one is found now */
    for (i = 0; i < ARRAY_SIZE(page_templates); i++) {
        json_object *empty = json_object_new_object();
        buf_t scratch;
        int rc;

        buf_init(&scratch, 0);
        rc = mustache_render(t, page_templates[i], empty, &scratch);
        buf_cleanup(&scratch);
        json_object_put(empty);
        if (rc != RC_OK) {
            snprintf(err, errlen, "%s/%s.mustache: %s", dir, page_templates[i],
                     rc == RC_NOTFOUND ? "missing" : "cannot be rendered");
            mustache_set_free(t);
            return NULL;
        }
    }
    return t;
}

void
view_refs_cleanup(struct refs_kept *k)
{
    arena_cleanup(&k->arena);
    memset(k, 0, sizeof(*k));
}

/* How the states of the samples read: 1 upcoming, 2 finished (they carry
 * the winner); 3 is a match under way. Others show their number. */
static const struct {
    int64_t state;
    const char *label, *css;
} state_labels[] = {{1, "Upcoming", "upcoming"}, {2, "Finished", "finished"}, {3, "Live", "live"}};

#define NSTATES ARRAY_SIZE(state_labels)

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

json_object *
view_match(const struct match_view *m)
{
    json_object *o = json_object_new_object(), *teams = json_object_new_array();
    char href[48];
    size_t i;

    add_int(o, "id", (int64_t)m->id);
    add_int(o, "fixture_id", (int64_t)m->fixture_id);
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
        snprintf(href, sizeof(href), "/teams/%llu/", (unsigned long long)t->id);
        add_str(tj, "href", href);
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

const char *
view_form_value(const struct req *r, const char *param)
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
    add_str(o, "value", view_form_value(r, name));
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
    const char *v = view_form_value(r, name);
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

#define REFS_CHUNK (4 * 1024)

static void
keep_refs(struct refs_kept *kept, uint64_t version, struct ref_view *const v[3], const size_t n[3])
{
    size_t k, i;

    if (kept->arena.chunk_size == 0) {
        /* the lists take a few kB: small chunks, not a request arena's */
        arena_init(&kept->arena, REFS_CHUNK);
    }
    arena_reset(&kept->arena);
    for (k = 0; k < 3; k++) {
        kept->v[k] = arena_alloc(&kept->arena, (n[k] ? n[k] : 1) * sizeof(*v[k]));
        for (i = 0; i < n[k]; i++) {
            struct ref_view *d = &kept->v[k][i];

            *d = v[k][i];
            d->name = arena_strndup(&kept->arena, v[k][i].name, strlen(v[k][i].name));
            if (v[k][i].source != NULL) {
                d->source = arena_strndup(&kept->arena, v[k][i].source, strlen(v[k][i].source));
            }
        }
        kept->n[k] = n[k];
    }
    kept->version = version;
}

/* The form's lists (REF_* order): every title (up to SELECT_MAX), the
 * SUGGEST_MAX most active tournaments and teams. */
static int
form_refs(struct req *r, struct ref_view *v[3], size_t n[3])
{
    const struct refs_kept *kept = &r->w->refs;
    uint64_t count;
    size_t k;
    int rc;

    if (r->data_version != 0 && kept->version == r->data_version) {
        for (k = 0; k < 3; k++) {
            v[k] = kept->v[k];
            n[k] = kept->n[k];
        }
        return RC_OK;
    }
    rc = db_matches_refs(r->w->db, REF_TITLES, 1, SELECT_MAX, &r->arena, &v[REF_TITLES],
                         &n[REF_TITLES], &count);
    if (rc == RC_OK) {
        rc = db_matches_top(r->w->db, REF_TOURNAMENTS, SUGGEST_MAX, &r->arena, &v[REF_TOURNAMENTS],
                            &n[REF_TOURNAMENTS]);
    }
    if (rc == RC_OK) {
        rc = db_matches_top(r->w->db, REF_TEAMS, SUGGEST_MAX, &r->arena, &v[REF_TEAMS],
                            &n[REF_TEAMS]);
    }
    if (rc != RC_OK) {
        return rc;
    }
    if (r->data_version != 0) {
        keep_refs(&r->w->refs, r->data_version, v, n);
    }
    return RC_OK;
}

/* The title select: names as values (the title parameter takes a name),
 * the one equal to the filter's ignoring case and white space selected. */
static json_object *
title_select(struct req *r, const struct ref_view *v, size_t n)
{
    json_object *sel = field_ctx(r, "title", "Title"), *opts = json_object_new_array();
    const char *current = view_form_value(r, "title");
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

int
view_form(struct req *r, json_object **out)
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
                  {"source", "Source"},
                  {"view", "Show"}};
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
        add_option(opts, view_form_value(r, "state"), s, state_labels[i].label);
    }
    json_object_object_add(sel, "options", opts);
    json_object_array_add(selects, sel);

    sel = field_ctx(r, "view", "Show");
    add_bool(sel, "select", 1);
    opts = json_object_new_array();
    add_option(opts, view_form_value(r, "view"), "matches", "Each source's matches");
    add_option(opts, view_form_value(r, "view"), "fixtures", "Fixtures (sources merged)");
    json_object_object_add(sel, "options", opts);
    json_object_array_add(selects, sel);

    sel = field_ctx(r, "ordering", "Order");
    add_bool(sel, "select", 1);
    opts = json_object_new_array();
    for (i = 0; i < ARRAY_SIZE(orderings); i++) {
        add_option(opts, view_form_value(r, "ordering"), orderings[i].value, orderings[i].label);
    }
    json_object_object_add(sel, "options", opts);
    json_object_array_add(selects, sel);

    /* the id filters a facet link set have no field: kept when the form is sent again */
    hidden = json_object_new_array();
    for (i = 0; i < ARRAY_SIZE(id_params); i++) {
        if (view_form_value(r, id_params[i]) != NULL) {
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
        for (k = 0; k < ARRAY_SIZE(labels); k++) {
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

json_object *
view_pager(struct req *r, int64_t page, int64_t page_size, uint64_t count)
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

json_object *
view_facets(struct req *r, const struct search_result *res)
{
    static const char *const fields[] = {"title", "tournament"};
    static const char *const id_params[] = {"title_id", "tournament_id"};
    json_object *out = json_object_new_array();
    size_t i, k;

    for (i = 0; i < ARRAY_SIZE(fields); i++) {
        /* a field already filtered has nothing to refine */
        if (view_form_value(r, fields[i]) != NULL || view_form_value(r, id_params[i]) != NULL) {
            continue;
        }
        for (k = 0; k < res->nfacets[i]; k++) {
            const struct search_facet *b = &res->facets[i][k];
            json_object *o = json_object_new_object();
            const char *base = req_page_query(r, 1);
            char *href;
            size_t len;

            add_str(o, "field", fields[i]);
            add_str(o, "name", b->name != NULL ? b->name : "(none)");
            add_int(o, "count", (int64_t)b->count);
            len = strlen(base) + strlen(id_params[i]) + 32;
            href = arena_alloc(&r->arena, len);
            snprintf(href, len, "%s%s%s=%lld", base, strcmp(base, "?") == 0 ? "" : "&",
                     id_params[i], (long long)b->id);
            add_str(o, "href", href);
            json_object_array_add(out, o);
        }
    }
    return out;
}

json_object *
view_message(const struct message_view *m)
{
    json_object *o = json_object_new_object();

    add_int(o, "id", (int64_t)m->id);
    add_datetime(o, "received_at_iso", m->received_at);
    add_time(o, "received_at", m->received_at, 1);
    add_str(o, "status", m->status);
    add_str(o, "error", m->error);
    json_object_object_add(o, "payload", text_value(m->payload, m->len));
    return o;
}

int
view_ingest_stalled(struct req *r)
{
    struct worker *w = r->w;
    long now = dt_mono_ms();

    if (w->stalled_checked_ms < 0 || now - w->stalled_checked_ms >= 1000) {
        struct consumer_status cs;
        struct ingest_health h;

        if (db_status_get(w->db, &cs) == RC_OK) {
            ingest_judge(&cs, w->cfg->health_stall_s, &h);
            w->stalled = h.stalled;
        }
        w->stalled_checked_ms = now;
    }
    return w->stalled;
}

int
view_render(struct req *r, const char *name, json_object *ctx)
{
    int rc;

    if (view_ingest_stalled(r)) {
        json_object_object_add(ctx, "ingest_stalled", json_object_new_boolean(1));
    }
    if (r->scripted && strcmp(name, "error") != 0) {
        json_object_object_add(ctx, "live", json_object_new_boolean(1));
    } else {
        r->scripted = 0; /* an error page has no script: its CSP allows none */
    }
    buf_reset(&r->body);
    rc = mustache_render(r->w->templates, name, ctx, &r->body);
    json_object_put(ctx);
    if (rc != RC_OK) {
        log_error("pages", "event=render_failed template=%s rc=%d", name, rc);
        buf_reset(&r->body);
        buf_append_str(&r->body, "<!doctype html><title>Internal error</title>"
                                 "<h1>Internal error</h1>");
        return RC_ERR;
    }
    return RC_OK;
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
view_error(struct req *r, int status, const char *message)
{
    json_object *ctx;

    if (r->w->templates == NULL) {
        return RC_NOTFOUND;
    }
    ctx = json_object_new_object();
    add_int(ctx, "status", status);
    add_str(ctx, "heading", status_heading(status));
    add_str(ctx, "message", message);
    (void)view_render(r, "error", ctx);
    return RC_OK;
}

/* The linker's evidence (JSON text) as {confidence, fields: [{field, level,
 * weight}], veto}; NULL when there is none. */
static json_object *
evidence_ctx(const char *text)
{
    json_object *e = text ? json_tokener_parse(text) : NULL, *fields, *out, *list, *v;
    size_t i;
    char w[32];

    if (e == NULL || !json_object_is_type(e, json_type_object)) {
        json_object_put(e);
        return NULL;
    }
    out = json_object_new_object();
    list = json_object_new_array();
    if (json_object_object_get_ex(e, "fields", &fields) &&
        json_object_is_type(fields, json_type_array)) {
        for (i = 0; i < json_object_array_length(fields); i++) {
            json_object *f = json_object_array_get_idx(fields, i), *o = json_object_new_object();

            if (json_object_object_get_ex(f, "field", &v)) {
                add_str(o, "field", json_object_get_string(v));
            }
            if (json_object_object_get_ex(f, "level", &v)) {
                add_str(o, "level", json_object_get_string(v));
            }
            if (json_object_object_get_ex(f, "weight", &v)) {
                snprintf(w, sizeof(w), "%+.1f", json_object_get_double(v));
                add_str(o, "weight", w);
            }
            json_object_array_add(list, o);
        }
    }
    json_object_object_add(out, "fields", list);
    if (json_object_object_get_ex(e, "veto", &v) && json_object_is_type(v, json_type_string)) {
        add_str(out, "veto", json_object_get_string(v));
    }
    json_object_put(e);
    return out;
}

static void
add_percent(json_object *o, const char *key, double p)
{
    char s[32];

    snprintf(s, sizeof(s), "%.1f%%", 100.0 * p);
    add_str(o, key, s);
}

/* The text of a conflicting value. */
static void
conflict_text(const struct conflict *c, const struct conflict_value *v, char *s, size_t n)
{
    if (v->s != NULL) {
        snprintf(s, n, "%s", v->s);
    } else if (!v->has) {
        snprintf(s, n, "not given");
    } else if (strcmp(c->field, "winner") == 0) {
        snprintf(s, n, "%s", v->v ? "won" : "lost");
    } else {
        snprintf(s, n, "%lld", (long long)v->v);
    }
}

/* The conflicts of a fixture: [{field, team, values: [{source, match_href, value}]}]. */
static json_object *
conflicts_ctx(const struct fixture_view *fx, struct arena *a)
{
    const struct consensus *c = &fx->consensus;
    json_object *list = json_object_new_array();
    size_t i, k;

    for (i = 0; i < c->nconflicts; i++) {
        const struct conflict *x = &c->conflicts[i];
        json_object *o = json_object_new_object(), *vals = json_object_new_array();

        add_str(o, "field", x->field);
        for (k = 0; x->identity_id != 0 && k < c->nteams; k++) {
            if (c->teams[k].identity_id == x->identity_id) {
                add_str(o, "team", c->teams[k].name);
            }
        }
        for (k = 0; k < x->n; k++) {
            json_object *v = json_object_new_object();
            char text[1100], *href = arena_alloc(a, 32);

            conflict_text(x, &x->values[k], text, sizeof(text));
            snprintf(href, 32, "/matches/%llu/", (unsigned long long)x->values[k].match_id);
            add_str(v, "source", x->values[k].source);
            add_str(v, "href", href);
            add_str(v, "value", text);
            json_object_array_add(vals, v);
        }
        json_object_object_add(o, "values", vals);
        json_object_array_add(list, o);
    }
    return list;
}

json_object *
view_fixture(struct req *r, const struct fixture_view *fx, uint64_t match_id)
{
    json_object *o = json_object_new_object(), *others = json_object_new_array();
    const struct member_link *self = NULL;
    size_t i;

    add_int(o, "id", (int64_t)fx->id);
    for (i = 0; fx->links != NULL && i < fx->n; i++) {
        if (fx->matches[i].id == match_id) {
            self = &fx->links[i];
        }
    }
    for (i = 0; i < fx->n; i++) {
        const struct match_view *m = &fx->matches[i];
        const struct member_link *l = fx->links ? &fx->links[i] : NULL;
        json_object *x;

        if (m->id == match_id) {
            continue;
        }
        x = view_match(m);
        if (l != NULL) {
            /* a pair's evidence sits on one of its two members */
            const struct member_link *e = l->evidence == NULL && self != NULL ? self : l;
            json_object *ev = evidence_ctx(e->evidence);

            add_percent(x, "confidence", e->confidence);
            add_bool(x, "by_person", strcmp(l->origin, "person") == 0);
            if (ev != NULL) {
                json_object_object_add(x, "evidence", ev);
            }
        }
        json_object_array_add(others, x);
    }
    add_bool(o, "has_others", json_object_array_length(others) > 0);
    json_object_object_add(o, "others", others);
    json_object_object_add(o, "conflicts", conflicts_ctx(fx, &r->arena));
    add_bool(o, "has_conflicts", fx->consensus.nconflicts > 0);
    return o;
}

json_object *
view_suggestions(const struct link_view *v, size_t n, uint64_t match_id)
{
    json_object *list = json_object_new_array();
    size_t i;

    for (i = 0; i < n; i++) {
        const struct match_view *other = v[i].match_a == match_id ? v[i].b : v[i].a;
        json_object *x, *ev;

        if (other == NULL) {
            continue;
        }
        x = view_match(other);
        add_percent(x, "probability", v[i].probability);
        ev = evidence_ctx(v[i].evidence);
        if (ev != NULL) {
            json_object_object_add(x, "evidence", ev);
        }
        json_object_array_add(list, x);
    }
    return list;
}

json_object *
view_fixture_row(const struct fixture_view *fx)
{
    const struct consensus *c = &fx->consensus;
    json_object *o = json_object_new_object(), *teams = json_object_new_array();
    char href[48];
    buf_t sources;
    size_t i;

    add_int(o, "id", (int64_t)fx->id);
    snprintf(href, sizeof(href), "/matches/%llu/", (unsigned long long)fx->id);
    add_str(o, "href", href);
    add_state(o, c->has_state, c->state);
    add_datetime(o, "date_start_iso", c->date_start);
    add_time(o, "date_start", c->date_start, 0);
    add_str(o, "title", c->title_name);
    if (fx->n > 0) {
        add_str(o, "tournament", fx->matches[0].tournament_name);
    }
    for (i = 0; i < c->nteams; i++) {
        json_object *t = json_object_new_object();

        add_str(t, "name",
                c->teams[i].name && c->teams[i].name[0] ? c->teams[i].name : "(no name)");
        if (c->teams[i].has_score) {
            add_int(t, "score", c->teams[i].score);
        }
        add_bool(t, "has_score", c->teams[i].has_score);
        add_bool(t, "winner", c->teams[i].winner == TRI_TRUE);
        json_object_array_add(teams, t);
    }
    json_object_object_add(o, "teams", teams);
    buf_init(&sources, 0);
    for (i = 0; i < fx->n; i++) {
        buf_appendf(&sources, "%s%s", i ? ", " : "", fx->matches[i].source);
    }
    add_str(o, "sources", sources.data ? sources.data : "");
    buf_cleanup(&sources);
    add_bool(o, "has_conflicts", c->nconflicts > 0);
    return o;
}

json_object *
view_identity(const struct identity_view *v)
{
    json_object *o = json_object_new_object(), *list = json_object_new_array();
    size_t i;

    add_int(o, "identity_id", (int64_t)v->identity_id);
    for (i = 0; i < v->n; i++) {
        const struct team_alias *t = &v->teams[i];
        json_object *x = json_object_new_object(), *ev = evidence_ctx(t->evidence);
        char href[48];

        if (t->id == v->team_id) {
            add_str(o, "name", t->name && t->name[0] ? t->name : "(no name)");
            add_str(o, "source", t->source);
            add_str(o, "external_id", t->external_id);
            add_int(o, "id", (int64_t)t->id);
        }
        add_int(x, "id", (int64_t)t->id);
        snprintf(href, sizeof(href), "/teams/%llu/", (unsigned long long)t->id);
        add_str(x, "href", href);
        add_str(x, "name", t->name && t->name[0] ? t->name : "(no name)");
        add_str(x, "source", t->source);
        add_str(x, "external_id", t->external_id);
        add_int(x, "matches", (int64_t)t->matches);
        add_bool(x, "this", t->id == v->team_id);
        add_bool(x, "by_person", t->origin != NULL && strcmp(t->origin, "person") == 0);
        add_percent(x, "confidence", t->confidence);
        if (ev != NULL) {
            json_object_object_add(x, "evidence", ev);
        }
        json_object_array_add(list, x);
    }
    json_object_object_add(o, "aliases", list);
    add_int(o, "alias_count", (int64_t)v->n);
    add_bool(o, "alone", v->n <= 1);
    return o;
}
