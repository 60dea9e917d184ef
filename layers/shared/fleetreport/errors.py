"""Errors of the domain. Each carries its HTTP status; `fleetreport.http` turns them into responses."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error that becomes an HTTP answer `{"error": message}`."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, object]:
        return {"error": self.message}

    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(DomainError):
    status = 400


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class PermissionDenied(Forbidden):
    def __init__(self) -> None:
        super().__init__("Permission denied")


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class PayloadTooLarge(DomainError):
    status = 413


class RateLimited(DomainError):
    status = 429

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("rate limit exceeded")
        self.retry_after_seconds = max(1, int(retry_after_seconds))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class TemporarilyUnavailable(DomainError):
    """Storage kept failing after retries; nothing was half-written."""

    status = 503

    def __init__(self) -> None:
        super().__init__("temporarily unavailable")


class ReportError(Exception):
    """Base of Gutterball-style errors: `{"displayMessage", "requestUuid"}` bodies."""

    status = 400

    def __init__(self, display_message: str) -> None:
        super().__init__(display_message)
        self.display_message = display_message


class InvalidParameter(ReportError):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


class ReportNotFound(ReportError):
    status = 404

    def __init__(self, key: str) -> None:
        super().__init__(f"Report {key} not found.")
        self.key = key
