"""API des attributions : logements, propositions (et leurs étapes), objectifs d'attribution.

Lecture et saisie par rôle, cloisonnement (autre Département : 404 ou absent des listes ;
co-pilote : 403 sur le nominatif), validation en français sans écriture, transitions refusées
(409), filtres, tri, nombre de requêtes indépendant de la taille de la page."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from attributions.models import (
    Contingent,
    DecisionCaleol,
    Logement,
    ObjectifAttribution,
    Proposition,
)
from menages.models import SituationResidentielle

from . import factories as f

pytestmark = pytest.mark.django_db

AUJOURDHUI = f.AUJOURDHUI
IL_Y_A = {
    n: (AUJOURDHUI - dt.timedelta(days=n)).isoformat() for n in (1, 5, 10, 20, 25, 30, 40, 100)
}
ROLES = ("referent", "coordinateur", "agent", "copilote", "administrateur", "sans_role")


def api(nom, *args):
    return reverse(f"api:{nom}", args=args)


def lire(client, url, **params):
    return client.get(url, params, HTTP_ACCEPT="application/json")


def ecrire(client, url, donnees, methode="post"):
    return getattr(client, methode)(url, donnees, content_type="application/json")


def ids(reponse):
    assert reponse.status_code == 200, reponse.content
    return {ligne["id"] for ligne in reponse.json()["results"]}


def erreurs(reponse):
    assert reponse.status_code == 400, reponse.content
    return reponse.json()["erreurs"]


@pytest.fixture
def parc(monde):
    """Un logement et une proposition par EPCI (A1, A2, B1), des objectifs par territoire."""
    logements = {
        code: f.LogementFactory(territoire=getattr(monde, code), reference=f"LOG-{code.upper()}")
        for code in ("a1", "a2", "b1")
    }
    propositions = {
        code: f.PropositionFactory(menage=getattr(monde, f"m_{code}"), logement=logements[code])
        for code in ("a1", "a2", "b1")
    }
    objectifs = {
        code: ObjectifAttribution.objects.create(
            territoire=getattr(monde, code), annee=AUJOURDHUI.year, objectif=10
        )
        for code in ("d1", "a1", "d2", "b1")
    }
    return logements, propositions, objectifs


# --- Lecture et cloisonnement -------------------------------------------------------------------

VISIBLES = {
    # rôle : (logements, propositions, objectifs) ; None = 403
    "referent": ({"a1"}, {"a1"}, set()),
    "coordinateur": ({"a1"}, {"a1"}, {"d1", "a1"}),
    "agent": ({"a1", "a2"}, {"a1", "a2"}, {"d1", "a1"}),
    "copilote": (None, None, {"d1", "a1"}),
    "administrateur": ({"a1", "a2", "b1"}, {"a1", "a2", "b1"}, {"d1", "a1", "d2", "b1"}),
    "sans_role": (None, None, None),
}


@pytest.mark.parametrize("role", ROLES)
def test_lecture_selon_le_role_et_le_perimetre(client, monde, parc, role):
    client.force_login(getattr(monde, role))
    for rang, (ressource, objets) in enumerate(
        [("logement", parc[0]), ("proposition", parc[1]), ("objectif-attribution", parc[2])]
    ):
        vus = VISIBLES[role][rang]
        liste = lire(client, api(f"{ressource}-list"))
        if vus is None:
            assert liste.status_code == 403, ressource
            assert liste.json()["code"] == "permission_refusee"
        else:
            assert ids(liste) == {objets[c].pk for c in vus}, ressource
        for code, objet in objets.items():
            attendu = 403 if vus is None else (200 if code in vus else 404)
            assert lire(client, api(f"{ressource}-detail", objet.pk)).status_code == attendu, (
                ressource,
                code,
            )


def test_le_referent_ne_voit_que_les_logements_proposes_a_ses_menages(client, monde, parc):
    autre = f.LogementFactory(territoire=monde.a1)
    client.force_login(monde.referent)
    assert autre.pk not in ids(lire(client, api("logement-list")))
    assert lire(client, api("logement-detail", autre.pk)).status_code == 404


def test_champs_d_un_logement_et_d_une_proposition(client, monde, parc):
    logements, propositions, _ = parc
    client.force_login(monde.agent)

    logement = lire(client, api("logement-detail", logements["a1"].pk)).json()
    assert logement["reference"] == "LOG-A1"
    assert logement["territoire"] == monde.a1.pk
    assert logement["loyer"] == 380 and logement["loyer_charges_comprises"] == 440
    assert logement["disponible"] is True
    assert logement["derniere_etape"] == "proposee"

    proposition = lire(client, api("proposition-detail", propositions["a1"].pk)).json()
    assert proposition["menage"] == monde.m_a1.pk
    assert proposition["menage_reference"] == monde.m_a1.reference
    assert proposition["logement_reference"] == "LOG-A1"
    assert proposition["territoire"] == monde.a1.pk
    assert proposition["contingent"] == "prefectoral"
    assert (proposition["etape"], proposition["decision"]) == ("proposee", None)
    assert proposition["decision_attribution"] is None


def test_aucune_methode_delete_sur_logements_et_propositions(client, monde, parc):
    logements, propositions, _ = parc
    client.force_login(monde.agent)
    assert client.delete(api("logement-detail", logements["a1"].pk)).status_code == 405
    assert client.delete(api("proposition-detail", propositions["a1"].pk)).status_code == 405
    assert (
        ecrire(client, api("proposition-detail", propositions["a1"].pk), {}, "patch").status_code
        == 405
    )
    assert Logement.objects.filter(pk=logements["a1"].pk).exists()


# --- Logements : saisie -------------------------------------------------------------------------


def _logement(monde, **changements):
    return {
        "reference": "LOG-NOUVEAU",
        "adresse": "3 rue des Fictions",
        "code_postal": "01000",
        "commune": "Valmont-sur-Fiction",
        "territoire": monde.a1.pk,
        "typologie": "T3",
        "surface": 62.5,
        "loyer": 450,
        "charges": 80,
        "type_bailleur": "prive",
        "captation": "iml_mandat",
        "date_disponibilite": IL_Y_A[10],
        **changements,
    }


def test_le_coordinateur_enregistre_puis_modifie_un_logement(client, monde):
    client.force_login(monde.coordinateur)

    cree = ecrire(client, api("logement-list"), _logement(monde, contingent="prefectoral"))

    assert cree.status_code == 201, cree.content
    logement = Logement.objects.get(reference="LOG-NOUVEAU")
    assert (logement.territoire, logement.contingent.code) == (monde.a1, "prefectoral")
    assert cree.json()["disponible"] is True and cree.json()["loyer_charges_comprises"] == 530

    modifie = ecrire(client, api("logement-detail", logement.pk), {"loyer": 470}, "patch")
    assert modifie.status_code == 200
    logement.refresh_from_db()
    assert logement.loyer == 470 and logement.commune == "Valmont-sur-Fiction"

    remplace = ecrire(
        client,
        api("logement-detail", logement.pk),
        _logement(monde, commune="Autre-Fiction", date_retrait=IL_Y_A[1]),
        "put",
    )
    assert remplace.status_code == 200, remplace.content
    assert remplace.json()["disponible"] is False and remplace.json()["contingent"] is None
    logement.refresh_from_db()
    assert (logement.commune, logement.loyer, logement.contingent) == ("Autre-Fiction", 450, None)
    incomplet = ecrire(client, api("logement-detail", logement.pk), {"loyer": 1}, "put")
    assert "Ce champ est obligatoire." in erreurs(incomplet)["reference"]


@pytest.mark.parametrize(
    ("changements", "champ", "message"),
    [
        ({"surface": 5}, "surface", "Un logement fait au moins 9 m²."),
        ({"code_postal": "ABCDE"}, "code_postal", "Le code postal compte 5 chiffres."),
        ({"territoire": "b1"}, "territoire", "Objet introuvable ou hors de votre périmètre."),
        ({"territoire": "d1"}, "territoire", "Objet introuvable ou hors de votre périmètre."),
        ({"contingent": "inconnu"}, "contingent", "Code inconnu ou inactif : inconnu."),
        (
            {"date_retrait": IL_Y_A[40]},
            "date_retrait",
            "Le retrait précède la disponibilité.",
        ),
        ({"typologie": "T9"}, "typologie", "n'est pas un choix valide"),
        ({"reference": "LOG-A1"}, "reference", "existe déjà"),
    ],
)
def test_logement_invalide_400_en_francais_et_rien_ecrit(
    client, monde, parc, changements, champ, message
):
    if "territoire" in changements:
        changements = {**changements, "territoire": getattr(monde, changements["territoire"]).pk}
    client.force_login(monde.agent)
    avant = Logement.objects.count()

    reponse = ecrire(client, api("logement-list"), _logement(monde, **changements))

    assert any(message in m for m in erreurs(reponse)[champ]), reponse.json()
    assert reponse.json()["code"] == "donnees_invalides"
    assert Logement.objects.count() == avant


def test_bailleur_social_pour_un_proprietaire_prive_refuse(client, monde):
    bailleur = f.StructureFactory(territoire=monde.d1, type="bailleur", nom="Bailleur fictif")
    client.force_login(monde.agent)
    reponse = ecrire(client, api("logement-list"), _logement(monde, bailleur=bailleur.pk))
    assert erreurs(reponse)["bailleur"] == ["Un propriétaire privé n'est pas un bailleur social."]
    assert not Logement.objects.filter(reference="LOG-NOUVEAU").exists()


def test_modifier_hors_perimetre_404_et_deplacer_hors_perimetre_400(client, monde, parc):
    logements = parc[0]
    client.force_login(monde.coordinateur)
    assert (
        ecrire(
            client, api("logement-detail", logements["a2"].pk), {"loyer": 1}, "patch"
        ).status_code
        == 404
    )
    deplace = ecrire(
        client, api("logement-detail", logements["a1"].pk), {"territoire": monde.b1.pk}, "patch"
    )
    assert "territoire" in erreurs(deplace)
    logements["a1"].refresh_from_db()
    assert logements["a1"].territoire == monde.a1


@pytest.mark.parametrize("role", ["referent", "copilote", "sans_role"])
def test_ni_referent_ni_copilote_ne_saisissent(client, monde, parc, role):
    logements, propositions, _ = parc
    client.force_login(getattr(monde, role))
    essais = [
        ecrire(client, api("logement-list"), _logement(monde)),
        ecrire(client, api("logement-detail", logements["a1"].pk), {"loyer": 1}, "patch"),
        ecrire(
            client,
            api("proposition-list"),
            {
                "logement": logements["a1"].pk,
                "menage": monde.m_a1_sans_mesure.pk,
                "contingent": "prefectoral",
                "date_proposition": IL_Y_A[1],
            },
        ),
        ecrire(
            client,
            api("proposition-decision-caleol", propositions["a1"].pk),
            {"date_caleol": IL_Y_A[1], "decision": "rang_1"},
        ),
    ]
    assert [r.status_code for r in essais] == [403] * 4
    assert Logement.objects.count() == 3 and Proposition.objects.count() == 3
    propositions["a1"].refresh_from_db()
    assert propositions["a1"].decision is None


# --- Propositions : du logement proposé à l'entrée dans les lieux --------------------------------


def test_parcours_complet_d_une_proposition(client, monde, parc):
    logement = parc[0]["a1"]
    concurrente = parc[1]["a1"]
    demandeur = monde.m_a1_sans_mesure.personnes.get()
    f.SituationFactory(personne=demandeur)
    client.force_login(monde.coordinateur)

    cree = ecrire(
        client,
        api("proposition-list"),
        {
            "logement": logement.pk,
            "menage": monde.m_a1_sans_mesure.pk,
            "contingent": "prefectoral",
            "date_proposition": IL_Y_A[30],
        },
    )
    assert cree.status_code == 201, cree.content
    pk = cree.json()["id"]
    assert cree["Location"].endswith(api("proposition-detail", pk))
    assert cree.json()["etape"] == "proposee"

    etapes = [
        ("decision-caleol", {"date_caleol": IL_Y_A[25], "decision": "rang_1"}, "caleol"),
        ("reponse", {"reponse": "acceptation", "date_reponse": IL_Y_A[20]}, "reponse"),
        ("bail", {"date_signature_bail": IL_Y_A[10]}, "bail"),
        ("entree", {"date_entree": IL_Y_A[5]}, "entree"),
    ]
    for action, donnees, etape in etapes:
        reponse = ecrire(client, api(f"proposition-{action}", pk), donnees)
        assert reponse.status_code == 200, (action, reponse.content)
        assert reponse.json()["etape"] == etape

    proposition = Proposition.objects.get(pk=pk)
    assert proposition.decision.code == "rang_1" and proposition.etape == "entree"
    # Le bail a classé sans suite l'autre candidat ; l'entrée a changé la situation du ménage.
    concurrente.refresh_from_db()
    assert concurrente.etape == Proposition.Etape.CLOSE
    assert concurrente.motif_classement == Proposition.MOTIF_ATTRIBUE_A_UN_AUTRE
    en_cours = SituationResidentielle.objects.get(personne=demandeur, date_fin__isnull=True)
    assert en_cours.type.code == "logement_prive"
    assert lire(client, api("logement-detail", logement.pk)).json()["disponible"] is False


def _decision(code):
    return DecisionCaleol.objects.get(code=code)


@pytest.mark.parametrize(
    ("etat", "action", "donnees", "statut", "message"),
    [
        # Étape impossible dans l'état de la proposition : 409, message tel quel.
        (
            {"date_caleol": IL_Y_A[30], "decision": "rang_1", "reponse": "acceptation"},
            "reponse",
            {"reponse": "refus", "date_reponse": IL_Y_A[1], "motif_refus": "Trop loin"},
            409,
            "La réponse du ménage est déjà enregistrée.",
        ),
        (
            {"date_caleol": IL_Y_A[30], "decision": "non_attribution"},
            "decision-caleol",
            {"date_caleol": IL_Y_A[20], "decision": "rang_1"},
            409,
            "Cette proposition est sans suite : aucune étape ne peut s'ajouter.",
        ),
        (
            {"date_caleol": IL_Y_A[30], "decision": "rang_1", "reponse": "acceptation"},
            "decision-caleol",
            {"date_caleol": IL_Y_A[20], "decision": "rang_2"},
            409,
            "Le ménage a déjà répondu : la décision ne peut plus changer.",
        ),
        # Saisie contraire aux règles du modèle : 400 sur le champ.
        (
            {},
            "reponse",
            {"reponse": "acceptation", "date_reponse": IL_Y_A[1]},
            400,
            "Le ménage accepte une attribution : la CALEOL doit l'avoir décidée.",
        ),
        (
            {},
            "decision-caleol",
            {"date_caleol": IL_Y_A[1], "decision": "non_attribution"},
            400,
            "Indiquez le motif de la non-attribution.",
        ),
        (
            {},
            "decision-caleol",
            {"date_caleol": "2000-01-01", "decision": "rang_1"},
            400,
            "La CALEOL précède la proposition.",
        ),
        (
            {},
            "bail",
            {"date_signature_bail": IL_Y_A[1]},
            400,
            "Un bail suppose une attribution par la CALEOL.",
        ),
        ({}, "entree", {"date_entree": IL_Y_A[1]}, 400, "L'entrée dans les lieux suit"),
        ({}, "decision-caleol", {"date_caleol": IL_Y_A[1], "decision": "inconnue"}, 400, "Code"),
        ({}, "reponse", {"date_reponse": IL_Y_A[1]}, 400, "Ce champ est obligatoire."),
    ],
)
def test_etape_refusee_en_francais_sans_rien_ecrire(
    client, monde, etat, action, donnees, statut, message
):
    if "decision" in etat:
        etat = {**etat, "decision": _decision(etat["decision"])}
    if etat.get("reponse"):
        etat["date_reponse"] = IL_Y_A[25]
    if etat.get("decision") and not etat["decision"].attribution:
        etat["motif_decision"] = "Ressources insuffisantes"
    proposition = f.PropositionFactory(menage=monde.m_a1, **etat)
    avant = Proposition.objects.filter(pk=proposition.pk).values().get()
    client.force_login(monde.agent)

    reponse = ecrire(client, api(f"proposition-{action}", proposition.pk), donnees)

    assert reponse.status_code == statut, reponse.content
    corps = reponse.json()
    if statut == 409:
        assert corps == {"detail": message, "code": "conflit"}
    else:
        assert any(message in m for champ in corps["erreurs"].values() for m in champ), corps
    assert Proposition.objects.filter(pk=proposition.pk).values().get() == avant


def test_le_champ_en_erreur_est_nomme(client, monde, parc):
    client.force_login(monde.agent)
    reponse = ecrire(
        client,
        api("proposition-decision-caleol", parc[1]["a1"].pk),
        {"date_caleol": IL_Y_A[1], "decision": "non_attribution"},
    )
    assert erreurs(reponse) == {"motif_decision": ["Indiquez le motif de la non-attribution."]}


def test_etape_d_une_proposition_hors_perimetre_404(client, monde, parc):
    client.force_login(monde.agent)
    reponse = ecrire(
        client,
        api("proposition-decision-caleol", parc[1]["b1"].pk),
        {"date_caleol": IL_Y_A[1], "decision": "rang_1"},
    )
    assert reponse.status_code == 404
    parc[1]["b1"].refresh_from_db()
    assert parc[1]["b1"].decision is None


@pytest.mark.parametrize(
    ("cas", "statut", "champ", "message"),
    [
        ("menage_hors_perimetre", 400, "menage", "n'est pas dans votre périmètre"),
        ("logement_hors_perimetre", 400, "logement", "Objet introuvable"),
        ("deja_candidat", 400, "menage", "Déjà candidat pour ce logement"),
        ("logement_attribue", 409, None, "Ce logement n'est plus disponible"),
        ("contingent_inconnu", 400, "contingent", "Code inconnu"),
    ],
)
def test_proposition_refusee(client, monde, parc, cas, statut, champ, message):
    logements = parc[0]
    donnees = {
        "logement": logements["a1"].pk,
        "menage": monde.m_a1_sans_mesure.pk,
        "contingent": "prefectoral",
        "date_proposition": IL_Y_A[1],
    }
    if cas == "menage_hors_perimetre":
        donnees["menage"] = monde.m_b1.pk
    elif cas == "logement_hors_perimetre":
        donnees["logement"] = logements["b1"].pk
    elif cas == "deja_candidat":
        donnees["menage"] = monde.m_a1.pk
    elif cas == "logement_attribue":
        f.PropositionFactory(menage=monde.m_a2, logement=logements["a1"], bail=True)
    else:
        donnees["contingent"] = "inconnu"
    client.force_login(monde.agent)
    avant = Proposition.objects.count()

    reponse = ecrire(client, api("proposition-list"), donnees)

    assert reponse.status_code == statut, reponse.content
    if champ:
        assert any(message in m for m in erreurs(reponse)[champ])
    else:
        assert message in reponse.json()["detail"]
    assert Proposition.objects.count() == avant


# --- Filtres et tri -----------------------------------------------------------------------------


def test_filtres_des_logements(client, monde, parc):
    logements = parc[0]
    retire = f.LogementFactory(
        territoire=monde.a2,
        typologie="T4",
        date_disponibilite=AUJOURDHUI - dt.timedelta(days=200),
        date_retrait=AUJOURDHUI - dt.timedelta(days=100),
    )
    client.force_login(monde.agent)
    url = api("logement-list")
    a1, a2 = logements["a1"].pk, logements["a2"].pk

    assert ids(lire(client, url, territoire=monde.d1.pk)) == {a1, a2, retire.pk}
    assert ids(lire(client, url, territoire=monde.p2.pk)) == {a2, retire.pk}
    assert ids(lire(client, url, territoire=monde.a1.pk)) == {a1}
    assert ids(lire(client, url, territoire=monde.b1.pk)) == set()
    assert ids(lire(client, url, statut="indisponible")) == {retire.pk}
    assert ids(lire(client, url, statut="disponible")) == {a1, a2}
    assert ids(lire(client, url, typologie="T4")) == {retire.pk}
    assert ids(lire(client, url, date_disponibilite_avant=IL_Y_A[100])) == {retire.pk}
    assert ids(lire(client, url, date_disponibilite_apres=IL_Y_A[100])) == {a1, a2}
    Logement.objects.filter(pk=a2).update(modifie_le="2030-01-01T00:00:00Z")
    assert ids(lire(client, url, modifie_depuis="2029-12-31T00:00:00+01:00")) == {a2}
    # Décalage valide en ISO mais refusé par PostgreSQL (au-delà de ±15:59) : ramené en UTC.
    assert ids(lire(client, url, modifie_depuis="2029-12-31T00:00:00-20:03")) == {a2}
    assert erreurs(lire(client, url, modifie_depuis="0001-01-01T00:00:00+05:00")) == {
        "modifie_depuis": ["Date et heure hors du calendrier admis."]
    }

    for parametre, valeur in [
        ("statut", "occupe"),
        ("territoire", "abc"),
        ("date_disponibilite_apres", "hier"),
        ("modifie_depuis", "pas une date"),
    ]:
        assert parametre in erreurs(lire(client, url, **{parametre: valeur})), parametre


def test_filtres_des_propositions(client, monde, parc):
    propositions = parc[1]
    signee = f.PropositionFactory(menage=monde.m_a2, bail=True)
    client.force_login(monde.agent)
    url = api("proposition-list")
    a1, a2 = propositions["a1"].pk, propositions["a2"].pk

    assert ids(lire(client, url, etape="bail")) == {signee.pk}
    assert ids(lire(client, url, etape="proposee")) == {a1, a2}
    assert ids(lire(client, url, decision="rang_1")) == {signee.pk}
    assert ids(lire(client, url, reponse="acceptation")) == {signee.pk}
    assert ids(lire(client, url, menage=monde.m_a2.pk)) == {a2, signee.pk}
    assert ids(lire(client, url, logement=propositions["a1"].logement_id)) == {a1}
    assert ids(lire(client, url, territoire=monde.p1.pk)) == {a1}
    assert ids(lire(client, url, date_signature_bail_apres=IL_Y_A[30])) == {signee.pk}
    assert ids(lire(client, url, menage=monde.m_b1.pk)) == set()
    assert "etape" in erreurs(lire(client, url, etape="partout"))
    assert "decision" in erreurs(lire(client, url, decision="inconnue"))


def test_tri_et_tri_inconnu(client, monde, parc):
    client.force_login(monde.administrateur)
    url = api("logement-list")
    croissant = [
        ligne["reference"] for ligne in lire(client, url, tri="reference").json()["results"]
    ]
    assert croissant == ["LOG-A1", "LOG-A2", "LOG-B1"]
    decroissant = lire(client, url, tri="-reference").json()["results"]
    assert [ligne["reference"] for ligne in decroissant] == ["LOG-B1", "LOG-A2", "LOG-A1"]

    inconnu = erreurs(lire(client, url, tri="adresse"))
    assert "Tri inconnu" in inconnu["tri"][0] and "reference" in inconnu["tri"][0]

    # Par territoire : dans l'ordre des territoires (niveau, puis nom).
    objectifs = lire(client, api("objectif-attribution-list"), tri="territoire").json()["results"]
    assert [o["territoire_nom"] for o in objectifs] == [
        "Département fictif Deux",
        "Département fictif Un",
        "EPCI A1",
        "EPCI B1",
    ]


# --- Objectifs d'attribution --------------------------------------------------------------------


@pytest.fixture
def gestionnaire(monde):
    """Un compte de l'administration Django, habilité sur le premier Département, avec les
    droits sur les objectifs d'attribution."""
    user = f.utilisateur(monde.agent.habilitations.get().role, territoire=monde.d1, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "add_objectifattribution",
                "change_objectifattribution",
                "delete_objectifattribution",
            ]
        )
    )
    return user


