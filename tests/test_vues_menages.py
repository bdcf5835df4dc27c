"""Pages des ménages : liste (recherche, filtres, tri, pagination), export, création, fiche, saisies."""

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from accompagnement.models import TypeMesure
from logement.models import Role
from menages.exports import ENTETES_MENAGES
from menages.models import (
    ActionPrevention,
    Consentement,
    EtapeProcedure,
    Menage,
    Personne,
    ProcedureExpulsion,
    PublicPrioritaire,
    Ressource,
    SituationResidentielle,
    TypeRessource,
    TypeSituation,
)

from . import factories as f

pytestmark = pytest.mark.django_db
AUJOURDHUI = timezone.localdate()
LISTE = reverse("menages:liste")
EXPORT = reverse("menages:export")
CREER = reverse("menages:creer")
NUMEROS = itertools.count(1)


def fiche(menage):
    return reverse("menages:fiche", args=[menage.pk])


def refs(reponse):
    return {m.reference for m in reponse.context["page"]}


def demandeur(menage, **champs):
    personne = menage.demandeur_principal
    for champ, valeur in champs.items():
        setattr(personne, champ, valeur)
    personne.save()
    return personne


def menage_garni(territoire, structure, *, personnes=3, referent=None):
    """Un ménage avec plusieurs membres, situations, ressources, consentement, procédure…"""
    menage = f.MenageFactory(
        territoire=territoire, nur=f"NUR{next(NUMEROS):06d}", nur_date_depot=AUJOURDHUI
    )
    f.MesureFactory(menage=menage, structure=structure, referent=referent)
    f.OrientationFactory(menage=menage)
    f.PropositionFactory(menage=menage)
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
        Ressource.objects.create(
            menage=menage, personne=personne, type=TypeRessource.objects.first(), montant_mensuel=10
        )
    Consentement.objects.create(
        menage=menage, adhesion=Consentement.Adhesion.ACCEPTEE, recueilli_par=f.UserFactory()
    )
    procedure = ProcedureExpulsion.objects.create(
        menage=menage, date_signalement=AUJOURDHUI - dt.timedelta(days=50)
    )
    EtapeProcedure.objects.create(
        procedure=procedure, etape=EtapeProcedure.Etape.IMPAYES, date=procedure.date_signalement
    )
    ActionPrevention.objects.create(
        procedure=procedure, type=ActionPrevention.Type.DIAGNOSTIC, date=AUJOURDHUI
    )
    return menage


# --- Liste --------------------------------------------------------------------------------------


def test_liste_montre_le_perimetre_du_coordinateur(client, monde):
    client.force_login(monde.coordinateur)
    reponse = client.get(LISTE)
    assert reponse.status_code == 200
    assert refs(reponse) == {monde.m_a1.reference, monde.m_a1_sans_mesure.reference}
    contenu = reponse.content.decode()
    assert monde.m_b1.reference not in contenu
    assert monde.m_a1.demandeur_principal.nom_complet in contenu


def test_liste_du_referent_limitee_aux_menages_de_sa_structure(client, monde):
    client.force_login(monde.referent)
    assert refs(client.get(LISTE)) == {monde.m_a1.reference}


@pytest.mark.parametrize("role", ["copilote", "sans_role"])
def test_liste_et_export_interdits_sans_donnees_personnelles(client, monde, role):
    client.force_login(getattr(monde, role))
    assert client.get(LISTE).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_recherche_sans_accents_ni_casse(client, monde):
    demandeur(monde.m_a2, prenom="Élodie", nom="Lefèvre")
    client.force_login(monde.agent)
    assert refs(client.get(LISTE, {"q": "elodie"})) == {monde.m_a2.reference}
    assert refs(client.get(LISTE, {"q": "LEFEVRE élodie"})) == {monde.m_a2.reference}
    assert refs(client.get(LISTE, {"q": "élodie dupont"})) == set()


