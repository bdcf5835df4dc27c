"""Tableau de bord de l'accueil : chiffres clés et alertes selon le rôle, secret statistique du
co-pilote, nombre de requêtes indépendant du volume."""

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from accompagnement.models import (
    ActionProjet,
    DomaineAccompagnement,
    Mesure,
    MotifFin,
    ObjectifProjet,
    Orientation,
    ProjetAccompagnement,
    TypeMesure,
)
from attributions.models import DecisionCaleol, ObjectifAttribution, Proposition
from logement.selectors import secret_statistique
from menages.models import EtapeProcedure, ProcedureExpulsion

from . import factories as f

pytestmark = pytest.mark.django_db

AUJOURDHUI = timezone.localdate()
ANNEE = AUJOURDHUI.year


@pytest.fixture(autouse=True)
def _seuils(settings):
    # Les seuils du test, quels que soient ceux de l'environnement.
    settings.LOGEMENT = {
        **settings.LOGEMENT,
        "ALERTE_FIN_MESURE_JOURS": 30,
        "ALERTE_SANS_CONTACT_JOURS": 45,
        "ALERTE_NUR_JOURS": 30,
        "ALERTE_ETAPE_EXPULSION_JOURS": 30,
        "SEUIL_SECRET_STATISTIQUE": 5,
    }


def jours(n):
    return AUJOURDHUI + dt.timedelta(days=n)


def tableau(client, user):
    client.force_login(user)
    reponse = client.get(reverse("accueil"))
    assert reponse.status_code == 200
    return reponse, reponse.context["tableau"]


def references(alerte, chemin=None):
    lignes = alerte["lignes"]
    menages = [getattr(ligne, chemin) if chemin else ligne for ligne in lignes]
    return {m.reference for m in menages}


def bail_signe(menage, jour=AUJOURDHUI):
    """Bail signé `jour` (toutes les étapes le même jour : reste dans l'année courante)."""
    return f.PropositionFactory(
        menage=menage,
        date_proposition=jour,
        date_caleol=jour,
        decision=f.reference(DecisionCaleol, "rang_1"),
        reponse=Proposition.Reponse.ACCEPTATION,
        date_reponse=jour,
        date_signature_bail=jour,
    )


def attribution(menage, **kwargs):
    return f.PropositionFactory(
        menage=menage,
        date_proposition=jours(-10),
        date_caleol=jours(-5),
        decision=f.reference(DecisionCaleol, "rang_1"),
        **kwargs,
    )


def procedure(menage, *, cree_il_y_a=0, issue=ProcedureExpulsion.Issue.EN_COURS):
    cloture = {} if issue == ProcedureExpulsion.Issue.EN_COURS else {"date_cloture": jours(-1)}
    p = ProcedureExpulsion.objects.create(
        menage=menage, date_signalement=jours(-200), montant_dette=1200, issue=issue, **cloture
    )
    etape = EtapeProcedure.objects.create(
        procedure=p, etape=EtapeProcedure.Etape.ASSIGNATION, date=jours(-3)
    )
    EtapeProcedure.objects.filter(pk=etape.pk).update(
        cree_le=timezone.now() - dt.timedelta(days=cree_il_y_a)
    )
    return p


def mesure(monde, *, epci=None, structure=None, **kwargs):
    menage = f.MenageFactory(territoire=epci or monde.a1)
    return f.MesureFactory(menage=menage, structure=structure or monde.s1, **kwargs)


def action(mesure, *, echeance, realisee_le=None, statut=ObjectifProjet.Statut.EN_COURS):
    projet, _ = ProjetAccompagnement.objects.get_or_create(
        mesure=mesure, defaults={"date_elaboration": jours(-60)}
    )
    objectif = ObjectifProjet.objects.create(
        projet=projet,
        domaine=f.reference(DomaineAccompagnement, "budget"),
        intitule="Résorber la dette",
        statut=statut,
    )
    return ActionProjet.objects.create(
        objectif=objectif, intitule="Rendez-vous CAF", echeance=echeance, realisee_le=realisee_le
    )


# --- Coordinateur, agent départemental, administrateur ------------------------------------------


