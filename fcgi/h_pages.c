/*
 * h_pages.c: the website's pages. Each page handler validates like the API
 * does (the same parameters, the same validators), asks the same read-side
 * queries or the search engine, and renders its view (view.c) into the
 * body; a failure is its result, answered as the site's error page.
 */
#include <json.h>
#include <string.h>

#include "db_fixtures.h"
#include "db_matches.h"
#include "cache.h"
#include "handlers.h"
#include "rc.h"
#include "search.h"
#include "view.h"

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

/* The rows of the list: from the engine when the form has words (q), else
 * from the database. r->errors may come back with the form's problems. */
static int
list_rows(struct req *r, struct match_filter *f, const char **q, struct search_result *res,
          struct fixture_view **fx)
{
    int ordered, rc, fixtures = param_list_view(&r->q, &r->errors);

    if (view_form_value(r, "q") == NULL) {
        param_match_filter(&r->q, &r->arena, f, &r->errors);
        if (r->errors.n > 0) {
            return RC_OK;
        }
        rc = fixtures ? db_fixtures_list(r->w->db, f, &r->arena, fx, &res->n, &res->count)
                      : db_matches_list(r->w->db, f, &r->arena, &res->ms, &res->n, &res->count);
        if (rc == RC_NOTFOUND) {
            r->detail = "No such matches.";
        }
        return rc;
    }
    r->uncached = 1; /* the engine moves on its own */
    if (r->w->search == NULL) {
        param_error(&r->errors, "q", "search is off on this server");
        return RC_OK;
    }
    if (search_check_params(&r->q, &r->arena, q, f, &ordered, &r->errors) != RC_OK) {
        return RC_OK;
    }
    if (search_past_window(f)) {
        r->detail = "There is no such page of matches.";
        return RC_NOTFOUND;
    }
    if (search_run(r->w->search, *q, f, ordered, 0, &r->arena, res) != RC_OK) {
        r->not_db = 1;
        r->detail = "Search is unavailable. Please try again shortly.";
        return RC_UNAVAIL;
    }
    return search_load_matches(r->w->search, r->w->db,
                               r->data_version ? r->data_version : cache_clock_version(r->w),
                               &r->arena, res);
}

/* GET /: the match list with its filter form; with q, the same table from
 * the search engine, by relevance unless an order is chosen. */
int
h_page_list(struct req *r)
{
    struct match_filter f = {0};
    struct search_result res = {0};
    struct fixture_view *fx = NULL;
    json_object *ctx, *form, *rows;
    const char *q = NULL;
    size_t i;
    int rc;

    drop_empty_params(&r->q);
    if (r->errors.n == 0) {
        rc = list_rows(r, &f, &q, &res, &fx);
        if (rc != RC_OK) {
            return rc;
        }
    }
    if (r->errors.n > 0) {
        r->status = 400;
    } else if (res.n == 0 && f.page > 1) {
        r->detail = "There is no such page of matches.";
        return RC_NOTFOUND;
    }
    rc = view_form(r, &form);
    if (rc != RC_OK) {
        r->detail = rc == RC_NOTFOUND ? "No such list." : NULL;
        return rc;
    }
    ctx = json_object_new_object();
    json_object_object_add(ctx, "form", form);
    json_object_object_add(ctx, "invalid", json_object_new_boolean(r->status == 400));
    json_object_object_add(ctx, "search_on", json_object_new_boolean(r->w->search != NULL));
    if (r->status != 400) {
        rows = json_object_new_array();
        for (i = 0; i < res.n; i++) {
            json_object_array_add(rows, fx ? view_fixture_row(&fx[i]) : view_match(&res.ms[i]));
        }
        json_object_object_add(ctx, "fixtures", json_object_new_boolean(fx != NULL));
        json_object_object_add(ctx, "matches", rows);
        json_object_object_add(ctx, "has_matches", json_object_new_boolean(res.n > 0));
        json_object_object_add(ctx, "count", json_object_new_int64((int64_t)res.count));
        json_object_object_add(ctx, "one", json_object_new_boolean(res.count == 1));
        json_object_object_add(ctx, "filtered", json_object_new_boolean(r->q.n > 0));
        if (q != NULL) {
            json_object *fl = view_facets(r, &res);

            json_object_object_add(ctx, "q", json_object_new_string(q));
            json_object_object_add(ctx, "has_facets",
                                   json_object_new_boolean(json_object_array_length(fl) > 0));
            json_object_object_add(ctx, "facets", fl);
        }
        json_object_object_add(ctx, "pager", view_pager(r, f.page, f.page_size, res.count));
    }
    if (view_render(r, "list", ctx) != RC_OK) {
        r->not_db = 1;
        return RC_ERR;
    }
    return RC_OK;
}

