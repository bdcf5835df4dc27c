"""Conventions de financement : occupation et coût par ménage calculés en base, saisie par
l'agent départemental, lecture bornée au périmètre, requêtes en nombre constant."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accompagnement.models import Convention, Financeur, Mesure, MotifFin, TypeMesure

from . import factories as f

pytestmark = pytest.mark.django_db

AUJOURDHUI = timezone.localdate()
D = dt.date


def mesure_de(convention, *, debut, fin=None, epci=None, **kwargs):
    """Une mesure d'un nouveau ménage rattachée à la convention ; terminée si `fin` est donnée."""
    fin_reelle = (
        {
            "statut": Mesure.Statut.TERMINEE,
            "date_fin": fin,
            "motif_fin": f.reference(MotifFin, "objectifs_atteints"),
        }
        if fin
        else {}
    )
    return f.MesureFactory(
        menage=f.MenageFactory(territoire=epci or f.EpciFactory(parent=convention.territoire)),
        structure=convention.structure,
        type=convention.type_mesure,
        convention=convention,
        date_proposition=debut or D(2000, 1, 1),
        date_debut=debut,
        date_fin_prevue=None,
        **fin_reelle,
        **kwargs,
    )


# --- Occupation (ConventionQuerySet.avec_occupation) ---------------------------------------------


def test_taux_d_occupation_et_cout_par_menage_d_une_annee_non_bissextile(monde):
    convention = f.ConventionFactory(structure=monde.s1, annee=2023, nombre_mesures=2, budget=30000)
    toute_l_annee = mesure_de(convention, debut=D(2022, 6, 1), epci=monde.a1)
    mesure_de(convention, debut=D(2023, 3, 1), fin=D(2023, 5, 12), epci=monde.a1)  # 73 jours
    mesure_de(convention, debut=D(2022, 1, 3), fin=D(2022, 12, 31), epci=monde.a1)  # hors année
    mesure_de(convention, debut=None, epci=monde.a1, statut=Mesure.Statut.PROPOSEE)  # pas commencée
    # Une deuxième mesure du même ménage compte ses jours, pas un ménage de plus.
    f.MesureFactory(
        menage=toute_l_annee.menage,
        structure=monde.s1,
        type=convention.type_mesure,
        convention=convention,
        statut=Mesure.Statut.TERMINEE,
        date_proposition=D(2021, 1, 1),
        date_debut=D(2021, 1, 1),
        date_fin=D(2023, 1, 1),
        date_fin_prevue=None,
        motif_fin=f.reference(MotifFin, "objectifs_atteints"),
    )

    c = Convention.objects.avec_occupation(2023).get(pk=convention.pk)

    assert c.mesures_rattachees == 5
    assert c.jours_capacite == 2 * 365
    assert c.jours_mesures == 365 + 73 + 1
    assert c.menages_accompagnes == 2
    assert c.cout_par_menage == 15000


def test_exemple_du_cahier_des_charges_soixante_pour_cent(monde):
    convention = f.ConventionFactory(structure=monde.s1, annee=2023, nombre_mesures=2)
    mesure_de(convention, debut=D(2023, 1, 1), fin=D(2023, 12, 31))
    mesure_de(convention, debut=D(2023, 10, 20))  # non terminée : 73 jours jusqu'au 31/12
    c = Convention.objects.avec_occupation(2023).get(pk=convention.pk)
    assert c.taux_occupation == pytest.approx(60.0)


def test_annee_en_cours_rapportee_aux_jours_ecoules(monde):
    convention = f.ConventionFactory(structure=monde.s1, annee=2024, nombre_mesures=2)
    mesure_de(convention, debut=D(2023, 11, 1))
    mesure_de(convention, debut=D(2024, 3, 10))  # après le « jour » observé : ne compte pas
    c = Convention.objects.avec_occupation(2024, aujourdhui=D(2024, 3, 1)).get(pk=convention.pk)
    assert c.jours_capacite == 2 * (31 + 29 + 1)  # 2024 est bissextile
    assert c.jours_mesures == 61
    assert c.taux_occupation == pytest.approx(50.0)
    assert c.menages_accompagnes == 1


