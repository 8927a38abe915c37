"""What code to run in the worker, with which inputs, and how a job travels to it and back.

A :class:`Target` is code under test: module source text plus a qualified name
(``"func"`` or ``"Class.method"``), or a whole stdin-driven script (no qualified name).
Inputs are :class:`Call` (arguments of one call), :class:`ScriptInput` (stdin and argv of
one script run) or ``bytes`` already pickled as ``(args, kwargs)``, such as the payloads
:func:`polca.sandbox.trace.capture_calls` returns. The host pickles inputs but never
unpickles anything that came back: results come back as JSON on one marker line.
Inputs kept outside a run use :mod:`polca.sandbox.codec` instead (:func:`safe_input`,
:func:`input_from_safe`), which holds data and cannot run code.
"""

from __future__ import annotations

import io
import json
import logging
import pickle
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from polca.sandbox.codec import CodecError, UnsafeValue, decode_call, encode_call, plain_from_pickle
from polca.sandbox.runner import run
from polca.sandbox.types import BackendName, Limits, RunResult, RunSpec
from polca.sandbox.worker import JOB_FILE, MARKER

logger = logging.getLogger(__name__)

WORKER_FILE = "polca_worker.py"
_WORKER_SOURCE_PATH = Path(__file__).with_name("worker.py")


@dataclass(frozen=True)
class Target:
    """Code under test. ``qualname=None`` means the source is a whole script run by ``exec``.

    ``module_name`` is the name the module gets inside the worker (what pickled inputs and
    ``import`` statements of helper files refer to). ``files`` are extra files placed next
    to it (helper modules, data files), relative path -> content; a baseline and a
    candidate share one working directory, so a file both bring must be the same.
    """

    source: str
    qualname: str | None = None
    module_name: str = "target_module"
    files: Mapping[str, str | bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.source, str):
            raise TypeError(f"Target.source must be the module's source text (str), got {type(self.source).__name__}")
        if self.qualname is not None and not all(p.isidentifier() for p in self.qualname.split(".")):
            raise ValueError(
                f"Target.qualname={self.qualname!r} must be dotted identifiers such as 'func' or "
                "'Class.method'; use qualname=None for a whole script"
            )
        if not self.module_name.isidentifier():
            raise ValueError(f"Target.module_name={self.module_name!r} must be a Python identifier, e.g. 'slow'")

    @classmethod
    def from_file(cls, path: str | Path, qualname: str | None = None) -> Target:
        """A target read from a file; the module keeps the file's stem as its name."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"Target file {str(path)!r} does not exist; pass the path of a .py file")
        return cls(source=path.read_text(encoding="utf-8"), qualname=qualname, module_name=path.stem)

    @property
    def is_script(self) -> bool:
        return self.qualname is None


@dataclass(frozen=True)
class Call:
    """The arguments of one call of a function target."""

    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScriptInput:
    """One run of a script target: its stdin text and its command-line arguments."""

    stdin: str = ""
    args: tuple[str, ...] = ()


InputItem = Call | ScriptInput | bytes | str | tuple


# ---------------------------------------------------------------- values built in the worker
# The host never imports the code under test, so a value of one of its classes (or a
# function, or a one-shot iterator, which pickle cannot carry) travels as a marker: pickled
# by persistent id (``_MarkerPickler``), built by the worker's unpickler once the module is
# loaded, afresh for every call.


@dataclass(frozen=True)
class Build:
    """``qualname(*args, **kwargs)`` called in the worker: an instance of the module's class."""

    qualname: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Member:
    """The member ``name`` of the module's enum ``qualname``."""

    qualname: str
    name: str


@dataclass(frozen=True)
class Named:
    """The module's object ``qualname`` itself (a class, handed to its classmethod as ``cls``)."""

    qualname: str


@dataclass(frozen=True)
class Pure:
    """A pure function given as lambda source text (``"lambda x: x % 7"``), evaluated in the worker."""

    source: str


