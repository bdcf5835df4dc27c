"""Tableau de bord de l'accueil : chiffres clés (indicateurs du registre des bilans, avec leur
définition) et alertes selon le rôle, secret statistique des bilans pour le co-pilote, nombre de
requêtes indépendant du volume."""

import datetime as dt
import html
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
from bilans.indicateurs import INDICATEURS
from menages.models import EtapeProcedure, Personne, ProcedureExpulsion, TypeSituation

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


def situation(menage, code="rue"):
    """Situation résidentielle du demandeur depuis plus d'un an (« rue » : sans domicile)."""
    return f.SituationFactory(
        personne=menage.personnes.get(role=Personne.Role.DEMANDEUR),
        type=f.reference(TypeSituation, code),
    )


def bail_signe(menage, jour=AUJOURDHUI, *, sans_domicile=True, logement_sur=None):
    """Bail signé `jour` (toutes les étapes le même jour : reste dans l'année courante) pour un
    ménage à la rue (sans domicile) ou, sinon, déjà locataire ; logement dans l'EPCI du ménage
    ou dans `logement_sur`."""
    situation(menage, "rue" if sans_domicile else "logement_prive")
    territoire = {"logement__territoire": logement_sur} if logement_sur else {}
    return f.PropositionFactory(
        menage=menage,
        **territoire,
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

    # Ménages accompagnés = une mesure active aujourd'hui sur A1 : m_a1 (ASRL) et
    # m_a1_sans_mesure (AVDL) ; pas le ménage du bail N-1 (dossier ouvert, aucune mesure).
    assert territorial["menages_accompagnes"] == 2
    assert territorial["orientations"]["total"] == 2
    premiere = territorial["orientations"]["lignes"][0]
    assert premiere == ancienne and premiere.delai_decision_jours == 12
    assert "12 jours" in reponse.content.decode()
    assert {
        ligne["code"]: (ligne["mesures_en_cours"], ligne["capacite"], ligne["taux"])
        for ligne in territorial["mesures_par_type"]
    } == {"asrl": (1, 4, 25.0), "avdl": (1, 0, None)}
    # 1 bail sur A1 cette année ; objectif propre de P1 (10) ; 1 ÷ 10 = 10 %.
    assert territorial["attributions"] == {
        "baux_sans_domicile": 1,
        "objectif_attribution": 10,
        "taux_objectif": 10.0,
    }
    assert "referent" not in t and "copilote" not in t


@pytest.mark.parametrize(
    ("role", "menages_accompagnes", "attributions"),
    [
        # D1 : mesures de m_a1 et m_a2 ; baux de A1 et A2 ; 2 ÷ 8 = 25 %.
        ("agent", 2, (2, 8, 25.0)),
        # Administrateur : les objectifs des Départements (8 + 12), sans y ajouter ceux des EPCI ;
        # 3 ÷ 20 = 15 %.
        ("administrateur", 3, (3, 20, 15.0)),
    ],
)
def test_baux_de_l_annee_rapportes_a_l_objectif_des_territoires_habilites(
    client, monde, role, menages_accompagnes, attributions
):
    for menage in (monde.m_a1, monde.m_a2, monde.m_b1):
        bail_signe(menage)
    ObjectifAttribution.objects.create(territoire=monde.d1, annee=ANNEE, objectif=8)
    ObjectifAttribution.objects.create(territoire=monde.d2, annee=ANNEE, objectif=12)
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=ANNEE, objectif=5)
    ObjectifAttribution.objects.create(territoire=monde.d1, annee=ANNEE - 1, objectif=50)

    _, t = tableau(client, getattr(monde, role))

    assert t["territorial"]["menages_accompagnes"] == menages_accompagnes
    assert tuple(t["territorial"]["attributions"].values()) == attributions


def test_coordinateur_sans_objectif_de_plateforme_prend_celui_de_ses_epci(client, monde):
    bail_signe(monde.m_a1)
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=ANNEE, objectif=4)
    ObjectifAttribution.objects.create(territoire=monde.a2, annee=ANNEE, objectif=40)
    _, t = tableau(client, monde.coordinateur)
    # Règle des bilans : à défaut d'objectif propre, la somme de ceux des EPCI de P1 (A1 seul).
    assert tuple(t["territorial"]["attributions"].values()) == (1, 4, 25.0)


def test_sans_objectif_le_taux_d_attribution_est_vide(client, monde):
    bail_signe(monde.m_a1)
    reponse, t = tableau(client, monde.agent)
    assert tuple(t["territorial"]["attributions"].values()) == (1, None, None)
    assert "aucun objectif fixé" in reponse.content.decode()


