/*
 * h_changes.c: GET /api/changes/, the change feed. Validates the cursor,
 * reads the changes after it with their matches as they are now, and
 * renders them; a cursor older than what is kept is 410 Gone, with the
 * oldest seq, so the client knows it must resync from /api/matches/.
 */
#include <stdio.h>
#include <string.h>

#include "db_changes.h"
#include "handlers.h"
#include "rc.h"
#include "render_json.h"

/* The URL to ask next: the same feed after last. From the request arena. */
static const char *
next_url(struct req *r, uint64_t last, int64_t limit)
{
    const char *origin = req_origin(r);
    size_t n = strlen(origin) + 80;
    char *url = arena_alloc(&r->arena, n);

    snprintf(url, n, "%s/api/changes/?after=%llu&limit=%lld", origin, (unsigned long long)last,
             (long long)limit);
    return url;
}

/* 410 with the oldest seq kept: changes after `after` are gone. */
static int
gone(struct req *r, uint64_t oldest)
{
    r->status = 410;
    buf_appendf(&r->body,
                "{\"detail\":\"Changes after this cursor are no longer kept: resync from "
                "/api/matches/, then follow the feed from oldest_seq - 1.\",\"oldest_seq\":%llu}",
                (unsigned long long)oldest);
    return RC_OK;
}

int
h_api_changes(struct req *r)
{
    struct change_row *rows;
    struct match_view *views;
    uint64_t oldest, newest, last;
    int64_t after, limit;
    size_t n, i;
    int rc;

    param_changes(&r->q, &after, &limit, &r->errors);
    if (r->errors.n > 0) {
        return RC_INVALID;
    }
    rc = db_changes_after(r->w->db, (uint64_t)after, (size_t)limit, &r->arena, &rows, &n);
    if (rc != RC_OK) {
        return rc;
    }
    /* seqs have no gaps, so the first change after the cursor must be
     * after + 1: anything else was pruned (after 0: from the oldest kept) */
    if (n > 0 && after > 0 && rows[0].seq != (uint64_t)after + 1) {
        return gone(r, rows[0].seq);
    }
    if (n == 0) {
        rc = db_changes_bounds(r->w->db, &oldest, &newest);
        if (rc != RC_OK) {
            return rc;
        }
        /* a cursor ahead of every change comes from another database */
        if ((uint64_t)after > newest || (after > 0 && (uint64_t)after + 1 < oldest)) {
            return gone(r, oldest);
        }
    }
    rc = db_changes_matches(r->w->db, rows, n, &r->arena, &views);
    if (rc != RC_OK) {
        return rc;
    }
    last = n > 0 ? rows[n - 1].seq : (uint64_t)after;
    buf_append_str(&r->body, "{\"results\":[");
    for (i = 0; i < n; i++) {
        if (i > 0) {
            buf_append_char(&r->body, ',');
        }
        render_json_change(&r->body, &rows[i], views[i].id != 0 ? &views[i] : NULL);
    }
    buf_appendf(&r->body, "],\"last_seq\":%llu,\"next\":", (unsigned long long)last);
    render_json_str(&r->body, next_url(r, last, limit));
    buf_append_char(&r->body, '}');
    return RC_OK;
}