def test_convention_sans_mesure_ni_periode_commencee(monde):
    convention = f.ConventionFactory(structure=monde.s1, annee=AUJOURDHUI.year + 1)
    c = Convention.objects.avec_occupation(AUJOURDHUI.year + 1).get(pk=convention.pk)
    assert (c.jours_mesures, c.jours_capacite, c.menages_accompagnes) == (0, 0, 0)
    assert c.taux_occupation is None
    assert c.cout_par_menage is None


# --- Liste -----------------------------------------------------------------------------------------


def test_agent_voit_les_conventions_de_son_departement_avec_leur_occupation(client, monde):
    convention = f.ConventionFactory(structure=monde.s1, annee=2023, nombre_mesures=2, budget=30000)
    mesure_de(convention, debut=D(2023, 1, 1), fin=D(2023, 12, 31))
    mesure_de(convention, debut=D(2023, 10, 20))
    autre_departement = f.ConventionFactory(structure=monde.s3, annee=2023)
    f.ConventionFactory(structure=monde.s2, annee=2022)

    client.force_login(monde.agent)
    reponse = client.get(reverse("conventions:liste"), {"annee": 2023})

    assert reponse.status_code == 200
    lignes = list(reponse.context["page"])
    assert lignes == [convention]
    assert lignes[0].taux_occupation == pytest.approx(60.0)
    assert lignes[0].cout_par_menage == 15000
    contenu = reponse.content.decode()
    assert "60 %" in contenu
    assert "Taux d'occupation</strong> = jours de mesure actifs" in contenu
    assert reverse("conventions:fiche", args=[autre_departement.pk]) not in contenu


def test_liste_filtree_par_financeur_type_et_structure(client, monde):
    asrl = f.ConventionFactory(structure=monde.s1)
    f.ConventionFactory(structure=monde.s1, financeur=Financeur.DEPARTEMENT)
    avdl = f.ConventionFactory(structure=monde.s2, type_mesure=f.reference(TypeMesure, "avdl"))
    client.force_login(monde.agent)

    def pks(**filtres):
        reponse = client.get(reverse("conventions:liste"), filtres)
        return {c.pk for c in reponse.context["page"]}

    assert pks(annee=AUJOURDHUI.year, financeur=Financeur.ETAT) == {asrl.pk, avdl.pk}
    assert pks(annee=AUJOURDHUI.year, structure=monde.s2.pk) == {avdl.pk}
    assert pks(annee=AUJOURDHUI.year, type_mesure=f.reference(TypeMesure, "avdl").pk) == {avdl.pk}


def test_filtre_invalide_ignore_avec_un_message_les_autres_appliques(client, monde):
    f.ConventionFactory(structure=monde.s3)
    mienne = f.ConventionFactory(structure=monde.s1)
    f.ConventionFactory(structure=monde.s1, financeur=Financeur.EPCI)
    client.force_login(monde.agent)
    reponse = client.get(
        reverse("conventions:liste"),
        {"annee": "abc", "structure": monde.s3.pk, "financeur": Financeur.ETAT},
    )
    assert reponse.status_code == 200
    assert reponse.context["annee"] == AUJOURDHUI.year
    assert [c.pk for c in reponse.context["page"]] == [mienne.pk]
    assert "ne sont pas valides" in reponse.content.decode()


def test_coordinateur_lit_sans_pouvoir_saisir(client, monde):
    f.ConventionFactory(structure=monde.s1)
    client.force_login(monde.coordinateur)
    reponse = client.get(reverse("conventions:liste"))
    assert reponse.status_code == 200
    assert len(reponse.context["page"]) == 1
    assert reverse("conventions:creer") not in reponse.content.decode()
    assert client.get(reverse("conventions:creer")).status_code == 403


