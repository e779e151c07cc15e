"""The JSON API through nginx, with data loaded by publishing real messages
through the consumer."""

import http.client
import json
import os
import signal
import subprocess
import time
import urllib.parse

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import BUILD, fcgi_get, tag, wait_until
from gen import generate

PREFIX = tag("apisrc")  # this module's sources: PREFIX1..3


@pytest.fixture(scope="module")
def data(stack, fixtures):
    """The four samples plus 400 generated matches of sources apisrc1..3."""
    bodies = [(fixtures / f"message{i}.json").read_bytes() for i in range(1, 5)]
    bodies += generate(400, seed=21, prefix=PREFIX)
    stack.publish_applied(bodies)
    return stack


def get(stack, path, **params):
    return stack.get(path, params=params)


def ids(r):
    return [m["id"] for m in r.json()["results"]]


def sample_id(stack, source, ext):
    return int(stack.scalar(f"SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
                            f"WHERE s.name = '{source}' AND m.external_id = '{ext}'"))


def all_of(stack, **params):
    """Every result of a filtered list, walking the pages by their next links."""
    out, r = [], get(stack, "/api/matches/", page_size=500, **params)
    while True:
        assert r.status_code == 200, r.text
        out += r.json()["results"]
        if not r.json()["next"]:
            return out
        r = requests.get(r.json()["next"], timeout=10)


def test_detail_of_the_sample_match(data):
    mid = sample_id(data, "source1", "1")
    r = get(data, f"/api/matches/{mid}/")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    m = r.json()
    updated = m.pop("updated_at")
    assert updated.endswith("Z")
    tour = m.pop("tournament")
    title = m.pop("title")
    teams = m.pop("teams")
    # its fixture: its own id, or the smallest id of the reports linked to it
    fixture = m.pop("fixture_id")
    assert isinstance(fixture, int) and 1 <= fixture <= mid
    assert m == {"id": mid, "source": "source1", "external_id": "1",
                 "url": "https://www.source1.org/matches/1/", "state": 2, "bestof": 3,
                 "date_start": "2020-01-07T15:00:00Z"}
    assert tour["name"] == "Overbayes Season 1 - Group Stage" and title["name"] == "Overcooked"
    assert [(t["name"], t["score"], t["winner"]) for t in teams] == [
        ("Bayes Team 2", 2, True), ("Bayes Team 3", 0, False)]


def test_unknown_ids_are_404(data):
    for path in ("/api/matches/999999999/", "/api/matches/999999999/messages/",
                 "/api/matches/abc/", "/api/matches/1x/", "/api/nothing/"):
        r = get(data, path)
        assert r.status_code == 404, path
        assert r.json() == {"detail": "Not found."}


def test_provenance_is_byte_identical(data, fixtures):
    mid = sample_id(data, "source1", "1")
    r = get(data, f"/api/matches/{mid}/messages/")
    assert r.status_code == 200
    msgs = r.json()["results"]
    payloads = [m["payload"].encode() for m in msgs]
    m1 = (fixtures / "message1.json").read_bytes()
    m2 = (fixtures / "message2.json").read_bytes()
    # published at least once by this module; the pairs come in the order applied
    assert payloads[-2:] == [m1, m2]
    assert msgs[-1]["json"]["data"]["state"] == 2  # parsed, despite the trailing commas
    assert all(m["status"] == "applied" and m["received_at"].endswith("Z") for m in msgs)
    assert [m["id"] for m in msgs] == sorted(m["id"] for m in msgs)


def test_list_envelope_and_default_ordering(data):
    r = get(data, "/api/matches/")
    body = r.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) == 50 and body["previous"] is None
    assert body["count"] == int(data.scalar("SELECT COUNT(*) FROM matches"))
    # the unfiltered count is the one the consumer keeps: it must match the table
    assert int(data.scalar("SELECT matches_total FROM consumer_status")) == body["count"]
    keys = [(m["date_start"] or "", m["id"]) for m in body["results"]]
    assert keys == sorted(keys, reverse=True)  # -date_start, ties by id


@pytest.mark.parametrize("ordering,key,rev", [
    ("date_start", lambda m: (m["date_start"] or "", m["id"]), False),
    ("-date_start", lambda m: (m["date_start"] or "", m["id"]), True),
    ("id", lambda m: m["id"], False), ("-id", lambda m: m["id"], True)])
def test_ordering(data, ordering, key, rev):
    got = all_of(data, source=f"{PREFIX}1", ordering=ordering)
    assert got == sorted(got, key=key, reverse=rev)


