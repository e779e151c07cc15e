"""bench/live.py: live push under load. With BENCH_SUBSCRIBERS (1,000)
EventSource subscribers of /live/matches held by nginx's nchan:

- fan-out latency: a change posted to nchan's publisher (as the consumer
  posts it) until each subscriber has it, p50/p99 over every delivery;
- end to end: a message published to RabbitMQ until each subscriber has its
  change (consumer batch, commit, feed read, publish, fan-out);
- nginx's memory per subscriber (PSS of its workers, and nchan's shared
  memory, before and after they connect);
- the hot API figures (wrk, as bench/run.py) without and with them connected.

    build/venv/bin/python bench/live.py

Settings (environment): BENCH_SUBSCRIBERS [1000], BENCH_EVENTS [40] per
latency case, BENCH_EVENT_MS [250] between events, BENCH_SECONDS [5] per wrk
run, BENCH_WARMUP [2], BENCH_RUNS [1], BENCH_MATCHES [2000]. Its own stack
(var/bench-live; HTTP 27580, MariaDB 27507, AMQP 27583 with management and
distribution 27584 and 27585, EPMD 4397, nchan 27586, no search engine), so
it runs beside make run and make test. Prints one JSON object; bench/run.py
runs it too (BENCH_LIVE=0 skips it there).
"""

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("BENCH_SECONDS", "5")
os.environ.setdefault("BENCH_WARMUP", "2")
os.environ.setdefault("BENCH_RUNS", "1")
os.environ.setdefault("BENCH_MATCHES", "2000")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "1000"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "40"))
EVENT_MS = int(os.environ.get("BENCH_EVENT_MS", "250"))
LIVE_ENV = {
    "STACK_DIR": str(run.ROOT / "var" / "bench-live"), "HTTP_PORT": "27580",
    "MARIADB_PORT": "27507", "AMQP_PORT": "27583", "RABBITMQ_MGMT_PORT": "27584",
    "RABBITMQ_DIST_PORT": "27585", "EPMD_PORT": "4397", "NCHAN_PORT": "27586",
    "SEARCH_PORT": "27587", "SEARCH_TRANSPORT_PORT": "27588", "ELASTICSEARCH_URL": "",
    "FCGI_WORKERS": "2", "ESPORTS_BUILD": os.environ.get("ESPORTS_BUILD", str(run.ROOT / "build")),
}


def nginx_workers(s):
    master = (s.dir / "run" / "nginx.pid").read_text().strip()
    return [int(p) for p in subprocess.run(["pgrep", "-P", master], capture_output=True,
                                           text=True).stdout.split()]


def nginx_memory(s):
    ws = [run.memory_kb(p) for p in nginx_workers(s)]
    return {"pss_kb": sum(w["pss_kb"] for w in ws), "uss_kb": sum(w["uss_kb"] for w in ws),
            "rss_kb": sum(w["rss_kb"] for w in ws)}


def nchan_shm_kb(s):
    import requests
    text = requests.get(f"http://127.0.0.1:{LIVE_ENV['NCHAN_PORT']}/nchan_status", timeout=10).text
    for line in text.splitlines():
        if line.startswith("shared memory used:"):
            return int(line.split(":")[1].strip().rstrip("K"))
    return None


class Subscribers:
    """n EventSource connections (HTTP/1.0, not chunked) read by one event
    loop; every event's arrival time is kept by the key found in its data."""

    def __init__(self, host, port, path, n):
        self.host, self.port, self.path, self.n = host, port, path, n
        self.arrivals = {}  # key -> [monotonic times]
        self.conns = []
        self.tasks = []

    async def open(self):
        for i in range(self.n):
            r, w = await asyncio.open_connection(self.host, self.port)
            w.write(f"GET {self.path} HTTP/1.0\r\nHost: {self.host}:{self.port}\r\n"
                    "Accept: text/event-stream\r\n\r\n".encode())
            await w.drain()
            status = await r.readline()
            assert b" 200 " in status, status
            while (await r.readline()) not in (b"\r\n", b"\n", b""):
                pass
            self.conns.append(w)
            self.tasks.append(asyncio.create_task(self.read(r)))

    async def read(self, r):
        while True:
            line = await r.readline()
            if not line:
                return
            if line.startswith(b"data: "):
                now = time.monotonic()
                key = key_of(line)
                if key is not None:
                    self.arrivals.setdefault(key, []).append(now)

    def close(self):
        for t in self.tasks:
            t.cancel()
        for w in self.conns:
            w.close()


def key_of(line):
    """The bench's key of an event: "bench_key" of a posted one, or the
    external id of the match of a change."""
    i = line.find(b'"bench_key":')
    if i >= 0:
        return line[i + 12:line.index(b"}", i)].decode()
    i = line.find(b'"external_id":"')
    if i >= 0:
        j = i + 15
        return line[j:line.index(b'"', j)].decode()
    return None


def percentiles(lat):
    lat = sorted(lat)
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    return {"p50_ms": round(pick(0.50) * 1000, 2), "p99_ms": round(pick(0.99) * 1000, 2),
            "max_ms": round(lat[-1] * 1000, 2), "deliveries": len(lat)}


