"""Health checks for load balancers (HAProxy): public, cheap, and saying nothing but yes or no.

`/healthz`: the process answers (a dead or hung worker does not). `/readyz`: it could save a
household now, i.e. it reaches a writable database; during a failover it answers 503 so that
the balancer sends requests to instances that can. Neither needs a session or sets a cookie.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from web.context import Services


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok\n", headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    services: Services = request.app.state.services
    # In a thread: reaching a database that is gone can take the connect timeout, and the
    # worker's event loop serves every other request meanwhile.
    if await run_in_threadpool(services.census.writable):
        return PlainTextResponse("ready\n", headers={"Cache-Control": "no-store"})
    return PlainTextResponse("not ready\n", status_code=503, headers={"Cache-Control": "no-store", "Retry-After": "5"})


routes = [Route("/healthz", healthz, methods=["GET", "HEAD"]), Route("/readyz", readyz, methods=["GET", "HEAD"])]
