"""Commande seed_demo : données fictives cohérentes, tous les cas couverts, reproductibles."""

import datetime as dt
import random
from collections import defaultdict
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings

from accompagnement.models import (
    AideFinanciere,
    Enveloppe,
    Mesure,
    MotifFin,
    Orientation,
    Rencontre,
    Renouvellement,
    TypeMesure,
)
from attributions.models import Contingent, DecisionCaleol, Logement, Proposition
from demo import generateur as demo
from logement.models import Habilitation, Role, Territoire, User
from menages.models import Consentement, EtapeProcedure, Menage, Personne, ProcedureExpulsion

pytestmark = pytest.mark.django_db

NB_MENAGES = 60
JOUR = "2025-11-20"  # fixe et passé : le jeu ne dépend pas du jour où tournent les tests
ARGUMENTS = ["--menages", str(NB_MENAGES), "--seed", "7", "--today", JOUR]


def semer(*options):
    sortie = StringIO()
    call_command("seed_demo", *ARGUMENTS, *options, stdout=sortie)
    return sortie.getvalue()


@pytest.fixture(scope="module", autouse=True)
def jeu(django_db_setup, django_db_blocker):
    """Un seul jeu pour le module, annulé à la fin : chaque test tourne dans un point de
    sauvegarde à l'intérieur de cette transaction."""
    hachage_rapide = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hachage_rapide),
        transaction.atomic(),
    ):
        sortie = semer()
        yield sortie
        transaction.set_rollback(True)


def photographie():
    """Contenu du jeu indépendant des clés attribuées par la base."""
    personnes = set(
        Personne.objects.values_list("menage__reference", "nom", "prenom", "date_naissance", "role")
    )
    mesures = set(
        Mesure.objects.values_list(
            "menage__reference",
            "type__code",
            "statut",
            "structure__nom",
            "referent__username",
            "date_proposition",
            "date_debut",
            "date_fin",
            "motif_fin__code",
            "destination",
        )
    )
    propositions = set(
        Proposition.objects.values_list(
            "menage__reference",
            "logement__reference",
            "date_proposition",
            "decision__code",
            "reponse",
            "date_signature_bail",
            "date_entree",
        )
    )
    return personnes, mesures, propositions


def test_affiche_les_comptes_et_le_mot_de_passe(jeu):
    assert demo.MOT_DE_PASSE in jeu
    for identifiant in demo.IDENTIFIANTS:
        assert identifiant in jeu


def test_chaque_modele_a_des_lignes():
    vides = [m.__name__ for m in demo.MODELES_DEMO if not m.objects.exists()]
    assert vides == []
    assert Menage.objects.count() == NB_MENAGES


def test_un_compte_par_role_avec_son_habilitation():
    attendus = {
        "referent": (Role.REFERENT, "structure", "Association L'Escale brélonnaise"),
        "referente2": (Role.REFERENT, "structure", "Habitat solidaire du Valmont"),
        "coordinatrice": (Role.COORDINATEUR, "territoire", "PF-BRELONNE"),
        "agent.departemental": (Role.AGENT_DEPARTEMENTAL, "territoire", "00"),
        "copilote": (Role.COPILOTE, "territoire", "200000001"),
    }
    for identifiant, (role, cible, valeur) in attendus.items():
        habilitation = Habilitation.objects.select_related("structure", "territoire").get(
            user__username=identifiant
        )
        assert habilitation.role == role
        obtenu = (
            habilitation.structure.nom if cible == "structure" else habilitation.territoire.code
        )
        assert obtenu == valeur
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.habilitations.get().role == Role.ADMINISTRATEUR
    assert admin.check_password(demo.MOT_DE_PASSE)
    plateforme_a = Territoire.objects.get(code="PF-BRELONNE")
    assert set(plateforme_a.perimetre.values_list("code", flat=True)) == {"200000001"}
    plateforme_b = Territoire.objects.get(code="PF-ORMEIL-SORELLE")
    assert set(plateforme_b.perimetre.values_list("code", flat=True)) == {"200000002", "200000003"}


