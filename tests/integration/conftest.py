"""Integration test harness: starts the real stack (MariaDB, RabbitMQ, nginx,
FastCGI workers, consumer) through tools/stack on private loopback ports, and
gives the tests small helpers to reach each piece."""

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pika
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("ESPORTS_BUILD", ROOT / "build"))
# The four sample messages as the sources distributed them (and their strict
# copies), kept in the repository; ESPORTS_FIXTURES points elsewhere.
FIXTURES = Path(os.environ.get("ESPORTS_FIXTURES", ROOT / "fixtures" / "challenge-messages"))
# where they were distributed from, when that tree is next to the repository
# (test_fixtures.py checks that the two copies are the same)
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures" / "challenge-messages"

# Ports that do not clash with `make run` (8080, 3307, 5673, 15673, 25673, 4370,
# 9201, 9301).
TEST_ENV = {
    "STACK_DIR": str(ROOT / "var" / "test"),
    "HTTP_PORT": "18080",
    "MARIADB_PORT": "13307",
    "AMQP_PORT": "15683",
    "RABBITMQ_MGMT_PORT": "15684",
    "RABBITMQ_DIST_PORT": "25684",
    "EPMD_PORT": "4380",
    # the search engine (Elasticsearch from Maven Central; tools/stack, test_search_mirror.py)
    "SEARCH_PORT": "19201",
    "SEARCH_TRANSPORT_PORT": "19301",
    # nchan's publisher (live push; nginx.conf, test_live.py)
    "NCHAN_PORT": "18081",
    "ELASTICSEARCH_URL": "",  # the stack's own engine, not one from the caller's shell
    "MIRROR_RETRY_MAX_MS": "2000",  # the engine is stopped and started by a test
    "FCGI_WORKERS": "2",
    # ingestion counts as stalled (/healthz 503) after this many seconds, so
    # the tests of stalls wait seconds, not the default half minute
    "HEALTH_STALL_S": "6",
    "ESPORTS_BUILD": str(BUILD),
}
# ESPORTS_TEST_<NAME> overrides a setting, e.g. to run a second test stack
# beside a running one (other STACK_DIR and ports).
TEST_ENV.update({k: os.environ["ESPORTS_TEST_" + k] for k in TEST_ENV
                 if "ESPORTS_TEST_" + k in os.environ})


def tag(name):
    """A name for a test's own things (sources, message ids, queues) that no
    other test, and no earlier run, uses."""
    return f"{name}{uuid.uuid4().hex[:10]}"


def wait_until(pred, timeout=30.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def fcgi_get(sock_path, uri, timeout=30):
    """One FastCGI request (a responder's GET of uri) straight to a worker's
    socket: (status, body bytes). A socket.timeout if the worker says nothing
    for timeout seconds."""
    import socket
    import struct

    def record(kind, content):
        return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content

    def pair(k, v):
        k, v = k.encode(), v.encode()
        size = lambda n: bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
        return size(len(k)) + size(len(v)) + k + v
    path, _, query = uri.partition("?")
    params = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "DOCUMENT_URI": path,
              "REQUEST_URI": uri, "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
              "HTTP_HOST": "127.0.0.1"}
    out = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(timeout)
        c.connect(str(sock_path))
        c.sendall(record(1, struct.pack(">HB5x", 1, 0)) +
                  record(4, b"".join(pair(k, v) for k, v in params.items())) + record(4, b"") +
                  record(5, b""))
        buf = b""
        while True:
            while len(buf) < 8:
                more = c.recv(65536)
                assert more, "the worker closed the connection mid-answer"
                buf += more
            _, kind, _, n, pad = struct.unpack(">BBHHB", buf[:7])
            while len(buf) < 8 + n + pad:
                buf += c.recv(65536)
            if kind == 6:
                out += buf[8:8 + n]
            buf = buf[8 + n + pad:]
            if kind == 3:
                break
    head, _, body = out.partition(b"\r\n\r\n")
    status = 200
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"status:"):
            status = int(line.split()[1])
    return status, body


