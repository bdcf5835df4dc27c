"""Formulaires des attributions : logements, filtres, proposition et chaque étape du parcours."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from logement.forms import FormulaireDsfr, FormulaireModeleDsfr
from logement.models import Structure, Territoire
from menages.models import Menage

from .models import Contingent, DecisionCaleol, Logement, Proposition
from .selectors import epci_visibles

OUI_NON = [("", "Tous"), ("oui", "Oui"), ("non", "Non")]


def choix_vide(choix, libelle="Tous"):
    return [("", libelle), *choix]


class ErreursDuServiceMixin:
    """Reporte sur les champs du formulaire les erreurs d'un service (noms de champs du modèle)."""

    # Champ du modèle → champ du formulaire, quand ils diffèrent.
    correspondance: dict[str, str] = {}

    def ajouter_erreurs(self, erreur: ValidationError) -> None:
        if not hasattr(erreur, "error_dict"):
            self.add_error(None, erreur)
            return
        for champ, messages in erreur.message_dict.items():
            cible = self.correspondance.get(champ, champ)
            self.add_error(cible if cible in self.fields else None, messages)


class ConfirmationMixin(forms.Form):
    """Étape qui clôt quelque chose : le formulaire valide est d'abord présenté pour confirmation."""

    confirme = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def a_confirmer(self) -> str:
        """Message de confirmation quand la saisie termine quelque chose ; vide sinon."""
        return ""

    def attend_confirmation(self) -> bool:
        return bool(self.a_confirmer()) and not self.cleaned_data.get("confirme")


def _restreindre_aux_epci_visibles(form, user):
    """Filtre EPCI limité au périmètre ; sans objet pour qui ne voit que ses ménages suivis."""
    if user.perimetre.tout or user.perimetre.epci_ids:
        form.fields["epci"].queryset = epci_visibles(user)
    else:
        del form.fields["epci"]


# --- Logements ----------------------------------------------------------------------------------


