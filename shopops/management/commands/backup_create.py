import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from shopops.management import backup


class Command(BaseCommand):
    help = (
        "Take a logical backup of the database: PostgreSQL → shopops-<UTC timestamp>.dump (pg_dump custom "
        "format), SQLite → shopops-<UTC timestamp>.sqlite3 (online backup API), each with a .manifest.json "
        "(row counts per table from the dump's own snapshot, SHA-256, latest migration per app); then remove "
        "backups older than --keep-days. Check one with backup_verify. Runbook: docs/backup-restore.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="directory for the backups (BACKUP_DIR, default var/backups); created if missing",
        )
        parser.add_argument(
            "--keep-days",
            type=int,
            default=30,
            help="remove backups in --output older than this many days, after a successful backup; "
            "0 keeps everything (default 30)",
        )
        parser.add_argument(
            "--timeout", type=float, default=3 * 60 * 60, help="seconds pg_dump may take (default 3 hours)"
        )

    def handle(self, *args, output, keep_days, timeout, **options):
        if keep_days < 0:
            raise CommandError("--keep-days must be 0 (keep everything) or more.")
        connection = connections["default"]
        db = connection.settings_dict
        engine = backup.engine_of(db)
        directory = Path(output or settings.BACKUP_DIR).resolve()
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Cannot create the backup directory {directory}: {exc}") from exc

        created_at = timezone.now()
        stem = f"shopops-{backup.utc_stamp(created_at)}"
        target = directory / f"{stem}.{'dump' if engine == 'postgresql' else 'sqlite3'}"
        partial = target.with_name(target.name + ".partial")
        if target.exists() or partial.exists():
            raise CommandError(f"{target} already exists: one backup per second at most.")
        try:
            backup.create_private(partial)
            if engine == "postgresql":
                taken = backup.pg_backup(db, partial, timeout=timeout)
            else:
                taken = backup.sqlite_backup(connection, partial)
                if taken.details["integrity_check"] != "ok":
                    raise CommandError(
                        f"The SQLite copy fails its integrity check: {taken.details['integrity_check']}"
                    )
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

        manifest = backup.manifest_build(
            backup=target, engine=engine, db=db, taken=taken, created_at=created_at
        )
        manifest_path = backup.manifest_path_for(target)
        backup.write_private(
            manifest_path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
        )

        rows = sum(taken.tables.values())
        self.stdout.write(
            f"Backup {target} ({manifest['size_bytes']:,} bytes, {len(taken.tables)} tables, {rows:,} rows, "
            f"sha256 {manifest['sha256'][:16]}…)\nManifest {manifest_path}"
        )
        removed = backup.prune(directory, keep_days=keep_days, now=created_at, keep={target, manifest_path})
        for path in removed:
            self.stdout.write(f"Removed {path.name} (older than {keep_days} days)")
        self.stdout.write(self.style.SUCCESS("Done."))
