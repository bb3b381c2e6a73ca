"""One version number everywhere: meson's project version (meson.build) is what
the C library reports (elog_version()), what `eventlog --version`, pkg-config
and Python's __version__ show, and what pip's metadata (setup.py) says."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import PKG, REPO

import libeventlog
from libeventlog._native import ffi, lib


def _build_dir() -> str:
    build = os.environ.get("LIBEVENTLOG_BUILD") or os.path.join(REPO, "build")
    if not os.path.exists(os.path.join(build, "meson-info", "meson-info.json")):
        pytest.skip(f"{build} is not a meson build directory")
    return os.path.abspath(build)


def _meson_version() -> str:
    """The project version as meson.build declares it, read without meson."""
    with open(os.path.join(REPO, "meson.build"), encoding="utf-8") as f:
        m = re.search(r"project\([^)]*?version\s*:\s*'([^']+)'", f.read(), re.S)
    assert m, "no version in meson.build's project()"
    return m.group(1)


def test_python_version_is_the_c_library_version():
    assert libeventlog.__version__ == ffi.string(lib.elog_version()).decode()
    assert libeventlog.__version__ == _meson_version()


def test_meson_introspection_agrees():
    build = _build_dir()
    with open(os.path.join(build, "meson-info", "intro-projectinfo.json"), encoding="utf-8") as f:
        assert json.load(f)["version"] == libeventlog.__version__


def test_cli_version():
    exe = os.path.join(_build_dir(), "tools", "eventlog")
    if not os.path.exists(exe):
        pytest.skip("the CLI is not built (-Dtools=false)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    v = libeventlog.__version__
    assert out == f"eventlog {v} (libeventlog {v})\n"


def test_pkg_config_version():
    if not shutil.which("pkg-config"):
        pytest.skip("pkg-config is not installed")
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(_build_dir(), "meson-uninstalled"))
    out = subprocess.run(["pkg-config", "--modversion", "libeventlog-uninstalled"],
                         capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == libeventlog.__version__


def test_pip_metadata_version():
    """What `pip install` records: setup.py takes it from eventlog/version.h."""
    env = dict(os.environ, LIBEVENTLOG_BUILD=_build_dir())
    r = subprocess.run([sys.executable, "setup.py", "--version"], cwd=PKG, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == libeventlog.__version__
    with open(os.path.join(PKG, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    # no second, hand-written number that could drift
    assert re.search(r"^version\s*=", text, re.M) is None
    assert 'dynamic = ["version"]' in text
