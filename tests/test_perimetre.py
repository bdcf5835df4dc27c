"""Cloisonnement : ce que chaque rôle voit des ménages, mesures, attributions et territoires."""

import datetime as dt

import pytest
from django.utils import timezone

from accompagnement.models import Convention, Mesure, MotifFin, Orientation, Rencontre
from attributions.models import Logement, ObjectifAttribution, Proposition
from logement.models import Habilitation, Role, Structure, Territoire
from menages.models import Menage

from . import factories as f


def ids(queryset):
    return set(queryset.values_list("id", flat=True))


def test_referent_voit_les_menages_suivis_par_sa_structure(monde):
    assert ids(Menage.objects.visible_to(monde.referent)) == {monde.m_a1.id}


def test_referent_voit_un_menage_dont_la_mesure_est_terminee(monde):
    f.MesureFactory(
        menage=monde.m_a1_sans_mesure,
        structure=monde.s1,
        type=f.reference(f.TypeMesure, "avdl"),
        statut=Mesure.Statut.TERMINEE,
        date_fin=timezone.localdate(),
        motif_fin=f.reference(MotifFin, "perte_contact"),
    )
    assert monde.m_a1_sans_mesure.id in ids(Menage.objects.visible_to(monde.referent))


def test_coordinateur_voit_les_menages_de_sa_plateforme_seulement(monde):
    assert ids(Menage.objects.visible_to(monde.coordinateur)) == {
        monde.m_a1.id,
        monde.m_a1_sans_mesure.id,
    }


def test_agent_departemental_voit_tout_son_departement(monde):
    assert ids(Menage.objects.visible_to(monde.agent)) == {
        monde.m_a1.id,
        monde.m_a1_sans_mesure.id,
        monde.m_a2.id,
    }


def test_copilote_ne_voit_aucune_donnee_personnelle(monde):
    assert not Menage.objects.visible_to(monde.copilote).exists()
    assert not Mesure.objects.visible_to(monde.copilote).exists()
    assert not monde.copilote.perimetre.voit_donnees_personnelles
    assert monde.copilote.perimetre.agregats_epci_ids == {monde.a1.id}


def test_administrateur_voit_tout(monde):
    assert Menage.objects.visible_to(monde.administrateur).count() == Menage.objects.count()


def test_sans_habilitation_ne_voit_rien(monde):
    assert not Menage.objects.visible_to(monde.sans_role).exists()
    assert not Territoire.objects.visible_to(monde.sans_role).exists()


def test_habilitation_expiree_ne_donne_plus_acces(monde):
    Habilitation.objects.filter(user=monde.coordinateur).update(
        date_fin=timezone.localdate() - dt.timedelta(days=1)
    )
    monde.coordinateur.refresh_from_db()
    assert not Menage.objects.visible_to(monde.coordinateur).exists()


def test_compte_desactive_ne_voit_rien(monde):
    monde.agent.is_active = False
    monde.agent.save()
    monde.agent.refresh_from_db()
    assert not Menage.objects.visible_to(monde.agent).exists()


@pytest.mark.parametrize(
    ("role", "attendues"),
    [
        ("referent", {"mesure_a1"}),
        ("coordinateur", {"mesure_a1"}),
        ("agent", {"mesure_a1", "mesure_a2"}),
        ("copilote", set()),
        ("administrateur", {"mesure_a1", "mesure_a2", "mesure_b1"}),
    ],
)
def test_mesures_visibles_par_role(monde, role, attendues):
    user = getattr(monde, role)
    assert ids(Mesure.objects.visible_to(user)) == {getattr(monde, m).id for m in attendues}


def test_referent_voit_les_autres_mesures_des_menages_quil_suit(monde):
    autre = f.MesureFactory(
        menage=monde.m_a1, structure=monde.s2, type=f.reference(f.TypeMesure, "avdl")
    )
    assert autre.id in ids(Mesure.objects.visible_to(monde.referent))


