"""The evaluator's worker imports polca however polca is installed.

The worker runs inside the sandbox, which hides ``/tmp`` and the home directory. These
tests copy the checkout under ``/tmp`` (pytest's ``tmp_path``), make an editable install of
it in a fresh virtual environment there (setuptools' default mode, an import hook, and
its strict mode, a tree of links), and run the installed ``polca`` console script from a
folder outside the checkout, with nothing of the checkout on ``PYTHONPATH``.

The environment borrows this interpreter's site-packages through a ``.pth`` file (torch,
typer...), so nothing is downloaded: ``pip install --no-index --no-build-isolation``. A
``.pth`` in a borrowed folder is not processed (only those in real site dirs are), so the
polca this interpreter imports cannot leak in; the probe checks that the polca the
console script imports is the copy, reached through the install and not through sys.path.

Slow variants: strict mode, a built wheel, and a default editable install of a clone under
the home directory (hidden too). The default variant (default mode under /tmp) scores a guard-passing CuPy candidate on a machine without CuPy: the
worker imports polca, imports the candidate and reports a ``runtime`` failure (``crash``
means the worker itself never started). The slow variant gets an honest Triton kernel
scored correct through Triton's interpreter.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KERNELS = Path(__file__).parent / "kernels"
_SOURCE_DIRS = ("polca", "optimizer", "skills", "sandbox", "kernels_bench", "trainer")
_MIN_SETUPTOOLS = (77,)  # pyproject.toml's PEP 639 license string


def _setuptools_ok() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return tuple(int(part) for part in setuptools.__version__.split(".")[:1]) >= _MIN_SETUPTOOLS


pytestmark = pytest.mark.skipif(not _setuptools_ok(), reason="an offline editable install needs setuptools>=77 (the dev extra)")


def _copy_checkout(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in _SOURCE_DIRS:
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    return target


def _site_dirs() -> list[str]:
    return [entry for entry in sys.path if entry.endswith("site-packages") and os.path.isdir(entry)]


def _editable_install(where: Path, mode: str) -> tuple[Path, Path]:
    """(the venv's bin folder, the checkout) for an install of a copy of this checkout:
    editable in setuptools' ``default`` or ``strict`` mode, or a built ``wheel``."""
    checkout = _copy_checkout(where / "checkout")
    env_dir = where / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "_base.pth").write_text("\n".join(_site_dirs()) + "\n")
    pip = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--no-build-isolation"]
    if mode == "wheel":
        subprocess.run([python, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index", "--no-build-isolation",
                        "-w", where / "dist", checkout], check=True, capture_output=True, cwd=where)
        command = [*pip, *sorted((where / "dist").glob("polca-*.whl"))]
    else:
        command = [*pip, "-e", checkout] + ([] if mode == "default" else ["--config-settings", f"editable_mode={mode}"])
    subprocess.run(command, check=True, capture_output=True, cwd=where)
    return env_dir / "bin", checkout


def _clean_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PYTHON", "POLCA_", "KERNELBENCH"))}
    return {**env, **extra}


@pytest.fixture(scope="module", params=["default", pytest.param("strict", marks=pytest.mark.slow),
                                        pytest.param("wheel", marks=pytest.mark.slow),
                                        pytest.param("home", marks=pytest.mark.slow)])
def install(request, tmp_path_factory):
    """An install under /tmp (``home``: a default editable install of a clone under $HOME)."""
    if request.param == "home":
        where = Path(tempfile.mkdtemp(prefix="polca-install-test-", dir=Path.home()))
        request.addfinalizer(lambda: shutil.rmtree(where, ignore_errors=True))
    else:
        where = tmp_path_factory.mktemp(f"install-{request.param}")
    bin_dir, checkout = _editable_install(where, "default" if request.param == "home" else request.param)
    outside = where / "elsewhere"
    outside.mkdir()
    return bin_dir, checkout, outside, request.param


def _eval(install, solution: Path, *flags: str, **env: str) -> dict:
    bin_dir, _, outside, _ = install
    folder = outside / "solutions"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    shutil.copy(solution, folder / "01_relu.py")
    done = subprocess.run([bin_dir / "polca", "kernelbench", "eval", str(folder), "--problems", "1", "--device", "cpu",
                           "--trials", "1", "--no-compile-baseline", "--timeout", "300", "--json", *flags],
                          cwd=outside, env=_clean_env(**env), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["results"][0]


def test_the_console_script_imports_the_installed_copy_not_this_checkout(install):
    bin_dir, checkout, outside, kind = install
    probe = ("import importlib.util, json, os, sys; spec = importlib.util.find_spec('polca.kernels_bench'); "
             "print(json.dumps({'file': os.path.realpath(spec.origin), 'path': sys.path}))")
    done = subprocess.run([bin_dir / "python", "-c", probe], cwd=outside, env=_clean_env(),
                          capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout)
    if kind == "wheel":
        assert "site-packages" in seen["file"] and not seen["file"].startswith(str(checkout))
    else:
        assert seen["file"] == str(checkout / "kernels_bench" / "__init__.py")
    assert str(checkout) not in seen["path"] and str(ROOT) not in seen["path"]


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="needs a machine without CuPy")
def test_the_worker_runs_from_an_editable_install_under_tmp(install):
    result = _eval(install, KERNELS / "honest" / "relu_cupy.py")
    assert result["failure"] == "runtime", result["reason"]  # "crash": the worker could not import polca
    assert "cupy" in result["reason"]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("triton") is None, reason="needs triton (pip install 'polca[triton]')")
def test_an_honest_triton_kernel_is_scored_from_an_editable_install(install):
    result = _eval(install, KERNELS / "honest" / "relu_triton.py", TRITON_INTERPRET="1")
    assert result["correct"], result["feedback"]
    assert result["candidate_ms"] is not None


def test_the_bootstrap_imports_polca_from_the_given_directories_alone(tmp_path):
    from polca.kernels_bench.launch import BOOTSTRAP, package_dirs

    dirs = package_dirs()
    assert {"polca", "polca.kernels_bench", "polca.sandbox"} <= set(dirs)
    assert all(Path(path, "__init__.py").is_file() for path in dirs.values())
    # -S: no site-packages at all, so polca can only come from the bootstrap's directories.
    done = subprocess.run([sys.executable, "-S", "-c", BOOTSTRAP, json.dumps(dirs), "polca.config"],
                          cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
