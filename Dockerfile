# One image for every app process (web, worker, beat, migrate); docker-compose.yml picks the
# command. Build: `docker build -t outages .`. Settings come from the environment at run time
# (.env.example lists them); nothing secret is baked in.
FROM python:3.11-slim

# VAR_DIR: writable state (beat's schedule file); STATIC_ROOT: collected static, outside code.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

# Dependencies first, so a code change does not reinstall them. constraints.txt is the lock.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

# The code, listed explicitly so a local .env, .venv, var/ or .git never lands in the image.
COPY manage.py ./
COPY config ./config
COPY common ./common
COPY outages ./outages
COPY reports ./reports
COPY comments ./comments
COPY moderation ./moderation
COPY partners ./partners
COPY alerts ./alerts
COPY templates ./templates
COPY static ./static

# Production static files (hashed names, compressed) are built into the image. Settings insist
# on every production variable, so collectstatic gets placeholders: it connects to nothing.
RUN DEPLOYMENT=production \
    SECRET_KEY=collectstatic-only-not-a-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://collectstatic@127.0.0.1:5432/collectstatic \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/1 \
    python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p "$VAR_DIR" \
    && chown app:app "$VAR_DIR"

USER app
EXPOSE 8000

# docker-compose.yml's command: config/gunicorn.py holds the web tier's settings and why.
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi", "--bind", "0.0.0.0:8000"]
