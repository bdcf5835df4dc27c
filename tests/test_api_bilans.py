"""API des bilans et des indicateurs : lecture par rôle (404 hors périmètre), demande → 202 →
état → téléchargement (tracé au journal), validation du formulaire de l'interface, courtier
injoignable, relance ; indicateurs agrégés du co-pilote avec le secret statistique des bilans ;
filtres, tri, nombre de requêtes borné."""

import datetime as dt
import time

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from bilans import calcul, rendu, services
from bilans.models import Bilan, FichierBilan
from journal.models import Action, Evenement

from . import factories as f
from .test_bilans_production import courtier_injoignable  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_dans_la_requete(taches_eager):
    # Autouse : posé avant les fixtures du test (dont `courtier_injoignable`, qui le défait).
    return taches_eager


D = dt.date
ANNEE = {"date_debut": D(2024, 1, 1), "date_fin": D(2024, 12, 31)}
A = Bilan.Audience
AUJOURDHUI = f.AUJOURDHUI
TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@pytest.fixture
def doublures(monkeypatch):
    """Calcul et rendu remplacés : on teste l'orchestration de l'API, pas les chiffres."""

    def calculer(territoire, audience, debut, fin, *, progression=None):
        return {
            "titre": f"Bilan {territoire.nom}",
            "synthese": [
                {"code": "menages_accompagnes", "libelle": "Ménages", "unite": "menages", "n": 7}
            ],
            "blocs": [],
        }

    monkeypatch.setattr(calcul, "calculer_donnees", calculer)
    monkeypatch.setattr(rendu, "produire", lambda donnees, format: f"contenu {format}".encode())


def api(nom, *args):
    return reverse(f"api:{nom}", args=args)


def lire(client, url, **params):
    return client.get(url, params, HTTP_ACCEPT="application/json")


def ecrire(client, url, donnees=None):
    return client.post(url, donnees or {}, content_type="application/json")


def statut_http(client, url) -> int:
    """Code HTTP d'un GET, réponse lue jusqu'au bout (un téléchargement garde sinon le fichier
    ouvert)."""
    reponse = client.get(url)
    if reponse.streaming:
        b"".join(reponse.streaming_content)
    return reponse.status_code


def erreurs(reponse):
    assert reponse.status_code == 400, reponse.content
    assert reponse.json()["code"] == "donnees_invalides"
    return reponse.json()["erreurs"]


def pret(territoire, audience=A.ETAT, **kwargs):
    bilan = Bilan.objects.create(
        territoire=territoire,
        audience=audience,
        statut=Bilan.Statut.PRET,
        progression=100,
        tentatives=1,
        donnees={
            "synthese": [
                {"code": "menages_accompagnes", "libelle": "Ménages", "unite": "menages", "n": 9}
            ]
        },
        **{**ANNEE, **kwargs},
    )
    for fmt in FichierBilan.Format.values:
        fichier = FichierBilan(bilan=bilan, format=fmt, taille=3, empreinte="0" * 64)
        fichier.fichier.save(f"bilan-{bilan.pk}.{fmt}", ContentFile(b"abc"), save=False)
        fichier.save()
    return bilan


@pytest.fixture
def bilans(monde):
    return {
        "d1": pret(monde.d1, A.DEPARTEMENT),
        "a1_epci": pret(monde.a1, A.EPCI),
        "p1": pret(monde.p1),
        "d2": pret(monde.d2, A.DEPARTEMENT),
        "b1_epci": pret(monde.b1, A.EPCI),
    }


# --- Lecture par rôle ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "vus"),
    [
        ("agent", {"d1", "a1_epci", "p1"}),
        ("coordinateur", {"a1_epci", "p1"}),
        ("copilote", {"a1_epci"}),
        ("administrateur", {"d1", "a1_epci", "p1", "d2", "b1_epci"}),
        ("referent", None),
        ("sans_role", None),
    ],
)
def test_bilans_lus_selon_le_role(client, monde, bilans, role, vus):
    client.force_login(getattr(monde, role))

    liste = lire(client, api("bilan-list"))

    if vus is None:
        assert liste.status_code == 403
    else:
        assert {b["id"] for b in liste.json()["results"]} == {bilans[n].pk for n in vus}
    for nom, bilan in bilans.items():
        attendu = 403 if vus is None else (200 if nom in vus else 404)
        for url in (
            api("bilan-detail", bilan.pk),
            api("bilan-statut", bilan.pk),
            api("bilan-fichier", bilan.pk, "pdf"),
        ):
            assert statut_http(client, url) == attendu, (nom, url)


