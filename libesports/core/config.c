/*
 * config.c: the table of settings. One row per environment variable: its
 * type, default, bounds and the field it fills. Adding a setting means adding
 * a field to struct config and a row here; nothing else reads the environment.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mem.h"
#include "rc.h"
#include "url.h"
#include "util.h"

enum cfg_type {
    CFG_STR,    /* any text, may be empty */
    CFG_NAME,   /* non-empty, printable ASCII without spaces (queue, exchange, user names) */
    CFG_INT,    /* decimal integer within [min, max] */
    CFG_LEVEL,  /* log level */
    CFG_URL_DB, /* mysql:// or mariadb:// URL, or empty */
    CFG_URL_MQ, /* amqp:// URL */
    CFG_URL_ES, /* http:// or https:// URL, or empty */
    CFG_TZ,     /* UTC or +HH:MM / -HH:MM */
    CFG_INDEX,  /* an Elasticsearch index or alias name */
    CFG_PROB,   /* a decimal probability from 0 to 1 */
};

struct cfg_entry {
    const char *name;
    enum cfg_type type;
    int secret; /* masked in logs and error messages */
    const char *def;
    long min, max;
    size_t off;
    const char *doc;
};

#define F(field) offsetof(struct config, field)

static const struct cfg_entry cfg_table[] = {
    {"MARIADB_URL", CFG_URL_DB, 1, "", 0, 0, F(mariadb_url),
     "mysql://user:password@host:port/database; overrides the MARIADB_* fields below"},
    {"MARIADB_HOST", CFG_NAME, 0, "127.0.0.1", 0, 0, F(mariadb_host), "MariaDB host"},
    {"MARIADB_PORT", CFG_INT, 0, "3307", 1, 65535, F(mariadb_port), "MariaDB TCP port"},
    {"MARIADB_USER", CFG_NAME, 0, "esports", 0, 0, F(mariadb_user), "MariaDB user"},
    {"MARIADB_PASSWORD", CFG_STR, 1, "esports", 0, 0, F(mariadb_password), "MariaDB password"},
    {"MARIADB_DATABASE", CFG_NAME, 0, "esports", 0, 0, F(mariadb_database), "database name"},
    {"MARIADB_SOCKET", CFG_STR, 0, "", 0, 0, F(mariadb_socket),
     "unix socket path; when set it is used instead of host and port"},
    {"DB_CONNECT_TIMEOUT", CFG_INT, 0, "5", 1, 300, F(db_connect_timeout_s),
     "seconds for one connect attempt"},
    {"DB_RETRY_MAX_MS", CFG_INT, 0, "5000", 10, 600000, F(db_retry_max_ms),
     "cap of the exponential backoff between connect attempts, ms"},
    {"AMQP_URL", CFG_URL_MQ, 1, "amqp://guest:guest@127.0.0.1:5673/%2f", 0, 0, F(amqp_url),
     "RabbitMQ URL (vhost as the path, %2f for /)"},
    {"AMQP_EXCHANGE", CFG_NAME, 0, "matches", 0, 0, F(amqp_exchange),
     "durable exchange the sources publish to"},
    {"AMQP_QUEUE", CFG_NAME, 0, "matches", 0, 0, F(amqp_queue), "durable queue the consumer reads"},
    {"AMQP_ROUTING_KEY", CFG_NAME, 0, "matches", 0, 0, F(amqp_routing_key),
     "routing key binding the queue to the exchange"},
    {"AMQP_DLX", CFG_NAME, 0, "matches.dlx", 0, 0, F(amqp_dlx), "dead-letter exchange"},
    {"AMQP_DEAD_QUEUE", CFG_NAME, 0, "matches.dead", 0, 0, F(amqp_dead_queue),
     "queue holding rejected messages"},
    {"AMQP_PREFETCH", CFG_INT, 0, "300", 1, 65535, F(amqp_prefetch), "basic.qos prefetch count"},
    {"AMQP_HEARTBEAT", CFG_INT, 0, "10", 0, 3600, F(amqp_heartbeat_s),
     "AMQP heartbeat, seconds (0 = off); the broker hands the queue to a stand-by about two "
     "heartbeats after a consumer stops answering"},
    {"CONSUMER_BATCH_SIZE", CFG_INT, 0, "100", 1, 10000, F(batch_size),
     "messages per transaction at most"},
    {"CONSUMER_BATCH_MS", CFG_INT, 0, "200", 1, 60000, F(batch_ms),
     "a batch is committed at the latest this many ms after its first message"},
    {"COMMIT_WINDOW_MS", CFG_INT, 0, "25", 0, 60000, F(commit_window_ms),
     "group commit: a batch stays open at least this many ms for more deliveries, so a steady "
     "feed commits (and invalidates the workers' caches) at most about 1000/N times a second"},
    {"HEALTH_STALL_S", CFG_INT, 0, "30", 1, 86400, F(health_stall_s),
     "/healthz answers 503 when messages have waited this many seconds without a commit, or the "
     "consumer has been silent that long"},
    {"FCGI_CACHE_BYTES", CFG_INT, 0, "1048576", 0, 1073741824, F(fcgi_cache_bytes),
     "bytes of rendered responses each FastCGI worker process keeps (0: none)"},
    {"MAX_MESSAGE_BYTES", CFG_INT, 0, "1048576", 64, 67108864, F(max_message_bytes),
     "larger messages are rejected"},
    {"SOURCE_TIMEZONE", CFG_TZ, 0, "UTC", 0, 0, F(source_timezone),
     "offset of date_start_text values without one: UTC or +HH:MM/-HH:MM"},
    {"ELASTICSEARCH_URL", CFG_URL_ES, 1, "", 0, 0, F(elasticsearch_url),
     "Elasticsearch/OpenSearch base URL; empty turns the search mirror off"},
    {"ELASTICSEARCH_INDEX", CFG_INDEX, 0, "esports-matches", 0, 0, F(elasticsearch_index),
     "alias the match documents are written and searched through"},
    {"ES_CONNECT_TIMEOUT_MS", CFG_INT, 0, "1000", 10, 60000, F(es_connect_timeout_ms),
     "ms for one connect attempt to the search engine"},
    {"ES_TIMEOUT_MS", CFG_INT, 0, "10000", 50, 600000, F(es_timeout_ms),
     "ms for one whole request to the search engine"},
    {"ES_RETRIES", CFG_INT, 0, "2", 0, 10, F(es_retries),
     "retries of a request that met a connection error, 429 or 5xx"},
    {"ES_RETRY_MAX_MS", CFG_INT, 0, "1000", 10, 60000, F(es_retry_max_ms),
     "cap of the backoff between those retries, ms"},
    {"MIRROR_BATCH_SIZE", CFG_INT, 0, "500", 1, 10000, F(mirror_batch_size),
     "search outbox rows sent per _bulk"},
    {"MIRROR_MAX_ATTEMPTS", CFG_INT, 0, "5", 1, 1000, F(mirror_max_attempts),
     "failed sends of one document before its outbox row is parked"},
    {"MIRROR_RETRY_MAX_MS", CFG_INT, 0, "30000", 10, 3600000, F(mirror_retry_max_ms),
     "cap of the mirror's backoff while the search engine is down, ms"},
    {"CHANGES_KEEP_S", CFG_INT, 0, "604800", 1, 315360000, F(changes_keep_s),
     "the change feed keeps changes this many seconds (older ones are pruned)"},
    {"CHANGES_KEEP_ROWS", CFG_INT, 0, "1000000", 100, 2000000000, F(changes_keep_rows),
     "and at most this many changes, the newest"},
    {"LIVE_PUBLISH_URL", CFG_URL_ES, 0, "", 0, 0, F(live_publish_url),
     "base URL of nginx's nchan publisher (http://127.0.0.1:PORT/pub); empty: no live push"},
    {"LIVE_TIMEOUT_MS", CFG_INT, 0, "1000", 10, 60000, F(live_timeout_ms),
     "ms for one publish to nchan at most"},
    {"LOG_LEVEL", CFG_LEVEL, 0, "info", 0, 0, F(log_level), "error, warn, info or debug"},
    {"LOG_FILE", CFG_STR, 0, "", 0, 0, F(log_file), "also append log lines to this file"},
    {"HTTP_MAX_QUERY_BYTES", CFG_INT, 0, "16384", 256, 1048576, F(http_max_query_bytes),
     "longer query strings are refused with 400"},
    {"METRICS_FILE", CFG_STR, 0, "", 0, 0, F(metrics_file),
     "file the workers share their request counters through; empty: per worker"},
    {"COMMIT_CLOCK_FILE", CFG_STR, 0, "", 0, 0, F(commit_clock_file),
     "file the consumer and the workers of one host share commits through, so cached "
     "responses need no database round trip; every consumer must use it; empty: off"},
    {"TEMPLATES_DIR", CFG_STR, 0, "templates", 0, 0, F(templates_dir),
     "folder of the website's *.mustache templates, read when a worker starts"},
    {"LINK_ENABLED", CFG_INT, 0, "1", 0, 1, F(link_enabled),
     "1: the consumer links the matches of each batch into fixtures; 0: off"},
    {"LINK_WINDOW_S", CFG_INT, 0, "10800", 60, 604800, F(link_window_s),
     "linking compares matches whose starts are at most this many seconds apart"},
    {"LINK_HIGH", CFG_PROB, 0, "0.99", 0, 0, F(link_high),
     "match probability at or above which a link is made automatically"},
    {"LINK_LOW", CFG_PROB, 0, "0.5", 0, 0, F(link_low),
     "match probability at or above which (below LINK_HIGH) a pair is suggested"},
};

