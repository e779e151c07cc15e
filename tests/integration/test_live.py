"""Live push through nginx's nchan: the consumer publishes each committed
change after the commit; EventSource subscribers of /live/matches and
/live/matches/{id} get it within a second, resume with Last-Event-ID, and
ingestion goes on when the publisher is unreachable."""

import json
import queue
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from conftest import ROOT, tag, wait_until

NCHAN = Path("/usr/lib/nginx/modules/ngx_nchan_module.so")
pytestmark = pytest.mark.skipif(not NCHAN.exists(), reason="nginx's nchan module is missing")


class Subscriber:
    """An EventSource client on a plain socket (HTTP/1.0, so the stream is
    not chunked): a thread reads it and queues each event (id, data parsed,
    the monotonic time it arrived). close() ends it at once."""

    def __init__(self, url, last_event_id=None):
        u = urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=10)
        extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
        self.sock.sendall(f"GET {u.path} HTTP/1.0\r\nHost: {u.netloc}\r\n"
                          f"Accept: text/event-stream\r\n{extra}\r\n".encode())
        self.sock.settimeout(None)
        self.file = self.sock.makefile("rb")
        status = self.file.readline().decode()
        assert status.split()[1] == "200", status
        headers = {}
        while (line := self.file.readline().decode().strip()):
            k, _, v = line.partition(":")
            headers[k.lower()] = v.strip()
        assert headers["content-type"].startswith("text/event-stream"), headers
        self.events = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        ev = {}
        try:
            for raw in self.file:
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if "data" in ev:
                        self.events.put((ev.get("id"), json.loads(ev["data"]), time.monotonic()))
                    ev = {}
                elif not line.startswith(":"):
                    k, _, v = line.partition(":")
                    v = v[1:] if v.startswith(" ") else v
                    ev[k] = ev[k] + "\n" + v if k in ev else v
        except (OSError, ValueError):
            pass  # closed by the test

    def next(self, timeout=10):
        return self.events.get(timeout=timeout)

    def until(self, pred, timeout=15):
        """Events up to and including the first for which pred holds."""
        got, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                e = self.next(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            got.append(e)
            if pred(e[1]):
                return got
        raise AssertionError(f"no such event within {timeout}s; got {[e[1]['seq'] for e in got]}")

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(timeout=5)
        self.file.close()
        self.sock.close()


def match_msg(source, ext_id, score):
    return json.dumps({"source": source, "data": {
        "id": ext_id, "url": f"https://example.org/{ext_id}", "state": 3, "bestof": "3",
        "title": "Live Title", "tournament": {"id": 1, "name": "Live Cup"},
        "date_start_text": "2024-05-01 18:00:00",
        "teams": [{"id": 1, "name": "Red"}, {"id": 2, "name": "Blue"}],
        "scores": [{"team": 1, "score": score, "winner": None},
                   {"team": 2, "score": 0, "winner": None}]}}).encode()


def match_id_of(stack, source):
    return int(wait_until(lambda: stack.scalar(
        f"SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id WHERE s.name = '{source}'"),
        what="the match row"))


def test_subscriber_gets_the_change_within_a_second(stack):
    src = tag("live")
    stack.publish_applied([match_msg(src, "1", 0)])
    mid = match_id_of(stack, src)
    every = Subscriber(stack.http + "/live/matches")
    one = Subscriber(stack.http + f"/live/matches/{mid}")
    try:
        t0 = time.monotonic()
        stack.publish([match_msg(src, "1", 1)])
        got = one.until(lambda d: d["match_id"] == mid)
        _, data, at = got[-1]
        assert at - t0 < 1.0, f"{at - t0:.3f}s from publish to the event"
        assert data["kind"] == "updated"
        assert data["match"]["teams"][0]["score"] == 1
        assert data["match"]["state"] == 3
        _, data2, at2 = every.until(lambda d: d["match_id"] == mid)[-1]
        assert at2 - t0 < 1.0 and data2 == data
        # the event is the feed's change
        feed = stack.get(f"/api/changes/?after={data['seq'] - 1}&limit=1").json()["results"][0]
        assert feed["seq"] == data["seq"] and feed["match_id"] == mid
        assert feed["match"] == data["match"]
    finally:
        every.close()
        one.close()


def test_last_event_id_resumes_without_a_gap(stack):
    src = tag("resume")
    stack.publish_applied([match_msg(src, "7", 0)])
    mid = match_id_of(stack, src)
    sub = Subscriber(stack.http + f"/live/matches/{mid}")
    stack.publish([match_msg(src, "7", 1)])
    first_id, first, _ = sub.until(lambda d: d["match"]["teams"][0]["score"] == 1)[-1]
    sub.close()
    # while nobody listens: three more changes of the match, each its own batch
    for score in (2, 3, 4):
        stack.publish_applied([match_msg(src, "7", score)])
    back = Subscriber(stack.http + f"/live/matches/{mid}", last_event_id=first_id)
    try:
        got = back.until(lambda d: d["match"]["teams"][0]["score"] == 4)
    finally:
        back.close()
    seqs = [d["seq"] for _, d, _ in got]
    assert len(seqs) == 3 and seqs == sorted(seqs) and seqs[0] > first["seq"]
    # exactly the changes the feed has for this match after the one seen
    feed = stack.get(f"/api/changes/?after={first['seq']}&limit=1000").json()["results"]
    assert seqs == [c["seq"] for c in feed if c["match_id"] == mid]
    # a subscriber without Last-Event-ID starts with the next change, not the old ones
    fresh = Subscriber(stack.http + f"/live/matches/{mid}")
    try:
        stack.publish([match_msg(src, "7", 5)])
        got = fresh.until(lambda d: d["match"]["teams"][0]["score"] == 5)
        assert len(got) == 1
    finally:
        fresh.close()


def test_the_every_channel_carries_consecutive_seqs(stack):
    """On /live/matches every change comes, so a client sees a gap (and
    goes to /api/changes/) when seq is not the previous one + 1."""
    src = tag("every")
    sub = Subscriber(stack.http + "/live/matches")
    try:
        stack.publish([match_msg(src, str(i), i) for i in range(30)])
        got = sub.until(lambda d: d["match"]["source"] == src and
                        d["match"]["external_id"] == "29", timeout=30)
    finally:
        sub.close()
    seqs = [d["seq"] for _, d, _ in got]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    # each match once as created; the linker may add an `updated` one when
    # it joins a match to the same pairing of an earlier test's source
    created = [d["match"]["external_id"] for _, d, _ in got
               if d["match"]["source"] == src and d["kind"] == "created"]
    assert sorted(created, key=int) == [str(i) for i in range(30)]
    assert {d["kind"] for _, d, _ in got if d["match"]["source"] == src} <= {"created", "updated"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric(stack, name):
    m = re.search(rf"^{name} (\d+)$", stack.get("/metrics").text, re.M)
    return int(m.group(1)) if m else None


def test_publisher_unreachable_ingestion_goes_on(stack, consumer_env):
    log = stack.dir / "log" / "consumer.log"
    start = log.stat().st_size
    consumer_env(LIVE_PUBLISH_URL=f"http://127.0.0.1:{free_port()}/pub", LIVE_TIMEOUT_MS=300)
    failed0 = metric(stack, "esports_live_publish_failures_total")
    src = tag("down")
    before = int(stack.scalar("SELECT seq FROM change_seq"))
    for i in range(5):  # five batches
        stack.publish_applied([match_msg(src, str(i), i)])
    assert int(stack.scalar("SELECT COUNT(*) FROM messages WHERE source = '%s' AND "
                            "status = 'applied'" % src)) == 5
    feed = stack.get(f"/api/changes/?after={before}&limit=1000").json()["results"]
    ids = [c["match"]["external_id"] for c in feed if c["match"]["source"] == src]
    # each in the order of its batch; a match the linker joined to a fixture
    # afterwards comes again, as updated
    assert list(dict.fromkeys(ids)) == [str(i) for i in range(5)], ids
    wait_until(lambda: metric(stack, "esports_live_publish_failures_total") >= failed0 + 5,
               what="the failures counted in /metrics")
    text = log.read_bytes()[start:].decode(errors="replace")
    assert text.count("event=live_publish_failed") == 1  # once per streak
    assert "Connection refused" in text or "connect" in text
    # with the publisher back, changes are pushed again
    consumer_env()
    sub = Subscriber(stack.http + "/live/matches")
    try:
        stack.publish([match_msg(src, "back", 9)])
        sub.until(lambda d: d["match"]["external_id"] == "back")
    finally:
        sub.close()


def test_without_the_module_nginx_runs_without_push(tmp_path):
    conf = subprocess.run([str(ROOT / "tools" / "render-nginx"), str(tmp_path), "127.0.0.1:1",
                           "unix:/nonexistent.sock", str(ROOT / "static")],
                          input=(ROOT / "nginx.conf").read_text(), capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "NCHAN_PORT": "18999",
                               "NCHAN_MODULE": "/nonexistent/ngx_nchan_module.so"}, check=True)
    lines = [ln for ln in conf.stdout.splitlines() if not ln.lstrip().startswith("#")]
    assert not [ln for ln in lines if "nchan" in ln or "load_module" in ln or "/live/" in ln]
    if shutil.which("nginx"):
        (tmp_path / "nginx-tmp").mkdir()
        (tmp_path / "n.conf").write_text(conf.stdout)
        r = subprocess.run(["nginx", "-t", "-q", "-c", str(tmp_path / "n.conf"), "-p",
                            str(tmp_path)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_publisher_is_not_reachable_from_the_public_port(stack):
    # the public server has no publisher location: a POST there is not a publish
    r = requests.post(stack.http + "/live/matches", data=b'{"seq": 1}', timeout=10)
    assert r.status_code in (403, 405)
    r = requests.post(stack.http + "/pub/match/1", data=b'{"seq": 1}', timeout=10)
    assert r.status_code in (404, 405)
