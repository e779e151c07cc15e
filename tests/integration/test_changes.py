"""The change feed, GET /api/changes/: every committed change to a match once,
in commit order, without gaps, also while the consumer is restarted and
killed with -9 mid-stream; retention and 410; bad parameters."""

import datetime
import json
import os
import random
import threading
import time

import pytest
import requests

from conftest import kill_9, tag, wait_until


def messages(n, prefix, sources=2, update_ratio=0.4, seed=1):
    """n messages of matches of the sources prefix1..prefixK, a share of
    them updates of earlier ones; a title and dates of their own, so the
    other tests' lists and pages look as they did. Each match starts six
    hours after the one before: none is a candidate of another for the
    linker (hundreds of the same pair at one hour in two sources would all
    be suggestions of each other)."""
    rnd = random.Random(seed)
    made, out = [], []
    base = datetime.datetime(2030, 6, 1, 12)
    for i in range(n):
        if made and rnd.random() < update_ratio:
            src, ext = rnd.choice(made)
        else:
            src, ext = f"{prefix}{rnd.randint(1, sources)}", str(i)
            made.append((src, ext))
        start = base + datetime.timedelta(hours=6 * int(ext))
        out.append(json.dumps({"source": src, "data": {
            "id": ext, "state": rnd.choice([1, 2, 3]), "title": f"Feed Title {prefix}",
            "tournament": "Feed Cup", "date_start_text": start.strftime("%Y-%m-%d %H:%M:%S"),
            "teams": [{"id": 1, "name": "Home"}, {"id": 2, "name": "Away"}],
            "scores": [{"team": 1, "score": rnd.randint(0, 5), "winner": None},
                       {"team": 2, "score": i % 3, "winner": None}]}}).encode())
    return out


def newest_seq(stack):
    return int(stack.scalar("SELECT seq FROM change_seq WHERE id = 1"))


def own_match_ids(stack, prefix):
    return {int(r[0]) for r in stack.sql(
        "SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
        f"WHERE s.name LIKE '{prefix}%'")}


class Follower:
    """A client of the feed: asks with the last_seq of each answer, as a
    client that stores its cursor does, and keeps every change it got."""

    def __init__(self, stack, after, limit=50):
        self.stack, self.after, self.limit = stack, after, limit
        self.changes = []
        self.errors = []

    def poll(self):
        r = self.stack.get(f"/api/changes/?after={self.after}&limit={self.limit}")
        if r.status_code != 200:
            self.errors.append((r.status_code, r.text[:200]))
            return 0
        body = r.json()
        got = body["results"]
        self.changes.extend(got)
        if got:
            assert body["last_seq"] == got[-1]["seq"]
        else:
            assert body["last_seq"] == self.after
        assert body["next"].endswith(f"/api/changes/?after={body['last_seq']}&limit={self.limit}")
        self.after = body["last_seq"]
        return len(got)

    def catch_up(self, upto, timeout=60):
        wait_until(lambda: self.poll() >= 0 and self.after >= upto, timeout=timeout,
                   interval=0.05, what=f"the feed up to seq {upto}")

    def seqs(self):
        return [c["seq"] for c in self.changes]


def assert_contiguous(seqs, start):
    """Seqs follow each other from start + 1 without a gap or a repeat."""
    assert seqs == list(range(start + 1, start + 1 + len(seqs))), \
        f"gap or repeat near {next((a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1)}"


