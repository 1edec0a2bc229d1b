"""What a gateway call can fail with. Callers catch `LLMError` (and `ReplyParseError` from
parsing); `RunStopped` is an `LLMError` too, so code that only knows `LLMError` still ends
the sample through its normal failure path."""

from __future__ import annotations


class LLMError(RuntimeError):
    """The endpoint could not produce a completion (after retries, or a non-retryable 4xx)."""

    def __init__(self, message: str, error_class: str = "failed") -> None:
        super().__init__(message)
        self.error_class = error_class


class DeadlineExceeded(LLMError):
    """The per-call deadline passed (waiting for a slot, backing off or on the wire)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "deadline")


class RunStopped(LLMError):
    """The call's run was asked to stop (cancelled, or out of budget): no new calls for it."""

    def __init__(self, run_id: str, reason: str) -> None:
        super().__init__(f"run {run_id} was asked to stop ({reason}): no new LLM calls",
                         "run_stopped")
        self.run_id = run_id
        self.reason = reason
