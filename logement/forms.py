"""Bases de formulaire au système de design de l'État (DSFR), communes à toutes les apps."""

from django import forms
from dsfr.forms import DsfrBaseForm


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

    def get_context(self):
        # On adopte d'emblée la règle à venir du DSFR (signaler les champs facultatifs) sans
        # passer par le réglage transitoire, qui émet un avertissement à chaque rendu.
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context


class FormulaireModeleDsfr(FormulaireDsfr, forms.ModelForm):
    pass
