/*
 * h_search.c: GET /api/search/, full-text search over the match documents
 * the consumer mirrors into Elasticsearch (or OpenSearch), with the filters,
 * ordering and pagination of /api/matches/ and facets by title, tournament
 * and state (search.c asks the engine). A hit is sent as the mirror
 * rendered it (its document's view), or rendered from its row. An engine
 * that is off, down or refusing answers 503 with a JSON message; no engine
 * error reaches a client as a 500.
 */
#include "cache.h"
#include "handlers.h"
#include "rc.h"
#include "render_json.h"
#include "search.h"

/* "facets": {"title": [{"id", "name", "count"}], "tournament": [...],
 * "state": [{"value", "count"}]} */
static void
render_facets(buf_t *out, const struct search_result *res)
{
    static const char *const names[NFACETS] = {"title", "tournament", "state"};
    size_t k, i;

    buf_append_char(out, '{');
    for (k = 0; k < NFACETS; k++) {
        buf_appendf(out, "%s\"%s\":[", k ? "," : "", names[k]);
        for (i = 0; i < res->nfacets[k]; i++) {
            const struct search_facet *f = &res->facets[k][i];

            buf_append_str(out, i ? "," : "");
            if (k == FACET_STATE) {
                buf_appendf(out, "{\"value\":%lld", (long long)f->value);
            } else {
                buf_appendf(out, "{\"id\":%lld,\"name\":", (long long)f->id);
                render_json_str(out, f->name);
            }
            buf_appendf(out, ",\"count\":%llu}", (unsigned long long)f->count);
        }
        buf_append_char(out, ']');
    }
    buf_append_char(out, '}');
}

/* GET /api/search/ */
int
h_api_search(struct req *r)
{
    struct match_filter f;
    struct search_result res;
    const char *q;
    int ordered, rc;
    size_t i;

    if (r->w->search == NULL) {
        r->not_db = 1;
        r->detail = "Search is off: this server has no ELASTICSEARCH_URL. "
                    "/api/matches/ lists and filters without it.";
        return RC_UNAVAIL;
    }
    if (search_check_params(&r->q, &r->arena, &q, &f, &ordered, &r->errors) != RC_OK) {
        return RC_INVALID;
    }
    if (search_past_window(&f)) {
        r->detail = "Invalid page.";
        return RC_NOTFOUND;
    }
    if (search_run(r->w->search, q, &f, ordered, 1, &r->arena, &res) != RC_OK) {
        r->not_db = 1;
        r->detail = "Search is unavailable, try again shortly.";
        return RC_UNAVAIL;
    }
    /* (answered per second, not per data version: r->data_version is not
     * set) */
    rc = search_load_matches(r->w->search, r->w->db, cache_clock_version(r->w), &r->arena, &res);
    if (rc != RC_OK) {
        return rc;
    }
    rc = resp_page_start(r, f.page, f.page_size, res.count, res.n);
    if (rc != RC_OK) {
        return rc;
    }
    for (i = 0; i < res.n; i++) {
        buf_append_str(&r->body, i > 0 ? "," : "");
        if (res.views[i].json != NULL) {
            buf_append(&r->body, res.views[i].json, res.views[i].len);
        } else {
            render_json_match(&r->body, &res.ms[i]);
        }
    }
    buf_append_str(&r->body, "],\"facets\":");
    render_facets(&r->body, &res);
    buf_append_char(&r->body, '}');
    return RC_OK;
}
