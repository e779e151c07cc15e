#!/usr/bin/python3
"""Search mirror throughput: fills the queue with N generated messages
(BENCH_MESSAGES, default 20,000) while the consumer is stopped, starts it
with the search engine running, and reads from the consumer's log how fast
it applied the messages (with the mirror taking its turns) and how fast the
mirror then indexed the documents into Elasticsearch. Runs BENCH_RUNS times
(default 3) on a fresh stack under var/bench-search (private ports); prints
one JSON object per run and a last line with the medians."""

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import Stack, wait_until  # noqa: E402
from consumer import log_ts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH_ENV = {
    "STACK_DIR": str(ROOT / "var" / "bench-search"), "HTTP_PORT": "27090", "NCHAN_PORT": "27099",
    "MARIADB_PORT": "27317", "AMQP_PORT": "27682", "RABBITMQ_MGMT_PORT": "27683",
    "RABBITMQ_DIST_PORT": "27684", "EPMD_PORT": "4396", "SEARCH_PORT": "27211",
    "SEARCH_TRANSPORT_PORT": "27311", "ELASTICSEARCH_URL": "",
    "ESPORTS_BUILD": str(ROOT / "build"),
}


def run_once(n):
    s = Stack()
    s.env.update(BENCH_ENV)
    s.dir = Path(BENCH_ENV["STACK_DIR"])
    s.stack("down", "--purge")
    s.stack("up", "mariadb", "rabbitmq", "search", "consumer")
    s.load_env()
    try:
        assert s.es, "no search engine (java, javac and mvn are needed)"
        s.stack("down", "consumer")
        subprocess.run([str(ROOT / "tools" / "send_msg"), "--env-file", str(s.dir / "stack.env"),
                        "--generate", str(n), "--seed", "42"],
                       capture_output=True, text=True, timeout=600, check=True)
        s.stack("up", "consumer")
        pid = int((s.dir / "run" / "consumer.pid").read_text())
        wait_until(lambda: int(s.scalar("SELECT messages_applied FROM consumer_status")) >= n and
                   int(s.scalar("SELECT COUNT(*) FROM search_outbox")) == 0,
                   timeout=900, interval=0.2, what="applied and mirrored")
        start = last_commit = None
        rounds = []  # (end time, documents, ms)
        for line in (s.dir / "log" / "consumer.log").read_text().splitlines():
            if f" pid={pid} " not in line:
                continue
            if "event=started" in line:
                start = log_ts(line)
            elif "event=batch_committed" in line:
                last_commit = log_ts(line)
            elif "event=mirror_sent" in line:
                f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
                rounds.append((log_ts(line), int(f["documents"]), int(f["total_ms"])))
        during = [r for r in rounds if r[0] <= last_commit]
        after = [r for r in rounds if r[0] > last_commit]
        after_docs = sum(r[1] for r in after)
        after_span = after[-1][0] - last_commit if after else 0
        requests.post(f"{s.es}/esports-matches/_refresh", timeout=60)
        indexed = requests.get(f"{s.es}/esports-matches/_count", timeout=60).json()["count"]
        result = {
            "messages": n,
            "matches": int(s.scalar("SELECT COUNT(*) FROM matches")),
            "documents_in_index": indexed,
            "ingest_msgs_per_s_with_mirror": round(n / (last_commit - start)),
            "mirror_rounds_while_ingesting": len(during),
            "mirror_ms_while_ingesting": sum(r[2] for r in during),
            "documents_sent": sum(r[1] for r in rounds),
            "mirror_docs_per_s_after_ingest": round(after_docs / after_span) if after_span else None,
            "seconds_until_index_complete": round(rounds[-1][0] - start, 2),
        }
        assert indexed == result["matches"], result
        print(json.dumps(result), flush=True)
        return result
    finally:
        s.stack("down")


def main():
    n = int(os.environ.get("BENCH_MESSAGES", "20000"))
    runs = [run_once(n) for _ in range(int(os.environ.get("BENCH_RUNS", "3")))]
    med = lambda k: sorted(r[k] for r in runs)[len(runs) // 2]
    print(f"mirror: {n} messages, {len(runs)} runs: ingest with the mirror on median "
          f"{med('ingest_msgs_per_s_with_mirror')} msgs/s; mirror median "
          f"{med('mirror_docs_per_s_after_ingest')} documents/s into Elasticsearch; "
          f"index complete after median {med('seconds_until_index_complete')} s")


if __name__ == "__main__":
    main()
