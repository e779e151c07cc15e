"""The website through nginx: status codes, content, escaping, the error
pages and the security headers, with data loaded by publishing real messages
through the consumer."""

import html
import json
import shutil
import subprocess
import urllib.parse
import uuid

import pytest
import requests
from bs4 import BeautifulSoup

from conftest import BUILD, ROOT, tag, wait_until
from gen import generate

PREFIX = tag("pagesrc")  # this module's sources: PREFIX1..3, and XSS_SOURCE
XSS_SOURCE = tag("pagesxss")
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'


def hostile_message():
    """A match whose every text field tries to become markup."""
    return json.dumps({
        "source": XSS_SOURCE,
        "data": {
            "id": 7, "url": "javascript:alert(1)", "state": 2, "bestof": 3,
            "teams": [{"id": 1, "name": XSS_SCRIPT}, {"id": 2, "name": XSS_ATTR}],
            "scores": [{"team": 1, "score": 1, "winner": False},
                       {"team": 2, "score": 2, "winner": True}],
            "tournament": {"id": 9, "name": "Cup & <b>Bold</b>"},
            "date_start_text": "2021-03-04 05:06:07",
            "title": "Title 'quoted' \"double\"",
        },
    }).encode()


@pytest.fixture(scope="module")
def site(stack, fixtures):
    """The four samples, a hostile match and 150 generated ones."""
    bodies = [(fixtures / f"message{i}.json").read_bytes() for i in range(1, 5)]
    bodies.append(hostile_message())
    bodies += generate(150, seed=61, prefix=PREFIX)
    stack.publish_applied(bodies)
    return stack


def page(stack, path, status=200, **params):
    r = stack.get(path, params=params)
    assert r.status_code == status, r.text[:2000]
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    return r, BeautifulSoup(r.text, "html.parser")


def match_id(stack, source, ext):
    return int(stack.scalar(f"SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
                            f"WHERE s.name = '{source}' AND m.external_id = '{ext}'"))


def api_count(stack, **params):
    return stack.get("/api/matches/", params=params).json()["count"]


def option_value(soup, select, label_start):
    sel = soup.find("select", attrs={"name": select})
    for o in sel.find_all("option"):
        if o.get_text().lower().startswith(label_start.lower()):
            return o["value"]
    raise AssertionError(f"no option {label_start!r} in {select}")


def test_security_headers_on_every_page(site):
    mid = match_id(site, "source1", "1")
    for path, status in (("/", 200), (f"/matches/{mid}/", 200), ("/nowhere", 404),
                         ("/?state=x", 400)):
        r = site.get(path)
        assert r.status_code == status
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        # one copy each (nginx hides the worker's and sends its own)
        for h in ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"):
            assert len(r.raw.headers.getlist(h)) == 1, h
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "same-origin"
        # no script but static/live.js on the pages that update themselves,
        # and the CSP allows no other (an error page has none)
        scripts = BeautifulSoup(r.text, "html.parser").find_all("script")
        if status == 404:
            assert scripts == [] and "script-src" not in csp
        else:
            assert [(s.get("src"), s.string) for s in scripts] == [("/static/live.js", None)]
            assert "script-src 'self'; connect-src 'self'" in csp


def test_list_page_shows_the_matches(site):
    r, soup = page(site, "/")
    total = api_count(site)
    assert soup.find(class_="count").get_text().startswith(f"{total} matches")
    rows = soup.select("table.matches tbody tr")
    assert len(rows) == 50  # the first page
    api = site.get("/api/matches/").json()["results"]
    for row, m in zip(rows, api):
        cells = row.find_all("td")
        link = row.find("a")
        assert link["href"] == f"/matches/{m['id']}/"
        assert cells[1].get_text(strip=True) == (m["title"]["name"] if m["title"] else "")
        assert cells[2].get_text(strip=True) == (m["tournament"]["name"] if m["tournament"] else "")
        names = [li.find(class_="team-name").get_text() for li in cells[3].find_all("li")]
        assert names == [t["name"] for t in m["teams"]]
        if m["date_start"]:
            assert cells[0].find("time")["datetime"] == m["date_start"]
    headers = [th.get_text(strip=True) for th in soup.select("table.matches thead th")]
    assert headers[0] == "Start (UTC)"
    # every form field has a label
    for field in soup.select("form.filters select, form.filters input"):
        assert soup.find("label", attrs={"for": field["id"]}), field["id"]


