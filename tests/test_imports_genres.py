"""Genres d'import (ménages, mesures, logements) appelés directement, sans le moteur : chaque
mauvaise valeur dit sa ligne, sa colonne et pourquoi ; doublons signalés puis tranchés ;
écritures (création, mise à jour) bornées au périmètre et tracées au journal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accompagnement.models import Mesure, MotifFin, TypeMesure
from attributions.models import Logement
from imports.genres import GENRES
from imports.genres.base import Action, Compteurs
from journal.models import Evenement
from logement.models import Role, Structure
from menages.models import (
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
MENAGES, MESURES, LOGEMENTS = GENRES["menages"], GENRES["mesures"], GENRES["logements"]


def analyser(genre, user, *lignes, structure=None):
    contexte = genre.contexte(user, structure)
    return genre.analyser(list(enumerate(lignes, start=2)), contexte)


def appliquer(genre, user, analyse, decisions=None, structure=None) -> Compteurs:
    # Comme le moteur : un contexte relu au moment d'écrire, une transaction.
    with transaction.atomic():
        return genre.appliquer(analyse, decisions or {}, genre.contexte(user, structure))


def objet(instance) -> dict:
    """Filtre du journal sur un objet (les identifiants se répètent d'une table à l'autre)."""
    return {
        "content_type": ContentType.objects.get_for_model(instance),
        "object_id": instance.pk,
    }


def actions(analyse) -> list[str]:
    return [ligne.action for ligne in analyse]


def erreurs(ligne) -> list[tuple[str, str, str]]:
    return [(e.colonne, e.valeur, e.message) for e in ligne.erreurs]


def famille(reference="FAMILLE-1", epci="EPCI A1", **commun):
    """Une demandeuse et son enfant, les colonnes du ménage répétées."""
    menage = {"reference": reference, "epci": epci, **commun}
    return (
        {
            **menage,
            "role": "Demandeur principal",
            "nom": "Martin",
            "prenom": "Léa",
            "date_naissance": "12/03/1985",
            "sexe": "Femme",
            "situation": "Hôtel (nuitées hôtelières)",
            "situation_depuis": "01/09/2024",
        },
        {
            **menage,
            "role": "enfant",
            "nom": "MARTIN",
            "prenom": "Noé",
            "date_naissance": "02/02/2018",
            "sexe": "M",
            "situation": "hotel",
            "situation_depuis": "01/09/2024",
        },
    )


def demandeur_de(menage) -> Personne:
    return menage.personnes.get(role=Personne.Role.DEMANDEUR)


def copie_demandeur(menage, **extra) -> dict:
    """Une ligne qui décrit le demandeur d'un ménage existant (nom, prénom, naissance)."""
    personne = demandeur_de(menage)
    return {
        "nom": personne.nom,
        "prenom": personne.prenom,
        "date_naissance": f"{personne.date_naissance:%d/%m/%Y}",
        "epci": menage.territoire.nom,
        **extra,
    }


# --- Ménages : création -------------------------------------------------------------------------


def test_creer_un_menage_et_ses_membres(monde):
    lignes = famille(
        nur="0622 4120 0001",
        nur_date_depot="15/01/2025",
        dalo="Recours déposé",
        syplo="oui",
        publics="Famille monoparentale ; Réfugié, bénéficiaire d'une protection internationale",
        ressources="RSA : 607,75 ; Prestations familiales : 1 120,5",
    )
    analyse = analyser(MENAGES, monde.coordinateur, *lignes)
    assert actions(analyse) == [Action.CREER, Action.CREER]
    assert "nouveau ménage de Léa MARTIN" in analyse[0].libelle
    assert analyse[0].donnees["valeurs"]["date_naissance"] == "1985-03-12"

    dernier = Evenement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    assert appliquer(MENAGES, monde.coordinateur, analyse) == Compteurs(crees=2)
    menage = Menage.objects.get(nur="062241200001")
    assert menage.reference == Menage.reference_pour(menage.pk)
    assert (menage.territoire, menage.cree_par) == (monde.a1, monde.coordinateur)
    assert (menage.dalo, menage.syplo) == (Menage.Dalo.RECOURS, True)
    assert set(menage.publics_prioritaires.values_list("code", flat=True)) == {
        "monoparentale",
        "refugie",
    }
    assert {(p.prenom, p.role, p.nom_normalise) for p in menage.personnes.all()} == {
        ("Léa", "demandeur", "martin lea"),
        ("Noé", "enfant", "martin noe"),
    }
    hotel = TypeSituation.objects.get(code="hotel")
    assert (
        SituationResidentielle.objects.filter(
            personne__menage=menage, type=hotel, date_debut=dt.date(2024, 9, 1), date_fin=None
        ).count()
        == 2
    )
    assert {(r.type.code, r.montant_mensuel) for r in menage.ressources.all()} == {
        ("rsa", Decimal("607.75")),
        ("prestations_familiales", Decimal("1120.50")),
    }
    # Écrit en masse, tracé quand même : une création par ménage et par personne, rattachée
    # au ménage ; publics, ressources et situation de départ dans la trace de leur porteur.
    traces = Evenement.objects.filter(pk__gt=dernier)
    assert {(t.action, t.menage_id) for t in traces} == {(Evenement.Action.CREATION, menage.pk)}
    assert sorted(t.objet_repr for t in traces) == sorted(
        [menage.reference, "Léa MARTIN", "Noé MARTIN"]
    )
    trace_menage = traces.get(**objet(menage))
    assert trace_menage.auteur == monde.coordinateur
    assert trace_menage.details["import"] == "ménages"
    assert trace_menage.changements["nur"] == "062241200001"
    assert len(trace_menage.changements["publics_prioritaires"]) == 2
    assert (
        trace_menage.changements["ressources"] == "RSA : 607,75 ; Prestations familiales : 1120,50"
    )
    trace_lea = traces.get(objet_repr="Léa MARTIN")
    assert trace_lea.changements["situation"] == "Hôtel (nuitées hôtelières) depuis le 01/09/2024"
    assert trace_lea.changements["date_naissance"] == "1985-03-12"


