"""The consumer against real RabbitMQ and MariaDB: the samples, bad input,
crash safety, broker and database restarts, failover and shutdown."""

import os
import re
import signal
import subprocess
import uuid

from conftest import BUILD, ROOT, LogTail, tag, wait_until
from gen import generate

SNAPSHOT = """
SELECT s.name, m.external_id, IFNULL(m.url, 'null'), IFNULL(m.state, 'null'),
       IFNULL(m.bestof, 'null'), IFNULL(m.date_start, 'null'), IFNULL(ti.name, 'null'),
       IFNULL(tn.ext_key, 'null'), IFNULL(tn.name, 'null'),
       IFNULL((SELECT GROUP_CONCAT(CONCAT_WS('|', mt.position, t.external_id, t.name,
                      IFNULL(mt.score, 'null'), IFNULL(mt.winner, 'null'))
                      ORDER BY mt.position SEPARATOR ';')
               FROM match_teams mt JOIN teams t ON t.id = mt.team_id
               WHERE mt.match_id = m.id), '')
FROM matches m JOIN sources s ON s.id = m.source_id
LEFT JOIN titles ti ON ti.id = m.title_id
LEFT JOIN tournaments tn ON tn.id = m.tournament_id
{where}
ORDER BY s.name, m.external_id
"""


def snapshot(stack, db="esports", source_like=None):
    where = f"WHERE s.name LIKE '{source_like}'" if source_like else ""
    rows = stack.sql(SNAPSHOT.format(where=where), db)
    titles = stack.sql("SELECT name, name_key FROM titles ORDER BY name_key", db)
    return rows, (titles if source_like is None else None)


