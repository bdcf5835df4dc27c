"""Formulaires des imports : dépôt (genre, structure, fichier), correspondance des colonnes,
décisions sur les doublons, filtres de la liste et des lignes de l'aperçu.

Les structures offertes sont celles du ressort d'import de l'utilisateur : une structure
forgée hors de ce ressort est un choix invalide, jamais une écriture."""

from __future__ import annotations

import hashlib
import json

from django import forms
from dsfr.utils import dsfr_input_class_attr

from logement.forms import FormulaireDsfr
from logement.models import Structure

from . import lecture, services
from .correspondance import IGNOREE, lettre_de_colonne, message_manquantes
from .genres.base import Action
from .lecture import nombre_lisible, taille_lisible
from .models import Import, LigneImport, droits_imports


def signature(entetes: list[str]) -> str:
    """Empreinte des en-têtes d'un fichier : la correspondance saisie pour un fichier ne
    s'applique qu'à un fichier aux mêmes en-têtes."""
    return hashlib.sha256(json.dumps(entetes, ensure_ascii=False).encode()).hexdigest()[:32]


class DepotForm(FormulaireDsfr):
    genre = forms.ChoiceField(label="Que contient le fichier ?")
    structure = forms.ModelChoiceField(
        label="Structure", queryset=Structure.objects.none(), help_text=""
    )
    fichier = forms.FileField(label="Fichier XLSX ou CSV")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["genre"].choices = [("", "Choisissez")] + [
            (cle, genre.libelle) for cle, genre in services.genres_disponibles().items()
        ]
        self.fields["structure"].queryset = droits_imports(user).structures()
        self.fields[
            "structure"
        ].help_text = "Les correspondances de colonnes choisies sont retenues pour cette structure."
        self.fields["fichier"].help_text = (
            f"Classeur XLSX (première feuille) ou CSV (« ; » ou « , », UTF-8 ou Windows-1252) ; "
            f"en-têtes sur la première ligne ; au plus {taille_lisible(lecture.taille_max())} "
            f"et {nombre_lisible(lecture.lignes_max())} lignes."
        )
        # Le champ lié (BoundField) copie son aide à sa création, déjà faite par le DSFR.
        for nom in ("structure", "fichier"):
            self[nom].help_text = self.fields[nom].help_text
        self.fields["fichier"].widget.attrs["accept"] = (
            ".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        self.contenu = None
        self.tableau = None

    @property
    def genre_choisi(self):
        return services.genre_ou_none(self.cleaned_data.get("genre", ""))

    def clean_fichier(self):
        fichier = self.cleaned_data["fichier"]
        try:
            self.contenu, self.tableau = services.lire_depot(fichier)
        except lecture.FichierRefuse as erreur:
            raise forms.ValidationError(str(erreur)) from erreur
        return fichier

    @property
    def signature(self) -> str:
        return signature(self.tableau.entetes) if self.tableau else ""


class CorrespondanceForm(FormulaireDsfr):
    """Pour chaque en-tête du fichier, la colonne de la plateforme qui le reçoit, ou « ignorer »."""

    def __init__(self, *args, genre, rapprochements, **kwargs):
        super().__init__(*args, **kwargs)
        self.genre = genre
        self.rapprochements = rapprochements
        choix = [(IGNOREE, "Ignorer cette colonne")] + [
            (c.cle, f"{c.entete}{' (obligatoire)' if c.obligatoire else ''}")
            for c in genre.colonnes
        ]
        for r in rapprochements:
            libelle = r.entete or "(sans en-tête)"
            self.fields[f"colonne_{r.index}"] = forms.ChoiceField(
                label=f"Colonne {lettre_de_colonne(r.index)} du fichier : « {libelle} »",
                choices=choix,
                required=False,
                initial=r.colonne,
            )
            # Champ ajouté après l'habillage DSFR du constructeur parent : sans cet appel, il
            # serait rendu en « fr-input-group » (mise en page et état d'erreur d'un champ texte).
            dsfr_input_class_attr(self[f"colonne_{r.index}"])

    def get_context(self):
        context = super().get_context()
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False  # « ignorer » est un choix, pas un oubli
        return context

    def clean(self):
        donnees = super().clean()
        prises = {}
        for r in self.rapprochements:
            nom = f"colonne_{r.index}"
            cle = donnees.get(nom) or IGNOREE
            if cle == IGNOREE:
                continue
            if cle in prises:
                colonne = next(c for c in self.genre.colonnes if c.cle == cle)
                self.add_error(
                    nom,
                    f"La colonne « {colonne.entete} » reçoit déjà l'en-tête "
                    f"« {prises[cle]} » : choisissez-en une autre ou ignorez celle-ci.",
                )
            else:
                prises[cle] = r.entete
        if not self.errors:
            manquantes = [c for c in self.genre.colonnes if c.obligatoire and c.cle not in prises]
            if manquantes:
                raise forms.ValidationError(message_manquantes(manquantes))
        return donnees

    def choix(self) -> dict[int, str]:
        return {
            r.index: self.cleaned_data.get(f"colonne_{r.index}") or IGNOREE
            for r in self.rapprochements
        }


class DecisionsForm(forms.Form):
    """Une liste déroulante par doublon de la page affichée, et un choix pour tous les autres."""

    pour_tous = forms.ChoiceField(
        label="Pour tous les doublons encore à trancher",
        required=False,
        choices=[("", "Ne rien changer"), *LigneImport.Decision.choices],
        widget=forms.Select(attrs={"class": "fr-select"}),
    )

    def __init__(self, *args, lignes, **kwargs):
        super().__init__(*args, **kwargs)
        self.lignes = [ligne for ligne in lignes if ligne.action == Action.DOUBLON]
        for ligne in self.lignes:
            self.fields[f"decision_{ligne.numero}"] = forms.ChoiceField(
                label=f"Décision pour la ligne {ligne.numero}",
                required=False,
                choices=[("", "À trancher"), *LigneImport.Decision.choices],
                initial=ligne.decision,
                widget=forms.Select(attrs={"class": "fr-select"}),
            )

    def decisions(self) -> dict[int, str]:
        return {
            ligne.numero: self.cleaned_data.get(f"decision_{ligne.numero}", "")
            for ligne in self.lignes
            if f"decision_{ligne.numero}" in self.data
        }


FILTRES_LIGNES = [
    ("", "Toutes les lignes"),
    ("a_trancher", "Doublons à trancher"),
    *Action.choices,
]


class FiltreLignesForm(FormulaireDsfr):
    action = forms.ChoiceField(label="Lignes montrées", required=False, choices=FILTRES_LIGNES)

    def get_context(self):
        context = super().get_context()
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False
        return context

    def filtrer(self, lignes):
        """Un filtre forgé est ignoré."""
        if self.is_bound and self.is_valid():
            action = self.cleaned_data.get("action")
            if action == "a_trancher":
                return lignes.filter(action=Action.DOUBLON, decision="")
            if action:
                return lignes.filter(action=action)
        return lignes


class FiltresImportsForm(FormulaireDsfr):
    genre = forms.ChoiceField(label="Genre", required=False)
    structure = forms.ModelChoiceField(
        label="Structure", queryset=Structure.objects.none(), required=False, empty_label="Toutes"
    )
    statut = forms.ChoiceField(
        label="État", required=False, choices=[("", "Tous"), *Import.Statut.choices]
    )

    def __init__(self, *args, imports, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["genre"].choices = [("", "Tous")] + [
            (cle, genre.libelle) for cle, genre in services.genres_disponibles().items()
        ]
        self.fields["structure"].queryset = Structure.objects.filter(
            id__in=imports.values("structure_id")
        ).order_by("nom")

    def get_context(self):
        context = super().get_context()
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False
        return context

    def filtrer(self, imports):
        if self.is_bound:
            self.is_valid()
        criteres = getattr(self, "cleaned_data", {})
        for champ in ("genre", "structure", "statut"):
            if criteres.get(champ) and champ not in self.errors:
                imports = imports.filter(**{champ: criteres[champ]})
        return imports