#undef F

#define NENTRIES ARRAY_SIZE(cfg_table)

static int
bad(char *err, size_t errlen, const struct cfg_entry *e, const char *val, const char *why)
{
    snprintf(err, errlen, "invalid %s='%s': %s", e->name, e->secret ? "***" : val, why);
    return RC_INVALID;
}

static int
check_url(const struct cfg_entry *e, const char *val, char *err, size_t errlen)
{
    struct url u;
    const char *why = NULL;
    int ok;

    if (val[0] == '\0') {
        return e->type == CFG_URL_MQ ? bad(err, errlen, e, val, "must not be empty") : RC_OK;
    }
    if (url_parse(val, &u, &why) != RC_OK) {
        return bad(err, errlen, e, val, why);
    }
    switch (e->type) {
    case CFG_URL_DB:
        ok = strcmp(u.scheme, "mysql") == 0 || strcmp(u.scheme, "mariadb") == 0;
        why = "expected mysql://user:password@host:port/database";
        if (ok && u.path[0] == '\0') {
            ok = 0;
            why = "the URL names no database";
        }
        break;
    case CFG_URL_MQ:
        ok = strcmp(u.scheme, "amqp") == 0;
        why = "expected amqp://user:password@host:port/vhost";
        break;
    default:
        ok = strcmp(u.scheme, "http") == 0 || strcmp(u.scheme, "https") == 0;
        why = "expected http://host:port or https://host:port";
        break;
    }
    url_cleanup(&u);
    return ok ? RC_OK : bad(err, errlen, e, val, why);
}

