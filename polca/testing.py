"""``polca.testing``: a scripted OpenAI-compatible HTTP server on 127.0.0.1.

For testing your own pipelines (and polca's) with no network and no model: every model
call goes through the real client stack (litellm, the ``openai`` client, DSPy, sync or
async) to this server, whose answers the test writes (``docs/testing.md``)::

    with ScriptedServer(["first answer", Reply(status=429), "second answer"]) as server:
        client = LLMClient(LLMConfig(model="openai/scripted", api_base=server.api_base))
        ...
    assert not server.unscripted

Endpoints: ``POST /v1/chat/completions`` (also ``/chat/completions``), with
``stream: true`` answered as server-sent events ending in ``data: [DONE]``;
``POST /v1/embeddings``; ``GET /v1/models``.

The responder is a callable ``(request_body) -> str | Reply`` or a list of ``str | Reply``
consumed in order. A request it has no answer for (the list is exhausted, or the callable
raises ``Unscripted`` or fails) gets HTTP 500 with the reason and is kept in
``.unscripted``, so a fixture can fail the test instead of letting a retry hide it.
Embeddings come from ``embedder`` (default: a deterministic unit vector per input text).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "DEFAULT_EMBEDDING_DIM",
    "Embedder",
    "Reply",
    "Responder",
    "ScriptedServer",
    "Unscripted",
    "hash_embedding",
]

log = logging.getLogger(__name__)

DEFAULT_EMBEDDING_DIM = 16
_STREAM_PIECES = 4
_POLL_INTERVAL_S = 0.02  # how soon close() is noticed


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a text, or an HTTP error, optionally after a delay.

    ``status`` other than 200 answers with an OpenAI-style error body carrying
    ``error_message``: 429 scripts a rate limit, 500/503 a server fault. ``delay_s``
    holds the answer back (to script a slow model or a timeout). ``retry_after_s`` sends
    a ``Retry-After`` header with an error, as rate-limited APIs do.
    """

    text: str = ""
    status: int = 200
    delay_s: float = 0.0
    error_message: str = "scripted error"
    retry_after_s: float | None = None

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise ValueError(f"Reply.status = {self.status} is not an HTTP status (100-599)")
        if self.delay_s < 0:
            raise ValueError(f"Reply.delay_s = {self.delay_s} must not be negative")
        if self.retry_after_s is not None and self.retry_after_s < 0:
            raise ValueError(f"Reply.retry_after_s = {self.retry_after_s} must not be negative")


class Unscripted(Exception):
    """Raised by a responder for a request the script has no answer for."""


Responder = Callable[[dict[str, Any]], "str | Reply"]
Embedder = Callable[[dict[str, Any]], "list[list[float]] | Reply"]


def hash_embedding(text: str, dim: int = DEFAULT_EMBEDDING_DIM) -> list[float]:
    """A deterministic unit vector for ``text``: equal texts give equal vectors."""
    digest = hashlib.sha256(text.encode()).digest()
    while len(digest) < dim:
        digest += hashlib.sha256(digest).digest()
    raw = [b - 127.5 for b in digest[:dim]]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


def count_tokens(text: str) -> int:
    """A rough token count (about four characters per token), never below 1."""
    return max(1, math.ceil(len(text) / 4))


