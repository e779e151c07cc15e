#!/usr/bin/python3
"""HTTP throughput through nginx with wrk: the JSON API (list page 1, a
filtered list, detail) next to nginx serving a static file with the same
bytes as the list response (the ceiling), hot (one URL repeated) and cold
(a different filter combination or id on every request). 20,000 matches are
loaded through the consumer first. BENCH_SECONDS per run (default 10),
BENCH_RUNS runs (default 3), medians; p50/p99 from wrk --latency."""

import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import conftest  # noqa: E402
from conftest import Stack, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH_ENV = {
    "STACK_DIR": str(ROOT / "var" / "bench"), "HTTP_PORT": "28080", "MARIADB_PORT": "23307",
    "AMQP_PORT": "23672", "RABBITMQ_MGMT_PORT": "23673", "RABBITMQ_DIST_PORT": "23674",
    "EPMD_PORT": "4390", "ESPORTS_BUILD": str(ROOT / "build"), "FCGI_WORKERS": "2",
}
N = int(os.environ.get("BENCH_MATCHES", "20000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def to_ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, script=None, paths=None, seconds=SECONDS):
    cmd = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency"]
    env = dict(os.environ)
    if script:
        cmd += ["-s", script]
        env["WRK_PATHS"] = paths
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env=env, timeout=300).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    p = {k: to_ms(*re.match(r"([\d.]+)(\w+)", v).groups()) for k, v in lat.items()}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": p["50"], "p99_ms": p["99"], "non2xx": int(non2xx.group(1)) if non2xx else 0}


def median_of(url, **kw):
    wrk(url, seconds=3, **kw)  # warm-up
    runs = [wrk(url, **kw) for _ in range(RUNS)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


# The list's WHERE clause as the workers run it (db_matches.c), parameters
# written in as the server sees them once bound: unset filters are NULL.
WHERE = ("(%(title_id)s IS NULL OR m.title_id = %(title_id)s)"
         " AND (%(title_key)s IS NULL OR m.title_id = (SELECT id FROM titles WHERE name_key = %(title_key)s))"
         " AND (%(state)s IS NULL OR m.state = %(state)s)"
         " AND (%(gte)s IS NULL OR m.date_start >= FROM_UNIXTIME(%(gte)s))"
         " AND (%(team_id)s IS NULL OR EXISTS (SELECT 1 FROM match_teams mt WHERE mt.match_id = m.id"
         " AND mt.team_id = %(team_id)s))"
         " AND (%(source)s IS NULL OR m.source_id = (SELECT id FROM sources WHERE name = %(source)s))")


def explain(s):
    """EXPLAIN of the count and of the default-ordered page for each filter alone."""
    base = {"title_id": "NULL", "title_key": "NULL", "state": "NULL", "gte": "NULL",
            "team_id": "NULL", "source": "NULL"}
    cases = {"no filter (the API reads consumer_status.matches_total instead)": {}, "title (name)": {"title_key": "'overcooked'"},
             "title (id)": {"title_id": "1"}, "state": {"state": "2"},
             "date_start__gte": {"gte": "1590969600"}, "team (id)": {"team_id": "5"},
             "source": {"source": "'bench2'"}}
    print("EXPLAIN (key used, rows estimated) for the count and the page:")
    for name, over in cases.items():
        where = WHERE % dict(base, **over)
        out = []
        for q in (f"SELECT COUNT(*) FROM matches m WHERE {where}",
                  f"SELECT m.id FROM matches m WHERE {where} ORDER BY m.date_start DESC, m.id DESC LIMIT 50"):
            row = s.sql("EXPLAIN " + q)[0]
            out.append(f"{row[5]} ({row[8]} rows{', ' + row[9] if row[9] != 'NULL' else ''})")
        print(f"  {name}: count via {out[0]}; page via {out[1]}")


def main():
    conftest.TEST_ENV.update(BENCH_ENV)
    s = Stack()
    s.env.update(BENCH_ENV)
    s.dir = Path(BENCH_ENV["STACK_DIR"])
    s.stack("down", "--purge")
    s.stack("up")
    s.load_env()
    try:
        subprocess.run([str(ROOT / "tools" / "send_msg"), "--env-file", str(s.dir / "stack.env"),
                        "--generate", str(N), "--seed", "5", "--update-ratio", "0",
                        "--source-prefix", "bench"], check=True, capture_output=True, timeout=600)
        wait_until(lambda: int(s.scalar("SELECT COUNT(*) FROM matches")) >= N, timeout=600,
                   what="matches loaded")
        base = s.http
        ceiling = ROOT / "static" / "bench-ceiling.json"
        ceiling.write_bytes(s.get("/api/matches/").content)
        ids = [r[0] for r in s.sql("SELECT id FROM matches ORDER BY RAND(1) LIMIT 5000")]
        titles = [r[0] for r in s.sql("SELECT name FROM titles")]
        rnd = random.Random(1)
        lists = s.dir / "list-paths.txt"
        lists.write_text("".join(
            f"/api/matches/?source=bench{rnd.randint(1, 3)}&state={rnd.randint(1, 3)}"
            f"&title={titles[rnd.randrange(len(titles))].strip().replace(' ', '+')}"
            f"&date_start__gte=2020-{rnd.randint(1, 12):02d}-01&page={rnd.randint(1, 3)}"
            f"&page_size=20\n" for _ in range(5000)))
        details = s.dir / "detail-paths.txt"
        details.write_text("".join(f"/api/matches/{i}/\n" for i in ids))
        script = str(ROOT / "bench" / "paths.lua")
        results = {
            "ceiling: static copy of the list": median_of(f"{base}/static/bench-ceiling.json"),
            "hot: /api/matches/ page 1": median_of(f"{base}/api/matches/"),
            "hot: filtered list": median_of(f"{base}/api/matches/?source=bench2&state=2&page_size=20"),
            "hot: /api/matches/{id}/": median_of(f"{base}/api/matches/{ids[0]}/"),
            "cold: filtered lists": median_of(base, script=script, paths=str(lists)),
            "cold: details": median_of(base, script=script, paths=str(details)),
        }
        ceil = results["ceiling: static copy of the list"]["rps"]
        print(f"HTTP through nginx, wrk -t2 -c64, {SECONDS}s x {RUNS} runs (medians), {N} matches")
        print("| endpoint | req/s | of ceiling | p50 ms | p99 ms | non-2xx |")
        print("|---|---|---|---|---|---|")
        for name, r in results.items():
            print(f"| {name} | {r['rps']:.0f} | {100 * r['rps'] / ceil:.0f}% | {r['p50_ms']:.2f} | "
                  f"{r['p99_ms']:.2f} | {r['non2xx']:.0f} |")
        explain(s)
        pid = int(subprocess.run(["pgrep", "-P", (s.dir / "run" / "fcgi.pid").read_text().strip()],
                                 capture_output=True, text=True).stdout.split()[0])
        rss = [l for l in Path(f"/proc/{pid}/status").read_text().splitlines() if l.startswith("VmRSS")]
        print(f"worker RSS after the runs: {rss[0].split()[1]} kB")
        ceiling.unlink()
    finally:
        s.stack("down")


if __name__ == "__main__":
    main()