def test_tous_les_types_de_mesure_motifs_et_statuts_sont_utilises():
    mesures = Mesure.objects.all()
    assert set(mesures.values_list("type__code", flat=True)) == set(
        TypeMesure.objects.values_list("code", flat=True)
    )
    assert set(mesures.exclude(motif_fin=None).values_list("motif_fin__code", flat=True)) == set(
        MotifFin.objects.values_list("code", flat=True)
    )
    assert set(mesures.values_list("statut", flat=True)) == set(Mesure.Statut.values)
    assert set(Orientation.objects.values_list("statut", flat=True)) == set(
        Orientation.Statut.values
    )
    assert Renouvellement.objects.exists()


def test_propositions_a_chaque_etape():
    propositions = Proposition.objects.select_related("decision")
    assert {p.etape for p in propositions} == set(Proposition.Etape.values)
    decisions = set(propositions.values_list("decision__code", flat=True))
    assert decisions >= set(DecisionCaleol.objects.values_list("code", flat=True))
    assert propositions.filter(reponse=Proposition.Reponse.REFUS).exclude(motif_refus="").exists()


def test_un_bail_signe_classe_les_autres_candidats_du_logement():
    baux = Proposition.objects.attributions()
    en_souffrance = (
        Proposition.objects.filter(logement__in=baux.values("logement"))
        .exclude(pk__in=baux.values("pk"))
        .filter(date_classement__isnull=True)
        .exclude(reponse=Proposition.Reponse.REFUS)
    )
    assert baux.exists()
    assert not en_souffrance.exists()


def test_procedures_de_toutes_issues_sans_expulsion_pendant_la_treve():
    assert set(ProcedureExpulsion.objects.values_list("issue", flat=True)) == set(
        ProcedureExpulsion.Issue.values
    )
    expulsions = EtapeProcedure.objects.filter(etape=EtapeProcedure.Etape.EXPULSION)
    assert expulsions.exists()
    assert all(4 <= e.date.month <= 10 for e in expulsions)
    for procedure in ProcedureExpulsion.objects.prefetch_related("etapes"):
        etapes = sorted(procedure.etapes.all(), key=lambda e: e.etape)
        dates = [e.date for e in etapes]
        assert dates == sorted(dates), "étapes hors de l'ordre légal"


def test_un_echantillon_de_chaque_modele_passe_full_clean():
    rng = random.Random(0)
    for modele in demo.MODELES_DEMO:
        if modele is Menage.publics_prioritaires.through:
            continue
        cles = sorted(modele.objects.values_list("pk", flat=True))
        for objet in modele.objects.filter(pk__in=rng.sample(cles, min(30, len(cles)))):
            objet.full_clean()


def test_parcours_residentiel_sans_chevauchement():
    for personne in Personne.objects.prefetch_related("situations"):
        situations = sorted(personne.situations.all(), key=lambda s: s.date_debut)
        assert situations, "personne sans parcours"
        assert [s.date_fin for s in situations].count(None) == 1
        assert situations[-1].date_fin is None
        for avant, apres in zip(situations, situations[1:], strict=False):
            assert avant.date_fin < apres.date_debut
        if personne.date_naissance:
            assert situations[0].date_debut >= personne.date_naissance


def test_un_demandeur_par_menage():
    for menage in Menage.objects.prefetch_related("personnes"):
        roles = [p.role for p in menage.personnes.all()]
        assert roles.count(Personne.Role.DEMANDEUR) == 1


def test_regles_des_mesures():
    mesures = Mesure.objects.select_related("type", "motif_fin", "convention", "menage")
    ouvertes = defaultdict(list)
    for mesure in mesures:
        assert mesure.territoire_id == mesure.menage.territoire_id
        assert Habilitation.objects.filter(
            user=mesure.referent, role=Role.REFERENT, structure=mesure.structure
        ).exists()
        if mesure.convention:
            assert mesure.convention.structure_id == mesure.structure_id
            assert mesure.convention.type_mesure_id == mesure.type_id
        if mesure.motif_fin and mesure.motif_fin.acces_logement:
            assert mesure.destination and mesure.date_entree_logement
        if mesure.est_ouverte:
            ouvertes[mesure.menage_id].append(mesure.type)
        if mesure.date_debut and mesure.type.duree_max_mois:
            plafond = mesure.date_debut + relativedelta(months=mesure.type.duree_max_mois)
            assert mesure.date_fin_prevue <= plafond
            assert (mesure.date_fin or mesure.date_fin_prevue) <= plafond
    for types in ouvertes.values():
        assert len({t.code for t in types}) == len(types)
        fsl = [t for t in types if t.relevant_fsl]
        assert not (len(fsl) > 1 and any(t.cumul_fsl_interdit for t in fsl))


