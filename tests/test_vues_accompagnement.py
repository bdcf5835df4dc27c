"""Pages de l'accompagnement : orientations et décisions, mesures, projet, rencontres, file
active du référent — parcours nominal, cloisonnement, saisies refusées, requêtes bornées."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory
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
    Rencontre,
    RevisionProjet,
    TypeMesure,
)
from logement.models import Role
from menages.models import SituationResidentielle

from . import factories as f

pytestmark = pytest.mark.django_db
AUJOURDHUI = timezone.localdate()
J = dt.timedelta(days=1)


def url(nom, *args):
    return reverse(f"accompagnement:{nom}", args=args)


def contenu(reponse) -> str:
    return reponse.content.decode()


@pytest.fixture
def orientation(monde):
    return f.OrientationFactory(
        menage=monde.m_a1_sans_mesure,
        plateforme=monde.p1,
        type_mesure_preconisee=TypeMesure.objects.get(code="avdl"),
    )


@pytest.fixture
def referent_s1_bis(monde):
    return f.utilisateur(Role.REFERENT, structure=monde.s1, username="referent_bis")


def ouverture(monde, referent, **autres):
    return {
        "type_mesure": TypeMesure.objects.get(code="avdl").pk,
        "structure": monde.s1.pk,
        "referent": referent.pk,
        "date_debut": AUJOURDHUI.isoformat(),
        **autres,
    }


# --- Boîte des orientations ---------------------------------------------------------------------


def test_boite_des_orientations_les_plus_anciennes_dabord_avec_leur_age(client, monde):
    recente = f.OrientationFactory(menage=monde.m_a1, plateforme=monde.p1)
    ancienne = f.OrientationFactory(
        menage=monde.m_a1_sans_mesure,
        plateforme=monde.p1,
        date_orientation=AUJOURDHUI - 30 * J,
        prescripteur="Mme Fictive, assistante sociale",
    )
    client.force_login(monde.coordinateur)
    reponse = client.get(url("orientations"))
    assert reponse.status_code == 200
    assert list(reponse.context["page"].object_list) == [ancienne, recente]
    html = contenu(reponse)
    assert "30 jours" in html and "Plus de 15 jours" in html
    assert html.count("Plus de 15 jours") == 1
    assert reverse("menages:fiche", args=[monde.m_a1.pk]) in html
    assert "Mme Fictive, assistante sociale" in html


def test_boite_des_orientations_filtre_les_decidees_et_la_plateforme(client, monde):
    en_attente = f.OrientationFactory(menage=monde.m_a1, plateforme=monde.p1)
    decidee = f.OrientationFactory(
        menage=monde.m_a2,
        plateforme=monde.p2,
        statut=Orientation.Statut.REFUSEE,
        date_decision=AUJOURDHUI,
        motif_decision="Hors critères",
    )
    client.force_login(monde.agent)
    page = client.get(url("orientations"), {"statut": "decidees"}).context["page"]
    assert list(page.object_list) == [decidee]
    page = client.get(url("orientations"), {"plateforme": monde.p2.pk}).context["page"]
    assert list(page.object_list) == []
    page = client.get(url("orientations"), {"plateforme": monde.p1.pk}).context["page"]
    assert list(page.object_list) == [en_attente]


def test_coordinateur_ne_voit_pas_les_orientations_dun_autre_territoire(client, monde):
    ailleurs = f.OrientationFactory(menage=monde.m_b1, plateforme=monde.q1)
    client.force_login(monde.coordinateur)
    assert ailleurs not in client.get(url("orientations")).context["page"].object_list
    assert client.get(url("orientation_accepter", ailleurs.pk)).status_code == 404
    assert client.post(url("orientation_refuser", ailleurs.pk), {"motif": "x"}).status_code == 404


@pytest.mark.parametrize("role", ["referent", "copilote", "sans_role"])
def test_boite_et_decisions_reservees_aux_decideurs(client, monde, orientation, role):
    client.force_login(getattr(monde, role))
    assert client.get(url("orientations")).status_code == 403
    assert client.get(url("orientation_accepter", orientation.pk)).status_code == 403
    assert client.get(url("mesure_ouvrir", monde.m_a1.pk)).status_code == 403


# --- Saisir une orientation ---------------------------------------------------------------------


def test_coordinateur_enregistre_une_orientation(client, monde):
    client.force_login(monde.coordinateur)
    menage = monde.m_a1_sans_mesure
    assert client.get(url("orientation_creer", menage.pk)).status_code == 200
    reponse = client.post(
        url("orientation_creer", menage.pk),
        {
            "plateforme": monde.p1.pk,
            "date_orientation": AUJOURDHUI.isoformat(),
            "origine": f.reference(f.OrigineOrientation, "ccas").pk,
            "structure_prescriptrice": monde.s2.pk,
            "prescripteur": "M. Fictif, CCAS",
            "motif": "Expulsion imminente.",
            "type_mesure_preconisee": TypeMesure.objects.get(code="asll").pk,
        },
    )
    assert reponse.status_code == 302
    assert reponse.url == reverse("menages:fiche", args=[menage.pk])
    orientation = Orientation.objects.get(menage=menage)
    assert orientation.statut == Orientation.Statut.EN_ATTENTE
    assert orientation.structure_prescriptrice == monde.s2


def test_orientation_vers_une_plateforme_qui_ne_couvre_pas_le_menage_refusee(client, monde):
    client.force_login(monde.agent)
    reponse = client.post(
        url("orientation_creer", monde.m_a1.pk),
        {
            "plateforme": monde.p2.pk,  # couvre A2, pas A1
            "date_orientation": AUJOURDHUI.isoformat(),
            "origine": f.reference(f.OrigineOrientation, "siao").pk,
            "motif": "Sortie de CHRS.",
        },
    )
    assert reponse.status_code == 200
    assert "Sélectionnez un choix valide" in contenu(reponse)
    assert not Orientation.objects.exists()


# --- Décisions ----------------------------------------------------------------------------------


def test_accepter_ouvre_une_mesure_liee_a_lorientation(client, monde, orientation, referent_s1_bis):
    client.force_login(monde.coordinateur)
    formulaire = client.get(url("orientation_accepter", orientation.pk))
    assert (
        formulaire.context["form"]["type_mesure"].value() == orientation.type_mesure_preconisee_id
    )
    donnees = ouverture(monde, referent_s1_bis)
    confirmation = client.post(url("orientation_accepter", orientation.pk), donnees)
    assert confirmation.status_code == 200
    assert "Confirmer" in contenu(confirmation)
    assert not Mesure.objects.filter(orientation=orientation).exists()  # rien avant confirmation

    reponse = client.post(
        url("orientation_accepter", orientation.pk), {**donnees, "confirmer": "1"}
    )
    assert reponse.status_code == 302
    orientation.refresh_from_db()
    assert orientation.statut == Orientation.Statut.ACCEPTEE
    assert orientation.date_decision == AUJOURDHUI
    assert orientation.decision_par == monde.coordinateur
    mesure = Mesure.objects.get(orientation=orientation)
    assert mesure.menage == orientation.menage
    assert mesure.statut == Mesure.Statut.EN_COURS
    assert (mesure.structure, mesure.referent) == (monde.s1, referent_s1_bis)


def test_accepter_en_proposant_seulement_la_mesure(client, monde, orientation):
    client.force_login(monde.agent)
    donnees = {**ouverture(monde, monde.referent), "date_debut": "", "confirmer": "1"}
    client.post(url("orientation_accepter", orientation.pk), donnees)
    mesure = Mesure.objects.get(orientation=orientation)
    assert mesure.statut == Mesure.Statut.PROPOSEE
    assert mesure.date_debut is None


def test_convention_complete_avertit_sans_bloquer(client, monde, orientation):
    avdl = TypeMesure.objects.get(code="avdl")
    convention = f.ConventionFactory(structure=monde.s1, type_mesure=avdl, nombre_mesures=1)
    f.MesureFactory(menage=monde.m_a1, structure=monde.s1, type=avdl, convention=convention)
    client.force_login(monde.coordinateur)
    donnees = ouverture(monde, monde.referent)
    confirmation = contenu(client.post(url("orientation_accepter", orientation.pk), donnees))
    assert "est complète : 1 mesures ouvertes pour 1 financées" in confirmation
    client.post(url("orientation_accepter", orientation.pk), {**donnees, "confirmer": "1"})
    assert Mesure.objects.get(orientation=orientation).convention == convention


def test_pas_davertissement_quand_la_convention_a_de_la_place(client, monde, orientation):
    f.ConventionFactory(
        structure=monde.s1, type_mesure=TypeMesure.objects.get(code="avdl"), nombre_mesures=5
    )
    client.force_login(monde.coordinateur)
    reponse = client.post(
        url("orientation_accepter", orientation.pk), ouverture(monde, monde.referent)
    )
    assert reponse.context["avertissement"] is None


def test_une_orientation_decidee_ne_se_decide_pas_deux_fois(client, monde, orientation):
    client.force_login(monde.coordinateur)
    client.post(
        url("orientation_refuser", orientation.pk), {"motif": "Hors critères", "confirmer": "1"}
    )
    orientation.refresh_from_db()
    assert orientation.statut == Orientation.Statut.REFUSEE
    reponse = client.post(
        url("orientation_accepter", orientation.pk),
        {**ouverture(monde, monde.referent), "confirmer": "1"},
    )
    assert reponse.status_code == 409
    assert "déjà été décidée" in contenu(reponse)
    assert not Mesure.objects.filter(menage=orientation.menage).exists()
    orientation.refresh_from_db()
    assert orientation.statut == Orientation.Statut.REFUSEE


def test_refus_sans_motif_erreur_en_ligne(client, monde, orientation):
    client.force_login(monde.coordinateur)
    reponse = client.post(
        url("orientation_refuser", orientation.pk), {"motif": "", "confirmer": "1"}
    )
    assert reponse.status_code == 200
    assert "Ce champ est obligatoire" in contenu(reponse)
    orientation.refresh_from_db()
    assert orientation.statut == Orientation.Statut.EN_ATTENTE


def test_refus_avec_confirmation(client, monde, orientation):
    client.force_login(monde.coordinateur)
    confirmation = client.post(
        url("orientation_refuser", orientation.pk), {"motif": "Hors critères"}
    )
    assert "Hors critères" in contenu(confirmation)
    orientation.refresh_from_db()
    assert orientation.statut == Orientation.Statut.EN_ATTENTE
    modifier = client.post(
        url("orientation_refuser", orientation.pk), {"motif": "Hors critères", "modifier": "1"}
    )
    assert modifier.templates[0].name == "accompagnement/formulaire.html"
    client.post(
        url("orientation_refuser", orientation.pk), {"motif": "Hors critères", "confirmer": "1"}
    )
    orientation.refresh_from_db()
    assert (orientation.statut, orientation.motif_decision) == (
        Orientation.Statut.REFUSEE,
        "Hors critères",
    )


def test_reorienter_exige_la_destination(client, monde, orientation):
    client.force_login(monde.coordinateur)
    page = url("orientation_rediriger", orientation.pk)
    reponse = client.post(page, {"motif": "Relève du droit commun", "confirmer": "1"})
    assert "Ce champ est obligatoire" in contenu(reponse)
    client.post(
        page, {"motif": "Relève du droit commun", "redirigee_vers": "CCAS", "confirmer": "1"}
    )
    orientation.refresh_from_db()
    assert orientation.statut == Orientation.Statut.REDIRIGEE
    assert orientation.redirigee_vers == "CCAS"


def test_structure_et_referent_falsifies_refuses_sans_rien_ecrire(client, monde, orientation):
    referent_ailleurs = f.utilisateur(Role.REFERENT, structure=monde.s3)
    referent_s2 = f.utilisateur(Role.REFERENT, structure=monde.s2)
    client.force_login(monde.coordinateur)
    page = url("orientation_accepter", orientation.pk)
    # Structure d'un autre Département : hors des choix proposés.
    reponse = client.post(
        page, {**ouverture(monde, monde.referent, structure=monde.s3.pk), "confirmer": "1"}
    )
    assert reponse.context["form"].errors["structure"]
    # Référent d'un autre Département : hors des choix proposés.
    reponse = client.post(page, {**ouverture(monde, referent_ailleurs), "confirmer": "1"})
    assert reponse.context["form"].errors["referent"]
    # Référent d'une autre structure que celle choisie.
    reponse = client.post(page, {**ouverture(monde, referent_s2), "confirmer": "1"})
    assert reponse.context["form"].errors["referent"] == [
        "Ce référent n'est pas habilité dans la structure choisie."
    ]
    orientation.refresh_from_db()
    assert orientation.statut == Orientation.Statut.EN_ATTENTE
    assert not Mesure.objects.filter(menage=orientation.menage).exists()


def test_erreur_du_service_revient_sur_le_formulaire(client, monde, orientation):
    # Une mesure du même type déjà ouverte : le modèle refuse, la décision n'est pas prise.
    f.MesureFactory(
        menage=orientation.menage, structure=monde.s1, type=TypeMesure.objects.get(code="avdl")
    )
    client.force_login(monde.coordinateur)
    reponse = client.post(
        url("orientation_accepter", orientation.pk),
        {**ouverture(monde, monde.referent), "confirmer": "1"},
    )
    assert reponse.status_code == 200
    assert "déjà une mesure ouverte de ce type" in contenu(reponse)
    orientation.refresh_from_db()
    assert orientation.statut == Orientation.Statut.EN_ATTENTE


# --- Actions sur les mesures --------------------------------------------------------------------


def test_ouvrir_une_mesure_sans_orientation(client, monde):
    client.force_login(monde.coordinateur)
    menage = monde.m_a1_sans_mesure
    donnees = {**ouverture(monde, monde.referent), "date_debut": ""}
    client.post(url("mesure_ouvrir", menage.pk), {**donnees, "confirmer": "1"})
    mesure = Mesure.objects.get(menage=menage)
    assert mesure.orientation is None
    assert mesure.statut == Mesure.Statut.PROPOSEE


def test_demarrer_une_mesure_proposee(client, monde):
    mesure = f.MesureFactory(
        menage=monde.m_a1,
        structure=monde.s1,
        type=TypeMesure.objects.get(code="avdl"),
        statut=Mesure.Statut.PROPOSEE,
        date_debut=None,
        date_fin_prevue=None,
    )
    client.force_login(monde.referent)
    reponse = client.post(url("mesure_demarrer", mesure.pk), {"date_debut": AUJOURDHUI.isoformat()})
    assert reponse.status_code == 302
    mesure.refresh_from_db()
    assert mesure.statut == Mesure.Statut.EN_COURS
    # Une mesure déjà en cours ne redémarre pas : erreur en ligne.
    reponse = client.post(url("mesure_demarrer", mesure.pk), {"date_debut": AUJOURDHUI.isoformat()})
    assert "Seule une mesure proposée peut démarrer" in contenu(reponse)


def test_renouveler_la_mesure(client, monde):
    client.force_login(monde.referent)
    nouvelle_fin = monde.mesure_a1.date_fin_prevue + 90 * J
    reponse = client.post(
        url("mesure_renouveler", monde.mesure_a1.pk),
        {
            "nouvelle_fin_prevue": nouvelle_fin.isoformat(),
            "date_decision": AUJOURDHUI.isoformat(),
            "motif": "Relogement en cours",
        },
    )
    assert reponse.status_code == 302
    monde.mesure_a1.refresh_from_db()
    assert monde.mesure_a1.date_fin_prevue == nouvelle_fin
    assert monde.mesure_a1.renouvellements.get().decide_par == monde.referent


def test_renouveler_au_dela_de_la_duree_maximale_erreur_en_ligne(client, monde):
    client.force_login(monde.referent)
    fin_avant = monde.mesure_a1.date_fin_prevue
    reponse = client.post(
        url("mesure_renouveler", monde.mesure_a1.pk),
        {
            "nouvelle_fin_prevue": (AUJOURDHUI + 3 * 365 * J).isoformat(),
            "date_decision": AUJOURDHUI.isoformat(),
        },
    )
    assert reponse.status_code == 200
    assert "La durée maximale d&#x27;une mesure ASRL est de 24 mois" in contenu(reponse)
    assert reponse.context["form"].errors["nouvelle_fin_prevue"]
    monde.mesure_a1.refresh_from_db()
    assert monde.mesure_a1.date_fin_prevue == fin_avant
    assert not monde.mesure_a1.renouvellements.exists()


def test_terminer_par_un_acces_au_logement_inscrit_le_parcours(client, monde):
    demandeur = monde.m_a1.personnes.get()
    f.SituationFactory(personne=demandeur)
    logement = f.LogementFactory(territoire=monde.a1)
    f.PropositionFactory(menage=monde.m_a1, logement=logement)
    client.force_login(monde.referent)
    entree = AUJOURDHUI - 5 * J
    donnees = {
        "motif": MotifFin.objects.get(code="acces_logement").pk,
        "date_fin": AUJOURDHUI.isoformat(),
        "destination": Mesure.Destination.LOGEMENT_SOCIAL,
        "date_entree_logement": entree.isoformat(),
        "logement": logement.pk,
    }
    page = url("mesure_terminer", monde.mesure_a1.pk)
    confirmation = client.post(page, donnees)
    assert "Confirmer" in contenu(confirmation)
    monde.mesure_a1.refresh_from_db()
    assert monde.mesure_a1.est_ouverte
    assert client.post(page, {**donnees, "confirmer": "1"}).status_code == 302
    monde.mesure_a1.refresh_from_db()
    assert monde.mesure_a1.statut == Mesure.Statut.TERMINEE
    assert monde.mesure_a1.logement == logement
    actuelle = SituationResidentielle.objects.get(personne=demandeur, date_fin__isnull=True)
    assert (actuelle.type.code, actuelle.date_debut) == ("logement_social", entree)


def test_terminer_par_un_acces_au_logement_exige_destination_et_entree(client, monde):
    client.force_login(monde.referent)
    reponse = client.post(
        url("mesure_terminer", monde.mesure_a1.pk),
        {
            "motif": MotifFin.objects.get(code="acces_logement").pk,
            "date_fin": AUJOURDHUI.isoformat(),
            "confirmer": "1",
        },
    )
    html = contenu(reponse)
    assert "Indiquez le logement obtenu." in html
    assert "Indiquez la date d&#x27;entrée dans le logement." in html
    monde.mesure_a1.refresh_from_db()
    assert monde.mesure_a1.est_ouverte


def test_logement_falsifie_dun_autre_territoire_refuse(client, monde):
    logement_ailleurs = f.LogementFactory(territoire=monde.b1)
    client.force_login(monde.referent)
    reponse = client.post(
        url("mesure_terminer", monde.mesure_a1.pk),
        {
            "motif": MotifFin.objects.get(code="acces_logement").pk,
            "date_fin": AUJOURDHUI.isoformat(),
            "destination": Mesure.Destination.PARC_PRIVE,
            "date_entree_logement": AUJOURDHUI.isoformat(),
            "logement": logement_ailleurs.pk,
            "confirmer": "1",
        },
    )
    assert reponse.context["form"].errors["logement"]
    monde.mesure_a1.refresh_from_db()
    assert monde.mesure_a1.est_ouverte


def test_actions_sur_une_mesure_cloisonnees(client, monde):
    client.force_login(monde.referent)
    # Mesure d'une autre structure, d'un ménage qu'il ne suit pas : 404.
    assert client.get(url("mesure_terminer", monde.mesure_a2.pk)).status_code == 404
    assert client.get(url("projet", monde.mesure_b1.pk)).status_code == 404
    # Le coordinateur voit la mesure mais ne la fait pas vivre : 403.
    client.force_login(monde.coordinateur)
    assert client.get(url("mesure_renouveler", monde.mesure_a1.pk)).status_code == 403
    assert client.get(url("mesure_terminer", monde.mesure_a1.pk)).status_code == 403
    client.force_login(monde.copilote)
    assert client.get(url("mesure_terminer", monde.mesure_a1.pk)).status_code == 403


# --- Projet d'accompagnement --------------------------------------------------------------------


def htmx(client, chemin, donnees):
    return client.post(chemin, donnees, headers={"HX-Request": "true"})


def test_projet_elabore_puis_tenu_en_ligne_avec_son_historique(client, monde):
    mesure = monde.mesure_a1
    client.force_login(monde.referent)
    assert client.get(url("projet", mesure.pk)).status_code == 200
    client.post(
        url("projet", mesure.pk),
        {"date_elaboration": AUJOURDHUI.isoformat(), "diagnostic": "Dettes de loyer."},
    )
    projet = ProjetAccompagnement.objects.get(mesure=mesure)

    budget = DomaineAccompagnement.objects.get(code="budget")
    reponse = htmx(
        client,
        url("objectif_ajouter", mesure.pk),
        {
            "nouvel-objectif-domaine": budget.pk,
            "nouvel-objectif-intitule": "Résorber la dette",
            "nouvel-objectif-statut": "en_cours",
            "nouvel-objectif-echeance": (AUJOURDHUI + 60 * J).isoformat(),
        },
    )
    assert reponse.status_code == 200
    assert "<html" not in contenu(reponse)
    assert "Objectif ajouté." in contenu(reponse)
    objectif = ObjectifProjet.objects.get(projet=projet)

    htmx(
        client,
        url("action_ajouter", mesure.pk, objectif.pk),
        {
            f"nouvelle-action-{objectif.pk}-intitule": "Demander un plan d'apurement",
            f"nouvelle-action-{objectif.pk}-porteur": "referent",
        },
    )
    action = ActionProjet.objects.get(objectif=objectif)
    reponse = htmx(client, url("action_realisee", mesure.pk, action.pk), {})
    assert f"Réalisée le {AUJOURDHUI:%d/%m/%Y}" in contenu(reponse)
    action.refresh_from_db()
    assert action.realisee_le == AUJOURDHUI

    htmx(
        client,
        url("objectif_modifier", mesure.pk, objectif.pk),
        {
            f"objectif-{objectif.pk}-intitule": "Résorber la dette",
            f"objectif-{objectif.pk}-statut": "atteint",
            f"objectif-{objectif.pk}-version": 1,
        },
    )
    objectif.refresh_from_db()
    assert objectif.statut == "atteint" and objectif.date_atteinte == AUJOURDHUI

    resumes = list(RevisionProjet.objects.filter(projet=projet).values_list("resume", flat=True))
    assert len(resumes) == 5
    assert all(
        RevisionProjet.objects.filter(auteur=monde.referent).values_list("auteur", flat=True)
    )
    html = contenu(client.get(url("projet", mesure.pk)))
    assert "réalisée le : — → " in html
    assert "statut : En cours → Atteint" in html


def test_projet_erreur_en_ligne_sans_rien_ecrire(client, monde):
    projet = ProjetAccompagnement.objects.create(
        mesure=monde.mesure_a1, date_elaboration=AUJOURDHUI
    )
    objectif = ObjectifProjet.objects.create(
        projet=projet, domaine=DomaineAccompagnement.objects.get(code="sante"), intitule="Soins"
    )
    action = ActionProjet.objects.create(objectif=objectif, intitule="Bilan de santé")
    client.force_login(monde.referent)
    reponse = htmx(
        client,
        url("action_modifier", monde.mesure_a1.pk, action.pk),
        {
            f"action-{action.pk}-intitule": "Bilan de santé",
            f"action-{action.pk}-porteur": "menage",
            f"action-{action.pk}-realisee_le": (AUJOURDHUI + 3 * J).isoformat(),
            f"action-{action.pk}-version": 1,
        },
    )
    assert reponse.status_code == 200
    assert "Une action ne peut être réalisée dans le futur." in contenu(reponse)
    action.refresh_from_db()
    assert action.realisee_le is None
    assert not RevisionProjet.objects.exists()


def test_projet_en_lecture_seule_pour_le_coordinateur(client, monde):
    projet = ProjetAccompagnement.objects.create(
        mesure=monde.mesure_a1, date_elaboration=AUJOURDHUI
    )
    client.force_login(monde.coordinateur)
    reponse = client.get(url("projet", monde.mesure_a1.pk))
    assert reponse.status_code == 200
    assert "Lecture seule" in contenu(reponse)
    assert client.post(url("projet", monde.mesure_a1.pk), {}).status_code == 403
    assert htmx(client, url("objectif_ajouter", monde.mesure_a1.pk), {}).status_code == 403
    assert not projet.objectifs.exists()


# --- Rencontres ---------------------------------------------------------------------------------


def test_ajout_dune_rencontre_en_htmx_renvoie_la_liste(client, monde):
    client.force_login(monde.referent)
    reponse = htmx(
        client,
        url("rencontre_ajouter", monde.m_a1.pk),
        {
            "date": AUJOURDHUI.isoformat(),
            "type": Rencontre.Type.VISITE_DOMICILE,
            "duree_minutes": 60,
            "note": "Logement bien entretenu.",
            "mesure": monde.mesure_a1.pk,
            "structure": monde.s1.pk,
        },
    )
    assert reponse.status_code == 200
    html = contenu(reponse)
    assert "<html" not in html
    assert "Rencontre enregistrée." in html
    assert "Logement bien entretenu." in html
    assert reponse.context["form_rencontre"].is_bound is False  # formulaire remis à zéro
    rencontre = Rencontre.objects.get()
    assert (rencontre.auteur, rencontre.structure) == (monde.referent, monde.s1)
    monde.m_a1.refresh_from_db()
    assert monde.m_a1.date_dernier_contact == AUJOURDHUI


def test_rencontre_invalide_erreur_dans_le_bloc(client, monde):
    client.force_login(monde.referent)
    reponse = htmx(
        client,
        url("rencontre_ajouter", monde.m_a1.pk),
        {
            "date": (AUJOURDHUI + J).isoformat(),
            "type": Rencontre.Type.TELEPHONE,
            "duree_minutes": 0,
            "structure": monde.s1.pk,
        },
    )
    html = contenu(reponse)
    assert "Une rencontre ne peut être datée dans le futur." in html
    assert "supérieure ou égale à 1" in html
    assert not Rencontre.objects.exists()


def test_rencontre_au_nom_dune_structure_falsifiee_refusee(client, monde):
    # Référent de deux structures, dont une seule suit le ménage.
    f.HabilitationFactory(user=monde.referent, role=Role.REFERENT, structure=monde.s2)
    client.force_login(monde.referent)
    reponse = htmx(
        client,
        url("rencontre_ajouter", monde.m_a1.pk),
        {
            "date": AUJOURDHUI.isoformat(),
            "type": "entretien",
            "duree_minutes": 30,
            "structure": monde.s2.pk,
        },
    )
    assert reponse.context["form_rencontre"].errors["structure"]
    assert not Rencontre.objects.exists()


def test_coordinateur_sans_structure_ne_note_pas_de_rencontre(client, monde):
    client.force_login(monde.coordinateur)
    reponse = htmx(
        client,
        url("rencontre_ajouter", monde.m_a1.pk),
        {"date": AUJOURDHUI.isoformat(), "type": "entretien", "duree_minutes": 30},
    )
    assert reponse.status_code == 403
    client.force_login(monde.referent)
    assert htmx(client, url("rencontre_ajouter", monde.m_b1.pk), {}).status_code == 404


# --- Bloc de la fiche ménage --------------------------------------------------------------------


def rendre_bloc(user, menage) -> str:
    requete = RequestFactory().get("/")
    requete.user = user
    gabarit = Template("{% load accompagnement_fiche %}{% bloc_accompagnement menage %}")
    return gabarit.render(Context({"request": requete, "menage": menage}))


def test_note_masquee_pour_une_autre_structure(monde):
    f.MesureFactory(menage=monde.m_a1, structure=monde.s2, type=TypeMesure.objects.get(code="avdl"))
    f.RencontreFactory(menage=monde.m_a1, structure=monde.s2, note="Confidence de l'AML.")
    f.RencontreFactory(menage=monde.m_a1, structure=monde.s1, note="Note du CHRS.")
    html = rendre_bloc(monde.referent, monde.m_a1)
    assert "Note du CHRS." in html
    assert "Confidence de l" not in html
    assert "Note réservée à la structure AML Deux" in html


def test_bloc_de_la_fiche_montre_mesures_orientations_et_formulaire(monde):
    f.OrientationFactory(
        menage=monde.m_a1,
        plateforme=monde.p1,
        statut=Orientation.Statut.ACCEPTEE,
        date_decision=AUJOURDHUI,
    )
    html = rendre_bloc(monde.referent, monde.m_a1)
    assert "Acceptée" in html and "après 10 jours" in html
    assert url("mesure_terminer", monde.mesure_a1.pk) in html
    assert url("rencontre_ajouter", monde.m_a1.pk) in html
    assert url("orientation_creer", monde.m_a1.pk) not in html  # le référent ne décide pas
    html = rendre_bloc(monde.coordinateur, monde.m_a1)
    assert url("orientation_creer", monde.m_a1.pk) in html
    assert url("mesure_terminer", monde.mesure_a1.pk) not in html
    assert "Seul un référent d'une structure" in html


def test_fiche_menage_inclut_le_bloc(client, monde):
    client.force_login(monde.referent)
    reponse = client.get(reverse("menages:fiche", args=[monde.m_a1.pk]))
    assert reponse.status_code == 200
    assert url("rencontre_ajouter", monde.m_a1.pk) in contenu(reponse)


# --- Mes ménages --------------------------------------------------------------------------------


def suivi(monde, *, contact=None, fin=None, retard=False, referent=True):
    menage = f.MenageFactory(territoire=monde.a1, date_dernier_contact=contact)
    mesure = f.MesureFactory(
        menage=menage,
        structure=monde.s1,
        referent=monde.referent if referent else None,
        date_fin_prevue=fin or AUJOURDHUI + 200 * J,
    )
    if retard:
        projet = ProjetAccompagnement.objects.create(
            mesure=mesure, date_elaboration=AUJOURDHUI - 50 * J
        )
        objectif = ObjectifProjet.objects.create(
            projet=projet,
            domaine=DomaineAccompagnement.objects.get(code="logement"),
            intitule="Accès",
        )
        ActionProjet.objects.create(
            objectif=objectif, intitule="Déposer le NUR", echeance=AUJOURDHUI - 2 * J
        )
    return menage


def test_mes_menages_du_plus_urgent_au_moins_urgent(client, monde):
    recent = suivi(monde, contact=AUJOURDHUI - 2 * J, fin=AUJOURDHUI + 10 * J)
    fin_lointaine = suivi(monde, contact=AUJOURDHUI - 2 * J, fin=AUJOURDHUI + 300 * J)
    silencieux = suivi(monde, contact=AUJOURDHUI - 90 * J)
    jamais_vu = suivi(monde, contact=None)
    en_retard = suivi(monde, contact=AUJOURDHUI, retard=True)
    sans_referent = suivi(monde, referent=False)
    client.force_login(monde.referent)
    reponse = client.get(url("mes_menages"))
    assert list(reponse.context["page"].object_list) == [
        en_retard,
        jamais_vu,
        silencieux,
        recent,
        fin_lointaine,
    ]
    html = contenu(reponse)
    assert "Déposer le NUR" in html and "En retard" in html
    # Second onglet : les mesures de ses structures sans référent (dont celle du monde).
    autre = client.get(url("mes_menages"), {"liste": "sans_referent"}).context["page"]
    assert set(autre.object_list) == {sans_referent, monde.m_a1}


def test_mes_menages_reserve_aux_referents(client, monde):
    client.force_login(monde.coordinateur)
    assert client.get(url("mes_menages")).status_code == 403
    client.force_login(monde.copilote)
    assert client.get(url("mes_menages")).status_code == 403


# --- Nombre de requêtes constant ----------------------------------------------------------------


def grossir(monde, n=12):
    """Des ménages, orientations, mesures, projets, actions et rencontres en plus."""
    for i in range(n):
        menage = suivi(monde, contact=AUJOURDHUI - i * J, retard=True)
        f.OrientationFactory(menage=menage, plateforme=monde.p1)
        f.RencontreFactory(menage=monde.m_a1, structure=monde.s1 if i % 2 else monde.s2)
        f.OrientationFactory(menage=monde.m_a1, plateforme=monde.p1)
    projet = ProjetAccompagnement.objects.get_or_create(
        mesure=monde.mesure_a1, defaults={"date_elaboration": AUJOURDHUI}
    )[0]
    for i in range(n):
        objectif = ObjectifProjet.objects.create(
            projet=projet,
            domaine=DomaineAccompagnement.objects.order_by("?").first(),
            intitule=f"Objectif {i}",
        )
        ActionProjet.objects.create(objectif=objectif, intitule=f"Action {i}")
        RevisionProjet.objects.create(projet=projet, date=AUJOURDHUI, resume=f"Révision {i}")
    autre = f.MesureFactory(
        menage=monde.m_a1, structure=monde.s1, type=TypeMesure.objects.get(code="asll")
    )
    autre.renouvellements.create(
        date_decision=AUJOURDHUI,
        ancienne_fin_prevue=autre.date_fin_prevue,
        nouvelle_fin_prevue=autre.date_fin_prevue + 30 * J,
    )


@pytest.mark.parametrize(
    ("role", "adresse"),
    [
        ("coordinateur", lambda m: url("orientations")),
        ("referent", lambda m: url("mes_menages")),
        ("referent", lambda m: url("projet", m.mesure_a1.pk)),
        ("coordinateur", lambda m: url("projet", m.mesure_a1.pk)),
    ],
)
def test_pages_en_nombre_de_requetes_constant(
    client, monde, django_assert_max_num_queries, role, adresse
):
    projet = ProjetAccompagnement.objects.create(
        mesure=monde.mesure_a1, date_elaboration=AUJOURDHUI
    )
    objectif = ObjectifProjet.objects.create(
        projet=projet, domaine=DomaineAccompagnement.objects.get(code="sante"), intitule="Soins"
    )
    ActionProjet.objects.create(objectif=objectif, intitule="Bilan de santé")
    f.OrientationFactory(menage=monde.m_a1, plateforme=monde.p1)
    suivi(monde, retard=True)
    client.force_login(getattr(monde, role))
    with django_assert_max_num_queries(16) as petit:
        assert client.get(adresse(monde)).status_code == 200
    grossir(monde)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        assert client.get(adresse(monde)).status_code == 200


@pytest.mark.parametrize("role", ["referent", "coordinateur"])
def test_bloc_de_la_fiche_en_nombre_de_requetes_constant(
    monde, django_assert_max_num_queries, role
):
    user = getattr(monde, role)
    user.perimetre  # noqa: B018 — calculé une fois par requête, hors du bloc
    ProjetAccompagnement.objects.create(mesure=monde.mesure_a1, date_elaboration=AUJOURDHUI)
    f.RencontreFactory(menage=monde.m_a1, structure=monde.s1)
    with django_assert_max_num_queries(10) as petit:
        rendre_bloc(user, monde.m_a1)
    grossir(monde)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        html = rendre_bloc(user, monde.m_a1)
    assert html.count("<tr>") > 20