class Isolated:
    """A consumer of its own: own database, exchange and queues."""

    def __init__(self, stack, name, **extra):
        self.stack, self.name = stack, f"{name}_{uuid.uuid4().hex[:6]}"
        self.db = f"esports_{self.name}"
        self.extra = extra
        stack.sql(f"CREATE DATABASE `{self.db}`")
        r = subprocess.run([str(BUILD / "migrate"), "--dir", str(ROOT / "migrations")],
                           env=self.env(), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        self.proc = None

    def env(self):
        return self.stack.app_env(
            MARIADB_USER="root", MARIADB_PASSWORD="", MARIADB_DATABASE=self.db,
            AMQP_EXCHANGE=self.name, AMQP_QUEUE=self.name, AMQP_DLX=self.name + ".dlx",
            AMQP_DEAD_QUEUE=self.name + ".dead", **self.extra)

    def start(self, wait=True):
        self.proc = self.stack.spawn([str(BUILD / "esports-consumer")], self.env(),
                                     f"consumer-{self.name}.log")
        if wait:
            pid = str(self.proc.pid)
            wait_until(lambda: self.stack.sql(
                "SELECT pid, broker_connected FROM consumer_status", self.db) == [[pid, "1"]],
                timeout=30, what=f"consumer {self.name} connected")
        return self.proc

    def declare(self):
        """Lets the consumer declare its topology, then stops it, so a test can
        fill the queue before the consumer runs."""
        p = self.start()
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 0

    def publish(self, bodies, **kw):
        self.stack.publish(bodies, exchange=self.name, routing_key="any.key", **kw)

    def count(self, status=None):
        where = f"WHERE status = '{status}'" if status else ""
        return int(self.stack.scalar(f"SELECT COUNT(*) FROM messages {where}", self.db))

    def snapshot(self):
        return snapshot(self.stack, self.db)

    def settle(self):
        """Waits until everything published so far has been handled (a
        marker behind it, rejected without a source, is logged)."""
        return self.stack.settle(db=self.db, exchange=self.name, routing_key="any.key",
                                 applied=False)

    def log(self):
        return (self.stack.dir / "log" / f"consumer-{self.name}.log").read_text(errors="replace")


def own_rows(stack, prefix):
    """The messages logged of the sources prefix1, prefix2, ... (a test's own)."""
    return int(stack.scalar(f"SELECT COUNT(*) FROM messages WHERE source LIKE '{prefix}%'"))


def committed_by(log_text, pid):
    """Messages (applied or rejected) the consumer with pid committed, from its log."""
    n = 0
    for m in re.finditer(rf"pid={pid} mod=consumer event=batch_committed messages=\d+ "
                         rf"applied=(\d+) rejected=(\d+)", log_text):
        n += int(m.group(1)) + int(m.group(2))
    return n


def broker_status(stack, queue, pid):
    """How the broker sees the consumer of process pid on queue: its
    activity_status ("single_active", "waiting"), or None while it has none.
    The process is found by the local ports of its connections (ss -p)."""
    out = subprocess.run(["ss", "-Htnp", "state", "established",
                          f"( dport = :{stack.vals['AMQP_PORT']} )"],
                         capture_output=True, text=True, check=True).stdout
    ports = {int(line.split()[2].rsplit(":", 1)[1]) for line in out.splitlines()
             if f"pid={pid}," in line}
    # a consumer whose channel the management API has not described yet
    # comes with channel_details = [] (seen in CI): not one of ours so far
    got = [c["activity_status"] for c in stack.consumers(queue)
           if isinstance(c.get("channel_details"), dict)
           and c["channel_details"].get("peer_port") in ports]
    return got[0] if len(got) == 1 else None


def sample_bytes(fixtures, strict=False):
    d = fixtures / "strict" if strict else fixtures
    return [(d / f"message{i}.json").read_bytes() for i in range(1, 5)]


def test_samples_as_distributed(stack, fixtures):
    """The stack's own consumer takes the samples as published. Their
    sources are fixed (other tests send them too), so this test finds its
    rows by the message ids it published them with."""
    bodies = sample_bytes(fixtures)
    ids = stack.publish_applied(bodies)
    rows = stack.sql(f"SELECT status, IFNULL(error, ''), HEX(payload), source, external_id, match_id "
                     f"FROM messages WHERE message_id LIKE '{ids}-%' ORDER BY id")
    assert [r[0] for r in rows] == ["applied"] * 4, rows
    assert [bytes.fromhex(r[2]) for r in rows] == bodies  # byte-identical, in order
    assert [(r[3], r[4]) for r in rows] == [("source1", "1"), ("source1", "1"), ("source2", "99"),
        ("source3", "bayes1-bayes2-overcooked-season-2-group-stage-lower-bracket-seed12")]
    m1, m1b, m3, m4 = (int(r[5]) for r in rows)
    assert m1 == m1b and len({m1, m3, m4}) == 3  # message 2 updates the match of message 1
    assert stack.scalar("SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
                        "WHERE s.name = 'source1' AND m.external_id = '1'") == str(m1)

    m = stack.sql(f"""SELECT m.state, m.bestof, m.date_start, tn.external_id, tn.name, ti.name
                      FROM matches m JOIN tournaments tn ON tn.id = m.tournament_id
                      JOIN titles ti ON ti.id = m.title_id WHERE m.id = {m1}""")
    assert m == [["2", "3", "2020-01-07 15:00:00", "15", "Overbayes Season 1 - Group Stage", "Overcooked"]]
    teams = stack.sql(f"""SELECT t.name, mt.score, mt.winner FROM match_teams mt
                          JOIN teams t ON t.id = mt.team_id WHERE mt.match_id = {m1} ORDER BY mt.position""")
    assert teams == [["Bayes Team 2", "2", "1"], ["Bayes Team 3", "0", "0"]]
    # "Overcooked" and "OverCooked " are one title, shown with the first spelling
    assert stack.sql("SELECT name FROM titles WHERE name_key = 'overcooked'") == [["Overcooked"]]
    assert stack.sql(f"SELECT COUNT(DISTINCT title_id) FROM matches WHERE id IN ({m1}, {m3})") == [["1"]]
    # message 3's tournament is a bare name, keyed by that name within source2
    assert stack.sql(f"SELECT tn.ext_key, tn.name, s.name FROM matches m "
                     f"JOIN tournaments tn ON tn.id = m.tournament_id JOIN sources s ON s.id = tn.source_id "
                     f"WHERE m.id = {m3}") == [["name:overbayes premium series", "Overbayes Premium Series",
                                               "source2"]]
    # the match's provenance: the two messages of this run are its last two
    prov = stack.sql(f"SELECT HEX(payload), IFNULL(message_id, '') FROM messages WHERE match_id = {m1} "
                     f"ORDER BY id")
    assert [(bytes.fromhex(r[0]), r[1]) for r in prov[-2:]] == [(bodies[0], f"{ids}-000000"),
                                                                (bodies[1], f"{ids}-000001")]


def test_strict_copies_give_the_same_state(stack, fixtures):
    a = Isolated(stack, "distributed")
    b = Isolated(stack, "strict")
    a.start()
    b.start()
    a.publish(sample_bytes(fixtures))
    b.publish(sample_bytes(fixtures, strict=True))
    wait_until(lambda: a.count("applied") == 4 and b.count("applied") == 4, what="both applied")
    assert a.snapshot() == b.snapshot()
    rows, titles = a.snapshot()
    assert len(rows) == 3
    assert titles == [["Overcooked", "overcooked"], ["Overcooked 2", "overcooked2"]]


BAD = [
    (b"", "empty body"),
    (b"not json at all", "invalid JSON at byte 0: unexpected word 'not'"),
    (b'{"source": "s", "data": {"id": 1', "truncated JSON: the message ends at byte 32 inside a value"),
    (b'["a list"]', "message is an array, not a JSON object"),
    (b'{"data": {"id": 1}}', "source: missing"),
    (b'{"source": "bad-src"}', "data: missing"),
    (b'{"source": "bad-src", "data": {"url": "x"}}', "data.id: missing"),
    (b'{"source": "bad-src", "data": {"id": 1, "teams": {"id": 1}}}', "data.teams: must be an array, not an object"),
    (b'{"source": "bad-src", "data": {"id": 2, "teams": [{"name": "no id"}]}}', "data.teams[0].id: missing"),
    (b'{"source": "bad-src", "data": {"id": 3, "teams": [{"id": 1}], "scores": [{"team": 1, "score": "two"}]}}',
     'data.scores[0].score: must be an integer, not the string "two"'),
    (b'{"source": "bad-src", "data": {"id": 4, "state": "live"}}', 'data.state: must be an integer, not the string "live"'),
    (b'{"source": "bad-\xff", "data": {"id": 5}}', "invalid UTF-8 at byte 16"),
    (b'{"source": "s", "data": {"id": 6}} {}',
     "invalid JSON at byte 35: data after the end of the value"),
    (b"{" + b" " * (1024 * 1024) + b"}", "payload of 1048578 bytes exceeds the limit of 1048576 (MAX_MESSAGE_BYTES)"),
]


def test_bad_input_is_recorded_dead_lettered_and_does_not_block(stack):
    """Most bad messages name no source, so the test finds its rows (and its
    dead letters) by the message ids it published them with."""
    src = tag("ok")
    good = lambda i: f'{{"source": "{src}", "data": {{"id": {i}, "unknown_field": [1, 2], "teams": []}}}}'.encode()
    bodies = [good(0)]
    for i, (bad, _reason) in enumerate(BAD):
        bodies += [bad, good(i + 1)]
    log = LogTail(stack.dir / "log" / "consumer.log")
    ids = tag("bad")
    sent = stack.publish(bodies, id_prefix=ids)
    wait_until(lambda: stack.logged(ids) == len(bodies), timeout=60, what="all messages logged")
    rows = stack.sql(f"SELECT status, IFNULL(error, ''), payload_size, message_id FROM messages "
                     f"WHERE message_id LIKE '{ids}-%' ORDER BY id")
    assert [r[3] for r in rows] == sent  # in the order published
    for i, (bad, reason) in enumerate(BAD):
        status, error, size, _ = rows[1 + 2 * i]
        assert (status, error, int(size)) == ("rejected", reason, len(bad))
    assert all(rows[2 * i][0] == "applied" for i in range(len(BAD) + 1))
    assert int(stack.scalar(f"SELECT COUNT(*) FROM matches m JOIN sources s ON s.id = m.source_id "
                            f"WHERE s.name = '{src}'")) == len(BAD) + 1
    # unknown fields are accepted and kept in the raw payload
    assert stack.scalar(f"SELECT COUNT(*) FROM messages WHERE message_id LIKE '{ids}-%' "
                        f"AND payload LIKE '%unknown_field%'") == str(len(BAD) + 1)
    # every rejected message, and only those, is dead-lettered (after its
    # batch commits, so they may come over several drains)
    dead = []

    def dead_letters():
        dead.extend((p.message_id, b) for p, b in stack.drain("matches.dead", with_props=True)
                    if (p.message_id or "").startswith(ids + "-"))
        return len(dead) >= len(BAD)
    wait_until(dead_letters, timeout=30, what="dead letters")
    assert sorted(dead) == sorted((sent[1 + 2 * i], bad) for i, (bad, _) in enumerate(BAD))
    text = log.text()
    assert "level=warn role=consumer" in text and "event=rejected tag=" in text


def test_published_straight_to_the_queue(stack):
    src = "direct-" + uuid.uuid4().hex[:8]
    body = f'{{"source": "{src}", "data": {{"id": "1", "title": "Direct"}}}}'.encode()
    stack.publish([body], exchange="", routing_key="matches")
    wait_until(lambda: stack.scalar(f"SELECT COUNT(*) FROM messages WHERE source = '{src}' AND status = 'applied'") == "1",
               what="direct message applied")


def test_crash_safety_kill_9(stack):
    bodies = generate(1000, seed=7, prefix="crash")
    ref = Isolated(stack, "ref", CONSUMER_BATCH_SIZE=1)  # one message per transaction
    ref.start()
    ref.publish(bodies)
    wait_until(lambda: ref.count() == 1000, timeout=120, what="reference run")

    crash = Isolated(stack, "crash", CONSUMER_BATCH_SIZE=50)
    crash.declare()
    crash.publish(bodies)
    p = crash.start()
    wait_until(lambda: crash.count() >= 250, timeout=60, interval=0.01, what="some progress")
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert 250 <= crash.count() < 1000, "the kill must land mid-stream"
    crash.start()
    wait_until(lambda: crash.count() == 1000 and stack.queue_depth(crash.name) == 0, timeout=120,
               what="crash run to finish")
    crash.settle()  # every redelivery handled: the log is final
    assert crash.count("applied") == 1000  # nothing applied twice, nothing lost
    assert crash.count() == 1000 + 1  # and nothing else logged but the marker
    assert crash.snapshot() == ref.snapshot()
    # the match count the consumer keeps survives the crash exactly too
    for iso in (ref, crash):
        assert stack.sql("SELECT matches_total FROM consumer_status", iso.db) == \
            stack.sql("SELECT COUNT(*) FROM matches", iso.db)


def test_sigterm_commits_acks_and_exits_0(stack):
    iso = Isolated(stack, "term")
    bodies = generate(2000, seed=3, prefix="term")
    iso.declare()
    iso.publish(bodies)
    p = iso.start()
    wait_until(lambda: iso.count() > 0, timeout=30, interval=0.01, what="first commit")
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=30) == 0
    done = iso.count()
    # acked exactly what was committed: the rest is back in the queue (the
    # broker requeues the unacked as it closes the channel)
    wait_until(lambda: done + stack.queue_depth(iso.name) == 2000, timeout=30,
               what=f"the {2000 - done} uncommitted messages back in the queue")
    assert iso.stack.sql("SELECT pid, broker_connected FROM consumer_status", iso.db) == [["NULL", "0"]]
    iso.start()
    wait_until(lambda: iso.count() == 2000, timeout=120, what="the rest")


