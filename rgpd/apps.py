from django.apps import AppConfig


class RgpdConfig(AppConfig):
    name = "rgpd"
    verbose_name = "RGPD : conservation et droit d'accès"
