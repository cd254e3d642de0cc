"""A bounded pool of daemon worker threads.

Not ``concurrent.futures.ThreadPoolExecutor``: its threads are joined at interpreter
exit, so one probe stuck in a handshake would hold the app open after a cancel
(docs/design.md: "nothing waits on them at exit"). Tasks here may fan out with ``map``; the
caller works on its own fan-out too, so nested fan-outs cannot deadlock the pool.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WorkerPool:
    def __init__(self, max_workers: int, name: str = "clearsight-probe") -> None:
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._max = max(1, max_workers)
        self._name = name
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._queued = 0
        self._closed = False

    def submit(self, fn: Callable[[], R]) -> Future[R]:
        future: Future[R] = Future()
        with self._lock:
            if self._closed:
                future.cancel()
                return future
            self._queued += 1
            if self._queued > self._idle and len(self._threads) < self._max:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._queue.put((future, fn))
        return future

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` over ``items`` in parallel; the caller runs whatever no worker has taken."""
        pending = list(items)
        if len(pending) <= 1:
            return [fn(item) for item in pending]
        results: list[Any] = [None] * len(pending)
        claimed = [False] * len(pending)
        claim_lock = threading.Lock()
        done = [threading.Event() for _ in pending]
        errors: list[BaseException | None] = [None] * len(pending)

        def run(index: int) -> None:
            with claim_lock:
                if claimed[index]:
                    return
                claimed[index] = True
            try:
                results[index] = fn(pending[index])
            except BaseException as exc:
                errors[index] = exc
            finally:
                done[index].set()

        for index in range(1, len(pending)):
            self.submit(lambda i=index: run(i))  # type: ignore[misc]
        for index in range(len(pending)):
            run(index)
        for event in done:
            event.wait()
        for error in errors:
            if error is not None:
                raise error
        return results

    def close(self) -> None:
        """Take no new tasks; idle workers end (busy ones end after their task)."""
        with self._lock:
            self._closed = True
            count = len(self._threads)
        for _ in range(count):
            self._queue.put(None)

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            item = self._queue.get()
            with self._lock:
                self._idle -= 1
                if item is not None:
                    self._queued -= 1
            if item is None:
                return
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)