def test_un_menage_d_une_personne_sans_role_ni_epci_quand_le_ressort_n_en_a_qu_un(monde):
    analyse = analyser(MENAGES, monde.coordinateur, {"nom": "Seul", "prenom": "Sam"})
    assert actions(analyse) == [Action.CREER]
    appliquer(MENAGES, monde.coordinateur, analyse)
    personne = Personne.objects.get(nom="Seul")
    assert personne.role == Personne.Role.DEMANDEUR
    assert personne.menage.territoire == monde.a1  # le seul EPCI de la plateforme P1


def test_lignes_regroupees_par_nur_puis_si_siao(monde):
    lea, noe = famille(reference="")
    analyse = analyser(
        MENAGES,
        monde.agent,
        {**lea, "nur": "NUR0000009", "nur_date_depot": "01/01/2025"},
        {**noe, "nur": "NUR0000009"},
        {"nom": "Durand", "prenom": "Ali", "siao_id": "SIAO-7", "epci": "EPCI A2"},
        {"nom": "Durand", "prenom": "Ina", "siao_id": "SIAO-7", "role": "Enfant"},
    )
    # La ligne 4 désigne le demandeur de son groupe ; la ligne 5 n'en a pas besoin.
    assert actions(analyse)[:2] == [Action.CREER, Action.CREER]
    assert erreurs(analyse[2]) == [
        ("Rôle dans le ménage", "", "Indiquez le rôle de la personne dans le ménage.")
    ]
    analyse = analyser(
        MENAGES,
        monde.agent,
        {**lea, "nur": "NUR0000009", "nur_date_depot": "01/01/2025"},
        {**noe, "nur": "NUR0000009"},
        {
            "nom": "Durand",
            "prenom": "Ali",
            "siao_id": "SIAO-7",
            "epci": "EPCI A2",
            "role": "Demandeur",
        },
        {"nom": "Durand", "prenom": "Ina", "siao_id": "SIAO-7", "role": "Enfant"},
    )
    appliquer(MENAGES, monde.agent, analyse)
    assert Menage.objects.get(nur="NUR0000009").personnes.count() == 2
    assert Menage.objects.get(siao_id="SIAO-7").personnes.count() == 2


# --- Ménages : mauvaises valeurs ----------------------------------------------------------------


def test_date_impossible_nomme_ligne_colonne_valeur(monde):
    lea, noe = famille()
    analyse = analyser(MENAGES, monde.coordinateur, lea, {**noe, "date_naissance": "31/02/2024"})
    assert analyse[1].numero == 3
    assert analyse[1].action == Action.ERREUR
    assert erreurs(analyse[1]) == [
        ("Date de naissance", "31/02/2024", "Date impossible : le 31/02/2024 n'existe pas.")
    ]
    # La demandeuse n'est pas créée sans son enfant : tout le ménage attend la correction.
    assert analyse[0].action == Action.ERREUR
    assert "voir l'erreur de la ligne 3" in analyse[0].erreurs[0].message
    with pytest.raises(ValidationError):
        appliquer(MENAGES, monde.coordinateur, analyse)
    assert not Personne.objects.filter(nom__iexact="martin").exists()


def test_valeur_de_choix_inconnue(monde):
    lea, _ = famille()
    analyse = analyser(MENAGES, monde.coordinateur, {**lea, "sexe": "Z", "dalo": "Peut-être"})
    assert erreurs(analyse[0]) == [
        (
            "Sexe",
            "Z",
            "Sexe inconnu : « Z » (valeurs permises : Femme, Homme, Autre / non précisé).",
        ),
        (
            "DALO",
            "Peut-être",
            "Statut DALO inconnu : « Peut-être » (valeurs permises : Pas de recours, Recours "
            "déposé, Reconnu prioritaire et urgent, Recours rejeté).",
        ),
    ]


def test_epci_hors_ressort(monde):
    lea, noe = famille(epci="EPCI A2")  # P1 ne couvre que A1
    analyse = analyser(MENAGES, monde.coordinateur, lea, noe)
    assert erreurs(analyse[0]) == [
        (
            "EPCI",
            "EPCI A2",
            "EPCI hors de votre ressort : « EPCI A2 » (EPCI de votre ressort : EPCI A1).",
        )
    ]
    assert actions(analyser(MENAGES, monde.agent, lea, noe)) == [Action.CREER] * 2
    inconnu = analyser(MENAGES, monde.agent, famille(epci="Nulle part")[0])[0]
    assert inconnu.erreurs[0].message.startswith("EPCI inconnu : « Nulle part »")


def test_montant_negatif_et_ressource_illisible(monde):
    lea, _ = famille()
    analyse = analyser(
        MENAGES,
        monde.coordinateur,
        {**lea, "ressources": "RSA : -10"},
        {**lea, "reference": "AUTRE", "prenom": "Zoé", "ressources": "RSA 600"},
    )
    assert erreurs(analyse[0]) == [
        ("Ressources mensuelles", "RSA : -10", "Le montant ne peut pas être négatif : « -10 ».")
    ]
    assert "Ressource illisible : « RSA 600 »" in analyse[1].erreurs[0].message