def db_ids(stack, where):
    rows = stack.sql(f"SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
                     f"LEFT JOIN titles ti ON ti.id = m.title_id "
                     f"LEFT JOIN tournaments tn ON tn.id = m.tournament_id WHERE {where}")
    return sorted(int(r[0]) for r in rows)


def test_each_filter_alone(data):
    def check(params, where):
        got = sorted(m["id"] for m in all_of(data, **params))
        assert got == db_ids(data, where), params
        assert got, params  # the filter selects something
    check({"title": " overCOOKED "}, "ti.name_key = 'overcooked'")
    tid = int(data.scalar("SELECT id FROM titles WHERE name_key = 'overcooked2'"))
    check({"title_id": str(tid)}, f"m.title_id = {tid}")
    check({"tournament": "overbayes premium series"}, "tn.name_key = 'overbayes premium series'")
    toid = int(data.scalar("SELECT id FROM tournaments WHERE name = 'Overbayes Season 1 - Group Stage'"))
    check({"tournament_id": str(toid)}, f"m.tournament_id = {toid}")
    check({"state": "2"}, "m.state = 2")
    check({"date_start__gte": "2020-06-01"}, "m.date_start >= '2020-06-01'")
    check({"date_start__lte": "2020-01-07"}, "m.date_start <= '2020-01-07 23:59:59'")
    check({"date_start__gte": "2020-01-07T15:00:00Z", "date_start__lte": "2020-01-07 15:00:00"},
          "m.date_start = '2020-01-07 15:00:00'")
    check({"date_start__gte": "2020-01-07T16:00:00+01:00", "date_start__lte": "2020-01-07T15:00:00"},
          "m.date_start = '2020-01-07 15:00:00'")
    check({"team": "bayes team 3"}, "EXISTS (SELECT 1 FROM match_teams mt JOIN teams t ON "
          "t.id = mt.team_id WHERE mt.match_id = m.id AND t.name_key = 'bayes team 3')")
    team = int(data.scalar("SELECT id FROM teams WHERE name = 'Bayes Team' LIMIT 1"))
    check({"team_id": str(team)}, f"EXISTS (SELECT 1 FROM match_teams mt WHERE mt.match_id = m.id "
          f"AND mt.team_id = {team})")
    check({"source": "source3"}, "s.name = 'source3'")


def test_filters_combined(data):
    got = sorted(m["id"] for m in all_of(data, source=f"{PREFIX}2", state="3", title="Rocket League"))
    assert got == db_ids(data, f"s.name = '{PREFIX}2' AND m.state = 3 AND ti.name_key = 'rocketleague'")
    assert get(data, "/api/matches/", source="source1", state="1").json()["count"] == 0


def test_pagination_edges(data):
    q = {"source": f"{PREFIX}1", "page_size": "7"}
    first = get(data, "/api/matches/", **q).json()
    count = first["count"]
    last_page = (count + 6) // 7
    nxt = urllib.parse.urlparse(first["next"])
    assert nxt.scheme == "http" and nxt.netloc == urllib.parse.urlparse(data.http).netloc
    assert urllib.parse.parse_qs(nxt.query) == {"source": [f"{PREFIX}1"], "page_size": ["7"], "page": ["2"]}
    last = get(data, "/api/matches/", page=last_page, **q).json()
    assert last["next"] is None and len(last["results"]) == count - 7 * (last_page - 1)
    assert "page=" in last["previous"]
    r = get(data, "/api/matches/", page=last_page + 1, **q)
    assert r.status_code == 404 and r.json() == {"detail": "Invalid page."}
    assert len(get(data, "/api/matches/", page_size=500).json()["results"]) == min(500, first["count"] * 0 + int(data.scalar("SELECT COUNT(*) FROM matches")))
    prev = urllib.parse.urlparse(get(data, "/api/matches/", page=2, **q).json()["previous"])
    assert "page" not in urllib.parse.parse_qs(prev.query)  # page 1 has no page parameter


def test_forwarded_proto_and_host(data):
    # the same URL asked for directly first: the cached answer must not leak
    # its links to a client behind a proxy
    direct = data.get("/api/matches/", params={"page_size": 1})
    assert direct.json()["next"].startswith(data.http + "/api/matches/")
    # a client's own X-Forwarded-* are not believed (only a trusted proxy's:
    # test_contract.py), so the links keep the request's own host
    r = data.get("/api/matches/", params={"page_size": 1},
                 headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "matches.example"})
    assert r.json()["next"].startswith(data.http + "/api/matches/?page_size=1&page=2")


