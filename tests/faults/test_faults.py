"""Faults injected into the running stack while messages are consumed.
Every case ends the same way: each published message is in the log exactly
once, byte-exact, in publishing order, and the final data's fingerprint
equals that of an uninterrupted run of the same messages."""

import json
import os
import signal
import time

import pytest

from faultlib import (LogCheck, Lane, describe_times, fingerprint, fingerprint_diff,
                      first_event_after, generate, log_events, log_tail, reference,
                      save_fingerprint, send, sha, wait_resumed, wait_until)
import hostile


def conclude(stack, report, case, slug, db, published, ref, t0, faults, reconnects,
             problems=(), prefix=None, logs=()):
    """Checks the log and the fingerprint, adds the case's report row, and
    fails with every problem found (and the consumers' last warnings)."""
    check = LogCheck(stack, db, published)
    fp = fingerprint(stack, db, prefix)
    path = save_fingerprint(stack, slug, fp)
    problems = [p for p in problems if p] + check.problems()
    if fp[0] != ref[0]:
        problems.append(f"fingerprint {fp[0][:12]} differs from the reference's {ref[0][:12]} "
                        f"({path}):\n{fingerprint_diff(ref, fp)}")
    report.add(case=case, messages=len(published), faults=faults, lost=check.nlost,
               duplicated=check.duplicated, **{"order kept": "yes" if check.order_kept else "NO",
                                               "fingerprint equal": "yes" if fp[0] == ref[0]
                                               else "NO"},
               reconnect=describe_times(reconnects), seconds=f"{time.monotonic() - t0:.0f}",
               result="pass" if not problems else "FAIL")
    if problems:
        tails = "\n".join(f"--- {p.name}\n{log_tail(p)}" for p in logs)
        pytest.fail("\n".join(problems) + ("\n" + tails if tails else ""), pytrace=False)
    return check