def test_recherche_par_membre_reference_nur_et_siao(client, monde):
    f.PersonneFactory(menage=monde.m_a1, nom="Zébulon", role=Personne.Role.ENFANT)
    Menage.objects.filter(pk=monde.m_a2.pk).update(nur="ABC123456", siao_id="SIAO-42")
    client.force_login(monde.agent)
    assert refs(client.get(LISTE, {"q": "zebulon"})) == {monde.m_a1.reference}
    assert refs(client.get(LISTE, {"q": monde.m_a1_sans_mesure.reference.lower()})) == {
        monde.m_a1_sans_mesure.reference
    }
    assert refs(client.get(LISTE, {"q": "abc123456"})) == {monde.m_a2.reference}
    assert refs(client.get(LISTE, {"q": "siao-42"})) == {monde.m_a2.reference}


def test_recherche_ne_sort_pas_du_perimetre(client, monde):
    demandeur(monde.m_b1, prenom="Élodie")
    client.force_login(monde.agent)
    assert refs(client.get(LISTE, {"q": "elodie"})) == set()


def test_filtre_par_epci(client, monde):
    client.force_login(monde.agent)
    reponse = client.get(LISTE, {"territoire": monde.a2.pk})
    assert refs(reponse) == {monde.m_a2.reference}
    # L'EPCI d'un autre Département n'est pas proposé : valeur ignorée, message sous le champ.
    reponse = client.get(LISTE, {"territoire": monde.b1.pk})
    assert reponse.status_code == 200
    assert "territoire" in reponse.context["form"].errors
    assert len(refs(reponse)) == 3


def test_filtre_par_statut(client, monde):
    Menage.objects.filter(pk=monde.m_a2.pk).update(statut=Menage.Statut.CLOS)
    client.force_login(monde.agent)
    assert refs(client.get(LISTE, {"statut": "clos"})) == {monde.m_a2.reference}


def test_filtre_par_type_de_mesure_ouverte(client, monde):
    avdl = TypeMesure.objects.get(code="avdl")
    f.MesureFactory(menage=monde.m_a1_sans_mesure, structure=monde.s1, type=avdl)
    client.force_login(monde.agent)
    assert refs(client.get(LISTE, {"type_mesure": avdl.pk})) == {monde.m_a1_sans_mesure.reference}


def test_filtre_par_structure(client, monde):
    client.force_login(monde.agent)
    assert refs(client.get(LISTE, {"structure": monde.s2.pk})) == {monde.m_a2.reference}


def test_filtre_par_referent(client, monde):
    monde.mesure_a2.referent = f.utilisateur(Role.REFERENT, structure=monde.s2)
    monde.mesure_a2.save()
    client.force_login(monde.agent)
    reponse = client.get(LISTE, {"referent": monde.mesure_a2.referent.pk})
    assert refs(reponse) == {monde.m_a2.reference}
    assert str(monde.mesure_a2.referent) in reponse.content.decode()


def test_filtre_par_public_prioritaire(client, monde):
    public = PublicPrioritaire.objects.get(code="refugie")
    monde.m_a1.publics_prioritaires.add(public)
    client.force_login(monde.agent)
    assert refs(client.get(LISTE, {"public": public.pk})) == {monde.m_a1.reference}


def test_filtre_par_situation_actuelle_du_demandeur(client, monde):
    hotel = TypeSituation.objects.get(code="hotel")
    f.SituationFactory(personne=monde.m_a2.demandeur_principal, type=hotel)
    # Situation passée ou d'un autre membre : ne compte pas.
    f.SituationFactory(
        personne=monde.m_a1.demandeur_principal,
        type=hotel,
        date_fin=AUJOURDHUI - dt.timedelta(days=5),
    )
    enfant = f.PersonneFactory(menage=monde.m_a1_sans_mesure, role=Personne.Role.ENFANT)
    f.SituationFactory(personne=enfant, type=hotel)
    client.force_login(monde.agent)
    reponse = client.get(LISTE, {"situation": hotel.pk})
    assert refs(reponse) == {monde.m_a2.reference}
    assert hotel.libelle in reponse.content.decode()


@pytest.mark.parametrize(
    "parametres",
    [
        {"territoire": "abc"},
        {"structure": "1 OR 1=1"},
        {"statut": "inconnu"},
        {"tri": "password"},
        {"page": "-3"},
        {"situation": "999999"},
    ],
)
def test_valeurs_de_filtre_invalides_ignorees(client, monde, parametres):
    client.force_login(monde.agent)
    reponse = client.get(LISTE, parametres)
    assert reponse.status_code == 200
    assert len(refs(reponse)) == 3


