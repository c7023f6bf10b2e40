import json
import os
import secrets
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from shopops.management import backup


class Command(BaseCommand):
    help = (
        "Verify a backup made by backup_create: its SHA-256 against the manifest, a restore into a scratch "
        "database, `migrate --check` against the restored copy (unapplied migrations mean the backup is from "
        "an older schema), and the row count of every table against the manifest. Drops the scratch database "
        "unless --keep. Exit code 0 only if everything matches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            type=Path,
            help="the .dump (PostgreSQL) or .sqlite3 (SQLite) file, or a directory: its newest backup",
        )
        parser.add_argument("--manifest", type=Path, help="the manifest (default: <file stem>.manifest.json)")
        parser.add_argument(
            "--scratch-db",
            help="PostgreSQL: name of the scratch database to restore into; it must not exist yet "
            "(default shopops_verify_<random>)",
        )
        parser.add_argument(
            "--keep", action="store_true", help="keep the scratch database (or file) afterwards"
        )
        parser.add_argument(
            "--timeout", type=float, default=3 * 60 * 60, help="seconds pg_restore may take (default 3 hours)"
        )

    def handle(self, *args, file, manifest, scratch_db, keep, timeout, **options):
        path = file.resolve()
        if path.is_dir():
            path = backup.newest_in(path)
        if not path.is_file():
            raise CommandError(f"{path} does not exist.")
        manifest_path = (manifest or backup.manifest_path_for(path)).resolve()
        try:
            expected = json.loads(manifest_path.read_text())
            expected_tables = {str(k): int(v) for k, v in expected["tables"].items()}
        except FileNotFoundError as exc:
            raise CommandError(f"No manifest at {manifest_path}: give it with --manifest.") from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CommandError(f"{manifest_path} is not a backup manifest: {exc}") from exc
        engine = expected.get("engine")
        db = connections["default"].settings_dict
        if engine != backup.engine_of(db):
            raise CommandError(
                f"The backup is a {engine} backup but the configured database is {backup.engine_of(db)}: "
                f"verify it where a {engine} database is configured."
            )
        self.stdout.write(
            f"Backup {path.name}: made {expected.get('created_at')}, {path.stat().st_size:,} bytes"
        )

        failures = []
        digest = backup.sha256_of(path)
        if digest != expected.get("sha256"):
            # A damaged file: restoring it would only add confusing errors.
            self.stdout.write(f"  sha256      MISMATCH: file {digest}, manifest {expected.get('sha256')}")
            raise CommandError(
                f"Backup verification FAILED: sha256 of {path.name} does not match the manifest."
            )
        self.stdout.write("  sha256      OK")

        if engine == "postgresql":
            restored = self._verify_postgresql(path, db, scratch_db, keep, timeout)
        else:
            restored = self._verify_sqlite(path, keep)
        try:
            failures += self._compare(expected, expected_tables, restored)
        finally:
            restored.cleanup()
        if failures:
            raise CommandError("Backup verification FAILED:\n  " + "\n  ".join(failures))
        self.stdout.write(self.style.SUCCESS(f"Backup {path.name} verified: everything matches."))

    # ---------------------------------------------------------------------------------------------------

    def _verify_postgresql(self, path, db, scratch_db, keep, timeout):
        name = scratch_db or f"shopops_verify_{secrets.token_hex(4)}"
        if not backup.SCRATCH_NAME.match(name):
            raise CommandError(f"--scratch-db {name!r}: use lower-case letters, digits and _ (63 at most).")
        if name == db["NAME"]:
            raise CommandError("--scratch-db must not be the configured database itself.")
        pg_restore = backup.pg_tool("pg_restore")
        restore_version = backup.tool_version(pg_restore)
        restored = Restored(self, keep=keep)
        from psycopg import sql

        with backup.pg_connect(db, autocommit=True) as admin:
            server_version = admin.execute("SHOW server_version").fetchone()[0].split()[0]
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                raise CommandError(f"Database {name} already exists: give another --scratch-db (or drop it).")
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))

        def drop():
            with backup.pg_connect(db, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

        restored.on_cleanup(
            drop, f"Dropped the scratch database {name}.", f"Kept the scratch database {name}."
        )
        try:
            started = time.monotonic()
            command = [pg_restore, "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges"]
            command += ["--no-password", f"--dbname={name}", str(path)]
            try:
                backup.run(command, env=backup.pg_env(db, name), timeout=timeout, what="pg_restore")
            except CommandError as exc:
                hint = ""
                if backup.major(restore_version) != backup.major(server_version):
                    hint = (
                        f"\n(pg_restore is {restore_version}, the server {server_version}: use the client "
                        f"of the server's major version, e.g. BACKUP_PG_BIN_DIR=/usr/lib/postgresql/"
                        f"{backup.major(server_version)}/bin)"
                    )
                raise CommandError(f"{exc}{hint}") from exc
            self.stdout.write(
                f"  restore     OK into scratch database {name} ({time.monotonic() - started:.1f} s)"
            )
            with backup.pg_connect(db, name, autocommit=True) as scratch, scratch.cursor() as cursor:
                tables = backup.pg_tables(cursor)
                restored.tables = backup.count_rows(cursor, tables)
                if "django_migrations" in tables:
                    restored.applied = cursor.execute(
                        "SELECT app, name FROM django_migrations ORDER BY id"
                    ).fetchall()
            restored.env = {**backup.pg_env(db, name), "DATABASE_URL": f"postgres:///{name}"}
        except BaseException:
            restored.cleanup()
            raise
        return restored

    def _verify_sqlite(self, path, keep):
        restored = Restored(self, keep=keep)
        scratch_dir = Path(tempfile.mkdtemp(prefix="shopops-verify-"))
        scratch = scratch_dir / "scratch.sqlite3"
        restored.on_cleanup(
            lambda: shutil.rmtree(scratch_dir, ignore_errors=True),
            "Removed the scratch copy.",
            f"Kept the scratch copy {scratch}.",
        )
        try:
            shutil.copyfile(path, scratch)
            taken = backup.sqlite_read(scratch)
            if taken.details["integrity_check"] != "ok":
                raise CommandError(
                    f"The SQLite file fails its integrity check: {taken.details['integrity_check']}"
                )
            self.stdout.write("  restore     OK (integrity check of a scratch copy)")
            restored.tables = taken.tables
            conn = sqlite3.connect(scratch)
            try:
                if "django_migrations" in taken.tables:
                    restored.applied = conn.execute(
                        "SELECT app, name FROM django_migrations ORDER BY id"
                    ).fetchall()
            finally:
                conn.close()
            restored.env = {**os.environ, "DATABASE_URL": f"sqlite:///{scratch}"}
        except BaseException:
            restored.cleanup()
            raise
        return restored

    def _compare(self, expected, expected_tables, restored):
        failures = []
        status, lines = backup.django_migrate_check(restored.env, timeout=600)
        if status == "ok":
            self.stdout.write("  migrations  OK: migrate --check finds no unapplied migration")
        elif status == "unapplied":
            self.stdout.write(f"  migrations  {len(lines)} UNAPPLIED: " + ", ".join(lines))
            failures.append(
                f"the backup is from an older schema: migrate --check finds {len(lines)} unapplied "
                f"migration(s) ({', '.join(lines)}); after restoring it, run `manage.py migrate`."
            )
        else:
            self.stdout.write("  migrations  ERROR: migrate --check could not run: " + " | ".join(lines))
            failures.append("migrate --check could not run against the restored copy: " + " | ".join(lines))
        newer = backup.unknown_migrations(restored.applied)
        if newer:
            self.stdout.write("  migrations  WARNING: unknown to this code: " + ", ".join(newer))
        restored_latest = backup.latest_migrations(restored.applied)
        if restored_latest != expected.get("migrations", {}):
            failures.append("the restored migration state differs from the manifest's")

        self.stdout.write(f"\n  {'table':<48} {'manifest':>12} {'restored':>12}")
        mismatched = []
        for table in sorted(set(expected_tables) | set(restored.tables)):
            want, got = expected_tables.get(table), restored.tables.get(table)
            status = "" if want == got else "  MISMATCH"
            if status:
                mismatched.append(table)
            shown = ["missing" if value is None else f"{value:,}" for value in (want, got)]
            self.stdout.write(f"  {table:<48} {shown[0]:>12} {shown[1]:>12}{status}")
        self.stdout.write(
            f"  {len(expected_tables)} tables, {sum(expected_tables.values()):,} rows in the manifest; "
            f"{len(mismatched)} mismatched\n"
        )
        for table in mismatched:
            failures.append(
                f"table {table}: {expected_tables.get(table, 'missing')} rows in the manifest, "
                f"{restored.tables.get(table, 'missing')} restored"
            )
        return failures


class Restored:
    """The restored copy: its row counts and migration rows, the environment that points a Django subprocess
    at it, and how to remove it."""

    def __init__(self, command, *, keep):
        self.command, self.keep = command, keep
        self.tables, self.applied, self.env = {}, [], {}
        self._cleanup = None

    def on_cleanup(self, action, done, kept):
        self._cleanup = (action, done, kept)

    def cleanup(self):
        if self._cleanup is None:
            return
        action, done, kept = self._cleanup
        self._cleanup = None
        if self.keep:
            self.command.stdout.write(kept)
        else:
            action()
            self.command.stdout.write(done)
