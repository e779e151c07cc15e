/*
 * view.h: what the pages show, as json-c contexts for the mustache templates
 * of templates/ (view models), and the rendering of a page into r->body.
 * The templates are parsed once, when the worker starts; a missing or
 * broken one stops the worker there, not at request time.
 *
 * Everything that reaches a page from a message goes through the template's
 * {{escaped}} variables. The one place a message decides markup is the source
 * link, and only http(s) URLs become links.
 */
#ifndef ESPORTS_FCGI_VIEW_H
#define ESPORTS_FCGI_VIEW_H

#include <json-c/json.h>

#include "db_fixtures.h"
#include "db_matches.h"
#include "req.h"
#include "search.h"

struct mustache_set;

/* Parses the templates of dir: NULL with err naming the file (and line)
 * when one is missing or broken. */
struct mustache_set *view_load(const char *dir, char *err, size_t errlen);

/* Frees what a worker's reference lists keep. */
void view_refs_cleanup(struct refs_kept *k);

/* One match, for a table row or the detail page. */
json_object *view_match(const struct match_view *m);
/* The fixture of the match page of match_id: the other source matches
 * ({others}, each a view_match with its confidence and evidence), the
 * conflicts, and whether there are any. */
json_object *view_fixture(struct req *r, const struct fixture_view *fx, uint64_t match_id);
/* The pairs suggested for match_id: the other match of each, with the
 * probability and evidence. */
json_object *view_suggestions(const struct link_view *v, size_t n, uint64_t match_id);
/* One fixture as a row of the list (its consensus). */
json_object *view_fixture_row(const struct fixture_view *fx);
/* A team's page: the team and every team of its identity. */
json_object *view_identity(const struct identity_view *v);
/* One message of a match's history. */
json_object *view_message(const struct message_view *m);
/* The filter form as submitted: the selects (reference lists, states,
 * ordering), the dates as typed, each error next to its field and all of
 * them in a summary. The reference lists are read at most once per data
 * version; RC_OK, or the database's rc. */
int view_form(struct req *r, json_object **out);
/* Pagination: "?<the filters>&page=N" links and where we are. */
json_object *view_pager(struct req *r, int64_t page, int64_t page_size, uint64_t count);
/* The search's facets as links that add the filter to this search. */
json_object *view_facets(struct req *r, const struct search_result *res);
/* The value the form sent for param, to show it again, or NULL. */
const char *view_form_value(const struct req *r, const char *param);

/* Renders template name with ctx into r->body (frees ctx): RC_OK, or RC_ERR
 * (logged; r->body then holds a bare error page). */
int view_render(struct req *r, const char *name, json_object *ctx);
/* Renders the error page for status with message into r->body: RC_OK, or
 * RC_NOTFOUND when the worker has no templates. */
int view_error(struct req *r, int status, const char *message);

/* Whether ingestion is stalled, as /healthz judges it; asked of the
 * database at most once a second per thread, so the pages' hot path stays
 * free of round trips. */
int view_ingest_stalled(struct req *r);

#endif