@dataclass(frozen=True)
class Iter:
    """An iterator over ``items``, made with ``iter()`` in the worker (fresh for each call)."""

    items: list[Any]


MARKERS = (Build, Member, Named, Pure, Iter)


def _persistent_id(obj: Any) -> tuple | None:
    """The worker's persistent id of a marker (nested values are pickled, markers included)."""
    kind = type(obj)
    if kind is Build:
        return ("polca.build", obj.qualname, tuple(obj.args), dict(obj.kwargs))
    if kind is Member:
        return ("polca.member", obj.qualname, obj.name)
    if kind is Named:
        return ("polca.named", obj.qualname)
    if kind is Pure:
        return ("polca.pure", obj.source)
    if kind is Iter:
        return ("polca.iter", list(obj.items))
    return None


class _MarkerPickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> tuple | None:
        return _persistent_id(obj)


def _dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    _MarkerPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def encode_inputs(inputs: Sequence[InputItem], *, script: bool) -> list[bytes]:
    """Pickle each input the way the worker expects it; raise for inputs that cannot travel.

    For function targets a bare tuple is the positional arguments; for script targets a
    bare ``str`` is the stdin text.
    """
    if isinstance(inputs, str | bytes) or not isinstance(inputs, Sequence):
        raise TypeError(f"inputs must be a list of inputs, got {type(inputs).__name__}")
    return [_encode_one(i, item, script) for i, item in enumerate(inputs)]


def _encode_one(index: int, item: InputItem, script: bool) -> bytes:
    if isinstance(item, bytes):
        return item
    if script:
        if isinstance(item, str):
            item = ScriptInput(stdin=item)
        if not isinstance(item, ScriptInput):
            raise TypeError(f"inputs[{index}] is {type(item).__name__}; a script target takes ScriptInput or str (stdin)")
        return pickle.dumps((item.stdin, tuple(item.args)), protocol=pickle.HIGHEST_PROTOCOL)
    if isinstance(item, tuple):
        item = Call(args=item)
    if not isinstance(item, Call):
        raise TypeError(
            f"inputs[{index}] is {type(item).__name__}; a function target takes Call(args, kwargs), "
            "a tuple of positional arguments, or pickled (args, kwargs) bytes"
        )
    try:
        return _dumps((tuple(item.args), dict(item.kwargs)))
    except Exception as exc:
        raise TypeError(f"inputs[{index}] cannot be pickled ({exc}); inputs travel to the sandbox by pickle") from exc


def safe_input(item: InputItem, *, script: bool) -> dict[str, Any]:
    """One input in the safe format: ``{"args": [...], "kwargs": {...}}`` for a function
    target, ``{"stdin": str, "args": [str, ...]}`` for a script. Pickled ``bytes`` are read
    only when they hold plain data (:func:`~polca.sandbox.codec.plain_from_pickle`); raises
    :class:`~polca.sandbox.codec.UnsafeValue` for an input only a pickle can carry."""
    if isinstance(item, bytes):
        loaded = plain_from_pickle(item)
        if type(loaded) is not tuple or len(loaded) != 2:
            raise UnsafeValue("a pickled input is a pair (args, kwargs) or (stdin, argv)")
        item = ScriptInput(*loaded) if script else Call(*loaded)
    if script:
        item = ScriptInput(stdin=item) if isinstance(item, str) else item
        if not isinstance(item, ScriptInput) or type(item.stdin) is not str or not all(
                type(a) is str for a in item.args):
            raise UnsafeValue(f"a script input is stdin text and string arguments, got {item!r:.80}")
        return {"stdin": item.stdin, "args": list(item.args)}
    item = Call(args=item) if isinstance(item, tuple) else item
    if not isinstance(item, Call) or not isinstance(item.kwargs, Mapping):
        raise UnsafeValue(f"a function input is Call(args, kwargs), got {type(item).__name__}")
    return encode_call(tuple(item.args), dict(item.kwargs))


