"""Handing the run's validated extracts from the main process to its kernels, in memory.

``socdata reproduce`` validates every extract in its own process while the notebooks'
kernels start (:mod:`socdata.pipeline.execute`).  The notebooks then need the same valid
rows; validating each file again in the kernel cost about a fifth of the run.  A
:class:`CacheHandoff` serves this process's shared results
(:func:`socdata.pipeline.shared.export_shared`) to each kernel over a local connection
authenticated with a random key (:mod:`multiprocessing.connection`: a Unix socket, or a
named pipe on Windows).  The rows travel process to process: they are never written to a
file, so no copy of person-level data can outlive the run, even if it is killed.  The key
reaches the kernel in code executed over the kernel's own channel, which no notebook saves.
"""

from __future__ import annotations

import secrets
import threading
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener

__all__ = ["CacheHandoff", "receive"]


class CacheHandoff:
    """Serve ``payload`` to every kernel that asks, until :meth:`close`.

    Parameters
    ----------
    payload
        What :func:`socdata.pipeline.shared.export_shared` returned.

    Examples
    --------
    >>> from socdata.pipeline.handoff import CacheHandoff, receive
    >>> with CacheHandoff(b"rows") as handoff:
    ...     receive(handoff.address, handoff.key, load=bytes)
    b'rows'
    """

    def __init__(self, payload: bytes) -> None:
        self.key = secrets.token_bytes(32)
        self._listener = Listener(authkey=self.key)
        self.address = self._listener.address
        self._payload = payload
        self._closed = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn = self._listener.accept()
            except (OSError, EOFError, AuthenticationError):  # failed handshake, or closed
                if self._closed:
                    return
                continue
            with conn:
                if self._closed:
                    return
                conn.send_bytes(self._payload)

    def code(self) -> str:
        """Python for a kernel of the run: receive the payload into its shared results.

        A kernel that cannot receive it (its run was stopped, a stale socdata) carries on
        without: its notebooks then read and validate the files themselves, with the same
        results, only slower.
        """
        return (
            "try:\n"
            "    from socdata.pipeline.handoff import receive as _socdata_receive\n"
            f"    _socdata_receive({self.address!r}, {self.key!r})\n"
            "    del _socdata_receive\n"
            "except Exception:\n"
            "    pass"
        )

    def close(self) -> None:
        """Stop serving (wakes the serving thread with a last connection)."""
        if self._closed:
            return
        self._closed = True
        try:
            Client(self.address, authkey=self.key).close()
        except OSError:
            pass
        self._thread.join(timeout=5)
        self._listener.close()
        self._payload = b""

    def __enter__(self) -> CacheHandoff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def receive(address: str, key: bytes, *, load=None) -> object:
    """Fetch the payload a :class:`CacheHandoff` serves and load it.

    Parameters
    ----------
    address, key
        :attr:`CacheHandoff.address` and :attr:`CacheHandoff.key`.
    load
        Applied to the bytes received; default
        :func:`socdata.pipeline.shared.import_shared`.

    Returns
    -------
    object
        What ``load`` returned (by default, how many shared results were added).
    """
    if load is None:
        from socdata.pipeline.shared import import_shared as load
    with Client(address, authkey=key) as conn:
        return load(conn.recv_bytes())