def test_fiche_statut_et_liste_d_un_bilan_pret(client, monde, bilans):
    bilan = bilans["p1"]
    client.force_login(monde.coordinateur)

    fiche = lire(client, api("bilan-detail", bilan.pk)).json()

    assert fiche["statut"] == "pret" and fiche["statut_libelle"] == "Prêt"
    assert fiche["territoire"] == monde.p1.pk and fiche["audience"] == "etat"
    assert fiche["periode_libelle"] == "année 2024" and fiche["planifie"] is True
    assert fiche["synthese"] == [
        {
            "code": "menages_accompagnes",
            "libelle": "Ménages",
            "unite": "menages",
            "n": 9,
            "n1": None,
        }
    ]
    assert fiche["url_statut"].endswith(api("bilan-statut", bilan.pk))
    assert {(x["format"], x["url"].split("testserver")[1]) for x in fiche["fichiers"]} == {
        (fmt, api("bilan-fichier", bilan.pk, fmt)) for fmt in TYPES
    }
    etat = lire(client, api("bilan-statut", bilan.pk)).json()
    assert (etat["statut"], etat["progression"], len(etat["fichiers"])) == ("pret", 100, 3)
    ligne = lire(client, api("bilan-list")).json()["results"][0]
    assert "synthese" not in ligne and len(ligne["fichiers"]) == 3


def test_le_copilote_n_atteint_aucun_point_d_acces_nominatif(client, monde, bilans):
    client.force_login(monde.copilote)
    for nom in ("logement-list", "proposition-list"):
        reponse = lire(client, api(nom))
        assert reponse.status_code == 403
        assert reponse.json()["detail"] == (
            "Votre habilitation ne donne accès qu'à des chiffres agrégés."
        )
    assert lire(client, api("bilan-list")).status_code == 200
    assert statut_http(client, api("bilan-fichier", bilans["a1_epci"].pk, "csv")) == 200


# --- Téléchargement -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(TYPES))
def test_telechargement_en_piece_jointe_et_trace_au_journal(client, monde, bilans, fmt):
    bilan = bilans["p1"]
    client.force_login(monde.coordinateur)

    # Un client qui demande le type du fichier (Accept) l'obtient aussi.
    reponse = client.get(api("bilan-fichier", bilan.pk, fmt), HTTP_ACCEPT=TYPES[fmt])

    assert reponse.status_code == 200
    assert reponse["Content-Type"] == TYPES[fmt]
    assert reponse["Content-Disposition"].startswith("attachment;")
    assert f"plateforme-p1-20240101-20241231-v1.{fmt}" in reponse["Content-Disposition"]
    assert reponse["Cache-Control"] == "private, no-store"
    assert b"".join(reponse.streaming_content) == b"abc"
    trace = Evenement.objects.get(action=Action.TELECHARGEMENT, object_id=bilan.pk)
    assert trace.auteur == monde.coordinateur
    assert trace.details == {"format": fmt, "version": 1}


def test_pas_de_telechargement_avant_la_fin_ni_de_format_inconnu(client, monde, bilans):
    en_cours = Bilan.objects.create(
        territoire=monde.d1, audience=A.ETAT, statut=Bilan.Statut.EN_COURS, **ANNEE
    )
    client.force_login(monde.agent)

    pas_pret = client.get(api("bilan-fichier", en_cours.pk, "pdf"), HTTP_ACCEPT="application/pdf")

    assert pas_pret.status_code == 409
    assert pas_pret["Content-Type"] == "application/json"
    assert pas_pret.json()["code"] == "conflit"
    assert pas_pret.json()["detail"].startswith("Le bilan n'est pas prêt (état : En cours)")
    assert api("bilan-statut", en_cours.pk) in pas_pret.json()["detail"]
    inconnu = client.get(api("bilan-fichier", bilans["d1"].pk, "docx"))
    assert inconnu.status_code == 404 and "pdf, xlsx ou csv" in inconnu.json()["detail"]
    assert not Evenement.objects.filter(action=Action.TELECHARGEMENT).exists()