def test_tri_par_nom_du_demandeur_et_par_dernier_contact(client, monde):
    demandeur(monde.m_a1, nom="Bernard")
    demandeur(monde.m_a1_sans_mesure, nom="Émile")
    demandeur(monde.m_a2, nom="Albert")
    Menage.objects.filter(pk=monde.m_a1.pk).update(date_dernier_contact=AUJOURDHUI)
    Menage.objects.filter(pk=monde.m_a2.pk).update(
        date_dernier_contact=AUJOURDHUI - dt.timedelta(days=9)
    )
    client.force_login(monde.agent)

    def ordre(tri):
        return [m.pk for m in client.get(LISTE, {"tri": tri}).context["page"]]

    assert ordre("demandeur") == [monde.m_a2.pk, monde.m_a1.pk, monde.m_a1_sans_mesure.pk]
    assert ordre("-demandeur") == [monde.m_a1_sans_mesure.pk, monde.m_a1.pk, monde.m_a2.pk]
    # Sans dernier contact : en fin de liste dans les deux sens.
    assert ordre("-dernier_contact") == [monde.m_a1.pk, monde.m_a2.pk, monde.m_a1_sans_mesure.pk]
    assert ordre("dernier_contact") == [monde.m_a2.pk, monde.m_a1.pk, monde.m_a1_sans_mesure.pk]
    assert ordre("reference") == sorted(ordre("reference"))
    assert ordre("-creation") == sorted(ordre("creation"), reverse=True)


def test_pagination_conserve_les_filtres(client, monde):
    for _ in range(30):
        f.MenageFactory(territoire=monde.a2)
    client.force_login(monde.agent)
    reponse = client.get(LISTE, {"territoire": monde.a2.pk})
    page = reponse.context["page"]
    assert page.paginator.count == 31
    assert len(page) == 25
    assert f"territoire={monde.a2.pk}&amp;page=2" in reponse.content.decode()
    assert len(client.get(LISTE, {"territoire": monde.a2.pk, "page": 2}).context["page"]) == 6


def test_liste_en_nombre_de_requetes_constant(client, monde, django_assert_max_num_queries):
    client.force_login(monde.agent)
    with django_assert_max_num_queries(20) as petit:
        client.get(LISTE, {"q": "fictif", "statut": "actif"})
    for _ in range(12):
        menage_garni(monde.a2, monde.s2)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        reponse = client.get(LISTE, {"q": "fictif", "statut": "actif"})
    assert len(reponse.context["page"]) == 15


# --- Export -------------------------------------------------------------------------------------


def lire_csv(reponse):
    texte = reponse.content.decode("utf-8")
    assert texte.startswith("\ufeff")
    return list(csv.reader(io.StringIO(texte[1:]), delimiter=";"))


def test_export_csv_filtre_en_francais(client, monde):
    menage = monde.m_a2
    demandeur(menage, nom="=HYPERLINK(1)", date_naissance=dt.date(1980, 2, 1))
    Menage.objects.filter(pk=menage.pk).update(
        nur="NUR0000001",
        nur_date_depot=dt.date(2025, 1, 15),
        nur_date_renouvellement=dt.date(2026, 1, 15),
        syplo=True,
    )
    menage.publics_prioritaires.set(PublicPrioritaire.objects.filter(code__in=["refugie"]))
    client.force_login(monde.agent)
    reponse = client.get(EXPORT, {"format": "csv", "territoire": monde.a2.pk})
    assert reponse["Content-Type"].startswith("text/csv")
    lignes = lire_csv(reponse)
    assert lignes[0] == ENTETES_MENAGES
    assert len(lignes) == 2
    ligne = dict(zip(lignes[0], lignes[1], strict=True))
    assert ligne["Référence"] == menage.reference
    assert ligne["Nom"] == "'=HYPERLINK(1)"
    assert ligne["Date de naissance"] == "01/02/1980"
    assert ligne["Date de dépôt NUR"] == "15/01/2025"
    assert ligne["Échéance NUR"] == "15/01/2026"
    assert ligne["SYPLO"] == "oui"
    assert ligne["EPCI"] == "EPCI A2"
    assert ligne["Mesures ouvertes"] == "ASRL"
    assert ligne["Publics prioritaires"].startswith("Réfugié")


