#!/usr/bin/python3
"""Consumer throughput: fills a durable queue with N generated messages
(BENCH_MESSAGES, default 20,000) while the consumer is stopped, starts it,
and times until every message is committed. Also reports the consumer's RSS
and the CPU seconds each process used while draining. Runs BENCH_RUNS times
(default 3) on the stack under var/bench (private ports); prints one JSON
object per run and a last line with the medians."""

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from conftest import Stack, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH_ENV = {
    "STACK_DIR": str(ROOT / "var" / "bench"), "HTTP_PORT": "27080", "NCHAN_PORT": "27089",
    "MARIADB_PORT": "27307",
    "AMQP_PORT": "27672", "RABBITMQ_MGMT_PORT": "27673", "RABBITMQ_DIST_PORT": "27674",
    "EPMD_PORT": "4395", "ESPORTS_BUILD": str(ROOT / "build"),
}


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def log_ts(line):
    ts = line.split(" ", 1)[0].split("=", 1)[1]
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def log_span(path, pid, events=("event=batch_committed",)):
    """Seconds from the consumer's event=started to its last line of one of
    events (by default its last commit of a batch)."""
    start = end = None
    for line in path.read_text().splitlines():
        if f" pid={pid} " not in line:
            continue
        if "event=started" in line and start is None:
            start = log_ts(line)
        elif any(e in line for e in events):
            end = log_ts(line)
    return end - start


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


def run_once(n):
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
        # published by tools/send_msg with confirms: its own figure is the publish rate
        r = subprocess.run([str(ROOT / "tools" / "send_msg"), "--env-file", str(s.dir / "stack.env"),
                            "--generate", str(n), "--seed", "42", "--update-ratio",
                            os.environ.get("BENCH_UPDATE_RATIO", "0.3")],
                           capture_output=True, text=True, timeout=600, check=True)
        summary = r.stderr.strip().splitlines()[-1]
        publish_rate = float(summary.rsplit(",", 1)[1].split()[0])
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
        # the batches queue their matches for the linker (0012_link_queue_matches.sql): done once it is empty
        wait_until(lambda: s.scalar("SELECT COUNT(*) FROM link_queue") == "0", timeout=600,
                   interval=0.05, what="link queue relinked")
        # the precise figure: from the consumer's start to its last commit, by its own log
        log = s.dir / "log" / "consumer.log"
        log_elapsed = log_span(log, pid)
        linked_elapsed = log_span(log, pid, ("event=batch_committed", "event=linked_slice"))
        cpu = {k: round(cpu_s(v) - before[k], 2) for k, v in others.items()}
        stmts = int(s.sql("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")[0][1]) - stmts0
        cpu["consumer"] = round(cpu_s(pid), 2)
        result = {
            "messages": n,
            "seconds": round(log_elapsed, 3),
            "msgs_per_s": round(n / log_elapsed),
            # to the last relinking of the queue a rename filled
            "seconds_to_linked": round(linked_elapsed, 3),
            "msgs_per_s_linked": round(n / linked_elapsed),
            "seconds_wall_including_startup_poll": round(elapsed, 3),
            "consumer_rss_kb": rss_kb(pid),
            "cpu_seconds_while_draining": cpu,
            "com_stmt_execute_per_message": round(stmts / n, 2),
            "send_msg_publish_msgs_per_s_with_confirms": round(publish_rate),
            "applied": int(s.scalar("SELECT COUNT(*) FROM messages WHERE status = 'applied'")),
            "matches": int(s.scalar("SELECT COUNT(*) FROM matches")),
        }
        print(json.dumps(result), flush=True)
        return result
    finally:
        s.stack("down")


def main():
    n = int(os.environ.get("BENCH_MESSAGES", "20000"))
    runs = [run_once(n) for _ in range(int(os.environ.get("BENCH_RUNS", "3")))]
    rates = sorted(r["msgs_per_s"] for r in runs)
    linked = sorted(r["msgs_per_s_linked"] for r in runs)
    rss = sorted(r["consumer_rss_kb"] for r in runs)
    pubs = sorted(r["send_msg_publish_msgs_per_s_with_confirms"] for r in runs)
    print(f"consumer: {n} messages, {len(runs)} runs: median {rates[len(rates) // 2]} msgs/s "
          f"(min {rates[0]}, max {rates[-1]}); to the link queue relinked median "
          f"{linked[len(linked) // 2]} msgs/s (min {linked[0]}, max {linked[-1]}); "
          f"consumer RSS median {rss[len(rss) // 2]} kB")
    print(f"send_msg: {n} generated messages with confirms: median {pubs[len(pubs) // 2]} msgs/s "
          f"(min {pubs[0]}, max {pubs[-1]})")


if __name__ == "__main__":
    main()
