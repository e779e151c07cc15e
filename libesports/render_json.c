/* render_json.c: JSON documents built with json-c; see render_json.h. */
#include <json-c/json.h>
#include <string.h>
#include <time.h>

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

static void
append_json(buf_t *out, json_object *o)
{
    size_t len;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

    buf_append(out, s, len);
}

int
render_json_health(buf_t *out, int db_ok, const struct consumer_status *cs)
{
    json_object *root = json_object_new_object();
    json_object *c = json_object_new_object();
    const char *consumer_state = "unknown", *broker = "unknown", *status;

    if (cs != NULL) {
        int fresh = cs->heartbeat_age >= 0 && cs->heartbeat_age <= CONSUMER_STALE_AFTER_S;

        if (cs->pid == 0) {
            consumer_state = "stopped";
        } else {
            consumer_state = fresh ? "running" : "stale";
        }
        if (cs->pid != 0 && fresh) {
            broker = cs->broker_connected ? "connected" : "disconnected";
        }
        json_object_object_add(c, "pid", cs->pid ? json_object_new_int(cs->pid) : NULL);
        json_object_object_add(c, "started_at", json_time(cs->started_at));
        json_object_object_add(c, "heartbeat_age_seconds",
                               cs->heartbeat_age >= 0 ? json_object_new_int64(cs->heartbeat_age)
                                                      : NULL);
        json_object_object_add(c, "messages_applied", json_object_new_uint64(cs->applied));
        json_object_object_add(c, "messages_rejected", json_object_new_uint64(cs->rejected));
        json_object_object_add(c, "last_applied_at", json_time(cs->last_applied_at));
        json_object_object_add(c, "last_error",
                               cs->last_error[0] ? json_object_new_string(cs->last_error) : NULL);
        json_object_object_add(c, "last_error_at", json_time(cs->last_error_at));
    }
    json_object_object_add(c, "state", json_object_new_string(consumer_state));

    if (!db_ok) {
        status = "unavailable";
    } else if (cs != NULL && cs->pid != 0 && strcmp(consumer_state, "running") == 0 &&
               cs->broker_connected) {
        status = "ok";
    } else {
        status = "degraded";
    }
    json_object_object_add(root, "status", json_object_new_string(status));
    json_object_object_add(root, "database", json_object_new_string(db_ok ? "ok" : "unavailable"));
    json_object_object_add(root, "broker", json_object_new_string(broker));
    json_object_object_add(root, "consumer", c);
    append_json(out, root);
    json_object_put(root);
    return db_ok ? 200 : 503;
}
