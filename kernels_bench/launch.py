"""How the evaluator starts its worker so that the worker imports this very polca, however installed.

The worker runs ``polca.kernels_bench.worker`` inside the sandbox, which hides the home
directory and ``/tmp`` (see :mod:`polca.sandbox.local`). An editable install is found
through setuptools' import hook (a ``.pth`` file and a finder module in site-packages
mapping each package to its folder in the checkout), and a strict editable install
through a tree of links into the checkout; neither shows the checkout on ``sys.path``.
A clone under ``$HOME`` or ``/tmp`` would be invisible, and every candidate would crash.

So the evaluator finds each polca package's real directory as this process imports it
(:func:`package_dirs`), asks the sandbox to map those directories back read-only
(``RunSpec.read_only_paths``), and starts the worker through :data:`BOOTSTRAP`, a few
lines that put a finder for exactly those directories first on ``sys.meta_path`` and then
run the worker module. The worker so runs the same code as the evaluator: from a wheel,
an editable install in any mode, a user install or a bare checkout alike.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys

WORKER_MODULE = "polca.kernels_bench.worker"
# Every package of the distribution that lives in a folder of its own (pyproject.toml's
# package-dir); sub-packages inside those folders (polca.cli, polca.optimizer.domains) follow.
PACKAGES = ("polca", "polca.kernels_bench", "polca.sandbox", "polca.optimizer", "polca.skills", "polca.trainer")

# Run as ``python -c BOOTSTRAP DIRS_JSON MODULE``; DIRS_JSON maps package names to directories.
BOOTSTRAP = """\
import importlib.abc, importlib.util, json, os, runpy, sys
_dirs = json.loads(sys.argv.pop(1))
class _PolcaPackages(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        where = _dirs.get(name)
        if where is None:
            return None
        return importlib.util.spec_from_file_location(
            name, os.path.join(where, "__init__.py"), submodule_search_locations=[where])
sys.meta_path.insert(0, _PolcaPackages())
runpy.run_module(sys.argv.pop(1), run_name="__main__", alter_sys=True)
"""


@functools.cache
def package_dirs() -> dict[str, str]:
    """Each polca package's real directory (links resolved), as this process imports it.

    A package that is not installed (or lives in a zip) is left out; the worker then
    imports it the ordinary way.
    """
    dirs: dict[str, str] = {}
    for name in PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin or not os.path.isfile(spec.origin):
            continue
        dirs[name] = os.path.dirname(os.path.realpath(spec.origin))
    return dirs


def worker_command() -> tuple[str, ...]:
    """The argv that runs the worker with :func:`package_dirs` importable."""
    return (sys.executable, "-c", BOOTSTRAP, json.dumps(package_dirs()), WORKER_MODULE)


def worker_read_only_paths() -> tuple[str, ...]:
    """The directories the worker must read: the packages' directories."""
    return tuple(sorted(set(package_dirs().values())))