def test_coordinateur_voit_les_chiffres_cles_de_sa_plateforme(client, monde):
    # Orientations : deux en attente sur P1, une décidée, une en attente hors plateforme.
    ancienne = f.OrientationFactory(
        menage=monde.m_a1_sans_mesure, plateforme=monde.p1, date_orientation=jours(-12)
    )
    f.OrientationFactory(menage=monde.m_a1, plateforme=monde.p1, date_orientation=jours(-3))
    f.OrientationFactory(
        menage=monde.m_a1,
        plateforme=monde.p1,
        date_orientation=jours(-20),
        statut=Orientation.Statut.ACCEPTEE,
        date_decision=jours(-15),
    )
    f.OrientationFactory(menage=monde.m_a2, plateforme=monde.p2, date_orientation=jours(-40))
    # Mesures ouvertes sur A1 : l'ASRL du monde et une AVDL ; conventions de l'année.
    f.MesureFactory(
        menage=monde.m_a1_sans_mesure, structure=monde.s1, type=f.reference(TypeMesure, "avdl")
    )
    f.ConventionFactory(structure=monde.s1, territoire=monde.d1, nombre_mesures=4)
    f.ConventionFactory(structure=monde.s3, territoire=monde.d2, nombre_mesures=50)
    f.ConventionFactory(structure=monde.s1, territoire=monde.d1, annee=ANNEE - 1, financeur="epci")
    # Baux de l'année : un sur A1, un sur A2 (hors plateforme), un l'an dernier.
    bail_signe(monde.m_a1)
    bail_signe(monde.m_a2)
    bail_signe(f.MenageFactory(territoire=monde.a1), jour=dt.date(ANNEE - 1, 6, 1))
    ObjectifAttribution.objects.create(territoire=monde.p1, annee=ANNEE, objectif=10)
    ObjectifAttribution.objects.create(territoire=monde.d1, annee=ANNEE, objectif=100)

    reponse, t = tableau(client, monde.coordinateur)
    territorial = t["territorial"]

    assert territorial["menages_suivis"] == 3  # m_a1, m_a1_sans_mesure, le ménage du bail N-1
    assert territorial["orientations"]["total"] == 2
    premiere = territorial["orientations"]["lignes"][0]
    assert premiere == ancienne and premiere.delai_decision_jours == 12
    assert "12 jours" in reponse.content.decode()
    assert {
        ligne.code: (ligne.ouvertes, ligne.capacite, ligne.taux)
        for ligne in territorial["mesures_par_type"]
    } == {"asrl": (1, 4, 25.0), "avdl": (1, 0, None)}
    assert territorial["attributions"] == {"baux": 1, "objectif": 10, "taux": 10}
    assert "referent" not in t and "copilote" not in t


@pytest.mark.parametrize(
    ("role", "menages_suivis", "attributions"),
    [
        ("agent", 3, {"baux": 2, "objectif": 8, "taux": 25}),
        # Administrateur : les objectifs des Départements, sans y ajouter ceux des EPCI.
        ("administrateur", 4, {"baux": 3, "objectif": 20, "taux": 15}),
    ],
)
def test_baux_de_l_annee_rapportes_a_l_objectif_des_territoires_habilites(
    client, monde, role, menages_suivis, attributions
):
    for menage in (monde.m_a1, monde.m_a2, monde.m_b1):
        bail_signe(menage)
    ObjectifAttribution.objects.create(territoire=monde.d1, annee=ANNEE, objectif=8)
    ObjectifAttribution.objects.create(territoire=monde.d2, annee=ANNEE, objectif=12)
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=ANNEE, objectif=5)
    ObjectifAttribution.objects.create(territoire=monde.d1, annee=ANNEE - 1, objectif=50)

    _, t = tableau(client, getattr(monde, role))

    assert t["territorial"]["menages_suivis"] == menages_suivis
    assert t["territorial"]["attributions"] == attributions


def test_coordinateur_sans_objectif_de_plateforme_prend_celui_de_ses_epci(client, monde):
    bail_signe(monde.m_a1)
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=ANNEE, objectif=4)
    ObjectifAttribution.objects.create(territoire=monde.a2, annee=ANNEE, objectif=40)
    _, t = tableau(client, monde.coordinateur)
    assert t["territorial"]["attributions"] == {"baux": 1, "objectif": 4, "taux": 25}


def test_sans_objectif_le_taux_d_attribution_est_vide(client, monde):
    bail_signe(monde.m_a1)
    reponse, t = tableau(client, monde.agent)
    assert t["territorial"]["attributions"] == {"baux": 1, "objectif": None, "taux": None}
    assert "aucun objectif fixé" in reponse.content.decode()


