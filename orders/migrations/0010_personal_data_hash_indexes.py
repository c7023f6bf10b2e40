"""Personal data encrypted at rest (3/3): the indexes of the hash columns, built once they are filled."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_personal_data_encrypt_rows"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["phone_hash"], name="customer_phone_hash"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["email_hash"], name="customer_email_hash"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["name_hash"], name="customer_name_hash"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["address_hash"], name="order_address_hash"),
        ),
    ]
