/*
 * send_msg: publishes match messages to RabbitMQ exactly as given, or
 * generated, with publisher confirms. Run `send_msg --help` for the options.
 *
 * This tool speaks AMQP itself (librabbitmq), as the consumer's mq.c does:
 * the publisher's needs (confirms, returns, pacing) are its own.
 */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "gen.h"
#include "mem.h"
#include "msg.h"
#include "rc.h"
#include "text.h"
#include "url.h"

#define CHANNEL  1
#define WINDOW   1000 /* unconfirmed messages in flight at most */
#define MAX_FILE (64 * 1024 * 1024)

struct message {
    char *name; /* file name, "stdin:LINE" or "generated:N", for reports */
    char *body;
    size_t len;
    int state; /* 0 not sent, 1 sent, 2 confirmed, 3 nacked, 4 returned */
};

struct opts {
    const char *url, *exchange, *routing_key, *queue, *env_file, *source_prefix, *truth;
    int validate, dump, tty, fixtures;
    long generate;
    uint64_t seed;
    int sources;
    double update_ratio, rate;
};

static void
usage(FILE *f)
{
    fprintf(
        f,
        "usage: send_msg [options] FILE... | DIR | -\n"
        "       send_msg --generate N [--seed S] [--sources K] [--update-ratio R] [--dump]\n"
        "                [--fixtures [--truth FILE]]\n"
        "\n"
        "Publishes each FILE's bytes unchanged as one message (content type\n"
        "application/json, persistent, a message id), in the order given. A DIR\n"
        "sends its *.json files sorted by name; - sends one message per line of\n"
        "standard input. Waits for the broker to confirm every message and exits 1\n"
        "naming each one it nacked, returned (unroutable) or never confirmed.\n"
        "\n"
        "Options:\n"
        "  --url URL            broker (default: AMQP_URL, then var/stack.env, then\n"
        "                       amqp://guest:guest@127.0.0.1:5673/%%2f)\n"
        "  --exchange X         exchange to publish to (default: AMQP_EXCHANGE, matches)\n"
        "  --routing-key K      routing key (default: AMQP_ROUTING_KEY, matches)\n"
        "  --queue Q            publish straight to queue Q (default exchange)\n"
        "  --env-file F         read unset settings from F (default: var/stack.env\n"
        "                       when it exists)\n"
        "  --validate           refuse input that is not JSON (trailing commas are\n"
        "                       allowed, as the sources send them), naming the error\n"
        "                       and its byte; nothing is sent then\n"
        "  --generate N         publish N generated messages shaped like the samples\n"
        "  --seed S             generator seed (default 1); the same seed gives the\n"
        "                       same bytes\n"
        "  --sources K          generated sources source1..sourceK (default 3)\n"
        "  --source-prefix P    name the generated sources P1..PK instead\n"
        "  --update-ratio R     share of generated messages that update an earlier\n"
        "                       match (default 0.3)\n"
        "  --fixtures           generate real-world fixtures reported by one to three\n"
        "                       sources, each with its own ids, spellings and clock, and\n"
        "                       distractors (rematches, other titles, academy and\n"
        "                       numbered sides); --sources at most 9\n"
        "  --truth FILE         with --fixtures: write the ground truth to FILE, one\n"
        "                       line each: match<TAB>source<TAB>id<TAB>fixture and\n"
        "                       team<TAB>source<TAB>id<TAB>team\n"
        "  --dump               write the generated messages to stdout, one per line,\n"
        "                       instead of publishing them\n"
        "  --rate R             publish at most R messages per second\n"
        "  -h, --help           this text\n"
        "\n"
        "Examples:\n"
        "  send_msg fixtures/challenge-messages/               # the four samples, in order\n"
        "  send_msg --queue matches message1.json              # as if from the management UI\n"
        "  send_msg --generate 20000 --seed 7                  # 20,000 messages\n"
        "  send_msg --generate 5 --dump | send_msg -           # generate, then send from stdin\n");
}

