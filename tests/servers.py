"""Throwaway MariaDB, PostgreSQL and S3-compatible servers for the test suite.

Each server lives in its own temporary directory (data, unix socket, logs), listens on a free
port on 127.0.0.1 only, and is gone again after ``Server.stop()``::

    with start_postgresql() as server:
        engine = sqlalchemy.create_engine(server.url)

Nothing is registered globally: whoever starts a server stops it.  When running as root (as CI
does) the servers run as the unprivileged user ``nobody``, because PostgreSQL refuses to run as
root.

The administrators connect as before (MariaDB ``dj``/``dj``; PostgreSQL ``postgres`` without a
password); every other login needs its password (PostgreSQL: ``scram-sha-256``).
``create_user`` makes such logins for the access-control tests. ``tls=True`` starts a server
with TLS, on a certificate signed by a throwaway CA made for it (``Server.certificate``).

``python tests/servers.py`` starts both servers, prints ``export DJ_SQLA_TEST_..._URL=...`` lines
and keeps them running until interrupted, so they can be reused across pytest runs.
"""

from __future__ import annotations

import contextlib
import glob
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psycopg2  # type: ignore[import-untyped]  # no type stubs installed
import pymysql  # type: ignore[import-untyped]  # no type stubs installed
from sqlalchemy import make_url

STARTUP_TIMEOUT = 60.0  # seconds until a server must accept connections
STOP_TIMEOUT = 20.0  # seconds a server gets to shut down before it is killed
MAX_SOCKET_PATH = 100  # unix socket paths are limited to ~107 bytes on Linux


@dataclass(frozen=True)
class Certificate:
    """A throwaway CA and a server certificate it signed (for 127.0.0.1 and localhost)."""

    ca: Path
    cert: Path
    key: Path


