"""The fault-injection suite's harness: a private stack (tools/stack on its
own STACK_DIR and loopback ports), lanes (a database, exchange and queues of
their own, with consumers the suite starts and stops by PID), publishing
through tools/send_msg, and the checks every case ends with: the message log
against what was published (byte-exact, nothing lost, nothing twice, in
order) and a canonical fingerprint of the final data against a reference run
of the same messages."""

import collections
import datetime
import difflib
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pika
import requests

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("ESPORTS_BUILD", ROOT / "build"))

# Ports of their own, so the suite runs beside `make run` (8080, 3307, ...)
# and `make test` (18080, 13307, ...). FAULTS_<NAME> overrides any of them.
# All below Linux's ephemeral range (32768 and up), where any outgoing
# connection may hold a port as its local end.
STACK_ENV = {
    "STACK_DIR": str(ROOT / "var" / "faults"),
    "HTTP_PORT": "28080",
    "MARIADB_PORT": "23307",
    "AMQP_PORT": "25693",
    "RABBITMQ_MGMT_PORT": "25694",
    "RABBITMQ_DIST_PORT": "25695",
    "EPMD_PORT": "4390",
    "SEARCH_PORT": "29201",
    "SEARCH_TRANSPORT_PORT": "29301",
    "ELASTICSEARCH_URL": "",  # the stack's own engine, never one from the caller's shell
    "MIRROR_RETRY_MAX_MS": "2000",  # the engine is stopped and started by a case
    "FCGI_WORKERS": "2",
    "ESPORTS_BUILD": str(BUILD),
}
STACK_ENV.update({k: os.environ["FAULTS_" + k] for k in STACK_ENV if "FAULTS_" + k in os.environ})

# How much of each fault, per profile; FAULTS_<KEY> overrides any value.
# `make test-faults` runs "quick", `make soak` runs "soak".
PROFILES = {
    "quick": {
        "KILLS": 20, "KILL_MESSAGES": 20000, "KILL_RATE": 1000,
        "RABBITMQ_RESTARTS": 5, "MARIADB_RESTARTS": 5,
        "RESTART_SEGMENT": 1500, "RESTART_BURST": 3000, "RESTART_RATE": 1000,
        "SEARCH_OUTAGE_S": 30, "SEARCH_MESSAGES": 4500,
        "HANDOVERS": 3, "STANDBY_MESSAGES": 6000, "STANDBY_RATE": 600,
        "STOPS": 2, "STOP_S": 6, "STOP_HEARTBEAT_S": 2, "STOP_RATE": 500,
        "HOSTILE_VALID": 2000, "HOSTILE_ROUNDS": 1, "HOSTILE_RATE": 500,
    },
    "soak": {
        "KILLS": 100, "KILL_MESSAGES": 200000, "KILL_RATE": 1500,
        "RABBITMQ_RESTARTS": 15, "MARIADB_RESTARTS": 15,
        "RESTART_SEGMENT": 5000, "RESTART_BURST": 6000, "RESTART_RATE": 1500,
        "SEARCH_OUTAGE_S": 120, "SEARCH_MESSAGES": 20000,
        "HANDOVERS": 20, "STANDBY_MESSAGES": 60000, "STANDBY_RATE": 1000,
        "STOPS": 10, "STOP_S": 10, "STOP_HEARTBEAT_S": 2, "STOP_RATE": 800,
        "HOSTILE_VALID": 20000, "HOSTILE_ROUNDS": 5, "HOSTILE_RATE": 1000,
    },
}


class Settings:
    """The profile's numbers, FAULTS_<KEY> overrides, and the run's seed
    (FAULTS_SEED, or a fresh one that the run prints)."""

    def __init__(self):
        self.profile = os.environ.get("FAULTS_PROFILE", "quick")
        if self.profile not in PROFILES:
            raise SystemExit(f"FAULTS_PROFILE={self.profile!r}: one of {', '.join(PROFILES)}")
        for key, default in PROFILES[self.profile].items():
            raw = os.environ.get("FAULTS_" + key)
            try:
                value = type(default)(raw) if raw is not None else default
            except ValueError:
                raise SystemExit(f"FAULTS_{key}={raw!r}: expected a number") from None
            if value < 0:
                raise SystemExit(f"FAULTS_{key}={raw!r}: expected a number >= 0")
            setattr(self, key.lower(), value)
        raw = os.environ.get("FAULTS_SEED")
        if raw is not None and not raw.isdigit():
            raise SystemExit(f"FAULTS_SEED={raw!r}: expected a whole number")
        self.seed = int(raw) if raw is not None else random.SystemRandom().randrange(1, 2**31)

    def rng(self, case):
        """A random source of its own for each case, so a case draws the same
        moments from a seed whether or not the others run."""
        return random.Random(f"{self.seed}:{case}")

    def gen_seed(self, case):
        return self.rng(case + ":messages").randrange(1, 2**31)


