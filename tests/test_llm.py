"""LLM client tests: through the real litellm client to the scripted server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from polca.config import LLMConfig
from polca.llm import LLMCall, LLMClient, LLMError, LLMUnavailable, validate_model
from polca.testing import Reply, ScriptedServer, Unscripted, hash_embedding

MODEL = "openai/gpt-4o-mini"
EMBED_MODEL = "openai/text-embedding-3-small"


@pytest.fixture(autouse=True)
def _dummy_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def _client(config: LLMConfig, server: ScriptedServer | None = None, **changes) -> LLMClient:
    on_call = changes.pop("on_call", None)
    api_base = server.api_base if server is not None else None
    config = dataclasses.replace(config, model=MODEL, api_base=api_base, **changes)
    return LLMClient(config, on_call=on_call)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_completion_returns_the_scripted_text(scripted_llm, llm_config):
    server = scripted_llm(["def f(): return 1"])
    answer = _client(llm_config, server).complete("Make it faster", purpose="propose")
    assert answer.text == "def f(): return 1"
    assert answer.model == MODEL and not answer.cached
    assert answer.prompt_tokens > 0 and answer.completion_tokens > 0
    (body,) = server.requests
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == [{"role": "user", "content": "Make it faster"}]


def test_chat_messages_and_sampling_options_reach_the_server(scripted_llm, llm_config):
    server = scripted_llm(["ok"])
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    _client(llm_config, server).complete(messages, purpose="chat", temperature=0.2, max_tokens=50)
    (body,) = server.requests
    assert body["messages"] == messages
    assert body["temperature"] == 0.2 and body["max_tokens"] == 50


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_after_a_rate_limit_or_server_error(scripted_llm, llm_config, status):
    server = scripted_llm([Reply(status=status), "second time lucky"])
    answer = _client(llm_config, server).complete("hello", purpose="test")
    assert answer.text == "second time lucky"
    assert len(server.requests) == 2


def test_backoff_doubles_with_jitter(scripted_llm, llm_config, monkeypatch):
    delays: list[float] = []
    monkeypatch.setattr("polca.llm.time.sleep", delays.append)
    server = scripted_llm([Reply(status=429), Reply(status=429), "done"])
    _client(llm_config, server, backoff_base_s=1.0).complete("hello", purpose="test")
    assert len(delays) == 2
    assert 1.0 <= delays[0] <= 1.5 and 2.0 <= delays[1] <= 3.0


def test_a_rate_limit_waits_as_long_as_retry_after_asks(scripted_llm, llm_config, monkeypatch):
    delays: list[float] = []
    monkeypatch.setattr("polca.llm.time.sleep", delays.append)
    server = scripted_llm([Reply(status=429, retry_after_s=7), Reply(status=503, retry_after_s=999), "done"])
    answer = _client(llm_config, server, backoff_base_s=0.1).complete("hello", purpose="test")
    assert answer.text == "done"
    assert delays == [7.0, 60.0], "the server's wait is honoured, capped at a minute"


def test_gives_up_after_max_retries_and_names_attempts_and_last_error(scripted_llm, llm_config):
    server = scripted_llm([Reply(status=500, error_message="overloaded")] * 3)
    config = dataclasses.replace(llm_config, api_base=server.api_base, max_retries=2)
    with pytest.raises(LLMError) as info:
        LLMClient(config).complete("hello", purpose="test", model="hosted_vllm/m")
    assert not isinstance(info.value, LLMUnavailable)
    assert str(info.value) == (
        "hosted_vllm/m: failed after 3 attempts; last error: server error (500: overloaded)"
    )
    assert len(server.requests) == 3


def test_a_bad_request_fails_at_once(scripted_llm, llm_config):
    server = scripted_llm([Reply(status=400, error_message="context too long")])
    with pytest.raises(LLMError, match="context too long") as info:
        _client(llm_config, server).complete("hello", purpose="test")
    assert not isinstance(info.value, LLMUnavailable)
    assert len(server.requests) == 1


def test_a_slow_answer_times_out_is_retried_then_fails(scripted_llm, llm_config):
    server = scripted_llm([Reply(text="late", delay_s=3.0)] * 2)
    client = _client(llm_config, server, timeout_s=0.2, max_retries=1)
    with pytest.raises(LLMError, match="timed out") as info:
        client.complete("hello", purpose="test")
    assert "2 attempts" in str(info.value)
    assert len(server.requests) == 2


def test_a_timeout_then_an_answer_succeeds(scripted_llm, llm_config):
    server = scripted_llm([Reply(text="late", delay_s=3.0), "on time"])
    answer = _client(llm_config, server, timeout_s=0.2).complete("hello", purpose="test")
    assert answer.text == "on time"


def test_same_request_is_answered_from_the_cache(scripted_llm, llm_config):
    server = scripted_llm(["first", "second sample", "other temperature"])
    client = _client(llm_config, server)
    first = client.complete("hello", purpose="test")
    again = client.complete("hello", purpose="test")
    assert again.text == "first" and again.cached and again.cost_usd == 0.0
    assert len(server.requests) == 1
    assert client.complete("hello", purpose="test", sample=1).text == "second sample"
    assert client.complete("hello", purpose="test", temperature=0.0).text == "other temperature"
    assert not first.cached and len(server.requests) == 3
    assert client.usage.cache_hits == 1 and client.usage.calls == 4


def test_the_cache_is_on_disk_and_shared_between_clients(scripted_llm, llm_config):
    server = scripted_llm(["only once"])
    _client(llm_config, server).complete("hello", purpose="test")
    answer = _client(llm_config, server).complete("hello", purpose="test")
    assert answer.cached and answer.text == "only once"
    assert len(server.requests) == 1


def test_cache_off_always_reaches_the_server(scripted_llm, llm_config):
    server = scripted_llm(["one", "two"])
    client = _client(llm_config, server, cache=False)
    texts = [client.complete("hello", purpose="test").text for _ in range(2)]
    assert texts == ["one", "two"] and len(server.requests) == 2
    assert client.usage.cache_hits == 0


def test_failures_are_not_cached(scripted_llm, llm_config):
    server = scripted_llm([Reply(status=400), "fine now"])
    client = _client(llm_config, server)
    with pytest.raises(LLMError):
        client.complete("hello", purpose="test")
    assert client.complete("hello", purpose="test").text == "fine now"


def test_cost_and_tokens_are_recorded_and_agree_with_on_call(scripted_llm, llm_config):
    server = scripted_llm(["an answer of some length", "another answer"])
    calls: list[LLMCall] = []
    client = _client(llm_config, server, on_call=calls.append)
    first = client.complete("hello", purpose="propose")
    client.complete("hello", purpose="propose")
    client.complete("something else", purpose="summarize")
    assert first.cost_usd > 0
    assert [c.purpose for c in calls] == ["propose", "propose", "summarize"]
    assert [c.cached for c in calls] == [False, True, False]
    usage = client.usage
    assert usage.calls == 3 and usage.cache_hits == 1 and usage.errors == 0
    assert usage.cost_usd == pytest.approx(sum(c.cost_usd for c in calls))
    assert usage.prompt_tokens == sum(c.prompt_tokens for c in calls) > 0
    assert usage.completion_tokens == sum(c.completion_tokens for c in calls) > 0


def test_call_records_have_the_store_field_names(scripted_llm, llm_config):
    server = scripted_llm(["x"])
    calls: list[LLMCall] = []
    _client(llm_config, server, on_call=calls.append).complete("hello", purpose="test")
    assert set(dataclasses.asdict(calls[0])) == {
        "purpose", "model", "prompt_tokens", "completion_tokens",
        "cost_usd", "latency_s", "cached", "error",
    }  # fmt: skip
    assert calls[0].error is None and calls[0].latency_s >= 0


def test_a_failed_call_is_recorded_with_its_error(scripted_llm, llm_config):
    server = scripted_llm([Reply(status=400, error_message="bad prompt")])
    calls: list[LLMCall] = []
    client = _client(llm_config, server, on_call=calls.append)
    with pytest.raises(LLMError):
        client.complete("hello", purpose="test")
    (call,) = calls
    assert "bad prompt" in call.error and call.cost_usd == 0.0
    assert client.usage.errors == 1


def test_an_unpriced_model_costs_zero(scripted_llm, llm_config):
    server = scripted_llm(["x"])
    config = dataclasses.replace(llm_config, api_base=server.api_base)
    answer = LLMClient(config).complete("hi", purpose="test", model="hosted_vllm/my-own-model")
    assert answer.text == "x" and answer.cost_usd == 0.0


def test_an_on_call_error_is_logged_not_raised(scripted_llm, llm_config, caplog):
    def broken(call: LLMCall) -> None:
        raise RuntimeError("store is down")

    server = scripted_llm(["still fine"])
    with caplog.at_level(logging.ERROR, logger="polca.llm"):
        answer = _client(llm_config, server, on_call=broken).complete("hi", purpose="test")
    assert answer.text == "still fine"
    assert "store is down" in caplog.text


def test_server_down_is_one_clear_line(llm_config):
    api_base = f"http://127.0.0.1:{_closed_port()}/v1"
    config = dataclasses.replace(llm_config, model=MODEL, api_base=api_base)
    with pytest.raises(LLMUnavailable) as info:
        LLMClient(config).complete("hello", purpose="test")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{MODEL}: cannot reach {api_base} (connection refused)")
    assert "POLCA_API_BASE" in message


def test_missing_key_is_one_clear_line(llm_config, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    calls: list[LLMCall] = []
    client = LLMClient(dataclasses.replace(llm_config, model=MODEL), on_call=calls.append)
    with pytest.raises(LLMUnavailable) as info:
        client.complete("hello", purpose="test")
    assert str(info.value) == (
        f"{MODEL}: no API key; set OPENAI_API_KEY, "
        "or point --api-base / POLCA_API_BASE at a local server"
    )
    assert calls[0].error == str(info.value)


def test_a_local_server_needs_no_key(scripted_llm, llm_config, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    server = scripted_llm(["keyless"])
    assert _client(llm_config, server).complete("hi", purpose="test").text == "keyless"


def test_a_rejected_key_is_unavailable_not_retried(scripted_llm, llm_config):
    server = scripted_llm([Reply(status=401, error_message="invalid api key")])
    with pytest.raises(LLMUnavailable, match="OPENAI_API_KEY") as info:
        _client(llm_config, server).complete("hi", purpose="test")
    assert "\n" not in str(info.value) and len(server.requests) == 1


def test_an_unknown_model_at_the_server_is_unavailable(scripted_llm, llm_config):
    server = scripted_llm([Reply(status=404, error_message="model 'nope' does not exist")])
    with pytest.raises(LLMUnavailable, match="does not exist") as info:
        _client(llm_config, server).complete("hi", purpose="test", model="openai/nope")
    assert str(info.value).startswith("openai/nope: not found at")


def test_a_vllm_model_without_a_server_address_says_what_to_set(llm_config, monkeypatch):
    monkeypatch.delenv("HOSTED_VLLM_API_BASE", raising=False)
    with pytest.raises(LLMUnavailable, match="no server address; set --api-base"):
        LLMClient(llm_config).complete("hi", purpose="test", model="hosted_vllm/my-model")


def test_a_model_without_provider_says_how_to_write_it(llm_config):
    with pytest.raises(ValueError, match="did you mean 'openai/gpt-4o'"):
        validate_model("gpt-4o")
    with pytest.raises(ValueError, match="provider/model"):
        LLMClient(dataclasses.replace(llm_config, model="Qwen/Qwen2.5-7B"))
    assert validate_model("hosted_vllm/Qwen/Qwen2.5-7B") == "hosted_vllm/Qwen/Qwen2.5-7B"


def test_no_model_anywhere_is_an_error_that_says_what_to_set(llm_config):
    with pytest.raises(ValueError, match="POLCA_MODEL"):
        LLMClient(llm_config).complete("hi", purpose="test")


@pytest.mark.parametrize("messages", [[], [{"content": "no role"}], 42])
def test_malformed_messages_are_rejected(llm_config, messages):
    with pytest.raises(TypeError, match="role"):
        _client(llm_config).complete(messages, purpose="test")


@pytest.mark.parametrize(
    "changes", [{"max_concurrency": 0}, {"timeout_s": 0.0}, {"max_retries": -1}]
)
def test_impossible_settings_are_rejected(llm_config, changes):
    with pytest.raises(ValueError, match="llm\\."):
        LLMClient(dataclasses.replace(llm_config, **changes))


def test_concurrency_cap_is_honoured(scripted_llm, llm_config):
    pair = threading.Barrier(2, timeout=10)

    def in_pairs(body: dict) -> str:
        pair.wait()  # fails unless two requests are in flight together
        return "ok"

    server = scripted_llm(in_pairs)
    client = _client(llm_config, server, max_concurrency=2)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda i: client.complete(f"p{i}", purpose="t"), range(6)))
    assert [a.text for a in answers] == ["ok"] * 6
    assert server.max_in_flight == 2


def test_embeddings_are_cached_per_text_and_priced(scripted_llm, llm_config):
    server = scripted_llm()
    client = _client(llm_config, server)
    vectors = client.embed(["a", "b"], model=EMBED_MODEL)
    assert vectors == [hash_embedding("a"), hash_embedding("b")]
    assert client.embed(["b", "c", "a"], model=EMBED_MODEL)[1] == hash_embedding("c")
    assert [body["input"] for body in server.requests] == [["a", "b"], ["c"]]
    assert client.embed(["a"], model=EMBED_MODEL) == [hash_embedding("a")]
    usage = client.usage
    assert usage.calls == 3 and usage.cache_hits == 1 and usage.cost_usd > 0


def test_embeddings_are_retried_after_a_rate_limit(scripted_llm, llm_config):
    answers = iter([Reply(status=429), [[1.0, 0.0]]])
    server = scripted_llm(embedder=lambda body: next(answers))
    assert _client(llm_config, server).embed(["x"], model=EMBED_MODEL) == [[1.0, 0.0]]
    assert len(server.requests) == 2


def test_openai_client_streams_and_lists_models(scripted_llm):
    server = scripted_llm(["streamed through the openai client"])
    client = openai.OpenAI(base_url=server.api_base, api_key="x", max_retries=0)
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "streamed through the openai client"
    assert chunks[-1].usage.completion_tokens > 0
    assert [m.id for m in client.models.list()] == ["scripted"]


def test_async_openai_client_gets_completions_and_embeddings(scripted_llm):
    server = scripted_llm(lambda body: f"echo: {body['messages'][-1]['content']}")

    async def ask() -> tuple[list[str], list[float]]:
        client = openai.AsyncOpenAI(base_url=server.api_base, api_key="x", max_retries=0)
        answers = await asyncio.gather(
            *(
                client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": f"q{i}"}]
                )
                for i in range(3)
            )
        )
        embedding = await client.embeddings.create(model="e", input="text")
        await client.close()
        return [a.choices[0].message.content for a in answers], embedding.data[0].embedding

    texts, vector = asyncio.run(ask())
    assert texts == ["echo: q0", "echo: q1", "echo: q2"]
    assert vector == pytest.approx(hash_embedding("text"))


def test_unscripted_requests_get_a_500_and_are_kept():
    with ScriptedServer(["only answer"]) as server:
        client = openai.OpenAI(base_url=server.api_base, api_key="x", max_retries=0)
        ask = lambda: client.chat.completions.create(  # noqa: E731
            model="m", messages=[{"role": "user", "content": "again"}]
        )
        assert ask().choices[0].message.content == "only answer"
        with pytest.raises(openai.InternalServerError, match="unscripted request"):
            ask()
    assert len(server.unscripted) == 1
    assert server.unscripted[0]["messages"][-1]["content"] == "again"


def test_a_responder_can_refuse_with_unscripted():
    def only_hello(body: dict) -> str:
        if body["messages"][-1]["content"] != "hello":
            raise Unscripted("only 'hello' is scripted")
        return "hi"

    with ScriptedServer(only_hello) as server:
        client = openai.OpenAI(base_url=server.api_base, api_key="x", max_retries=0)
        with pytest.raises(openai.InternalServerError, match="only 'hello' is scripted"):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "bye"}])
    assert len(server.unscripted) == 1
