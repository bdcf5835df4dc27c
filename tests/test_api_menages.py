"""API des ménages : ménages, membres, situations résidentielles, ressources (lecture, écriture,
périmètre, validation, versions, filtres, tri, pagination, nombre de requêtes)."""

import datetime as dt
import itertools
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accompagnement.models import Mesure, TypeMesure
from journal.models import Evenement
from logement.models import Role
from menages.models import (
    Consentement,
    Menage,
    Personne,
    PublicPrioritaire,
    Ressource,
    SituationResidentielle,
    TypeRessource,
    TypeSituation,
)

from . import factories as f

pytestmark = pytest.mark.django_db
AUJOURDHUI = timezone.localdate()
NUMEROS = itertools.count(1)

MENAGES = reverse("api:menage-list")
PERSONNES = reverse("api:personne-list")
SITUATIONS = reverse("api:situation-list")
RESSOURCES = reverse("api:ressource-list")
LISTES = [MENAGES, PERSONNES, SITUATIONS, RESSOURCES]


def detail(nom, objet):
    return reverse(f"api:{nom}-detail", args=[objet.pk])


def lire(client, url, **parametres):
    return client.get(url, parametres, HTTP_ACCEPT="application/json")


def ecrire(client, methode, url, donnees=None):
    return getattr(client, methode)(
        url,
        json.dumps(donnees) if donnees is not None else None,
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )


def ids(reponse) -> set[int]:
    assert reponse.status_code == 200, reponse.content
    return {r["id"] for r in reponse.json()["results"]}


def erreurs(reponse) -> dict:
    assert reponse.status_code == 400, reponse.content
    return reponse.json()["erreurs"]


def ressource(menage, montant=100, **champs):
    return Ressource.objects.create(
        menage=menage,
        type=TypeRessource.objects.get(code=champs.pop("code", "rsa")),
        montant_mensuel=montant,
        **champs,
    )


def menage_garni(territoire, structure, *, personnes=3):
    """Un ménage avec membres, situations, ressources, publics, consentement et mesure."""
    menage = f.MenageFactory(
        territoire=territoire, nur=f"NUR{next(NUMEROS):06d}", nur_date_depot=AUJOURDHUI
    )
    f.MesureFactory(menage=menage, structure=structure)
    menage.publics_prioritaires.set(PublicPrioritaire.objects.all()[:2])
    for _ in range(personnes - 1):
        f.PersonneFactory(menage=menage, role=Personne.Role.ENFANT)
    for personne in menage.personnes.all():
        f.SituationFactory(
            personne=personne,
            date_debut=AUJOURDHUI - dt.timedelta(days=300),
            date_fin=AUJOURDHUI - dt.timedelta(days=100),
        )
        f.SituationFactory(personne=personne, date_debut=AUJOURDHUI - dt.timedelta(days=99))
        ressource(menage, personne=personne, montant=10)
    Consentement.objects.create(
        menage=menage, adhesion=Consentement.Adhesion.ACCEPTEE, recueilli_par=f.UserFactory()
    )
    return menage


def anonymiser(menage):
    """Ménage anonymisé comme par rgpd.services (état final seulement)."""
    Menage.objects.filter(pk=menage.pk).update(
        statut=Menage.Statut.ANONYMISE, adresse="", commune="", telephone="", nur=None
    )
    Personne.objects.filter(menage=menage).update(nom="Anonyme", prenom="Anonyme")
    menage.refresh_from_db()
    return menage


# --- Lecture et périmètre -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, attendus",
    [
        ("referent", {"m_a1"}),
        ("coordinateur", {"m_a1", "m_a1_sans_mesure"}),
        ("agent", {"m_a1", "m_a1_sans_mesure", "m_a2"}),
        ("administrateur", {"m_a1", "m_a1_sans_mesure", "m_a2", "m_b1"}),
    ],
)
def test_liste_des_menages_bornee_au_perimetre(client, monde, role, attendus):
    client.force_login(getattr(monde, role))
    assert ids(lire(client, MENAGES)) == {getattr(monde, nom).pk for nom in attendus}
    personnes = {p.pk for nom in attendus for p in getattr(monde, nom).personnes.all()}
    assert ids(lire(client, PERSONNES)) == personnes


@pytest.mark.parametrize("role", ["copilote", "sans_role"])
def test_copilote_et_compte_sans_habilitation_refuses(client, monde, role):
    personne = monde.m_a1.demandeur_principal
    situation = f.SituationFactory(personne=personne)
    une_ressource = ressource(monde.m_a1)
    client.force_login(getattr(monde, role))
    urls = [
        *LISTES,
        detail("menage", monde.m_a1),
        detail("personne", personne),
        detail("situation", situation),
        detail("ressource", une_ressource),
    ]
    for url in urls:
        reponse = lire(client, url)
        assert reponse.status_code == 403, url
        assert personne.nom not in reponse.content.decode()
    reponse = ecrire(client, "patch", detail("menage", monde.m_a1), {"commune": "Ailleurs"})
    assert reponse.status_code == 403
    assert ecrire(client, "post", RESSOURCES, {"menage": monde.m_a1.pk}).status_code == 403
    monde.m_a1.refresh_from_db()
    assert monde.m_a1.commune != "Ailleurs"


