"""FastCGI connections kept open (nginx fastcgi_keep_conn + an upstream
keepalive pool) against workers of several threads: idle kept connections
hold no thread (more of them than threads, and requests still answered),
more concurrent clients than threads get their answers while a slow request
is under way, and a worker killed with -9 loses nothing but the requests it
was serving."""

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
import uuid

import pytest
import requests

from conftest import BUILD, TEST_ENV, fcgi_get, tag, wait_until
from gen import generate

PREFIX = tag("kasrc")
WORKERS = int(TEST_ENV["FCGI_WORKERS"])
THREADS = int(os.environ.get("FCGI_THREADS", "4"))


@pytest.fixture(scope="module")
def data(stack):
    stack.publish_applied(generate(20, seed=15, prefix=PREFIX))
    ids = [int(r[0]) for r in stack.sql(
        "SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
        f"WHERE s.name LIKE '{PREFIX}%' ORDER BY m.id")]
    assert ids
    return stack, ids


def rendered_conf(stack):
    return (stack.dir / "run" / "nginx.conf").read_text()


def pool_size(stack):
    """keepalive N of the upstream, times nginx's worker processes."""
    conf = rendered_conf(stack)
    n = int(re.search(r"^\s*keepalive (\d+);", conf, re.M).group(1))
    workers = int(re.search(r"^worker_processes (\d+);", conf, re.M).group(1))
    return n * workers


def fcgi_connections(stack):
    """Connected sockets on the FastCGI listening path: the connections
    open between nginx and the workers (the listening socket aside)."""
    path = str(stack.dir / "run" / "fcgi.sock")
    n = 0
    for line in open("/proc/net/unix").read().splitlines()[1:]:
        f = line.split()
        if len(f) >= 8 and f[-1] == path and f[5] == "03":  # SS_CONNECTED
            n += 1
    return n


def uncached(path):
    """path with a parameter of its own: the response cache cannot answer."""
    return f"{path}?n={uuid.uuid4().hex}"


def worker_pids(stack):
    mw = (stack.dir / "run" / "fcgi.pid").read_text().strip()
    out = subprocess.run(["pgrep", "-P", mw], capture_output=True, text=True).stdout
    return sorted(int(p) for p in out.split())


