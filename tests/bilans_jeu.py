"""Jeu de données des bilans, construit à la main : chaque chiffre attendu se retrouve en lisant
ce fichier (voir les commentaires de tests/test_bilans_calcul.py).

Années : N = 2025, N-1 = 2024, et un bail signé en 2026. Toutes les dates sont fixes.

Département D (« Département du Jeu ») : EPCI A et B ; plateformes P1 (A) et P2 (A et B).
Département D2 : EPCI C (ne doit jamais compter pour D).
Structures S1 (CHRS) et S2 (AML) ; référents R1, R2 (S1) et R3 (S2).

Ménages (demandeur principal, situation résidentielle, mesures) :
- M1 (A), public « monoparentale » : rue du 01/01/2023 au 30/06/2025, puis logement social.
  - M1a ASRL, A, S1, R1 : 01/10/2024 → 30/09/2025, fin prévue 31/03/2025 renouvelée au
    30/09/2025 ; motif accès au logement, logement social, entrée le 15/06/2025 ;
    orientation du 01/09/2024 ; convention C1 (2025).
  - M1b ASLL, A, S2, R3 : depuis le 15/06/2025, en cours ; orientation du 06/05/2025 ;
    convention C2 (2025).
  - bail (logement L1 en A, social, préfectoral, hors QPV) proposé le 01/05/2025, signé le
    10/06/2025.
- M2 (A puis B) : CHRS depuis le 01/01/2024.
  - M2a AVDL, A, S1, R1 : 01/02/2025 → 31/05/2025, motif déménagement ; orientation du
    02/01/2025.
  - M2b AVDL, B, S1, R2 : depuis le 01/06/2025, en cours.
  - bail (L2 en B, social, Action Logement, QPV) proposé le 15/11/2025, signé le 10/01/2026.
- M3 (B), public « jeune » : chez un tiers depuis 2020.
  - M3a ASRL, B, S2, R3 : 01/03/2024 → 31/12/2024, motif non-adhésion (rupture).
  - procédure d'expulsion close le 10/04/2025 : maintien.
- M4 (B), publics « monoparentale » et « violences » : menacé d'expulsion depuis le 01/01/2024.
  - M4a ASLL, B, S2, R3 : 01/11/2024 → 28/02/2025, motif maintien.
  - procédure close le 01/03/2025 : plan d'apurement respecté.
- M5 (A) : rue, sans mesure ; procédures closes le 01/05/2024 (maintien) et le 15/10/2025
  (expulsion).
- M7 (A) : chez un tiers ; bail (L3 en A, privé) signé le 01/03/2025 : pas sans domicile.
- M8 (A) : rue depuis le 01/01/2025. M8a ASRL, A, S1, R2 : depuis le 01/11/2025, convention C1.
- M6 (C, Département D2) : rue ; mesure ASRL en 2025 ; bail en C signé le 01/04/2025.

Objectifs : A 2025 = 10 (200 attributions totales), B 2025 = 5 (total inconnu), D 2024 = 12.
Conventions : C1 ASRL S1 État 2025 (10 mesures, 50 000 €), C2 ASLL S2 Département 2025
(4 mesures, 12 000 €), C0 ASRL S1 État 2024 (8 mesures, 40 000 €, aucune mesure rattachée).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from accompagnement.models import (
    Financeur,
    Mesure,
    MotifFin,
    Orientation,
    Renouvellement,
    TypeMesure,
)
from attributions.models import Contingent, DecisionCaleol, Logement, ObjectifAttribution
from logement.models import Role, Structure
from menages.models import (
    Personne,
    ProcedureExpulsion,
    PublicPrioritaire,
    TypeSituation,
)

from . import factories as f
from .factories import reference

D = dt.date


def demandeur(menage) -> Personne:
    return menage.personnes.get(role=Personne.Role.DEMANDEUR)


def situation(menage, code: str, debut: dt.date, fin: dt.date | None = None):
    return f.SituationFactory(
        personne=demandeur(menage),
        type=reference(TypeSituation, code),
        date_debut=debut,
        date_fin=fin,
    )


def mesure(
    menage,
    type_code: str,
    territoire,
    structure,
    referent,
    debut: dt.date,
    *,
    fin: dt.date | None = None,
    motif: str | None = None,
    **kwargs,
) -> Mesure:
    return f.MesureFactory(
        menage=menage,
        type=reference(TypeMesure, type_code),
        territoire=territoire,
        structure=structure,
        referent=referent,
        date_proposition=kwargs.pop("date_proposition", debut),
        date_debut=debut,
        date_fin_prevue=kwargs.pop("date_fin_prevue", debut + dt.timedelta(days=180)),
        date_fin=fin,
        motif_fin=reference(MotifFin, motif) if motif else None,
        statut=Mesure.Statut.TERMINEE if fin else Mesure.Statut.EN_COURS,
        **kwargs,
    )


def orientation(menage, plateforme, jour: dt.date) -> Orientation:
    return f.OrientationFactory(
        menage=menage,
        plateforme=plateforme,
        date_orientation=jour,
        statut=Orientation.Statut.ACCEPTEE,
        date_decision=jour,
    )


def bail(menage, territoire, proposee: dt.date, signee: dt.date, **logement):
    logement.setdefault("type_bailleur", Logement.TypeBailleur.SOCIAL)
    contingent = logement.pop("contingent", "prefectoral")
    return f.PropositionFactory(
        menage=menage,
        logement=f.LogementFactory(territoire=territoire, **logement),
        contingent=reference(Contingent, contingent),
        date_proposition=proposee,
        date_caleol=proposee,
        decision=reference(DecisionCaleol, "rang_1"),
        reponse="acceptation",
        date_reponse=proposee,
        date_signature_bail=signee,
    )


def procedure(menage, issue: str, cloture: dt.date) -> ProcedureExpulsion:
    return ProcedureExpulsion.objects.create(
        menage=menage,
        date_signalement=cloture - dt.timedelta(days=90),
        issue=issue,
        date_cloture=cloture,
    )


def construire_jeu() -> SimpleNamespace:
    d = f.DepartementFactory(code="71", nom="Département du Jeu")
    d2 = f.DepartementFactory(code="72", nom="Département Voisin")
    a = f.EpciFactory(parent=d, nom="EPCI A")
    b = f.EpciFactory(parent=d, nom="EPCI B")
    c = f.EpciFactory(parent=d2, nom="EPCI C")
    p1 = f.PlateformeFactory(parent=d, nom="Plateforme P1", epcis=[a])
    p2 = f.PlateformeFactory(parent=d, nom="Plateforme P2", epcis=[a, b])
    q = f.PlateformeFactory(parent=d2, nom="Plateforme Q", epcis=[c])
    s1 = f.StructureFactory(nom="CHRS du Jeu", territoire=d)
    s2 = f.StructureFactory(nom="AML du Jeu", type=Structure.Type.AML_IML, territoire=d)
    s3 = f.StructureFactory(nom="CHRS Voisin", territoire=d2)
    r1 = f.utilisateur(Role.REFERENT, structure=s1, username="r1")
    r2 = f.utilisateur(Role.REFERENT, structure=s1, username="r2")
    r3 = f.utilisateur(Role.REFERENT, structure=s2, username="r3")

    monoparentale = reference(PublicPrioritaire, "monoparentale")
    violences = reference(PublicPrioritaire, "violences")
    jeune = reference(PublicPrioritaire, "jeune_moins_25")

    c1 = f.ConventionFactory(
        structure=s1,
        type_mesure=reference(TypeMesure, "asrl"),
        territoire=d,
        annee=2025,
        nombre_mesures=10,
        budget=50000,
        financeur=Financeur.ETAT,
    )
    c2 = f.ConventionFactory(
        structure=s2,
        type_mesure=reference(TypeMesure, "asll"),
        territoire=d,
        annee=2025,
        nombre_mesures=4,
        budget=12000,
        financeur=Financeur.DEPARTEMENT,
    )
    c0 = f.ConventionFactory(
        structure=s1,
        type_mesure=reference(TypeMesure, "asrl"),
        territoire=d,
        annee=2024,
        nombre_mesures=8,
        budget=40000,
        financeur=Financeur.ETAT,
    )

    # M1 : deux mesures en 2025, une à cheval sur 2024-2025 et renouvelée.
    m1 = f.MenageFactory(
        territoire=a,
        adresse="12 rue du Secret",
        demandeur__nom="Fictif-Secret",
        demandeur__prenom="Dominique",
        demandeur__date_naissance=D(1977, 3, 14),
    )
    m1.publics_prioritaires.add(monoparentale)
    situation(m1, "rue", D(2023, 1, 1), D(2025, 6, 30))
    situation(m1, "logement_social", D(2025, 7, 1))
    m1a = mesure(
        m1,
        "asrl",
        a,
        s1,
        r1,
        D(2024, 10, 1),
        fin=D(2025, 9, 30),
        motif="acces_logement",
        date_fin_prevue=D(2025, 9, 30),
        destination=Mesure.Destination.LOGEMENT_SOCIAL,
        date_entree_logement=D(2025, 6, 15),
        orientation=orientation(m1, p1, D(2024, 9, 1)),
        convention=c1,
    )
    Renouvellement.objects.create(
        mesure=m1a,
        date_decision=D(2025, 3, 15),
        ancienne_fin_prevue=D(2025, 3, 31),
        nouvelle_fin_prevue=D(2025, 9, 30),
    )
    m1b = mesure(
        m1,
        "asll",
        a,
        s2,
        r3,
        D(2025, 6, 15),
        orientation=orientation(m1, p1, D(2025, 5, 6)),
        convention=c2,
    )
    bail(m1, a, D(2025, 5, 1), D(2025, 6, 10), qpv=False)

    # M2 : déménage de A vers B ; bail signé l'année suivante.
    m2 = f.MenageFactory(territoire=b)
    situation(m2, "chrs", D(2024, 1, 1))
    m2a = mesure(
        m2,
        "avdl",
        a,
        s1,
        r1,
        D(2025, 2, 1),
        fin=D(2025, 5, 31),
        motif="demenagement",
        orientation=orientation(m2, p2, D(2025, 1, 2)),
    )
    m2b = mesure(m2, "avdl", b, s1, r2, D(2025, 6, 1))
    bail(m2, b, D(2025, 11, 15), D(2026, 1, 10), qpv=True, contingent="action_logement")

    # M3 : suivi en 2024 seulement, rupture.
    m3 = f.MenageFactory(territoire=b)
    m3.publics_prioritaires.add(jeune)
    situation(m3, "tiers", D(2020, 1, 1))
    m3a = mesure(m3, "asrl", b, s2, r3, D(2024, 3, 1), fin=D(2024, 12, 31), motif="non_adhesion")
    procedure(m3, ProcedureExpulsion.Issue.MAINTIEN, D(2025, 4, 10))

    # M4 : maintien.
    m4 = f.MenageFactory(territoire=b)
    m4.publics_prioritaires.add(monoparentale, violences)
    situation(m4, "menace_expulsion", D(2024, 1, 1))
    m4a = mesure(m4, "asll", b, s2, r3, D(2024, 11, 1), fin=D(2025, 2, 28), motif="maintien")
    procedure(m4, ProcedureExpulsion.Issue.PLAN_APUREMENT, D(2025, 3, 1))

    # M5 : procédures seulement.
    m5 = f.MenageFactory(territoire=a)
    situation(m5, "rue", D(2022, 1, 1))
    procedure(m5, ProcedureExpulsion.Issue.MAINTIEN, D(2024, 5, 1))
    procedure(m5, ProcedureExpulsion.Issue.EXPULSION, D(2025, 10, 15))

    # M7 : bail d'un ménage hébergé chez un tiers (pas « sans domicile »).
    m7 = f.MenageFactory(territoire=a)
    situation(m7, "tiers", D(2021, 1, 1))
    bail(m7, a, D(2025, 2, 1), D(2025, 3, 1), type_bailleur=Logement.TypeBailleur.PRIVE)

    # M8 : nouveau en fin d'année.
    m8 = f.MenageFactory(territoire=a)
    situation(m8, "rue", D(2025, 1, 1))
    m8a = mesure(m8, "asrl", a, s1, r2, D(2025, 11, 1), convention=c1)

    # M6 : autre Département.
    m6 = f.MenageFactory(territoire=c)
    situation(m6, "rue", D(2024, 1, 1))
    m6a = mesure(m6, "asrl", c, s3, None, D(2025, 1, 15))
    bail(m6, c, D(2025, 3, 1), D(2025, 4, 1))

    ObjectifAttribution.objects.create(
        territoire=a, annee=2025, objectif=10, attributions_totales=200
    )
    ObjectifAttribution.objects.create(territoire=b, annee=2025, objectif=5)
    ObjectifAttribution.objects.create(territoire=d, annee=2024, objectif=12)

    return SimpleNamespace(**{k: v for k, v in locals().items() if not k.startswith("_")})


def ajouter_volume(jeu: SimpleNamespace, nombre: int) -> None:
    """Ajoute `nombre` ménages suivis dans l'EPCI A (sert à vérifier que le nombre de requêtes
    ne dépend pas du volume)."""
    for i in range(nombre):
        menage = f.MenageFactory(territoire=jeu.a)
        situation(menage, "hotel", D(2024, 1, 1))
        mesure(
            menage,
            "asrl" if i % 2 else "aml",
            jeu.a,
            jeu.s1,
            jeu.r1,
            D(2024, 6, 1),
            fin=D(2025, 4, 30) if i % 3 else None,
            motif="objectifs_atteints" if i % 3 else None,
            orientation=orientation(menage, jeu.p1, D(2024, 5, 1)),
        )
        if i % 4 == 0:
            bail(menage, jeu.a, D(2025, 3, 1), D(2025, 4, 1), qpv=bool(i % 8))
            procedure(menage, ProcedureExpulsion.Issue.RELOGEMENT, D(2025, 6, 1))


# --- Lecture d'un instantané ----------------------------------------------------------------


def chiffre(donnees: dict, code: str) -> dict:
    """Un chiffre de la synthèse."""
    return next(c for c in donnees["synthese"] if c["code"] == code)


def tableau(donnees: dict, code: str) -> dict:
    return next(t for b in donnees["blocs"] for t in b["tableaux"] if t["code"] == code)


def cellule(donnees: dict, code_tableau: str, ligne: str | None, colonne: str):
    """Valeur d'un tableau : `ligne` = libellé (None pour le total), `colonne` = code de colonne
    (ex. « menages_accompagnes_n », « baux_sans_domicile_n1 »)."""
    t = tableau(donnees, code_tableau)
    i = next(i for i, c in enumerate(t["colonnes"]) if c["code"] == colonne)
    if ligne is None:
        return t["total"]["valeurs"][i]
    rangee = next(r for r in t["lignes"] if r["libelle"] == ligne)
    return rangee["valeurs"][i]


def colonne(donnees: dict, code_tableau: str, colonne: str) -> dict:
    """{libellé de ligne: valeur} d'une colonne, total compris sous la clé None."""
    t = tableau(donnees, code_tableau)
    i = next(i for i, c in enumerate(t["colonnes"]) if c["code"] == colonne)
    valeurs = {r["libelle"]: r["valeurs"][i] for r in t["lignes"]}
    if t["total"]:
        valeurs[None] = t["total"]["valeurs"][i]
    return valeurs


@pytest.fixture
def jeu_bilans(db) -> SimpleNamespace:
    return construire_jeu()