@pytest.mark.parametrize(
    "role, menage",
    [
        ("referent", "m_a2"),
        ("referent", "m_a1_sans_mesure"),
        ("coordinateur", "m_a2"),
        ("agent", "m_b1"),
    ],
)
def test_objets_hors_perimetre_introuvables(client, monde, role, menage):
    menage = getattr(monde, menage)
    personne = menage.demandeur_principal
    situation = f.SituationFactory(personne=personne)
    une_ressource = ressource(menage)
    client.force_login(getattr(monde, role))
    for url in (
        detail("menage", menage),
        detail("personne", personne),
        detail("situation", situation),
        detail("ressource", une_ressource),
    ):
        reponse = lire(client, url)
        assert reponse.status_code == 404, url
        assert personne.nom not in reponse.content.decode()
    assert situation.pk not in ids(lire(client, SITUATIONS))
    assert une_ressource.pk not in ids(lire(client, RESSOURCES))
    # Écrire dessus : 404, rien d'écrit.
    reponse = ecrire(client, "patch", detail("menage", menage), {"commune": "Ailleurs"})
    assert reponse.status_code == 404
    reponse = ecrire(client, "patch", detail("ressource", une_ressource), {"montant_mensuel": 1})
    assert reponse.status_code == 404
    assert ecrire(client, "delete", detail("ressource", une_ressource)).status_code == 404
    menage.refresh_from_db()
    une_ressource.refresh_from_db()
    assert menage.commune != "Ailleurs"
    assert une_ressource.montant_mensuel == 100


def test_fiche_complete_et_consultation_tracee(client, monde):
    menage = menage_garni(monde.a1, monde.s1)
    ressource(menage, montant=50, date_fin=AUJOURDHUI - dt.timedelta(days=1))  # terminée
    client.force_login(monde.referent)
    reponse = lire(client, detail("menage", menage))
    assert reponse.status_code == 200
    fiche = reponse.json()
    assert fiche["reference"] == menage.reference
    assert fiche["territoire"] == monde.a1.pk
    assert fiche["version"] == menage.version
    assert [p["role"] for p in fiche["personnes"]][0] == "demandeur"
    assert len(fiche["personnes"]) == 3
    situations = fiche["personnes"][0]["situations"]
    assert [s["date_fin"] for s in situations] == [
        None,
        (AUJOURDHUI - dt.timedelta(days=100)).isoformat(),
    ]
    assert situations[0]["type"] == "rue"
    assert len(fiche["ressources"]) == 4
    assert fiche["total_ressources_en_cours"] == 30
    assert {p["code"] for p in fiche["publics_prioritaires"]} == set(
        menage.publics_prioritaires.values_list("code", flat=True)
    )
    assert fiche["consentements"][0]["adhesion"] == "acceptee"
    assert "procedures" not in fiche
    trace = Evenement.objects.get(action=Evenement.Action.CONSULTATION, menage_id=menage.pk)
    assert trace.auteur == monde.referent


def test_liste_en_champs_legers(client, monde):
    public = PublicPrioritaire.objects.get(code="refugie")
    monde.m_a1.publics_prioritaires.add(public)
    f.PersonneFactory(menage=monde.m_a1, role=Personne.Role.ENFANT)
    f.SituationFactory(personne=monde.m_a1.demandeur_principal)
    client.force_login(monde.referent)
    (ligne,) = lire(client, MENAGES).json()["results"]
    demandeur = monde.m_a1.demandeur_principal
    assert ligne["demandeur"] == {"id": demandeur.pk, "nom": demandeur.nom, "prenom": "Alex"}
    assert ligne["nb_personnes"] == 2
    assert ligne["situation_actuelle"] == "Rue"
    assert ligne["publics_prioritaires"] == ["refugie"]
    assert ligne["mesures_ouvertes"] == [
        {
            "id": monde.mesure_a1.pk,
            "type": "asrl",
            "statut": "en_cours",
            "structure": monde.s1.pk,
            "referent": None,
        }
    ]
    assert "adresse" not in ligne and "personnes" not in ligne
    # Aucune consultation tracée par la liste (comme l'interface).
    assert not Evenement.objects.filter(action=Evenement.Action.CONSULTATION).exists()


def test_menage_anonymise_lisible_mais_pas_modifiable(client, monde):
    menage = anonymiser(monde.m_a1)
    version = menage.version
    client.force_login(monde.coordinateur)
    fiche = lire(client, detail("menage", menage)).json()
    assert fiche["statut"] == "anonymise"
    assert fiche["territoire"] == monde.a1.pk
    assert fiche["personnes"][0]["nom"] == "Anonyme"
    reponse = ecrire(
        client, "patch", detail("menage", menage), {"commune": "X", "version": version}
    )
    assert reponse.status_code == 409
    assert "anonymisé" in reponse.json()["detail"]
    reponse = ecrire(
        client,
        "post",
        RESSOURCES,
        {"menage": menage.pk, "type": "rsa", "montant_mensuel": 10},
    )
    assert "anonymisé" in erreurs(reponse)["menage"][0]
    reponse = ecrire(
        client,
        "post",
        SITUATIONS,
        {"personne": menage.demandeur_principal.pk, "type": "hotel", "date_debut": str(AUJOURDHUI)},
    )
    assert "anonymisé" in erreurs(reponse)["personne"][0]
    menage.refresh_from_db()
    assert (menage.commune, menage.version) == ("", version)
    assert not menage.ressources.exists()
    assert not SituationResidentielle.objects.filter(personne__menage=menage).exists()


