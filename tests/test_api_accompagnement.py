"""API de l'accompagnement : orientations, mesures, projet d'accompagnement (projets, objectifs,
actions), rencontres, conventions — lecture et écriture par rôle, périmètre, note de rencontre
masquée, validation en français sans rien écrire, versions (409), filtres, tri, requêtes
bornées."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accompagnement.models import (
    ActionProjet,
    Convention,
    DomaineAccompagnement,
    Mesure,
    ObjectifProjet,
    Orientation,
    ProjetAccompagnement,
    Rencontre,
    RevisionProjet,
    TypeMesure,
)
from logement.models import Role
from menages.models import Menage

from . import factories as f

pytestmark = pytest.mark.django_db
AUJOURDHUI = timezone.localdate()
J = dt.timedelta(days=1)

LISTES = ["orientation", "mesure", "projet", "objectif", "action", "rencontre", "convention"]


def adresse(nom, *args):
    return reverse(f"api:{nom}", args=args)


def lire(client, user, nom, *args, **params):
    client.force_login(user)
    return client.get(adresse(nom, *args), params, HTTP_ACCEPT="application/json")


def ecrire(client, user, methode, nom, *args, donnees=None):
    client.force_login(user)
    return getattr(client, methode)(
        adresse(nom, *args), donnees or {}, content_type="application/json"
    )


def ids(reponse) -> list[int]:
    assert reponse.status_code == 200, reponse.content
    return [objet["id"] for objet in reponse.json()["results"]]


def erreurs(reponse) -> dict:
    assert reponse.status_code == 400, reponse.content
    return reponse.json()["erreurs"]


def type_mesure(code):
    return TypeMesure.objects.get(code=code)


def domaine(code="logement"):
    return DomaineAccompagnement.objects.get(code=code)


@pytest.fixture
def orientations(monde):
    return {
        "a1": f.OrientationFactory(
            menage=monde.m_a1_sans_mesure,
            plateforme=monde.p1,
            type_mesure_preconisee=type_mesure("avdl"),
        ),
        "a2": f.OrientationFactory(
            menage=monde.m_a2, plateforme=monde.p2, date_orientation=AUJOURDHUI - 40 * J
        ),
        "b1": f.OrientationFactory(menage=monde.m_b1, plateforme=monde.q1),
    }


@pytest.fixture
def partagee(monde):
    """Mesure de S2 sur le ménage de A1 que suit S1 : le référent de S1 la lit, sans la tenir."""
    return f.MesureFactory(menage=monde.m_a1, structure=monde.s2, type=type_mesure("aml"))


def projet_de(mesure, **kwargs):
    return ProjetAccompagnement.objects.create(
        mesure=mesure, date_elaboration=AUJOURDHUI - 5 * J, **kwargs
    )


def objectif_de(projet, intitule="Accéder à un logement", **kwargs):
    return ObjectifProjet.objects.create(
        projet=projet, domaine=domaine(), intitule=intitule, **kwargs
    )


# --- Accès communs ------------------------------------------------------------------------------


@pytest.mark.parametrize("nom", LISTES)
@pytest.mark.parametrize("role", ["copilote", "sans_role"])
def test_copilote_et_compte_sans_habilitation_refuses_partout(client, monde, nom, role):
    reponse = lire(client, getattr(monde, role), f"{nom}-list")
    assert reponse.status_code == 403
    assert reponse.json()["code"] == "permission_refusee"
    reponse = ecrire(client, getattr(monde, role), "post", f"{nom}-list", donnees={})
    assert reponse.status_code == 403


@pytest.mark.parametrize("nom", LISTES)
def test_anonyme_refuse(client, nom):
    reponse = client.get(adresse(f"{nom}-list"), HTTP_ACCEPT="application/json")
    assert reponse.status_code in (401, 403)


@pytest.mark.parametrize(
    ("nom", "methodes"),
    [
        ("orientation", ["put", "patch", "delete"]),
        ("mesure", ["put", "patch", "delete"]),
        ("projet", ["delete"]),
        ("objectif", ["delete"]),
        ("action", ["delete"]),
        ("rencontre", ["put", "patch", "delete"]),
        ("convention", ["delete"]),
    ],
)
def test_methodes_absentes_de_linterface_non_exposees(client, monde, nom, methodes):
    """Pas de suppression (ni de modification libre d'une mesure, d'une orientation ou d'une
    rencontre) : l'interface n'en offre pas."""
    mesure = monde.mesure_a1
    projet = projet_de(mesure)
    objectif = objectif_de(projet)
    objets = {
        "orientation": f.OrientationFactory(menage=monde.m_a1, plateforme=monde.p1),
        "mesure": mesure,
        "projet": projet,
        "objectif": objectif,
        "action": ActionProjet.objects.create(objectif=objectif, intitule="Visiter"),
        "rencontre": f.RencontreFactory(menage=monde.m_a1, structure=monde.s1),
        "convention": f.ConventionFactory(structure=monde.s1),
    }
    for methode in methodes:
        reponse = ecrire(
            client, monde.administrateur, methode, f"{nom}-detail", objets[nom].pk, donnees={}
        )
        assert reponse.status_code == 405, (methode, reponse.content)
    assert type(objets[nom]).objects.filter(pk=objets[nom].pk).exists()


# --- Orientations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "visibles"),
    [
        ("referent", []),  # le ménage sans mesure de A1 n'est pas suivi par S1
        ("coordinateur", ["a1"]),
        ("agent", ["a1", "a2"]),
        ("administrateur", ["a1", "a2", "b1"]),
    ],
)
def test_orientations_lues_dans_le_perimetre(client, monde, orientations, role, visibles):
    reponse = lire(client, getattr(monde, role), "orientation-list")
    assert sorted(ids(reponse)) == sorted(orientations[c].pk for c in visibles)
    b1 = lire(client, getattr(monde, role), "orientation-detail", orientations["b1"].pk)
    assert b1.status_code == (200 if role == "administrateur" else 404)


def test_referent_lit_les_orientations_des_menages_quil_suit(client, monde):
    orientation = f.OrientationFactory(menage=monde.m_a1, plateforme=monde.p1)
    reponse = lire(client, monde.referent, "orientation-detail", orientation.pk)
    assert reponse.status_code == 200
    donnees = reponse.json()
    assert donnees["menage"] == monde.m_a1.pk
    assert donnees["origine"] == "siao"
    assert donnees["statut"] == "en_attente"


def test_filtres_et_tri_des_orientations(client, monde, orientations):
    agent = monde.agent
    assert ids(lire(client, agent, "orientation-list", territoire=monde.a2.pk)) == [
        orientations["a2"].pk
    ]
    assert ids(lire(client, agent, "orientation-list", territoire=monde.p1.pk)) == [
        orientations["a1"].pk
    ]
    assert sorted(ids(lire(client, agent, "orientation-list", territoire=monde.d1.pk))) == sorted(
        [orientations["a1"].pk, orientations["a2"].pk]
    )
    # Un territoire d'un autre Département ne montre rien, sans erreur.
    assert ids(lire(client, agent, "orientation-list", territoire=monde.d2.pk)) == []
    assert ids(lire(client, agent, "orientation-list", type="avdl")) == [orientations["a1"].pk]
    assert ids(lire(client, agent, "orientation-list", plateforme=monde.p2.pk)) == [
        orientations["a2"].pk
    ]
    avant = (AUJOURDHUI - 20 * J).isoformat()
    assert ids(lire(client, agent, "orientation-list", date_orientation_avant=avant)) == [
        orientations["a2"].pk
    ]
    assert ids(lire(client, agent, "orientation-list", tri="date_orientation")) == [
        orientations["a2"].pk,
        orientations["a1"].pk,
    ]
    assert ids(lire(client, agent, "orientation-list", tri="-date_orientation")) == [
        orientations["a1"].pk,
        orientations["a2"].pk,
    ]
    Orientation.objects.filter(pk=orientations["a1"].pk).update(
        statut=Orientation.Statut.REFUSEE, date_decision=AUJOURDHUI, motif_decision="Complet"
    )
    assert ids(lire(client, agent, "orientation-list", statut="refusee")) == [orientations["a1"].pk]
    reponse = lire(client, agent, "orientation-list", statut="inconnu")
    assert "statut" in erreurs(reponse)


def test_modifie_depuis(client, monde, orientations):
    Orientation.objects.filter(pk=orientations["a2"].pk).update(
        modifie_le=timezone.now() - dt.timedelta(days=3)
    )
    depuis = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert ids(lire(client, monde.agent, "orientation-list", modifie_depuis=depuis)) == [
        orientations["a1"].pk
    ]
    assert "modifie_depuis" in erreurs(
        lire(client, monde.agent, "orientation-list", modifie_depuis="hier")
    )
    # Décalage horaire que PostgreSQL refuserait tel quel, date aux confins du calendrier :
    # ramené en UTC, ou refusé en 400, jamais une erreur serveur.
    lointain = lire(
        client, monde.agent, "orientation-list", modifie_depuis="1538-12-05T06:20-20:03"
    )
    assert len(ids(lointain)) == 2
    assert erreurs(lire(client, monde.agent, "mesure-list", modifie_depuis="0001-01-01T00:00:00"))[
        "modifie_depuis"
    ] == ["Date et heure hors du calendrier admis."]


def donnees_orientation(monde, **autres):
    return {
        "menage": monde.m_a1_sans_mesure.pk,
        "plateforme": monde.p1.pk,
        "date_orientation": AUJOURDHUI.isoformat(),
        "origine": "ccas",
        "motif": "Expulsion locative imminente.",
        "type_mesure_preconisee": "avdl",
        **autres,
    }


@pytest.mark.parametrize("role", ["coordinateur", "agent", "administrateur"])
def test_decideurs_enregistrent_une_orientation(client, monde, role):
    reponse = ecrire(
        client, getattr(monde, role), "post", "orientation-list", donnees=donnees_orientation(monde)
    )
    assert reponse.status_code == 201, reponse.content
    orientation = Orientation.objects.get()
    assert reponse.json()["id"] == orientation.pk
    assert (orientation.menage, orientation.plateforme) == (monde.m_a1_sans_mesure, monde.p1)
    assert orientation.origine.code == "ccas"
    assert reponse.json()["type_mesure_preconisee"] == "avdl"


def test_referent_nenregistre_pas_dorientation(client, monde):
    donnees = donnees_orientation(monde, menage=monde.m_a1.pk)
    reponse = ecrire(client, monde.referent, "post", "orientation-list", donnees=donnees)
    assert reponse.status_code == 403
    assert "coordinateur" in reponse.json()["detail"]
    assert not Orientation.objects.exists()


@pytest.mark.parametrize(
    ("changement", "champ"),
    [
        ({"menage": "menage_b1"}, "menage"),
        ({"plateforme": "p2"}, "plateforme"),  # ne couvre pas l'EPCI du ménage
        ({"plateforme": "q1"}, "plateforme"),  # autre Département
        ({"structure_prescriptrice": "s3"}, "structure_prescriptrice"),
        ({"origine": "inconnue"}, "origine"),
        ({"date_orientation": "demain"}, "date_orientation"),
        ({"motif": ""}, "motif"),
    ],
)
def test_orientation_invalide_refusee_sans_rien_ecrire(client, monde, changement, champ):
    valeurs = {
        "menage_b1": monde.m_b1.pk,
        "p2": monde.p2.pk,
        "q1": monde.q1.pk,
        "s3": monde.s3.pk,
        "demain": (AUJOURDHUI + J).isoformat(),
    }
    donnees = donnees_orientation(monde, **{k: valeurs.get(v, v) for k, v in changement.items()})
    reponse = ecrire(client, monde.coordinateur, "post", "orientation-list", donnees=donnees)
    messages = erreurs(reponse)
    assert champ in messages, messages
    assert reponse.json()["code"] == "donnees_invalides"
    assert all(m and m[0].isupper() for m in messages[champ])  # une phrase, en français
    assert not Orientation.objects.exists()


def test_menage_hors_perimetre_introuvable_sans_dire_sil_existe(client, monde):
    existant = ecrire(
        client,
        monde.coordinateur,
        "post",
        "orientation-list",
        donnees=donnees_orientation(monde, menage=monde.m_b1.pk),
    )
    inexistant = ecrire(
        client,
        monde.coordinateur,
        "post",
        "orientation-list",
        donnees=donnees_orientation(monde, menage=Menage.objects.order_by("pk").last().pk + 99),
    )
    assert erreurs(existant)["menage"] == erreurs(inexistant)["menage"] == ["Ménage introuvable."]


def test_accepter_ouvre_la_mesure_puis_ne_se_reprend_pas(client, monde, orientations):
    orientation = orientations["a1"]
    reponse = ecrire(
        client,
        monde.coordinateur,
        "post",
        "orientation-accepter",
        orientation.pk,
        donnees={"structure": monde.s1.pk, "referent": monde.referent.pk},
    )
    assert reponse.status_code == 201, reponse.content
    mesure = Mesure.objects.get(orientation=orientation)
    assert reponse.json()["id"] == mesure.pk
    assert reponse.json()["type"] == "avdl"  # le type préconisé, par défaut
    assert mesure.statut == Mesure.Statut.PROPOSEE
    orientation.refresh_from_db()
    assert (orientation.statut, orientation.decision_par) == ("acceptee", monde.coordinateur)
    encore = ecrire(
        client,
        monde.coordinateur,
        "post",
        "orientation-refuser",
        orientation.pk,
        donnees={"motif": "Erreur"},
    )
    assert encore.status_code == 409
    assert "déjà été décidée (acceptée)" in encore.json()["detail"]
    orientation.refresh_from_db()
    assert orientation.statut == "acceptee"


def test_accepter_avec_une_structure_hors_perimetre_refuse(client, monde, orientations):
    orientation = orientations["a1"]
    for donnees, champ in [
        ({"structure": monde.s3.pk}, "structure"),
        ({"structure": monde.s2.pk, "referent": monde.referent.pk}, "referent"),
        ({"structure": monde.s1.pk, "type": "inexistant"}, "type"),
        ({"structure": "abc"}, "structure"),
    ]:
        reponse = ecrire(
            client,
            monde.coordinateur,
            "post",
            "orientation-accepter",
            orientation.pk,
            donnees=donnees,
        )
        assert champ in erreurs(reponse), reponse.content
    orientation.refresh_from_db()
    assert orientation.statut == "en_attente"
    assert not Mesure.objects.filter(orientation=orientation).exists()


def test_refuser_et_reorienter(client, monde, orientations):
    coordinateur, agent = monde.coordinateur, monde.agent
    sans_motif = ecrire(
        client, coordinateur, "post", "orientation-refuser", orientations["a1"].pk, donnees={}
    )
    assert "motif" in erreurs(sans_motif)
    reponse = ecrire(
        client,
        coordinateur,
        "post",
        "orientation-refuser",
        orientations["a1"].pk,
        donnees={"motif": "Ne relève pas du dispositif."},
    )
    assert reponse.status_code == 200
    assert reponse.json()["statut"] == "refusee"
    assert reponse.json()["motif_decision"] == "Ne relève pas du dispositif."
    incomplet = ecrire(
        client,
        agent,
        "post",
        "orientation-reorienter",
        orientations["a2"].pk,
        donnees={"motif": "Hors logement d'abord."},
    )
    assert "redirigee_vers" in erreurs(incomplet)
    reponse = ecrire(
        client,
        agent,
        "post",
        "orientation-reorienter",
        orientations["a2"].pk,
        donnees={"motif": "Hors logement d'abord.", "redirigee_vers": "SIAO urgence"},
    )
    assert reponse.status_code == 200
    assert reponse.json()["statut"] == "redirigee"


def test_decisions_cloisonnees(client, monde, orientations):
    # Le référent ne décide pas ; le coordinateur ne voit pas A2 ; personne (hors admin) B1.
    assert (
        ecrire(
            client,
            monde.referent,
            "post",
            "orientation-refuser",
            orientations["a1"].pk,
            donnees={"motif": "x"},
        ).status_code
        == 403
    )
    for user, cible in [(monde.coordinateur, "a2"), (monde.agent, "b1")]:
        reponse = ecrire(
            client,
            user,
            "post",
            "orientation-refuser",
            orientations[cible].pk,
            donnees={"motif": "x"},
        )
        assert reponse.status_code == 404
    assert set(Orientation.objects.values_list("statut", flat=True)) == {"en_attente"}


# --- Mesures ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "visibles"),
    [
        ("referent", ["mesure_a1"]),
        ("coordinateur", ["mesure_a1"]),
        ("agent", ["mesure_a1", "mesure_a2"]),
        ("administrateur", ["mesure_a1", "mesure_a2", "mesure_b1"]),
    ],
)
def test_mesures_lues_dans_le_perimetre(client, monde, role, visibles):
    user = getattr(monde, role)
    assert sorted(ids(lire(client, user, "mesure-list"))) == sorted(
        getattr(monde, v).pk for v in visibles
    )
    for nom in ("mesure_a1", "mesure_a2", "mesure_b1"):
        reponse = lire(client, user, "mesure-detail", getattr(monde, nom).pk)
        assert reponse.status_code == (200 if nom in visibles else 404)


def test_detail_dune_mesure_avec_ses_renouvellements(client, monde):
    mesure = monde.mesure_a1
    mesure.renouvellements.create(
        date_decision=AUJOURDHUI - J,
        ancienne_fin_prevue=mesure.date_fin_prevue,
        nouvelle_fin_prevue=mesure.date_fin_prevue + 30 * J,
        motif="Relogement en cours.",
    )
    donnees = lire(client, monde.referent, "mesure-detail", mesure.pk).json()
    assert donnees["type"] == "asrl"
    assert donnees["structure"] == monde.s1.pk
    assert donnees["structure_nom"] == "CHRS Un"
    assert donnees["statut"] == "en_cours"
    assert donnees["territoire"] == monde.a1.pk
    assert [r["motif"] for r in donnees["renouvellements"]] == ["Relogement en cours."]


def test_filtres_et_tri_des_mesures(client, monde):
    agent = monde.agent
    proposee = f.MesureFactory(
        menage=monde.m_a1_sans_mesure,
        structure=monde.s1,
        type=type_mesure("avdl"),
        referent=monde.referent,
        statut=Mesure.Statut.PROPOSEE,
        date_debut=None,
        date_fin_prevue=None,
        date_proposition=AUJOURDHUI - 2 * J,
    )
    a1, a2 = monde.mesure_a1, monde.mesure_a2
    assert ids(lire(client, agent, "mesure-list", statut="proposee")) == [proposee.pk]
    assert ids(lire(client, agent, "mesure-list", type="avdl")) == [proposee.pk]
    assert ids(lire(client, agent, "mesure-list", referent=monde.referent.pk)) == [proposee.pk]
    assert ids(lire(client, agent, "mesure-list", structure=monde.s2.pk)) == [a2.pk]
    assert ids(lire(client, agent, "mesure-list", structure=monde.s3.pk)) == []  # étrangère
    assert sorted(ids(lire(client, agent, "mesure-list", territoire=monde.a1.pk))) == sorted(
        [a1.pk, proposee.pk]
    )
    assert len(ids(lire(client, agent, "mesure-list", territoire=monde.d1.pk))) == 3
    assert ids(lire(client, agent, "mesure-list", menage=monde.m_a2.pk)) == [a2.pk]
    debut = (AUJOURDHUI - 100 * J).isoformat()
    assert sorted(ids(lire(client, agent, "mesure-list", date_debut_apres=debut))) == sorted(
        [a1.pk, a2.pk]
    )
    assert ids(lire(client, agent, "mesure-list", date_debut_avant=debut, statut="en_cours"))
    assert ids(lire(client, agent, "mesure-list", date_debut_avant=(AUJOURDHUI - 101 * J))) == []
    # Tri par défaut : proposées le plus récemment d'abord, l'identifiant départage.
    assert ids(lire(client, agent, "mesure-list")) == [proposee.pk, a2.pk, a1.pk]
    assert ids(lire(client, agent, "mesure-list", tri="date_proposition")) == [
        a1.pk,
        a2.pk,
        proposee.pk,
    ]
    assert "date_debut_apres" in erreurs(lire(client, agent, "mesure-list", date_debut_apres="x"))
    assert "structure" in erreurs(lire(client, agent, "mesure-list", structure="abc"))


def donnees_ouverture(monde, **autres):
    return {
        "menage": monde.m_a1_sans_mesure.pk,
        "type": "avdl",
        "structure": monde.s1.pk,
        "referent": monde.referent.pk,
        "date_debut": AUJOURDHUI.isoformat(),
        **autres,
    }


def test_coordinateur_ouvre_une_mesure(client, monde):
    reponse = ecrire(
        client, monde.coordinateur, "post", "mesure-list", donnees=donnees_ouverture(monde)
    )
    assert reponse.status_code == 201, reponse.content
    mesure = Mesure.objects.get(menage=monde.m_a1_sans_mesure)
    donnees = reponse.json()
    assert donnees["id"] == mesure.pk
    assert donnees["statut"] == "en_cours"
    assert donnees["date_proposition"] == AUJOURDHUI.isoformat()
    assert donnees["date_fin_prevue"] == mesure.date_fin_prevue.isoformat()  # 6 mois (AVDL)
    assert (mesure.referent, mesure.territoire) == (monde.referent, monde.a1)


def test_mesure_seulement_proposee_sans_date_de_debut(client, monde):
    donnees = donnees_ouverture(monde, date_debut=None, referent=None)
    reponse = ecrire(client, monde.agent, "post", "mesure-list", donnees=donnees)
    assert reponse.status_code == 201, reponse.content
    assert reponse.json()["statut"] == "proposee"
    assert reponse.json()["referent"] is None


def test_referent_nouvre_pas_de_mesure(client, monde):
    donnees = donnees_ouverture(monde, menage=monde.m_a1.pk)
    reponse = ecrire(client, monde.referent, "post", "mesure-list", donnees=donnees)
    assert reponse.status_code == 403
    assert Mesure.objects.count() == 3


@pytest.mark.parametrize(
    ("changement", "champ"),
    [
        ({"menage": "m_b1"}, "menage"),
        ({"structure": "s3"}, "structure"),
        ({"referent": "agent"}, "referent"),  # pas référent dans la structure
        ({"type": "inconnu"}, "type"),
        ({"type": None}, "type"),
        ({"menage": "m_a1", "type": "asrl"}, "type"),  # déjà une ASRL ouverte (clean du modèle)
        ({"date_debut": "2024-02-30"}, "date_debut"),
        ({"menage": True}, "menage"),
    ],
)
def test_ouverture_invalide_refusee_sans_rien_ecrire(client, monde, changement, champ):
    def valeur(v):
        return getattr(monde, v).pk if isinstance(v, str) and hasattr(monde, v) else v

    donnees = donnees_ouverture(monde, **{k: valeur(v) for k, v in changement.items()})
    reponse = ecrire(client, monde.coordinateur, "post", "mesure-list", donnees=donnees)
    assert champ in erreurs(reponse)
    assert Mesure.objects.count() == 3


def test_demarrer_une_mesure_proposee(client, monde):
    proposee = f.MesureFactory(
        menage=monde.m_a1_sans_mesure,
        structure=monde.s1,
        type=type_mesure("avdl"),
        statut=Mesure.Statut.PROPOSEE,
        date_debut=None,
        date_fin_prevue=None,
    )
    # Le référent d'une autre structure (ici : d'aucune structure de la mesure) ne la voit pas.
    autre = f.utilisateur(Role.REFERENT, structure=monde.s2, username="referent_s2")
    assert ecrire(client, autre, "post", "mesure-demarrer", proposee.pk).status_code == 404
    reponse = ecrire(client, monde.coordinateur, "post", "mesure-demarrer", proposee.pk)
    assert reponse.status_code == 200, reponse.content
    assert reponse.json()["statut"] == "en_cours"
    assert reponse.json()["date_debut"] == AUJOURDHUI.isoformat()  # par défaut, aujourd'hui
    encore = ecrire(client, monde.referent, "post", "mesure-demarrer", proposee.pk)
    assert erreurs(encore)["non_field_errors"] == ["Seule une mesure proposée peut démarrer."]


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01"])
def test_date_invraisemblable_refusee_sans_erreur_serveur(client, monde, date):
    proposee = f.MesureFactory(
        menage=monde.m_a1_sans_mesure,
        structure=monde.s1,
        statut=Mesure.Statut.PROPOSEE,
        date_debut=None,
        date_fin_prevue=None,
    )
    reponse = ecrire(
        client, monde.referent, "post", "mesure-demarrer", proposee.pk, donnees={"date_debut": date}
    )
    assert erreurs(reponse)["date_debut"] == [
        "Date invraisemblable : indiquez une date entre 1900 et 2199."
    ]
    ouverture = ecrire(
        client,
        monde.agent,
        "post",
        "mesure-list",
        donnees=donnees_ouverture(
            monde, menage=monde.m_a2.pk, structure=monde.s2.pk, referent=None, date_debut=date
        ),
    )
    assert "date_debut" in erreurs(ouverture)
    proposee.refresh_from_db()
    assert proposee.statut == Mesure.Statut.PROPOSEE
    assert Mesure.objects.count() == 4


def test_renouveler_une_mesure(client, monde):
    mesure = monde.mesure_a1
    nouvelle_fin = mesure.date_fin_prevue + 60 * J
    reponse = ecrire(
        client,
        monde.referent,
        "post",
        "mesure-renouveler",
        mesure.pk,
        donnees={"nouvelle_fin_prevue": nouvelle_fin.isoformat(), "motif": "Bail glissant."},
    )
    assert reponse.status_code == 200, reponse.content
    assert reponse.json()["date_fin_prevue"] == nouvelle_fin.isoformat()
    [renouvellement] = reponse.json()["renouvellements"]
    assert renouvellement["decide_par"] == monde.referent.pk
    assert renouvellement["date_decision"] == AUJOURDHUI.isoformat()


def test_renouvellement_au_dela_de_la_duree_maximale_refuse(client, monde):
    mesure = monde.mesure_a1
    avant = mesure.date_fin_prevue
    reponse = ecrire(
        client,
        monde.referent,
        "post",
        "mesure-renouveler",
        mesure.pk,
        donnees={"nouvelle_fin_prevue": (mesure.date_debut + 800 * J).isoformat()},
    )
    [message] = erreurs(reponse)["nouvelle_fin_prevue"]
    assert message.startswith("La durée maximale d'une mesure ASRL est de 24 mois")
    mesure.refresh_from_db()
    assert mesure.date_fin_prevue == avant
    assert not mesure.renouvellements.exists()


def test_seul_le_referent_de_la_structure_fait_vivre_la_mesure(client, monde, partagee):
    donnees = {"nouvelle_fin_prevue": (partagee.date_fin_prevue + 30 * J).isoformat()}
    # Le référent de S1 lit la mesure de S2 sur un ménage qu'il suit, sans pouvoir la tenir.
    assert lire(client, monde.referent, "mesure-detail", partagee.pk).status_code == 200
    for user in (monde.referent, monde.coordinateur, monde.agent):
        reponse = ecrire(client, user, "post", "mesure-renouveler", partagee.pk, donnees=donnees)
        assert reponse.status_code == 403
        assert reponse.json()["detail"] == (
            "Seul un référent de la structure qui porte la mesure peut agir."
        )
    assert not partagee.renouvellements.exists()
    admin = ecrire(
        client, monde.administrateur, "post", "mesure-renouveler", partagee.pk, donnees=donnees
    )
    assert admin.status_code == 200


def test_terminer_par_un_acces_au_logement(client, monde):
    mesure = monde.mesure_a1
    incomplet = ecrire(
        client,
        monde.referent,
        "post",
        "mesure-terminer",
        mesure.pk,
        donnees={"motif_fin": "acces_logement"},
    )
    assert set(erreurs(incomplet)) == {"destination", "date_entree_logement"}
    etranger = f.LogementFactory(territoire=monde.b1)
    hors_perimetre = ecrire(
        client,
        monde.referent,
        "post",
        "mesure-terminer",
        mesure.pk,
        donnees={
            "motif_fin": "acces_logement",
            "destination": "parc_prive",
            "date_entree_logement": AUJOURDHUI.isoformat(),
            "logement": etranger.pk,
        },
    )
    assert "logement" in erreurs(hors_perimetre)
    mesure.refresh_from_db()
    assert mesure.statut == Mesure.Statut.EN_COURS
    reponse = ecrire(
        client,
        monde.referent,
        "post",
        "mesure-terminer",
        mesure.pk,
        donnees={
            "motif_fin": "acces_logement",
            "destination": "parc_prive",
            "date_entree_logement": AUJOURDHUI.isoformat(),
        },
    )
    assert reponse.status_code == 200, reponse.content
    donnees = reponse.json()
    assert (donnees["statut"], donnees["motif_fin"]) == ("terminee", "acces_logement")
    assert donnees["date_fin"] == AUJOURDHUI.isoformat()
    assert monde.m_a1.personnes.get().situations.filter(type__code="logement_prive").exists()


def test_terminer_une_mesure_deja_terminee_refuse(client, monde):
    mesure = monde.mesure_a1
    donnees = {"motif_fin": "objectifs_atteints"}
    premiere = ecrire(client, monde.referent, "post", "mesure-terminer", mesure.pk, donnees=donnees)
    assert premiere.status_code == 200
    reponse = ecrire(client, monde.referent, "post", "mesure-terminer", mesure.pk, donnees=donnees)
    assert erreurs(reponse)["non_field_errors"] == ["Cette mesure est déjà terminée."]
    assert "motif_fin" in erreurs(
        ecrire(
            client,
            monde.referent,
            "post",
            "mesure-terminer",
            monde.mesure_a1.pk,
            donnees={"motif_fin": "inconnu"},
        )
    )


# --- Projet d'accompagnement --------------------------------------------------------------------


def test_referent_elabore_puis_modifie_le_projet(client, monde):
    mesure = monde.mesure_a1
    reponse = ecrire(
        client,
        monde.referent,
        "post",
        "projet-list",
        donnees={"mesure": mesure.pk, "diagnostic": "Dettes locatives anciennes."},
    )
    assert reponse.status_code == 201, reponse.content
    projet = ProjetAccompagnement.objects.get(mesure=mesure)
    donnees = reponse.json()
    assert (donnees["id"], donnees["version"]) == (projet.pk, 1)
    assert donnees["date_elaboration"] == AUJOURDHUI.isoformat()
    assert RevisionProjet.objects.filter(projet=projet).count() == 1
    doublon = ecrire(client, monde.referent, "post", "projet-list", donnees={"mesure": mesure.pk})
    assert "mesure" in erreurs(doublon)
    modifie = ecrire(
        client,
        monde.referent,
        "patch",
        "projet-detail",
        projet.pk,
        donnees={"version": 1, "date_signature": AUJOURDHUI.isoformat()},
    )
    assert modifie.status_code == 200, modifie.content
    assert modifie.json()["version"] == 2
    assert modifie.json()["diagnostic"] == "Dettes locatives anciennes."  # gardé
    assert modifie.json()["modifie_par"] == monde.referent.pk
    assert RevisionProjet.objects.filter(projet=projet).count() == 2


def test_projet_version_perimee_409_sans_rien_ecrire(client, monde):
    projet = projet_de(monde.mesure_a1, diagnostic="Initial")
    ecrire(
        client,
        monde.referent,
        "patch",
        "projet-detail",
        projet.pk,
        donnees={"version": 1, "diagnostic": "Première modification"},
    )
    reponse = ecrire(
        client,
        monde.referent,
        "patch",
        "projet-detail",
        projet.pk,
        donnees={"version": 1, "diagnostic": "Écrase la première"},
    )
    assert reponse.status_code == 409
    assert reponse.json()["code"] == "conflit"
    assert "a été modifié" in reponse.json()["detail"]
    projet.refresh_from_db()
    assert (projet.diagnostic, projet.version) == ("Première modification", 2)
    sans_version = ecrire(
        client, monde.referent, "patch", "projet-detail", projet.pk, donnees={"diagnostic": "x"}
    )
    assert "version" in erreurs(sans_version)
    invalide = ecrire(
        client,
        monde.referent,
        "patch",
        "projet-detail",
        projet.pk,
        donnees={"version": 2, "date_signature": (projet.date_elaboration - J).isoformat()},
    )
    assert erreurs(invalide)["date_signature"] == ["La signature précède l'élaboration."]
    projet.refresh_from_db()
    assert (projet.version, projet.date_signature) == (2, None)


def test_projet_ecrit_par_le_seul_referent_de_la_structure(client, monde, partagee):
    for user, mesure, statut in [
        (monde.coordinateur, monde.mesure_a1, 403),
        (monde.agent, monde.mesure_a1, 403),
        (monde.referent, partagee, 403),  # mesure de S2 sur un ménage suivi par S1
        (monde.referent, monde.mesure_b1, 400),  # hors périmètre : introuvable
    ]:
        reponse = ecrire(client, user, "post", "projet-list", donnees={"mesure": mesure.pk})
        assert reponse.status_code == statut, (user, reponse.content)
    assert not ProjetAccompagnement.objects.exists()
    projet = projet_de(monde.mesure_a1)
    reponse = ecrire(
        client,
        monde.coordinateur,
        "patch",
        "projet-detail",
        projet.pk,
        donnees={"version": 1, "diagnostic": "x"},
    )
    assert reponse.status_code == 403
    assert lire(client, monde.coordinateur, "projet-detail", projet.pk).status_code == 200
    etranger = projet_de(monde.mesure_b1)
    assert lire(client, monde.agent, "projet-detail", etranger.pk).status_code == 404


def test_objectifs_du_plan(client, monde):
    mesure = monde.mesure_a1
    sans_projet = ecrire(
        client,
        monde.referent,
        "post",
        "objectif-list",
        donnees={"mesure": mesure.pk, "domaine": "budget", "intitule": "Apurer la dette"},
    )
    assert erreurs(sans_projet)["mesure"] == [
        "Créez d'abord le projet d'accompagnement de cette mesure."
    ]
    projet = projet_de(mesure)
    reponse = ecrire(
        client,
        monde.referent,
        "post",
        "objectif-list",
        donnees={"mesure": mesure.pk, "domaine": "budget", "intitule": "Apurer la dette"},
    )
    assert reponse.status_code == 201, reponse.content
    donnees = reponse.json()
    objectif = ObjectifProjet.objects.get()
    assert donnees["id"] == objectif.pk
    assert (donnees["mesure"], donnees["projet"]) == (mesure.pk, projet.pk)
    assert (donnees["domaine"], donnees["statut"], donnees["version"]) == (
        "budget",
        "a_engager",
        1,
    )
    atteint = ecrire(
        client,
        monde.referent,
        "patch",
        "objectif-detail",
        objectif.pk,
        donnees={"version": 1, "statut": "atteint"},
    )
    assert atteint.status_code == 200, atteint.content
    assert atteint.json()["date_atteinte"] == AUJOURDHUI.isoformat()
    assert atteint.json()["intitule"] == "Apurer la dette"
    remplace = ecrire(
        client,
        monde.referent,
        "put",
        "objectif-detail",
        objectif.pk,
        donnees={
            "version": 2,
            "mesure": mesure.pk,
            "domaine": "budget",
            "intitule": "Apurer la dette de loyer",
            "statut": "en_cours",
        },
    )
    assert remplace.status_code == 200, remplace.content
    assert remplace.json()["date_atteinte"] is None
    assert RevisionProjet.objects.filter(projet=projet).count() == 3


@pytest.mark.parametrize(
    ("donnees", "champ"),
    [
        ({"domaine": "inconnu"}, "domaine"),
        ({"intitule": ""}, "intitule"),
        ({"intitule": "x" * 251}, "intitule"),
        ({"statut": "fini"}, "statut"),
        ({"echeance": "31/12/2025"}, "echeance"),
        ({"mesure": None}, "mesure"),
    ],
)
def test_objectif_invalide_refuse_sans_rien_ecrire(client, monde, donnees, champ):
    projet_de(monde.mesure_a1)
    valeurs = {"mesure": monde.mesure_a1.pk, "domaine": "budget", "intitule": "Apurer", **donnees}
    reponse = ecrire(client, monde.referent, "post", "objectif-list", donnees=valeurs)
    assert champ in erreurs(reponse)
    assert not ObjectifProjet.objects.exists()


def test_objectif_version_perimee_et_champs_figes(client, monde):
    objectif = objectif_de(projet_de(monde.mesure_a1))
    ObjectifProjet.objects.filter(pk=objectif.pk).update(version=3)  # modifié ailleurs
    perime = ecrire(
        client,
        monde.referent,
        "patch",
        "objectif-detail",
        objectif.pk,
        donnees={"version": 1, "intitule": "Écrasé"},
    )
    assert perime.status_code == 409
    assert perime.json()["detail"].startswith("Cet objectif a été modifié")
    for donnees, champ in [
        ({"version": 3, "domaine": "sante"}, "domaine"),
        ({"version": 3, "mesure": monde.mesure_a2.pk}, "mesure"),
    ]:
        reponse = ecrire(
            client, monde.referent, "patch", "objectif-detail", objectif.pk, donnees=donnees
        )
        assert champ in erreurs(reponse)
    objectif.refresh_from_db()
    assert (objectif.intitule, objectif.version, objectif.domaine.code) == (
        "Accéder à un logement",
        3,
        "logement",
    )


def test_objectifs_lus_et_ecrits_selon_le_role(client, monde, partagee):
    propre = objectif_de(projet_de(monde.mesure_a1), intitule="Propre")
    de_s2 = objectif_de(projet_de(partagee), intitule="De S2")
    etranger = objectif_de(projet_de(monde.mesure_b1), intitule="Étranger")
    assert sorted(ids(lire(client, monde.referent, "objectif-list"))) == sorted(
        [propre.pk, de_s2.pk]
    )
    assert ids(lire(client, monde.referent, "objectif-list", mesure=partagee.pk)) == [de_s2.pk]
    assert lire(client, monde.agent, "objectif-detail", etranger.pk).status_code == 404
    assert (
        ecrire(
            client,
            monde.referent,
            "patch",
            "objectif-detail",
            de_s2.pk,
            donnees={"version": 1, "intitule": "x"},
        ).status_code
        == 403
    )
    assert (
        ecrire(
            client,
            monde.agent,
            "patch",
            "objectif-detail",
            propre.pk,
            donnees={"version": 1, "intitule": "x"},
        ).status_code
        == 403
    )
    assert (
        ecrire(
            client,
            monde.agent,
            "patch",
            "objectif-detail",
            etranger.pk,
            donnees={"version": 1, "intitule": "x"},
        ).status_code
        == 404
    )
    assert set(ObjectifProjet.objects.values_list("version", flat=True)) == {1}


def test_actions_du_plan(client, monde):
    objectif = objectif_de(projet_de(monde.mesure_a1))
    reponse = ecrire(
        client,
        monde.referent,
        "post",
        "action-list",
        donnees={
            "objectif": objectif.pk,
            "intitule": "Visiter trois logements",
            "porteur": "referent",
            "echeance": (AUJOURDHUI + 10 * J).isoformat(),
        },
    )
    assert reponse.status_code == 201, reponse.content
    action = ActionProjet.objects.get()
    assert (reponse.json()["id"], reponse.json()["mesure"]) == (action.pk, monde.mesure_a1.pk)
    futur = ecrire(
        client,
        monde.referent,
        "patch",
        "action-detail",
        action.pk,
        donnees={"version": 1, "realisee_le": (AUJOURDHUI + J).isoformat()},
    )
    assert erreurs(futur)["realisee_le"] == ["Une action ne peut être réalisée dans le futur."]
    faite = ecrire(
        client,
        monde.referent,
        "patch",
        "action-detail",
        action.pk,
        donnees={"version": 1, "realisee_le": AUJOURDHUI.isoformat()},
    )
    assert faite.status_code == 200, faite.content
    assert (faite.json()["realisee_le"], faite.json()["version"]) == (AUJOURDHUI.isoformat(), 2)
    assert faite.json()["porteur"] == "referent"
    perimee = ecrire(
        client,
        monde.referent,
        "patch",
        "action-detail",
        action.pk,
        donnees={"version": 1, "realisee_le": None},
    )
    assert perimee.status_code == 409
    action.refresh_from_db()
    assert action.realisee_le == AUJOURDHUI
    assert ids(lire(client, monde.referent, "action-list", realisee="true")) == [action.pk]
    assert ids(lire(client, monde.referent, "action-list", realisee="false")) == []
    assert ids(lire(client, monde.referent, "action-list", mesure=monde.mesure_a1.pk)) == [
        action.pk
    ]


def test_action_sur_un_objectif_hors_de_portee_refusee(client, monde, partagee):
    etranger = objectif_de(projet_de(monde.mesure_b1))
    de_s2 = objectif_de(projet_de(partagee))
    donnees = {"intitule": "Écrire", "porteur": "menage"}
    introuvable = ecrire(
        client,
        monde.referent,
        "post",
        "action-list",
        donnees={**donnees, "objectif": etranger.pk},
    )
    assert erreurs(introuvable)["objectif"] == ["Objectif introuvable."]
    interdit = ecrire(
        client, monde.referent, "post", "action-list", donnees={**donnees, "objectif": de_s2.pk}
    )
    assert interdit.status_code == 403
    sans_porteur = ecrire(
        client,
        monde.administrateur,
        "post",
        "action-list",
        donnees={"objectif": de_s2.pk, "intitule": "Écrire"},
    )
    assert "porteur" in erreurs(sans_porteur)
    assert not ActionProjet.objects.exists()


# --- Rencontres ---------------------------------------------------------------------------------


@pytest.fixture
def rencontres(monde, partagee):
    return {
        "s1": f.RencontreFactory(
            menage=monde.m_a1, structure=monde.s1, auteur=monde.referent, note="NOTE DU CHRS"
        ),
        "s2": f.RencontreFactory(
            menage=monde.m_a1,
            mesure=partagee,
            structure=monde.s2,
            note="NOTE DE L'AML",
            date=AUJOURDHUI - 10 * J,
        ),
        "b1": f.RencontreFactory(menage=monde.m_b1, structure=monde.s3, note="NOTE ETRANGERE"),
    }


def notes(reponse) -> dict[int, str | None]:
    return {r["id"]: r["note"] for r in reponse.json()["results"]}


@pytest.mark.parametrize("role", ["referent", "coordinateur", "agent", "administrateur"])
def test_note_lisible_par_la_seule_structure_autrice(client, monde, rencontres, role):
    user = getattr(monde, role)
    s1, s2 = rencontres["s1"], rencontres["s2"]
    liste = lire(client, user, "rencontre-list", menage=monde.m_a1.pk)
    attendu_s1 = "NOTE DU CHRS" if role == "referent" else None
    assert notes(liste) == {s1.pk: attendu_s1, s2.pk: None}
    for rencontre, attendu in [(s1, attendu_s1), (s2, None)]:
        detail = lire(client, user, "rencontre-detail", rencontre.pk)
        assert detail.status_code == 200
        assert "note" in detail.json()
        assert detail.json()["note"] == attendu
    texte = lire(client, user, "rencontre-list").content.decode()
    assert "NOTE DE L" not in texte and "NOTE ETRANGERE" not in texte


def test_rencontres_lues_dans_le_perimetre(client, monde, rencontres):
    b1 = rencontres["b1"]
    assert b1.pk not in ids(lire(client, monde.agent, "rencontre-list"))
    assert lire(client, monde.agent, "rencontre-detail", b1.pk).status_code == 404
    assert b1.pk in ids(lire(client, monde.administrateur, "rencontre-list"))
    autre = f.utilisateur(Role.REFERENT, structure=monde.s3, username="referent_s3")
    assert ids(lire(client, autre, "rencontre-list")) == [b1.pk]
    assert ids(lire(client, autre, "rencontre-list", menage=monde.m_a1.pk)) == []


def test_filtres_et_tri_des_rencontres(client, monde, rencontres):
    s1, s2 = rencontres["s1"], rencontres["s2"]
    referent = monde.referent
    assert ids(lire(client, referent, "rencontre-list")) == [s1.pk, s2.pk]
    assert ids(lire(client, referent, "rencontre-list", tri="date")) == [s2.pk, s1.pk]
    assert ids(lire(client, referent, "rencontre-list", structure=monde.s2.pk)) == [s2.pk]
    assert ids(lire(client, referent, "rencontre-list", mesure=s2.mesure_id)) == [s2.pk]
    apres = (AUJOURDHUI - 5 * J).isoformat()
    assert ids(lire(client, referent, "rencontre-list", date_apres=apres)) == [s1.pk]
    assert ids(lire(client, referent, "rencontre-list", type="telephone")) == []
    assert ids(lire(client, referent, "rencontre-list", territoire=monde.a1.pk)) == [s1.pk, s2.pk]


def test_referent_note_une_rencontre(client, monde):
    reponse = ecrire(
        client,
        monde.referent,
        "post",
        "rencontre-list",
        donnees={
            "menage": monde.m_a1.pk,
            "mesure": monde.mesure_a1.pk,
            "type": "visite_domicile",
            "duree_minutes": 60,
            "note": "Logement bien entretenu.",
        },
    )
    assert reponse.status_code == 201, reponse.content
    rencontre = Rencontre.objects.get()
    donnees = reponse.json()
    assert donnees["id"] == rencontre.pk
    assert donnees["note"] == "Logement bien entretenu."  # sa propre structure la lit
    assert (donnees["structure"], donnees["auteur"]) == (monde.s1.pk, monde.referent.pk)
    assert donnees["date"] == AUJOURDHUI.isoformat()
    monde.m_a1.refresh_from_db()
    assert monde.m_a1.date_dernier_contact == AUJOURDHUI


@pytest.mark.parametrize(
    ("changement", "champ"),
    [
        ({"date": "futur"}, "date"),
        ({"duree_minutes": 0}, "duree_minutes"),
        ({"duree_minutes": 2000}, "duree_minutes"),
        ({"type": "visio"}, "type"),
        ({"mesure": "mesure_b1"}, "mesure"),  # mesure d'un autre ménage
        ({"structure": "s2"}, "structure"),  # structure du référent qui ne suit pas le ménage
        ({"menage": "m_b1"}, "menage"),
    ],
)
def test_rencontre_invalide_refusee_sans_rien_ecrire(client, monde, changement, champ):
    # Référent de S1 et de S2 : deux structures possibles, dont une seule suit le ménage.
    f.HabilitationFactory(user=monde.referent, role=Role.REFERENT, structure=monde.s2)
    valeurs = {"futur": (AUJOURDHUI + J).isoformat()}
    donnees = {
        "menage": monde.m_a1.pk,
        "type": "entretien",
        "duree_minutes": 30,
        **{
            k: getattr(monde, v).pk if hasattr(monde, str(v)) else valeurs.get(v, v)
            for k, v in changement.items()
        },
    }
    reponse = ecrire(client, monde.referent, "post", "rencontre-list", donnees=donnees)
    assert champ in erreurs(reponse)
    assert not Rencontre.objects.exists()
    monde.m_a1.refresh_from_db()
    assert monde.m_a1.date_dernier_contact is None


@pytest.mark.parametrize("role", ["coordinateur", "agent", "administrateur"])
def test_seul_un_referent_de_la_structure_note_une_rencontre(client, monde, role):
    donnees = {"menage": monde.m_a1.pk, "type": "entretien", "duree_minutes": 30}
    reponse = ecrire(client, getattr(monde, role), "post", "rencontre-list", donnees=donnees)
    assert reponse.status_code == 403
    assert "Seul un référent" in reponse.json()["detail"]
    assert not Rencontre.objects.exists()


# --- Conventions --------------------------------------------------------------------------------


@pytest.fixture
def conventions(monde):
    return {
        "s1": f.ConventionFactory(structure=monde.s1, reference="CONV-S1"),
        "s2_a2": f.ConventionFactory(
            structure=monde.s2,
            territoire=monde.a2,
            type_mesure=type_mesure("aml"),
            financeur="departement",
            annee=AUJOURDHUI.year - 1,
        ),
        "s3": f.ConventionFactory(structure=monde.s3, reference="CONV-ETRANGERE"),
    }


@pytest.mark.parametrize(
    ("role", "visibles"),
    [
        ("referent", ["s1"]),
        ("coordinateur", ["s1"]),  # territoire du Département de sa plateforme
        ("agent", ["s1", "s2_a2"]),
        ("administrateur", ["s1", "s2_a2", "s3"]),
    ],
)
def test_conventions_lues_selon_le_role(client, monde, conventions, role, visibles):
    user = getattr(monde, role)
    assert sorted(ids(lire(client, user, "convention-list"))) == sorted(
        conventions[c].pk for c in visibles
    )
    reponse = lire(client, user, "convention-detail", conventions["s3"].pk)
    assert reponse.status_code == (200 if "s3" in visibles else 404)


def test_filtres_et_tri_des_conventions(client, monde, conventions):
    agent = monde.agent
    s1, s2 = conventions["s1"].pk, conventions["s2_a2"].pk
    assert ids(lire(client, agent, "convention-list")) == [s1, s2]  # année la plus récente
    assert ids(lire(client, agent, "convention-list", tri="annee")) == [s2, s1]
    assert ids(lire(client, agent, "convention-list", annee=AUJOURDHUI.year)) == [s1]
    assert ids(lire(client, agent, "convention-list", annee_avant=AUJOURDHUI.year - 1)) == [s2]
    assert ids(lire(client, agent, "convention-list", type="aml")) == [s2]
    assert ids(lire(client, agent, "convention-list", structure=monde.s1.pk)) == [s1]
    assert ids(lire(client, agent, "convention-list", financeur="departement")) == [s2]
    assert ids(lire(client, agent, "convention-list", territoire=monde.a2.pk)) == [s2]
    assert ids(lire(client, agent, "convention-list", territoire=monde.d1.pk)) == [s1, s2]
    assert ids(lire(client, agent, "convention-list", structure=monde.s3.pk)) == []
    assert "annee" in erreurs(lire(client, agent, "convention-list", annee="10**40"))
    assert "annee" in erreurs(lire(client, agent, "convention-list", annee=10**40))
    donnees = lire(client, agent, "convention-detail", s1).json()
    assert (donnees["type_mesure"], donnees["budget"], donnees["structure_nom"]) == (
        "asrl",
        50000,
        "CHRS Un",
    )


def donnees_convention(monde, **autres):
    return {
        "reference": "CONV-2025-01",
        "financeur": "etat",
        "structure": monde.s2.pk,
        "type_mesure": "avdl",
        "territoire": monde.d1.pk,
        "annee": AUJOURDHUI.year,
        "nombre_mesures": 12,
        "budget": 36000.5,
        **autres,
    }


@pytest.mark.parametrize("role", ["agent", "administrateur"])
def test_agent_et_administrateur_saisissent_les_conventions(client, monde, role):
    user = getattr(monde, role)
    reponse = ecrire(client, user, "post", "convention-list", donnees=donnees_convention(monde))
    assert reponse.status_code == 201, reponse.content
    convention = Convention.objects.get(reference="CONV-2025-01")
    assert reponse.json()["id"] == convention.pk
    assert str(convention.budget) == "36000.50"
    modifie = ecrire(
        client, user, "patch", "convention-detail", convention.pk, donnees={"nombre_mesures": 15}
    )
    assert modifie.status_code == 200, modifie.content
    convention.refresh_from_db()
    assert (convention.nombre_mesures, convention.reference) == (15, "CONV-2025-01")
    remplace = ecrire(
        client,
        user,
        "put",
        "convention-detail",
        convention.pk,
        donnees=donnees_convention(monde, reference="", nombre_mesures=3),
    )
    assert remplace.status_code == 200, remplace.content
    convention.refresh_from_db()
    assert (convention.nombre_mesures, convention.reference) == (3, "")


@pytest.mark.parametrize("role", ["referent", "coordinateur"])
def test_referent_et_coordinateur_ne_saisissent_pas(client, monde, conventions, role):
    user = getattr(monde, role)
    creation = ecrire(client, user, "post", "convention-list", donnees=donnees_convention(monde))
    assert creation.status_code == 403
    modification = ecrire(
        client,
        user,
        "patch",
        "convention-detail",
        conventions["s1"].pk,
        donnees={"nombre_mesures": 99},
    )
    assert modification.status_code == 403
    assert Convention.objects.count() == 3
    assert Convention.objects.get(pk=conventions["s1"].pk).nombre_mesures == 10


@pytest.mark.parametrize(
    ("changement", "champ"),
    [
        ({"structure": "s3"}, "structure"),
        ({"territoire": "d2"}, "territoire"),
        ({"type_mesure": "inconnu"}, "type_mesure"),
        ({"nombre_mesures": 0}, "nombre_mesures"),
        ({"budget": -1}, "budget"),
        ({"annee": 1999}, "annee"),
        ({"financeur": "banque"}, "financeur"),
        ({"structure": "s1", "type_mesure": "asrl"}, "non_field_errors"),  # doublon
    ],
)
def test_convention_invalide_refusee_sans_rien_ecrire(
    client, monde, conventions, changement, champ
):
    donnees = donnees_convention(
        monde,
        **{k: getattr(monde, v).pk if hasattr(monde, str(v)) else v for k, v in changement.items()},
    )
    reponse = ecrire(client, monde.agent, "post", "convention-list", donnees=donnees)
    assert champ in erreurs(reponse), reponse.content
    assert Convention.objects.count() == 3


def test_convention_figee_une_fois_des_mesures_rattachees(client, monde, conventions):
    convention = conventions["s1"]
    Mesure.objects.filter(pk=monde.mesure_a1.pk).update(convention=convention)
    reponse = ecrire(
        client,
        monde.agent,
        "patch",
        "convention-detail",
        convention.pk,
        donnees={"structure": monde.s2.pk},
    )
    assert erreurs(reponse)["structure"] == [
        "Des mesures sont rattachées à cette convention : ce champ ne peut plus changer."
    ]
    # Les autres champs restent modifiables ; le type inchangé n'est pas pris pour un changement.
    reponse = ecrire(
        client,
        monde.agent,
        "patch",
        "convention-detail",
        convention.pk,
        donnees={"type_mesure": "asrl", "budget": 61000},
    )
    assert reponse.status_code == 200, reponse.content
    convention.refresh_from_db()
    assert (convention.structure, convention.budget) == (monde.s1, 61000)
    etrangere = ecrire(
        client,
        monde.agent,
        "patch",
        "convention-detail",
        conventions["s3"].pk,
        donnees={"budget": 1},
    )
    assert etrangere.status_code == 404


# --- Requêtes bornées ---------------------------------------------------------------------------


def _peupler(monde, nom, n):
    """`n` objets de plus, visibles de l'agent départemental (et du référent de S1)."""
    for _ in range(n):
        menage = f.MenageFactory(territoire=monde.a1)
        mesure = f.MesureFactory(menage=menage, structure=monde.s1, referent=monde.referent)
        mesure.renouvellements.create(
            date_decision=AUJOURDHUI - 5 * J,
            ancienne_fin_prevue=mesure.date_fin_prevue,
            nouvelle_fin_prevue=mesure.date_fin_prevue + 10 * J,
        )
        if nom == "orientation":
            f.OrientationFactory(menage=menage, plateforme=monde.p1)
        elif nom in ("projet", "objectif", "action"):
            objectif = objectif_de(projet_de(mesure))
            ActionProjet.objects.create(objectif=objectif, intitule="Agir")
        elif nom == "rencontre":
            f.RencontreFactory(menage=menage, mesure=mesure, structure=monde.s1)
        elif nom == "convention":
            f.ConventionFactory(structure=monde.s1, annee=2001 + Convention.objects.count())


