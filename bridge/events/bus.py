"""Events with a rising ``seq``, a replay window, and one bounded queue per client.

Publishing never waits: each subscriber has a bounded queue, and a subscriber whose queue is full is
dropped (its connection is closed with a notice) so a client that stops reading cannot slow scans to
the others. Replay on resume and registration for live events happen in one step with no await in
between, so a resuming client gets nothing twice and misses nothing still in the window.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Topic = Literal["scan", "device", "job", "drawer", "sync"]
TOPICS: frozenset[str] = frozenset({"scan", "device", "job", "drawer", "sync"})


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    topic: str
    time: str
    data: dict[str, Any]
    monotonic: float
    wire: str  # the JSON frame, encoded once for every client

    @classmethod
    def make(cls, seq: int, topic: str, data: dict[str, Any]) -> Event:
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        wire = json.dumps(
            {"seq": seq, "topic": topic, "time": stamp, "data": data},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return cls(seq, topic, stamp, data, time.monotonic(), wire)


@dataclass(eq=False)
class Subscriber:
    """One connected client's view of the bus."""

    name: str
    topics: frozenset[str]
    queue: asyncio.Queue[Event]
    on_overflow: Callable[[Subscriber], None]
    dropped: bool = False
    delivered: int = 0


@dataclass(frozen=True)
class Replay:
    events: list[Event]
    gap: tuple[int, int] | None  # seqs that fell out of the window, inclusive
    reset: bool  # the client's stream is from an earlier daemon start


@dataclass
class EventBus:
    replay_window_s: float
    replay_max_events: int
    client_queue_size: int
    stream: str = field(default_factory=lambda: str(uuid.uuid4()))
    _seq: int = 0
    _history: deque[Event] = field(init=False)
    _subscribers: set[Subscriber] = field(default_factory=set)
    _listeners: list[Callable[[Event], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._history = deque(maxlen=self.replay_max_events)

    @property
    def last_seq(self) -> int:
        return self._seq

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, topic: str, data: dict[str, Any]) -> Event:
        """Record and fan out one event; never blocks."""
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}")
        self._seq += 1
        event = Event.make(self._seq, topic, data)
        self._history.append(event)
        for subscriber in list(self._subscribers):
            if topic in subscriber.topics:
                self._offer(subscriber, event)
        for listener in self._listeners:
            listener(event)
        return event

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """An in-process observer (technician log, tests); must not block."""
        self._listeners.append(listener)

    def subscribe(
        self,
        name: str,
        topics: Iterable[str],
        on_overflow: Callable[[Subscriber], None],
        *,
        since: int | None = None,
        stream: str | None = None,
    ) -> tuple[Subscriber, Replay]:
        """Register for live events and return what the client missed, in one step."""
        wanted = frozenset(topics)
        reset = stream is not None and stream != self.stream
        if reset:
            since = 0
        elif since is not None and since > self._seq:
            reset, since = True, 0
        replay_events: list[Event] = []
        gap = None
        if since is not None:
            self._trim()
            oldest = self._history[0].seq if self._history else self._seq + 1
            if since + 1 < oldest:
                gap = (since + 1, oldest - 1)
            replay_events = [e for e in self._history if e.seq > since and e.topic in wanted]
        subscriber = Subscriber(name, wanted, asyncio.Queue(self.client_queue_size), on_overflow)
        self._subscribers.add(subscriber)
        return subscriber, Replay(replay_events, gap, reset)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def _offer(self, subscriber: Subscriber, event: Event) -> None:
        try:
            subscriber.queue.put_nowait(event)
        except asyncio.QueueFull:
            subscriber.dropped = True
            self._subscribers.discard(subscriber)
            subscriber.on_overflow(subscriber)

    def _trim(self) -> None:
        horizon = time.monotonic() - self.replay_window_s
        while self._history and self._history[0].monotonic < horizon:
            self._history.popleft()