# --- Nombre de requêtes -------------------------------------------------------------------------


@pytest.mark.parametrize("nombre", [1, 30])
def test_liste_des_menages_en_requetes_bornees(
    client, monde, django_assert_max_num_queries, nombre
):
    for _ in range(nombre):
        menage_garni(monde.a1, monde.s1)
    client.force_login(monde.agent)
    with django_assert_max_num_queries(11):
        reponse = lire(client, MENAGES, taille=100)
    assert reponse.json()["count"] == nombre + 3


@pytest.mark.parametrize("nombre", [1, 30])
def test_listes_des_membres_situations_ressources_bornees(
    client, monde, django_assert_max_num_queries, nombre
):
    for _ in range(nombre):
        menage_garni(monde.a1, monde.s1)
    client.force_login(monde.referent)
    for url in (PERSONNES, SITUATIONS, RESSOURCES):
        with django_assert_max_num_queries(6):
            reponse = lire(client, url, taille=500)
        assert reponse.json()["count"] >= nombre * 3


@pytest.mark.parametrize("personnes", [1, 10])
def test_fiche_en_requetes_bornees(client, monde, django_assert_max_num_queries, personnes):
    menage = menage_garni(monde.a1, monde.s1, personnes=personnes)
    client.force_login(monde.referent)
    with django_assert_max_num_queries(11):
        assert lire(client, detail("menage", menage)).status_code == 200


# --- Filtres, tri, pagination -------------------------------------------------------------------


def test_filtre_territoire_epci_plateforme_departement(client, monde):
    client.force_login(monde.agent)
    tous = {monde.m_a1.pk, monde.m_a1_sans_mesure.pk, monde.m_a2.pk}
    assert ids(lire(client, MENAGES, territoire=monde.d1.pk)) == tous
    assert ids(lire(client, MENAGES, territoire=monde.p2.pk)) == {monde.m_a2.pk}
    assert ids(lire(client, MENAGES, territoire=monde.a1.pk)) == tous - {monde.m_a2.pk}
    # Un territoire hors périmètre : erreur sur le paramètre, pas de liste.
    assert "territoire" in erreurs(lire(client, MENAGES, territoire=monde.b1.pk))
    assert "territoire" in erreurs(lire(client, MENAGES, territoire=10**12))
    assert "territoire" in erreurs(lire(client, MENAGES, territoire=10**30))
    # Le référent filtre sur l'EPCI des ménages qu'il suit.
    client.force_login(monde.referent)
    assert ids(lire(client, MENAGES, territoire=monde.a1.pk)) == {monde.m_a1.pk}


def test_filtres_statut_structure_referent_type_public_situation(client, monde):
    Menage.objects.filter(pk=monde.m_a2.pk).update(statut=Menage.Statut.CLOS)
    referent_s2 = f.utilisateur(Role.REFERENT, structure=monde.s2)
    Mesure.objects.filter(pk=monde.mesure_a2.pk).update(referent=referent_s2)
    avdl = TypeMesure.objects.get(code="avdl")
    f.MesureFactory(menage=monde.m_a1_sans_mesure, structure=monde.s1, type=avdl)
    monde.m_a1.publics_prioritaires.add(PublicPrioritaire.objects.get(code="refugie"))
    f.SituationFactory(
        personne=monde.m_a1.demandeur_principal, type=TypeSituation.objects.get(code="hotel")
    )
    client.force_login(monde.agent)
    assert ids(lire(client, MENAGES, statut="clos")) == {monde.m_a2.pk}
    assert ids(lire(client, MENAGES, structure=monde.s2.pk)) == {monde.m_a2.pk}
    assert ids(lire(client, MENAGES, referent=referent_s2.pk)) == {monde.m_a2.pk}
    assert ids(lire(client, MENAGES, type_mesure="avdl")) == {monde.m_a1_sans_mesure.pk}
    assert ids(lire(client, MENAGES, public="refugie")) == {monde.m_a1.pk}
    assert ids(lire(client, MENAGES, situation="hotel")) == {monde.m_a1.pk}
    # Une structure d'un autre Département n'est pas un choix possible.
    assert "structure" in erreurs(lire(client, MENAGES, structure=monde.s3.pk))
    assert "statut" in erreurs(lire(client, MENAGES, statut="inconnu"))


def test_recherche_par_nom_reference_et_nur(client, monde):
    demandeur = monde.m_a2.demandeur_principal
    demandeur.prenom, demandeur.nom = "Élodie", "Lefèvre"
    demandeur.save()
    Menage.objects.filter(pk=monde.m_a1.pk).update(nur="ABC123456")
    client.force_login(monde.agent)
    assert ids(lire(client, MENAGES, q="lefevre ELODIE")) == {monde.m_a2.pk}
    assert ids(lire(client, MENAGES, q="abc123456")) == {monde.m_a1.pk}
    assert ids(lire(client, MENAGES, q=monde.m_a1_sans_mesure.reference)) == {
        monde.m_a1_sans_mesure.pk
    }
    client.force_login(monde.coordinateur)
    assert ids(lire(client, MENAGES, q="elodie")) == set()


