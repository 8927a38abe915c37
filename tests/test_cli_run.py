"""``polca run``: flags to a spec, the result to a summary or JSON, exit status from the result."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from polca.cli import app
from polca.cli.run import result_json, result_summary
from polca.sandbox import RunResult

runner = CliRunner()


@pytest.fixture
def program(tmp_path):
    def write(source: str, name: str = "prog.py"):
        path = tmp_path / name
        path.write_text(source)
        return path

    return write


def test_json_result_of_a_program_reading_stdin(program, tmp_path):
    stdin = tmp_path / "in.txt"
    stdin.write_text("3 4")
    path = program("a, b = map(int, input().split())\nprint(a * b)\n")
    result = runner.invoke(app, ["run", str(path), "--stdin", str(stdin), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "ok"
    assert data["stdout"] == "12\n"
    assert data["backend"] == "local"
    assert "scrubbed-env" in data["protections"]


def test_program_arguments_follow_the_file(program):
    path = program("import sys\nprint(sys.argv[1:])\n")
    result = runner.invoke(app, ["run", str(path), "--json", "--", "a", "--b"])
    assert json.loads(result.output)["stdout"] == "['a', '--b']\n"


def test_timeout_flag_gives_a_timeout_and_a_failing_exit_status(program):
    path = program("while True:\n    pass\n")
    result = runner.invoke(app, ["run", str(path), "--timeout", "0.3", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["status"] == "timeout"


def test_memory_flag_limits_memory(program):
    path = program("x = b'x' * (400 << 20)\n")
    result = runner.invoke(app, ["run", str(path), "--memory", "100", "--json"])
    assert json.loads(result.output)["status"] == "memory"


def test_rich_summary_shows_status_and_output(program):
    path = program("print('hello from the sandbox')\n")
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output
    assert "hello from the sandbox" in result.output
    assert "protections" in result.output


def test_sandbox_none_warns_that_it_is_unsafe(program):
    path = program("print(1)\n")
    result = runner.invoke(app, ["run", str(path), "--sandbox", "none"])
    assert result.exit_code == 0
    assert "UNSAFE" in result.output
    assert "without any isolation" in result.output


def test_missing_file_is_a_one_line_error(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "nope.py")])
    assert result.exit_code == 1
    assert "is not a file" in result.output


def test_binary_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "blob.py"
    path.write_bytes(b"\xff\xfe\x00")
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.output


def test_unknown_sandbox_is_refused_with_the_choices(program):
    result = runner.invoke(app, ["run", str(program("pass")), "--sandbox", "podman"])
    assert result.exit_code == 2
    assert "'podman' is not one of 'auto', 'local', 'docker', 'none'" in " ".join(result.output.replace("│", " ").split())


def _result(**changes) -> RunResult:
    values = dict(
        status="ok", exit_code=0, signal=None, stdout=b"", stderr=b"", stdout_truncated=False,
        stderr_truncated=False, wall_s=0.01, cpu_s=0.01, peak_rss_mb=9.0, backend="local",
        protections=("bwrap",), message="exited with code 0",
    )
    values.update(changes)
    return RunResult(**values)


def test_binary_output_goes_to_json_as_base64():
    data = result_json(_result(stdout=b"\xff\x00"))
    assert data["stdout"] is None
    assert data["stdout_base64"] == "/wA="


def test_summary_of_long_output_keeps_the_tail():
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(result_summary(_result(stdout=b"x" * 10_000 + b"END"), "p.py"))
    text = console.export_text()
    assert "END" in text and "characters before this" in text


def test_stdin_dash_passes_polca_own_stdin_to_the_program(program):
    path = program("a, b = map(int, input().split())\nprint(a * b)\n")
    result = runner.invoke(app, ["run", str(path), "--stdin", "-", "--json"], input="3 4\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stdout"] == "12\n"


@pytest.mark.parametrize(("flag", "value"), [("--timeout", "0"), ("--timeout", "-1"), ("--memory", "0")])
def test_a_limit_that_is_not_above_zero_is_refused_naming_the_flag(program, flag, value):
    result = runner.invoke(app, ["run", str(program("print(1)")), flag, value])
    assert result.exit_code in (1, 2) and flag in result.output, result.output
    assert "status" not in result.output
