"""Socle de l'API : authentification (jeton, session, double authentification), format des
erreurs, limitation de débit, schéma OpenAPI et documentation.

Des vues d'essai, montées sous /api/essai/ à côté des routes du projet (urlconf de ce module),
éprouvent le socle indépendamment des points d'accès métier.
"""

import datetime as dt
import json
import subprocess
import sys

import pytest
from django.conf import settings as reglages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.shortcuts import get_object_or_404
from django.test import Client
from django.urls import include, path, reverse
from django.utils import timezone
from django_filters import rest_framework as filtres
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import Agregats, PerimetreMixin
from api.models import JetonAPI
from api.throttling import Debit
from journal.models import Evenement
from journal.services import Action, tracer
from logement.models import Habilitation, Role, Territoire
from logement.urls import handler404, handler500  # noqa: F401 — gestionnaires de cette urlconf
from logement.urls import urlpatterns as urls_du_projet
from menages.models import Menage

MOT_DE_PASSE = "mot-de-passe-de-test-1"

# --- Vues d'essai -------------------------------------------------------------------------------


class Conflit(exceptions.APIException):
    status_code = 409
    default_code = "conflit"
    default_detail = "Le ménage a changé depuis votre lecture."


class EssaiVue(APIView):
    """Qui suis-je, et avec quel périmètre (celui du moment) ?"""

    @extend_schema(summary="Essai", responses={200: dict})
    def get(self, request):
        perimetre = request.user.perimetre
        return Response(
            {
                "utilisateur": request.user.username,
                "epci": sorted(perimetre.epci_ids),
                "par": "jeton" if isinstance(request.auth, JetonAPI) else "session",
            }
        )

    @extend_schema(summary="Tracer", request=None, responses={201: dict})
    def post(self, request):
        tracer(Action.CONSULTATION, details={"essai": "api"})
        return Response({}, status=201)


class AgregatsVue(EssaiVue):
    permission_classes = [Agregats]


def _lever(cas):
    if cas == "django_validation_champ":
        raise DjangoValidationError({"date_debut": "La date de début est dans le futur."})
    if cas == "django_validation_generale":
        raise DjangoValidationError("Ce ménage est clos : il ne se modifie plus.")
    if cas == "django_permission":
        raise DjangoPermissionDenied("Seul le référent du ménage peut faire cela.")
    if cas == "http404":
        get_object_or_404(Menage, pk=0)
    if cas == "introuvable":
        raise exceptions.NotFound()
    if cas == "imbrique":
        raise exceptions.ValidationError(
            {"adresse": ["Trop longue."], "personnes": [{}, {"nom": ["Obligatoire."]}]}
        )
    if cas == "conflit":
        raise Conflit()
    if cas == "imprevue":
        raise RuntimeError("bogue")


class ErreursVue(APIView):
    permission_classes = []

    @extend_schema(summary="Erreurs", responses={200: dict})
    def get(self, request):
        _lever(request.query_params.get("cas"))
        return Response({"ok": True})

    @extend_schema(summary="Écrire puis échouer", request=dict, responses={201: dict})
    def post(self, request):
        # Une écriture a lieu, puis l'erreur : la réponse d'erreur doit tout annuler.
        Territoire.objects.create(
            niveau=Territoire.Niveau.DEPARTEMENT, code="99", nom="ÉCRIT PAR ERREUR"
        )
        _lever(request.data.get("cas"))
        return Response({"ok": True}, status=201)


class PersonneEssai(serializers.Serializer):
    nom = serializers.CharField(max_length=10)


class EcritureEssai(serializers.Serializer):
    adresse = serializers.CharField(max_length=10)
    personnes = PersonneEssai(many=True)


class EcritureVue(generics.GenericAPIView):
    permission_classes = []
    serializer_class = EcritureEssai

    @extend_schema(summary="Écriture", responses={201: EcritureEssai})
    def post(self, request):
        donnees = self.get_serializer(data=request.data)
        donnees.is_valid(raise_exception=True)
        return Response(donnees.data, status=201)


class MenageEssai(serializers.ModelSerializer):
    class Meta:
        model = Menage
        fields = ["id", "reference"]


class MenageFiltres(filtres.FilterSet):
    territoire = filtres.NumberFilter(help_text="Identifiant d'EPCI.")

    class Meta:
        model = Menage
        fields = ["territoire"]


class MenagesVue(PerimetreMixin, generics.ListAPIView):
    modele = Menage
    serializer_class = MenageEssai
    filterset_class = MenageFiltres
    ordering_fields = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Menage.objects.none()
        return super().get_queryset().order_by("pk")


