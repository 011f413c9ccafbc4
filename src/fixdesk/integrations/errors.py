"""The one error every provider adapter raises when a message was not accepted."""

from __future__ import annotations


class ProviderError(Exception):
    """A provider refused a message or could not be reached.

    ``retryable`` says whether sending the same message again later may succeed without any change on our
    side: network failures, timeouts, HTTP 408/429/5xx and SMTP 4xx replies are; a rejected credential,
    an invalid recipient or a malformed request are not (a job handler turns those into
    ``PermanentJobError`` so the job does not retry for a day). ``status`` is the HTTP status or SMTP reply
    code, ``code`` the provider's own error code (Twilio's ``21211``), ``body`` the response body as
    received (truncated), for the notification's error column and the logs.
    """

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        code: int | str | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.retryable = retryable
        self.status = status
        self.code = code
        self.body = body


MAX_BODY_CHARACTERS = 2000


def http_status_is_retryable(status: int) -> bool:
    """Whether an HTTP error status may go away by itself (timeouts, rate limits, server errors)."""
    return status in (408, 425, 429) or status >= 500
