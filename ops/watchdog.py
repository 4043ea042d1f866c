"""A client-side deadline for database calls, for a server that stops answering.

A frozen PostgreSQL (SIGSTOP, a hung host, a stuck storage layer) still has its kernel accept
connections and acknowledge the bytes of a query, so neither TCP keepalives nor the server's own
`statement_timeout` end a call in flight: the worker waits for an answer that never comes. The
watchdog bounds that wait from our side. A call registers its connection's socket and deadline;
one thread per process looks at the registrations a few times a second and shuts down the socket
of any call past its deadline, which makes the blocked call fail at once with an ordinary
connection error. Registering costs a lock and a dict entry: no thread or timer per call.
"""

from __future__ import annotations

import os
import socket
import threading
import time

# How often the thread looks: a call is abandoned at most this long after its deadline.
TICK_SECONDS = 0.1


class Watch:
    __slots__ = ("fd", "deadline", "expired")

    def __init__(self, fd: int, deadline: float):
        self.fd = fd
        self.deadline = deadline
        self.expired = False


class Watchdog:
    def __init__(self) -> None:
        self._reset()
        # A forked child (a gunicorn worker) gets a copy of the lock, possibly held, and no
        # thread: it starts afresh.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[Watch, None] = {}
        self._thread: threading.Thread | None = None

    def watch(self, fd: int, seconds: float) -> Watch:
        watch = Watch(fd, time.monotonic() + seconds)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="database-watchdog", daemon=True
                )
                self._thread.start()
            self._watches[watch] = None
        return watch

    def release(self, watch: Watch) -> bool:
        """Stop watching; True when the call ran out of time and its socket was shut down."""
        with self._lock:
            self._watches.pop(watch, None)
        return watch.expired

    def _run(self) -> None:
        while True:
            time.sleep(TICK_SECONDS)
            now = time.monotonic()
            # The socket is shut down under the lock: its call cannot be released, and its
            # connection closed and the descriptor reused for another socket, meanwhile.
            with self._lock:
                for watch in [w for w in self._watches if w.deadline <= now]:
                    del self._watches[watch]
                    watch.expired = True
                    _shut_down(watch.fd)


def _shut_down(fd: int) -> None:
    try:
        # A duplicate descriptor of the same socket: shutting it down ends the connection for
        # the blocked call too, and closing the duplicate leaves the original to its owner.
        with socket.socket(fileno=os.dup(fd)) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer


watchdog = Watchdog()
