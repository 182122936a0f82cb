"""What can go wrong at the edge, as exceptions that carry their HTTP answer.

The parsing and reading code raises these; the ASGI handler is the one place that turns them into responses and
outcome counts, so that a status code is decided in one spot and never by a crash.
"""


class IngestError(Exception):
    status = 400
    outcome: str | None = "invalid"  # the outcome counted for the project, when the project is known
    reason: str = "invalid"  # the refusal's label in the requests metric (ingest/metrics.py), project known or not

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail

    def headers(self) -> list[tuple[bytes, bytes]]:
        return []


class BadRequest(IngestError):
    pass


class Unauthorized(IngestError):
    status = 401
    outcome = None  # nobody proved they speak for the project
    reason = "unauthorized"


class Forbidden(IngestError):
    status = 403
    outcome = None
    reason = "forbidden"


class TooLarge(IngestError):
    status = 413
    outcome = reason = "too_large"


class RateLimited(IngestError):
    status = 429
    outcome = reason = "rate_limited"

    def __init__(self, retry_after: int, scope: str):
        super().__init__(f"{scope} quota exceeded")
        self.retry_after = retry_after
        self.scope = scope

    def headers(self) -> list[tuple[bytes, bytes]]:
        # Sentry SDKs stop sending the named categories until the time has passed: `error;default` covers events.
        limits = f"{self.retry_after}:error;default:{self.scope}:quota"
        return [(b"retry-after", str(self.retry_after).encode()), (b"x-sentry-rate-limits", limits.encode())]


class Unavailable(IngestError):
    status = 503
    outcome = reason = "unavailable"
    retry_after = 60

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"retry-after", str(self.retry_after).encode())]
