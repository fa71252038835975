"""A loopback HTTPS Git server for mirror tests: `git http-backend` behind a TLS WSGI server."""
from __future__ import annotations

import base64
import os
import shutil
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def make_certificate(directory: Path, names: Iterable[str] = (), address: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for ``address`` (and the DNS ``names``) made with the openssl command."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    alt = ",".join([f"IP:{address}", *(f"DNS:{name}" for name in names)])
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={address}",
         "-addext", f"subjectAltName={alt}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


class GitHttpsServer:
    """Serves bare repositories under ``root`` over smart HTTP with TLS.

    Paths starting with ``/private/`` need HTTP basic auth ``user:secret``;
    ``seen_auth`` records the Authorization headers received. A path
    starting with a key of ``redirects`` is answered with a 302 to that
    value plus the rest of the path; ``seen_paths`` records every request.
    """

    def __init__(self, root: Path, cert: Path, key: Path, address: str = "127.0.0.1"):
        self.root = root
        self.address = address
        self.seen_auth: list[str] = []
        self.seen_paths: list[str] = []
        self.redirects: dict[str, str] = {}
        backend = Path(subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True).stdout.strip()) / "git-http-backend"
        self.backend = str(backend)
        self.server: WSGIServer = make_server(address, 0, self.app, handler_class=_QuietHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"https://{self.address}:{self.server.server_port}"

    @property
    def port(self) -> int:
        return self.server.server_port

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if auth:
            self.seen_auth.append(auth)
        path = environ.get("PATH_INFO", "")
        self.seen_paths.append(path)
        for prefix, target in self.redirects.items():
            if path.startswith(prefix):
                query = environ.get("QUERY_STRING", "")
                location = target + path[len(prefix):] + (f"?{query}" if query else "")
                start_response("302 Found", [("Location", location), ("Content-Length", "0")])
                return [b""]
        if path.startswith("/private/") and auth != "Basic " + base64.b64encode(b"user:secret").decode():
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"'), ("Content-Length", "0")])
            return [b""]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": environ["REQUEST_METHOD"],
            "PATH_INFO": path,
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        if environ.get("HTTP_GIT_PROTOCOL"):
            env["GIT_PROTOCOL"] = environ["HTTP_GIT_PROTOCOL"]
        out = subprocess.run([self.backend], input=body, env=env, capture_output=True, check=False).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = "200 OK"
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                headers.append((name, value.strip()))
        start_response(status, headers)
        return [payload]

    def __enter__(self) -> "GitHttpsServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def openssl_available() -> bool:
    return shutil.which("openssl") is not None
