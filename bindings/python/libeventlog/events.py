"""One class per event type, generated at import time from the C catalogue
(elog_catalogue()): CREATE_THREAD -> CreateThread, GC_STATS_GHC -> GcStatsGhc, ...

    from libeventlog.events import StopThread, HeapProfSampleString

Every class derives from Event; events of types libeventlog does not know are
UnknownEvent. `EVENT_CLASSES` maps class names to classes.
"""
from __future__ import annotations

from ._catalogue import EVENT_CLASSES, Event, UnknownEvent, event_class

globals().update(EVENT_CLASSES)

__all__ = ["Event", "UnknownEvent", "EVENT_CLASSES", "event_class", *sorted(EVENT_CLASSES)]


def __dir__() -> list:
    return sorted(set(globals()) | set(EVENT_CLASSES))
