from django.db import migrations


def fillfactor(value: str):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE inventory_stocklevel {value}")

    return apply


class Migration(migrations.Migration):
    """Stock levels are updated in place all day (every reservation, shipment, receipt). With free space
    left in each page PostgreSQL updates them as heap-only tuples: no index entries for the new versions,
    old versions pruned as pages are read, so the table and its indexes stay small without waiting for
    vacuum. Pages written from now on keep the space; a VACUUM FULL repacks an existing table."""

    dependencies = [("inventory", "0005_fewer_indexes_on_hot_tables")]

    operations = [
        migrations.RunPython(fillfactor("SET (fillfactor = 50)"), fillfactor("RESET (fillfactor)"), elidable=False),
    ]
