/*
 * mirror.c: the search mirror; see mirror.h. One round: read up to
 * MIRROR_BATCH_SIZE pending outbox rows, load the current state of their
 * matches (several rows of one match give one document), send one _bulk,
 * then delete the rows of confirmed documents and mark the others failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "db_matches.h"
#include "db_status.h"
#include "db_outbox.h"
#include "es.h"
#include "log.h"
#include "mem.h"
#include "mirror.h"
#include "rc.h"
#include "search_doc.h"
#include "text.h"

#define BUSY_INTERVAL_MS 5000 /* while the queue is busy, one round per 5 s at most */
#define BACKOFF_START_MS 200
#define RESCAN_EVERY_MS  60000 /* read the outbox from its start again at least this often */
#define IDLE_CHECK_MS    5000  /* rows other writers (tools/reindex) queue are seen this late */
#define RENAME_CHECK_MS  5000  /* renamed tournaments and teams are looked for this often */
#define RENAMES_MAX      256   /* per kind and round */

struct mirror {
    const struct config *cfg;
    struct db *db;
    struct es *es;
    int index_ready; /* the alias exists (checked once, and after index errors) */
    int pending;     /* the outbox may hold rows */
    long next_ms;    /* no round before this (backoff) */
    long busy_ms;    /* while the queue is busy, no round before this */
    struct backoff backoff;
    uint64_t cursor; /* the outbox rows below this id are all deleted or parked */
    long rescan_ms;  /* when the cursor goes back to 0 */
    long check_ms;   /* when an empty outbox is looked at again */
    long rename_ms;  /* when renamed tournaments and teams are looked for again */
    /* the last rename propagated, per kind ("" at start: every rename ever,
     * since the documents of a previous run may predate them) */
    char renamed_at[2][32];
    struct renamed *renamed;
    struct outbox_row *rows;
    struct es_bulk bulk;
    struct arena arena;
    buf_t scratch;
    int down_logged; /* the engine is unreachable and that was logged */
    int active;      /* this process is the active consumer and holds the lock */
    int busy;        /* the consumer's batches were filling up at this round */
};

struct mirror *
mirror_new(const struct config *cfg, struct db *db)
{
    struct mirror *m;

    if (cfg->elasticsearch_url[0] == '\0') {
        log_info("mirror", "event=off reason=\"ELASTICSEARCH_URL is empty\"");
        return NULL;
    }
    m = xcalloc(1, sizeof(*m));
    m->cfg = cfg;
    m->db = db;
    m->es = es_new_from_config(cfg);
    m->pending = 1; /* whatever a previous run left */
    backoff_init(&m->backoff, BACKOFF_START_MS, cfg->mirror_retry_max_ms);
    m->rows = xmalloc((size_t)cfg->mirror_batch_size * sizeof(*m->rows));
    m->renamed = xmalloc(RENAMES_MAX * sizeof(*m->renamed));
    es_bulk_init(&m->bulk);
    arena_init(&m->arena, 256 * 1024);
    buf_init(&m->scratch, 0);
    db_outbox_register(db);
    db_matches_register(db);
    return m;
}

void
mirror_free(struct mirror *m)
{
    if (m == NULL) {
        return;
    }
    es_free(m->es);
    es_bulk_cleanup(&m->bulk);
    arena_cleanup(&m->arena);
    buf_cleanup(&m->scratch);
    free(m->rows);
    free(m->renamed);
    free(m);
}

int
mirror_is_active(struct mirror *m, int pid)
{
    struct consumer_status cs;
    int mine = db_status_get(m->db, &cs) == RC_OK && cs.pid == pid;
    int locked = mine && db_outbox_lock(m->db) == RC_OK;

    if (!locked && m->active) {
        (void)db_outbox_unlock(m->db);
        log_info("mirror", "event=mirror_standing_by reason=\"%s\"",
                 mine ? "another mirror holds the lock" : "another consumer is the active one");
    } else if (locked && !m->active) {
        log_info("mirror", "event=mirror_active");
        m->pending = 1; /* whatever the previous mirror left */
    }
    m->active = locked;
    return locked;
}

