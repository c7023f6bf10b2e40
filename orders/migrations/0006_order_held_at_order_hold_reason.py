from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_orderline_flash_claim"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="held_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="on hold since"),
        ),
        migrations.AddField(
            model_name="order",
            name="hold_reason",
            field=models.CharField(blank=True, db_default="", default="", max_length=300, verbose_name="hold reason"),
        ),
    ]
