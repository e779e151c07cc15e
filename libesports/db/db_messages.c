/* db_messages.c: SQL of the raw message log; see db_messages.h. */
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "db_messages.h"
#include "mem.h"
#include "rc.h"
#include "util.h"

static const char SQL_INSERT[] =
    "INSERT INTO messages (received_at, payload, payload_size, sha256, status, error, source,"
    " external_id, match_id, delivery_tag, redelivered, exchange, routing_key, message_id)"
    " VALUES (UTC_TIMESTAMP(6), ?, ?, ?, ?, LEFT(?, 1024), LEFT(?, 191), LEFT(?, 191), ?, ?, ?,"
    " ?, ?, ?)";

static const char SQL_SEEN[] =
    "SELECT 1 FROM messages WHERE sha256 = ? AND message_id <=> ? LIMIT 1";

static const char *const message_sqls[] = {SQL_INSERT, SQL_SEEN};

void
db_messages_register(struct db *db)
{
    db_register(db, message_sqls, ARRAY_SIZE(message_sqls));
}

/* Binds optional bytes: none (n = 0) becomes SQL NULL. */
static void
bind_opt_bytes(MYSQL_BIND *b, const char *s, size_t n, unsigned long *len, char *is_null)
{
    *is_null = s == NULL || n == 0;
    *len = *is_null ? 0 : (unsigned long)n;
    db_bind_str(b, *is_null ? "" : s, len, is_null);
    b->buffer_type = MYSQL_TYPE_BLOB;
}

/* Column arrays of the 13 parameters of SQL_INSERT for n rows. */
enum { C_PAYLOAD, C_SHA, C_STATUS, C_ERROR, C_SOURCE, C_EXT, C_EXCHANGE, C_RKEY, C_MSGID, NSTR };
enum { I_SIZE, I_MATCH, I_TAG, I_REDELIVERED, NINT };

/* Sets row r of a string column to s; NULL or "" becomes SQL NULL. */
static void
put_str(const char **v, unsigned long *lens, char *ind, size_t r, const char *s, size_t len)
{
    int null = s == NULL || len == 0;

    v[r] = null ? "" : s;
    lens[r] = null ? 0 : (unsigned long)len;
    ind[r] = null ? STMT_INDICATOR_NULL : STMT_INDICATOR_NONE;
}

int
db_messages_insert_many(struct db *db, const struct raw_message *rows, size_t n)
{
    static const int order[13] = {C_PAYLOAD,  -1 - I_SIZE,        C_SHA,      C_STATUS,
                                  C_ERROR,    C_SOURCE,           C_EXT,      -1 - I_MATCH,
                                  -1 - I_TAG, -1 - I_REDELIVERED, C_EXCHANGE, C_RKEY,
                                  C_MSGID};
    MYSQL_BIND p[13];
    const char **sv = xmalloc(NSTR * n * sizeof(*sv));
    unsigned long *lens = xmalloc(NSTR * n * sizeof(*lens));
    char *ind = xmalloc((NSTR + NINT) * n);
    int64_t *iv = xmalloc(NINT * n * sizeof(*iv));
    size_t r, k;
    int rc;

    if (n == 0) {
        rc = RC_OK;
        goto out;
    }
    for (r = 0; r < n; r++) {
        const struct raw_message *m = &rows[r];
        const char *status = m->rejected ? "rejected" : "applied";

#define STR_AT(col) (sv + (size_t)(col)*n), (lens + (size_t)(col)*n), (ind + (size_t)(col)*n)
        /* the payload and hash are never NULL, even when empty */
        put_str(STR_AT(C_PAYLOAD), r, m->payload ? m->payload : "", m->len);
        ind[C_PAYLOAD * n + r] = STMT_INDICATOR_NONE;
        put_str(STR_AT(C_SHA), r, (const char *)m->sha256, SHA256_LEN);
        put_str(STR_AT(C_STATUS), r, status, strlen(status));
        put_str(STR_AT(C_ERROR), r, m->error, m->error ? strlen(m->error) : 0);
        put_str(STR_AT(C_SOURCE), r, m->source, m->source ? strlen(m->source) : 0);
        put_str(STR_AT(C_EXT), r, m->external_id, m->external_id ? strlen(m->external_id) : 0);
        put_str(STR_AT(C_EXCHANGE), r, m->exchange, m->exchange_len);
        put_str(STR_AT(C_RKEY), r, m->routing_key, m->routing_key_len);
        put_str(STR_AT(C_MSGID), r, m->message_id, m->message_id_len);
#undef STR_AT
        iv[I_SIZE * n + r] = (int64_t)m->len;
        iv[I_MATCH * n + r] = (int64_t)m->match_id;
        iv[I_TAG * n + r] = (int64_t)m->delivery_tag;
        iv[I_REDELIVERED * n + r] = m->redelivered ? 1 : 0;
        for (k = 0; k < NINT; k++) {
            ind[(NSTR + k) * n + r] = STMT_INDICATOR_NONE;
        }
        if (m->match_id == 0) {
            ind[(NSTR + I_MATCH) * n + r] = STMT_INDICATOR_NULL;
        }
    }
    for (k = 0; k < 13; k++) {
        int c = order[k];

        if (c >= 0) {
            db_bind_str_array(&p[k], sv + (size_t)c * n, lens + (size_t)c * n, ind + (size_t)c * n,
                              c == C_PAYLOAD || c == C_SHA || c == C_EXCHANGE || c == C_RKEY ||
                                  c == C_MSGID);
        } else {
            size_t col = (size_t)(-1 - c);

            db_bind_i64_array(&p[k], iv + col * n, ind + (NSTR + col) * n);
        }
    }
    rc = db_execute_many(db, SQL_INSERT, p, (unsigned int)n);
out:
    free(sv);
    free(lens);
    free(ind);
    free(iv);
    return rc;
}

int
db_messages_seen(struct db *db, const unsigned char sha256[SHA256_LEN], const char *message_id,
                 size_t id_len)
{
    MYSQL_BIND p[2];
    unsigned long shalen = SHA256_LEN, idlen;
    char id_null;
    int64_t one;

    db_bind_blob(&p[0], sha256, &shalen);
    bind_opt_bytes(&p[1], message_id, id_len, &idlen, &id_null);
    return db_select_i64(db, SQL_SEEN, p, &one, NULL);
}
