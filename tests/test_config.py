from pathlib import Path

import pytest

from polca.config import DEFAULT_DB_URL, ConfigError, load_config


def _pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(body)
    return path


def test_defaults_when_nothing_is_set(tmp_path):
    cfg = load_config(cwd=tmp_path, environ={}, pyproject=_pyproject(tmp_path, ""))
    assert cfg.store.url == DEFAULT_DB_URL
    assert cfg.llm.model is None
    assert cfg.sandbox.backend == "auto"


def test_precedence_flags_over_env_over_pyproject(tmp_path):
    path = _pyproject(
        tmp_path, '[tool.polca.llm]\nmodel = "from-pyproject"\ntimeout_s = 5\n[tool.polca.store]\nurl = "sqlite:///p.db"\n'
    )
    env = {"POLCA_MODEL": "from-env", "POLCA_DB": "sqlite:///e.db"}
    cfg = load_config({"llm": {"model": "from-flag"}}, environ=env, pyproject=path)
    assert cfg.llm.model == "from-flag"
    assert cfg.store.url == "sqlite:///e.db"
    assert cfg.llm.timeout_s == 5.0


def test_flags_given_as_none_fall_through(tmp_path):
    cfg = load_config({"llm": {"model": None}}, environ={"POLCA_MODEL": "m"}, pyproject=_pyproject(tmp_path, ""))
    assert cfg.llm.model == "m"


def test_env_values_are_coerced(tmp_path):
    env = {"POLCA_LLM_CACHE": "false", "POLCA_LLM_MAX_RETRIES": "2", "POLCA_SANDBOX": "local"}
    cfg = load_config(environ=env, pyproject=_pyproject(tmp_path, ""))
    assert cfg.llm.cache is False
    assert cfg.llm.max_retries == 2
    assert cfg.sandbox.backend == "local"


def test_a_mistyped_key_names_the_likely_one(tmp_path):
    path = _pyproject(tmp_path, "[tool.polca.llm]\nmodle = 'x'\n")
    with pytest.raises(ConfigError, match="did you mean 'model' for 'modle'"):
        load_config(environ={}, pyproject=path)


def test_nearest_pyproject_is_found_from_a_subfolder(tmp_path):
    _pyproject(tmp_path, '[tool.polca.llm]\nmodel = "up-there"\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert load_config(cwd=sub, environ={}).llm.model == "up-there"


@pytest.mark.parametrize(
    "body, message",
    [
        ("[tool.polca.llm]\nmodle = 'x'\n", "unknown key(s) ['modle']"),
        ("[tool.polca.lm]\nmodel = 'x'\n", "unknown config section(s) ['lm']"),
        ("[tool.polca.sandbox]\nbackend = 'podman'\n", "not one of"),
        ("[tool.polca.llm]\ntimeout_s = 'soon'\n", "is not a float"),
        ("[tool.polca]\nllm = 3\n", "must be a table"),
        ("[tool.polca\n", "not valid TOML"),
    ],
)
def test_bad_config_is_rejected_with_a_message(tmp_path, body, message):
    with pytest.raises(ConfigError) as info:
        load_config(environ={}, pyproject=_pyproject(tmp_path, body))
    assert message in str(info.value)


def test_the_optimize_and_search_areas_follow_flags_over_env_over_pyproject_over_defaults(tmp_path):
    path = _pyproject(tmp_path, "[tool.polca.optimize]\ntop = 5\nbudget_evals = 10\nsize = 50\n"
                                "[tool.polca.search]\nepsilon = 0.2\nnum_candidates = 3\n")
    env = {"POLCA_OPTIMIZE_BUDGET_EVALS": "20", "POLCA_OPTIMIZE_SIZE": "60", "POLCA_SEARCH_NUM_CANDIDATES": "4"}
    cfg = load_config({"optimize": {"size": 70, "top": None}}, environ=env, pyproject=path)
    assert (cfg.optimize.size, cfg.optimize.budget_evals, cfg.optimize.top, cfg.optimize.seed) == (70, 20, 5, 0)
    assert (cfg.search.num_candidates, cfg.search.epsilon, cfg.search.batch_size) == (4, 0.2, 4)


def test_an_optional_budget_reads_none_or_a_number_from_the_environment(tmp_path):
    empty = _pyproject(tmp_path, "")
    assert load_config(environ={"POLCA_OPTIMIZE_BUDGET_COST": "0.5"}, pyproject=empty).optimize.budget_cost == 0.5
    assert load_config(environ={"POLCA_OPTIMIZE_TIME_LIMIT": "none"}, pyproject=empty).optimize.time_limit is None
    assert load_config(environ={"POLCA_OPTIMIZE_FALLBACK": "false"}, pyproject=empty).optimize.fallback is False


@pytest.mark.parametrize("body, message", [
    ("[tool.polca.optimize]\nbudget_eval = 3\n", "did you mean 'budget_evals' for 'budget_eval'"),
    ("[tool.polca.search]\nepsillon = 0.1\n", "did you mean 'epsilon' for 'epsillon'"),
    ("[tool.polca.optimise]\ntop = 1\n", "unknown config section"),
])
def test_an_unknown_key_of_the_optimize_or_search_area_is_an_error(tmp_path, body, message):
    with pytest.raises(ConfigError, match=message):
        load_config(environ={}, pyproject=_pyproject(tmp_path, body))


def test_the_optimize_default_speedup_is_the_sandboxs_threshold():
    from polca.config import OptimizeConfig
    from polca.sandbox.stats import MIN_SPEEDUP

    assert OptimizeConfig().min_speedup == MIN_SPEEDUP
