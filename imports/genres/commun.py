"""Outils partagés par les genres : colonnes lues en valeurs, règles des modèles appliquées
sans requête, relecture de l'analyse au moment d'écrire, journal écrit en lot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from imports import valeurs
from logement.models import Territoire

from .base import Action, Colonne, Erreur

# --- Colonnes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Champ:
    """Une colonne du genre et la façon de lire sa valeur : `lire(texte, contexte)` renvoie la
    valeur Python ou lève `valeurs.ValeurInvalide`. `sorte` dit comment la garder en JSON
    entre l'essai à blanc et l'écriture (date, decimal, ressources ; le reste tel quel)."""

    cle: str
    entete: str
    lire: Callable[[str, Any], Any] | None  # None : colonne lue par l'export seulement
    sorte: str = ""
    obligatoire: bool = False
    synonymes: tuple[str, ...] = ()
    aide: str = ""
    exemple: str = ""

    def colonne(self) -> Colonne:
        return Colonne(
            cle=self.cle,
            entete=self.entete,
            obligatoire=self.obligatoire,
            synonymes=self.synonymes,
            aide=self.aide,
            exemple=self.exemple,
        )


def en_json(valeur, sorte: str):
    if valeur is None:
        return None
    if sorte == "date":
        return valeur.isoformat()
    if sorte == "decimal":
        return str(valeur)
    if sorte == "ressources":
        return [[type_id, str(montant)] for type_id, montant in valeur.items()]
    return valeur


def depuis_json(valeur, sorte: str):
    if valeur is None:
        return None
    if sorte == "date":
        return dt.date.fromisoformat(valeur)
    if sorte == "decimal":
        return Decimal(valeur)
    if sorte == "ressources":
        return {int(type_id): Decimal(montant) for type_id, montant in valeur}
    return valeur


@dataclass
class LigneLue:
    """Une ligne du fichier lue en valeurs Python ; une cellule vide ou absente n'y figure
    pas (elle ne change rien à l'existant)."""

    numero: int
    valeurs: dict
    erreurs: list[Erreur] = field(default_factory=list)

    def __getitem__(self, cle):
        return self.valeurs.get(cle)


def lire_lignes(champs: Iterable[Champ], lignes, contexte) -> list[LigneLue]:
    lisibles = [c for c in champs if c.lire is not None]
    resultat = []
    for numero, brut in lignes:
        lue = LigneLue(numero, {})
        for champ in lisibles:
            texte = (brut.get(champ.cle) or "").strip()
            if not texte:
                continue
            try:
                lue.valeurs[champ.cle] = champ.lire(texte, contexte)
            except valeurs.ValeurInvalide as erreur:
                lue.erreurs.append(Erreur(champ.entete, texte, erreur.message))
        resultat.append(lue)
    return resultat


def donnees(lue: LigneLue, champs: Iterable[Champ], **extra) -> dict:
    sortes = {c.cle: c.sorte for c in champs}
    return {
        "valeurs": {cle: en_json(v, sortes.get(cle, "")) for cle, v in lue.valeurs.items()},
        **extra,
    }


def relire(analyse, champs: Iterable[Champ]) -> list[LigneLue]:
    """Les lignes de l'essai à blanc (objets `LigneAnalysee` ou leur forme JSON) redevenues
    `LigneLue`. Une ligne restée en erreur n'a rien à faire ici : on refuse tout plutôt que
    d'écrire à moitié."""
    sortes = {c.cle: c.sorte for c in champs}
    lues = []
    for ligne in analyse:
        if isinstance(ligne, dict):
            numero, action = ligne["numero"], ligne.get("action")
            en_erreur, brutes = bool(ligne.get("erreurs")), ligne.get("donnees") or {}
        else:
            numero, action = ligne.numero, ligne.action
            en_erreur, brutes = bool(ligne.erreurs), ligne.donnees or {}
        if action == Action.ERREUR or en_erreur:
            raise ValidationError(
                f"Ligne {numero} : elle est en erreur, rien n'est importé. Corrigez le fichier "
                "puis relancez l'import."
            )
        valeurs_json = brutes.get("valeurs", {})
        lues.append(
            LigneLue(
                numero,
                {cle: depuis_json(v, sortes.get(cle, "")) for cle, v in valeurs_json.items()},
            )
        )
    return lues


def decisions_normalisees(decisions) -> dict[int, str]:
    """{numéro: action} ; les clés d'un JSON sont des textes."""
    return {int(numero): str(action) for numero, action in (decisions or {}).items()}


def refuser(erreurs: list[tuple[int, Erreur]], limite: int = 50):
    """Annule l'écriture : la transaction du moteur est défaite, le message dit pourquoi."""
    messages = []
    for numero, erreur in erreurs[:limite]:
        colonne = f", colonne « {erreur.colonne} »" if erreur.colonne else ""
        messages.append(f"Ligne {numero}{colonne} : {erreur.message}")
    if len(erreurs) > limite:
        messages.append(f"… et {len(erreurs) - limite} autre(s) erreur(s).")
    raise ValidationError(messages)


# --- Règles des modèles, sans requête -----------------------------------------------------------


def erreurs_du_modele(
    instance: models.Model, entetes: dict[str, str], exclure: Iterable[str] = ()
) -> list[Erreur]:
    """Les validations du modèle (validateurs des champs, puis `clean()`), traduites en
    erreurs de colonnes. Les clés étrangères sont exclues de `clean_fields` : les vérifier
    coûterait une requête par ligne, et le genre les a déjà prises dans son contexte. Le
    `clean()` du modèle ne doit lire que des objets déjà attachés à l'instance."""
    exclus = {f.name for f in instance._meta.fields if f.is_relation} | set(exclure)
    try:
        instance.clean_fields(exclude=exclus)
        instance.clean()
    except ValidationError as erreur:
        return _en_erreurs(erreur, instance, entetes)
    return []


def _en_erreurs(erreur: ValidationError, instance, entetes) -> list[Erreur]:
    if not hasattr(erreur, "error_dict"):
        return [Erreur("", "", " ".join(erreur.messages))]
    resultat = []
    for champ, liste in erreur.message_dict.items():
        entete = "" if champ == NON_FIELD_ERRORS else entetes.get(champ, "")
        valeur = "" if champ == NON_FIELD_ERRORS else affichage(getattr(instance, champ, ""))
        resultat.append(Erreur(entete, valeur, " ".join(liste)))
    return resultat


def affichage(valeur) -> str:
    """Une valeur montrée dans un message ou le rapport, comme le tableur l'écrirait."""
    if valeur is None:
        return ""
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, dt.date):
        return valeurs.date_fr(valeur)
    if isinstance(valeur, Decimal):
        return str(valeur).replace(".", ",")
    return str(valeur)


