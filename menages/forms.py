"""Formulaires des ménages : filtres de la liste, création avec la composition, saisies de la fiche.

Les choix offerts (EPCI, structures, référents, personnes) sont bornés au périmètre de
l'utilisateur ; une valeur forgée hors de ce périmètre est donc une erreur de saisie.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from logement.forms import FormulaireDsfr, FormulaireModeleDsfr

from . import selectors
from .concurrence import ErreurVersionEnTete, champ_version
from .models import (
    Consentement,
    Menage,
    Personne,
    PublicPrioritaire,
    Ressource,
    TypeRessource,
    TypeSituation,
)


def ajouter_erreurs(form, erreur: ValidationError):
    """Rapporte l'erreur d'un service sur les champs du formulaire (ou en tête s'il n'y en a pas)."""
    if not hasattr(erreur, "error_dict"):
        form.add_error(None, erreur)
        return
    for champ, erreurs in erreur.error_dict.items():
        form.add_error(champ if champ in form.fields else None, erreurs)


class _SansMarqueFacultatif(FormulaireDsfr):
    """Filtres : tous facultatifs, inutile de le répéter sous chaque libellé."""

    def get_context(self):
        context = super().get_context()
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False
        return context


class FiltresMenagesForm(_SansMarqueFacultatif):
    q = forms.CharField(
        label="Rechercher",
        required=False,
        max_length=100,
        help_text="Nom ou prénom d'un membre, référence, NUR ou identifiant SI-SIAO",
    )
    territoire = forms.ModelChoiceField(
        label="EPCI", queryset=None, required=False, empty_label="Tous les EPCI"
    )
    statut = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous les statuts"), *Menage.Statut.choices]
    )
    type_mesure = forms.ModelChoiceField(
        label="Mesure ouverte", queryset=None, required=False, empty_label="Toutes"
    )
    structure = forms.ModelChoiceField(
        label="Structure (mesure ouverte)",
        queryset=None,
        required=False,
        empty_label="Toutes les structures",
    )
    referent = forms.ModelChoiceField(
        label="Référent", queryset=None, required=False, empty_label="Tous les référents"
    )
    public = forms.ModelChoiceField(
        label="Public prioritaire",
        queryset=PublicPrioritaire.objects.filter(actif=True),
        required=False,
        empty_label="Tous",
    )
    situation = forms.ModelChoiceField(
        label="Situation actuelle du demandeur",
        queryset=TypeSituation.objects.filter(actif=True),
        required=False,
        empty_label="Toutes",
    )
    tri = forms.ChoiceField(label="Trier par", required=False, choices=())

    def __init__(self, *args, user, menages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territoire"].queryset = selectors.epci_des_menages(user, menages)
        self.fields["type_mesure"].queryset = selectors.types_mesure()
        self.fields["structure"].queryset = selectors.structures_visibles(user)
        self.fields["referent"].queryset = selectors.referents_visibles(user)
        self.fields["tri"].choices = [
            (f"{sens}{cle}", f"{libelle} ({ordre})")
            for cle, (libelle, _) in selectors.TRIS.items()
            for sens, ordre in (("", "croissant"), ("-", "décroissant"))
        ]
        self.fields["tri"].initial = selectors.TRI_PAR_DEFAUT

    def filtres_valides(self) -> dict:
        """Les valeurs correctes ; une valeur invalide est signalée sous son champ et ignorée."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


# --- Ménage -------------------------------------------------------------------------------------


