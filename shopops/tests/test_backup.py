"""backup_create and backup_verify against the configured test database: pg_dump/pg_restore on PostgreSQL
(CI), sqlite3's backup API on SQLite. Transactional tests where the data matters: pg_dump reads through its
own connection, which sees committed rows only."""

import hashlib
import json
import re
import shutil
import threading
import time
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from catalog.models import SKU, Category
from catalog.tests.factories import SKUFactory
from conftest import require
from orders.tests.factories import order_with_lines
from shopops.management.backup import newest_in

# The dump is read by pg_dump's own connection: the seeded rows must be committed.
committed = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _client_tools(request):
    if request.node.get_closest_marker("django_db") is None:
        return
    if connection.vendor == "postgresql":
        require(
            bool(shutil.which("pg_dump") and shutil.which("pg_restore")),
            "pg_dump and pg_restore are needed (Debian: postgresql-client-15)",
        )


def seed() -> None:
    skus = [SKUFactory() for _ in range(3)]
    order_with_lines(
        lines=[(skus[0], 2, Decimal("64.50"), Decimal("0.00")), (skus[1], 1, Decimal("9.90"), 0)]
    )


def create(directory, *args):
    out = StringIO()
    call_command("backup_create", "--output", str(directory), *args, stdout=out)
    backup = Path(re.match(r"Backup (\S+) \(", out.getvalue())[1])
    manifest_path = backup.with_name(backup.name.rsplit(".", 1)[0] + ".manifest.json")
    assert backup.parent == directory.resolve() and manifest_path.is_file()
    return backup, manifest_path, json.loads(manifest_path.read_text()), out.getvalue()


def verify(backup, *args):
    out = StringIO()
    try:
        call_command("backup_verify", str(backup), *args, stdout=out)
    except CommandError as exc:
        return str(exc), out.getvalue()
    return None, out.getvalue()


def scratch_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'shopops_verify_%%'")
        return [row[0] for row in cursor.fetchall()]


