/* render_json.c: JSON documents built with json-c; see render_json.h. */
#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "msg.h"
#include "rc.h"
#include "render_json.h"

/* ISO 8601 UTC with Z, or JSON null for 0. */
static json_object *
json_time(int64_t t)
{
    char s[32];
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0) {
        return NULL;
    }
    gmtime_r(&tt, &tm);
    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_object_new_string(s);
}

void
render_json_value(buf_t *out, json_object *o)
{
    size_t len;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

    buf_append(out, s, len);
}

/* An optional count or age: JSON null for -1. */
static json_object *
json_opt(int64_t v)
{
    return v >= 0 ? json_object_new_int64(v) : NULL;
}

int
render_json_health(buf_t *out, int db_ok, const struct consumer_status *cs, int stall_s)
{
    json_object *root = json_object_new_object();
    json_object *c = json_object_new_object();
    const char *broker = "unknown", *status;
    struct ingest_health h;

    ingest_judge(db_ok ? cs : NULL, stall_s, &h);
    if (cs != NULL) {
        if (cs->pid != 0 && strcmp(h.state, "down") != 0) {
            broker = cs->broker_connected ? "connected" : "disconnected";
        }
        json_object_object_add(c, "pid", cs->pid ? json_object_new_int(cs->pid) : NULL);
        json_object_object_add(c, "started_at", json_time(cs->started_at));
        json_object_object_add(c, "heartbeat_age_seconds", json_opt(cs->heartbeat_age));
        json_object_object_add(c, "messages_applied", json_object_new_uint64(cs->applied));
        json_object_object_add(c, "messages_rejected", json_object_new_uint64(cs->rejected));
        json_object_object_add(c, "last_applied_at", json_time(cs->last_applied_at));
        json_object_object_add(c, "seconds_since_commit", json_opt(cs->commit_age));
        json_object_object_add(c, "queue_depth", json_opt(cs->queue_depth));
        json_object_object_add(c, "queue_depth_age_seconds", json_opt(cs->queue_depth_age));
        json_object_object_add(c, "waiting_seconds", json_object_new_int64(h.stalled_s));
        json_object_object_add(c, "failed_batches", json_object_new_int64(cs->failed_batches));
        json_object_object_add(c, "last_error",
                               cs->last_error[0] ? json_object_new_string(cs->last_error) : NULL);
        json_object_object_add(c, "last_error_at", json_time(cs->last_error_at));
    }
    json_object_object_add(c, "state", json_object_new_string(db_ok ? h.state : "unknown"));
    json_object_object_add(c, "reason",
                           db_ok && h.reason[0] ? json_object_new_string(h.reason) : NULL);
    json_object_object_add(c, "stall_after_seconds", json_object_new_int(stall_s));

    if (!db_ok) {
        status = "unavailable";
    } else if (h.stalled) {
        status = "stalled";
    } else if (cs != NULL && strcmp(h.state, "running") == 0 && cs->broker_connected) {
        status = "ok";
    } else {
        status = "degraded";
    }
    json_object_object_add(root, "status", json_object_new_string(status));
    json_object_object_add(root, "database", json_object_new_string(db_ok ? "ok" : "unavailable"));
    json_object_object_add(root, "broker", json_object_new_string(broker));
    json_object_object_add(root, "consumer", c);
    render_json_value(out, root);
    json_object_put(root);
    return db_ok && !h.stalled ? 200 : 503;
}

void
render_json_str(buf_t *out, const char *s)
{
    if (s == NULL) {
        buf_append(out, "null", 4);
        return;
    }
    buf_append_char(out, '"');
    buf_append_json_str(out, s, strlen(s));
    buf_append_char(out, '"');
}

static void
id_name(buf_t *out, uint64_t id, const char *name)
{
    if (id == 0) {
        buf_append(out, "null", 4);
        return;
    }
    buf_appendf(out, "{\"id\":%llu,\"name\":", (unsigned long long)id);
    render_json_str(out, name ? name : "");
    buf_append_char(out, '}');
}

/* Appends ,"key":v, or ,"key":null when the value is absent. */
static void
opt_int(buf_t *out, const char *key, int has, int64_t v)
{
    if (has) {
        buf_appendf(out, ",\"%s\":%lld", key, (long long)v);
    } else {
        buf_appendf(out, ",\"%s\":null", key);
    }
}