def test_export_xlsx_vraies_dates_et_nombres(client, monde):
    demandeur(monde.m_a1, date_naissance=dt.date(1990, 6, 30))
    f.PersonneFactory(menage=monde.m_a1, role=Personne.Role.ENFANT)
    client.force_login(monde.coordinateur)
    reponse = client.get(EXPORT, {"format": "xlsx", "q": monde.m_a1.reference})
    feuille = openpyxl.load_workbook(io.BytesIO(reponse.content)).active
    lignes = list(feuille.iter_rows(values_only=True))
    assert list(lignes[0]) == ENTETES_MENAGES
    # Une ligne par personne, le demandeur d'abord, les colonnes du ménage répétées.
    assert len(lignes) == 3
    demandeur_, enfant = (dict(zip(lignes[0], ligne, strict=True)) for ligne in lignes[1:])
    assert demandeur_["Date de naissance"] == dt.datetime(1990, 6, 30)
    assert demandeur_["Rôle dans le ménage"] == "Demandeur principal"
    assert enfant["Rôle dans le ménage"] == "Enfant"
    assert enfant["Référence"] == demandeur_["Référence"] == monde.m_a1.reference
    assert feuille.cell(row=2, column=ENTETES_MENAGES.index("Date de naissance") + 1).is_date


def test_export_borne_au_perimetre(client, monde):
    client.force_login(monde.referent)
    lignes = lire_csv(client.get(EXPORT))
    assert [ligne[0] for ligne in lignes[1:]] == [monde.m_a1.reference]


def test_export_en_nombre_de_requetes_constant(client, monde, django_assert_max_num_queries):
    client.force_login(monde.agent)
    with django_assert_max_num_queries(15) as petit:
        client.get(EXPORT, {"format": "xlsx"})
    for _ in range(15):
        menage_garni(monde.a2, monde.s2)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        reponse = client.get(EXPORT, {"format": "csv"})
    # Une ligne par personne : trois ménages d'une personne, quinze de trois.
    assert len(lire_csv(reponse)) == 1 + 3 + 15 * 3


# --- Création -----------------------------------------------------------------------------------


def donnees_creation(territoire, **extra):
    donnees = {
        "territoire": territoire.pk,
        "adresse": "3 rue des Essais",
        "commune": "Valmont-sur-Fiction",
        "dalo": "aucun",
        "situation": TypeSituation.objects.get(code="hotel").pk,
        "date_situation": "2025-01-10",
        "publics_prioritaires": [PublicPrioritaire.objects.get(code="monoparentale").pk],
        "personnes-TOTAL_FORMS": "3",
        "personnes-INITIAL_FORMS": "1",
        "personnes-MIN_NUM_FORMS": "0",
        "personnes-MAX_NUM_FORMS": "15",
        "personnes-0-nom": "Martin",
        "personnes-0-prenom": "Élodie",
        "personnes-0-role": "demandeur",
        "personnes-0-sexe": "F",
        "personnes-0-nationalite": "francaise",
        "personnes-0-date_naissance": "1988-04-02",
        "personnes-1-nom": "Martin",
        "personnes-1-prenom": "Noé",
        "personnes-1-role": "enfant",
        "personnes-1-sexe": "M",
        "personnes-1-nationalite": "francaise",
        "personnes-1-date_naissance": "2018-09-12",
        # Ligne laissée vide : ignorée.
        "personnes-2-sexe": "X",
        "personnes-2-nationalite": "nr",
    }
    donnees.update(extra)
    return donnees


def test_page_de_creation(client, monde):
    client.force_login(monde.coordinateur)
    reponse = client.get(CREER)
    assert reponse.status_code == 200
    # Seuls les EPCI du ressort sont proposés.
    assert list(reponse.context["form"].fields["territoire"].queryset) == [monde.a1]
    assert len(client.get(CREER, {"lignes": "x"}).context["composition"].forms) == 4
    assert len(client.get(CREER, {"lignes": "8"}).context["composition"].forms) == 8


