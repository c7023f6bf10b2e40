"""Create the role groups with their permissions (shopops.common.roles)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from shopops.common.roles import roles_sync

    # Permissions are normally created after migrate; create them now so the groups can hold them.
    # create_permissions skips an app config without a models module (a migration state's stubs have none):
    # lend one for the call, then put back what was there (the registry may be the real one, as in a test).
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        finally:
            app_config.models_module = models_module
    roles_sync(apps, using=schema_editor.connection.alias)


def drop_roles(apps, schema_editor):
    from shopops.common.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("common", "0001_initial"),
        ("catalog", "0001_initial"),
        ("inventory", "0001_initial"),
        ("orders", "0001_initial"),
        ("reports", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
