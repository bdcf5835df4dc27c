"""Application Celery : configurée depuis les réglages Django (préfixe CELERY_)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logement.settings")

app = Celery("logement")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def taches_sur_place() -> bool:
    """Mode « eager » (démarrage rapide, tests) : une tâche s'exécute dans l'appel même."""
    return bool(app.conf.task_always_eager)


def redis_joignable(url: str | None) -> bool:
    """Sonde un serveur Redis sans relance ni attente longue (2 s au plus).

    Le client redis relance seul une connexion refusée (≈ 3 s par essai, plusieurs essais côté
    kombu) : sans cette sonde, une page qui confie une tâche pendant une panne attendrait.
    Une URL qui n'est pas celle d'un Redis est supposée joignable."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    if not (url or "").startswith(("redis://", "rediss://", "unix://")):
        return True
    client = redis.Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=2, retry=Retry(NoBackoff(), 0)
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def courtier_joignable() -> bool:
    return redis_joignable(app.conf.broker_url)