class MenageVue(PerimetreMixin, generics.RetrieveAPIView):
    modele = Menage
    serializer_class = MenageEssai

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Menage.objects.none()
        return super().get_queryset()


essais = [
    path("", EssaiVue.as_view(), name="moi"),
    path("agregats/", AgregatsVue.as_view(), name="agregats"),
    path("erreurs/", ErreursVue.as_view(), name="erreurs"),
    path("ecriture/", EcritureVue.as_view(), name="ecriture"),
    path("menages/", MenagesVue.as_view(), name="menages"),
    path("menages/<int:pk>/", MenageVue.as_view(), name="menage"),
]
urlpatterns = [path("api/essai/", include((essais, "essai"))), *urls_du_projet]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _compteurs_neufs(settings):
    """Les compteurs de débit vivent dans le cache (en mémoire pendant les tests)."""
    settings.API_DEBIT_JETON = None
    settings.API_DEBIT_SESSION = None
    settings.API_DEBIT_ANONYME = None
    cache.clear()
    yield
    cache.clear()


def jeton(user, **kwargs):
    return JetonAPI.creer(user=user, nom="essai", duree_jours=30, **kwargs)[1]


def api(client, url, secret=None, methode="get", **kwargs):
    if secret:
        kwargs["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return getattr(client, methode)(url, **kwargs)


def verifier_erreur(reponse, statut, code, *, erreurs=None):
    assert reponse.status_code == statut, reponse.content
    assert reponse["Content-Type"] == "application/json"
    corps = reponse.json()
    assert corps["code"] == code
    assert isinstance(corps["detail"], str) and corps["detail"]
    if statut == 400:
        assert isinstance(corps["erreurs"], dict)
        if erreurs is not None:
            assert corps["erreurs"] == erreurs
    else:
        assert "erreurs" not in corps
        assert set(corps) == {"detail", "code"}
    return corps


# --- Authentification ---------------------------------------------------------------------------


def test_sans_authentification_401_en_francais(client, monde):
    corps = verifier_erreur(api(client, "/api/essai/"), 401, "non_authentifie")
    assert "Authorization: Bearer" in corps["detail"]
    assert api(client, "/api/essai/")["WWW-Authenticate"] == 'Bearer realm="api"'


def test_le_jeton_agit_avec_les_habilitations_du_moment(client, monde):
    secret = jeton(monde.coordinateur)
    reponse = api(client, "/api/essai/", secret)
    assert reponse.json() == {"utilisateur": "coordinateur", "epci": [monde.a1.pk], "par": "jeton"}

    # Le coordinateur change de plateforme : le même jeton suit, sans rien recréer.
    habilitation = monde.coordinateur.habilitations.get()
    habilitation.date_fin = timezone.localdate() - dt.timedelta(days=1)
    habilitation.date_debut = habilitation.date_fin - dt.timedelta(days=10)
    habilitation.save()
    Habilitation.objects.create(
        user=monde.coordinateur,
        role=Role.COORDINATEUR,
        territoire=monde.p2,
        date_debut=timezone.localdate() - dt.timedelta(days=5),
    )
    assert api(client, "/api/essai/", secret).json()["epci"] == [monde.a2.pk]

    # Devenu co-pilote : plus aucune donnée nominative, seulement les agrégats.
    monde.coordinateur.habilitations.update(date_fin=timezone.localdate() - dt.timedelta(days=1))
    Habilitation.objects.create(user=monde.coordinateur, role=Role.COPILOTE, territoire=monde.a1)
    refus = verifier_erreur(api(client, "/api/essai/", secret), 403, "permission_refusee")
    assert "agrégés" in refus["detail"]
    assert api(client, "/api/essai/agregats/", secret).status_code == 200


def test_le_journal_attribue_l_ecriture_au_titulaire_du_jeton(client, monde):
    reponse = api(client, "/api/essai/", jeton(monde.coordinateur), "post")
    assert reponse.status_code == 201
    evenement = Evenement.objects.get(details__essai="api")
    assert evenement.auteur == monde.coordinateur
    assert evenement.adresse_ip == "127.0.0.1"


def test_jeton_prioritaire_sur_la_session(client, monde):
    client.force_login(monde.referent)
    assert api(client, "/api/essai/").json()["par"] == "session"
    secret = jeton(monde.coordinateur)
    assert api(client, "/api/essai/", secret).json()["utilisateur"] == "coordinateur"


def test_session_non_verifiee_recoit_une_erreur_json_pas_une_redirection(client, monde):
    monde.agent.set_password(MOT_DE_PASSE)
    monde.agent.save()
    client.post(reverse("login"), {"username": "agent", "password": MOT_DE_PASSE})
    # Les pages redirigent vers l'enrôlement ; l'API répond en JSON.
    assert client.get(reverse("accueil")).status_code == 302
    corps = verifier_erreur(client.get("/api/essai/"), 403, "double_authentification_requise")
    assert "Double authentification requise" in corps["detail"]
    # Le schéma et la documentation, publics, restent lisibles.
    assert client.get(reverse("api:schema")).status_code == 200
    assert client.get(reverse("api:docs")).status_code == 200


def test_session_verifiee_lit_et_ecriture_sans_csrf_refusee(monde):
    client = Client(enforce_csrf_checks=True)
    client.force_login(monde.agent)
    assert client.get("/api/essai/").json()["par"] == "session"
    corps = verifier_erreur(
        client.post("/api/essai/ecriture/", {}, content_type="application/json"),
        403,
        "permission_refusee",
    )
    assert "CSRF" in corps["detail"] and "X-CSRFToken" in corps["detail"]


def test_jeton_sans_csrf_ecrit(client, monde):
    client = Client(enforce_csrf_checks=True)
    donnees = {"adresse": "ici", "personnes": [{"nom": "Alex"}]}
    reponse = api(
        client,
        "/api/essai/ecriture/",
        jeton(monde.referent),
        "post",
        data=donnees,
        content_type="application/json",
    )
    assert reponse.status_code == 201


# --- Format des erreurs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cas", "statut", "code", "detail", "erreurs"),
    [
        (
            "django_validation_champ",
            400,
            "donnees_invalides",
            "Les données envoyées ne sont pas valides",
            {"date_debut": ["La date de début est dans le futur."]},
        ),
        (
            "django_validation_generale",
            400,
            "donnees_invalides",
            "Ce ménage est clos : il ne se modifie plus.",
            {"non_field_errors": ["Ce ménage est clos : il ne se modifie plus."]},
        ),
        (
            "imbrique",
            400,
            "donnees_invalides",
            "Les données envoyées ne sont pas valides",
            {"adresse": ["Trop longue."], "personnes.1.nom": ["Obligatoire."]},
        ),
        (
            "django_permission",
            403,
            "permission_refusee",
            "Seul le référent du ménage peut faire cela.",
            None,
        ),
        ("http404", 404, "introuvable", "Objet introuvable (ou hors de votre périmètre).", None),
        ("introuvable", 404, "introuvable", "Objet introuvable", None),
        ("conflit", 409, "conflit", "Le ménage a changé depuis votre lecture.", None),
    ],
)
def test_erreurs_en_json_structure_et_en_francais(client, db, cas, statut, code, detail, erreurs):
    reponse = client.get("/api/essai/erreurs/", {"cas": cas})
    corps = verifier_erreur(reponse, statut, code, erreurs=erreurs)
    assert corps["detail"].startswith(detail)
    assert "matches the given query" not in corps["detail"]