def test_creer_un_menage_avec_ses_membres(client, monde):
    client.force_login(monde.coordinateur)
    reponse = client.post(CREER, donnees_creation(monde.a1))
    menage = Menage.objects.get(adresse="3 rue des Essais")
    assert reponse.status_code == 302
    assert reponse.url == fiche(menage)
    assert menage.territoire == monde.a1
    assert menage.cree_par == monde.coordinateur
    assert menage.personnes.count() == 2
    assert menage.demandeur_principal.prenom == "Élodie"
    assert SituationResidentielle.objects.filter(personne__menage=menage).count() == 2
    assert list(menage.publics_prioritaires.values_list("code", flat=True)) == ["monoparentale"]
    assert "est créé" in client.get(reponse.url).content.decode()


def test_creer_sans_demandeur_principal_nenregistre_rien(client, monde):
    client.force_login(monde.agent)
    reponse = client.post(CREER, donnees_creation(monde.a1, **{"personnes-0-role": "conjoint"}))
    assert reponse.status_code == 200
    assert "un et un seul demandeur principal" in reponse.content.decode()
    assert not Menage.objects.filter(adresse="3 rue des Essais").exists()
    # Ce qui a été saisi est conservé.
    assert "Élodie" in reponse.content.decode()


def test_creer_avec_deux_demandeurs_refuse(client, monde):
    client.force_login(monde.agent)
    reponse = client.post(CREER, donnees_creation(monde.a1, **{"personnes-1-role": "demandeur"}))
    assert "un et un seul demandeur principal" in reponse.content.decode()
    assert not Personne.objects.filter(prenom="Noé").exists()


def test_creer_avec_une_date_invalide_erreur_en_ligne(client, monde):
    client.force_login(monde.agent)
    reponse = client.post(
        CREER,
        donnees_creation(
            monde.a1,
            **{
                "personnes-1-date_naissance": "32/13/2020",
                "personnes-0-date_naissance": "2999-01-01",
            },
        ),
    )
    assert reponse.status_code == 200
    composition = reponse.context["composition"]
    assert "date_naissance" in composition.forms[1].errors
    assert composition.forms[0].errors["date_naissance"] == [
        "La date de naissance est dans le futur."
    ]
    assert not Menage.objects.filter(adresse="3 rue des Essais").exists()


def test_creer_dans_un_epci_d_un_autre_departement_refuse(client, monde):
    client.force_login(monde.agent)
    reponse = client.post(CREER, donnees_creation(monde.b1))
    assert reponse.status_code == 200
    assert "territoire" in reponse.context["form"].errors
    assert not Menage.objects.filter(adresse="3 rue des Essais").exists()
    assert not Personne.objects.filter(prenom="Noé").exists()


def test_creer_avec_nur_deja_porte_refuse(client, monde):
    Menage.objects.filter(pk=monde.m_a2.pk).update(nur="NUR999999")
    client.force_login(monde.agent)
    reponse = client.post(
        CREER, donnees_creation(monde.a1, nur="NUR999999", nur_date_depot="2025-01-01")
    )
    assert reponse.context["form"].errors["nur"] == ["Un ménage porte déjà ce NUR."]
    assert Menage.objects.filter(nur="NUR999999").count() == 1


def test_creer_situation_sans_date_refuse(client, monde):
    client.force_login(monde.agent)
    reponse = client.post(CREER, donnees_creation(monde.a1, date_situation=""))
    assert "date_situation" in reponse.context["form"].errors
    assert not Menage.objects.filter(adresse="3 rue des Essais").exists()


@pytest.mark.parametrize("role", ["referent", "copilote", "sans_role"])
def test_creation_reservee_aux_coordinateurs_et_agents(client, monde, role):
    client.force_login(getattr(monde, role))
    assert client.get(CREER).status_code == 403
    assert client.post(CREER, donnees_creation(monde.a1)).status_code == 403
    assert not Menage.objects.filter(adresse="3 rue des Essais").exists()


# --- Fiche --------------------------------------------------------------------------------------


