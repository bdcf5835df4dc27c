"""Lectures du RGPD : ménages du ressort d'un agent départemental, date du dernier contact,
ménages dont la durée de conservation est dépassée."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import DateField, Exists, F, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone

from accompagnement.models import AideFinanciere, Mesure, Orientation, Rencontre
from attributions.models import Proposition
from logement.models import Habilitation, Role
from menages.models import (
    Consentement,
    Menage,
    ProcedureExpulsion,
    SituationResidentielle,
)

# Une date qui précède toute activité : remplace les vides dans le calcul du maximum (sous
# SQLite, GREATEST d'une valeur vide est vide).
PLANCHER = dt.date(1900, 1, 1)


def menages_du_ressort(user):
    """Ménages sur lesquels l'utilisateur exerce les droits RGPD : ceux de son Département pour
    un agent départemental (ses autres habilitations, de référent par exemple, n'y ajoutent
    rien), tous pour un administrateur. Toujours à l'intérieur de `visible_to`."""
    visibles = Menage.objects.visible_to(user)
    if user.perimetre.tout:
        return visibles
    departements = Habilitation.objects.actives().filter(user=user, role=Role.AGENT_DEPARTEMENTAL)
    return visibles.filter(territoire__parent_id__in=departements.values("territoire_id"))


# --- Dernier contact ----------------------------------------------------------------------------


def _derniere(modele, date, chemin="menage"):
    """La plus récente des `date` des objets `modele` du ménage, en sous-requête."""
    return Subquery(
        modele.objects.filter(**{chemin: OuterRef("pk")})
        .order_by()
        .values(chemin)
        .annotate(d=Max(date))
        .values("d")[:1],
        output_field=DateField(),
    )


# Ce qui compte comme un contact avec le ménage, avec le libellé donné dans l'essai à blanc.
# Pour un objet qui a plusieurs dates, la plus tardive qui soit remplie (fin avant début…).
SOURCES = {
    "contact_saisi": ("dernier contact saisi", lambda: F("date_dernier_contact")),
    "creation": ("création du dossier", lambda: TruncDate("cree_le")),
    "rencontre": ("rencontre", lambda: _derniere(Rencontre, "date")),
    "mesure": (
        "mesure (proposition, début ou fin)",
        lambda: _derniere(Mesure, Coalesce("date_fin", "date_debut", "date_proposition")),
    ),
    "orientation": (
        "orientation (réception ou décision)",
        lambda: _derniere(Orientation, Coalesce("date_decision", "date_orientation")),
    ),
    "procedure": (
        "procédure d'expulsion (signalement ou clôture)",
        lambda: _derniere(ProcedureExpulsion, Coalesce("date_cloture", "date_signalement")),
    ),
    "proposition": (
        "proposition de logement",
        lambda: _derniere(
            Proposition,
            Coalesce(
                "date_entree",
                "date_signature_bail",
                "date_classement",
                "date_reponse",
                "date_caleol",
                "date_proposition",
            ),
        ),
    ),
    "consentement": ("recueil de l'adhésion", lambda: _derniere(Consentement, "date")),
    "situation": (
        "changement de situation résidentielle",
        lambda: _derniere(SituationResidentielle, "date_debut", chemin="personne__menage"),
    ),
    "aide": (
        "aide financière (demande ou décision)",
        lambda: _derniere(AideFinanciere, Coalesce("date_decision", "date_demande")),
    ),
}


def avec_dernier_contact(menages):
    """Annoté de `contact_<source>` pour chaque source et de `dernier_contact`, la plus récente.

    Dernier contact d'un ménage : la date la plus récente parmi le dernier contact saisi (tenu à
    jour par les rencontres), la création du dossier, et les dates de ses rencontres, mesures,
    orientations, procédures d'expulsion, propositions de logement, recueils d'adhésion,
    changements de situation et aides financières. Une modification de la fiche par un agent
    n'est pas un contact avec le ménage et ne compte pas."""
    annotations = {f"contact_{cle}": expression() for cle, (_, expression) in SOURCES.items()}
    plancher = Value(PLANCHER, output_field=DateField())
    return menages.annotate(**annotations).annotate(
        dernier_contact=Greatest(*(Coalesce(nom, plancher) for nom in annotations))
    )


def source_du_dernier_contact(menage) -> str:
    """Libellé de ce qui a fixé `menage.dernier_contact` (ménage annoté)."""
    for cle, (libelle, _) in SOURCES.items():
        if getattr(menage, f"contact_{cle}") == menage.dernier_contact:
            return libelle
    return ""


# --- Conservation -------------------------------------------------------------------------------


def limite_conservation(aujourdhui: dt.date | None = None) -> dt.date:
    """Un ménage sans contact depuis cette date (exclue) a dépassé la durée de conservation."""
    aujourdhui = aujourdhui or timezone.localdate()
    return aujourdhui - dt.timedelta(days=settings.LOGEMENT["CONSERVATION_JOURS"])


def menages_expires(aujourdhui: dt.date | None = None, menages=None):
    """Ménages à anonymiser : pas encore anonymisés, dernier contact antérieur à la limite de
    conservation, sans mesure ouverte, procédure d'expulsion en cours ni orientation en
    attente de décision (un accompagnement ou une procédure en cours se poursuit, quelle que
    soit l'ancienneté du dernier contact)."""
    limite = limite_conservation(aujourdhui)
    menages = Menage.objects.all() if menages is None else menages
    en_cours = (
        Exists(Mesure.objects.ouvertes().filter(menage=OuterRef("pk")))
        | Exists(
            ProcedureExpulsion.objects.filter(
                menage=OuterRef("pk"), issue=ProcedureExpulsion.Issue.EN_COURS
            )
        )
        | Exists(Orientation.objects.en_attente().filter(menage=OuterRef("pk")))
    )
    # Filtres bon marché d'abord : ils écartent la plupart des ménages avant les sous-requêtes.
    candidats = (
        menages.exclude(statut=Menage.Statut.ANONYMISE)
        .filter(Q(date_dernier_contact__isnull=True) | Q(date_dernier_contact__lt=limite))
        .exclude(en_cours)
    )
    return (
        avec_dernier_contact(candidats)
        .filter(dernier_contact__lt=limite)
        .select_related("territoire")
        .order_by("dernier_contact", "pk")
    )


@dataclass(frozen=True)
class Expire:
    """Une ligne de l'essai à blanc."""

    menage_id: int
    reference: str
    territoire: str
    dernier_contact: dt.date
    motif: str


def lignes_essai(aujourdhui: dt.date | None = None, menages=None) -> list[Expire]:
    jours = settings.LOGEMENT["CONSERVATION_JOURS"]
    return [
        Expire(
            menage_id=m.pk,
            reference=m.reference,
            territoire=m.territoire.nom,
            dernier_contact=m.dernier_contact,
            motif=f"Dernier contact le {m.dernier_contact:%d/%m/%Y} "
            f"({source_du_dernier_contact(m)}), il y a plus de {jours} jours ; "
            "aucune mesure ouverte, procédure en cours ni orientation en attente.",
        )
        for m in menages_expires(aujourdhui, menages)
    ]
