"""ProgramOptions: one field per `polca optimize` flag, checked at construction, filled from config."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import typer

from polca.cli import app
from polca.config import (
    Config,
    ConfigError,
    OptimizeConfig,
    SandboxConfig,
    SearchConfig,
    load_config,
)
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.domains.program import ProgramOptions
from polca.optimizer.domains.program.run import Spent, search_config

NOT_FLAGS = {"final_rounds", "final_min_sample_s", "min_speedup", "search"}  # config only
CLI_ONLY = {"model", "api_base", "no_fallback", "apply", "out", "as_json", "resume", "db", "verbose", "quiet"}


def test_every_option_is_named_as_its_flag():
    command = typer.main.get_command(app).commands["optimize"]
    flags = {p.name: p.opts for p in command.params if p.name != "path"}
    fields = {f.name for f in dataclasses.fields(ProgramOptions)}
    for name in fields - NOT_FLAGS:
        assert f"--{name.replace('_', '-')}" in flags[name], (name, flags.get(name))
    search = {f.name for f in dataclasses.fields(SearchConfig)}
    assert set(flags) - fields - search == CLI_ONLY, "a flag is an option, a search knob, or the CLI's own"


@pytest.mark.parametrize("changes, error, message", [
    ({"top": 0}, ValueError, r"top=0 must be a positive integer \(--top N"),
    ({"budget_evals": True}, ValueError, "budget_evals=True must be a positive integer"),
    ({"seed": -1}, ValueError, "seed=-1 must be an integer >= 0"),
    ({"budget_cost": 0.0}, ValueError, r"budget_cost=0.0 must be positive, or None .*leave --budget-cost out"),
    ({"time_limit": -1.0}, ValueError, "time_limit=-1.0 must be positive"),
    ({"min_speedup": 0.9}, ValueError, "min_speedup=0.9 must be >= 1.0"),
    ({"function": "solve"}, TypeError, r"function='solve' must be a tuple, e.g. function=\('solve',\)"),
    ({"stdin": (Path("/nonexistent/in.txt"),)}, ValueError, "--stdin /nonexistent/in.txt is not a file"),
    ({"tests": Path("/nonexistent/test_x.py")}, ValueError, "--tests /nonexistent/test_x.py is not a file"),
    ({"search": SearchConfig(rounds=2)}, ValueError, r"search: rounds=2 is too few .*\[tool.polca.search\]"),
    ({"search": SearchConfig(epsilon=3.0)}, ValueError, r"search: epsilon=3.0 must lie in \[0, 2\]"),
    ({"sandbox": SandboxConfig(timeout_s=0.0)}, ValueError, "sandbox timeout_s=0.0 and memory_mb=2048 must be positive"),
])
def test_a_bad_option_says_the_value_the_rule_and_the_fix(changes, error, message):
    with pytest.raises(error, match=message):
        ProgramOptions(**changes)


def test_options_from_config_take_its_areas_and_let_given_values_win(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.polca.optimize]\ntop = 2\nbudget_cost = 0.5\n[tool.polca.search]\nrounds = 7\n"
                         "[tool.polca.sandbox]\nbackend = 'docker'\nmemory_mb = 512\n")
    config = load_config(environ={}, pyproject=pyproject)
    options = ProgramOptions.from_config(config, size=None, budget_evals=9, function=("f",))
    assert (options.top, options.budget_cost, options.size, options.budget_evals) == (2, 0.5, None, 9)
    assert options.function == ("f",) and options.evaluation.rounds == 7
    assert options.sandbox == SandboxConfig(backend="docker", memory_mb=512)
    with pytest.raises(TypeError, match="unknown ProgramOptions field"):
        ProgramOptions.from_config(config, functions=("f",))


def test_the_defaults_of_the_options_are_the_configs():
    options, config = ProgramOptions(), Config()
    for field in dataclasses.fields(OptimizeConfig):
        if hasattr(options, field.name):
            assert getattr(options, field.name) == getattr(config.optimize, field.name), field.name
    assert options.search == config.search and options.sandbox == config.sandbox


def test_the_search_config_takes_the_knobs_the_budget_and_what_a_resumed_run_spent():
    options = ProgramOptions(budget_evals=10, seed=3, search=SearchConfig(num_candidates=3, batch_size=8, epsilon=0.2))
    fresh = search_config(options, num_inputs=5, cost_left=0.25, wall_left=30.0)
    assert fresh == OptimizerConfig(num_candidates=3, num_proposals=2, batch_size=5, embedder="code", epsilon=0.2,
                                    reevaluation="adaptive", expansion="adaptive", num_pool=0, summarize_every=1,
                                    max_workers=2, max_evaluations=10, max_cost_usd=0.25, max_wall_s=30.0, seed=3)
    resumed = search_config(options, 5, spent=Spent(evaluations=14, cost_usd=0.1, wall_s=5.0),
                            cost_left=0.25, wall_left=30.0)
    assert (resumed.max_evaluations, resumed.max_cost_usd, resumed.max_wall_s) == (24, pytest.approx(0.35), 35.0)
    assert resumed.summarize_every == 1


def test_the_expansion_policy_is_a_search_key_that_reaches_the_engine(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.polca.search]\nexpansion = \"spread\"\n", encoding="utf-8")
    cfg = load_config(environ={}, pyproject=pyproject)
    options = ProgramOptions(budget_evals=4, search=cfg.search)
    assert search_config(options, num_inputs=4).expansion == "spread"
    pyproject.write_text("[tool.polca.search]\nexpansion = \"greedy\"\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expansion"):
        load_config(environ={}, pyproject=pyproject)


def test_the_search_embedder_choices_are_the_engine_registry_and_bad_ones_are_refused():
    from typing import get_args

    from polca.config import ConfigError, EmbedderName
    from polca.optimizer.embedding import EMBEDDERS

    assert set(get_args(EmbedderName)) == set(EMBEDDERS)
    config = load_config(environ={"POLCA_SEARCH_EMBEDDER": "hashed", "POLCA_SEARCH_EPSILON": "0.2"}, pyproject=None,
                         cwd=Path("/"))
    knobs = search_config(ProgramOptions(search=config.search), num_inputs=4)
    assert (knobs.embedder, knobs.epsilon) == ("hashed", 0.2)
    with pytest.raises(ConfigError, match="search.embedder = 'words' is not one of"):
        load_config(environ={"POLCA_SEARCH_EMBEDDER": "words"}, pyproject=None, cwd=Path("/"))
