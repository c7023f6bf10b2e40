"""Personal data encrypted at rest (2/3): encrypt the values already stored and fill their hashes.

Batched by primary key; safe to run again (a value already encrypted is decrypted first, so it is never
encrypted twice). Reversible: backwards, every value is decrypted and the hashes are cleared.
"""

from django.db import migrations

from shopops.common import pii

BATCH = 2000
TABLES = {
    # table: {column: hash kind}
    "orders_customer": {"name": "name", "phone": "phone", "email": "email"},
    "orders_order": {"address": "address"},
}


def _rewrite(connection, table: str, columns: dict[str, str], *, encrypt: bool) -> None:
    q = connection.ops.quote_name
    names = list(columns)
    not_blank = " OR ".join(f"{q(c)} <> ''" for c in names)
    select = (
        f"SELECT id, {', '.join(q(c) for c in names)} FROM {q(table)} "  # noqa: S608 (constants above)
        f"WHERE id > %s AND ({not_blank}) ORDER BY id LIMIT %s"
    )
    sets = ", ".join(f"{q(c)} = %s, {q(c + '_hash')} = %s" for c in names)
    update = f"UPDATE {q(table)} SET {sets} WHERE id = %s"  # noqa: S608
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(select, [last, BATCH])
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            params = []
            for pk, *values in rows:
                row = []
                for column, value in zip(names, values, strict=True):
                    plain = pii.decrypt_strict(value or "")
                    if encrypt:
                        row += [pii.encrypt(plain), pii.pii_hash(columns[column], plain)]
                    else:
                        row += [plain, ""]
                params.append([*row, pk])
            cursor.executemany(update, params)


def forwards(apps, schema_editor):
    for table, columns in TABLES.items():
        _rewrite(schema_editor.connection, table, columns, encrypt=True)


def backwards(apps, schema_editor):
    for table, columns in TABLES.items():
        _rewrite(schema_editor.connection, table, columns, encrypt=False)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0008_personal_data_encrypted"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
