"""The search mirror against a real Elasticsearch (7.10.2 from Maven Central,
started by tools/stack): documents equal to the API's, the engine going away
and coming back, a document the engine refuses, and tools/reindex."""

import json
import shutil
import subprocess
import uuid

import pytest
import requests

from conftest import BUILD, wait_until
from gen import generate
from test_consumer import Isolated, sample_bytes


@pytest.fixture(scope="module")
def es(stack):
    if not stack.es:
        if not (shutil.which("java") and shutil.which("javac") and shutil.which("mvn")):
            pytest.skip("no java/javac/mvn: the stack runs without a search engine")
        raise AssertionError("java and mvn are here, but the stack started no search engine")
    return stack.es


def es_get(es, path, **kw):
    r = requests.get(es + path, timeout=30, **kw)
    return r


def es_docs(es, index):
    """Every document of index (an alias or index name), by id."""
    r = requests.post(f"{es}/{index}/_refresh", timeout=30)
    assert r.status_code == 200, r.text
    r = requests.post(f"{es}/{index}/_search", timeout=30,
                      json={"size": 10000, "sort": [{"id": "asc"}], "query": {"match_all": {}}})
    assert r.status_code == 200, r.text
    return {int(h["_id"]): h["_source"] for h in r.json()["hits"]["hits"]}


def search(es, index, query):
    r = requests.post(f"{es}/{index}/_search", timeout=30, json={"size": 100, "query": query})
    assert r.status_code == 200, r.text
    return sorted(int(h["_id"]) for h in r.json()["hits"]["hits"])


def without_view(doc):
    """A document as the API renders it: without its view and its teams'
    aliases."""
    return {**{k: v for k, v in doc.items() if k != "view"},
            "teams": [{k: v for k, v in t.items() if k != "aliases"} for t in doc["teams"]]}


def outbox(stack, db, parked=0):
    return int(stack.scalar(f"SELECT COUNT(*) FROM search_outbox WHERE parked = {parked}", db))


class Mirrored(Isolated):
    """An isolated consumer (own database, queues) mirroring into its own alias."""

    def __init__(self, stack, es, name, **extra):
        self.alias = f"t-{name}-{uuid.uuid4().hex[:6]}"
        extra.setdefault("MIRROR_RETRY_MAX_MS", 500)
        super().__init__(stack, name, ELASTICSEARCH_URL=es, ELASTICSEARCH_INDEX=self.alias, **extra)

    def match_ids(self):
        return {int(r[0]) for r in self.stack.sql("SELECT id FROM matches", self.db)}

    def log(self):
        return (self.stack.dir / "log" / f"consumer-{self.name}.log").read_text()


def test_samples_are_indexed_as_the_api_renders_them(stack, es, fixtures):
    """The stack's own consumer mirrors the samples; each document is the
    JSON of /api/matches/{id}/, plus its text as the view that search
    sends, and the mapping finds them by team name."""
    sent = stack.publish_applied(sample_bytes(fixtures))
    # the matches these messages built (found by their message ids: the
    # samples' sources are everybody's)
    ids = [int(r[0]) for r in stack.sql(f"SELECT DISTINCT match_id FROM messages "
                                        f"WHERE message_id LIKE '{sent}-%' ORDER BY match_id")]
    assert len(ids) == 3
    wait_until(lambda: outbox(stack, "esports") == 0, timeout=60, what="the outbox drained")
    docs = es_docs(es, "esports-matches")
    for i in ids:
        api = stack.get(f"/api/matches/{i}/")
        assert api.status_code == 200
        # updated_at: the database's (the API may answer from its cache when a
        # message changed nothing but the time)
        assert docs[i]["updated_at"] == stack.scalar(
            f"SELECT DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ') FROM matches WHERE id = {i}")
        # the document's teams carry their identity's other spellings too
        # (aliases, what search matches beside the names); the rest is the API's
        view = docs[i].pop("view")
        doc = {**docs[i], "updated_at": None,
               "teams": [{k: v for k, v in t.items() if k != "aliases"} for t in docs[i]["teams"]]}
        assert all(isinstance(t.get("aliases", []), list) for t in docs[i]["teams"])
        assert doc == {**api.json(), "updated_at": None}, f"match {i}"
        # the view: the same document as text, without the aliases
        assert json.loads(view) == {**doc, "updated_at": docs[i]["updated_at"]}, f"match {i}"
        assert view.startswith(f'{{"id":{i},')
    # message 2 updated the match of message 1: one document with the new state
    first = next(d for d in docs.values() if d["source"] == "source1" and d["external_id"] == "1")
    assert first["state"] == 2 and first["bestof"] == 3
    assert [t["name"] for t in first["teams"]] == ["Bayes Team 2", "Bayes Team 3"]
    assert first["tournament"]["name"] == "Overbayes Season 1 - Group Stage"
    assert first["date_start"] == "2020-01-07T15:00:00Z"
    # one team's name, in another case; the keyword sub-fields for filters and facets
    assert first["id"] in search(es, "esports-matches", {"bool": {
        "must": [{"match": {"teams.name": {"query": "bayes TEAM 3", "operator": "and"}}}],
        "filter": [{"term": {"source": "source1"}}]}})
    assert search(es, "esports-matches", {"bool": {"filter": [
        {"ids": {"values": [str(first["id"])]}},
        {"term": {"title.name.key": "overcooked"}}]}}) == [first["id"]]
    mapping = es_get(es, "/esports-matches/_mapping").json()
    props = next(iter(mapping.values()))["mappings"]["properties"]
    assert props["state"]["type"] == "integer" and props["date_start"]["type"] == "date"
    assert props["source"]["type"] == "keyword"
    assert props["teams"]["properties"]["name"]["fields"]["keyword"]["type"] == "keyword"
    # the view is kept in doc values, never searched
    assert props["view"] == {"type": "keyword", "index": False, "ignore_above": 8191}
    (index,) = es_get(es, "/_alias/esports-matches").json()  # one concrete index behind it
    assert index.startswith("esports-matches-v")


