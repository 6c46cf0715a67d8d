"""One query in a worker, awaited on the web process's event loop (QueryPool.run_async).

The loop watches the worker's socket (``loop.add_reader``) and reads its
answer as it arrives, so waiting takes no thread; the message is framed as
multiprocessing's ``Connection.send`` writes it: a ``!i`` length (``-1`` then a
``!Q`` length past 2 GB) and a pickle.
"""

import os
import pickle
import struct

from .query_pool import Answer, QueryPool, QueryTimeout, _Worker


class Call:
    """The answer of one worker as a future; the worker is released (answered), or replaced (died, or past
    the time limit), by this object whether or not anyone still awaits :attr:`future`."""

    def __init__(self, pool: QueryPool, worker: _Worker, loop, deadline: float, limit: float):
        self.pool, self.worker, self.loop, self.limit = pool, worker, loop, limit
        self.future = loop.create_future()
        self.buffer = bytearray()
        self.fd = worker.conn.fileno()
        loop.add_reader(self.fd, self._readable)
        self.timer = loop.call_at(deadline, self._expired)

    def _readable(self) -> None:
        try:
            chunk = os.read(self.fd, 1 << 20)  # the socket is readable: this returns what has arrived
        except OSError:
            chunk = b""
        if not chunk:
            return self._died()
        buffer = self.buffer
        buffer += chunk
        if len(buffer) < 4:
            return
        size, start = struct.unpack_from("!i", buffer)[0], 4
        if size == -1:
            if len(buffer) < 12:
                return
            size, start = struct.unpack_from("!Q", buffer, 4)[0], 12
        if len(buffer) < start + size:
            return
        self._stop()
        self.pool._release(self.worker)
        try:
            answer = pickle.loads(memoryview(buffer)[start:start + size])
        except Exception as e:  # noqa: BLE001 - a garbled message is this request's error, not the server's
            answer = Answer(500, None, f"Error interno / internal error: {type(e).__name__}: {e}")
        self._settle(answer)

    def _stop(self) -> None:
        self.loop.remove_reader(self.fd)
        self.timer.cancel()

    def _died(self) -> None:
        self._stop()
        self.pool._replace_soon(self.worker)
        self._settle(Answer(500, None, "El proceso de la consulta terminó / the query process died; try again."))

    def _expired(self) -> None:
        self.loop.remove_reader(self.fd)
        self.pool._replace_soon(self.worker)
        if not self.future.done():
            self.future.set_exception(QueryTimeout(self.limit))

    def _settle(self, answer: Answer) -> None:
        if not self.future.done():
            self.future.set_result(answer)
