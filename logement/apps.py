from django.apps import AppConfig


class LogementConfig(AppConfig):
    name = "logement"
    verbose_name = "Socle : territoires, structures, habilitations"
