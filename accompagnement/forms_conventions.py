"""Formulaires des conventions de financement : filtres de la liste, saisie.

Structures et territoires offerts sont bornés au périmètre de l'utilisateur : une valeur forgée
hors de ce périmètre est une erreur de saisie, jamais une écriture.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from logement.forms import FormulaireDsfr, FormulaireModeleDsfr
from logement.models import Structure, Territoire

from .models import Convention, Financeur, TypeMesure


class FiltresConventionsForm(FormulaireDsfr):
    annee = forms.TypedChoiceField(label="Année", coerce=int)
    financeur = forms.ChoiceField(
        label="Financeur", required=False, choices=[("", "Tous"), *Financeur.choices]
    )
    type_mesure = forms.ModelChoiceField(
        label="Type de mesure",
        queryset=TypeMesure.objects.all(),
        required=False,
        empty_label="Tous",
    )
    structure = forms.ModelChoiceField(
        label="Structure", queryset=None, required=False, empty_label="Toutes"
    )

    def __init__(self, *args, conventions, annee_par_defaut: int, **kwargs):
        """`conventions` : celles que l'utilisateur peut voir ; elles bornent années et structures."""
        super().__init__(*args, **kwargs)
        annees = set(conventions.order_by().values_list("annee", flat=True).distinct())
        annees.add(annee_par_defaut)
        self.fields["annee"].choices = [(a, a) for a in sorted(annees, reverse=True)]
        self.fields["annee"].initial = annee_par_defaut
        self.fields["structure"].queryset = Structure.objects.filter(
            id__in=conventions.values("structure_id")
        ).order_by("nom")
        self.annee_par_defaut = annee_par_defaut

    def get_context(self):
        context = super().get_context()
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False  # filtres : tous facultatifs sauf l'année
        return context

    def filtrer(self, conventions):
        """Les conventions de l'année choisie, annotées de leur occupation, filtrées.

        Un filtre invalide (valeur forgée, année inconnue) est ignoré, les autres s'appliquent.
        """
        filtres = self._filtres_valides()
        conventions = conventions.avec_occupation(self.annee_choisie)
        for champ in ("financeur", "type_mesure", "structure"):
            if filtres.get(champ):
                conventions = conventions.filter(**{champ: filtres[champ]})
        return conventions

    @property
    def annee_choisie(self) -> int:
        return self._filtres_valides().get("annee") or self.annee_par_defaut

    def _filtres_valides(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()  # remplit cleaned_data des seuls champs valides
        return self.cleaned_data


class ConventionForm(FormulaireModeleDsfr):
    # Une fois des mesures rattachées, ces champs les engagent (même structure, type, année).
    CHAMPS_FIGES_PAR_LES_MESURES = ("structure", "type_mesure", "annee")

    class Meta:
        model = Convention
        fields = [
            "reference",
            "financeur",
            "structure",
            "type_mesure",
            "territoire",
            "annee",
            "nombre_mesures",
            "budget",
            "date_signature",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["annee"].initial = timezone.localdate().year
        self.fields["structure"].queryset = Structure.objects.visible_to(user).order_by("nom")
        self.fields["territoire"].queryset = Territoire.objects.visible_to(user).order_by(
            "niveau", "nom"
        )
        types = TypeMesure.objects.filter(actif=True)
        if self.instance.type_mesure_id:
            types = types | TypeMesure.objects.filter(pk=self.instance.type_mesure_id)
        self.fields["type_mesure"].queryset = types

    def clean(self):
        donnees = super().clean()
        changes = [c for c in self.CHAMPS_FIGES_PAR_LES_MESURES if c in self.changed_data]
        if self.instance.pk and changes and self.instance.mesures.exists():
            for champ in changes:
                self.add_error(
                    champ,
                    "Des mesures sont rattachées à cette convention : ce champ ne peut plus "
                    "changer.",
                )
        return donnees
