"""An OpenAI-compatible chat-completions client that asks for one tool call (httpx).

``POST {FIXDESK_LLM_BASE_URL}/chat/completions`` with ``model``, ``messages``, ``tools`` (one function
whose ``parameters`` is a JSON schema) and ``tool_choice`` naming that function, ``temperature`` 0; the
answer's ``choices[0].message.tool_calls[0].function.arguments`` (a JSON string) is decoded into a dict.
The base URL includes the version (``https://api.openai.com/v1``, ``http://127.0.0.1:11434/v1`` for
Ollama, ``http://127.0.0.1:8080/v1`` for llama.cpp's server). The API key, when set, goes in
``Authorization: Bearer``.

Every failure (timeout, connection error, HTTP error status, an answer without the tool call or with
arguments that are not a JSON object) raises :class:`LlmError`, so a caller falls back on one exception.
This adapter knows no domain: the caller brings the tool and validates the arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from fixdesk.config import ConfigurationError, Settings
from fixdesk.platform.tls import default_ssl_context


class LlmError(Exception):
    """The model could not be asked or did not answer with the tool call. ``reason`` is one of
    ``timeout``, ``unreachable``, ``http_error``, ``bad_answer``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@dataclass(frozen=True)
class ToolDefinition:
    """One function the model must call: its ``name``, a ``description`` and the JSON-schema
    ``parameters`` (an ``object`` schema)."""

    name: str
    description: str
    parameters: dict[str, Any]


class ChatCompletionsClient:
    """Calls one tool through an OpenAI-compatible ``/chat/completions`` (see the module docstring).

    ``timeout_seconds`` bounds the whole request (connect, send, wait, read). ``transport`` is for tests
    that need a custom httpx transport; the suite uses a real server on 127.0.0.1 instead.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 4.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout_seconds = timeout_seconds
        self.transport = transport

    async def call_tool(self, messages: list[dict[str, Any]], tool: ToolDefinition) -> dict[str, Any]:
        """The arguments the model gave ``tool`` for ``messages`` (``[{"role": "system"|"user", "content":
        str}]``). Raises :class:`LlmError`."""
        body = {
            "model": self.model,
            "messages": messages,
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.parameters,
                    },
                }
            ],
            "tool_choice": {"type": "function", "function": {"name": tool.name}},
            "temperature": 0,
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            async with httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout_seconds),
                transport=self.transport,
                verify=default_ssl_context(),
            ) as client:
                response = await client.post(self.url, json=body, headers=headers)
        except httpx.TimeoutException as error:
            raise LlmError("timeout", f"no answer within {self.timeout_seconds} s") from error
        except httpx.HTTPError as error:
            raise LlmError("unreachable", str(error) or type(error).__name__) from error
        if response.status_code >= 400:
            raise LlmError("http_error", f"HTTP {response.status_code}: {response.text[:300]}")
        return _tool_arguments(response, tool.name)


def _tool_arguments(response: httpx.Response, name: str) -> dict[str, Any]:
    try:
        call = response.json()["choices"][0]["message"]["tool_calls"][0]["function"]
        if call.get("name") not in (None, name):
            raise LlmError("bad_answer", f"the model called {call.get('name')!r}, not {name!r}")
        arguments = call["arguments"]
        decoded = json.loads(arguments) if isinstance(arguments, str) else arguments
    except LlmError:
        raise
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise LlmError("bad_answer", f"no tool call with JSON arguments in the answer ({error!r})") from error
    if not isinstance(decoded, dict):
        raise LlmError("bad_answer", "the tool call's arguments are not a JSON object")
    return decoded


def build_llm_client(settings: Settings) -> ChatCompletionsClient | None:
    """The client for ``FIXDESK_LLM_*``, or ``None`` when no base URL is set (the offline parser then
    answers alone). Raises :class:`ConfigurationError` when a base URL is set without a model."""
    if not settings.llm_base_url:
        return None
    if not settings.llm_model:
        raise ConfigurationError(
            "FIXDESK_LLM_BASE_URL is set without FIXDESK_LLM_MODEL: name the model to ask."
        )
    return ChatCompletionsClient(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
        timeout_seconds=settings.llm_timeout_seconds,
    )
