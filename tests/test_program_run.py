"""optimize_file end to end, offline with executable skills: targets, oracle, search, verdict, store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from polca.optimizer.domains.program.domain import EvalSettings
from polca.optimizer.domains.program.proposers import SkillsProposer
from polca.optimizer.domains.program.run import (
    NoOracleError,
    ProgramOptions,
    optimize_file,
)

from polca.runs import FINAL_CHECK_KEY

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUICK = dict(budget_evals=8, size=300, final_rounds=8, final_min_sample_s=0.02,
             search=EvalSettings(rounds=3, min_sample_s=0.005, warmup=0))

SCRIPT = '''import sys


def main():
    tokens = sys.stdin.read().split()
    limit = int(tokens[0])
    blocked = [int(tok) for tok in tokens[1:]]
    free = 0
    for i in range(limit):
        if i not in blocked:
            free += 1
    print(free)


if __name__ == "__main__":
    main()
'''


@pytest.fixture
def dedup(tmp_path):
    path = tmp_path / "dedup_ids.py"
    shutil.copyfile(EXAMPLES / "dedup_ids.py", path)
    return path


def test_a_module_function_is_sped_up_verified_and_reported(dedup, store):
    report = optimize_file(dedup, ProgramOptions(**QUICK), proposer=SkillsProposer(), store=store)
    (target,) = report.targets
    assert target.name == "unique_ids" and target.status == "improved"
    assert target.origins == ("skill:dedup-with-dict-fromkeys",)
    assert target.speedup >= 1.10 and target.ci_low > 1.0
    assert target.inputs_verified == 9 and target.input_sources == {"generated": 9}
    assert "+    out = list(dict.fromkeys(ids))" in report.diff()
    assert dedup.read_text() == report.original_source  # nothing written
    json.dumps(report.to_dict())
    run = store.get_run(target.run_id)
    assert run.name == f"optimize:unique_ids:{dedup.resolve()}"
    final = run.state[FINAL_CHECK_KEY]
    assert (final["speedup"], final["ci_low"], final["ci_high"]) == (target.speedup, target.ci_low, target.ci_high)
    assert (final["verdict"], final["status"], final["inputs_verified"]) == ("faster", "improved", 9)
    assert "budget" in run.state  # the engine's own state is kept for --resume


def test_a_stored_run_can_be_resumed_with_more_budget(dedup, store):
    first = optimize_file(dedup, ProgramOptions(**QUICK), proposer=SkillsProposer(), store=store)
    run_id = first.targets[0].run_id
    spent = store.run_stats([run_id])[run_id].evaluations
    again = optimize_file(dedup, ProgramOptions(**QUICK), proposer=SkillsProposer(), store=store,
                          resume_run=run_id)
    assert again.targets[0].run_id == run_id
    assert store.run_stats([run_id])[run_id].evaluations > spent


def test_resuming_a_run_of_another_file_is_refused(dedup, store, tmp_path):
    first = optimize_file(dedup, ProgramOptions(**QUICK), proposer=SkillsProposer(), store=store)
    other = tmp_path / "other.py"
    other.write_text(dedup.read_text())
    with pytest.raises(ValueError, match="not .*other.py"):
        optimize_file(other, ProgramOptions(**QUICK), proposer=SkillsProposer(), store=store,
                      resume_run=first.targets[0].run_id)


def test_a_stdin_script_is_a_target_judged_by_its_output(tmp_path):
    path = tmp_path / "slots.py"
    path.write_text(SCRIPT)
    stdin = tmp_path / "in.txt"
    stdin.write_text("1600 " + " ".join(str(i * 7 % 1300) for i in range(400)))
    report = optimize_file(path, ProgramOptions(stdin_files=(stdin,), **QUICK), proposer=SkillsProposer())
    (target,) = report.targets
    assert target.name == "<script>" and target.status == "improved"
    assert target.input_sources == {"script runs": 1}
    assert "blocked = {int(tok) for tok in tokens[1:]}" in report.optimized_source


def test_a_script_that_runs_main_at_import_keeps_its_script_target(tmp_path):
    path = tmp_path / "slots_eager.py"
    path.write_text(SCRIPT.replace("    tokens = sys.stdin.read().split()\n    limit = int(tokens[0])\n"
                                   "    blocked = [int(tok) for tok in tokens[1:]]\n", "")
                    .replace("def main():\n", "def count_free(limit, blocked):\n")
                    .replace("    print(free)\n", "    return free\n")
                    .replace('if __name__ == "__main__":\n    main()\n',
                             "def main():\n    tokens = sys.stdin.read().split()\n"
                             "    print(count_free(int(tokens[0]), [int(tok) for tok in tokens[1:]]))\n\n\nmain()\n"))
    stdin = tmp_path / "in.txt"
    stdin.write_text("1600 " + " ".join(str(i * 7 % 1300) for i in range(400)))
    report = optimize_file(path, ProgramOptions(stdin_files=(stdin,), **QUICK), proposer=SkillsProposer())
    by_name = {t.name: t for t in report.targets}
    assert by_name["count_free"].status == "excluded"
    assert "cannot be called on its own: could not load" in by_name["count_free"].message
    assert "\n" not in by_name["count_free"].message
    assert by_name["<script>"].status != "excluded" and by_name["<script>"].evaluations > 0


def test_a_file_without_any_oracle_says_what_to_provide(tmp_path):
    path = tmp_path / "bare.py"
    path.write_text("def f(xs):\n    return sorted(xs)\n")
    with pytest.raises(NoOracleError, match="type hints.*--tests.*--stdin"):
        optimize_file(path, ProgramOptions(**QUICK), proposer=SkillsProposer())


def test_captured_test_calls_are_inputs(tmp_path):
    path = tmp_path / "calc.py"
    path.write_text("def total(xs):\n    out = 0\n    for x in xs:\n        out += x\n    return out\n")
    tests = tmp_path / "test_calc.py"
    tests.write_text("from calc import total\n\ndef test_total():\n    assert total([1, 2, 3]) == 6\n"
                     "    assert total(list(range(100))) == 4950\n")
    report = optimize_file(path, ProgramOptions(**QUICK), proposer=SkillsProposer())
    assert report.targets[0].input_sources == {"traced (tests)": 2}


@pytest.mark.parametrize("changes, message", [
    ({"top": 0}, "top=0 must be a positive integer"),
    ({"min_speedup": 0.9}, "min_speedup=0.9 must be >= 1.0"),
    ({"time_limit_s": -1.0}, "time_limit_s=-1.0 must be positive"),
    ({"stdin_files": (Path("/nonexistent/in.txt"),)}, "is not a file"),
])
def test_bad_options_say_the_value_and_the_rule(changes, message):
    with pytest.raises(ValueError, match=message):
        ProgramOptions(**changes)
