/* metrics.c: shared counters in a mapped file; see metrics.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mapfile.h"
#include "mem.h"
#include "util.h"
#include "metrics.h"

static const int statuses[] = {200, 304, 400, 404, 405, 500, 503, 0 /* other */};
#define NSTATUS ARRAY_SIZE(statuses)
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1.0};
#define NBUCKET ARRAY_SIZE(buckets)

struct metrics {
    uint64_t magic;
    uint64_t requests[METRICS_ROUTES][NSTATUS];
    uint64_t le[METRICS_ROUTES][NBUCKET + 1]; /* per bucket, the last is +Inf */
    uint64_t sum_us[METRICS_ROUTES];
    uint64_t db_errors;
};

#define MAGIC 0x6573706f72747331ULL /* layout version */

struct metrics *
metrics_open(const char *path)
{
    struct metrics *m = NULL;

    if (path != NULL && path[0] != '\0') {
        m = mapfile_open(path, sizeof(struct metrics), "metrics", "private");
    }
    if (m == NULL) {
        return xcalloc(1, sizeof(*m)); /* the worker's own: magic 0 */
    }
    /* a new file is all zeroes; one of another layout starts over */
    if (__atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) != MAGIC) {
        memset((char *)m + sizeof(m->magic), 0, sizeof(*m) - sizeof(m->magic));
        __atomic_store_n(&m->magic, MAGIC, __ATOMIC_RELEASE);
    }
    return m;
}

void
metrics_close(struct metrics *m)
{
    if (m == NULL) {
        return;
    }
    if (__atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) == MAGIC) {
        mapfile_close(m, sizeof(*m));
    } else {
        free(m);
    }
}

void
metrics_observe(struct metrics *m, int route, int status, double seconds)
{
    size_t s, b;

    if (m == NULL || route < 0 || route >= METRICS_ROUTES) {
        return;
    }
    for (s = 0; s < NSTATUS - 1 && statuses[s] != status; s++) {
    }
    for (b = 0; b < NBUCKET && seconds > buckets[b]; b++) {
    }
    __atomic_fetch_add(&m->requests[route][s], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&m->le[route][b], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&m->sum_us[route], (uint64_t)(seconds * 1e6), __ATOMIC_RELAXED);
}

void
metrics_db_error(struct metrics *m)
{
    if (m != NULL) {
        __atomic_fetch_add(&m->db_errors, 1, __ATOMIC_RELAXED);
    }
}

