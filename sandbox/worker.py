"""The worker that runs inside the sandbox: timing, differential checks, call tracing.

It runs as a plain script in the sandbox's working directory and imports only the standard
library (numpy is used when the code under test already imported it, never imported here).
The host writes ``polca_job.json`` and the code under test next to it; the worker answers
with one line on its original stdout: ``@@polca-result@@<nonce> <json>``. The code under
test may print freely: its output is redirected while it runs, and the answer goes to a
duplicate of the original stdout descriptor taken before any candidate code runs. The job
file is deleted once read, so code under test cannot learn the nonce from disk and forge an
answer; code that inspects the worker's own frames still could, which is why adversarial
settings (kernels) add their own guards.

Pickled inputs are unpickled here, never on the host: a pickle can run code, so only the
sandbox opens one. Comparisons happen here too for the same reason: the host only ever
reads JSON.

The module is also importable (``polca.sandbox.worker``) so the host and the tests can use
its pure parts (``first_difference``); importing it has no side effects.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import gc
import inspect
import io
import itertools
import json
import math
import os
import pickle
import runpy
import signal
import sys
import threading
import time
import traceback
import types

MARKER = "@@polca-result@@"
JOB_FILE = "polca_job.json"
_REPR_CHARS = 160
_MAX_DEPTH = 60
_GENERATOR_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR


def short_repr(value: object, limit: int = _REPR_CHARS) -> str:
    """``repr`` cut to ``limit`` characters; never raises."""
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not hide the difference itself
        text = f"<unrepresentable {type(value).__name__}: {exc!r}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------- deep equality


def first_difference(expected, got, *, rel_tol=1e-9, abs_tol=0.0, path="result"):
    """The first place where ``got`` differs from ``expected``, or None when they match.

    Returns ``(path, expected_repr, got_repr, reason)``. Floats compare with the tolerances
    (NaN equals NaN); numpy arrays by shape, dtype and value; dict/list/tuple/set by content;
    objects by ``equals`` (pandas-like), else their own ``__eq__``, else their attributes,
    so instances of a class from the original module match those of the candidate's copy.
    """
    return _diff(expected, got, path, (rel_tol, abs_tol), 0)


def _diff(a, b, path, tol, depth):
    if a is b:
        return None
    if depth > _MAX_DEPTH:
        return None if _safe_eq(a, b) else (path, short_repr(a), short_repr(b), "values differ")
    np = sys.modules.get("numpy")
    if np is not None:
        a, b = _numpy_scalar(np, a), _numpy_scalar(np, b)
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return _diff_array(np, a, b, path, tol, depth)
    if _type_name(a) != _type_name(b):
        return (path, short_repr(a), short_repr(b), f"type {_type_name(a)} != {_type_name(b)}")
    if isinstance(a, _NAMED_KINDS):
        # Classes and functions from the two sides' copies of a module are different
        # objects with the same name: they match by name, not by contents.
        return None if _full_name(a) == _full_name(b) else (path, short_repr(a), short_repr(b), "names differ")
    if isinstance(a, float | complex):
        return _diff_number(a, b, path, tol)
    if isinstance(a, dict):
        return _diff_dict(a, b, path, tol, depth)
    if isinstance(a, list | tuple):
        return _diff_sequence(a, b, path, tol, depth)
    if isinstance(a, str | bytes | int | bool | set | frozenset | type(None)):
        return None if a == b else (path, short_repr(a), short_repr(b), "values differ")
    return _diff_object(a, b, path, tol, depth)


_NAMED_KINDS = (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType)


def _full_name(value) -> str:
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", "")
    return f"{getattr(value, '__module__', '')}.{name}"


def _type_name(value) -> str:
    return type(value).__qualname__


def _numpy_scalar(np, value):
    return value.item() if isinstance(value, np.generic) else value


def _diff_number(a, b, path, tol):
    parts = (a.real, b.real, a.imag, b.imag) if isinstance(a, complex) else (a, b, 0.0, 0.0)
    for x, y in (parts[:2], parts[2:]):
        if math.isnan(x) and math.isnan(y):
            continue
        if not math.isclose(x, y, rel_tol=tol[0], abs_tol=tol[1]):
            return (path, short_repr(a), short_repr(b), "numbers differ beyond tolerance")
    return None


def _diff_array(np, a, b, path, tol, depth):
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return (path, short_repr(a), short_repr(b), f"type {_type_name(a)} != {_type_name(b)}")
    if a.shape != b.shape or a.dtype != b.dtype:
        reason = f"array shape/dtype {a.shape}/{a.dtype} != {b.shape}/{b.dtype}"
        return (path, short_repr(a), short_repr(b), reason)
    if a.dtype.kind in "fc":
        same = np.isclose(a, b, rtol=tol[0], atol=tol[1], equal_nan=True)
    elif a.dtype.kind == "O":
        return _diff_sequence(a.ravel().tolist(), b.ravel().tolist(), path, tol, depth)
    else:
        same = a == b
    if bool(np.all(same)):
        return None
    where = tuple(int(i) for i in np.argwhere(~np.asarray(same))[0])
    return (f"{path}{list(where)}", short_repr(a[where]), short_repr(b[where]), "array values differ")


def _diff_dict(a, b, path, tol, depth):
    if a.keys() != b.keys():
        missing = [k for k in a if k not in b][:3]
        extra = [k for k in b if k not in a][:3]
        reason = f"keys differ: missing {short_repr(missing)}, unexpected {short_repr(extra)}"
        return (path, short_repr(a), short_repr(b), reason)
    for key in a:
        found = _diff(a[key], b[key], f"{path}[{short_repr(key, 40)}]", tol, depth + 1)
        if found:
            return found
    return None


def _diff_sequence(a, b, path, tol, depth):
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        found = _diff(x, y, f"{path}[{i}]", tol, depth + 1)
        if found:
            return found
    if len(a) != len(b):
        return (path, f"{len(a)} items", f"{len(b)} items", "lengths differ")
    return None


def _diff_object(a, b, path, tol, depth):
    if callable(getattr(a, "equals", None)) and not isinstance(a, type):
        same = _safe_call(lambda: bool(a.equals(b)))
        return None if same else (path, short_repr(a), short_repr(b), "equals() is False")
    if type(a) is type(b) and type(a).__eq__ is not object.__eq__:
        return None if _safe_eq(a, b) else (path, short_repr(a), short_repr(b), "__eq__ is False")
    state_a, state_b = _state(a), _state(b)
    if state_a is None or state_b is None:
        return None if _safe_eq(a, b) else (path, short_repr(a), short_repr(b), "values differ")
    return _diff_dict(state_a, state_b, path + ".__dict__", tol, depth + 1)


def _state(obj):
    state = dict(getattr(obj, "__dict__", {}))
    for name in getattr(type(obj), "__slots__", ()):
        if hasattr(obj, name):
            state[name] = getattr(obj, name)
    if state or hasattr(obj, "__dict__"):
        return state
    return None


def _safe_eq(a, b) -> bool:
    return _safe_call(lambda: bool(a == b))


def _safe_call(fn) -> bool:
    try:
        return fn()
    except Exception:
        return False


# ---------------------------------------------------------------- loading code under test


class _AliasUnpickler(pickle.Unpickler):
    """Resolves classes of the traced script (``__main__``) or the target module in ``module``."""

    def __init__(self, data: bytes, module: types.ModuleType, aliases: frozenset[str]):
        super().__init__(io.BytesIO(data))
        self._module, self._aliases = module, aliases

    def find_class(self, module_name, name):
        if module_name in self._aliases:
            obj = self._module
            for part in name.split("."):
                obj = getattr(obj, part)
            return obj
        return super().find_class(module_name, name)

    def persistent_load(self, pid):
        """Values the host could not build (``polca.sandbox.target``'s markers), built here."""
        tag = pid[0] if type(pid) is tuple and pid else None
        if tag == "polca.build":
            return self._named(pid[1])(*pid[2], **pid[3])
        if tag == "polca.member":
            return getattr(self._named(pid[1]), pid[2])
        if tag == "polca.named":
            return self._named(pid[1])
        if tag == "polca.pure":
            return eval(pid[1], {})  # a lambda's source text, chosen by the host's generator
        if tag == "polca.iter":
            return _Items(pid[1])
        raise pickle.UnpicklingError(f"unknown persistent id {str(pid)[:80]}")

    def _named(self, qualname):
        obj = self._module
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj


class _Items:
    """A one-shot iterator over a list. Unlike ``iter(list)`` it keeps its state in
    ``__dict__``, so the mutation check compares what each side left unconsumed."""

    def __init__(self, items):
        self.items, self.position = list(items), 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.position >= len(self.items):
            raise StopIteration
        self.position += 1
        return self.items[self.position - 1]


class Side:
    """One side (baseline or candidate): a loaded module and how to call into it."""

    def __init__(self, spec: dict):
        self.module_name = spec["module"]
        self.qualname = spec.get("qualname")
        self.filename = spec["file"]
        with open(spec["file"], encoding="utf-8") as fh:
            self.code = compile(fh.read(), spec.get("display_name") or spec["file"], "exec")
        self.aliases = frozenset({self.module_name, "__main__", "__mp_main__"})
        self.module = None
        self.func = None
        if self.qualname:
            self._load_function()

    def _load_function(self):
        module = types.ModuleType(self.module_name)
        module.__file__ = os.path.abspath(self.filename)
        sys.modules[self.module_name] = module
        exec(self.code, module.__dict__)
        self.module, self.func = module, _resolve(module, self.qualname)

    def reload(self):
        """Executes the module's code again into a new module: fresh module-level state."""
        if self.qualname:
            self._load_function()

    def activate(self):
        """Makes pickles and ``import <module>`` made by the code resolve to this side."""
        if self.module is not None:
            sys.modules[self.module_name] = self.module

    def prepare(self, payload: bytes):
        """A fresh, unpickled copy of one input, ready for ``invoke``."""
        self.activate()
        if self.qualname:
            args, kwargs = _AliasUnpickler(payload, self.module, self.aliases).load()
            return tuple(args), dict(kwargs)
        stdin, argv = pickle.loads(payload)
        return stdin, tuple(argv)

    def invoke(self, prepared):
        if self.qualname:
            return self.func(*prepared[0], **prepared[1])
        return self._exec_script(*prepared)

    def run(self, prepared) -> None:
        """One call whose result is not kept: a returned iterator is run to its end, so lazy
        code is timed doing its work, not deferring it."""
        result = self.invoke(prepared)
        if hasattr(result, "__next__") and hasattr(result, "__iter__"):
            collections.deque(result, maxlen=0)

    def _exec_script(self, stdin_text, argv):
        saved = sys.stdin, sys.argv
        sys.stdin, sys.argv = text_stream(stdin_text), [self.filename, *argv]
        try:
            exec(self.code, {"__name__": "__main__", "__file__": self.filename,
                             "__builtins__": __builtins__})
        except SystemExit as exc:
            if exc.code not in (None, 0):
                raise ScriptExit(f"script called sys.exit({exc.code!r})") from None
        finally:
            sys.stdin, sys.argv = saved
        return None


def _resolve(module, qualname: str):
    """The function named ``qualname``, unwrapped from classmethod/staticmethod.

    A method is called with its receiver (``self`` or ``cls``) as the first argument, the
    way its frame holds it, so traced calls replay as they were recorded.
    """
    owner, _, name = qualname.rpartition(".")
    parent = module
    for part in owner.split(".") if owner else ():
        parent = getattr(parent, part)
    attr = inspect.getattr_static(parent, name) if isinstance(parent, type) else getattr(parent, name)
    if isinstance(attr, classmethod):
        return attr.__func__
    if isinstance(attr, staticmethod):
        return attr.__func__
    return attr


class ScriptExit(Exception):
    """A script ended with a non-zero exit status: a failure like any exception."""


def _error_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text if len(text) <= 400 else text[:397] + '...'}"