def test_attributions_comptent_les_baux_des_menages_sans_domicile_sur_les_logements_du_ressort(
    client, monde
):
    bail_signe(monde.m_a1)  # à la rue, logement sur A1 : compte
    bail_signe(f.MenageFactory(territoire=monde.a1), sans_domicile=False)  # déjà locataire
    bail_signe(monde.m_a2, logement_sur=monde.a1)  # ménage de A2, logement sur A1 : compte
    bail_signe(monde.m_b1)  # à la rue, logement sur B1 : hors ressort
    ObjectifAttribution.objects.create(territoire=monde.p1, annee=ANNEE, objectif=8)

    reponse, t = tableau(client, monde.coordinateur)

    # 2 baux ÷ 8 = 25 %.
    assert tuple(t["territorial"]["attributions"].values()) == (2, 8, 25.0)
    contenu = reponse.content.decode()
    assert "Attributions à des ménages sans domicile ou hébergés en" in contenu
    assert "25 %" in contenu


def test_menages_accompagnes_et_mesures_en_cours_suivent_les_dates_des_mesures(client, monde):
    # Proposée, pas commencée : ni mesure en cours, ni ménage accompagné.
    mesure(monde, statut=Mesure.Statut.PROPOSEE, date_debut=None)
    # Terminée hier : plus accompagné aujourd'hui.
    mesure(
        monde,
        statut=Mesure.Statut.TERMINEE,
        date_fin=jours(-1),
        motif_fin=f.reference(MotifFin, "perte_contact"),
    )
    # Ménage de A2 dont la mesure est exercée sur A1 (il a déménagé) : compte sur A1.
    f.MesureFactory(menage=f.MenageFactory(territoire=monde.a2), territoire=monde.a1)

    _, t = tableau(client, monde.coordinateur)

    # Sur A1 : mesure_a1 et la mesure exercée sur A1 ; m_a1_sans_mesure n'a aucune mesure.
    assert t["territorial"]["menages_accompagnes"] == 2
    assert [
        (ligne["code"], ligne["mesures_en_cours"]) for ligne in t["territorial"]["mesures_par_type"]
    ] == [("asrl", 2)]


def test_chaque_chiffre_cle_porte_la_definition_du_registre(client, monde):
    reponse, _ = tableau(client, monde.agent)
    contenu = reponse.content.decode()
    for code in (
        "menages_accompagnes",
        "baux_sans_domicile",
        "objectif_attribution",
        "taux_objectif",
        "mesures_en_cours",
    ):
        indicateur = INDICATEURS[code]
        assert html.escape(indicateur.definition) in contenu, code
        assert html.escape(indicateur.libelle) in contenu, code


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
    for _ in range(2):
        mesure(monde, type=f.reference(TypeMesure, "avdl"))  # deux AVDL : sous le seuil
    bail_signe(monde.m_a1)
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=ANNEE, objectif=20)

    reponse, t = tableau(client, monde.copilote)
    c = t["copilote"]
    contenu = reponse.content.decode()

    # 6 + 2 ménages ajoutés + m_a1 ; m_a1_sans_mesure n'a aucune mesure.
    assert c["menages_accompagnes"] == 9
    par_type = {ligne["libelle"]: ligne["mesures_en_cours"] for ligne in c["mesures_par_type"]}
    assert par_type[f.reference(TypeMesure, "asrl").libelle] == 7
    assert par_type[f.reference(TypeMesure, "avdl").libelle] == "s"
    assert par_type[f.reference(TypeMesure, "aml").libelle] == 0  # zéro : rien à protéger
    # Un bail (< 5) : masqué, et le taux qui repose sur lui aussi ; l'objectif (20) est publié.
    assert c["attributions"] == {
        "baux_sans_domicile": "s",
        "objectif_attribution": 20,
        "taux_objectif": "s",
    }
    assert "« s » remplace un effectif non nul inférieur à 5" in contenu
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

    # 5 ÷ 20 = 25 %.
    assert t["copilote"]["attributions"] == {
        "baux_sans_domicile": 5,
        "objectif_attribution": 20,
        "taux_objectif": 25.0,
    }


@pytest.mark.parametrize(
    ("effectif", "affiche", "taux"), [(0, 0, "s"), (4, "s", "s"), (5, 5, 50.0), (7, 7, 70.0)]
)
def test_copilote_secret_statistique_des_bilans(client, monde, effectif, affiche, taux):
    # Règle de bilans.secret : un effectif nul reste publié, un effectif de 1 à 4 est masqué, et
    # le taux l'est dès que son effectif est sous le seuil.
    for _ in range(effectif):
        bail_signe(f.MenageFactory(territoire=monde.a1))
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=ANNEE, objectif=10)

    _, t = tableau(client, monde.copilote)

    assert t["copilote"]["attributions"] == {
        "baux_sans_domicile": affiche,
        "objectif_attribution": 10,
        "taux_objectif": taux,
    }


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
