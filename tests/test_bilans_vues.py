"""Pages des bilans : accès par rôle (404 hors périmètre), demande et ses erreurs, fiche et état
rafraîchi par htmx, relance, nouvelle version, téléchargement privé, courtier injoignable."""

import datetime as dt
import time

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from bilans import calcul, rendu
from bilans.models import Bilan, FichierBilan

from .test_bilans_production import courtier_injoignable  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

D = dt.date
ANNEE = {"date_debut": D(2024, 1, 1), "date_fin": D(2024, 12, 31)}
A = Bilan.Audience


@pytest.fixture(autouse=True)
def _eager(taches_eager):
    pass


@pytest.fixture
def doublures(monkeypatch):
    def calculer(territoire, audience, debut, fin, *, progression=None):
        return {
            "titre": f"Bilan {territoire.nom}",
            "synthese": [
                {
                    "code": "menages_accompagnes",
                    "libelle": "Ménages accompagnés",
                    "unite": "menages",
                    "n": 1234,
                    "n1": "s",
                },
                {
                    "code": "taux",
                    "libelle": "Taux d'accès au logement",
                    "unite": "pourcentage",
                    "n": 12.5,
                    "n1": None,
                },
            ],
            "blocs": [],
        }

    monkeypatch.setattr(calcul, "calculer_donnees", calculer)
    monkeypatch.setattr(rendu, "produire", lambda donnees, format: f"{format}".encode())


def pret(territoire, audience=A.ETAT, **kwargs):
    """Un bilan prêt avec ses trois fichiers."""
    bilan = Bilan.objects.create(
        territoire=territoire,
        audience=audience,
        statut=Bilan.Statut.PRET,
        progression=100,
        tentatives=1,
        donnees={"synthese": []},
        **ANNEE,
        **kwargs,
    )
    for fmt in ("pdf", "xlsx", "csv"):
        fb = FichierBilan(bilan=bilan, format=fmt, taille=3, empreinte="0" * 64)
        fb.fichier.save(f"bilan-{bilan.pk}.{fmt}", ContentFile(b"abc"), save=False)
        fb.save()
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


def statut(client, url) -> int:
    """Code HTTP d'un GET, réponse fermée (un téléchargement garde le fichier ouvert sinon)."""
    reponse = client.get(url)
    if reponse.streaming:
        b"".join(reponse.streaming_content)  # lu jusqu'au bout, le client ferme le fichier
    return reponse.status_code


def fiche(bilan):
    return reverse("bilans:fiche", args=[bilan.pk])


def telechargement(bilan, fmt="pdf"):
    return reverse("bilans:telecharger", args=[bilan.pk, fmt])


# --- Accès par rôle -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "liste", "vus"),
    [
        ("agent", 200, {"d1", "a1_epci", "p1"}),
        ("coordinateur", 200, {"a1_epci", "p1"}),
        ("copilote", 200, {"a1_epci"}),
        ("administrateur", 200, {"d1", "a1_epci", "p1", "d2", "b1_epci"}),
        ("referent", 403, set()),
        ("sans_role", 403, set()),
    ],
)
def test_liste_fiche_et_telechargement_selon_le_role(client, monde, bilans, role, liste, vus):
    client.force_login(getattr(monde, role))

    reponse = client.get(reverse("bilans:liste"))
    assert reponse.status_code == liste
    if liste == 200:
        assert {b.pk for b in reponse.context["page"]} == {bilans[n].pk for n in vus}
    for nom, bilan in bilans.items():
        attendu = 200 if nom in vus else (403 if liste == 403 else 404)
        assert statut(client, fiche(bilan)) == attendu, nom
        assert statut(client, telechargement(bilan)) == attendu, nom
        assert statut(client, reverse("bilans:etat", args=[bilan.pk])) == attendu, nom


def test_anonyme_renvoye_a_la_connexion(client, bilans):
    reponse = client.get(fiche(bilans["d1"]))
    assert reponse.status_code == 302
    assert reponse.url.startswith(reverse("login"))


def test_le_menu_montre_les_bilans_aux_roles_concernes(client, monde):
    for role, montre in [("agent", True), ("copilote", True), ("referent", False)]:
        client.force_login(getattr(monde, role))
        assert ("Bilans" in client.get(reverse("accueil")).content.decode()) is montre, role


