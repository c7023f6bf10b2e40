"""Service's Celery tasks, one module per subdomain; imported here so that Celery's autodiscovery (which
imports ``service.tasks``) registers them all."""

from service.tasks import feedback, nightly, sla, surveys  # noqa: F401
