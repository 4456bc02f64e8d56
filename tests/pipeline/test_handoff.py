"""The run's validated extracts reach its kernels in memory (socdata.pipeline.handoff)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from socdata.pipeline.handoff import CacheHandoff, receive


def test_every_kernel_that_asks_gets_the_payload_then_serving_stops():
    payload = bytes(range(256)) * 40_000  # ~10 MB
    with CacheHandoff(payload) as handoff:
        assert receive(handoff.address, handoff.key, load=bytes) == payload
        assert receive(handoff.address, handoff.key, load=bytes) == payload
        thread = handoff._thread
    assert not thread.is_alive()
    with pytest.raises(OSError):
        receive(handoff.address, handoff.key, load=bytes)


def test_a_wrong_key_gets_nothing_and_does_not_stop_the_server():
    from multiprocessing import AuthenticationError

    with CacheHandoff(b"rows") as handoff:
        with pytest.raises((AuthenticationError, EOFError, OSError)):
            receive(handoff.address, b"x" * 32, load=bytes)
        assert receive(handoff.address, handoff.key, load=bytes) == b"rows"


def test_the_code_a_kernel_runs_loads_the_payload_in_another_process():
    from socdata.pipeline.shared import _CACHE, clear_shared, export_shared, shared

    clear_shared()
    try:
        shared(("handoff-demo",), lambda: {"n": 7})
        with CacheHandoff(export_shared()) as handoff:
            code = handoff.code() + (
                "\nfrom socdata.pipeline.shared import shared\n"
                "print(shared(('handoff-demo',), lambda: None))"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
        assert out.stdout.strip() == "{'n': 7}"
        assert "handoff-demo" not in repr(handoff.code())  # the code carries no data
    finally:
        clear_shared()
    assert not _CACHE


def test_a_kernel_that_cannot_receive_carries_on():
    with CacheHandoff(b"not a pickle") as handoff:
        code = handoff.code() + "\nprint('carried on')"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    assert out.stdout.strip() == "carried on"
