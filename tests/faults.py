"""A fault-injecting HTTP server for tests: a real server on 127.0.0.1 (a free port chosen by the
OS) that serves recorded payloads at the real hosts' paths, 404 for anything else, and answers
chosen paths with a chosen fault: an error status (with Retry-After), a Content-Length that lies,
a chunked body cut short, a connection reset mid-body, a body that claims gzip and is not, a
redirect (or a loop of them), a body dripped byte by byte, or a body of any size generated on
the fly (never held in memory).

    with FaultServer() as server:
        server.serve("/graph/fredgraph.csv", recorded_bytes, content_type="text/csv")
        server.fault("/data/AI_posting.csv", Reset(recorded_bytes))
        fetch(session, server.url("/data/AI_posting.csv"), timeout=5)

Every request is recorded (`server.requests`: method, path with query, headers, body) so a test
can check what reached which host. Reusable for end-to-end source tests: point the pipeline's
base URLs at `server.url("")`.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes


class Fault:
    """How to answer one request. `respond` writes the raw answer to the handler's socket."""

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Body(Fault):
    """A correct answer."""

    data: bytes
    content_type: str = "text/csv"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(self.status)
        handler.send_header("Content-Type", self.content_type)
        handler.send_header("Content-Length", str(len(self.data)))
        for name, value in self.headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(self.data)


@dataclass
class Status(Fault):
    """`status` (with `Retry-After` when given) for the first `times` requests (every request
    when None), then `then` (404 when None)."""

    status: int
    retry_after: str | None = None
    times: int | None = None
    then: Fault | None = None
    served: int = 0

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        self.served += 1
        if self.times is not None and self.served > self.times:
            (self.then or Body(b"not found", status=404)).respond(handler)
            return
        handler.send_response(self.status)
        if self.retry_after is not None:
            handler.send_header("Retry-After", self.retry_after)
        handler.send_header("Content-Length", "0")
        handler.end_headers()


@dataclass(frozen=True)
class ShortContentLength(Fault):
    """Declares `len(data) + missing` bytes, sends `data`, closes."""

    data: bytes
    missing: int = 1000

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Length", str(len(self.data) + self.missing))
        handler.end_headers()
        handler.wfile.write(self.data)
        handler.wfile.flush()
        handler.close_connection = True


@dataclass(frozen=True)
class ChunkedCut(Fault):
    """A chunked body that stops after `data` without its terminating zero-length chunk."""

    data: bytes

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.write(f"{len(self.data) + 500:x}\r\n".encode() + self.data)
        handler.wfile.flush()
        handler.close_connection = True


@dataclass(frozen=True)
class Reset(Fault):
    """Sends the headers and half of `data`, then resets the connection (TCP RST)."""

    data: bytes

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Length", str(len(self.data)))
        handler.end_headers()
        handler.wfile.write(self.data[: len(self.data) // 2])
        handler.wfile.flush()
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
        handler.close_connection = True


@dataclass(frozen=True)
class FalseGzip(Fault):
    """`Content-Encoding: gzip` on a body that is plain text."""

    data: bytes

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        Body(self.data, headers=(("Content-Encoding", "gzip"),)).respond(handler)


@dataclass(frozen=True)
class Redirect(Fault):
    """A redirect to `location` (absolute, or a path on this server)."""

    location: str
    status: int = 307

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(self.status)
        handler.send_header("Location", self.location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()


@dataclass(frozen=True)
class Drip(Fault):
    """Declares `data` whole, then sends one byte every `interval` seconds."""

    data: bytes
    interval: float = 0.5

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(self.data)))
        handler.end_headers()
        for byte in self.data:
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:  # the client gave up, as it should
                return
            time.sleep(self.interval)


@dataclass(frozen=True)
class Huge(Fault):
    """`size` bytes of CSV-looking text generated on the fly (chunked unless `declare_length`),
    so that the server never holds the body either."""

    size: int
    declare_length: bool = False

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        line = b"2024-01-01,US,1.0\n" * 3640  # ~64 KiB
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        if self.declare_length:
            handler.send_header("Content-Length", str(self.size))
        else:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        sent = 0
        try:
            while sent < self.size:
                piece = line[: self.size - sent]
                if self.declare_length:
                    handler.wfile.write(piece)
                else:
                    handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sent += len(piece)
            if not self.declare_length:
                handler.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client refused the rest, as it should
            handler.close_connection = True


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that give up mid-answer (as the code under test should) reset connections;
        # that is the expected outcome, not a server error worth printing.
        pass


@dataclass
class FaultServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 and a free port; a context manager."""

    routes: dict[str, Fault] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:  # keep test output quiet
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
                self.request_body = body  # for faults that answer by what was asked (BLS POSTs)
                path = urlsplit(self.path).path
                route = server.routes.get(self.path) or server.routes.get(path)
                (route or Body(b"not found", content_type="text/plain", status=404)).respond(self)

            do_GET = do_POST = _answer

        self._http = _QuietServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    @property
    def port(self) -> int:
        return self._http.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, data: bytes, content_type: str = "text/csv") -> None:
        self.routes[path] = Body(data, content_type)

    def fault(self, path: str, fault: Fault) -> None:
        self.routes[path] = fault

    def requests_to(self, path: str) -> Iterator[Recorded]:
        return (r for r in self.requests if urlsplit(r.path).path == path)