void
mirror_notify(struct mirror *m)
{
    if (m != NULL) {
        m->pending = 1;
    }
}

static void
back_off(struct mirror *m, const char *what, int rc, const char *err)
{
    if (!m->down_logged || m->backoff.delay_ms >= m->backoff.max_ms) {
        log_warn("mirror", "event=mirror_waiting target=%s rc=%s err=\"%s\" delay_ms=%ld", what,
                 rc_name(rc), err, m->backoff.delay_ms);
        m->down_logged = 1;
    }
    m->next_ms = dt_mono_ms() + backoff_next(&m->backoff);
}

static int
by_match(const void *a, const void *b)
{
    const struct outbox_row *x = a, *y = b;

    if (x->match_id != y->match_id) {
        return x->match_id < y->match_id ? -1 : 1;
    }
    return x->id < y->id ? -1 : (x->id > y->id);
}

/* The outbox rows of match_id in rows[0..n) sorted by match: [*lo, *hi). */
static void
rows_of(const struct outbox_row *rows, size_t n, uint64_t match_id, size_t *lo, size_t *hi)
{
    size_t a = 0, b = n;

    while (a < b) {
        size_t mid = a + (b - a) / 2;

        if (rows[mid].match_id < match_id) {
            a = mid + 1;
        } else {
            b = mid;
        }
    }
    *lo = a;
    while (a < n && rows[a].match_id == match_id) {
        a++;
    }
    *hi = a;
}

/* After the bulk answered: delete the confirmed rows, count the failures. */
static int
settle(struct mirror *m, const struct outbox_row *rows, size_t n, size_t *deleted, size_t *failed,
       size_t *parked, uint64_t *cursor)
{
    struct es_bulk *b = &m->bulk;
    uint64_t *done = xmalloc(n * sizeof(*done)), *bad = xmalloc(n * sizeof(*bad));
    const char **errs = xmalloc(n * sizeof(*errs));
    size_t ndone = 0, nbad = 0, i, j, lo, hi;
    int rc, index_missing = 0;

    *parked = 0;
    for (i = 0; i < b->n; i++) {
        const struct es_bulk_item *it = &b->items[i];
        uint64_t match_id = strtoull(it->id, NULL, 10);

        rows_of(rows, n, match_id, &lo, &hi);
        if (!it->ok && strstr(it->error, "index_not_found") != NULL) {
            index_missing = 1; /* not the document's fault: keep it as it is */
            for (j = lo; j < hi; j++) {
                *cursor = rows[j].id < *cursor ? rows[j].id : *cursor;
            }
            continue;
        }
        for (j = lo; j < hi; j++) {
            if (it->ok) {
                done[ndone++] = rows[j].id;
            } else {
                bad[nbad] = rows[j].id;
                errs[nbad++] = it->error;
                if (rows[j].attempts + 1 < (unsigned)m->cfg->mirror_max_attempts) {
                    *cursor = rows[j].id < *cursor ? rows[j].id : *cursor; /* to try again */
                } else {
                    (*parked)++;
                    log_warn("mirror",
                             "event=outbox_parked outbox_id=%llu match_id=%llu "
                             "attempts=%u err=\"%s\"",
                             (unsigned long long)rows[j].id, (unsigned long long)match_id,
                             rows[j].attempts + 1, it->error);
                }
            }
        }
        if (!it->ok) {
            log_warn("mirror", "event=document_refused match_id=%llu status=%d err=\"%s\"",
                     (unsigned long long)match_id, it->status, it->error);
        }
    }
    if (index_missing) {
        m->index_ready = 0;
    }
    rc = db_outbox_delete(m->db, done, ndone);
    if (rc == RC_OK) {
        rc = db_outbox_failed(m->db, bad, errs, nbad, (unsigned)m->cfg->mirror_max_attempts);
    }
    *deleted = ndone;
    *failed = nbad;
    free(done);
    free(bad);
    free(errs);
    return rc;
}

/*
 * A later message for another match may rename a tournament or a team: the
 * documents of every match naming it change. The rows tell (updated_at moves
 * only with the name); the documents are rewritten in the engine by query,
 * one per kind and round for up to RENAMES_MAX names, after a refresh so
 * that those sent a moment ago are seen too.
 */
