"""The one place that calls a language model: litellm with retries, a cache and accounting.

Every model call in polca goes through ``LLMClient``::

    client = LLMClient(config.llm, on_call=lambda call: store.record_llm_call(run_id, **asdict(call)))
    answer = client.complete("Make this faster: ...", purpose="propose")
    answer.text, answer.cost_usd, client.usage.cost_usd

Any litellm model string works (``openai/gpt-4o-mini``, ``anthropic/...``,
``hosted_vllm/...`` with ``api_base``, ``ollama/...``). Calls are synchronous and
thread-safe. Each call:

- waits for a slot under ``config.max_concurrency`` (held only while a request is out);
- is answered from the on-disk cache when the same request was answered before (unless
  ``config.cache`` is off); ``sample`` is part of the request, so n samples of one prompt
  are n different requests;
- is retried with exponential backoff and jitter (``backoff_base_s * 2**attempt``) on rate
  limits, server errors and timeouts (``config.timeout_s`` per attempt), at most
  ``config.max_retries`` times; other client errors fail at once;
- is accounted: tokens and dollars (litellm's cost map, loaded locally) add up in
  ``usage`` and each call reaches ``on_call`` as an ``LLMCall``, failures included.

A missing API key, an unreachable server or an unknown model raises ``LLMUnavailable``,
whose message is one line naming the model and what to set.
"""

from __future__ import annotations

import dataclasses
import email.utils
import functools
import hashlib
import json
import logging
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from polca.config import LLMConfig

__all__ = [
    "LLMCall",
    "LLMClient",
    "LLMError",
    "LLMResponse",
    "LLMUnavailable",
    "LLMUsage",
    "validate_model",
]

log = logging.getLogger(__name__)

Messages = str | list[dict[str, Any]]
_MAX_BACKOFF_S = 60.0
_MAX_CONNECT_RETRIES = 1
_CACHE_FILE = "llm_cache.sqlite3"
_API_BASE_HINT = "--api-base / POLCA_API_BASE"
_SERVER_ADDRESS_VARIABLES = {"hosted_vllm": "HOSTED_VLLM_API_BASE"}


@dataclass(frozen=True)
class LLMResponse:
    """One model answer.

    A cached answer (``cached=True``) cost nothing in this run: its tokens and
    ``cost_usd`` are 0. ``latency_s`` is the wall time of the call, retries included.
    """

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    cached: bool


@dataclass(frozen=True)
class LLMCall:
    """The record of one call (all its attempts), as handed to ``on_call``.

    The field names are the keyword arguments of the store's ``record_llm_call``.
    ``error`` is None on success, else the one-line reason the call failed.
    """

    purpose: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    cached: bool
    error: str | None = None


@dataclass(frozen=True)
class LLMUsage:
    """Running totals over every call a client made; ``calls`` counts cache hits and failures."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cache_hits: int = 0
    errors: int = 0


class LLMError(RuntimeError):
    """A model call failed: retries were exhausted, or the request was rejected."""


class LLMUnavailable(LLMError):
    """The model cannot be used at all (no key, unreachable server, unknown model).

    ``str()`` is one line naming the model and what to set.
    """


@functools.cache
def _litellm() -> ModuleType:
    """Import litellm on first use (it takes seconds), offline and quiet."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.set_verbose = False
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return litellm


def validate_model(model: object) -> str:
    """Return ``model`` if it is a litellm model string ``provider/name``; else raise.

    Raises ``TypeError`` for a non-string and ``ValueError`` (saying how to write it) for a
    name without a known provider prefix.
    """
    if not isinstance(model, str) or not model.strip():
        raise TypeError(
            f"model must be a non-empty string such as 'openai/gpt-4o-mini', got {model!r}"
        )
    litellm = _litellm()
    provider = model.split("/", 1)[0] if "/" in model else ""
    if provider in litellm.provider_list:
        return model
    try:
        guessed = litellm.get_llm_provider(model)[1]
        hint = f"; did you mean '{guessed}/{model}'?"
    except Exception:
        hint = (
            "; e.g. 'openai/gpt-4o-mini', 'anthropic/claude-3-5-sonnet-latest', "
            f"'hosted_vllm/{model}' with {_API_BASE_HINT}, or 'ollama/llama3'"
        )
    reason = f"{provider!r} is not a litellm provider" if provider else "it has no provider"
    raise ValueError(f"model {model!r}: {reason}; write it as 'provider/model'{hint}")


