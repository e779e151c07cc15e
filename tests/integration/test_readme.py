"""The README tells the truth: every command it shows is known here and works
as written. Those that can run unattended run (from the repository's root,
against the test stack); the others (they start or stop the default stack,
containers, or the test run itself) are checked as far as they can be: the
make target exists, the tool is there. The configuration table, the unit
test files and what CI runs are as the README lists them."""

import os
import re
import shlex
import subprocess

import pytest

from conftest import BUILD, ROOT

README = (ROOT / "README.md").read_text()

# What each command of the README's sh blocks is: "run" (as written, must
# exit 0), or why it is not run here. A command the README shows that is
# missing here fails test_every_command_is_known: add it.
COMMANDS = {
    "make run": "starts the stack on the default ports (make -n run is checked)",
    "make test": "runs this very test (make -n test is checked)",
    "make check-asan": "the whole test run again (make -n is checked)",
    "make test-unit": "part of make test (make -n is checked)",
    "make lint": "run by CI (make -n is checked)",
    "make fuzz": "run by CI (make -n is checked)",
    "tools/send_msg --queue matches fixtures/challenge-messages/message1.json": "run",
    "tools/send_msg fixtures/challenge-messages/": "run",
    "tools/send_msg --generate 500 --seed 7 --source-prefix demo": "run",
    "tools/send_msg --generate 5 --dump": "run",
    "tools/send_msg --generate 5 --source-prefix demo --dump | tools/send_msg -": "run",
    "tools/link list": "reads the make-run stack's links (test_linking runs tools/link list)",
    'tools/link confirm 12 345 --note "same final"':
        "a decision on the make-run stack's matches (test_linking runs confirm)",
    "tools/relink": "rewrites the make-run stack's links (test_linking runs tools/relink)",
    "curl -u guest:guest -H 'content-type: application/json' "
    "-d '{\"count\": 1, \"ackmode\": \"reject_requeue_false\", \"encoding\": \"auto\"}' "
    "http://127.0.0.1:15673/api/queues/%2F/matches/get":
        "takes a message off the queue of the make-run stack",
    "curl -N -H 'Accept: text/event-stream' http://127.0.0.1:8080/live/matches":
        "an EventSource stream of the make-run stack that never ends (test_live.py subscribes so)",
    "curl -N -H 'Accept: text/event-stream' http://127.0.0.1:8080/live/matches/42":
        "the same for one match",
}


def sh_commands():
    """The commands of the README's sh blocks, continuations joined and
    comments dropped, in order."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        text = re.sub(r"\\\n\s*", "", block)
        for line in text.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            line = re.sub(r"\s+", " ", line)
            if line and not line.startswith("#"):
                out.append(line)
    return out


def inline_commands():
    return re.findall(r"`((?:[A-Z_]+=\S+ )*(?:make|tools/|build/|docker[ -]compose)[^`]*)`", README)


def stack_env(stack):
    env = dict(os.environ)
    env.update({"AMQP_URL": stack.amqp_url, "ESPORTS_BUILD": str(BUILD)})
    return env


def test_every_command_is_known():
    unknown = [c for c in sh_commands() if c not in COMMANDS]
    assert not unknown, f"the README shows commands this test does not know: {unknown}"


def test_the_commands_that_can_run_unattended_work_as_written(stack):
    # message1 alone first, then all four in order: the sample match ends as
    # the samples leave it, whatever other tests expect of it
    order = sorted((c for c, how in COMMANDS.items() if how == "run"),
                   key=lambda c: "--queue" not in c)
    for cmd in order:
        assert cmd in sh_commands(), f"no longer in the README: {cmd}"
        r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=ROOT, env=stack_env(stack),
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, (cmd, r.stdout[-2000:], r.stderr[-2000:])
        if cmd.endswith("--dump"):
            assert len(r.stdout.splitlines()) == 5


@pytest.mark.parametrize("cmd", sorted(c for c, how in COMMANDS.items()
                                       if how != "run" and c.startswith("make ")))
def test_the_make_commands_exist(cmd):
    r = subprocess.run(["make", "-n", *shlex.split(cmd)[1:]], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, (cmd, r.stderr[-2000:])


def test_inline_commands_exist():
    for cmd in inline_commands():
        words = shlex.split(cmd)
        while words and re.match(r"^[A-Z_]+=", words[0]):
            words.pop(0)
        if words[:2] == ["docker", "compose"]:
            raise AssertionError(f"`{cmd}`: tools/deps installs docker-compose, not the plugin")
        if words[0] == "make":
            args = [w for w in words[1:] if not w.startswith("-")]
            r = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True,
                               timeout=120, env=dict(os.environ, STACK_DIR=str(ROOT / "var" / "none")))
            assert r.returncode == 0, (cmd, r.stderr[-1000:])
        elif words[0].startswith("tools/"):
            assert (ROOT / words[0]).exists(), cmd
        elif words[0].startswith("build/"):
            name = words[0].split("/")[1]
            # the folders other targets fill (make fuzz, make check-asan, the
            # unit tests, the tests' venv) need not exist before those run
            assert name in ("fuzz", "asan", "tests", "venv") or (BUILD / name).exists() or \
                (ROOT / "build" / name).exists(), cmd


def test_make_demo_adds_generated_matches(stack):
    r = subprocess.run(["make", "demo", "N=20", "SEED=3"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120,
                       env=dict(stack_env(stack), STACK_DIR=str(stack.dir)))
    assert r.returncode == 0, r.stderr
    assert "sent 20, confirmed 20" in r.stderr
    r = subprocess.run(["make", "demo", "N=20"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, STACK_DIR=str(ROOT / "var" / "none")))
    assert r.returncode != 0 and "make run first" in r.stderr


def test_every_configuration_variable_is_read_by_the_programs():
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([A-Z_0-9]+)` \|", section, re.M)
    assert len(documented) > 20
    r = subprocess.run([str(BUILD / "esports-consumer"), "--help-config"], capture_output=True,
                       text=True, timeout=30)
    read = set(re.findall(r"^\s+([A-Z_0-9]+)\s", r.stdout + r.stderr, re.M))
    assert set(documented) == read, (set(documented) ^ read)


def test_the_unit_tests_are_listed_as_they_are():
    line = re.search(r"^tests/unit/\s+cmocka tests of the pure modules: (.*?);\s+the rest",
                     README, re.M | re.S).group(1)
    listed = {m.strip().split("/")[-1] for m in re.split(r",\s*|\s+and\s+", re.sub(r"\([^)]*\)", "", line))
              if m.strip()}
    files = {p.stem[len("test_"):] for p in (ROOT / "tests" / "unit").glob("test_*.c")}
    assert listed == files


def test_what_ci_runs_is_listed():
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [re.sub(r"^stage\s+", "", l) for l in ci.splitlines()]
    steps = [" ".join(l.split()[:2]) if l.startswith("make ") else l.split()[0]
             for l in lines if re.match(r"^(make |tools/)", l)]
    line = re.search(r"^\.ci/run\s+what CI runs: (.*)$", README, re.M).group(1)
    assert [s.strip() for s in line.split(",")] == steps
    # and every target make help names is in the README
    helped = re.findall(r"^make (\S+)", subprocess.run(["make", "help"], cwd=ROOT,
                                                        capture_output=True, text=True).stdout, re.M)
    for t in helped:
        for name in t.split("|"):
            assert f"make {name}" in README, name