static int
propagate_renames(struct mirror *m)
{
    const char *alias = m->cfg->elasticsearch_index;
    struct search_rename names[RENAMES_MAX]; /* m->renamed, as the engine's update takes them */
    int kind, rc = RC_OK, refreshed = 0;

    for (kind = RENAMED_TOURNAMENT; kind <= RENAMED_TEAM && rc == RC_OK; kind++) {
        size_t n = 0, i;

        rc = db_outbox_renamed(m->db, (enum renamed_kind)kind, m->renamed_at[kind], RENAMES_MAX,
                               m->renamed, &n);
        if (rc != RC_OK) {
            back_off(m, "mariadb", rc, "reading renamed names");
            return rc;
        }
        if (n > 0 && !refreshed) {
            rc = es_refresh(m->es, alias);
            refreshed = 1;
        }
        if (n > 0 && rc == RC_OK) {
            long t0 = dt_mono_ms();
            uint64_t updated = 0;

            for (i = 0; i < n; i++) {
                names[i].id = m->renamed[i].id;
                names[i].name = m->renamed[i].name;
            }
            rc = search_doc_rename(m->es, alias, kind == RENAMED_TEAM, names, n, &updated);
            if (rc == RC_OK) {
                snprintf(m->renamed_at[kind], sizeof(m->renamed_at[kind]), "%s",
                         m->renamed[n - 1].at);
                if (updated > 0) {
                    log_info("mirror",
                             "event=rename_propagated kind=%s renamed=%zu documents=%llu ms=%ld",
                             kind == RENAMED_TEAM ? "team" : "tournament", n,
                             (unsigned long long)updated, dt_mono_ms() - t0);
                }
            }
        }
        if (rc != RC_OK) {
            back_off(m, "elasticsearch", rc, es_last_error(m->es));
        }
    }
    return rc;
}

/* One round; RC_OK (with *more when a full batch went out), or an error
 * after which the mirror backs off. */