@dataclass
class Server:
    """A running throwaway database server."""

    name: str  # "mysql" or "postgresql"
    url: str  # SQLAlchemy URL
    process: subprocess.Popen[bytes]
    tmpdir: Path
    log: Path
    stop_signal: signal.Signals = signal.SIGTERM
    args: list[str] = field(default_factory=list)  # the server's command line
    ready: Callable[[], None] | None = None  # connects once, or raises
    certificate: Certificate | None = None  # the server's TLS certificate (tls=True)

    def restart(self) -> None:
        """Stop the server process and start it again on the same data and port (the fault
        tests: every client connection dies, and new ones work once it is back)."""
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _kill_group(self.process)
        self.process = _spawn(self.args, self.tmpdir, self.log, as_service=self.name != "s3")
        if self.ready is not None:
            _wait_until_ready(self, self.ready)

    def stop(self) -> None:
        """Shut the server down (kill it if it takes too long) and delete its directory."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(self.stop_signal)
                try:
                    self.process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    _kill_group(self.process)
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_postgresql(*, tls: bool = False) -> Server:
    """Start a PostgreSQL server; connect as ``postgres`` (trust auth) to database ``postgres``.

    Other roles log in with their password (scram-sha-256). With ``tls``, the server offers
    TLS, and members of the role ``dj_tls_required`` are refused without it."""
    initdb = _find("initdb", "postgresql", ["/usr/lib/postgresql/*/bin"])
    # The server must be initdb's version: prefer the one next to it (initdb may be a symlink).
    postgres = str(Path(initdb).resolve().with_name("postgres"))
    if not os.access(postgres, os.X_OK):
        postgres = _find("postgres", "postgresql", ["/usr/lib/postgresql/*/bin"])
    tmpdir = _make_tmpdir("djpg")
    data, log = tmpdir / "data", tmpdir / "server.log"
    try:
        _run(
            [
                initdb,
                *("-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"),
                *("--no-sync", "--locale=C"),
            ],
            tmpdir,
            tmpdir / "initdb.log",
        )
        _write_pg_hba(data / "pg_hba.conf", tls=tls)
        certificate = make_certificate(tmpdir) if tls else None
        settings = {
            "listen_addresses": "127.0.0.1",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "password_encryption": "scram-sha-256",
        }
        if certificate is not None:
            settings.update(
                ssl="on",
                ssl_cert_file=str(certificate.cert),
                ssl_key_file=str(certificate.key),
                ssl_ca_file=str(certificate.ca),
            )
        port = _free_port()  # as late as possible: someone else might grab it meanwhile
        args = [postgres, "-D", str(data), "-p", str(port), "-k", str(tmpdir)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        process = _spawn(args, tmpdir, log)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for all clients to disconnect.
    server = Server(
        name="postgresql",
        url=f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres",
        process=process,
        tmpdir=tmpdir,
        log=log,
        stop_signal=signal.SIGINT,
        args=args,
        certificate=certificate,
    )

    def connect() -> None:
        psycopg2.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=5
        ).close()

    server.ready = connect
    try:
        _wait_until_ready(server, connect)
        if tls:
            _admin_statements(server.url, ["CREATE ROLE dj_tls_required NOLOGIN"])
    except BaseException:
        server.stop()
        raise
    return server


def _write_pg_hba(path: Path, *, tls: bool) -> None:
    """The superuser needs no password (as the tests always had it); everyone else does."""
    lines = [
        "local all postgres trust",
        "host all postgres 127.0.0.1/32 trust",
        *(["hostnossl all +dj_tls_required 127.0.0.1/32 reject"] if tls else []),
        "local all all scram-sha-256",
        "host all all 127.0.0.1/32 scram-sha-256",
    ]
    path.write_text("\n".join(lines) + "\n")
    service = _service_user()
    if service is not None:
        shutil.chown(path, *service)


def start_mariadb(*, tls: bool = False) -> Server:
    """Start a MariaDB server with user ``dj`` (password ``dj``) holding all privileges
    (with ``tls``: offering TLS on a certificate of its own)."""
    install_db = _find("mariadb-install-db", "mariadb-server", alternatives=["mysql_install_db"])
    mariadbd = _find("mariadbd", "mariadb-server", ["/usr/sbin"], alternatives=["mysqld"])
    tmpdir = _make_tmpdir("djmy")
    data, log, sock = tmpdir / "data", tmpdir / "server.log", tmpdir / "mysqld.sock"
    # Passed to mariadb-install-db too (it hands unknown options on to the server), so the
    # bootstrap creates a redo log of the size the server expects.
    innodb = ["--innodb-log-file-size=16M", "--innodb-buffer-pool-size=256M"]
    try:
        # No --user: the process already runs as the target user, and --user would make the
        # script try (and fail, noisily) to chown MariaDB's PAM helper.
        _run(
            [
                install_db,
                "--no-defaults",
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                *innodb,
            ],
            tmpdir,
            tmpdir / "install-db.log",
        )
        port = _free_port()  # as late as possible: someone else might grab it meanwhile
        args = [
            mariadbd,
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={sock}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={tmpdir / 'mysqld.pid'}",
            f"--log-error={log}",
            f"--tmpdir={tmpdir}",
            "--skip-name-resolve",
            "--local-infile=1",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--skip-log-bin",
            "--max-connections=200",
            *innodb,
        ]
        certificate = make_certificate(tmpdir) if tls else None
        if certificate is not None:
            args += [
                f"--ssl-ca={certificate.ca}",
                f"--ssl-cert={certificate.cert}",
                f"--ssl-key={certificate.key}",
            ]
        # mariadbd writes to its log itself (--log-error) once it gets going
        process = _spawn(args, tmpdir, log)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    server = Server(
        name="mysql",
        url=f"mysql+pymysql://dj:dj@127.0.0.1:{port}",
        process=process,
        tmpdir=tmpdir,
        log=log,
        args=args,
        certificate=certificate,
    )

    def connect_as_root() -> None:
        # Probe first: pymysql leaks (ResourceWarning) its socket if the unix connect fails.
        with socket.socket(socket.AF_UNIX) as probe:
            probe.connect(str(sock))
        pymysql.connect(unix_socket=str(sock), user="root", connect_timeout=5).close()

    server.ready = connect_as_root
    try:
        _wait_until_ready(server, connect_as_root)
        _create_mysql_user(sock, port)
    except BaseException:
        server.stop()
        raise
    return server


def _create_mysql_user(sock: Path, port: int) -> None:
    root = pymysql.connect(unix_socket=str(sock), user="root", autocommit=True)
    try:
        with root.cursor() as cursor:
            for host in ("%", "localhost"):
                cursor.execute(f"CREATE USER 'dj'@'{host}' IDENTIFIED BY 'dj'")
                cursor.execute(f"GRANT ALL PRIVILEGES ON *.* TO 'dj'@'{host}' WITH GRANT OPTION")
    finally:
        root.close()
    pymysql.connect(host="127.0.0.1", port=port, user="dj", password="dj").close()


# --- logins and certificates ----------------------------------------------------------------


def create_user(admin_url: str, name: str, password: str, *, require_tls: bool = False) -> str:
    """Create a login without privileges (a MariaDB user for any host, a PostgreSQL role) and
    return its URL; ``require_tls`` refuses it connections without TLS."""
    url = make_url(admin_url)
    if url.get_backend_name() == "postgresql":
        statements = [(f'CREATE ROLE "{name}" LOGIN PASSWORD %s', (password,))]
        if require_tls:
            statements.append((f'GRANT dj_tls_required TO "{name}"', ()))
    else:
        tls = " REQUIRE SSL" if require_tls else ""
        statements = [(f"CREATE USER %s@'%%' IDENTIFIED BY %s{tls}", (name, password))]
    _admin_statements(admin_url, statements)
    return url.set(username=name, password=password).render_as_string(hide_password=False)


def drop_users(admin_url: str, names: Sequence[str]) -> None:
    """Drop logins made by :func:`create_user`, with whatever they own and were granted."""
    if make_url(admin_url).get_backend_name() == "postgresql":
        statements = [
            statement
            for name in names
            for statement in (f'DROP OWNED BY "{name}"', f'DROP ROLE IF EXISTS "{name}"')
        ]
    else:
        statements = [f"DROP USER IF EXISTS '{name}'@'%'" for name in names]
    _admin_statements(admin_url, statements)


def _admin_statements(
    admin_url: str, statements: Sequence[str | tuple[str, tuple[str, ...]]]
) -> None:
    """Run statements as the server's administrator, each committed at once."""
    url = make_url(admin_url)
    if url.get_backend_name() == "postgresql":
        conn = psycopg2.connect(
            host=url.host, port=url.port, user=url.username, dbname=url.database or "postgres"
        )
        conn.autocommit = True
    else:
        conn = pymysql.connect(
            host=url.host, port=url.port, user=url.username, password=url.password, autocommit=True
        )
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                sql, args = statement if isinstance(statement, tuple) else (statement, None)
                cursor.execute(sql, args)
    finally:
        conn.close()


