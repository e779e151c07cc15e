#!/usr/bin/python3
"""Record linkage measured through the real system. For each seed (BENCH_LINK_SEEDS,
default 777 and 778: seeds the tests and the tuning do not use) it fills the queue with
BENCH_LINK_MESSAGES (default 20,000) fixtures-mode messages from tools/send_msg, which
writes the ground truth beside them, starts the consumer, times it until every message is
committed and its linker has linked every match (msgs/s linked; msgs/s applied: to the last
batch), reads the fixtures and team identities back from MariaDB and scores them
against the truth: pairwise precision, recall and F1, beside exact-name grouping. The
same messages are then consumed with LINK_ENABLED=0 for the ingestion rate without
linking. Runs a private stack (var/bench-linking, its own ports, no search engine);
prints one JSON object per run and a markdown table at the end.

    bench/linking.py            (or: make bench, which runs it from bench/run.py)
"""

import datetime
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from conftest import Stack, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH_ENV = {
    "STACK_DIR": str(ROOT / "var" / "bench-linking"), "HTTP_PORT": "27480", "NCHAN_PORT": "27489",
    "MARIADB_PORT": "27407", "AMQP_PORT": "27483", "RABBITMQ_MGMT_PORT": "27484",
    "RABBITMQ_DIST_PORT": "27485", "EPMD_PORT": "4396", "SEARCH_PORT": "27491",
    "SEARCH_TRANSPORT_PORT": "27492", "ELASTICSEARCH_URL": "", "ESPORTS_BUILD": str(ROOT / "build"),
}
# BENCH_LINK_<NAME> overrides one, e.g. BENCH_LINK_EPMD_PORT=4397 beside another stack
BENCH_ENV.update({k: os.environ["BENCH_LINK_" + k] for k in BENCH_ENV if "BENCH_LINK_" + k in os.environ})
PREFIX = "lk"


def log(msg):
    print(f"bench/linking: {msg}", file=sys.stderr, flush=True)


def log_ts(line):
    ts = line.split(" ", 1)[0].split("=", 1)[1]
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def log_span(path, pid):
    """Seconds from the consumer's event=started to its last batch_committed,
    and to its last commit of either kind (a batch, or a slice of its linker,
    event=linked_slice)."""
    start = applied = end = None
    for line in path.read_text().splitlines():
        if f" pid={pid} " not in line:
            continue
        if "event=started" in line and start is None:
            start = log_ts(line)
        elif "event=batch_committed" in line:
            applied = end = log_ts(line)
        elif "event=linked_slice" in line:
            end = log_ts(line)
    return applied - start, end - start


def pairs(n):
    return n * (n - 1) // 2


def pairwise(items):
    """items: (predicted cluster, true cluster) per record -> precision, recall, F1."""
    tp = sum(pairs(c) for c in Counter(items).values())
    pred = sum(pairs(c) for c in Counter(p for p, _ in items).values())
    true = sum(pairs(c) for c in Counter(t for _, t in items).values())
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0}


def read_truth(path):
    fx, teams = {}, {}
    for line in path.read_text().splitlines():
        kind, source, ext, truth = line.split("\t")
        (fx if kind == "match" else teams)[(source, ext)] = int(truth)
    return fx, teams


def quality(s, truth_path):
    fx_truth, team_truth = read_truth(truth_path)
    rows = s.sql("SELECT s.name, m.external_id, f.fixture_id, m.title_id, m.date_start,"
                 " GROUP_CONCAT(t.name_key ORDER BY t.name_key SEPARATOR '|')"
                 " FROM matches m JOIN sources s ON s.id = m.source_id"
                 " JOIN fixture_members f ON f.match_id = m.id"
                 " LEFT JOIN match_teams mt ON mt.match_id = m.id"
                 " LEFT JOIN teams t ON t.id = mt.team_id"
                 f" WHERE s.name LIKE '{PREFIX}%' GROUP BY m.id")
    fx = [(int(fid), fx_truth[(src, ext)]) for src, ext, fid, *_ in rows if (src, ext) in fx_truth]
    fx_exact = [((title, start, names), fx_truth[(src, ext)])
                for src, ext, _, title, start, names in rows if (src, ext) in fx_truth]
    trows = s.sql("SELECT s.name, t.external_id, i.identity_id, t.name_key FROM teams t"
                  " JOIN sources s ON s.id = t.source_id"
                  " JOIN team_identity_members i ON i.team_id = t.id"
                  f" WHERE s.name LIKE '{PREFIX}%'")
    teams = [(int(iid), team_truth[(src, ext)]) for src, ext, iid, _ in trows
             if (src, ext) in team_truth]
    teams_exact = [(key, team_truth[(src, ext)]) for src, ext, _, key in trows
                   if (src, ext) in team_truth]
    suggested = int(s.scalar("SELECT COUNT(*) FROM match_links WHERE status = 'suggested'"))
    return {"matches": len(fx), "teams": len(teams),
            "true_fixtures": len(set(t for _, t in fx)), "fixtures": pairwise(fx),
            "teams_linked": pairwise(teams), "exact_fixtures": pairwise(fx_exact),
            "exact_teams": pairwise(teams_exact), "suggestions": suggested}


