"""The API's contract as a client reads it: a property-based client
(schemathesis) driven by /api/openapi.json finds nothing with all its checks;
empty values are absent, any page past the end is 404, names that start with
a digit are names, every method gets the same 405, and a client's own
X-Forwarded-* headers never reach the links."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

import pytest
import requests

from conftest import ROOT, wait_until

SRC = "contractsrc"
# schemathesis: a fixed seed and number of examples per operation, so a run
# is the same every time and bounded (about a minute); the deadline is the
# subprocess timeout
EXAMPLES = 40
SEED = 20261201
DEADLINE_S = 600


def message(ext, teams, title, tournament):
    """A match of SRC; teams are (id, name)."""
    return json.dumps({
        "source": SRC,
        "data": {
            "id": ext, "url": f"https://example.org/{ext}", "state": 2, "bestof": "3",
            "teams": [{"id": i, "name": n} for i, n in teams],
            "scores": [{"team": teams[0][0], "score": 2, "winner": True},
                       {"team": teams[1][0], "score": 1, "winner": False}],
            "tournament": tournament, "date_start_text": "2024-05-06 18:00:00", "title": title,
        },
    }).encode()


@pytest.fixture(scope="module")
def data(stack, fixtures):
    bodies = [(fixtures / f"message{i}.json").read_bytes() for i in range(1, 5)]
    bodies += [message(1, [(100, "100 Thieves"), (2, "2 Hot")], "2XKO", "2024 Spring Split"),
               message(2, [(9, "Cloud9"), (100, "100 Thieves")], "Overcooked", "Winter Cup")]
    stack.publish_applied(bodies)
    return stack


def ours(r):
    assert r.status_code == 200, r.text
    return sorted(m["external_id"] for m in r.json()["results"] if m["source"] == SRC)


def team_id(stack, name):
    return int(stack.scalar(f"SELECT t.id FROM teams t JOIN sources s ON s.id = t.source_id "
                            f"WHERE s.name = '{SRC}' AND t.name = '{name}'"))


def test_the_client_finds_nothing_with_all_its_checks(data):
    """schemathesis runs every phase (examples, coverage, fuzzing, stateful)
    with every check against the running API and must report nothing."""
    exe = Path(sys.executable).parent / "schemathesis"
    with tempfile.TemporaryDirectory(prefix="esports-st-") as cwd:  # .hypothesis goes there
        # a valid cursor older than the changes kept (or ahead of them) is 410,
        # as the document says: the feed's answer to "resync"
        (Path(cwd) / "schemathesis.toml").write_text(
            '[[operations]]\ninclude-path = "/api/changes/"\n'
            '[operations.checks.positive_data_acceptance]\n'
            'expected-statuses = ["2XX", "3XX", "404", "410"]\n')
        r = subprocess.run(
            [str(exe), "run", data.http + "/api/openapi.json", "--checks", "all",
             "--max-examples", str(EXAMPLES), "--seed", str(SEED), "--workers", "2",
             "--request-timeout", "10", "--no-color", "--suppress-health-check", "too_slow"],
            cwd=cwd, capture_output=True, text=True, timeout=DEADLINE_S)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-20000:]
    assert "No issues found" in out, out[-5000:]


def test_empty_values_are_absent(data):
    base = data.get("/api/matches/", params={"source": SRC}).json()
    for p in ("title", "tournament", "team", "title_id", "tournament_id", "team_id", "state",
              "date_start__gte", "date_start__lte", "ordering", "page", "page_size"):
        r = data.get("/api/matches/", params={"source": SRC, p: ""})
        assert r.status_code == 200, (p, r.text)
        assert r.json() == base, p
    # all of them at once, as an empty form sends them, and white space for a name
    r = data.get("/api/matches/?" + "&".join(f"{p}=" for p in (
        "title", "tournament", "state", "date_start__gte", "date_start__lte",
        "ordering", "page", "page_size")) + f"&source={SRC}&team=%20%C2%A0%20")
    assert r.status_code == 200 and r.json() == base


@pytest.mark.parametrize("path", ["/api/matches/", "/api/titles/", "/api/tournaments/",
                                  "/api/teams/", "/api/search/"])
def test_a_page_past_the_end_is_404_at_any_size(data, path):
    if path == "/api/search/" and not data.es:
        pytest.skip("no search engine in this stack")
    for page in ("99999", "1536022769989019178458094239744000"):
        r = data.get(path, params={"page": page, "q": "bayes"})
        assert r.status_code == 404, (page, r.text)
        assert r.json() == {"detail": "Invalid page."}
    for bad in ("0", "-1", "x", "1.5"):
        r = data.get(path, params={"page": bad, "q": "bayes"})
        assert r.status_code == 400 and "page" in r.json()["errors"], bad


def test_names_that_start_with_a_digit_are_names(data):
    assert ours(data.get("/api/matches/", params={"team": "100 Thieves"})) == ["1", "2"]
    assert ours(data.get("/api/matches/?team=100%20thieves")) == ["1", "2"]
    assert ours(data.get("/api/matches/", params={"title": "2XKO"})) == ["1"]
    assert ours(data.get("/api/matches/", params={"tournament": "2024 spring split"})) == ["1"]
    # ids have their own parameters; a number given as a name is a name
    tid = team_id(data, "Cloud9")
    assert ours(data.get("/api/matches/", params={"team_id": tid})) == ["2"]
    assert ours(data.get("/api/matches/", params={"team": str(tid)})) == []
    r = data.get("/api/matches/", params={"team_id": "Cloud9"})
    assert r.status_code == 400 and "team_id" in r.json()["errors"]
    # the website's form takes the same names
    r = data.get("/", params={"team": "100 Thieves", "source": SRC})
    assert r.status_code == 200 and "2 matches" in r.text


def test_search_takes_the_same_names_and_ids(data):
    if not data.es:
        pytest.skip("no search engine in this stack")
    tid = team_id(data, "Cloud9")

    def found(**params):
        r = data.get("/api/search/", params=dict(q="thieves", source=SRC, **params))
        return ours(r)

    wait_until(lambda: found() == ["1", "2"], timeout=60, what="our matches searchable")
    assert found(team="100 THIEVES") == ["1", "2"]
    assert found(title="2xko") == ["1"]
    assert found(team_id=tid) == ["2"]
    assert found(team=str(tid)) == []


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "DELETE", "OPTIONS"])
def test_every_method_gets_the_same_405(data, method):
    host, port = urllib.parse.urlsplit(data.http).netloc.split(":")
    for path, ctype in (("/api/matches/", "application/json"), ("/", "text/html"),
                        ("/api/openapi.json", "application/json")):
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        c.request(method, path)
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        assert r.status == 405, (method, path, body)
        assert r.getheader("Allow") == "GET, HEAD", (method, path)
        assert r.getheader("Content-Type").startswith(ctype), (method, path)
        if ctype == "application/json":
            assert json.loads(body) == {"detail": "Method not allowed."}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_forwarded_headers_from_a_client_are_not_believed(data):
    evil = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    for path in ("/api/matches/", "/api/teams/"):
        r = data.get(path, params={"page_size": 1}, headers=evil)
        assert r.status_code == 200
        assert r.json()["next"].startswith(data.http + path), r.json()["next"]
        assert "evil.example" not in r.text
        # and the cache did not keep it for anyone else either
        assert "evil.example" not in data.get(path, params={"page_size": 1}).text


def test_forwarded_headers_from_a_trusted_proxy_are(data):
    """A second nginx rendered with TRUSTED_PROXIES=127.0.0.1, in front of the
    same workers, believes them; the stack's own (no trusted proxy) never."""
    run = data.dir / "run" / "trusted-nginx"
    (run / "nginx-tmp").mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = run / "nginx.conf"
    with open(ROOT / "nginx.conf") as src, open(conf, "w") as dst:
        subprocess.run([str(ROOT / "tools" / "render-nginx"), str(run), f"127.0.0.1:{port}",
                        f"unix:{data.dir / 'run' / 'fcgi.sock'}", str(ROOT / "static")],
                       stdin=src, stdout=dst, check=True,
                       # (no nchan publisher: the stack's nginx has that port)
                       env={**{k: v for k, v in os.environ.items() if k != "NCHAN_PORT"},
                            "TRUSTED_PROXIES": "127.0.0.1"})
    p = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(run), "-g", "daemon off;"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api/matches/?page_size=1"

        def get(headers):
            try:
                return requests.get(url, headers=headers, timeout=5)
            except requests.ConnectionError:
                return None

        wait_until(lambda: get({}) is not None, timeout=20, what="the trusted nginx")
        r = get({"X-Forwarded-Host": "matches.example", "X-Forwarded-Proto": "https"})
        assert r.json()["next"].startswith("https://matches.example/api/matches/")
        assert get({}).json()["next"].startswith(f"http://127.0.0.1:{port}/")
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    bad = subprocess.run([str(ROOT / "tools" / "render-nginx"), "a", "b", "c", "d"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         env=dict(os.environ, TRUSTED_PROXIES="10.0.0.1; include /etc/passwd"))
    assert bad.returncode == 2 and "TRUSTED_PROXIES" in bad.stderr
