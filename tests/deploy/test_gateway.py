"""The gateway sends every (method, path) of every service to that service: by its routing table, and
through a real nginx running deploy/gateway/nginx.conf in front of four stand-in backends."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import yaml

from gongkai.cli import FRONTEND_NAMES, SERVICE_NAMES
from gongkai.settings import Settings
from tests.deploy import gateway
from tests.deploy.routes import example_path, owners, service_routes
from tests.deploy.tools import ROOT, require
from tests.kafka_broker import free_port
from tests.polling import eventually_sync


def test_every_route_has_exactly_one_owner() -> None:
    _, problems = owners()
    assert not problems, "\n".join(problems)


def test_the_routing_table_sends_every_route_to_its_owner() -> None:
    table = gateway.routing_table()
    owned, _ = owners()
    wrong = [
        f"{method} {path}: to {table.service_for(method, example_path(path))}, owner {owner}"
        for (method, path), owner in sorted(owned.items())
        if table.service_for(method, example_path(path)) != owner
    ]
    assert not wrong, "misrouted by deploy/gateway/nginx.conf:\n" + "\n".join(wrong)


def test_the_route_table_is_real() -> None:
    """Guards the derivation itself: it finds routes of every service, and the ones the API contract names."""
    routes = service_routes()
    assert all(routes[name] for name in (*SERVICE_NAMES, *FRONTEND_NAMES))
    owned, _ = owners()
    for route, owner in {
        ("POST", "/api/v1/documents"): "intake",
        ("GET", "/api/v1/documents/{doc_id}"): "review",
        ("POST", "/api/v1/documents/{doc_id}/withdraw"): "publish",
        ("GET", "/api/v1/search"): "publish",
        ("GET", "/api/v1/stats/summary"): "stats",
        ("PUT", "/api/v1/admin/calendar/years/{year}"): "review",
        ("PATCH", "/api/v1/admin/users/{username}"): "review",
        ("DELETE", "/api/v1/admin/tokens/{token_id}"): "review",
    }.items():
        assert owned.get(route) == owner, route


def test_upstreams_are_the_compose_services_on_their_port() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    ports = {
        name: compose["services"][name]["environment"]["GONGKAI_PORT"] for name in (*SERVICE_NAMES, *FRONTEND_NAMES)
    }
    assert gateway.upstreams() == {name: f"{name}:{ports[name]}" for name in (*SERVICE_NAMES, *FRONTEND_NAMES)}
    table = gateway.routing_table()
    assert {service for _, service in table.rules} | {table.default} <= {*SERVICE_NAMES, *FRONTEND_NAMES}


def test_the_gateway_lets_the_services_answer_oversized_bodies() -> None:
    """nginx refuses bodies above client_max_body_size with its own HTML page: keep it above the services' limit."""
    limit = gateway.text().split("client_max_body_size", 1)[1].split(";", 1)[0].strip()
    assert limit.endswith("m") and int(limit[:-1]) * 1024 * 1024 > Settings().max_body_bytes


def test_the_access_log_keeps_no_query_strings() -> None:
    """Query strings carry tracking codes and search terms; the services log none, nor may the gateway."""
    log_format = gateway.text().split("log_format gongkai", 1)[1].split(";", 1)[0]
    for variable in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$http_authorization"):
        assert variable not in log_format


# --- a real nginx ---------------------------------------------------------------------------------------


class _Backend(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    name = ""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = f"{self.name} {self.command} {self.path}".encode()
        self.send_response(200)
        self.send_header("X-Backend", self.name)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, int]]:
    servers = []
    for name in (*SERVICE_NAMES, *FRONTEND_NAMES):
        handler = type(f"{name}Backend", (_Backend,), {"name": name})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append((name, server))
    yield {name: server.server_address[1] for name, server in servers}
    for _, server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def nginx(backends: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = require("nginx")
    scratch = tmp_path_factory.mktemp("nginx")
    port = free_port()
    (scratch / "gateway.conf").write_text(
        gateway.for_test(gateway.text(), listen=port, backends=backends, scratch=scratch), encoding="utf-8"
    )
    temp = "".join(
        f"{kind}_temp_path {scratch / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, workers would run as nobody, who may not enter pytest's private temporary folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (scratch / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {scratch / 'nginx.pid'};\n"
        f"error_log {scratch / 'error.log'} warn;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{\n{temp}include {scratch / 'gateway.conf'};\n}}\n",
        encoding="utf-8",
    )
    args = [binary, "-p", str(scratch), "-c", str(scratch / "nginx.conf"), "-e", str(scratch / "error.log")]
    checked = subprocess.run([*args, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        assert proc.poll() is None, (scratch / "error.log").read_text()
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        eventually_sync(answering, timeout=20)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_real_nginx_routes_every_route_to_its_owner(nginx: str) -> None:
    owned, _ = owners()
    wrong = []
    with httpx.Client(base_url=nginx, timeout=5) as client:
        for (method, path), owner in sorted(owned.items()):
            concrete = example_path(path)
            answer = client.request(method, concrete, content=b"{}" if method in ("POST", "PUT", "PATCH") else None)
            got = answer.headers.get("x-backend")
            if answer.status_code != 200 or got != owner:
                wrong.append(f"{method} {concrete}: {answer.status_code} from {got}, owner {owner}")
            elif method != "HEAD":
                assert answer.text == f"{owner} {method} {concrete}"  # the path reaches the service unchanged
    assert not wrong, "\n".join(wrong)


def test_a_real_nginx_keeps_query_strings_and_answers_health_and_hides_metrics(nginx: str) -> None:
    with httpx.Client(base_url=nginx, timeout=5) as client:
        searched = client.get("/api/v1/search", params={"q": "发改委 规划", "page": "2"})
        assert searched.headers["x-backend"] == "publish"
        assert searched.text.startswith("publish GET /api/v1/search?q=")
        assert "page=2" in searched.text
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/metrics").status_code == 404
        unknown = client.get("/no/such/page")
        assert unknown.headers["x-backend"] == "publish"  # the portal answers its own 404 page
        big = client.post("/api/v1/documents", content=b"x" * (Settings().max_body_bytes + 1))
        assert big.headers["x-backend"] == "intake"  # the service, not nginx, refuses it with problem+json