def test_rabbitmq_restart_mid_stream_loses_nothing(stack):
    prefix = tag("rmq")
    stack.publish(generate(3000, seed=11, prefix=prefix))
    stack.stack("down", "rabbitmq")
    stack.stack("up", "rabbitmq")
    wait_until(lambda: own_rows(stack, prefix) >= 3000, timeout=120,
               what="all 3000 applied after the restart")
    stack.settle()  # the redeliveries after the restart handled too
    assert own_rows(stack, prefix) == 3000  # none lost, none logged twice
    assert stack.queue_depth("matches") == 0


def test_database_restart_mid_stream_loses_nothing(stack):
    """Half the stream is published before MariaDB goes away, half while it
    is away; the consumer must meet the outage before it comes back."""
    prefix = tag("dbr")
    bodies = generate(3000, seed=12, prefix=prefix)
    log = LogTail(stack.dir / "log" / "consumer.log")
    stack.publish(bodies[:1500])
    stack.stack("down", "mariadb")
    try:
        stack.publish(bodies[1500:])
        wait_until(lambda: re.search(r"role=consumer .*(mod=db event=connection_lost|"
                                     r"event=reconnecting target=mariadb)", log.text()),
                   timeout=60, what="the consumer to meet the outage")
    finally:
        stack.stack("up", "mariadb")
    wait_until(lambda: own_rows(stack, prefix) >= 3000, timeout=120,
               what="all 3000 applied after the restart")
    stack.settle()
    assert own_rows(stack, prefix) == 3000