def test_objectifs_saisis_par_un_compte_de_l_administration(client, monde, gestionnaire):
    client.force_login(gestionnaire)
    url = api("objectif-attribution-list")
    annee = AUJOURDHUI.year

    cree = ecrire(client, url, {"territoire": monde.a2.pk, "annee": annee, "objectif": 12})
    assert cree.status_code == 201, cree.content
    objectif = ObjectifAttribution.objects.get(territoire=monde.a2, annee=annee)
    assert cree.json()["territoire_nom"] == "EPCI A2"

    doublon = ecrire(client, url, {"territoire": monde.a2.pk, "annee": annee, "objectif": 5})
    assert erreurs(doublon)["non_field_errors"] == [
        "Un objectif existe déjà pour ce territoire et cette année."
    ]
    assert "objectif" in erreurs(
        ecrire(client, api("objectif-attribution-detail", objectif.pk), {"objectif": 0}, "patch")
    )
    hors = ecrire(client, url, {"territoire": monde.b1.pk, "annee": annee, "objectif": 5})
    assert erreurs(hors)["territoire"] == ["Objet introuvable ou hors de votre périmètre."]

    modifie = ecrire(
        client, api("objectif-attribution-detail", objectif.pk), {"objectif": 20}, "patch"
    )
    assert modifie.status_code == 200 and modifie.json()["objectif"] == 20
    assert client.delete(api("objectif-attribution-detail", objectif.pk)).status_code == 204
    assert ObjectifAttribution.objects.filter(territoire=monde.a2).count() == 0


