"""The gateway as the official OpenAI Python SDK sees it: plain, streamed and
tool-call requests to the real local model and, translated, to an Anthropic
Messages upstream; refusals arrive as the SDK's own exceptions."""

import json

try:  # The SDK's own HTTP client: httpx2 in recent releases, httpx before.
    import httpx2 as httpx
except ImportError:
    import httpx
import openai
import pytest


def client(preflight, review: str, token: str | None = None) -> openai.OpenAI:
    r = preflight.reviews[review]
    return openai.OpenAI(
        base_url=f"{preflight.base}/v1",
        api_key=token or r["token"],
        max_retries=0,
        timeout=120,
        http_client=httpx.Client(event_hooks={"response": [preflight.seen.hook]}),
    )


def keep(preflight, obj):
    preflight.seen.keep(obj.model_dump_json())
    return obj


def test_models_lists_only_the_model_under_review(preflight):
    models = keep(preflight, client(preflight, "sdk-model").models.list())
    assert [m.id for m in models.data] == ["sdk-model"]


def test_plain_completion_from_the_real_model(preflight):
    answer = keep(preflight, client(preflight, "sdk-model").chat.completions.create(
        model="sdk-model",
        messages=[{"role": "system", "content": "You are terse."},
                  {"role": "user", "content": "Name one port scanner."}],
        max_tokens=16,
        temperature=0,
    ))
    assert answer.object == "chat.completion"
    assert answer.model == "sdk-model"
    assert isinstance(answer.choices[0].message.content, str)
    assert answer.choices[0].finish_reason in ("stop", "length")
    assert answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0


def test_streamed_completion_from_the_real_model(preflight):
    stream = client(preflight, "sdk-model").chat.completions.create(
        model="sdk-model",
        messages=[{"role": "user", "content": "Count from one to five."}],
        max_tokens=24,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [keep(preflight, c) for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(chunks) > 3, "a stream arrives in pieces"
    assert text.strip(), "the stream carried text"
    assert finishes and finishes[-1] in ("stop", "length")
    assert all(c.model == "sdk-model" for c in chunks)


def test_tool_definitions_pass_through_to_the_real_model(preflight):
    answer = keep(preflight, client(preflight, "sdk-model").chat.completions.create(
        model="sdk-model",
        messages=[{"role": "user", "content": "Is port 443 open on 10.0.0.5?"}],
        tools=[{"type": "function", "function": {
            "name": "scan_port", "description": "Probe one TCP port",
            "parameters": {"type": "object", "properties": {
                "host": {"type": "string"}, "port": {"type": "integer"}}, "required": ["host", "port"]},
        }}],
        max_tokens=32,
    ))
    message = answer.choices[0].message
    # A base model may answer in words or call the tool; either is a valid answer.
    assert message.content is not None or message.tool_calls


def tools():
    return [{"type": "function", "function": {
        "name": "scan_port", "description": "Probe one TCP port",
        "parameters": {"type": "object", "properties": {"host": {"type": "string"}, "port": {"type": "integer"}}},
    }}]


def test_tool_call_translated_from_anthropic(preflight):
    answer = keep(preflight, client(preflight, "sdk-anthropic").chat.completions.create(
        model="sdk-anthropic",
        messages=[{"role": "system", "content": "You are a penetration tester."},
                  {"role": "user", "content": "Is 10.0.0.5:443 open?"}],
        tools=tools(),
    ))
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Checking the port."
    call = choice.message.tool_calls[0]
    assert call.function.name == "scan_port"
    assert json.loads(call.function.arguments) == {"host": "10.0.0.5", "port": 443}
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (21, 17)
    sent = preflight.anthropic.requests[-1]
    assert sent["model"] == "claude-fake"
    assert sent["system"] == "You are a penetration tester."
    assert sent["tools"][0]["name"] == "scan_port"

    # The conversation continues with the tool's result.
    follow_up = keep(preflight, client(preflight, "sdk-anthropic").chat.completions.create(
        model="sdk-anthropic",
        messages=[{"role": "user", "content": "Is 10.0.0.5:443 open?"},
                  choice.message.model_dump(exclude_none=True),
                  {"role": "tool", "tool_call_id": call.id, "content": "open"}],
        tools=tools(),
    ))
    assert follow_up.choices
    sent = preflight.anthropic.requests[-1]
    assert sent["messages"][1]["content"][-1]["type"] == "tool_use"
    assert sent["messages"][2]["content"][0] == {"type": "tool_result", "tool_use_id": call.id, "content": "open"}


def test_streamed_tool_call_translated_from_anthropic(preflight):
    stream = client(preflight, "sdk-anthropic").chat.completions.create(
        model="sdk-anthropic",
        messages=[{"role": "user", "content": "Is 10.0.0.5:443 open?"}],
        tools=tools(),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [keep(preflight, c) for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    arguments = "".join(
        tc.function.arguments or ""
        for c in chunks if c.choices and c.choices[0].delta.tool_calls
        for tc in c.choices[0].delta.tool_calls
    )
    names = [tc.function.name for c in chunks if c.choices and c.choices[0].delta.tool_calls
             for tc in c.choices[0].delta.tool_calls if tc.function.name]
    assert text == "Checking the port."
    assert names == ["scan_port"]
    assert json.loads(arguments) == {"host": "10.0.0.5", "port": 443}
    usage = [c.usage for c in chunks if c.usage]
    assert usage and (usage[-1].prompt_tokens, usage[-1].completion_tokens) == (21, 17)


def test_refusals_are_the_sdks_own_errors(preflight):
    with pytest.raises(openai.AuthenticationError) as refused:
        client(preflight, "sdk-model", token="pfg_not-a-token").models.list()
    assert refused.value.code == "invalid_token"
    api_token = preflight.tokens["red"]
    with pytest.raises(openai.AuthenticationError) as refused:
        client(preflight, "sdk-model", token=api_token).models.list()
    assert refused.value.code == "invalid_token"
    with pytest.raises(openai.NotFoundError) as refused:
        client(preflight, "sdk-model").chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], max_tokens=4)
    assert refused.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as refused:
        client(preflight, "sdk-model").chat.completions.create(model="sdk-model", messages=[], max_tokens=4)
    assert refused.value.code == "invalid_request"


def test_the_developer_sees_every_call_and_reads_its_transcripts(preflight):
    dev = preflight.tokens["dev"]
    for name in ("sdk-model", "sdk-anthropic"):
        review = preflight.reviews[name]["id"]
        calls = preflight.api("GET", f"/submissions/{review}/calls", dev)
        assert calls, f"no calls recorded for {name}"
        usage = preflight.api("GET", f"/submissions/{review}/usage", dev)
        assert usage["calls"] == len(calls)
        finished = [c for c in calls if c["outcome"] != "started"]
        transcript = preflight.api("GET", f"/submissions/{review}/calls/{finished[0]['id']}/transcript", dev)
        assert transcript["request"]["model"] == name
        assert "response" in transcript