def wait_until(pred, timeout=30.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def sha(body):
    return hashlib.sha256(body).hexdigest()


# ---- the consumers' logs ---------------------------------------------------

LOG_LINE = re.compile(r"^ts=(\S+) level=(\S+) role=\S+ pid=(\d+) mod=(\S+) event=(\S+)")


def log_events(path):
    """(unix time, level, pid, mod, event, line) of each line of a log."""
    out = []
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if m:
            ts = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
            t = ts.replace(tzinfo=datetime.timezone.utc).timestamp()
            out.append((t, m.group(2), int(m.group(3)), m.group(4), m.group(5), line))
    return out


def first_event_after(path, t, mod, event, pid=None):
    """The time of the first mod/event line at or after t (log times are cut
    to the millisecond), or None."""
    for ts, _lvl, p, m, e, _line in log_events(path):
        if ts >= t - 0.001 and m == mod and e == event and (pid is None or p == pid):
            return ts
    return None


def resumed_after(path, t, pid=None, since=None):
    """Seconds from t to the consumer's first commit after t, or, with since,
    to its first commit after its first broker connection made since then
    (the fault's start: the broker may take connections a little before the
    stack calls it ready). None if there is none yet."""
    after = t
    if since is not None:
        after = first_event_after(path, since, "amqp", "connected", pid)
        if after is None:
            return None
        after = max(after, t)
    ts = first_event_after(path, after, "consumer", "batch_committed", pid)
    return None if ts is None else max(0.0, ts - t)


def wait_resumed(consumer, t, since=None, timeout=60.0):
    """Seconds from t until consumer committed again (see resumed_after),
    waiting up to timeout; None if it did not."""
    deadline = time.monotonic() + timeout
    while True:
        r = resumed_after(consumer.log, t, consumer.pid, since)
        if r is not None or time.monotonic() >= deadline or consumer.proc.poll() is not None:
            return r
        time.sleep(0.05)


def log_tail(path, n=15, levels=("warn", "error")):
    lines = [e[5] for e in log_events(path) if e[1] in levels]
    return "\n".join(lines[-n:])


# ---- the stack -------------------------------------------------------------

class FaultStack:
    """The suite's stack: settings from its stack.env plus helpers."""

    def __init__(self):
        self.env = dict(os.environ)
        self.env.update(STACK_ENV)
        self.dir = Path(STACK_ENV["STACK_DIR"])
        self.procs = []  # processes the suite started itself, stopped by PID

    def stack(self, *args, check=True):
        r = subprocess.run([str(ROOT / "tools" / "stack"), *args], env=self.env,
                           capture_output=True, text=True, timeout=600)
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

    def log(self, name):
        return self.dir / "log" / name

    def record_fault(self, case, kind, start, end, detail=""):
        """One line per injected fault in var/faults/faults.log (wall-clock
        times, as in the programs' logs)."""
        fmt = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
            "%H:%M:%S.%f")[:-3]
        with open(self.dir / "faults.log", "a") as f:
            f.write(f"case={case} fault={kind} from={fmt(start)} to={fmt(end)} {detail}\n")

    # -- MariaDB, as root over the private socket -------------------------------
    def _mariadb(self, query, db, raw):
        args = ["mariadb", "--no-defaults", "-uroot", f"--socket={self.socket}", "-N", "-B"]
        if raw:
            args.append("--raw")
        r = subprocess.run([*args, db, "-e", query], capture_output=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"SQL failed: {query[:300]}\n{r.stderr.decode(errors='replace')}")
        return r.stdout.decode("utf-8", errors="surrogateescape")

    def sql(self, query, db="esports"):
        return [line.split("\t") for line in self._mariadb(query, db, True).splitlines()]

    def sql_text(self, query, db="esports"):
        """The result in the client's batch format, tabs, newlines, NUL and
        backslashes escaped: one unambiguous line per row, whatever the data."""
        return self._mariadb(query, db, False)

    def scalar(self, query, db="esports"):
        rows = self.sql(query, db)
        return rows[0][0] if rows else None

    # -- RabbitMQ ------------------------------------------------------------
    def queue_depth(self, queue):
        """Messages ready in queue (not counting those delivered and unacked)."""
        conn = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        try:
            return conn.channel().queue_declare(queue, passive=True).method.message_count
        finally:
            conn.close()

    # -- HTTP through nginx, and the search engine --------------------------------
    def get(self, path, **kw):
        return requests.get(self.http + path, timeout=30, **kw)

    def engine(self, method, path, **kw):
        return requests.request(method, self.es + path, timeout=30, **kw)

    # -- programs the suite starts ----------------------------------------------
    def app_env(self, **extra):
        e = dict(os.environ)
        e.update({
            "MARIADB_HOST": "127.0.0.1", "MARIADB_PORT": self.vals["MARIADB_PORT"],
            "MARIADB_USER": self.vals["MARIADB_USER"],
            "MARIADB_PASSWORD": self.vals["MARIADB_PASSWORD"],
            "MARIADB_DATABASE": self.vals["MARIADB_DATABASE"], "MARIADB_SOCKET": self.socket,
            "MARIADB_URL": "", "AMQP_URL": self.amqp_url, "LOG_LEVEL": "info", "LOG_FILE": "",
            "ELASTICSEARCH_URL": "", "COMMIT_CLOCK_FILE": "", "METRICS_FILE": "",
        })
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def spawn(self, args, env, log_name, stdin=subprocess.DEVNULL):
        log = open(self.log(log_name), "ab")
        p = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=stdin)
        log.close()
        self.procs.append(p)
        return p

    def stop_spawned(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGCONT)  # a case may have left it stopped
                except ProcessLookupError:
                    pass
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []


