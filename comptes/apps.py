from django.apps import AppConfig


class ComptesConfig(AppConfig):
    name = "comptes"
    verbose_name = "Comptes : connexion, double authentification, mot de passe"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (enregistre le contrôle de déploiement)
        from .middleware import noter_connexion

        user_logged_in.connect(noter_connexion, dispatch_uid="comptes:2fa")