def test_regles_du_modele_et_du_menage(monde):
    lea, noe = famille()
    analyse = analyser(
        MENAGES,
        monde.coordinateur,
        {**lea, "nur": "abc"},
        {**noe, "role": "Demandeur principal", "titre_sejour_fin": "01/01/2030"},
    )
    messages = {e.message for ligne in analyse for e in ligne.erreurs}
    assert (
        "Le NUR ne contient que des chiffres et des lettres majuscules (6 à 30 caractères)."
        in messages
    )
    assert "Un titre de séjour ne concerne qu'une personne hors UE." in messages
    assert "Le ménage a déjà un demandeur principal (ligne 2)." in messages


def test_situation_sans_date_et_lignes_discordantes(monde):
    lea, noe = famille()
    analyse = analyser(MENAGES, monde.coordinateur, {**lea, "situation_depuis": ""}, noe)
    assert erreurs(analyse[0]) == [
        ("Situation depuis le", "", "Indiquez depuis quand dure cette situation.")
    ]
    analyse = analyser(
        MENAGES,
        monde.coordinateur,
        {**lea, "dalo": "Pas de recours"},
        {**noe, "dalo": "Recours déposé"},
    )
    assert erreurs(analyse[1]) == [
        (
            "DALO",
            "Recours déposé",
            "Différent de la ligne 2 pour le même ménage (« Pas de recours »).",
        )
    ]
    assert analyse[0].action == Action.ERREUR


def test_meme_personne_deux_fois_dans_un_menage(monde):
    lea, _ = famille()
    analyse = analyser(MENAGES, monde.coordinateur, lea, {**lea, "role": "Enfant"})
    assert erreurs(analyse[1]) == [
        ("Nom", "Martin", "Même personne que la ligne 2 (nom, prénom et date de naissance).")
    ]


# --- Ménages : doublons -------------------------------------------------------------------------


def test_doublon_de_personne_signale_puis_tranche(monde):
    existant = monde.m_a1
    ligne = copie_demandeur(existant, reference="NOUVEAU", dalo="Recours déposé")
    analyse = analyser(MENAGES, monde.coordinateur, ligne)
    assert analyse[0].action == Action.DOUBLON
    assert analyse[0].doublon_id == existant.pk
    assert existant.reference in analyse[0].doublon
    assert "même personne" in analyse[0].doublon

    # Sans décision : rien n'est écrit.
    with pytest.raises(ValidationError, match="Doublon à trancher"):
        appliquer(MENAGES, monde.coordinateur, analyse)
    # Ignorer : rien n'est écrit.
    nombre = Menage.objects.count()
    assert appliquer(MENAGES, monde.coordinateur, analyse, {2: "ignorer"}) == Compteurs(ignores=1)
    assert Menage.objects.count() == nombre
    # Mettre à jour : le ménage existant, sans en créer.
    compteurs = appliquer(MENAGES, monde.coordinateur, analyse, {"2": "mettre_a_jour"})
    assert compteurs == Compteurs(mis_a_jour=1)
    existant.refresh_from_db()
    assert existant.dalo == Menage.Dalo.RECOURS
    assert Menage.objects.count() == nombre
    # Créer : un homonyme, nouveau ménage.
    analyse = analyser(MENAGES, monde.coordinateur, ligne)
    assert appliquer(MENAGES, monde.coordinateur, analyse, {2: "creer"}) == Compteurs(crees=1)
    assert Menage.objects.count() == nombre + 1


def test_doublon_de_nur_ne_peut_pas_etre_cree(monde):
    Menage.objects.filter(pk=monde.m_a1.pk).update(nur="NUR1234567", nur_date_depot=AUJOURDHUI)
    ligne = {"reference": "X", "nom": "Autre", "prenom": "Nom", "nur": "nur1234567"}
    # Ni création (NUR unique) ni mise à jour (rôle du nouveau membre inconnu) : erreur.
    analyse = analyser(MENAGES, monde.coordinateur, ligne)
    assert analyse[0].action == Action.ERREUR
    assert "indiquez son rôle" in analyse[0].erreurs[0].message
    analyse = analyser(MENAGES, monde.coordinateur, {**ligne, "role": "Conjoint"})
    assert (analyse[0].action, analyse[0].doublon_id) == (Action.DOUBLON, monde.m_a1.pk)
    assert "même NUR" in analyse[0].doublon
    assert "création impossible" in analyse[0].doublon
    with pytest.raises(ValidationError, match="création impossible"):
        appliquer(MENAGES, monde.coordinateur, analyse, {2: "creer"})
    assert Personne.objects.filter(nom="Autre").count() == 0
    # Mise à jour : la personne nouvelle rejoint le ménage qui porte ce NUR.
    assert appliquer(MENAGES, monde.coordinateur, analyse, {2: "mettre_a_jour"}) == Compteurs(
        crees=1
    )
    assert monde.m_a1.personnes.filter(nom="Autre", role="conjoint").exists()


def test_doublon_de_si_siao(monde):
    Menage.objects.filter(pk=monde.m_a2.pk).update(siao_id="SIAO-42")
    ligne = {"nom": "Neuf", "prenom": "Nina", "siao_id": "SIAO-42", "role": "Conjoint"}
    analyse = analyser(MENAGES, monde.agent, ligne)
    assert (analyse[0].action, analyse[0].doublon_id) == (Action.DOUBLON, monde.m_a2.pk)
    assert "même identifiant SI-SIAO" in analyse[0].doublon
    assert "création impossible" in analyse[0].doublon