static int
check_tz(const char *v)
{
    if (strcmp(v, "UTC") == 0 || strcmp(v, "Z") == 0) {
        return RC_OK;
    }
    if (strlen(v) == 6 && (v[0] == '+' || v[0] == '-') && v[3] == ':' && v[1] >= '0' &&
        v[1] <= '1' && v[2] >= '0' && v[2] <= '9' && v[4] >= '0' && v[4] <= '5' && v[5] >= '0' &&
        v[5] <= '9' && (v[1] - '0') * 10 + (v[2] - '0') <= 14) {
        return RC_OK;
    }
    return RC_INVALID;
}

/* Lower-case letters, digits, '-', '_' and '.', not starting with '-', '_',
 * '+' or '.', at most 200 bytes (room for the suffix of a concrete index). */
static int
check_index(const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n > 200 || v[0] == '-' || v[0] == '_' || v[0] == '.') {
        return RC_INVALID;
    }
    for (; *v; v++) {
        if (!((*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') || *v == '-' || *v == '_' ||
              *v == '.')) {
            return RC_INVALID;
        }
    }
    return RC_OK;
}

static int
load_entry(struct config *c, const struct cfg_entry *e, char *err, size_t errlen)
{
    const char *val = getenv(e->name);
    char *field = (char *)c + e->off;

    if (val == NULL) {
        val = e->def;
    }
    switch (e->type) {
    case CFG_INT: {
        char *end;
        long v;

        errno = 0;
        v = strtol(val, &end, 10);
        if (val[0] == '\0' || *end != '\0' || errno != 0 || v < e->min || v > e->max) {
            char why[80];

            snprintf(why, sizeof(why), "expected an integer from %ld to %ld", e->min, e->max);
            return bad(err, errlen, e, val, why);
        }
        *(int *)(void *)field = (int)v;
        return RC_OK;
    }
    case CFG_PROB: {
        char *end;
        double v;

        errno = 0;
        v = strtod(val, &end);
        if (val[0] == '\0' || *end != '\0' || errno != 0 || !(v >= 0.0 && v <= 1.0) ||
            strspn(val, "0123456789.") != strlen(val)) {
            return bad(err, errlen, e, val, "expected a decimal number from 0 to 1");
        }
        *(double *)(void *)field = v;
        return RC_OK;
    }
    case CFG_LEVEL:
        if (log_level_parse(val, (enum log_level *)(void *)field) != RC_OK) {
            return bad(err, errlen, e, val, "expected error, warn, info or debug");
        }
        return RC_OK;
    case CFG_NAME:
        if (val[0] == '\0' || strlen(val) > 255) {
            return bad(err, errlen, e, val, "expected a non-empty name of at most 255 bytes");
        }
        for (const char *p = val; *p; p++) {
            if (*p <= ' ' || *p > '~') {
                return bad(err, errlen, e, val, "spaces and non-ASCII characters are not allowed");
            }
        }
        break;
    case CFG_TZ:
        if (check_tz(val) != RC_OK) {
            return bad(err, errlen, e, val, "expected UTC or an offset such as +02:00");
        }
        break;
    case CFG_INDEX:
        if (check_index(val) != RC_OK) {
            return bad(err, errlen, e, val,
                       "expected at most 200 lower-case letters, digits, '-', '_' or '.', "
                       "not starting with '-', '_' or '.'");
        }
        break;
    case CFG_URL_DB:
    case CFG_URL_MQ:
    case CFG_URL_ES:
        if (check_url(e, val, err, errlen) != RC_OK) {
            return RC_INVALID;
        }
        break;
    case CFG_STR:
        break;
    }
    *(char **)(void *)field = xstrdup(val);
    return RC_OK;
}