# ---------------------------------------------------------------- measurement


def text_stream(text: str = "") -> io.TextIOWrapper:
    """An in-memory text stream with a ``.buffer``, as ``sys.stdin``/``sys.stdout`` have."""
    return io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8", newline="\n")


def stream_text(stream: io.TextIOWrapper) -> str:
    """Everything written to a :func:`text_stream`, text and ``.buffer`` writes alike."""
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8", "replace")


@contextlib.contextmanager
def _quiet(side: Side | None = None):
    """Calls inside print to the null device (a real stream, so printing costs what it costs:
    buffered writes, the odd system call, on both sides alike); ``side``, when given, is
    active for them."""
    if side is not None:
        side.activate()
    with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        yield


def _time_passes(side: Side, payloads, loops: int, fresh: bool, chunk: int, cold: bool = False):
    """``(wall_s, cpu_s)`` of ``loops`` passes over all inputs; copies are made off the clock.

    CPU time is the whole process's (all its threads), so work moved to a thread is counted.
    ``cold``: every call runs on a freshly executed module (see :func:`_time_cold`).
    """
    if cold and side.qualname:
        return _time_cold(side, payloads, loops)
    wall_s = cpu_s = 0.0
    reused = [side.prepare(p) for p in payloads] if not fresh else None
    done = 0
    while done < loops:
        n = min(chunk, loops - done)
        batch = reused * n if reused is not None else [side.prepare(p) for _ in range(n) for p in payloads]
        gc.collect()
        with _quiet(side):
            start_cpu, start = time.process_time(), time.perf_counter()
            for prepared in batch:
                side.run(prepared)
            wall_s += time.perf_counter() - start
            cpu_s += time.process_time() - start_cpu
        done += n
    return wall_s, cpu_s


