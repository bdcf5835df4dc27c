"""schemathesis sur le schéma VIVANT de l'API : chaque opération publiée, avec des données
générées, ne doit jamais répondre 5xx ni s'écarter de ce que le schéma annonce (codes, type de
contenu, corps, en-têtes).

Le schéma est lu à l'exécution : un point d'accès ajouté plus tard est couvert d'office. Le test
échoue si une opération du schéma n'a pas été essayée (jamais « vert à vide »). Les identifiants
des chemins sont tirés au hasard (404 attendus) et, quand la liste parente en donne un, pris
dans le jeu de données (l'objet existe et se lit, se modifie…).
"""

from __future__ import annotations

import datetime as dt
import re
import traceback
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.files.base import ContentFile
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularAPIView
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from accompagnement.models import (
    ActionProjet,
    DomaineAccompagnement,
    ObjectifProjet,
    ProjetAccompagnement,
)
from api.models import JetonAPI
from attributions.models import ObjectifAttribution
from bilans.models import Bilan, FichierBilan
from logement.urls import handler404, handler500  # noqa: F401 — urlconf d'essai ci-dessous
from logement.wsgi import application
from menages.models import Ressource, TypeRessource

from . import factories as f
from .factories import AUJOURDHUI

URL_SCHEMA = "/api/v1/schema/?format=json"
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
EXEMPLES_PAR_OPERATION = 20
VERIFICATIONS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Lectures d'abord, suppressions en dernier (chaque cas est de toute façon annulé après coup).
ORDRE_DES_METHODES = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
METHODES = frozenset(m.lower() for m in ORDRE_DES_METHODES)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sans_limite_de_debit(settings):
    settings.API_DEBIT_JETON = None
    settings.API_DEBIT_SESSION = None
    settings.API_DEBIT_ANONYME = None


@pytest.fixture(autouse=True)
def _connexion_gardee():
    """L'application WSGI réelle ferme la connexion à chaque début et fin de requête
    (close_old_connections) : ce serait la fin de la transaction du test. Le client de test de
    Django fait de même le temps de ses requêtes (et rebranche ensuite : on ne s'en sert pas
    ici)."""
    signaux = (request_started, request_finished)
    for signal in signaux:
        signal.disconnect(close_old_connections)
    yield
    for signal in signaux:
        signal.connect(close_old_connections)


@pytest.fixture
def jeu(monde, taches_eager):
    """Un peu de tout sur le territoire du coordinateur (EPCI A1, plateforme P1) et ailleurs."""
    for menage in (monde.m_a1, monde.m_a2, monde.m_b1):
        conjoint = f.PersonneFactory(menage=menage)
        f.SituationFactory(personne=conjoint)
    f.OrientationFactory(menage=monde.m_a1_sans_mesure, plateforme=monde.p1)
    f.RencontreFactory(
        menage=monde.m_a1,
        mesure=monde.mesure_a1,
        structure=monde.s1,
        auteur=monde.referent,
    )
    f.PropositionFactory(menage=monde.m_a1)
    f.LogementFactory(territoire=monde.a1)
    f.ConventionFactory(structure=monde.s1, territoire=monde.a1)
    f.ConventionFactory(structure=monde.s3, territoire=monde.b1)
    projet = ProjetAccompagnement.objects.create(
        mesure=monde.mesure_a1, date_elaboration=AUJOURDHUI - dt.timedelta(days=30)
    )
    objectif = ObjectifProjet.objects.create(
        projet=projet,
        domaine=DomaineAccompagnement.objects.order_by("pk").first(),
        intitule="Accéder à un logement autonome",
    )
    ActionProjet.objects.create(
        objectif=objectif, intitule="Dossier de demande", porteur=ActionProjet.Porteur.values[0]
    )
    Ressource.objects.create(
        menage=monde.m_a1, type=TypeRessource.objects.order_by("pk").first(), montant_mensuel=600
    )
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=AUJOURDHUI.year, objectif=12)
    bilan = Bilan.objects.create(
        territoire=monde.a1,
        audience=Bilan.Audience.EPCI,
        statut=Bilan.Statut.PRET,
        progression=100,
        tentatives=1,
        donnees={"synthese": []},
        date_debut=dt.date(AUJOURDHUI.year - 1, 1, 1),
        date_fin=dt.date(AUJOURDHUI.year - 1, 12, 31),
    )
    for format_ in FichierBilan.Format.values:
        fichier = FichierBilan(bilan=bilan, format=format_, taille=3, empreinte="0" * 64)
        fichier.fichier.save(f"bilan.{format_}", ContentFile(b"abc"), save=False)
        fichier.save()
    return monde