def test_nur_d_un_menage_hors_perimetre_ne_revele_rien(monde):
    Menage.objects.filter(pk=monde.m_b1.pk).update(nur="NURB000001", nur_date_depot=AUJOURDHUI)
    nom_cache = demandeur_de(monde.m_b1).nom
    analyse = analyser(
        MENAGES, monde.coordinateur, {"nom": "Neuf", "prenom": "Nina", "nur": "NURB000001"}
    )
    assert analyse[0].action == Action.ERREUR
    assert erreurs(analyse[0]) == [("NUR", "NURB000001", "Ce NUR est déjà utilisé.")]
    assert analyse[0].doublon_id is None and analyse[0].doublon == ""
    texte = repr(analyse)
    assert monde.m_b1.reference not in texte and nom_cache not in texte
    # Même chose pour un ménage existant qui voudrait prendre ce NUR.
    ligne = copie_demandeur(monde.m_a1, reference=monde.m_a1.reference, nur="NURB000001")
    analyse = analyser(MENAGES, monde.coordinateur, ligne)
    assert ("NUR", "NURB000001", "Ce NUR est déjà utilisé.") in erreurs(analyse[0])
    assert monde.m_b1.reference not in repr(analyse)


def test_personne_hors_perimetre_n_est_pas_un_doublon(monde):
    # Le coordinateur de P1 ne voit pas le ménage de B1 : rien ne doit en transparaître.
    ligne = copie_demandeur(monde.m_b1, reference="NOUVEAU", epci="EPCI A1")
    analyse = analyser(MENAGES, monde.coordinateur, ligne)
    assert analyse[0].action == Action.CREER
    assert monde.m_b1.reference not in repr(analyse)


def test_doublon_dans_le_meme_fichier(monde):
    lea, noe = famille()
    autre = {**lea, "reference": "FAMILLE-2", "role": "Demandeur principal"}
    analyse = analyser(MENAGES, monde.coordinateur, lea, noe, autre)
    assert actions(analyse) == [Action.CREER, Action.CREER, Action.DOUBLON]
    assert analyse[2].doublon.startswith("Même personne que la ligne 2 du fichier")
    assert analyse[2].doublon_id is None
    with pytest.raises(ValidationError, match="n'existe pas encore"):
        appliquer(MENAGES, monde.coordinateur, analyse, {4: "mettre_a_jour"})
    assert appliquer(MENAGES, monde.coordinateur, analyse, {4: "ignorer"}) == Compteurs(
        crees=2, ignores=1
    )
    assert Personne.objects.filter(nom_normalise="martin lea").count() == 1


def test_decisions_differentes_pour_un_meme_menage_refusees(monde):
    ligne = copie_demandeur(monde.m_a1, reference="NOUVEAU")
    enfant = {"reference": "NOUVEAU", "nom": "Petit", "prenom": "Paul", "role": "Enfant"}
    analyse = analyser(MENAGES, monde.coordinateur, ligne, enfant)
    assert actions(analyse) == [Action.DOUBLON, Action.DOUBLON]
    with pytest.raises(ValidationError, match="même décision"):
        appliquer(MENAGES, monde.coordinateur, analyse, {2: "creer", 3: "ignorer"})


# --- Ménages : mise à jour et périmètre ---------------------------------------------------------


def test_mise_a_jour_par_reference(monde):
    menage = monde.m_a1
    demandeur = demandeur_de(menage)
    ancienne = f.SituationFactory(personne=demandeur, date_debut=dt.date(2024, 1, 1))
    ligne = copie_demandeur(
        menage,
        reference=menage.reference,
        role="Demandeur principal",
        dalo="Reconnu prioritaire et urgent",
        dalo_date_decision="10/01/2025",
        situation="CHRS",
        situation_depuis="01/02/2025",
        sexe="Homme",
    )
    enfant = {"reference": menage.reference, "nom": "Petit", "prenom": "Paul", "role": "Enfant"}
    analyse = analyser(MENAGES, monde.coordinateur, ligne, enfant)
    assert actions(analyse) == [Action.METTRE_A_JOUR, Action.CREER]
    assert "DALO" in analyse[0].libelle
    version = menage.version
    assert appliquer(MENAGES, monde.coordinateur, analyse) == Compteurs(crees=1, mis_a_jour=1)
    menage.refresh_from_db()
    assert (menage.dalo, menage.dalo_date_decision) == ("prioritaire", dt.date(2025, 1, 10))
    assert menage.version == version + 1 and menage.modifie_par == monde.coordinateur
    demandeur.refresh_from_db()
    assert demandeur.sexe == Personne.Sexe.HOMME
    ancienne.refresh_from_db()
    assert ancienne.date_fin == dt.date(2025, 1, 31)  # service changer_situation
    assert menage.personnes.count() == 2
    # Modification tracée par les signaux du journal (avant / après).
    trace = Evenement.objects.filter(
        action=Evenement.Action.MODIFICATION, **objet(menage), menage_id=menage.pk
    ).latest("id")
    assert trace.changements["dalo"] == ["aucun", "prioritaire"]
    # Relancé : tout est déjà à jour.
    analyse = analyser(MENAGES, monde.coordinateur, ligne, enfant)
    assert actions(analyse) == [Action.IGNORER, Action.IGNORER]


