"""optimize_file end to end, offline with executable skills: targets, oracle, search, verdict, store."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from polca.config import SandboxConfig, SearchConfig
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.domains.program import (
    NoOracleError,
    ProgramOptions,
    PytestMissing,
    SkillsProposer,
    optimize_file,
)
from polca.optimizer.domains.program import oracle as oracle_module
from polca.optimizer.domains.program import run as run_module
from polca.runs import FINAL_CHECK_KEY, config_of
from polca.sandbox import DockerBackend, LocalBackend

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUICK = dict(budget_evals=2, size=300, final_rounds=8, final_min_sample_s=0.02,
             search=SearchConfig(rounds=3, min_sample_s=0.005, warmup=0))

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


@pytest.fixture
def ran_configs(monkeypatch) -> list[OptimizerConfig]:
    """The engine config each target's search was started with, in order."""
    configs: list[OptimizerConfig] = []
    real = run_module.optimize

    def recording(domain, proposer, *, config, **kwargs):
        configs.append(config)
        return real(domain, proposer, config=config, **kwargs)

    monkeypatch.setattr(run_module, "optimize", recording)
    return configs


def test_a_stored_run_can_be_resumed_with_more_budget_and_stores_the_config_that_ran(dedup, store, ran_configs):
    options = ProgramOptions(time_limit=600.0, **QUICK)
    first = optimize_file(dedup, options, proposer=SkillsProposer(), store=store)
    run_id = first.targets[0].run_id
    run = store.get_run(run_id)
    assert OptimizerConfig.from_dict(run.config) == ran_configs[0] == OptimizerConfig.from_dict(config_of(run))
    spent, spent_wall_s = run.state["budget"]["evaluations"], run.state["budget"]["wall_s"]
    again = optimize_file(dedup, options, proposer=SkillsProposer(), store=store, resume_run=run_id)
    assert again.targets[0].run_id == run_id and len(ran_configs) == 2
    run = store.get_run(run_id)
    assert OptimizerConfig.from_dict(config_of(run)) == ran_configs[1]
    assert ran_configs[1].max_evaluations == spent + QUICK["budget_evals"]
    # the time spent before, plus what is left of the new time limit (planning took some of it)
    assert spent_wall_s < ran_configs[1].max_wall_s <= spent_wall_s + options.time_limit
    assert store.run_stats([run_id])[run_id].evaluations > store.run_stats([run_id])[run_id].evaluations - 1 > 0
    assert run.state["budget"]["evaluations"] > spent


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
    report = optimize_file(path, ProgramOptions(stdin=(stdin,), **QUICK), proposer=SkillsProposer())
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
    report = optimize_file(path, ProgramOptions(stdin=(stdin,), **QUICK), proposer=SkillsProposer())
    by_name = {t.name: t for t in report.targets}
    assert by_name["count_free"].status == "excluded"
    assert "cannot be called on its own: could not load" in by_name["count_free"].message
    assert "\n" not in by_name["count_free"].message
    assert by_name["<script>"].status != "excluded" and by_name["<script>"].inputs_verified > 0


def test_a_file_without_any_oracle_says_what_to_provide(tmp_path):
    path = tmp_path / "bare.py"
    path.write_text("def f(xs):\n    return xs\n")  # nothing tells what xs is
    with pytest.raises(NoOracleError, match="type hints.*--tests.*--stdin"):
        optimize_file(path, ProgramOptions(**QUICK), proposer=SkillsProposer())


def test_captured_test_calls_are_inputs(tmp_path):
    path = tmp_path / "calc.py"
    path.write_text("def total(xs):\n    out = 0\n    for x in xs:\n        out += x\n    return out\n")
    tests = tmp_path / "test_calc.py"
    tests.write_text("from calc import total\n\ndef test_total():\n    assert total([1, 2, 3]) == 6\n"
                     "    assert total(list(range(100))) == 4950\n")
    report = optimize_file(path, ProgramOptions(**QUICK), proposer=SkillsProposer())
    assert report.targets[0].input_sources["traced (tests)"] == 2


@pytest.mark.parametrize("changes, message", [
    ({"top": 0}, "top=0 must be a positive integer"),
    ({"min_speedup": 0.9}, "min_speedup=0.9 must be >= 1.0"),
    ({"time_limit": -1.0}, "time_limit=-1.0 must be positive"),
    ({"stdin": (Path("/nonexistent/in.txt"),)}, "is not a file"),
])
def test_bad_options_say_the_value_and_the_rule(changes, message):
    with pytest.raises(ValueError, match=message):
        ProgramOptions(**changes)


TWO_TARGETS = """def unique_ids(ids: list[int]) -> list[int]:
    out = []
    for x in ids:
        if x not in out:
            out.append(x)
    return out


def free_slots(blocked: list[int]) -> int:
    taken = [int(slot) for slot in blocked]
    free = 0
    for i in range(4 * len(blocked)):
        if i not in taken:
            free += 1
    return free
"""


class _Usage:
    cost_usd = 0.0