@dataclass
class Releve:
    """Ce qui a été essayé et ce qui a échoué, par opération."""

    attendues: list[str] = field(default_factory=list)
    essayees: set[str] = field(default_factory=set)
    echecs: dict[str, str] = field(default_factory=dict)
    statuts: dict[str, set[int]] = field(default_factory=dict)


def _jeton(user) -> str:
    return JetonAPI.creer(user=user, nom="schemathesis", duree_jours=7)[1]


def operations_du_schema(brut: dict) -> list[str]:
    return [
        f"{methode.upper()} {chemin}"
        for chemin, operations in brut.get("paths", {}).items()
        for methode in operations
        if methode in METHODES
    ]


def identifiants_reels(chemin: str, entetes: dict) -> dict | None:
    """Pour « /api/v1/menages/{id}/personnes/{personne_id}/ » : un identifiant pris dans
    chaque liste parente, de gauche à droite ; None si l'une d'elles n'en donne pas."""
    client = Client(application)
    valeurs = {}
    for motif in re.finditer(r"\{(\w+)\}", chemin):
        parent = chemin[: motif.start()].format(**valeurs)
        reponse = client.get(parent, headers={**entetes, "Accept": "application/json"})
        if reponse.status_code != 200 or not reponse.is_json:
            return None
        corps = reponse.get_json()
        resultats = corps.get("results", corps) if isinstance(corps, dict) else corps
        if not isinstance(resultats, list) or not resultats or not isinstance(resultats[0], dict):
            return None
        premier = resultats[0]
        identifiant = premier.get("id", premier.get("pk"))
        if identifiant is None:
            return None
        valeurs[motif.group(1)] = identifiant
    return valeurs


def explorer(user) -> Releve:
    secret = _jeton(user)
    entetes = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi(URL_SCHEMA, application)
    brut = Client(application).get(URL_SCHEMA).get_json()
    releve = Releve(attendues=operations_du_schema(brut))

    exceptions_serveur = []

    def noter_exception(sender, request=None, **kwargs):
        exceptions_serveur.append(traceback.format_exc())

    got_request_exception.connect(noter_exception, dispatch_uid="schemathesis-api")
    try:
        operations = []
        for resultat in schema.get_all_operations():
            if not hasattr(resultat, "ok"):
                erreur = resultat.err()
                releve.echecs[str(getattr(erreur, "path", "?"))] = f"schéma illisible : {erreur}"
                continue
            operations.append(resultat.ok())
        operations.sort(key=lambda op: (ORDRE_DES_METHODES.get(op.method.upper(), 9), op.path))
        for operation in operations:
            libelle = f"{operation.method.upper()} {operation.path}"
            # Données conformes au schéma, et données qui ne le sont pas (elles doivent être
            # refusées proprement : 400, jamais 500).
            strategies = [operation.as_strategy(generation_mode=mode) for mode in MODES]
            if "{" in operation.path:
                ids = identifiants_reels(operation.path, entetes)
                if ids:
                    strategies += [
                        operation.as_strategy(generation_mode=mode, path_parameters=ids)
                        for mode in MODES
                    ]
            statuts = releve.statuts.setdefault(libelle, set())
            try:
                _essai(st.one_of(strategies), entetes, statuts, exceptions_serveur)()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 — on continue
                releve.echecs[libelle] = _resume(exc)
            if statuts or libelle in releve.echecs:
                releve.essayees.add(libelle)
    finally:
        got_request_exception.disconnect(dispatch_uid="schemathesis-api")
    return releve