def test_situation_plus_ancienne_que_celle_en_cours(monde):
    demandeur = demandeur_de(monde.m_a1)
    f.SituationFactory(personne=demandeur, date_debut=dt.date(2025, 1, 1))
    ligne = copie_demandeur(
        monde.m_a1, reference=monde.m_a1.reference, situation="CHRS", situation_depuis="01/06/2024"
    )
    analyse = analyser(MENAGES, monde.coordinateur, ligne)
    assert analyse[0].erreurs[0].colonne == "Situation depuis le"
    assert "doit commencer après le 01/01/2025" in analyse[0].erreurs[0].message


def test_ressources_mises_a_jour_type_par_type(monde):
    menage = monde.m_a1
    rsa, salaire, aah = (TypeRessource.objects.get(code=c) for c in ("rsa", "salaire", "aah"))
    Ressource.objects.create(menage=menage, type=rsa, montant_mensuel=500)
    Ressource.objects.create(menage=menage, type=salaire, montant_mensuel=800)
    ligne = copie_demandeur(menage, reference=menage.reference, ressources="RSA : 600 ; AAH : 900")
    analyse = analyser(MENAGES, monde.coordinateur, ligne)
    assert analyse[0].action == Action.METTRE_A_JOUR
    appliquer(MENAGES, monde.coordinateur, analyse)
    en_cours = {
        (r.type_id, r.montant_mensuel) for r in menage.ressources.filter(date_fin__isnull=True)
    }
    assert en_cours == {(rsa.pk, Decimal("600.00")), (aah.pk, Decimal("900.00"))}
    assert menage.ressources.get(type=salaire).date_fin == AUJOURDHUI - dt.timedelta(days=1)


def test_reference_hors_perimetre_n_est_qu_une_cle_de_regroupement(monde):
    # m_a2 est hors du ressort de P1 : sa référence ne le désigne pas, rien n'en transparaît.
    ligne = {"reference": monde.m_a2.reference, "nom": "Neuf", "prenom": "Nina"}
    analyse = analyser(MENAGES, monde.coordinateur, ligne)
    assert analyse[0].action == Action.CREER
    appliquer(MENAGES, monde.coordinateur, analyse)
    assert monde.m_a2.personnes.count() == 1
    assert Personne.objects.get(nom="Neuf").menage.territoire == monde.a1


def test_referent_met_a_jour_mais_ne_cree_pas(monde):
    # Le référent suit m_a1 (mesure de sa structure) : il le met à jour, hors de tout ressort.
    ligne = copie_demandeur(monde.m_a1, reference=monde.m_a1.reference, syplo="oui")
    analyse = analyser(MENAGES, monde.referent, ligne)
    assert analyse[0].action == Action.METTRE_A_JOUR
    appliquer(MENAGES, monde.referent, analyse)
    monde.m_a1.refresh_from_db()
    assert monde.m_a1.syplo is True
    nouveau = analyser(
        MENAGES, monde.referent, {"nom": "Neuf", "prenom": "Nina", "epci": "EPCI A1"}
    )
    assert "réservée aux coordinateurs et agents départementaux" in nouveau[0].erreurs[0].message
    membre = analyser(
        MENAGES,
        monde.referent,
        {"reference": monde.m_a1.reference, "nom": "Neuf", "prenom": "Nina", "role": "Enfant"},
    )
    assert "l'ajout d'un membre est réservé" in membre[0].erreurs[0].message
    ailleurs = analyser(
        MENAGES,
        monde.referent,
        copie_demandeur(monde.m_a1, reference=monde.m_a1.reference, epci="EPCI A2"),
    )
    assert ailleurs[0].erreurs[0].message.startswith("EPCI hors de votre ressort")


def test_copilote_et_sans_role_n_importent_rien(monde):
    for user in (monde.copilote, monde.sans_role):
        with pytest.raises(PermissionDenied):
            MENAGES.contexte(user, None)


def test_statut_anonymise_ne_s_importe_pas(monde):
    ligne = copie_demandeur(monde.m_a1, reference=monde.m_a1.reference, statut="Anonymisé")
    analyse = analyser(MENAGES, monde.coordinateur, ligne)
    assert "ne s'importe pas" in analyse[0].erreurs[0].message


def test_donnees_changees_entre_essai_et_ecriture(monde):
    lea, noe = famille(nur="NUR7777777", nur_date_depot="01/01/2025")
    analyse = analyser(MENAGES, monde.coordinateur, lea, noe)
    assert actions(analyse) == [Action.CREER, Action.CREER]
    # Entre l'essai et la confirmation, un ménage hors périmètre prend ce NUR.
    Menage.objects.filter(pk=monde.m_b1.pk).update(nur="NUR7777777", nur_date_depot=AUJOURDHUI)
    with pytest.raises(ValidationError) as erreur:
        appliquer(MENAGES, monde.coordinateur, analyse)
    assert erreur.value.messages == ["Ligne 2, colonne « NUR » : Ce NUR est déjà utilisé."]
    assert not Personne.objects.filter(nom="Martin").exists()


def test_analyse_sans_requete_par_ligne(monde, django_assert_num_queries):
    lignes = []
    for i in range(60):
        lignes += famille(reference=f"F{i}", nur=f"NUR{i:07d}", nur_date_depot="01/01/2025")
        lignes[-2] = {**lignes[-2], "prenom": f"Léa{i}"}
        lignes[-1] = {**lignes[-1], "prenom": f"Noé{i}"}
    lignes.append(copie_demandeur(monde.m_a1, reference=monde.m_a1.reference, syplo="oui"))
    lignes.append(copie_demandeur(monde.m_a1_sans_mesure, reference="DOUBLON"))
    contexte = MENAGES.contexte(monde.coordinateur, None)
    with django_assert_num_queries(0):
        analyse = MENAGES.analyser(list(enumerate(lignes, start=2)), contexte)
    assert actions(analyse).count(Action.CREER) == 120
    assert actions(analyse)[-2:] == [Action.METTRE_A_JOUR, Action.DOUBLON]


