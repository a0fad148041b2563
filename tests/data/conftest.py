"""Fixtures for the fastmlp.data tests: an isolated environment and an HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

from fastmlp.data import sources


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Isolate every place the loaders look: env vars, home, cache, system folders, mirrors."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    for var in (sources.DATA_ENV, *sources.MIRROR_ENV.values()):
        monkeypatch.delenv(var, raising=False)
    for name in sources.DATASET_NAMES:
        monkeypatch.setitem(sources.SYSTEM_DIRS, name, tmp_path / "system" / name)
    # Never reach the real mirrors from a test.
    monkeypatch.setattr(sources, "MNIST_MIRRORS", ())
    monkeypatch.setattr(sources, "FASHION_MNIST_MIRRORS", ())

    class Env:
        root = tmp_path
        cache = tmp_path / "xdg" / "fastmlp"
        system = tmp_path / "system"

    return Env


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server dispatches to
        self.server.hits.append(self.path)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        body, declared, stall, drip = route
        if stall:
            self.server.release.wait(10)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(declared if declared is not None else len(body)))
        self.end_headers()
        if drip is None:
            self.wfile.write(body)
            return
        # One byte every `drip` seconds: each read gets data before any socket timeout.
        for i in range(len(body)):
            if self.server.release.wait(drip):  # the test is over
                return
            try:
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
            except OSError:  # the client gave up
                return

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1; add routes with ``server.serve(path, body, ...)``."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes, httpd.hits, httpd.release = {}, [], threading.Event()
    # A short poll interval keeps shutdown() (which waits for one poll) quick.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()

    def serve(path, body, *, declared=None, stall=False, drip=None):
        httpd.routes[path] = (body, declared, stall, drip)

    httpd.serve = serve
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
