"""Personal data encrypted at rest (1/3): the hash columns, and the personal columns become encrypted fields
(text columns; the values are encrypted by 0009)."""

from django.db import migrations, models

import shopops.common.pii


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_order_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="email_hash",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                max_length=32,
                verbose_name="email hash",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="name_hash",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=32, verbose_name="name hash"
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="phone_hash",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                max_length=32,
                verbose_name="phone hash",
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="address_hash",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                max_length=32,
                verbose_name="address hash",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="email",
            field=shopops.common.pii.EncryptedEmailField(blank=True, max_length=254, verbose_name="email"),
        ),
        migrations.AlterField(
            model_name="customer",
            name="name",
            field=shopops.common.pii.EncryptedCharField(blank=True, max_length=200, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="customer",
            name="phone",
            field=shopops.common.pii.EncryptedCharField(blank=True, max_length=40, verbose_name="phone"),
        ),
        migrations.AlterField(
            model_name="order",
            name="address",
            field=shopops.common.pii.EncryptedCharField(blank=True, max_length=300, verbose_name="address"),
        ),
    ]