def test_feed_lists_each_committed_change_in_order(stack):
    prefix = tag("feed")
    start = newest_seq(stack)
    bodies = messages(200, prefix, sources=2, update_ratio=0.4, seed=21)
    f = Follower(stack, start)
    stop = threading.Event()

    def follow():  # reads while the batches commit
        while not stop.is_set():
            f.poll()
            time.sleep(0.01)
    t = threading.Thread(target=follow)
    t.start()
    try:
        stack.publish_applied(bodies, timeout=120)
        stack.settle()
    finally:
        stop.set()
        t.join()
    f.catch_up(newest_seq(stack))
    assert not f.errors
    assert_contiguous(f.seqs(), start)
    ours = own_match_ids(stack, prefix)
    mine = [c for c in f.changes if c["match_id"] in ours]
    assert {c["match_id"] for c in mine} == ours  # every match of ours changed
    # created once, at its first change; updated afterwards
    seen = set()
    for c in mine:
        assert c["kind"] == ("updated" if c["match_id"] in seen else "created"), c
        seen.add(c["match_id"])
        assert c["match"]["id"] == c["match_id"]
        assert isinstance(c["fixture_id"], int) and 1 <= c["fixture_id"] <= c["match_id"]
        assert c["changed_at"].endswith("Z")
    # one change per batch and match: a batch's changes share their commit
    # time, and no match is in one batch twice (a match changes again only in
    # a later batch: a message of its own, or linking moving its fixture or a
    # team's identity, which other modules' matches can do to ours)
    per_batch = [(c["match_id"], c["changed_at"]) for c in mine]
    assert len(per_batch) == len(set(per_batch))
    times = [c["changed_at"] for c in f.changes]
    assert len(set(times)) < len(times)  # batches of several changes
    # the match of the last change is the match as the API has it (but the
    # names of its tournament and teams, which a message about another match
    # may rename without changing this one)
    last = {c["match_id"]: c["match"] for c in mine}

    def own_fields(m):
        return ({k: v for k, v in m.items() if k not in ("tournament", "teams")},
                [(t["id"], t["score"], t["winner"]) for t in m["teams"]],
                m["tournament"] and m["tournament"]["id"])
    for mid in sorted(ours)[:50]:
        assert own_fields(stack.get(f"/api/matches/{mid}/").json()) == own_fields(last[mid])


def consumer_pid(stack):
    return int((stack.dir / "run" / "consumer.pid").read_text())


def test_no_gap_or_repeat_across_restart_and_kill_9(stack):
    prefix = tag("crash")
    start = newest_seq(stack)
    bodies = messages(1200, prefix, sources=3, update_ratio=0.5, seed=5)
    f = Follower(stack, start, limit=200)
    stop = threading.Event()

    def follow():
        while not stop.is_set():
            f.poll()
            time.sleep(0.005)
    t = threading.Thread(target=follow)
    t.start()
    kills = 0
    try:
        # the messages go out in slices, with a restart or a kill -9 of the
        # consumer while the previous slice is being applied
        for i in range(6):
            before = newest_seq(stack)
            stack.publish(bodies[i * 200:(i + 1) * 200], id_prefix=f"{prefix}-{i}")
            wait_until(lambda: newest_seq(stack) > before, timeout=60, interval=0.005,
                       what="a commit of this slice")
            old = consumer_pid(stack)
            if i % 2 == 0:
                # between any commit and its ack; returns once the process
                # has ended (until then `up` would find it running and start
                # none, and the next slice would wait for a consumer in vain)
                kill_9(old)
                kills += 1
            else:
                stack.stack("down", "consumer")
            stack.stack("up", "consumer")
            assert consumer_pid(stack) != old, "up started no new consumer"
        stack.settle(timeout=120)
    finally:
        stop.set()
        t.join()
    assert kills == 3
    f.catch_up(newest_seq(stack))
    assert not f.errors
    assert_contiguous(f.seqs(), start)
    # what the client saw is exactly what the table holds
    rows = stack.sql(f"SELECT seq, match_id FROM changes WHERE seq > {start} ORDER BY seq")
    assert [(int(s), int(m)) for s, m in rows] == [(c["seq"], c["match_id"]) for c in f.changes]
    ours = own_match_ids(stack, prefix)
    assert {c["match_id"] for c in f.changes} >= ours
    # every message on record once (the redeliveries after the kills skipped)
    assert int(stack.scalar(f"SELECT COUNT(*) FROM messages WHERE source LIKE '{prefix}%'")) == 1200
    # no change twice for one commit (a redelivery that was skipped adds none;
    # linking may move a match of ours again in a later batch, a change of
    # its own)
    per_batch = [(c["match_id"], c["changed_at"]) for c in f.changes if c["match_id"] in ours]
    assert len(per_batch) == len(set(per_batch))