def test_reference_lists(data):
    titles = {t["name"]: t for t in get(data, "/api/titles/", page_size=500).json()["results"]}
    n = int(data.scalar("SELECT COUNT(*) FROM matches m JOIN titles t ON t.id = m.title_id "
                        "WHERE t.name_key = 'overcooked'"))
    assert titles["Overcooked"]["match_count"] == n
    tours = get(data, "/api/tournaments/", page_size=500).json()
    assert tours["count"] == int(data.scalar("SELECT COUNT(*) FROM tournaments"))
    assert {"id", "name", "source", "match_count"} == set(tours["results"][0])
    teams = get(data, "/api/teams/", page_size=2).json()
    assert teams["count"] == int(data.scalar("SELECT COUNT(*) FROM teams"))
    assert len(teams["results"]) == 2 and "page=2" in teams["next"]
    assert get(data, "/api/teams/", page=0).status_code == 400


BAD = [
    ({"state": "abc"}, "state"), ({"page": "0"}, "page"), ({"page": "-1"}, "page"),
    ({"page_size": "100000"}, "page_size"), ({"page_size": "0"}, "page_size"),
    ({"date_start__gte": "2020-13-45"}, "date_start__gte"),
    ({"date_start__lte": "yesterday"}, "date_start__lte"),
    ({"ordering": "foo"}, "ordering"), ({"title": "x" * 10240}, "title"),
    ({"title_id": "0"}, "title_id"),
]


@pytest.mark.parametrize("params,name", BAD)
def test_bad_values_are_400_naming_the_parameter(data, params, name):
    r = get(data, "/api/matches/", **params)
    assert r.status_code == 400
    body = r.json()
    assert body["detail"] == "Invalid query parameters."
    assert list(body["errors"]) == [name]


@pytest.mark.parametrize("raw,name", [
    ("state=%zz", "state"), ("title=%ff%fe", "title"), ("state=1&state=2", "state"),
    ("team=%00", "team"), ("%zz=1", "query")])
def test_bad_query_strings_are_400(data, raw, name):
    # http.client sends the query as is (requests would re-quote a bad escape)
    conn = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlparse(data.http).port, timeout=10)
    conn.request("GET", f"/api/matches/?{raw}")
    r = conn.getresponse()
    body = json.loads(r.read())
    conn.close()
    assert r.status == 400
    assert list(body["errors"]) == [name]


def test_unknown_parameters_are_ignored(data):
    a = get(data, "/api/matches/", source="source3").json()
    b = get(data, "/api/matches/", source="source3", foo="bar", format="json").json()
    assert a == b


INJECTIONS = ["1 OR 1=1", "' OR '1'='1", "1; DROP TABLE matches; --", "\" OR \"\"=\"",
              "1' UNION SELECT id FROM sources --", "%' OR 1=1 #"]


def test_sql_injection_changes_nothing(data):
    before = data.sql("SELECT COUNT(*), SUM(id), MAX(updated_at) FROM matches")
    for value in INJECTIONS:
        for param in ("title", "tournament", "team", "source", "state", "date_start__gte",
                      "date_start__lte", "ordering", "page", "page_size"):
            r = get(data, "/api/matches/", **{param: value})
            assert r.status_code in (200, 400), (param, value, r.status_code)
            if r.status_code == 200:
                assert r.json()["count"] == 0, (param, value)
    assert data.sql("SELECT COUNT(*), SUM(id), MAX(updated_at) FROM matches") == before


