"""Registre des indicateurs : chaque chiffre des bilans (et du tableau de bord) défini une fois,
avec son libellé, sa définition en clair, son unité et son agrégation faite en base.

Un indicateur se calcule sur un `Cadre` : une portée (ensemble d'EPCI), une période (bornes
incluses) et le territoire demandé. Il lit une « source » (un queryset de la portée et de la
période : mesures actives, mesures terminées, baux signés…) et y applique son agrégat ; les
indicateurs d'une même source demandés ensemble partagent une requête. Une ventilation
(`dimension`) groupe la même requête par modalité. Le nombre de requêtes ne dépend donc que du
nombre de tableaux, jamais du volume de données.

Rattachement au territoire : les mesures par l'EPCI où elles sont exercées (`Mesure.territoire` :
un ménage qui déménage compte là où chaque mesure était exercée), les baux par l'EPCI du
logement, les procédures d'expulsion par l'EPCI du ménage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Avg,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import Cast, NullIf, RowNumber
from django.utils import timezone

from accompagnement.models import Convention, Mesure, MotifFin, TypeMesure
from attributions.models import Contingent, Logement, ObjectifAttribution, Proposition
from logement.expressions import JoursEntre
from logement.models import Structure, Territoire, epci_couverts
from menages.models import (
    Personne,
    ProcedureExpulsion,
    PublicPrioritaire,
    SituationResidentielle,
    TypeSituation,
)

# Unités (voir le contrat de l'instantané) : les premières sont des effectifs, soumis au secret.
UNITES_EFFECTIF = ("menages", "mesures", "logements", "procedures", "nombre")
UNITES = (*UNITES_EFFECTIF, "jours", "mois", "pourcentage", "euros")


# --- Cadre : portée et période ------------------------------------------------------------------


@dataclass(frozen=True)
class Cadre:
    """Ce sur quoi porte un calcul : les EPCI de la portée, la période (bornes incluses) et le
    territoire demandé (pour ce qui lui est propre, comme son objectif d'attribution)."""

    territoire_id: int
    epci_ids: frozenset[int]
    debut: dt.date
    fin: dt.date

    def precedent(self) -> Cadre:
        """Même portée, période décalée d'un an (N-1)."""
        return Cadre(
            self.territoire_id,
            self.epci_ids,
            decaler_d_un_an(self.debut),
            decaler_d_un_an(self.fin),
        )


def decaler_d_un_an(jour: dt.date) -> dt.date:
    try:
        return jour.replace(year=jour.year - 1)
    except ValueError:  # 29 février
        return jour.replace(year=jour.year - 1, day=28)


def portees(territoires: Iterable[Territoire]) -> dict[int, frozenset[int]]:
    """EPCI couverts par chaque territoire (même règle que les habilitations)."""
    return {pk: frozenset(ids) for pk, ids in epci_couverts(territoires).items()}


def cadre_pour(territoire: Territoire, debut: dt.date, fin: dt.date) -> Cadre:
    return Cadre(territoire.pk, portees([territoire])[territoire.pk], debut, fin)


# --- Expressions partagées ----------------------------------------------------------------------


def situation_du_demandeur(menage_ref: str, date_ref: str) -> QuerySet:
    """Situations résidentielles du demandeur principal du ménage `OuterRef(menage_ref)` en
    vigueur à la date `OuterRef(date_ref)` (à utiliser en sous-requête)."""
    date = OuterRef(date_ref)
    return SituationResidentielle.objects.filter(
        personne__menage_id=OuterRef(menage_ref),
        personne__role=Personne.Role.DEMANDEUR,
        date_debut__lte=date,
    ).filter(Q(date_fin__isnull=True) | Q(date_fin__gte=date))


def categorie_situation_a_l_entree() -> Subquery:
    """Catégorie (rue, hébergement, hôtel…) de la situation du demandeur principal en vigueur à
    la date de début de la mesure ; la plus récente si plusieurs se chevauchent."""
    return Subquery(
        situation_du_demandeur("menage_id", "date_debut")
        .order_by("-date_debut", "-pk")
        .values("type__categorie")[:1]
    )


def mediane(queryset: QuerySet, expression, par: str | None = None):
    """Médiane de `expression` sur `queryset` (valeurs nulles ignorées), calculée en base en une
    requête sous SQLite comme sous PostgreSQL : on numérote les valeurs triées (fonction de
    fenêtre) et on ne lit que la ou les deux valeurs du milieu.

    Sans `par`, rend un nombre (None sans valeur) ; avec `par` (chemin d'un champ), un
    dictionnaire {modalité: médiane}.
    """
    partition = [F(par)] if par else None
    lignes = (
        queryset.annotate(mediane_valeur=expression)
        .filter(mediane_valeur__isnull=False)
        .annotate(
            mediane_rang=Window(
                RowNumber(), partition_by=partition, order_by=F("mediane_valeur").asc()
            ),
            mediane_n=Window(Count("pk"), partition_by=partition),
        )
        .filter(Q(mediane_rang=(F("mediane_n") + 1) / 2) | Q(mediane_rang=(F("mediane_n") + 2) / 2))
    )
    champs = ["mediane_valeur"] + ([par] if par else [])
    milieux: dict[Any, list] = {}
    for ligne in lignes.order_by().values_list(*champs):
        milieux.setdefault(ligne[1] if par else None, []).append(ligne[0])
    resultat = {cle: sum(v) / len(v) for cle, v in milieux.items()}
    return resultat if par else resultat.get(None)


# --- Dimensions de ventilation ------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """Une ventilation : son en-tête et les libellés de ses modalités (une requête au plus)."""

    code: str
    libelle: str
    # Modalités connues à l'avance, dans l'ordre d'affichage (choix ou table de référence) ;
    # sinon les modalités sont celles qui ont une valeur.
    modalites: Callable[[], list[tuple[Any, str]]] | None = None
    libelles: Callable[[Iterable], dict[Any, str]] | None = None
    non_renseigne: str = "Non renseigné"


def _choix(choices) -> Callable[[], list[tuple[Any, str]]]:
    return lambda: list(choices)


def _referentiel(modele) -> Callable[[], list[tuple[Any, str]]]:
    return lambda: list(modele.objects.filter(actif=True).values_list("pk", "libelle"))


def _libelles(modele, champ) -> Callable[[Iterable], dict[Any, str]]:
    return lambda cles: dict(modele.objects.filter(pk__in=list(cles)).values_list("pk", champ))


DIMENSIONS: dict[str, Dimension] = {
    d.code: d
    for d in (
        Dimension(
            "type",
            "Type de mesure",
            modalites=_referentiel(TypeMesure),
            libelles=_libelles(TypeMesure, "libelle"),
        ),
        Dimension("structure", "Structure", libelles=_libelles(Structure, "nom")),
        Dimension(
            "public",
            "Public prioritaire",
            modalites=_referentiel(PublicPrioritaire),
            libelles=_libelles(PublicPrioritaire, "libelle"),
            non_renseigne="Aucun public prioritaire",
        ),
        Dimension(
            "situation_entree",
            "Situation à l'entrée",
            modalites=_choix(TypeSituation.Categorie.choices),
            non_renseigne="Situation non renseignée",
        ),
        Dimension(
            "destination",
            "Logement obtenu",
            modalites=_choix(Mesure.Destination.choices),
            non_renseigne="Non renseigné",
        ),
        Dimension(
            "motif",
            "Motif de fin",
            modalites=_referentiel(MotifFin),
            libelles=_libelles(MotifFin, "libelle"),
        ),
        Dimension(
            "categorie_motif", "Catégorie de fin", modalites=_choix(MotifFin.Categorie.choices)
        ),
        Dimension(
            "issue",
            "Issue de la procédure",
            modalites=_choix(
                [(k, v) for k, v in ProcedureExpulsion.Issue.choices if k != "en_cours"]
            ),
        ),
        Dimension(
            "contingent",
            "Contingent",
            modalites=_referentiel(Contingent),
            libelles=_libelles(Contingent, "libelle"),
        ),
        Dimension(
            "type_bailleur", "Type de bailleur", modalites=_choix(Logement.TypeBailleur.choices)
        ),
        Dimension("qpv", "Quartier", modalites=_choix([(True, "En QPV"), (False, "Hors QPV")])),
        Dimension("epci", "EPCI", libelles=_libelles(Territoire, "nom")),
        Dimension("plateforme", "Plateforme", libelles=_libelles(Territoire, "nom")),
    )
}


# --- Sources ------------------------------------------------------------------------------------


def _en_cours_a_la_fin(cadre: Cadre) -> Q:
    """Mesure commencée et non terminée au soir du dernier jour de la période."""
    return Q(date_debut__isnull=False, date_debut__lte=cadre.fin) & (
        Q(date_fin__isnull=True) | Q(date_fin__gt=cadre.fin)
    )


def _mesures(cadre: Cadre) -> QuerySet:
    return Mesure.objects.filter(territoire_id__in=cadre.epci_ids)


def _dans_la_periode(champ: str, cadre: Cadre) -> Q:
    return Q(**{f"{champ}__range": (cadre.debut, cadre.fin)})


@dataclass(frozen=True)
class Source:
    code: str
    queryset: Callable[[Cadre], QuerySet]
    # Dimension → champ (chemin) ou expression de groupement sur ce queryset.
    dimensions: dict[str, Any]


_DIMENSIONS_MESURE = {
    "type": "type_id",
    "structure": "structure_id",
    "public": "menage__publics_prioritaires",
    "situation_entree": categorie_situation_a_l_entree,
    "destination": "destination",
    "motif": "motif_fin_id",
    "categorie_motif": "motif_fin__categorie",
    "epci": "territoire_id",
    "plateforme": "territoire__plateformes",
}

SOURCES: dict[str, Source] = {
    s.code: s
    for s in (
        Source(
            "mesures_actives",
            lambda c: _mesures(c).actives_entre(c.debut, c.fin),
            _DIMENSIONS_MESURE,
        ),
        Source(
            "mesures_commencees",
            lambda c: _mesures(c).filter(_dans_la_periode("date_debut", c)),
            _DIMENSIONS_MESURE,
        ),
        Source(
            "mesures_terminees",
            lambda c: _mesures(c).filter(_dans_la_periode("date_fin", c), date_debut__isnull=False),
            _DIMENSIONS_MESURE,
        ),
        Source(
            "entrees_logement",
            lambda c: _mesures(c).filter(_dans_la_periode("date_entree_logement", c)),
            _DIMENSIONS_MESURE,
        ),
        Source(
            "procedures_closes",
            lambda c: ProcedureExpulsion.objects.filter(
                menage__territoire_id__in=c.epci_ids
            ).filter(_dans_la_periode("date_cloture", c)),
            {
                "issue": "issue",
                "epci": "menage__territoire_id",
                "plateforme": "menage__territoire__plateformes",
            },
        ),
        Source(
            "baux_sans_domicile",
            lambda c: (
                Proposition.objects.filter(logement__territoire_id__in=c.epci_ids)
                .attributions_entre(c.debut, c.fin)
                .filter(
                    Exists(
                        situation_du_demandeur("menage_id", "date_proposition").filter(
                            type__sans_domicile=True
                        )
                    )
                )
            ),
            {
                "contingent": "contingent_id",
                "type_bailleur": "logement__type_bailleur",
                "qpv": "logement__qpv",
                "epci": "logement__territoire_id",
                "plateforme": "logement__territoire__plateformes",
            },
        ),
    )
}


# --- Indicateurs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicateur:
    """Un chiffre, défini une fois.

    Calcul (une seule de ces façons) :
    - `agregat(cadre)` : agrégat Django (Count, Avg…) appliqué à la source, groupable par dimension ;
    - `mediane(cadre)` : expression dont on prend la médiane sur la source (voir `mediane`) ;
    - `calcul(cadre)` : fonction propre (objectif d'attribution, charge maximale…), total seul ;
    - `ratio` : (numérateur, dénominateur) : 100 × numérateur ÷ dénominateur, calculé à partir
      des deux indicateurs nommés.
    `effectif` : code de l'indicateur d'effectif sur lequel repose une grandeur dérivée.
    """

    code: str
    libelle: str
    definition: str
    unite: str
    source: str | None = None
    agregat: Callable[[Cadre], Any] | None = None
    mediane: Callable[[Cadre], Any] | None = None
    calcul: Callable[[Cadre], Any] | None = None
    ratio: tuple[str, str] | None = None
    effectif: str | None = None
    decimales: int = field(default=1)

    @property
    def derive(self) -> bool:
        return self.unite not in UNITES_EFFECTIF

    def dimensions(self) -> tuple[str, ...]:
        if self.source and (self.agregat or self.mediane):
            return tuple(SOURCES[self.source].dimensions)
        return ()

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "libelle": self.libelle,
            "definition": self.definition,
            "unite": self.unite,
        }