@pytest.mark.parametrize("role", ["agent", "coordinateur", "copilote", "administrateur"])
def test_objectifs_non_saisis_hors_de_l_administration(client, monde, parc, role):
    objectif = parc[2]["a1"]
    client.force_login(getattr(monde, role))
    essais = [
        ecrire(
            client,
            api("objectif-attribution-list"),
            {"territoire": monde.a2.pk, "annee": AUJOURDHUI.year, "objectif": 3},
        ),
        ecrire(client, api("objectif-attribution-detail", objectif.pk), {"objectif": 1}, "patch"),
        client.delete(api("objectif-attribution-detail", objectif.pk)),
    ]
    assert [r.status_code for r in essais] == [403] * 3
    objectif.refresh_from_db()
    assert objectif.objectif == 10 and ObjectifAttribution.objects.count() == 4


def test_filtres_des_objectifs(client, monde, parc):
    objectifs = parc[2]
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=2020, objectif=4)
    client.force_login(monde.administrateur)
    url = api("objectif-attribution-list")
    assert ids(lire(client, url, territoire=monde.d2.pk)) == {
        objectifs["d2"].pk,
        objectifs["b1"].pk,
    }
    assert len(ids(lire(client, url, annee=2020))) == 1
    assert ids(lire(client, url, territoire=monde.a1.pk, annee=AUJOURDHUI.year)) == {
        objectifs["a1"].pk
    }


# --- Nombre de requêtes -------------------------------------------------------------------------


def test_listes_en_nombre_de_requetes_independant_de_la_page(
    client, monde, django_assert_max_num_queries
):
    logement = f.LogementFactory(
        territoire=monde.a1, contingent=Contingent.objects.get(code="prefectoral")
    )
    f.PropositionFactory(menage=monde.m_a1, logement=logement, bail=True)
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=2024, objectif=3)
    client.force_login(monde.agent)
    urls = [api("logement-list"), api("proposition-list"), api("objectif-attribution-list")]
    bornes = {}
    for url in urls:
        with django_assert_max_num_queries(30) as compte:
            assert len(lire(client, url, taille=100).json()["results"]) == 1
        bornes[url] = len(compte.captured_queries)

    for rang in range(30):
        autre = f.LogementFactory(territoire=monde.a2)
        menage = f.MenageFactory(territoire=monde.a2)
        f.PropositionFactory(menage=menage, logement=autre, bail=rang % 2 == 0)
        ObjectifAttribution.objects.create(territoire=monde.a1, annee=1990 + rang, objectif=3)

    for url in urls:
        with django_assert_max_num_queries(bornes[url]):
            assert len(lire(client, url, taille=100).json()["results"]) == 31, url
