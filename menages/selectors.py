"""Lectures des ménages : liste filtrée et triée, fiche préchargée, historique daté."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from logement.models import Role, Structure, Territoire, User
from logement.text import normaliser

from .models import Consentement, Menage, Personne, Ressource, SituationResidentielle

# Tris proposés : clé de l'URL (paramètre `tri`, préfixe « - » pour l'ordre décroissant) →
# (libellé, expression). Toute autre valeur est ignorée : pas de tri arbitraire depuis l'URL.
TRIS = {
    "reference": ("Référence", F("id")),
    "demandeur": ("Nom du demandeur", F("tri_demandeur")),
    "dernier_contact": ("Dernier contact", F("date_dernier_contact")),
    "creation": ("Date de création", F("cree_le")),
}
TRI_PAR_DEFAUT = "-creation"


def _mesure():
    # Le modèle vit dans une app qui dépend de celle-ci : résolu à l'exécution, sans import.
    return apps.get_model("accompagnement", "Mesure")


def epci_visibles(user):
    """EPCI où l'utilisateur peut rattacher un ménage (création, changement d'EPCI)."""
    epci = Territoire.objects.filter(niveau=Territoire.Niveau.EPCI)
    if user.perimetre.tout:
        return epci
    return epci.filter(id__in=user.perimetre.epci_ids)


def epci_des_menages(user, menages):
    """EPCI proposés au filtre : ceux du ressort, plus ceux des ménages suivis (référent)."""
    epci = Territoire.objects.filter(niveau=Territoire.Niveau.EPCI)
    if user.perimetre.tout:
        return epci
    return epci.filter(
        Q(id__in=user.perimetre.epci_ids) | Q(id__in=menages.values("territoire_id"))
    )


def types_mesure():
    return apps.get_model("accompagnement", "TypeMesure").objects.filter(actif=True)


def structures_visibles(user):
    return Structure.objects.visible_to(user).filter(actif=True)


def referents_visibles(user):
    return User.objects.filter(
        habilitations__role=Role.REFERENT,
        habilitations__structure__in=structures_visibles(user),
    ).distinct()


def _demandeurs():
    return Personne.objects.filter(menage=OuterRef("pk"), role=Personne.Role.DEMANDEUR)


def _situations_en_cours_du_demandeur():
    return SituationResidentielle.objects.filter(
        personne__menage=OuterRef("pk"),
        personne__role=Personne.Role.DEMANDEUR,
        date_fin__isnull=True,
    )


def menages_filtres(menages, filtres: dict):
    """Ménages (déjà bornés au périmètre) filtrés par les valeurs valides du formulaire.

    Chaque filtre sur une autre table passe par `Exists` : ni doublon ni jointure qui
    gonflerait la requête, quel que soit le nombre de personnes ou de mesures.
    """
    ouvertes = _mesure().objects.ouvertes().filter(menage=OuterRef("pk"))
    if recherche := (filtres.get("q") or "").strip():
        menages = menages.filter(_condition_recherche(recherche))
    if territoire := filtres.get("territoire"):
        menages = menages.filter(territoire=territoire)
    if statut := filtres.get("statut"):
        menages = menages.filter(statut=statut)
    if type_mesure := filtres.get("type_mesure"):
        menages = menages.filter(Exists(ouvertes.filter(type=type_mesure)))
    if structure := filtres.get("structure"):
        menages = menages.filter(Exists(ouvertes.filter(structure=structure)))
    if referent := filtres.get("referent"):
        menages = menages.filter(Exists(ouvertes.filter(referent=referent)))
    if public := filtres.get("public"):
        menages = menages.filter(publics_prioritaires=public)
    if situation := filtres.get("situation"):
        menages = menages.filter(Exists(_situations_en_cours_du_demandeur().filter(type=situation)))
    return menages


def _condition_recherche(recherche: str) -> Q:
    """Nom d'un membre (chaque mot, sans accents ni casse), référence, NUR, identifiant SI-SIAO."""
    mots = normaliser(recherche).split()
    nom = Personne.objects.filter(menage=OuterRef("pk"))
    for mot in mots:
        nom = nom.filter(nom_normalise__contains=mot)
    return (
        Q(Exists(nom))
        | Q(reference__iexact=recherche)
        | Q(nur__iexact=recherche)
        | Q(siao_id__iexact=recherche)
    )


def avec_colonnes(menages):
    """Ce qu'affichent la liste et l'export, en un nombre fixe de requêtes par page ou lot."""
    demandeurs = _demandeurs()
    return (
        menages.select_related("territoire")
        .annotate(
            tri_demandeur=Subquery(demandeurs.values("nom_normalise")[:1]),
            nb_personnes=Subquery(
                Personne.objects.filter(menage=OuterRef("pk"))
                .values("menage")
                .annotate(n=Count("id"))
                .values("n")[:1]
            ),
            situation_actuelle=Subquery(
                _situations_en_cours_du_demandeur().values("type__libelle")[:1]
            ),
        )
        .prefetch_related(
            Prefetch(
                "personnes",
                queryset=Personne.objects.filter(role=Personne.Role.DEMANDEUR),
                to_attr="demandeurs",
            ),
            Prefetch(
                "mesures",
                queryset=_mesure()
                .objects.ouvertes()
                .select_related("type", "referent")
                .order_by("type__ordre", "id"),
                to_attr="mesures_ouvertes",
            ),
            "publics_prioritaires",
        )
    )