def test_liste_filtree_et_en_nombre_de_requetes_constant(
    client, monde, bilans, django_assert_max_num_queries
):
    client.force_login(monde.agent)
    url = reverse("bilans:liste")
    filtre = client.get(url, {"audience": "epci", "statut": "pret"})
    assert [b.pk for b in filtre.context["page"]] == [bilans["a1_epci"].pk]
    forge = client.get(url, {"territoire": monde.d2.pk, "statut": "pret"})
    assert forge.status_code == 200 and "territoire" in forge.context["form"].errors

    with django_assert_max_num_queries(20) as petit:
        client.get(url)
    for _ in range(30):
        pret(monde.a2, A.EPCI, demande_par=monde.agent, version=Bilan.objects.count() + 1)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        reponse = client.get(url)
    assert len(reponse.context["page"]) == 25


# --- Téléchargement -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "type_contenu"),
    [
        ("pdf", "application/pdf"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("csv", "text/csv; charset=utf-8"),
    ],
)
def test_telechargement_en_piece_jointe(client, monde, bilans, fmt, type_contenu):
    client.force_login(monde.coordinateur)

    reponse = client.get(telechargement(bilans["p1"], fmt))

    assert reponse.status_code == 200
    assert reponse["Content-Type"] == type_contenu
    assert reponse["Content-Disposition"].startswith("attachment;")
    assert f"plateforme-p1-20240101-20241231-v1.{fmt}" in reponse["Content-Disposition"]
    assert b"".join(reponse.streaming_content) == b"abc"


def test_pas_de_telechargement_avant_la_fin_ni_de_format_inconnu(client, monde, bilans):
    client.force_login(monde.agent)
    en_cours = Bilan.objects.create(
        territoire=monde.d1, audience=A.ETAT, statut=Bilan.Statut.EN_COURS, **ANNEE
    )
    assert statut(client, telechargement(en_cours)) == 404
    assert statut(client, telechargement(bilans["d1"], "docx")) == 404


def test_aucun_fichier_n_est_servi_par_une_url_publique(client, monde, bilans):
    nom = FichierBilan.objects.filter(bilan=bilans["d1"]).first().fichier.name
    client.force_login(monde.agent)
    assert client.get("/" + nom).status_code == 404
    assert client.get("/media/" + nom).status_code == 404


# --- Demande ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_demande_d_un_bilan_annuel_produit_le_bilan(client, monde, doublures):
    """Sans transaction englobante, comme en production : l'envoi suit la validation."""
    client.force_login(monde.agent)
    url = reverse("bilans:demander")
    assert client.get(url).status_code == 200

    reponse = client.post(
        url,
        {"territoire": monde.a1.pk, "audience": "epci", "type_periode": "annee", "annee": 2024},
        follow=True,
    )

    bilan = Bilan.objects.get()
    assert reponse.redirect_chain[-1][0] == fiche(bilan)
    assert (bilan.territoire, bilan.audience, bilan.demande_par) == (monde.a1, "epci", monde.agent)
    assert (bilan.date_debut, bilan.date_fin, bilan.periodicite) == (
        D(2024, 1, 1),
        D(2024, 12, 31),
        "annuel",
    )
    assert bilan.statut == Bilan.Statut.PRET
    page = reponse.content.decode()
    assert "Votre demande est enregistrée" in page
    assert "Télécharger le PDF" in page
    assert "1\u202f234" in page  # espace fine insécable des milliers, comme les fichiers
    assert "12,5\u202f%" in page


@pytest.mark.parametrize(
    ("donnees", "champ", "message"),
    [
        ({"type_periode": "trimestre", "annee": 2024, "trimestre": 2}, None, None),
        (
            {"type_periode": "libre", "date_debut": "2024-02-01", "date_fin": "2024-03-15"},
            None,
            None,
        ),
        ({"type_periode": "trimestre", "annee": 2024}, "trimestre", "Choisissez le trimestre."),
        ({"type_periode": "libre", "date_debut": "2024-02-01"}, "date_fin", "Indiquez cette date."),
        (
            {"type_periode": "libre", "date_debut": "2024-03-01", "date_fin": "2024-02-01"},
            "date_fin",
            "La fin de la période précède son début.",
        ),
        ({"type_periode": "annee", "annee": 1990}, "annee", "Sélectionnez un choix valide."),
    ],
)
def test_periodes_et_leurs_erreurs(client, monde, donnees, champ, message, monkeypatch):
    monkeypatch.setattr("bilans.services.expedier", lambda bilan: True)
    client.force_login(monde.agent)

    reponse = client.post(
        reverse("bilans:demander"), {"territoire": monde.d1.pk, "audience": "etat", **donnees}
    )

    if champ is None:
        assert reponse.status_code == 302
        assert Bilan.objects.count() == 1
    else:
        assert reponse.status_code == 200
        assert any(message in e for e in reponse.context["form"].errors[champ])
        assert not Bilan.objects.exists()