def test_retention_by_rows_and_410(stack, consumer_env):
    consumer_env(CHANGES_KEEP_ROWS=100)
    old = newest_seq(stack)
    stack.publish_applied(messages(150, tag("keep"), sources=1, update_ratio=0, seed=31))
    stack.settle()
    newest = newest_seq(stack)
    assert newest - old >= 150
    wait_until(lambda: int(stack.scalar("SELECT COUNT(*) FROM changes")) <= 100, timeout=30,
               what="the feed pruned to 100 rows")
    oldest = int(stack.scalar("SELECT MIN(seq) FROM changes"))
    assert oldest == newest - 99  # the newest 100, a prefix pruned: no holes
    r = stack.get(f"/api/changes/?after={old}")
    assert r.status_code == 410
    assert r.json()["oldest_seq"] == oldest
    assert "resync" in r.json()["detail"]
    assert r.headers["Cache-Control"] == "no-store"
    r = stack.get(f"/api/changes/?after={oldest - 1}&limit=5")
    assert r.status_code == 200
    assert [c["seq"] for c in r.json()["results"]] == list(range(oldest, oldest + 5))
    r = stack.get("/api/changes/?after=0&limit=1")
    assert r.json()["results"][0]["seq"] == oldest
    assert stack.get(f"/api/changes/?after={newest}").json()["results"] == []


def test_retention_by_age_and_410_on_an_empty_feed(stack, consumer_env):
    consumer_env(CHANGES_KEEP_S=1)
    stack.publish_applied(messages(20, tag("age"), sources=1, update_ratio=0, seed=32))
    stack.settle()
    wait_until(lambda: int(stack.scalar("SELECT COUNT(*) FROM changes")) == 0, timeout=90,
               what="every change older than a second pruned")
    newest = newest_seq(stack)  # read once nothing is kept (a slow run may still commit)
    # nothing kept: the next change to come is the oldest
    r = stack.get(f"/api/changes/?after={newest - 5}")
    assert r.status_code == 410 and r.json()["oldest_seq"] == newest + 1
    r = stack.get(f"/api/changes/?after={newest}")
    assert r.status_code == 200 and r.json() == {
        "results": [], "last_seq": newest,
        "next": f"{stack.http}/api/changes/?after={newest}&limit=100"}


@pytest.mark.parametrize("query,param", [
    ("after=-1", "after"), ("after=abc", "after"), ("after=1.5", "after"),
    ("after=9223372036854775808", "after"), ("after=99999999999999999999999", "after"),
    ("after=%00", "after"), ("after=1%002", "after"), ("after=" + "9" * 2000, "after"),
    ("after=1&after=2", "after"), ("after=+1", "after"), ("after=0x10", "after"),
    ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=-5", "limit"), ("limit=ten", "limit"),
])
def test_bad_parameters_name_the_parameter(stack, query, param):
    r = stack.get(f"/api/changes/?{query}")
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["detail"] == "Invalid query parameters."
    assert list(body["errors"]) == [param]


def test_a_cursor_ahead_of_the_feed_is_410(stack):
    r = stack.get(f"/api/changes/?after={newest_seq(stack) + 1000}")
    assert r.status_code == 410
    assert r.json()["oldest_seq"] >= 1


def test_feed_answers_head_and_refuses_post(stack):
    r = requests.head(stack.http + "/api/changes/?limit=1", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    assert r.text == ""
    r = requests.post(stack.http + "/api/changes/", timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"