def _time_cold(side: Side, payloads, loops: int):
    """``(wall_s, cpu_s)`` of ``loops`` passes, each call on a fresh module: the module's code
    is executed again before every call, off the clock, so nothing a call leaves behind
    (a ``functools.cache``, a module-level dict) serves a later one. Each call is timed alone."""
    wall_s = cpu_s = 0.0
    with _quiet():
        for _ in range(loops):
            gc.collect()  # once a pass, as warm timing does: per call it would cost more than fast calls
            for payload in payloads:
                side.reload()
                prepared = side.prepare(payload)
                start_cpu, start = time.process_time(), time.perf_counter()
                side.run(prepared)
                wall_s += time.perf_counter() - start
                cpu_s += time.process_time() - start_cpu
    return wall_s, cpu_s


def cpu_clock_step_s(max_probe_s: float = 0.02) -> float:
    """The smallest step ``process_time`` takes here: 1 ns on most hosts, a whole scheduler
    tick (1-4 ms) inside some namespaces. Spins at most ``max_probe_s`` (then reports that)."""
    deadline = time.perf_counter() + max_probe_s
    first = time.process_time()
    while time.perf_counter() < deadline:
        now = time.process_time()
        if now != first:
            return now - first
    return max_probe_s


def _inputs_kept(side: Side, payloads) -> bool:
    """Whether one call of ``side`` on each input leaves the input equal to a fresh copy of
    it (exactly: no float tolerance). Then later calls on a reused copy see what a fresh copy
    would show, and preparing one per call (which can cost far more than a fast call on a
    large input) is not needed. A call that raises counts as changing its input."""
    for payload in payloads:
        try:
            prepared, pristine = side.prepare(payload), side.prepare(payload)
            with _quiet(side):
                side.run(prepared)
        except (Exception, SystemExit):
            return False
        if _diff(pristine, prepared, "args", (0.0, 0.0), 0) is not None:
            return False
    return True


