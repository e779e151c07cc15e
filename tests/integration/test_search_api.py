"""/api/search/ and the website's search box, through nginx, against the real
engine the stack runs (the consumer mirrors the matches into it)."""

import json
import urllib.parse

import pytest
import requests
from bs4 import BeautifulSoup

from conftest import tag, wait_until
from gen import generate
from test_search_mirror import es  # noqa: F401  (the fixture)

PREFIX = tag("srchsrc")  # this module's sources: PREFIX1..3
SRC = PREFIX + "1"


@pytest.fixture(scope="module")
def indexed(stack, es, fixtures):  # noqa: F811
    bodies = [(fixtures / f"message{i}.json").read_bytes() for i in range(1, 5)]
    bodies += generate(300, seed=71, prefix=PREFIX)
    # a team spelled one letter away from the sample's Bayes teams
    bodies.append(json.dumps({"source": PREFIX + "z", "data": {
        "id": "bayez-1", "title": "Overcooked", "tournament": "Bayez Cup", "state": 1,
        "date_start_text": "2020-01-09 10:00:00",
        "teams": [{"id": "bz1", "name": "Bayez Club"}, {"id": "bz2", "name": "Other Side"}]}}).encode())
    stack.publish_applied(bodies)
    wait_until(lambda: stack.scalar("SELECT COUNT(*) FROM search_outbox WHERE parked = 0") == "0",
               timeout=120, what="the outbox drained")
    assert requests.post(f"{es}/esports-matches/_refresh", timeout=30).status_code == 200
    return stack


def search(stack, status=200, **params):
    r = stack.get("/api/search/", params=params)
    assert r.status_code == status, r.text[:2000]
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    return r.json()


def sample_id(stack):
    return int(stack.scalar("SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
                            "WHERE s.name = 'source1' AND m.external_id = '1'"))


def every(stack, path, **params):
    out, r = [], stack.get(path, params=dict(params, page_size=500))
    while True:
        assert r.status_code == 200, r.text
        out += r.json()["results"]
        if not r.json()["next"]:
            return out
        r = requests.get(r.json()["next"], timeout=10)


@pytest.mark.parametrize("q", ["Bayes Team 3", "bayes team 3", "  BAYES   TEAM 3 ",
                               "Bayse Taem 3", "Overbayes", "overcooked bayes team 3"])
def test_finds_the_sample_by_team_tournament_and_title(indexed, q):
    # other modules publish the samples under sources of their own: the
    # samples' source keeps this one's answer to its own rows
    got = search(indexed, q=q, source="source1")
    ids = [m["id"] for m in got["results"]]
    assert sample_id(indexed) in ids, (q, ids[:10])


def test_words_as_typed_first_typos_only_when_they_find_nothing(indexed):
    """"Bayez" names a team: only its match, not the Bayes teams one letter
    away; "Bayse" names nothing, so a typo is allowed and the Bayes teams
    are found."""
    got = search(indexed, q="Bayez")
    assert "bayez-1" in [m["external_id"] for m in got["results"]]
    assert all(any("bayez" in t["name"].lower() for t in m["teams"]) or
               "bayez" in (m["tournament"] or {}).get("name", "").lower()
               for m in got["results"]), [m["teams"] for m in got["results"]][:5]
    got = search(indexed, q="Bayse", source="source1")
    assert sample_id(indexed) in [m["id"] for m in got["results"]]
    assert "bayez-1" not in [m["external_id"] for m in got["results"]]  # two letters off


def test_a_result_is_the_api_document(indexed):
    got = search(indexed, q="Bayes Team 3", source="source1")
    mid = sample_id(indexed)
    doc = next(m for m in got["results"] if m["id"] == mid)
    assert doc == indexed.get(f"/api/matches/{mid}/").json()
    assert got["count"] == 1 and got["next"] is None and got["previous"] is None