class TableLock:
    """LOCK TABLES name WRITE held by a session of its own until release():
    every read of that table waits, for as long as the test wants."""

    def __init__(self, stack, table):
        self.p = subprocess.Popen(
            ["mariadb", "--no-defaults", "-uroot", f"--socket={stack.socket}", "-N", "-B",
             "--unbuffered", "esports"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.p.stdin.write(f"LOCK TABLES {table} WRITE;\nSELECT 'locked';\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline().strip() == "locked"

    def release(self):
        if self.p.poll() is None:
            self.p.stdin.write("UNLOCK TABLES;\n")
            self.p.stdin.close()
            self.p.wait(timeout=30)


def waiting_on_lock(stack):
    return int(stack.scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                            "WHERE STATE LIKE 'Waiting for table%'"))


def burst(stack, ids, clients):
    """clients concurrent uncached requests: nginx opens about that many
    FastCGI connections and keeps them (up to its pool) afterwards."""
    statuses = []
    barrier = threading.Barrier(clients)

    def one(k):
        barrier.wait(timeout=30)
        r = requests.get(stack.http + uncached(f"/api/matches/{ids[k % len(ids)]}/"), timeout=60)
        statuses.append(r.status_code)

    ts = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60)
    return statuses


def pending_fcgi_connections(stack):
    """Connections nginx has made that no worker has accepted yet: the
    listening socket's backlog (ss shows it as the Recv-Q of LISTEN)."""
    path = str(stack.dir / "run" / "fcgi.sock")
    out = subprocess.run(["ss", "-xlnH", "src", path], capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[2]) if len(out) > 2 and out[1] == "LISTEN" else 0


def held_burst(stack, ids, clients, threads):
    """clients concurrent uncached requests, all of them in nginx's hands at
    once: the matches table is locked until every thread waits on it and
    the rest of the connections nginx opened wait in the backlog. On release
    all are answered, and nginx keeps the connections (up to its pool)."""
    lock = TableLock(stack, "matches")
    statuses = []

    def one(k):
        r = requests.get(stack.http + uncached(f"/api/matches/{ids[k % len(ids)]}/"), timeout=60)
        statuses.append(r.status_code)

    ts = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
    try:
        for t in ts:
            t.start()
        wait_until(lambda: waiting_on_lock(stack) >= threads, timeout=30,
                   what=f"{threads} threads waiting on the lock")
        wait_until(lambda: fcgi_connections(stack) + pending_fcgi_connections(stack) >= clients,
                   timeout=30, what=f"{clients} FastCGI connections open")
    finally:
        lock.release()
        for t in ts:
            t.join(timeout=60)
    return statuses


def test_idle_kept_connections_hold_no_thread(data):
    """The pool is larger than the threads; once more connections than
    threads idle in it, every request still gets its answer at once (with
    a thread bound to each kept connection, the connections past the
    threads would wait in the backlog until nginx gave one up)."""
    stack, ids = data
    conf = rendered_conf(stack)
    assert conf.count("fastcgi_keep_conn on;") >= 1
    threads = WORKERS * THREADS
    assert pool_size(stack) > threads
    clients = min(pool_size(stack), 3 * threads)
    assert held_burst(stack, ids, clients, threads) == [200] * clients
    wait_until(lambda: threads < fcgi_connections(stack) <= pool_size(stack), timeout=30,
               what=f"more than {threads} kept connections, at most {pool_size(stack)}")
    # all of them idle now: each burst takes the kept ones and opens more
    for _ in range(3):
        t0 = time.monotonic()
        assert burst(stack, ids, clients) == [200] * clients
        assert time.monotonic() - t0 < 10
    # a connection nginx has just let go may still be open on the worker's side
    wait_until(lambda: fcgi_connections(stack) <= pool_size(stack), timeout=30,
               what=f"at most {pool_size(stack)} kept connections")


def test_no_request_waits_behind_a_slow_one_or_an_idle_connection(data):
    """More concurrent clients than threads, one request held on a table lock:
    every other client is answered while it still waits."""
    stack, ids = data
    for _ in range(20):  # fill the keep-alive pools
        stack.get(uncached("/healthz"))
    lock = TableLock(stack, "messages")
    slow = {}

    def slow_request():
        t0 = time.monotonic()
        r = requests.get(stack.http + uncached(f"/api/matches/{ids[0]}/messages/"), timeout=60)
        slow.update(status=r.status_code, seconds=time.monotonic() - t0)

    st = threading.Thread(target=slow_request)
    try:
        st.start()
        wait_until(lambda: waiting_on_lock(stack) >= 1, timeout=30, what="the slow request waits")
        clients = 3 * WORKERS * THREADS
        results = [[] for _ in range(clients)]

        def client(k):
            for i in range(5):
                t0 = time.monotonic()
                path = (f"/api/matches/{ids[(k + i) % len(ids)]}/" if i % 2 == 0
                        else f"/api/matches/?source={PREFIX}1")
                r = requests.get(stack.http + uncached(path), timeout=60)
                results[k].append((r.status_code, time.monotonic() - t0))

        ts = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=60)
        answers = [a for rs in results for a in rs]
        assert len(answers) == clients * 5
        assert all(status == 200 for status, _ in answers), answers
        # all answered while the slow request still waits on its lock
        assert st.is_alive() and not slow and waiting_on_lock(stack) >= 1
        worst = max(seconds for _, seconds in answers)
        assert worst < 10, f"a client waited {worst:.1f} s"
    finally:
        lock.release()
    st.join(timeout=60)
    assert slow["status"] == 200


def test_a_worker_killed_mid_request_loses_only_its_requests(data):
    stack, ids = data
    before = worker_pids(stack)
    assert len(before) == WORKERS
    stop = threading.Event()
    statuses = []
    lock = threading.Lock()

    def client(k):
        while not stop.is_set():
            try:
                r = requests.get(stack.http + uncached(f"/api/matches/{ids[k % len(ids)]}/"),
                                 timeout=30)
                s = r.status_code
            except requests.RequestException:
                s = "error"
            with lock:
                statuses.append(s)

    ts = [threading.Thread(target=client, args=(k,)) for k in range(2 * WORKERS * THREADS)]
    for t in ts:
        t.start()
    try:
        wait_until(lambda: len(statuses) >= 200, timeout=60, what="requests under way")
        victim = before[0]
        os.kill(victim, 9)
        killed_at = len(statuses)
        # multiwatch starts another in its place
        wait_until(lambda: len(worker_pids(stack)) == WORKERS and victim not in worker_pids(stack),
                   timeout=30, what="the worker restarted")
        wait_until(lambda: len(statuses) >= killed_at + 400, timeout=60,
                   what="requests after the restart")
    finally:
        stop.set()
        for t in ts:
            t.join(timeout=60)
    failed = [s for s in statuses if s != 200]
    # at most the requests the killed worker was serving: one per thread
    assert len(failed) <= THREADS, failed
    assert all(s == 502 for s in failed), failed
    assert statuses[-50:] == [200] * 50


