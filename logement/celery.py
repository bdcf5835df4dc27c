"""Application Celery : configurée depuis les réglages Django (préfixe CELERY_)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logement.settings")

app = Celery("logement")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