class _MeteredModel:
    """Stands in for an LLM client: the engine reads only ``usage.cost_usd``."""

    def __init__(self) -> None:
        self.usage = _Usage()


class _CostlySkills:
    """Executable skills that report ``cost_usd`` of model spend per request."""

    def __init__(self, model: _MeteredModel, cost_usd: float) -> None:
        self._inner, self._model, self._cost_usd = SkillsProposer(), model, cost_usd

    def propose(self, parent, evaluations, context):
        self._model.usage.cost_usd += self._cost_usd
        return self._inner.propose(parent, evaluations, context)


@pytest.mark.parametrize("budget_cost, cost_usd", [(50.0, 0.5), (0.05, 0.1)])
def test_the_cost_budget_is_one_for_the_file_and_each_target_gets_what_is_left(tmp_path, ran_configs,
                                                                                budget_cost, cost_usd):
    path = tmp_path / "two.py"
    path.write_text(TWO_TARGETS)
    model = _MeteredModel()
    options = ProgramOptions(budget_cost=budget_cost, **{**QUICK, "search": replace(QUICK["search"], summarize_every=0)})
    report = optimize_file(path, options, proposer=_CostlySkills(model, cost_usd), llm=model)
    first, second = report.targets
    assert ran_configs[0].max_cost_usd == budget_cost
    if second.message.startswith("not searched"):  # the first target spent it all
        assert len(ran_configs) == 1 and second.status == "no_gain" and "--budget-cost of $0.05" in second.message
        assert first.cost_usd >= budget_cost
    else:
        assert ran_configs[1].max_cost_usd == pytest.approx(budget_cost - first.cost_usd)
        assert first.cost_usd > 0 and second.cost_usd > 0
    assert model.usage.cost_usd == pytest.approx(report.cost_usd)


def test_the_sandbox_settings_reach_every_run_of_a_file(dedup, monkeypatch):
    seen = []
    local = LocalBackend()

    def run_locally(self, spec):
        seen.append((self.settings.image, spec.limits))
        return local.run(spec)

    monkeypatch.setattr(DockerBackend, "run", run_locally)
    sandbox = SandboxConfig(backend="docker", docker_image="polca-test:1", timeout_s=17.0, memory_mb=1536)
    report = optimize_file(dedup, ProgramOptions(sandbox=sandbox, **QUICK), proposer=SkillsProposer())
    assert report.targets[0].status == "improved"  # searched, checked and timed, all in "docker"
    assert len(seen) > 5 and {image for image, _ in seen} == {"polca-test:1"}
    assert {limits.memory_mb for _, limits in seen} == {1536}
    assert {17.0, 34.0} <= {limits.timeout_s for _, limits in seen}  # a check, a self-check


def test_tests_that_cannot_run_without_pytest_say_so_and_not_to_pass_tests(tmp_path, monkeypatch):
    monkeypatch.setattr(oracle_module, "TEST_RUNNER", "polca_absent_pytest")
    path = tmp_path / "calc.py"
    path.write_text("def total(xs):\n    return xs\n")  # nothing tells what xs is: only tests can
    tests = tmp_path / "test_calc.py"
    tests.write_text("from calc import total\n\ndef test_total():\n    assert total([1, 2]) == [1, 2]\n")
    with pytest.raises(NoOracleError, match="tests found .*test_calc.py.* but polca_absent_pytest is not installed "
                                            "in polca's environment: pip install polca_absent_pytest") as found:
        optimize_file(path, ProgramOptions(**QUICK), proposer=SkillsProposer())
    assert "--tests" not in str(found.value)
    with pytest.raises(PytestMissing, match="tests given .* but polca_absent_pytest is not installed"):
        optimize_file(path, ProgramOptions(tests=tests, **QUICK), proposer=SkillsProposer())


def test_given_tests_that_capture_nothing_do_not_advise_passing_tests(tmp_path):
    path = tmp_path / "calc.py"
    path.write_text("def total(xs):\n    return xs\n")
    tests = tmp_path / "test_other.py"
    tests.write_text("def test_nothing():\n    assert True\n")
    with pytest.raises(NoOracleError, match="type hints") as refused:
        optimize_file(path, ProgramOptions(tests=tests, **QUICK), proposer=SkillsProposer())
    assert "--tests" not in str(refused.value)


@pytest.mark.parametrize("body", [
    "import polca_absent_package\n\n\ndef f(xs: list[int]) -> int:\n    return len(xs)\n",
    "import polca_absent_package.sub\n\nprint(1)\n",
])
def test_an_import_missing_from_polcas_environment_says_where_to_install(tmp_path, body):
    path = tmp_path / "uses_it.py"
    path.write_text(body)
    with pytest.raises(ValueError, match="uses_it.py imports polca_absent_package, which is not installed in the "
                                         "environment polca runs in .*install polca into your project's environment "
                                         r"\(or pip install polca_absent_package there\)") as refused:
        optimize_file(path, ProgramOptions(**QUICK), proposer=SkillsProposer())
    assert "fix the" not in str(refused.value)

