/*
 * msg.h: turns the raw bytes of a message into a struct match_event. The
 * bytes are never modified: a cleaned copy is parsed.
 *
 * Accepted: strict JSON (RFC 8259) in UTF-8, plus trailing commas before } and
 * ], which the sources' messages carry. Nothing else that is not JSON (no
 * NaN/Infinity, comments, single quotes, trailing text).
 */
#ifndef ESPORTS_MSG_H
#define ESPORTS_MSG_H

#include <stddef.h>

#include "match.h"
#include "mem.h"

struct msg_opts {
    size_t max_bytes; /* larger payloads are rejected */
    int tz_offset_s;  /* how date_start_text without an offset is read */
};

/*
 * Parses and normalizes p[0..n) into a match_event allocated from a.
 * RC_OK, or RC_INVALID with why (whylen bytes) holding the precise reason,
 * such as "invalid JSON at byte 12: unexpected character" or
 * "data.teams[1].id: missing". When the message got far enough to name its
 * source and id, *ev is still set with those two (others unset) so the
 * rejection can be filed under them; otherwise *ev is NULL.
 */
int msg_parse(const char *p, size_t n, const struct msg_opts *o, struct arena *a,
              struct match_event **ev, char *why, size_t whylen);

/* Parses p[0..n) with msg_parse's rules into a json-c value (*root, to be
 * released with json_object_put): RC_OK or RC_INVALID with why. */
struct json_object;
int msg_parse_json(const char *p, size_t n, struct json_object **root, char *why, size_t whylen);

/* Only the syntax check of msg_parse (UTF-8, JSON with trailing commas
 * allowed): RC_OK, or RC_INVALID with why naming the problem and its byte. */
int msg_check_json(const char *p, size_t n, char *why, size_t whylen);

#endif