class LLMClient:
    """Synchronous, thread-safe model calls with retries, cache, cap and accounting.

    ``on_call`` receives one ``LLMCall`` per call (cache hits and failures included); an
    exception raised in it is logged, never raised.
    """

    def __init__(
        self, config: LLMConfig, *, on_call: Callable[[LLMCall], None] | None = None
    ) -> None:
        _check_config(config)
        self.config = config
        self._on_call = on_call
        self._slots = threading.BoundedSemaphore(config.max_concurrency)
        self._cache = _DiskCache(Path(config.cache_dir)) if config.cache else None
        self._usage = LLMUsage()
        self._usage_lock = threading.Lock()
        self._rng = random.Random()
        self._rng_lock = threading.Lock()

    @property
    def usage(self) -> LLMUsage:
        """Totals so far (a snapshot)."""
        with self._usage_lock:
            return self._usage

    def complete(
        self,
        messages: Messages,
        *,
        purpose: str,
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        sample: int = 0,
    ) -> LLMResponse:
        """Ask ``model`` (default ``config.model``) to answer ``messages``.

        ``messages`` is a string (one user message) or OpenAI-style
        ``[{"role": ..., "content": ...}]``. ``temperature`` and ``max_tokens`` default to
        the config. ``sample`` tells apart requests that are otherwise equal (sample i of
        n), so each gets its own cache entry. ``purpose`` labels the call in the records.
        Raises ``LLMUnavailable`` or ``LLMError`` when no answer could be had.
        """
        request = {
            "kind": "completion",
            "model": self._model(model),
            "api_base": self.config.api_base,
            "messages": _normalize_messages(messages),
            "temperature": self.config.temperature if temperature is None else temperature,
            "max_tokens": self.config.max_tokens if max_tokens is None else max_tokens,
            "sample": _check_sample(sample),
        }
        _check_purpose(purpose)
        started = time.monotonic()
        key = _cache_key(request)
        hit = self._cache_get(key)
        if hit is not None:
            response = LLMResponse(hit["text"], request["model"], 0, 0, 0.0, 0.0, True)
            return self._account(purpose, started, response)
        raw = self._call(purpose, request["model"], started, lambda: self._completion_fn(request))
        response = _completion_response(request["model"], raw, self._cost(raw, "completion"))
        self._cache_put(key, {"text": response.text})
        return self._account(purpose, started, response)

    def embed(
        self, texts: Sequence[str], *, model: str, purpose: str = "embed"
    ) -> list[list[float]]:
        """Embedding vectors for ``texts`` (in order) from the litellm embedding ``model``.

        Each text is cached on its own, so only unseen texts are sent; the record is
        ``cached`` when none was. Same retries, cap and accounting as ``complete``.
        """
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError(f"texts must be a sequence of strings, got {texts!r:.200}")
        model = validate_model(model)
        _check_purpose(purpose)
        if not texts:
            return []
        started = time.monotonic()
        keys = {text: _cache_key(self._embed_request(model, text)) for text in texts}
        vectors = {t: hit["vector"] for t, k in keys.items() if (hit := self._cache_get(k))}
        missing = [text for text in keys if text not in vectors]
        prompt_tokens, cost_usd = 0, 0.0
        if missing:
            raw = self._call(purpose, model, started, lambda: self._embedding_fn(model, missing))
            prompt_tokens = _usage_tokens(raw, "prompt_tokens")
            cost_usd = self._cost(raw, "embedding")
            for text, vector in zip(missing, _vectors(model, raw, len(missing)), strict=True):
                vectors[text] = vector
                self._cache_put(keys[text], {"vector": vector})
        response = LLMResponse("", model, prompt_tokens, 0, cost_usd, 0.0, not missing)
        self._account(purpose, started, response)
        return [vectors[text] for text in texts]

    def _model(self, model: str | None) -> str:
        chosen = model if model is not None else self.config.model
        if chosen is None:
            raise ValueError(
                "no model given: pass model=..., or set --model / POLCA_MODEL "
                "(e.g. 'openai/gpt-4o-mini', or 'hosted_vllm/NAME' with --api-base)"
            )
        return validate_model(chosen)

    def _embed_request(self, model: str, text: str) -> dict[str, Any]:
        return {"kind": "embedding", "model": model, "api_base": self.config.api_base, "text": text}

    def _completion_fn(self, request: dict[str, Any]) -> Callable[[], Any]:
        kwargs = self._litellm_kwargs(request["model"])
        kwargs.update(messages=request["messages"], temperature=request["temperature"])
        if request["max_tokens"] is not None:
            kwargs["max_tokens"] = request["max_tokens"]
        return lambda: _litellm().completion(**kwargs)

    def _embedding_fn(self, model: str, texts: list[str]) -> Callable[[], Any]:
        kwargs = self._litellm_kwargs(model)
        kwargs["input"] = texts
        # litellm's OpenAI embedding path reads max_retries=0 as "default", so the
        # openai client may retry there too, before the backoff here sees the error.
        return lambda: _litellm().embedding(**kwargs)

    def _litellm_kwargs(self, model: str) -> dict[str, Any]:
        """Arguments every litellm call shares; fails fast when a needed key is missing."""
        kwargs: dict[str, Any] = {
            "model": model,
            "timeout": self.config.timeout_s,
            "num_retries": 0,
            "max_retries": 0,
            # Models that reject an option (temperature on reasoning models) get it
            # dropped rather than failing every proposal with a 400.
            "drop_params": True,
        }
        missing = _missing_keys(model, self.config.api_base)
        if self.config.api_base is None and _needs_api_base(model):
            raise LLMUnavailable(
                f"{model}: no server address; set {_API_BASE_HINT} to the server's URL, "
                "e.g. http://127.0.0.1:8000/v1"
            )
        if self.config.api_base is not None:
            kwargs["api_base"] = self.config.api_base
            if missing:
                # A local OpenAI-compatible server rarely checks keys, but the client
                # insists on one; a server that does check answers 401, reported below.
                kwargs["api_key"] = "no-key"
        elif missing:
            raise LLMUnavailable(
                f"{model}: no API key; set {' or '.join(missing)}, "
                f"or point {_API_BASE_HINT} at a local server"
            )
        return kwargs

    def _call(
        self, purpose: str, model: str, started: float, make_fn: Callable[[], Callable[[], Any]]
    ) -> Any:
        """Build the request and run it with retries under the cap; record a failure."""
        try:
            return self._with_retries(model, make_fn())
        except LLMError as exc:
            self._record(LLMCall(purpose, model, 0, 0, 0.0, _since(started), False, str(exc)))
            raise

    def _with_retries(self, model: str, fn: Callable[[], Any]) -> Any:
        attempt, connect_failures = 0, 0
        while True:
            try:
                with self._slots:
                    return fn()
            except Exception as exc:
                kind, reason = _classify(exc)
                if kind in ("fatal", "unavailable"):
                    raise self._failure(kind, model, reason, exc) from exc
                connect_failures += kind == "unreachable"
                out_of_retries = attempt == self.config.max_retries
                if kind == "unreachable" and (
                    out_of_retries or connect_failures > _MAX_CONNECT_RETRIES
                ):
                    raise self._unreachable(model, reason) from exc
                if out_of_retries:
                    raise LLMError(
                        f"{model}: failed after {attempt + 1} attempts; last error: {reason}"
                    ) from exc
                self._back_off(model, attempt, reason, _retry_after_s(exc))
                attempt += 1

    def _back_off(self, model: str, attempt: int, reason: str, retry_after_s: float | None) -> None:
        """Sleep before the next attempt: as long as the server's ``Retry-After`` asks (capped),
        else exponentially longer with jitter, so clients that failed together spread out."""
        with self._rng_lock:
            jitter = 1.0 + 0.5 * self._rng.random()
        delay_s = min(_MAX_BACKOFF_S, self.config.backoff_base_s * 2**attempt) * jitter
        if retry_after_s is not None:
            delay_s = min(_MAX_BACKOFF_S, retry_after_s)
        log.warning(
            "%s: %s; retry %d/%d in %.2f s",
            model,
            reason,
            attempt + 1,
            self.config.max_retries,
            delay_s,
        )
        time.sleep(delay_s)

    def _failure(self, kind: str, model: str, reason: str, exc: Exception) -> LLMError:
        if kind == "fatal":
            return LLMError(f"{model}: request failed: {reason}")
        status = getattr(exc, "status_code", None)
        where = self.config.api_base or "the provider"
        if status in (401, 403):
            key = f"{model.split('/', 1)[0].upper()}_API_KEY"
            return LLMUnavailable(
                f"{model}: the API key was rejected ({reason}); check {key} or {_API_BASE_HINT}"
            )
        if status == 404:
            hint = " and --api-base (OpenAI-compatible servers usually end in /v1)"
            return LLMUnavailable(
                f"{model}: not found at {where} ({reason}); check the model name "
                f"(--model / POLCA_MODEL){hint if self.config.api_base else ''}"
            )
        return LLMUnavailable(f"{model}: {reason}; check {_API_BASE_HINT} and your API key")

    def _unreachable(self, model: str, reason: str) -> LLMUnavailable:
        if self.config.api_base:
            return LLMUnavailable(
                f"{model}: cannot reach {self.config.api_base} ({reason}); "
                f"is the server running? check {_API_BASE_HINT}"
            )
        return LLMUnavailable(
            f"{model}: cannot reach the provider's API ({reason}); "
            f"check your network, or point {_API_BASE_HINT} at a local server"
        )

    def _cost(self, raw: Any, call_type: Literal["completion", "embedding"]) -> float:
        """Dollar cost from litellm's local cost map; 0.0 when the model is not priced."""
        try:
            return float(_litellm().completion_cost(completion_response=raw, call_type=call_type))
        except Exception as exc:
            log.debug("no price for %s: %s", getattr(raw, "model", "?"), exc)
            return 0.0

    def _account(self, purpose: str, started: float, response: LLMResponse) -> LLMResponse:
        response = dataclasses.replace(response, latency_s=_since(started))
        self._record(
            LLMCall(
                purpose,
                response.model,
                response.prompt_tokens,
                response.completion_tokens,
                response.cost_usd,
                response.latency_s,
                response.cached,
            )
        )
        return response

    def _record(self, call: LLMCall) -> None:
        with self._usage_lock:
            u = self._usage
            self._usage = LLMUsage(
                calls=u.calls + 1,
                prompt_tokens=u.prompt_tokens + call.prompt_tokens,
                completion_tokens=u.completion_tokens + call.completion_tokens,
                cost_usd=u.cost_usd + call.cost_usd,
                cache_hits=u.cache_hits + call.cached,
                errors=u.errors + (call.error is not None),
            )
        if self._on_call is not None:
            try:
                self._on_call(call)
            except Exception:
                log.exception("on_call handler %r failed; the call itself succeeded", self._on_call)

    def _cache_get(self, key: str) -> dict[str, Any] | None:
        return self._cache.get(key) if self._cache is not None else None

    def _cache_put(self, key: str, value: dict[str, Any]) -> None:
        if self._cache is not None:
            self._cache.put(key, value)