/* MARIADB_URL, when given, replaces host, port, user, password and database. */
static void
apply_db_url(struct config *c)
{
    struct url u;
    const char *why;

    if (c->mariadb_url[0] == '\0' || url_parse(c->mariadb_url, &u, &why) != RC_OK) {
        return;
    }
    free(c->mariadb_host);
    c->mariadb_host = xstrdup(u.host);
    if (u.port != 0) {
        c->mariadb_port = u.port;
    } else {
        c->mariadb_port = 3306;
    }
    if (u.user != NULL) {
        free(c->mariadb_user);
        c->mariadb_user = xstrdup(u.user);
    }
    if (u.password != NULL) {
        free(c->mariadb_password);
        c->mariadb_password = xstrdup(u.password);
    }
    free(c->mariadb_database);
    c->mariadb_database = xstrdup(u.path);
    url_cleanup(&u);
}

int
config_load(struct config *c, char *err, size_t errlen)
{
    size_t i;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < NENTRIES; i++) {
        if (load_entry(c, &cfg_table[i], err, errlen) != RC_OK) {
            config_cleanup(c);
            return RC_INVALID;
        }
    }
    if (c->link_low > c->link_high) {
        snprintf(err, errlen, "invalid LINK_LOW='%g': must not exceed LINK_HIGH (%g)", c->link_low,
                 c->link_high);
        config_cleanup(c);
        return RC_INVALID;
    }
    apply_db_url(c);
    return RC_OK;
}