def test_fiche_montre_toutes_les_sections(client, monde):
    menage = menage_garni(monde.a1, monde.s1)
    Menage.objects.filter(pk=menage.pk).update(
        nur_date_renouvellement=AUJOURDHUI + dt.timedelta(days=5)
    )
    client.force_login(monde.coordinateur)
    reponse = client.get(fiche(menage))
    assert reponse.status_code == 200
    contenu = reponse.content.decode()
    for titre in (
        "Identité et composition",
        "Situation résidentielle",
        "Ressources",
        "Publics prioritaires",
        "Demande de logement",
        "Information et libre adhésion",
        "Procédure d'expulsion",
        "Historique",
    ):
        assert f">{titre}</h2>" in contenu
    assert contenu.count("<h1") == 1
    assert "À renouveler bientôt" in contenu
    assert "30,00 €" in contenu  # total mensuel des trois ressources de 10 €
    assert "Diagnostic social et financier" in contenu
    assert "Adhésion recueillie" in contenu
    historique = reponse.context["historique"]
    assert historique == sorted(historique, key=lambda e: e.date, reverse=True)
    assert {e.categorie for e in historique} >= {
        "Situation",
        "Consentement",
        "Procédure d'expulsion",
        "Orientation",
        "Mesure",
        "Logement",
    }


def test_fiche_signale_un_nur_echu(client, monde):
    Menage.objects.filter(pk=monde.m_a1.pk).update(
        nur="NUR7777777",
        nur_date_depot=AUJOURDHUI - dt.timedelta(days=400),
        nur_date_renouvellement=AUJOURDHUI - dt.timedelta(days=35),
    )
    client.force_login(monde.coordinateur)
    assert "Échue : à renouveler" in client.get(fiche(monde.m_a1)).content.decode()


def test_fiche_d_un_autre_territoire_introuvable(client, monde):
    client.force_login(monde.coordinateur)
    assert client.get(fiche(monde.m_b1)).status_code == 404
    assert client.get(fiche(monde.m_a2)).status_code == 404
    client.force_login(monde.referent)
    assert client.get(fiche(monde.m_a1_sans_mesure)).status_code == 404
    assert client.get(fiche(monde.m_a1)).status_code == 200


def test_fiche_interdite_au_copilote(client, monde):
    client.force_login(monde.copilote)
    assert client.get(fiche(monde.m_a1)).status_code == 403


def test_fiche_en_nombre_de_requetes_constant(client, monde, django_assert_max_num_queries):
    petit = menage_garni(monde.a1, monde.s1, personnes=1)
    grand = menage_garni(monde.a1, monde.s1, personnes=8)
    for _ in range(5):
        f.OrientationFactory(menage=grand)
        f.PropositionFactory(menage=grand)
    client.force_login(monde.coordinateur)
    with django_assert_max_num_queries(30) as requetes:
        client.get(fiche(petit))
    with django_assert_max_num_queries(len(requetes.captured_queries)):
        client.get(fiche(grand))


# --- Saisies de la fiche ------------------------------------------------------------------------


def url(nom, menage):
    return reverse(f"menages:{nom}", args=[menage.pk])


def test_changer_la_situation_de_tout_le_menage(client, monde):
    enfant = f.PersonneFactory(menage=monde.m_a1, role=Personne.Role.ENFANT)
    ancienne = f.SituationFactory(personne=monde.m_a1.demandeur_principal)
    hotel = TypeSituation.objects.get(code="hotel")
    client.force_login(monde.referent)
    assert client.get(url("changer_situation", monde.m_a1)).status_code == 200
    reponse = client.post(
        url("changer_situation", monde.m_a1),
        {
            "personnes": [monde.m_a1.demandeur_principal.pk, enfant.pk],
            "type": hotel.pk,
            "date": AUJOURDHUI.isoformat(),
            "commune": "Arras",
        },
    )
    assert reponse.status_code == 302
    ancienne.refresh_from_db()
    assert ancienne.date_fin == AUJOURDHUI - dt.timedelta(days=1)
    assert SituationResidentielle.objects.filter(type=hotel, date_fin__isnull=True).count() == 2