class _DiskCache:
    """Answers by request key in one SQLite file; safe across threads and processes.

    A broken cache (unwritable folder, corrupt file) is logged and treated as empty:
    the cache saves money, it must never stop a run.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / _CACHE_FILE
        self._ready = False
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            with closing(self._connect()) as conn:
                row = conn.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
            return json.loads(row[0]) if row else None
        except (sqlite3.Error, OSError, ValueError) as exc:
            log.warning("LLM cache %s unreadable (%s); calling the model", self.path, exc)
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        try:
            with closing(self._connect()) as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO answers (key, value, created_s) VALUES (?, ?, ?)",
                    (key, json.dumps(value), time.time()),
                )
        except (sqlite3.Error, OSError) as exc:
            log.warning("LLM cache %s unwritable (%s); answer not cached", self.path, exc)

    def _connect(self) -> sqlite3.Connection:
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            if not self._ready:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS answers "
                    "(key TEXT PRIMARY KEY, value TEXT NOT NULL, created_s REAL NOT NULL)"
                )
                self._ready = True
            return conn


def _check_config(config: LLMConfig) -> None:
    if not isinstance(config, LLMConfig):
        raise TypeError(f"config must be a polca.config.LLMConfig, got {type(config).__name__}")
    if config.max_concurrency < 1:
        raise ValueError(
            f"llm.max_concurrency = {config.max_concurrency} must be at least 1 "
            "(it caps simultaneous model requests)"
        )
    if config.timeout_s <= 0:
        raise ValueError(f"llm.timeout_s = {config.timeout_s} must be positive (seconds)")
    if config.max_retries < 0 or config.backoff_base_s < 0:
        raise ValueError(
            f"llm.max_retries = {config.max_retries} and llm.backoff_base_s = "
            f"{config.backoff_base_s} must not be negative"
        )
    if config.model is not None:
        validate_model(config.model)


def _check_purpose(purpose: object) -> None:
    if not isinstance(purpose, str) or not purpose:
        raise TypeError(f"purpose must be a non-empty string such as 'propose', got {purpose!r}")


def _check_sample(sample: object) -> int:
    if not isinstance(sample, int) or isinstance(sample, bool) or sample < 0:
        raise ValueError(f"sample must be an int >= 0 (the sample's index), got {sample!r}")
    return sample


def _normalize_messages(messages: Messages) -> list[dict[str, Any]]:
    """A string becomes one user message; a list must hold ``{"role", "content"}`` dicts."""
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    if not isinstance(messages, list) or not messages:
        raise TypeError(
            "messages must be a string or a non-empty list of "
            f"{{'role': ..., 'content': ...}} dicts, got {messages!r:.200}"
        )
    for message in messages:
        if not (isinstance(message, dict) and isinstance(message.get("role"), str)):
            raise TypeError(
                f"each message must be a dict with a 'role' string, got {message!r:.200}; "
                "e.g. {'role': 'user', 'content': 'Hello'}"
            )
    return [dict(message) for message in messages]


def _cache_key(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _missing_keys(model: str, api_base: str | None) -> list[str]:
    """The API-key variables ``model`` needs and the environment lacks."""
    try:
        report = _litellm().validate_environment(model=model, api_base=api_base)
    except Exception as exc:
        log.debug("cannot check the environment for %s: %s", model, exc)
        return []
    if report.get("keys_in_environment"):
        return []
    return [k for k in report.get("missing_keys", []) if k.endswith("_API_KEY")]


def _needs_api_base(model: str) -> bool:
    """Providers that have no default address (litellm's environment check misses them)."""
    provider = model.split("/", 1)[0]
    variable = _SERVER_ADDRESS_VARIABLES.get(provider)
    return variable is not None and not os.environ.get(variable)


def _retry_after_s(exc: Exception) -> float | None:
    """The wait a rate-limited server asked for in ``Retry-After`` (seconds, or an HTTP date)."""
    response = getattr(exc, "response", None)
    headers = getattr(exc, "litellm_response_headers", None) or getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _classify(exc: Exception) -> tuple[str, str]:
    """Sort a failed attempt: ``retry``, ``unreachable``, ``unavailable`` or ``fatal``."""
    litellm = _litellm()
    chain = _cause_chain(exc)
    status = getattr(exc, "status_code", None)
    if any(isinstance(e, litellm.Timeout | TimeoutError) for e in chain):
        return "retry", "timed out"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "unreachable", "connection refused"
    if any(type(e).__name__ == "ConnectError" for e in chain):
        return "unreachable", _short(chain[-1])
    reason = f"{status}: {_short(exc)}" if status else _short(exc)
    if isinstance(exc, litellm.RateLimitError) or status == 429:
        return "retry", f"rate limited ({reason})"
    if re.search(r"api[_ ]key|credential", str(exc), re.IGNORECASE) and status not in (401, 403):
        return "unavailable", f"no usable API key ({_short(exc)})"
    if status in (401, 403, 404):
        return "unavailable", reason
    if isinstance(exc, litellm.APIConnectionError) or (status is not None and status >= 500):
        return "retry", f"server error ({reason})"
    return "fatal", reason


def _cause_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _short(exc: BaseException) -> str:
    """One line of an exception's message, without litellm's class-name prefixes."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    text = re.sub(r"^(litellm\.\w+: )?(\w+(Error|Exception)( - |: ))*", "", text)
    return _json_error_message(text)[:300] or type(exc).__name__


def _json_error_message(text: str) -> str:
    """``prefix {"error": {"message": m}}`` -> ``prefix m``; other text unchanged."""
    brace = text.find("{")
    if brace < 0:
        return text
    try:
        error = json.loads(text[brace:]).get("error")
    except (ValueError, AttributeError):
        return text
    message = error.get("message") if isinstance(error, dict) else error
    return text[:brace] + message if isinstance(message, str) and message else text


def _completion_response(model: str, raw: Any, cost_usd: float) -> LLMResponse:
    message = raw.choices[0].message if raw.choices else None
    text = (message.content if message is not None else None) or ""
    return LLMResponse(
        text=text,
        model=model,
        prompt_tokens=_usage_tokens(raw, "prompt_tokens"),
        completion_tokens=_usage_tokens(raw, "completion_tokens"),
        cost_usd=cost_usd,
        latency_s=0.0,
        cached=False,
    )


def _usage_tokens(raw: Any, name: str) -> int:
    usage = getattr(raw, "usage", None)
    return int(_field(usage, name) or 0) if usage is not None else 0


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _vectors(model: str, raw: Any, expected: int) -> list[list[float]]:
    """The vectors of an embedding response, in input order."""
    items = sorted(raw.data or [], key=lambda item: int(_field(item, "index") or 0))
    if len(items) != expected:
        raise LLMError(
            f"{model}: asked for {expected} embeddings, the server returned {len(items)}"
        )
    return [[float(x) for x in _field(item, "embedding")] for item in items]


def _since(started: float) -> float:
    return time.monotonic() - started
