"""Ingestion never stalls: each hostile or sloppy message is decided on its
own (applied, or rejected with a reason and dead-lettered), refusals by the
server are isolated to the message that caused them, server states are
waited out, and /healthz tells the truth while it happens.

Every test names its own sources (a uuid prefix) and waits on conditions."""

import json
import os
import signal
import uuid

import requests

from conftest import health, kill_9, wait_until
from test_consumer import Isolated


def src(tag):
    return f"h{uuid.uuid4().hex[:8]}-{tag}"


def msg(source, mid, **data):
    d = {"id": mid}
    d.update(data)
    return json.dumps({"source": source, "data": d}).encode()


def logged(stack, source):
    """(status, error, payload) of every message logged for source, in order."""
    rows = stack.sql("SELECT status, COALESCE(error, ''), HEX(payload) FROM messages "
                     f"WHERE source = '{source}' ORDER BY id")
    return [(s, e, bytes.fromhex(p)) for s, e, p in rows]


def outcome(stack, body, timeout=60):
    """(status, error) of the latest message logged with exactly these bytes."""
    q = ("SELECT status, COALESCE(error, '') FROM messages WHERE payload = "
         f"0x{body.hex() if body else ''} ORDER BY id DESC LIMIT 1") if body else None
    rows = wait_until(lambda: stack.sql(q), timeout=timeout, what=f"{body[:60]!r} logged")
    return tuple(rows[0])


def wait_logged(stack, source, n, timeout=60):
    return wait_until(lambda: (lambda r: r if len(r) >= n else None)(logged(stack, source)),
                      timeout=timeout, what=f"{n} messages of {source} logged")


def api_matches(stack, source, **params):
    r = stack.get("/api/matches/", params={"source": source, "page_size": 100, **params})
    assert r.status_code == 200, r.text
    return r.json()


# -- defect 1: a refused write is the message's fault, not the queue's ------


def test_refused_values_are_rejected_alone_and_the_queue_moves(stack):
    """Five messages in a row that MariaDB refuses (a CHECK on the date, as a
    2040 date was refused by FROM_UNIXTIME before) used to trigger a
    "systemic refusal" rule and hold the queue forever; now each is rejected
    with the server's reason naming the constraint, and the valid message
    after them is applied."""
    iso = Isolated(stack, "refuse")
    stack.sql("ALTER TABLE matches ADD CONSTRAINT date_start_before_2039 "
              "CHECK (date_start IS NULL OR date_start < '2039-01-01')", iso.db)
    iso.declare()
    bad = [msg("refuse", f"d{i}", date_start_text="2040-01-01 00:00:00") for i in range(5)]
    good = msg("refuse", "ok", date_start_text="2020-01-07 15:00:00")
    iso.publish(bad + [good])
    iso.start()
    wait_until(lambda: iso.count() == 6, timeout=60, what="all six on record")
    rows = stack.sql("SELECT external_id, status, error FROM messages ORDER BY id", iso.db)
    assert [r[0] for r in rows] == [f"d{i}" for i in range(5)] + ["ok"]
    assert [r[1] for r in rows] == ["rejected"] * 5 + ["applied"]
    for r in rows[:5]:
        assert r[2].startswith("the database refused the values: "), r
        assert "date_start_before_2039" in r[2], r
    dead = wait_until(lambda: (lambda d: d if len(d) >= 5 else None)(stack.drain(iso.name + ".dead")),
                      timeout=30, what="five dead letters")
    assert sorted(dead) == sorted(bad)
    assert "systemic" not in iso.log()


def test_a_value_too_long_for_its_column_is_rejected_naming_the_column(stack):
    """Even where a column is narrower than the validator's limit (a schema
    drifting from the code), the server's refusal rejects that message
    alone, with the column's name in the reason."""
    iso = Isolated(stack, "narrow")
    stack.sql("ALTER TABLE teams MODIFY name VARCHAR(20) NOT NULL", iso.db)
    iso.declare()
    long_name = [msg("narrow", f"l{i}", teams=[{"id": i, "name": "N" * 200}]) for i in range(5)]
    ok = msg("narrow", "ok", teams=[{"id": 99, "name": "Short"}])
    iso.publish(long_name + [ok])
    iso.start()
    wait_until(lambda: iso.count() == 6, timeout=60, what="all six on record")
    rows = stack.sql("SELECT external_id, status, error FROM messages ORDER BY id", iso.db)
    assert [r[1] for r in rows] == ["rejected"] * 5 + ["applied"]
    assert all("'name'" in r[2] for r in rows[:5]), rows
    assert stack.sql("SELECT name FROM teams", iso.db) == [["Short"]]