/* Reads KEY=VALUE lines of path into the environment, not overriding what
 * is already set. A missing file is not an error. */
static void
load_env_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[2048];

    if (f == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *eq = strchr(line, '=');

        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || eq == NULL) {
            continue;
        }
        *eq = '\0';
        setenv(line, eq + 1, 0);
    }
    fclose(f);
}

static int
read_file(const char *path, struct message *m)
{
    FILE *f = fopen(path, "rb");
    buf_t b;
    char chunk[65536];
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "send_msg: cannot read %s: %s\n", path, strerror(errno));
        return RC_ERR;
    }
    buf_init(&b, MAX_FILE);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        buf_append(&b, chunk, n);
    }
    if (ferror(f) || b.err) {
        fprintf(stderr, "send_msg: cannot read %s: %s\n", path,
                b.err ? "larger than 64 MiB" : strerror(errno));
        fclose(f);
        buf_cleanup(&b);
        return RC_ERR;
    }
    fclose(f);
    m->len = b.len;
    m->body = buf_release(&b);
    m->name = xstrdup(path);
    return RC_OK;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends msgs of every input: files, directories' *.json, or stdin lines.
 * Reads everything before anything is sent. */
static int
collect(char **inputs, int n, struct message **msgs, size_t *count)
{
    size_t cap = 0;
    int i;

    for (i = 0; i < n; i++) {
        struct stat st;

        if (strcmp(inputs[i], "-") == 0) {
            char *line = NULL;
            size_t lcap = 0, lineno = 0;
            ssize_t len;

            while ((len = getline(&line, &lcap, stdin)) >= 0) {
                char name[32];

                lineno++;
                while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
                    len--;
                }
                if (len == 0) {
                    continue;
                }
                if (*count == cap) {
                    cap = cap ? 2 * cap : 64;
                    *msgs = xrealloc(*msgs, cap * sizeof(**msgs));
                }
                snprintf(name, sizeof(name), "stdin:%zu", lineno);
                (*msgs)[*count] =
                    (struct message){xstrdup(name), xstrndup(line, (size_t)len), (size_t)len, 0};
                (*count)++;
            }
            free(line);
            continue;
        }
        if (stat(inputs[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(inputs[i]);
            struct dirent *de;
            char **names = NULL;
            size_t nn = 0, k;

            if (d == NULL) {
                fprintf(stderr, "send_msg: cannot read directory %s: %s\n", inputs[i],
                        strerror(errno));
                return RC_ERR;
            }
            while ((de = readdir(d)) != NULL) {
                size_t l = strlen(de->d_name);

                if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) {
                    names = xrealloc(names, (nn + 1) * sizeof(*names));
                    names[nn++] = xstrdup(de->d_name);
                }
            }
            closedir(d);
            if (nn > 0) {
                qsort(names, nn, sizeof(*names), cmp_str);
            }
            for (k = 0; k < nn; k++) {
                char path[4096];
                int rc;

                snprintf(path, sizeof(path), "%s/%s", inputs[i], names[k]);
                if (*count == cap) {
                    cap = cap ? 2 * cap : 64;
                    *msgs = xrealloc(*msgs, cap * sizeof(**msgs));
                }
                rc = read_file(path, &(*msgs)[*count]);
                if (rc != RC_OK) {
                    for (; k < nn; k++) {
                        free(names[k]);
                    }
                    free(names);
                    return rc;
                }
                (*count)++;
                free(names[k]);
            }
            free(names);
            continue;
        }
        if (*count == cap) {
            cap = cap ? 2 * cap : 64;
            *msgs = xrealloc(*msgs, cap * sizeof(**msgs));
        }
        if (read_file(inputs[i], &(*msgs)[*count]) != RC_OK) {
            return RC_ERR;
        }
        (*count)++;
    }
    return RC_OK;
}

/* ---- AMQP ---------------------------------------------------------------- */

