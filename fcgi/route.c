/*
 * route.c: the static route table and the dispatcher. A pattern may hold one
 * {id} segment, which matches digits only; the router checks the method
 * (GET and HEAD), parses the query string once, then runs the handler
 * (through the cache when the route's responses are kept) and has its
 * result answered.
 */
#include <string.h>

#include "cache.h"
#include "handlers.h"
#include "metrics.h"
#include "rc.h"
#include "util.h"
#include "route.h"
#include "route_match.h"
#include "clock.h"

struct route {
    const char *pattern;
    int (*handler)(struct req *r);
    enum cache_policy cached;
    enum answer answer; /* a page: errors are pages too, query errors go to the handler */
};

static const struct route routes[] = {
    {"/healthz", h_healthz, NOT_CACHED, ANSWER_HEALTH},
    {"/metrics", h_metrics, NOT_CACHED, ANSWER_METRICS},
    {"/api/matches/", h_api_matches, PER_VERSION, ANSWER_API},
    {"/api/matches/{id}/", h_api_match, PER_VERSION, ANSWER_API},
    {"/api/matches/{id}/messages/", h_api_match_messages, PER_VERSION, ANSWER_API},
    {"/api/titles/", h_api_titles, PER_VERSION, ANSWER_API},
    {"/api/tournaments/", h_api_tournaments, PER_VERSION, ANSWER_API},
    {"/api/teams/", h_api_teams, PER_VERSION, ANSWER_API},
    {"/api/teams/{id}/", h_api_team, PER_VERSION, ANSWER_API},
    {"/api/fixtures/", h_api_fixtures, PER_VERSION, ANSWER_API},
    {"/api/fixtures/{id}/", h_api_fixture, PER_VERSION, ANSWER_API},
    {"/api/links/", h_api_links, PER_VERSION, ANSWER_API},
    {"/api/search/", h_api_search, PER_SECOND, ANSWER_API},
    {"/api/changes/", h_api_changes, PER_VERSION, ANSWER_API},
    {"/", h_page_list, PER_VERSION, ANSWER_PAGE},
    {"/matches/{id}/", h_page_match, PER_VERSION, ANSWER_PAGE},
    {"/teams/{id}/", h_page_team, PER_VERSION, ANSWER_PAGE},
};

#define NROUTES ARRAY_SIZE(routes)

const char *const route_names[] = {
    "/healthz",
    "/metrics",
    "/api/matches/",
    "/api/matches/{id}/",
    "/api/matches/{id}/messages/",
    "/api/titles/",
    "/api/tournaments/",
    "/api/teams/",
    "/api/teams/{id}/",
    "/api/fixtures/",
    "/api/fixtures/{id}/",
    "/api/links/",
    "/api/search/",
    "/api/changes/",
    "/",
    "/matches/{id}/",
    "/teams/{id}/",
    "unmatched",
};
const size_t route_count = NROUTES + 1;

/* Whether an unknown path answers in JSON (under /api/) rather than with
 * the site's 404 page. */
static int
is_api_path(const char *path)
{
    /* /healthz and /metrics are routes of their own: only what is under
     * /api/ answers in JSON when nothing matched ("/healthzzz" is a page) */
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0;
}

void
route_dispatch(struct req *r)
{
    double t0 = dt_mono();
    const struct route *rt;
    size_t i;
    int bad;

    r->route_index = (int)NROUTES;
    r->route = "unmatched";
    for (i = 0; i < NROUTES; i++) {
        if (route_match(routes[i].pattern, r->path, &r->arena, &r->route_arg)) {
            break;
        }
    }
    if (i == NROUTES) {
        if (is_api_path(r->path)) {
            resp_fail(r, ANSWER_API, 404, "Not found.");
        } else {
            resp_fail(r, ANSWER_PAGE, 404, "There is no page at this address.");
        }
        goto done;
    }
    rt = &routes[i];
    r->route_index = (int)i;
    /* the pages that update themselves (static/live.js) */
    r->scripted = rt->handler == h_page_list || rt->handler == h_page_match;
    r->route = rt->pattern;
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
        buf_append_str(&r->headers, "Allow: GET, HEAD\r\n");
        resp_fail(r, rt->answer, 405,
                  rt->answer == ANSWER_PAGE ? "This page can only be read (GET or HEAD)."
                                            : "Method not allowed.");
        goto done;
    }
    r->head = strcmp(r->method, "HEAD") == 0;
    /* a page shows query errors in its form; the API answers 400 */
    bad = query_parse(r->query, &r->arena, &r->q, &r->errors) != RC_OK;
    if (bad && rt->answer != ANSWER_PAGE) {
        resp_result(r, rt->answer, RC_INVALID);
    } else if (rt->cached != NOT_CACHED && !bad) {
        cache_run(r, rt->handler, rt->cached, rt->answer);
    } else {
        resp_result(r, rt->answer, rt->handler(r));
    }
done:
    metrics_observe(r->w->metrics, r->route_index, r->status, dt_mono() - t0);
}