def test_etag_and_304(data):
    r = get(data, "/api/matches/", source="source2")
    etag = r.headers["ETag"]
    assert r.headers["Cache-Control"] == "public, max-age=5"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    r2 = data.get("/api/matches/", params={"source": "source2"}, headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    r3 = data.get("/api/matches/", params={"source": "source2"}, headers={"If-None-Match": '"x"'})
    assert r3.status_code == 200


def test_head_and_methods(data):
    g = get(data, "/api/matches/", source="source2")
    h = requests.head(f"{data.http}/api/matches/?source=source2", timeout=10)
    assert h.status_code == 200 and h.content == b""
    assert h.headers["ETag"] == g.headers["ETag"]
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = requests.request(method, f"{data.http}/api/matches/", timeout=10)
        assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"


def test_metrics_parse_as_prometheus_text(data):
    get(data, "/api/matches/")
    r = get(data, "/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    fams = {f.name: f for f in text_string_to_metric_families(r.text)}
    reqs = [s for s in fams["esports_http_requests"].samples
            if s.labels.get("route") == "/api/matches/" and s.labels.get("status") == "200"]
    assert reqs and reqs[0].value >= 1
    assert "esports_http_request_duration_seconds" in fams
    assert "esports_database_errors" in fams
    applied = fams["esports_consumer_messages_applied"].samples[0].value
    assert applied == int(data.scalar("SELECT messages_applied FROM consumer_status"))
    assert "esports_consumer_last_applied_timestamp_seconds" in fams


def test_database_down_is_503_and_workers_recover(data):
    # responses cached before it went down stay right (no commit can happen
    # without it) and are still served; new requests need the database
    cached = get(data, "/api/matches/", source="source1")
    assert cached.status_code == 200
    data.stack("down", "mariadb")
    try:
        r = wait_until(lambda: (lambda r: (r,) if r.status_code == 503 else None)(
            get(data, "/api/matches/", page_size=7)), timeout=30, what="503")[0]
        assert r.json()["detail"] == "The database is unavailable, try again shortly."
        # a worker that cached it still serves it, unchanged; the others say 503
        for _ in range(10):
            again = get(data, "/api/matches/", source="source1")
            assert again.status_code in (200, 503)
            if again.status_code == 200:
                assert again.json() == cached.json()
    finally:
        data.stack("up", "mariadb")
    wait_until(lambda: get(data, "/api/matches/", page_size=8).status_code == 200, timeout=30,
               what="200 again")
    # every worker recovers, not just one: a run of uncached requests all succeed
    assert all(get(data, "/api/matches/", source="source3", page_size=10 + i).status_code == 200
               for i in range(20))


def test_a_crashed_worker_is_restarted(data):
    mw = int((data.dir / "run" / "fcgi.pid").read_text())
    kids = lambda: subprocess.run(["pgrep", "-P", str(mw)], capture_output=True, text=True).stdout.split()
    workers = kids()
    assert len(workers) == 2
    os.kill(int(workers[0]), signal.SIGKILL)
    wait_until(lambda: len(kids()) == 2 and workers[0] not in kids(), timeout=30,
               what="multiwatch to start a new worker")
    assert all(get(data, "/api/matches/", source="source3").status_code == 200 for _ in range(10))


def test_cached_responses_never_lag_a_commit(data):
    """The workers cache rendered responses per data_version: after each
    commit, the very next request shows the new data."""
    src = tag("cachecheck")
    body = lambda state: (f'{{"source": "{src}", "data": {{"id": 1, "state": {state}, '
                          f'"teams": [{{"id": 1, "name": "A"}}]}}}}').encode()
    data.publish([body(1)])
    mid = wait_until(lambda: data.scalar(f"SELECT m.id FROM matches m JOIN sources s ON "
                                         f"s.id = m.source_id WHERE s.name = '{src}'"), what="match")
    for state in range(2, 12):
        for _ in range(3):  # warm every worker's cache with the current state
            assert get(data, f"/api/matches/{mid}/").json()["state"] == state - 1
            assert get(data, "/api/matches/", source=src).json()["results"][0]["state"] == state - 1
        data.publish([body(state)])
        wait_until(lambda: data.scalar(f"SELECT state FROM matches WHERE id = {mid}") == str(state),
                   interval=0.005, what="the commit")
        assert get(data, f"/api/matches/{mid}/").json()["state"] == state
        assert get(data, "/api/matches/", source=src).json()["results"][0]["state"] == state


def test_a_statement_the_server_cuts_short_is_a_503_with_its_reason(data, tmp_path):
    """A database error that arrives while the rows are being read (here the
    server's statement time limit) was reported as errno=0 with no message
    and answered 500: it is now the server's own error, and a limit the
    server sets is a 503 to retry, like a lock wait timeout."""
    import socket
    user = tag("slowq")[:32]
    for host in ("localhost", "127.0.0.1"):
        data.sql(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY 'x' WITH MAX_STATEMENT_TIME 0.0002;"
                 f" GRANT SELECT ON esports.* TO '{user}'@'{host}'", db="mysql")
    sock_path = tmp_path / "w.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(16)
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([str(BUILD / "esports-fcgi")],
                              stdin=listener.fileno(), stdout=subprocess.DEVNULL,
                              stderr=log.open("w"),
                              env=data.app_env(MARIADB_USER=user, MARIADB_PASSWORD="x",
                                               FCGI_THREADS=1, COMMIT_CLOCK_FILE=""))
    listener.close()
    try:
        statuses = [fcgi_get(sock_path, f"/api/matches/?page_size=100&page={1 + k % 2}"
                             f"&ordering=id&source={PREFIX}{1 + k % 3}")[0] for k in range(40)]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        for host in ("localhost", "127.0.0.1"):
            data.sql(f"DROP USER '{user}'@'{host}'", db="mysql")
    text = log.read_text()
    assert 503 in statuses, (statuses, text[-2000:])  # the limit took effect
    assert 500 not in statuses, (statuses, text[-2000:])
    assert "errno=0 " not in text, text[-2000:]
    assert "errno=1969" in text, text[-2000:]