def test_filtres_de_dates(client, monde):
    avant = timezone.now() - dt.timedelta(days=3)
    Menage.objects.filter(pk__in=[monde.m_a1.pk, monde.m_a2.pk]).update(modifie_le=avant)
    Menage.objects.filter(pk=monde.m_a2.pk).update(
        date_dernier_contact=AUJOURDHUI - dt.timedelta(days=10)
    )
    client.force_login(monde.agent)
    depuis = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert ids(lire(client, MENAGES, modifie_depuis=depuis)) == {monde.m_a1_sans_mesure.pk}
    jour = (AUJOURDHUI - dt.timedelta(days=10)).isoformat()
    assert ids(lire(client, MENAGES, dernier_contact_avant=jour)) == {monde.m_a2.pk}
    assert ids(lire(client, MENAGES, dernier_contact_apres=jour)) == {monde.m_a2.pk}
    assert "modifie_depuis" in erreurs(lire(client, MENAGES, modifie_depuis="hier"))
    assert "cree_apres" in erreurs(lire(client, MENAGES, cree_apres="31/02/2024"))


def test_tri_et_pagination(client, monde):
    noms = {monde.m_a1: "Zola", monde.m_a1_sans_mesure: "Abel", monde.m_a2: "Martin"}
    for menage, nom in noms.items():
        demandeur = menage.demandeur_principal
        demandeur.nom = nom
        demandeur.save()
    client.force_login(monde.agent)

    def ordre(tri):
        reponse = lire(client, MENAGES, tri=tri)
        assert reponse.status_code == 200
        return [r["demandeur"]["nom"] for r in reponse.json()["results"]]

    assert ordre("demandeur") == ["Abel", "Martin", "Zola"]
    assert ordre("-demandeur") == ["Zola", "Martin", "Abel"]
    # Par défaut : les plus récents d'abord.
    assert ordre("") == ["Martin", "Abel", "Zola"]
    assert ordre("-reference") == ["Martin", "Abel", "Zola"]
    page1 = lire(client, MENAGES, tri="reference", taille=2).json()
    assert page1["count"] == 3
    assert [r["id"] for r in page1["results"]] == [monde.m_a1.pk, monde.m_a1_sans_mesure.pk]
    page2 = lire(client, MENAGES, tri="reference", taille=2, page=2).json()
    assert [r["id"] for r in page2["results"]] == [monde.m_a2.pk]
    assert page2["next"] is None


def test_filtres_des_situations_et_ressources(client, monde):
    demandeur = monde.m_a1.demandeur_principal
    ancienne = f.SituationFactory(
        personne=demandeur,
        date_debut=AUJOURDHUI - dt.timedelta(days=300),
        date_fin=AUJOURDHUI - dt.timedelta(days=100),
    )
    actuelle = f.SituationFactory(personne=demandeur, date_debut=AUJOURDHUI - dt.timedelta(days=99))
    autre = f.SituationFactory(
        personne=monde.m_a1_sans_mesure.demandeur_principal,
        date_debut=AUJOURDHUI - dt.timedelta(days=10),
    )
    rsa, salaire = ressource(monde.m_a1), ressource(monde.m_a1, code="salaire")
    ressource(monde.m_a1_sans_mesure)
    client.force_login(monde.coordinateur)
    assert ids(lire(client, SITUATIONS, menage=monde.m_a1.pk)) == {ancienne.pk, actuelle.pk}
    assert ids(lire(client, SITUATIONS, en_cours="true")) == {actuelle.pk, autre.pk}
    assert ids(lire(client, SITUATIONS, en_cours="false")) == {ancienne.pk}
    jour = (AUJOURDHUI - dt.timedelta(days=200)).isoformat()
    assert ids(lire(client, SITUATIONS, date_debut_avant=jour)) == {ancienne.pk}
    assert ids(lire(client, SITUATIONS, personne=demandeur.pk, date_debut_apres=jour)) == {
        actuelle.pk
    }
    assert ids(lire(client, RESSOURCES, menage=monde.m_a1.pk)) == {rsa.pk, salaire.pk}
    assert ids(lire(client, RESSOURCES, menage=monde.m_a1.pk, type="salaire")) == {salaire.pk}
    assert ids(lire(client, PERSONNES, menage=monde.m_a1.pk)) == {demandeur.pk}
    # Un ménage hors périmètre en filtre : erreur sur le paramètre.
    for url in (PERSONNES, SITUATIONS, RESSOURCES):
        assert "menage" in erreurs(lire(client, url, menage=monde.m_a2.pk))


# --- Création d'un ménage -----------------------------------------------------------------------


