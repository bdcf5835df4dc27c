"""Aller-retour : l'export d'une liste (ménages, mesures, logements), relu par le moteur
d'import (lecture du fichier, correspondance des colonnes) puis analysé par son genre, ne
crée rien, ne change rien et ne signale aucune erreur ; une cellule modifiée donne une seule
mise à jour."""

import csv
import datetime as dt
import io

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accompagnement.models import Mesure, MotifFin, TypeMesure
from attributions.models import Contingent, Logement
from imports import correspondance, lecture
from imports.genres import GENRES
from imports.genres.base import Action, Compteurs
from journal.models import Evenement
from logement.models import Habilitation, Role, Structure
from menages.models import Menage, Personne, PublicPrioritaire, Ressource, TypeRessource
from rgpd.services import anonymiser_menages

from . import factories as f

pytestmark = pytest.mark.django_db
AUJOURDHUI = timezone.localdate()


def lignes_du_fichier(genre, contenu: bytes, nom: str):
    """Ce que le moteur donne au genre : toutes les colonnes de l'export reconnues, sauf les
    colonnes calculées, que le genre déclare et ignore."""
    tableau = lecture.lire(contenu, nom)
    rapprochements = correspondance.rapprocher(tableau, genre)
    assert not correspondance.colonnes_manquantes(genre, rapprochements)
    ignorees = {r.entete for r in rapprochements if not r.colonne}
    assert ignorees == set(genre.colonnes_informatives)
    return correspondance.extraire(tableau, rapprochements)


def exporter(client, user, route, format_, **parametres) -> bytes:
    client.force_login(user)
    reponse = client.get(reverse(route), {"format": format_, **parametres})
    assert reponse.status_code == 200
    return reponse.content


def reimporter(genre, user, contenu, format_):
    lignes = lignes_du_fichier(genre, contenu, f"export.{format_}")
    contexte = genre.contexte(user, None)
    return lignes, genre.analyser(lignes, contexte)


def sans_changement(genre, user, analyse):
    assert analyse, "l'export est vide"
    mauvaises = [
        (a.numero, a.action, a.libelle, a.erreurs) for a in analyse if a.action != Action.IGNORER
    ]
    assert not mauvaises
    avant = Evenement.objects.count()
    with transaction.atomic():
        compteurs = genre.appliquer(analyse, {}, genre.contexte(user, None))
    assert compteurs == Compteurs(crees=0, mis_a_jour=0, ignores=len(analyse))
    assert Evenement.objects.count() == avant  # rien d'écrit, rien de tracé


# --- Ménages ------------------------------------------------------------------------------------


@pytest.fixture
def menages_garnis(monde):
    """Des ménages qui exercent chaque colonne : membres sans date de naissance, titre de
    séjour, nom qui ressemble à une formule, libellés à virgule, ressources du ménage et d'un
    membre, ménage clos, anonymisé, ménage sans membre."""
    menage = monde.m_a1
    Menage.objects.filter(pk=menage.pk).update(
        adresse="3 rue des Essais",
        telephone="0600000000",
        nur="0622412000017",
        nur_date_depot=dt.date(2024, 1, 15),
        nur_date_renouvellement=dt.date(2025, 1, 15),
        siao_id="SIAO-001",
        dalo=Menage.Dalo.PRIORITAIRE,
        dalo_date_decision=dt.date(2024, 6, 1),
        syplo=True,
    )
    demandeur = menage.personnes.get()
    demandeur.nom, demandeur.sexe = "=Formule", Personne.Sexe.FEMME
    demandeur.save()
    conjoint = f.PersonneFactory(
        menage=menage,
        nom="D'Artagnan",
        prenom="Élodie",
        role=Personne.Role.CONJOINT,
        nationalite=Personne.Nationalite.HORS_UE,
        titre_sejour_fin=dt.date(2027, 3, 31),
    )
    enfant = f.PersonneFactory(
        menage=menage, nom="Fictif", prenom="Noé", role=Personne.Role.ENFANT, date_naissance=None
    )
    for personne in (demandeur, conjoint, enfant):
        f.SituationFactory(
            personne=personne, date_debut=dt.date(2023, 1, 1), date_fin=dt.date(2023, 12, 31)
        )
        f.SituationFactory(personne=personne, date_debut=dt.date(2024, 1, 1))
    menage.publics_prioritaires.set(
        PublicPrioritaire.objects.filter(code__in=["refugie", "monoparentale"])
    )
    rsa, salaire = TypeRessource.objects.get(code="rsa"), TypeRessource.objects.get(code="salaire")
    Ressource.objects.create(menage=menage, type=rsa, montant_mensuel="607.75")
    Ressource.objects.create(menage=menage, personne=conjoint, type=rsa, montant_mensuel="100")
    Ressource.objects.create(menage=menage, type=salaire, montant_mensuel="1200")
    Ressource.objects.create(
        menage=menage,
        type=salaire,
        montant_mensuel="900",
        date_debut=dt.date(2022, 1, 1),
        date_fin=dt.date(2022, 12, 31),
    )
    Menage.objects.filter(pk=monde.m_a1_sans_mesure.pk).update(statut=Menage.Statut.CLOS)
    anonyme = f.MenageFactory(territoire=monde.a2)
    f.PersonneFactory(menage=anonyme, role=Personne.Role.ENFANT)
    anonymiser_menages({anonyme.pk: None})
    f.MenageFactory(territoire=monde.a2, demandeur=False)
    return monde