def test_contexte_en_requetes_constantes(monde, django_assert_max_num_queries):
    MENAGES.contexte(monde.agent, None)
    with django_assert_max_num_queries(20) as peu:
        MENAGES.contexte(monde.agent, None)
    for _ in range(10):
        menage = f.MenageFactory(territoire=monde.a2, nur=None)
        f.PersonneFactory(menage=menage, role=Personne.Role.ENFANT)
        f.SituationFactory(personne=demandeur_de(menage))
        menage.publics_prioritaires.set(PublicPrioritaire.objects.all()[:2])
    with django_assert_max_num_queries(len(peu.captured_queries)):
        MENAGES.contexte(monde.agent, None)


# --- Mesures ------------------------------------------------------------------------------------


def mesure(menage, **valeurs):
    return {"menage": menage.reference, "type": "AVDL", "structure": "CHRS Un", **valeurs}


def test_type_de_mesure_inconnu(monde):
    analyse = analyser(MESURES, monde.coordinateur, mesure(monde.m_a1, type="XYZ"))
    assert erreurs(analyse[0]) == [
        (
            "Type de mesure",
            "XYZ",
            "Type de mesure inconnu : « XYZ » (types connus : ASRL, AML, ASLL, AVDL, "
            "AVDL_DALO, MASP).",
        )
    ]


def test_ouvrir_une_mesure(monde):
    f.HabilitationFactory(user=monde.referent, role=Role.REFERENT, structure=monde.s2)
    ligne = mesure(
        monde.m_a1_sans_mesure,
        type="avdl – accompagnement vers et dans le logement",
        referent="referent",
        date_proposition="02/01/2025",
        date_debut="15/01/2025",
    )
    analyse = analyser(MESURES, monde.coordinateur, ligne)
    assert analyse[0].action == Action.CREER, analyse[0].erreurs
    assert appliquer(MESURES, monde.coordinateur, analyse) == Compteurs(crees=1)
    creee = Mesure.objects.get(menage=monde.m_a1_sans_mesure)
    assert (creee.type.code, creee.structure, creee.referent) == ("avdl", monde.s1, monde.referent)
    assert creee.statut == Mesure.Statut.EN_COURS
    assert creee.territoire == monde.a1
    assert creee.date_fin_prevue == dt.date(2025, 7, 15)  # durée par défaut du type : 6 mois
    trace = Evenement.objects.get(action=Evenement.Action.CREATION, **objet(creee))
    assert trace.menage_id == monde.m_a1_sans_mesure.pk
    # Relancé : la même mesure (ménage, type, date de proposition) est déjà à jour.
    assert actions(analyser(MESURES, monde.coordinateur, ligne)) == [Action.IGNORER]


def test_mesure_dates_incoherentes_et_terminee_sans_motif(monde):
    analyse = analyser(
        MESURES,
        monde.coordinateur,
        mesure(
            monde.m_a1_sans_mesure,
            date_debut="10/03/2025",
            date_fin="01/03/2025",
            motif_fin="Décès",
        ),
        mesure(
            monde.m_a1_sans_mesure,
            type="ASLL",
            date_debut="10/03/2025",
            statut="Terminée",
            date_fin="01/04/2025",
        ),
    )
    assert ("Fin réelle", "01/03/2025", "La fin précède le début.") in erreurs(analyse[0])
    assert ("Motif de fin", "", "Indiquez le motif de fin.") in erreurs(analyse[1])


def test_mesure_hors_perimetre_et_structure_hors_ressort(monde):
    analyse = analyser(
        MESURES,
        monde.coordinateur,
        mesure(monde.m_b1),
        mesure(monde.m_a1_sans_mesure, structure="CHRS Trois"),
        {"nur": "INCONNU00", "type": "AML"},
    )
    assert erreurs(analyse[0]) == [
        (
            "Référence du ménage",
            monde.m_b1.reference,
            f"Ménage introuvable dans votre périmètre : « {monde.m_b1.reference} ».",
        )
    ]
    assert (
        analyse[1].erreurs[0].message.startswith("Structure hors de votre ressort : « CHRS Trois »")
    )
    assert (
        analyse[2].erreurs[0].message == "Ménage introuvable dans votre périmètre : « INCONNU00 »."
    )


def test_referent_inconnu_dans_la_structure(monde):
    autre = f.utilisateur(Role.REFERENT, structure=monde.s2, username="ailleurs")
    analyse = analyser(
        MESURES, monde.coordinateur, mesure(monde.m_a1_sans_mesure, referent=autre.username)
    )
    assert analyse[0].erreurs[0].colonne == "Référent"
    assert "Référent inconnu dans cette structure : « ailleurs »" in analyse[0].erreurs[0].message


def test_mesure_ouverte_du_meme_type_est_un_doublon(monde):
    existante = monde.mesure_a1  # ASRL en cours pour m_a1, portée par s1
    ligne = mesure(
        monde.m_a1,
        type="ASRL",
        date_proposition="01/01/2020",
        referent="Camille Agent" + monde.referent.last_name.removeprefix("Agent"),
    )
    analyse = analyser(MESURES, monde.coordinateur, ligne)
    assert (analyse[0].action, analyse[0].doublon_id) == (Action.DOUBLON, existante.pk)
    with pytest.raises(ValidationError, match="Création impossible"):
        appliquer(MESURES, monde.coordinateur, analyse, {2: "creer"})
    assert appliquer(MESURES, monde.coordinateur, analyse, {2: "mettre_a_jour"}) == Compteurs(
        mis_a_jour=1
    )
    existante.refresh_from_db()
    assert existante.referent == monde.referent
    assert Mesure.objects.filter(menage=monde.m_a1).count() == 1


