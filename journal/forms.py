"""Filtres de la recherche dans le journal."""

import re

from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from logement.forms import FormulaireDsfr

from .models import Action
from .suivi import SUIVIS


def _types_objet():
    choix = []
    for label in SUIVIS:
        try:
            modele = apps.get_model(label)
        except LookupError:
            continue
        choix.append((label.lower(), modele._meta.verbose_name.capitalize()))
    return [("", "Tous"), *sorted(choix, key=lambda c: c[1])]


class FiltresJournalForm(FormulaireDsfr):
    debut = forms.DateField(label="Du", required=False)
    fin = forms.DateField(label="Au", required=False)
    auteur = forms.CharField(
        label="Auteur",
        required=False,
        max_length=150,
        help_text="Identifiant ou nom, même partiel.",
    )
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Toutes")])
    menage = forms.CharField(
        label="Référence du ménage", required=False, max_length=20, help_text="Ex. : M0000123"
    )
    type_objet = forms.ChoiceField(label="Type d'objet", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Toutes"), *Action.choices]
        self.fields["type_objet"].choices = _types_objet()

    def get_context(self):
        context = super().get_context()
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False  # filtres : tous facultatifs
        return context

    def clean_menage(self):
        valeur = self.cleaned_data["menage"].strip().upper()
        if not valeur:
            return None
        correspondance = re.fullmatch(r"M?0*(\d{1,12})", valeur)
        if not correspondance:
            raise forms.ValidationError("Une référence de ménage s'écrit M suivi de chiffres.")
        return int(correspondance.group(1))

    def clean_type_objet(self):
        valeur = self.cleaned_data["type_objet"]
        if not valeur:
            return None
        app_label, model = valeur.split(".", 1)
        return ContentType.objects.get_by_natural_key(app_label, model)

    def clean(self):
        donnees = super().clean()
        debut, fin = donnees.get("debut"), donnees.get("fin")
        if debut and fin and fin < debut:
            self.add_error("fin", "La fin de la période précède son début.")
        return donnees

    def filtres_valides(self) -> dict:
        """Les valeurs correctes ; une valeur invalide est signalée sous son champ et ignorée."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
