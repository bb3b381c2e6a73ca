"""Exceptions."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional

if TYPE_CHECKING:  # pragma: no cover
    from ._decoder import End


class EventlogError(Exception):
    """Corrupt input: the decoder stopped at byte `offset` because of `reason`.

    `status` is the C status name (e.g. "ELOG_E_UNDECLARED"). `events` holds the
    events decoded by the failing call before the error (Decoder.feed), so no
    decoded event is lost.
    """

    def __init__(self, offset: int, reason: str, status: str = "ELOG_E_BAD_EVENT",
                 events: Optional[List[Any]] = None) -> None:
        super().__init__(offset, reason)
        self.offset = offset
        self.reason = reason
        self.status = status
        self.events: List[Any] = list(events) if events else []

    def __str__(self) -> str:
        return f"corrupt eventlog at byte offset {self.offset}: {self.reason} [{self.status}]"


class TruncatedEventlog(EventlogError):
    """The input ended before the end-of-data marker (or inside the header).

    `end_class` is the end kind ("truncated-in-event", ...), `offset` where the
    incomplete item starts (or the total bytes for "truncated-between-events"),
    `events_decoded` how many events were delivered; `end` the full End.
    """

    def __init__(self, end_class: str, offset: int, events_decoded: int,
                 end: Optional["End"] = None) -> None:
        self.end_class = str(end_class)
        self.events_decoded = events_decoded
        self.end = end
        reason = end.describe() if end is not None else f"eventlog {self.end_class}"
        super().__init__(offset, reason, status="ELOG_OK")
        self.args = (self.end_class, offset, events_decoded)

    def __str__(self) -> str:
        return f"{self.reason}; {self.events_decoded} events decoded"
