"""Propriétés des formulaires principaux (hypothesis) : pour des saisies arbitraires (textes
unicode, dates impossibles, nombres négatifs ou énormes, champs absents, identifiants forgés),
`is_valid()` ne lève jamais ; une saisie acceptée s'enregistre par le service de la vue (ou est
refusée par lui d'une ValidationError, qu'elle affiche) et l'objet respecte les invariants :
dates ordonnées, montants positifs, périmètre de l'utilisateur.

Chaque exemple s'exécute dans un point de sauvegarde annulé : la base reste celle du monde."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accompagnement import selectors as selectors_accompagnement
from accompagnement import services as services_accompagnement
from accompagnement.forms import OuvertureMesureForm, RencontreForm
from accompagnement.forms_conventions import ConventionForm
from accompagnement.models import Convention, TypeMesure
from attributions import services as services_attributions
from attributions.forms import PropositionForm
from attributions.models import Contingent
from bilans import services as services_bilans
from bilans.forms import DemandeBilanForm
from bilans.models import Bilan, droits_bilans
from logement.models import Structure, Territoire
from menages import services as services_menages
from menages.forms import CreationMenageForm, composition_formset, ressources_formset
from menages.models import Menage, Personne, PublicPrioritaire, TypeRessource, TypeSituation

from . import factories as f

pytestmark = pytest.mark.django_db

AUJOURDHUI = timezone.localdate()
REGLAGES = settings(
    max_examples=80,
    deadline=None,
    database=None,  # pas de dossier .hypothesis dans le dépôt
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- Stratégies ---------------------------------------------------------------------------------

texte = st.text(max_size=300)  # unicode quelconque, NUL et surrogates exclus par hypothesis
date_texte = st.one_of(
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.dates(
        min_value=AUJOURDHUI - dt.timedelta(days=3000),
        max_value=AUJOURDHUI + dt.timedelta(days=30),
    ).map(dt.date.isoformat),
    st.sampled_from(["2024-02-30", "31/12/2024", "0000-00-00", "", "hier", "2024-13-01"]),
    texte.filter(lambda t: len(t) < 15),
)
nombre_texte = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=-5, max_value=2000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.sampled_from(["1 234,50", "12,5", "-0", "1e309", "", "NaN"]),
    texte.filter(lambda t: len(t) < 10),
)


def identifiant(*valides):
    """Un identifiant du périmètre, d'ailleurs, inexistant ou absurde."""
    return st.one_of(
        st.sampled_from([v for v in valides if v is not None] or [0]).map(str),
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.sampled_from(["", "abc", "1.5", "²"]),
    )


def identifiants(*valides):
    """Pour un choix multiple : identifiants valides, absurdes ou hors des entiers 64 bits."""
    return st.lists(identifiant(*valides), max_size=4)


def saisie(**champs):
    """Un dictionnaire de POST dont chaque champ peut manquer."""
    return st.fixed_dictionaries({}, optional=champs)


VALIDES = {}  # nom du test → exemples acceptés par le formulaire (voir le dernier test)


def variante(data, valide: dict, absurdes: dict) -> dict:
    """Une saisie valide dont jusqu'à trois champs sont retirés ou remplacés par une valeur
    arbitraire : assez proche du vrai pour atteindre l'enregistrement, assez folle pour
    éprouver la validation."""
    post = dict(valide)
    for champ in data.draw(st.lists(st.sampled_from(sorted(absurdes)), max_size=3, unique=True)):
        if data.draw(st.booleans()):
            post.pop(champ, None)
        else:
            post[champ] = data.draw(absurdes[champ])
    return post


def compter(nom):
    VALIDES[nom] = VALIDES.get(nom, 0) + 1


def dans_un_point_de_sauvegarde(fonction):
    """Exécute `fonction` puis annule tout ce qu'elle a écrit."""
    with transaction.atomic():
        try:
            return fonction()
        finally:
            transaction.set_rollback(True)


# --- Ménage et personnes ------------------------------------------------------------------------


@pytest.fixture
def ids(monde):
    """Identifiants utiles aux stratégies (du périmètre de l'agent D1 ou d'ailleurs)."""
    return {
        "epci": [monde.a1.pk, monde.a2.pk, monde.b1.pk, monde.d1.pk, monde.p1.pk],
        "structures": list(Structure.objects.values_list("pk", flat=True)),
        "types_mesure": list(TypeMesure.objects.values_list("pk", flat=True)),
        "situations": list(TypeSituation.objects.values_list("pk", flat=True)),
        "ressources": list(TypeRessource.objects.values_list("pk", flat=True)),
        "menages": list(Menage.objects.values_list("pk", flat=True)),
        "territoires": list(Territoire.objects.values_list("pk", flat=True)),
        "contingents": list(Contingent.objects.values_list("pk", flat=True)),
        "publics": list(PublicPrioritaire.objects.values_list("pk", flat=True)),
    }