def _distincts(filtre: Callable[[Cadre], Q] | None = None) -> Callable[[Cadre], Count]:
    if filtre is None:
        return lambda c: Count("menage_id", distinct=True)
    return lambda c: Count("menage_id", distinct=True, filter=filtre(c))


def _sortis(cadre: Cadre):
    # Accompagnés − en cours à la fin, dans le même groupe : sans sous-requête par mesure.
    return _distincts()(cadre) - _distincts(_en_cours_a_la_fin)(cadre)


def _avec_referent_en_cours(cadre: Cadre) -> Q:
    return _en_cours_a_la_fin(cadre) & Q(referent__isnull=False)


def _charge_moyenne(cadre: Cadre):
    mesures = Count("pk", filter=_avec_referent_en_cours(cadre))
    referents = Count("referent_id", distinct=True, filter=_avec_referent_en_cours(cadre))
    return ExpressionWrapper(
        Cast(mesures, FloatField()) / NullIf(Cast(referents, FloatField()), 0.0),
        output_field=FloatField(),
    )


def _charge_maximale(cadre: Cadre) -> int | None:
    """Plus grand nombre de mesures en cours à la fin de la période confiées à un même référent
    (une requête : comptes par référent, le plus grand)."""
    comptes = (
        SOURCES["mesures_actives"]
        .queryset(cadre)
        .filter(_avec_referent_en_cours(cadre))
        .values("referent_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("n", flat=True)
    )
    return next(iter(comptes[:1]), None)


def _duree_jours(cadre: Cadre):
    return JoursEntre(F("date_fin"), F("date_debut"))


def _delai_orientation(champ: str) -> Callable[[Cadre], Any]:
    return lambda c: JoursEntre(F(champ), F("orientation__date_orientation"))


@dataclass(frozen=True)
class Objectif:
    objectif: int | None
    attributions_totales: int | None


def objectifs_attribution(
    portees_par_territoire: dict[int, frozenset[int]], annee: int
) -> dict[int, Objectif]:
    """Objectif d'attribution de l'année (et attributions totales du territoire quand elles sont
    connues) pour chaque territoire, en une requête : l'objectif propre du territoire, à défaut
    la somme de ceux de ses EPCI (Département ou plateforme sans objectif propre). Les
    attributions totales ne valent que si elles sont connues pour chacune des lignes retenues."""
    ids = set(portees_par_territoire)
    for epcis in portees_par_territoire.values():
        ids |= epcis
    lignes = {
        t: (o, a)
        for t, o, a in ObjectifAttribution.objects.filter(
            annee=annee, territoire_id__in=ids
        ).values_list("territoire_id", "objectif", "attributions_totales")
    }
    resultat = {}
    for territoire_id, epcis in portees_par_territoire.items():
        retenues = (
            [lignes[territoire_id]]
            if territoire_id in lignes
            else [lignes[e] for e in epcis if e in lignes]
        )
        if not retenues:
            resultat[territoire_id] = Objectif(None, None)
            continue
        totales = [a for _, a in retenues]
        resultat[territoire_id] = Objectif(
            sum(o for o, _ in retenues), None if None in totales else sum(totales)
        )
    return resultat


def _objectif(cadre: Cadre) -> Objectif:
    return objectifs_attribution({cadre.territoire_id: cadre.epci_ids}, cadre.fin.year)[
        cadre.territoire_id
    ]


def _total_conventions(code: str) -> Callable[[Cadre], Any]:
    return lambda c: conventions_occupation(c.territoire_id, c.fin.year)[1][code]


REGLE_ACTIVE = (
    "Une mesure est active dans la période si elle a commencé au plus tard le dernier jour et "
    "n'était pas terminée avant le premier jour."
)
REGLE_RATTACHEMENT = "Chaque mesure compte dans l'EPCI où elle est exercée."

_INDICATEURS = (
    # File active.
    Indicateur(
        "menages_accompagnes",
        "Ménages accompagnés",
        "Nombre de ménages distincts ayant au moins une mesure d'accompagnement active au moins "
        f"un jour de la période. {REGLE_ACTIVE} {REGLE_RATTACHEMENT} Un ménage suivi par "
        "plusieurs mesures compte une fois au total, et une fois dans chaque ligne où il a une "
        "mesure.",
        "menages",
        source="mesures_actives",
        agregat=_distincts(),
    ),
    Indicateur(
        "menages_nouveaux",
        "Nouveaux ménages",
        "Ménages accompagnés dont au moins une mesure a commencé dans la période (date de début "
        "entre le premier et le dernier jour inclus). Un renouvellement ne crée pas de nouvelle "
        "mesure.",
        "menages",
        source="mesures_actives",
        agregat=_distincts(lambda c: Q(date_debut__gte=c.debut)),
    ),
    Indicateur(
        "menages_en_cours",
        "Ménages en cours d'accompagnement à la fin",
        "Ménages ayant au moins une mesure commencée et non terminée au soir du dernier jour de "
        "la période (date de fin vide ou postérieure).",
        "menages",
        source="mesures_actives",
        agregat=_distincts(_en_cours_a_la_fin),
    ),
    Indicateur(
        "menages_sortis",
        "Ménages sortis",
        "Ménages accompagnés pendant la période qui n'ont plus aucune mesure en cours sur le "
        "territoire au soir du dernier jour (dans une ventilation : plus aucune mesure de la "
        "ligne, par exemple plus d'ASRL). Accompagnés = en cours à la fin + sortis, au total "
        "comme dans chaque ligne.",
        "menages",
        source="mesures_actives",
        agregat=_sortis,
    ),
    # Charge des référents.
    Indicateur(
        "mesures_en_cours",
        "Mesures en cours à la fin",
        "Nombre de mesures commencées et non terminées au soir du dernier jour de la période.",
        "mesures",
        source="mesures_actives",
        agregat=lambda c: Count("pk", filter=_en_cours_a_la_fin(c)),
    ),
    Indicateur(
        "referents",
        "Référents",
        "Nombre de référents distincts suivant au moins une mesure en cours au soir du dernier "
        "jour de la période.",
        "nombre",
        source="mesures_actives",
        agregat=lambda c: Count("referent_id", distinct=True, filter=_avec_referent_en_cours(c)),
    ),
    Indicateur(
        "charge_moyenne",
        "Charge moyenne par référent",
        "Mesures en cours au soir du dernier jour de la période ayant un référent, divisées par "
        "le nombre de référents qui les suivent.",
        "nombre",
        source="mesures_actives",
        agregat=_charge_moyenne,
        effectif="referents",
    ),
    Indicateur(
        "charge_maximale",
        "Charge maximale d'un référent",
        "Plus grand nombre de mesures en cours au soir du dernier jour de la période suivies par "
        "un même référent.",
        "nombre",
        source="mesures_actives",
        calcul=_charge_maximale,
    ),
    # Accès au logement.
    Indicateur(
        "menages_acces_logement",
        "Ménages entrés dans un logement pérenne",
        "Ménages distincts dont une mesure porte une date d'entrée dans le logement comprise dans "
        "la période. Origine : catégorie de la situation résidentielle du demandeur principal en "
        "vigueur au début de la mesure ; destination : logement obtenu inscrit sur la mesure.",
        "menages",
        source="entrees_logement",
        agregat=_distincts(),
    ),
    Indicateur(
        "entrees_avec_orientation",
        "Entrées dans le logement après orientation",
        "Mesures dont l'entrée dans le logement tombe dans la période et qui font suite à une "
        "orientation de la plateforme (base du délai médian).",
        "mesures",
        source="entrees_logement",
        agregat=lambda c: Count("pk", filter=Q(orientation__isnull=False)),
    ),
    Indicateur(
        "delai_orientation_entree",
        "Délai médian orientation → entrée dans le logement",
        "Médiane, en jours, du délai entre la réception de l'orientation et l'entrée dans le "
        "logement, sur les mesures dont l'entrée tombe dans la période et qui ont une orientation.",
        "jours",
        source="entrees_logement",
        mediane=_delai_orientation("date_entree_logement"),
        effectif="entrees_avec_orientation",
    ),
    Indicateur(
        "mesures_commencees_orientees",
        "Mesures commencées après orientation",
        "Mesures dont la date de début tombe dans la période et qui font suite à une orientation "
        "de la plateforme (base du délai médian).",
        "mesures",
        source="mesures_commencees",
        agregat=lambda c: Count("pk", filter=Q(orientation__isnull=False)),
    ),
    Indicateur(
        "delai_orientation_debut",
        "Délai médian orientation → début de mesure",
        "Médiane, en jours, du délai entre la réception de l'orientation et le début de la "
        "mesure, sur les mesures commencées dans la période qui ont une orientation.",
        "jours",
        source="mesures_commencees",
        mediane=_delai_orientation("date_debut"),
        effectif="mesures_commencees_orientees",
    ),
    # Fins de mesure, durées, maintien.
    Indicateur(
        "mesures_terminees",
        "Mesures terminées",
        "Mesures commencées dont la date de fin réelle tombe dans la période, quel qu'en soit le "
        "motif. Une mesure renouvelée reste une seule mesure.",
        "mesures",
        source="mesures_terminees",
        agregat=lambda c: Count("pk"),
    ),
    Indicateur(
        "duree_moyenne",
        "Durée moyenne d'accompagnement",
        "Moyenne, en jours, de la durée (fin réelle − début, renouvellements compris) des "
        "mesures terminées dans la période.",
        "jours",
        source="mesures_terminees",
        agregat=lambda c: Avg(_duree_jours(c), output_field=FloatField()),
        effectif="mesures_terminees",
    ),
    Indicateur(
        "duree_mediane",
        "Durée médiane d'accompagnement",
        "Médiane, en jours, de la durée (fin réelle − début, renouvellements compris) des "
        "mesures terminées dans la période.",
        "jours",
        source="mesures_terminees",
        mediane=_duree_jours,
        effectif="mesures_terminees",
    ),
    Indicateur(
        "mesures_rupture",
        "Ruptures d'accompagnement",
        "Mesures terminées dans la période dont le motif de fin est de la catégorie « rupture » "
        "(non-adhésion, perte de contact, hospitalisation ou incarcération…).",
        "mesures",
        source="mesures_terminees",
        agregat=lambda c: Count("pk", filter=Q(motif_fin__categorie=MotifFin.Categorie.RUPTURE)),
    ),
    Indicateur(
        "mesures_maintien",
        "Mesures terminées avec maintien dans le logement",
        "Mesures terminées dans la période dont le motif de fin vaut maintien dans le logement "
        "assuré.",
        "mesures",
        source="mesures_terminees",
        agregat=lambda c: Count("pk", filter=Q(motif_fin__maintien=True)),
    ),
    # Prévention des expulsions.
    Indicateur(
        "procedures_closes",
        "Procédures d'expulsion closes",
        "Procédures d'expulsion des ménages du territoire (EPCI du ménage) closes dans la "
        "période (date de clôture), quelle qu'en soit l'issue.",
        "procedures",
        source="procedures_closes",
        agregat=lambda c: Count("pk"),
    ),
    Indicateur(
        "expulsions_evitees",
        "Expulsions évitées",
        "Procédures closes dans la période par un maintien dans le logement, un plan "
        "d'apurement respecté ou un relogement.",
        "procedures",
        source="procedures_closes",
        agregat=lambda c: Count("pk", filter=Q(issue__in=ProcedureExpulsion.ISSUES_EVITEES)),
    ),
    Indicateur(
        "expulsions_realisees",
        "Expulsions réalisées",
        "Procédures closes dans la période par une expulsion.",
        "procedures",
        source="procedures_closes",
        agregat=lambda c: Count("pk", filter=Q(issue=ProcedureExpulsion.Issue.EXPULSION)),
    ),
    # Attributions.
    Indicateur(
        "baux_sans_domicile",
        "Attributions à des ménages sans domicile ou hébergés",
        "Baux signés dans la période (date de signature) pour un logement du territoire, au "
        "bénéfice d'un ménage dont le demandeur principal était, à la date de la proposition, "
        "dans une situation « sans domicile » (rue, hébergement, hôtel, logement temporaire). "
        "Une attribution compte à la signature du bail, pas avant.",
        "logements",
        source="baux_sans_domicile",
        agregat=lambda c: Count("pk"),
    ),
    Indicateur(
        "objectif_attribution",
        "Objectif annuel d'attributions",
        "Objectif d'attributions à des ménages sans domicile fixé pour l'année de la fin de la "
        "période : celui du territoire, à défaut la somme de ceux de ses EPCI.",
        "logements",
        calcul=lambda c: _objectif(c).objectif,
    ),
    Indicateur(
        "taux_objectif",
        "Taux d'atteinte de l'objectif",
        "Attributions à des ménages sans domicile ou hébergés ÷ objectif annuel, en %.",
        "pourcentage",
        ratio=("baux_sans_domicile", "objectif_attribution"),
        effectif="baux_sans_domicile",
    ),
    Indicateur(
        "attributions_totales",
        "Attributions totales de logements sociaux",
        "Toutes les attributions de logements sociaux du territoire dans l'année, quand elles "
        "sont connues (SNE) ; à défaut de chiffre propre, la somme de celles de ses EPCI.",
        "logements",
        calcul=lambda c: _objectif(c).attributions_totales,
    ),
    Indicateur(
        "part_attributions",
        "Part des attributions aux ménages sans domicile",
        "Attributions à des ménages sans domicile ou hébergés ÷ attributions totales de "
        "logements sociaux du territoire, en %.",
        "pourcentage",
        ratio=("baux_sans_domicile", "attributions_totales"),
        effectif="baux_sans_domicile",
    ),
    # Conventions (lues par `conventions_occupation`).
    Indicateur(
        "mesures_financees",
        "Mesures financées",
        "Nombre de mesures financées par la convention de l'année.",
        "mesures",
        calcul=_total_conventions("mesures_financees"),
    ),
    Indicateur(
        "mesures_utilisees",
        "Mesures utilisées",
        "Mesures rattachées à la convention (une mesure n'est rattachable qu'à la convention d'une "
        "année où elle est active).",
        "mesures",
        calcul=_total_conventions("mesures_utilisees"),
    ),
    Indicateur(
        "menages_convention",
        "Ménages accompagnés sur la convention",
        "Ménages distincts dont une mesure rattachée à la convention est active dans l'année.",
        "menages",
        calcul=_total_conventions("menages_convention"),
    ),
    Indicateur(
        "taux_occupation",
        "Taux d'occupation",
        "Jours actifs des mesures rattachées (du 1er janvier au 31 décembre, ou à aujourd'hui "
        "pour l'année en cours) ÷ (mesures financées × jours de la période), en %.",
        "pourcentage",
        calcul=_total_conventions("taux_occupation"),
        effectif="mesures_utilisees",
    ),
    Indicateur(
        "cout_par_menage",
        "Coût par ménage",
        "Budget de la convention ÷ ménages accompagnés sur la convention dans l'année, en euros.",
        "euros",
        calcul=_total_conventions("cout_par_menage"),
        effectif="menages_convention",
        decimales=2,
    ),
)

INDICATEURS: dict[str, Indicateur] = {i.code: i for i in _INDICATEURS}


def definitions(codes: Iterable[str]) -> list[dict]:
    """Définitions des indicateurs nommés, sans doublon, dans l'ordre donné."""
    vus = dict.fromkeys(codes)
    return [INDICATEURS[c].as_dict() for c in vus]


# --- Calcul -------------------------------------------------------------------------------------


def arrondi(valeur, decimales: int = 1):
    """Valeur sérialisable : entier tel quel, décimal arrondi en float, None conservé."""
    if valeur is None or isinstance(valeur, bool):
        return valeur
    if isinstance(valeur, int):
        return valeur
    return round(float(valeur), decimales)


def _ratio(numerateur, denominateur):
    if numerateur is None or not denominateur:
        return None
    return 100 * numerateur / denominateur


def _cle_groupe(source: Source, dimension: str):
    champ = source.dimensions[dimension]
    return champ() if callable(champ) else F(champ)


def _avec_dependances(codes: Iterable[str]) -> list[str]:
    ordre: dict[str, None] = {}
    for code in codes:
        indicateur = INDICATEURS[code]
        if indicateur.ratio:
            ordre.update(dict.fromkeys(indicateur.ratio))
        ordre[code] = None
    return list(ordre)


def calculer(codes: Iterable[str], cadre: Cadre, dimension: str | None = None) -> dict:
    """Valeurs des indicateurs `codes` sur le cadre.

    Sans dimension : {code: valeur} ; avec : {code: {modalité: valeur}} (modalités sans valeur
    absentes ; clé None = non renseigné). Une requête par source (plus une par médiane ou calcul
    propre), quel que soit le volume. Valeurs brutes (non arrondies).
    """
    codes = list(codes)
    tous = _avec_dependances(codes)
    par_source: dict[str, list[Indicateur]] = {}
    resultat: dict[str, Any] = {}
    for code in tous:
        indicateur = INDICATEURS[code]
        if indicateur.agregat:
            par_source.setdefault(indicateur.source, []).append(indicateur)
        elif indicateur.mediane:
            source = SOURCES[indicateur.source]
            resultat[code] = mediane(
                source.queryset(cadre).annotate(groupe=_cle_groupe(source, dimension))
                if dimension
                else source.queryset(cadre),
                indicateur.mediane(cadre),
                par="groupe" if dimension else None,
            )
        elif indicateur.calcul:
            if dimension:
                raise ValueError(f"{code} ne se ventile pas.")
            resultat[code] = indicateur.calcul(cadre)
        elif not indicateur.ratio:
            raise ValueError(f"{code} ne se calcule pas sur un cadre (voir son module).")
    for code_source, indicateurs in par_source.items():
        source = SOURCES[code_source]
        agregats = {i.code: i.agregat(cadre) for i in indicateurs}
        queryset = source.queryset(cadre)
        if dimension is None:
            resultat.update(queryset.aggregate(**agregats))
            continue
        lignes = (
            queryset.annotate(groupe=_cle_groupe(source, dimension))
            .order_by()
            .values("groupe")
            .annotate(**agregats)
        )
        for i in indicateurs:
            resultat[i.code] = {}
        for ligne in lignes:
            for i in indicateurs:
                resultat[i.code][ligne["groupe"]] = ligne[i.code]
    for code in tous:
        indicateur = INDICATEURS[code]
        if indicateur.ratio:
            num, den = (resultat[c] for c in indicateur.ratio)
            if dimension:
                resultat[code] = {k: _ratio(v, (den or {}).get(k)) for k, v in num.items()}
            else:
                resultat[code] = _ratio(num, den)
    return {code: resultat[code] for code in codes}


def valeur(code: str, cadre: Cadre):
    """Un seul indicateur, arrondi selon son unité."""
    return arrondi(calculer([code], cadre)[code], INDICATEURS[code].decimales)


def deduire(code: str, valeurs: dict):
    """Un indicateur ratio à partir des valeurs déjà calculées de ses deux termes, quand elles ne
    viennent pas d'un seul cadre (tableau de bord d'un utilisateur habilité sur plusieurs
    territoires : baux de l'ensemble, somme des objectifs de chacun). Arrondi selon son unité."""
    numerateur, denominateur = (valeurs[c] for c in INDICATEURS[code].ratio)
    return arrondi(_ratio(numerateur, denominateur), INDICATEURS[code].decimales)


# --- Conventions --------------------------------------------------------------------------------


def conventions_occupation(territoire_id: int, annee: int) -> tuple[dict, dict]:
    """Conventions de l'année du territoire (et, pour un Département, de ses EPCI et plateformes), avec leur
    occupation telle que la définit `Convention.objects.avec_occupation` ; et le total.

    Rend ({clé: ligne}, total) où la clé (financeur, structure, type, territoire) permet de
    rapprocher une convention de celle de l'année précédente. Deux requêtes.
    """
    conventions = (
        Convention.objects.avec_occupation(annee)
        .filter(Q(territoire_id=territoire_id) | Q(territoire__parent_id=territoire_id))
        .values(
            "pk",
            "financeur",
            "structure_id",
            "structure__nom",
            "type_mesure_id",
            "type_mesure__code",
            "territoire_id",
            "nombre_mesures",
            "budget",
            "mesures_rattachees",
            "jours_mesures",
            "jours_capacite",
            "menages_accompagnes",
            "taux_occupation",
            "cout_par_menage",
        )
        .order_by("structure__nom", "type_mesure__code", "financeur")
    )
    lignes = {}
    for c in conventions:
        cle = (c["financeur"], c["structure_id"], c["type_mesure_id"], c["territoire_id"])
        lignes[cle] = {
            "libelle": f"{c['type_mesure__code'].upper()} — {c['structure__nom']}",
            "financeur": c["financeur"],
            "mesures_financees": c["nombre_mesures"],
            "mesures_utilisees": c["mesures_rattachees"],
            "menages_convention": c["menages_accompagnes"],
            "taux_occupation": c["taux_occupation"],
            "cout_par_menage": c["cout_par_menage"],
            "budget": c["budget"],
            "jours_mesures": c["jours_mesures"],
            "jours_capacite": c["jours_capacite"],
        }
    # Mêmes bornes que `avec_occupation` (l'année en cours s'arrête à aujourd'hui).
    fin = min(dt.date(annee, 12, 31), timezone.localdate())
    menages = (
        Mesure.objects.filter(convention_id__in=[c["pk"] for c in conventions])
        .actives_entre(dt.date(annee, 1, 1), fin)
        .aggregate(n=Count("menage_id", distinct=True))["n"]
        if lignes
        else 0
    )
    budget = sum(ligne["budget"] for ligne in lignes.values())
    capacite = sum(ligne["jours_capacite"] for ligne in lignes.values())
    total = {
        "mesures_financees": sum(ligne["mesures_financees"] for ligne in lignes.values()),
        "mesures_utilisees": sum(ligne["mesures_utilisees"] for ligne in lignes.values()),
        "menages_convention": menages,
        "taux_occupation": (
            100 * sum(ligne["jours_mesures"] for ligne in lignes.values()) / capacite
            if capacite
            else None
        ),
        "cout_par_menage": budget / menages if menages else None,
    }
    return lignes, total