def test_hits_are_sent_as_their_views_or_read_from_the_database(indexed, es):  # noqa: F811
    """A hit is sent as its document's view, the API's JSON as the mirror
    rendered it, byte for byte; a hit whose view is missing, is another
    match's, is not JSON of render_json's or is not a string is read from
    MariaDB instead, and shows exactly as the list does."""
    got = search(indexed, q="team", source=PREFIX + "2", ordering="id", page_size=6)
    ids = [m["id"] for m in got["results"]]
    assert len(ids) == 6
    index = f"{es}/esports-matches"

    def view_of(i):
        # (None: a view the mirror could not patch when it renamed in place)
        r = requests.get(f"{index}/_doc/{i}", timeout=30)
        assert r.status_code == 200, r.text
        return r.json()["_source"].get("view")

    def set_view(i, value):
        body = {"script": {"source": "if (params.v == null) { ctx._source.remove('view') } "
                                     "else { ctx._source.view = params.v }",
                           "params": {"v": value}}}
        r = requests.post(f"{index}/_update/{i}?refresh=true", json=body, timeout=30)
        assert r.status_code == 200, r.text

    views = {i: view_of(i) for i in ids}
    assert all(json.loads(views[i]) == m for i, m in zip(ids, got["results"]) if views[i])
    marked = f'{{"id":{ids[0]},"marker":"from the view"}}'
    try:
        set_view(ids[0], marked)
        set_view(ids[1], None)
        set_view(ids[2], f'{{"id":{ids[3]},"x":1}}')  # another match's
        set_view(ids[3], f'{{"id":{ids[3]},"x":1')  # cut short
        set_view(ids[4], f'{{"id":{ids[4]},\n"x":1}}')  # a raw line break
        set_view(ids[5], 7)
        # (another page size: no answer cached for it)
        r = indexed.get("/api/search/", params={"q": "team", "source": PREFIX + "2",
                                                 "ordering": "id", "page_size": 7})
        assert r.status_code == 200
        assert r.text.count(marked) == 1  # sent as it is
        again = r.json()["results"]
        assert [m["id"] for m in again[:6]] == ids
        assert again[0] == json.loads(marked)
        for m in again[1:6]:
            assert m == indexed.get(f"/api/matches/{m['id']}/").json()
    finally:
        for i in ids:
            set_view(i, views[i])


def test_nothing_found_is_an_empty_page(indexed):
    got = search(indexed, q="zzzyyyxxx qqqwww")
    assert got["count"] == 0 and got["results"] == [] and got["facets"]["state"] == []


def test_filters_and_ordering_agree_with_the_list(indexed):
    """Every generated team is called "Team N", so q=team finds them all:
    with the same filters and ordering, search and list give the same ids in
    the same order."""
    lst = indexed.get("/api/matches/", params={"source": SRC, "page_size": 1}).json()
    some = lst["results"][0]
    cases = [{}, {"state": "2"}, {"state": "1"},
             {"title_id": str(some["title"]["id"])},
             {"tournament_id": some["tournament"]["id"]} if some["tournament"] else {"state": "3"},
             {"team_id": str(some["teams"][0]["id"])},
             {"team": some["teams"][0]["name"].upper()},
             {"date_start__gte": "2020-03-01", "date_start__lte": "2020-06-30"},
             {"date_start__lte": "2020-02-01"}]
    for extra in cases:
        for ordering in ("date_start", "-date_start", "id", "-id"):
            params = dict(extra, source=SRC, ordering=ordering)
            want = [m["id"] for m in every(indexed, "/api/matches/", **params)]
            got = [m["id"] for m in every(indexed, "/api/search/", q="team", **params)]
            assert got == want, (params, len(got), len(want))


def test_pagination_envelope(indexed):
    first = search(indexed, q="team", source=SRC, ordering="id", page_size=7)
    assert len(first["results"]) == 7 and first["previous"] is None
    nxt = urllib.parse.urlparse(first["next"])
    assert nxt.path == "/api/search/"
    assert urllib.parse.parse_qs(nxt.query) == {"q": ["team"], "source": [SRC], "ordering": ["id"],
                                                 "page_size": ["7"], "page": ["2"]}
    second = requests.get(first["next"], timeout=10).json()
    assert second["count"] == first["count"]
    assert second["results"][0]["id"] > first["results"][-1]["id"]
    assert urllib.parse.parse_qs(urllib.parse.urlparse(second["previous"]).query).get("page") is None
    r = indexed.get("/api/search/", params={"q": "team", "source": SRC, "page": 199})
    assert r.status_code == 404  # past the results, inside the engine's window


def test_facets_count_right(indexed):
    got = search(indexed, q="team", source=SRC)
    rows = every(indexed, "/api/matches/", source=SRC)
    assert got["count"] == len(rows)
    by_state, by_title, by_tour = {}, {}, {}
    for m in rows:
        by_state[m["state"]] = by_state.get(m["state"], 0) + 1
        if m["title"]:
            by_title[m["title"]["id"]] = (m["title"]["name"], by_title.get(m["title"]["id"], ("", 0))[1] + 1)
        if m["tournament"]:
            t = m["tournament"]
            by_tour[t["id"]] = (t["name"], by_tour.get(t["id"], ("", 0))[1] + 1)
    assert {f["value"]: f["count"] for f in got["facets"]["state"]} == by_state
    assert {f["id"]: (f["name"], f["count"]) for f in got["facets"]["title"]} == by_title
    top = sorted(by_tour.values(), key=lambda v: -v[1])[:20]
    assert sorted(f["count"] for f in got["facets"]["tournament"]) == sorted(c for _, c in top)
    for f in got["facets"]["tournament"]:
        assert by_tour[f["id"]] == (f["name"], f["count"])