def test_server_states_are_waited_out_not_blamed_on_messages(stack):
    """A missing table is the server's state, not the messages' fault: the
    consumer rolls back and retries (saying why in the status row), rejects
    nothing, and applies everything once the table is back. The two kinds
    are told apart by the server's error class, not by counting refusals."""
    iso = Isolated(stack, "state")
    iso.declare()
    stack.sql("RENAME TABLE teams TO teams_away", iso.db)
    bodies = [msg("state", i, teams=[{"id": 1, "name": "A"}]) for i in range(12)]
    iso.publish(bodies)
    iso.start(wait=False)  # it never gets far enough to look connected for long
    try:
        row = wait_until(lambda: (lambda r: r if r and r[0][0] == "retrying" else None)(
            stack.sql("SELECT state, state_reason FROM consumer_status", iso.db)),
            timeout=60, what="the consumer to say it is retrying")
        assert "teams" in row[0][1], row
        assert iso.count() == 0  # nothing committed, nothing rejected
        assert stack.queue_depth(iso.name + ".dead") == 0
    finally:
        stack.sql("RENAME TABLE teams_away TO teams", iso.db)
    wait_until(lambda: iso.count("applied") == 12, timeout=60, what="all applied once fixed")
    assert iso.count() == 12
    assert stack.queue_depth(iso.name + ".dead") == 0
    assert stack.sql("SELECT state, state_reason FROM consumer_status", iso.db) == [["running", "NULL"]]


# -- defect 2: the whole DATETIME range, no epoch conversion ---------------


def test_dates_before_1970_and_after_2038_are_stored_and_filtered(stack):
    s = src("dates")
    dates = {"pre": "1969-12-31 23:59:59", "y2038": "2038-01-19 03:14:08",
             "y2040": "2040-01-01 00:00:00", "min": "1000-01-01 00:00:00",
             "max": "9999-12-31 23:59:59"}
    stack.publish([msg(s, k, date_start_text=v) for k, v in dates.items()] +
                  [msg(s, "y10000", date_start_text="10000-01-01 00:00:00"),
                   msg(s, "y0999", date_start_text="0999-12-31 23:59:59")])
    rows = wait_logged(stack, s, 7)
    assert [r[0] for r in rows] == ["applied"] * 5 + ["rejected"] * 2
    assert "data.date_start_text" in rows[5][1] and "data.date_start_text" in rows[6][1]
    assert "outside the years 1000 to 9999" in rows[6][1]
    got = {m["external_id"]: m["date_start"] for m in api_matches(stack, s)["results"]}
    assert got == {k: v.replace(" ", "T") + "Z" for k, v in dates.items()}
    # the filters of the audit: these returned 0 matches
    assert api_matches(stack, s, date_start__gte="1969-12-31")["count"] == 4
    assert api_matches(stack, s, date_start__lte="2038-01-19")["count"] == 3
    assert api_matches(stack, s, date_start__gte="2038-01-19T03:14:08Z",
                       date_start__lte="2040-01-01")["count"] == 2
    assert api_matches(stack, s, date_start__lte="1969-12-31T23:59:59Z")["count"] == 2
    assert api_matches(stack, s, date_start__gte="9999-12-31")["count"] == 1


def test_the_five_2040_messages_of_the_audit_and_the_valid_one_after_them(stack):
    """The audit's reproducer: five 2040-dated messages, then a valid one.
    The dates are within the stored range now, so all six are applied, in
    seconds, with their dates exact."""
    s = src("y2040")
    bodies = [msg(s, f"d{i}", date_start_text="2040-01-01 00:00:00") for i in range(5)]
    bodies.append(msg(s, "ok", date_start_text="2020-01-07 15:00:00"))
    stack.publish(bodies)
    rows = wait_logged(stack, s, 6, timeout=20)
    assert [r[0] for r in rows] == ["applied"] * 6
    got = {m["external_id"]: m["date_start"] for m in api_matches(stack, s)["results"]}
    assert got == {**{f"d{i}": "2040-01-01T00:00:00Z" for i in range(5)},
                   "ok": "2020-01-07T15:00:00Z"}


# -- defect 3: ids are text, never clamped ---------------------------------


