"""Formulaires de l'accompagnement : orientations et décisions, mesures, projet, rencontres.

Chaque liste de choix (structure, référent, logement, mesure) est tirée du périmètre de
l'utilisateur : un identifiant falsifié hors périmètre est refusé comme un choix invalide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from attributions.models import Logement
from logement.forms import FormulaireDsfr, FormulaireModeleDsfr
from logement.models import Structure
from menages.concurrence import ErreurVersionEnTete, champ_version

from . import selectors
from .models import (
    ActionProjet,
    DomaineAccompagnement,
    Mesure,
    MotifFin,
    ObjectifProjet,
    Orientation,
    OrigineOrientation,
    Rencontre,
    TypeMesure,
)

ZONE_COURTE = forms.Textarea(attrs={"rows": 3})


def ajouter_erreurs(form, erreur: ValidationError, renvois: dict | None = None) -> None:
    """Reporte une erreur de modèle ou de service sur le formulaire : sous le champ concerné
    quand le formulaire l'a (au besoin renommé par `renvois`), en tête sinon."""
    if not hasattr(erreur, "error_dict"):
        form.add_error(None, erreur.messages)
        return
    for champ, erreurs in erreur.error_dict.items():
        champ = (renvois or {}).get(champ, champ)
        form.add_error(champ if champ in form.fields else None, erreurs)


def recapitulatif(form) -> list[tuple[str, str]]:
    """(libellé, valeur lisible) des champs remplis, pour l'étape de confirmation."""
    lignes = []
    for nom, champ in form.fields.items():
        valeur = form.cleaned_data.get(nom)
        if valeur in (None, ""):
            continue
        if isinstance(valeur, dt.date):
            texte = f"{valeur:%d/%m/%Y}"
        elif isinstance(champ, forms.ModelChoiceField):
            texte = champ.label_from_instance(valeur)
        elif isinstance(champ, forms.ChoiceField):
            texte = str(dict(champ.choices).get(valeur, valeur))
        else:
            texte = str(valeur)
        lignes.append((champ.label, texte))
    return lignes


# --- Orientations -------------------------------------------------------------------------------