def test_1_kill_9_at_random_moments(stack, settings, report):
    """kill -9 of the consumer at random moments of a paced stream; each time
    a new consumer starts at once and takes the redeliveries."""
    t0 = time.monotonic()
    s, rng = settings, settings.rng("kill")
    n = s.kill_messages
    gen = {"n": n, "seed": s.gen_seed("kill"), "prefix": "kill"}
    published = generate(**gen)
    ref = reference(stack, "kill", generated=gen, expected=n)

    lane = Lane(stack, "kill")
    c = lane.start()
    points = sorted(rng.sample(range(max(1, n // 50), n - n // 50), s.kills))
    sending = lane.send(generated=gen, rate=s.kill_rate, wait=False)
    kills, reconnects, problems, t = [], [], [], 0.0
    for at in points:
        # a kill lands while messages are being consumed: the consumer has
        # committed since it started, and the stream has reached this point
        wait_until(lambda: lane.count() >= at, timeout=120, interval=0.02,
                   what=f"{at} messages on record before a kill")
        if kills:
            reconnects.append(wait_resumed(c, t))
        time.sleep(rng.uniform(0, 0.3))  # a random point of the consumer's batch cycle
        t = time.time()
        c.kill()
        on_record = lane.count()
        if on_record >= n:
            problems.append(f"a kill came after all {n} messages were on record: not mid-stream")
        stack.record_fault("kill", "kill -9", t, t, f"pid={c.pid} on_record={on_record}")
        c = lane.start(wait=False)  # its time to connect counts in the reconnect time
        kills.append(t)
    reconnects.append(wait_resumed(c, t))
    sending.wait()
    problems.append(lane.settle(n, timeout=300))
    redelivered = stack.scalar("SELECT COUNT(*) FROM messages WHERE redelivered = 1", lane.db)
    report.note(f"1 kill -9: kills after {points[0]}..{points[-1]} messages on record; "
                f"{redelivered} messages applied from redeliveries, "
                f"{lane.count_in_logs('apply', 'skipped_redelivery')} redeliveries skipped as "
                f"already committed")
    conclude(stack, report, f"1 kill -9 x{s.kills}", "kill", lane.db, published, ref, t0,
             len(kills), reconnects, problems, logs=lane.logs())


def test_2_broker_and_database_restarts(stack, settings, report):
    """RabbitMQ and MariaDB restarted (tools/stack down/up) in a random order
    while the consumer works through a stream. The publisher pauses while the
    broker is down (it would fail); the broker goes down right after a burst,
    with a backlog in the queue and deliveries in the consumer's hands, and
    the database goes down in the middle of a paced segment."""
    t0 = time.monotonic()
    s, rng = settings, settings.rng("restart")
    kinds = ["rabbitmq"] * s.rabbitmq_restarts + ["mariadb"] * s.mariadb_restarts
    rng.shuffle(kinds)
    seg, burst = s.restart_segment, s.restart_burst
    n = seg * (len(kinds) + 1) + burst * s.rabbitmq_restarts
    published = generate(n, s.gen_seed("restart"), "restart")
    ref = reference(stack, "restart", lines=published, expected=n)

    lane = Lane(stack, "restart")
    c = lane.start()
    pos, faults, reconnects, problems, backlog = 0, [], [], [], []
    for kind in kinds:
        part, pos = published[pos:pos + seg], pos + seg
        if kind == "mariadb":
            sending = lane.send(lines=part, rate=s.restart_rate, wait=False)
            time.sleep(rng.uniform(0.2, 0.8) * seg / s.restart_rate)  # a moment of the segment
            if sending.done():
                problems.append("a database restart came after its segment was published")
            start = time.time()
            stack.stack("down", "mariadb")
            stack.stack("up", "mariadb")
            end = time.time()
            detail = ""
        else:
            lane.send(lines=part, rate=s.restart_rate)
            lane.send(lines=published[pos:pos + burst])
            pos += burst
            backlog.append(pos - lane.count())
            start = time.time()
            stack.stack("down", "rabbitmq")
            stack.stack("up", "rabbitmq")
            end = time.time()
            sending, detail = None, f"not_on_record={backlog[-1]}"
        faults.append((kind, end))
        # the next fault only once the consumer is back at work from this one
        reconnects.append(wait_resumed(c, end, since=start if kind == "rabbitmq" else None))
        stack.record_fault("restart", kind, start, end, f"{detail} resumed_s={reconnects[-1]}")
        if reconnects[-1] is None:
            problems.append(f"no commit within 60 s of the {kind} restart at {end:.3f}")
        if sending is not None:
            sending.wait()
    lane.send(lines=published[pos:], rate=s.restart_rate)
    problems.append(lane.settle(n, timeout=300))
    if backlog and min(backlog) <= 0:
        problems.append(f"a broker restart found nothing in flight (backlog {backlog})")
    by_kind = {k: describe_times([r for (kk, _), r in zip(faults, reconnects) if kk == k])
               for k in ("rabbitmq", "mariadb")}
    redelivered = stack.scalar("SELECT COUNT(*) FROM messages WHERE redelivered = 1", lane.db)
    report.note(f"2 restarts: order {' '.join(k[0].upper() for k in kinds)} (R RabbitMQ, "
                f"M MariaDB); messages not yet on record when the broker went down: {backlog}; "
                f"reconnect RabbitMQ {by_kind['rabbitmq']}, MariaDB {by_kind['mariadb']}; "
                f"{redelivered} applied from redeliveries")
    if c.proc.returncode not in (0, None):
        problems.append(f"the consumer exited with {c.proc.returncode}")
    conclude(stack, report, f"2 restarts {s.rabbitmq_restarts} RabbitMQ + {s.mariadb_restarts} "
             f"MariaDB", "restart", lane.db, published, ref, t0, len(faults), reconnects,
             problems, logs=lane.logs())


def es_documents(stack):
    docs, after = {}, None
    while True:
        q = {"size": 1000, "sort": [{"id": "asc"}]}
        if after is not None:
            q["search_after"] = [after]
        hits = stack.engine("POST", "/esports-matches/_search", json=q).json()["hits"]["hits"]
        if not hits:
            return docs
        for h in hits:
            doc = h["_source"]
            # the other spellings of a team's identity are the documents'
            # own (search finds a match by them); the list does not show them
            for t in doc.get("teams") or []:
                t.pop("aliases", None)
            # the view (what /api/search/ sends) is the same document as
            # text; one that is not stays in, to differ from the list
            view = doc.pop("view", None)
            if view is None or json.loads(view) != doc:
                doc["view"] = view
            docs[doc["id"]] = doc
        after = hits[-1]["sort"][0]


def api_matches(stack):
    out, page = {}, 1
    while True:
        r = stack.get(f"/api/matches/?ordering=id&page_size=500&page={page}")
        if r.status_code == 404 and page > 1:
            return out
        r.raise_for_status()
        body = r.json()
        for m in body["results"]:
            out[m["id"]] = m
        if not body["next"]:
            return out
        page += 1


def test_3_search_engine_stopped_mid_stream(stack, settings, report):
    """The search engine is stopped for a while in the middle of a stream
    that the stack's own consumer applies and mirrors: MariaDB keeps taking
    the messages, the outbox grows, and once the engine is back the outbox
    drains to 0 and the index agrees with the list, document for document."""
    t0 = time.monotonic()
    s = settings
    n, outage = s.search_messages, s.search_outage_s
    gen = {"n": n, "seed": s.gen_seed("search"), "prefix": "search"}
    published = generate(**gen)
    ref = reference(stack, "search", generated=gen, expected=n)
    count = lambda: int(stack.scalar("SELECT COUNT(*) FROM messages"))
    outbox = lambda: int(stack.scalar("SELECT COUNT(*) FROM search_outbox"))
    assert count() == 0, "the stack's database must hold this case's messages only"

    # one paced stream in four parts: before the outage (5 s), during it,
    # while the engine starts (10 s) and after it is back (5 s)
    rate = n / (outage + 20)
    a, b, c = int(5 * rate), int((5 + outage) * rate), int((15 + outage) * rate)
    log = stack.log("consumer.log")
    pub = lambda part, wait: send(stack, "matches", log_name="search-send.log", lines=part,
                                  rate=rate, wait=wait)
    problems = []
    pub(published[:a], True)
    wait_until(lambda: count() >= a and
               int(stack.engine("GET", "/esports-matches/_count").json()["count"]) > 0,
               timeout=60, what="the first messages applied and mirrored")
    stack.stack("down", "search")
    t_down, t_down_wall, at_down = time.monotonic(), time.time(), count()
    sending = pub(published[a:b], False)
    time.sleep(max(0.0, outage - (time.monotonic() - t_down)))  # the outage itself
    sending.wait()
    during, pending = count() - at_down, outbox()
    sending = pub(published[b:c], False)
    stack.stack("up", "search")
    t_up = time.time()
    stack.record_fault("search", "search engine stopped", t_down_wall, t_up,
                       f"applied_meanwhile={during} outbox={pending}")
    sending.wait()
    pub(published[c:], True)
    if during <= 0:
        problems.append("no message was applied while the engine was down")
    try:
        wait_until(lambda: count() >= n and stack.queue_depth("matches") == 0 and outbox() == 0,
                   timeout=180, interval=0.2, what="every message applied and the outbox empty")
    except AssertionError as e:
        rows = stack.sql("SELECT parked, COUNT(*), MAX(attempts), MAX(last_error) "
                         "FROM search_outbox GROUP BY parked")
        problems.append(f"{e}; outbox rows (parked, count, attempts, last error): {rows}")
    resumed = first_event_after(log, t_up, "mirror", "mirror_resumed")
    stack.engine("POST", "/esports-matches/_refresh")
    engine_count = stack.engine("GET", "/esports-matches/_count").json()["count"]
    listed = api_matches(stack)
    api_count = stack.get("/api/matches/").json()["count"]
    db_count = int(stack.scalar("SELECT COUNT(*) FROM matches"))
    searched = stack.get("/api/search/?q=team").json()["count"]  # every generated team is "Team N"
    docs = es_documents(stack)
    if not (engine_count == api_count == db_count == len(listed)):
        problems.append(f"counts disagree: engine {engine_count}, /api/matches/ {api_count} "
                        f"(listed {len(listed)}), MariaDB {db_count}")
    if searched != db_count:
        problems.append(f"/api/search/?q=team counts {searched}, the list {db_count}")
    differ = [i for i in set(docs) | set(listed) if docs.get(i) != listed.get(i)]
    if differ:
        i = sorted(differ)[0]
        problems.append(f"{len(differ)} documents differ from the list, e.g. id {i}: engine "
                        f"{docs.get(i)} list {listed.get(i)}")
    # the stack's consumer acked everything: stopped, nothing comes back to the queue
    stack.stack("down", "consumer")
    left = stack.queue_depth("matches")
    if left:
        problems.append(f"{left} messages back in the queue after the consumer stopped")
    stack.stack("up", "consumer")
    report.note(f"3 search outage: {outage} s; {during} messages applied while the engine was "
                f"down, {pending} outbox rows waiting when it came back; mirror resumed "
                f"{'%.2f s' % (resumed - t_up) if resumed else 'never'} after it was up; engine "
                f"{engine_count} = list {api_count} = MariaDB {db_count}; search q=team {searched}")
    conclude(stack, report, f"3 search engine down {outage} s", "search", "esports", published,
             ref, t0, 1, [None if resumed is None else resumed - t_up], problems, logs=[log])


def test_4_standby_consumer_takes_over(stack, settings, report):
    """Two consumers on one queue: single active consumer, so the second
    stands by and commits nothing until the active one is killed (-9); then
    it takes over, and a new standby is started each time."""
    t0 = time.monotonic()
    s, rng = settings, settings.rng("standby")
    n = s.standby_messages
    gen = {"n": n, "seed": s.gen_seed("standby"), "prefix": "standby"}
    published = generate(**gen)
    ref = reference(stack, "standby", generated=gen, expected=n)

    lane = Lane(stack, "standby")
    active = lane.start()
    standby = lane.start()
    since = {active.pid: 0.0}  # when each process became the active one
    points = sorted(rng.sample(range(n // 10, n - n // 10), s.handovers))
    sending = lane.send(generated=gen, rate=s.standby_rate, wait=False)
    reconnects, problems, t = [], [], 0.0
    for at in points:
        wait_until(lambda: lane.count() >= at, timeout=120, interval=0.02,
                   what=f"{at} messages on record before a handover")
        if t:
            reconnects.append(wait_resumed(active, t))
        time.sleep(rng.uniform(0, 0.3))
        t = time.time()
        active.kill()
        if lane.count() >= n:
            problems.append(f"a handover came after all {n} messages were on record")
        stack.record_fault("standby", "kill -9 of the active consumer", t, t,
                           f"killed={active.pid} standby={standby.pid}")
        since[standby.pid] = t
        active, standby = standby, lane.start()
    reconnects.append(wait_resumed(active, t))
    sending.wait()
    problems.append(lane.settle(n, timeout=300))
    for c in lane.consumers:
        early = [ts for ts in c.commits() if c.pid not in since or ts < since[c.pid] - 0.001]
        if early:
            problems.append(f"consumer {c.pid} committed {len(early)} batches while standing by "
                            f"(first at {early[0]:.3f}, active from {since.get(c.pid)})")
    report.note(f"4 standby: {len(lane.consumers)} consumers, handovers after {points} messages "
                f"on record")
    conclude(stack, report, f"4 standby takes over x{s.handovers}", "standby", lane.db,
             published, ref, t0, len(points), reconnects, problems, logs=lane.logs())


def test_5_sigstop_longer_than_the_heartbeat(stack, settings, report):
    """The consumer is frozen (SIGSTOP) for longer than its AMQP heartbeat:
    the broker gives its deliveries back to the queue; after SIGCONT the
    consumer may still commit what it had in hand, must notice the dead
    connection, reconnect, and skip the redeliveries it already committed."""
    t0 = time.monotonic()
    s, rng = settings, settings.rng("stop")
    hb, stop_s = s.stop_heartbeat_s, s.stop_s
    assert stop_s > 2 * hb, "FAULTS_STOP_S must exceed two heartbeats"
    period = stop_s + 4
    n = int(s.stop_rate * period * (s.stops + 1))
    gen = {"n": n, "seed": s.gen_seed("stop"), "prefix": "stop"}
    published = generate(**gen)
    ref = reference(stack, "stop", generated=gen, expected=n)

    lane = Lane(stack, "stop", AMQP_HEARTBEAT=hb)
    c = lane.start()
    sending = lane.send(generated=gen, rate=s.stop_rate, wait=False)
    start, stops, reconnects, problems = time.monotonic(), [], [], []
    for i in range(s.stops):
        at = start + i * period + rng.uniform(1.0, 3.0)
        time.sleep(max(0.0, at - time.monotonic()))  # the moment of this stop
        t = time.time()
        os.kill(c.pid, signal.SIGSTOP)
        time.sleep(stop_s)  # the fault itself: frozen past the heartbeat
        os.kill(c.pid, signal.SIGCONT)
        stops.append(time.time())
        reconnects.append(wait_resumed(c, stops[-1], since=stops[-1]))
        stack.record_fault("stop", "SIGSTOP", t, stops[-1], f"resumed_s={reconnects[-1]}")
    if sending.done():
        problems.append("the publisher finished before the last SIGCONT: not mid-stream")
    sending.wait()
    problems.append(lane.settle(n, timeout=300))
    noticed = sum(1 for t in stops
                  if first_event_after(c.log, t, "amqp", "connected", c.pid) is not None)
    if noticed < len(stops):
        problems.append(f"the consumer reconnected after {noticed} of {len(stops)} stops")
    lost_conn = [e[5] for e in log_events(c.log) if e[4] in ("connection_lost", "ack_failed",
                                                            "reject_failed")]
    report.note(f"5 SIGSTOP: {s.stops} x {stop_s} s, heartbeat {hb} s; "
                f"{len(lost_conn)} connection-lost lines; "
                f"{lane.count_in_logs('apply', 'skipped_redelivery')} redeliveries skipped as "
                f"already committed")
    conclude(stack, report, f"5 SIGSTOP {stop_s} s x{s.stops}", "stop", lane.db, published, ref,
             t0, len(stops), reconnects, problems, logs=lane.logs())


def test_6_hostile_messages_interleaved(stack, settings, report):
    """Hostile messages between valid ones: each is on record byte-exact,
    the valid ones around it are applied, the queue keeps moving and the
    valid messages' data is exactly what they give without the hostile ones.
    Whether a hostile message is applied or rejected is not decided here."""
    t0 = time.monotonic()
    s, rng = settings, settings.rng("hostile")
    valid = generate(s.hostile_valid, s.gen_seed("hostile"), "valid")
    bad = hostile.messages() * s.hostile_rounds
    assert len(bad) < len(valid)
    slots = set(rng.sample(range(1, len(valid)), len(bad)))  # never two hostile in a row
    rng.shuffle(bad)
    stream, kinds, it = [], [], iter(bad)
    for i, body in enumerate(valid):
        if i in slots:
            cls, hb = next(it)
            stream.append(hb)
            kinds.append(cls)
        stream.append(body)
        kinds.append(None)
    ref = reference(stack, "hostile", lines=valid, expected=len(valid), prefix="valid")

    lane = Lane(stack, "hostile")
    c = lane.start()
    lane.send(files=stream, rate=s.hostile_rate)
    problems = [lane.settle(len(stream), timeout=300)]
    if c.proc.returncode not in (0, None):
        problems.append(f"the consumer died on hostile input: exit {c.proc.returncode}")
    check = LogCheck(stack, lane.db, stream)
    not_applied = [body[:80] for body, k in zip(stream, kinds)
                   if k is None and check.status.get(sha(body)) != "applied"]
    if not_applied:
        problems.append(f"{len(not_applied)} valid messages not applied, e.g. {not_applied[:2]}")
    outcomes = {}
    rows = {r[0]: r[1:] for r in stack.sql(
        "SELECT LOWER(HEX(sha256)), status, IFNULL(LEFT(error, 90), '') FROM messages", lane.db)}
    for body, k in zip(stream, kinds):
        if k is not None:
            st = rows.get(sha(body), ["not on record", ""])
            outcomes[k] = f"{st[0]}" + (f" ({st[1]})" if st[1] else "")
    lines = [f"  {k}: {v}" for k, v in outcomes.items()]
    (stack.dir / "hostile-outcomes.txt").write_text("\n".join(lines) + "\n")
    applied = sum(1 for v in outcomes.values() if v.startswith("applied"))
    dead = stack.queue_depth(lane.name + ".dead")
    rejected = int(stack.scalar("SELECT COUNT(*) FROM messages WHERE status = 'rejected'", lane.db))
    report.note(f"6 hostile: {len(bad)} hostile among {len(valid)} valid; of {len(outcomes)} "
                f"classes {applied} applied, {len(outcomes) - applied} rejected; {rejected} "
                f"rejected on record, {dead} in the dead-letter queue "
                f"(every outcome: var/faults/hostile-outcomes.txt)")
    conclude(stack, report, f"6 hostile x{len(bad)}", "hostile", lane.db, stream, ref, t0, len(bad),
             [], problems, prefix="valid", logs=lane.logs())
