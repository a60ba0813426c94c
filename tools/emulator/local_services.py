"""Real local stand-ins for RDS and ElastiCache: a throwaway PostgreSQL 15 cluster and redis-server.

The emulator's RDS and ElastiCache only model the control plane; schema migrations and
the checklist's "can connect" items need real servers, which these provide on loopback.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from . import process
from .config import Settings

PG_MAJOR = "15"


def _pg_bindir() -> Path:
    candidate = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
    if (candidate / "postgres").exists():
        return candidate
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
        found = Path(out.stdout.strip())
        if (found / "postgres").exists():
            return found
    raise RuntimeError(f"PostgreSQL {PG_MAJOR} server binaries not found (apt-get install postgresql-{PG_MAJOR})")


def _as_owner() -> list[str]:
    # initdb/postgres refuse to run as root; run them as the postgres system user then.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _pg_base(cfg: Settings) -> Path:
    """The cluster lives in the state dir unless the postgres user cannot reach it.

    Running as root from a private directory (e.g. under /root or a 0700 temp dir), the
    postgres user cannot traverse the path; the cluster then goes to a directory of its
    own under /var/tmp, named after the state dir so several checkouts do not collide.
    """
    base = cfg.state_dir / "postgres"
    if os.geteuid() != 0:
        return base
    probe = subprocess.run([*_as_owner(), "test", "-x", str(cfg.state_dir)], capture_output=True, check=False)
    if probe.returncode == 0:
        return base
    digest = hashlib.sha256(str(cfg.state_dir.resolve()).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"credlink-postgres-{digest}"


def _pg_dirs(cfg: Settings) -> tuple[Path, Path, Path]:
    """Cluster base, data directory and unix socket directory.

    The socket goes to /tmp (the socket file carries the port), so clients such as
    inventories/local find it without knowing where the cluster lives.
    """
    base = _pg_base(cfg)
    return base, base / "data", Path("/tmp")


def _enable_ssl_only(data: Path) -> None:
    """Serve TLS with a self-signed certificate and refuse plain TCP, as rds.force_ssl=1 does."""
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (data / "server.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (data / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.chmod(data / "server.key", 0o600)
    hba = data / "pg_hba.conf"
    lines = [("hostssl" + line[4:]) if line.startswith("host ") else line for line in hba.read_text().splitlines()]
    hba.write_text("\n".join(lines) + "\n")
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# credlink emulator: TLS only, as RDS with rds.force_ssl=1\nssl = on\n")
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (data / "server.key", data / "server.crt", hba):
            os.chown(path, owner.pw_uid, owner.pw_gid)


# What the RDS stand-in loads at start, as the RDS parameter group and engine do:
# - pg_stat_statements is preloaded (roles/database/defaults: database_parameters
#   shared_preload_libraries), so migration V005 can create the extension;
# - the master user may create that extension without being a superuser. On RDS it is a
#   member of rds_superuser, which may "add extensions that are available for use with
#   Amazon RDS" (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/
#   Appendix.PostgreSQL.CommonDBATasks.Roles.rds_superuser.html). PostgreSQL 15 itself
#   lets only superusers create an untrusted extension such as pg_stat_statements, so
#   the stand-in loads pgextwlist (Debian: postgresql-15-pgextwlist): an allow-list of
#   extensions that non-superusers may create, whose script then runs as the bootstrap
#   superuser, as on RDS. Only pg_stat_statements is listed; credlink_admin stays a
#   plain CREATEDB/CREATEROLE user.
PRELOADED = "pg_stat_statements"
USER_CREATABLE_EXTENSIONS = "pg_stat_statements"


def _rds_like_options() -> str:
    plugin = _pg_bindir().parent / "lib" / "plugins" / "pgextwlist.so"
    if not plugin.exists():
        raise RuntimeError(f"{plugin} not found (apt-get install postgresql-{PG_MAJOR}-pgextwlist): the RDS stand-in "
                           "needs it to let the master user create pg_stat_statements, as rds_superuser may")
    return (f"-c shared_preload_libraries={PRELOADED} -c local_preload_libraries=pgextwlist "
            f"-c extwlist.extensions={USER_CREATABLE_EXTENSIONS}")


def _pg_ctl(cfg: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    _, data, _ = _pg_dirs(cfg)
    argv = [*_as_owner(), str(_pg_bindir() / "pg_ctl"), "-D", str(data), *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def postgres_start(cfg: Settings) -> str:
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    base, data, run = _pg_dirs(cfg)
    if postgres_status(cfg)[0]:
        return f"postgres: already running on {cfg.host}:{cfg.postgres_port}"
    if process.port_open(cfg.host, cfg.postgres_port):
        raise RuntimeError(f"port {cfg.postgres_port} is taken by another program; set CREDLINK_PG_PORT")
    base.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
    if not (data / "PG_VERSION").exists():
        # Trust only on the private unix socket; TCP clients must use a password, as on RDS.
        init = subprocess.run(
            [*_as_owner(), str(_pg_bindir() / "initdb"), "-D", str(data), "-U", "postgres",
             "-E", "UTF8", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions"],
            capture_output=True, text=True, check=False,
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed in {data}: {(init.stderr or init.stdout).strip()}")
        _enable_ssl_only(data)
    options = f"-p {cfg.postgres_port} -k {run} -c listen_addresses={cfg.host} {_rds_like_options()}"
    result = _pg_ctl(cfg, "-l", str(base / "postgres.log"), "-o", options, "-w", "-t", "60", "start")
    if result.returncode != 0:
        raise RuntimeError(f"postgres failed to start: {result.stderr.strip() or result.stdout.strip()}")
    return f"postgres: started on {cfg.host}:{cfg.postgres_port} (socket dir {run})"


def postgres_stop(cfg: Settings) -> str:
    if not postgres_status(cfg)[0]:
        return "postgres: not running"
    _pg_ctl(cfg, "-m", "fast", "-w", "stop")
    return "postgres: stopped"


def postgres_status(cfg: Settings) -> tuple[bool, str]:
    _, data, _ = _pg_dirs(cfg)
    if not (data / "PG_VERSION").exists():
        return False, "postgres: not initialised"
    running = _pg_ctl(cfg, "status").returncode == 0
    return running, f"postgres: {'running' if running else 'not running'} on {cfg.host}:{cfg.postgres_port}"


def _redis_paths(cfg: Settings) -> tuple[Path, Path]:
    base = cfg.state_dir / "redis"
    return base, base / "redis.pid"


def _redis_ping(cfg: Settings) -> bool:
    import socket

    try:
        with socket.create_connection((cfg.host, cfg.redis_port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_start(cfg: Settings) -> str:
    base, pid_file = _redis_paths(cfg)
    if process.read_pid(pid_file) and _redis_ping(cfg):
        return f"redis: already running on {cfg.host}:{cfg.redis_port}"
    if process.port_open(cfg.host, cfg.redis_port):
        raise RuntimeError(f"port {cfg.redis_port} is taken by another program; set CREDLINK_REDIS_PORT")
    server = shutil.which("redis-server")
    if not server:
        raise RuntimeError("redis-server not found (apt-get install redis-server)")
    base.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [server, "--bind", cfg.host, "--port", str(cfg.redis_port), "--daemonize", "yes",
         "--pidfile", str(pid_file), "--logfile", str(base / "redis.log"), "--dir", str(base),
         "--save", "", "--appendonly", "no"],
        check=True, capture_output=True,
    )
    process.wait_until(lambda: _redis_ping(cfg), 15, f"redis on {cfg.host}:{cfg.redis_port}")
    return f"redis: started on {cfg.host}:{cfg.redis_port}"


def redis_stop(cfg: Settings) -> str:
    _, pid_file = _redis_paths(cfg)
    pid = process.read_pid(pid_file)
    if not pid:
        return "redis: not running"
    process.terminate(pid)
    return "redis: stopped"


def redis_status(cfg: Settings) -> tuple[bool, str]:
    up = _redis_ping(cfg)
    return up, f"redis: {'running' if up else 'not running'} on {cfg.host}:{cfg.redis_port}"