def test_engine_down_then_back_the_outbox_catches_up(stack, es):
    """Engine stopped: messages keep being applied and the outbox holds them;
    engine back: the outbox drains by itself and a search sees every match."""
    iso = Mirrored(stack, es, "outage")
    iso.start()
    iso.publish(generate(5, seed=21, prefix="warm"))
    wait_until(lambda: iso.count() == 5 and outbox(stack, iso.db) == 0, timeout=60,
               what="the alias created and the first documents sent")
    stack.stack("down", "search")
    try:
        iso.publish(generate(200, seed=22, prefix="outage"))
        wait_until(lambda: iso.count("applied") == 205, timeout=60, what="200 applied meanwhile")
        pending = stack.sql("SELECT DISTINCT match_id FROM search_outbox WHERE parked = 0", iso.db)
        assert {int(r[0]) for r in pending} == \
            {int(r[0]) for r in stack.sql(
                "SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
                "WHERE s.name LIKE 'outage%'", iso.db)}
        assert outbox(stack, iso.db, parked=1) == 0
        wait_until(lambda: "event=mirror_waiting" in iso.log(), timeout=30,
                   what="the mirror to notice the engine is gone")
    finally:
        stack.stack("up", "search")
    wait_until(lambda: outbox(stack, iso.db) == 0, timeout=90, what="the outbox drained")
    docs = es_docs(es, iso.alias)
    assert set(docs) == iso.match_ids()
    r = requests.post(f"{es}/{iso.alias}/_search", timeout=30,
                      json={"size": 0, "track_total_hits": True})
    assert r.json()["hits"]["total"]["value"] == len(iso.match_ids())
    # (logged once the round that emptied the outbox has settled its rows)
    wait_until(lambda: "event=mirror_resumed" in iso.log(), timeout=30, what="mirror_resumed logged")


def test_the_mirror_takes_full_turns_once_a_feed_of_full_batches_ends(stack, es):
    """While batches fill up, the mirror waits between its rounds, so that
    ingestion goes first; once no message waits, it must send round after
    round. A feed that ended with a full batch used to leave the consumer
    'busy' for good: the mirror then sent one round per 5 s."""
    iso = Mirrored(stack, es, "fullbatches", CONSUMER_BATCH_SIZE=10, MIRROR_BATCH_SIZE=10)
    iso.declare()
    iso.publish(generate(40, seed=23, update_ratio=0, prefix="full"))  # four full batches
    iso.start()
    wait_until(lambda: iso.count("applied") == 40 and outbox(stack, iso.db) == 0, timeout=120,
               what="40 applied and mirrored")
    assert set(es_docs(es, iso.alias)) == iso.match_ids()
    rounds = [line for line in iso.log().splitlines() if "event=mirror_sent" in line]
    assert len(rounds) >= 4
    assert " busy=0 " in rounds[-1] + " ", rounds[-1]  # the queue was known to be idle


