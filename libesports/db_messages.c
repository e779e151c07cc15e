/* db_messages.c: SQL of the raw message log; see db_messages.h. */
#include <string.h>

#include "db_internal.h"
#include "db_messages.h"
#include "rc.h"

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
    db_register(db, message_sqls, sizeof(message_sqls) / sizeof(message_sqls[0]));
}

/* Binds an optional string: NULL or "" becomes SQL NULL. */
static void
bind_opt_str(MYSQL_BIND *b, const char *s, unsigned long *len, char *is_null)
{
    *is_null = s == NULL || s[0] == '\0';
    *len = *is_null ? 0 : (unsigned long)strlen(s);
    db_bind_str(b, *is_null ? "" : s, len, is_null);
}

int
db_messages_insert(struct db *db, const struct raw_message *m, uint64_t *id)
{
    MYSQL_BIND p[13];
    unsigned long plen = (unsigned long)m->len, shalen = SHA256_LEN, stlen, lens[6];
    char nulls[8] = {0};
    int64_t size = (int64_t)m->len, match_id = (int64_t)m->match_id;
    int64_t tag = (int64_t)m->delivery_tag;
    int redelivered = m->redelivered;
    const char *status = m->rejected ? "rejected" : "applied";
    int rc;

    db_bind_blob(&p[0], m->payload, &plen);
    db_bind_i64(&p[1], &size, NULL);
    db_bind_blob(&p[2], m->sha256, &shalen);
    stlen = (unsigned long)strlen(status);
    db_bind_str(&p[3], status, &stlen, NULL);
    bind_opt_str(&p[4], m->error, &lens[0], &nulls[0]);
    bind_opt_str(&p[5], m->source, &lens[1], &nulls[1]);
    bind_opt_str(&p[6], m->external_id, &lens[2], &nulls[2]);
    nulls[3] = m->match_id == 0;
    db_bind_i64(&p[7], &match_id, &nulls[3]);
    db_bind_i64(&p[8], &tag, NULL);
    db_bind_int(&p[9], &redelivered, NULL);
    bind_opt_str(&p[10], m->exchange, &lens[3], &nulls[4]);
    bind_opt_str(&p[11], m->routing_key, &lens[4], &nulls[5]);
    bind_opt_str(&p[12], m->message_id, &lens[5], &nulls[6]);
    rc = db_execute(db, SQL_INSERT, p);
    if (rc == RC_OK && id != NULL) {
        *id = db_insert_id(db, SQL_INSERT);
    }
    return rc;
}

int
db_messages_seen(struct db *db, const unsigned char sha256[SHA256_LEN], const char *message_id)
{
    MYSQL_BIND p[2], r[1];
    unsigned long shalen = SHA256_LEN, idlen;
    char id_null;
    int one = 0, rc;

    db_bind_blob(&p[0], sha256, &shalen);
    bind_opt_str(&p[1], message_id, &idlen, &id_null);
    rc = db_execute(db, SQL_SEEN, p);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_int(&r[0], &one, NULL);
    rc = db_bind_result(db, SQL_SEEN, r);
    if (rc == RC_OK) {
        rc = db_fetch(db, SQL_SEEN);
    }
    db_stmt_done(db, SQL_SEEN);
    return rc;
}