async def fan_out(subs):
    """Posts EVENTS changes straight to nchan's publisher (as the consumer
    does) and times each delivery."""
    import requests
    sent = {}
    url = f"http://127.0.0.1:{LIVE_ENV['NCHAN_PORT']}/pub/match/1"
    loop = asyncio.get_running_loop()
    for k in range(EVENTS):
        body = '{"seq":%d,"bench_key":%d}' % (k, k)
        sent[str(k)] = time.monotonic()
        await loop.run_in_executor(None, lambda: requests.post(url, data=body, timeout=10))
        await asyncio.sleep(EVENT_MS / 1000)
    return await collect(subs, sent)


async def end_to_end(s, subs):
    """Publishes EVENTS messages to RabbitMQ, one match each, and times each
    subscriber's receipt of its change."""
    import pika
    conn = pika.BlockingConnection(pika.URLParameters(s.amqp_url))
    ch = conn.channel()
    ch.confirm_delivery()
    sent = {}
    src = conftest_tag("live")
    for k in range(EVENTS):
        ext = f"{src}-{k}"
        body = json.dumps({"source": src, "data": {"id": ext, "state": 3, "title": "Bench",
                                                   "teams": [{"id": 1, "name": "A"},
                                                             {"id": 2, "name": "B"}]}})
        sent[ext] = time.monotonic()
        ch.basic_publish("matches", "matches", body.encode(), run_props(), mandatory=True)
        await asyncio.sleep(EVENT_MS / 1000)
    conn.close()
    return await collect(subs, sent)


def run_props():
    import pika
    return pika.BasicProperties(delivery_mode=2, content_type="application/json")


def conftest_tag(name):
    import conftest
    return conftest.tag(name)


async def collect(subs, sent, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(
            len(subs.arrivals.get(k, [])) < subs.n for k in sent):
        await asyncio.sleep(0.05)
    lat, missing = [], 0
    for k, t0 in sent.items():
        got = subs.arrivals.get(k, [])
        missing += subs.n - len(got)
        lat.extend(t - t0 for t in got)
    out = percentiles(lat)
    out["events"] = len(sent)
    out["missing"] = missing
    return out


def hot(s):
    mid = s.sql("SELECT id FROM matches ORDER BY id LIMIT 1")[0][0]
    return {"hot list": run.measure(f"{s.http}/api/matches/?page=1"),
            "hot detail": run.measure(f"{s.http}/api/matches/{mid}/")}


async def with_subscribers(s, res):
    before_mem, before_shm = nginx_memory(s), nchan_shm_kb(s)
    subs = Subscribers("127.0.0.1", int(LIVE_ENV["HTTP_PORT"]), "/live/matches", SUBSCRIBERS)
    t0 = time.monotonic()
    await subs.open()
    res["connect_s"] = round(time.monotonic() - t0, 2)
    await asyncio.sleep(2)
    after_mem, after_shm = nginx_memory(s), nchan_shm_kb(s)
    res["nginx_memory"] = {
        "before_kb": before_mem, "with_subscribers_kb": after_mem,
        "pss_per_subscriber_kb": round((after_mem["pss_kb"] - before_mem["pss_kb"]) / SUBSCRIBERS, 2),
        "nchan_shm_before_kb": before_shm, "nchan_shm_with_subscribers_kb": after_shm}
    run.log(f"fan-out latency, {SUBSCRIBERS} subscribers")
    res["fan_out"] = await fan_out(subs)
    run.log("end-to-end latency")
    res["end_to_end"] = await end_to_end(s, subs)
    run.log("hot API with the subscribers connected")
    loop = asyncio.get_running_loop()
    res["http_with_subscribers"] = await loop.run_in_executor(None, hot, s)
    res["nginx_memory"]["after_wrk_kb"] = nginx_memory(s)
    subs.close()


def figures():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, SUBSCRIBERS + 1024)), hard))
    run.BENCH_ENV.update(LIVE_ENV)
    s = run.bench_stack()
    s.stack("down", "--purge")
    s.stack("up", "mariadb", "rabbitmq", "fcgi", "nginx", "consumer")
    s.load_env()
    res = {"subscribers": SUBSCRIBERS, "events_per_case": EVENTS, "event_interval_ms": EVENT_MS,
           "matches": run.N, "wrk_seconds": run.SECONDS, "runs": run.RUNS}
    try:
        run.publish_generated(s, run.N, 5, "bench")
        run.wait_loaded(s, run.N)
        run.log("hot API without subscribers")
        res["http_without_subscribers"] = hot(s)
        asyncio.run(with_subscribers(s, res))
        w, o = res["http_with_subscribers"], res["http_without_subscribers"]
        res["rps_ratio_with_to_without"] = {k: round(w[k]["rps"] / o[k]["rps"], 3) for k in w}
    finally:
        s.stack("down")
    return res


if __name__ == "__main__":
    print(json.dumps(figures(), indent=1))