@pytest.mark.parametrize("cas", ["django_validation_champ", "imbrique", "conflit", "imprevue"])
def test_une_erreur_annule_l_ecriture_et_sa_trace(db, cas):
    client = Client(raise_request_exception=False)
    traces = Evenement.objects.count()
    reponse = client.post("/api/essai/erreurs/", {"cas": cas}, content_type="application/json")
    assert reponse.status_code >= 400
    assert not Territoire.objects.filter(nom="ÉCRIT PAR ERREUR").exists()
    assert Evenement.objects.count() == traces


def test_ecriture_reussie_validee(client, db):
    reponse = client.post("/api/essai/erreurs/", {}, content_type="application/json")
    assert reponse.status_code == 201
    assert Territoire.objects.filter(nom="ÉCRIT PAR ERREUR").exists()


def test_erreur_imprevue_500_en_json(db):
    client = Client(raise_request_exception=False)
    reponse = client.get("/api/essai/erreurs/", {"cas": "imprevue"})
    corps = verifier_erreur(reponse, 500, "erreur_serveur")
    assert "bogue" not in corps["detail"]  # rien de l'exception ne sort


def test_erreurs_du_serializer_par_champ(client, db):
    reponse = client.post(
        "/api/essai/ecriture/",
        {"adresse": "x" * 20, "personnes": [{"nom": "Alex"}, {}]},
        content_type="application/json",
    )
    corps = verifier_erreur(reponse, 400, "donnees_invalides")
    assert corps["erreurs"] == {
        "adresse": ["Assurez-vous que ce champ comporte au plus 10\xa0caractères."],
        "personnes.1.nom": ["Ce champ est obligatoire."],
    }


