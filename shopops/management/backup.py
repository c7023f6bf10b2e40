"""Logical backups of the configured database and their verification (the backup_create and backup_verify
commands; the runbook is docs/backup-restore.md).

PostgreSQL: `pg_dump --format=custom` of DATABASES["default"], with a manifest beside it holding the row count
of every table, the SHA-256 of the dump and the latest applied migration per app. The counts and the dump
see exactly the same data: one REPEATABLE READ transaction locks every table (ACCESS SHARE, as pg_dump does:
writes go on, DDL waits), exports its snapshot, counts the rows in that snapshot and hands the snapshot to
`pg_dump --snapshot`, and stays open until pg_dump has finished. Counting before or after a separate pg_dump
would race with the shop's writes; counting inside a later restore would only check the dump against itself.

SQLite (the one-command demo): sqlite3's online backup API copies the live database page by page into a
consistent file; the counts are taken from that copy.

Connection settings come from Django's settings; the password reaches pg_dump, pg_restore and the
`migrate --check` subprocess only through the PGPASSWORD environment variable, never through an argument
or the output. Every external program runs from an argument list (no shell) with a timeout.
"""

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

MANIFEST_FORMAT = 1
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# shopops-20260504T023000Z.dump / .sqlite3 / .manifest.json, and a .partial of any of them while written
BACKUP_NAME = re.compile(r"^shopops-(?P<stamp>\d{8}T\d{6}Z)\.(?:dump|sqlite3|manifest\.json)(?:\.partial)?$")
SCRATCH_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Django's OPTIONS for the PostgreSQL backend that libpq also reads from the environment.
LIBPQ_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def engine_of(db: dict) -> str:
    engine = db["ENGINE"]
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise CommandError(f"Backups support PostgreSQL and SQLite, not {engine}.")


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def manifest_path_for(backup: Path) -> Path:
    return backup.with_name(backup.name.rsplit(".", 1)[0] + ".manifest.json")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` readable by the owner only, via a .partial file renamed into place, so that a
    file under its final name is always complete."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def create_private(path: Path) -> None:
    """An empty file readable by the owner only: pg_dump then writes into it keeping the mode (a dump holds
    the shop's data; the umask would typically leave it world-readable)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def newest_in(directory: Path) -> Path:
    """The newest complete backup in `directory` (by the timestamp in its name; it has its manifest)."""
    found = sorted(
        (p for p in directory.iterdir() if BACKUP_NAME.match(p.name) and p.suffix in (".dump", ".sqlite3")),
        key=lambda p: p.name,
    )
    found = [p for p in found if manifest_path_for(p).is_file()]
    if not found:
        raise CommandError(
            f"No backup (shopops-<timestamp>.dump or .sqlite3 with its manifest) in {directory}."
        )
    return found[-1]


def prune(directory: Path, *, keep_days: int, now: datetime, keep: set[Path] = frozenset()) -> list[Path]:
    """Remove the backups (dump, SQLite copy, manifest, leftover .partial) whose UTC timestamp in the file
    name is older than `keep_days` days. Other files are never touched; the name, not the mtime, dates a
    backup (copying a file changes its mtime)."""
    if keep_days <= 0:
        return []
    cutoff = now - timedelta(days=keep_days)
    removed = []
    for path in sorted(directory.iterdir()):
        match = BACKUP_NAME.match(path.name)
        if not match or not path.is_file() or path in keep:
            continue
        taken = datetime.strptime(match["stamp"], TIMESTAMP_FORMAT).replace(tzinfo=UTC)
        if taken < cutoff:
            path.unlink()
            removed.append(path)
    return removed


# --- external programs ---------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The path of pg_dump / pg_restore: from BACKUP_PG_BIN_DIR when set, else from PATH."""
    bin_dir = getattr(settings, "BACKUP_PG_BIN_DIR", "") or None
    found = shutil.which(name, path=bin_dir)
    if not found:
        where = f"in BACKUP_PG_BIN_DIR={bin_dir}" if bin_dir else "on PATH"
        raise CommandError(
            f"{name} was not found {where}. Install the PostgreSQL client of the server's major version "
            f"(Debian: apt-get install postgresql-client-15) or set BACKUP_PG_BIN_DIR to its bin directory "
            f"(e.g. /usr/lib/postgresql/15/bin)."
        )
    return found


def run(command: list[str], *, env: dict, timeout: float, what: str) -> subprocess.CompletedProcess:
    """Run one external program (argument list, no shell); a clear CommandError on a timeout or failure,
    with the end of its error output (which never holds the password: that is only in the environment)."""
    try:
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise CommandError(f"{what} did not finish within {timeout:g} s and was stopped.") from exc
    except OSError as exc:
        raise CommandError(f"{what} could not start: {exc}") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout or "").strip().splitlines()[-15:])
        raise CommandError(f"{what} failed (exit code {result.returncode}):\n{tail}")
    return result


def tool_version(path: str) -> str:
    """'pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)' → '15.20'."""
    output = run([path, "--version"], env=dict(os.environ), timeout=30, what=f"{path} --version").stdout
    match = re.search(r"\)\s+(\d+(?:\.\d+)?)", output)
    return match[1] if match else output.strip()


def major(version: str) -> int:
    return int(version.split(".")[0])


# --- PostgreSQL connections ----------------------------------------------------------------------------


def pg_env(db: dict, dbname: str | None = None) -> dict:
    """The environment for libpq programs (pg_dump, pg_restore, a Django subprocess) to reach `dbname` (the
    configured database by default) as the configured user. The password travels only in PGPASSWORD."""
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    env["PGDATABASE"] = dbname or db["NAME"]
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    for option, var in LIBPQ_ENV.items():
        if (db.get("OPTIONS") or {}).get(option) not in (None, ""):
            env[var] = str(db["OPTIONS"][option])
    env.setdefault("PGAPPNAME", "shopops-backup")
    return env


def pg_connect(db: dict, dbname: str | None = None, **kwargs):
    import psycopg

    params = {"dbname": dbname or db["NAME"], "application_name": "shopops-backup"}
    for key, param in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")):
        if db.get(key):
            params[param] = str(db[key])
    params.update({k: v for k, v in (db.get("OPTIONS") or {}).items() if k in LIBPQ_ENV})
    try:
        return psycopg.connect(**params, **kwargs)
    except psycopg.OperationalError as exc:
        raise CommandError(f"Could not connect to database {params['dbname']!r}: {exc}") from exc


def pg_tables(cursor) -> list[str]:
    """Every ordinary and partitioned table in the current schema (partitions are counted in their parent)."""
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = current_schema()
        ORDER BY c.relname
        """
    )
    return [row[0] for row in cursor.fetchall()]


def count_rows(cursor, tables: list[str]) -> dict[str, int]:
    from psycopg import sql

    counts = {}
    for table in tables:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    return counts


def latest_migrations(rows) -> dict[str, str]:
    """(app, name) rows in the order they were applied → the latest applied migration per app."""
    latest = {}
    for app, name in rows:
        latest[app] = name
    return dict(sorted(latest.items()))


def migrations_pg(cursor, tables) -> dict[str, str]:
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    return latest_migrations(cursor.fetchall())


# --- taking a backup -----------------------------------------------------------------------------------


@dataclass
class Taken:
    """What a backup recorded about the database, for the manifest."""

    tables: dict[str, int]
    migrations: dict[str, str]
    details: dict = field(default_factory=dict)


def pg_backup(db: dict, target: Path, *, timeout: float) -> Taken:
    """pg_dump the configured database into `target` (which must exist, empty), counting every table's rows in
    the very snapshot the dump reads."""
    import psycopg
    from psycopg import sql

    pg_dump = pg_tool("pg_dump")
    dump_version = tool_version(pg_dump)
    with pg_connect(db, autocommit=True) as listing:
        tables = pg_tables(listing.cursor())
        server_version = listing.execute("SHOW server_version").fetchone()[0].split()[0]
    if major(dump_version) < major(server_version):
        raise CommandError(
            f"pg_dump {dump_version} cannot dump a PostgreSQL {server_version} server: install the client of "
            f"the server's major version (or set BACKUP_PG_BIN_DIR)."
        )
    with pg_connect(db) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction(), conn.cursor() as cursor:
            # Neither SET nor LOCK takes the transaction's snapshot: it is taken by the first query after the
            # locks, so no DDL (or TRUNCATE) can slip in between the snapshot and the dump.
            cursor.execute("SET LOCAL lock_timeout = '60s'")
            if tables:
                cursor.execute(
                    sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(
                        sql.SQL(", ").join(sql.Identifier(t) for t in tables)
                    )
                )
            snapshot = cursor.execute("SELECT pg_export_snapshot()").fetchone()[0]
            if pg_tables(cursor) != tables:
                raise CommandError(
                    "The database schema changed while the backup started (a migration?): run it again."
                )
            counts = count_rows(cursor, tables)
            migrations = migrations_pg(cursor, tables)
            command = [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ]
            # The exporting transaction stays open until pg_dump has finished with its snapshot.
            run(command, env=pg_env(db), timeout=timeout, what="pg_dump")
    return Taken(
        tables=counts,
        migrations=migrations,
        details={"server_version": server_version, "pg_dump_version": dump_version, "snapshot": snapshot},
    )


def sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "ORDER BY name"
    ).fetchall()
    return [row[0] for row in rows]


def sqlite_read(path: Path) -> Taken:
    """Tables, row counts and migration state of an SQLite file (opened read-only)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = sqlite_tables(conn)
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
        migrations = {}
        if "django_migrations" in tables:
            migrations = latest_migrations(
                conn.execute("SELECT app, name FROM django_migrations ORDER BY id")
            )
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    return Taken(tables=counts, migrations=migrations, details={"integrity_check": integrity})


def sqlite_backup(connection, target: Path) -> Taken:
    """Copy the live SQLite database (Django's connection) into `target` with sqlite3's backup API."""
    connection.ensure_connection()
    dest = sqlite3.connect(target)
    try:
        connection.connection.backup(dest)
    finally:
        dest.close()
    taken = sqlite_read(target)
    taken.details["sqlite_version"] = sqlite3.sqlite_version
    return taken


def manifest_build(*, backup: Path, engine: str, db: dict, taken: Taken, created_at: datetime) -> dict:
    return {
        "format": MANIFEST_FORMAT,
        "file": backup.name,
        "engine": engine,
        "created_at": created_at.astimezone(UTC).isoformat(),
        "database": db["NAME"] if engine == "postgresql" else Path(str(db["NAME"])).name,
        "size_bytes": backup.stat().st_size,
        "sha256": sha256_of(backup),
        **taken.details,
        "migrations": taken.migrations,
        "tables": taken.tables,
    }


# --- verifying a backup --------------------------------------------------------------------------------


def django_migrate_check(env: dict, *, timeout: float) -> tuple[str, list[str]]:
    """`manage.py migrate --check --plan` in a subprocess against the database that `env` points at.
    → ("ok", []), ("unapplied", the unapplied migrations) or ("error", the end of its error output)."""
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "migrate", "--check", "--plan"]
    command += ["--skip-checks", "--no-color"]
    env = {**env, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE, "PYTHONUNBUFFERED": "1"}
    try:
        result = subprocess.run(
            command,
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "error", [f"migrate --check did not finish within {timeout:g} s"]
    if result.returncode == 0:
        return "ok", []
    # The plan: one migration name per line ("orders.0042_x"), its operations indented below it.
    names = [
        line.strip()
        for line in result.stdout.splitlines()
        if line[:1].strip() and not line.startswith("Planned operations")
    ]
    if result.returncode == 1 and names and "Traceback" not in result.stderr:
        return "unapplied", names
    return "error", (result.stderr or result.stdout).strip().splitlines()[-3:]


def unknown_migrations(applied_all: list[tuple[str, str]]) -> list[str]:
    """Migrations recorded in the backup that this code does not have: the backup is newer than the code."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known_apps = {app for app, _ in loader.disk_migrations}
    replaced = {key for migration in loader.disk_migrations.values() for key in (migration.replaces or [])}
    return [
        f"{app}.{name}"
        for app, name in applied_all
        if app in known_apps and (app, name) not in loader.disk_migrations and (app, name) not in replaced
    ]
