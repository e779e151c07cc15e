/*
 * config.h: every setting of every program, read once from the environment.
 *
 * config_load() reads the table in config.c, checks every value against its
 * type and bounds, and on the first bad one returns RC_INVALID with a message
 * naming the variable. The programs print that line and exit with status 2.
 * A loaded config is passed around as `const struct config *`.
 */
#ifndef ESPORTS_CONFIG_H
#define ESPORTS_CONFIG_H

#include <stddef.h>

#include "log.h"

struct config {
    /* MariaDB: MARIADB_URL, when set, overrides the five fields it carries. */
    char *mariadb_url;
    char *mariadb_host;
    int mariadb_port;
    char *mariadb_user;
    char *mariadb_password;
    char *mariadb_database;
    char *mariadb_socket; /* unix socket; when set it is used instead of host:port */
    int db_connect_timeout_s;
    int db_retry_max_ms; /* cap of the exponential backoff between connect attempts */

    /* RabbitMQ */
    char *amqp_url;
    char *amqp_exchange;
    char *amqp_queue;
    char *amqp_routing_key;
    char *amqp_dlx;
    char *amqp_dead_queue;
    int amqp_prefetch;
    int amqp_heartbeat_s;

    /* consumer */
    int batch_size;
    int batch_ms;
    int commit_window_ms; /* a batch stays open at least this long (group commit) */
    int health_stall_s;   /* waiting without progress this long: /healthz says stalled */
    int fcgi_cache_bytes; /* each worker process's response cache, bytes */
    int max_message_bytes;
    char *source_timezone; /* "UTC" or "+HH:MM" / "-HH:MM": how naive source times are read */

    /* search; "" = mirror off */
    char *elasticsearch_url;
    char *elasticsearch_index; /* the alias the documents are written and searched through */
    int es_connect_timeout_ms;
    int es_timeout_ms;
    int es_retries;
    int es_retry_max_ms;
    int mirror_batch_size;   /* outbox rows per _bulk */
    int mirror_max_attempts; /* then the row is parked */
    int mirror_retry_max_ms; /* cap of the mirror's backoff while the engine is down */

    /* change feed and live push */
    int changes_keep_s;     /* changes older than this are pruned */
    int changes_keep_rows;  /* and beyond this many, the oldest */
    char *live_publish_url; /* nchan's publisher base URL; "" = no push */
    int live_timeout_ms;    /* one publish request at most */

    /* logging */
    enum log_level log_level;
    char *log_file; /* "" = stderr only */

    /* FastCGI workers */
    int http_max_query_bytes;
    char *metrics_file;      /* shared counters of the workers; "" = per worker */
    char *templates_dir;     /* the website's templates */
    char *commit_clock_file; /* commitclock.h; "" = off */

    /* record linkage (model/link.h) */
    int link_enabled;  /* the consumer links each batch's changed matches */
    int link_window_s; /* blocking: starts at most this far apart */
    double link_high;  /* at or above: linked automatically */
    double link_low;   /* at or above (below high): a suggestion */
};

/* Loads every setting from the environment. On RC_INVALID, err holds one line
 * naming the variable, its value and what was expected. On success the caller
 * owns c and frees it with config_cleanup(). */
int config_load(struct config *c, char *err, size_t errlen);
/* Frees the strings of c. Accepts NULL. */
void config_cleanup(struct config *c);
/* Logs the effective settings at info level, passwords masked. */
void config_log(const struct config *c);

/*
 * The start of every daemon: answers --help-config, refuses other arguments
 * with usage, loads the config (an invalid value: one line naming it) and
 * sets up logging as role. Returns -1 when the program should go on with c
 * loaded, or the exit status to return (0 after --help-config, 2 on errors).
 */
int config_start_program(int argc, char **argv, const char *role, const char *usage,
                         struct config *c);

/* Writes the table of variables, defaults and descriptions to stdout
 * (the programs' --help-config). */
void config_print_help(void);

#endif
