"""One point in time past which a scan stops asking (``--timeout``).

A scan reads from places that can hang: an API that drips one byte a second, a rate limit that
resets in an hour, a clone from a server that never answers. Every wait and every request of a
scan takes what is left of one :class:`Deadline`, so the whole scan ends in bounded time, and
what the deadline cut is reported ``not_available`` with :meth:`Deadline.reason`, never absent.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")

#: seconds a whole scan may take by default (``--timeout``).
DEFAULT_SCAN_SECONDS = 600.0


class Deadline:
    """``seconds`` from now (measured on the monotonic clock, which forked processes share);
    ``None`` never passes."""

    def __init__(self, seconds: float | None = None, flag: str = "--timeout",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.flag = flag
        self.clock = clock
        self._end = clock() + seconds if seconds is not None else math.inf

    def remaining(self) -> float:
        """Seconds left (never negative; ``inf`` without a deadline)."""
        return max(0.0, self._end - self.clock())

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0

    def __str__(self) -> str:
        """Safe to show; names the flag that sets the deadline."""
        return f"the scan's deadline ({self.flag} {self.seconds:g} s)" if self.seconds is not None else "no deadline"

    def reason(self) -> str:
        """Why something was not done."""
        return f"{self} was reached"


class TookTooLong(Exception):
    """:func:`within` gave up waiting for the call."""


def within(seconds: float, call: Callable[[], T], name: str = "bounded-call") -> T:
    """``call()``'s result, or TookTooLong after ``seconds`` of wall-clock time.

    For blocking network reads whose own timeouts bound each socket operation, not the whole:
    a server that sends one byte a second never trips a read timeout. The call runs in a daemon
    thread; when it takes too long it is abandoned (it ends with its connection, or with the
    process), and its result, if one ever comes, is dropped.
    """
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TookTooLong(f"no complete answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