def test_the_sample_row_reads_right(site):
    mid = match_id(site, "source1", "1")
    # other modules publish Overcooked matches of their own: the samples' source
    _, soup = page(site, "/", title="Overcooked", ordering="date_start", source="source1")
    row = soup.find("a", href=f"/matches/{mid}/").find_parent("tr")
    cells = row.find_all("td")
    assert cells[0].get_text(strip=True) == "2020-01-07 15:00"
    assert cells[1].get_text(strip=True) == "Overcooked"
    assert cells[2].get_text(strip=True) == "Overbayes Season 1 - Group Stage"
    teams = cells[3].find_all("li")
    assert [t.find(class_="team-name").get_text() for t in teams] == ["Bayes Team 2", "Bayes Team 3"]
    assert [t.find(class_="score").get_text() for t in teams] == ["2", "0"]
    assert "winner" in teams[0]["class"] and teams[0].find(class_="badge").get_text() == "Winner"
    assert not teams[1].get("class")
    assert cells[4].get_text(strip=True) == "Finished"


def test_filters_match_the_api(site):
    _, soup = page(site, "/")
    title = option_value(soup, "title", "Rocket League")
    team = "Bayes Team 2"  # typed: the team field suggests, it does not list
    for params in ({"title": title}, {"team": team}, {"state": "1"},
                   {"title": title, "state": "3", "date_start__gte": "2020-01-01"},
                   {"date_start__lte": "2020-01-07"}):
        _, soup = page(site, "/", **params)
        n = api_count(site, **params)
        assert soup.find(class_="count").get_text().startswith(f"{n} match"), params
        # the form shows the filters it applied
        for k, v in params.items():
            el = soup.find(attrs={"name": k})
            if el.name == "select":
                assert el.find("option", selected=True)["value"] == v
            else:
                assert el["value"] == v


def test_empty_form_fields_mean_no_filter(site):
    _, soup = page(site, "/", title="", tournament="", team="", state="",
                   date_start__gte="", date_start__lte="", ordering="-date_start")
    assert soup.find(class_="count").get_text().startswith(f"{api_count(site)} matches")


def test_pagination_keeps_the_filters(site):
    _, soup = page(site, "/", state="1", page_size="10")
    n = api_count(site, state="1")
    pager = soup.find("nav", class_="pager")
    assert f"Page 1 of {(n + 9) // 10}" in pager.get_text()
    nxt = pager.find("a", rel="next")["href"]
    q = urllib.parse.parse_qs(nxt.lstrip("?"))
    assert q == {"state": ["1"], "page_size": ["10"], "page": ["2"]}
    _, soup2 = page(site, "/" + nxt)
    want = [m["id"] for m in site.get("/api/matches/", params={"state": 1, "page_size": 10,
                                                                 "page": 2}).json()["results"]]
    got = [int(a["href"].split("/")[2]) for a in soup2.select("table.matches tbody a")]
    assert got == want
    assert soup2.find("nav", class_="pager").find("a", rel="prev")["href"] in (
        "?state=1&page_size=10", "?page_size=10&state=1")
    # past the end: the 404 page
    page(site, "/", 404, state="1", page_size="10", page="9999")


def test_empty_state(site):
    # (other tests publish matches up to 9999-12-31: a source of nobody's)
    _, soup = page(site, "/", source="nobody-" + uuid.uuid4().hex[:8])
    assert soup.find(class_="count").get_text().startswith("0 matches")
    assert "No matches for these filters" in soup.find(class_="empty").get_text()
    assert soup.find("table", class_="matches") is None