def test_a_refused_document_is_parked_and_the_rest_go_through(stack, es):
    """An index whose mapping refuses one document (state 1000 into a byte):
    after MIRROR_MAX_ATTEMPTS that outbox row is parked with the engine's
    error, and every other document is indexed."""
    iso = Mirrored(stack, es, "poison", MIRROR_MAX_ATTEMPTS=3, MIRROR_RETRY_MAX_MS=300)
    r = requests.put(f"{es}/{iso.alias}-v1", timeout=30, json={
        "settings": {"number_of_replicas": 0},
        "mappings": {"properties": {"state": {"type": "byte"}}},
        "aliases": {iso.alias: {}}})
    assert r.status_code == 200, r.text
    msg = lambda i, state: json.dumps({"source": "poison", "data": {
        "id": i, "state": state, "teams": [{"id": 1, "name": f"Team {i}"}]}}).encode()
    iso.declare()
    iso.publish([msg(i, 1) for i in range(20)] + [msg("bad", 1000)] +
                [msg(i, 2) for i in range(20, 40)])
    iso.start()
    wait_until(lambda: outbox(stack, iso.db, parked=1) == 1 and outbox(stack, iso.db) == 0,
               timeout=60, what="the poison parked, the rest sent")
    (attempts, err, ext), = stack.sql(
        "SELECT o.attempts, o.last_error, m.external_id FROM search_outbox o "
        "JOIN matches m ON m.id = o.match_id", iso.db)
    assert (attempts, ext) == ("3", "bad")
    assert "mapper_parsing_exception" in err, err
    docs = es_docs(es, iso.alias)
    assert len(docs) == 40 and "bad" not in {d["external_id"] for d in docs.values()}
    log = iso.log()
    assert "event=document_refused" in log and "event=outbox_parked" in log


def test_renames_reach_every_document_and_reindex_rebuilds_the_same(stack, es, fixtures):
    """A later message for another match renames a tournament and a team: the
    mirror rewrites every document naming them, their views too (names with
    quotes and backslashes, before and after). Then reindex copies MariaDB
    into a new index and moves the alias: the same documents."""
    iso = Mirrored(stack, es, "reindex")
    iso.start()
    nine_old, nine_new = 'Nine "old" \\', 'Nine "renamed" \\ \u00e9'
    msg = lambda i, tournament, nine=nine_old: json.dumps({"source": "reidx", "data": {
        "id": i, "state": 1 + i % 3, "bestof": "3", "title": "Overcooked",
        "tournament": tournament, "date_start_text": f"2020-01-{1 + i % 28:02d} 10:00:00",
        "teams": [{"id": i % 9, "name": f"Team {i % 9}"}, {"id": 9, "name": nine}]}}).encode()
    iso.publish(sample_bytes(fixtures) + [msg(i, f"Open {i % 4}") for i in range(150)] +
                [msg(200, {"id": 7, "name": "Old name"}), msg(203, {"id": 8, "name": "Old too"})])
    wait_until(lambda: iso.count() == 156 and outbox(stack, iso.db) == 0, timeout=60,
               what="everything mirrored")
    # two tournaments renamed at once: one update of the engine takes both
    iso.publish([msg(201, {"id": 7, "name": "New name"}, nine=nine_new),
                 msg(204, {"id": 8, "name": 'New "too"'}, nine=nine_new)])
    wait_until(lambda: iso.count() == 158 and outbox(stack, iso.db) == 0, timeout=60,
               what="the messages mirrored")

    def renamed():
        docs = es_docs(es, iso.alias)
        old = {d["external_id"]: d["tournament"]["name"] for d in docs.values()
               if d["external_id"] in ("200", "203")}
        nines = [t["name"] for d in docs.values() for t in d["teams"] if t["name"].startswith("Nine")]
        return docs if old == {"200": "New name", "203": 'New "too"'} and \
            set(nines) == {nine_new} and len(nines) == 154 else None
    before = wait_until(renamed, timeout=30, interval=0.5, what="the renames in every document")
    assert set(before) == iso.match_ids()
    # every view says what its document says, renamed in place or sent whole
    assert all(json.loads(d["view"]) == without_view(d) for d in before.values())

    def views_apart(docs):
        return {i: {k: v for k, v in d.items() if k != "view"} for i, d in docs.items()}
    # (logged once the engine has answered, which may come after the documents show it)
    wait_until(lambda: "event=rename_propagated kind=tournament" in iso.log() and
               "event=rename_propagated kind=team" in iso.log(), timeout=30,
               what="both renames logged")

    r = subprocess.run([str(BUILD / "reindex"), "--batch", "40"], env=iso.env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"reindex: {len(before)} documents into {iso.alias}-v"), r.stdout
    assert "(deleted)" in r.stdout
    (index,) = es_get(es, f"/_alias/{iso.alias}").json()
    assert index != f"{iso.alias}-v1"
    assert es_get(es, f"/{iso.alias}-v1").status_code == 404  # the old one is gone
    after = es_docs(es, iso.alias)
    assert views_apart(after) == views_apart(before)
    assert all(json.loads(d["view"]) == without_view(d) for d in after.values())
    # what reindex queued for the mirror (changed while it copied) is sent again
    wait_until(lambda: outbox(stack, iso.db) == 0, timeout=60, what="requeued rows sent")
    assert es_docs(es, iso.alias) == after


