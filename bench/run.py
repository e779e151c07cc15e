#!/usr/bin/python3
"""make bench: every figure the README claims, measured on this machine.

1. Consumer: N generated messages (20,000) published into a stopped
   consumer's queue, then the consumer started and timed to its last commit
   (bench/consumer.py); and the rate while publishing concurrently.
2. Search mirror: documents/s into the index (bench/mirror.py), when Java
   and Maven are here.
3. HTTP through nginx with wrk (2 threads, 64 connections, BENCH_SECONDS
   (15) after a BENCH_WARMUP (5) s warm-up (cold search: until the engine's
   JVM has compiled its query path, at most BENCH_SEARCH_WARMUP (180) s; see
   warm_search), BENCH_RUNS (3) runs, medians,
   p50/p99 from --latency): the API, the pages and search, each hot (one URL
   repeated) and cold (a wrk script walking distinct filters or ids), next
   to nginx serving a static file with the bytes of the list response (the
   ceiling), measured in the same run, first and again last: each row's
   share is of the mean of the two.
4. RSS of a worker and of the consumer after the runs.
5. Scale: the list again at 200,000 matches (BENCH_SCALE), with EXPLAIN of
   the count and page query of each filter.

Writes bench/results/<UTC date>.json, .md (the table) and .png (gnuplot),
and the README's performance section between its bench markers.
BENCH_QUICK=1 shortens everything (a smoke run: 2 s runs, 1 run, 2,000
matches, no scale step)."""

import datetime
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(HERE))
import conftest  # noqa: E402
from conftest import Stack, wait_until  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
SECONDS = int(os.environ.get("BENCH_SECONDS", "2" if QUICK else "15"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "1" if QUICK else "5"))
# Cold search is warmed until the engine's JIT has settled (warm_search), at
# most this many seconds.
SEARCH_WARMUP = int(os.environ.get("BENCH_SEARCH_WARMUP", "2" if QUICK else "180"))
SEARCH_WINDOW = 5      # s of wrk per warm-up round
SEARCH_JIT_SETTLED = 0.05  # the JIT's share of a round below which the engine is warm
RUNS = int(os.environ.get("BENCH_RUNS", "1" if QUICK else "3"))
N = int(os.environ.get("BENCH_MATCHES", "2000" if QUICK else "20000"))
SCALE = int(os.environ.get("BENCH_SCALE", "0" if QUICK else "200000"))
RESULTS = HERE / "results"

BENCH_ENV = {
    # ports of its own: it can run beside make run, make test and make test-faults
    "STACK_DIR": str(ROOT / "var" / "bench"), "HTTP_PORT": "27080", "NCHAN_PORT": "27089",
    "MARIADB_PORT": "27307",
    "AMQP_PORT": "27672", "RABBITMQ_MGMT_PORT": "27673", "RABBITMQ_DIST_PORT": "27674",
    "EPMD_PORT": "4395", "SEARCH_PORT": "27201", "SEARCH_TRANSPORT_PORT": "27301",
    "ELASTICSEARCH_URL": "", "ESPORTS_BUILD": str(ROOT / "build"), "FCGI_WORKERS": "2",
}


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ---- wrk ----------------------------------------------------------------------

def to_ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, paths=None, seconds=SECONDS):
    cmd = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency"]
    env = dict(os.environ)
    if paths:
        cmd += ["-s", str(HERE / "paths.lua")]
        env["WRK_PATHS"] = str(paths)
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env=env,
                         timeout=seconds + 120).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    p = {k: to_ms(*re.match(r"([\d.]+)(\w+)", v).groups()) for k, v in lat.items()}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": p["50"], "p99_ms": p["99"],
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


def jit_seconds(pid):
    """The engine JVM's time spent compiling so far (jstat -compiler), or None."""
    try:
        out = subprocess.run(["jstat", "-compiler", str(pid)], capture_output=True, text=True,
                             timeout=30).stdout.split("\n")
        return float(out[1].split()[3])
    except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
        return None