PERSONNE = {
    "nom": texte,
    "prenom": texte,
    "date_naissance": date_texte,
    "sexe": st.sampled_from([*Personne.Sexe.values, "", "Z"]),
    "role": st.sampled_from([*Personne.Role.values, "", "chef"]),
    "nationalite": st.sampled_from([*Personne.Nationalite.values, "mars"]),
    "titre_sejour_fin": date_texte,
}


@REGLAGES
@given(data=st.data())
def test_creation_de_menage(monde, ids, data):
    VALIDES.setdefault("menage", 0)
    champs = variante(
        data,
        {"territoire": monde.a1.pk, "dalo": "aucun", "commune": "Valmont"},
        {
            "territoire": identifiant(*ids["epci"]),
            "adresse": texte,
            "commune": texte,
            "telephone": texte,
            "nur": st.one_of(texte, st.from_regex(r"[0-9A-Z]{6,30}", fullmatch=True)),
            "nur_date_depot": date_texte,
            "nur_date_renouvellement": date_texte,
            "siao_id": texte,
            "dalo": st.sampled_from([*Menage.Dalo.values, "x"]),
            "dalo_date_decision": date_texte,
            "situation": identifiant(*ids["situations"]),
            "date_situation": date_texte,
            "publics_prioritaires": identifiants(*ids["publics"]),
        },
    )
    demandeur = {"nom": "Fictif", "prenom": "Alex", "role": "demandeur", "sexe": "X"}
    demandeur["nationalite"] = "francaise"
    conjoint = {**demandeur, "role": "conjoint", "prenom": "Sam"}
    membres = [variante(data, demandeur, PERSONNE)] + [
        variante(data, conjoint, PERSONNE) for _ in range(data.draw(st.integers(0, 2)))
    ]
    post = {**champs, "personnes-TOTAL_FORMS": str(len(membres)), "personnes-INITIAL_FORMS": "0"}
    for i, membre in enumerate(membres):
        post.update({f"personnes-{i}-{k}": v for k, v in membre.items()})
    agent = monde.agent
    form = CreationMenageForm(post, user=agent)
    composition = composition_formset(post)
    if not (form.is_valid() and composition.is_valid()):
        return
    compter("menage")

    def enregistrer():
        try:
            menage = services_menages.creer_menage(
                par=agent, personnes=composition.personnes(), **form.champs_menage()
            )
        except ValidationError:
            return  # affichée sur le formulaire par la vue
        menage.refresh_from_db()
        assert menage.territoire_id in agent.perimetre.epci_ids
        assert Menage.objects.visible_to(agent).filter(pk=menage.pk).exists()
        if menage.nur_date_depot and menage.nur_date_renouvellement:
            assert menage.nur_date_depot <= menage.nur_date_renouvellement
        membres = list(menage.personnes.all())
        assert [p.role for p in membres].count(Personne.Role.DEMANDEUR) == 1
        for p in membres:
            if p.titre_sejour_fin:
                assert p.nationalite == Personne.Nationalite.HORS_UE
            for situation in p.situations.all():
                assert situation.date_debut <= AUJOURDHUI

    dans_un_point_de_sauvegarde(enregistrer)


# --- Ressources ---------------------------------------------------------------------------------


@REGLAGES
@given(data=st.data())
def test_ressources(monde, ids, data):
    VALIDES.setdefault("ressources", 0)
    menage = monde.m_a1
    autre = monde.m_b1.personnes.first().pk
    absurdes = {
        "type": identifiant(*ids["ressources"]),
        "personne": identifiant(menage.personnes.first().pk, autre),
        "montant_mensuel": nombre_texte,
        "date_debut": date_texte,
        "date_fin": date_texte,
    }
    valide = {"type": ids["ressources"][0], "montant_mensuel": "450,50"}
    lignes = [variante(data, valide, absurdes) for _ in range(data.draw(st.integers(0, 3)))]
    post = {
        "ressources-TOTAL_FORMS": str(len(lignes)),
        "ressources-INITIAL_FORMS": "0",
        "menage-version": str(getattr(menage, "version", 1)),
    }
    for i, ligne in enumerate(lignes):
        post.update({f"ressources-{i}-{k}": v for k, v in ligne.items()})
    formset = ressources_formset(post, menage=menage)
    if not formset.is_valid():
        return
    compter("ressources")

    def enregistrer():
        formset.save()
        for ressource in menage.ressources.all():
            assert ressource.montant_mensuel >= 0
            assert ressource.montant_mensuel < decimal.Decimal(10) ** 10
            if ressource.date_debut and ressource.date_fin:
                assert ressource.date_debut <= ressource.date_fin
            assert ressource.personne_id is None or ressource.personne.menage_id == menage.pk

    dans_un_point_de_sauvegarde(enregistrer)


