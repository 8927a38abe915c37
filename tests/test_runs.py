"""The run contract: names round-trip, problem specs are read from wherever a run keeps
them, and runs of older versions still read as program runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from polca.runs import (
    FINAL_CHECK_KEY,
    PROBLEM_KEY,
    SCRIPT_TARGET,
    ProblemSpec,
    final_check_of,
    kernel_run_name,
    kind_of,
    parse_kernel_run_name,
    parse_program_run_name,
    problem_of,
    program_run_name,
    state_with_outcome,
)
from polca.store import RunRecord


def _run(kind: str = "program", name: str = "", config=None, state=None) -> RunRecord:
    now = datetime.now(UTC)
    return RunRecord(id="r1", kind=kind, name=name, status="finished", config=config or {}, state=state or {},
                     iteration=1, best_candidate_id=None, created_at=now, updated_at=now)


def test_a_program_run_name_round_trips_with_a_colon_in_the_path(tmp_path):
    path = tmp_path / "odd:name.py"
    name = program_run_name("Cls.method", path)
    assert parse_program_run_name(name) == ("Cls.method", str(path.resolve()))
    assert parse_program_run_name(program_run_name(None, path))[0] == SCRIPT_TARGET


@pytest.mark.parametrize("name", ["", None, "optimize:", "optimize:target", "kernelbench:1_relu", "free name"])
def test_names_that_are_not_program_runs_parse_to_none(name):
    assert parse_program_run_name(name) is None


def test_a_kernel_run_name_round_trips():
    assert parse_kernel_run_name(kernel_run_name("level1/19_relu")) == "level1/19_relu"
    assert parse_kernel_run_name("optimize:f:/x.py") is None


def test_runs_of_older_versions_read_as_program_runs_with_a_spec_from_their_name():
    old = _run(kind="polca", name="optimize:total:/src/slow.py")
    assert kind_of(old) == "program"
    spec = problem_of(old)
    assert spec == ProblemSpec(id="total:/src/slow.py", task=spec.task) and "`total`" in spec.task
    assert spec.check == {}, "an old run has no inputs to re-verify with: SFT only"


def test_a_plain_engine_run_is_not_a_program_run():
    assert kind_of(_run(kind="polca", name="")) == "polca"
    assert problem_of(_run(kind="polca", name="")) is None


def test_the_spec_in_the_state_wins_over_the_config_and_round_trips():
    spec = ProblemSpec(id="k", task="Write ReLU.", code="x", check={"problem_path": "/p/1_relu.py"})
    run = _run(kind="kernel", config={PROBLEM_KEY: {"id": "other"}},
               state=state_with_outcome({"iteration": 3}, spec, {"correct": True}))
    assert problem_of(run) == spec
    assert final_check_of(run) == {"correct": True} and run.state["iteration"] == 3


def test_a_hand_written_run_may_keep_its_spec_in_the_config():
    run = _run(kind="kernel", config={PROBLEM_KEY: {"id": "k", "check": "not a dict"}})
    assert problem_of(run) == ProblemSpec(id="k", task="Make this code faster.")
    assert final_check_of(run) is None and FINAL_CHECK_KEY not in run.state


@pytest.mark.parametrize("stored", [{"id": 3}, {}, {"task": "t"}])
def test_a_stored_spec_without_a_string_id_is_refused(stored):
    with pytest.raises(ValueError, match="'id'"):
        ProblemSpec.from_dict(stored)


def test_a_spec_needs_a_non_empty_id():
    with pytest.raises(ValueError, match="non-empty string id"):
        ProblemSpec(id="", task="t")
