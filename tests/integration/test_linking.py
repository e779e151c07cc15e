"""Record linkage through the real system: the consumer's linker links what
the batches queue, tools/link records a person's decisions, tools/relink
rebuilds the same links from the stored rows."""

import json
import random
import subprocess

from conftest import ROOT, TEST_ENV, LogTail, tag, wait_until
from gen import generate
from test_consumer import Isolated

LINK = str(ROOT / "tools" / "link")
RELINK = str(ROOT / "tools" / "relink")
SEND = str(ROOT / "tools" / "send_msg")


def tool(stack, prog, *args):
    return subprocess.run([prog, *args], capture_output=True, text=True, timeout=600,
                          env=stack.app_env(LOG_LEVEL="warn"))


def match_id(stack, source, ext):
    return int(stack.scalar(
        f"SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id"
        f" WHERE s.name = '{source}' AND m.external_id = '{ext}'"))


def fixture_of(stack, mid):
    return int(stack.scalar(f"SELECT fixture_id FROM fixture_members WHERE match_id = {mid}"))


def link_row(stack, a, b):
    a, b = min(a, b), max(a, b)
    rows = stack.sql(f"SELECT status, probability, evidence FROM match_links"
                     f" WHERE match_a = {a} AND match_b = {b}")
    return rows[0] if rows else None


def identity_of(stack, source, ext):
    return int(stack.scalar(
        f"SELECT i.identity_id FROM teams t JOIN sources s ON s.id = t.source_id"
        f" JOIN team_identity_members i ON i.team_id = t.id"
        f" WHERE s.name = '{source}' AND t.external_id = '{ext}'"))


