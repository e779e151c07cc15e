"""bench/http_quick.py: the short HTTP figures, minutes instead of make
bench's half hour: the static ceiling, the hot list and the hot detail
through nginx (wrk -t2 -c64, as bench/run.py measures them), and what each
FastCGI worker costs in memory (RSS, PSS, USS from /proc/PID/smaps_rollup).
The ceiling is measured first and again last; the shares are of its mean.

    build/venv/bin/python bench/http_quick.py

Settings (environment): BENCH_SECONDS [5] per run, BENCH_WARMUP [2],
BENCH_RUNS [1], BENCH_MATCHES [2000]; BENCH_STACK_DIR [var/bench-quick] and
BENCH_HTTP_PORT [27180], BENCH_MARIADB_PORT [+1], BENCH_AMQP_PORT [+2,
management and distribution the two after it], BENCH_EPMD_PORT [4396] give
it a stack of its own; FCGI_WORKERS [2] and FCGI_THREADS [4]. BENCH_SEARCH=1 starts the
search engine too and adds cold /api/search/ (distinct team names, facets
included; warmed until the engine's JIT settled, as make bench does). BENCH_KEEP_STACK=1 leaves the stack running afterwards (for wrk or
perf by hand; `STACK_DIR=var/bench-quick tools/stack down` stops it). Prints one JSON object.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("BENCH_SECONDS", "5")
os.environ.setdefault("BENCH_WARMUP", "2")
os.environ.setdefault("BENCH_RUNS", "1")
os.environ.setdefault("BENCH_MATCHES", "2000")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402

port = int(os.environ.get("BENCH_HTTP_PORT", "27180"))
amqp = int(os.environ.get("BENCH_AMQP_PORT", str(port + 2)))
run.BENCH_ENV.update({
    "STACK_DIR": os.environ.get("BENCH_STACK_DIR", str(run.ROOT / "var" / "bench-quick")),
    "HTTP_PORT": str(port), "NCHAN_PORT": str(port + 9),
    "MARIADB_PORT": os.environ.get("BENCH_MARIADB_PORT", str(port + 1)),
    "AMQP_PORT": str(amqp), "RABBITMQ_MGMT_PORT": str(amqp + 1), "RABBITMQ_DIST_PORT": str(amqp + 2),
    "EPMD_PORT": os.environ.get("BENCH_EPMD_PORT", "4396"),
    "SEARCH_PORT": str(port + 5), "SEARCH_TRANSPORT_PORT": str(port + 6),
    "FCGI_WORKERS": os.environ.get("FCGI_WORKERS", "2"),
    "FCGI_THREADS": os.environ.get("FCGI_THREADS", "4"),
    "ESPORTS_BUILD": os.environ.get("ESPORTS_BUILD", str(run.ROOT / "build")),
})


def main():
    s = run.bench_stack()
    s.stack("down", "--purge")
    search = os.environ.get("BENCH_SEARCH") == "1"
    s.stack("up", "mariadb", "rabbitmq", *(["search"] if search else []), "fcgi", "nginx",
            "consumer")
    s.load_env()
    res = {"matches": run.N, "seconds": run.SECONDS, "runs": run.RUNS,
           "fcgi_workers": run.BENCH_ENV["FCGI_WORKERS"],
           "fcgi_threads": run.BENCH_ENV["FCGI_THREADS"]}
    try:
        run.publish_generated(s, run.N, 5, "bench")
        run.wait_loaded(s, run.N)
        base = s.http
        mid = s.sql("SELECT id FROM matches ORDER BY id LIMIT 1")[0][0]
        ceiling = run.ROOT / "static" / "bench-ceiling.json"
        ceiling.write_bytes(s.get("/api/matches/?page=1").content)
        cases = {"ceiling": f"{base}/static/bench-ceiling.json",
                 "hot list": f"{base}/api/matches/?page=1",
                 "hot detail": f"{base}/api/matches/{mid}/"}
        paths = {}
        if search:
            teams = [r[0] for r in s.sql("SELECT name FROM teams ORDER BY RAND(2) LIMIT 500")]
            cases["cold search"] = base
            paths["cold search"] = run.cold_paths(s, "search", [
                "/api/search/?q=" + t.replace(" ", "+") for t in teams])
        http = {}
        try:
            for name, url in cases.items():
                run.log(f"wrk {name}")
                warm = (lambda: run.warm_search(s, url, paths[name])) \
                    if name == "cold search" else None
                http[name] = run.measure(url, paths.get(name), warm)
            run.log("wrk ceiling again")
            http["ceiling again"] = run.measure(cases["ceiling"], None, None)
        finally:
            ceiling.unlink()
        ceil = run.ceiling_rps(http, ("ceiling", "ceiling again"))
        for r in http.values():
            r["of_ceiling"] = round(r["rps"] / ceil, 3)
        res["http"] = http
        res["workers"] = [run.memory_kb(p) for p in run.worker_pids(s)]
        res["workers_idle"] = run.idle_workers_kb(s)
    finally:
        if os.environ.get("BENCH_KEEP_STACK") != "1":
            s.stack("down")
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
