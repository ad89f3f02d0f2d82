"""prefect.yaml on a real Prefect server: deploy everything, run process-backlog on a worker.

Real parts throughout: ``prefect server start`` (its own PREFECT_HOME and SQLite database
under tmp_path, 127.0.0.1 only), the ``sohoa-process`` process work pool,
``prefect deploy --all`` from the checkout, ``sohoa enqueue`` on embedded defaults (SQLite and
the local SeaweedFS S3), ``prefect deployment run`` and ``prefect worker start --run-once``,
whose flow-run process finds the code through SOHOA_CHECKOUT and runs Tesseract.

The server runs without its scheduler service: otherwise the worker would also pick up the
first scheduled runs of the other deployments (the hot folder of prefect.yaml does not exist
here). The schedules themselves are checked on the deployments the server holds.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import pytest
import yaml

from flows.local_s3 import stop_local_s3

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from prefect.client.schemas.responses import DeploymentResponse

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
PAGES = ("ks_2018_01.png", "qd_2018_tthc.png")
POOL = "sohoa-process"
PROJECT = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
STARTUP_TIMEOUT = 90.0
CLI_TIMEOUT = 120.0
WORKER_TIMEOUT = 300.0

pytestmark = [
    pytest.mark.prefect_server,
    pytest.mark.e2e,
    pytest.mark.tesseract,
    pytest.mark.s3,
]


@dataclass
class Server:
    """A running ``prefect server start`` and the environment of its clients."""

    api_url: str
    env: dict[str, str]
    log: Path
    logs: list[Path]  # every log worth a tail when something fails

    def tails(self, lines: int = 40) -> str:
        return "\n".join(f"--- {p.name} (end) ---\n{_tail(p, lines)}" for p in self.logs)


def _tail(path: Path, lines: int) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _base_env(prefect_home: Path) -> dict[str, str]:
    """This process's environment without any Prefect profile or sohoa settings of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SOHOA_"))}
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        OMP_THREAD_LIMIT="1",
        COLUMNS="200",  # rich tables and panels in the logs, unwrapped
    )
    return env