static int
round_trip(struct mirror *m, int *more)
{
    const char *alias = m->cfg->elasticsearch_index;
    struct match_view *views = NULL;
    uint64_t *ids;
    size_t n = 0, nids = 0, nviews = 0, i, v, deleted = 0, failed = 0, parked = 0;
    long t0 = dt_mono_ms(), t_rows, t_db;
    uint64_t next_cursor;
    int rc;

    *more = 0;
    if (!m->index_ready) {
        rc = search_doc_ensure_index(m->es, alias);
        if (rc != RC_OK) {
            back_off(m, "elasticsearch", rc, es_last_error(m->es));
            return rc;
        }
        m->index_ready = 1;
    }
    /* Rows committed out of id order (another writer, such as tools/reindex)
     * could hide below the cursor: the start is read again now and then, and
     * before the outbox is declared empty. */
    if (t0 >= m->rescan_ms) {
        m->cursor = 0;
        m->rescan_ms = t0 + RESCAN_EVERY_MS;
    }
    rc = db_outbox_pending(m->db, m->cursor, (size_t)m->cfg->mirror_batch_size, m->rows, &n);
    if (rc == RC_OK && n == 0 && m->cursor > 0) {
        m->cursor = 0;
        rc = db_outbox_pending(m->db, 0, (size_t)m->cfg->mirror_batch_size, m->rows, &n);
    }
    if (rc != RC_OK) {
        back_off(m, "mariadb", rc, "reading the outbox");
        return rc;
    }
    if (n == 0) {
        m->pending = 0;
        m->check_ms = t0 + IDLE_CHECK_MS;
        if (t0 >= m->rename_ms) {
            m->rename_ms = t0 + RENAME_CHECK_MS;
            return propagate_renames(m);
        }
        return RC_OK;
    }
    /* renames come with outbox rows (the renaming message's own match): looked
     * for in every round that has rows, so an empty outbox means they are
     * done too, and every few seconds anyway */
    if (propagate_renames(m) != RC_OK) {
        return RC_UNAVAIL;
    }
    m->rename_ms = t0 + RENAME_CHECK_MS;
    t_rows = dt_mono_ms() - t0;
    /* rows are in id order: past the last one, unless some of them stay */
    next_cursor = m->rows[n - 1].id + 1;
    qsort(m->rows, n, sizeof(*m->rows), by_match);
    ids = xmalloc(n * sizeof(*ids));
    for (i = 0; i < n; i++) {
        if (nids == 0 || ids[nids - 1] != m->rows[i].match_id) {
            ids[nids++] = m->rows[i].match_id;
        }
    }
    arena_reset(&m->arena);
    rc = db_matches_find_docs(m->db, ids, nids, &m->arena, &views, &nviews);
    t_db = dt_mono_ms() - t0;
    es_bulk_reset(&m->bulk);
    /* views come in id order, like ids: a gap is a match that no longer exists */
    for (i = 0, v = 0; rc == RC_OK && i < nids; i++) {
        if (v < nviews && views[v].id == ids[i]) {
            if (search_doc_bulk_add(&m->bulk, alias, &views[v++], &m->scratch) != RC_OK) {
                rc = RC_ERR;
            }
        } else {
            char id[24];

            snprintf(id, sizeof(id), "%llu", (unsigned long long)ids[i]);
            es_bulk_delete(&m->bulk, alias, id);
        }
    }
    free(ids);
    if (rc != RC_OK) {
        back_off(m, "mariadb", rc, "reading the matches");
        return rc;
    }
    rc = es_bulk_send(m->es, &m->bulk);
    if (rc != RC_OK) {
        back_off(m, "elasticsearch", rc, es_last_error(m->es));
        return rc;
    }
    rc = settle(m, m->rows, n, &deleted, &failed, &parked, &next_cursor);
    if (rc != RC_OK) {
        back_off(m, "mariadb", rc, "updating the outbox");
        return rc;
    }
    m->cursor = next_cursor;
    if (m->down_logged) {
        log_info("mirror", "event=mirror_resumed");
        m->down_logged = 0;
    }
    log_info(
        "mirror",
        "event=mirror_sent outbox_rows=%zu documents=%zu confirmed=%zu refused=%zu "
        "rows_deleted=%zu rows_failed=%zu rows_parked=%zu outbox_ms=%ld db_ms=%ld total_ms=%ld "
        "busy=%d",
        n, m->bulk.n, m->bulk.nok, m->bulk.nfailed, deleted, failed, parked, t_rows, t_db,
        dt_mono_ms() - t0, m->busy);
    if (failed > 0 || !m->index_ready) {
        /* refused documents are retried after a pause, not in a tight loop */
        back_off(m, "elasticsearch", RC_INVALID, "documents refused");
        m->down_logged = 0;
        return RC_OK;
    }
    backoff_reset(&m->backoff);
    *more = n == (size_t)m->cfg->mirror_batch_size;
    m->pending = *more;
    return RC_OK;
}

int
mirror_poll(struct mirror *m, int busy, int max_wait_ms)
{
    long now, wait, due;
    int more = 0;

    if (m == NULL) {
        return max_wait_ms;
    }
    now = dt_mono_ms();
    if (!m->pending && now >= m->check_ms) {
        m->pending = 1;
    }
    if (!m->pending) {
        wait = m->check_ms - now;
        return wait < max_wait_ms ? (int)wait : max_wait_ms;
    }
    due = busy && m->busy_ms > m->next_ms ? m->busy_ms : m->next_ms;
    if (now < due) {
        wait = due - now;
        return wait < max_wait_ms ? (int)wait : max_wait_ms;
    }
    m->busy = busy;
    (void)round_trip(m, &more);
    m->busy_ms = dt_mono_ms() + BUSY_INTERVAL_MS;
    if (!m->pending) {
        return max_wait_ms;
    }
    /* more to do: the caller may only wait for a backoff (an idle queue
     * gives the next round at once; a busy one gets its turn in batches) */
    now = dt_mono_ms();
    wait = m->next_ms > now ? m->next_ms - now : 0;
    return wait < max_wait_ms ? (int)wait : max_wait_ms;
}