/* GET /matches/{id}/: one match and the messages that built it. */
int
h_page_match(struct req *r)
{
    struct match_view *m;
    struct message_view *msgs;
    struct fixture_view *fx = NULL;
    struct link_view *sug = NULL;
    json_object *ctx, *hist, *sv;
    uint64_t id;
    size_t n, i, nsug = 0;
    int rc;

    rc = param_id(r->route_arg, &id) == RC_OK ? RC_OK : RC_NOTFOUND;
    if (rc == RC_OK) {
        rc = db_matches_find_by_id(r->w->db, id, &r->arena, &m);
    }
    if (rc == RC_OK) {
        rc = db_matches_messages(r->w->db, id, &r->arena, &msgs, &n);
    }
    if (rc == RC_OK) {
        rc = db_fixtures_find(r->w->db, m->fixture_id, &r->arena, &fx);
        /* linked a moment ago to a fixture not yet visible: shown alone */
        fx = rc == RC_OK ? fx : NULL;
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    if (rc == RC_OK) {
        rc = db_fixtures_suggested_for(r->w->db, id, &r->arena, &sug, &nsug);
    }
    if (rc != RC_OK) {
        r->detail = rc == RC_NOTFOUND ? "There is no such match." : NULL;
        return rc;
    }
    ctx = json_object_new_object();
    json_object_object_add(ctx, "match", view_match(m));
    if (fx != NULL) {
        json_object_object_add(ctx, "fixture", view_fixture(r, fx, id));
    }
    sv = view_suggestions(sug, nsug, id);
    json_object_object_add(ctx, "has_suggestions",
                           json_object_new_boolean(json_object_array_length(sv) > 0));
    json_object_object_add(ctx, "suggestions", sv);
    hist = json_object_new_array();
    for (i = 0; i < n; i++) {
        json_object_array_add(hist, view_message(&msgs[i]));
    }
    json_object_object_add(ctx, "messages", hist);
    json_object_object_add(ctx, "message_count", json_object_new_int64((int64_t)n));
    json_object_object_add(ctx, "one_message", json_object_new_boolean(n == 1));
    if (view_render(r, "match", ctx) != RC_OK) {
        r->not_db = 1;
        return RC_ERR;
    }
    return RC_OK;
}

/* GET /teams/{id}/: a team and the other teams of its identity (its aliases
 * at every source). */
int
h_page_team(struct req *r)
{
    struct identity_view *v;
    json_object *ctx;
    uint64_t id;
    int rc;

    rc = param_id(r->route_arg, &id) == RC_OK ? RC_OK : RC_NOTFOUND;
    if (rc == RC_OK) {
        rc = db_fixtures_identity(r->w->db, id, &r->arena, &v);
    }
    if (rc != RC_OK) {
        r->detail = rc == RC_NOTFOUND ? "There is no such team." : NULL;
        return rc;
    }
    ctx = json_object_new_object();
    json_object_object_add(ctx, "team", view_identity(v));
    if (view_render(r, "team", ctx) != RC_OK) {
        r->not_db = 1;
        return RC_ERR;
    }
    return RC_OK;
}
