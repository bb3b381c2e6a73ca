"""bench.py runs (a small smoke run: the figures are measured by run_tests.sh
--bench or by running bench.py, not asserted here)."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import PKG


def test_bench_smoke():
    env = dict(os.environ)
    env["PYTHONPATH"] = PKG + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, os.path.join(PKG, "bench.py"), "--copies", "1",
                        "--repeat", "1", "--no-large"], capture_output=True, text=True, env=env,
                       check=False, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "batched  read_columns()" in r.stdout
    assert "iterator for ev in open()" in r.stdout
    assert "122,155 events" in r.stdout
