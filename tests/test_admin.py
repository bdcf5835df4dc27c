"""Admin : chaque modèle enregistré s'ouvre, se cherche et s'affiche sans requête par ligne."""

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accompagnement.models import (
    ActionProjet,
    AideFinanciere,
    Convention,
    DomaineAccompagnement,
    Enveloppe,
    Financeur,
    Mesure,
    ObjectifProjet,
    Orientation,
    OrigineOrientation,
    ProjetAccompagnement,
    Rencontre,
    Renouvellement,
    RevisionProjet,
    TypeMesure,
)
from attributions.models import Contingent, Logement, ObjectifAttribution, Proposition
from logement.models import Habilitation, Role, Structure, Territoire, User
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

# Le formulaire de la configuration DSFR (tierce) a un URLField qui annonce le passage à https.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The default scheme will be changed:django.utils.deprecation.RemovedInDjango60Warning"
)

APPS_DU_DOMAINE = ("logement", "menages", "accompagnement", "attributions")
# Lu à la collecte : un modèle ajouté à l'admin est couvert sans toucher à ce fichier.
MODELES = sorted(admin.site._registry, key=lambda m: m._meta.label)
# Ceux que `creer_jeu` remplit ; auth.Group ou la configuration DSFR restent vides.
MODELES_DU_DOMAINE = [m for m in MODELES if m._meta.app_label in APPS_DU_DOMAINE]
JOUR = dt.date(2024, 1, 15)


def url_admin(modele, page, *args):
    return reverse(admin_urlname(modele._meta, page), args=args)


def creer_territoires(n):
    departement = Territoire.objects.create(
        niveau=Territoire.Niveau.DEPARTEMENT, code=f"{60 + n}", nom=f"Département {n}"
    )
    epci = Territoire.objects.create(
        niveau=Territoire.Niveau.EPCI, code=f"{200000000 + n}", nom=f"EPCI {n}", parent=departement
    )
    return departement, epci


def creer_jeu(n):
    """Une ligne de chaque modèle du domaine ; `n` varie les valeurs uniques."""
    departement, epci = creer_territoires(n)
    plateforme = Territoire.objects.create(
        niveau=Territoire.Niveau.PLATEFORME,
        code=f"pf{n}",
        nom=f"Plateforme {n}",
        parent=epci.parent,
    )
    plateforme.perimetre.add(epci)
    structure = Structure.objects.create(nom=f"CHRS {n}", type=Structure.Type.CHRS, territoire=epci)
    bailleur = Structure.objects.create(
        nom=f"Bailleur {n}", type=Structure.Type.BAILLEUR, territoire=departement
    )
    referent = User.objects.create_user(username=f"referent{n}", last_name=f"Martin{n}")
    Habilitation.objects.create(user=referent, role=Role.REFERENT, structure=structure)

    menage = Menage.objects.create(territoire=epci, cree_par=referent)
    menage.publics_prioritaires.add(PublicPrioritaire.objects.first())
    personne = Personne.objects.create(
        menage=menage, nom="Lefèvre", prenom="Élodie", role=Personne.Role.DEMANDEUR
    )
    SituationResidentielle.objects.create(
        personne=personne, type=TypeSituation.objects.first(), date_debut=JOUR
    )
    Ressource.objects.create(
        menage=menage, personne=personne, type=TypeRessource.objects.first(), montant_mensuel=600
    )
    Consentement.objects.create(
        menage=menage, adhesion=Consentement.Adhesion.ACCEPTEE, recueilli_par=referent
    )
    procedure = ProcedureExpulsion.objects.create(menage=menage, date_signalement=JOUR)
    EtapeProcedure.objects.create(
        procedure=procedure, etape=EtapeProcedure.Etape.IMPAYES, date=JOUR
    )
    ActionPrevention.objects.create(
        procedure=procedure, type=ActionPrevention.Type.DIAGNOSTIC, date=JOUR
    )

    type_mesure = TypeMesure.objects.first()
    convention = Convention.objects.create(
        financeur=Financeur.ETAT,
        structure=structure,
        type_mesure=type_mesure,
        territoire=departement,
        annee=2020 + n,
        nombre_mesures=10,
        budget=1000,
    )
    orientation = Orientation.objects.create(
        menage=menage,
        plateforme=plateforme,
        date_orientation=JOUR,
        origine=OrigineOrientation.objects.first(),
        motif="Sortie d'hébergement",
    )
    logement = Logement.objects.create(
        reference=f"L{n}",
        adresse="1 rue de la Paix",
        code_postal="62000",
        commune="Arras",
        territoire=epci,
        typologie=Logement.Typologie.T2,
        surface=40,
        loyer=400,
        type_bailleur=Logement.TypeBailleur.SOCIAL,
        bailleur=bailleur,
        contingent=Contingent.objects.first(),
        captation=Logement.Captation.PARC_SOCIAL,
        date_disponibilite=JOUR,
    )
    mesure = Mesure.objects.create(
        menage=menage,
        type=type_mesure,
        territoire=epci,
        structure=structure,
        referent=referent,
        convention=convention,
        orientation=orientation,
        statut=Mesure.Statut.EN_COURS,
        date_proposition=JOUR,
        date_debut=JOUR,
        date_fin_prevue=JOUR + dt.timedelta(days=180),
        logement=logement,
    )
    Renouvellement.objects.create(
        mesure=mesure,
        date_decision=JOUR + dt.timedelta(days=150),
        ancienne_fin_prevue=mesure.date_fin_prevue,
        nouvelle_fin_prevue=mesure.date_fin_prevue + dt.timedelta(days=180),
        decide_par=referent,
    )
    projet = ProjetAccompagnement.objects.create(mesure=mesure, date_elaboration=JOUR)
    objectif = ObjectifProjet.objects.create(
        projet=projet, domaine=DomaineAccompagnement.objects.first(), intitule="Ouvrir ses droits"
    )
    ActionProjet.objects.create(objectif=objectif, intitule="Dossier CAF")
    RevisionProjet.objects.create(projet=projet, date=JOUR, auteur=referent, resume="Budget")
    Rencontre.objects.create(
        menage=menage,
        mesure=mesure,
        date=JOUR,
        type=Rencontre.Type.ENTRETIEN,
        duree_minutes=45,
        note="Confidentiel",
        auteur=referent,
        structure=structure,
    )
    enveloppe = Enveloppe.objects.create(
        libelle="FSL accès",
        financeur=Financeur.DEPARTEMENT,
        territoire=departement,
        annee=2020 + n,
        montant=60000,
    )
    AideFinanciere.objects.create(
        menage=menage,
        enveloppe=enveloppe,
        nature=AideFinanciere.Nature.DEPOT_GARANTIE,
        montant=500,
        date_demande=JOUR,
    )
    Proposition.objects.create(
        menage=menage, logement=logement, contingent=logement.contingent, date_proposition=JOUR
    )
    ObjectifAttribution.objects.create(territoire=departement, annee=2020 + n, objectif=408)
    return menage