def bench_stack():
    import conftest
    conftest.TEST_ENV.update(BENCH_ENV)
    s = Stack()
    s.env.update(BENCH_ENV)
    s.dir = Path(BENCH_ENV["STACK_DIR"])
    return s


def consume(s, n, seed, link_enabled, truth):
    """A fresh database; n fixtures-mode messages queued, then consumed."""
    s.stack("down", "--purge")
    env = {"LINK_ENABLED": str(link_enabled)}
    s.stack("up", "mariadb", "rabbitmq", "consumer", env=env)  # declares the topology
    s.load_env()
    s.stack("down", "consumer")
    subprocess.run([str(ROOT / "tools" / "send_msg"), "--env-file", str(s.dir / "stack.env"),
                    "--generate", str(n), "--fixtures", "--truth", str(truth), "--seed",
                    str(seed), "--source-prefix", PREFIX],
                   capture_output=True, text=True, timeout=600, check=True,
                   env={k: v for k, v in os.environ.items() if k != "AMQP_URL"})
    assert s.queue_depth("matches") == n
    s.stack("up", "consumer", env=env)
    pid = int((s.dir / "run" / "consumer.pid").read_text())
    wait_until(lambda: s.queue_depth("matches") == 0 and int(s.scalar(
        "SELECT messages_applied + messages_rejected FROM consumer_status")) >= n
        and s.scalar("SELECT COUNT(*) FROM link_queue") == "0",
        timeout=900, interval=0.05, what="queue drained and every match linked")
    applied, seconds = log_span(s.dir / "log" / "consumer.log", pid)
    lines = (s.dir / "log" / "consumer.log").read_text().splitlines()
    failed = sum("event=link_queue_failed" in line or "event=slice_failed" in line
                 for line in lines)
    return {"seconds": round(seconds, 3), "msgs_per_s": round(n / seconds),
            "msgs_per_s_applied": round(n / applied), "link_failed": failed}


def run(seeds=None, n=None):
    seeds = seeds or [int(x) for x in os.environ.get("BENCH_LINK_SEEDS", "777,778").split(",")]
    n = n or int(os.environ.get("BENCH_LINK_MESSAGES", "20000"))
    s = bench_stack()
    results = []
    try:
        for seed in seeds:
            truth = s.dir.parent / f"bench-linking-truth-{seed}.tsv"
            s.dir.parent.mkdir(parents=True, exist_ok=True)
            log(f"seed {seed}: {n} messages with LINK_ENABLED=1")
            on = consume(s, n, seed, 1, truth)
            q = quality(s, truth)
            log(f"seed {seed}: the same with LINK_ENABLED=0")
            off = consume(s, n, seed, 0, truth)
            res = {"seed": seed, "messages": n, **q, "msgs_per_s_linking": on["msgs_per_s"],
                   "msgs_per_s_linking_applied": on["msgs_per_s_applied"],
                   "msgs_per_s_without": off["msgs_per_s"], "link_failed": on["link_failed"]}
            print(json.dumps(res), flush=True)
            results.append(res)
    finally:
        s.stack("down")
    return results


def markdown(results):
    head = ("| seed | messages | fixtures P | R | F1 | teams P | R | F1 | exact-name fixtures P | R"
            " | exact-name teams P | R | suggestions | msgs/s linking on (linked) | (applied) | off |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    rows = "".join(
        f"| {r['seed']} | {r['messages']} | {r['fixtures']['p']:.4f} | {r['fixtures']['r']:.4f} "
        f"| {r['fixtures']['f1']:.4f} | {r['teams_linked']['p']:.4f} | "
        f"{r['teams_linked']['r']:.4f} | {r['teams_linked']['f1']:.4f} | "
        f"{r['exact_fixtures']['p']:.4f} | {r['exact_fixtures']['r']:.4f} | "
        f"{r['exact_teams']['p']:.4f} | {r['exact_teams']['r']:.4f} | {r['suggestions']} | "
        f"{r['msgs_per_s_linking']} | {r.get('msgs_per_s_linking_applied', '')} | "
        f"{r['msgs_per_s_without']} |\n" for r in results)
    return head + rows


def main():
    results = run()
    print(markdown(results))


if __name__ == "__main__":
    main()