def test_silent_and_broken_fastcgi_peers_hold_nothing(data):
    """Connections straight to the FastCGI socket that say nothing, or send
    bytes that are not FastCGI, or a record cut short: more of them than
    threads, and nginx's requests are still answered by the same workers."""
    import socket

    stack, ids = data
    before = worker_pids(stack)
    path = str(stack.dir / "run" / "fcgi.sock")
    peers = []
    try:
        for k in range(2 * WORKERS * THREADS):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            if k % 3 == 1:
                s.sendall(b"GET / HTTP/1.1\r\n\r\n" + bytes(range(256)))
            elif k % 3 == 2:
                s.sendall(b"\x01\x01\x00\x01\x00\x08")  # a begin-request header, no body
            peers.append(s)
        for i in range(3 * WORKERS * THREADS):
            t0 = time.monotonic()
            r = stack.get(uncached(f"/api/matches/{ids[i % len(ids)]}/"))
            took = time.monotonic() - t0
            assert r.status_code == 200
            # what the workers and nginx said, should it ever take that long
            assert took < 5, (i, took, log_tail(stack, "log/fcgi.log"),
                              log_tail(stack, "run/nginx-error.log"))
    finally:
        for s in peers:
            s.close()
    assert worker_pids(stack) == before
    assert stack.get(uncached("/healthz")).status_code == 200


def log_tail(stack, name, lines=30):
    path = stack.dir / name
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def thread_in_read(pid):
    """Whether a thread of the process is blocked in read(2) (syscall 0 on
    x86-64; libfcgi reads a request with read)."""
    import glob
    for f in glob.glob(f"/proc/{pid}/task/*/syscall"):
        try:
            if open(f).read().split()[0] == "0":
                return True
        except (OSError, IndexError):
            pass
    return False


@contextlib.contextmanager
def one_thread_worker(stack, tmp_path):
    """A worker of one thread on a socket of its own: (its socket path, its
    process). It must stop cleanly when the block ends."""
    import socket

    sock_path = tmp_path / "w.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(16)
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([str(BUILD / "esports-fcgi")], stdin=listener.fileno(),
                              stdout=subprocess.DEVNULL, stderr=log.open("w"),
                              env=stack.app_env(FCGI_THREADS=1, COMMIT_CLOCK_FILE=""))
    listener.close()
    try:
        yield sock_path, worker
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert worker.returncode == 0, log.read_text()[-2000:]


def test_a_broken_request_leaves_the_backlog_to_the_dispatcher(data, tmp_path):
    """After a broken request libfcgi went on to accept() the next connection
    of the backlog itself: that one had no read limit, so a record cut short
    there held the thread until its peer went away, and a request behind it
    waited as long. A worker of one thread: the first cut record is being
    read (1 s limit), a second one and a real request arrive behind it; the
    request is answered once the dispatcher has timed both out."""
    import socket

    stack, ids = data
    peers = []
    with one_thread_worker(stack, tmp_path) as (sock_path, worker):
        try:
            assert fcgi_get(sock_path, f"/api/matches/{ids[0]}/")[0] == 200
            for _ in range(2):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(str(sock_path))
                s.sendall(b"\x01\x01\x00\x01\x00\x08")  # a begin-request header, no body
                peers.append(s)
                if len(peers) == 1:  # the second waits in the backlog
                    wait_until(lambda: thread_in_read(worker.pid), interval=0.01,
                               what="the worker reading the first cut record")
            status, body = fcgi_get(sock_path, f"/api/matches/{ids[1]}/", timeout=15)
            assert status == 200, body[:300]
        finally:
            for s in peers:
                s.close()


def test_a_peer_that_is_not_fastcgi_is_dropped_at_once(data, tmp_path):
    """libfcgi closes a broken request's connection by shutting its side and
    waiting up to 2 s for the peer to close as well: a peer that sent bytes
    that are not FastCGI and stayed held the thread that long, and with a
    few of them a request waited behind 2 s each (three were 6 s on one
    thread). Such a connection is now closed at once: on a worker of one
    thread, a request behind three of them is answered long before a single
    such wait would have ended."""
    import socket

    stack, ids = data
    peers = []
    with one_thread_worker(stack, tmp_path) as (sock_path, _):
        try:
            for _ in range(3):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(str(sock_path))
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                peers.append(s)
            for s in peers:
                s.settimeout(30)
            # the worker has taken the first: it says nothing to such a
            # peer and closes (libfcgi's wait, if any, begins now)
            assert peers[0].recv(1) == b""
            status, body = fcgi_get(sock_path, f"/api/matches/{ids[0]}/", timeout=1.5)
            assert status == 200, body[:300]
            for s in peers[1:]:
                assert s.recv(1) == b""
        finally:
            for s in peers:
                s.close()