class FiltreOrientationsForm(FormulaireDsfr):
    statut = forms.ChoiceField(
        label="Statut",
        choices=[("en_attente", "En attente de décision"), ("decidees", "Décidées")],
        required=False,
    )
    plateforme = forms.ModelChoiceField(
        label="Plateforme", queryset=None, required=False, empty_label="Toutes"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plateforme"].queryset = selectors.plateformes_visibles(user).order_by("nom")


class OrientationForm(FormulaireModeleDsfr):
    class Meta:
        model = Orientation
        fields = [
            "plateforme",
            "date_orientation",
            "origine",
            "structure_prescriptrice",
            "prescripteur",
            "motif",
            "type_mesure_preconisee",
        ]
        widgets = {"motif": ZONE_COURTE}

    def __init__(self, *args, user, menage, **kwargs):
        super().__init__(*args, instance=Orientation(menage=menage), **kwargs)
        # Seules les plateformes du ressort de l'utilisateur qui couvrent l'EPCI du ménage.
        self.fields["plateforme"].queryset = (
            selectors.plateformes_visibles(user)
            .filter(perimetre=menage.territoire_id)
            .order_by("nom")
        )
        self.fields["origine"].queryset = OrigineOrientation.objects.filter(actif=True)
        self.fields["structure_prescriptrice"].queryset = Structure.objects.visible_to(
            user
        ).order_by("nom")
        self.fields["type_mesure_preconisee"].queryset = TypeMesure.objects.filter(actif=True)
        self.fields["date_orientation"].initial = timezone.localdate()

    def clean_date_orientation(self):
        date = self.cleaned_data["date_orientation"]
        if date > timezone.localdate():
            raise ValidationError("Une orientation ne peut être reçue dans le futur.")
        return date


class RefusForm(FormulaireDsfr):
    motif = forms.CharField(label="Motif du refus", widget=ZONE_COURTE)


class RedirectionForm(FormulaireDsfr):
    motif = forms.CharField(label="Motif de la réorientation", widget=ZONE_COURTE)
    redirigee_vers = forms.CharField(
        label="Réorientée vers", max_length=200, help_text="Dispositif ou structure."
    )


# --- Mesures ------------------------------------------------------------------------------------


class ChoixReferent(forms.ModelChoiceField):
    """Le nom et les structures du référent (préchargées par `selectors.referents_habilites`),
    pour choisir sans se tromper de structure."""

    def label_from_instance(self, obj):
        nom = obj.get_full_name() or obj.username
        structures = getattr(obj, "habilitations_referent", None)
        if not structures:
            return nom
        return f"{nom} ({', '.join(h.structure.nom for h in structures)})"


class OuvertureMesureForm(FormulaireDsfr):
    """Ouvrir une mesure : à l'acceptation d'une orientation ou directement pour un ménage."""

    type_mesure = forms.ModelChoiceField(label="Type de mesure", queryset=None)
    structure = forms.ModelChoiceField(label="Structure", queryset=None)
    referent = ChoixReferent(
        label="Référent",
        queryset=None,
        required=False,
        help_text="Un travailleur social habilité comme référent dans la structure choisie.",
    )
    date_debut = forms.DateField(
        label="Début de la mesure",
        required=False,
        help_text="Laissez vide pour seulement proposer la mesure ; elle démarrera plus tard.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        structures = selectors.structures_de_mesure(user)
        self.fields["type_mesure"].queryset = TypeMesure.objects.filter(actif=True)
        self.fields["structure"].queryset = structures
        self.fields["referent"].queryset = selectors.referents_habilites(structures)

    def clean(self):
        donnees = super().clean()
        structure, referent = donnees.get("structure"), donnees.get("referent")
        if structure and referent and not selectors.est_referent_habilite(referent, structure):
            self.add_error("referent", "Ce référent n'est pas habilité dans la structure choisie.")
        return donnees


class DemarrageForm(FormulaireDsfr):
    date_debut = forms.DateField(label="Début de la mesure", initial=timezone.localdate)


class RenouvellementForm(FormulaireDsfr):
    nouvelle_fin_prevue = forms.DateField(label="Nouvelle fin prévue")
    date_decision = forms.DateField(label="Décidé le", initial=timezone.localdate)
    motif = forms.CharField(label="Motif", widget=ZONE_COURTE, required=False)


class FinMesureForm(FormulaireDsfr):
    motif = forms.ModelChoiceField(label="Motif de fin", queryset=None)
    date_fin = forms.DateField(label="Fin de la mesure", initial=timezone.localdate)
    destination = forms.ChoiceField(
        label="Logement obtenu",
        choices=[("", "—")] + list(Mesure.Destination.choices),
        required=False,
        help_text="En cas d'accès au logement.",
    )
    date_entree_logement = forms.DateField(
        label="Entrée dans le logement", required=False, help_text="En cas d'accès au logement."
    )
    logement = forms.ModelChoiceField(
        label="Logement capté",
        queryset=None,
        required=False,
        help_text="Facultatif : le logement capté par la plateforme, s'il s'agit de l'un d'eux.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["motif"].queryset = MotifFin.objects.filter(actif=True)
        self.fields["logement"].queryset = Logement.objects.visible_to(user).order_by("reference")

    def clean(self):
        donnees = super().clean()
        motif = donnees.get("motif")
        if motif and motif.acces_logement:
            if not donnees.get("destination"):
                self.add_error("destination", "Indiquez le logement obtenu.")
            if not donnees.get("date_entree_logement"):
                self.add_error(
                    "date_entree_logement", "Indiquez la date d'entrée dans le logement."
                )
        elif motif:
            # Sans accès au logement, ces champs n'ont pas de sens : on ne les garde pas.
            donnees.update(destination="", date_entree_logement=None, logement=None)
        return donnees


# --- Projet d'accompagnement --------------------------------------------------------------------


class ProjetForm(ErreurVersionEnTete, FormulaireDsfr):
    date_elaboration = forms.DateField(label="Élaboré le", initial=timezone.localdate)
    diagnostic = forms.CharField(
        label="Diagnostic partagé", widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    date_signature = forms.DateField(label="Signé avec le ménage le", required=False)
    # Version du projet lue (vide à la création) : refuse d'écraser une modification concurrente.
    version = champ_version(required=False)


class ObjectifForm(FormulaireDsfr):
    domaine = forms.ModelChoiceField(label="Domaine", queryset=None)
    intitule = forms.CharField(label="Objectif", max_length=250)
    statut = forms.ChoiceField(
        label="Statut", choices=ObjectifProjet.Statut.choices, initial="a_engager"
    )
    echeance = forms.DateField(label="Échéance", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domaine"].queryset = DomaineAccompagnement.objects.filter(actif=True)


class ObjectifEditionForm(ErreurVersionEnTete, FormulaireDsfr):
    """Édition en ligne : sans le domaine, pour ne pas charger la liste à chaque objectif."""

    intitule = forms.CharField(label="Objectif", max_length=250)
    statut = forms.ChoiceField(label="Statut", choices=ObjectifProjet.Statut.choices)
    echeance = forms.DateField(label="Échéance", required=False)
    version = champ_version()


class ActionForm(FormulaireDsfr):
    intitule = forms.CharField(label="Action", max_length=250)
    porteur = forms.ChoiceField(label="Portée par", choices=ActionProjet.Porteur.choices)
    echeance = forms.DateField(label="Échéance", required=False)


class ActionEditionForm(ErreurVersionEnTete, ActionForm):
    realisee_le = forms.DateField(label="Réalisée le", required=False)
    version = champ_version()


# --- Rencontres ---------------------------------------------------------------------------------


class ChoixMesure(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.type.code.upper()} — {obj.structure} ({obj.get_statut_display().lower()})"


class RencontreForm(FormulaireDsfr):
    date = forms.DateField(label="Date", initial=timezone.localdate)
    type = forms.ChoiceField(label="Type", choices=Rencontre.Type.choices)
    duree_minutes = forms.IntegerField(label="Durée (minutes)", min_value=1, max_value=1440)
    note = forms.CharField(
        label="Note",
        widget=ZONE_COURTE,
        required=False,
        help_text="Lisible uniquement par votre structure.",
    )
    mesure = ChoixMesure(label="Mesure", queryset=None, required=False, empty_label="Aucune")
    structure = forms.ModelChoiceField(label="Au nom de la structure", queryset=None)

    def __init__(self, *args, menage, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mesure"].queryset = menage.mesures.select_related("type", "structure")
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["structure"].queryset = structures
        # Une seule structure possible : inutile de la demander.
        if len(structures) == 1:
            self.fields["structure"].initial = structures[0].pk
            self.fields["structure"].widget = forms.HiddenInput()

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise ValidationError("Une rencontre ne peut être datée dans le futur.")
        return date