# --- Territoires --------------------------------------------------------------------------------


class Epci:
    """Les EPCI reconnus par nom ou SIREN ; le ressort de l'utilisateur (où il peut rattacher
    un ménage ou un logement) à part, pour dire « hors de votre ressort » plutôt qu'« inconnu »
    (la liste des EPCI n'a rien de confidentiel)."""

    def __init__(self, user):
        tous = list(
            # `niveau` : lu par le clean() des modèles rattachés à un EPCI.
            Territoire.objects.filter(niveau=Territoire.Niveau.EPCI).only(
                "id", "nom", "code", "niveau"
            )
        )
        perimetre = user.perimetre
        self.ressort = {t.id for t in tous if perimetre.tout or t.id in perimetre.epci_ids}
        self.par_id = {t.id: t for t in tous}

        def choix(epci):
            return valeurs.Choix(
                [(t.id, [t.nom, t.code]) for t in epci],
                inconnu="EPCI inconnu",
                connus="EPCI de votre ressort",
                montrer=lambda pk: self.par_id[pk].nom,
            )

        self._ressort = choix([t for t in tous if t.id in self.ressort])
        self._tous = choix(tous)

    def lire(self, texte: str, _contexte=None) -> int:
        """L'identifiant de l'EPCI ; qu'il soit dans le ressort, le genre le vérifie selon ce
        qu'il en fait (un référent garde l'EPCI actuel d'un ménage qu'il suit)."""
        trouve = self._ressort.trouver(texte)
        if trouve is not None:
            return trouve
        trouve = self._tous.trouver(texte)
        if trouve is None:
            raise valeurs.ValeurInvalide(
                f"EPCI inconnu : « {valeurs.texte(texte)} » ({self._ressort.liste()})."
            )
        return trouve

    def nom(self, pk) -> str:
        epci = self.par_id.get(pk)
        return epci.nom if epci else ""

    def hors_ressort(self, pk) -> Erreur:
        return Erreur(
            "EPCI",
            self.nom(pk),
            f"EPCI hors de votre ressort : « {self.nom(pk)} » ({self._ressort.liste()}).",
        )

    def unique(self) -> int | None:
        """L'EPCI par défaut quand le ressort n'en compte qu'un."""
        return next(iter(self.ressort)) if len(self.ressort) == 1 else None


# --- Journal ------------------------------------------------------------------------------------


def tracer_creations(objets, *, user, genre: str, supplements: dict | None = None) -> int:
    """Une trace « création » par objet écrit en masse, comme le signal `post_save` l'aurait
    faite (mêmes valeurs, même ménage, même territoire), mais insérées en lot : `bulk_create`
    ne déclenche pas les signaux du journal, et une trace par requête coûterait autant que
    l'écriture elle-même. `supplements` : {objet: {champ: valeur}} (relations multiples)."""
    from journal import contexte, suivi
    from journal.models import Evenement

    request = contexte.requete_courante()
    auteur = user if user is not None and user.is_authenticated else None
    details = {"import": genre}
    if request is None:
        details["origine"] = contexte.origine_hors_requete()
    commun = {
        "action": Evenement.Action.CREATION,
        "auteur": auteur,
        "auteur_identifiant": auteur.get_username()[:150] if auteur else "",
        "auteur_nom": auteur.get_full_name()[:300] if auteur else "",
        "details": details,
        "adresse_ip": contexte.adresse_ip(request),
    }
    supplements = supplements or {}
    evenements = []
    for objet in objets:
        config = suivi.suivi_de(type(objet))
        if config is None or not config.automatique:
            continue
        changements = suivi.valeurs(objet, config)
        changements.update(supplements.get(id(objet), {}))
        evenements.append(
            Evenement(
                **commun,
                content_type=ContentType.objects.get_for_model(objet),
                object_id=objet.pk,
                objet_repr=suivi.representation(objet),
                menage_id=suivi.menage_id_de(objet),
                territoire_id=suivi.territoire_id_de(objet),
                changements=changements,
            )
        )
    Evenement.objects.bulk_create(evenements, batch_size=1000)
    return len(evenements)


def par_lots(elements: list, taille: int = 1000):
    for debut in range(0, len(elements), taille):
        yield elements[debut : debut + taille]
