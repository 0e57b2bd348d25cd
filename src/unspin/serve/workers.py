"""Worker processes with a hard time limit per call (used by `unspin.serve`).

Python cannot stop a thread, so a check that runs past its limit in a thread keeps
its worker busy to the end, and a few such requests starve a service. Here each
call runs in a worker process; one that runs over is killed with its process, and
its slot starts a fresh worker when next needed. A worker loads the models once
(`init`) and is then reused, so only the first call of each worker pays the load,
which is not counted against the limit.

Trade-offs: a worker holds its own models (about 150-250 MB each; `size` bounds the
memory), and arguments and results cross a pipe, so they must pickle.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

START_TIMEOUT_S = 300.0
"""How long a new worker may take to import and load its models before it is given up."""


class CallTimeout(Exception):
    """The call ran over its limit; its worker was killed."""


class _Worker:
    """One process running calls sent over a pipe, one at a time."""

    def __init__(self, init: Callable[..., None], initargs: tuple[Any, ...]) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._conn, child = context.Pipe()
        self.process = context.Process(target=_work, args=(child, init, initargs), daemon=True)
        self.process.start()
        child.close()
        self._ready = False

    def call(self, func: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> Any:
        """`func(*args)` in the worker; its exception re-raised here; `CallTimeout`
        (and the worker killed) when it runs over `timeout` seconds."""
        if not self._ready:
            if not self._conn.poll(START_TIMEOUT_S):
                self.kill()
                raise RuntimeError("a worker process did not start")
            self._receive()
            self._ready = True
        self._conn.send((func, args))
        if not self._conn.poll(timeout):
            self.kill()
            raise CallTimeout
        return self._receive()

    def _receive(self) -> Any:
        try:
            ok, value = self._conn.recv()
        except EOFError:
            self.kill()
            raise RuntimeError("a worker process died") from None
        if not ok:
            raise value
        return value

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        """Stop the process at once (a running call is lost)."""
        self.process.kill()
        self.process.join()
        self._conn.close()


def _work(conn: Connection, init: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    """A worker's loop: `init`, say ready, then run calls until the pipe closes."""
    init(*initargs)
    conn.send((True, None))
    while True:
        try:
            func, args = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, func(*args)))
        except Exception as error:  # noqa: BLE001 - every error goes back to the caller
            conn.send((False, error))


class Workers:
    """At most `size` worker processes, each set up by `init(*initargs)`, started on
    demand. `call` blocks (run it in a thread from async code) until a worker is free."""

    def __init__(self, size: int, init: Callable[..., None], initargs: tuple[Any, ...] = ()
                 ) -> None:
        if size < 1:
            raise ValueError("workers: size must be at least 1")
        self._init, self._initargs = init, initargs
        self._slots = threading.Semaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self.killed = 0
        """How many workers were killed for running over their limit."""

    def call(self, func: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> Any:
        """`func(*args)` in a worker, with at most `timeout` seconds of computing."""
        with self._slots:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is None:
                worker = _Worker(self._init, self._initargs)
            try:
                result = worker.call(func, args, timeout)
            except CallTimeout:
                self.killed += 1
                raise
            finally:
                if worker.alive():
                    with self._lock:
                        self._idle.append(worker)
            return result

    def close(self) -> None:
        """Stop the idle workers (calls in flight finish first)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