static const char *
reply_text(amqp_rpc_reply_t r, char *buf, size_t len)
{
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
        return amqp_error_string2(r.library_error);
    }
    if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
        r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        amqp_connection_close_t *m = r.reply.decoded;

        snprintf(buf, len, "%u %.*s", m->reply_code, (int)m->reply_text.len,
                 (const char *)m->reply_text.bytes);
        return buf;
    }
    if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        amqp_channel_close_t *m = r.reply.decoded;

        snprintf(buf, len, "%u %.*s", m->reply_code, (int)m->reply_text.len,
                 (const char *)m->reply_text.bytes);
        return buf;
    }
    return "no reply from the broker";
}

static int
connect_broker(const struct opts *o, const char *url_text, amqp_connection_state_t *out)
{
    struct url u;
    const char *why;
    amqp_connection_state_t conn;
    amqp_socket_t *sock;
    struct timeval tv = {10, 0};
    amqp_rpc_reply_t r;
    char buf[512];
    int st;

    if (url_parse(url_text, &u, &why) != RC_OK) {
        fprintf(stderr, "send_msg: invalid broker URL: %s\n", why);
        return RC_INVALID;
    }
    conn = amqp_new_connection();
    sock = amqp_tcp_socket_new(conn);
    st = sock ? amqp_socket_open_noblock(sock, u.host, u.port ? u.port : 5672, &tv)
              : AMQP_STATUS_NO_MEMORY;
    if (st != AMQP_STATUS_OK) {
        fprintf(stderr, "send_msg: cannot reach the broker at %s:%d: %s\n", u.host,
                u.port ? u.port : 5672, amqp_error_string2(st));
        goto fail;
    }
    r = amqp_login(conn, u.path[0] ? u.path : "/", 0, 131072, 30, AMQP_SASL_METHOD_PLAIN,
                   u.user ? u.user : "guest", u.password ? u.password : "guest");
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        fprintf(stderr, "send_msg: the broker at %s:%d refused the login of '%s': %s\n", u.host,
                u.port ? u.port : 5672, u.user ? u.user : "guest", reply_text(r, buf, sizeof(buf)));
        goto fail;
    }
    amqp_channel_open(conn, CHANNEL);
    r = amqp_get_rpc_reply(conn);
    if (r.reply_type == AMQP_RESPONSE_NORMAL && o->queue == NULL) {
        /* the same declaration as the consumer's, so either may come first */
        amqp_exchange_declare(conn, CHANNEL, amqp_cstring_bytes(o->exchange),
                              amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
        r = amqp_get_rpc_reply(conn);
    }
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        amqp_confirm_select(conn, CHANNEL);
        r = amqp_get_rpc_reply(conn);
    }
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        fprintf(stderr, "send_msg: cannot set up the channel: %s\n",
                reply_text(r, buf, sizeof(buf)));
        goto fail;
    }
    url_cleanup(&u);
    *out = conn;
    return RC_OK;
fail:
    url_cleanup(&u);
    amqp_destroy_connection(conn);
    return RC_UNAVAIL;
}

/* Message states, in the order they are reached. */
enum { ST_UNSENT, ST_SENT, ST_CONFIRMED, ST_NACKED, ST_RETURNED };

/* Reads one frame (waiting up to timeout_ms) and records confirms and
 * returns in msgs; *settled is how many leading messages have their answer.
 * Returns 1 if a frame was handled, 0 on timeout, -1 on failure. */
