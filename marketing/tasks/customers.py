"""Celery entry points (customers)."""
