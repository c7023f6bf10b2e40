from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ShopOpsConfig(AppConfig):
    name = "shopops"
    verbose_name = "ShopOps"

    def ready(self):
        from shopops.common.roles import roles_sync_on_migrate

        # Later migrations add models (and so permissions): keep the role groups in step.
        post_migrate.connect(roles_sync_on_migrate, dispatch_uid="shopops-roles-sync")

        from shopops.common.audit import audit_register_all

        # The audit trail: the models whose changes matter, with the fields that matter.
        audit_register_all()
