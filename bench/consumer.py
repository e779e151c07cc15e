#!/usr/bin/python3
"""Consumer throughput: fills a durable queue with N generated messages while
the consumer is stopped, starts it, and times until every message is
committed. Also reports the consumer's RSS. Uses the stack under var/bench
(private ports); prints one JSON object."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from conftest import Stack, wait_until  # noqa: E402
from gen import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH_ENV = {
    "STACK_DIR": str(ROOT / "var" / "bench"), "HTTP_PORT": "28080", "MARIADB_PORT": "23307",
    "AMQP_PORT": "25683", "RABBITMQ_MGMT_PORT": "25684", "RABBITMQ_DIST_PORT": "25685",
    "EPMD_PORT": "4390", "ESPORTS_BUILD": str(ROOT / "build"),
}


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid):
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def pids(s):
    out = {}
    for name in ("mariadb", "rabbitmq"):
        out[name] = int((s.dir / "run" / f"{name}.pid").read_text())
    # the beam process is the child of the rabbitmq-server script
    beam = (s.dir / "run" / "rabbitmq-beam.pid")
    if beam.exists():
        out["rabbitmq"] = int(beam.read_text())
    return out


def main():
    n = int(os.environ.get("BENCH_MESSAGES", "20000"))
    import conftest
    conftest.TEST_ENV.update(BENCH_ENV)
    s = Stack()
    s.env.update(BENCH_ENV)
    s.dir = Path(BENCH_ENV["STACK_DIR"])
    s.stack("down", "--purge")
    s.stack("up", "mariadb", "rabbitmq", "consumer")  # the consumer declares the topology
    s.load_env()
    try:
        s.stack("down", "consumer")
        bodies = generate(n, seed=42, prefix="bench",
                          update_ratio=float(os.environ.get("BENCH_UPDATE_RATIO", "0.3")))
        t0 = time.monotonic()
        s.publish(bodies, message_ids=True)
        publish_s = time.monotonic() - t0
        assert s.queue_depth("matches") == n
        stmts0 = int(s.sql("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")[0][1])
        others = pids(s)
        before = {k: cpu_s(v) for k, v in others.items()}
        t0 = time.monotonic()
        s.stack("up", "consumer")
        pid = int((s.dir / "run" / "consumer.pid").read_text())
        wait_until(lambda: s.queue_depth("matches") == 0 and
                   int(s.scalar("SELECT messages_applied + messages_rejected FROM consumer_status")) >= n,
                   timeout=600, interval=0.05, what="queue drained")
        elapsed = time.monotonic() - t0
        cpu = {k: round(cpu_s(v) - before[k], 2) for k, v in others.items()}
        stmts = int(s.sql("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")[0][1]) - stmts0
        cpu["consumer"] = round(cpu_s(pid), 2)
        result = {
            "messages": n,
            "seconds": round(elapsed, 3),
            "msgs_per_s": round(n / elapsed),
            "consumer_rss_kb": rss_kb(pid),
            "cpu_seconds_while_draining": cpu,
            "statements_per_message": round(stmts / n, 2),
            "publish_msgs_per_s_pika_confirms": round(n / publish_s),
            "applied": int(s.scalar("SELECT COUNT(*) FROM messages WHERE status = 'applied'")),
            "matches": int(s.scalar("SELECT COUNT(*) FROM matches")),
        }
        print(json.dumps(result))
    finally:
        s.stack("down")


if __name__ == "__main__":
    main()
