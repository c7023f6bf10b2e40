"""Marketing's Celery tasks, one module per subdomain; imported here so that Celery's autodiscovery
(which imports ``marketing.tasks``) registers them all."""

from marketing.tasks import campaigns, customers, sales  # noqa: F401
