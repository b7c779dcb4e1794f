"""The tests' one web server: real HTTP (or HTTPS) on 127.0.0.1 (or ::1), served from a
thread, that each test configures with pages and handlers.

    web.pages["/feed.xml"] = Page(rss(...), "application/rss+xml", etag='"v1"')
    web.pages["/flaky"] = handler   # handler(exchange) answers the request itself
    gate = web.hold("/story")       # requests for /story wait until gate.release()
    gate.wait_held()                # (or ``await gate.held()``): the fetch is now mid-way
    web.requests, web.paths         # every request received, in order

Pages are looked up by path with its query, then by path alone, then ``fallback`` (a 404).
The ``web`` fixture (tests/conftest.py) gives each test a fresh server; :func:`serve` runs
one for a module-scoped fixture, on another host or with TLS.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WAIT_S = 10.0  # how long a test waits for something the server should see before failing


@dataclass
class Page:
    """A fixed answer. A request whose If-None-Match names the page's ETag gets a 304."""

    body: bytes | str = b""
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass
class Request:
    """One request as received, and what became of it."""

    method: str
    path: str  # with its query
    headers: Message  # looked up without regard to case
    status: int | None = None  # the status answered; None if no answer was started
    sent: int = 0  # bytes of the body written
    finished: bool = False  # the server is done with it
    hung_up: bool = False  # the client left before the whole answer was sent


Handler = Callable[["Exchange"], None]
Route = Page | Handler