def test_rencontres_par_les_referents_de_la_structure_et_dernier_contact():
    derniers = {}
    for rencontre in Rencontre.objects.select_related("mesure"):
        assert rencontre.structure_id == rencontre.mesure.structure_id
        assert Habilitation.objects.filter(
            user=rencontre.auteur_id, role=Role.REFERENT, structure=rencontre.structure_id
        ).exists()
        assert rencontre.date <= dt.date.fromisoformat(JOUR)
        derniers[rencontre.menage_id] = max(
            derniers.get(rencontre.menage_id, rencontre.date), rencontre.date
        )
    for menage in Menage.objects.all():
        assert menage.date_dernier_contact == derniers.get(menage.pk)


def test_aides_accordees_dans_les_enveloppes():
    for enveloppe in Enveloppe.objects.all():
        accorde = enveloppe.aides.filter(decision=AideFinanciere.Decision.ACCORDEE).aggregate(
            total=Sum("montant")
        )["total"]
        assert (accorde or 0) <= enveloppe.montant


def test_relancer_sans_reset_est_refuse():
    with pytest.raises(CommandError, match="existent déjà"):
        semer()


def test_date_du_jour_dans_le_futur_refusee():
    with pytest.raises(CommandError, match="futur"):
        call_command("seed_demo", "--today", "2999-01-01", "--reset", stdout=StringIO())


def test_meme_graine_meme_jeu_apres_reset():
    avant = photographie()
    sortie = semer("--reset")
    assert "précédentes supprimées" in sortie
    assert photographie() == avant
    assert Menage.objects.count() == NB_MENAGES
    assert Territoire.objects.filter(niveau=Territoire.Niveau.DEPARTEMENT, code="00").count() == 1


def test_autre_graine_autre_jeu():
    avant = photographie()
    call_command(
        "seed_demo",
        "--menages",
        str(NB_MENAGES),
        "--seed",
        "8",
        "--today",
        JOUR,
        "--reset",
        stdout=StringIO(),
    )
    assert photographie()[0] != avant[0]


def test_suppression_vide_toutes_les_tables_du_jeu():
    demo.supprimer_donnees_demo()
    restes = {m.__name__: m.objects.count() for m in demo.MODELES_DEMO if m.objects.exists()}
    assert restes == {}


@pytest.fixture
def menage_reel():
    dep = Territoire.objects.create(niveau=Territoire.Niveau.DEPARTEMENT, code="98", nom="Réel")
    epci = Territoire.objects.create(
        niveau=Territoire.Niveau.EPCI, code="200000098", nom="EPCI réel", parent=dep
    )
    return Menage.objects.create(territoire=epci)


def test_reset_refuse_quand_un_compte_de_demo_sert_a_des_donnees_reelles(menage_reel):
    referent = User.objects.get(username="referent")
    Consentement.objects.create(
        menage=menage_reel, adhesion=Consentement.Adhesion.ACCEPTEE, recueilli_par=referent
    )
    with pytest.raises(CommandError, match="Suppression impossible"):
        semer("--reset")
    assert Menage.objects.filter(reference__startswith=demo.PREFIXE_REFERENCE).count() == NB_MENAGES


def test_reset_refuse_quand_un_logement_de_demo_sert_a_des_donnees_reelles(menage_reel):
    Proposition.objects.create(
        menage=menage_reel,
        logement=Logement.objects.order_by("reference").first(),
        contingent=Contingent.objects.get(code="bailleur"),
        date_proposition=dt.date.fromisoformat(JOUR),
    )
    with pytest.raises(CommandError, match="Suppression impossible"):
        semer("--reset")
    assert Menage.objects.filter(reference__startswith=demo.PREFIXE_REFERENCE).count() == NB_MENAGES
