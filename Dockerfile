# ShopOps production image: gunicorn + whitenoise for the web, the same image for Celery worker and beat.
# Build: docker build -t shopops .   Run: see docker-compose.yml and docs/deployment.md.
#
# Both stages must use the same Python image: the virtualenv built in the first stage points at
# /usr/local/bin/python3.11, which must exist unchanged in the second.
ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------------------------------
# Stage 1: resolve and install the locked dependencies into /app/.venv with uv.
FROM ${PYTHON_IMAGE} AS builder

ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

# Install into /app/.venv using the image's own interpreter; never download a Python; copy files
# (not hard links) out of the uv cache so the venv is self-contained.
ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy

WORKDIR /app
COPY pyproject.toml uv.lock ./
# --frozen: install exactly what uv.lock says, fail instead of re-resolving.
# The project itself is not a package ([tool.uv] package = false), so only dependencies go in.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project


# ---------------------------------------------------------------------------------------------------
# Stage 2: the runtime image. No uv, no compilers, no build cache.
FROM ${PYTHON_IMAGE} AS runtime

# fonts-wqy-microhei: a CJK font so that Chinese text in generated reports and charts renders.
# libpq is not needed: psycopg[binary] bundles its own.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

# pg_dump/pg_restore for manage.py backup_create / backup_verify (docs/backup-restore.md), of the SERVER's
# major version (postgres:15 in docker-compose.yml): Debian's own client follows the Debian release (17 on
# trixie), and a newer pg_restore writes settings a 15 server rejects. Hence the PostgreSQL apt repository.
ARG PG_MAJOR=15
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && install -d /usr/share/postgresql-common/pgdg \
    && curl --fail -sSo /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
       https://www.postgresql.org/media/keys/ACCC4CF8.asc \
    && . /etc/os-release \
    && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" \
       > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
    && apt-get purge -y --auto-remove curl \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user that owns nothing in /app except the writable var/ directory.
RUN groupadd --system --gid 10001 shopops \
    && useradd --system --uid 10001 --gid shopops --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin shopops

ENV PATH="/app/.venv/bin:${PATH}" \
    VIRTUAL_ENV=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=shopops.settings.production

WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY . /app

# Static files are collected into the image (whitenoise serves them with hashed, compressed names).
# Production settings require SECRET_KEY and ALLOWED_HOSTS; the dummy values below exist only for
# this one command and are not kept in the image's environment.
# var/ is the only writable place in /app: celery beat keeps its schedule file in var/beat.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret ALLOWED_HOSTS=localhost \
    FIELD_ENCRYPTION_KEYS=Y29sbGVjdHN0YXRpYy1idWlsZC1vbmx5LW5vdC1rZXk= PII_HASH_KEY=collectstatic-build-only \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/beat \
    && chown -R shopops:shopops /app/var

USER shopops:shopops
EXPOSE 8000

# /healthz answers 200 "ok" without login. The check sends a Host from ALLOWED_HOSTS (Django rejects
# any other) and X-Forwarded-Proto: https (so SECURE_SSL_REDIRECT does not answer with a redirect);
# a 200 reached through a redirect (e.g. to the login page) does not count.
# Only the web service listens on 8000: docker-compose.yml overrides this check for the others.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r = u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=5); sys.exit(0 if r.status == 200 and r.url.split('?')[0].rstrip('/').endswith('/healthz') else 1)"]

# gunicorn.conf.py: bind 0.0.0.0:8000, 3 workers (WEB_CONCURRENCY), an access log without query strings.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "shopops.wsgi:application"]