def test_changer_situation_avant_la_situation_en_cours_refuse(client, monde):
    personne = monde.m_a1.demandeur_principal
    f.SituationFactory(personne=personne, date_debut=AUJOURDHUI - dt.timedelta(days=10))
    client.force_login(monde.coordinateur)
    reponse = client.post(
        url("changer_situation", monde.m_a1),
        {
            "personnes": [personne.pk],
            "type": TypeSituation.objects.get(code="hotel").pk,
            "date": (AUJOURDHUI - dt.timedelta(days=20)).isoformat(),
        },
    )
    assert reponse.status_code == 200
    assert "doit commencer après le" in reponse.context["form"].errors["date"][0]
    assert SituationResidentielle.objects.filter(personne=personne).count() == 1


def test_changer_situation_d_une_personne_d_un_autre_menage_refuse(client, monde):
    intrus = monde.m_a2.demandeur_principal
    client.force_login(monde.agent)
    reponse = client.post(
        url("changer_situation", monde.m_a1),
        {
            "personnes": [intrus.pk],
            "type": TypeSituation.objects.get(code="hotel").pk,
            "date": AUJOURDHUI.isoformat(),
        },
    )
    assert "personnes" in reponse.context["form"].errors
    assert not SituationResidentielle.objects.exists()


def donnees_ressources(menage, **lignes):
    existantes = list(menage.ressources.all())
    donnees = {
        "ressources-TOTAL_FORMS": str(len(existantes) + 1),
        "ressources-INITIAL_FORMS": str(len(existantes)),
        "ressources-MIN_NUM_FORMS": "0",
        "ressources-MAX_NUM_FORMS": "1000",
        # Version du ménage lue par le formulaire (éditions concurrentes).
        "menage-version": Menage.objects.get(pk=menage.pk).version,
    }
    for i, r in enumerate(existantes):
        donnees |= {
            f"ressources-{i}-id": r.pk,
            f"ressources-{i}-menage": menage.pk,
            f"ressources-{i}-type": r.type_id,
            f"ressources-{i}-montant_mensuel": str(r.montant_mensuel),
        }
    donnees |= {f"ressources-{k}": v for k, v in lignes.items()}
    return donnees


def test_ajouter_modifier_et_supprimer_des_ressources(client, monde):
    rsa = TypeRessource.objects.get(code="rsa")
    ancienne = Ressource.objects.create(menage=monde.m_a1, type=rsa, montant_mensuel=500)
    client.force_login(monde.coordinateur)
    assert client.get(url("ressources", monde.m_a1)).status_code == 200
    donnees = donnees_ressources(
        monde.m_a1,
        **{
            "0-DELETE": "on",
            "1-type": TypeRessource.objects.get(code="salaire").pk,
            "1-personne": monde.m_a1.demandeur_principal.pk,
            "1-montant_mensuel": "1234,50",
        },
    )
    # Une suppression demande confirmation : rien n'est écrit au premier envoi.
    reponse = client.post(url("ressources", monde.m_a1), donnees)
    assert reponse.status_code == 200
    assert "Confirmez la suppression" in reponse.content.decode()
    assert Ressource.objects.filter(menage=monde.m_a1).count() == 1
    reponse = client.post(url("ressources", monde.m_a1), {**donnees, "confirmer_suppression": "1"})
    assert reponse.status_code == 302
    assert not Ressource.objects.filter(pk=ancienne.pk).exists()
    nouvelle = Ressource.objects.get(menage=monde.m_a1)
    assert nouvelle.montant_mensuel == Decimal("1234.50")
    assert "1\xa0234,50 €" in client.get(fiche(monde.m_a1)).content.decode()


def test_ressource_negative_ou_d_un_autre_menage_refusee(client, monde):
    client.force_login(monde.coordinateur)
    reponse = client.post(
        url("ressources", monde.m_a1),
        donnees_ressources(
            monde.m_a1,
            **{
                "0-type": TypeRessource.objects.get(code="rsa").pk,
                "0-personne": monde.m_a2.demandeur_principal.pk,
                "0-montant_mensuel": "-5",
            },
        ),
    )
    assert reponse.status_code == 200
    erreurs = reponse.context["formset"].forms[0].errors
    assert "Le montant ne peut pas être négatif." in erreurs["montant_mensuel"][0]
    assert "personne" in erreurs
    assert not Ressource.objects.exists()