def test_big_integer_ids_keep_their_digits(stack):
    s = src("ids")
    bodies = [b'{"source": "%s", "data": {"id": %s}}' % (s.encode(), i) for i in
              (b"9223372036854775807", b"9223372036854775808", b"18446744073709551616",
               b'"18446744073709551616"', b"1e20")]
    stack.publish(bodies)
    got = [outcome(stack, b) for b in bodies]
    assert got[:4] == [("applied", "")] * 4
    assert got[4] == ("rejected", "data.id: must be an integer or a string, not a number with a "
                                  "fraction or an exponent")
    ids = sorted(m["external_id"] for m in api_matches(stack, s)["results"])
    # 2^64 as a number and as a string are one match; nothing is clamped
    assert ids == ["18446744073709551616", "9223372036854775807", "9223372036854775808"]


# -- defect 4: NUL and control characters ------------------------------------


def test_nul_in_an_id_does_not_overwrite_another_match(stack):
    s = src("nul")
    bodies = [msg(s, "c001", title="Original"),
              b'{"source": "%s", "data": {"id": "c001\\u0000-attacker", "title": "Evil"}}'
              % s.encode(),
              b'{"source": "%s", "data": {"id": 2, "teams": [{"id": 1, "name": "A\\u0000B"}]}}'
              % s.encode(),
              b'{"source": "%s\\u0000x", "data": {"id": 3}}' % s.encode()]
    stack.publish(bodies)
    got = [outcome(stack, b) for b in bodies]
    assert got == [("applied", ""),
                   ("rejected", "data.id: contains the control character U+0000"),
                   ("rejected", "data.teams[0].name: contains the control character U+0000"),
                   ("rejected", "source: contains the control character U+0000")]
    [m] = api_matches(stack, s)["results"]
    assert (m["external_id"], m["title"]["name"]) == ("c001", "Original")


# -- defect 5: one limit per field, as large as the columns -------------------


def test_names_up_to_255_characters_are_stored_whole(stack):
    s = src("long")
    names = {192: "N" * 192, 255: "\U0001F3AE" * 255}
    stack.publish([msg(s, n, teams=[{"id": n, "name": name}], tournament="T" * 255,
                       title="G" * 255) for n, name in names.items()] +
                  [msg(s, 256, teams=[{"id": 1, "name": "x" * 256}]),
                   msg(s, 190, tournament="B" * 190)])
    rows = wait_logged(stack, s, 4)
    assert [r[0] for r in rows] == ["applied", "applied", "rejected", "applied"]
    assert rows[2][1] == "data.teams[0].name: longer than 255 characters"
    got = {m["external_id"]: m for m in api_matches(stack, s)["results"]}
    for n, name in names.items():
        assert got[str(n)]["teams"][0]["name"] == name
        assert got[str(n)]["tournament"]["name"] == "T" * 255
    assert got["190"]["tournament"]["name"] == "B" * 190


# -- defect 6: strict JSON strings and the right reasons -----------------------


def test_loose_json_and_wrong_reasons(stack):
    s = src("strict")
    cases = [
        (b'{"source": "%s", "data": {"id": "a\tb"}}' % s.encode(),
         "invalid JSON at byte %d: control character U+0009 inside a string (write it escaped)"
         % (len(s) + 32)),
        (b'{"source": "%s", "data": {"id": 1, "title": "a\nb"}}' % s.encode(),
         "invalid JSON at byte %d: control character U+000A inside a string (write it escaped)"
         % (len(s) + 44)),
        (b'{"source": "%s", "data": null}' % s.encode(), "data: must be an object, not null"),
        (msg(s, 4, teams=[{"id": 1}], scores=[{"team": 1, "score": 99999999999}]),
         "data.scores[0].score: 99999999999 is out of range -2147483648..2147483647"),
        (b"null", "message is null, not a JSON object"),
    ]
    stack.publish([b for b, _ in cases])
    for body, reason in cases:
        assert outcome(stack, body) == ("rejected", reason), body


# -- defect 8: a message the broker cannot deliver ----------------------------