def test_json_mal_forme(client, db):
    reponse = client.post("/api/essai/ecriture/", "{pas du json", content_type="application/json")
    corps = verifier_erreur(reponse, 400, "requete_mal_formee")
    assert corps["detail"] == "Le corps de la requête n'est pas du JSON valide."
    assert corps["erreurs"] == {"non_field_errors": [corps["detail"]]}


def test_type_de_contenu_refuse_415(client, db):
    reponse = client.post("/api/essai/ecriture/", "adresse=x", content_type="text/plain")
    corps = verifier_erreur(reponse, 415, "type_de_contenu_non_pris_en_charge")
    assert "« text/plain »" in corps["detail"] and "application/json" in corps["detail"]


def test_methode_non_permise_405(client, db):
    corps = verifier_erreur(client.delete("/api/essai/erreurs/"), 405, "methode_non_permise")
    assert corps["detail"] == "La méthode DELETE n'est pas permise sur cette adresse."


def test_format_non_disponible_406_en_json(client, db):
    reponse = client.get("/api/essai/erreurs/", HTTP_ACCEPT="text/html")
    verifier_erreur(reponse, 406, "format_non_disponible")


def test_filtre_invalide_400_par_champ_en_francais(client, monde):
    secret = jeton(monde.coordinateur)
    reponse = api(client, "/api/essai/menages/?territoire=abc", secret)
    corps = verifier_erreur(reponse, 400, "donnees_invalides")
    assert corps["erreurs"] == {"territoire": ["Saisissez un nombre."]}


def test_page_inexistante_404_en_francais(client, monde):
    secret = jeton(monde.coordinateur)
    assert api(client, "/api/essai/menages/", secret).json()["count"] == 2
    corps = verifier_erreur(api(client, "/api/essai/menages/?page=9", secret), 404, "introuvable")
    assert corps["detail"].startswith("Page invalide")
    assert "page" in corps["detail"].lower() and "Invalid" not in corps["detail"]


def test_objet_hors_perimetre_404(client, monde):
    secret = jeton(monde.coordinateur)
    assert api(client, f"/api/essai/menages/{monde.m_a1.pk}/", secret).status_code == 200
    verifier_erreur(api(client, f"/api/essai/menages/{monde.m_b1.pk}/", secret), 404, "introuvable")