def _calibrate(side: Side, payloads, min_sample_s: float, fresh: bool, chunk: int, cold: bool = False):
    """Smallest loop count (growing geometrically) whose sample lasts at least ``min_sample_s``,
    and that sample's seconds. Cold timing is one call per input per sample, and its seconds
    are the pass's wall time, reloads included: the loop count is found from the timed calls
    alone, so fast calls in a slow-loading module would be reloaded ~min_sample_s/call times."""
    if cold and side.qualname:
        start = time.perf_counter()
        _time_passes(side, payloads, 1, fresh, chunk, cold)
        return 1, time.perf_counter() - start
    loops = 1
    while True:
        elapsed_s = _time_passes(side, payloads, loops, fresh, chunk, cold)[0]
        if elapsed_s >= min_sample_s:
            return loops, elapsed_s
        factor = min_sample_s * 1.2 / max(elapsed_s, 1e-9)
        loops = max(loops + 1, min(loops * 100, math.ceil(loops * factor)))


def _load_sides(job: dict):
    """Both sides, or an error answer naming the side whose code did not load."""
    sides = {}
    for key in ("a", "b"):
        try:
            sides[key] = Side(job["targets"][key])
        except Exception as exc:
            return None, {"status": "error", "side": key,
                          "message": f"could not load: {_error_text(exc)}"}
    return sides, None


class _SideFailed(Exception):
    def __init__(self, side: str, exc: Exception):
        super().__init__(side)
        self.side, self.exc = side, exc


def _timed(sides, key, payloads, loops, fresh, chunk, cold=False):
    try:
        return _time_passes(sides[key], payloads, loops, fresh, chunk, cold)
    except Exception as exc:
        raise _SideFailed(key, exc) from exc


_MIN_ROUNDS = 3


def passes_per_batch(payloads: list[bytes], max_calls: int, max_bytes: int) -> int:
    """How many passes of fresh input copies to prepare at once: at most ``max_calls``
    calls and ``max_bytes`` of pickled inputs (unpickled, lists of ints take several times
    that), at least one pass. A candidate thousands of times faster than the original on
    large inputs needs thousands of passes per sample; prepared all at once they would
    exhaust the worker's memory limit before the clock starts."""
    size = sum(len(p) for p in payloads)
    by_calls = max_calls // max(1, len(payloads))
    by_bytes = max_bytes // max(1, size)
    return max(1, min(by_calls, by_bytes))