# --- Rencontre ----------------------------------------------------------------------------------


@REGLAGES
@given(data=st.data())
def test_rencontre(monde, ids, data):
    VALIDES.setdefault("rencontre", 0)
    menage, referent = monde.m_a1, monde.referent
    structures = selectors_accompagnement.structures_pour_rencontre(referent, menage)
    post = variante(
        data,
        {
            "date": AUJOURDHUI.isoformat(),
            "type": "entretien",
            "duree_minutes": "45",
            "structure": monde.s1.pk,
        },
        {
            "date": date_texte,
            "type": st.sampled_from(["entretien", "telephone", "", "x"]),
            "duree_minutes": nombre_texte,
            "note": texte,
            "mesure": identifiant(monde.mesure_a1.pk, monde.mesure_b1.pk),
            "structure": identifiant(*ids["structures"]),
        },
    )
    form = RencontreForm(post, menage=menage, structures=structures)
    if not form.is_valid():
        return
    compter("rencontre")

    def enregistrer():
        try:
            rencontre = services_accompagnement.enregistrer_rencontre(
                menage=menage, auteur=referent, **form.cleaned_data
            )
        except ValidationError:
            return
        assert rencontre.date <= AUJOURDHUI
        assert 1 <= rencontre.duree_minutes <= 1440
        assert rencontre.structure_id in referent.perimetre.structure_ids
        assert rencontre.mesure_id is None or rencontre.mesure.menage_id == menage.pk

    dans_un_point_de_sauvegarde(enregistrer)


# --- Ouverture d'une mesure ---------------------------------------------------------------------


@REGLAGES
@given(data=st.data())
def test_ouverture_de_mesure(monde, ids, data):
    VALIDES.setdefault("mesure", 0)
    agent, menage = monde.agent, monde.m_a1_sans_mesure
    post = variante(
        data,
        {"type_mesure": ids["types_mesure"][0], "structure": monde.s1.pk},
        {
            "type_mesure": identifiant(*ids["types_mesure"]),
            "structure": identifiant(*ids["structures"]),
            "referent": identifiant(monde.referent.pk, monde.agent.pk),
            "date_debut": date_texte,
        },
    )
    form = OuvertureMesureForm(post, user=agent)
    if not form.is_valid():
        return
    compter("mesure")
    d = form.cleaned_data

    def enregistrer():
        try:
            mesure = services_accompagnement.ouvrir_mesure(
                menage=menage,
                type_mesure=d["type_mesure"],
                structure=d["structure"],
                referent=d["referent"],
                date_proposition=AUJOURDHUI,
                date_debut=d["date_debut"],
            )
        except ValidationError:
            return
        assert Structure.objects.visible_to(agent).filter(pk=mesure.structure_id).exists()
        assert mesure.territoire_id in agent.perimetre.epci_ids
        if mesure.date_debut:
            assert mesure.date_proposition <= mesure.date_debut
            if mesure.date_fin_prevue:
                assert mesure.date_debut <= mesure.date_fin_prevue

    dans_un_point_de_sauvegarde(enregistrer)


# --- Proposition d'un logement ------------------------------------------------------------------


@REGLAGES
@given(data=st.data())
def test_proposition(monde, ids, data):
    VALIDES.setdefault("proposition", 0)
    coordinateur = monde.coordinateur
    logement = f.LogementFactory.build(territoire=monde.a1)
    logement.save()
    post = variante(
        data,
        {
            "menages": [monde.m_a1.pk],
            "contingent": ids["contingents"][0],
            "date_proposition": AUJOURDHUI.isoformat(),
        },
        {
            "menages": identifiants(*ids["menages"]),
            "contingent": identifiant(*ids["contingents"]),
            "date_proposition": date_texte,
        },
    )
    form = PropositionForm(post, user=coordinateur, logement=logement)
    if not form.is_valid():
        return
    compter("proposition")

    def enregistrer():
        try:
            crees = services_attributions.proposer_logement(
                logement,
                menages=list(form.cleaned_data["menages"]),
                contingent=form.cleaned_data["contingent"],
                date=form.cleaned_data["date_proposition"],
            )
        except ValidationError:
            return
        visibles = Menage.objects.visible_to(coordinateur)
        for proposition in crees:
            assert visibles.filter(pk=proposition.menage_id).exists()

    dans_un_point_de_sauvegarde(enregistrer)


