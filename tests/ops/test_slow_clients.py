"""Two slowloris connections cannot starve gunicorn's workers behind the shipped nginx setup."""

from __future__ import annotations

import socket
import subprocess
import threading
import time

import pytest

from tests.ops.nginx import PROXY_CONF, Nginx, nginx_binary
from tests.ops.servers import Gunicorn, fetch, production_env

pytestmark = pytest.mark.server

SITE_CONF = PROXY_CONF.parent / "nmdar.conf"

TRICKLE_SECONDS = 0.3
# However long a test goes wrong, the slow clients give up after this.
MAX_TRICKLE_SECONDS = 30


class SlowClient(threading.Thread):
    """Sends the start of a request, then a byte or a header line now and then, never ending it."""

    def __init__(self, port: int, start: bytes, trickle: bytes, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.start_bytes, self.trickle, self.stop = port, start, trickle, stop

    def run(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(self.start_bytes)
            deadline = time.monotonic() + MAX_TRICKLE_SECONDS
            while not self.stop.wait(TRICKLE_SECONDS) and time.monotonic() < deadline:
                try:
                    sock.sendall(self.trickle)
                except OSError:
                    return  # the server gave up on us


def slowloris(port: int, stop: threading.Event, api_headers: dict) -> list[SlowClient]:
    """One client trickling header lines, one trickling a body it announced as 100 kB. The
    second sends the API's key: without one the app answers 401 without reading the body, and
    gunicorn would free the worker after its 2 s linger."""
    host = f"Host: 127.0.0.1:{port}\r\n".encode()
    headers = "".join(f"{name}: {value}\r\n" for name, value in api_headers.items()).encode()
    clients = [
        SlowClient(port, b"GET /livez HTTP/1.1\r\n" + host, b"X-Slow: a\r\n", stop),
        SlowClient(
            port,
            b"POST /api/v1/assessments HTTP/1.1\r\n"
            + host
            + headers
            + b"Content-Length: 100000\r\n\r\n{",
            b" ",
            stop,
        ),
    ]
    for client in clients:
        client.start()
    time.sleep(1)  # both are in the middle of their requests by now
    return clients


def test_livez_answers_within_a_second_while_two_slowloris_connections_are_open(
    app_database, api_headers, tmp_path
):
    nginx_binary()  # before the control below: it is no test without nginx
    with Gunicorn(production_env(app_database), tmp_path, workers=2) as app:
        # Control: straight at gunicorn, the two slow clients hold both workers.
        stop = threading.Event()
        clients = slowloris(app.port, stop, api_headers)
        with pytest.raises(TimeoutError):
            fetch(app.base, "/livez", timeout=1)
        stop.set()
        for client in clients:
            client.join(timeout=5)

        with Nginx(app.port) as proxy:
            stop = threading.Event()
            clients = slowloris(proxy.port, stop, api_headers)
            try:
                answers = []
                for _ in range(5):
                    answers.append(fetch(proxy.base, "/livez", timeout=5))
                    time.sleep(0.3)
                assert all(client.is_alive() for client in clients), "a slow client was dropped"
            finally:
                stop.set()
                for client in clients:
                    client.join(timeout=5)
    assert [answer.status for answer in answers] == [200] * 5
    assert max(answer.seconds for answer in answers) < 1, [a.seconds for a in answers]


def test_the_shipped_site_configuration_is_valid_nginx(tmp_path):
    """deploy/nginx/nmdar.conf as an operator installs it, with a throwaway certificate."""
    certificate, key = tmp_path / "site.pem", tmp_path / "site.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=nmdar.example.org",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (
        SITE_CONF.read_text()
        .replace("/etc/nginx/snippets/nmdar-proxy.conf", str(PROXY_CONF))
        .replace("/etc/ssl/certs/nmdar.example.org.pem", str(certificate))
        .replace("/etc/ssl/private/nmdar.example.org.key", str(key))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "nmdar.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ include {tmp_path}/nmdar.conf; }}\n"
    )
    result = subprocess.run(
        [
            nginx_binary(),
            "-t",
            "-p",
            str(tmp_path),
            "-c",
            str(tmp_path / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