def referents(menage) -> list[str]:
    """Référents des mesures ouvertes (préchargées par `avec_colonnes`), sans doublon."""
    noms = (str(m.referent) for m in menage.mesures_ouvertes if m.referent_id)
    return list(dict.fromkeys(noms))


def trier(menages, tri: str | None):
    cle = (tri or TRI_PAR_DEFAUT).lstrip("-")
    if cle not in TRIS:
        tri, cle = TRI_PAR_DEFAUT, TRI_PAR_DEFAUT.lstrip("-")
    expression = TRIS[cle][1]
    if (tri or TRI_PAR_DEFAUT).startswith("-"):
        return menages.order_by(expression.desc(nulls_last=True), "-id")
    return menages.order_by(expression.asc(nulls_last=True), "id")


# --- Fiche --------------------------------------------------------------------------------------


def prechargements_fiche() -> list:
    """Tout ce que la fiche affiche, en une requête par relation quel que soit le volume.

    Une fonction plutôt qu'une constante : Django modifie les objets Prefetch qu'il emploie.
    """
    return [
        "personnes",
        Prefetch(
            "personnes__situations",
            queryset=SituationResidentielle.objects.select_related("type").order_by("-date_debut"),
        ),
        Prefetch("ressources", queryset=Ressource.objects.select_related("type", "personne")),
        "publics_prioritaires",
        Prefetch("consentements", queryset=Consentement.objects.select_related("recueilli_par")),
        "procedures__etapes",
        "procedures__actions",
        _inverse("orientations", "plateforme"),
        _inverse("mesures", "type", "structure", "motif_fin"),
        _inverse("propositions", "logement"),
    ]


def _inverse(relation, *lies):
    """Relation inverse d'une app située au-dessus : son modèle est lu sur la relation, sans
    import (les imports vont de `logement` vers `menages` puis vers les autres apps)."""
    modele = Menage._meta.get_field(relation).related_model
    return Prefetch(relation, queryset=modele._default_manager.select_related(*lies))


@dataclass(frozen=True)
class Evenement:
    date: dt.date
    categorie: str
    libelle: str


def historique(menage) -> list[Evenement]:
    """Frise datée du ménage, la plus récente en tête, lue dans les relations préchargées."""
    evenements = [Evenement(menage.cree_le.date(), "Dossier", "Création du dossier")]
    for personne in menage.personnes.all():
        for s in personne.situations.all():
            evenements.append(Evenement(s.date_debut, "Situation", f"{personne} : {s.type}"))
    for c in menage.consentements.all():
        evenements.append(Evenement(c.date, "Consentement", c.get_adhesion_display()))
    for p in menage.procedures.all():
        evenements.append(
            Evenement(p.date_signalement, "Procédure d'expulsion", "Signalement de la procédure")
        )
        for e in p.etapes.all():
            evenements.append(Evenement(e.date, "Procédure d'expulsion", e.get_etape_display()))
        for a in p.actions.all():
            evenements.append(Evenement(a.date, "Prévention", a.get_type_display()))
        if p.date_cloture:
            evenements.append(
                Evenement(p.date_cloture, "Procédure d'expulsion", p.get_issue_display())
            )
    for o in menage.orientations.all():
        evenements.append(
            Evenement(o.date_orientation, "Orientation", f"Orientation vers {o.plateforme.nom}")
        )
        if o.date_decision:
            evenements.append(
                Evenement(o.date_decision, "Orientation", f"Décision : {o.get_statut_display()}")
            )
    for m in menage.mesures.all():
        nom = f"{m.type.libelle} ({m.structure})"
        evenements.append(Evenement(m.date_proposition, "Mesure", f"{nom} proposée"))
        if m.date_debut:
            evenements.append(Evenement(m.date_debut, "Mesure", f"{nom} : début"))
        if m.date_fin:
            motif = f" — {m.motif_fin}" if m.motif_fin else ""
            evenements.append(Evenement(m.date_fin, "Mesure", f"{nom} : fin{motif}"))
    for p in menage.propositions.all():
        logement = f"{p.logement.reference}, {p.logement.commune}"
        evenements.append(
            Evenement(p.date_proposition, "Logement", f"Proposition du logement {logement}")
        )
        if p.date_signature_bail:
            evenements.append(Evenement(p.date_signature_bail, "Logement", "Signature du bail"))
        if p.date_entree:
            evenements.append(Evenement(p.date_entree, "Logement", "Entrée dans les lieux"))
    return sorted(evenements, key=lambda e: e.date, reverse=True)


def ressources_en_cours_total(menage, jour: dt.date | None = None):
    jour = jour or timezone.localdate()
    return sum(
        (
            r.montant_mensuel
            for r in menage.ressources.all()
            if r.date_fin is None or r.date_fin >= jour
        ),
        start=0,
    )
