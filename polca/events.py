"""Typed events: libraries emit them, the CLI and the store listen.

Events are frozen dataclasses. Dispatch goes by type (an event reaches the handlers of
its class and of every base class), never by method-name strings. A handler that raises
is logged and skipped: an observer must never break the run it observes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base class of every event."""


E = TypeVar("E", bound=Event)
Handler = Callable[[E], None]


class EventBus:
    """Delivers events to handlers subscribed by event type. Thread-safe."""

    def __init__(self) -> None:
        self._handlers: list[tuple[type[Event], Handler]] = []
        self._lock = threading.Lock()

    def subscribe(self, event_type: type[E], handler: Handler[E]) -> Callable[[], None]:
        """Call ``handler`` for every event that is an instance of ``event_type``.

        Returns a function that removes the subscription.
        """
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise TypeError(f"event_type must be an Event subclass, got {event_type!r}")
        entry = (event_type, handler)
        with self._lock:
            self._handlers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._handlers:
                    self._handlers.remove(entry)

        return unsubscribe

    def emit(self, event: Event) -> None:
        with self._lock:
            targets = [h for t, h in self._handlers if isinstance(event, t)]
        for handler in targets:
            try:
                handler(event)
            except Exception:
                log.exception("event handler %r failed on %s", handler, type(event).__name__)