def test_alerte_fin_de_mesure_au_seuil_et_sans_solution_de_logement(client, monde):
    au_seuil = mesure(monde, date_fin_prevue=jours(30))
    depassee = mesure(monde, date_fin_prevue=jours(-2))
    mesure(monde, date_fin_prevue=jours(31))
    avec_bail = mesure(monde, date_fin_prevue=jours(10))
    bail_signe(avec_bail.menage)
    avec_attribution = mesure(monde, date_fin_prevue=jours(10))
    attribution(avec_attribution.menage)
    attribution_refusee = mesure(monde, date_fin_prevue=jours(10))
    attribution(
        attribution_refusee.menage,
        reponse=Proposition.Reponse.REFUS,
        date_reponse=jours(-1),
        motif_refus="Trop loin de l'école.",
    )
    hors_departement = mesure(monde, epci=monde.b1, structure=monde.s3, date_fin_prevue=jours(5))

    reponse, t = tableau(client, monde.agent)
    alerte = t["territorial"]["fins_de_mesure"]

    attendues = [depassee, au_seuil, attribution_refusee]
    assert alerte["total"] == 3
    assert {m.pk for m in alerte["lignes"]} == {m.pk for m in attendues}
    assert alerte["lignes"][0] == depassee  # la plus urgente d'abord
    assert hors_departement.menage.reference not in reponse.content.decode()
    assert "dépassée" in reponse.content.decode()


def test_alerte_menages_sans_rencontre_au_seuil(client, monde):
    m_45 = mesure(monde).menage
    m_46 = mesure(monde).menage
    for menage, anciennete in ((m_45, 45), (m_46, 46)):
        menage.date_dernier_contact = jours(-anciennete)
        menage.save()
    sans_mesure_ouverte = f.MenageFactory(territoire=monde.a1, date_dernier_contact=jours(-90))
    terminee = mesure(
        monde,
        statut=Mesure.Statut.TERMINEE,
        date_fin=jours(-1),
        motif_fin=f.reference(MotifFin, "perte_contact"),
    )

    _, t = tableau(client, monde.agent)
    alerte = t["territorial"]["sans_contact"]

    # Les ménages du monde n'ont jamais été rencontrés et ont une mesure ouverte.
    assert references(alerte) == {monde.m_a1.reference, monde.m_a2.reference, m_46.reference}
    assert sans_mesure_ouverte.reference not in references(alerte)
    assert terminee.menage.reference not in references(alerte)


def test_alerte_nur_a_renouveler_au_seuil(client, monde):
    a_renouveler = f.MenageFactory(
        territoire=monde.a1,
        nur="NUR000001",
        nur_date_depot=jours(-330),
        nur_date_renouvellement=jours(30),
    )
    echu = f.MenageFactory(
        territoire=monde.a2,
        nur="NUR000002",
        nur_date_depot=jours(-400),
        nur_date_renouvellement=jours(-3),
    )
    f.MenageFactory(
        territoire=monde.a1,
        nur="NUR000003",
        nur_date_depot=jours(-300),
        nur_date_renouvellement=jours(31),
    )
    f.MenageFactory(
        territoire=monde.b1,
        nur="NUR000004",
        nur_date_depot=jours(-300),
        nur_date_renouvellement=jours(1),
    )

    _, t = tableau(client, monde.agent)

    alerte = t["territorial"]["nur"]
    assert [m.reference for m in alerte["lignes"]] == [echu.reference, a_renouveler.reference]
    assert alerte["total"] == 2


def test_alerte_procedures_d_expulsion_recemment_avancees(client, monde):
    recente = procedure(monde.m_a1, cree_il_y_a=29)
    procedure(monde.m_a2, cree_il_y_a=31)
    procedure(monde.m_a1_sans_mesure, issue=ProcedureExpulsion.Issue.MAINTIEN)
    procedure(monde.m_b1)

    reponse, t = tableau(client, monde.agent)

    alerte = t["territorial"]["expulsions"]
    assert [p.pk for p in alerte["lignes"]] == [recente.pk]
    assert alerte["lignes"][0].derniere_etape_libelle == "Assignation"
    assert "Assignation" in reponse.content.decode()


def test_alertes_limitees_a_dix_lignes_avec_le_total(client, monde):
    for _ in range(12):
        mesure(monde, date_fin_prevue=jours(3))
    _, t = tableau(client, monde.agent)
    alerte = t["territorial"]["fins_de_mesure"]
    assert len(alerte["lignes"]) == 10
    assert alerte["total"] == 12


# --- Référent ------------------------------------------------------------------------------------