void
render_json_match(buf_t *out, const struct match_view *m)
{
    size_t i;

    buf_appendf(out, "{\"id\":%llu,\"source\":", (unsigned long long)m->id);
    render_json_str(out, m->source);
    buf_append_str(out, ",\"external_id\":");
    render_json_str(out, m->external_id);
    buf_append_str(out, ",\"url\":");
    render_json_str(out, m->url);
    opt_int(out, "state", m->has_state, m->state);
    opt_int(out, "bestof", m->has_bestof, m->bestof);
    buf_append_str(out, ",\"date_start\":");
    render_json_str(out, m->date_start);
    buf_append_str(out, ",\"title\":");
    id_name(out, m->title_id, m->title_name);
    buf_append_str(out, ",\"tournament\":");
    id_name(out, m->tournament_id, m->tournament_name);
    buf_append_str(out, ",\"teams\":[");
    for (i = 0; i < m->nteams; i++) {
        const struct team_view *t = &m->teams[i];

        buf_appendf(out, "%s{\"id\":%llu,\"name\":", i ? "," : "", (unsigned long long)t->id);
        render_json_str(out, t->name);
        opt_int(out, "score", t->has_score, t->score);
        buf_append_str(out, t->winner == TRI_NULL   ? ",\"winner\":null}"
                            : t->winner == TRI_TRUE ? ",\"winner\":true}"
                                                    : ",\"winner\":false}");
    }
    buf_append_str(out, "],\"updated_at\":");
    render_json_str(out, m->updated_at);
    buf_append_char(out, '}');
}

void
render_json_change(buf_t *out, const struct change_row *c, const struct match_view *m)
{
    buf_appendf(out, "{\"seq\":%llu,\"match_id\":%llu,\"kind\":\"%s\",\"changed_at\":",
                (unsigned long long)c->seq, (unsigned long long)c->match_id,
                c->created ? "created" : "updated");
    render_json_str(out, c->changed_at);
    buf_append_str(out, ",\"match\":");
    if (m != NULL) {
        render_json_match(out, m);
    } else {
        buf_append_str(out, "null");
    }
    buf_append_char(out, '}');
}

void
render_json_page_start(buf_t *out, uint64_t count, const char *next, const char *previous)
{
    buf_appendf(out, "{\"count\":%llu,\"next\":", (unsigned long long)count);
    render_json_str(out, next);
    buf_append_str(out, ",\"previous\":");
    render_json_str(out, previous);
    buf_append_str(out, ",\"results\":[");
}

void
render_json_page_end(buf_t *out)
{
    buf_append_str(out, "]}");
}

void
render_json_message(buf_t *out, const struct message_view *m)
{
    json_object *parsed = NULL;
    char why[8];

    buf_appendf(out, "{\"id\":%llu,\"received_at\":", (unsigned long long)m->id);
    render_json_str(out, m->received_at);
    buf_append_str(out, ",\"status\":");
    render_json_str(out, m->status);
    buf_append_str(out, ",\"error\":");
    render_json_str(out, m->error);
    /* the payload exactly as received; it is text whenever it was applied */
    buf_append_str(out, ",\"payload\":\"");
    buf_append_json_str(out, m->payload, m->len);
    buf_append_str(out, "\",\"json\":");
    if (msg_parse_json(m->payload, m->len, &parsed, why, sizeof(why)) == RC_OK) {
        render_json_value(out, parsed);
        json_object_put(parsed);
    } else {
        buf_append(out, "null", 4);
    }
    buf_append_char(out, '}');
}

void
render_json_ref(buf_t *out, const struct ref_view *r)
{
    buf_appendf(out, "{\"id\":%llu,\"name\":", (unsigned long long)r->id);
    render_json_str(out, r->name);
    if (r->source != NULL) {
        buf_append_str(out, ",\"source\":");
        render_json_str(out, r->source);
    }
    buf_appendf(out, ",\"match_count\":%llu}", (unsigned long long)r->matches);
}

void
render_json_errors(buf_t *out, const char *detail, size_t n, const char *const *names,
                   const char (*msgs)[160])
{
    size_t i;

    buf_append_str(out, "{\"detail\":");
    render_json_str(out, detail);
    buf_append_str(out, ",\"errors\":{");
    for (i = 0; i < n; i++) {
        if (i > 0) {
            buf_append_char(out, ',');
        }
        render_json_str(out, names[i]);
        buf_append_char(out, ':');
        render_json_str(out, msgs[i]);
    }
    buf_append_str(out, "}}");
}