def test_periode_trimestrielle_et_libre_enregistrees(client, monde, monkeypatch):
    monkeypatch.setattr("bilans.services.expedier", lambda bilan: True)
    client.force_login(monde.agent)
    url = reverse("bilans:demander")
    commun = {"territoire": monde.d1.pk, "audience": "etat"}
    client.post(url, {**commun, "type_periode": "trimestre", "annee": 2024, "trimestre": 2})
    client.post(
        url,
        {**commun, "type_periode": "libre", "date_debut": "2024-02-01", "date_fin": "2024-03-15"},
    )

    assert set(Bilan.objects.values_list("date_debut", "date_fin", "periodicite")) == {
        (D(2024, 4, 1), D(2024, 6, 30), "trimestriel"),
        (D(2024, 2, 1), D(2024, 3, 15), "libre"),
    }


@pytest.mark.parametrize(
    ("role", "territoire", "audience", "champ"),
    [
        ("agent", "d2", "departement", "territoire"),  # hors de son Département, forgé
        ("agent", "b1", "epci", "territoire"),
        ("coordinateur", "a2", "etat", "territoire"),  # EPCI d'une autre plateforme
        ("coordinateur", "d1", "departement", "territoire"),  # son Département parent
        ("coordinateur", "p1", "departement", "audience"),  # public réservé au Département
        ("agent", "a1", "departement", "audience"),  # public incompatible avec un EPCI
        ("agent", "p1", "epci", "audience"),
    ],
)
def test_demande_hors_droits_est_une_erreur_de_formulaire(
    client, monde, role, territoire, audience, champ
):
    client.force_login(getattr(monde, role))

    reponse = client.post(
        reverse("bilans:demander"),
        {
            "territoire": getattr(monde, territoire).pk,
            "audience": audience,
            "type_periode": "annee",
            "annee": 2024,
        },
    )

    assert reponse.status_code == 200
    assert reponse.context["form"].errors[champ]
    assert not Bilan.objects.exists()


def test_territoires_proposes_selon_le_role(client, monde):
    client.force_login(monde.coordinateur)
    form = client.get(reverse("bilans:demander")).context["form"]
    assert set(form.fields["territoire"].queryset) == {monde.p1, monde.a1}
    assert [c for c, _ in form.fields["audience"].choices] == ["etat", "epci"]

    client.force_login(monde.agent)
    form = client.get(reverse("bilans:demander")).context["form"]
    assert set(form.fields["territoire"].queryset) == {
        monde.d1,
        monde.a1,
        monde.a2,
        monde.p1,
        monde.p2,
    }


@pytest.mark.parametrize("role", ["copilote", "referent", "sans_role"])
def test_seuls_agent_et_coordinateur_demandent(client, monde, role):
    client.force_login(getattr(monde, role))
    assert client.get(reverse("bilans:demander")).status_code == 403
    reponse = client.post(
        reverse("bilans:demander"),
        {"territoire": monde.a1.pk, "audience": "epci", "type_periode": "annee", "annee": 2024},
    )
    assert reponse.status_code == 403
    assert not Bilan.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("courtier_injoignable")
def test_courtier_injoignable_message_clair_et_demande_gardee(client, monde):
    client.force_login(monde.agent)
    debut = time.monotonic()

    reponse = client.post(
        reverse("bilans:demander"),
        {"territoire": monde.d1.pk, "audience": "etat", "type_periode": "annee", "annee": 2024},
        follow=True,
    )

    assert time.monotonic() - debut < 5
    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert "La file de production est momentanément indisponible" in page
    assert "vous pouvez aussi la relancer" in page
    bilan = Bilan.objects.get()
    assert bilan.statut == Bilan.Statut.EN_ATTENTE and bilan.expedie_le is None
    assert "Relancer le bilan" in page


# --- Fiche, état htmx, actions ------------------------------------------------------------------


