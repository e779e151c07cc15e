"""Generated messages for tests, from tools/send_msg's deterministic
generator (the same one the benchmarks use)."""

import subprocess

from conftest import ROOT


def generate(n, seed=1, sources=3, update_ratio=0.3, prefix="source"):
    """n messages shaped like the samples, as bytes, one per list item; their
    sources are named prefix1..prefixK."""
    r = subprocess.run([str(ROOT / "tools" / "send_msg"), "--env-file", "/dev/null",
                        "--generate", str(n), "--seed", str(seed), "--sources", str(sources),
                        "--update-ratio", str(update_ratio), "--source-prefix", prefix, "--dump"],
                       capture_output=True, check=True, timeout=120)
    lines = r.stdout.splitlines()
    assert len(lines) == n
    return lines