def _stop_group(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # children that outlived the leader
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _run(
    args: list[str], env: dict[str, str], log: Path, *, cwd: Path = ROOT, timeout: float
) -> tuple[int, str]:
    """Run a command in its own process group, its output appended to ``log``.

    Returns the exit code (-1 on timeout, the whole group is killed) and this run's output.
    """
    start = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        out.write(f"$ {' '.join(args)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = -1
        finally:
            _stop_group(proc)
    with log.open("rb") as f:
        f.seek(start)
        return code, f.read().decode("utf-8", errors="replace")


def _prefect(
    server: Server,
    *args: str,
    log: Path,
    timeout: float = CLI_TIMEOUT,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
) -> str:
    """Run the prefect CLI of this interpreter against the server; fail with the log tails."""
    cmd = [sys.executable, "-m", "prefect", *args]
    code, out = _run(cmd, server.env | (env or {}), log, cwd=cwd, timeout=timeout)
    assert code == 0, f"{' '.join(args)}: exit {code}\n{out[-4000:]}\n{server.tails()}"
    return out


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A Prefect server on a free 127.0.0.1 port with its database under tmp_path."""
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = _base_env(tmp_path / "prefect-home")
    server_env = env | {
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
    }
    log = tmp_path / "server.log"
    args = ["server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", *args],
            cwd=tmp_path,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    srv = Server(api_url, env | {"PREFECT_API_URL": api_url}, log, [log])
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert proc.poll() is None, f"the server exited ({proc.returncode})\n{srv.tails()}"
            try:
                with urllib.request.urlopen(f"{api_url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no answer on {api_url}/health\n{srv.tails()}"
            time.sleep(0.5)
        yield srv
    finally:
        _stop_group(proc)


@pytest.fixture
def sohoa_home(tmp_path: Path) -> Iterator[Path]:
    """A fresh SOHOA_HOME on embedded defaults; its S3 server is stopped afterwards."""
    home = tmp_path / "sohoa-home"
    try:
        yield home
    finally:
        stop_local_s3(home)


def _enqueue(server: Server, home: Path, folder: Path, log: Path) -> int:
    cmd = [sys.executable, "-m", "flows.cli", "enqueue", str(folder)]
    cmd += ["--book-type", "khai_sinh", "--agency", "001.02.03", "--book", "01/2018"]
    cmd += ["--years", "2018"]
    env = {k: v for k, v in server.env.items() if k != "PREFECT_API_URL"}
    code, out = _run(cmd, env | {"SOHOA_HOME": str(home)}, log, timeout=CLI_TIMEOUT)
    assert code == 0, out[-4000:]
    found = re.search(r"Lô (\d+):", out)
    assert found, out[-4000:]
    return int(found.group(1))


def _deployments(api_url: str) -> list[tuple[str, DeploymentResponse]]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        with get_client(sync_client=True) as client:
            deps = client.read_deployments()
            flows = {f.id: f.name for f in client.read_flows()}
    return [(flows[d.flow_id], d) for d in deps]


def _flow_run(api_url: str, run_id: UUID) -> FlowRun:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        with get_client(sync_client=True) as client:
            return client.read_flow_run(run_id)


def test_deploy_all_and_drain_the_backlog_on_a_process_worker(
    tmp_path: Path, server: Server, sohoa_home: Path
) -> None:
    cli_log, worker_log = tmp_path / "cli.log", tmp_path / "worker.log"
    server.logs += [cli_log, worker_log]

    # the pool and every deployment of prefect.yaml, deployed from the checkout
    _prefect(server, "work-pool", "create", POOL, "--type", "process", log=cli_log)
    _prefect(server, "--no-prompt", "deploy", "--all", log=cli_log)
    deployed = {d.name: (flow, d) for flow, d in _deployments(server.api_url)}
    for spec in PROJECT["deployments"]:
        assert spec["name"] in deployed, f"{spec['name']} not deployed\n{server.tails()}"
        _flow, dep = deployed[spec["name"]]
        assert dep.work_pool_name == POOL
        assert dep.entrypoint == spec["entrypoint"]
        assert len(dep.schedules) == len(spec.get("schedules") or [])
        assert all(s.active for s in dep.schedules)
    assert len(deployed) == len(PROJECT["deployments"])
    flow_name = deployed["process-backlog"][0]

    # a backlog: one book of two pages, registered and its masters stored, not processed
    book = tmp_path / "book"
    book.mkdir()
    for name in PAGES:
        shutil.copy2(SAMPLES / name, book / name)
    batch_id = _enqueue(server, sohoa_home, book, cli_log)

    # a run of process-backlog, taken by a process worker started outside the checkout
    out = _prefect(
        server,
        *("deployment", "run", f"{flow_name}/process-backlog"),
        *("--param", f"batch_id={batch_id}"),
        log=cli_log,
    )
    found = re.search(r"UUID: ([0-9a-f-]{36})", out)
    assert found, out
    run_id = UUID(found.group(1))
    worker_env = {
        "SOHOA_HOME": str(sohoa_home),
        "SOHOA_CHECKOUT": str(ROOT),
        "OMP_THREAD_LIMIT": "1",
    }
    (tmp_path / "station").mkdir()
    _prefect(
        server,
        *("worker", "start", "--pool", POOL, "--run-once"),
        log=worker_log,
        timeout=WORKER_TIMEOUT,
        env=worker_env,
        cwd=tmp_path / "station",
    )

    run = _flow_run(server.api_url, run_id)
    assert run.state is not None and run.state.is_completed(), (
        f"flow run {run_id}: {run.state!r}\n{server.tails(80)}"
    )
    assert run.parameters == {"lease_seconds": 120, "batch_id": batch_id}

    # every page processed exactly once, by the flow run
    with sqlite3.connect(sohoa_home / "sohoa.db") as conn:
        pages = conn.execute(
            "SELECT id, status, claimed_by, ocr_text_key FROM pages WHERE batch_id = ?",
            (batch_id,),
        ).fetchall()
        runs = conn.execute(
            "SELECT r.page_id, r.outcome FROM page_runs r JOIN pages p ON p.id = r.page_id "
            "WHERE p.batch_id = ?",
            (batch_id,),
        ).fetchall()
    detail = f"pages {pages}, page_runs {runs}\n{server.tails(80)}"
    assert len(pages) == len(PAGES), detail
    assert {(status, claimed) for _id, status, claimed, _k in pages} == {("processed", None)}, (
        detail
    )
    assert all(key for *_rest, key in pages), detail
    assert Counter(pid for pid, _o in runs) == Counter(pid for pid, *_rest in pages), detail
    assert {outcome for _pid, outcome in runs} == {"done"}, detail
