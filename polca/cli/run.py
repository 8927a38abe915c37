"""``polca run``: run a Python file in the sandbox and show what happened.

The command builds a :class:`RunSpec` from the file and the flags (defaults from
``[tool.polca.sandbox]`` and ``POLCA_SANDBOX``), runs it, and hands the result to pure
render functions (``result_summary``, ``result_json``) that print nothing themselves.
Exit status: 0 when the program ran and exited 0, 1 otherwise.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from polca.cli.common import Quiet, Verbose, config_from_flags, console, examples, fail, warn
from polca.config import SandboxBackend, SandboxConfig
from polca.sandbox import (
    Backend,
    DockerBackend,
    DockerSettings,
    Limits,
    RunResult,
    RunSpec,
    SandboxUnavailable,
    get_backend,
    run,
)

_STATUS_STYLE = {"ok": "bold green", "sandbox_error": "bold magenta"}
_SHOWN_OUTPUT_CHARS = 4000


def register(app: typer.Typer) -> None:
    app.command(
        "run",
        help=(
            "Run a Python file in the sandbox (no network, read-only filesystem, limits on "
            "time, memory, output and processes) and report status, output and resources."
        ),
        epilog=examples(
            "polca run slow.py",
            "polca run solve.py --stdin input.txt --timeout 5 --json",
            "polca run tool.py -- --size 100",
        ),
    )(run_file)


def run_file(
    path: Annotated[Path, typer.Argument(help="The Python file to run.")],
    args: Annotated[list[str] | None, typer.Argument(help="Arguments for the program (after --).")] = None,
    stdin: Annotated[Path | None, typer.Option("--stdin", help="A file whose bytes become stdin; - reads polca's own stdin.")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.0, help="Wall-clock limit, seconds (default 30).")] = None,
    memory: Annotated[int | None, typer.Option("--memory", min=1, help="Memory limit in MB (default 2048).")] = None,
    sandbox: Annotated[
        SandboxBackend | None,
        typer.Option("--sandbox", help="Isolation: auto (the default), local, docker, or none (unsafe)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Run FILE in the sandbox and print the result."""
    config = config_from_flags(sandbox={"backend": sandbox, "timeout_s": timeout, "memory_mb": memory}).sandbox
    spec = _spec(path, args or [], stdin, config)
    if config.backend == "none":
        warn("--sandbox none runs the file without any isolation: use it only for code you trust.")
    try:
        result = run(spec, backend=_backend(config))
    except SandboxUnavailable as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result_json(result), indent=2))
    else:
        console.print(result_summary(result, path.name))
    raise typer.Exit(0 if result.ok else 1)


def _spec(path: Path, args: list[str], stdin: Path | None, config: SandboxConfig) -> RunSpec:
    if not path.is_file():
        fail(f"{path} is not a file; give the path of a Python file to run.")
    if stdin is not None and str(stdin) != "-" and not stdin.is_file():
        fail(f"--stdin {stdin} is not a file; give a file whose contents become the program's stdin.")
    if config.timeout_s <= 0 or config.memory_mb <= 0:
        fail(f"--timeout and --memory must be above 0; got {config.timeout_s} s and {config.memory_mb} MB.")
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text; give a Python source file.")
    return RunSpec(
        python_source=source,
        args=tuple(args),
        stdin=_stdin_bytes(stdin),
        limits=Limits(timeout_s=config.timeout_s, memory_mb=config.memory_mb),
    )


def _stdin_bytes(stdin: Path | None) -> bytes | None:
    """The program's stdin: none, polca's own stdin for ``-``, else the file's bytes."""
    if stdin is None:
        return None
    return sys.stdin.buffer.read() if str(stdin) == "-" else stdin.read_bytes()


def _backend(config: SandboxConfig) -> Backend:
    if config.backend == "docker":
        return DockerBackend(DockerSettings(image=config.docker_image))
    return get_backend(config.backend)


# ---------------------------------------------------------------------------- rendering


def result_json(result: RunResult) -> dict[str, Any]:
    """The result as JSON-ready data; output is text when it is UTF-8, else base64."""
    data: dict[str, Any] = {
        "status": result.status,
        "message": result.message,
        "exit_code": result.exit_code,
        "signal": result.signal,
        "wall_s": result.wall_s,
        "cpu_s": result.cpu_s,
        "peak_rss_mb": result.peak_rss_mb,
        "backend": result.backend,
        "protections": list(result.protections),
        "stdout_truncated": result.stdout_truncated,
        "stderr_truncated": result.stderr_truncated,
    }
    for name in ("stdout", "stderr"):
        raw: bytes = getattr(result, name)
        try:
            data[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            data[name] = None
            data[f"{name}_base64"] = base64.b64encode(raw).decode("ascii")
    return data


def result_summary(result: RunResult, name: str) -> RenderableType:
    """A panel with status and resources, then the program's output (its tail when long)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    style = _STATUS_STYLE.get(result.status, "bold red")
    table.add_row("status", Text(result.status, style=style))
    table.add_row("what happened", Text(result.message))
    if result.signal is not None:
        table.add_row("signal", str(result.signal))
    elif result.exit_code is not None:
        table.add_row("exit code", str(result.exit_code))
    table.add_row("wall / CPU", f"{result.wall_s:.3f} s / {result.cpu_s:.3f} s")
    table.add_row("peak memory", f"{result.peak_rss_mb:.1f} MB")
    unsafe = result.backend == "none"
    table.add_row("sandbox", Text(f"{result.backend}{' (UNSAFE)' if unsafe else ''}", style="red" if unsafe else ""))
    table.add_row("protections", Text(", ".join(result.protections) or "none"))
    parts: list[RenderableType] = [Panel(table, title=f"polca run {name}", expand=False)]
    for label, raw in (("stdout", result.stdout), ("stderr", result.stderr)):
        if raw:
            parts.append(Text(f"── {label} ──", style="dim"))
            parts.append(Text(_shown(raw)))
    return Group(*parts)


def _shown(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="backslashreplace")
    if len(text) <= _SHOWN_OUTPUT_CHARS:
        return text.rstrip("\n")
    return f"[... {len(text) - _SHOWN_OUTPUT_CHARS} characters before this ...]\n" + text[-_SHOWN_OUTPUT_CHARS:]