def input_from_safe(data: Any, *, script: bool, path: str = "input") -> Call | ScriptInput:
    """The input :func:`safe_input` wrote; raises :class:`~polca.sandbox.codec.CodecError`."""
    if not script:
        args, kwargs = decode_call(data, path)
        return Call(args=args, kwargs=kwargs)
    if type(data) is not dict or not set(data) <= {"stdin", "args"}:
        raise CodecError(f"{path}: a script input is {{'stdin': str, 'args': [str, ...]}}, got {str(data)[:80]}")
    stdin, args = data.get("stdin", ""), data.get("args", [])
    if type(stdin) is not str or type(args) is not list or not all(type(a) is str for a in args):
        raise CodecError(f"{path}: a script input's stdin is text and its args a list of strings")
    return ScriptInput(stdin=stdin, args=tuple(args))


def target_job(target: Target, side: str) -> tuple[dict[str, str | None], dict[str, str | bytes]]:
    """The worker's description of one side and the files it needs."""
    file_name = f"polca_target_{side}.py"
    files: dict[str, str | bytes] = {file_name: target.source}
    for name, content in target.files.items():
        files[name] = content
    spec = {"file": file_name, "module": target.module_name, "qualname": target.qualname,
            "display_name": f"{target.module_name}.py"}
    return spec, files


def pair_job(a: Target, b: Target) -> tuple[dict[str, dict], dict[str, str | bytes]]:
    """Both sides' descriptions and their files, which share one working directory."""
    spec_a, files = target_job(a, "a")
    spec_b, files_b = target_job(b, "b")
    for name, content in files_b.items():
        if name in files and files[name] != content:
            raise ValueError(
                f"both targets bring a file {name!r} with different contents, but they share one "
                "working directory; give the candidate's helper module another name"
            )
        files[name] = content
    return {"a": spec_a, "b": spec_b}, files


@dataclass(frozen=True)
class WorkerAnswer:
    """The sandbox run and the worker's JSON answer (None when it never answered)."""

    run: RunResult
    answer: dict[str, Any] | None

    @property
    def failure_status(self) -> Literal["timeout", "sandbox_error"]:
        """The status of a reply without an answer: the worker ran out of time, or broke."""
        return "timeout" if self.run.status == "timeout" else "sandbox_error"

    def failure_message(self) -> str:
        """One line on why there is no answer, for reports and proposers."""
        tail = self.run.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        detail = " | ".join(tail)
        return f"worker ended with status {self.run.status} ({self.run.message}) {detail}".strip()


def run_worker(
    job: dict[str, Any],
    files: Mapping[str, str | bytes],
    *,
    backend: BackendName,
    limits: Limits,
    command_prefix: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
) -> WorkerAnswer:
    """Run the worker on ``job`` in the sandbox and read its answer from stdout.

    With ``command_prefix`` (such as a valgrind command line) the worker runs as
    ``(*command_prefix, WORKER_FILE)`` instead of as the sandbox's own Python source.
    """
    nonce = secrets.token_hex(8)
    all_files = dict(files)
    all_files[JOB_FILE] = json.dumps({**job, "nonce": nonce})
    worker_source = _WORKER_SOURCE_PATH.read_text(encoding="utf-8")
    if command_prefix:
        all_files[WORKER_FILE] = worker_source
        spec = RunSpec(command=(*command_prefix, WORKER_FILE), files=all_files,
                       limits=limits, env=dict(env or {}))
    else:
        spec = RunSpec(python_source=worker_source, files=all_files, limits=limits, env=dict(env or {}))
    result = run(spec, backend)
    return WorkerAnswer(run=result, answer=_parse_answer(result.stdout, nonce))


def _parse_answer(stdout: bytes, nonce: str) -> dict[str, Any] | None:
    prefix = (MARKER + nonce + " ").encode("ascii")
    for line in reversed(stdout.splitlines()):
        if line.startswith(prefix):
            try:
                return json.loads(line[len(prefix):].decode("utf-8"))
            except ValueError:
                logger.warning("sandbox worker answer is not valid JSON; treating it as missing")
                return None
    return None