def warm_search(s, url, paths):
    """Rounds of wrk on the cold search paths until the engine is warm. After
    a start the engine's JVM compiles its query path for minutes under load:
    measured, 8.3 s of compiling in an 8 s round, then 3.6, then 0.5, while
    req/s went 541, 646, 753. The rounds stop once the JIT took less than
    SEARCH_JIT_SETTLED of a round, or after SEARCH_WARMUP s. A search answer
    is cached for its second only: warming with the measured paths leaves
    nothing cached for the measurement."""
    pid_file = s.dir / "run" / "search.pid"
    pid = int(pid_file.read_text()) if pid_file.exists() else None
    t0 = time.monotonic()
    last = jit_seconds(pid) if pid else None
    rounds = []
    while True:
        rps = wrk(url, paths, seconds=min(SEARCH_WINDOW, SEARCH_WARMUP))["rps"]
        now = jit_seconds(pid) if pid else None
        jit = None if now is None or last is None else round(now - last, 2)
        rounds.append({"rps": round(rps), "jit_s": jit})
        last = now
        if jit is None or jit < SEARCH_JIT_SETTLED * SEARCH_WINDOW \
                or time.monotonic() - t0 + SEARCH_WINDOW > SEARCH_WARMUP:
            break
    log(f"search warm-up: {len(rounds)} rounds, {rounds}")
    return {"seconds": round(time.monotonic() - t0), "rounds": rounds}


def measure(url, paths=None, warmup=None):
    """wrk after a warm-up: WARMUP s, or warmup() when given."""
    if warmup is None:
        wrk(url, paths, seconds=WARMUP)
        warm = None
    else:
        warm = warmup()
    runs = [wrk(url, paths) for _ in range(RUNS)]
    out = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    out["runs_rps"] = [round(r["rps"]) for r in runs]
    if warm is not None:
        out["warmup"] = warm
    return out


# ---- the stack ------------------------------------------------------------------

def bench_stack():
    conftest.TEST_ENV.update(BENCH_ENV)
    s = Stack()
    s.env.update(BENCH_ENV)
    s.dir = Path(BENCH_ENV["STACK_DIR"])
    return s


def publish_generated(s, n, seed, prefix):
    subprocess.run([str(ROOT / "tools" / "send_msg"), "--env-file", str(s.dir / "stack.env"),
                    "--generate", str(n), "--seed", str(seed), "--update-ratio", "0",
                    "--source-prefix", prefix], check=True, capture_output=True, timeout=1800)


def wait_loaded(s, matches):
    wait_until(lambda: int(s.scalar("SELECT COUNT(*) FROM matches")) >= matches, timeout=1800,
               interval=0.5, what=f"{matches} matches applied")
    if s.es:
        wait_until(lambda: s.scalar("SELECT COUNT(*) FROM search_outbox WHERE parked = 0") == "0",
                   timeout=1800, interval=0.5, what="the mirror caught up")
        import requests
        requests.post(f"{s.es}/esports-matches/_refresh", timeout=120)
        # merge the segments now, not while wrk runs
        requests.post(f"{s.es}/esports-matches/_forcemerge?max_num_segments=1", timeout=600)
    time.sleep(5)  # let MariaDB's purge and the engine settle


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory_kb(pid):
    """RSS, and what the process costs beyond what it shares: PSS (shared
    pages split among their users) and USS (its private pages alone), from
    /proc/PID/smaps_rollup."""
    f = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        k, v = line.split(":", 1)
        f[k] = int(v.split()[0])
    return {"rss_kb": f.get("Rss", 0), "pss_kb": f.get("Pss", 0),
            "uss_kb": f.get("Private_Clean", 0) + f.get("Private_Dirty", 0)}


def idle_workers_kb(s):
    """memory_kb of each worker once it has been idle a little longer than
    its IDLE_TRIM_MS (fcgi/dispatch.c: then the heap's free pages are given
    back), i.e. what it keeps between bursts."""
    time.sleep(1.5)
    return [memory_kb(p) for p in worker_pids(s)]


def worker_pids(s):
    mw = (s.dir / "run" / "fcgi.pid").read_text().strip()
    return [int(p) for p in subprocess.run(["pgrep", "-P", mw], capture_output=True,
                                           text=True).stdout.split()]


# ---- 1. consumer ------------------------------------------------------------------