def test_ressources_en_nombre_de_requetes_constant(client, monde, django_assert_max_num_queries):
    petit = menage_garni(monde.a1, monde.s1, personnes=1)
    grand = menage_garni(monde.a1, monde.s1, personnes=8)
    client.force_login(monde.coordinateur)
    with django_assert_max_num_queries(12) as requetes:
        client.get(url("ressources", petit))
    with django_assert_max_num_queries(len(requetes.captured_queries)):
        reponse = client.get(url("ressources", grand))
    assert len(reponse.context["formset"].forms) == 9


def test_recueillir_le_consentement(client, monde):
    client.force_login(monde.referent)
    reponse = client.post(
        url("consentement", monde.m_a1),
        {"date": AUJOURDHUI.isoformat(), "adhesion": "acceptee", "information_donnee": "on"},
    )
    assert reponse.status_code == 302
    consentement = Consentement.objects.get(menage=monde.m_a1)
    assert consentement.recueilli_par == monde.referent
    assert consentement.information_donnee
    assert str(monde.referent) in client.get(fiche(monde.m_a1)).content.decode()


def test_consentement_date_future_refuse(client, monde):
    client.force_login(monde.referent)
    reponse = client.post(
        url("consentement", monde.m_a1),
        {"date": (AUJOURDHUI + dt.timedelta(days=2)).isoformat(), "adhesion": "acceptee"},
    )
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["date"] == ["La date est dans le futur."]
    assert not Consentement.objects.exists()


def donnees_modification(territoire, **extra):
    return {
        "territoire": territoire.pk,
        "commune": "Nouvelle-Commune",
        "dalo": "recours",
        "nur": "NUR5555555",
        "nur_date_depot": "2025-02-01",
        "nur_date_renouvellement": "2026-02-01",
        "version": 1,  # version du ménage lue par le formulaire (éditions concurrentes)
        **extra,
    }


def test_modifier_le_menage(client, monde):
    public = PublicPrioritaire.objects.get(code="violences")
    client.force_login(monde.agent)
    assert client.get(url("modifier", monde.m_a1)).status_code == 200
    reponse = client.post(
        url("modifier", monde.m_a1),
        donnees_modification(monde.a2, publics_prioritaires=[public.pk]),
    )
    assert reponse.status_code == 302
    monde.m_a1.refresh_from_db()
    assert monde.m_a1.territoire == monde.a2
    assert monde.m_a1.nur_date_renouvellement == dt.date(2026, 2, 1)
    assert list(monde.m_a1.publics_prioritaires.all()) == [public]


@pytest.mark.parametrize(
    ("territoire", "extra", "champ", "message"),
    [
        ("a1", {"nur_date_renouvellement": "2024-02-01"}, "nur_date_renouvellement", "précède"),
        ("b1", {}, "territoire", "Sélectionnez un choix valide"),
        ("a1", {"nur": "nur 12"}, "nur", "Le NUR ne contient que"),
    ],
)
def test_modification_invalide_nenregistre_rien(client, monde, territoire, extra, champ, message):
    client.force_login(monde.agent)
    reponse = client.post(
        url("modifier", monde.m_a1), donnees_modification(getattr(monde, territoire), **extra)
    )
    assert reponse.status_code == 200
    assert message in reponse.context["form"].errors[champ][0]
    monde.m_a1.refresh_from_db()
    assert monde.m_a1.commune != "Nouvelle-Commune"
    assert monde.m_a1.nur is None


def test_le_referent_garde_l_epci_de_son_menage(client, monde):
    client.force_login(monde.referent)
    reponse = client.get(url("modifier", monde.m_a1))
    assert list(reponse.context["form"].fields["territoire"].queryset) == [monde.a1]


@pytest.mark.parametrize("nom", ["modifier", "changer_situation", "ressources", "consentement"])
def test_saisies_bornees_au_perimetre(client, monde, nom):
    client.force_login(monde.coordinateur)
    assert client.get(url(nom, monde.m_b1)).status_code == 404
    assert client.post(url(nom, monde.m_b1), {}).status_code == 404
    client.force_login(monde.copilote)
    assert client.get(url(nom, monde.m_a1)).status_code == 403
    assert client.post(url(nom, monde.m_a1), {}).status_code == 403