class ScriptedServer:
    """An OpenAI-compatible server on 127.0.0.1 that answers from a script.

    Use it as a context manager; ``api_base`` (``http://127.0.0.1:PORT/v1``) is valid
    inside the block. ``requests`` holds every received JSON body in arrival order and
    ``unscripted`` the bodies that got no scripted answer. Thread-safe; each request is
    served on its own thread, so concurrency can be observed (``max_in_flight``).
    """

    def __init__(
        self,
        responder: Responder | Iterable[str | Reply] = (),
        *,
        embedder: Embedder | None = None,
        model_ids: Sequence[str] = ("scripted",),
    ) -> None:
        if callable(responder):
            self._responder: Responder = responder
        else:
            self._responder = _ListResponder(responder)
        self._embedder = embedder or _hash_embedder
        self.model_ids = tuple(model_ids)
        self.requests: list[dict[str, Any]] = []
        self.unscripted: list[dict[str, Any]] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, the server root."""
        if self._httpd is None:
            raise RuntimeError("ScriptedServer is not running; use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:PORT/v1``, what OpenAI-compatible clients take as base URL."""
        return f"{self.url}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """The received chat-completion bodies (those with ``messages``), in order."""
        with self._lock:
            return [body for body in self.requests if "messages" in body]

    def start(self) -> ScriptedServer:
        handler = type("_BoundHandler", (_Handler,), {"server_state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL_S},
            name="scripted-llm-server",
            daemon=True,
        )
        self._thread.start()
        log.debug("scripted model server listening on %s", self.api_base)
        return self

    def close(self) -> None:
        """Stop serving; answers still held back by ``delay_s`` are abandoned."""
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _record(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _answer(self, body: dict[str, Any], produce: Callable[[dict[str, Any]], Any]) -> Any:
        """Ask the script for an answer; an unseen request becomes a 500 ``Reply``."""
        try:
            return produce(body)
        except Unscripted as exc:
            reason = f"unscripted request: {exc}"
        except Exception as exc:
            reason = f"the scripted responder failed: {type(exc).__name__}: {exc}"
        log.warning("scripted model server: %s", reason)
        with self._lock:
            self.unscripted.append(body)
        return Reply(status=500, error_message=reason)

    def _chat_reply(self, body: dict[str, Any]) -> Reply:
        reply = self._responder(body)
        if isinstance(reply, str):
            return Reply(text=reply)
        if not isinstance(reply, Reply):
            raise TypeError(f"responder must return str or Reply, got {reply!r}")
        return reply

    def wait(self, delay_s: float) -> bool:
        """Sleep ``delay_s`` unless the server closes first; True when it slept fully."""
        return not self._closing.wait(delay_s)


class _ListResponder:
    """Answers requests with a list of replies, in order; raises ``Unscripted`` after."""

    def __init__(self, replies: Iterable[str | Reply]) -> None:
        self._replies = list(replies)
        for reply in self._replies:
            if not isinstance(reply, str | Reply):
                raise TypeError(
                    f"scripted replies must be str or Reply, got {type(reply).__name__}: {reply!r}"
                )
        self._next = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> str | Reply:
        with self._lock:
            if self._next >= len(self._replies):
                raise Unscripted(
                    f"all {len(self._replies)} scripted replies were used; "
                    f"last message: {_last_message(body)!r}"
                )
            reply = self._replies[self._next]
            self._next += 1
        return reply


def _hash_embedder(body: dict[str, Any]) -> list[list[float]]:
    inputs = body.get("input", [])
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
    dim = int(body.get("dimensions") or DEFAULT_EMBEDDING_DIM)
    return [hash_embedding(str(text), dim) for text in texts]


def _last_message(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    if not messages:
        return str(body.get("input", ""))[:200]
    content = messages[-1].get("content", "")
    return (content if isinstance(content, str) else json.dumps(content))[:200]


def _prompt_text(body: dict[str, Any]) -> str:
    parts = []
    for message in body.get("messages") or []:
        content = message.get("content", "")
        parts.append(content if isinstance(content, str) else json.dumps(content))
    return "\n".join(parts)


class _Handler(BaseHTTPRequestHandler):
    """Routes one HTTP request to the ``ScriptedServer`` it is bound to."""

    protocol_version = "HTTP/1.1"
    server_state: ScriptedServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("scripted model server: " + format, *args)

    def do_GET(self) -> None:
        if self._route() == "/models":
            data = [
                {"id": model_id, "object": "model", "created": 0, "owned_by": "polca"}
                for model_id in self.server_state.model_ids
            ]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_error(404, f"no such endpoint: GET {self.path}")

    def do_POST(self) -> None:
        route = self._route()
        body = self._read_json()
        if body is None:
            return
        if route not in ("/chat/completions", "/embeddings"):
            self._send_error(404, f"no such endpoint: POST {self.path}")
            return
        state = self.server_state
        state._record(body)
        try:
            if route == "/chat/completions":
                self._chat(body)
            else:
                self._embeddings(body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("scripted model server: the client hung up before the answer")
        finally:
            state._done()

    def _route(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        return path.removeprefix("/v1")

    def _read_json(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError as exc:
            self._send_error(400, f"request body is not JSON: {exc}")
            return None
        if not isinstance(body, dict):
            self._send_error(400, "request body must be a JSON object")
            return None
        return body

    def _chat(self, body: dict[str, Any]) -> None:
        state = self.server_state
        replies = [state._answer(body, state._chat_reply) for _ in range(int(body.get("n") or 1))]
        if not state.wait(max(r.delay_s for r in replies)):
            return
        failed = next((r for r in replies if r.status != 200), None)
        if failed is not None:
            self._send_error(failed.status, failed.error_message, failed.retry_after_s)
        elif body.get("stream"):
            self._send_stream(body, replies[0].text)
        else:
            self._send_json(200, _completion(body, [r.text for r in replies]))

    def _embeddings(self, body: dict[str, Any]) -> None:
        state = self.server_state
        answer = state._answer(body, state._embedder)
        if isinstance(answer, Reply):
            if not state.wait(answer.delay_s):
                return
            if answer.status != 200:
                self._send_error(answer.status, answer.error_message, answer.retry_after_s)
                return
            answer = _hash_embedder(body)
        inputs = body.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        tokens = sum(count_tokens(str(t)) for t in texts)
        data = [
            {"object": "embedding", "index": i, "embedding": vector}
            for i, vector in enumerate(answer)
        ]
        self._send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model", "scripted"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def _send_stream(self, body: dict[str, Any], text: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in _stream_chunks(body, text):
            self._write_chunk(f"data: {json.dumps(chunk)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_error(self, status: int, message: str, retry_after_s: float | None = None) -> None:
        if status == 429:
            kind = "rate_limit_error"
        elif status >= 500:
            kind = "server_error"
        else:
            kind = "invalid_request_error"
        headers = {} if retry_after_s is None else {"Retry-After": f"{retry_after_s:g}"}
        self._send_json(status, {"error": {"message": message, "type": kind, "code": status}}, headers)


def _completion(body: dict[str, Any], texts: list[str]) -> dict[str, Any]:
    prompt_tokens = count_tokens(_prompt_text(body))
    completion_tokens = sum(count_tokens(t) for t in texts)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "scripted"),
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
            for i, text in enumerate(texts)
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _stream_chunks(body: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """The SSE chunks of one streamed answer: role, text pieces, stop, optional usage."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "scripted"),
    }
    step = max(1, math.ceil(len(text) / _STREAM_PIECES))
    pieces = [text[i : i + step] for i in range(0, len(text), step)] or [""]
    deltas = [{"role": "assistant", "content": ""}] + [{"content": p} for p in pieces]
    chunks = [
        {**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas
    ]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if (body.get("stream_options") or {}).get("include_usage"):
        prompt_tokens, completion_tokens = count_tokens(_prompt_text(body)), count_tokens(text)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        chunks.append({**base, "choices": [], "usage": usage})
    return chunks