class Consumer:
    """One esports-consumer process of a lane, with its own log file."""

    def __init__(self, lane, proc, log):
        self.lane, self.proc, self.log, self.pid = lane, proc, log, proc.pid

    def connected(self):
        return first_event_after(self.log, 0, "amqp", "connected", self.pid) is not None

    def wait_connected(self, timeout=60):
        wait_until(lambda: self.connected() or self.proc.poll() is not None, timeout=timeout,
                   what=f"consumer {self.pid} connected to the broker")
        assert self.proc.poll() is None, \
            f"consumer {self.pid} exited with {self.proc.returncode}:\n{log_tail(self.log)}"

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        if sig == signal.SIGKILL:
            self.proc.wait()

    def commits(self):
        return [e[0] for e in log_events(self.log)
                if e[3] == "consumer" and e[4] == "batch_committed" and e[2] == self.pid]


class Lane:
    """A database, exchange and queues of their own, fed by consumers the
    suite starts; so a case's final data holds its messages only."""

    def __init__(self, stack, name, **consumer_env):
        self.stack = stack
        self.name = f"faults_{name}_{uuid.uuid4().hex[:6]}"
        self.db = self.name
        self.consumer_env = consumer_env
        self.consumers = []
        self.sends = 0
        stack.sql(f"CREATE DATABASE `{self.db}`")
        r = subprocess.run([str(BUILD / "migrate"), "--dir", str(ROOT / "migrations")],
                           env=self.env(), capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr

    def env(self, **extra):
        return self.stack.app_env(
            MARIADB_USER="root", MARIADB_PASSWORD="", MARIADB_DATABASE=self.db,
            AMQP_EXCHANGE=self.name, AMQP_QUEUE=self.name, AMQP_DLX=self.name + ".dlx",
            AMQP_DEAD_QUEUE=self.name + ".dead", **{**self.consumer_env, **extra})

    def start(self, wait=True):
        log = self.stack.log(f"{self.name}-consumer{len(self.consumers) + 1}.log")
        proc = self.stack.spawn([str(BUILD / "esports-consumer")], self.env(), log.name)
        c = Consumer(self, proc, log)
        self.consumers.append(c)
        if wait:
            c.wait_connected()
        return c

    def count(self):
        return int(self.stack.scalar("SELECT COUNT(*) FROM messages", self.db))

    def depth(self):
        return self.stack.queue_depth(self.name)

    def send(self, **kw):
        return send(self.stack, self.name, log_name=f"{self.name}-send.log", **kw)

    def settle(self, expected, timeout):
        """Waits until expected messages are on record and none is ready in
        the queue; then stops every consumer still running (SIGTERM: the
        batch in hand is committed and acked) and checks that nothing came
        back to the queue. Returns None, or what went wrong."""
        problem = None
        try:
            wait_until(lambda: self.count() >= expected and self.depth() == 0, timeout=timeout,
                       interval=0.1, what=f"{expected} messages on record and the queue empty")
        except AssertionError as e:
            problem = str(e)
        for c in self.consumers:
            if c.proc.poll() is None:
                os.kill(c.pid, signal.SIGCONT)
                c.proc.send_signal(signal.SIGTERM)
                try:
                    rc = c.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    c.proc.kill()
                    c.proc.wait()
                    rc = "killed after 60 s"
                if rc != 0 and problem is None:
                    problem = f"consumer {c.pid} exited with {rc} on SIGTERM"
        left = self.depth()
        if left and problem is None:
            problem = f"{left} messages back in the queue after the consumers stopped (not acked)"
        return problem

    def logs(self):
        return [c.log for c in self.consumers]

    def count_in_logs(self, mod, event):
        return sum(1 for c in self.consumers for e in log_events(c.log)
                   if e[3] == mod and e[4] == event and e[2] == c.pid)


# ---- publishing ----------------------------------------------------------

def generate(n, seed, prefix, sources=3):
    """The bytes send_msg --generate publishes with these settings."""
    r = subprocess.run([str(BUILD / "send_msg"), "--env-file", "/dev/null", "--generate", str(n),
                        "--seed", str(seed), "--sources", str(sources), "--source-prefix", prefix,
                        "--dump"], capture_output=True, check=True, timeout=300)
    lines = r.stdout.split(b"\n")
    assert lines[-1] == b"" and len(lines) == n + 1
    return lines[:-1]


class Sending:
    """A send_msg run; wait() checks it confirmed every message."""

    def __init__(self, proc, log, n, what):
        self.proc, self.log, self.n, self.what = proc, log, n, what

    def done(self):
        return self.proc.poll() is not None

    def wait(self, timeout=600):
        rc = self.proc.wait(timeout=timeout)
        tail = self.log.read_text(errors="replace").strip().splitlines()[-3:]
        assert rc == 0, f"send_msg ({self.what}) exited {rc}: " + " | ".join(tail)
        assert any(f"confirmed {self.n}," in line for line in tail), " | ".join(tail)


def send(stack, exchange, *, log_name, generated=None, lines=None, files=None, rate=None,
         wait=True):
    """Publishes through tools/send_msg to exchange: generated (a dict of
    generate()'s arguments), lines (bodies without CR/LF, through stdin) or
    files (any bodies, one file each, in order). Paced by rate (messages/s)."""
    args = [str(BUILD / "send_msg"), "--env-file", "/dev/null", "--url", stack.amqp_url,
            "--exchange", exchange, "--routing-key", "faults"]
    if rate:
        args += ["--rate", str(rate)]
    stdin = subprocess.DEVNULL
    spool = stack.dir / "spool" / f"{exchange}-{uuid.uuid4().hex[:6]}"
    if generated is not None:
        g = generated
        args += ["--generate", str(g["n"]), "--seed", str(g["seed"]), "--source-prefix",
                 g["prefix"], "--sources", str(g.get("sources", 3))]
        n, what = g["n"], f"--generate {g['n']}"
    elif lines is not None:
        assert all(b and b"\n" not in b and b"\r" not in b for b in lines)
        spool.parent.mkdir(parents=True, exist_ok=True)
        spool.write_bytes(b"".join(b + b"\n" for b in lines))
        stdin = open(spool, "rb")
        args.append("-")
        n, what = len(lines), f"{len(lines)} lines"
    else:
        spool.mkdir(parents=True)
        for i, body in enumerate(files):
            (spool / f"{i:08d}.json").write_bytes(body)
        args.append(str(spool))
        n, what = len(files), f"{len(files)} files"
    log = stack.log(log_name)
    with open(log, "ab") as f:
        proc = subprocess.Popen(args, stdin=stdin, stdout=f, stderr=subprocess.STDOUT)
    if stdin is not subprocess.DEVNULL:
        stdin.close()
    s = Sending(proc, log, n, what)
    if wait:
        s.wait()
    return s


# ---- the checks ------------------------------------------------------------

class LogCheck:
    """The message log of a database against the bodies published to it."""

    def __init__(self, stack, db, published):
        rows = stack.sql("SELECT LOWER(HEX(sha256)), SHA2(payload, 256), payload_size, "
                         "LENGTH(payload), status FROM messages ORDER BY id", db)
        self.pub = [sha(b) for b in published]
        self.logged = [r[0] for r in rows]
        self.status = {r[0]: r[4] for r in rows}
        want, got = collections.Counter(self.pub), collections.Counter(self.logged)
        self.lost = want - got
        self.extra = got - want  # logged more often than published (or never published)
        self.duplicated = sum(self.extra.values())
        self.corrupt = [r for r in rows if r[0] != r[1] or r[2] != r[3]]
        self.order_kept = self.logged == self.pub
        self.statuses = collections.Counter(r[4] for r in rows)
        self.by_sha = {sha(b): b for b in published}

    @property
    def nlost(self):
        return sum(self.lost.values())

    def problems(self):
        out = []
        if self.lost:
            out.append(f"{self.nlost} published messages not on record, e.g. " +
                       ", ".join(self.describe(h) for h in list(self.lost)[:3]))
        if self.extra:
            out.append(f"{self.duplicated} messages on record more often than published, e.g. " +
                       ", ".join(self.describe(h) for h in list(self.extra)[:3]))
        if self.corrupt:
            out.append(f"{len(self.corrupt)} log rows whose payload does not match its sha256 "
                       f"or size, e.g. {self.corrupt[:2]}")
        if not self.order_kept and not self.lost and not self.extra:
            i = next(k for k, (a, b) in enumerate(zip(self.pub, self.logged)) if a != b)
            out.append(f"order not kept: log row {i + 1} is {self.describe(self.logged[i])}, "
                       f"published {self.describe(self.pub[i])} there")
        return out

    def describe(self, h):
        body = self.by_sha.get(h)
        if body is None:
            return f"sha256 {h[:12]} (never published)"
        return f"sha256 {h[:12]} {body[:90]!r}"


def _where(prefix, col):
    return f"WHERE {col} LIKE '{prefix}%'" if prefix else ""


def fingerprint(stack, db, prefix=None):
    """A canonical dump of the final data that does not depend on row ids:
    matches (with title, tournament and the teams in order with score and
    winner), teams, tournaments, titles, sources and the message log's count
    per status. prefix limits it to the sources named prefix...
    Returns (sha256 of the text, the text)."""
    q = {
        "matches": f"""
SELECT QUOTE(s.name), QUOTE(m.external_id), QUOTE(m.url), QUOTE(m.state), QUOTE(m.bestof),
       QUOTE(m.date_start), QUOTE(ti.name), QUOTE(tn.ext_key), QUOTE(tn.name),
       IFNULL((SELECT GROUP_CONCAT(CONCAT_WS('|', mt.position, QUOTE(t.external_id),
                      QUOTE(t.name), QUOTE(mt.score), QUOTE(mt.winner))
                      ORDER BY mt.position SEPARATOR ';')
               FROM match_teams mt JOIN teams t ON t.id = mt.team_id
               WHERE mt.match_id = m.id), '-')
FROM matches m JOIN sources s ON s.id = m.source_id
LEFT JOIN titles ti ON ti.id = m.title_id
LEFT JOIN tournaments tn ON tn.id = m.tournament_id
{_where(prefix, 's.name')}
ORDER BY s.name, m.external_id""",
        "teams": f"""
SELECT QUOTE(s.name), QUOTE(t.external_id), QUOTE(t.name), QUOTE(t.name_key)
FROM teams t JOIN sources s ON s.id = t.source_id {_where(prefix, 's.name')}
ORDER BY s.name, t.external_id""",
        "tournaments": f"""
SELECT QUOTE(s.name), QUOTE(o.ext_key), QUOTE(o.external_id), QUOTE(o.name), QUOTE(o.name_key)
FROM tournaments o JOIN sources s ON s.id = o.source_id {_where(prefix, 's.name')}
ORDER BY s.name, o.ext_key""",
        "titles": ("SELECT QUOTE(name), QUOTE(name_key) FROM titles ORDER BY name_key" if not prefix
                   else f"""
SELECT QUOTE(ti.name), QUOTE(ti.name_key) FROM titles ti WHERE ti.id IN
  (SELECT m.title_id FROM matches m JOIN sources s ON s.id = m.source_id
   {_where(prefix, 's.name')}) ORDER BY ti.name_key"""),
        "sources": f"SELECT QUOTE(name) FROM sources {_where(prefix, 'name')} ORDER BY name",
        "messages": f"""
SELECT status, COUNT(*) FROM messages {_where(prefix, 'source')} GROUP BY status ORDER BY status""",
    }
    if not prefix:
        # what the consumer keeps beside the rows, in the same transactions
        q["consumer_status"] = ("SELECT messages_applied, messages_rejected, matches_total, "
                                "(SELECT COUNT(*) FROM matches) FROM consumer_status")
    parts = []
    for name, query in q.items():
        parts.append(f"## {name}\n{stack.sql_text(query, db)}")
    text = "".join(parts)
    return hashlib.sha256(text.encode("utf-8", errors="surrogateescape")).hexdigest(), text


def save_fingerprint(stack, name, fp):
    d = stack.dir / "fingerprints"
    d.mkdir(exist_ok=True)
    (d / f"{name}.txt").write_text(fp[1], errors="surrogateescape")
    return d / f"{name}.txt"


def fingerprint_diff(a, b, n=30):
    lines = list(difflib.unified_diff(a[1].splitlines(), b[1].splitlines(), "reference",
                                      "faulted", lineterm="", n=0))
    return "\n".join(lines[:n]) + (f"\n... {len(lines) - n} more lines" if len(lines) > n else "")


def reference(stack, case, *, generated=None, lines=None, files=None, expected, prefix=None,
              **consumer_env):
    """The same messages through a fresh lane without any fault, published
    all at once: the fingerprint the faulted run must reach."""
    lane = Lane(stack, case + "_ref", **consumer_env)
    lane.start()
    lane.send(generated=generated, lines=lines, files=files)
    problem = lane.settle(expected, timeout=300)
    assert problem is None, f"reference run of {case}: {problem}"
    fp = fingerprint(stack, lane.db, prefix)
    save_fingerprint(stack, case + "-reference", fp)
    return fp


def median(xs):
    xs = sorted(xs)
    if not xs:
        return None
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


def describe_times(ts):
    ok = [t for t in ts if t is not None]
    if not ok:
        return "-"
    s = f"median {median(ok):.2f} s, max {max(ok):.2f} s"
    missing = len(ts) - len(ok)
    return s + (f" ({missing} never)" if missing else "")


class Report:
    """One row per case for the summary table (and var/faults/report.*)."""

    COLUMNS = ["case", "messages", "faults", "lost", "duplicated", "order kept",
               "fingerprint equal", "reconnect", "seconds", "result"]

    def __init__(self):
        self.rows = []
        self.notes = []

    def add(self, **row):
        self.rows.append(row)
        return row

    def note(self, text):
        self.notes.append(text)

    def table(self):
        out = ["| " + " | ".join(self.COLUMNS) + " |",
               "|" + "|".join("---" for _ in self.COLUMNS) + "|"]
        for r in self.rows:
            out.append("| " + " | ".join(str(r.get(c, "")) for c in self.COLUMNS) + " |")
        return "\n".join(out)

    def dump(self, directory, settings):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "report.json").write_text(json.dumps(
            {"seed": settings.seed, "profile": settings.profile, "cases": self.rows,
             "notes": self.notes}, indent=2, default=str))
        (directory / "report.md").write_text(
            f"seed {settings.seed}, profile {settings.profile}\n\n{self.table()}\n\n" +
            "\n".join(self.notes) + "\n")
