"""Errors with a machine-readable reason and a retryable flag.

Stages raise these; one place (the CLI / flow wiring) translates them into
Vietnamese messages and decides on retries. Only ``retryable`` errors
(network, storage) are ever retried; a bad scan never is.
"""

from __future__ import annotations


class SohoaError(Exception):
    """Base error.

    Attributes:
        reason: short machine-readable code, e.g. ``"corrupt_image"``.
        message_vi: message for people, in Vietnamese.
        retryable: whether trying again later can succeed.
    """

    reason = "error"
    retryable = False

    def __init__(self, message_vi: str, *, reason: str | None = None, detail: str = "") -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi
        if reason is not None:
            self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message_vi} [{self.reason}]" + (f" ({self.detail})" if self.detail else "")


class BadInputError(SohoaError):
    """The input file cannot be used (not an image, truncated, empty ...)."""

    reason = "bad_input"


class MissingToolError(SohoaError):
    """A required external program or its data is not installed."""

    reason = "missing_tool"


class ToolError(SohoaError):
    """An external program failed in an unexpected way."""

    reason = "tool_failed"


class StorageError(SohoaError):
    """Object storage is unreachable or refused a request; worth retrying."""

    reason = "storage"
    retryable = True


class IntegrityError(SohoaError):
    """A stored object does not match its checksum."""

    reason = "checksum_mismatch"


class ConfigError(SohoaError):
    """Settings are missing or unsafe."""

    reason = "config"
