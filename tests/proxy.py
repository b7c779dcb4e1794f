"""A small round-robin load balancer for the tests: each request goes to the next backend;
one that does not answer (a replica that died) is passed over and the request retried on
the next, as a load balancer in front of the bot's replicas does."""

from __future__ import annotations

import itertools

import aiohttp
from aiohttp import web

# What a backend that died looks like: nothing listens, or the connection dropped.
GONE = (aiohttp.ClientConnectionError, aiohttp.ServerDisconnectedError)


class RoundRobinProxy:
    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.served: list[str] = []  # the backend that answered each request, in order
        self._next = itertools.cycle(range(len(backends)))
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {name: value for name, value in request.headers.items() if name.lower() != "host"}
        for _ in self.backends:
            backend = self.backends[next(self._next)]
            try:
                async with self._session.post(backend + request.path, data=body, headers=headers) as answer:
                    content = await answer.read()
            except GONE:
                continue
            self.served.append(backend)
            return web.Response(status=answer.status, body=content)
        return web.Response(status=502, text="no backend answered")
