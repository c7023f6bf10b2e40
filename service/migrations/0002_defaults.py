"""The domain's defaults, as rows a supervisor can edit: SLA policies, the compensation standard and the
per-role compensation limits, and the settings row (data in `service/defaults.py`)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from service.defaults import service_defaults_ensure

    service_defaults_ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
