"""Debian's nginx from a temporary prefix on a free port, with the shipped proxy settings."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.ops.servers import ROOT, fetch, free_port

PROXY_CONF = ROOT / "deploy" / "nginx" / "proxy.conf"

TOP_LEVEL = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream app {{
        server 127.0.0.1:{upstream};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {proxy_conf};
        location / {{
            proxy_pass http://app;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    """Debian's nginx: required in CI (`.ci/run` installs it), skipped without it elsewhere."""
    found = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if found is None:
        message = "nginx is not installed: apt-get install nginx (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


class Nginx:
    """nginx on a free loopback port in front of `upstream_port`, as deploy/nginx/ sets it up."""

    def __init__(self, upstream_port: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.upstream_port = upstream_port
        self.prefix: Path | None = None
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Nginx:
        binary = nginx_binary()
        # Not under pytest's tmp_path: run as root, nginx's worker drops to nobody and must be
        # able to reach its temporary files.
        self.prefix = Path(tempfile.mkdtemp(prefix="nmdar-nginx-"))
        self.prefix.chmod(0o755)
        config = self.prefix / "nginx.conf"
        config.write_text(
            TOP_LEVEL.format(
                prefix=self.prefix,
                port=self.port,
                upstream=self.upstream_port,
                proxy_conf=PROXY_CONF,
            )
        )
        command = [
            binary,
            "-p",
            str(self.prefix),
            "-c",
            str(config),
            "-e",
            str(self.prefix / "error.log"),
            "-g",
            "daemon off;",
        ]
        self.process = subprocess.Popen(command, start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{self.errors()}")
            try:
                fetch(self.base, "/livez", timeout=2)
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not answer:\n{self.errors()}")

    def errors(self) -> str:
        log = self.prefix / "error.log"
        return log.read_text() if log.exists() else ""

    def __exit__(self, *exc) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGQUIT)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=10)
        finally:
            shutil.rmtree(self.prefix, ignore_errors=True)