def test_referent_voit_ses_mesures_ses_menages_sans_contact_et_ses_actions_en_retard(client, monde):
    Mesure.objects.filter(pk=monde.mesure_a1.pk).update(referent=monde.referent)
    recente = mesure(monde, referent=monde.referent)
    recente.menage.date_dernier_contact = jours(-2)
    recente.menage.save()
    mesure(monde)  # même structure, autre référent : pas « ses » mesures
    en_retard = action(monde.mesure_a1, echeance=jours(-1))
    action(monde.mesure_a1, echeance=jours(-5), realisee_le=jours(-2))
    action(monde.mesure_a1, echeance=jours(1))
    action(recente, echeance=jours(-3), statut=ObjectifProjet.Statut.ABANDONNE)

    reponse, t = tableau(client, monde.referent)
    r = t["referent"]

    assert r["mesures_ouvertes"] == 2
    assert references(r["sans_contact"]) == {monde.m_a1.reference}
    assert r["actions_en_retard"]["total"] == 1
    assert r["actions_en_retard"]["lignes"] == [en_retard]
    assert reverse("accompagnement:mes_menages") in reponse.content.decode()
    assert "territorial" not in t and "copilote" not in t


# --- Co-pilote ------------------------------------------------------------------------------------


def test_copilote_ne_voit_que_des_agregats_avec_petits_effectifs_masques(client, monde):
    for _ in range(6):
        mesure(monde)  # six ménages de plus sur A1, chacun avec une ASRL ouverte
    bail_signe(monde.m_a1)
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=ANNEE, objectif=20)

    reponse, t = tableau(client, monde.copilote)
    c = t["copilote"]
    contenu = reponse.content.decode()

    assert c["menages_suivis"] == 8
    par_type = {ligne["libelle"]: ligne["ouvertes"] for ligne in c["mesures_par_type"]}
    assert par_type[f.reference(TypeMesure, "asrl").libelle] == 7
    assert par_type[f.reference(TypeMesure, "avdl").libelle] == "< 5"
    assert c["attributions"] == {"baux": "< 5", "objectif": 20, "taux": None, "masque": True}
    assert "&lt; 5" in contenu
    assert "territorial" not in t and "referent" not in t
    # Aucune donnée nominative : ni référence, ni nom, ni lien vers une fiche.
    for menage in Mesure.objects.filter(territoire=monde.a1).values_list("menage", flat=True):
        assert f"M{menage:07d}" not in contenu
    assert "Fictif" not in contenu
    assert "/menages/" not in contenu


def test_copilote_voit_le_taux_d_attribution_au_dela_du_secret(client, monde):
    menages = [f.MenageFactory(territoire=monde.a1) for _ in range(5)]
    for menage in menages:
        bail_signe(menage)
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=ANNEE, objectif=20)

    _, t = tableau(client, monde.copilote)

    assert t["copilote"]["attributions"] == {
        "baux": 5,
        "objectif": 20,
        "taux": 25,
        "masque": False,
    }


@pytest.mark.parametrize(("effectif", "affiche"), [(0, "< 5"), (4, "< 5"), (5, 5), (120, 120)])
def test_secret_statistique_masque_sous_le_seuil(effectif, affiche):
    assert secret_statistique(effectif) == affiche


# --- Sans habilitation ----------------------------------------------------------------------------


def test_sans_habilitation_l_accueil_avertit_sans_rien_montrer(client, monde):
    reponse, t = tableau(client, monde.sans_role)
    assert "Aucune habilitation active" in reponse.content.decode()
    assert not {"territorial", "referent", "copilote"} & set(t)


# --- Requêtes ---------------------------------------------------------------------------------------


NUMEROS_NUR = itertools.count()


def peupler(monde, n):
    """n ménages de A1 qui déclenchent toutes les listes du tableau de bord."""
    for _ in range(n):
        menage = f.MenageFactory(
            territoire=monde.a1,
            nur=f"NURTDB{next(NUMEROS_NUR):06d}",
            nur_date_depot=jours(-340),
            nur_date_renouvellement=jours(10),
        )
        m = f.MesureFactory(
            menage=menage, structure=monde.s1, referent=monde.referent, date_fin_prevue=jours(5)
        )
        f.OrientationFactory(menage=menage, plateforme=monde.p1)
        procedure(menage)
        action(m, echeance=jours(-1))
        bail_signe(f.MenageFactory(territoire=monde.a1))


@pytest.mark.parametrize(
    "role", ["referent", "coordinateur", "agent", "administrateur", "copilote"]
)
def test_tableau_de_bord_en_nombre_de_requetes_constant(
    client, monde, role, django_assert_max_num_queries
):
    ObjectifAttribution.objects.create(territoire=monde.d1, annee=ANNEE, objectif=10)
    f.ConventionFactory(structure=monde.s1, territoire=monde.d1)
    peupler(monde, 1)
    client.force_login(getattr(monde, role))
    with django_assert_max_num_queries(30) as petit:
        assert client.get(reverse("accueil")).status_code == 200
    peupler(monde, 15)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        assert client.get(reverse("accueil")).status_code == 200
