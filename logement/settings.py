"""Réglages lus depuis l'environnement ; les valeurs par défaut servent le démarrage rapide
(SQLite sous var/, tâches Celery exécutées sur place, aucun service nécessaire)."""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-change-me-" + "x" * 40)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "widget_tweaks",
    "dsfr",
    "django_htmx",
    "rest_framework",
    "logement",
    "menages",
    "accompagnement",
    "attributions",
    "bilans",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "logement.urls"
WSGI_APPLICATION = "logement.wsgi.application"
ASGI_APPLICATION = "logement.asgi.application"

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
                "logement.navigation.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    # Le serveur de démo et le worker eager écrivent en même temps : éviter « database is locked ».
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "logement.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accueil"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Les fichiers produits (bilans, imports) sont privés : jamais servis par une URL publique.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private"))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
    },
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# Celery : sans courtier configuré, les tâches s'exécutent sur place (démarrage rapide, tests).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or None
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE = {
    "entretien-nocturne": {
        "task": "logement.tasks.entretien_nocturne",
        "schedule": crontab(hour=2, minute=30),
    },
    # Bilans : rien ne reste « en cours » indéfiniment ; une demande non confiée à la file repart.
    "bilans-verifier-bloques": {
        "task": "bilans.tasks.verifier_bilans_bloques",
        "schedule": crontab(minute="*/5"),
    },
    # Le 15 janvier, pour l'année écoulée.
    "bilans-annuels": {
        "task": "bilans.tasks.bilans_annuels",
        "schedule": crontab(month_of_year=1, day_of_month=15, hour=3, minute=0),
    },
    # Le 15 du mois qui suit chaque trimestre.
    "bilans-trimestriels": {
        "task": "bilans.tasks.bilans_trimestriels",
        "schedule": crontab(month_of_year="1,4,7,10", day_of_month=15, hour=4, minute=0),
    },
}

# Règles métier qui varient selon les Départements : réglages, jamais des constantes.
LOGEMENT = {
    # Délai avant l'échéance du NUR à partir duquel on alerte (jours).
    "ALERTE_NUR_JOURS": env.int("ALERTE_NUR_JOURS", default=30),
    # Durée de validité d'une demande de logement social (NUR), en mois.
    "VALIDITE_NUR_MOIS": env.int("VALIDITE_NUR_MOIS", default=12),
    # Conservation en base active après le dernier contact (CNIL : 2 ans), en jours.
    "CONSERVATION_JOURS": env.int("CONSERVATION_JOURS", default=730),
    # Tableau de bord : mesure dont la fin prévue approche sans solution de logement (jours).
    "ALERTE_FIN_MESURE_JOURS": env.int("ALERTE_FIN_MESURE_JOURS", default=30),
    # Tableau de bord : ménage suivi sans rencontre depuis plus de … jours.
    "ALERTE_SANS_CONTACT_JOURS": env.int("ALERTE_SANS_CONTACT_JOURS", default=45),
    # Tableau de bord : procédure d'expulsion passée à une nouvelle étape depuis … jours.
    "ALERTE_ETAPE_EXPULSION_JOURS": env.int("ALERTE_ETAPE_EXPULSION_JOURS", default=30),
    # Secret statistique : effectifs masqués (« < 5 ») en dessous de ce seuil pour les co-pilotes.
    "SEUIL_SECRET_STATISTIQUE": env.int("SEUIL_SECRET_STATISTIQUE", default=5),
    # Bilans : durée maximale d'une production (limite douce de la tâche Celery), en secondes ;
    # la limite dure la suit d'une minute.
    "BILAN_DUREE_MAX_SECONDES": env.int("BILAN_DUREE_MAX_SECONDES", default=1800),
    # Un bilan « en cours » depuis plus longtemps a perdu son worker : il passe en échec (secondes).
    "BILAN_EN_COURS_MAX_SECONDES": env.int("BILAN_EN_COURS_MAX_SECONDES", default=3600),
    # Une demande que la file n'a pas acceptée (courtier indisponible) est renvoyée après … minutes.
    "BILAN_RENVOI_MINUTES": env.int("BILAN_RENVOI_MINUTES", default=5),
    # Une demande acceptée par la file mais jamais commencée est renvoyée après … heures.
    "BILAN_ATTENTE_MAX_HEURES": env.int("BILAN_ATTENTE_MAX_HEURES", default=6),
    # Un bilan dont le worker meurt à chaque essai (mémoire…) s'arrête après … tentatives.
    "BILAN_TENTATIVES_MAX": env.int("BILAN_TENTATIVES_MAX", default=3),
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
