/*
 * render_json.h: JSON documents the service sends, built with json-c and
 * appended to a buf_t.
 */
#ifndef ESPORTS_RENDER_JSON_H
#define ESPORTS_RENDER_JSON_H

#include "buf.h"
#include "db_status.h"

/* How fresh the consumer's heartbeat must be to count as running, seconds. */
#define CONSUMER_STALE_AFTER_S 30

/* The /healthz document. db_ok: the database answered; cs: the consumer
 * status row, or NULL when it could not be read. Returns the HTTP status
 * (200, or 503 when the database is down). */
int render_json_health(buf_t *out, int db_ok, const struct consumer_status *cs);

#endif
