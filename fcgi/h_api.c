/*
 * h_api.c: the JSON API. Each handler validates, asks the database, renders
 * and returns its result (req.h); no SQL, JSON parsing, status or FastCGI
 * call here.
 */
#include "db_fixtures.h"
#include "db_matches.h"
#include "handlers.h"
#include "rc.h"
#include "render_json.h"

/* How one item of a list is rendered. */
typedef void (*render_item)(buf_t *out, const void *item);

static void
item_match(buf_t *out, const void *v)
{
    render_json_match(out, v);
}

static void
item_message(buf_t *out, const void *v)
{
    render_json_message(out, v);
}

static void
item_ref(buf_t *out, const void *v)
{
    render_json_ref(out, v);
}

static void
item_team_ref(buf_t *out, const void *v)
{
    render_json_team_ref(out, v);
}

static void
item_fixture(buf_t *out, const void *v)
{
    render_json_fixture(out, v);
}

static void
item_link(buf_t *out, const void *v)
{
    render_json_link(out, v);
}

/* A list in its envelope (resp_page_start): items[0..n) of size bytes
 * each, rendered by item. */
static int
render_page(struct req *r, int64_t page, int64_t page_size, uint64_t count, const void *items,
            size_t n, size_t size, render_item item)
{
    size_t i;
    int rc = resp_page_start(r, page, page_size, count, n);

    if (rc != RC_OK) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        if (i > 0) {
            buf_append_char(&r->body, ',');
        }
        item(&r->body, (const char *)items + i * size);
    }
    render_json_page_end(&r->body);
    return RC_OK;
}

/* GET /api/matches/: the filtered, ordered, paginated list. */
int
h_api_matches(struct req *r)
{
    struct match_filter f;
    struct match_view *ms;
    size_t n;
    uint64_t count;
    int rc;

    param_match_filter(&r->q, &r->arena, &f, &r->errors);
    if (r->errors.n > 0) {
        return RC_INVALID;
    }
    rc = db_matches_list(r->w->db, &f, &r->arena, &ms, &n, &count);
    if (rc != RC_OK) {
        return rc;
    }
    return render_page(r, f.page, f.page_size, count, ms, n, sizeof(*ms), item_match);
}

/* GET /api/matches/{id}/ */
int
h_api_match(struct req *r)
{
    struct match_view *m;
    uint64_t id;
    int rc;

    if (param_id(r->route_arg, &id) != RC_OK) {
        return RC_NOTFOUND;
    }
    rc = db_matches_find_by_id(r->w->db, id, &r->arena, &m);
    if (rc != RC_OK) {
        return rc;
    }
    render_json_match(&r->body, m);
    return RC_OK;
}

/* GET /api/matches/{id}/messages/: the raw messages that built the match. */
int
h_api_match_messages(struct req *r)
{
    struct message_view *msgs;
    size_t n;
    uint64_t id;
    int rc;

    if (param_id(r->route_arg, &id) != RC_OK) {
        return RC_NOTFOUND;
    }
    rc = db_matches_messages(r->w->db, id, &r->arena, &msgs, &n);
    if (rc != RC_OK) {
        return rc;
    }
    return render_page(r, 1, 0, n, msgs, n, sizeof(*msgs), item_message);
}

static int
refs(struct req *r, enum ref_kind kind)
{
    struct ref_view *v;
    int64_t page, page_size;
    size_t n;
    uint64_t count;
    int rc;

    param_pagination(&r->q, &page, &page_size, &r->errors);
    if (r->errors.n > 0) {
        return RC_INVALID;
    }
    rc = db_matches_refs(r->w->db, kind, page, page_size, &r->arena, &v, &n, &count);
    if (rc != RC_OK) {
        return rc;
    }
    return render_page(r, page, page_size, count, v, n, sizeof(*v), item_ref);
}

int
h_api_titles(struct req *r)
{
    return refs(r, REF_TITLES);
}

int
h_api_tournaments(struct req *r)
{
    return refs(r, REF_TOURNAMENTS);
}

/* GET /api/teams/: teams with their source, external id and identity;
 * source= keeps one source's. */
int
h_api_teams(struct req *r)
{
    struct ref_view *v;
    const char *source;
    int64_t page, page_size;
    uint64_t count;
    size_t n;
    int rc;

    param_team_filter(&r->q, &r->arena, &source, &page, &page_size, &r->errors);
    if (r->errors.n > 0) {
        return RC_INVALID;
    }
    rc = db_matches_teams(r->w->db, source, page, page_size, &r->arena, &v, &n, &count);
    if (rc != RC_OK) {
        return rc;
    }
    return render_page(r, page, page_size, count, v, n, sizeof(*v), item_team_ref);
}

/* GET /api/teams/{id}/: the team, its identity and the identity's teams. */
int
h_api_team(struct req *r)
{
    struct identity_view *v;
    uint64_t id;
    int rc;

    if (param_id(r->route_arg, &id) != RC_OK) {
        return RC_NOTFOUND;
    }
    rc = db_fixtures_identity(r->w->db, id, &r->arena, &v);
    if (rc != RC_OK) {
        return rc;
    }
    render_json_identity(&r->body, v);
    return RC_OK;
}

/* GET /api/fixtures/: fixtures with the list's filters, ordering and envelope. */
int
h_api_fixtures(struct req *r)
{
    struct match_filter f;
    struct fixture_view *fx;
    size_t n;
    uint64_t count;
    int rc;

    param_match_filter(&r->q, &r->arena, &f, &r->errors);
    if (r->errors.n > 0) {
        return RC_INVALID;
    }
    rc = db_fixtures_list(r->w->db, &f, &r->arena, &fx, &n, &count);
    if (rc != RC_OK) {
        return rc;
    }
    return render_page(r, f.page, f.page_size, count, fx, n, sizeof(*fx), item_fixture);
}

/* GET /api/fixtures/{id}/: one fixture with its members' links. */
int
h_api_fixture(struct req *r)
{
    struct fixture_view *fx;
    uint64_t id;
    int rc;

    if (param_id(r->route_arg, &id) != RC_OK) {
        return RC_NOTFOUND;
    }
    rc = db_fixtures_find(r->w->db, id, &r->arena, &fx);
    if (rc != RC_OK) {
        return rc;
    }
    render_json_fixture(&r->body, fx);
    return RC_OK;
}

/* GET /api/links/: pairs of matches by status (suggested: waiting for a person). */
int
h_api_links(struct req *r)
{
    struct link_view *v;
    const char *status;
    int64_t page, page_size;
    uint64_t count, match;
    size_t n;
    int rc;

    param_link_status(&r->q, &status, &match, &page, &page_size, &r->errors);
    if (r->errors.n > 0) {
        return RC_INVALID;
    }
    rc = db_fixtures_links(r->w->db, status, match, page, page_size, &r->arena, &v, &n, &count);
    if (rc != RC_OK) {
        return rc;
    }
    return render_page(r, page, page_size, count, v, n, sizeof(*v), item_link);
}
