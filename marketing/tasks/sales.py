"""Celery entry points (sales)."""
