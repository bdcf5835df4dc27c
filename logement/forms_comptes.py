"""Formulaires de la gestion des comptes : filtres de la liste, invitation, habilitation.

Les structures et territoires offerts sont ceux du ressort du gestionnaire : un identifiant
forgé hors ressort est une erreur de saisie, jamais une écriture (le service revérifie).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from .forms import FormulaireDsfr
from .models import Habilitation, Role
from .selectors_comptes import Ressort

HORS_RESSORT = "Ce choix n'est pas disponible : il ne relève pas de votre ressort."


def reporter_erreurs(form: forms.Form, erreur: ValidationError) -> None:
    """Affiche dans le formulaire les erreurs levées par un service ou par full_clean()."""
    if not hasattr(erreur, "error_dict"):
        form.add_error(None, erreur)
        return
    for champ, erreurs in erreur.error_dict.items():
        cible = champ if champ in form.fields and champ != NON_FIELD_ERRORS else None
        for e in erreurs:
            form.add_error(cible, e)


class FiltresComptesForm(FormulaireDsfr):
    q = forms.CharField(label="Nom ou e-mail", required=False, max_length=100)
    role = forms.ChoiceField(
        label="Rôle en cours", required=False, choices=[("", "Tous"), *Role.choices]
    )
    statut = forms.ChoiceField(
        label="Statut",
        required=False,
        choices=[("", "Tous"), ("actif", "Actifs"), ("inactif", "Désactivés")],
    )

    def get_context(self):
        context = super().get_context()
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False  # filtres : tous facultatifs
        return context

    def criteres(self) -> dict:
        """Les filtres valides ; une valeur forgée est ignorée."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v}


class HabilitationForm(FormulaireDsfr):
    """Rôle et cible selon Habilitation.EXIGENCES, bornés au ressort du gestionnaire."""

    role = forms.ChoiceField(label="Rôle")
    structure = forms.ModelChoiceField(
        label="Structure",
        queryset=None,
        required=False,
        help_text="Pour un référent.",
        error_messages={"invalid_choice": HORS_RESSORT},
    )
    territoire = forms.ModelChoiceField(
        label="Territoire",
        queryset=None,
        required=False,
        help_text="Coordinateur : plateforme ou EPCI ; agent départemental : Département ; "
        "co-pilote : EPCI ou Département. Vide pour un référent ou un administrateur.",
        error_messages={"invalid_choice": HORS_RESSORT},
    )
    date_debut = forms.DateField(label="Début", initial=timezone.localdate)
    date_fin = forms.DateField(label="Fin", required=False)

    avec_dates = True

    def __init__(self, *args, par, **kwargs):
        super().__init__(*args, **kwargs)
        ressort = Ressort.de(par)
        self.fields["role"].choices = [("", "Choisir un rôle"), *self.roles_attribuables(ressort)]
        self.fields["structure"].queryset = (
            ressort.structures().filter(actif=True).select_related("territoire").order_by("nom")
        )
        self.fields["territoire"].queryset = ressort.territoires().order_by("niveau", "nom")
        if not self.avec_dates:
            del self.fields["date_debut"], self.fields["date_fin"]

    @staticmethod
    def roles_attribuables(ressort: Ressort):
        if ressort.tout:
            return Role.choices
        return [(r.value, r.label) for r in Role if r != Role.ADMINISTRATEUR]

    def clean(self):
        donnees = super().clean()
        role = donnees.get("role")
        if not role:
            return donnees
        exige_structure, exige_territoire, _ = Habilitation.EXIGENCES[Role(role)]
        # Une cible que le rôle n'utilise pas serait enregistrée sans effet : on la refuse.
        if donnees.get("structure") and not exige_structure:
            self.add_error("structure", "Ce rôle ne s'exerce pas sur une structure : laissez vide.")
        if donnees.get("territoire") and not exige_territoire:
            self.add_error(
                "territoire", "Ce rôle ne s'exerce pas sur un territoire : laissez vide."
            )
        return donnees

    def valeurs(self) -> dict:
        d = self.cleaned_data
        valeurs = {"role": d["role"], "structure": d["structure"], "territoire": d["territoire"]}
        if self.avec_dates:
            valeurs |= {"date_debut": d["date_debut"], "date_fin": d["date_fin"]}
        return valeurs


class InvitationForm(HabilitationForm):
    prenom = forms.CharField(label="Prénom", max_length=150)
    nom = forms.CharField(label="Nom", max_length=150)
    email = forms.EmailField(
        label="Adresse e-mail",
        max_length=254,
        help_text="Le lien pour choisir un mot de passe y sera envoyé.",
    )
    role = forms.ChoiceField(label="Rôle (première habilitation)")

    avec_dates = False
    field_order = ["prenom", "nom", "email", "role", "structure", "territoire"]

    def valeurs(self) -> dict:
        d = self.cleaned_data
        return super().valeurs() | {"prenom": d["prenom"], "nom": d["nom"], "email": d["email"]}