def run_measure(job: dict) -> dict:
    """Calibrate, warm up, then time interleaved rounds; cut rounds to fit ``budget_s``.

    A side that takes longer than expected gets fewer rounds (never fewer than three)
    rather than a timeout: the rounds it did get are still an honest measurement.
    """
    started = time.perf_counter()
    sides, failed = _load_sides(job)
    if failed:
        return failed
    payloads = [base64.b64decode(p) for p in job["inputs"]]
    cold = bool(job.get("cold", False))
    fresh = bool(job.get("fresh_inputs", True)) and (
        cold or not all(_inputs_kept(sides[key], payloads) for key in ("a", "b")))
    chunk = passes_per_batch(payloads, int(job.get("max_prepared_calls", 20_000)),
                             int(job.get("max_prepared_bytes", 32 * 2**20)))
    budget_s = job.get("budget_s") or math.inf
    loops, calibration_s, order = {}, {}, []
    samples = {"a": [], "b": [], "cpu_a": [], "cpu_b": []}

    def one_round(keys, record: bool) -> float:
        round_started = time.perf_counter()
        for key in keys:
            wall_s, cpu_s = _timed(sides, key, payloads, loops[key], fresh, chunk, cold)
            if record:
                samples[key].append(wall_s / loops[key])
                samples["cpu_" + key].append(cpu_s / loops[key])
                order.append(key)
        return time.perf_counter() - round_started

    try:
        for key in ("a", "b"):
            try:
                loops[key], calibration_s[key] = _calibrate(sides[key], payloads, job["min_sample_s"], fresh,
                                                            chunk, cold)
            except Exception as exc:
                raise _SideFailed(key, exc) from exc
        round_s = calibration_s["a"] + calibration_s["b"]
        for _ in range(job["warmup"]):
            if time.perf_counter() - started + round_s * (1 + _MIN_ROUNDS) > budget_s:
                break
            round_s = one_round(("a", "b"), record=False)
        for index in range(job["rounds"]):
            if index >= _MIN_ROUNDS and time.perf_counter() - started + round_s > budget_s:
                break
            round_s = one_round(("a", "b") if index % 2 == 0 else ("b", "a"), record=True)
    except _SideFailed as failure:
        return {"status": "error", "side": failure.side, "message": _error_text(failure.exc)}
    return {"status": "ok", "samples_a_s": samples["a"], "samples_b_s": samples["b"],
            "cpu_samples_a_s": samples["cpu_a"], "cpu_samples_b_s": samples["cpu_b"],
            "loops_a": loops["a"], "loops_b": loops["b"], "order": order,
            "calibration_a_s": calibration_s["a"], "calibration_b_s": calibration_s["b"],
            "cpu_clock_step_s": cpu_clock_step_s(), "inputs_reused": not fresh}


def run_count(job: dict) -> dict:
    """Prepares ``passes`` input copies and calls ``calls`` of them: for instruction counts."""
    side = Side(job["targets"][job["side"]])
    payloads = [base64.b64decode(p) for p in job["inputs"]]
    batch = [side.prepare(p) for _ in range(job["passes"]) for p in payloads]
    with _quiet(side):
        for prepared in batch[: job["calls"] * len(payloads)]:
            side.run(prepared)
    return {"status": "ok"}


class _OverLimit(BaseException):
    """Raised in a call that used up its CPU time (a BaseException: ``except Exception`` in
    the code under test does not swallow it)."""


def _over_limit(signum, frame):
    raise _OverLimit


def _answer_within(side: Side, payload: bytes, limit_s: float) -> dict:
    """One call of ``side`` with at most ``limit_s`` of CPU time: how it ended and its CPU seconds."""
    try:
        prepared = side.prepare(payload)
    except Exception as exc:  # a generated value the module's own code refuses to build (Build)
        return {"status": "unbuilt", "error": type(exc).__qualname__, "cpu_s": 0.0}
    error, start = None, time.process_time()
    try:
        with _quiet(side):
            signal.setitimer(signal.ITIMER_PROF, limit_s)
            try:
                side.run(prepared)
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
    except _OverLimit:
        return {"status": "over_limit", "error": None, "cpu_s": time.process_time() - start}
    except (MemoryError, RecursionError) as exc:  # numpy's _ArrayMemoryError too
        return {"status": "exhausted", "error": type(exc).__qualname__, "cpu_s": time.process_time() - start}
    except Exception as exc:
        error = type(exc).__qualname__
    return {"status": "raised" if error else "returned", "error": error, "cpu_s": time.process_time() - start}


