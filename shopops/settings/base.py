"""Settings shared by every environment, read from the environment (12-factor, django-environ).

local.py, production.py and test.py start from this module and change only what differs.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "shopops.common",
    "catalog",
    "inventory",
    "orders",
    "marketing",
    "service",
    "finance",
    "reports",
    "shopops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "shopops.urls"
WSGI_APPLICATION = "shopops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shopops.common.context_processors.shop",
            ],
            "builtins": ["shopops.common.templatetags.money"],
        },
    },
]

# Database: DATABASE_URL, or an embedded SQLite file under var/ for the one-command demo.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'shopops.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Languages and time: stored in UTC, shown in the shop's time zone.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
SHOP_CURRENCY = env("SHOP_CURRENCY", default="CNY")

# Static files: everything is local (bootstrap vendored, htmx from django-htmx, plotly.js from plotly's
# wheel) so that the dashboard works offline. No CDN anywhere.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "shopops.common.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "shopops.common.api.api_exception_handler",
}
# Lower layers validate a channel code without importing orders (shared/design.md layers).
SHOPOPS_CHANNEL_LIST_SELECTOR = "orders.selectors.channel_list"
# The SKU page (catalog) shows stock and sales owned by higher apps through these selectors.
SHOPOPS_SKU_STOCK_SELECTOR = "inventory.selectors.sku_stock_by_warehouse"
SHOPOPS_SKU_SALES_SELECTOR = "orders.selectors.sku_daily_sales"

SPECTACULAR_SETTINGS = {
    "TITLE": "ShopOps API",
    "DESCRIPTION": "Order sync, stock and catalogue API for channel clients.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: with REDIS_URL unset, tasks run eagerly in-process (the one-command demo needs no broker).
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
# The cache holds API rate-limit counters: shared across processes when Redis is there.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_BEAT_SCHEDULE = {
    "nightly-pipeline": {
        "task": "shopops.nightly.run",
        # 02:30 shop time: yesterday's business is complete and settled into the database.
        "schedule": crontab(hour=2, minute=30),
    },
    "order-exceptions-scan": {
        "task": "orders.order_exceptions_scan",
        # The order handling SOP: a paid order is processed within 2 hours; look every 15 minutes.
        "schedule": crontab(minute="*/15"),
    },
    "service-sla-check": {
        "task": "service.sla_check",
        # SLA clocks: warn at 80 % of a target, mark breaches and escalate major complaints.
        "schedule": crontab(minute="*/5"),
    },
    "finance-order-risk-score": {
        "task": "finance.order_risk_score",
        # Anti-fraud: score new orders (COD and unusual ones) and hold the risky ones before they ship.
        "schedule": crontab(minute="*/5"),
    },
    "reports-weekly-report": {
        "task": "reports.weekly_report_generate",
        # Monday 08:00 shop time (CELERY_TIMEZONE): the week before, after the nightly pipeline of Sunday.
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    "reports-daily-digest": {
        "task": "reports.daily_digest_generate",
        # Yesterday's operations digest, after the 02:30 nightly pipeline, before the team starts.
        "schedule": crontab(hour=7, minute=30),
    },
    "flash-claims-expire": {
        "task": "marketing.flash_claims_expire",
        # Flash-sale holds last 10 minutes; expired ones go back to the pool (claims also release them).
        "schedule": crontab(minute="*"),
    },
}
# Celery tasks that orders.services.order_sync hands the ids of synced orders carrying a coupon code or a
# flash-sale claim to, on commit (orders cannot import the marketing app that records them).
ORDER_SYNC_FOLLOWUP_TASKS = ["marketing.order_promotions_record", "marketing.referrals_attribute"]
# The service customer 360 shows the customer's RFM segment and member tier, which marketing owns (its
# peer: service may not import it). customer_id -> {"segment", "segment_label", "rfm", "tier", "tier_label",
# "points"}.
SERVICE_CUSTOMER_PROFILE_PROVIDER = "marketing.selectors.customers.customer_marketing_profile"

# The order facts (KPI rollups) are refreshed by every order write. Only bench/order_sync.py turns this off,
# to measure what the upkeep adds to a sync; the nightly rebuild would then be the only upkeep.
ORDER_FACTS_LIVE = env.bool("ORDER_FACTS_LIVE", default=True)

# Email: notifications and reports go out through Django's mail backend (console unless EMAIL_URL is set).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="shopops@localhost")
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # it logs every layout step at INFO
        "fontTools": {"level": "WARNING"},
    },
}

UNFOLD = {
    "SITE_TITLE": "ShopOps admin",
    "SITE_HEADER": "ShopOps",
    "SHOW_LANGUAGES": True,
}
