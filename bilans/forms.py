"""Formulaires des bilans : filtres de la liste, demande d'un bilan.

Les territoires et publics offerts sont ceux que l'utilisateur peut demander : un territoire
forgé hors de son ressort est un choix invalide, jamais une écriture."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from logement.forms import FormulaireDsfr
from logement.models import Territoire

from .models import Bilan, droits_bilans
from .services import periode_annee, periode_trimestre

PREMIERE_ANNEE = 2015


class FiltresBilansForm(FormulaireDsfr):
    territoire = forms.ModelChoiceField(
        label="Territoire", queryset=None, required=False, empty_label="Tous"
    )
    audience = forms.ChoiceField(
        label="Destinataire", required=False, choices=[("", "Tous"), *Bilan.Audience.choices]
    )
    statut = forms.ChoiceField(
        label="État", required=False, choices=[("", "Tous"), *Bilan.Statut.choices]
    )

    def __init__(self, *args, bilans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territoire"].queryset = Territoire.objects.filter(
            id__in=bilans.values("territoire_id")
        ).order_by("niveau", "nom")

    def get_context(self):
        context = super().get_context()
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False  # des filtres : tous facultatifs
        return context

    def filtrer(self, bilans):
        """Un filtre invalide (valeur forgée) est ignoré, les autres s'appliquent."""
        if self.is_bound:
            self.is_valid()
        criteres = getattr(self, "cleaned_data", {})
        for champ in ("territoire", "audience", "statut"):
            if criteres.get(champ) and champ not in self.errors:
                bilans = bilans.filter(**{champ: criteres[champ]})
        return bilans


class DemandeBilanForm(FormulaireDsfr):
    class TypePeriode:
        ANNEE, TRIMESTRE, LIBRE = "annee", "trimestre", "libre"

    territoire = forms.ModelChoiceField(label="Territoire", queryset=None)
    audience = forms.ChoiceField(label="Destinataire du bilan")
    type_periode = forms.ChoiceField(
        label="Période",
        choices=[
            (TypePeriode.ANNEE, "Une année civile"),
            (TypePeriode.TRIMESTRE, "Un trimestre"),
            (TypePeriode.LIBRE, "Des dates libres"),
        ],
        initial=TypePeriode.ANNEE,
        widget=forms.RadioSelect,
    )
    annee = forms.TypedChoiceField(
        label="Année",
        coerce=int,
        required=False,
        help_text="Pour une année ou un trimestre.",
    )
    trimestre = forms.TypedChoiceField(
        label="Trimestre",
        coerce=int,
        required=False,
        choices=[
            ("", "—"),
            (1, "1er trimestre"),
            (2, "2e trimestre"),
            (3, "3e trimestre"),
            (4, "4e trimestre"),
        ],
    )
    date_debut = forms.DateField(label="Du", required=False, help_text="Pour des dates libres.")
    date_fin = forms.DateField(label="Au", required=False, help_text="Pour des dates libres.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.droits = droits_bilans(user)
        self.fields["territoire"].queryset = self.droits.territoires_demandables().order_by(
            "niveau", "nom"
        )
        publics = self.droits.audiences_demandables()
        self.fields["audience"].choices = [
            (a, label) for a, label in Bilan.Audience.choices if a in publics
        ]
        annee = timezone.localdate().year
        self.fields["annee"].choices = [("", "—")] + [
            (a, a) for a in range(annee, PREMIERE_ANNEE - 1, -1)
        ]
        self.fields["annee"].initial = annee - 1

    def clean(self):
        donnees = super().clean()
        self.periode = self._periode(donnees)
        territoire, audience = donnees.get("territoire"), donnees.get("audience")
        if territoire and audience:
            niveaux = Bilan.NIVEAUX_PAR_AUDIENCE[audience]
            if territoire.niveau not in niveaux:
                admis = " ou ".join(str(Territoire.Niveau(n).label) for n in niveaux)
                self.add_error(
                    "audience",
                    f"Ce bilan porte sur un territoire de niveau {admis} : "
                    f"{territoire.nom} est un territoire de niveau "
                    f"{territoire.get_niveau_display()}.",
                )
            elif not self.droits.peut_demander(territoire, audience):
                self.add_error(
                    "audience", "Votre habilitation ne permet pas ce bilan pour ce territoire."
                )
        return donnees

    def _periode(self, donnees):
        """(début, fin, périodicité), ou None après avoir signalé l'erreur sous le bon champ."""
        aujourd_hui = timezone.localdate()
        choix = donnees.get("type_periode")
        annee = donnees.get("annee")
        if choix in (self.TypePeriode.ANNEE, self.TypePeriode.TRIMESTRE) and not annee:
            self.add_error("annee", "Choisissez l'année.")
            return None
        if choix == self.TypePeriode.ANNEE:
            return (*periode_annee(annee), Bilan.Periodicite.ANNUEL)
        if choix == self.TypePeriode.TRIMESTRE:
            trimestre = donnees.get("trimestre")
            if not trimestre:
                self.add_error("trimestre", "Choisissez le trimestre.")
                return None
            debut, fin = periode_trimestre(annee, trimestre)
            if debut > aujourd_hui:
                self.add_error("trimestre", "Ce trimestre n'a pas encore commencé.")
                return None
            return debut, fin, Bilan.Periodicite.TRIMESTRIEL
        if choix == self.TypePeriode.LIBRE:
            debut, fin = donnees.get("date_debut"), donnees.get("date_fin")
            for champ, valeur in (("date_debut", debut), ("date_fin", fin)):
                if valeur is None and champ not in self.errors:
                    self.add_error(champ, "Indiquez cette date.")
            if not (debut and fin):
                return None
            if fin < debut:
                self.add_error("date_fin", "La fin de la période précède son début.")
                return None
            if debut > aujourd_hui:
                self.add_error("date_debut", "La période n'a pas encore commencé.")
                return None
            return debut, fin, Bilan.Periodicite.LIBRE
        return None
