/*
 * mq.c: RabbitMQ through librabbitmq; see mq.h. One connection, one
 * channel. rabbitmq-c services heartbeats only inside its own calls, which
 * is why mq_next() always waits with a timeout instead of blocking.
 */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"
#include "mem.h"
#include "mq.h"
#include "rc.h"
#include "url.h"

#define CHANNEL       1
#define CHANNEL_DEPTH 2 /* passive declares, apart from the consuming channel */

struct mq {
    const struct config *cfg;
    amqp_connection_state_t conn;
    amqp_envelope_t env;
    int have_env;
    int connected;
    int depth_channel; /* CHANNEL_DEPTH is open */
    int64_t depth;     /* messages ready, from the last declare-ok; -1 = unknown */
    int close_code;    /* the reply code of the broker's last close; 0 = none */
    char close_text[256];
};

/* Remembers why the broker closed the connection or a channel. */
static void
note_close(struct mq *mq, unsigned code, amqp_bytes_t text)
{
    mq->close_code = (int)code;
    snprintf(mq->close_text, sizeof(mq->close_text), "%u %.*s", code,
             (int)(text.len < 200 ? text.len : 200), (const char *)text.bytes);
}

/* Records the close a failed reply carries, if any. */
static void
note_reply(struct mq *mq, amqp_rpc_reply_t r)
{
    if (r.reply_type != AMQP_RESPONSE_SERVER_EXCEPTION) {
        return;
    }
    if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        amqp_connection_close_t *m = r.reply.decoded;

        note_close(mq, m->reply_code, m->reply_text);
    } else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        amqp_channel_close_t *m = r.reply.decoded;

        note_close(mq, m->reply_code, m->reply_text);
    }
}

struct mq *
mq_new(const struct config *cfg)
{
    struct mq *mq = xcalloc(1, sizeof(*mq));

    mq->cfg = cfg;
    mq->depth = -1;
    return mq;
}

int
mq_is_connected(const struct mq *mq)
{
    return mq->connected;
}

/* Describes a failed RPC reply into buf for the log. */
static const char *
reply_text(amqp_rpc_reply_t r, char *buf, size_t len)
{
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
        return "ok";
    case AMQP_RESPONSE_NONE:
        return "missing RPC reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            amqp_connection_close_t *m = r.reply.decoded;

            snprintf(buf, len, "server closed the connection: %u %.*s", m->reply_code,
                     (int)m->reply_text.len, (const char *)m->reply_text.bytes);
        } else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            amqp_channel_close_t *m = r.reply.decoded;

            snprintf(buf, len, "server closed the channel: %u %.*s", m->reply_code,
                     (int)m->reply_text.len, (const char *)m->reply_text.bytes);
        } else {
            snprintf(buf, len, "server error, method 0x%08X", r.reply.id);
        }
        return buf;
    }
    return "unknown reply";
}

/* RC_OK when the last RPC succeeded; otherwise logs what failed. */
static int
check_rpc(struct mq *mq, const char *what)
{
    amqp_rpc_reply_t r = amqp_get_rpc_reply(mq->conn);
    char buf[512];

    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        return RC_OK;
    }
    note_reply(mq, r);
    log_error("amqp", "event=rpc_failed during=%s err=\"%s\"", what,
              reply_text(r, buf, sizeof(buf)));
    return RC_UNAVAIL;
}

int64_t
mq_last_depth(const struct mq *mq)
{
    return mq->depth;
}

int
mq_broker_close(const struct mq *mq, const char **text)
{
    *text = mq->close_text;
    return mq->close_code;
}

int64_t
mq_queue_depth(struct mq *mq)
{
    amqp_queue_declare_ok_t *ok;

    if (!mq->connected) {
        return -1;
    }
    if (!mq->depth_channel) {
        amqp_channel_open(mq->conn, CHANNEL_DEPTH);
        if (amqp_get_rpc_reply(mq->conn).reply_type != AMQP_RESPONSE_NORMAL) {
            mq->connected = 0;
            return -1;
        }
        mq->depth_channel = 1;
    }
    ok = amqp_queue_declare(mq->conn, CHANNEL_DEPTH, amqp_cstring_bytes(mq->cfg->amqp_queue), 1, 0,
                            0, 0, amqp_empty_table);
    if (ok == NULL) {
        amqp_rpc_reply_t r = amqp_get_rpc_reply(mq->conn);
        char buf[512];

        note_reply(mq, r);
        log_warn("amqp", "event=queue_depth_failed err=\"%s\"", reply_text(r, buf, sizeof(buf)));
        mq->connected = 0; /* the caller reconnects, which declares the queue again */
        return -1;
    }
    mq->depth = ok->message_count;
    return mq->depth;
}