def test_referent_ne_voit_que_les_conventions_de_sa_structure(client, monde):
    sienne = f.ConventionFactory(structure=monde.s1)
    autre = f.ConventionFactory(structure=monde.s2)
    client.force_login(monde.referent)
    reponse = client.get(reverse("conventions:liste"))
    assert [c.pk for c in reponse.context["page"]] == [sienne.pk]
    assert client.get(reverse("conventions:fiche", args=[autre.pk])).status_code == 404
    assert client.get(reverse("conventions:creer")).status_code == 403
    assert client.get(reverse("conventions:modifier", args=[sienne.pk])).status_code == 403


@pytest.mark.parametrize("nom", ["liste", "creer"])
def test_copilote_et_compte_sans_role_interdits(client, monde, nom):
    for user in (monde.copilote, monde.sans_role):
        client.force_login(user)
        assert client.get(reverse(f"conventions:{nom}")).status_code == 403


def test_liste_en_nombre_de_requetes_constant(client, monde, django_assert_max_num_queries):
    def conventions(n, decalage):
        for i in range(n):
            structure = f.StructureFactory(territoire=monde.d1)
            c = f.ConventionFactory(structure=structure, annee=2023, reference=f"C{decalage + i}")
            mesure_de(c, debut=D(2023, 2, 1), epci=monde.a1)

    conventions(1, 0)
    client.force_login(monde.agent)
    with django_assert_max_num_queries(12) as petit:
        client.get(reverse("conventions:liste"), {"annee": 2023})
    conventions(30, 100)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        reponse = client.get(reverse("conventions:liste"), {"annee": 2023})
    assert len(reponse.context["page"]) == 25


# --- Fiche -----------------------------------------------------------------------------------------


def test_fiche_liste_les_mesures_paginees(client, monde, django_assert_max_num_queries):
    convention = f.ConventionFactory(structure=monde.s1, annee=2023, nombre_mesures=40)
    mesure_de(convention, debut=D(2023, 2, 1), epci=monde.a1)
    client.force_login(monde.agent)
    url = reverse("conventions:fiche", args=[convention.pk])
    with django_assert_max_num_queries(14) as petit:
        reponse = client.get(url)
    assert reponse.status_code == 200
    for _ in range(29):
        mesure_de(convention, debut=D(2023, 2, 1), epci=monde.a2)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        reponse = client.get(url)
    assert len(reponse.context["page"]) == 25
    assert reponse.context["page"].paginator.count == 30
    assert reponse.context["convention"].menages_accompagnes == 30
    assert reverse("conventions:modifier", args=[convention.pk]) in reponse.content.decode()


def test_fiche_d_une_convention_d_un_autre_departement_introuvable(client, monde):
    autre = f.ConventionFactory(structure=monde.s3)
    client.force_login(monde.agent)
    assert client.get(reverse("conventions:fiche", args=[autre.pk])).status_code == 404
    assert client.get(reverse("conventions:modifier", args=[autre.pk])).status_code == 404


def test_copilote_interdit_sur_la_fiche(client, monde):
    convention = f.ConventionFactory(structure=monde.s1, territoire=monde.a1)
    client.force_login(monde.copilote)
    assert client.get(reverse("conventions:fiche", args=[convention.pk])).status_code == 403


# --- Saisie ----------------------------------------------------------------------------------------


def donnees(monde, **autres):
    return {
        "reference": "DDETS-2025-ASRL-01",
        "financeur": Financeur.ETAT,
        "structure": monde.s1.pk,
        "type_mesure": f.reference(TypeMesure, "asrl").pk,
        "territoire": monde.d1.pk,
        "annee": 2025,
        "nombre_mesures": 45,
        "budget": "515000.00",
        "date_signature": "2025-01-15",
        **autres,
    }


