"""Création d'un jeton d'API : un nom et une durée (un an au plus)."""

from django import forms
from django.conf import settings

from logement.forms import FormulaireDsfr

from .models import JetonAPI

DUREES_PROPOSEES = (7, 30, 90, 180, 365)


def _libelle(jours: int) -> str:
    if jours == 365:
        return "1 an"
    if jours % 30 == 0 and jours >= 30:
        return f"{jours // 30} mois"
    return f"{jours} jours"


class JetonForm(FormulaireDsfr):
    nom = forms.CharField(
        label="Nom du jeton",
        max_length=JetonAPI._meta.get_field("nom").max_length,
        help_text="À quoi il sert, pour le reconnaître plus tard (ex. « Tableur de suivi »).",
    )
    duree = forms.TypedChoiceField(
        label="Durée de validité",
        coerce=int,
        help_text="À l'échéance, le jeton cesse de fonctionner : créez-en un nouveau.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        maximum = settings.API_JETON_DUREE_MAX_JOURS
        defaut = min(settings.API_JETON_DUREE_JOURS, maximum)
        durees = sorted({d for d in DUREES_PROPOSEES if d <= maximum} | {defaut, maximum})
        self.fields["duree"].choices = [(d, _libelle(d)) for d in durees]
        self.fields["duree"].initial = defaut
