"""The one gate in front of the one model, shared by the page, the API and study export.

A llama.cpp model answers one prompt at a time.  :class:`ModelGate` is a first-come,
first-served line with a bounded length; :class:`GatedModel` wraps a generator once so
that every use of the model goes through it:

* ``stream_if_free`` — for answers: runs only when the model is free (or frees up
  within a bound), otherwise returns None at once; answers never queue behind it;
* ``stream`` — for long jobs (study material): waits its turn, or yields nothing when
  the line is full.

Leaving the line is tied to the generator's life: a consumer that stops iterating
(a client that went away) closes it, which ends generation and frees the model.
Nothing outside this module takes or releases the gate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator

from app.llm import Generator

log = logging.getLogger(__name__)


class ModelGate:
    """First-come-first-served access to the model, with a bounded waiting line."""

    def __init__(self, max_waiting: int) -> None:
        self.max_waiting = max_waiting
        self._line: deque[object] = deque()
        self._cond = threading.Condition()
        self.inside = 0
        self.max_inside = 0  # observed maximum of concurrent holders (tests assert it stays 1)

    @property
    def busy(self) -> bool:
        with self._cond:
            return bool(self._line)

    def join(self) -> object | None:
        """A ticket, or None when the line is full."""
        with self._cond:
            if len(self._line) > self.max_waiting:
                return None
            ticket = object()
            self._line.append(ticket)
            return ticket

    def wait_turn(self, ticket: object, timeout: float) -> bool:
        """True once it is this ticket's turn (then the holder must ``leave``)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._line and self._line[0] is ticket:
                    self.inside += 1
                    self.max_inside = max(self.max_inside, self.inside)
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)

    def enter(self, wait_s: float | None = None) -> object | None:
        """Join and wait for the turn (forever, or ``wait_s``); None when full or the wait ran out."""
        ticket = self.join()
        if ticket is None:
            return None
        if wait_s is None:
            while not self.wait_turn(ticket, 1.0):
                pass
            return ticket
        if self.wait_turn(ticket, wait_s):
            return ticket
        self.leave(ticket)
        return None

    def position(self, ticket: object) -> int:
        with self._cond:
            return self._line.index(ticket) if ticket in self._line else 0

    def leave(self, ticket: object) -> None:
        with self._cond:
            if self._line and self._line[0] is ticket and self.inside:
                self.inside -= 1
            if ticket in self._line:
                self._line.remove(ticket)
            self._cond.notify_all()


class Lease(Iterator[str]):
    """The model's pieces while this caller holds the gate; the gate is left when the pieces end or on close,
    also when iteration never started."""

    def __init__(self, gate: ModelGate, ticket: object, pieces: Iterator[str]) -> None:
        self.gate, self.ticket, self.pieces = gate, ticket, pieces
        self.open = True

    def __next__(self) -> str:
        if not self.open:
            raise StopIteration
        try:
            return next(self.pieces)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.open:
            self.open = False
            close = getattr(self.pieces, "close", None)
            try:
                if close is not None:
                    close()
            finally:
                self.gate.leave(self.ticket)

    def __del__(self) -> None:
        self.close()


class GatedModel:
    """A generator that can only be reached through the gate."""

    def __init__(self, inner: Generator, gate: ModelGate) -> None:
        self.inner = inner
        self.gate = gate
        self.name = inner.name

    def _run(self, ticket: object, messages: list[dict[str, str]], max_tokens: int, deadline_s: float) -> Lease:
        return Lease(self.gate, ticket, self.inner.stream(messages, max_tokens, deadline_s))

    def stream_if_free(
        self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float, wait_s: float = 0.0
    ) -> Lease | None:
        """Stream when the model is free within ``wait_s`` seconds; None (at once, or after the wait) otherwise."""
        ticket = self.gate.enter(wait_s)
        if ticket is None:
            log.debug("model busy: answer goes out without refinement")
            return None
        return self._run(ticket, messages, max_tokens, deadline_s)

    def stream(self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float) -> Iterator[str]:
        """Wait in line, then stream; nothing when the line is full."""
        ticket = self.gate.enter()
        if ticket is None:
            log.info("model line full: a long job goes on without the model")
            return
        lease = self._run(ticket, messages, max_tokens, deadline_s)
        try:
            yield from lease
        finally:
            lease.close()
