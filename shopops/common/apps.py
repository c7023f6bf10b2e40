from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "shopops.common"
    label = "common"
    verbose_name = "Common"

    def ready(self):
        from shopops.common import celery_signals

        # Failed-jobs table and the outbox drain at worker start (Celery signals; no business logic).
        celery_signals.connect()