class Exchange:
    """A request as a handler sees it, and the means to answer it."""

    def __init__(self, http: _RequestHandler, request: Request, stopping: threading.Event) -> None:
        self._http = http
        self.request = request
        self._stopping = stopping

    @property
    def headers(self) -> Message:
        return self.request.headers

    def query(self, name: str) -> str:
        return parse_qs(urlsplit(self.request.path).query)[name][0]

    def respond(
        self, status: int, body: bytes | str = b"", content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.start(status, {"Content-Length": str(len(data))} | (headers or {}), content_type)
        self.write(data)

    def send(self, page: Page) -> None:
        if page.etag and self.headers.get("If-None-Match") == page.etag:
            self.respond(304, headers={"ETag": page.etag})
            return
        headers = page.headers | ({"ETag": page.etag} if page.etag else {})
        self.respond(page.status, page.content, page.content_type, headers)

    def start(self, status: int, headers: dict[str, str], content_type: str | None = None) -> None:
        """Send the status line and headers; the body follows with :meth:`write`."""
        self.request.status = status
        self._http.send_response(status)
        if content_type is not None:
            self._http.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self._http.send_header(name, value)
        self._http.end_headers()

    def write(self, data: bytes) -> bool:
        """Send part of the body; False once the client has hung up."""
        try:
            self._http.wfile.write(data)
            self._http.wfile.flush()
            self.request.sent += len(data)
        except OSError:
            self.request.hung_up = True
            self._http.close_connection = True
            return False
        return True

    def hang_up(self) -> None:
        """Drop the connection without an answer."""
        self._http.close_connection = True
        self._http.connection.shutdown(socket.SHUT_RDWR)

    def pause(self, seconds: float) -> bool:
        """Wait, unless the server is stopping; False when it is."""
        return not self._stopping.wait(seconds)


def drip(every: float, length: int, content_type: str = "text/plain") -> Handler:
    """A page of ``length`` bytes (so declared) sent one byte every ``every`` seconds, until
    the client hangs up or the server stops."""

    def handler(exchange: Exchange) -> None:
        exchange.start(200, {"Content-Length": str(length)}, content_type)
        for _ in range(length):
            if not exchange.write(b" ") or not exchange.pause(every):
                return

    return handler


class Gate:
    """Holds the requests for one path until released, so a test can act while a fetch is
    waiting for its answer. The server releases every gate when it stops."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0  # requests that reached the gate
        self._released = threading.Event()
        self._changed = threading.Condition()

    def release(self) -> None:
        self._released.set()

    def wait_held(self, count: int = 1, timeout: float = WAIT_S) -> None:
        """Block until ``count`` requests have reached the gate."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.count >= count, timeout):
                raise AssertionError(f"{self.count} of {count} request(s) for {self.path} in {timeout} s")

    async def held(self, count: int = 1, timeout: float = WAIT_S) -> None:
        await asyncio.to_thread(self.wait_held, count, timeout)

    def _pass(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()
        self._released.wait()


class WebServer:
    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.pages: dict[str, Route] = {}
        self.fallback: Route = Page("not found", "text/plain", 404)
        self.requests: list[Request] = []
        self.errors: list[str] = []  # exceptions raised by handlers: a test's own mistakes
        self._gates: dict[str, Gate] = {}
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._http = _Server(self, host)
        if tls is not None:
            self._http.socket = tls.wrap_socket(self._http.socket, server_side=True)
        netloc = f"[{host}]" if ":" in host else host
        self.port: int = self._http.server_address[1]
        self.base_url = f"{'https' if tls else 'http'}://{netloc}:{self.port}"
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.01,), daemon=True)

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def hold(self, path: str) -> Gate:
        """Requests for ``path`` (without its query) wait at the returned gate."""
        gate = self._gates[path] = Gate(path)
        return gate

    def wait_for_requests(
        self, count: int, matching: Callable[[Request], bool] = lambda request: True,
        timeout: float = WAIT_S,
    ) -> list[Request]:
        """Block until ``count`` received requests match; returns them."""

        def found() -> list[Request]:
            return [request for request in self.requests if matching(request)]

        with self._changed:
            if not self._changed.wait_for(lambda: len(found()) >= count, timeout):
                raise AssertionError(f"{len(found())} of {count} request(s) in {timeout} s: {self.paths}")
            return found()

    async def requests_arrived(
        self, count: int, matching: Callable[[Request], bool] = lambda request: True,
        timeout: float = WAIT_S,
    ) -> list[Request]:
        return await asyncio.to_thread(self.wait_for_requests, count, matching, timeout)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; every request in hand ends (gates open, drips stop, idle
        keep-alive connections are closed) before this returns."""
        self._stopping.set()
        for gate in self._gates.values():
            gate.release()
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(WAIT_S)
        for connection in list(self._http.connections):
            with suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        for thread in list(self._http.handlers):
            thread.join(WAIT_S)
        still = [thread.name for thread in self._http.handlers if thread.is_alive()]
        assert not self._thread.is_alive() and not still, f"the web server did not stop: {still}"
        assert not self.errors, f"handlers failed: {self.errors}"

    def _serve(self, http: _RequestHandler) -> None:
        request = Request(http.command, http.path, http.headers)
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()
        try:
            path = urlsplit(request.path).path
            if gate := self._gates.get(path):
                gate._pass()
            route = self.pages.get(request.path) or self.pages.get(path) or self.fallback
            exchange = Exchange(http, request, self._stopping)
            try:
                if isinstance(route, Page):
                    exchange.send(route)
                else:
                    route(exchange)
            except OSError:
                request.hung_up = True  # the client left mid-answer (a size cap, a deadline)
                http.close_connection = True
            except Exception as error:
                self.errors.append(f"{request.path}: {error!r}")
                raise
        finally:
            with self._changed:
                request.finished = True
                self._changed.notify_all()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.server.web._serve(self)

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        with suppress(OSError):  # the client reset the connection
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def __init__(self, web: WebServer, host: str) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.web = web
        self.connections: set[socket.socket] = set()
        self.handlers: set[threading.Thread] = set()
        super().__init__((host, 0), _RequestHandler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        self.handlers = {handler for handler in self.handlers if handler.is_alive()} | {thread}
        thread.start()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # resets from clients that hung up are expected here


@contextmanager
def serve(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> Iterator[WebServer]:
    server = WebServer(host, tls)
    server.start()
    try:
        yield server
    finally:
        server.stop()