def donnees_creation(territoire, **champs):
    return {
        "territoire": territoire.pk,
        "commune": "Valmont-sur-Fiction",
        "nur": "NUR0000099",
        "nur_date_depot": (AUJOURDHUI - dt.timedelta(days=30)).isoformat(),
        "dalo": "recours",
        "publics_prioritaires": ["monoparentale"],
        "personnes": [
            {"nom": "Durand", "prenom": "Léa", "role": "demandeur", "sexe": "F"},
            {"nom": "Durand", "prenom": "Tom", "role": "enfant", "date_naissance": "2015-03-02"},
        ],
        "situation": "hotel",
        "date_situation": (AUJOURDHUI - dt.timedelta(days=60)).isoformat(),
        **champs,
    }


@pytest.mark.parametrize("role, epci", [("coordinateur", "a1"), ("agent", "a2")])
def test_creer_un_menage_avec_sa_composition(client, monde, role, epci):
    client.force_login(getattr(monde, role))
    reponse = ecrire(client, "post", MENAGES, donnees_creation(getattr(monde, epci)))
    assert reponse.status_code == 201, reponse.content
    fiche = reponse.json()
    menage = Menage.objects.get(pk=fiche["id"])
    assert menage.territoire == getattr(monde, epci)
    assert menage.cree_par == getattr(monde, role)
    assert fiche["reference"] == menage.reference
    assert {p["prenom"] for p in fiche["personnes"]} == {"Léa", "Tom"}
    assert [p["code"] for p in fiche["publics_prioritaires"]] == ["monoparentale"]
    assert all(p["situations"][0]["type"] == "hotel" for p in fiche["personnes"])
    assert Evenement.objects.filter(action=Evenement.Action.CREATION, menage_id=menage.pk).exists()


@pytest.mark.parametrize("role", ["referent", "copilote"])
def test_creation_refusee_hors_coordinateur_et_agent(client, monde, role):
    client.force_login(getattr(monde, role))
    reponse = ecrire(client, "post", MENAGES, donnees_creation(monde.a1))
    assert reponse.status_code == 403
    assert reponse.json()["detail"]
    assert not Menage.objects.filter(nur="NUR0000099").exists()


@pytest.mark.parametrize(
    "changements, champ, message",
    [
        ({"territoire": "b1"}, "territoire", "Objet introuvable"),
        ({"territoire": "a2"}, "territoire", "Objet introuvable"),
        ({"territoire": "p1"}, "territoire", "Objet introuvable"),
        ({"nur": "abc"}, "nur", "Le NUR ne contient que des chiffres"),
        ({"nur_date_depot": None}, "nur_date_depot", "date de dépôt"),
        ({"dalo": "aucun", "dalo_date_decision": "2024-01-01"}, "dalo", "recours DALO"),
        ({"date_situation": None}, "date_situation", "depuis quand"),
        ({"situation": None}, "situation", "situation de départ"),
        ({"date_situation": "2999-01-01"}, "date_situation", "dans le futur"),
        ({"date_situation": "01/02/2024"}, "date_situation", "format"),
        ({"situation": "chateau"}, "situation", "Code inconnu"),
        ({"publics_prioritaires": ["inconnu"]}, "publics_prioritaires", "Code inconnu"),
        ({"personnes": []}, "personnes", "au moins une personne"),
        (
            {"personnes": [{"nom": "Seul", "prenom": "Sans", "role": "enfant"}]},
            "personnes",
            "un et un seul demandeur",
        ),
        (
            {
                "personnes": [
                    {"nom": "A", "prenom": "A", "role": "demandeur"},
                    {"nom": "B", "prenom": "B", "role": "demandeur"},
                ]
            },
            "personnes",
            "un et un seul demandeur",
        ),
        (
            {
                "personnes": [
                    {"nom": "A", "prenom": "A", "role": "demandeur", "date_naissance": "2999-01-01"}
                ]
            },
            "personnes.0.date_naissance",
            "dans le futur",
        ),
        (
            {"personnes": [{"prenom": "A", "role": "demandeur"}]},
            "personnes.0.nom",
            "obligatoire",
        ),
    ],
)
def test_creation_invalide_nenregistre_rien(client, monde, changements, champ, message):
    territoires = {"a1": monde.a1, "a2": monde.a2, "b1": monde.b1, "p1": monde.p1}
    if changements.get("territoire") in territoires:
        changements["territoire"] = territoires[changements["territoire"]].pk
    avant = (
        Menage.objects.count(),
        Personne.objects.count(),
        SituationResidentielle.objects.count(),
    )
    client.force_login(monde.coordinateur)
    reponse = ecrire(client, "post", MENAGES, {**donnees_creation(monde.a1), **changements})
    detail_erreurs = erreurs(reponse)
    assert champ in detail_erreurs, detail_erreurs
    assert message in " ".join(detail_erreurs[champ])
    apres = (
        Menage.objects.count(),
        Personne.objects.count(),
        SituationResidentielle.objects.count(),
    )
    assert apres == avant


def test_creation_avec_un_nur_deja_porte(client, monde):
    Menage.objects.filter(pk=monde.m_b1.pk).update(nur="NUR0000099")
    client.force_login(monde.coordinateur)
    reponse = ecrire(client, "post", MENAGES, donnees_creation(monde.a1))
    assert erreurs(reponse)["nur"] == ["Un ménage porte déjà ce NUR."]
    assert Menage.objects.filter(nur="NUR0000099").count() == 1