@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_aller_retour_des_menages(client, menages_garnis, format_):
    monde = menages_garnis
    contenu = exporter(client, monde.agent, "menages:export", format_)
    lignes, analyse = reimporter(GENRES["menages"], monde.agent, contenu, format_)
    # Une ligne par personne : 3 pour m_a1, 1 par autre ménage, 2 pour l'anonymisé, 1 sans membre.
    assert len(lignes) == 3 + 1 + 1 + 2 + 1
    sans_changement(GENRES["menages"], monde.agent, analyse)


def test_aller_retour_d_un_export_modifie(client, menages_garnis):
    monde = menages_garnis
    contenu = exporter(client, monde.agent, "menages:export", "csv").decode("utf-8-sig")
    tableau = list(csv.reader(io.StringIO(contenu), delimiter=";"))
    entetes = tableau[0]
    for ligne in tableau[1:]:
        if ligne[entetes.index("Référence")] == monde.m_a1.reference:
            ligne[entetes.index("DALO")] = "Recours rejeté"
    ecrit = io.StringIO()
    csv.writer(ecrit, delimiter=";").writerows(tableau)
    _, analyse = reimporter(GENRES["menages"], monde.agent, ecrit.getvalue().encode(), "csv")
    changees = [a for a in analyse if a.action != Action.IGNORER]
    assert [(a.action, "DALO" in a.libelle) for a in changees] == [(Action.METTRE_A_JOUR, True)]
    with transaction.atomic():
        compteurs = GENRES["menages"].appliquer(
            analyse, {}, GENRES["menages"].contexte(monde.agent, None)
        )
    assert compteurs.mis_a_jour == 1 and compteurs.crees == 0
    monde.m_a1.refresh_from_db()
    assert monde.m_a1.dalo == Menage.Dalo.REJETE


def test_aller_retour_du_referent(client, menages_garnis):
    # Le référent ré-importe l'export de ses ménages : il ne peut rien créer, rien ne l'exige.
    monde = menages_garnis
    contenu = exporter(client, monde.referent, "menages:export", "xlsx")
    _, analyse = reimporter(GENRES["menages"], monde.referent, contenu, "xlsx")
    assert {a.libelle.split("— ")[-1] for a in analyse} == {
        f"ménage {monde.m_a1.reference}, déjà à jour"
    }
    sans_changement(GENRES["menages"], monde.referent, analyse)


# --- Mesures ------------------------------------------------------------------------------------


@pytest.fixture
def mesures_garnies(monde):
    monde.mesure_a1.referent = monde.referent
    monde.mesure_a1.save()
    parti = f.utilisateur(Role.REFERENT, structure=monde.s2, username="parti")
    Mesure.objects.create(
        menage=monde.m_a1_sans_mesure,
        type=TypeMesure.objects.get(code="aml"),
        territoire=monde.a1,
        structure=monde.s2,
        referent=parti,
        statut=Mesure.Statut.TERMINEE,
        date_proposition=dt.date(2023, 1, 2),
        date_debut=dt.date(2023, 1, 10),
        date_fin_prevue=dt.date(2023, 7, 10),
        date_fin=dt.date(2023, 9, 30),
        motif_fin=MotifFin.objects.get(code="acces_logement"),
        destination=Mesure.Destination.PARC_PRIVE,
        date_entree_logement=dt.date(2023, 9, 15),
    )
    # Le référent a quitté la structure depuis : l'export le nomme, l'import le garde.
    Habilitation.objects.filter(user=parti).update(date_fin=AUJOURDHUI - dt.timedelta(days=1))
    Mesure.objects.create(
        menage=monde.m_a1_sans_mesure,
        type=TypeMesure.objects.get(code="avdl"),
        territoire=monde.a1,
        structure=monde.s1,
        statut=Mesure.Statut.PROPOSEE,
        date_proposition=AUJOURDHUI - dt.timedelta(days=3),
    )
    return monde


