/*
 * render_json.h: JSON documents the service sends, built with json-c and
 * appended to a buf_t.
 */
#ifndef ESPORTS_RENDER_JSON_H
#define ESPORTS_RENDER_JSON_H

#include "buf.h"
#include "db_changes.h"
#include "db_matches.h"
#include "db_status.h"

struct json_object;
struct fixture_view;
struct link_view;
struct identity_view;

/* The /healthz document. db_ok: the database answered; cs: the consumer
 * status row, or NULL when it could not be read; stall_s: HEALTH_STALL_S.
 * Returns the HTTP status: 200, or 503 when the database is down or
 * ingestion is stalled (messages wait without a commit past stall_s, or the
 * consumer has been silent that long). */
int render_json_health(buf_t *out, int db_ok, const struct consumer_status *cs, int stall_s);

/* {"id", "source", "external_id", "url", "state", "bestof", "date_start", "title",
 * "tournament", "teams": [{"id", "name", "score", "winner"}], "updated_at"} */
void render_json_match(buf_t *out, const struct match_view *m);

/* One change of the feed: {"seq", "match_id", "kind", "changed_at", "match": {...}}, with
 * the match as render_json_match has it, or null when it is gone. */
void render_json_change(buf_t *out, const struct change_row *c, const struct match_view *m);

/* The pagination envelope around a list: start writes
 * {"count": N, "next": URL|null, "previous": URL|null, "results": [
 * and end closes it. */
void render_json_page_start(buf_t *out, uint64_t count, const char *next, const char *previous);
void render_json_page_end(buf_t *out);

/* {"id", "received_at", "status", "error", "payload": "<bytes as text>", "json": <parsed>|null} */
void render_json_message(buf_t *out, const struct message_view *m);

/* {"id", "name", ["source",] "match_count"} */
void render_json_ref(buf_t *out, const struct ref_view *r);

/* A row of /api/teams/: {"id", "name", "source", "external_id", "identity_id", "match_count"} */
void render_json_team_ref(buf_t *out, const struct ref_view *r);

/* A fixture: {"id", "source_count", "title", "date_start", "state", "bestof",
 * "teams": [{"identity_id", "name", "score", "winner"}], "conflicts": [{"field",
 * "identity_id", "values": [{"match_id", "source", "value"}]}], "matches": [match],
 * and in the detail "links": [{"match_id", "confidence", "origin", "evidence"}]} */
void render_json_fixture(buf_t *out, const struct fixture_view *fx);

/* {"match_ids": [a, b], "status", "probability", "evidence", "updated_at", "matches": [a, b]} */
void render_json_link(buf_t *out, const struct link_view *l);

/* /api/teams/{id}/: {"id", "name", "source", "external_id", "identity_id",
 * "aliases": [{"id", "name", "source", "external_id", "match_count", "confidence",
 * "origin", "evidence"}]} */
void render_json_identity(buf_t *out, const struct identity_view *v);

/* {"detail": detail, "errors": {name: message, ...}} */
void render_json_errors(buf_t *out, const char *detail, size_t n, const char *const *names,
                        const char (*msgs)[160]);

/* Appends a json-c value as compact JSON (slashes not escaped). */
void render_json_value(buf_t *out, struct json_object *o);

/* Appends s as a JSON string with quotes, or null for NULL. */
void render_json_str(buf_t *out, const char *s);

#endif