def test_le_referent_termine_sa_mesure_par_le_service(monde):
    existante = monde.mesure_a1
    f.SituationFactory(personne=demandeur_de(monde.m_a1), date_debut=dt.date(2024, 1, 1))
    ligne = mesure(
        monde.m_a1,
        type="ASRL",
        date_proposition=f"{existante.date_proposition:%d/%m/%Y}",
        statut="Terminée",
        date_fin=f"{AUJOURDHUI:%d/%m/%Y}",
        motif_fin="Accès au logement",
        destination="Parc privé",
        date_entree_logement=f"{AUJOURDHUI:%d/%m/%Y}",
    )
    analyse = analyser(MESURES, monde.referent, ligne)
    assert analyse[0].action == Action.METTRE_A_JOUR, analyse[0].erreurs
    appliquer(MESURES, monde.referent, analyse)
    existante.refresh_from_db()
    assert existante.statut == Mesure.Statut.TERMINEE
    assert existante.motif_fin == MotifFin.objects.get(code="acces_logement")
    # Comme terminer_mesure dans l'interface : l'entrée dans le logement entre au parcours.
    assert (
        SituationResidentielle.objects.get(personne__menage=monde.m_a1, date_fin=None).type.code
        == "logement_prive"
    )
    # Le référent ne crée pas de mesure.
    refus = analyser(
        MESURES, monde.referent, mesure(monde.m_a1, type="MASP", date_debut="01/01/2025")
    )
    assert "réservée aux coordinateurs" in refus[0].erreurs[0].message


def test_mesure_terminee_ne_se_rouvre_pas(monde):
    Mesure.objects.filter(pk=monde.mesure_a1.pk).update(
        statut=Mesure.Statut.TERMINEE,
        date_fin=AUJOURDHUI,
        motif_fin=MotifFin.objects.get(code="objectifs_atteints"),
    )
    ligne = mesure(
        monde.m_a1,
        type="ASRL",
        date_proposition=f"{monde.mesure_a1.date_proposition:%d/%m/%Y}",
        statut="En cours",
    )
    analyse = analyser(MESURES, monde.coordinateur, ligne)
    assert erreurs(analyse[0]) == [
        ("Statut", "En cours", "Une mesure terminée ne se rouvre pas par import.")
    ]


def test_cumul_fsl_dans_le_fichier(monde):
    analyse = analyser(
        MESURES,
        monde.agent,
        mesure(monde.m_a1_sans_mesure, type="ASLL", date_debut="01/01/2025"),
        mesure(monde.m_a1_sans_mesure, type="AML", date_debut="01/01/2025"),
    )
    assert analyse[0].action == Action.CREER
    assert erreurs(analyse[1]) == [
        ("Type de mesure", "AML", "Une AML ne se cumule pas avec une autre mesure FSL en cours.")
    ]


def test_structure_par_defaut_de_l_import(monde):
    ligne = {"menage": monde.m_a1_sans_mesure.reference, "type": "AVDL", "date_debut": "01/01/2025"}
    sans = analyser(MESURES, monde.coordinateur, ligne)
    assert sans[0].erreurs[0].message == "Indiquez la structure qui porte la mesure."
    avec = analyser(MESURES, monde.coordinateur, ligne, structure=monde.s2)
    assert avec[0].action == Action.CREER
    etrangere = analyser(MESURES, monde.coordinateur, ligne, structure=monde.s3)
    assert etrangere[0].action == Action.ERREUR


def test_mesures_analyse_sans_requete_par_ligne(monde, django_assert_num_queries):
    lignes = [
        mesure(monde.m_a1_sans_mesure, type="AVDL", date_proposition=f"0{i}/01/2025")
        for i in range(1, 10)
    ]
    contexte = MESURES.contexte(monde.agent, None)
    with django_assert_num_queries(0):
        MESURES.analyser(list(enumerate(lignes, start=2)), contexte)


def test_copilote_n_importe_pas_de_mesures(monde):
    with pytest.raises(PermissionDenied):
        MESURES.contexte(monde.copilote, None)


# --- Logements ----------------------------------------------------------------------------------


def logement(**valeurs):
    return {
        "reference": "LOG-NEUF",
        "adresse": "12 rue des Fictions, apt 3",
        "code_postal": "1000",
        "commune": "Valmont",
        "epci": "EPCI A1",
        "typologie": "t2",
        "surface": "45,5",
        "loyer": "1 234,50",
        "charges": "60",
        "type_bailleur": "Propriétaire privé",
        "captation": "IML",
        "date_disponibilite": "01/03/2025",
        **valeurs,
    }


def test_creer_un_logement(monde):
    analyse = analyser(
        LOGEMENTS, monde.coordinateur, logement(qpv="oui", contingent="Action Logement")
    )
    assert analyse[0].action == Action.CREER, analyse[0].erreurs
    assert appliquer(LOGEMENTS, monde.coordinateur, analyse) == Compteurs(crees=1)
    cree = Logement.objects.get(reference="LOG-NEUF")
    assert (cree.code_postal, cree.loyer, cree.surface) == (
        "01000",
        Decimal("1234.50"),
        Decimal("45.5"),
    )
    assert (cree.typologie, cree.captation, cree.qpv) == ("T2", "iml_mandat", True)
    trace = Evenement.objects.get(action=Evenement.Action.CREATION, **objet(cree))
    assert trace.territoire_id == monde.a1.pk and trace.details["import"] == "logements"


