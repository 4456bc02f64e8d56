"""Batches of a table scan read ahead in a thread (private).

DuckDB and Arrow produce the next batch without holding the GIL, so a reader thread lets
the engine read and decode batch ``k + 1`` while Python reduces batch ``k`` to cohort
moments: on two cores the scan costs about the larger of the two instead of their sum.
At most ``depth`` batches wait in the queue, so memory stays a few batches.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["prefetched"]


def prefetched(reader: Iterable[Any], depth: int = 2) -> Iterator[Any]:
    """The batches of ``reader``, read one or two ahead in a thread (DuckDB and Arrow work
    without the GIL), so that reading the next batch overlaps reducing this one."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        """Hand ``item`` over unless the consumer has stopped (then ``False``)."""
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in reader:
                if not put(batch):
                    return
            put(None)
        except BaseException as exc:  # re-raised in the consumer
            put(exc)

    worker = threading.Thread(target=produce, name="socdata-scan", daemon=True)
    worker.start()
    try:
        while (item := box.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