def test_reindex_says_so_when_the_engine_is_unreachable(stack):
    iso = Isolated(stack, "reindex_down")
    r = subprocess.run([str(BUILD / "reindex")],
                       env=iso.env() | {"ELASTICSEARCH_URL": "http://127.0.0.1:9"},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "reindex: Elasticsearch at http://127.0.0.1:9 is unreachable" in r.stderr
    r = subprocess.run([str(BUILD / "reindex")], env=iso.env(), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "ELASTICSEARCH_URL is empty" in r.stderr


def test_search_settings_are_validated(stack):
    env = stack.app_env(ELASTICSEARCH_INDEX="Bad/Name")
    r = subprocess.run([str(BUILD / "esports-consumer")], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "invalid ELASTICSEARCH_INDEX='Bad/Name'" in r.stderr
    r = subprocess.run([str(BUILD / "esports-consumer"), "--help-config"], capture_output=True,
                       text=True, timeout=30)
    for name in ("ELASTICSEARCH_INDEX", "ES_TIMEOUT_MS", "MIRROR_MAX_ATTEMPTS"):
        assert name in r.stdout


def test_aliases_follow_every_change_of_a_teams_identity(stack, es):
    """A team's aliases are the names of its identity's other members. Another
    source's team that joins the identity later, or is renamed while in it,
    changes the documents of matches it does not play: theirs are sent again
    too. The documents of source a's match, mirrored before source b reported
    it, used to lack b's spelling for good."""
    iso = Mirrored(stack, es, "aliases")
    iso.start()

    def msg(source, ext, teams, start):
        return json.dumps({"source": source, "data": {
            "id": ext, "state": 2, "bestof": "3", "title": "Alias Cup", "tournament": "Open",
            "date_start_text": start, "teams": [{"id": i, "name": n} for i, n in teams],
            "scores": [{"team": teams[0][0], "score": 2, "winner": True},
                       {"team": teams[1][0], "score": 1, "winner": False}]}}).encode()

    def settled(n):
        return iso.count("applied") == n and outbox(stack, iso.db) == 0 and \
            int(stack.scalar("SELECT COUNT(*) FROM link_queue", iso.db)) == 0

    def aliases_as_stored():
        """team id: the other names of its identity, as MariaDB has them."""
        out = {}
        for team, name in stack.sql(
                "SELECT tim.team_id, o.name FROM team_identity_members tim"
                " JOIN team_identity_members om ON om.identity_id = tim.identity_id"
                " AND om.team_id <> tim.team_id JOIN teams o ON o.id = om.team_id", iso.db):
            out.setdefault(int(team), set()).add(name)
        return out

    def aliases_in_documents():
        return {int(t["id"]): set(t["aliases"]) for d in es_docs(es, iso.alias).values()
                for t in d["teams"] if t.get("aliases")}

    def team(source, ext):
        return int(stack.scalar("SELECT t.id FROM teams t JOIN sources s ON s.id = t.source_id"
                                f" WHERE s.name = '{source}' AND t.external_id = '{ext}'", iso.db))

    iso.publish([msg("alias-a", 10, [(1, "Team Liquid"), (2, "Natus Vincere")],
                     "2024-03-01 18:00:00")])
    wait_until(lambda: settled(1), timeout=60, what="a's match mirrored")
    assert aliases_in_documents() == {}
    iso.publish([msg("alias-b", "m-77", [(501, "Liquid"), (502, "Natus Vincere Esports")],
                     "2024-03-01 18:05:00")])
    wait_until(lambda: settled(2), timeout=60, what="b's match linked and mirrored")
    navi = team("alias-a", 2)
    assert aliases_as_stored()[navi] == {"Natus Vincere Esports"}  # b's team joined a's identity
    assert aliases_in_documents() == aliases_as_stored()
    # b renames its team in a later match: a's document has the new spelling
    iso.publish([msg("alias-b", "m-90", [(502, "Natus Vincere Gaming"), (505, "Fnatic")],
                     "2024-03-09 18:00:00")])
    wait_until(lambda: settled(3), timeout=60, what="the rename relinked and mirrored")
    assert "Natus Vincere Gaming" in aliases_as_stored()[navi]
    assert aliases_in_documents() == aliases_as_stored()
