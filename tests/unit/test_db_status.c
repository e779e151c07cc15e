/* test_db_status.c: ingest_judge, the verdict of /healthz, /metrics and the
 * banner, for every state of the README's table ("Is ingestion moving?"). */
#include "testutil.h"

#include "db_status.h"

#define STALL_S 30

/* A live consumer that keeps up: running, heartbeat fresh, nothing waits. */
static struct consumer_status
healthy(void)
{
    struct consumer_status cs;

    memset(&cs, 0, sizeof(cs));
    cs.pid = 4242;
    cs.started_at = 1700000000;
    cs.broker_connected = 1;
    cs.heartbeat_age = 2;
    snprintf(cs.state, sizeof(cs.state), "running");
    cs.queue_depth = 0;
    cs.queue_depth_age = 2;
    cs.waiting_age = -1;
    cs.commit_age = 1;
    return cs;
}

static void
test_running(void **state)
{
    struct consumer_status cs = healthy();
    struct ingest_health h;

    (void)state;
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "running");
    assert_string_equal(h.reason, "");
    assert_false(h.waiting);
    assert_false(h.stalled);
    assert_int_equal(h.stalled_s, 0);

    /* deliveries in flight, but younger than the limit: still running */
    cs.waiting_age = STALL_S;
    cs.queue_depth = 500;
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "running");
    assert_true(h.waiting);
    assert_int_equal(h.stalled_s, STALL_S);
    assert_false(h.stalled);
}

static void
test_retrying_and_blocked(void **state)
{
    struct consumer_status cs = healthy();
    struct ingest_health h;

    (void)state;
    snprintf(cs.state, sizeof(cs.state), "retrying");
    snprintf(cs.state_reason, sizeof(cs.state_reason), "mariadb: Connection refused");
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "retrying");
    assert_string_equal(h.reason, "mariadb: Connection refused");
    assert_false(h.stalled);

    snprintf(cs.state, sizeof(cs.state), "blocked");
    snprintf(cs.state_reason, sizeof(cs.state_reason), "541 content_properties_shortstr_overflow");
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "blocked");
    assert_string_equal(h.reason, "541 content_properties_shortstr_overflow");
    assert_false(h.stalled);

    /* a state the workers do not know reads as retrying */
    snprintf(cs.state, sizeof(cs.state), "starting");
    cs.state_reason[0] = '\0';
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "retrying");
}

/* Messages wait past the limit: stalled, with the consumer's own reason kept. */
static void
test_stalled(void **state)
{
    struct consumer_status cs = healthy();
    struct ingest_health h;

    (void)state;
    cs.waiting_age = STALL_S + 5;
    cs.queue_depth = 12;
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "stalled");
    assert_true(h.stalled);
    assert_true(h.waiting);
    assert_int_equal(h.stalled_s, STALL_S + 5);
    assert_string_equal(h.reason, "messages have waited 35 s without a commit (queue depth 12)");

    snprintf(cs.state, sizeof(cs.state), "blocked");
    snprintf(cs.state_reason, sizeof(cs.state_reason), "541 overflow");
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "stalled");
    assert_string_equal(
        h.reason, "messages have waited 35 s without a commit (queue depth 12): 541 overflow");

    /* nothing in flight but the queue holds messages nobody took: measured
     * from the last commit, or from the depth's measurement before any */
    cs = healthy();
    cs.queue_depth = 3;
    cs.commit_age = STALL_S + 1;
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "stalled");
    assert_int_equal(h.stalled_s, STALL_S + 1);
    cs.commit_age = -1;
    cs.queue_depth_age = 4;
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "running");
    assert_int_equal(h.stalled_s, 4);
}

/* No sign of life for the limit (killed, hung, SIGSTOPped): down and stalled. */
static void
test_down(void **state)
{
    struct consumer_status cs = healthy();
    struct ingest_health h;

    (void)state;
    cs.heartbeat_age = STALL_S + 1;
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "down");
    assert_true(h.stalled);
    assert_string_equal(h.reason, "no sign of life from consumer pid 4242 for 31 s "
                                  "(stopped, hung or killed?)");

    /* waiting messages do not turn a silent consumer into "stalled" */
    cs.waiting_age = STALL_S * 10;
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "down");

    cs = healthy();
    cs.heartbeat_age = -1; /* never a heartbeat */
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "down");

    /* the row cannot be read at all */
    ingest_judge(NULL, STALL_S, &h);
    assert_string_equal(h.state, "down");
    assert_string_equal(h.reason, "the consumer's status row cannot be read");
    assert_false(h.stalled);
}

/* A clean stop: stopped, not stalled until messages wait too long. */
static void
test_stopped(void **state)
{
    struct consumer_status cs = healthy();
    struct ingest_health h;

    (void)state;
    cs.pid = 0;
    cs.heartbeat_age = 3600;
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "stopped");
    assert_string_equal(h.reason, "no consumer is running");
    assert_false(h.stalled);

    cs.queue_depth = 7;
    cs.commit_age = STALL_S + 30;
    ingest_judge(&cs, STALL_S, &h);
    assert_string_equal(h.state, "stalled");
    assert_true(h.stalled);
    assert_string_equal(h.reason, "messages have waited 60 s without a commit (queue depth 7)");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running), cmocka_unit_test(test_retrying_and_blocked),
        cmocka_unit_test(test_stalled), cmocka_unit_test(test_down),
        cmocka_unit_test(test_stopped),
    };

    return cmocka_run_group_tests_name("db_status", tests, NULL, NULL);
}