def test_facet_names_follow_a_rename(indexed, es):  # noqa: F811
    """Each serving thread keeps the facets' tournament names it has read for
    the data version it read them at: after a message renames the tournament
    every thread names it anew, and none answers with the old name."""
    src = PREFIX + "ren"
    msg = lambda ext, name: json.dumps({"source": src, "data": {
        "id": ext, "title": "Overcooked", "state": 1, "date_start_text": "2020-02-02 10:00:00",
        "tournament": {"id": "cup", "name": name},
        "teams": [{"id": "q1", "name": "Quokka Renamers"}, {"id": "q2", "name": "Other"}]}}).encode()

    def names(page_size):
        # a page size of its own each: no response cached for another one
        got = search(indexed, q="quokka renamers", source=src, page_size=page_size)
        return {f["name"] for f in got["facets"]["tournament"]}

    def mirrored(n):
        requests.post(f"{es}/esports-matches/_refresh", timeout=30)
        got = search(indexed, q="quokka renamers", source=src, page_size=100 - n)
        return got["count"] == n and got
    indexed.publish_applied([msg("r1", "Before Cup")])
    wait_until(lambda: mirrored(1), timeout=60, what="the first match searchable")
    # every thread of every worker reads the name (more requests than threads)
    assert all(names(size) == {"Before Cup"} for size in range(1, 33))
    indexed.publish_applied([msg("r2", "After Cup")])
    wait_until(lambda: mirrored(2), timeout=60, what="the second match searchable")
    assert all(names(size) == {"After Cup"} for size in range(33, 65))
    # the first match's document was renamed in place, its view too: both
    # matches show the new name, as the list does
    got = search(indexed, q="quokka renamers", source=src, page_size=65)
    assert [m["tournament"]["name"] for m in got["results"]] == ["After Cup"] * 2
    for m in got["results"]:
        assert m == indexed.get(f"/api/matches/{m['id']}/").json()


@pytest.mark.parametrize("query,field", [
    ("", "q"),
    ("q=", "q"),
    ("q=%20%20", "q"),
    ("q=" + "a" * 201, "q"),
    ("q=" + "a" * 10240, "q"),
    ("q=%ff%fe", "q"),
    ("q=team&state=x", "state"),
    ("q=a&q=b", "q"),
])
def test_bad_input_is_a_400_naming_the_parameter(indexed, query, field):
    r = requests.get(indexed.http + "/api/search/?" + query, timeout=10)
    assert r.status_code == 400, r.text[:500]
    assert field in r.json()["errors"], r.json()


@pytest.mark.parametrize("q", ['"\\/:*?(){}[]^~!', "team AND", "team OR (", "title:x", "*",
                               "a\"b", "<script>", "~1", "\\", "team!!!", "ünïcödé 𝔘", "x" * 200])
def test_query_syntax_is_just_text(indexed, q):
    got = search(indexed, q=q)
    assert isinstance(got["results"], list) and got["count"] >= 0


def test_search_box_on_the_list_page(indexed):
    r = indexed.get("/", params={"q": "Bayes Team 3", "source": "source1"})
    assert r.status_code == 200
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.find("input", attrs={"name": "q"})["value"] == "Bayes Team 3"
    assert soup.find("label", attrs={"for": "f-q"})
    links = [a["href"] for a in soup.select("table.matches tbody a")]
    assert f"/matches/{sample_id(indexed)}/" in links
    assert "for “Bayes Team 3”" in soup.find(class_="count").get_text()
    # facets refine the search: each keeps q
    facets = soup.select("nav.facets a")
    assert facets and all("q=Bayes+Team+3" in a["href"] and "source=source1" in a["href"]
                          for a in facets)
    r = indexed.get("/" + facets[0]["href"])
    assert r.status_code == 200
    # a blank box is the plain list
    r = indexed.get("/", params={"q": ""})
    assert r.status_code == 200 and "for “" not in r.text
    # a bad one is the form again
    r = indexed.get("/", params={"q": "x" * 300})
    assert r.status_code == 400
    assert BeautifulSoup(r.text, "html.parser").find(id="e-q")


def test_engine_down_then_off(indexed, es):  # noqa: F811
    """The engine stopped: search answers 503 JSON, everything else works.
    Workers started without an engine: 503 saying search is off, and the
    list page has no search box. Then back to normal."""
    indexed.stack("down", "search")
    try:
        r = indexed.get("/api/search/", params={"q": "team"})
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert r.json() == {"detail": "Search is unavailable, try again shortly."}
        assert indexed.get("/api/matches/").status_code == 200
        assert indexed.get("/healthz").status_code == 200
        page = indexed.get("/", params={"q": "team"})
        assert page.status_code == 503 and "text/html" in page.headers["Content-Type"]

        indexed.stack("down", "fcgi")
        indexed.stack("up", "fcgi")
        r = indexed.get("/api/search/", params={"q": "team"})
        assert r.status_code == 503 and "ELASTICSEARCH_URL" in r.json()["detail"]
        page = indexed.get("/")
        assert page.status_code == 200
        assert BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "q"}) is None
    finally:
        indexed.stack("up", "search")
        indexed.stack("down", "fcgi")
        indexed.stack("up", "fcgi")
    wait_until(lambda: indexed.get("/api/search/", params={"q": "team"}).status_code == 200,
               timeout=60, what="search back")