def _cap_new_memory(memory_mb: int) -> None:
    """Lets the process map at most ``memory_mb`` more than it has now (RLIMIT_AS), so an
    allocation far too large raises MemoryError in its call instead of the run being killed
    (where ``/proc`` or ``resource`` is missing, the run's own memory limit stays the only one)."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = mapped + memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or cap < hard:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError):
        pass


def run_calls(job: dict) -> dict:
    """Calls side ``a`` once on each input, each call stopped after ``call_limit_s`` of CPU
    time (SIGPROF): which inputs it answers quickly, without a run's timeout per input.
    Code in C that never returns to the interpreter is not stopped; the run's own timeout is."""
    try:
        side = Side(job["targets"]["a"])
    except Exception as exc:
        return {"status": "error", "side": "a", "message": f"could not load: {_error_text(exc)}"}
    if job.get("memory_mb"):
        _cap_new_memory(job["memory_mb"])
    previous = signal.signal(signal.SIGPROF, _over_limit)
    calls = []
    try:
        for encoded in job["inputs"]:
            try:
                calls.append(_answer_within(side, base64.b64decode(encoded), job["call_limit_s"]))
            except _OverLimit:  # the limit fell between the call's end and the timer's reset
                calls.append({"status": "over_limit", "error": None, "cpu_s": job["call_limit_s"]})
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    return {"status": "ok", "calls": calls}


# ---------------------------------------------------------------- differential checking


class iterator(list):  # noqa: N801 - the name shows in reports: "type iterator != list"
    """The first items of an iterator a call returned, kept to compare by value."""


def _observe(side: Side, payload: bytes, max_items: int) -> dict:
    """Calls one side on a fresh copy; records result, exception, arguments after, stdout."""
    try:
        prepared = side.prepare(payload)
    except Exception as exc:  # a generated value the module's own code refuses to build (Build)
        return {"result": None, "error": None, "unbuilt": _error_text(exc), "after": ((), {}), "stdout": ""}
    out = text_stream()
    saved, sys.stdout = sys.stdout, out
    result, error = None, None
    try:
        result = side.invoke(prepared)
        if hasattr(result, "__next__") and hasattr(result, "__iter__"):
            result = iterator(itertools.islice(result, max_items))
    except Exception as exc:
        error = (type(exc).__qualname__, str(exc))
    except SystemExit as exc:
        error = ("SystemExit", str(exc.code))
    finally:
        sys.stdout = saved
    return {"result": result, "error": error, "after": prepared, "stdout": stream_text(out)}


def _compare_one(index: int, payload: bytes, sides, tol, max_items: int) -> dict:
    a = _observe(sides["a"], payload, max_items)
    b = _observe(sides["b"], payload, max_items)
    if "unbuilt" in a or "unbuilt" in b:  # not a difference of behaviour: the input cannot be used
        found = a.get("unbuilt") or b.get("unbuilt")
        return {"index": index, "failures": [{"check": "input", "path": "args", "expected": "", "got": found,
                                              "reason": "the input could not be built"}]}
    failures = []
    if a["error"] != b["error"]:
        failures.append({"check": "exception", "path": "raised", "expected": _raised(a["error"]),
                         "got": _raised(b["error"]), "reason": "exceptions differ"})
    if a["error"] is None and b["error"] is None:
        found = _diff(a["result"], b["result"], "result", tol, 0)
        if found:
            failures.append(_failure("return", found))
    if sides["a"].qualname:
        found = _diff(a["after"][0], b["after"][0], "args", tol, 0) or _diff(
            a["after"][1], b["after"][1], "kwargs", tol, 0)
        if found:
            failures.append(_failure("mutation", found))
    if a["stdout"] != b["stdout"]:
        failures.append(_stdout_failure(a["stdout"], b["stdout"]))
    return {"index": index, "failures": failures}


def _raised(error) -> str:
    if error is None:
        return "no exception"
    text = f"{error[0]}: {error[1]}"
    return text if len(text) <= _REPR_CHARS else text[: _REPR_CHARS - 3] + "..."


def _failure(check: str, found) -> dict:
    path, expected, got, reason = found
    return {"check": check, "path": path, "expected": expected, "got": got, "reason": reason}


def _stdout_failure(expected: str, got: str) -> dict:
    exp_lines, got_lines = expected.splitlines(), got.splitlines()
    for line_no, (x, y) in enumerate(itertools.zip_longest(exp_lines, got_lines), start=1):
        if x != y:
            return {"check": "stdout", "path": f"stdout line {line_no}",
                    "expected": short_repr(x), "got": short_repr(y), "reason": "output differs"}
    return {"check": "stdout", "path": "stdout", "expected": short_repr(expected[-80:]),
            "got": short_repr(got[-80:]), "reason": "output differs in whitespace"}