def test_propositions_et_logements_cloisonnes(monde):
    prop_a1 = f.PropositionFactory(menage=monde.m_a1)
    prop_b1 = f.PropositionFactory(menage=monde.m_b1)
    logement_libre_a2 = f.LogementFactory(territoire=monde.a2)

    assert ids(Proposition.objects.visible_to(monde.coordinateur)) == {prop_a1.id}
    assert ids(Proposition.objects.visible_to(monde.referent)) == {prop_a1.id}
    assert ids(Logement.objects.visible_to(monde.coordinateur)) == {prop_a1.logement_id}
    assert ids(Logement.objects.visible_to(monde.agent)) == {
        prop_a1.logement_id,
        logement_libre_a2.id,
    }
    # Le référent ne voit que les logements proposés aux ménages qu'il suit.
    assert ids(Logement.objects.visible_to(monde.referent)) == {prop_a1.logement_id}
    assert prop_b1.id not in ids(Proposition.objects.visible_to(monde.agent))


def test_orientations_et_rencontres_cloisonnees(monde):
    o_a1 = f.OrientationFactory(menage=monde.m_a1, plateforme=monde.p1)
    o_b1 = f.OrientationFactory(menage=monde.m_b1, plateforme=monde.q1)
    r_b1 = f.RencontreFactory(menage=monde.m_b1, structure=monde.s3)
    assert ids(Orientation.objects.visible_to(monde.coordinateur)) == {o_a1.id}
    assert o_b1.id not in ids(Orientation.objects.visible_to(monde.agent))
    assert r_b1.id not in ids(Rencontre.objects.visible_to(monde.agent))


def test_note_de_rencontre_lisible_par_la_seule_structure_autrice(monde):
    rencontre = f.RencontreFactory(menage=monde.m_a1, structure=monde.s1, auteur=monde.referent)
    autre_referent = f.utilisateur(Role.REFERENT, structure=monde.s2)
    assert rencontre.note_visible_par(monde.referent)
    assert not rencontre.note_visible_par(autre_referent)
    assert not rencontre.note_visible_par(monde.coordinateur)
    assert not rencontre.note_visible_par(monde.copilote)


def test_conventions_objectifs_territoires_structures(monde):
    c1 = f.ConventionFactory(structure=monde.s1, territoire=monde.d1)
    c3 = f.ConventionFactory(structure=monde.s3, territoire=monde.d2)
    obj_a1 = ObjectifAttribution.objects.create(territoire=monde.a1, annee=2026, objectif=40)
    obj_b1 = ObjectifAttribution.objects.create(territoire=monde.b1, annee=2026, objectif=40)

    assert ids(Convention.objects.visible_to(monde.agent)) == {c1.id}
    assert c3.id in ids(Convention.objects.visible_to(monde.administrateur))
    assert ids(Convention.objects.visible_to(monde.referent)) == {c1.id}
    assert ids(ObjectifAttribution.objects.visible_to(monde.copilote)) == {obj_a1.id}
    assert obj_b1.id not in ids(ObjectifAttribution.objects.visible_to(monde.coordinateur))
    assert ids(Territoire.objects.visible_to(monde.coordinateur)) == {
        monde.d1.id,
        monde.a1.id,
        monde.p1.id,
    }
    assert monde.s3.id not in ids(Structure.objects.visible_to(monde.agent))
    assert monde.s1.id in ids(Structure.objects.visible_to(monde.referent))


def test_perimetre_calcule_en_un_nombre_fixe_de_requetes(monde, django_assert_max_num_queries):
    for _ in range(5):
        f.HabilitationFactory(
            user=monde.agent,
            role=Role.COORDINATEUR,
            territoire=f.PlateformeFactory(parent=monde.d1),
        )
    monde.agent.refresh_from_db()
    with django_assert_max_num_queries(4):
        perimetre = monde.agent.perimetre
    assert perimetre.a_role(Role.AGENT_DEPARTEMENTAL)