static int
read_confirm(amqp_connection_state_t conn, struct message *msgs, size_t nsent, size_t *settled,
             int timeout_ms)
{
    amqp_frame_t f;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int st = amqp_simple_wait_frame_noblock(conn, &f, &tv);

    if (st == AMQP_STATUS_TIMEOUT) {
        return 0;
    }
    if (st != AMQP_STATUS_OK) {
        fprintf(stderr, "send_msg: connection lost: %s\n", amqp_error_string2(st));
        return -1;
    }
    if (f.frame_type != AMQP_FRAME_METHOD) {
        return 1;
    }
    switch (f.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD:
    case AMQP_BASIC_NACK_METHOD: {
        int ack = f.payload.method.id == AMQP_BASIC_ACK_METHOD;
        amqp_basic_ack_t *a = f.payload.method.decoded;
        amqp_basic_nack_t *na = f.payload.method.decoded;
        uint64_t tag = ack ? a->delivery_tag : na->delivery_tag;
        int multiple = ack ? a->multiple : na->multiple;
        uint64_t t;

        for (t = multiple ? *settled + 1 : tag; t <= tag && t <= nsent; t++) {
            if (msgs[t - 1].state == ST_SENT) {
                msgs[t - 1].state = ack ? ST_CONFIRMED : ST_NACKED;
            }
        }
        while (*settled < nsent && msgs[*settled].state >= ST_CONFIRMED) {
            (*settled)++;
        }
        return 1;
    }
    case AMQP_BASIC_RETURN_METHOD: {
        amqp_message_t ret;
        amqp_basic_properties_t *p;

        /* the ack that follows a return must not count it as delivered */
        if (amqp_read_message(conn, f.channel, &ret, 0).reply_type == AMQP_RESPONSE_NORMAL) {
            p = &ret.properties;
            if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
                char id[128];
                const char *dot;
                size_t len =
                    p->message_id.len < sizeof(id) - 1 ? p->message_id.len : sizeof(id) - 1;
                unsigned long long seq;

                memcpy(id, p->message_id.bytes, len);
                id[len] = '\0';
                dot = strrchr(id, '.');
                seq = dot ? strtoull(dot + 1, NULL, 10) : 0;
                if (seq >= 1 && seq <= nsent && msgs[seq - 1].state == ST_SENT) {
                    msgs[seq - 1].state = ST_RETURNED;
                }
            }
            amqp_destroy_message(&ret);
        }
        return 1;
    }
    case AMQP_CHANNEL_CLOSE_METHOD: {
        amqp_channel_close_t *m = f.payload.method.decoded;

        fprintf(stderr, "send_msg: the broker closed the channel: %u %.*s\n", m->reply_code,
                (int)m->reply_text.len, (const char *)m->reply_text.bytes);
        return -1;
    }
    case AMQP_CONNECTION_CLOSE_METHOD:
        fprintf(stderr, "send_msg: the broker closed the connection\n");
        return -1;
    default:
        return 1;
    }
}

static void
progress(const struct opts *o, size_t sent, size_t total, double start, int final)
{
    double el = dt_mono() - start, rate = el > 0 ? (double)sent / el : 0;
    int width = 30, fill = total ? (int)((double)width * (double)sent / (double)total) : width;

    if (!o->tty) {
        return;
    }
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu %3d%% %7.0f msg/s ETA %4.0fs%s", fill,
            "##############################", width - fill, "", sent, total,
            total ? (int)(100 * sent / total) : 100, rate,
            rate > 0 ? (double)(total - sent) / rate : 0, final ? "\n" : "");
}

