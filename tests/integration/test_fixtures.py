"""The sample messages the repository ships (fixtures/challenge-messages/):
byte for byte the ones the sources distributed. Needs no running stack."""

import pytest

from conftest import FIXTURES, ROOT, SHARED_FIXTURES

NAMES = [f"message{i}.json" for i in range(1, 5)]
FILES = NAMES + [f"strict/{n}" for n in NAMES]
REPO_COPY = ROOT / "fixtures" / "challenge-messages"


def test_the_repository_ships_every_sample():
    for name in FILES:
        assert (REPO_COPY / name).is_file(), name
    # as distributed: not strict JSON (a trailing comma after each team's
    # "name"), the strict copies without those commas
    for name in NAMES:
        raw = (REPO_COPY / name).read_bytes()
        strict = (REPO_COPY / "strict" / name).read_bytes()
        assert b'",\n            }' in raw, name
        assert b'",\n            }' not in strict, name
        assert raw.replace(b'",\n            }', b'"\n            }') == strict, name


def test_the_tests_use_the_repository_copy_by_default():
    if FIXTURES != REPO_COPY:
        pytest.skip(f"ESPORTS_FIXTURES points the tests at {FIXTURES}")
    assert FIXTURES.is_dir()


def test_the_copy_equals_the_distributed_samples():
    """Where the distributed samples are next to the repository, the
    repository's copy must be identical to them (every file, every byte)."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"no distributed samples at {SHARED_FIXTURES}")
    shared = sorted(p.relative_to(SHARED_FIXTURES).as_posix()
                    for p in SHARED_FIXTURES.rglob("*.json"))
    assert shared == sorted(FILES)
    for name in FILES:
        assert (REPO_COPY / name).read_bytes() == (SHARED_FIXTURES / name).read_bytes(), name