# --- Modification d'un ménage -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["referent", "coordinateur", "agent", "administrateur"])
def test_modifier_un_menage_par_role(client, monde, role):
    menage = monde.m_a1
    client.force_login(getattr(monde, role))
    reponse = ecrire(
        client,
        "patch",
        detail("menage", menage),
        {"commune": "Nouvelle-Commune", "publics_prioritaires": ["violences"], "version": 1},
    )
    assert reponse.status_code == 200, reponse.content
    assert reponse.json()["version"] == 2
    menage.refresh_from_db()
    assert (menage.commune, menage.version, menage.modifie_par) == (
        "Nouvelle-Commune",
        2,
        getattr(monde, role),
    )
    assert list(menage.publics_prioritaires.values_list("code", flat=True)) == ["violences"]
    assert Evenement.objects.filter(
        action=Evenement.Action.MODIFICATION, menage_id=menage.pk
    ).exists()


def test_version_perimee_409_et_rien_d_ecrit(client, monde):
    menage = monde.m_a1
    client.force_login(monde.coordinateur)
    reponse = ecrire(client, "patch", detail("menage", menage), {"commune": "Un", "version": 1})
    assert reponse.status_code == 200
    reponse = ecrire(client, "patch", detail("menage", menage), {"commune": "Deux", "version": 1})
    assert reponse.status_code == 409
    message = reponse.json()["detail"]
    assert "a été modifié par" in message and "version est 2" in message
    menage.refresh_from_db()
    assert (menage.commune, menage.version) == ("Un", 2)
    # Sans version, PATCH part de la version lue ; PUT l'exige.
    reponse = ecrire(client, "patch", detail("menage", menage), {"commune": "Trois"})
    assert reponse.json()["version"] == 3
    reponse = ecrire(client, "put", detail("menage", menage), {"territoire": monde.a1.pk})
    assert "version" in erreurs(reponse)
    reponse = ecrire(client, "patch", detail("menage", menage), {"version": 10**30})
    assert reponse.status_code in (400, 409)
    assert Menage.objects.get(pk=menage.pk).version == 3


def test_put_remplace_les_champs(client, monde):
    menage = monde.m_a1
    menage.publics_prioritaires.add(PublicPrioritaire.objects.get(code="refugie"))
    client.force_login(monde.agent)
    reponse = ecrire(
        client,
        "put",
        detail("menage", menage),
        {"territoire": monde.a2.pk, "version": 1, "syplo": True, "publics_prioritaires": []},
    )
    assert reponse.status_code == 200, reponse.content
    menage.refresh_from_db()
    assert (menage.territoire, menage.syplo, menage.version) == (monde.a2, True, 2)
    assert not menage.publics_prioritaires.exists()


@pytest.mark.parametrize(
    "donnees, champ, message",
    [
        ({"dalo_date_decision": "2024-01-01"}, "dalo", "recours DALO"),
        ({"territoire": "p1"}, "territoire", "Objet introuvable"),
        ({"territoire": "a2"}, "territoire", "Objet introuvable"),
        ({"nur_date_depot": "2024-05-01", "nur_date_renouvellement": "2024-01-01"},
         "nur_date_renouvellement", "précède"),
        ({"version": -1}, "version", "supérieure ou égale"),
        ({"syplo": "peut-être"}, "syplo", "booléen"),
    ],
)  # fmt: skip
def test_modification_invalide_nenregistre_rien(client, monde, donnees, champ, message):
    territoires = {"a2": monde.a2, "p1": monde.p1}
    if donnees.get("territoire") in territoires:
        donnees["territoire"] = territoires[donnees["territoire"]].pk
    client.force_login(monde.coordinateur)
    reponse = ecrire(client, "patch", detail("menage", monde.m_a1), donnees)
    assert message in " ".join(erreurs(reponse)[champ])
    menage = Menage.objects.get(pk=monde.m_a1.pk)
    assert (menage.version, menage.territoire, menage.dalo_date_decision) == (1, monde.a1, None)


def test_le_referent_garde_l_epci_de_son_menage(client, monde):
    # L'EPCI actuel reste un choix valide, même hors du ressort du référent.
    client.force_login(monde.referent)
    reponse = ecrire(
        client, "patch", detail("menage", monde.m_a1), {"territoire": monde.a1.pk, "version": 1}
    )
    assert reponse.status_code == 200
    reponse = ecrire(client, "patch", detail("menage", monde.m_a1), {"territoire": monde.a2.pk})
    assert "territoire" in erreurs(reponse)


def test_pas_de_suppression_de_menage(client, monde):
    client.force_login(monde.administrateur)
    assert ecrire(client, "delete", detail("menage", monde.m_a1)).status_code == 405
    assert Menage.objects.filter(pk=monde.m_a1.pk).exists()


# --- Membres ------------------------------------------------------------------------------------


