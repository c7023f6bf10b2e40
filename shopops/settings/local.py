"""Developer machine and the one-command demo: DEBUG on, SQLite unless DATABASE_URL is set."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-key-only")  # noqa: S105
if not DEBUG and SECRET_KEY.startswith("django-insecure"):
    raise RuntimeError("Set SECRET_KEY when DEBUG is off.")

# Serve static files straight from the finders (no collectstatic needed for the demo).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