@pytest.mark.parametrize("params,field", [
    ({"state": "live"}, "state"),
    ({"date_start__gte": "yesterday"}, "date_start__gte"),
    ({"date_start__lte": "2020-13-45"}, "date_start__lte"),
    ({"ordering": "name"}, "ordering"),
    ({"title": "x" * 2000}, "title"),
])
def test_a_bad_filter_shows_the_form_again_with_the_error(site, params, field):
    r, soup = page(site, "/", 400, **params)
    err = soup.find(id=f"e-{field}")
    assert err is not None and err.get_text(strip=True), r.text[:3000]
    el = soup.find(id=f"f-{field}")
    assert el["aria-invalid"] == "true" and el["aria-describedby"] == f"e-{field}"
    assert soup.find(class_="alert").find("a", href=f"#f-{field}")
    assert soup.find("table", class_="matches") is None


def test_undecodable_query_is_a_400_page(site):
    r = requests.get(site.http + "/?team=%ff%fe", timeout=10)
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("text/html")
    assert BeautifulSoup(r.text, "html.parser").find(class_="alert")


def test_hostile_names_show_as_text(site):
    mid = match_id(site, XSS_SOURCE, "7")
    for path, params in (("/", {"source": XSS_SOURCE}), (f"/matches/{mid}/", {}), ("/", {})):
        r, soup = page(site, path, **params)
        for bad in (XSS_SCRIPT, XSS_ATTR, "<b>Bold</b>", "src=x onerror"):
            if bad == "src=x onerror":
                assert soup.find("img") is None
            else:
                assert bad not in r.text, (path, bad)
        assert [s.get("src") for s in soup.find_all("script")] == ["/static/live.js"]
        assert soup.find("b") is None
        assert not any(a["href"].startswith("javascript:") for a in soup.find_all("a"))
        if path != "/" or params:
            text = soup.get_text()
            assert XSS_SCRIPT in text and XSS_ATTR in text and "Cup & <b>Bold</b>" in text
    # the escaped form is what went over the wire
    r, _ = page(site, f"/matches/{mid}/")
    assert html.escape(XSS_SCRIPT) in r.text
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in r.text
    # the javascript: url is shown, never linked
    assert "javascript:alert(1)" in BeautifulSoup(r.text, "html.parser").find("dl").get_text()


def test_detail_page(site, fixtures):
    mid = match_id(site, "source1", "1")
    _, soup = page(site, f"/matches/{mid}/")
    assert soup.find("h1").get_text(" ", strip=True) == "Bayes Team 2 vs Bayes Team 3"
    assert soup.title.get_text().startswith("Bayes Team 2 vs Bayes Team 3")
    facts = {dt.get_text(strip=True): dd for dt, dd in
             zip(soup.select("dl.facts dt"), soup.select("dl.facts dd"))}
    assert facts["Title"].get_text(strip=True) == "Overcooked"
    assert facts["Tournament"].get_text(strip=True) == "Overbayes Season 1 - Group Stage"
    assert facts["State"].get_text(strip=True) == "Finished"
    assert facts["Best of"].get_text(strip=True) == "3"
    assert facts["Start (UTC)"].find("time")["datetime"] == "2020-01-07T15:00:00Z"
    assert facts["Start (UTC)"].get_text(strip=True) == "2020-01-07 15:00"
    link = facts["Source"].find("a")
    assert link["href"] == "https://www.source1.org/matches/1/"
    assert "noopener" in link["rel"]
    assert facts["Source"].get_text(" ", strip=True).startswith("source1, match 1")
    rows = soup.select("table.teams-table tbody tr")
    got = [(r.th.get_text(strip=True), r.select_one(".score").get_text(strip=True),
            r.find_all("td")[1].get_text(strip=True)) for r in rows]
    assert got == [("Bayes Team 2", "2", "Winner"), ("Bayes Team 3", "0", "Lost")]
    # the history: messages 1 and 2 of the samples, byte for byte, oldest
    # first (other tests may have sent the samples again: 1, 2, 1, 2, ...)
    msgs = soup.select("article.message")
    logged = int(site.scalar(f"SELECT COUNT(*) FROM messages WHERE match_id = {mid}"))
    assert len(msgs) == logged >= 2
    for k, art in enumerate(msgs):
        want = (fixtures / f"message{1 + k % 2}.json").read_text()
        assert art.find("pre").get_text() == want
        assert art.find("time")["datetime"].endswith("Z")
        assert art.find(class_="msg-status").get_text() == "applied"
    assert f"{logged} messages built this match" in soup.get_text()