static uint64_t
get(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
metrics_render(const struct metrics *m, buf_t *out, const char *const *names, size_t n,
               const struct consumer_status *cs, int stall_s)
{
    static const char *const states[] = {"running", "retrying", "blocked",
                                         "stalled", "down",     "stopped"};
    struct ingest_health h;
    size_t r, s, b;

    if (m == NULL) {
        return;
    }
    if (n > METRICS_ROUTES) {
        n = METRICS_ROUTES;
    }
    buf_append_str(out, "# HELP esports_http_requests_total HTTP requests answered, by route "
                        "and status.\n# TYPE esports_http_requests_total counter\n");
    for (r = 0; r < n; r++) {
        for (s = 0; s < NSTATUS; s++) {
            uint64_t v = get(&m->requests[r][s]);

            if (v == 0) {
                continue;
            }
            if (statuses[s] != 0) {
                buf_appendf(out, "esports_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                            names[r], statuses[s], (unsigned long long)v);
            } else {
                buf_appendf(out,
                            "esports_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                            names[r], (unsigned long long)v);
            }
        }
    }
    buf_append_str(out, "# HELP esports_http_request_duration_seconds Time to answer, by route.\n"
                        "# TYPE esports_http_request_duration_seconds histogram\n");
    for (r = 0; r < n; r++) {
        uint64_t cum = 0;

        for (b = 0; b <= NBUCKET; b++) {
            cum += get(&m->le[r][b]);
            if (b < NBUCKET) {
                buf_appendf(out,
                            "esports_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                            "%llu\n",
                            names[r], buckets[b], (unsigned long long)cum);
            } else {
                buf_appendf(
                    out,
                    "esports_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                    "%llu\n",
                    names[r], (unsigned long long)cum);
            }
        }
        buf_appendf(out, "esports_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", names[r],
                    (double)get(&m->sum_us[r]) / 1e6);
        buf_appendf(out, "esports_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                    names[r], (unsigned long long)cum);
    }
    buf_appendf(
        out,
        "# HELP esports_database_errors_total Database calls that failed in the workers.\n"
        "# TYPE esports_database_errors_total counter\nesports_database_errors_total %llu\n",
        (unsigned long long)get(&m->db_errors));
    if (cs == NULL) {
        return;
    }
    buf_appendf(out,
                "# HELP esports_consumer_messages_applied_total Messages the consumer applied.\n"
                "# TYPE esports_consumer_messages_applied_total counter\n"
                "esports_consumer_messages_applied_total %llu\n"
                "# HELP esports_consumer_messages_rejected_total Messages the consumer rejected.\n"
                "# TYPE esports_consumer_messages_rejected_total counter\n"
                "esports_consumer_messages_rejected_total %llu\n"
                "# HELP esports_consumer_last_applied_timestamp_seconds When the consumer last "
                "applied a message.\n"
                "# TYPE esports_consumer_last_applied_timestamp_seconds gauge\n"
                "esports_consumer_last_applied_timestamp_seconds %lld\n",
                (unsigned long long)cs->applied, (unsigned long long)cs->rejected,
                (long long)cs->last_applied_at);
    ingest_judge(cs, stall_s, &h);
    buf_appendf(
        out,
        "# HELP esports_ingest_stalled 1 while messages wait without a commit past "
        "HEALTH_STALL_S, or the consumer is silent that long (/healthz answers 503).\n"
        "# TYPE esports_ingest_stalled gauge\nesports_ingest_stalled %d\n"
        "# HELP esports_ingest_waiting_seconds How long messages have waited without a "
        "commit.\n"
        "# TYPE esports_ingest_waiting_seconds gauge\nesports_ingest_waiting_seconds %lld\n"
        "# HELP esports_queue_depth Messages ready in the queue, as the consumer last "
        "measured (-1: never).\n"
        "# TYPE esports_queue_depth gauge\nesports_queue_depth %lld\n"
        "# HELP esports_consumer_failed_batches Batches rolled back since the last commit.\n"
        "# TYPE esports_consumer_failed_batches gauge\nesports_consumer_failed_batches %lld\n"
        "# HELP esports_consumer_heartbeat_age_seconds Seconds since the consumer's last "
        "sign of life.\n"
        "# TYPE esports_consumer_heartbeat_age_seconds gauge\n"
        "esports_consumer_heartbeat_age_seconds %lld\n"
        "# HELP esports_consumer_state The consumer's state, as /healthz reports it.\n"
        "# TYPE esports_consumer_state gauge\n",
        h.stalled, (long long)h.stalled_s, (long long)cs->queue_depth,
        (long long)cs->failed_batches, (long long)cs->heartbeat_age);
    for (size_t k = 0; k < ARRAY_SIZE(states); k++) {
        buf_appendf(out, "esports_consumer_state{state=\"%s\"} %d\n", states[k],
                    strcmp(states[k], h.state) == 0);
    }
}

void
metrics_render_live(buf_t *out, uint64_t published, uint64_t failed, uint64_t newest_seq)
{
    buf_appendf(out,
                "# HELP esports_changes_last_seq The newest seq of the change feed.\n"
                "# TYPE esports_changes_last_seq gauge\nesports_changes_last_seq %llu\n"
                "# HELP esports_live_published_total Changes the consumer published to nchan.\n"
                "# TYPE esports_live_published_total counter\n"
                "esports_live_published_total %llu\n"
                "# HELP esports_live_publish_failures_total Changes the consumer failed to "
                "publish to nchan (unreachable, refused, or skipped in a failing round).\n"
                "# TYPE esports_live_publish_failures_total counter\n"
                "esports_live_publish_failures_total %llu\n",
                (unsigned long long)newest_seq, (unsigned long long)published,
                (unsigned long long)failed);
}

void
metrics_render_link_queue(buf_t *out, uint64_t depth, double oldest_s)
{
    buf_appendf(out,
                "# HELP esports_link_queue_depth Rows of link_queue waiting for the linker: "
                "matches a batch changed, teams and tournaments it renamed.\n"
                "# TYPE esports_link_queue_depth gauge\nesports_link_queue_depth %llu\n"
                "# HELP esports_link_queue_oldest_seconds How long the oldest row of link_queue "
                "has waited (0: none): the linker's lag.\n"
                "# TYPE esports_link_queue_oldest_seconds gauge\n"
                "esports_link_queue_oldest_seconds %.3f\n",
                (unsigned long long)depth, oldest_s);
}
