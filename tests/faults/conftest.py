"""Fixtures of the fault-injection suite: the settings and seed, one private
stack for the whole run (tools/stack down at the end, even on failure), and
the per-case report printed above pytest's summary line."""

import signal
import time

import pytest

from faultlib import FaultStack, Report, Settings

SETTINGS = Settings()
REPORT = Report()


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    # a SIGTERM (a CI timeout, say) still tears the stack down
    signal.signal(signal.SIGTERM, _interrupt)


def pytest_report_header(config):
    return [f"faults: profile {SETTINGS.profile}, seed {SETTINGS.seed} "
            f"(FAULTS_SEED={SETTINGS.seed} repeats the same moments and messages)"]


@pytest.fixture(scope="session")
def settings():
    return SETTINGS


@pytest.fixture(scope="session")
def report():
    return REPORT


@pytest.fixture(scope="session")
def stack():
    s = FaultStack()
    s.stack("down", "--purge", check=False)
    try:
        t0 = time.monotonic()
        s.stack("up")
        s.load_env()
        assert s.es, "the search engine did not start (java, javac and mvn are needed)"
        REPORT.note(f"stack up in {time.monotonic() - t0:.1f} s")
        yield s
    finally:
        s.stop_spawned()
        s.stack("down", check=False)
        REPORT.dump(s.dir, SETTINGS)


def pytest_terminal_summary(terminalreporter):
    if not REPORT.rows:
        return
    tr = terminalreporter
    tr.section(f"fault injection (profile {SETTINGS.profile}, seed {SETTINGS.seed})")
    for line in REPORT.table().splitlines():
        tr.write_line(line)
    for note in REPORT.notes:
        tr.write_line(note)
    tr.write_line(f"repeat with FAULTS_SEED={SETTINGS.seed}; details in "
                  f"var/faults/report.md and var/faults/log/")
