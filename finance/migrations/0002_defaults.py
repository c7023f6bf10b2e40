"""The domain's defaults for finance as editable rows: settings, scenarios, alert thresholds and playbooks
(data in `finance/defaults.py`)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from finance.defaults import finance_defaults_ensure

    finance_defaults_ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