/* Publishes msgs with confirms; returns 0 when every one was confirmed. */
static int
publish_all(const struct opts *o, const char *url_text, struct message *msgs, size_t n)
{
    static const char *const what[] = {"not sent", "never confirmed", NULL, "nacked by the broker",
                                       "returned: no queue is bound"};
    amqp_connection_state_t conn;
    amqp_basic_properties_t props;
    size_t i, sent = 0, settled = 0, count[5] = {0}, failed;
    double start = dt_mono(), last_progress = 0, el, deadline;
    char id[64];
    long pid = (long)getpid();
    long long t0 = (long long)time(NULL);
    int broken = 0;

    if (connect_broker(o, url_text, &conn) != RC_OK) {
        return 1;
    }
    memset(&props, 0, sizeof(props));
    props._flags =
        AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
    props.content_type = amqp_cstring_bytes("application/json");
    props.delivery_mode = 2; /* persistent */

    for (i = 0; i < n && !broken; i++) {
        amqp_bytes_t body = {msgs[i].len, msgs[i].body};
        int st;

        if (o->rate > 0) {
            double wait = start + (double)i / o->rate - dt_mono();

            if (wait > 0) {
                struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};

                nanosleep(&ts, NULL);
            }
        }
        /* the id ends in the sequence number, so a returned message is found again */
        snprintf(id, sizeof(id), "send_msg-%ld-%lld.%zu", pid, t0, i + 1);
        props.message_id = amqp_cstring_bytes(id);
        st = amqp_basic_publish(conn, CHANNEL, amqp_cstring_bytes(o->queue ? "" : o->exchange),
                                amqp_cstring_bytes(o->queue ? o->queue : o->routing_key), 1, 0,
                                &props, body);
        if (st != AMQP_STATUS_OK) {
            fprintf(stderr, "send_msg: publishing %s failed: %s\n", msgs[i].name,
                    amqp_error_string2(st));
            broken = 1;
            break;
        }
        msgs[i].state = ST_SENT;
        sent = i + 1;
        /* keep at most WINDOW unconfirmed; take whatever confirms are waiting */
        while (!broken) {
            int full = sent - settled > WINDOW, r;

            if (!full && !amqp_data_in_buffer(conn)) {
                break;
            }
            r = read_confirm(conn, msgs, sent, &settled, full ? 5000 : 0);
            if (r < 0) {
                broken = 1;
            } else if (r == 0 && full) {
                fprintf(stderr, "send_msg: no confirm from the broker for 5 s\n");
                broken = 1;
            } else if (r == 0) {
                break;
            }
        }
        if (o->tty && dt_mono() - last_progress > 0.1) {
            progress(o, sent, n, start, 0);
            last_progress = dt_mono();
        }
    }
    deadline = dt_mono() + 30; /* for the last confirms */
    while (!broken && settled < sent && dt_mono() < deadline) {
        if (read_confirm(conn, msgs, sent, &settled, 1000) < 0) {
            broken = 1;
        }
    }
    progress(o, sent, n, start, 1);
    el = dt_mono() - start;
    for (i = 0; i < n; i++) {
        count[msgs[i].state]++;
        if (what[msgs[i].state] != NULL && count[0] + count[1] + count[3] + count[4] <= 50) {
            fprintf(stderr, "send_msg: %s: %s\n", msgs[i].name, what[msgs[i].state]);
        }
    }
    failed = n - count[ST_CONFIRMED];
    if (failed > 50) {
        fprintf(stderr, "send_msg: ... %zu failed in all\n", failed);
    }
    fprintf(stderr,
            "send_msg: sent %zu, confirmed %zu, nacked %zu, returned %zu, unconfirmed %zu, "
            "elapsed %.2fs, %.0f msgs/s\n",
            sent, count[ST_CONFIRMED], count[ST_NACKED], count[ST_RETURNED], count[ST_SENT], el,
            el > 0 ? (double)sent / el : 0.0);
    if (!broken) {
        amqp_channel_close(conn, CHANNEL, AMQP_REPLY_SUCCESS);
        amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn);
    return failed == 0 ? 0 : 1;
}

/* ---- main ---------------------------------------------------------------- */

static int
parse_num(const char *flag, const char *v, double lo, double hi, double *out)
{
    char *end;
    double d;

    errno = 0;
    d = strtod(v, &end);
    if (v[0] == '\0' || *end != '\0' || errno != 0 || d < lo || d > hi) {
        fprintf(stderr, "send_msg: invalid %s '%s': expected a number from %g to %g\n", flag, v, lo,
                hi);
        return RC_INVALID;
    }
    *out = d;
    return RC_OK;
}

