"""The optional model, against a real HTTP server on 127.0.0.1 that answers as an OpenAI-compatible
chat-completions API does (``FakeChatCompletions``): its fields are checked by the same resolver, and a
slow, failing or malformed answer falls back to the offline parser."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from fixdesk.config import ConfigurationError, Settings
from fixdesk.fieldservice.language import EXTRACTION_TOOL, Intent, understand_with_model
from fixdesk.integrations.llm import ChatCompletionsClient, build_llm_client
from tests.fieldservice.language_evaluation import load
from tests.support.fake_providers import FakeChatCompletions

DIRECTORY, TIMEZONE, _CASES = load()
NOW = datetime(2026, 6, 17, 7, 30, tzinfo=ZoneInfo(TIMEZONE))


@pytest.fixture
def model_server() -> Iterator[FakeChatCompletions]:
    with FakeChatCompletions(api_key="sk-test-key") as fake:
        yield fake
        fake.release()


def client_for(fake: FakeChatCompletions, tmp_path, **overrides) -> ChatCompletionsClient:
    settings = Settings(env="test", data_dir=tmp_path, **{**fake.settings(), **overrides})
    client = build_llm_client(settings)
    assert client is not None
    return client


async def ask(query: str, model) -> object:
    return await understand_with_model(query, now=NOW, timezone=TIMEZONE, directory=DIRECTORY, model=model)


async def test_the_models_fields_are_resolved_against_the_directory(model_server, tmp_path) -> None:
    query = "Cancel Bobby on the James Brown grease trap job"  # the offline parser reads an assignment
    model_server.answers[query] = {
        "intent": "unassign",
        "technician_text": "Bobby",
        "job_text": "James Brown grease trap",
        "date_text": None,
        "time_text": None,
    }

    answer = await ask(query, client_for(model_server, tmp_path))

    assert answer.fields.source == "model"
    assert answer.fallback_reason is None
    assert answer.intent is Intent.unassign
    assert answer.technician.id == "t07"
    assert answer.work_order.number == "WO-2026-000108"
    assert answer.proposal.action == "unassign"
    [request] = model_server.requests
    assert request.headers["authorization"] == "Bearer sk-test-key"
    body = request.json
    assert body["model"] == "fake-tool-model"
    assert body["tools"][0]["function"]["parameters"] == EXTRACTION_TOOL.parameters
    assert body["tool_choice"] == {"type": "function", "function": {"name": "extract_scheduling_request"}}
    assert "Wednesday 2026-06-17 07:30" in body["messages"][0]["content"]
    assert body["messages"][-1] == {"role": "user", "content": query}


async def test_a_name_the_model_makes_up_resolves_to_nothing(model_server, tmp_path) -> None:
    model_server.default_arguments = {
        "intent": "schedule",
        "technician_text": "Zebulon",
        "job_text": "Smith pumping",
        "date_text": "tomorrow",
        "time_text": "morning",
    }

    answer = await ask(
        "Schedule Zeb for the Smith pumping tomorrow morning", client_for(model_server, tmp_path)
    )

    assert answer.fields.source == "model"
    assert answer.technician is None
    assert answer.missing == ("technician",)
    assert answer.proposal is None
    assert answer.work_order.number == "WO-2026-000101"


@pytest.mark.parametrize(
    "raw",
    [
        "not json at all",
        '["schedule"]',
        '{"intent": "launch_rocket"}',
        '{"intent": "schedule", "technician_text": 42}',
    ],
)
async def test_a_bad_answer_falls_back_to_the_offline_parser(model_server, tmp_path, raw) -> None:
    model_server.raw_arguments = raw

    answer = await ask(
        "Schedule Johnny for the Smith pumping tomorrow morning", client_for(model_server, tmp_path)
    )

    assert answer.fallback_reason == "bad_answer"
    assert answer.fields.source == "offline"
    assert answer.proposal is not None
    assert (answer.technician.id, answer.work_order.number) == ("t01", "WO-2026-000101")


async def test_a_slow_model_falls_back_after_the_timeout(model_server, tmp_path) -> None:
    model_server.hold()  # the server answers only once released: longer than any timeout below

    answer = await ask(
        "move the Garcia pumping to next Tuesday at 3pm",
        client_for(model_server, tmp_path, llm_timeout_seconds=0.3),
    )

    assert answer.fallback_reason == "timeout"
    assert answer.intent is Intent.reschedule
    assert answer.work_order.number == "WO-2026-000103"


async def test_an_http_error_or_a_wrong_key_falls_back(model_server, tmp_path) -> None:
    model_server.fail_next(1, 503)
    answer = await ask("who is free Friday afternoon?", client_for(model_server, tmp_path))
    assert answer.fallback_reason == "http_error"
    assert answer.intent is Intent.availability

    answer = await ask(
        "who is free Friday afternoon?", client_for(model_server, tmp_path, llm_api_key="sk-wrong")
    )
    assert answer.fallback_reason == "http_error"


async def test_an_unreachable_model_falls_back(tmp_path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(
        env="test", data_dir=tmp_path, llm_base_url=f"http://127.0.0.1:{port}/v1", llm_model="m"
    )

    answer = await ask("unassign Mike from WO-2026-000123", build_llm_client(settings))

    assert answer.fallback_reason == "unreachable"
    assert answer.technician.id == "t03"


async def test_without_a_base_url_there_is_no_model_and_the_offline_parser_answers(tmp_path) -> None:
    settings = Settings(env="test", data_dir=tmp_path)
    assert build_llm_client(settings) is None

    answer = await ask("unassign Mike from WO-2026-000123", None)

    assert answer.fields.source == "offline"
    assert answer.fallback_reason is None


def test_a_base_url_without_a_model_is_a_configuration_error(tmp_path) -> None:
    settings = Settings(env="test", data_dir=tmp_path, llm_base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ConfigurationError, match="FIXDESK_LLM_MODEL"):
        build_llm_client(settings)
