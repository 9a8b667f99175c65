"""How a call to a platform's services failed: worth retrying later, or not until someone fixes something."""

from __future__ import annotations


class LmsError(Exception):
    """A platform service call that did not succeed; `transient` says whether retrying later may help."""

    transient = True

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        # Seconds the platform asked us to wait (Retry-After), if it said so.
        self.retry_after = retry_after


class TransientLmsError(LmsError):
    """The platform is down, slow, overloaded or refused a token: the same call may succeed later."""

    transient = True


class PermanentLmsError(LmsError):
    """The platform refused the request itself (not enrolled, forbidden, not found, malformed): retrying the
    same call will not help until the data or the platform's configuration changes."""

    transient = False