def run_diff(job: dict) -> dict:
    sides, failed = _load_sides(job)
    if failed:
        return failed
    tol = (job["float_rel_tol"], job["float_abs_tol"])
    outcomes = []
    for index, encoded in enumerate(job["inputs"]):
        try:
            payload = base64.b64decode(encoded)
            outcomes.append(_compare_one(index, payload, sides, tol, job["max_items"]))
        except Exception as exc:  # unpickling or comparing failed: the input is unusable
            outcomes.append({"index": index, "failures": [{
                "check": "input", "path": f"input {index}", "expected": "", "got": "",
                "reason": f"input could not be used: {_error_text(exc)}"}]})
    return {"status": "ok", "outcomes": outcomes}


# ---------------------------------------------------------------- tracing


class _Recorder:
    """A ``sys.setprofile`` hook that pickles the arguments of chosen functions at call time.

    Pickling at call time is the deep copy: later mutation by the program cannot reach the
    snapshot. Only outermost calls are kept when ``outermost_only`` (a recursive function's
    inner calls replay through the outer one).
    """

    def __init__(self, functions, max_calls: int, max_bytes: int, outermost_only: bool):
        self.wanted = {}
        for spec in functions:
            module, _, qualname = spec.rpartition(":")
            self.wanted.setdefault(qualname, []).append((module or None, spec))
        self.max_calls, self.max_bytes, self.outermost_only = max_calls, max_bytes, outermost_only
        self.calls, self.total_bytes = [], 0
        self.counts = {spec: {"seen": 0, "captured": 0, "unpicklable": 0, "over_cap": 0,
                              "over_bytes": 0} for spec in functions}
        self.depth = {spec: 0 for spec in functions}
        self.live_generators = {}
        self.own_file = os.path.abspath(__file__) if "__file__" in globals() else ""

    def match(self, frame):
        candidates = self.wanted.get(frame.f_code.co_qualname)
        if not candidates or os.path.abspath(frame.f_code.co_filename) == self.own_file:
            return None
        module_name = frame.f_globals.get("__name__")
        for module, spec in candidates:
            if module is None or module == module_name:
                return spec
        return None

    def __call__(self, frame, event, arg):
        if event != "call" and event != "return":
            return
        spec = self.match(frame)
        if spec is None:
            return
        if event == "return":
            self.depth[spec] -= 1
            return
        self.depth[spec] += 1
        if frame.f_code.co_flags & _GENERATOR_FLAGS:
            if self.live_generators.get(id(frame)) is frame:
                return  # a generator resuming, not a new call
            self.live_generators[id(frame)] = frame
        if self.outermost_only and self.depth[spec] > 1:
            return
        self._record(spec, frame)

    def _record(self, spec, frame):
        counts = self.counts[spec]
        counts["seen"] += 1
        if counts["captured"] >= self.max_calls:
            counts["over_cap"] += 1
            return
        try:
            data = pickle.dumps(_arguments(frame), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            counts["unpicklable"] += 1
            return
        if self.total_bytes + len(data) > self.max_bytes:
            counts["over_bytes"] += 1
            return
        self.total_bytes += len(data)
        counts["captured"] += 1
        self.calls.append({"function": spec, "payload": base64.b64encode(data).decode("ascii")})


def _arguments(frame):
    """``(args, kwargs)`` of a call, read from the frame before the body has run."""
    code, local = frame.f_code, frame.f_locals
    names = code.co_varnames
    n_pos, n_kw = code.co_argcount, code.co_kwonlyargcount
    args = [local[name] for name in names[:n_pos]]
    kwargs = {name: local[name] for name in names[n_pos: n_pos + n_kw]}
    index = n_pos + n_kw
    if code.co_flags & 0x04:  # CO_VARARGS
        args.extend(local[names[index]])
        index += 1
    if code.co_flags & 0x08:  # CO_VARKEYWORDS
        kwargs.update(local[names[index]])
    return tuple(args), kwargs


class _TailBuffer(io.RawIOBase):
    """Keeps only the last ``limit`` bytes written: a program's output, bounded."""

    def __init__(self, limit: int = 2000):
        super().__init__()
        self.limit, self.data = limit, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk) -> int:
        self.data += bytes(chunk)
        del self.data[: max(0, len(self.data) - self.limit)]
        return len(chunk)