void
mq_free(struct mq *mq)
{
    if (mq == NULL) {
        return;
    }
    mq_close(mq);
    free(mq);
}

static int
declare_topology(struct mq *mq)
{
    const struct config *c = mq->cfg;
    amqp_table_entry_t qargs[2];
    amqp_table_t args;
    amqp_queue_declare_ok_t *ok;

    /* the dead-letter side first, so the main queue's DLX exists when it is used */
    amqp_exchange_declare(mq->conn, CHANNEL, amqp_cstring_bytes(c->amqp_dlx),
                          amqp_cstring_bytes("fanout"), 0, 1, 0, 0, amqp_empty_table);
    if (check_rpc(mq, "declare dead-letter exchange") != RC_OK) {
        return RC_UNAVAIL;
    }
    amqp_queue_declare(mq->conn, CHANNEL, amqp_cstring_bytes(c->amqp_dead_queue), 0, 1, 0, 0,
                       amqp_empty_table);
    if (check_rpc(mq, "declare dead-letter queue") != RC_OK) {
        return RC_UNAVAIL;
    }
    amqp_queue_bind(mq->conn, CHANNEL, amqp_cstring_bytes(c->amqp_dead_queue),
                    amqp_cstring_bytes(c->amqp_dlx), amqp_cstring_bytes(""), amqp_empty_table);
    if (check_rpc(mq, "bind dead-letter queue") != RC_OK) {
        return RC_UNAVAIL;
    }

    /* topic exchange bound with "#": whatever key a source publishes with arrives */
    amqp_exchange_declare(mq->conn, CHANNEL, amqp_cstring_bytes(c->amqp_exchange),
                          amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
    if (check_rpc(mq, "declare exchange") != RC_OK) {
        return RC_UNAVAIL;
    }
    qargs[0].key = amqp_cstring_bytes("x-single-active-consumer");
    qargs[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
    qargs[0].value.value.boolean = 1;
    qargs[1].key = amqp_cstring_bytes("x-dead-letter-exchange");
    qargs[1].value.kind = AMQP_FIELD_KIND_UTF8;
    qargs[1].value.value.bytes = amqp_cstring_bytes(c->amqp_dlx);
    args.num_entries = 2;
    args.entries = qargs;
    ok = amqp_queue_declare(mq->conn, CHANNEL, amqp_cstring_bytes(c->amqp_queue), 0, 1, 0, 0, args);
    if (check_rpc(mq, "declare queue") != RC_OK) {
        return RC_UNAVAIL;
    }
    mq->depth = ok != NULL ? (int64_t)ok->message_count : -1;
    amqp_queue_bind(mq->conn, CHANNEL, amqp_cstring_bytes(c->amqp_queue),
                    amqp_cstring_bytes(c->amqp_exchange), amqp_cstring_bytes("#"),
                    amqp_empty_table);
    if (check_rpc(mq, "bind queue") != RC_OK) {
        return RC_UNAVAIL;
    }
    log_info("amqp", "event=topology_declared exchange=%s queue=%s dlx=%s dead_queue=%s",
             c->amqp_exchange, c->amqp_queue, c->amqp_dlx, c->amqp_dead_queue);
    return RC_OK;
}

int
mq_connect(struct mq *mq)
{
    const struct config *c = mq->cfg;
    struct url u;
    const char *why;
    amqp_socket_t *sock;
    struct timeval tv = {10, 0};
    amqp_rpc_reply_t r;
    char buf[512];
    int st;

    mq_close(mq);
    mq->close_code = 0; /* a new connection: what closed the last one is history */
    mq->depth = -1;
    if (url_parse(c->amqp_url, &u, &why) != RC_OK) {
        log_error("amqp", "event=bad_url err=\"%s\"", why); /* config_load checked it */
        return RC_ERR;
    }
    mq->conn = amqp_new_connection();
    sock = amqp_tcp_socket_new(mq->conn);
    if (sock == NULL) {
        log_error("amqp", "event=socket_failed");
        goto fail;
    }
    st = amqp_socket_open_noblock(sock, u.host, u.port ? u.port : 5672, &tv);
    if (st != AMQP_STATUS_OK) {
        log_warn("amqp", "event=connect_failed host=%s port=%d err=\"%s\"", u.host,
                 u.port ? u.port : 5672, amqp_error_string2(st));
        goto fail;
    }
    r = amqp_login(mq->conn, u.path[0] ? u.path : "/", 0, 131072, c->amqp_heartbeat_s,
                   AMQP_SASL_METHOD_PLAIN, u.user ? u.user : "guest",
                   u.password ? u.password : "guest");
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        log_error("amqp", "event=login_failed host=%s user=%s vhost=\"%s\" err=\"%s\"", u.host,
                  u.user ? u.user : "guest", u.path[0] ? u.path : "/",
                  reply_text(r, buf, sizeof(buf)));
        goto fail;
    }
    amqp_channel_open(mq->conn, CHANNEL);
    if (check_rpc(mq, "channel open") != RC_OK || declare_topology(mq) != RC_OK) {
        goto fail;
    }
    amqp_basic_qos(mq->conn, CHANNEL, 0, (uint16_t)c->amqp_prefetch, 0);
    if (check_rpc(mq, "basic.qos") != RC_OK) {
        goto fail;
    }
    amqp_basic_consume(mq->conn, CHANNEL, amqp_cstring_bytes(c->amqp_queue), amqp_empty_bytes, 0, 0,
                       0, amqp_empty_table);
    if (check_rpc(mq, "basic.consume") != RC_OK) {
        goto fail;
    }
    mq->connected = 1;
    log_info("amqp",
             "event=connected host=%s port=%d vhost=\"%s\" queue=%s prefetch=%d "
             "heartbeat_s=%d",
             u.host, u.port ? u.port : 5672, u.path[0] ? u.path : "/", c->amqp_queue,
             c->amqp_prefetch, c->amqp_heartbeat_s);
    url_cleanup(&u);
    return RC_OK;

fail:
    url_cleanup(&u);
    mq_close(mq);
    return RC_UNAVAIL;
}

void
mq_release(struct mq *mq)
{
    if (mq->have_env) {
        amqp_destroy_envelope(&mq->env);
        mq->have_env = 0;
    }
    if (mq->conn != NULL) {
        amqp_maybe_release_buffers(mq->conn);
    }
}

void
mq_close(struct mq *mq)
{
    if (mq->conn == NULL) {
        return;
    }
    mq_release(mq);
    if (mq->connected) {
        /* best effort: the broker requeues unacked messages either way */
        amqp_channel_close(mq->conn, CHANNEL, AMQP_REPLY_SUCCESS);
        amqp_connection_close(mq->conn, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(mq->conn);
    mq->conn = NULL;
    mq->connected = 0;
    mq->depth_channel = 0;
}

/* Copies a short string (at most 255 bytes by the protocol); returns its length. */
static size_t
copy_bytes(char *dst, size_t cap, amqp_bytes_t b)
{
    size_t n = b.len < cap - 1 ? b.len : cap - 1;

    if (n > 0) {
        memcpy(dst, b.bytes, n);
    }
    dst[n] = '\0';
    return n;
}

/* A frame other than a delivery arrived (consume_message said so): read it
 * and decide whether the channel is still usable. */
static int
handle_other_frame(struct mq *mq)
{
    amqp_frame_t frame;
    struct timeval tv = {1, 0};
    int st = amqp_simple_wait_frame_noblock(mq->conn, &frame, &tv);

    if (st != AMQP_STATUS_OK) {
        log_warn("amqp", "event=connection_lost err=\"%s\"", amqp_error_string2(st));
        return RC_UNAVAIL;
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) {
        return RC_NOTFOUND;
    }
    switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD:
        return RC_NOTFOUND; /* publisher confirms: not ours */
    case AMQP_BASIC_RETURN_METHOD: {
        amqp_message_t m;

        amqp_read_message(mq->conn, frame.channel, &m, 0);
        amqp_destroy_message(&m);
        return RC_NOTFOUND;
    }
    case AMQP_CHANNEL_CLOSE_METHOD: {
        amqp_channel_close_t *m = frame.payload.method.decoded;

        note_close(mq, m->reply_code, m->reply_text);
        log_error("amqp", "event=channel_closed_by_server reply=\"%s\"", mq->close_text);
        return RC_UNAVAIL;
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
        amqp_connection_close_t *m = frame.payload.method.decoded;

        note_close(mq, m->reply_code, m->reply_text);
        log_error("amqp", "event=connection_closed_by_server reply=\"%s\"", mq->close_text);
        return RC_UNAVAIL;
    }
    case AMQP_BASIC_CANCEL_METHOD:
        log_error("amqp", "event=consumer_cancelled_by_server (queue deleted?)");
        return RC_UNAVAIL;
    default:
        log_warn("amqp", "event=unexpected_method id=0x%08X", frame.payload.method.id);
        return RC_NOTFOUND;
    }
}

int
mq_next(struct mq *mq, int timeout_ms, struct mq_delivery *d)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    amqp_rpc_reply_t r;
    amqp_basic_properties_t *p;

    if (!mq->connected) {
        return RC_UNAVAIL;
    }
    mq_release(mq);
    r = amqp_consume_message(mq->conn, &mq->env, &tv, 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
            if (r.library_error == AMQP_STATUS_TIMEOUT) {
                return RC_NOTFOUND;
            }
            if (r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
                int rc = handle_other_frame(mq);

                if (rc == RC_UNAVAIL) {
                    mq->connected = 0;
                }
                return rc;
            }
            log_warn("amqp", "event=connection_lost err=\"%s\"",
                     amqp_error_string2(r.library_error));
        } else {
            char buf[512];

            note_reply(mq, r);
            log_warn("amqp", "event=connection_lost err=\"%s\"", reply_text(r, buf, sizeof(buf)));
        }
        mq->connected = 0;
        return RC_UNAVAIL;
    }
    mq->have_env = 1;
    mq->close_code = 0; /* the broker delivers again */
    p = &mq->env.message.properties;
    d->tag = mq->env.delivery_tag;
    d->redelivered = mq->env.redelivered;
    d->body = mq->env.message.body.bytes;
    d->len = mq->env.message.body.len;
    d->exchange_len = copy_bytes(d->exchange, sizeof(d->exchange), mq->env.exchange);
    d->routing_key_len = copy_bytes(d->routing_key, sizeof(d->routing_key), mq->env.routing_key);
    if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
        d->message_id_len = copy_bytes(d->message_id, sizeof(d->message_id), p->message_id);
    } else {
        d->message_id[0] = '\0';
        d->message_id_len = 0;
    }
    return RC_OK;
}

int
mq_ack_upto(struct mq *mq, uint64_t tag)
{
    int st;

    if (!mq->connected) {
        return RC_UNAVAIL;
    }
    st = amqp_basic_ack(mq->conn, CHANNEL, tag, 1);
    if (st != AMQP_STATUS_OK) {
        log_warn("amqp", "event=ack_failed tag=%llu err=\"%s\"", (unsigned long long)tag,
                 amqp_error_string2(st));
        mq->connected = 0;
        return RC_UNAVAIL;
    }
    return RC_OK;
}

int
mq_dead_letter(struct mq *mq, uint64_t tag)
{
    int st;

    if (!mq->connected) {
        return RC_UNAVAIL;
    }
    st = amqp_basic_reject(mq->conn, CHANNEL, tag, 0);
    if (st != AMQP_STATUS_OK) {
        log_warn("amqp", "event=reject_failed tag=%llu err=\"%s\"", (unsigned long long)tag,
                 amqp_error_string2(st));
        mq->connected = 0;
        return RC_UNAVAIL;
    }
    return RC_OK;
}