@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_aller_retour_des_mesures(client, mesures_garnies, format_):
    monde = mesures_garnies
    contenu = exporter(client, monde.agent, "accompagnement:mesures_export", format_)
    lignes, analyse = reimporter(GENRES["mesures"], monde.agent, contenu, format_)
    assert len(lignes) == Mesure.objects.visible_to(monde.agent).count() == 4
    sans_changement(GENRES["mesures"], monde.agent, analyse)


def test_export_des_mesures_borne_au_perimetre(client, mesures_garnies):
    monde = mesures_garnies
    contenu = exporter(client, monde.coordinateur, "accompagnement:mesures_export", "csv")
    lignes = list(csv.reader(io.StringIO(contenu.decode("utf-8-sig")), delimiter=";"))
    references = {ligne[0] for ligne in lignes[1:]}
    assert references == {monde.m_a1.reference, monde.m_a1_sans_mesure.reference}
    assert Evenement.objects.filter(
        action=Evenement.Action.EXPORT, details__liste="mesures"
    ).exists()
    client.force_login(monde.copilote)
    assert client.get(reverse("accompagnement:mesures_export")).status_code == 403


# --- Logements ----------------------------------------------------------------------------------


@pytest.fixture
def logements_garnis(monde):
    bailleur = f.StructureFactory(
        nom="Habitat fictif", type=Structure.Type.BAILLEUR, territoire=monde.d1
    )
    f.LogementFactory(
        territoire=monde.a1,
        reference="LOG-SOC",
        type_bailleur=Logement.TypeBailleur.SOCIAL,
        bailleur=bailleur,
        captation=Logement.Captation.PARC_SOCIAL,
        contingent=Contingent.objects.get(code="prefectoral"),
        qpv=True,
        surface="45.5",
        loyer="380.25",
        charges="0",
        code_postal="01000",
    )
    f.LogementFactory(
        territoire=monde.a2,
        reference="=LOG-FORMULE",
        typologie=Logement.Typologie.T6,
        date_retrait=AUJOURDHUI,
    )
    f.LogementFactory(territoire=monde.b1, reference="LOG-AILLEURS")
    return monde


@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_aller_retour_des_logements(client, logements_garnis, format_):
    monde = logements_garnis
    contenu = exporter(client, monde.agent, "attributions:logements_export", format_)
    lignes, analyse = reimporter(GENRES["logements"], monde.agent, contenu, format_)
    assert len(lignes) == 2  # LOG-AILLEURS est dans l'autre Département
    sans_changement(GENRES["logements"], monde.agent, analyse)


def test_export_des_logements_suit_les_filtres(client, logements_garnis):
    monde = logements_garnis
    contenu = exporter(client, monde.agent, "attributions:logements_export", "csv", q="SOC")
    lignes = list(csv.reader(io.StringIO(contenu.decode("utf-8-sig")), delimiter=";"))
    assert [ligne[0] for ligne in lignes[1:]] == ["LOG-SOC"]
    export = Evenement.objects.get(action=Evenement.Action.EXPORT, details__liste="logements")
    assert export.details["filtres"] == {"q": ["SOC"]} and export.details["lignes"] == 1
    # Le bouton de la liste garde les filtres.
    page = client.get(reverse("attributions:logements"), {"q": "SOC"}).content.decode()
    assert reverse("attributions:logements_export") + "?q=SOC&amp;format=xlsx" in page


def test_export_des_logements_borne_au_perimetre(client, logements_garnis):
    monde = logements_garnis
    client.force_login(monde.copilote)
    assert client.get(reverse("attributions:logements_export")).status_code == 403
    # Le référent ne voit que les logements proposés aux ménages qu'il suit.
    proposition = f.PropositionFactory(menage=monde.m_a1)
    contenu = exporter(client, monde.referent, "attributions:logements_export", "csv")
    lignes = list(csv.reader(io.StringIO(contenu.decode("utf-8-sig")), delimiter=";"))
    assert [ligne[0] for ligne in lignes[1:]] == [proposition.logement.reference]
    # Une requête forgée ne fait ni erreur ni fuite.
    client.force_login(monde.coordinateur)
    reponse = client.get(reverse("attributions:logements_export") + "?q=%00&epci=abc&format=%00")
    assert reponse.status_code == 200
    assert "LOG-AILLEURS" not in reponse.content.decode("utf-8-sig")
