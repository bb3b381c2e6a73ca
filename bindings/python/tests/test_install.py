"""The package installs offline with pip (setuptools + cffi_modules, no build
isolation) into a virtualenv that sees Debian's python3-cffi, and works there."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import PKG, REPO, corpus


def test_pip_install_offline(tmp_path):
    import importlib.util
    if importlib.util.find_spec("pip") is None or importlib.util.find_spec("venv") is None:
        pytest.skip("pip or venv is not available")
    src = tmp_path / "src"
    shutil.copytree(PKG, src, ignore=shutil.ignore_patterns(
        "build", "*.so", "_native.c", "*.egg-info", "__pycache__", ".pytest_cache",
        "events.pyi"))
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(env_dir)], check=True)
    py = str(env_dir / "bin" / "python")
    env = dict(os.environ, LIBEVENTLOG_BUILD=os.path.join(REPO, "build"))
    env.pop("PYTHONPATH", None)
    r = subprocess.run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index",
                        "--no-deps", "--quiet", str(src)],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    check = ("import libeventlog, sys, importlib.metadata as md; "
             "assert md.version('libeventlog') == libeventlog.__version__, "
             "(md.version('libeventlog'), libeventlog.__version__); "
             "evs = libeventlog.decode(open(sys.argv[1], 'rb').read()); "
             "print(libeventlog.__file__); print(len(evs)); print(evs[1].show())")
    r = subprocess.run([py, "-c", check, corpus("conformance/hello-ghc-8.2.2.eventlog")],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    where, count, line = r.stdout.splitlines()[:3]
    assert where.startswith(str(env_dir))
    assert count == "47"
    assert line == "1152400: cap 0: creating thread 1"
    for name in ("py.typed", "events.pyi"):
        assert os.path.exists(os.path.join(os.path.dirname(where), name)), name