class Writer(threading.Thread):
    """The shop writing on while the backup runs: a category a row at a time, each committed."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping, self.written, self.error = threading.Event(), 0, None

    def run(self):
        try:
            while not self.stopping.is_set():
                Category.objects.create(code=f"w-{self.written}", name="written during the backup")
                self.written += 1
        except Exception as exc:  # reported by the test
            self.error = exc
        finally:
            connections.close_all()

    def wait_for(self, count):
        deadline = time.monotonic() + 60
        while self.written < count and self.error is None and time.monotonic() < deadline:
            time.sleep(0.01)


@committed
def test_backup_holds_the_committed_rows_and_verifies(tmp_path):
    """On PostgreSQL a writer commits rows all along: the manifest's counts still equal what the dump holds
    (backup_verify restores it and compares), because both read one exported snapshot."""
    seed()
    writer = Writer() if connection.vendor == "postgresql" else None
    if writer:
        writer.start()
        writer.wait_for(1)
    try:
        backup, manifest_path, manifest, output = create(tmp_path / "backups")
    finally:
        if writer:
            writer.wait_for(writer.written + 1)  # at least one row after the backup's snapshot
            writer.stopping.set()
            writer.join(timeout=30)
    if writer:
        assert writer.error is None
        assert 3 < manifest["tables"]["catalog_category"] < Category.objects.count()

    assert backup.name.startswith("shopops-") and f"Backup {backup}" in output
    assert backup.stat().st_mode & 0o777 == 0o600 and manifest_path.stat().st_mode & 0o777 == 0o600
    assert manifest["sha256"] == hashlib.sha256(backup.read_bytes()).hexdigest()
    assert manifest["size_bytes"] == backup.stat().st_size
    assert (manifest["tables"]["catalog_sku"], manifest["tables"]["orders_order"]) == (3, 1)
    assert manifest["tables"]["orders_orderline"] == 2
    assert manifest["tables"]["django_migrations"] == MigrationRecorder.Migration.objects.count()
    latest = MigrationRecorder.Migration.objects.filter(app="catalog").latest("id").name
    assert manifest["migrations"]["catalog"] == latest
    if connection.vendor == "postgresql":
        assert backup.read_bytes()[:5] == b"PGDMP"  # the custom format's magic
        assert manifest["engine"] == "postgresql" and manifest["pg_dump_version"].split(".")[0] == "15"
    else:
        assert manifest["engine"] == "sqlite" and manifest["integrity_check"] == "ok"
    assert SKU.objects.count() == 3  # the shop's data untouched

    error, output = verify(backup)
    assert error is None, output
    assert "sha256      OK" in output and "migrate --check finds no unapplied migration" in output
    sku_row = next(line for line in output.splitlines() if line.strip().startswith("catalog_sku "))
    assert sku_row.split() == ["catalog_sku", "3", "3"]
    assert "everything matches" in output
    if connection.vendor == "postgresql":
        assert scratch_databases() == []


@committed
def test_a_damaged_backup_fails_its_checksum(tmp_path):
    seed()
    backup, _, _, _ = create(tmp_path)
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup.write_bytes(bytes(data))

    error, output = verify(backup)
    assert error == f"Backup verification FAILED: sha256 of {backup.name} does not match the manifest."
    assert "sha256      MISMATCH" in output


@committed
def test_verify_names_the_table_whose_count_differs_and_the_unapplied_migration(tmp_path):
    """A manifest that promises a row the dump does not hold, and a dump of an older schema (its latest
    leaf migration not yet applied): both reported, by name, and the scratch database dropped anyway."""
    seed()
    recorder = MigrationRecorder.Migration.objects
    # a leaf of the migration graph: nothing applied depends on it
    app, name = sorted(MigrationLoader(connection).graph.leaf_nodes())[0]
    latest = recorder.get(app=app, name=name)
    recorder.filter(pk=latest.pk).delete()
    try:
        backup, manifest_path, manifest, _ = create(tmp_path)
    finally:
        recorder.create(app=latest.app, name=latest.name, applied=latest.applied)
    assert manifest["migrations"].get(app) != latest.name
    manifest["tables"]["catalog_sku"] = 4
    manifest_path.write_text(json.dumps(manifest))

    error, output = verify(backup, "--scratch-db", "shopops_verify_counts")
    assert error is not None
    assert "table catalog_sku: 4 rows in the manifest, 3 restored" in error
    assert (
        f"the backup is from an older schema: migrate --check finds 1 unapplied migration(s) ({app}.{name})"
        in error
    )
    sku_row = next(line for line in output.splitlines() if line.strip().startswith("catalog_sku "))
    assert sku_row.split() == ["catalog_sku", "4", "3", "MISMATCH"]
    assert "orders_order " in output and "1 mismatched" in output
    if connection.vendor == "postgresql":
        assert "Dropped the scratch database shopops_verify_counts." in output
        assert scratch_databases() == []


@pytest.mark.django_db
def test_old_backups_are_pruned_after_a_successful_one(tmp_path):
    old = ["shopops-20200101T000000Z.dump", "shopops-20200101T000000Z.manifest.json"]
    old += ["shopops-20200102T000000Z.sqlite3", "shopops-20200103T000000Z.dump.partial"]
    others = ["notes.txt", "shopops-latest.dump", "shopops-20200101T000000Z.dump.bak"]
    for name in old + others:
        (tmp_path / name).write_text("x")

    backup, manifest_path, _, output = create(tmp_path, "--keep-days", "30")

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(others + [backup.name, manifest_path.name])
    assert "Removed shopops-20200101T000000Z.dump (older than 30 days)" in output


@pytest.mark.django_db
def test_keep_days_zero_keeps_everything(tmp_path):
    (tmp_path / "shopops-20200101T000000Z.dump").write_text("x")
    create(tmp_path, "--keep-days", "0")
    assert (tmp_path / "shopops-20200101T000000Z.dump").exists()


@pytest.mark.django_db
def test_missing_client_programs_and_a_scratch_name_that_is_the_live_database_are_refused(tmp_path, settings):
    require(connection.vendor == "postgresql", "pg_dump and pg_restore are for PostgreSQL: set DATABASE_URL")
    backup, _, _, _ = create(tmp_path / "backups")

    error, _ = verify(backup, "--scratch-db", connection.settings_dict["NAME"])
    assert error == "--scratch-db must not be the configured database itself."

    settings.BACKUP_PG_BIN_DIR = str(tmp_path)  # no pg_dump there
    with pytest.raises(
        CommandError, match=rf"pg_dump was not found in BACKUP_PG_BIN_DIR={tmp_path}\. Install"
    ):
        call_command("backup_create", "--output", str(tmp_path / "other"), stdout=StringIO())
    assert not any((tmp_path / "other").iterdir())  # no half-written backup left behind


def test_verify_of_a_directory_takes_its_newest_complete_backup(tmp_path):
    for name in [
        "shopops-20260501T000000Z.dump",
        "shopops-20260502T000000Z.dump",
        "shopops-20260503T000000Z.dump",
    ]:
        (tmp_path / name).write_text("x")
    for name in ["shopops-20260501T000000Z.manifest.json", "shopops-20260502T000000Z.manifest.json"]:
        (tmp_path / name).write_text("{}")
    (tmp_path / "shopops-20260504T000000Z.dump.partial").write_text("x")
    assert newest_in(tmp_path) == tmp_path / "shopops-20260502T000000Z.dump"  # the 3rd has no manifest
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match="No backup"):
        newest_in(tmp_path / "empty")