# --- Demande : 202, état, téléchargement --------------------------------------------------------


def test_demande_202_puis_etat_puis_telechargement(
    client, monde, doublures, django_capture_on_commit_callbacks
):
    client.force_login(monde.agent)

    with django_capture_on_commit_callbacks(execute=True):
        reponse = ecrire(
            client,
            api("bilan-list"),
            {"territoire": monde.a1.pk, "audience": "epci", "type_periode": "annee", "annee": 2024},
        )
        # Tant que la transaction n'est pas validée, la production n'a pas commencé.
        assert reponse.status_code == 202, reponse.content
        corps = reponse.json()
        assert reponse["Location"] == corps["url_statut"]
        assert corps["statut"] == "en_attente" and corps["fichiers"] == []
        assert corps["message"] == "Votre demande est enregistrée : le bilan est en production."
        bilan = Bilan.objects.get()
        assert client.get(api("bilan-fichier", bilan.pk, "pdf")).status_code == 409

    assert (bilan.territoire, bilan.audience, bilan.demande_par) == (monde.a1, "epci", monde.agent)
    etat = client.get(reponse["Location"]).json()
    assert etat["statut"] == "pret" and etat["progression"] == 100
    fichiers = {x["format"]: x["url"] for x in etat["fichiers"]}
    assert set(fichiers) == set(TYPES)
    telechargement = client.get(fichiers["xlsx"])
    assert telechargement.status_code == 200
    assert b"".join(telechargement.streaming_content) == b"contenu xlsx"
    assert Evenement.objects.filter(action=Action.TELECHARGEMENT, object_id=bilan.pk).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_demande_sans_transaction_englobante_repond_avec_le_bilan_produit(client, monde, doublures):
    """Comme en production : la demande est validée, envoyée à la file, puis la réponse part."""
    client.force_login(monde.coordinateur)

    reponse = ecrire(
        client,
        api("bilan-list"),
        {
            "territoire": monde.p1.pk,
            "audience": "etat",
            "type_periode": "trimestre",
            "annee": 2024,
            "trimestre": 2,
        },
    )

    assert reponse.status_code == 202
    assert reponse.json()["statut"] == "pret" and len(reponse.json()["fichiers"]) == 3
    bilan = Bilan.objects.get()
    assert (bilan.date_debut, bilan.date_fin, bilan.periodicite) == (
        D(2024, 4, 1),
        D(2024, 6, 30),
        "trimestriel",
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("courtier_injoignable")
def test_courtier_injoignable_demande_enregistree_et_message(client, monde):
    client.force_login(monde.agent)
    debut = time.monotonic()

    reponse = ecrire(
        client,
        api("bilan-list"),
        {"territoire": monde.d1.pk, "audience": "etat", "annee": 2024},
    )

    assert time.monotonic() - debut < 5
    assert reponse.status_code == 202
    assert reponse.json()["message"] == services.FILE_INDISPONIBLE
    assert reponse.json()["statut"] == "en_attente"
    bilan = Bilan.objects.get()
    assert bilan.statut == Bilan.Statut.EN_ATTENTE and bilan.expedie_le is None


@pytest.mark.parametrize(
    ("role", "donnees", "champ", "message"),
    [
        ("agent", {"type_periode": "trimestre", "annee": 2024}, "trimestre", "Choisissez le"),
        (
            "agent",
            {"type_periode": "libre", "date_debut": "2024-02-01"},
            "date_fin",
            "Indiquez cette date.",
        ),
        (
            "agent",
            {"type_periode": "libre", "date_debut": "2024-03-01", "date_fin": "2024-02-01"},
            "date_fin",
            "La fin de la période précède son début.",
        ),
        ("agent", {"annee": 1990}, "annee", "Sélectionnez un choix valide."),
        ("agent", {"annee": "deux mille"}, "annee", "Un nombre entier valide est requis."),
        ("agent", {"territoire": "d2", "audience": "departement"}, "territoire", "choix valide"),
        ("agent", {"territoire": "a1", "audience": "departement"}, "audience", "niveau"),
        ("coordinateur", {"territoire": "a2"}, "territoire", "choix valide"),
        ("coordinateur", {"territoire": "d1", "audience": "departement"}, "territoire", "valide"),
        ("coordinateur", {"territoire": "p1", "audience": "departement"}, "audience", "valide"),
        ("agent", {"audience": "mairie"}, "audience", "n'est pas un choix valide"),
        ("agent", {"territoire": None}, "territoire", "Ce champ ne peut être nul."),
    ],
)
def test_demande_invalide_400_champ_nomme_et_rien_ecrit(
    client, monde, role, donnees, champ, message
):
    demande = {"territoire": "d1", "audience": "etat", "type_periode": "annee", "annee": 2024}
    demande.update(donnees)
    if isinstance(demande["territoire"], str):
        demande["territoire"] = getattr(monde, demande["territoire"]).pk
    client.force_login(getattr(monde, role))

    reponse = ecrire(client, api("bilan-list"), demande)

    assert any(message in m for m in erreurs(reponse)[champ]), reponse.json()
    assert not Bilan.objects.exists()


@pytest.mark.parametrize("role", ["copilote", "referent", "sans_role"])
def test_seuls_agent_et_coordinateur_demandent(client, monde, role):
    client.force_login(getattr(monde, role))
    reponse = ecrire(
        client,
        api("bilan-list"),
        {"territoire": monde.a1.pk, "audience": "epci", "annee": 2024},
    )
    assert reponse.status_code == 403
    assert not Bilan.objects.exists()


def test_relance_d_un_bilan_en_echec(
    client, monde, bilans, doublures, django_capture_on_commit_callbacks
):
    echec = Bilan.objects.create(
        territoire=monde.d1, audience=A.ETAT, statut=Bilan.Statut.ECHEC, erreur="Panne", **ANNEE
    )
    client.force_login(monde.agent)

    with django_capture_on_commit_callbacks(execute=True):
        reponse = ecrire(client, api("bilan-relancer", echec.pk))
    assert reponse.status_code == 202
    assert reponse.json()["message"] == "Le bilan est relancé."
    echec.refresh_from_db()
    assert echec.statut == Bilan.Statut.PRET

    deja_pret = ecrire(client, api("bilan-relancer", bilans["d1"].pk))
    assert deja_pret.status_code == 409
    assert deja_pret.json()["detail"] == "Seul un bilan en échec ou en attente peut être relancé."
    assert ecrire(client, api("bilan-relancer", bilans["d2"].pk)).status_code == 404
    client.force_login(monde.copilote)
    assert ecrire(client, api("bilan-relancer", bilans["a1_epci"].pk)).status_code == 403


# --- Filtres, tri, requêtes ---------------------------------------------------------------------


def test_filtres_et_tri_des_bilans(client, monde, bilans):
    client.force_login(monde.agent)
    url = api("bilan-list")

    def vus(**params):
        reponse = lire(client, url, **params)
        assert reponse.status_code == 200, reponse.content
        return [b["id"] for b in reponse.json()["results"]]

    assert vus(audience="epci") == [bilans["a1_epci"].pk]
    assert set(vus(territoire=monde.d1.pk)) == {bilans[n].pk for n in ("d1", "a1_epci", "p1")}
    # Une plateforme : ses bilans et ceux des EPCI de son périmètre.
    assert set(vus(territoire=monde.p1.pk)) == {bilans["p1"].pk, bilans["a1_epci"].pk}
    assert vus(territoire=monde.a1.pk) == [bilans["a1_epci"].pk]
    assert vus(territoire=monde.d2.pk) == []
    assert vus(statut="echec") == []
    assert vus(date_debut_apres="2025-01-01") == []
    assert vus(tri="cree_le") == [bilans[n].pk for n in ("d1", "a1_epci", "p1")]
    Bilan.objects.filter(pk=bilans["p1"].pk).update(modifie_le=timezone.now() + dt.timedelta(1))
    assert vus(modifie_depuis=(timezone.now() + dt.timedelta(hours=1)).isoformat()) == [
        bilans["p1"].pk
    ]
    assert "audience" in erreurs(lire(client, url, audience="mairie"))
    assert "tri" in erreurs(lire(client, url, tri="erreur"))


def test_bilans_en_nombre_de_requetes_independant_de_la_page(
    client, monde, bilans, django_assert_max_num_queries
):
    client.force_login(monde.agent)
    url = api("bilan-list")
    with django_assert_max_num_queries(30) as petit:
        assert len(lire(client, url).json()["results"]) == 3
    for version in range(2, 32):
        pret(monde.a2, A.EPCI, demande_par=monde.agent, version=version)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        assert len(lire(client, url, taille=100).json()["results"]) == 33
    for nom in ("bilan-detail", "bilan-statut"):
        with django_assert_max_num_queries(len(petit.captured_queries)):
            assert lire(client, api(nom, bilans["d1"].pk)).status_code == 200


# --- Indicateurs agrégés ------------------------------------------------------------------------

PERIODE = {
    "date_debut": (AUJOURDHUI - dt.timedelta(days=30)).isoformat(),
    "date_fin": AUJOURDHUI.isoformat(),
}


def indicateurs(reponse) -> dict:
    assert reponse.status_code == 200, reponse.content
    return {i["code"]: i for i in reponse.json()["indicateurs"]}


def test_le_copilote_lit_les_indicateurs_de_son_epci_sous_secret_statistique(client, monde):
    """A1 compte un ménage accompagné : sous le seuil, le co-pilote lit « s », l'agent 1."""
    client.force_login(monde.copilote)
    url = api("indicateur-list")

    reponse = lire(client, url, territoire=monde.a1.pk, **PERIODE)

    chiffres = indicateurs(reponse)
    corps = reponse.json()
    assert corps["secret_statistique"] is True and corps["seuil_secret"] == 5
    assert corps["territoire"] == {"id": monde.a1.pk, "nom": "EPCI A1", "niveau": "epci"}
    menages = chiffres["menages_accompagnes"]
    assert menages["n"] == "s"
    assert menages["unite"] == "menages"
    assert menages["definition"].startswith("Nombre de ménages distincts")
    assert chiffres["mesures_terminees"]["n"] == 0  # zéro n'est pas un petit effectif
    assert "effectif_n" not in menages
    # Indicateurs du seul rapport du Département : pas pour le co-pilote d'un EPCI.
    assert "charge_moyenne" not in chiffres and "mesures_financees" not in chiffres

    client.force_login(monde.agent)
    agent = lire(client, url, territoire=monde.a1.pk, **PERIODE)
    assert agent.json()["secret_statistique"] is False
    assert indicateurs(agent)["menages_accompagnes"]["n"] == 1


def test_au_dela_du_seuil_le_copilote_lit_le_chiffre(client, monde):
    for _ in range(5):
        f.MesureFactory(menage=f.MenageFactory(territoire=monde.a1), structure=monde.s1)
    client.force_login(monde.copilote)

    reponse = lire(
        client,
        api("indicateur-list"),
        territoire=monde.a1.pk,
        codes="menages_accompagnes",
        **PERIODE,
    )

    assert [i["code"] for i in reponse.json()["indicateurs"]] == ["menages_accompagnes"]
    assert indicateurs(reponse)["menages_accompagnes"]["n"] == 6


def test_indicateurs_d_une_annee_avec_n_moins_un(client, monde):
    client.force_login(monde.agent)
    annee = AUJOURDHUI.year - 1

    reponse = lire(client, api("indicateur-list"), territoire=monde.d1.pk, annee=annee)

    corps = reponse.json()
    assert corps["periode"] == {
        "debut": f"{annee}-01-01",
        "fin": f"{annee}-12-31",
        "libelle": f"année {annee}",
    }
    assert corps["periode_precedente"]["libelle"] == f"année {annee - 1}"
    chiffres = indicateurs(reponse)
    # L'agent départemental lit le rapport du Département : tout le registre lui est ouvert.
    assert {"charge_moyenne", "mesures_financees", "taux_occupation"} <= set(chiffres)
    assert all({"n", "n1", "definition", "unite", "libelle"} <= set(c) for c in chiffres.values())


@pytest.mark.parametrize(
    ("role", "territoire", "attendu"),
    [
        ("copilote", "a1", 200),
        ("copilote", "a2", 400),
        ("copilote", "d1", 400),
        ("copilote", "b1", 400),
        ("coordinateur", "p1", 200),
        ("coordinateur", "d1", 400),
        ("agent", "d1", 200),
        ("agent", "d2", 400),
        ("administrateur", "d2", 200),
        ("referent", "a1", 403),
        ("sans_role", "a1", 403),
    ],
)
def test_indicateurs_limites_au_ressort(client, monde, role, territoire, attendu):
    client.force_login(getattr(monde, role))

    reponse = lire(
        client,
        api("indicateur-list"),
        territoire=getattr(monde, territoire).pk,
        codes="menages_accompagnes",
        **PERIODE,
    )

    assert reponse.status_code == attendu, reponse.content
    if attendu == 400:
        assert erreurs(reponse) == {
            "territoire": ["Territoire introuvable ou hors de votre ressort."]
        }


@pytest.mark.parametrize(
    ("parametres", "champ", "message"),
    [
        ({}, "annee", "Indiquez l'année, ou les dates de début et de fin."),
        ({"annee": 2024, "date_debut": "2024-01-01"}, "annee", "soit l'année, soit les dates"),
        ({"date_debut": "2024-01-01"}, "date_fin", "Indiquez cette date."),
        (
            {"date_debut": "2024-03-01", "date_fin": "2024-02-01"},
            "date_fin",
            "La fin de la période précède son début.",
        ),
        ({"annee": AUJOURDHUI.year + 1}, "annee", "La période n'a pas encore commencé."),
        ({"annee": "deux mille"}, "annee", "Un nombre entier valide est requis."),
        ({"annee": 2010}, "annee", "2015"),
        (
            {"date_debut": "0001-01-01", "date_fin": "0001-12-31"},
            "date_debut",
            "La période commence au plus tôt le 1er janvier 2015.",
        ),
        ({"annee": 2024, "codes": "menages_accompagnes,inconnu"}, "codes", "inconnu"),
        ({"annee": 2024, "codes": "charge_moyenne"}, "codes", "réservé au rapport du Département"),
        ({"annee": 2024, "territoire": 999999}, "territoire", "hors de votre ressort"),
        ({"annee": 2024, "territoire": "abc"}, "territoire", "Identifiant de territoire invalide."),
    ],
)
def test_parametres_des_indicateurs_invalides(client, monde, parametres, champ, message):
    client.force_login(monde.copilote)
    reponse = lire(client, api("indicateur-list"), **{"territoire": monde.a1.pk, **parametres})
    assert any(message in m for m in erreurs(reponse)[champ]), reponse.json()


def test_indicateurs_en_nombre_de_requetes_independant_du_volume(
    client, monde, django_assert_max_num_queries
):
    client.force_login(monde.agent)
    url = api("indicateur-list")
    with django_assert_max_num_queries(200) as petit:
        indicateurs(lire(client, url, territoire=monde.d1.pk, **PERIODE))
    for _ in range(20):
        menage = f.MenageFactory(territoire=monde.a2)
        f.MesureFactory(menage=menage, structure=monde.s2, referent=monde.agent)
        f.PropositionFactory(menage=menage, bail=True)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        indicateurs(lire(client, url, territoire=monde.d1.pk, **PERIODE))
