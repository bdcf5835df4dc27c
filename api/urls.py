"""API REST v1 : un routeur, chaque domaine y enregistre ses ensembles de vues ; schéma OpenAPI
et documentation (Swagger UI)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import accompagnement, attributions, bilans, menages

app_name = "api"

router = DefaultRouter(trailing_slash=True)
# JSON seulement : pas de variantes « .json » des adresses (des routes à paramètre de plus).
router.include_format_suffixes = False
for domaine in (menages, accompagnement, attributions, bilans):
    domaine.enregistrer(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Vue « split » : le script d'amorçage est une ressource à part (?script), sans script en
    # ligne que la politique de sécurité du contenu refuserait.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("", include(router.urls)),
]
