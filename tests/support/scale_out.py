"""The scaled-out set on loopback: Redis, the sandbox, N broker processes behind nginx, and optionally the
demo provider on PostgreSQL (with the mail catcher). Each part is a real program in its own process.

Used by ``scripts/scale-out.sh`` (``python -m tests.support.scale_out``), by the scale-out tests and by the
load benchmark (``bench/load.py``). Layout (see docs/deployment.md):

    robot / browser ──► nginx :lb  ──round robin, no affinity──► databrug serve ×N ──► redis-server
                        nginx :idp ───────────────────────────► databrug-sandbox serve (DigiD, portals)
    provider demo (PostgreSQL) ──► nginx :lb (provider API);  brokers ──► provider demo (webhooks)

The sandbox sits behind nginx too, only so that one access log times every request of a journey.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from databrug.config import Settings
from databrug.provisioning import provision_provider_demo, provision_robot
from tests.support.redis_server import REDIS_FSYNC, persistence_args

NGINX = "/usr/sbin/nginx"
REDIS_SERVER = "/usr/bin/redis-server"
HINT = "run scripts/system-deps.sh (Debian packages redis-server, nginx, postgresql)"
LOG_FORMAT = "$msec $server_port $request_method $uri $status $request_time $upstream_addr"
"""One access-log line: end time (s), which front (lb / idp), method, path without query, status,
seconds from the first byte read to the last byte sent, and the broker that answered. Never the query
string (``$request``, ``$request_uri``, ``$args``): it carries page tokens (``?t=``) and DigiD codes."""
BALANCER_ADDRESS = "127.0.0.1"
"""Where nginx connects to the brokers from: their one trusted proxy (``DATABRUG_TRUSTED_PROXIES``), so the
client address a broker limits pairing by is the one nginx saw. On one machine this also trusts any local
process that connects to a broker port directly; on separate hosts it is the balancer's address only."""


class StartFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _program(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise StartFailed(f"the program '{name}' is not installed (pip install -e . in the venv)")
    return found


def _wait_http(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartFailed(f"{what} exited with {process.returncode} while starting")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise StartFailed(f"{what} did not answer {url} within {timeout:.0f} s")


def _wait_port(port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartFailed(f"{what} exited with {process.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise StartFailed(f"{what} did not listen on port {port} within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _cpu_of_tree(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0
    own = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return own + sum(_cpu_of_tree(int(child)) for child in children)


def nginx_config(directory: Path, lb_port: int, idp_port: int, brokers: list[int], sandbox_port: int) -> str:
    """Round robin over the brokers without affinity; SSE routes unbuffered; the Host header kept."""
    servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=0;" for port in brokers)
    user = ""
    if os.geteuid() == 0:  # as root, nginx workers need an unprivileged user that exists on Debian
        user = "user www-data;" if _user_exists("www-data") else "user nobody nogroup;"
    temp = directory / "temp"
    return f"""{user}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  log_format timed '{LOG_FORMAT}';
  access_log {directory}/access.log timed buffer=256k flush=1s;
  client_body_temp_path {temp}/body;
  proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi;
  scgi_temp_path {temp}/scgi;
  client_max_body_size 16m;
  upstream brokers {{
{servers}
    keepalive 128;
    keepalive_timeout 3s;
  }}
  upstream sandbox {{
    server 127.0.0.1:{sandbox_port};
    keepalive 64;
    keepalive_timeout 3s;
  }}
  server {{
    listen 127.0.0.1:{lb_port};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    location / {{
      proxy_pass http://brokers;
    }}
    # Server-sent events: pass every event on at once and keep the stream open.
    location = /c/events {{
      proxy_pass http://brokers;
      proxy_buffering off;
      proxy_cache off;
      proxy_read_timeout 1h;
    }}
    location ~ ^/api/v1/sessions/[^/]+/events$ {{
      proxy_pass http://brokers;
      proxy_buffering off;
      proxy_cache off;
      proxy_read_timeout 1h;
    }}
  }}
  server {{
    listen 127.0.0.1:{idp_port};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    location / {{
      proxy_pass http://sandbox;
    }}
  }}
}}
"""


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class ScaleOut:
    """``with ScaleOut(directory, brokers=2) as stack:`` — everything stops at the end, logs stay in
    ``directory``. ``provider=True`` adds PostgreSQL, the mail catcher and the demo provider."""

    directory: Path
    brokers: int = 2
    provider: bool = False
    broker_env: dict[str, str] = field(default_factory=dict)
    """More DATABRUG_* settings for the brokers (the load test lifts the per-address pairing limit)."""
    lb_port: int = 0
    idp_port: int = 0
    broker_ports: list[int] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack)
    _processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    redis_fsync: str = REDIS_FSYNC
    """Redis keeps an append-only file (the recipe's persistence), fsynced per write (``always``) or per
    second (``everysec``); see docs/deployment.md, "Redis persistence"."""
    _broker_settings: dict[str, str] = field(default_factory=dict)
    redis_url: str = ""
    provider_url: str = ""
    mail_url: str = ""
    database_url: str = ""

    @property
    def lb_url(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.idp_port}"

    @property
    def robot_credentials(self) -> Path:
        return self.directory / "robot-provider.json"

    @property
    def access_log(self) -> Path:
        return self.directory / "nginx" / "access.log"

    def broker_log(self, index: int) -> Path:
        return self.directory / f"broker-{index}.log"

    def _spawn(
        self,
        name: str,
        command: list[str],
        env: dict[str, str] | None = None,
        stop_signal: int = signal.SIGTERM,
        append: bool = False,
    ) -> subprocess.Popen[bytes]:
        log = (self.directory / f"{name}.log").open("ab" if append else "wb")
        self._stack.callback(log.close)
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        self._processes[name] = process
        self._stack.callback(_stop, process, stop_signal)
        return process

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each part has used so far, its child processes included (nginx
        workers, PostgreSQL backends); Linux only, from /proc."""
        tick = os.sysconf("SC_CLK_TCK")
        return {name: _cpu_of_tree(process.pid) / tick for name, process in self._processes.items()}

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory (VmRSS) of each running part's own process, children not included; Linux only."""
        sizes = {}
        for name, process in self._processes.items():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[name] = int(line.split()[1]) * 1024
        return sizes

    def exited(self) -> list[str]:
        """The parts that stopped on their own."""
        return [name for name, process in self._processes.items() if process.poll() is not None]

    def start(self) -> ScaleOut:
        self.directory.mkdir(parents=True, exist_ok=True)
        for program in (NGINX, REDIS_SERVER):
            if not Path(program).exists():
                raise StartFailed(f"{program} is missing: {HINT}")
        try:
            self._start_all()
        except BaseException:
            self._stack.close()
            raise
        return self

    def _start_all(self) -> None:
        """Slow starters overlap: the sandbox, PostgreSQL and the provider boot while the brokers do."""
        self.lb_port, self.idp_port = free_port(), free_port()
        self.broker_ports = [free_port() for _ in range(self.brokers)]
        self._start_redis()
        sandbox_port = free_port()
        sandbox = self._spawn(
            "sandbox",
            [
                _program("databrug-sandbox"), "serve", "--host", "127.0.0.1", "--port", str(sandbox_port),
                "--public-url", self.sandbox_url, "--log-level", "warning",
            ],
        )  # fmt: skip
        self._start_nginx(sandbox_port)

        provider_port = free_port() if self.provider else 0
        settings = Settings(
            host="127.0.0.1",
            public_url=self.lb_url,
            sandbox_url=self.sandbox_url,
            providers_file=self.directory / "providers.json",
            provider_port=provider_port or 8710,
            broker_secret=secrets.token_urlsafe(32),
        )
        provision_robot(settings, self.robot_credentials)
        if self.provider:
            provision_provider_demo(settings, self.directory / "gezondverzekerd.json")
            self._spawn_provider(provider_port)
        env = {
            "DATABRUG_HOST": "127.0.0.1",
            "DATABRUG_SESSION_STORE": "redis",
            "DATABRUG_REDIS_URL": self.redis_url,
            "DATABRUG_REDIS_PREFIX": "databrug",
            "DATABRUG_BROKER_SECRET": settings.broker_secret or "",
            "DATABRUG_PROVIDERS_FILE": str(settings.providers_file),
            "DATABRUG_SANDBOX_URL": self.sandbox_url,
            "DATABRUG_PUBLIC_URL": self.lb_url,
            "DATABRUG_TRUSTED_PROXIES": BALANCER_ADDRESS,
            **self.broker_env,
        }
        self._broker_settings = env
        _wait_http(f"http://127.0.0.1:{sandbox_port}/healthz", sandbox, "the sandbox")
        started = [
            self._spawn(f"broker-{i}", [_program("databrug"), "serve", "--port", str(port)], env)
            for i, port in enumerate(self.broker_ports)
        ]
        for i, (process, port) in enumerate(zip(started, self.broker_ports, strict=True)):
            _wait_http(f"http://127.0.0.1:{port}/ready", process, f"broker {i}")  # up and reaching Redis
        _wait_http(f"{self.lb_url}/ready", self._processes["nginx"], "nginx in front of the brokers")
        if self.provider:
            _wait_http(f"{self.mail_url}/healthz", self._processes["mail"], "the mail catcher")
            _wait_http(f"{self.provider_url}/health", self._processes["provider"], "the demo provider")

    def stop_broker(self, index: int, timeout: float = 60.0) -> tuple[int, float]:
        """SIGTERM broker ``index`` (it drains, docs/deployment.md) and wait for it to exit: its exit status
        and the seconds from the signal to the exit."""
        process = self._processes[f"broker-{index}"]
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=timeout)
        return returncode, time.monotonic() - signalled

    def start_broker(self, index: int) -> None:
        """Start broker ``index`` again on its port (its log goes on in the same file); wait until ready."""
        port = self.broker_ports[index]
        command = [_program("databrug"), "serve", "--port", str(port)]
        process = self._spawn(f"broker-{index}", command, self._broker_settings, append=True)
        _wait_http(f"http://127.0.0.1:{port}/ready", process, f"broker {index}")

    def _start_redis(self) -> None:
        port = free_port()
        data = self.directory / "redis"
        data.mkdir(exist_ok=True)
        process = self._spawn(
            "redis",
            [
                REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                *persistence_args(self.redis_fsync),
                "--dir", str(data), "--protected-mode", "yes", "--loglevel", "warning",
            ],
        )  # fmt: skip
        _wait_port(port, process, "redis-server")
        self.redis_url = f"redis://127.0.0.1:{port}/0"

    def _start_nginx(self, sandbox_port: int) -> None:
        directory = self.directory / "nginx"
        (directory / "temp").mkdir(parents=True, exist_ok=True)
        conf = directory / "nginx.conf"
        conf.write_text(
            nginx_config(directory, self.lb_port, self.idp_port, self.broker_ports, sandbox_port),
            encoding="utf-8",
        )
        check = subprocess.run(
            [NGINX, "-t", "-q", "-p", str(directory), "-c", str(conf)], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise StartFailed(f"nginx refused its configuration: {check.stderr.strip()[-400:]}")
        process = self._spawn("nginx", [NGINX, "-p", str(directory), "-c", str(conf), "-g", "daemon off;"])
        _wait_port(self.lb_port, process, "nginx")

    def _spawn_provider(self, provider_port: int) -> None:
        """PostgreSQL (ready before the provider migrates it at start), the mail catcher, the provider."""
        self.database_url = self._start_postgres()
        smtp_port, mail_port = free_port(), free_port()
        self._spawn(
            "mail",
            [
                _program("databrug-sandbox"), "mail", "--host", "127.0.0.1", "--smtp-port", str(smtp_port),
                "--port", str(mail_port),
            ],
        )  # fmt: skip
        self.mail_url = f"http://127.0.0.1:{mail_port}"
        self._spawn(
            "provider",
            [
                _program("databrug"), "provider-demo", "--host", "127.0.0.1", "--port", str(provider_port),
                "--database-url", self.database_url,
                "--credentials", str(self.directory / "gezondverzekerd.json"),
                "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_port), "--seed-demo-caseworker",
            ],
        )  # fmt: skip
        self.provider_url = f"http://127.0.0.1:{provider_port}"

    def _start_postgres(self) -> str:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise StartFailed(f"PostgreSQL is not installed: {HINT}")
        binaries = Path(found[-1]).parent
        # initdb refuses to run as root: the cluster then belongs to the 'postgres' system user, in a
        # directory of its own (the run directory may sit below one that user cannot enter).
        root = Path(tempfile.mkdtemp(prefix="databrug-scale-pg-"))
        self._stack.callback(shutil.rmtree, root, True)
        as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
            as_owner = ["runuser", "-u", "postgres", "--"]
        data = root / "data"
        initdb = [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        result = subprocess.run([*as_owner, *initdb], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise StartFailed(f"initdb failed: {result.stderr[-400:]}")
        port = free_port()
        process = self._spawn(
            "postgres",
            [
                *as_owner, str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
            ],
            stop_signal=signal.SIGINT,  # fast shutdown: roll back, close connections, stop
        )  # fmt: skip
        _wait_port(port, process, "PostgreSQL", timeout=30)
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while subprocess.run(
            [str(binaries / "pg_isready"), "-U", "postgres", "-h", "127.0.0.1", "-p", str(port)],
            capture_output=True,
        ).returncode:
            if time.monotonic() > deadline or process.poll() is not None:
                raise StartFailed("PostgreSQL did not accept connections")
            time.sleep(0.1)
        return url

    def stop(self) -> None:
        self._stack.close()

    def __enter__(self) -> ScaleOut:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def describe(self) -> str:
        lines = [
            f"  load balancer (nginx)       {self.lb_url}   (round robin over {self.brokers} brokers)",
            *(
                f"  broker {i}                    http://127.0.0.1:{p}"
                for i, p in enumerate(self.broker_ports)
            ),
            f"  sandbox (DigiD, portals)    {self.sandbox_url}",
            f"  session store (Redis)       {self.redis_url} (append-only file, fsync {self.redis_fsync})",
            "  probes (each broker)        /ready (503 without Redis), /health (the process serves)",
        ]
        if self.provider:
            lines += [
                f"  provider demo (PostgreSQL)  {self.provider_url}   back office /backoffice",
                f"  provider database           {self.database_url}",
                f"  mail catcher                {self.mail_url}",
            ]
        lines += [
            f"  robot journeys              databrug journey --all --credentials {self.robot_credentials}",
            f"  logs                        {self.directory}",
        ]
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/scale-out.sh",
        description="Start N brokers behind nginx on one Redis, the sandbox and the provider on PostgreSQL.",
    )
    parser.add_argument("--brokers", type=int, default=2, help="broker processes (default 2)")
    parser.add_argument("--no-provider", action="store_true", help="without PostgreSQL and the demo provider")
    parser.add_argument("--dir", type=Path, default=None, help="run directory for logs (default: a temp dir)")
    parser.add_argument("--once", action="store_true", help="start, print the URLs, stop (a smoke test)")
    parser.add_argument(
        "--redis-fsync",
        choices=["always", "everysec"],
        default=REDIS_FSYNC,
        help="when Redis fsyncs its append-only file: every write (default, the recipe's) or every second",
    )
    args = parser.parse_args(argv)
    directory = args.dir or Path(tempfile.mkdtemp(prefix="databrug-scale-"))
    stack = ScaleOut(
        directory, brokers=max(1, args.brokers), provider=not args.no_provider, redis_fsync=args.redis_fsync
    )
    try:
        stack.start()
    except StartFailed as failure:
        print(f"scale-out: {failure}", file=sys.stderr)
        return 1
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        print("Databrug scaled out:\n" + stack.describe(), flush=True)
        if not args.once:
            print("Running. Stop with Ctrl-C.", flush=True)
            while not stopping.wait(1.0):
                if stack.exited():
                    print(f"scale-out: stopped on its own: {', '.join(stack.exited())}", file=sys.stderr)
                    return 1
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