def test_membres_en_lecture_seule(client, monde):
    demandeur = monde.m_a1.demandeur_principal
    client.force_login(monde.coordinateur)
    fiche = lire(client, detail("personne", demandeur)).json()
    assert (fiche["menage"], fiche["nom"], fiche["role"]) == (
        monde.m_a1.pk,
        demandeur.nom,
        "demandeur",
    )
    donnees = {"menage": monde.m_a1.pk, "nom": "Nouveau", "prenom": "N", "role": "enfant"}
    assert ecrire(client, "post", PERSONNES, donnees).status_code == 405
    assert ecrire(client, "patch", detail("personne", demandeur), {"nom": "X"}).status_code == 405
    assert ecrire(client, "delete", detail("personne", demandeur)).status_code == 405
    assert not Personne.objects.filter(nom__in=["Nouveau", "X"]).exists()


# --- Situations résidentielles ------------------------------------------------------------------


def test_changer_de_situation_clot_la_precedente(client, monde):
    demandeur = monde.m_a1.demandeur_principal
    rue = f.SituationFactory(personne=demandeur, date_debut=AUJOURDHUI - dt.timedelta(days=50))
    client.force_login(monde.referent)
    date = AUJOURDHUI - dt.timedelta(days=5)
    reponse = ecrire(
        client,
        "post",
        SITUATIONS,
        {"personne": demandeur.pk, "type": "hotel", "date_debut": date.isoformat(), "commune": "V"},
    )
    assert reponse.status_code == 201, reponse.content
    nouvelle = reponse.json()
    assert (nouvelle["menage"], nouvelle["type"], nouvelle["en_cours"]) == (
        monde.m_a1.pk,
        "hotel",
        True,
    )
    rue.refresh_from_db()
    assert rue.date_fin == date - dt.timedelta(days=1)
    assert Evenement.objects.filter(
        action=Evenement.Action.CREATION, object_id=nouvelle["id"], menage_id=monde.m_a1.pk
    ).exists()


@pytest.mark.parametrize(
    "donnees, champ, message",
    [
        ({"date_debut": "2999-01-01"}, "date_debut", "dans le futur"),
        ({"date_debut": "JOUR_AVANT"}, "date_debut", "doit commencer après le"),
        ({"type": "chateau"}, "type", "Code inconnu"),
        ({"personne": "HORS_PERIMETRE"}, "personne", "Objet introuvable"),
        ({"personne": "inconnue"}, "personne", "nombre entier"),
        ({"personne": 10**15}, "personne", "Objet introuvable"),
        ({"personne": 10**30}, "personne", "Objet introuvable"),
    ],
)
def test_changement_de_situation_invalide(client, monde, donnees, champ, message):
    demandeur = monde.m_a1.demandeur_principal
    en_cours = f.SituationFactory(personne=demandeur, date_debut=AUJOURDHUI - dt.timedelta(days=9))
    if donnees.get("date_debut") == "JOUR_AVANT":
        donnees["date_debut"] = (AUJOURDHUI - dt.timedelta(days=20)).isoformat()
    if donnees.get("personne") == "HORS_PERIMETRE":
        donnees["personne"] = monde.m_a2.demandeur_principal.pk
    client.force_login(monde.referent)
    corps = {"personne": demandeur.pk, "type": "hotel", "date_debut": str(AUJOURDHUI), **donnees}
    reponse = ecrire(client, "post", SITUATIONS, corps)
    assert message in " ".join(erreurs(reponse)[champ])
    assert SituationResidentielle.objects.count() == 1
    en_cours.refresh_from_db()
    assert en_cours.date_fin is None


def test_situations_ni_modifiees_ni_supprimees(client, monde):
    situation = f.SituationFactory(personne=monde.m_a1.demandeur_principal)
    client.force_login(monde.agent)
    url = detail("situation", situation)
    assert ecrire(client, "patch", url, {"commune": "X"}).status_code == 405
    assert ecrire(client, "delete", url).status_code == 405
    assert SituationResidentielle.objects.get(pk=situation.pk).commune == ""


# --- Ressources ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["referent", "coordinateur", "agent", "administrateur"])
def test_ajouter_modifier_supprimer_une_ressource(client, monde, role):
    menage = monde.m_a1
    demandeur = menage.demandeur_principal
    client.force_login(getattr(monde, role))
    reponse = ecrire(
        client,
        "post",
        RESSOURCES,
        {
            "menage": menage.pk,
            "personne": demandeur.pk,
            "type": "salaire",
            "montant_mensuel": 1234.5,
            "version_menage": 1,
        },
    )
    assert reponse.status_code == 201, reponse.content
    creee = reponse.json()
    assert (creee["type"], creee["montant_mensuel"], creee["personne"]) == (
        "salaire",
        1234.5,
        demandeur.pk,
    )
    url = reverse("api:ressource-detail", args=[creee["id"]])
    reponse = ecrire(client, "patch", url, {"montant_mensuel": "99.90", "version_menage": 2})
    assert reponse.status_code == 200, reponse.content
    assert Ressource.objects.get(pk=creee["id"]).montant_mensuel == Decimal("99.90")
    # Les ressources suivent la version du ménage, comme la saisie de la fiche.
    menage.refresh_from_db()
    assert (menage.version, menage.modifie_par) == (3, getattr(monde, role))
    assert ecrire(client, "delete", url).status_code == 204
    assert not Ressource.objects.filter(pk=creee["id"]).exists()
    menage.refresh_from_db()
    assert menage.version == 4


