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