def process_gone(pid):
    """Whether process pid has ended: no such process, or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def kill_9(pid, timeout=30.0):
    """SIGKILL for pid, returning once it has ended. A killed process takes a
    moment to die (under ASan, unmapping its shadow memory takes longest):
    until then tools/stack sees it running and `up` would start none."""
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: process_gone(pid), timeout=timeout, interval=0.005,
               what=f"pid {pid} to end after SIGKILL")


class LogTail:
    """What a log file gets from now on (the logs are appended to)."""

    def __init__(self, path):
        self.path = Path(path)
        self.start = self.path.stat().st_size if self.path.exists() else 0

    def text(self):
        if not self.path.exists():
            return ""
        with open(self.path, "rb") as f:
            f.seek(self.start)
            return f.read().decode(errors="replace")


class Stack:
    """The running stack: settings from stack.env plus helpers."""

    def __init__(self):
        self.env = dict(os.environ)
        self.env.update(TEST_ENV)
        self.dir = Path(TEST_ENV["STACK_DIR"])
        self.procs = []  # processes a test started itself, stopped by PID

    # -- tools/stack ------------------------------------------------------
    def stack(self, *args, check=True, env=None):
        e = dict(self.env)
        if env:
            e.update(env)
        r = subprocess.run([str(ROOT / "tools" / "stack"), *args], env=e, capture_output=True,
                           text=True, timeout=300)
        if check and r.returncode != 0:
            raise AssertionError(f"tools/stack {' '.join(args)} failed:\n{r.stderr}")
        return r

    def load_env(self):
        vals = {}
        for line in (self.dir / "stack.env").read_text().splitlines():
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                vals[k] = v
        self.vals = vals
        self.http = vals["HTTP_URL"]
        self.amqp_url = vals["AMQP_URL"]
        self.socket = vals["MARIADB_SOCKET"]
        self.es = vals.get("ELASTICSEARCH_URL", "")

    # -- MariaDB, as root over the private socket ---------------------------
    def sql(self, query, db="esports"):
        r = subprocess.run(
            ["mariadb", "--no-defaults", "-uroot", f"--socket={self.socket}", "-N", "-B",
             "--raw", db, "-e", query],
            capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"SQL failed: {query}\n{r.stderr}")
        return [line.split("\t") for line in r.stdout.splitlines()]

    def scalar(self, query, db="esports"):
        rows = self.sql(query, db)
        return rows[0][0] if rows else None

    # -- RabbitMQ ---------------------------------------------------------
    def publish(self, bodies, exchange="matches", routing_key="matches", message_ids=True,
                id_prefix=None):
        """Publishes bodies (persistent, with confirms) and returns their
        message ids. With id_prefix they are id_prefix-000000, -000001, ...:
        the consumer logs each with its message id, so a test finds exactly
        its own rows in `messages` (logged()), whatever their source."""
        ids = []
        conn = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        ch = conn.channel()
        ch.confirm_delivery()
        for i, body in enumerate(bodies):
            mid = None
            if id_prefix is not None:
                mid = f"{id_prefix}-{i:06d}"
            elif message_ids:
                mid = str(uuid.uuid4())
            ids.append(mid)
            props = pika.BasicProperties(delivery_mode=2, content_type="application/json",
                                         message_id=mid)
            ch.basic_publish(exchange, routing_key, body, props, mandatory=True)
        conn.close()
        return ids

    def logged(self, id_prefix, db="esports", status=None):
        """How many messages published with id_prefix the consumer has logged."""
        where = f" AND status = '{status}'" if status else ""
        return int(self.scalar(f"SELECT COUNT(*) FROM messages WHERE message_id LIKE "
                               f"'{id_prefix}-%'{where}", db))

    def publish_applied(self, bodies, timeout=60, db="esports", **kw):
        """Publishes bodies under message ids of their own and waits until the
        consumer has logged every one of them; returns the id prefix."""
        prefix = tag("msg")
        self.publish(bodies, id_prefix=prefix, **kw)
        wait_until(lambda: self.logged(prefix, db) == len(bodies), timeout=timeout,
                   what=f"{len(bodies)} messages applied")
        self.wait_linked(db, timeout)
        return prefix

    def wait_linked(self, db="esports", timeout=60):
        """Waits until the consumer's linker has taken everything queued
        (link_queue empty): the links are those of the rows committed."""
        wait_until(lambda: self.scalar("SELECT COUNT(*) FROM link_queue", db) == "0",
                   timeout=timeout, interval=0.02, what="the link queue empty")

    def settle(self, db="esports", exchange="matches", routing_key="matches", applied=True,
               timeout=60):
        """Publishes a marker behind everything sent so far and waits until the
        consumer has logged it. The consumer takes its queue in order, so every
        delivery before the marker (redeliveries too) has been handled: what
        the log holds now is final. The marker is a match of its own source
        (mark...), or with applied=False a message without a source, which is
        rejected (and dead-lettered) and adds no match."""
        mark = tag("mark")
        body = (f'{{"source": "{mark}", "data": {{"id": 1}}}}' if applied
                else f'{{"marker": "{mark}"}}').encode()
        self.publish([body], exchange=exchange, routing_key=routing_key, id_prefix=mark)
        wait_until(lambda: self.logged(mark, db) == 1, timeout=timeout, what="the marker logged")
        self.wait_linked(db, timeout)
        return mark

    def queue_depth(self, queue):
        conn = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        ch = conn.channel()
        n = ch.queue_declare(queue, passive=True).method.message_count
        conn.close()
        return n

    def drain(self, queue, with_props=False):
        """Takes every message now in queue (acking them); returns their bodies
        (with with_props, (properties, body) pairs)."""
        conn = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        ch = conn.channel()
        out = []
        while True:
            method, props, body = ch.basic_get(queue, auto_ack=True)
            if method is None:
                break
            out.append((props, body) if with_props else body)
        conn.close()
        return out

    def consumers(self, queue):
        """The consumers the broker has on queue, from the management API:
        [{"consumer_tag", "active", "activity_status", ...}]."""
        r = requests.get(self.vals["RABBITMQ_MGMT_URL"] + "/api/consumers/%2F",
                         auth=("guest", "guest"), timeout=10)
        r.raise_for_status()
        return [c for c in r.json() if c["queue"]["name"] == queue]

    # -- HTTP through nginx -------------------------------------------------
    def get(self, path, **kw):
        return requests.get(self.http + path, timeout=10, **kw)

    # -- programs started by a test ------------------------------------------
    def app_env(self, **extra):
        e = dict(os.environ)
        e.update({
            "MARIADB_HOST": "127.0.0.1", "MARIADB_PORT": self.vals["MARIADB_PORT"],
            "MARIADB_USER": self.vals["MARIADB_USER"],
            "MARIADB_PASSWORD": self.vals["MARIADB_PASSWORD"],
            "MARIADB_DATABASE": self.vals["MARIADB_DATABASE"], "MARIADB_SOCKET": self.socket,
            "AMQP_URL": self.amqp_url, "LOG_LEVEL": "info",
            "ELASTICSEARCH_URL": "",  # search off unless a test gives the engine and its index
            # a consumer writing the stack's database tells the workers of its commits
            "COMMIT_CLOCK_FILE": str(self.dir / "run" / "commits.shm"),
        })
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def spawn(self, args, env, log_name):
        log = open(self.dir / "log" / log_name, "ab")
        p = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def stop_spawned(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []


@pytest.fixture(scope="session")
def stack():
    s = Stack()
    s.stack("down", "--purge")
    try:
        s.stack("up")
    except AssertionError:
        s.stack("down", check=False)  # stop what did start
        raise
    s.load_env()
    yield s
    s.stop_spawned()
    s.stack("down")
    # The programs ran under the sanitizers in `make check-asan`: any report
    # they wrote into their logs fails the run.
    reports = []
    for log in sorted((s.dir / "log").glob("*.log")):
        text = log.read_text(errors="replace")
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in text:
                reports.append(f"{log.name}: {marker}")
    assert not reports, "sanitizer reports: " + ", ".join(reports)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used the stack gets what the consumer logged while
    it ran, /healthz, and the consumer's threads as gdb sees them: enough to
    tell a slow consumer from a stuck or a dead one in a CI log."""
    outcome = yield
    rep = outcome.get_result()
    s = item.funcargs.get("stack") if hasattr(item, "funcargs") else None
    if not rep.failed or call.when != "call" or not isinstance(s, Stack):
        return
    tail = getattr(item, "_consumer_log", None)
    lines = (tail.text() if tail else "").splitlines()
    rep.sections.append(("consumer log during the test (last 60 lines)", "\n".join(lines[-60:])))
    try:
        r = s.get("/healthz")
        rep.sections.append(("/healthz", f"{r.status_code} {r.text[:2000]}"))
    except requests.RequestException as e:
        rep.sections.append(("/healthz", repr(e)))
    try:
        pid = int((s.dir / "run" / "consumer.pid").read_text())
        state = subprocess.run(["ps", "-o", "pid,stat,etime,time,wchan:32,cmd", "-p", str(pid)],
                               capture_output=True, text=True, timeout=10).stdout
        threads = ""
        if os.path.exists("/usr/bin/gdb"):
            threads = subprocess.run(
                ["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "thread apply all bt 25"],
                capture_output=True, text=True, timeout=60).stdout[-12000:]
        rep.sections.append(("consumer process", state + threads))
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        rep.sections.append(("consumer process", repr(e)))


@pytest.fixture(autouse=True)
def _consumer_log(request):
    """Marks where the consumer's log stood when a test began (for the
    report of a failure above)."""
    if "stack" in request.fixturenames:
        request.node._consumer_log = LogTail(TEST_ENV["STACK_DIR"] + "/log/consumer.log")
    yield


@pytest.fixture
def consumer_env(stack):
    """restart(**env): restarts the stack's consumer with extra settings
    (CHANGES_KEEP_ROWS=100, ...); it is back on the defaults afterwards."""
    def restart(**env):
        stack.stack("down", "consumer")
        stack.stack("up", "consumer", env={k: str(v) for k, v in env.items()})
    yield restart
    restart()


@pytest.fixture(scope="session")
def fixtures():
    return FIXTURES


def health(stack):
    r = stack.get("/healthz")
    return r.status_code, r.json()


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]
