"""Configuration: frozen dataclasses, one per area, loaded with a fixed precedence.

Precedence, highest first: explicit overrides (CLI flags) > environment (``POLCA_*``) >
``[tool.polca]`` in the nearest ``pyproject.toml`` > the defaults below.

In ``pyproject.toml`` each area is a table (``[tool.polca.llm]``, ``[tool.polca.store]``,
``[tool.polca.sandbox]``, ``[tool.polca.optimize]``, ``[tool.polca.search]``). Each field
reads one environment variable, ``POLCA_<AREA>_<FIELD>`` (``POLCA_OPTIMIZE_TOP``) unless the
field names a shorter one (``POLCA_DB``, ``POLCA_MODEL``, ``POLCA_API_BASE``, ``POLCA_SANDBOX``).
Unknown keys are errors, never ignored: a typo must not silently give a default.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DEFAULT_DB_URL = "sqlite:///.polca/polca.db"

SandboxBackend = Literal["auto", "local", "docker", "none"]
EmbedderName = Literal["hashed", "code"]  # polca.optimizer.embedding.EMBEDDERS
ReevaluationName = Literal["adaptive", "fixed"]  # polca.optimizer.strategies.reevaluation
ExpansionName = Literal["adaptive", "focus", "spread"]  # polca.optimizer.strategies.expansion
RacingName = Literal["paired", "off"]  # polca.optimizer.strategies.racing


def _env(name: str) -> dict[str, str]:
    return {"env": name}


@dataclass(frozen=True)
class LLMConfig:
    """How every model call is made (see ``polca.llm``)."""

    model: str | None = field(default=None, metadata=_env("POLCA_MODEL"))
    api_base: str | None = field(default=None, metadata=_env("POLCA_API_BASE"))
    timeout_s: float = 120.0
    max_retries: int = 4
    backoff_base_s: float = 1.0
    max_concurrency: int = 8
    cache: bool = True
    cache_dir: str = ".polca/llm_cache"
    temperature: float = 0.7
    max_tokens: int | None = None


@dataclass(frozen=True)
class StoreConfig:
    """Where runs are kept: any SQLAlchemy URL; SQLite under ``.polca/`` by default."""

    url: str = field(default=DEFAULT_DB_URL, metadata=_env("POLCA_DB"))


@dataclass(frozen=True)
class SandboxConfig:
    """How untrusted candidate code is run (see ``polca.sandbox``)."""

    backend: SandboxBackend = field(default="auto", metadata=_env("POLCA_SANDBOX"))
    docker_image: str = "python:3.11-slim"
    timeout_s: float = 30.0
    memory_mb: int = 2048


@dataclass(frozen=True)
class OptimizeConfig:
    """Defaults of ``polca optimize``; each field is also the flag of the same name
    (``budget_evals`` is ``--budget-evals``). Validated by ``ProgramOptions``.

    ``budget_evals``: evaluations per target, each one candidate checked and timed on one
    minibatch of inputs (one paired measurement); ``budget_cost``: USD of model calls
    for the whole file, shared by its targets; ``time_limit``: wall-clock seconds for the
    whole file; ``final_*``: the final re-measurement of the best candidate;
    ``min_speedup``: the least speedup offered; ``fallback``: go on with skills alone when
    the model is unreachable (``--no-fallback`` turns it off); ``min_coverage`` /
    ``min_mutation_score``: the least line coverage and mutation score of the oracle for a
    change to be offered; ``max_mutants``: mutants checked per improved target (0: none).
    ``library``: skill folders
    searched beside the built-in library and ``.polca/skills`` (``--library DIR``, which
    replaces this list; in the environment, folders separated by ``os.pathsep``).
    """

    top: int = 3
    size: int | None = None  # None: grown per target until one call takes 20-200 ms
    budget_evals: int = 10  # measurements: 40 inputs' worth at the default batch_size of 4
    budget_cost: float | None = None
    time_limit: float | None = None
    seed: int = 0
    final_rounds: int = 20
    final_min_sample_s: float = 0.04
    min_speedup: float = 1.10  # polca.sandbox.stats.MIN_SPEEDUP (config imports nothing of polca)
    fallback: bool = True
    # oracle strength (polca.optimizer.domains.program.strength): a change whose oracle's line
    # coverage or mutation score is below these is not offered; 0.0 labels it only
    min_coverage: float = 0.0
    min_mutation_score: float = 0.0
    max_mutants: int = 20
    library: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchConfig:
    """The POLCA engine's knobs for ``polca optimize`` (the paper's names, see
    ``polca.optimizer.config.OptimizerConfig``) and how each candidate is timed during the
    search (``rounds``, ``min_sample_s``, ``warmup``; the final check has its own).

    ``batch_size`` is the most inputs per minibatch (fewer when a target has fewer).
    ``embedder`` is what the ε-net reads: ``code`` (normalised Python structure, so renames
    and reformatting are near-duplicates) or ``hashed`` (token n-grams); ``epsilon`` None
    takes the embedder's calibrated radius. ``expansion`` picks which explorers get children
    (``adaptive``: the leader and those still tied with it; ``focus``; ``spread``).
    ``racing`` stops scoring a child once it is shown worse than its parent on part of
    the minibatch (``paired``) or scores every child on all of it (``off``); a
    batch-measured domain such as this one measures a batch as one, so it is never split. ``summarize_every``: with a model the model
    summarizes; without one the run's own histories do (which skills raised the score).
    """

    num_candidates: int = 2
    num_proposals: int = 2
    batch_size: int = 4
    embedder: EmbedderName = "code"
    epsilon: float | None = None
    reevaluation: ReevaluationName = "adaptive"
    expansion: ExpansionName = "adaptive"
    racing: RacingName = "paired"
    num_pool: int = 0
    summarize_every: int = 1
    summary_sample_size: int = 5
    max_workers: int = 2
    rounds: int = 5
    min_sample_s: float = 0.01
    warmup: int = 1


@dataclass(frozen=True)
class Config:
    llm: LLMConfig = field(default_factory=LLMConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    optimize: OptimizeConfig = field(default_factory=OptimizeConfig)
    search: SearchConfig = field(default_factory=SearchConfig)


class ConfigError(ValueError):
    """A configuration value or key is invalid; the message says which and how to fix it."""


def env_name(area: str, f: dataclasses.Field) -> str:
    return f.metadata.get("env", f"POLCA_{area.upper()}_{f.name.upper()}")


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(
    overrides: dict[str, dict[str, Any]] | None = None,
    *,
    cwd: Path | None = None,
    environ: typing.Mapping[str, str] | None = None,
    pyproject: Path | None = None,
) -> Config:
    """Build a ``Config`` from defaults, pyproject, environment and ``overrides``.

    ``overrides`` is ``{area: {field: value}}``; ``None`` values are ignored, so CLI
    options that were not given fall through to the lower layers.
    """
    environ = os.environ if environ is None else environ
    path = pyproject or find_pyproject(cwd)
    layers = [_read_pyproject(path) if path else {}, _read_env(environ), overrides or {}]
    areas: dict[str, Any] = {}
    for area_field in dataclasses.fields(Config):
        area_cls = area_field.default_factory  # type: ignore[misc]
        values: dict[str, Any] = {}
        for layer in layers:
            values.update({k: v for k, v in layer.get(area_field.name, {}).items() if v is not None})
        areas[area_field.name] = _build(area_field.name, area_cls, values)
    for layer in layers:
        unknown = set(layer) - set(areas)
        if unknown:
            raise ConfigError(
                f"unknown config section(s) {sorted(unknown)}; known sections: {sorted(areas)}"
            )
    return Config(**areas)


def _read_pyproject(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    section = data.get("tool", {}).get("polca", {})
    for area, values in section.items():
        if not isinstance(values, dict):
            raise ConfigError(
                f"{path}: [tool.polca] key {area!r} must be a table such as [tool.polca.{area}]"
            )
    return section


def _read_env(environ: typing.Mapping[str, str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for area_field in dataclasses.fields(Config):
        for f in dataclasses.fields(area_field.default_factory):  # type: ignore[arg-type]
            name = env_name(area_field.name, f)
            if name in environ:
                found.setdefault(area_field.name, {})[f.name] = environ[name]
    return found


def _build(area: str, cls: type, values: dict[str, Any]) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(fields)
    if unknown:
        guesses = {
            key: close[0]
            for key in sorted(unknown)
            if (close := difflib.get_close_matches(key, list(fields), n=1))
        }
        hint = "".join(f"; did you mean {g!r} for {k!r}?" for k, g in guesses.items())
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)} in config section {area!r}{hint} "
            f"(known keys: {sorted(fields)})"
        )
    hints = typing.get_type_hints(cls)
    coerced = {name: _coerce(area, name, hints[name], value) for name, value in values.items()}
    return cls(**coerced)


def _coerce(area: str, name: str, hint: Any, value: Any) -> Any:
    """Turn a raw value (a string from the environment, a TOML value) into ``hint``'s type."""
    where = f"{area}.{name}"
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value in ("", "none", "None"):
            return None
        return _coerce(area, name, args[0], value)
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(f"{where} = {value!r} is not one of {list(choices)}")
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{where} = {value!r} is not a boolean (use true or false)")
    if hint in (int, float):
        try:
            number = hint(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} = {value!r} is not a {hint.__name__}") from None
        if number < 0:
            raise ConfigError(f"{where} = {value!r} must not be negative")
        return number
    if hint is str:
        return str(value)
    if origin is tuple:
        return _coerce_paths(where, value)
    raise ConfigError(f"{where}: unsupported config type {hint!r}")


def _coerce_paths(where: str, value: Any) -> tuple[str, ...]:
    """A list of folder names: a TOML array of strings, or one string of ``os.pathsep``-separated ones."""
    if isinstance(value, str):
        return tuple(part for part in value.split(os.pathsep) if part)
    if isinstance(value, list | tuple) and all(isinstance(v, str | Path) for v in value):
        return tuple(str(v) for v in value)
    raise ConfigError(f"{where} = {value!r} is not a list of folder names (e.g. [\"skills\", \"../shared\"])")
