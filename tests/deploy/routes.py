"""The real route table: every service built alone, as ``gongkai serve SERVICE`` runs it, asked for its routes.

Nothing here is a list from memory, so routes added to any service are checked the day they appear.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from gongkai.cli import FRONTEND_NAMES, SERVICE_NAMES, service_builder
from gongkai.runtime import Platform
from gongkai.settings import Settings

#: Served by every process, for operators and tools, not part of the API: the gateway handles them itself
#: (/healthz, /metrics) or lets them fall to its default service.
OPERATIONS = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"})
#: Mounted by every process (gongkai/runtime.py) and routed to review by the gateway.
SHARED_HOME = {"/api/v1/admin/calendar": "review", "/api/v1/admin/users": "review", "/api/v1/admin/tokens": "review"}

Route = tuple[str, str]  # (method, path template)


def _routes(app_routes: list[object]) -> Iterator[Route]:
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI resolves included routers lazily
    except ImportError:  # older FastAPI: the app's routes are flat
        contexts: list[object] = list(app_routes)
    else:
        contexts = list(iter_route_contexts(app_routes))  # type: ignore[arg-type]
    for route in contexts:
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None) or {"GET"}
        if path:
            for method in sorted(methods):
                yield method, path


@cache
def service_routes() -> dict[str, frozenset[Route]]:
    """Each service's (method, path template) pairs, from the service built alone."""
    table = {}
    for name in (*SERVICE_NAMES, *FRONTEND_NAMES):
        with tempfile.TemporaryDirectory() as tmp:
            app = Platform(Settings(data_dir=Path(tmp), environment="test"), [service_builder(name)]).app()
            table[name] = frozenset(_routes(list(app.routes)))
    return table


def owners() -> tuple[dict[Route, str], list[str]]:
    """Who must answer each route behind the gateway, and the routes that have no single owner."""
    table = service_routes()
    everywhere = frozenset.intersection(*table.values())
    owned: dict[Route, str] = {}
    problems = []
    for method, path in sorted(everywhere):
        if path in OPERATIONS:
            continue
        home = next((service for prefix, service in SHARED_HOME.items() if path.startswith(prefix)), None)
        if home is None:
            problems.append(f"{method} {path} is served by every service: give it a home in SHARED_HOME")
        else:
            owned[(method, path)] = home
    for service, routes in table.items():
        for route in sorted(routes - everywhere):
            if route[1] in OPERATIONS:
                continue
            other = owned.get(route)
            if other is not None and other != service:
                problems.append(f"{route[0]} {route[1]} is served by both {other} and {service}")
            owned[route] = service
    return owned, problems


def example_path(template: str) -> str:
    """A concrete path for a template: each ``{parameter}`` becomes an id-like value."""
    return re.sub(r"\{[^}]+\}", "0f8fad5b-d9cb-469f-a165-70867728950e", template)