/* Writes the generator's ground truth to path: 0, or 1 named on stderr. */
static int
write_truth(const char *path, const struct genfx *fx)
{
    FILE *f = fopen(path, "w");
    buf_t b;
    int rc = 0;

    if (f == NULL) {
        fprintf(stderr, "send_msg: --truth %s: %s\n", path, strerror(errno));
        return 1;
    }
    buf_init(&b, 0);
    genfx_truth(fx, &b);
    if (fwrite(b.data, 1, b.len, f) != b.len) {
        rc = 1;
    }
    if (fclose(f) != 0) {
        rc = 1;
    }
    if (rc != 0) {
        fprintf(stderr, "send_msg: --truth %s: %s\n", path, strerror(errno));
    }
    buf_cleanup(&b);
    return rc;
}

int
main(int argc, char **argv)
{
    struct opts o;
    struct config cfg;
    struct message *msgs = NULL;
    size_t n = 0, k;
    char err[512];
    int i, rc = 0, ninputs = 0;
    char **inputs = argv; /* the inputs are gathered in place, at the front of argv */
    double d;

    memset(&o, 0, sizeof(o));
    o.seed = 1;
    o.sources = 3;
    o.update_ratio = 0.3;
    o.generate = -1;
    o.source_prefix = "source";
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define NEED_VALUE                                                                                 \
    if (v == NULL) {                                                                               \
        fprintf(stderr, "send_msg: %s needs a value\n", a);                                        \
        return 2;                                                                                  \
    }                                                                                              \
    i++
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--url") == 0) {
            NEED_VALUE;
            o.url = v;
        } else if (strcmp(a, "--exchange") == 0) {
            NEED_VALUE;
            o.exchange = v;
        } else if (strcmp(a, "--routing-key") == 0) {
            NEED_VALUE;
            o.routing_key = v;
        } else if (strcmp(a, "--queue") == 0) {
            NEED_VALUE;
            o.queue = v;
        } else if (strcmp(a, "--env-file") == 0) {
            NEED_VALUE;
            o.env_file = v;
        } else if (strcmp(a, "--validate") == 0) {
            o.validate = 1;
        } else if (strcmp(a, "--dump") == 0) {
            o.dump = 1;
        } else if (strcmp(a, "--fixtures") == 0) {
            o.fixtures = 1;
        } else if (strcmp(a, "--truth") == 0) {
            NEED_VALUE;
            if (v[0] == '\0') {
                fprintf(stderr, "send_msg: invalid --truth: an empty file name\n");
                return 2;
            }
            o.truth = v;
        } else if (strcmp(a, "--generate") == 0) {
            NEED_VALUE;
            if (parse_num(a, v, 1, 100000000, &d) != RC_OK) {
                return 2;
            }
            o.generate = (long)d;
        } else if (strcmp(a, "--seed") == 0) {
            NEED_VALUE;
            if (parse_num(a, v, 0, 18446744073709551615.0, &d) != RC_OK) {
                return 2;
            }
            o.seed = strtoull(v, NULL, 10);
        } else if (strcmp(a, "--sources") == 0) {
            NEED_VALUE;
            if (parse_num(a, v, 1, 1000, &d) != RC_OK) {
                return 2;
            }
            o.sources = (int)d;
        } else if (strcmp(a, "--source-prefix") == 0) {
            NEED_VALUE;
            if (v[0] == '\0' || strlen(v) > 100 || strpbrk(v, "\"\\") != NULL) {
                fprintf(stderr,
                        "send_msg: invalid --source-prefix: 1 to 100 characters, no quotes\n");
                return 2;
            }
            o.source_prefix = v;
        } else if (strcmp(a, "--update-ratio") == 0) {
            NEED_VALUE;
            if (parse_num(a, v, 0, 1, &o.update_ratio) != RC_OK) {
                return 2;
            }
        } else if (strcmp(a, "--rate") == 0) {
            NEED_VALUE;
            if (parse_num(a, v, 0.001, 10000000, &o.rate) != RC_OK) {
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "send_msg: unknown option %s (see --help)\n", a);
            return 2;
        } else {
            inputs[ninputs++] = argv[i]; /* ninputs <= i: nothing unread is overwritten */
        }
