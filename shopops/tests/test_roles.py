import pytest
from django.contrib.auth.models import Group

from shopops.common import roles


@pytest.mark.django_db
def test_the_data_migration_creates_the_groups():
    import importlib

    from django.apps import apps

    Group.objects.all().delete()
    migration = importlib.import_module("shopops.migrations.0001_roles")
    from django.db import connection

    migration.create_roles(apps, connection.schema_editor())
    assert set(Group.objects.values_list("name", flat=True)) == set(roles.ROLES)


@pytest.mark.django_db
def test_every_role_holds_its_permissions():
    groups = {
        g.name: set(g.permissions.values_list("content_type__app_label", "codename"))
        for g in Group.objects.prefetch_related("permissions")
    }
    assert set(groups) >= set(roles.ROLES)
    assert ("orders", "change_order") in groups["operations"]
    assert ("orders", "change_order") not in groups["manager"]
    assert ("orders", "view_order") in groups["manager"]
    assert ("inventory", "view_stocklevel") in groups["inventory_planner"]
    assert not any(app == "finance" for app, _ in groups["service_agent"])
    assert ("auth", "change_user") in groups["admin"]


@pytest.mark.django_db
def test_roles_sync_restores_drifted_permissions():
    group = Group.objects.get(name="marketing")
    group.permissions.clear()
    roles.roles_sync()
    assert group.permissions.filter(codename="view_sku").exists()


def test_every_area_allows_manager_and_admin():
    for area, allowed in roles.AREA_ROLES.items():
        assert {roles.MANAGER, roles.ADMIN} <= allowed, area


@pytest.mark.django_db
def test_the_data_migration_leaves_the_app_registry_as_it_found_it():
    """Run with the real registry, the migration must not take the apps' models modules away: post_migrate
    (after a test database flush) skips apps without one, and no permission would be created again."""
    import importlib

    from django.apps import apps
    from django.db import connection

    before = {config.label: config.models_module for config in apps.get_app_configs()}
    importlib.import_module("shopops.migrations.0001_roles").create_roles(apps, connection.schema_editor())
    assert {config.label: config.models_module for config in apps.get_app_configs()} == before