def make_certificate(directory: Path) -> Certificate:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost it signed, written to
    ``directory`` with the ``openssl`` command (readable by the servers' user only)."""
    openssl = _find("openssl", "openssl")
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key, request = (
        directory / "server.pem",
        directory / "server.key",
        directory / "server.csr",
    )
    extensions = directory / "server.ext"
    extensions.write_text(
        "basicConstraints = CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        [
            *("req", "-x509", *ec, "-days", "2", "-subj", "/CN=dj_sqla test CA"),
            *("-keyout", str(ca_key), "-out", str(ca)),
            *("-addext", "basicConstraints=critical,CA:TRUE"),
            *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
        ],
        [
            *("req", *ec, "-subj", "/CN=127.0.0.1"),
            *("-keyout", str(key), "-out", str(request)),
        ],
        [
            *("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key)),
            *("-CAcreateserial", "-days", "2", "-out", str(cert), "-extfile", str(extensions)),
        ],
    ]
    for command in commands:
        done = subprocess.run([openssl, *command], capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"openssl {command[0]} failed: {done.stderr.decode(errors='replace')}"
            )
    service = _service_user()
    for path in (ca, cert, key):
        path.chmod(0o600 if path == key else 0o644)
        if service is not None:
            shutil.chown(path, *service)
    return Certificate(ca=ca, cert=cert, key=key)


#: Buckets the S3 server is started with; the store tests use them.
S3_BUCKETS = ("dj-sqla-test", "dj-sqla-other")


def start_s3(buckets: Sequence[str] = S3_BUCKETS) -> Server:
    """Start an S3-compatible server (moto's standalone server) holding empty ``buckets``.

    Its ``url`` is the endpoint (``http://127.0.0.1:PORT``); it takes any access key.
    """
    tmpdir = _make_tmpdir("djs3")
    log = tmpdir / "server.log"
    port = _free_port()
    args = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    try:
        # as this user: the server is this Python (whose files the service user may not read)
        process = _spawn(args, tmpdir, log, as_service=False)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    url = f"http://127.0.0.1:{port}"
    server = Server(name="s3", url=url, process=process, tmpdir=tmpdir, log=log, args=args)

    def answer() -> None:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=5):
            pass

    server.ready = answer
    try:
        _wait_until_ready(server, answer)
        for bucket in buckets:
            request = urllib.request.Request(f"{url}/{bucket}", method="PUT")
            with urllib.request.urlopen(request, timeout=10):
                pass
    except BaseException:
        server.stop()
        raise
    return server


# --- helpers ---------------------------------------------------------------------------------


