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


def wait_until(pred, timeout=30.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


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
    def publish(self, bodies, exchange="matches", routing_key="matches", message_ids=True):
        conn = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        ch = conn.channel()
        ch.confirm_delivery()
        for body in bodies:
            props = pika.BasicProperties(
                delivery_mode=2, content_type="application/json",
                message_id=str(uuid.uuid4()) if message_ids else None)
            ch.basic_publish(exchange, routing_key, body, props, mandatory=True)
        conn.close()

    def publish_applied(self, bodies, timeout=60):
        """Publishes bodies and waits until the consumer has logged them all."""
        before = int(self.scalar("SELECT COUNT(*) FROM messages"))
        self.publish(bodies)
        wait_until(lambda: int(self.scalar("SELECT COUNT(*) FROM messages")) >= before + len(bodies),
                   timeout=timeout, what=f"{len(bodies)} messages applied")

    def queue_depth(self, queue):
        conn = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        ch = conn.channel()
        n = ch.queue_declare(queue, passive=True).method.message_count
        conn.close()
        return n

    def drain(self, queue):
        """Takes every message now in queue (acking them); returns their bodies."""
        conn = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        ch = conn.channel()
        out = []
        while True:
            method, _props, body = ch.basic_get(queue, auto_ack=True)
            if method is None:
                break
            out.append(body)
        conn.close()
        return out

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


@pytest.fixture(scope="session")
def fixtures():
    return FIXTURES


def health(stack):
    r = stack.get("/healthz")
    return r.status_code, r.json()


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]
