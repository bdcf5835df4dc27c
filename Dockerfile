# Image unique de la plateforme : web (gunicorn), worker et beat Celery (voir docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    STATIC_ROOT=/app/staticfiles \
    PRIVATE_MEDIA_ROOT=/data/private

# Bibliothèques natives de WeasyPrint (bilans PDF) et une police couvrant les accents français.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        fontconfig fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Tout le dépôt, moins ce que .dockerignore écarte : une nouvelle app n'oblige pas à revenir ici.
COPY . .
RUN pip install .

RUN useradd --create-home --uid 1000 logement \
    && mkdir -p /app/staticfiles /data/private \
    && chown logement:logement /app/staticfiles /data/private
USER logement

EXPOSE 8000
CMD ["gunicorn", "logement.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
