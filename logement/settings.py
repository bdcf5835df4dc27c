"""Réglages lus depuis l'environnement ; les valeurs par défaut servent le démarrage rapide
(SQLite sous var/, tâches Celery exécutées sur place, aucun service nécessaire)."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI servi par la plateforme (CSP : rien d'extérieur)
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "comptes",
    "logement",
    "menages",
    "accompagnement",
    "attributions",
    "bilans",
    "demo",
    "journal",
    "rgpd",
    "api",
    "imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "comptes.middleware.ActiviteSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "comptes.middleware.DoubleAuthentificationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Auteur et adresse IP des traces ; une requête d'écriture = une transaction (avec sa trace).
    "journal.middleware.JournalMiddleware",
    "csp.middleware.CSPMiddleware",
    # En dernier, comme le demande django-axes : il transforme un blocage en page de connexion.
    "axes.middleware.AxesMiddleware",
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
# django-axes surveille les échecs de connexion avant le moteur d'authentification habituel.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
    # Imports : rien ne reste « en cours » indéfiniment ; un import non confié à la file repart.
    "imports-verifier-bloques": {
        "task": "imports.tasks.verifier_imports_bloques",
        "schedule": crontab(minute="*/5"),
    },
    "imports-purge": {
        "task": "imports.tasks.purger_fichiers_imports",
        "schedule": crontab(hour=3, minute=30),
    },
    # Journal : suppression des événements plus anciens que JOURNAL_CONSERVATION_JOURS.
    "journal-purge": {
        "task": "journal.tasks.purger_journal",
        "schedule": crontab(hour=2, minute=45),
    },
    # RGPD : anonymisation des ménages sans contact depuis LOGEMENT["CONSERVATION_JOURS"].
    "rgpd-anonymisation": {
        "task": "rgpd.tasks.anonymiser_menages_expires",
        "schedule": crontab(hour=3, minute=15),
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

# Imports de fichiers (XLSX, CSV) : taille maximale d'un fichier déposé (octets), nombre
# maximal de lignes de données (l'essai à blanc se fait pendant la requête : ≈ 10 s pour
# 10 000 ménages, sous les 30 s de gunicorn), durée maximale d'un import confirmé (limite
# douce de la tâche, en secondes ; la limite dure la suit d'une minute), essais avant abandon
# d'un import dont le worker meurt à chaque fois.
IMPORT_TAILLE_MAX = env.int("IMPORT_TAILLE_MAX", default=10 * 1024 * 1024)
IMPORT_LIGNES_MAX = env.int("IMPORT_LIGNES_MAX", default=10000)
IMPORT_DUREE_MAX_SECONDES = env.int("IMPORT_DUREE_MAX_SECONDES", default=3600)
IMPORT_TENTATIVES_MAX = env.int("IMPORT_TENTATIVES_MAX", default=3)
# Fichiers déposés et rapports par ligne (données personnelles) effacés après … jours ;
# l'historique garde qui, quand, quel fichier et les compteurs.
IMPORT_CONSERVATION_JOURS = env.int("IMPORT_CONSERVATION_JOURS", default=90)

# Journal d'audit : durée de conservation des événements (jours). Par défaut, celle des dossiers
# (CNIL : 2 ans après le dernier contact) : le journal contient des valeurs personnelles (avant,
# après) et ne doit pas garder plus longtemps ce que l'anonymisation efface des dossiers ; deux
# ans couvrent aussi le contrôle interne et les contestations sur la vie d'un dossier.
JOURNAL_CONSERVATION_JOURS = env.int(
    "JOURNAL_CONSERVATION_JOURS", default=LOGEMENT["CONSERVATION_JOURS"]
)

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
        # Chaque connexion réussie écrit une ligne INFO ; les échecs restent en WARNING.
        "axes": {"level": "WARNING"},
    },
}

# Authentification (voir aussi comptes/) ------------------------------------------------------
# Connexion : après AXES_FAILURE_LIMIT échecs pour un même couple identifiant + adresse IP,
# ce couple est bloqué AXES_COOLOFF_MINUTES minutes ; une connexion réussie remet le compteur à zéro.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=15) / 60  # en heures pour axes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "comptes.views.connexion_bloquee"
# Derrière un mandataire inverse, nombre de mandataires devant Django (X-Forwarded-For).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Session close après SESSION_INACTIVITE_MINUTES sans requête (comptes.middleware la prolonge
# à chaque requête, par pas d'une minute), et à la fermeture du navigateur.
SESSION_COOKIE_AGE = env.int("SESSION_INACTIVITE_MINUTES", default=30) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Double authentification (TOTP) : exigée des agents départementaux et des administrateurs.
# Seule la démonstration locale (make demo) la rend facultative ; check --deploy le refuse.
DOUBLE_AUTHENTIFICATION_OBLIGATOIRE = env.bool("DOUBLE_AUTHENTIFICATION_OBLIGATOIRE", default=True)
OTP_TOTP_ISSUER = "Logement d'abord"

# Une API ne s'authentifie que par la session (double authentification faite) ou par un jeton
# personnel créé depuis une telle session : un mot de passe seul (Basic) contournerait la
# double authentification. Le jeton d'abord : sa classe annonce `WWW-Authenticate` (401).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.JetonAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.base.DonneesPersonnelles"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "ORDERING_PARAM": "tri",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.gestionnaire_exceptions",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.Debit"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
}

# Jetons d'API personnels (api/models.py) : durée proposée par défaut et durée maximale (jours),
# nombre de jetons actifs par compte.
API_JETON_DUREE_JOURS = env.int("API_JETON_DUREE_JOURS", default=90)
API_JETON_DUREE_MAX_JOURS = env.int("API_JETON_DUREE_MAX_JOURS", default=365)
API_JETONS_ACTIFS_MAX = env.int("API_JETONS_ACTIFS_MAX", default=10)
# Limitation de débit de l'API (« nombre/s|min|h|jour ») : par jeton, par utilisateur connecté
# par session, par adresse IP sans authentification. Vide : pas de limite.
API_DEBIT_JETON = env.str("API_DEBIT_JETON", default="120/min") or None
API_DEBIT_SESSION = env.str("API_DEBIT_SESSION", default="120/min") or None
API_DEBIT_ANONYME = env.str("API_DEBIT_ANONYME", default="30/min") or None

# Cache (compteurs de la limitation de débit) : Redis dès qu'une URL est donnée, pour que les
# processus gunicorn partagent les compteurs ; sinon en mémoire, par processus.
CACHE_URL = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "logement",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SPECTACULAR_SETTINGS = {
    "TITLE": "API Logement d'abord",
    "VERSION": "1.0.0",
    "DESCRIPTION": f"""
