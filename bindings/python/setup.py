"""setuptools entry point: the metadata is in pyproject.toml. This adds the cffi
extension libeventlog._native (build_ffi.py, built against the C library found
through LIBEVENTLOG_BUILD, ../../build or pkg-config: see build_ffi.py) and,
once it is built, the static stubs of the generated event classes (events.pyi).
The version is the C library's (its generated eventlog/version.h, from the
project version in meson.build): one number for C, CLI, pkg-config and Python.
"""
import os
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext


class build_ext_with_stubs(build_ext):
    def run(self):
        super().run()
        if self.inplace:
            lib_dir = os.path.dirname(os.path.abspath(__file__))
        else:
            lib_dir = os.path.abspath(self.build_lib)
        env = dict(os.environ, PYTHONPATH=lib_dir)
        subprocess.run([sys.executable, "-m", "libeventlog._stubgen",
                        os.path.join(lib_dir, "libeventlog", "events.pyi")],
                       cwd=lib_dir, env=env, check=True)


def _library_version():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import build_ffi
    return build_ffi.library_version(build_ffi.library_config())


setup(
    version=_library_version(),
    cffi_modules=["build_ffi.py:ffibuilder"],
    cmdclass={"build_ext": build_ext_with_stubs},
)