def test_second_consumer_stands_by_and_takes_over(stack):
    """The broker's own view (management API) shows the second consumer
    registered and waiting while the first is the single active one; every
    message is then committed by the first. Killed, the first hands over."""
    iso = Isolated(stack, "sac")
    first = iso.start()
    wait_until(lambda: broker_status(stack, iso.name, first.pid) == "single_active", timeout=30,
               what="the first consumer active")
    second = iso.start(wait=False)
    wait_until(lambda: broker_status(stack, iso.name, second.pid) == "waiting", timeout=30,
               what="the second consumer registered, standing by")
    assert len(stack.consumers(iso.name)) == 2
    iso.publish(generate(100, seed=5, prefix=tag("sac")))
    wait_until(lambda: iso.count() == 100, timeout=60, what="first batch")
    # all 100 were committed by the first; the second is still standing by.
    # (A batch's log line follows its commit and its acks: the rows can be
    # counted before it is written.)
    wait_until(lambda: committed_by(iso.log(), first.pid) == 100, timeout=30, interval=0.02,
               what="the first's 100 logged as committed by it")
    assert committed_by(iso.log(), second.pid) == 0
    assert broker_status(stack, iso.name, first.pid) == "single_active"
    assert broker_status(stack, iso.name, second.pid) == "waiting"
    # the status row names the active consumer, not the stand-by that started later
    assert stack.scalar("SELECT pid FROM consumer_status", iso.db) == str(first.pid)
    first.send_signal(signal.SIGKILL)
    first.wait()
    wait_until(lambda: [c["activity_status"] for c in stack.consumers(iso.name)] == ["single_active"]
               and broker_status(stack, iso.name, second.pid) == "single_active", timeout=30,
               what="the broker to hand the queue to the second")
    iso.publish(generate(100, seed=6, prefix=tag("sac")))
    wait_until(lambda: iso.count() == 200, timeout=60, what="the standby to take over")
    wait_until(lambda: committed_by(iso.log(), second.pid) == 100, timeout=30, interval=0.02,
               what="the second's 100 logged as committed by it")
    assert stack.scalar("SELECT pid FROM consumer_status", iso.db) == str(second.pid)