def remedy(mgmt):
    """The README's remedy: the management API moves the queue's head
    message to the dead-letter queue (rejected without requeue)."""
    r = requests.post(f"{mgmt}/api/queues/%2F/matches/get", auth=("guest", "guest"),
                      json={"count": 1, "ackmode": "reject_requeue_false", "encoding": "auto"},
                      timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_message_the_broker_cannot_deliver_is_reported_with_the_remedy(stack):
    """A message_id over 255 bytes, published through the management API,
    makes every basic.consume fail (541). The consumer says so in its log and
    in /healthz; the README's remedy unblocks it, and nothing else is lost."""
    mgmt = stack.vals["RABBITMQ_MGMT_URL"]
    s = src("shortstr")
    poison = msg(s, "poison")
    r = requests.post(f"{mgmt}/api/exchanges/%2F/matches/publish", auth=("guest", "guest"),
                      json={"properties": {"message_id": "m" * 300}, "routing_key": "matches",
                            "payload": poison.decode(), "payload_encoding": "string"},
                      timeout=10)
    assert r.status_code == 200 and r.json().get("routed") is True, r.text
    removed = False
    try:
        stack.publish([msg(s, "after")])
        body = wait_until(lambda: (lambda h: h[1] if h[1]["consumer"]["state"] in
                                   ("blocked", "stalled") else None)(health(stack)),
                          timeout=60, what="/healthz to report the blocked queue")
        assert "cannot deliver" in body["consumer"]["reason"], body
        assert "shortstr_overflow" in body["consumer"]["reason"]
        # stalled past HEALTH_STALL_S: 503 with the reason
        code, body = wait_until(lambda: (lambda h: h if h[0] == 503 else None)(health(stack)),
                                timeout=60, what="/healthz 503 while blocked")
        assert body["status"] == "stalled" and "cannot deliver" in body["consumer"]["reason"]
        log = (stack.dir / "log" / "consumer.log").read_text(errors="replace")
        assert "state=blocked" in log
        got = remedy(mgmt)
        removed = True
        assert [m["payload"] for m in got] == [poison.decode()]
        assert len(got[0]["properties"]["message_id"]) == 300
    finally:
        if not removed:
            remedy(mgmt)
        # it is in the dead-letter queue now, where no AMQP client can get it
        # either: inspect it there through the management API, then drop it
        dead = wait_until(lambda: requests.post(
            f"{mgmt}/api/queues/%2F/matches.dead/get", auth=("guest", "guest"), timeout=10,
            json={"count": 1000, "ackmode": "reject_requeue_true", "encoding": "auto"}).json(),
            timeout=30, what="the dead-letter queue to hold it")
        assert poison.decode() in [m["payload"] for m in dead]
        requests.delete(f"{mgmt}/api/queues/%2F/matches.dead/contents", auth=("guest", "guest"),
                        timeout=10)
    rows = wait_logged(stack, s, 1)
    assert [(x[0], x[2]) for x in rows] == [("applied", msg(s, "after"))]
    wait_until(lambda: health(stack)[1]["status"] == "ok", timeout=60, what="healthy again")


# -- health tells the truth ----------------------------------------------------


def test_healthz_reports_a_stall_with_its_reason_and_recovers(stack):
    """The stack's consumer cannot write (a table is missing): messages wait,
    /healthz turns 503 "stalled" after HEALTH_STALL_S with the reason, and
    recovers once the table is back; nothing is lost."""
    s = src("stall")
    stack.sql("RENAME TABLE teams TO teams_away")
    try:
        stack.publish([msg(s, 1, teams=[{"id": 1, "name": "A"}])])
        code, body = wait_until(lambda: (lambda h: h if h[0] == 503 else None)(health(stack)),
                                timeout=90, what="/healthz 503")
        assert body["status"] == "stalled"
        assert body["consumer"]["state"] == "stalled"
        assert "teams" in body["consumer"]["reason"], body
        assert body["consumer"]["failed_batches"] >= 1
        metrics = stack.get("/metrics").text
        assert "esports_ingest_stalled 1" in metrics
    finally:
        stack.sql("RENAME TABLE teams_away TO teams")
    wait_logged(stack, s, 1)
    wait_until(lambda: health(stack)[0] == 200, timeout=60, what="/healthz 200 again")
    assert "esports_ingest_stalled 0" in stack.get("/metrics").text


def test_a_stopped_consumer_is_reported_down_and_loses_nothing(stack):
    """SIGSTOP of the consumer: it still holds the queue, but /healthz says
    "down" (503) once it has been silent HEALTH_STALL_S; after SIGCONT the
    messages published meanwhile are applied."""
    pid = int((stack.dir / "run" / "consumer.pid").read_text())
    s = src("sigstop")
    os.kill(pid, signal.SIGSTOP)
    try:
        stack.publish([msg(s, i) for i in range(5)])
        code, body = wait_until(
            lambda: (lambda h: h if h[1]["consumer"]["state"] == "down" else None)(health(stack)),
            timeout=90, what="/healthz to call the stopped consumer down")
        assert code == 503 and body["status"] == "stalled"
        assert f"pid {pid}" in body["consumer"]["reason"]
    finally:
        os.kill(pid, signal.SIGCONT)
    rows = wait_logged(stack, s, 5)
    assert [r[0] for r in rows] == ["applied"] * 5
    wait_until(lambda: health(stack)[1]["status"] == "ok", timeout=60, what="healthy again")


def test_the_website_shows_a_banner_while_ingestion_is_stalled(stack):
    stack.sql("RENAME TABLE teams TO teams_away")
    try:
        stack.publish([msg(src("banner"), 1, teams=[{"id": 1, "name": "A"}])])
        page = wait_until(lambda: (lambda t: t if "ingest-stalled" in t else None)(stack.get("/").text),
                          timeout=90, what="the stalled banner")
        assert "New results are delayed" in page
    finally:
        stack.sql("RENAME TABLE teams_away TO teams")
    wait_until(lambda: "ingest-stalled" not in stack.get("/").text, timeout=60,
               what="the banner gone")


# -- tools/stack and the consumer's process --------------------------------------


def stack_consumer_pid(stack):
    return int((stack.dir / "run" / "consumer.pid").read_text())


def test_stack_up_consumer_after_kill_9_of_an_unreaped_process(stack):
    """A consumer killed with -9 whose parent has not reaped it is a zombie:
    `kill -0` still succeeds, and `tools/stack up consumer` used to say
    "already running" and start nothing."""
    old = stack_consumer_pid(stack)
    z = stack.spawn([str(stack.env["ESPORTS_BUILD"] + "/esports-consumer")], stack.app_env(),
                    "consumer-zombie.log")
    pidfile = stack.dir / "run" / "consumer.pid"
    os.kill(old, signal.SIGTERM)  # the stack's own consumer, stopped cleanly
    wait_until(lambda: not os.path.exists(f"/proc/{old}"), timeout=30, what="old consumer gone")
    pidfile.write_text(f"{z.pid}\n")
    os.kill(z.pid, signal.SIGKILL)
    wait_until(lambda: open(f"/proc/{z.pid}/stat").read().split(") ")[1][0] == "Z", timeout=10,
               what="a zombie")
    r = stack.stack("up", "consumer")
    new = stack_consumer_pid(stack)
    assert new != z.pid and os.path.exists(f"/proc/{new}"), r.stderr
    assert "consumer ready" in r.stderr
    z.wait()
    s = src("zombie")
    stack.publish([msg(s, 1)])
    assert [x[0] for x in wait_logged(stack, s, 1)] == ["applied"]


def test_stack_up_consumer_beside_an_active_stand_by(stack):
    """With another consumer active on the queue, a consumer started by
    `tools/stack up consumer` stands by; it is ready once it consumes (the
    readiness check used to wait for the status row to name it, and failed
    after STACK_TIMEOUT)."""
    s = src("standby")
    other = stack.spawn([str(stack.env["ESPORTS_BUILD"] + "/esports-consumer")], stack.app_env(),
                        "consumer-other.log")
    log = stack.dir / "log" / "consumer-other.log"
    wait_until(lambda: f"pid={other.pid} mod=amqp event=connected" in log.read_text(), timeout=30,
               what="the second consumer consuming")
    kill_9(stack_consumer_pid(stack))  # the active one dies
    stack.publish([msg(s, 1)])
    wait_until(lambda: stack.scalar("SELECT pid FROM consumer_status") == str(other.pid),
               timeout=60, what="the other consumer active")
    r = stack.stack("up", "consumer", env={"STACK_TIMEOUT": "30"})
    assert r.returncode == 0 and "consumer ready" in r.stderr, r.stderr
    new = stack_consumer_pid(stack)
    assert stack.scalar("SELECT pid FROM consumer_status") == str(other.pid)
    other.send_signal(signal.SIGTERM)
    assert other.wait(timeout=30) == 0
    stack.publish([msg(s, 2)])
    assert [x[0] for x in wait_logged(stack, s, 2)] == ["applied", "applied"]
    wait_until(lambda: stack.scalar("SELECT pid FROM consumer_status") == str(new), timeout=60,
               what="the stack's consumer active again")