#undef NEED_VALUE
    }
    if ((o.generate > 0) == (ninputs > 0)) {
        fprintf(stderr, "send_msg: give FILE..., DIR or -, or --generate N (see --help)\n");
        return 2;
    }
    if (o.dump && o.generate <= 0) {
        fprintf(stderr, "send_msg: --dump goes with --generate\n");
        return 2;
    }
    if (o.fixtures && o.generate <= 0) {
        fprintf(stderr, "send_msg: --fixtures goes with --generate\n");
        return 2;
    }
    if (o.truth != NULL && !o.fixtures) {
        fprintf(stderr, "send_msg: --truth goes with --fixtures\n");
        return 2;
    }
    if (o.fixtures && o.sources > 9) {
        fprintf(stderr, "send_msg: --fixtures takes --sources 1 to 9\n");
        return 2;
    }

    load_env_file(o.env_file ? o.env_file : "var/stack.env");
    if (config_load(&cfg, err, sizeof(err)) != RC_OK) {
        fprintf(stderr, "send_msg: %s\n", err);
        return 2;
    }
    if (o.exchange == NULL) {
        o.exchange = cfg.amqp_exchange;
    }
    if (o.routing_key == NULL) {
        o.routing_key = cfg.amqp_routing_key;
    }
    o.tty = isatty(STDERR_FILENO);

    if (o.generate > 0) {
        struct gen g;
        struct genfx fx;
        buf_t b;

        if (o.fixtures) {
            genfx_init(&fx, o.seed, o.sources, o.update_ratio, o.source_prefix);
        } else {
            gen_init(&g, o.seed, o.sources, o.update_ratio, o.source_prefix);
        }
        buf_init(&b, 0);
        msgs = xcalloc((size_t)o.generate, sizeof(*msgs));
        for (k = 0; k < (size_t)o.generate; k++) {
            char name[32];

            buf_reset(&b);
            if (o.fixtures) {
                genfx_next(&fx, &b);
            } else {
                gen_next(&g, &b);
            }
            if (o.dump) {
                fwrite(b.data, 1, b.len, stdout);
                fputc('\n', stdout);
                continue;
            }
            snprintf(name, sizeof(name), "generated:%zu", k + 1);
            msgs[n++] = (struct message){xstrdup(name), xstrndup(b.data, b.len), b.len, 0};
        }
        if (o.truth != NULL) {
            rc = write_truth(o.truth, &fx);
        }
        buf_cleanup(&b);
        if (o.fixtures) {
            genfx_cleanup(&fx);
        } else {
            gen_cleanup(&g);
        }
        if (rc != 0) {
            goto out;
        }
        if (o.dump) {
            rc = fflush(stdout) == 0 ? 0 : 1;
            goto out;
        }
    } else if (collect(inputs, ninputs, &msgs, &n) != RC_OK) {
        rc = 1; /* named already; nothing was sent */
        goto out;
    }

    if (o.validate) {
        for (k = 0; k < n; k++) {
            char why[256];

            if (msg_check_json(msgs[k].body, msgs[k].len, why, sizeof(why)) != RC_OK) {
                fprintf(stderr, "send_msg: %s: %s\n", msgs[k].name, why);
                rc = 1;
            }
        }
        if (rc != 0) {
            fprintf(stderr, "send_msg: nothing was sent\n");
            goto out;
        }
    }
    if (n == 0) {
        fprintf(stderr, "send_msg: no messages to send\n");
        rc = 1;
        goto out;
    }
    rc = publish_all(&o, o.url ? o.url : cfg.amqp_url, msgs, n);

out:
    for (k = 0; k < n; k++) {
        free(msgs[k].name);
        free(msgs[k].body);
    }
    free(msgs);
    config_cleanup(&cfg);
    return rc;
}