class MenageForm(FormulaireModeleDsfr):
    class Meta:
        model = Menage
        fields = [
            "territoire",
            "adresse",
            "commune",
            "telephone",
            "nur",
            "nur_date_depot",
            "nur_date_renouvellement",
            "siao_id",
            "dalo",
            "dalo_date_decision",
            "syplo",
            "publics_prioritaires",
        ]
        widgets = {"publics_prioritaires": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        epci = selectors.epci_visibles(user)
        if self.instance.territoire_id:
            # Un référent garde l'EPCI actuel même hors de son ressort territorial.
            epci = epci | epci.model.objects.filter(pk=self.instance.territoire_id)
        self.fields["territoire"].queryset = epci.order_by("nom")
        self.fields["territoire"].empty_label = "Choisir l'EPCI"
        self.fields["publics_prioritaires"].queryset = PublicPrioritaire.objects.filter(actif=True)


class MenageEditionForm(ErreurVersionEnTete, MenageForm):
    """Modification : porte la version lue, pour refuser d'écraser une modification concurrente."""

    version = champ_version()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


class VersionMenageForm(ErreurVersionEnTete, FormulaireDsfr):
    """La version du ménage lue par une saisie qui le modifie sans MenageForm (ressources)."""

    version = champ_version()

    def __init__(self, *args, menage, **kwargs):
        super().__init__(*args, prefix="menage", **kwargs)
        self.fields["version"].initial = menage.version


class CreationMenageForm(MenageForm):
    situation = forms.ModelChoiceField(
        label="Situation de départ",
        queryset=TypeSituation.objects.filter(actif=True),
        required=False,
        empty_label="Choisir une situation",
        help_text="S'applique à chaque membre du ménage.",
    )
    date_situation = forms.DateField(label="Depuis le", required=False)

    def clean(self):
        donnees = super().clean()
        situation, date = donnees.get("situation"), donnees.get("date_situation")
        if situation and not date and "date_situation" not in self.errors:
            self.add_error("date_situation", "Indiquez depuis quand dure cette situation.")
        if date and not situation:
            self.add_error("situation", "Choisissez la situation de départ.")
        if date and date > timezone.localdate():
            self.add_error("date_situation", "La date est dans le futur.")
        return donnees

    def champs_menage(self) -> dict:
        """Arguments de services.creer_menage."""
        d = self.cleaned_data
        champs = {
            k: d[k] for k in self._meta.fields if k not in ("territoire", "publics_prioritaires")
        }
        return {
            **champs,
            "territoire": d["territoire"],
            "publics": d["publics_prioritaires"],
            "situation": d.get("situation"),
            "date_situation": d.get("date_situation"),
        }


class PersonneForm(FormulaireModeleDsfr):
    class Meta:
        model = Personne
        fields = [
            "nom",
            "prenom",
            "date_naissance",
            "sexe",
            "role",
            "nationalite",
            "titre_sejour_fin",
        ]


class _CompositionFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        remplis = [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]
        demandeurs = [f for f in remplis if f.cleaned_data.get("role") == Personne.Role.DEMANDEUR]
        if not remplis:
            raise ValidationError("Ajoutez au moins une personne au ménage.")
        if len(demandeurs) != 1:
            raise ValidationError("Le ménage doit compter un et un seul demandeur principal.")

    def personnes(self) -> list[dict]:
        return [
            {champ: f.cleaned_data[champ] for champ in PersonneForm.Meta.fields}
            for f in self.forms
            if f.has_changed()
        ]


LIGNES_COMPOSITION = 4
LIGNES_COMPOSITION_MAX = 15


def composition_formset(*args, lignes: int = LIGNES_COMPOSITION, **kwargs):
    """Formset des membres : des lignes vides ignorées, la première préremplie en demandeur."""
    classe = forms.formset_factory(
        PersonneForm,
        formset=_CompositionFormSet,
        extra=lignes - 1,  # plus la ligne initiale du demandeur
        max_num=LIGNES_COMPOSITION_MAX,
        absolute_max=LIGNES_COMPOSITION_MAX,
        validate_max=True,
    )
    return classe(*args, prefix="personnes", initial=[{"role": Personne.Role.DEMANDEUR}], **kwargs)


# --- Saisies de la fiche ------------------------------------------------------------------------


class ChangementSituationForm(FormulaireDsfr):
    personnes = forms.ModelMultipleChoiceField(
        label="Personnes concernées",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins une personne."},
    )
    type = forms.ModelChoiceField(
        label="Nouvelle situation",
        queryset=TypeSituation.objects.filter(actif=True),
        empty_label="Choisir une situation",
    )
    date = forms.DateField(label="Depuis le")
    commune = forms.CharField(label="Commune", max_length=120, required=False)
    commentaire = forms.CharField(label="Commentaire", max_length=250, required=False)

    def __init__(self, *args, menage, **kwargs):
        super().__init__(*args, **kwargs)
        membres = menage.personnes.all()
        self.fields["personnes"].queryset = membres
        self.fields["personnes"].initial = [p.pk for p in membres]

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise ValidationError("La date est dans le futur.")
        return date


class RessourceForm(FormulaireModeleDsfr):
    class Meta:
        model = Ressource
        # Un tuple : le formset en ligne ajoute la clé du ménage à une liste partagée, et le
        # champ ainsi ajouté au formulaire suivant masquerait celui du formset.
        fields = ("type", "personne", "montant_mensuel", "date_debut", "date_fin")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Saisie à la française (« 1 234,50 ») : champ texte localisé, clavier numérique.
        montant = self.fields["montant_mensuel"]
        montant.localize = True
        montant.widget = forms.TextInput(attrs={"inputmode": "decimal", "class": "fr-input"})
        montant.widget.is_localized = True


def ressources_formset(*args, menage, **kwargs):
    classe = forms.inlineformset_factory(
        Menage, Ressource, form=RessourceForm, extra=1, can_delete=True
    )
    formset = classe(
        *args,
        instance=menage,
        prefix="ressources",
        queryset=menage.ressources.select_related("type"),
        **kwargs,
    )
    # Bénéficiaire : un membre de ce ménage seulement (une valeur forgée est une erreur). Les
    # listes sont lues une fois pour toutes les lignes, pas une fois par ligne.
    membres = menage.personnes.all()
    choix_personnes = [("", "Le ménage"), *((p.pk, str(p)) for p in membres)]
    choix_types = [("", "Choisir un type"), *((t.pk, str(t)) for t in TypeRessource.objects.all())]
    for form in formset.forms:
        form.fields["personne"].queryset = membres
        form.fields["personne"].widget.choices = choix_personnes
        form.fields["type"].widget.choices = choix_types
        form.fields["DELETE"].label = "Supprimer cette ressource"
    return formset


class ConsentementForm(FormulaireModeleDsfr):
    """Information donnée au ménage et son adhésion ; l'auteur est l'utilisateur connecté."""

    class Meta:
        model = Consentement
        fields = ["date", "adhesion", "information_donnee", "commentaire"]
        help_texts = {
            "adhesion": "L'accompagnement repose sur la libre adhésion du ménage ; la base "
            "légale du traitement des données reste la mission de service public.",
            "information_donnee": "Le ménage a reçu l'information sur le traitement de ses "
            "données et sur ses droits (accès, rectification).",
        }
