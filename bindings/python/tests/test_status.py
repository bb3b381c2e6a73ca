"""The C library's one status space as the binding sees it: the cdef in
build_ffi.py lists every elog_status enumerator, their values are the C
compiler's (distinct, module ranges), and elog_strerror() describes each."""
from __future__ import annotations

import re

from conftest import REPO

from libeventlog._native import ffi, lib


def _enumerators() -> list[str]:
    with open(f"{REPO}/include/eventlog.h", encoding="utf-8") as f:
        text = f.read()
    body = re.search(r"typedef enum elog_status \{(.*?)\} elog_status;", text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", " ", body, flags=re.S)
    return re.findall(r"\b(ELOG_[A-Z0-9_]+)\s*(?:=[^,]*)?(?:,|$)", body.strip())


def test_every_status_reaches_python() -> None:
    names = _enumerators()
    assert len(names) >= 30
    values = {n: getattr(lib, n) for n in names}  # AttributeError: cdef misses one
    assert len(set(values.values())) == len(values)
    unknown = ffi.string(lib.elog_strerror(-1)).decode()
    for n, v in values.items():
        assert ffi.string(lib.elog_status_name(v)).decode() == n
        text = ffi.string(lib.elog_strerror(v)).decode()
        assert text and text != unknown, n


def test_module_names_are_the_one_space() -> None:
    assert lib.ELOG_READER_OK == lib.ELOG_SOCKET_OK == lib.ELOG_CONTROL_OK == lib.ELOG_OK == 0
    assert 100 < lib.ELOG_READER_E_IO < 200 < lib.ELOG_SOCKET_E_CONNECT < 300
    assert lib.ELOG_CONTROL_E_SYNTAX > 300
    assert "namespace is empty" in ffi.string(
        lib.elog_control_error_message(lib.ELOG_CONTROL_E_EMPTY_NAMESPACE)).decode()
