"""Conservation : anonymisation des ménages sans contact depuis la durée réglée (essai à blanc,
commande, tâche, page de l'agent départemental), irréversible, sans toucher aux bilans ni
laisser de valeur personnelle dans le journal."""

import copy
import datetime as dt
import io
import itertools
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accompagnement.models import (
    ActionProjet,
    DomaineAccompagnement,
    Mesure,
    MotifFin,
    ObjectifProjet,
    ProjetAccompagnement,
    Rencontre,
)
from bilans.calcul import calculer_donnees
from journal.models import Evenement
from logement.models import Role
from menages.models import (
    Consentement,
    Menage,
    Personne,
    ProcedureExpulsion,
    PublicPrioritaire,
    Ressource,
    SituationResidentielle,
    TypeRessource,
)
from rgpd import selectors, services, tasks

from . import factories as f
from .bilans_jeu import construire_jeu

pytestmark = pytest.mark.django_db
AUJOURDHUI = timezone.localdate()
J = dt.timedelta(days=1)
NUMEROS = itertools.count(999001)


def connecte(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def vieillir(menage, jours: int):
    """Fait comme si le dossier avait été créé il y a `jours` jours."""
    Menage.objects.filter(pk=menage.pk).update(cree_le=timezone.now() - dt.timedelta(days=jours))


def menage_complet(territoire, structure, referent):
    """Un ménage qui a tout : coordonnées, membres, situations, ressources, adhésion, mesure
    terminée avec projet et rencontre, procédure close, proposition ; tout daté d'il y a 800 j."""
    il_y_a = AUJOURDHUI - 800 * J
    numero = next(NUMEROS)
    menage = f.MenageFactory(
        territoire=territoire,
        adresse="12 rue des Fictions",
        commune="Valmont-sur-Fiction",
        telephone="0600000099",
        nur=f"NUR{numero}",
        nur_date_depot=il_y_a - 100 * J,
        siao_id=f"SIAO-{numero}",
        demandeur=False,
    )
    menage.publics_prioritaires.add(PublicPrioritaire.objects.get(code="violences"))
    demandeur = f.PersonneFactory(
        menage=menage,
        nom="Zéphyrin",
        prenom="Aurélie",
        role=Personne.Role.DEMANDEUR,
        date_naissance=dt.date(1990, 4, 2),
        nationalite=Personne.Nationalite.HORS_UE,
        titre_sejour_fin=AUJOURDHUI + 100 * J,
    )
    f.PersonneFactory(menage=menage, nom="Zéphyrin", prenom="Noé", role=Personne.Role.ENFANT)
    f.SituationFactory(
        personne=demandeur,
        date_debut=il_y_a - 300 * J,
        commune="Valmont-sur-Fiction",
        commentaire="Hébergée chez sa sœur Odile",
    )
    Ressource.objects.create(menage=menage, type=TypeRessource.objects.first(), montant_mensuel=640)
    Consentement.objects.create(
        menage=menage,
        date=il_y_a,
        adhesion=Consentement.Adhesion.ACCEPTEE,
        recueilli_par=referent,
        commentaire="Accord donné en présence de l'interprète",
    )
    mesure = f.MesureFactory(
        menage=menage,
        structure=structure,
        statut=Mesure.Statut.TERMINEE,
        date_proposition=il_y_a - 200 * J,
        date_debut=il_y_a - 190 * J,
        date_fin_prevue=il_y_a,
        date_fin=il_y_a,
        motif_fin=MotifFin.objects.filter(acces_logement=False).first(),
    )
    projet = ProjetAccompagnement.objects.create(
        mesure=mesure, date_elaboration=il_y_a - 180 * J, diagnostic="Violences conjugales"
    )
    objectif = ObjectifProjet.objects.create(
        projet=projet,
        domaine=DomaineAccompagnement.objects.get(code="sante"),
        intitule="Suivi psychologique d'Aurélie",
    )
    ActionProjet.objects.create(objectif=objectif, intitule="Rendez-vous au CMP")
    f.RencontreFactory(
        menage=menage,
        mesure=mesure,
        date=il_y_a - 10 * J,
        note="Aurélie évoque son ex-conjoint",
        structure=structure,
    )
    ProcedureExpulsion.objects.create(
        menage=menage,
        date_signalement=il_y_a - 150 * J,
        bailleur="M. Propriétaire",
        issue=ProcedureExpulsion.Issue.MAINTIEN,
        date_cloture=il_y_a - 20 * J,
    )
    f.PropositionFactory(
        menage=menage,
        date_proposition=il_y_a - 60 * J,
        date_classement=il_y_a - 50 * J,
        motif_classement="Attribué à la famille Durand",
    )
    Menage.objects.filter(pk=menage.pk).update(date_dernier_contact=il_y_a - 10 * J)
    vieillir(menage, 1200)
    menage.refresh_from_db()
    return menage


@pytest.fixture
def complet(monde):
    return menage_complet(monde.a1, monde.s1, monde.referent)


# --- Qui est expiré -----------------------------------------------------------------------------


def test_dernier_contact_le_plus_recent_de_toutes_les_activites(complet):
    m = selectors.avec_dernier_contact(Menage.objects.filter(pk=complet.pk)).get()
    # Rencontre et dernier contact saisi : il y a 810 j ; fin de mesure : 800 j.
    assert m.dernier_contact == AUJOURDHUI - 800 * J
    assert selectors.source_du_dernier_contact(m) == "mesure (proposition, début ou fin)"


def test_essai_a_blanc_liste_sans_rien_ecrire(monde, complet):
    avant = Personne.objects.get(menage=complet, role="demandeur")
    lignes = services.anonymiser_menages_expires(essai=True)
    assert [ligne.reference for ligne in lignes] == [complet.reference]
    ligne = lignes[0]
    assert ligne.dernier_contact == AUJOURDHUI - 800 * J
    assert "Dernier contact le" in ligne.motif and "mesure" in ligne.motif
    complet.refresh_from_db()
    assert complet.statut == Menage.Statut.ACTIF and complet.telephone == "0600000099"
    assert Personne.objects.get(pk=avant.pk).nom == "Zéphyrin"
    assert not Evenement.objects.filter(action="anonymisation").exists()


def test_le_monde_daujourdhui_na_rien_a_anonymiser(monde):
    assert services.anonymiser_menages_expires(essai=True) == []


@pytest.mark.parametrize(
    "protection",
    ["mesure_ouverte", "procedure_en_cours", "orientation_en_attente", "rencontre_recente"],
)
def test_ce_qui_retient_un_menage(monde, complet, protection):
    if protection == "mesure_ouverte":
        f.MesureFactory(
            menage=complet,
            structure=monde.s1,
            statut=Mesure.Statut.PROPOSEE,
            date_proposition=AUJOURDHUI - 900 * J,
            date_debut=None,
            date_fin_prevue=None,
        )
    elif protection == "procedure_en_cours":
        ProcedureExpulsion.objects.create(menage=complet, date_signalement=AUJOURDHUI - 900 * J)
    elif protection == "orientation_en_attente":
        f.OrientationFactory(menage=complet, date_orientation=AUJOURDHUI - 900 * J)
    else:
        f.RencontreFactory(menage=complet, date=AUJOURDHUI - 30 * J)
    assert services.anonymiser_menages_expires(essai=True) == []
    assert services.anonymiser_menages_expires() == []


def test_duree_reglable(monde, complet, settings):
    settings.LOGEMENT = {**settings.LOGEMENT, "CONSERVATION_JOURS": 1000}
    assert services.anonymiser_menages_expires(essai=True) == []


def test_un_contact_survenu_entre_la_liste_et_lecriture_sauve_le_menage(monde, complet):
    f.RencontreFactory(menage=complet, date=AUJOURDHUI)
    assert services.anonymiser_si_expires([complet.pk]) == []
    complet.refresh_from_db()
    assert complet.statut == Menage.Statut.ACTIF


# --- L'anonymisation ----------------------------------------------------------------------------


def test_anonymisation_efface_les_donnees_personnelles_et_garde_le_reste(monde, complet):
    mesure = complet.mesures.get()
    situation = SituationResidentielle.objects.get(personne__menage=complet)
    faites = services.anonymiser_menages_expires()
    assert [ligne.reference for ligne in faites] == [complet.reference]

    complet.refresh_from_db()
    assert complet.statut == Menage.Statut.ANONYMISE
    assert (complet.adresse, complet.commune, complet.telephone) == ("", "", "")
    assert (complet.nur, complet.siao_id, complet.nur_date_depot) == (None, None, None)
    for p in complet.personnes.all():
        assert (p.nom, p.prenom, p.nom_normalise) == ("Anonyme", "Anonyme", "anonyme anonyme")
        assert p.date_naissance is None and p.titre_sejour_fin is None
        assert p.nationalite == Personne.Nationalite.NON_RENSEIGNEE
    situation_apres = SituationResidentielle.objects.get(pk=situation.pk)
    assert (situation_apres.commune, situation_apres.commentaire) == ("", "")
    assert not Ressource.objects.filter(menage=complet).exists()
    assert Consentement.objects.get(menage=complet).commentaire == ""
    assert Rencontre.objects.get(menage=complet).note == ""
    assert ProjetAccompagnement.objects.get(mesure__menage=complet).diagnostic == ""
    assert ObjectifProjet.objects.get(projet__mesure__menage=complet).intitule == "[anonymisé]"
    assert ProcedureExpulsion.objects.get(menage=complet).bailleur == ""
    assert complet.propositions.get().motif_classement == ""

    # Ce qui sert aux bilans reste.
    mesure_apres = Mesure.objects.get(pk=mesure.pk)
    for champ in ("type_id", "date_debut", "date_fin", "motif_fin_id", "structure_id"):
        assert getattr(mesure_apres, champ) == getattr(mesure, champ)
    assert (situation_apres.type_id, situation_apres.date_debut) == (
        situation.type_id,
        situation.date_debut,
    )
    assert list(complet.publics_prioritaires.values_list("code", flat=True)) == ["violences"]
    assert complet.territoire == monde.a1
    assert complet.personnes.count() == 2
    assert ProcedureExpulsion.objects.get(menage=complet).issue == "maintien"

    # Une seconde passe n'y revient pas.
    assert services.anonymiser_menages_expires(essai=True) == []


def test_aucune_valeur_personnelle_ne_survit_dans_le_journal(monde, complet):
    evenements = Evenement.objects.filter(menage_id=complet.pk)
    nur = complet.nur
    assert "Zéphyrin" in json.dumps(list(evenements.values("changements")), ensure_ascii=False)

    services.anonymiser_menages_expires()

    contenu = json.dumps(
        list(evenements.values("changements", "objet_repr", "details")),
        ensure_ascii=False,
        default=str,
    )
    for valeur in (
        "Zéphyrin",
        "Aurélie",
        "12 rue des Fictions",
        "0600000099",
        nur,
        "1990-04-02",
        "Odile",
        "interprète",
    ):
        assert valeur not in contenu, valeur
    trace = evenements.get(action="anonymisation")
    assert trace.details["dernier_contact"] == (AUJOURDHUI - 800 * J).isoformat()
    assert trace.auteur is None and trace.details.get("origine")


def test_les_bilans_donnent_les_memes_chiffres_avant_et_apres(db):
    jeu = construire_jeu()
    periodes = [("departement", jeu.d, dt.date(2025, 1, 1), dt.date(2025, 12, 31))]
    periodes.append(("departement", jeu.d, dt.date(2024, 1, 1), dt.date(2024, 12, 31)))

    def chiffres():
        resultats = []
        for audience, territoire, debut, fin in periodes:
            donnees = copy.deepcopy(calculer_donnees(territoire, audience, debut, fin))
            donnees.pop("genere_le")
            resultats.append(donnees)
        return resultats

    avant = chiffres()
    # En 2031, les ménages du jeu sans mesure ouverte ni procédure en cours ont tous dépassé
    # les deux ans sans contact.
    faites = services.anonymiser_menages_expires(dt.date(2031, 1, 1))
    assert len(faites) >= 4
    assert Personne.objects.filter(nom="Anonyme").exists()
    assert chiffres() == avant


# --- Commande, tâche, page ----------------------------------------------------------------------


def test_commande_essai_puis_anonymisation(monde, complet):
    sortie = io.StringIO()
    call_command("anonymiser", "--essai", stdout=sortie)
    assert complet.reference in sortie.getvalue()
    assert "Essai à blanc : 1 ménage(s)" in sortie.getvalue()
    complet.refresh_from_db()
    assert complet.statut == Menage.Statut.ACTIF

    sortie = io.StringIO()
    call_command("anonymiser", stdout=sortie)
    assert "1 ménage(s) anonymisé(s)" in sortie.getvalue()
    complet.refresh_from_db()
    assert complet.statut == Menage.Statut.ANONYMISE


def test_tache_planifiee(monde, complet, taches_eager, settings):
    planifiees = {t["task"] for t in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "rgpd.tasks.anonymiser_menages_expires" in planifiees
    assert tasks.anonymiser_menages_expires.delay().get() == 1
    complet.refresh_from_db()
    assert complet.statut == Menage.Statut.ANONYMISE


def test_page_de_lagent_limitee_a_son_departement(monde, complet):
    autre = menage_complet(monde.b1, monde.s3, monde.referent)
    url = reverse("rgpd:anonymisation")
    reponse = connecte(monde.agent).get(url)
    assert reponse.status_code == 200
    contenu = reponse.content.decode()
    assert complet.reference in contenu and autre.reference not in contenu
    assert (AUJOURDHUI - 800 * J).strftime("%d/%m/%Y") in contenu
    contenu_admin = connecte(monde.administrateur).get(url).content.decode()
    assert complet.reference in contenu_admin and autre.reference in contenu_admin
    # La page n'écrit rien.
    complet.refresh_from_db()
    assert complet.statut == Menage.Statut.ACTIF


@pytest.mark.parametrize("role", ["referent", "coordinateur", "copilote", "sans_role"])
def test_page_reservee_aux_agents_departementaux(monde, role):
    assert connecte(getattr(monde, role)).get(reverse("rgpd:anonymisation")).status_code == 403


def test_agent_qui_est_aussi_referent_ne_voit_que_son_departement(monde, complet):
    autre = menage_complet(monde.b1, monde.s3, monde.referent)
    f.HabilitationFactory(user=monde.agent, role=Role.REFERENT, structure=monde.s3)
    contenu = connecte(monde.agent).get(reverse("rgpd:anonymisation")).content.decode()
    assert complet.reference in contenu and autre.reference not in contenu


def test_par_lots(monde, complet, monkeypatch):
    autre = menage_complet(monde.a2, monde.s2, monde.referent)
    monkeypatch.setattr(services, "LOT", 1)
    faites = services.anonymiser_menages_expires()
    assert {ligne.reference for ligne in faites} == {complet.reference, autre.reference}
    assert Evenement.objects.filter(action="anonymisation").count() == 2
    assert not Personne.objects.filter(nom="Zéphyrin").exists()