def _essai(strategie, entetes, statuts, exceptions_serveur):
    """Le test hypothesis d'une opération : chaque cas est envoyé puis vérifié."""

    @given(case=strategie)
    @settings(
        max_examples=EXEMPLES_PAR_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # sans réduction : durée bornée
        suppress_health_check=list(HealthCheck),
    )
    def essayer(case):
        exceptions_serveur.clear()
        # Chaque cas dans un point de sauvegarde annulé : les cas sont indépendants (une
        # suppression n'ôte pas l'objet aux suivants) et une erreur de base n'interrompt pas la
        # transaction du test, comme en production où chaque requête a la sienne.
        with transaction.atomic():
            try:
                reponse = case.call_and_validate(headers=entetes, checks=VERIFICATIONS)
            except BaseException as exc:
                if exceptions_serveur:
                    exc.add_note("Trace côté serveur :\n" + exceptions_serveur[-1])
                raise
            finally:
                transaction.set_rollback(True)
        statuts.add(reponse.status_code)

    return essayer


def _resume(exc: BaseException) -> str:
    morceaux = [f"{type(exc).__name__}: {exc}"]
    for sous in getattr(exc, "exceptions", ()):
        morceaux.append(f"  - {type(sous).__name__}: {sous}")
    morceaux += getattr(exc, "__notes__", [])
    return "\n".join(morceaux)[:6000]


def verifier(releve: Releve, capsys, qui: str):
    with capsys.disabled():
        statuts = {op: sorted(s) for op, s in sorted(releve.statuts.items())}
        print(
            f"\nschemathesis — {qui} : {len(releve.essayees)}/{len(releve.attendues)} opérations "
            f"essayées, {len(releve.echecs)} en échec ; statuts : {statuts}"
        )
    assert releve.attendues, "Le schéma ne publie aucune opération : rien n'a été essayé."
    oubliees = sorted(set(releve.attendues) - releve.essayees)
    assert not oubliees, f"Opérations du schéma non essayées : {oubliees}"
    assert len(releve.essayees) >= len(releve.attendues)
    assert not releve.echecs, "\n\n".join(f"{op}\n{texte}" for op, texte in releve.echecs.items())


def test_schemathesis_coordinateur(jeu, capsys):
    """Un coordinateur lit et écrit sur sa plateforme : le gros des réponses est 2xx, 400, 404."""
    releve = explorer(jeu.coordinateur)
    verifier(releve, capsys, "coordinateur")
    # Témoin : des opérations ont réellement abouti (jeton accepté, données lues).
    reussies = [op for op, statuts in releve.statuts.items() if any(s < 300 for s in statuts)]
    assert reussies, f"Aucune réponse 2xx : {releve.statuts}"


def test_schemathesis_copilote(jeu, capsys):
    """Un co-pilote : 403 sur tout ce qui est nominatif, et des réponses toujours conformes."""
    releve = explorer(jeu.copilote)
    verifier(releve, capsys, "co-pilote")


# --- Le filet lui-même attrape ce qu'il doit attraper --------------------------------------------


class _ChiffreSerializer(serializers.Serializer):
    id = serializers.IntegerField()


class _ReponseFausse(APIView):
    """Annonce un entier, renvoie un texte."""

    permission_classes = []

    @extend_schema(summary="Réponse fausse", responses={200: _ChiffreSerializer})
    def get(self, request):
        return Response({"id": "pas un entier"})


class _ErreurServeur(APIView):
    """Plante sur un paramètre pourtant annoncé."""

    permission_classes = []

    @extend_schema(
        summary="Erreur serveur",
        parameters=[OpenApiParameter("n", int, required=True)],
        responses={200: _ChiffreSerializer},
    )
    def get(self, request):
        return Response({"id": 1 // 0})


urlpatterns = [
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/essai/fausse/", _ReponseFausse.as_view(), name="fausse"),
    path("api/essai/plante/", _ErreurServeur.as_view(), name="plante"),
]


@pytest.mark.urls(__name__)
def test_le_filet_signale_erreur_serveur_et_reponse_non_conforme(jeu):
    releve = explorer(jeu.coordinateur)
    assert sorted(releve.attendues) == ["GET /api/essai/fausse/", "GET /api/essai/plante/"]
    assert releve.essayees == set(releve.attendues)
    assert "Response violates schema" in releve.echecs["GET /api/essai/fausse/"]
    assert "Server error" in releve.echecs["GET /api/essai/plante/"]
    assert "ZeroDivisionError" in releve.echecs["GET /api/essai/plante/"]  # trace du serveur