def test_route_inconnue_de_l_api_en_json_et_pages_html_inchangees(client, monde):
    corps = verifier_erreur(client.get("/api/v1/inconnue/"), 404, "introuvable")
    assert corps["detail"] == "Adresse inconnue de l'API."
    client.force_login(monde.referent)
    page = client.get("/page-inconnue/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_erreur_serveur_hors_api_reste_une_page_html(rf):
    from api.exceptions import erreur_serveur

    reponse = erreur_serveur(rf.get("/menages/"))
    assert reponse.status_code == 500
    assert reponse["Content-Type"].startswith("text/html")


# --- Limitation de débit ------------------------------------------------------------------------


def test_debit_par_jeton_429_avec_retry_after(client, monde, settings):
    settings.API_DEBIT_JETON = "3/min"
    premier = jeton(monde.coordinateur)
    for _ in range(3):
        assert api(client, "/api/essai/", premier).status_code == 200
    reponse = api(client, "/api/essai/", premier)
    corps = verifier_erreur(reponse, 429, "trop_de_requetes")
    attente = int(reponse["Retry-After"])
    assert 1 <= attente <= 60
    assert corps["detail"] == f"Trop de requêtes : réessayez dans {attente} secondes."
    # Chaque jeton a son compteur, même pour un même compte.
    second = jeton(monde.coordinateur)
    assert api(client, "/api/essai/", second).status_code == 200
    # Les erreurs comptent aussi (un outil en boucle sur un 404 est freiné).
    assert api(client, "/api/essai/menages/0/", premier).status_code == 429


def test_debit_par_utilisateur_en_session(client, monde, settings):
    settings.API_DEBIT_SESSION = "2/min"
    client.force_login(monde.referent)
    assert [client.get("/api/essai/").status_code for _ in range(3)] == [200, 200, 429]
    # Un autre utilisateur n'est pas freiné.
    autre = Client()
    autre.force_login(monde.coordinateur)
    assert autre.get("/api/essai/").status_code == 200


def test_debit_anonyme_par_adresse(client, db, settings):
    settings.API_DEBIT_ANONYME = "2/min"
    statuts = [client.get("/api/essai/erreurs/").status_code for _ in range(3)]
    assert statuts == [200, 200, 429]


def test_debit_reglable_et_desactivable(client, monde, settings):
    settings.API_DEBIT_JETON = None
    secret = jeton(monde.coordinateur)
    assert {api(client, "/api/essai/", secret).status_code for _ in range(30)} == {200}
    assert Debit().parse_rate("5/jour") == (5, 86400)
    assert Debit().parse_rate("10/heure") == (10, 3600)
    assert Debit().parse_rate("120/min") == (120, 60)
    with pytest.raises(Exception, match="Débit de l'API mal écrit"):
        Debit().parse_rate("beaucoup")


def test_cache_redis_si_une_url_est_donnee():
    def backend(env):
        code = (
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='logement.settings'; "
            "from django.conf import settings; print(settings.CACHES['default']['BACKEND'], "
            "settings.CACHES['default'].get('LOCATION', ''))"
        )
        sortie = subprocess.run(
            [sys.executable, "-c", code],
            env={**env, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
            cwd=reglages.BASE_DIR,
        )
        return sortie.stdout.split()

    assert backend({"CACHE_URL": "redis://127.0.0.1:6379/2"}) == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/2",
    ]
    assert backend({"REDIS_URL": "redis://127.0.0.1:6379/3"})[0].endswith("RedisCache")
    assert backend({})[0] == "django.core.cache.backends.locmem.LocMemCache"


# --- Schéma et documentation --------------------------------------------------------------------


@pytest.fixture
def schema(client, db):
    reponse = client.get(reverse("api:schema") + "?format=json")
    assert reponse.status_code == 200
    return json.loads(reponse.content)


def test_schema_titre_description_et_authentifications(schema):
    assert schema["info"]["title"] == "API Logement d'abord"
    description = schema["info"]["description"]
    for mot in ("Authorization: Bearer", "`page`", "`taille`", "`tri`", "erreurs", "429"):
        assert mot in description
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jeton"]["type"] == "http" and schemes["jeton"]["scheme"] == "bearer"
    assert schemes["session"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": reglages.SESSION_COOKIE_NAME,
        "description": schemes["session"]["description"],
    }
    assert "X-CSRFToken" in schemes["session"]["description"]
    erreur = schema["components"]["schemas"]["Erreur"]
    assert set(erreur["required"]) == {"detail", "code"}
    validation = schema["components"]["schemas"]["ErreurValidation"]
    assert set(validation["required"]) == {"detail", "code", "erreurs"}


def _reponses(schema, chemin, methode):
    return schema["paths"][chemin][methode]["responses"]


def test_chaque_operation_decrit_les_erreurs_communes(schema):
    liste = _reponses(schema, "/api/essai/menages/", "get")
    assert {"200", "400", "401", "403", "404", "429"} <= set(liste)
    assert "415" not in liste
    assert liste["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErreurValidation"
    )
    assert liste["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Erreur")
    assert "Retry-After" in liste["429"]["headers"]
    assert "WWW-Authenticate" in liste["401"]["headers"]
    assert "périmètre" in liste["404"]["description"]

    detail = _reponses(schema, "/api/essai/menages/{id}/", "get")
    assert {"401", "403", "404", "429"} <= set(detail) and "400" not in detail

    ecriture = _reponses(schema, "/api/essai/ecriture/", "post")
    assert {"201", "400", "401", "403", "415", "429"} <= set(ecriture) and "404" not in ecriture

    moi = _reponses(schema, "/api/essai/", "get")
    assert set(moi) == {"200", "401", "403", "429"}
    # Toutes, y compris celles des points d'accès métier.
    for chemin, operations in schema["paths"].items():
        for methode, operation in operations.items():
            manquantes = {"401", "403", "429"} - set(operation["responses"])
            assert not manquantes, (methode, chemin, manquantes)


def test_le_schema_du_projet_se_valide_sans_avertissement(tmp_path, settings):
    """`manage.py spectacular --validate --fail-on-warn` : tout point d'accès décrit, sans
    ambiguïté (urlconf du projet, sans les vues d'essai)."""
    settings.ROOT_URLCONF = "logement.urls"
    fichier = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(fichier))
    assert "API Logement d'abord" in fichier.read_text()


def test_documentation_sans_script_en_ligne(client, db):
    reponse = client.get(reverse("api:docs"))
    assert reponse.status_code == 200
    texte = reponse.content.decode()
    assert '<html lang="fr">' in texte
    assert "<style" not in texte
    scripts = texte.count("<script")
    assert scripts == texte.count("<script src=") == 3
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in texte
    assert "script-src 'self'" in reponse["Content-Security-Policy"]
    amorce = client.get(reverse("api:docs") + "?script=")
    assert amorce.status_code == 200
    assert amorce["Content-Type"].startswith("application/javascript")
    assert reverse("api:schema") in amorce.content.decode()