def _find(
    name: str, package: str, dirs: Sequence[str] = (), alternatives: Sequence[str] = ()
) -> str:
    """Locate a server binary on PATH or in ``dirs`` (glob patterns, newest version first)."""
    for candidate in (name, *alternatives):
        found = shutil.which(candidate)
        if found:
            return found
        for pattern in dirs:
            for directory in sorted(glob.glob(pattern), key=_version_key, reverse=True):
                path = Path(directory, candidate)
                if os.access(path, os.X_OK):
                    return str(path)
    raise RuntimeError(f"{name!r} not found; install the Debian package {package!r}")


def _version_key(path: str) -> list[int]:
    """Sort key for paths like /usr/lib/postgresql/15/bin (numerically by version)."""
    return [int(part) for part in Path(path).parent.name.split(".") if part.isdigit()]


def _service_user() -> tuple[str, str] | None:
    """The (user, group) to run servers as: ``nobody`` when root, else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    user = pwd.getpwnam("nobody")
    try:
        group = grp.getgrnam("nogroup").gr_name
    except KeyError:
        group = grp.getgrgid(user.pw_gid).gr_name
    return user.pw_name, group


def _make_tmpdir(prefix: str) -> Path:
    tmpdir = tempfile.mkdtemp(prefix=f"{prefix}-")
    # Sockets must fit in sun_path; fall back to /tmp if $TMPDIR is deeply nested.
    if len(tmpdir) > MAX_SOCKET_PATH - 20:
        os.rmdir(tmpdir)
        tmpdir = tempfile.mkdtemp(prefix=f"{prefix}-", dir="/tmp")
    service = _service_user()
    if service is not None:
        shutil.chown(tmpdir, *service)
    return Path(tmpdir)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _spawn(
    args: list[str], cwd: Path, log: Path, *, as_service: bool = True
) -> subprocess.Popen[bytes]:
    """Start ``args`` in its own session (as the service user, unless ``as_service`` is
    False), output appended to ``log``."""
    service = _service_user() if as_service else None
    user, group = service if service is not None else (None, None)
    with log.open("ab") as out:
        if service is not None:
            shutil.chown(log, *service)  # mariadbd reopens its --log-error file itself
        return subprocess.Popen(
            args,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C meant for pytest does not hit the server
            user=user,
            group=group,
            extra_groups=[] if service is not None else None,  # drop root's groups
        )


def _run(args: list[str], cwd: Path, log: Path) -> None:
    """Run an initialisation command to completion; raise with its output if it fails."""
    process = _spawn(args, cwd, log)
    try:
        returncode = process.wait(STARTUP_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise RuntimeError(f"{args[0]} timed out:\n{_tail(log)}") from None
    except BaseException:  # Ctrl-C
        _kill_group(process)
        raise
    if returncode != 0:
        raise RuntimeError(f"{args[0]} failed with exit code {returncode}:\n{_tail(log)}")


def _wait_until_ready(server: Server, connect: Callable[[], None]) -> None:
    """Poll ``connect`` until it succeeds; raise RuntimeError if it never does."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    error: Exception | None = None
    while server.process.poll() is None and time.monotonic() < deadline:
        try:
            connect()
            return
        except Exception as exc:
            error = exc
            time.sleep(0.1)
    if server.process.poll() is not None:
        problem = f"exited with code {server.process.returncode}"
    else:
        problem = f"did not accept connections within {STARTUP_TIMEOUT:.0f} s ({error})"
    raise RuntimeError(f"{server.name} server {problem}; end of its log:\n{_tail(server.log)}")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(could not read {log}: {error})"


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    """Start both servers, print their URLs and keep them up until SIGINT/SIGTERM."""
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    for signum in stop_signals:
        signal.signal(signum, _exit_on_signal)
    servers: list[Server] = []
    try:
        for start in (start_mariadb, start_postgresql, start_s3):
            began = time.monotonic()
            servers.append(start())
            elapsed = time.monotonic() - began
            print(f"{servers[-1].name} ready in {elapsed:.1f} s", file=sys.stderr, flush=True)
        for server in servers:
            print(f"export DJ_SQLA_TEST_{server.name.upper()}_URL={server.url}", flush=True)
        print("Ctrl-C (or SIGTERM) stops the servers", file=sys.stderr, flush=True)
        while True:
            signal.pause()
    finally:
        for signum in stop_signals:
            signal.signal(signum, signal.SIG_IGN)  # let the shutdown finish
        for server in reversed(servers):
            server.stop()


if __name__ == "__main__":
    main()
