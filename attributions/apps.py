from django.apps import AppConfig


class AttributionsConfig(AppConfig):
    name = "attributions"
    verbose_name = "Logements et attributions"
