"""``python -m tests.support.s3_process PORT``: moto's S3 on a loopback port, in this process.

SIGUSR1 closes the port and cuts the open connections (clients are refused,
as when the endpoint is down) and SIGUSR2 opens it again; the objects stay in
this process's memory meanwhile. SIGTERM ends it; SIGSTOP freezes it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support.stack import moto_app

_open: set[socket.socket] = set()
_lock = threading.Lock()


class Tracked(WSGIRequestHandler):
    """Keeps its connection in ``_open`` so that a refusal can cut it."""

    def setup(self) -> None:
        super().setup()
        with _lock:
            _open.add(self.connection)

    def finish(self) -> None:
        with _lock:
            _open.discard(self.connection)
        super().finish()

    def log_request(self, *args) -> None:
        pass


def main(port: int) -> None:
    app = moto_app()
    server = None

    def serve() -> None:
        nonlocal server
        server = make_server("127.0.0.1", port, app, threaded=True, request_handler=Tracked)
        server.block_on_close = False  # closing must not wait for keep-alive connections
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def refuse() -> None:
        nonlocal server
        if server is not None:
            server.shutdown()  # no new connections (serve_forever closes the port as it ends)
            server.server_close()
            server = None
        with _lock:
            for connection in _open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    # Signals are taken synchronously by this thread (sigwait), never by a handler that could
    # interrupt it while it holds a lock; threads started from here inherit the mask.
    controls = {signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, controls)
    serve()
    print(f"moto S3 on port {port}", flush=True)
    while True:
        signum = signal.sigwait(controls)
        if signum == signal.SIGTERM:
            os._exit(0)
        if signum == signal.SIGUSR1:
            refuse()
        elif server is None:
            serve()


if __name__ == "__main__":
    main(int(sys.argv[1]))
