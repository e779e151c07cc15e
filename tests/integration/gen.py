"""Generated messages for tests, from tools/send_msg's deterministic
generator (the same one the benchmarks use)."""

import subprocess

from conftest import ROOT


def generate(n, seed=1, sources=3, update_ratio=0.3, prefix=None):
    """n messages shaped like the samples, as bytes, one per list item.
    (prefix is accepted for readability at the call sites; the generator
    names its sources source1..sourceK.)"""
    r = subprocess.run([str(ROOT / "tools" / "send_msg"), "--env-file", "/dev/null",
                        "--generate", str(n), "--seed", str(seed), "--sources", str(sources),
                        "--update-ratio", str(update_ratio), "--dump"],
                       capture_output=True, check=True, timeout=120)
    lines = r.stdout.splitlines()
    assert len(lines) == n
    return lines