def test_ressource_version_perimee_409(client, monde):
    menage = monde.m_a1
    une_ressource = ressource(menage)
    Menage.objects.filter(pk=menage.pk).update(version=5)
    client.force_login(monde.referent)
    url = detail("ressource", une_ressource)
    reponse = ecrire(client, "patch", url, {"montant_mensuel": 1, "version_menage": 4})
    assert reponse.status_code == 409
    assert "version est 5" in reponse.json()["detail"]
    reponse = client.delete(f"{url}?version_menage=4", HTTP_ACCEPT="application/json")
    assert reponse.status_code == 409
    reponse = client.delete(f"{url}?version_menage=abc", HTTP_ACCEPT="application/json")
    assert "version_menage" in erreurs(reponse)
    une_ressource.refresh_from_db()
    assert une_ressource.montant_mensuel == 100
    assert Menage.objects.get(pk=menage.pk).version == 5


@pytest.mark.parametrize(
    "donnees, champ, message",
    [
        ({"menage": "HORS_PERIMETRE"}, "menage", "Objet introuvable"),
        ({"menage": "B1"}, "menage", "Objet introuvable"),
        ({"personne": "AUTRE_MENAGE"}, "personne", "n'appartient pas au ménage"),
        ({"personne": "HORS_PERIMETRE"}, "personne", "Objet introuvable"),
        ({"montant_mensuel": -5}, "montant_mensuel", "négatif"),
        ({"montant_mensuel": "1,5"}, "montant_mensuel", "nombre"),
        ({"montant_mensuel": 12.345}, "montant_mensuel", "après la virgule"),
        ({"date_debut": "2024-05-01", "date_fin": "2024-01-01"}, "date_fin", "précède"),
        ({"type": "loto"}, "type", "Code inconnu"),
    ],
)
def test_ressource_invalide_nenregistre_rien(client, monde, donnees, champ, message):
    valeurs = {
        "HORS_PERIMETRE": monde.m_a2,
        "B1": monde.m_b1,
        "AUTRE_MENAGE": monde.m_a1_sans_mesure,
    }
    if donnees.get("menage") in valeurs:
        donnees["menage"] = valeurs[donnees["menage"]].pk
    if donnees.get("personne") in valeurs:
        donnees["personne"] = valeurs[donnees["personne"]].demandeur_principal.pk
    client.force_login(monde.coordinateur)
    corps = {"menage": monde.m_a1.pk, "type": "rsa", "montant_mensuel": 500, **donnees}
    reponse = ecrire(client, "post", RESSOURCES, corps)
    assert message in " ".join(erreurs(reponse)[champ])
    assert not Ressource.objects.exists()
    assert Menage.objects.get(pk=monde.m_a1.pk).version == 1


def test_une_ressource_ne_change_pas_de_menage(client, monde):
    une_ressource = ressource(monde.m_a1)
    client.force_login(monde.coordinateur)
    reponse = ecrire(
        client,
        "patch",
        detail("ressource", une_ressource),
        {"menage": monde.m_a1_sans_mesure.pk},
    )
    assert "ne change pas de ménage" in erreurs(reponse)["menage"][0]
    assert Ressource.objects.get(pk=une_ressource.pk).menage == monde.m_a1


def test_corps_mal_forme(client, monde):
    client.force_login(monde.coordinateur)
    reponse = client.post(
        RESSOURCES, "{pas du json", content_type="application/json", HTTP_ACCEPT="application/json"
    )
    assert reponse.status_code == 400
    reponse = ecrire(client, "post", RESSOURCES, ["une", "liste"])
    assert reponse.status_code == 400
    assert not Ressource.objects.exists()


def test_octet_nul_jamais_d_erreur_serveur(client, monde):
    """PostgreSQL refuse le caractère nul dans un texte : un 400, jamais un 500."""
    client.force_login(monde.agent)
    parametres = "&".join(
        f"{nom}=a%00b"
        for nom in (
            "q",
            "territoire",
            "statut",
            "structure",
            "referent",
            "type_mesure",
            "public",
            "situation",
            "modifie_depuis",
            "menage",
            "personne",
            "type",
            "tri",
        )
    )
    for url in LISTES:
        reponse = client.get(f"{url}?{parametres}", HTTP_ACCEPT="application/json")
        assert reponse.status_code == 400, url
    corps = [
        (MENAGES, {**donnees_creation(monde.a1), "situation": "a\x00", "commune": "a\x00"}),
        (MENAGES, {**donnees_creation(monde.a1), "publics_prioritaires": ["\x00"]}),
        (MENAGES, {**donnees_creation(monde.a1), "nur": "AB\x00", "siao_id": "\x00"}),
        (RESSOURCES, {"menage": monde.m_a1.pk, "type": "rsa\x00", "montant_mensuel": 1}),
        (SITUATIONS, {"personne": 1, "type": "\x00", "date_debut": "2024-01-01"}),
    ]
    for url, donnees in corps:
        assert ecrire(client, "post", url, donnees).status_code == 400, donnees
    url = detail("menage", monde.m_a1)
    assert ecrire(client, "patch", url, {"siao_id": "\x00"}).status_code == 400
    assert not Ressource.objects.exists()