# --- Convention ---------------------------------------------------------------------------------


@REGLAGES
@given(data=st.data())
def test_convention(monde, ids, data):
    VALIDES.setdefault("convention", 0)
    agent = monde.agent
    post = variante(
        data,
        {
            "financeur": "etat",
            "structure": monde.s1.pk,
            "type_mesure": ids["types_mesure"][0],
            "territoire": monde.d1.pk,
            "annee": str(AUJOURDHUI.year),
            "nombre_mesures": "10",
            "budget": "50000",
        },
        {
            "reference": texte,
            "financeur": st.sampled_from(["etat", "departement", "", "x"]),
            "structure": identifiant(*ids["structures"]),
            "type_mesure": identifiant(*ids["types_mesure"]),
            "territoire": identifiant(*ids["territoires"]),
            "annee": nombre_texte,
            "nombre_mesures": nombre_texte,
            "budget": nombre_texte,
            "date_signature": date_texte,
        },
    )
    form = ConventionForm(post, user=agent)
    if not form.is_valid():
        return
    compter("convention")

    def enregistrer():
        convention = form.save()
        convention.refresh_from_db()
        assert Convention.objects.visible_to(agent).filter(pk=convention.pk).exists()
        assert Structure.objects.visible_to(agent).filter(pk=convention.structure_id).exists()
        assert convention.territoire_id in agent.perimetre.territoire_ids
        assert convention.nombre_mesures >= 0
        assert convention.budget is None or convention.budget >= 0

    dans_un_point_de_sauvegarde(enregistrer)


# --- Demande de bilan ---------------------------------------------------------------------------


@REGLAGES
@given(data=st.data())
def test_demande_de_bilan(monde, ids, data):
    VALIDES.setdefault("bilan", 0)
    coordinateur = monde.coordinateur
    post = variante(
        data,
        {
            "territoire": monde.p1.pk,
            "audience": "etat",
            "type_periode": "annee",
            "annee": str(AUJOURDHUI.year - 1),
        },
        {
            "territoire": identifiant(*ids["territoires"]),
            "audience": st.sampled_from(["etat", "epci", "departement", "", "x"]),
            "type_periode": st.sampled_from(["annee", "trimestre", "libre", "", "x"]),
            "annee": st.one_of(nombre_texte, st.integers(2014, AUJOURDHUI.year + 1).map(str)),
            "trimestre": st.sampled_from(["1", "2", "3", "4", "5", "0", "", "x"]),
            "date_debut": date_texte,
            "date_fin": date_texte,
        },
    )
    form = DemandeBilanForm(post, user=coordinateur)
    if not form.is_valid():
        return
    compter("bilan")
    debut, fin, _ = form.periode
    assert debut <= fin
    assert debut <= AUJOURDHUI
    territoire, audience = form.cleaned_data["territoire"], form.cleaned_data["audience"]
    assert droits_bilans(coordinateur).peut_demander(territoire, audience)
    assert territoire.niveau in Bilan.NIVEAUX_PAR_AUDIENCE[audience]

    def enregistrer():
        try:
            bilan = services_bilans.demander_bilan(
                par=coordinateur,
                territoire=territoire,
                audience=audience,
                debut=debut,
                fin=fin,
                periodicite=form.periode[2],
            )
        except ValidationError:
            return
        assert Bilan.objects.visible_to(coordinateur).filter(pk=bilan.pk).exists()

    dans_un_point_de_sauvegarde(enregistrer)


def test_les_proprietes_ont_atteint_l_enregistrement():
    """Témoin : chaque formulaire éprouvé a accepté des saisies (sinon la propriété ne prouve
    rien). Lancé seul, ce test n'a rien compté : il s'efface."""
    if not VALIDES:
        pytest.skip("les tests de propriétés n'ont pas tourné dans cette session")
    assert all(n >= 3 for n in VALIDES.values()), VALIDES