def test_etat_interroge_toutes_les_deux_secondes_pendant_la_production(client, monde):
    bilan = Bilan.objects.create(
        territoire=monde.d1,
        audience=A.ETAT,
        statut=Bilan.Statut.EN_COURS,
        progression=40,
        etape="Calcul de la file active",
        **ANNEE,
    )
    client.force_login(monde.agent)
    url_etat = reverse("bilans:etat", args=[bilan.pk])

    page = client.get(fiche(bilan)).content.decode()
    assert f'hx-get="{url_etat}"' in page and 'hx-trigger="every 2s"' in page
    assert "Calcul de la file active" in page and 'value="40"' in page

    fragment = client.get(url_etat, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "HX-Refresh" not in fragment
    assert 'hx-trigger="every 2s"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()

    Bilan.objects.filter(pk=bilan.pk).update(statut=Bilan.Statut.PRET, progression=100)
    fin = client.get(url_etat, headers={"HX-Request": "true"})
    assert fin["HX-Refresh"] == "true"
    assert "every 2s" not in fin.content.decode()


def test_fiche_d_un_echec_montre_le_motif_et_la_relance(client, monde):
    bilan = Bilan.objects.create(
        territoire=monde.d1,
        audience=A.ETAT,
        statut=Bilan.Statut.ECHEC,
        erreur="La production a échoué sur une erreur interne (KeyError).",
        tentatives=2,
        **ANNEE,
    )
    client.force_login(monde.agent)

    page = client.get(fiche(bilan)).content.decode()

    assert "erreur interne (KeyError)" in page
    assert "Tentatives : 2" in page
    assert "every 2s" not in page
    assert reverse("bilans:relancer", args=[bilan.pk]) in page


def test_relancer_par_post_seulement(client, monde, doublures, django_capture_on_commit_callbacks):
    bilan = Bilan.objects.create(
        territoire=monde.d1, audience=A.ETAT, statut=Bilan.Statut.ECHEC, erreur="Panne", **ANNEE
    )
    client.force_login(monde.agent)
    url = reverse("bilans:relancer", args=[bilan.pk])
    assert client.get(url).status_code == 405

    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(url, follow=True)

    bilan.refresh_from_db()
    assert bilan.statut == Bilan.Statut.PRET
    assert "Le bilan est relancé." in reponse.content.decode()


def test_le_copilote_voit_mais_ne_relance_pas(client, monde, bilans):
    echec = Bilan.objects.create(
        territoire=monde.a1, audience=A.EPCI, statut=Bilan.Statut.ECHEC, version=2, **ANNEE
    )
    client.force_login(monde.copilote)

    page = client.get(fiche(echec)).content.decode()
    assert "Relancer" not in page
    assert (
        "Produire une nouvelle version" not in client.get(fiche(bilans["a1_epci"])).content.decode()
    )
    assert client.post(reverse("bilans:relancer", args=[echec.pk])).status_code == 403
    assert (
        client.post(reverse("bilans:nouvelle_version", args=[bilans["a1_epci"].pk])).status_code
        == 403
    )


def test_hors_perimetre_les_actions_sont_des_404(client, monde, bilans):
    client.force_login(monde.agent)
    for nom in ("relancer", "nouvelle_version"):
        reponse = client.post(reverse(f"bilans:{nom}", args=[bilans["d2"].pk]))
        assert reponse.status_code == 404
    assert Bilan.objects.count() == 5


def test_nouvelle_version_garde_l_ancienne_intacte(
    client, monde, bilans, doublures, django_capture_on_commit_callbacks
):
    ancien = bilans["p1"]
    client.force_login(monde.coordinateur)
    assert "Produire une nouvelle version" in client.get(fiche(ancien)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(reverse("bilans:nouvelle_version", args=[ancien.pk]), follow=True)

    nouveau = Bilan.objects.exclude(pk__in=[b.pk for b in bilans.values()]).get()
    assert reponse.redirect_chain[-1][0] == fiche(nouveau)
    assert (nouveau.version, nouveau.statut, nouveau.demande_par) == (2, "pret", monde.coordinateur)
    ancien_apres = Bilan.objects.get(pk=ancien.pk)
    assert (ancien_apres.statut, ancien_apres.donnees, ancien_apres.modifie_le) == (
        "pret",
        {"synthese": []},
        ancien.modifie_le,
    )
    assert ancien_apres.fichiers.count() == 3


def test_fiche_en_nombre_de_requetes_borne(client, monde, bilans, django_assert_max_num_queries):
    client.force_login(monde.agent)
    with django_assert_max_num_queries(14):
        assert client.get(fiche(bilans["d1"])).status_code == 200
