"""Colonnes de l'export des ménages, une ligne par personne (les colonnes du ménage répétées) :
une seule définition, que l'import des ménages relit (imports/genres/menages.py) pour qu'un
export se ré-importe sans rien changer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.utils import timezone

from .models import Personne, Ressource, SituationResidentielle


@dataclass(frozen=True)
class Colonne:
    cle: str  # nom stable, indépendant du libellé : l'import s'y fie
    entete: str
    lire: Callable  # (ménage, personne ou None) → valeur
    # False : colonne calculée (mesures, dernier contact), que l'import reconnaît et ignore.
    importee: bool = True


def ressources_en_cours(jour=None) -> Q:
    """Ressources comptées au ménage : sans fin, ou finissant aujourd'hui ou plus tard (la
    même règle que le total de la fiche)."""
    jour = jour or timezone.localdate()
    return Q(date_fin__isnull=True) | Q(date_fin__gte=jour)


def texte_ressources(ressources) -> str:
    """« RSA : 607,75 ; Salaire : 1200,00 » : montant mensuel par type, dans l'ordre des types."""
    totaux = {}
    for ressource in sorted(ressources, key=lambda r: (r.type.ordre, r.type.libelle)):
        totaux[ressource.type.libelle] = (
            totaux.get(ressource.type.libelle, 0) + ressource.montant_mensuel
        )
    return " ; ".join(
        f"{libelle} : {montant:.2f}".replace(".", ",") for libelle, montant in totaux.items()
    )


def _de_la_personne(attribut):
    def lire(menage, personne):
        return getattr(personne, attribut) if personne else None

    return lire


def _choix_de_la_personne(attribut):
    def lire(menage, personne):
        return getattr(personne, f"get_{attribut}_display")() if personne else None

    return lire


def _situation(menage, personne):
    return personne.situations_en_cours[0] if personne and personne.situations_en_cours else None


COLONNES_MENAGES = (
    Colonne("reference", "Référence", lambda m, p: m.reference),
    Colonne("epci", "EPCI", lambda m, p: m.territoire.nom),
    Colonne("statut", "Statut", lambda m, p: m.get_statut_display()),
    Colonne("role", "Rôle dans le ménage", _choix_de_la_personne("role")),
    Colonne("nom", "Nom", _de_la_personne("nom")),
    Colonne("prenom", "Prénom", _de_la_personne("prenom")),
    Colonne("date_naissance", "Date de naissance", _de_la_personne("date_naissance")),
    Colonne("sexe", "Sexe", _choix_de_la_personne("sexe")),
    Colonne("nationalite", "Nationalité", _choix_de_la_personne("nationalite")),
    Colonne("titre_sejour_fin", "Fin du titre de séjour", _de_la_personne("titre_sejour_fin")),
    Colonne(
        "situation",
        "Situation actuelle",
        lambda m, p: s.type.libelle if (s := _situation(m, p)) else "",
    ),
    Colonne(
        "situation_depuis",
        "Situation depuis le",
        lambda m, p: s.date_debut if (s := _situation(m, p)) else None,
    ),
    Colonne("adresse", "Adresse actuelle", lambda m, p: m.adresse),
    Colonne("commune", "Commune", lambda m, p: m.commune),
    Colonne("telephone", "Téléphone", lambda m, p: m.telephone),
    Colonne("nur", "NUR", lambda m, p: m.nur or ""),
    Colonne("nur_date_depot", "Date de dépôt NUR", lambda m, p: m.nur_date_depot),
    Colonne("nur_date_renouvellement", "Échéance NUR", lambda m, p: m.nur_date_renouvellement),
    Colonne("siao_id", "Identifiant SI-SIAO", lambda m, p: m.siao_id or ""),
    Colonne("dalo", "DALO", lambda m, p: m.get_dalo_display()),
    Colonne("dalo_date_decision", "Décision COMED", lambda m, p: m.dalo_date_decision),
    Colonne("syplo", "SYPLO", lambda m, p: m.syplo),
    Colonne(
        "publics",
        "Publics prioritaires",
        # « ; » et non « , » : un libellé peut contenir une virgule.
        lambda m, p: " ; ".join(public.libelle for public in m.publics_prioritaires.all()),
    ),
    Colonne(
        "ressources",
        "Ressources mensuelles",
        lambda m, p: texte_ressources(m.ressources_du_menage),
    ),
    Colonne(
        "mesures_ouvertes",
        "Mesures ouvertes",
        lambda m, p: ", ".join(mesure.type.code.upper() for mesure in m.mesures_ouvertes),
        importee=False,
    ),
    Colonne(
        "dernier_contact", "Dernier contact", lambda m, p: m.date_dernier_contact, importee=False
    ),
)

ENTETES_MENAGES = [c.entete for c in COLONNES_MENAGES]


def _membres_et_ressources(menages):
    """Tous les membres avec leur situation en cours, et les ressources en cours : une requête
    par relation et par lot, quel que soit le nombre de ménages."""
    situations = SituationResidentielle.objects.filter(date_fin__isnull=True).select_related("type")
    return menages.prefetch_related(
        Prefetch(
            "personnes",
            queryset=Personne.objects.prefetch_related(
                Prefetch("situations", queryset=situations, to_attr="situations_en_cours")
            ),
            to_attr="membres",
        ),
        Prefetch(
            "ressources",
            queryset=Ressource.objects.filter(ressources_en_cours()).select_related("type"),
            to_attr="ressources_du_menage",
        ),
    )


def ordre_des_membres(personnes) -> list:
    """Le demandeur principal d'abord, puis l'ordre du modèle (rôle, date de naissance)."""
    return sorted(personnes, key=lambda p: p.role != Personne.Role.DEMANDEUR)


def lignes_menages(menages) -> Iterator[list]:
    """Une ligne par personne (une ligne vide de personne pour un ménage sans membre) ; lecture
    par lots pour ne pas charger tout le périmètre en mémoire."""
    for menage in _membres_et_ressources(menages).iterator(chunk_size=2000):
        for personne in ordre_des_membres(menage.membres) or [None]:
            yield [colonne.lire(menage, personne) for colonne in COLONNES_MENAGES]