def test_logement_montant_negatif_et_surface(monde):
    analyse = analyser(LOGEMENTS, monde.coordinateur, logement(loyer="-12", surface="5"))
    assert erreurs(analyse[0]) == [
        ("Loyer (€)", "-12", "Le montant ne peut pas être négatif : « -12 »."),
    ]
    analyse = analyser(LOGEMENTS, monde.coordinateur, logement(surface="5", typologie="T9"))
    assert erreurs(analyse[0])[0][:2] == ("Typologie", "T9")
    analyse = analyser(LOGEMENTS, monde.coordinateur, logement(surface="5"))
    assert erreurs(analyse[0]) == [("Surface (m²)", "5,0", "Un logement fait au moins 9 m².")]


def test_logement_valeurs_requises_et_bailleur(monde):
    analyse = analyser(LOGEMENTS, monde.coordinateur, {"reference": "LOG-X", "adresse": "1 rue"})
    assert (
        analyse[0]
        .erreurs[0]
        .message.startswith(
            "Valeur requise pour créer le logement : Code postal, Commune, Typologie"
        )
    )
    bailleur = f.StructureFactory(
        nom="Habitat fictif", type=Structure.Type.BAILLEUR, territoire=monde.d1
    )
    analyse = analyser(LOGEMENTS, monde.coordinateur, logement(bailleur=bailleur.nom))
    assert erreurs(analyse[0]) == [
        ("Bailleur social", "Habitat fictif", "Un propriétaire privé n'est pas un bailleur social.")
    ]
    f.StructureFactory(nom="Habitat lointain", type=Structure.Type.BAILLEUR, territoire=monde.d2)
    analyse = analyser(LOGEMENTS, monde.coordinateur, logement(bailleur="Habitat lointain"))
    assert analyse[0].erreurs[0].message.startswith("Bailleur social hors de votre ressort")


def test_reference_d_un_logement_hors_perimetre(monde):
    cache = f.LogementFactory(reference="LOG-CACHE", territoire=monde.b1, adresse="9 rue Secrète")
    analyse = analyser(LOGEMENTS, monde.coordinateur, logement(reference="log-cache"))
    assert erreurs(analyse[0]) == [("Référence", "log-cache", "Cette référence est déjà utilisée.")]
    assert cache.adresse not in repr(analyse)


def test_logement_doublon_d_adresse(monde):
    existant = f.LogementFactory(
        territoire=monde.a1, adresse="12 Rue des Fictions, apt 3", code_postal="01000"
    )
    analyse = analyser(LOGEMENTS, monde.coordinateur, logement())
    assert (analyse[0].action, analyse[0].doublon_id) == (Action.DOUBLON, existant.pk)
    assert existant.reference in analyse[0].doublon
    assert appliquer(LOGEMENTS, monde.coordinateur, analyse, {2: "mettre_a_jour"}) == Compteurs(
        mis_a_jour=1
    )
    existant.refresh_from_db()
    assert existant.loyer == Decimal("1234.50")
    assert not Logement.objects.filter(reference="LOG-NEUF").exists()
    analyse = analyser(LOGEMENTS, monde.coordinateur, logement(loyer="500"))
    appliquer(LOGEMENTS, monde.coordinateur, analyse, {2: "creer"})
    assert Logement.objects.filter(reference="LOG-NEUF").exists()


def test_logements_doublons_dans_le_fichier(monde):
    analyse = analyser(
        LOGEMENTS,
        monde.coordinateur,
        logement(),
        logement(reference="LOG-AUTRE"),
        logement(),
    )
    assert actions(analyse) == [Action.CREER, Action.DOUBLON, Action.ERREUR]
    assert analyse[1].doublon == "Même adresse que le logement de la ligne 2 du fichier"
    assert analyse[2].erreurs[0].message == "Même référence que la ligne 2."


def test_logement_mise_a_jour_hors_ressort_refusee(monde):
    existant = f.LogementFactory(territoire=monde.a1)
    analyse = analyser(
        LOGEMENTS, monde.coordinateur, {"reference": existant.reference, "loyer": "999"}
    )
    assert analyse[0].action == Action.METTRE_A_JOUR
    appliquer(LOGEMENTS, monde.coordinateur, analyse)
    existant.refresh_from_db()
    assert existant.loyer == Decimal("999")
    analyse = analyser(
        LOGEMENTS, monde.coordinateur, {"reference": existant.reference, "epci": "EPCI B1"}
    )
    assert analyse[0].erreurs[0].message.startswith("EPCI hors de votre ressort")


def test_seuls_les_redacteurs_importent_des_logements(monde):
    for user in (monde.referent, monde.copilote):
        with pytest.raises(PermissionDenied):
            LOGEMENTS.contexte(user, None)


def test_colonnes_de_chaque_genre():
    for genre in GENRES.values():
        cles = [c.cle for c in genre.colonnes]
        assert len(cles) == len(set(cles))
        assert all(c.entete for c in genre.colonnes)
    assert [c.entete for c in MENAGES.colonnes if c.obligatoire] == ["Nom", "Prénom"]
    assert [c.entete for c in MESURES.colonnes if c.obligatoire] == ["Type de mesure"]
    assert [c.entete for c in LOGEMENTS.colonnes if c.obligatoire] == ["Référence"]
    assert TypeMesure.objects.filter(code="avdl_dalo").exists()  # listé dans le message d'erreur