@pytest.fixture
def jeu(db):
    return creer_jeu(1)


def test_chaque_modele_du_domaine_est_dans_l_admin():
    oublies = [
        modele._meta.label
        for label in APPS_DU_DOMAINE
        for modele in apps.get_app_config(label).get_models()
        if modele not in admin.site._registry
    ]
    assert oublies == []


def test_le_jeu_de_donnees_couvre_chaque_modele(jeu):
    # Sans ligne, une liste vide ne rend aucune colonne : les tests ci-dessous ne prouveraient rien.
    vides = [m._meta.label for m in MODELES_DU_DOMAINE if not m._default_manager.exists()]
    assert vides == []


@pytest.mark.parametrize("modele", MODELES, ids=lambda m: m._meta.label)
def test_liste_recherche_et_ajout_repondent(admin_client, jeu, modele):
    assert admin_client.get(url_admin(modele, "changelist")).status_code == 200

    recherche = admin_client.get(url_admin(modele, "changelist"), {"q": "test"})
    assert recherche.status_code == 200
    assert recherche.context["cl"].query == "test"

    # Les modèles en lecture seule (bilans figés, journal) refusent l'ajout.
    ajout_permis = admin.site._registry[modele].has_add_permission(
        admin_client.get(url_admin(modele, "changelist")).wsgi_request
    )
    assert admin_client.get(url_admin(modele, "add")).status_code == (200 if ajout_permis else 403)


@pytest.mark.parametrize("modele", MODELES_DU_DOMAINE, ids=lambda m: m._meta.label)
def test_liste_et_fiche_affichent_le_jeu(admin_client, jeu, modele):
    liste = admin_client.get(url_admin(modele, "changelist"))
    assert liste.status_code == 200
    assert liste.context["cl"].result_count >= 1

    objet = modele._default_manager.first()
    assert admin_client.get(url_admin(modele, "change", objet.pk)).status_code == 200


@pytest.mark.parametrize("modele", MODELES_DU_DOMAINE, ids=lambda m: m._meta.label)
def test_liste_sans_requete_par_ligne(admin_client, jeu, modele):
    url = url_admin(modele, "changelist")
    admin_client.get(url)  # la session et les caches sont chauds pour les deux mesures

    with CaptureQueriesContext(connection) as une_ligne:
        admin_client.get(url)
    creer_jeu(2)
    with CaptureQueriesContext(connection) as deux_lignes:
        reponse = admin_client.get(url)

    assert reponse.context["cl"].result_count >= 2
    assert len(deux_lignes) == len(une_ligne), [q["sql"] for q in deux_lignes]


def test_fiche_et_liste_d_un_menage(admin_client, db):
    _, epci = creer_territoires(1)
    menage = Menage.objects.create(territoire=epci)
    Personne.objects.create(
        menage=menage, nom="Lefèvre", prenom="Élodie", role=Personne.Role.DEMANDEUR
    )

    fiche = admin_client.get(url_admin(Menage, "change", menage.pk))
    assert fiche.status_code == 200
    # La référence est calculée : affichée, jamais saisie.
    assert "reference" not in fiche.context["adminform"].form.fields
    assert menage.reference in fiche.content.decode()
    assert "Lefèvre" in fiche.content.decode()

    liste = admin_client.get(url_admin(Menage, "changelist"))
    assert liste.status_code == 200
    assert menage.reference in liste.content.decode()


def test_recherche_de_personne_sans_accents(admin_client, jeu):
    reponse = admin_client.get(url_admin(Personne, "changelist"), {"q": "elodie lefevre"})

    assert reponse.context["cl"].result_count == 1


def test_autocompletion_du_menage_par_nom(admin_client, jeu):
    reponse = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "accompagnement",
            "model_name": "mesure",
            "field_name": "menage",
            "term": "lefevre",
        },
    )

    assert reponse.status_code == 200
    assert [r["text"] for r in reponse.json()["results"]] == [str(jeu)]


def test_la_note_d_une_rencontre_reste_hors_de_l_admin(admin_client, jeu):
    rencontre = Rencontre.objects.get()

    reponse = admin_client.get(url_admin(Rencontre, "change", rencontre.pk))

    assert "note" not in reponse.context["adminform"].form.fields
    assert "Confidentiel" not in reponse.content.decode()