def test_unknown_match_and_paths_are_404_pages(site):
    for path in ("/matches/999999999/", "/matches/abc/", "/nowhere", "/matches/",
                 "/healthzzz", "/metricsfoo", "/apix"):
        r, soup = page(site, path, 404)
        assert soup.find("h1").get_text() == "Page not found"
        assert soup.find("link", rel="stylesheet")  # the site's layout
        assert soup.find("a", href="/")
    # the API's paths keep answering in JSON
    r = site.get("/api/nowhere/")
    assert r.status_code == 404 and r.json() == {"detail": "Not found."}


def test_method_not_allowed_page(site):
    r = requests.post(site.http + "/", timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"
    assert "Method not allowed" in BeautifulSoup(r.text, "html.parser").find("h1").get_text()


def test_head_and_etag(site):
    r = site.get("/")
    etag = r.headers["ETag"]
    assert site.get("/", headers={"If-None-Match": etag}).status_code == 304
    h = requests.head(site.http + "/", timeout=10)
    assert h.status_code == 200 and h.text == "" and h.headers["ETag"] == etag


def test_static_css_is_served_with_caching_headers(site):
    r = site.get("/static/style.css")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/css")
    assert "max-age=3600" in r.headers["Cache-Control"] and "Expires" in r.headers
    assert r.text == (ROOT / "static" / "style.css").read_text()


def test_database_down_is_a_503_page(site):
    site.stack("down", "mariadb")
    try:
        r = wait_until(lambda: (lambda r: (r,) if r.status_code == 503 else None)(
            site.get("/?state=2&page=2")), timeout=30, what="503")[0]
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert r.headers["Retry-After"] == "5"
        assert BeautifulSoup(r.text, "html.parser").find("h1").get_text() == "Service unavailable"
    finally:
        site.stack("up", "mariadb")
    wait_until(lambda: site.get("/").status_code == 200, timeout=30, what="200 again")


def test_a_server_error_is_a_500_page(site):
    """A query that fails for a reason other than a lost server (here a
    missing table) shows the 500 page and the workers carry on."""
    mid = match_id(site, "source1", "1")
    site.sql("RENAME TABLE match_teams TO match_teams_away")
    try:
        r = wait_until(lambda: (lambda r: (r,) if r.status_code == 500 else None)(
            site.get(f"/matches/{mid}/", params={"n": "1"})), timeout=10, what="500")[0]
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert BeautifulSoup(r.text, "html.parser").find("h1").get_text() == "Internal error"
    finally:
        site.sql("RENAME TABLE match_teams_away TO match_teams")
    wait_until(lambda: all(site.get(f"/matches/{mid}/").status_code == 200 for _ in range(6)),
               timeout=30, what="200 again")


def test_missing_or_broken_templates_stop_the_worker_at_start(site, tmp_path):
    env = site.app_env(TEMPLATES_DIR=str(tmp_path / "none"))
    r = subprocess.run([str(BUILD / "esports-fcgi")], env=env, capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "event=templates_failed" in r.stderr
    broken = tmp_path / "broken"
    shutil.copytree(ROOT / "templates", broken)
    src = (broken / "list.mustache").read_text().replace("{{/invalid}}", "", 1)
    (broken / "list.mustache").write_text(src)
    r = subprocess.run([str(BUILD / "esports-fcgi")], env=site.app_env(TEMPLATES_DIR=str(broken)),
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "list" in r.stderr and "templates_failed" in r.stderr
    (broken / "list.mustache").unlink()
    r = subprocess.run([str(BUILD / "esports-fcgi")], env=site.app_env(TEMPLATES_DIR=str(broken)),
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "list.mustache: missing" in r.stderr
