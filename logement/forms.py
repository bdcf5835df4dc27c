"""Bases de formulaire au système de design de l'État (DSFR), communes à toutes les apps."""

from django import forms
from django.core.exceptions import ValidationError
from dsfr.forms import DsfrBaseForm

from .text import identifiant


class FormulaireDsfr(DsfrBaseForm):
    """Champs au gabarit DSFR, dates en sélecteur natif, champs facultatifs signalés."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for champ in self.fields.values():
            if isinstance(champ, forms.DateField) and not isinstance(
                champ.widget, forms.HiddenInput
            ):
                champ.widget = forms.DateInput(
                    attrs={**champ.widget.attrs, "type": "date"}, format="%Y-%m-%d"
                )
                champ.input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
            elif isinstance(champ, forms.ModelChoiceField):
                _borner_identifiants(champ)

    def get_context(self):
        # On adopte d'emblée la règle à venir du DSFR (signaler les champs facultatifs) sans
        # passer par le réglage transitoire, qui émet un avertissement à chaque rendu.
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context


def _borner_identifiants(champ: forms.ModelChoiceField) -> None:
    """Un choix forgé (« ² », 2**63…) est un choix invalide, pas une erreur de base : Django le
    passe tel quel à `pk__in`, qui déborde sous SQLite."""
    nettoyer = champ.clean

    def clean(valeur):
        valeurs = valeur if isinstance(valeur, list | tuple) else [valeur]
        if any(v not in (None, "") and identifiant(v) is None for v in valeurs):
            raise ValidationError("Choix invalide : il ne fait pas partie des possibilités.")
        return nettoyer(valeur)

    champ.clean = clean


class FormulaireModeleDsfr(FormulaireDsfr, forms.ModelForm):
    pass