def run_trace(job: dict) -> dict:
    recorder = _Recorder(job["functions"], job["max_calls_per_function"], job["max_bytes"],
                         job.get("outermost_only", True))
    saved = sys.stdin, sys.stdout, sys.argv
    tail = _TailBuffer()
    out = io.TextIOWrapper(io.BufferedWriter(tail), encoding="utf-8", errors="replace")
    sys.stdin, sys.stdout = text_stream(job.get("stdin") or ""), out
    status, message = "ok", ""
    threading.setprofile(recorder)
    sys.setprofile(recorder)
    try:
        if job.get("module"):
            sys.argv = [job["module"], *job["args"]]
            runpy.run_module(job["module"], run_name="__main__", alter_sys=True)
        else:
            sys.argv = [job["script"], *job["args"]]
            runpy.run_path(job["script"], run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            status, message = "error", f"exited with status {exc.code!r}"
    except BaseException as exc:
        status, message = "error", _error_text(exc)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        sys.stdin, sys.stdout, sys.argv = saved
        out.flush()
    if status != "ok" and tail.data:
        message += "; last output: " + bytes(tail.data[-600:]).decode("utf-8", "replace").strip()
    return {"status": status, "message": message, "calls": recorder.calls,
            "counts": recorder.counts}


# ---------------------------------------------------------------- coverage of the oracle's inputs


def run_coverage(job: dict) -> dict:
    """Line and branch coverage of lines ``first_line..last_line`` of side ``a`` over all inputs.

    coverage.py is imported here, only for this mode, so the other modes stay standard
    library only. The side is loaded under measurement (its file is compiled under its own
    name, so coverage can read it back); every input is called once, whatever it raises.
    Answers the statement lines and branch arcs inside the span, covered and total, the
    line numbers never run, and the lines each input ran.
    """
    saved_path = sys.path[:]
    # the program's own files (a `coverage.py` beside it) must not stand in for coverage.py
    sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]
    try:
        import coverage
    except ImportError as exc:
        return {"status": "error", "side": None, "message": f"coverage.py is not importable: {exc}"}
    finally:
        sys.path[:] = saved_path
    spec = dict(job["targets"]["a"], display_name=None)
    cov = coverage.Coverage(data_file=None, branch=True, config_file=False,
                            include=[os.path.abspath(spec["file"])])
    cov.start()
    try:
        side = Side(spec)
        for index, encoded in enumerate(job["inputs"]):
            cov.switch_context(str(index))  # which lines each input runs, for aiming new inputs
            with contextlib.suppress(Exception):
                _observe(side, base64.b64decode(encoded), job.get("max_items", 1000))
    finally:
        cov.stop()
    first, last = job["first_line"], job["last_line"]
    by_input = [[] for _ in job["inputs"]]
    for line, contexts in sorted(cov.get_data().contexts_by_lineno(os.path.abspath(spec["file"])).items()):
        for context in contexts:
            if context.isdigit() and first <= line <= last:
                by_input[int(context)].append(line)
    return {"status": "ok", "input_lines": by_input, **_span_counts(cov, spec["file"], first, last)}


def _span_counts(cov, filename: str, first: int, last: int) -> dict:
    """Covered and total statements and branch exits of ``filename`` within ``first..last``."""
    _, statements, _, missing, _ = cov.analysis2(filename)
    inside = [line for line in statements if first <= line <= last]
    missed = sorted(line for line in missing if first <= line <= last)
    exits = [v for line, v in cov.branch_stats(filename).items() if first <= line <= last]
    return {"lines_total": len(inside), "lines_covered": len(inside) - len(missed),
            "branches_total": sum(v[0] for v in exits), "branches_covered": sum(v[1] for v in exits),
            "missing_lines": missed}


# ---------------------------------------------------------------- entry point

_MODES = {"measure": run_measure, "diff": run_diff, "trace": run_trace, "count": run_count,
          "coverage": run_coverage, "calls": run_calls}


def main() -> int:
    answer_fd = os.dup(1)
    with open(JOB_FILE, encoding="utf-8") as fh:
        job = json.load(fh)
    # The nonce marks the genuine answer line; code under test must not read it from disk.
    os.remove(JOB_FILE)
    sys.path.insert(0, os.getcwd())
    try:
        answer = _MODES[job["mode"]](job)
    except Exception as exc:
        answer = {"status": "error", "side": None,
                  "message": _error_text(exc), "traceback": traceback.format_exc()[-2000:]}
    sys.stdout.flush()
    line = MARKER + job["nonce"] + " " + json.dumps(answer) + "\n"
    data = line.encode("utf-8")
    while data:
        data = data[os.write(answer_fd, data):]
    return 0


if __name__ == "__main__":
    sys.exit(main())