class LogementForm(FormulaireModeleDsfr):
    class Meta:
        model = Logement
        fields = [
            "reference",
            "adresse",
            "code_postal",
            "commune",
            "territoire",
            "typologie",
            "surface",
            "loyer",
            "charges",
            "type_bailleur",
            "bailleur",
            "qpv",
            "contingent",
            "captation",
            "date_disponibilite",
            "date_retrait",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Choix et revalidation limités au périmètre : un identifiant falsifié est une erreur.
        self.fields["territoire"].queryset = epci_visibles(user)
        self.fields["bailleur"].queryset = Structure.objects.visible_to(user).filter(
            type=Structure.Type.BAILLEUR, actif=True
        )
        self.fields["bailleur"].help_text = "Seulement pour un logement du parc social."
        self.fields["contingent"].queryset = Contingent.objects.filter(actif=True)


class FiltreLogementsForm(FormulaireDsfr):
    q = forms.CharField(label="Référence, commune ou adresse", required=False)
    epci = forms.ModelChoiceField(
        label="EPCI", queryset=Territoire.objects.none(), required=False, empty_label="Tous"
    )
    typologie = forms.ChoiceField(
        label="Typologie", choices=choix_vide(Logement.Typologie.choices), required=False
    )
    captation = forms.ChoiceField(
        label="Captation", choices=choix_vide(Logement.Captation.choices), required=False
    )
    type_bailleur = forms.ChoiceField(
        label="Bailleur", choices=choix_vide(Logement.TypeBailleur.choices), required=False
    )
    qpv = forms.ChoiceField(label="En QPV", choices=OUI_NON, required=False)
    disponible = forms.ChoiceField(label="Disponible", choices=OUI_NON, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _restreindre_aux_epci_visibles(self, user)

    def filtrer(self, logements):
        self.is_valid()  # Un filtre invalide est signalé et ignoré ; les autres s'appliquent.
        donnees = self.cleaned_data
        if q := donnees.get("q", "").strip():
            logements = logements.filter(
                Q(reference__icontains=q) | Q(commune__icontains=q) | Q(adresse__icontains=q)
            )
        if donnees.get("epci"):
            logements = logements.filter(territoire=donnees["epci"])
        for champ in ("typologie", "captation", "type_bailleur"):
            if donnees.get(champ):
                logements = logements.filter(**{champ: donnees[champ]})
        if donnees.get("qpv"):
            logements = logements.filter(qpv=donnees["qpv"] == "oui")
        if donnees.get("disponible") == "oui":
            logements = logements.disponibles()
        elif donnees.get("disponible") == "non":
            logements = logements.indisponibles()
        return logements


# --- Pipeline -----------------------------------------------------------------------------------


class FiltrePropositionsForm(FormulaireDsfr):
    etape = forms.ChoiceField(
        label="Étape", choices=choix_vide(Proposition.Etape.choices, "Toutes"), required=False
    )
    epci = forms.ModelChoiceField(
        label="EPCI", queryset=Territoire.objects.none(), required=False, empty_label="Tous"
    )
    contingent = forms.ModelChoiceField(
        label="Contingent", queryset=Contingent.objects.all(), required=False, empty_label="Tous"
    )
    annee = forms.IntegerField(
        label="Année",
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="Propositions de l'année ; baux signés de l'année face à l'objectif.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _restreindre_aux_epci_visibles(self, user)

    def annee_choisie(self) -> int:
        return self.cleaned_data.get("annee") or timezone.localdate().year

    def filtrer_territoire(self, propositions):
        """Filtres communs aux compteurs et à l'objectif (pas l'étape)."""
        self.is_valid()
        if epci := self.cleaned_data.get("epci"):
            propositions = propositions.filter(logement__territoire=epci)
        if contingent := self.cleaned_data.get("contingent"):
            propositions = propositions.filter(contingent=contingent)
        return propositions


# --- Proposition d'un logement ------------------------------------------------------------------


class PropositionForm(ErreursDuServiceMixin, FormulaireDsfr):
    menages = forms.ModelMultipleChoiceField(
        label="Ménages présentés",
        queryset=Menage.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choisissez au moins un ménage.",
            "invalid_choice": "Ce ménage n'est pas dans votre périmètre ou n'est plus suivi.",
            "invalid_pk_value": "Identifiant de ménage invalide.",
        },
    )
    contingent = forms.ModelChoiceField(
        label="Contingent", queryset=Contingent.objects.filter(actif=True)
    )
    date_proposition = forms.DateField(label="Date de la proposition")

    correspondance = {"menage": "menages"}

    def __init__(self, *args, user, logement, **kwargs):
        super().__init__(*args, **kwargs)
        # Le queryset sert à revalider ; la liste affichée vient de la recherche (jamais tout).
        self.fields["menages"].queryset = Menage.objects.visible_to(user).actifs()
        self.fields["contingent"].initial = logement.contingent_id
        self.fields["date_proposition"].initial = timezone.localdate()


# --- Étapes -------------------------------------------------------------------------------------


class DecisionCaleolForm(ErreursDuServiceMixin, ConfirmationMixin, FormulaireDsfr):
    date_caleol = forms.DateField(label="Date de la CALEOL")
    decision = forms.ModelChoiceField(
        label="Décision", queryset=DecisionCaleol.objects.filter(actif=True)
    )
    motif_decision = forms.CharField(
        label="Motif",
        required=False,
        max_length=250,
        help_text="Obligatoire pour une non-attribution ou une irrecevabilité ; condition "
        "suspensive le cas échéant.",
    )

    def a_confirmer(self):
        decision = self.cleaned_data.get("decision")
        if decision and not decision.attribution:
            return f"« {decision} » met fin à cette proposition : elle sortira du pipeline."
        return ""


class ReponseMenageForm(ErreursDuServiceMixin, ConfirmationMixin, FormulaireDsfr):
    reponse = forms.ChoiceField(
        label="Réponse du ménage",
        choices=[
            (Proposition.Reponse.ACCEPTATION, "Acceptation"),
            (Proposition.Reponse.REFUS, "Refus"),
        ],
        widget=forms.RadioSelect,
    )
    date_reponse = forms.DateField(label="Date de la réponse")
    motif_refus = forms.CharField(
        label="Motif du refus",
        required=False,
        max_length=250,
        help_text="Obligatoire en cas de refus.",
    )

    def a_confirmer(self):
        if self.cleaned_data.get("reponse") == Proposition.Reponse.REFUS:
            return "Le refus du ménage met fin à cette proposition : elle sortira du pipeline."
        return ""


class BailForm(ErreursDuServiceMixin, ConfirmationMixin, FormulaireDsfr):
    date_signature_bail = forms.DateField(label="Date de signature du bail")

    def __init__(self, *args, autres_candidats: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.autres_candidats = autres_candidats

    def a_confirmer(self):
        if self.autres_candidats:
            return (
                f"Le bail attribue le logement : {self.autres_candidats} autre(s) candidat(s) "
                "encore en course seront classés sans suite."
            )
        return ""


class EntreeForm(ErreursDuServiceMixin, ConfirmationMixin, FormulaireDsfr):
    date_entree = forms.DateField(label="Date d'entrée dans les lieux")
    changer_situation = forms.BooleanField(
        label="Mettre à jour la situation résidentielle de chaque membre du ménage",
        required=False,
        initial=True,
    )

    correspondance = {"date": "date_entree"}