def test_agent_cree_une_convention(client, monde):
    client.force_login(monde.agent)
    reponse = client.post(reverse("conventions:creer"), donnees(monde), follow=True)
    convention = Convention.objects.get()
    assert reponse.redirect_chain[-1][0] == reverse("conventions:fiche", args=[convention.pk])
    assert (convention.structure, convention.nombre_mesures, convention.annee) == (
        monde.s1,
        45,
        2025,
    )
    assert "est enregistrée" in reponse.content.decode()


def test_agent_modifie_une_convention(client, monde):
    convention = f.ConventionFactory(structure=monde.s1, territoire=monde.d1, annee=2025)
    client.force_login(monde.agent)
    reponse = client.post(
        reverse("conventions:modifier", args=[convention.pk]),
        donnees(monde, nombre_mesures=50, budget="600000"),
    )
    assert reponse.status_code == 302
    convention.refresh_from_db()
    assert (convention.nombre_mesures, convention.budget) == (50, 600000)


def test_doublon_de_convention_refuse_en_ligne(client, monde):
    f.ConventionFactory(structure=monde.s1, territoire=monde.d1, annee=2025)
    client.force_login(monde.agent)
    reponse = client.post(reverse("conventions:creer"), donnees(monde))
    assert reponse.status_code == 200
    assert "Une convention existe déjà pour ce financeur" in reponse.content.decode()
    assert 'value="DDETS-2025-ASRL-01"' in reponse.content.decode()  # la saisie est conservée
    assert Convention.objects.count() == 1


@pytest.mark.parametrize("champ", ["structure", "territoire"])
def test_structure_ou_territoire_d_un_autre_departement_refuse(client, monde, champ):
    force = {"structure": monde.s3.pk, "territoire": monde.d2.pk}[champ]
    client.force_login(monde.agent)
    reponse = client.post(reverse("conventions:creer"), donnees(monde, **{champ: force}))
    assert reponse.status_code == 200
    assert champ in reponse.context["form"].errors
    assert not Convention.objects.exists()


def test_saisie_invalide_message_en_francais(client, monde):
    client.force_login(monde.agent)
    reponse = client.post(reverse("conventions:creer"), donnees(monde, nombre_mesures=0))
    assert "Au moins une mesure financée." in reponse.context["form"].errors["nombre_mesures"]
    assert not Convention.objects.exists()


def test_structure_figee_quand_des_mesures_sont_rattachees(client, monde):
    convention = f.ConventionFactory(structure=monde.s1, territoire=monde.d1, annee=2025)
    mesure_de(convention, debut=D(2025, 1, 10), epci=monde.a1)
    client.force_login(monde.agent)
    reponse = client.post(
        reverse("conventions:modifier", args=[convention.pk]), donnees(monde, structure=monde.s2.pk)
    )
    assert reponse.status_code == 200
    assert "Des mesures sont rattachées" in reponse.context["form"].errors["structure"][0]
    convention.refresh_from_db()
    assert convention.structure == monde.s1


def test_coordinateur_ne_peut_pas_modifier(client, monde):
    convention = f.ConventionFactory(structure=monde.s1)
    client.force_login(monde.coordinateur)
    reponse = client.post(reverse("conventions:modifier", args=[convention.pk]), donnees(monde))
    assert reponse.status_code == 403


@pytest.mark.parametrize("annee", [12000, 32767])
def test_annee_hors_calendrier_refusee_sans_erreur_serveur(client, monde, annee):
    """La fiche calcule l'occupation avec les dates de l'année : une année à cinq chiffres
    aurait fait une erreur serveur à chaque lecture."""
    client.force_login(monde.agent)
    reponse = client.post(reverse("conventions:creer"), donnees(monde, annee=annee))
    assert reponse.status_code == 200
    assert "Année invraisemblable." in reponse.context["form"].errors["annee"]
    assert not Convention.objects.exists()