void
config_cleanup(struct config *c)
{
    size_t i;

    if (c == NULL) {
        return;
    }
    for (i = 0; i < NENTRIES; i++) {
        const struct cfg_entry *e = &cfg_table[i];

        if (e->type != CFG_INT && e->type != CFG_LEVEL && e->type != CFG_PROB) {
            char **field = (char **)(void *)((char *)c + e->off);

            free(*field);
            *field = NULL;
        }
    }
}

/* Copies a URL with its password replaced by ***. */
static void
mask_url(const char *val, char *out, size_t outlen)
{
    const char *scheme_end = strstr(val, "://");
    const char *at = strrchr(val, '@');
    const char *colon;

    if (scheme_end == NULL || at == NULL) {
        snprintf(out, outlen, "%s", val);
        return;
    }
    colon = memchr(scheme_end + 3, ':', (size_t)(at - scheme_end - 3));
    if (colon == NULL) {
        snprintf(out, outlen, "%s", val);
        return;
    }
    snprintf(out, outlen, "%.*s:***%s", (int)(colon - val), val, at);
}

void
config_log(const struct config *c)
{
    char line[2048];
    size_t n = 0, i;

    for (i = 0; i < NENTRIES && n < sizeof(line); i++) {
        const struct cfg_entry *e = &cfg_table[i];
        const char *field = (const char *)c + e->off;
        char shown[512];

        switch (e->type) {
        case CFG_INT:
            snprintf(shown, sizeof(shown), "%d", *(const int *)(const void *)field);
            break;
        case CFG_PROB:
            snprintf(shown, sizeof(shown), "%g", *(const double *)(const void *)field);
            break;
        case CFG_LEVEL:
            snprintf(shown, sizeof(shown), "%s",
                     log_level_name(*(const enum log_level *)(const void *)field));
            break;
        default: {
            const char *s = *(char *const *)(const void *)field;

            if (e->type == CFG_STR && e->secret) {
                snprintf(shown, sizeof(shown), "%s", s[0] ? "***" : "");
            } else if (e->secret) {
                mask_url(s, shown, sizeof(shown));
            } else {
                snprintf(shown, sizeof(shown), "%s", s);
            }
            break;
        }
        }
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s=\"%s\"", i ? " " : "", e->name,
                              shown);
    }
    log_info("config", "event=config %s", line);
}

void
config_print_help(void)
{
    size_t i;

    printf("Environment variables (default in brackets):\n");
    for (i = 0; i < NENTRIES; i++) {
        const struct cfg_entry *e = &cfg_table[i];

        printf("  %-22s %s [%s]\n", e->name, e->doc, e->def);
    }
}

int
config_start_program(int argc, char **argv, const char *role, const char *usage, struct config *c)
{
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    char err[512];

    if (argc > 1) {
        if (strcmp(argv[1], "--help-config") == 0) {
            config_print_help();
            return 0;
        }
        fprintf(stderr, "usage: %s [--help-config]\n  %s\n", prog, usage);
        return 2;
    }
    if (config_load(c, err, sizeof(err)) != RC_OK) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 2;
    }
    log_init(role, c->log_level);
    if (c->log_file[0] && log_open_file(c->log_file) != RC_OK) {
        config_cleanup(c);
        return 2;
    }
    return -1;
}