def consumer_figures():
    import consumer
    consumer.BENCH_ENV.update({k: v for k, v in BENCH_ENV.items() if k in consumer.BENCH_ENV})
    runs = [consumer.run_once(N) for _ in range(RUNS)]
    med = lambda k: statistics.median(r[k] for r in runs)
    out = {"messages": N, "msgs_per_s": med("msgs_per_s"),
           "runs_msgs_per_s": [r["msgs_per_s"] for r in runs],
           "msgs_per_s_linked": med("msgs_per_s_linked"),
           "consumer_rss_kb": med("consumer_rss_kb"),
           "send_msg_msgs_per_s": med("send_msg_publish_msgs_per_s_with_confirms"),
           "cpu_seconds_while_draining": runs[len(runs) // 2]["cpu_seconds_while_draining"]}
    out["concurrent"] = concurrent_figures()
    return out


def concurrent_figures():
    """The consumer running while send_msg publishes: from the first publish
    to the last commit."""
    rates = []
    for _ in range(RUNS):
        s = bench_stack()
        s.stack("down", "--purge")
        s.stack("up", "mariadb", "rabbitmq", "consumer")
        s.load_env()
        try:
            t0 = time.monotonic()
            p = subprocess.Popen([str(ROOT / "tools" / "send_msg"), "--env-file",
                                  str(s.dir / "stack.env"), "--generate", str(N), "--seed", "42",
                                  "--update-ratio", "0.3"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_until(lambda: int(s.scalar("SELECT messages_applied + messages_rejected "
                                            "FROM consumer_status")) >= N,
                       timeout=600, interval=0.02, what="all committed")
            rates.append(round(N / (time.monotonic() - t0)))
            p.wait(timeout=60)
        finally:
            s.stack("down")
    return {"msgs_per_s": statistics.median(rates), "runs_msgs_per_s": rates}


# ---- 1b. record linkage --------------------------------------------------------

def linking_figures():
    import linking
    return linking.run()


def linking_md(results):
    import linking
    return linking.markdown(results).rstrip("\n")


# ---- 2. mirror ---------------------------------------------------------------------

def mirror_figures():
    if not (shutil.which("java") and shutil.which("javac") and shutil.which("mvn")):
        return {"skipped": "no java/javac/mvn here"}
    import mirror
    runs = [mirror.run_once(N) for _ in range(RUNS)]
    med = lambda k: statistics.median(r[k] for r in runs if r[k] is not None)
    return {"messages": N, "documents_per_s": med("mirror_docs_per_s_after_ingest"),
            "ingest_msgs_per_s_with_mirror": med("ingest_msgs_per_s_with_mirror"),
            "seconds_until_index_complete": med("seconds_until_index_complete")}


# ---- live push (bench/live.py, a stack of its own) -----------------------------------

def live_figures():
    if os.environ.get("BENCH_LIVE") == "0":
        return {"skipped": "BENCH_LIVE=0"}
    if not Path("/usr/lib/nginx/modules/ngx_nchan_module.so").exists():
        return {"skipped": "no nchan module (libnginx-mod-nchan)"}
    import live
    saved = dict(BENCH_ENV)
    try:
        return live.figures()
    finally:
        BENCH_ENV.clear()
        BENCH_ENV.update(saved)
        conftest.TEST_ENV.update(saved)


# ---- 3. HTTP -------------------------------------------------------------------------

def cold_paths(s, name, lines):
    f = s.dir / f"paths-{name}.txt"
    f.write_text("".join(line + "\n" for line in lines))
    return f


def http_figures(s, scale_only=False):
    base = s.http
    rnd = random.Random(1)
    ids = [r[0] for r in s.sql("SELECT id FROM matches ORDER BY RAND(1) LIMIT 5000")]
    titles = [r[0] for r in s.sql("SELECT id FROM titles")]
    teams = [r[0] for r in s.sql("SELECT name FROM teams ORDER BY RAND(2) LIMIT 500")]
    filters = [f"source=bench{rnd.randint(1, 3)}&state={rnd.randint(1, 3)}"
               f"&title_id={rnd.choice(titles)}&date_start__gte=2020-{rnd.randint(1, 12):02d}-01"
               f"&page={rnd.randint(1, 3)}&page_size=20" for _ in range(5000)]
    ceiling = ROOT / "static" / "bench-ceiling.json"
    ceiling.write_bytes(s.get("/api/matches/").content)
    hot_filter = "source=bench2&state=2&page_size=20"
    cases = {CEILING: (f"{base}/static/bench-ceiling.json", None),
             "hot: /api/matches/ page 1": (f"{base}/api/matches/", None),
             "hot: /api/matches/ filtered": (f"{base}/api/matches/?{hot_filter}", None),
             "cold: /api/matches/ filtered": (base, cold_paths(s, "list", [
                 f"/api/matches/?{f}" for f in filters]))}
    if not scale_only:
        cases.update({
            "hot: /api/matches/{id}/": (f"{base}/api/matches/{ids[0]}/", None),
            "cold: /api/matches/{id}/": (base, cold_paths(s, "detail", [
                f"/api/matches/{i}/" for i in ids])),
            "hot: / (list page)": (f"{base}/", None),
            "cold: / filtered": (base, cold_paths(s, "page-list", [f"/?{f}" for f in filters])),
            "hot: /matches/{id}/": (f"{base}/matches/{ids[0]}/", None),
            "cold: /matches/{id}/": (base, cold_paths(s, "page-detail", [
                f"/matches/{i}/" for i in ids])),
        })
        if s.es:
            cases.update({
                "hot: /api/search/?q=": (f"{base}/api/search/?q=team+12", None),
                "cold: /api/search/?q=": (base, cold_paths(s, "search", [
                    "/api/search/?q=" + t.replace(" ", "+") + f"&page={rnd.randint(1, 2)}"
                    for t in teams])),
            })
    out = {}
    try:
        for name, (url, paths) in cases.items():
            log(f"wrk {name}")
            warm = (lambda: warm_search(s, url, paths)) if name.startswith("cold: /api/search/") \
                else None
            out[name] = measure(url, paths, warm)
        # the ceiling again after the rest: a shared machine's speed drifts
        # over the minutes of a run, so each row is against their mean
        log(f"wrk {CEILING_AFTER}")
        out[CEILING_AFTER] = measure(f"{base}/static/bench-ceiling.json", None, None)
    finally:
        ceiling.unlink()
    ceil = ceiling_rps(out)
    for r in out.values():
        r["of_ceiling"] = round(r["rps"] / ceil, 3)
    return out


CEILING = "ceiling: static copy of the list"
CEILING_AFTER = "ceiling again, after the other rows"


def ceiling_rps(http, names=(CEILING, CEILING_AFTER)):
    """The mean of the ceiling measured first and last (only the first in
    results from before both were measured)."""
    runs = [http[k]["rps"] for k in names if k in http]
    return sum(runs) / len(runs)


# ---- 3b. reads while the consumer ingests -------------------------------------

INGEST_RATE = int(os.environ.get("BENCH_INGEST_RATE", "2000"))


def while_ingesting(s, window_ms):
    """The hot list with the consumer applying a paced feed (INGEST_RATE
    messages/s, updates of the loaded matches): each commit moves
    data_version and so drops every worker's cached responses, which is what
    the group-commit window (COMMIT_WINDOW_MS) bounds. Returns wrk's figures
    and the commits per second during the run."""
    s.stack("down", "consumer")
    s.stack("up", "consumer", env={"COMMIT_WINDOW_MS": str(window_ms)})
    n = INGEST_RATE * (WARMUP + SECONDS * RUNS + 10)
    p = subprocess.Popen([str(ROOT / "tools" / "send_msg"), "--env-file", str(s.dir / "stack.env"),
                          "--generate", str(n), "--seed", "5", "--update-ratio", "1",
                          "--source-prefix", "bench", "--rate", str(INGEST_RATE)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: int(s.scalar("SELECT COUNT(*) FROM messages")) > N + INGEST_RATE,
                   timeout=120, what="the paced feed flowing")
        v0, t0 = int(s.scalar("SELECT data_version FROM consumer_status")), time.monotonic()
        r = measure(f"{s.http}/api/matches/")
        v1, t1 = int(s.scalar("SELECT data_version FROM consumer_status")), time.monotonic()
    finally:
        p.terminate()
        p.wait(timeout=60)
    r["commits_per_s"] = round((v1 - v0) / (t1 - t0), 1)
    r["commit_window_ms"] = window_ms
    r["ingest_rate"] = INGEST_RATE
    return r


def ingest_figures(s, idle):
    out = {"idle": idle}
    for window in (0, 25):
        log(f"wrk hot list while ingesting, COMMIT_WINDOW_MS={window}")
        out[f"window_{window}ms"] = while_ingesting(s, window)
        out[f"window_{window}ms"]["of_idle"] = round(out[f"window_{window}ms"]["rps"] / idle["rps"], 3)
    s.stack("down", "consumer")
    s.stack("up", "consumer")
    return out


# The list's WHERE clause as the workers run it (db_matches.c), parameters
# written in as the server sees them once bound: unset filters are NULL.
WHERE = ("(%(title_id)s IS NULL OR m.title_id = %(title_id)s)"
         " AND (%(title_key)s IS NULL OR m.title_id = (SELECT id FROM titles WHERE name_key = %(title_key)s))"
         " AND (%(state)s IS NULL OR m.state = %(state)s)"
         " AND (%(gte)s IS NULL OR m.date_start >= CAST(%(gte)s AS DATETIME))"
         " AND (%(team_id)s IS NULL OR EXISTS (SELECT 1 FROM match_teams mt WHERE mt.match_id = m.id"
         " AND mt.team_id = %(team_id)s))"
         " AND (%(source)s IS NULL OR m.source_id = (SELECT id FROM sources WHERE name = %(source)s))")


def explain(s):
    """EXPLAIN of the count and of the default-ordered page for each filter."""
    base = {"title_id": "NULL", "title_key": "NULL", "state": "NULL", "gte": "NULL",
            "team_id": "NULL", "source": "NULL"}
    cases = {"no filter (count read from consumer_status.matches_total)": {},
             "title (name)": {"title_key": "'overcooked'"}, "title (id)": {"title_id": "1"},
             "state": {"state": "2"}, "date_start__gte": {"gte": "'2020-06-01 00:00:00'"},
             "team (id)": {"team_id": "5"}, "source": {"source": "'bench2'"}}
    out = {}
    for name, over in cases.items():
        where = WHERE % dict(base, **over)
        plans = {}
        for kind, q in (("count", f"SELECT COUNT(*) FROM matches m WHERE {where}"),
                        ("page", f"SELECT m.id FROM matches m WHERE {where} "
                                 "ORDER BY m.date_start DESC, m.id DESC LIMIT 50")):
            row = s.sql("EXPLAIN " + q)[0]
            plans[kind] = {"key": row[5], "rows": row[8], "extra": row[9]}
        out[name] = plans
    return out


# ---- output ----------------------------------------------------------------------------

def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": mem,
            "kernel": platform.release(), "os": "Debian " + Path("/etc/debian_version").read_text().strip()}


def table(http):
    lines = ["| endpoint | req/s | of ceiling | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for name, r in http.items():
        lines.append(f"| {name} | {r['rps']:,.0f} | {100 * r['of_ceiling']:.0f}% | "
                     f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} |")
    return "\n".join(lines)


def markdown(res):
    m = res["machine"]
    c = res["consumer"]
    out = [f"Measured {res['date']} on {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
           f"{m['os']}; wrk -t2 -c64, {SECONDS} s after a {WARMUP} s warm-up (cold search: until "
           f"the engine's JIT settled, at most {SEARCH_WARMUP} s), {RUNS} runs, medians; "
           f"{res['matches']:,} matches.", "",
           table(res["http"]), "",
           f"- Consumer, {c['messages']:,} messages from a full queue: **{c['msgs_per_s']:,.0f} msgs/s** "
           f"(runs {c['runs_msgs_per_s']}), {c['msgs_per_s_linked']:,.0f} msgs/s to the last "
           f"slice of the linker; while send_msg publishes concurrently: "
           f"**{c['concurrent']['msgs_per_s']:,.0f} msgs/s**; send_msg with confirms "
           f"{c['send_msg_msgs_per_s']:,.0f} msgs/s.",
           f"- RSS after the runs (idle 1.5 s): worker **{res['memory']['worker_rss_kb'] / 1024:.1f} MB** "
           f"(PSS {res['memory'].get('worker_pss_kb', 0) / 1024:.1f} MB, "
           f"USS {res['memory'].get('worker_uss_kb', 0) / 1024:.1f} MB private), "
           f"consumer **{res['memory']['consumer_rss_kb'] / 1024:.1f} MB**."]
    lk = res.get("linking")
    if lk:
        out += ["", "Record linkage (bench/linking.py, fixtures-mode messages, seeds the tests do not use):",
                "", linking_md(lk)]
    mi = res.get("mirror", {})
    if "documents_per_s" in mi:
        out.append(f"- Search mirror: **{mi['documents_per_s']:,.0f} documents/s** into the index; "
                   f"ingest with the mirror on {mi['ingest_msgs_per_s_with_mirror']:,.0f} msgs/s.")
    elif mi:
        out.append(f"- Search mirror: skipped ({mi.get('skipped')}).")
    ing = res.get("ingest")
    if ing:
        parts = [f"COMMIT_WINDOW_MS={r['commit_window_ms']}: {r['rps']:,.0f} req/s "
                 f"({100 * r['of_idle']:.0f}% of idle, p99 {r['p99_ms']:.1f} ms, "
                 f"{r['commits_per_s']:,.0f} commits/s)"
                 for k, r in ing.items() if k != "idle"]
        out.append(f"- Hot `/api/matches/` while the consumer applies {ing['window_0ms']['ingest_rate']:,} "
                   f"updates/s: idle {ing['idle']['rps']:,.0f} req/s; " + "; ".join(parts) + ".")
    if res.get("scale"):
        sc = res["scale"]
        out += ["", f"At {sc['matches']:,} matches (the list endpoint):", "", table(sc["http"]), ""]
        out.append("EXPLAIN at that size (key, estimated rows) for the count and the default-ordered page:")
        out.append("")
        for name, p in sc["explain"].items():
            out.append(f"- {name}: count `{p['count']['key']}` ({p['count']['rows']} rows, "
                       f"{p['count']['extra']}); page `{p['page']['key']}` ({p['page']['rows']} rows, "
                       f"{p['page']['extra']})")
    return "\n".join(out) + "\n"


def chart(res, png):
    if not shutil.which("gnuplot"):
        log("no gnuplot: no chart")
        return False
    dat = png.with_suffix(".dat")
    with dat.open("w") as f:
        for name, r in res["http"].items():
            f.write(f"\"{name.replace('_', ' ')}\" {r['rps']:.0f}\n")
    ceil = ceiling_rps(res["http"])
    script = f"""
set terminal pngcairo noenhanced size 1100,620 font "sans,10"
set output "{png}"
set title "Requests/s through nginx (wrk -t2 -c64) against the static ceiling, {res['matches']:,} matches"
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:*]
set ylabel "req/s"
set xtics rotate by -35 left
set grid ytics
set key off
set bmargin 12
set rmargin 10
plot "{dat}" using 0:2:xtic(1) with boxes lc rgb "#0b5cad", \\
     {ceil} with lines lw 2 dt 2 lc rgb "#a4161a", \\
     "{dat}" using 0:2:(sprintf("%.0f", $2)) with labels offset 0,0.7 font "sans,8"
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    dat.unlink()
    if r.returncode != 0:
        log("gnuplot failed: " + r.stderr.strip())
        return False
    return True


def update_readme(md, png):
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start not in text or end not in text:
        log("README has no bench markers: not updated")
        return
    body = md
    if png:
        body += f"\n![req/s per endpoint against the ceiling](bench/results/{png.name})\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{body}{end}{tail}")


# ---- main ------------------------------------------------------------------------------

def main():
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    res = {"date": date, "machine": machine(), "matches": N,
           "settings": {"seconds": SECONDS, "warmup": WARMUP, "search_warmup": SEARCH_WARMUP,
                        "runs": RUNS,
                        "wrk": "-t2 -c64 --latency", "fcgi_workers": 2}}
    log("consumer")
    res["consumer"] = consumer_figures()
    log("search mirror")
    res["mirror"] = mirror_figures()
    log("record linkage")
    res["linking"] = linking_figures()
    log("live push")
    res["live"] = live_figures()

    s = bench_stack()
    s.stack("down", "--purge")
    s.stack("up")
    s.load_env()
    try:
        log(f"loading {N} matches")
        publish_generated(s, N, 5, "bench")
        wait_loaded(s, N)
        res["http"] = http_figures(s)
        res["ingest"] = ingest_figures(s, res["http"]["hot: /api/matches/ page 1"])
        workers = idle_workers_kb(s)
        res["memory"] = {"worker_rss_kb": max(w["rss_kb"] for w in workers),
                         "worker_pss_kb": max(w["pss_kb"] for w in workers),
                         "worker_uss_kb": max(w["uss_kb"] for w in workers),
                         "consumer_rss_kb": rss_kb(int((s.dir / "run" / "consumer.pid").read_text()))}
        if SCALE > N:
            log(f"loading {SCALE - N} more matches")
            publish_generated(s, SCALE - N, 6, "scale")
            wait_loaded(s, SCALE)
            s.sql("ANALYZE TABLE matches, match_teams, titles, sources")
            res["scale"] = {"matches": SCALE, "http": http_figures(s, scale_only=True),
                            "explain": explain(s)}
    finally:
        s.stack("down")

    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / date
    (stem.with_suffix(".json")).write_text(json.dumps(res, indent=1) + "\n")
    md = markdown(res)
    stem.with_suffix(".md").write_text(md)
    png = stem.with_suffix(".png")
    have_png = chart(res, png)
    update_readme(md, png if have_png else None)
    print(md)
    log(f"wrote {stem}.json, .md{', .png' if have_png else ''} and the README's section")


if __name__ == "__main__":
    main()