def test_a_write_the_database_refuses_rejects_only_that_message(stack):
    """A trigger makes the database refuse one match: the batch is rolled back,
    its redeliveries are applied one savepoint each, and only the culprit is
    rejected (on record, and dead-lettered)."""
    iso = Isolated(stack, "careful")
    # (NULL into a NOT NULL column: the server refuses the row)
    stack.sql("CREATE TRIGGER refuse_poison BEFORE INSERT ON matches FOR EACH ROW "
              "SET NEW.external_id = IF(NEW.external_id = 'poison', NULL, NEW.external_id)", iso.db)
    iso.declare()
    msg = lambda i: f'{{"source": "careful", "data": {{"id": "{i}", "teams": [{{"id": 1, "name": "A"}}]}}}}'.encode()
    bodies = [msg(i) for i in range(20)] + [msg("poison")] + [msg(i) for i in range(20, 40)]
    iso.publish(bodies)
    iso.start()
    wait_until(lambda: iso.count() == 41, timeout=60, what="all 41 on record")
    assert iso.count("applied") == 40
    assert stack.sql("SELECT external_id, error FROM messages WHERE status = 'rejected'", iso.db) == \
        [["poison", "the database refused the values: Column 'external_id' cannot be null"]]
    assert int(stack.scalar("SELECT COUNT(*) FROM matches", iso.db)) == 40
    assert int(stack.scalar("SELECT COUNT(*) FROM match_teams", iso.db)) == 40
    dead = wait_until(lambda: stack.drain(iso.name + ".dead") or None, timeout=30, what="dead letter")
    assert dead == [msg("poison")]
    log = (stack.dir / "log" / f"consumer-{iso.name}.log").read_text()
    assert "event=careful_mode" in log


def test_silently_dead_broker_is_detected_by_heartbeats(stack):
    """The broker stops answering (SIGSTOP: the TCP connection stays up but
    nothing comes back): the consumer notices through missed heartbeats,
    reconnects once the broker is back, and carries on."""
    iso = Isolated(stack, "heartbeat", AMQP_HEARTBEAT=2)
    iso.start()
    beam = int((stack.dir / "run" / "rabbitmq-beam.pid").read_text())
    log = stack.dir / "log" / f"consumer-{iso.name}.log"
    os.kill(beam, signal.SIGSTOP)
    try:
        # (the reason is rabbitmq-c's: "heartbeat timeout, connection closed")
        wait_until(lambda: 'event=connection_lost err="heartbeat timeout' in log.read_text(),
                   timeout=30, what="the consumer to notice the silent broker by its heartbeats")
    finally:
        os.kill(beam, signal.SIGCONT)
    iso.publish([b'{"source": "hb", "data": {"id": 1}}'])
    wait_until(lambda: iso.count("applied") == 1, timeout=60, what="applied after reconnecting")
    assert log.read_text().count("mod=amqp event=connected ") >= 2  # it connected again