class Session:
    """A MariaDB session of its own (the mariadb client on a pipe), which
    keeps its locks and its transaction until close()."""

    def __init__(self, stack):
        self.p = subprocess.Popen(
            ["mariadb", "--no-defaults", "-uroot", f"--socket={stack.socket}", "-N", "-B",
             "--unbuffered", "esports"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, sql):
        """Runs sql; returns the first line it printed."""
        self.p.stdin.write(f"{sql};\nSELECT 'done';\n")
        self.p.stdin.flush()
        out = []
        while (line := self.p.stdout.readline().strip()) != "done":
            assert line or self.p.poll() is None, "the session ended"
            out.append(line)
        return out[0] if out else None

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            self.p.wait(timeout=30)


def waiting_for_the_batches_lock(stack):
    """The statements waiting for the status row's lock (the one every batch
    and the linker's slice take), as the server lists them."""
    return stack.sql("SELECT ID, STATE, INFO FROM information_schema.PROCESSLIST"
                     " WHERE INFO LIKE 'SELECT data_version FROM consumer_status%FOR UPDATE'")


def slices(tail):
    """The linker's slices logged since tail began, as dicts of their fields."""
    return [dict(w.split("=", 1) for w in line.split() if "=" in w)
            for line in tail.text().splitlines() if "event=linked_slice" in line]


def match(source, ext, teams, start, title, tournament="Spring Cup", bestof=3, scores=None):
    """A strict-JSON message; teams are (id, name) pairs."""
    data = {"id": ext, "url": f"https://{source}.example/{ext}", "state": 1,
            "teams": [{"id": i, "name": n} for i, n in teams], "bestof": str(bestof),
            "tournament": {"id": "7", "name": tournament},
            "date_start_text": start, "title": title}
    if scores:
        data["scores"] = [{"team": t, "score": s} for t, s in scores]
    return json.dumps({"source": source, "data": data}).encode()


def test_the_samples_link_source1_and_source2_and_keep_source3_apart(stack, fixtures):
    t = tag("")
    s1, s2, s3 = f"s1{t}", f"s2{t}", f"s3{t}"
    bodies = []
    for i in range(1, 5):
        raw = (fixtures / f"message{i}.json").read_text()
        # own sources, and an own title (its spellings kept), so that no other
        # test's copy of the samples is a candidate
        raw = (raw.replace('"source1"', f'"{s1}"').replace('"source2"', f'"{s2}"')
               .replace('"source3"', f'"{s3}"').replace('"Overcooked"', f'"Overcooked{t}"')
               .replace('"OverCooked "', f'"OverCooked{t} "')
               .replace('"Overcooked 2"', f'"Overcooked{t} 2"'))
        bodies.append(raw.encode())
    stack.publish_applied(bodies)
    a, b = match_id(stack, s1, "1"), match_id(stack, s2, "99")
    c = int(stack.scalar(f"SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id"
                         f" WHERE s.name = '{s3}'"))
    row = link_row(stack, a, b)
    linked = fixture_of(stack, a) == fixture_of(stack, b)
    assert linked or (row is not None and row[0] == "suggested"), (row, linked)
    evidence = json.loads(row[2] if row else stack.scalar(
        f"SELECT evidence FROM fixture_members WHERE match_id = {max(a, b)}"))
    fields = {f["field"]: f for f in evidence["fields"]}
    # the reason: the teams agree once normalized ("Bayes Esports 3 " is Bayes Team 3)
    assert fields["teams"]["weight"] > 0 and "exact" in fields["teams"]["level"]
    assert 0.5 <= evidence["probability"] <= 1
    # source3's "Overcooked 2" is another game: its own fixture, never a candidate
    assert fixture_of(stack, c) == c
    assert stack.scalar(f"SELECT COUNT(*) FROM match_links WHERE {c} IN (match_a, match_b)") == "0"
    # Bayes Team 2 at source1 and at source2 is one team
    assert identity_of(stack, s1, "2") == identity_of(stack, s2, "2")
    assert identity_of(stack, s1, "2") != identity_of(stack, s1, "3")
    # tools/link lists the suggestion with its evidence
    if not linked:
        r = tool(stack, LINK, "list", "--match", str(a))
        assert r.returncode == 0, r.stderr
        line = next(ln for ln in r.stdout.splitlines() if ln.startswith(f"{a} {b} "))
        assert f"{s1}/1 ~ {s2}/99" in line
        assert "teams" in r.stdout and "start" in r.stdout


def pair(t, start_b="2031-05-04 18:05:00", teams_b=((21, "Team Nova"), (22, "Polar Gaming"))):
    title = f"Game{t}"
    a = match(f"a{t}", "m1", [(11, "Nova"), (12, "Polar")], "2031-05-04 18:00:00", title,
              scores=[(11, 1), (12, 0)])
    b = match(f"b{t}", "x9", list(teams_b), start_b, title,
              scores=[(teams_b[0][0], 1), (teams_b[1][0], 0)])
    return a, b


def test_an_update_that_changes_teams_or_start_breaks_the_link(stack):
    t = tag("")
    a_body, b_body = pair(t)
    stack.publish_applied([a_body, b_body])
    a, b = match_id(stack, f"a{t}", "m1"), match_id(stack, f"b{t}", "x9")
    assert fixture_of(stack, a) == fixture_of(stack, b) == min(a, b)
    ev = json.loads(stack.scalar(f"SELECT evidence FROM fixture_members WHERE match_id = {b}"))
    assert ev["linked_to"] == a and ev["probability"] >= 0.99
    assert identity_of(stack, f"a{t}", "11") == identity_of(stack, f"b{t}", "21")

    # other teams: no longer one fixture, no longer one team
    _, b2 = pair(t, teams_b=((23, "Ember"), (24, "Vortex")))
    prefix = stack.publish_applied([b2])
    assert stack.logged(prefix, status="applied") == 1
    assert fixture_of(stack, a) == a and fixture_of(stack, b) == b
    assert identity_of(stack, f"a{t}", "11") != identity_of(stack, f"b{t}", "21")

    # the teams back: linked again; then postponed by two days: apart again
    stack.publish_applied([b_body])
    assert fixture_of(stack, b) == min(a, b)
    _, b3 = pair(t, start_b="2031-05-06 18:05:00")
    stack.publish_applied([b3])
    assert fixture_of(stack, a) == a and fixture_of(stack, b) == b
    assert link_row(stack, a, b) is None  # not even a candidate any more


def test_a_rename_by_another_match_relinks_the_pair(stack):
    t = tag("")
    stack.publish_applied(list(pair(t)))
    a, b = match_id(stack, f"a{t}", "m1"), match_id(stack, f"b{t}", "x9")
    assert fixture_of(stack, a) == fixture_of(stack, b)

    def tournament_field():
        ev = json.loads(stack.scalar(f"SELECT evidence FROM fixture_members WHERE match_id = {b}"))
        return next(f for f in ev["fields"] if f["field"] == "tournament")
    before = tournament_field()
    assert before["weight"] > 0  # both say "Spring Cup"
    # another match of source a, months later, names tournament 7 otherwise:
    # m1's tournament is renamed, and the evidence of the pair m1 is in changes
    other = match(f"a{t}", "m2", [(13, "Orbit"), (14, "Quasar")], "2031-09-01 12:00:00",
                  f"Game{t}", tournament="Winter Masters")
    stack.publish_applied([other])
    wait_until(lambda: tournament_field() != before, timeout=60,
               what="the pair relinked with the renamed tournament")
    after = tournament_field()
    assert after["weight"] <= 0 and after["level"] != before["level"]
    depth = [ln for ln in stack.get("/metrics").text.splitlines()
             if ln.startswith("esports_link_queue_depth ")]
    assert len(depth) == 1 and int(depth[0].split()[1]) >= 0
    assert fixture_of(stack, a) == fixture_of(stack, b)  # the teams and the start still agree


def test_a_reject_survives_relink_and_a_confirm_wins(stack):
    t = tag("")
    stack.publish_applied(list(pair(t)))
    a, b = match_id(stack, f"a{t}", "m1"), match_id(stack, f"b{t}", "x9")
    assert fixture_of(stack, a) == fixture_of(stack, b)

    before = int(stack.scalar("SELECT seq FROM change_seq WHERE id = 1"))
    r = tool(stack, LINK, "reject", str(a), str(b), "--note", "two legs, not one match")
    assert r.returncode == 0, r.stderr
    assert "recorded as decision" in r.stdout
    assert fixture_of(stack, a) == a and fixture_of(stack, b) == b
    # the match that left the fixture is a change of the feed, with its new fixture
    feed = stack.get("/api/changes/", params={"after": before}).json()["results"]
    moved = [c for c in feed if c["match_id"] == b]
    assert moved and moved[-1]["match"]["fixture_id"] == moved[-1]["fixture_id"] == b
    assert stack.get(f"/api/matches/{b}/").json()["fixture_id"] == b  # no stale cache
    kind, note = stack.sql(f"SELECT kind, note FROM link_decisions WHERE subject_a = {a}"
                           f" AND subject_b = {b} ORDER BY id DESC LIMIT 1")[0]
    assert (kind, note) == ("reject", "two legs, not one match")

    r = tool(stack, RELINK)
    assert r.returncode == 0, r.stderr
    assert "relink: matches" in r.stderr and "relink: done" in r.stdout
    assert fixture_of(stack, a) == a and fixture_of(stack, b) == b
    assert link_row(stack, a, b)[0] == "rejected"

    # a later message for the match does not undo the person either
    stack.publish_applied([pair(t)[1]])
    assert fixture_of(stack, a) == a and fixture_of(stack, b) == b

    # the person changes their mind: the latest decision wins
    r = tool(stack, LINK, "confirm", str(a), str(b), "--note", "one match after all")
    assert r.returncode == 0, r.stderr
    assert fixture_of(stack, a) == fixture_of(stack, b) == min(a, b)
    assert stack.scalar(f"SELECT origin FROM fixture_members WHERE match_id = {b}") == "person"

    # split takes it out again, and relink keeps it so
    r = tool(stack, LINK, "split", str(b), "--note", "out")
    assert r.returncode == 0, r.stderr
    assert fixture_of(stack, b) == b
    assert tool(stack, RELINK).returncode == 0
    assert fixture_of(stack, a) == a and fixture_of(stack, b) == b


def test_team_decisions_and_title_aliases(stack):
    t = tag("")
    a_body = match(f"a{t}", "m1", [(1, "Alpha"), (2, "Beta")], "2032-01-01 10:00:00", f"CS{t}")
    b_body = match(f"b{t}", "m1", [(5, "Alpha"), (6, "Beta")], "2032-01-01 10:00:00",
                   f"Counter{t}")
    stack.publish_applied([a_body, b_body])
    a, b = match_id(stack, f"a{t}", "m1"), match_id(stack, f"b{t}", "m1")
    assert fixture_of(stack, a) == a and fixture_of(stack, b) == b  # two titles: apart
    target = stack.scalar(f"SELECT title_id FROM matches WHERE id = {b}")
    r = tool(stack, LINK, "alias-title", f"CS{t}", target, "--note", "one game")
    assert r.returncode == 0, r.stderr
    assert fixture_of(stack, a) == fixture_of(stack, b) == min(a, b)
    ta = identity_of(stack, f"a{t}", "1")
    assert ta == identity_of(stack, f"b{t}", "5")
    tid_a = int(stack.scalar(f"SELECT t.id FROM teams t JOIN sources s ON s.id = t.source_id"
                             f" WHERE s.name = 'a{t}' AND t.external_id = '1'"))
    r = tool(stack, LINK, "split-team", str(tid_a), "--note", "namesakes")
    assert r.returncode == 0, r.stderr
    assert identity_of(stack, f"a{t}", "1") != identity_of(stack, f"b{t}", "5")
    tid_b = int(stack.scalar(f"SELECT t.id FROM teams t JOIN sources s ON s.id = t.source_id"
                             f" WHERE s.name = 'b{t}' AND t.external_id = '5'"))
    r = tool(stack, LINK, "merge-teams", str(tid_a), str(tid_b))
    assert r.returncode == 0, r.stderr
    assert identity_of(stack, f"a{t}", "1") == identity_of(stack, f"b{t}", "5") == min(tid_a,
                                                                                        tid_b)


def test_bad_input_to_tools_link_gets_a_clear_error(stack):
    cases = [
        ((), "usage: link"),
        (("frobnicate",), "unknown command 'frobnicate'"),
        (("confirm", "1"), "confirm takes MATCH_A MATCH_B"),
        (("confirm", "1", "x"), "'x' is not an id"),
        (("confirm", "1", "99999999999999999999"), "is not an id"),
        (("confirm", "7", "7"), "are the same"),
        (("reject", "1", "9223372036854775807"), "no match with id"),
        (("split", "-3"), "unknown option '-3'"),
        (("split-team", "0"), "'0' is not an id"),
        (("merge-teams", "1"), "merge-teams takes TEAM_A TEAM_B"),
        (("alias-title", "   ", "1"), "the alias must have 1 to 255 characters"),
        (("alias-title", "X\x01", "1"), "control characters"),
        (("alias-title", "CS", "999999999"), "no title with id 999999999"),
        (("list", "--status", "maybe"), "--status takes suggested, confirmed or rejected"),
        (("list", "--match", "x"), "--match takes a match id"),
        (("list", "--match"), "--match takes a match id"),
        (("list", "--limit", "0"), "--limit takes a number from 1 to 10000"),
        (("confirm", "1", "2", "--note"), "--note takes a text"),
        (("confirm", "1", "2", "--note", "x" * 1025), "at most 1024 bytes"),
        (("confirm", "1", "2", "3"), "unexpected argument '3'"),
    ]
    for args, want in cases:
        r = tool(stack, LINK, *args)
        assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
        assert want in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr and "Segmentation" not in r.stderr
    r = tool(stack, RELINK, "--batch", "0")
    assert r.returncode == 2 and "--batch takes a number from 1 to 10000" in r.stderr
    r = tool(stack, RELINK, "--bogus")
    assert r.returncode == 2 and "unknown argument '--bogus'" in r.stderr


def snapshot(stack, prefix, db):
    fx = stack.sql(f"SELECT s.name, m.external_id, f.fixture_id, f.origin FROM matches m"
                   f" JOIN sources s ON s.id = m.source_id"
                   f" JOIN fixture_members f ON f.match_id = m.id"
                   f" WHERE s.name LIKE '{prefix}%' ORDER BY m.id", db)
    ids = stack.sql(f"SELECT s.name, t.external_id, i.identity_id FROM teams t"
                    f" JOIN sources s ON s.id = t.source_id"
                    f" JOIN team_identity_members i ON i.team_id = t.id"
                    f" WHERE s.name LIKE '{prefix}%' ORDER BY t.id", db)
    sug = stack.sql(f"SELECT l.match_a, l.match_b, l.status FROM match_links l"
                    f" JOIN matches m ON m.id = l.match_a JOIN sources s ON s.id = m.source_id"
                    f" WHERE s.name LIKE '{prefix}%' ORDER BY 1, 2", db)
    edges = stack.sql(f"SELECT e.match_id, e.other_match_id, e.team_id, e.other_team_id"
                      f" FROM team_edges e JOIN matches m ON m.id = e.match_id"
                      f" JOIN sources s ON s.id = m.source_id"
                      f" WHERE s.name LIKE '{prefix}%' ORDER BY 1, 2, 3", db)
    return {"fixtures": fx, "identities": ids, "suggestions": sug, "team edges": edges}


def differences(a, b):
    """What differs between two snapshots, briefly."""
    out = {}
    for k in a:
        x, y = {tuple(r) for r in a[k]}, {tuple(r) for r in b[k]}
        if x != y:
            out[k] = (sorted(x - y)[:5], sorted(y - x)[:5], len(x ^ y))
    return out


def generated_into_own_consumer(stack, name, prefix, gen_args, rewrite=None):
    """A consumer of its own (own database, exchange and queue), so that
    thousands of generated matches are nobody else's candidates or results;
    the messages queued before it starts (rewrite: a function the dumped
    messages go through first); returns it once every message is handled
    and the relinking a rename queued is done."""
    iso = Isolated(stack, name)
    iso.declare()
    env = {k: v for k, v in stack.app_env().items() if k != "AMQP_URL"}
    if rewrite is None:
        r = subprocess.run([SEND, "--env-file", str(stack.dir / "stack.env"), "--exchange",
                            iso.name, "--routing-key", "any.key", *gen_args, "--source-prefix",
                            prefix], capture_output=True, timeout=300, env=env)
        assert r.returncode == 0, r.stderr
    else:
        r = subprocess.run([SEND, *gen_args, "--source-prefix", prefix, "--dump"],
                           capture_output=True, timeout=300, env=env)
        assert r.returncode == 0, r.stderr
        iso.publish(rewrite(r.stdout.splitlines()))
    iso.start()
    iso.settle()
    wait_until(lambda: int(stack.scalar("SELECT COUNT(*) FROM link_queue", iso.db)) == 0,
               timeout=300, interval=0.2, what="the link queue relinked")
    assert "event=link_queue_failed" not in iso.log()
    assert "event=slice_failed" not in iso.log()
    return iso


def assert_a_rebuild_gives_the_same(stack, iso, prefix, incremental):
    """Forgets every automatic link, rebuilds them all from the stored rows
    with tools/relink, and compares with what incremental linking made."""
    db = iso.db
    for sql in ("UPDATE fixture_members SET fixture_id = match_id, confidence = 1,"
                " evidence = NULL WHERE origin = 'auto'",
                "UPDATE team_identity_members SET identity_id = team_id, confidence = 1,"
                " evidence = NULL WHERE origin = 'auto'",
                "DELETE FROM team_edges", "DELETE FROM match_links WHERE status = 'suggested'",
                "UPDATE teams SET link_norm = NULL", "UPDATE tournaments SET link_norm = NULL"):
        stack.sql(sql, db)
    assert snapshot(stack, prefix, db) != incremental
    r = subprocess.run([RELINK, "--batch", "500"], capture_output=True, text=True, timeout=600,
                       env=dict(iso.env(), LOG_LEVEL="warn"))
    assert r.returncode == 0, r.stderr
    assert "relink: matches" in r.stderr
    assert differences(snapshot(stack, prefix, db), incremental) == {}
    iso.proc.terminate()
    assert iso.proc.wait(timeout=30) == 0


def test_incremental_linking_equals_a_rebuild_on_5000_generated_messages(stack, tmp_path):
    prefix = tag("fx")
    iso = generated_into_own_consumer(stack, "link5k", prefix, [
        "--generate", "5000", "--fixtures", "--truth", str(tmp_path / "truth.tsv"),
        "--seed", "4242"])
    assert iso.count("applied") == 5000
    incremental = snapshot(stack, prefix, iso.db)
    rows = incremental["fixtures"]
    assert len(rows) > 1000 and all(fid for _, _, fid, _ in rows)
    assert len({fid for _, _, fid, _ in rows}) < len(rows)  # some fixtures have several reports
    assert_a_rebuild_gives_the_same(stack, iso, prefix, incremental)


def renaming(lines, seed=5):
    """Fixtures-mode messages as a feed that renames: a third of the
    messages name their tournament otherwise ("... - Playoffs"), one in
    twenty renames its first team ("... Reborn"); either renames it for
    every match of that source that names it."""
    rnd = random.Random(seed)
    out = []
    for line in lines:
        msg = json.loads(line)
        data = msg["data"]
        if isinstance(data.get("tournament"), dict) and rnd.random() < 0.33:
            data["tournament"]["name"] += rnd.choice([" - Playoffs", " - Finals"])
        if data.get("teams") and rnd.random() < 0.05:
            data["teams"][0]["name"] += " Reborn"
        out.append(json.dumps(msg).encode())
    return out


def test_renames_are_relinked_from_the_queue_and_equal_a_rebuild(stack, tmp_path):
    # every rename queues that tournament or team, whose matches the
    # consumer's linker relinks in slices beside the batches
    prefix = tag("rn")
    iso = generated_into_own_consumer(stack, "linkrn", prefix, [
        "--generate", "2000", "--fixtures", "--truth", str(tmp_path / "truth.tsv"),
        "--seed", "4343"], rewrite=renaming)
    assert iso.count("applied") == 2000
    slices = [dict(w.split("=", 1) for w in line.split() if "=" in w)
              for line in iso.log().splitlines() if "event=linked_slice" in line]
    assert sum(int(s["renames"]) for s in slices) > 0  # renames were taken from the queue
    assert max(int(s["matches"]) for s in slices) <= 1000  # in slices (LINKER_SLICE)
    incremental = snapshot(stack, prefix, iso.db)
    fixtures = {fid for _, _, fid, _ in incremental["fixtures"]}
    assert len(fixtures) < len(incremental["fixtures"])  # some fixtures have several reports
    assert_a_rebuild_gives_the_same(stack, iso, prefix, incremental)


def test_the_linker_and_tools_wait_for_the_named_lock_and_say_so(stack):
    # one writer of links at a time: while another session holds
    # 'esports.link' the batches go on, their matches wait in the queue,
    # tools/relink says who holds it; released, the linker links them
    t = tag("")
    held = Session(stack)
    try:
        assert held.run("SELECT GET_LOCK('esports.link', 0)") == "1"
        prefix = tag("msg")
        stack.publish(list(pair(t)), id_prefix=prefix)
        wait_until(lambda: stack.logged(prefix) == 2, what="2 messages applied")
        a, b = match_id(stack, f"a{t}", "m1"), match_id(stack, f"b{t}", "x9")
        queued = int(stack.scalar(f"SELECT COUNT(*) FROM link_queue WHERE kind = 'match'"
                                  f" AND subject_id IN ({a}, {b})"))
        assert queued == 2  # applied, and waiting for the linker
        assert fixture_of(stack, a) == a and fixture_of(stack, b) == b
        metrics = {ln.split()[0]: float(ln.split()[1]) for ln in stack.get("/metrics").text
                   .splitlines() if ln.startswith("esports_link_queue_")}
        assert metrics["esports_link_queue_depth"] >= 2
        assert metrics["esports_link_queue_oldest_seconds"] > 0  # the linker's lag
        r = tool(stack, RELINK, "--wait", "1")
        assert r.returncode == 1 and "holds the lock 'esports.link'" in r.stderr, r.stderr
    finally:
        held.close()
    stack.wait_linked()
    assert fixture_of(stack, a) == fixture_of(stack, b) == min(a, b)


def test_a_match_queued_again_while_a_slice_reads_is_linked_again(stack):
    # a slice reads the queue without a lock; a batch that queues one of its
    # matches again before the slice commits leaves a row with a higher seq,
    # which that slice must not remove: the next one links the new rows
    t = tag("")
    stack.publish_applied(list(pair(t)))
    a = match_id(stack, f"a{t}", "m1")
    tail = LogTail(TEST_ENV["STACK_DIR"] + "/log/consumer.log")
    batch = Session(stack)
    try:
        batch.run("BEGIN")
        batch.run("SELECT data_version FROM consumer_status WHERE id = 1 FOR UPDATE")
        stack.sql(f"INSERT INTO link_queue (kind, subject_id, seq) VALUES ('match', {a}, 100)")
        # the linker finds it (it looks every second), reads, and waits for the lock
        wait_until(lambda: waiting_for_the_batches_lock(stack), timeout=30, interval=0.02,
                   what="the linker waiting for the batches' lock")
        stack.sql(f"UPDATE link_queue SET seq = 101 WHERE kind = 'match' AND subject_id = {a}")
        batch.run("COMMIT")
    finally:
        batch.close()
    stack.wait_linked()
    took = [s for s in slices(tail) if int(s["queue_rows"]) >= 1]
    assert len(took) >= 2, took  # the row read at seq 100 stayed for the next slice


def test_a_slice_that_reads_part_of_a_seq_leaves_the_rest(stack):
    # a slice removes the rows below the highest seq it read in one range and
    # those of that seq one by one: more rows of one seq than a slice takes
    # (1,000), committed the way a batch commits them (under the status row's
    # lock, with the data_version it moves to), are all linked, in two slices
    prefix = tag("part")
    stack.publish_applied(generate(1500, seed=31, update_ratio=0, prefix=prefix))
    ids = [int(r[0]) for r in stack.sql(
        "SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id"
        f" WHERE s.name LIKE '{prefix}%'")]
    assert len(ids) == 1500
    tail = LogTail(TEST_ENV["STACK_DIR"] + "/log/consumer.log")
    batch = Session(stack)
    try:
        batch.run("BEGIN")
        v = int(batch.run("SELECT data_version FROM consumer_status WHERE id = 1 FOR UPDATE"))
        batch.run("INSERT INTO link_queue (kind, subject_id, seq) VALUES "
                  + ",".join(f"('match', {i}, {v + 1})" for i in ids))
        batch.run("UPDATE consumer_status SET data_version = data_version + 1 WHERE id = 1")
        batch.run("COMMIT")
    finally:
        batch.close()
    stack.wait_linked()
    took = [int(s["queue_rows"]) for s in slices(tail) if int(s["queue_rows"]) >= 1]
    assert sum(took) == 1500 and max(took) == 1000, took