API REST de la plateforme Logement d'abord, pour relier ses propres outils (logiciel métier,
tableur par Power Query, exports) aux données de son périmètre. Chaque requête agit avec les
habilitations **du moment** de l'utilisateur, comme dans l'application : un objet hors de son
périmètre répond 404 ; un co-pilote n'atteint que les points d'accès agrégés.

## Authentification
- **Jeton personnel** : créé dans l'application (menu du compte, « Jetons d'API »), montré une
  seule fois, valable {API_JETON_DUREE_JOURS} jours par défaut et {API_JETON_DUREE_MAX_JOURS}
  jours au plus, révocable à tout moment. À envoyer dans l'en-tête
  `Authorization: Bearer lda_…` (`Token lda_…` est aussi accepté).
- **Session** : dans le navigateur, une fois connecté (double authentification faite si votre
  compte y est tenu) ; les écritures exigent alors l'en-tête `X-CSRFToken`.

## Pagination
Les listes sont paginées : `page` (numéro, à partir de 1) et `taille` (nombre de résultats par
page, plafonné : voir ce paramètre dans chaque liste). La réponse donne `count`, `next`,
`previous` et `results` ; suivre `next` jusqu'à ce qu'il soit `null`.

## Tri et filtres
`tri` nomme le champ de tri (`tri=date_debut`, `tri=-modifie_le` pour l'ordre décroissant ;
plusieurs champs séparés par des virgules). Les filtres sont des paramètres de requête décrits
pour chaque liste (`territoire`, `statut`, `structure`, dates `…_apres` / `…_avant` incluses,
`modifie_depuis` pour ne relire que ce qui a changé).

## Erreurs
Toute erreur répond en JSON : `{{"detail": "message en français", "code": "code_stable"}}` ;
une requête refusée (400) détaille en plus `erreurs` par champ :
`{{"detail": "…", "code": "donnees_invalides", "erreurs": {{"date_debut": ["…"]}}}}`.

## Limitation de débit
Chaque jeton a son propre compteur ({API_DEBIT_JETON or "sans limite"}), de même que chaque
utilisateur connecté par session ({API_DEBIT_SESSION or "sans limite"}) ; au-delà, la réponse
est 429 avec l'en-tête `Retry-After` (secondes à attendre).
""".strip(),
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Composants distincts pour les requêtes et les réponses : un champ en lecture seule
    # (identifiant, horodatage) n'est pas demandé à l'écriture.
    "COMPONENT_SPLIT_REQUEST": True,
    # Plusieurs modèles ont un champ `statut` aux choix différents : un nom par ensemble.
    "ENUM_NAME_OVERRIDES": {
        "StatutMenageEnum": "menages.models.Menage.Statut",
        "StatutMesureEnum": "accompagnement.models.Mesure.Statut",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {
        # Accessibilité (axe) : les liens profonds imbriquent un lien dans chaque bouton
        # d'opération, la coloration syntaxique n'a pas assez de contraste.
        "deepLinking": False,
        "syntaxHighlight": False,
        "displayRequestDuration": True,
        "validatorUrl": None,  # sinon Swagger UI interroge un validateur extérieur
    },
}

# Courriels (réinitialisation du mot de passe) : affichés dans la console tant qu'aucun serveur
# SMTP n'est configuré.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if env.str("EMAIL_HOST", default="")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Logement d'abord <ne-pas-repondre@localhost>"
)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_HEURES", default=24) * 3600

# Production (HTTPS=1) ---------------------------------------------------------------------
# Le démarrage rapide et docker-compose en local restent en http ; HTTPS=1 active d'un coup
# redirection, HSTS et cookies sécurisés (chacun reste réglable).
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
if env.bool("HTTPS_DERRIERE_PROXY", default=False):
    # Le mandataire inverse termine TLS et l'annonce par X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Politique de sécurité du contenu : rien que ce que sert la plateforme ; les scripts du DSFR
# portent un nonce, htmx n'injecte pas de style (meta htmx-config dans base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