@pytest.mark.parametrize("nom", LISTES)
@pytest.mark.parametrize("role", ["referent", "agent"])
def test_listes_en_nombre_de_requetes_independant_de_la_page(
    client, monde, django_assert_max_num_queries, nom, role
):
    user = getattr(monde, role)
    client.force_login(user)
    url = adresse(f"{nom}-list")
    client.get(url, {"taille": 50})  # session et 2FA déjà chargées une fois
    _peupler(monde, nom, 1)
    with django_assert_max_num_queries(12) as un:
        premiere = client.get(url, {"taille": 50})
    _peupler(monde, nom, 29)
    with django_assert_max_num_queries(len(un.captured_queries)):
        trente = client.get(url, {"taille": 50})
    assert premiere.status_code == trente.status_code == 200
    assert trente.json()["count"] == premiere.json()["count"] + 29


@pytest.mark.parametrize("nom", ["mesure", "rencontre", "objectif"])
def test_detail_en_nombre_de_requetes_borne(client, monde, django_assert_max_num_queries, nom):
    _peupler(monde, nom, 3)
    modele = {"mesure": Mesure, "rencontre": Rencontre, "objectif": ObjectifProjet}[nom]
    client.force_login(monde.agent)
    url = adresse(f"{nom}-detail", modele.objects.order_by("pk").last().pk)
    client.get(url)
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
