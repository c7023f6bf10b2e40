"""Celery entry points (campaigns)."""
