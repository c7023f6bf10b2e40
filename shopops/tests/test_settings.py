import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        env={
            k: v
            for k, v in {**os.environ, **env}.items()
            # the browser tests' async-safety switch must not leak into a production check
            if v is not None and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
        },
        timeout=120,
    )


def test_check_deploy_with_production_settings_reports_nothing():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="shopops.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="shop.example.com",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        PII_HASH_KEY=secrets.token_urlsafe(32),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["FIELD_ENCRYPTION_KEYS", "PII_HASH_KEY"])
def test_production_refuses_to_start_without_the_personal_data_keys(missing):
    keys = {
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PII_HASH_KEY": secrets.token_urlsafe(32),
    }
    result = _manage(
        "check",
        DJANGO_SETTINGS_MODULE="shopops.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="shop.example.com",
        **{**keys, missing: None},
    )
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage(
        "check",
        DJANGO_SETTINGS_MODULE="shopops.settings.production",
        SECRET_KEY=None,
        ALLOWED_HOSTS="shop.example.com",
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_defaults_come_from_the_environment():
    assert os.environ.get("TIME_ZONE", "Asia/Shanghai") == settings.TIME_ZONE
    assert os.environ.get("SHOP_CURRENCY", "CNY") == settings.SHOP_CURRENCY
    assert settings.USE_TZ is True
