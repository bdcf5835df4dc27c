"""Points d'accès de l'accompagnement : orientations, mesures, projet d'accompagnement
(projets, objectifs, actions), rencontres, conventions de financement."""

from .accompagnement_conventions import ConventionViewSet
from .accompagnement_mesures import MesureViewSet, OrientationViewSet
from .accompagnement_projet import ActionViewSet, ObjectifViewSet, ProjetViewSet
from .accompagnement_rencontres import RencontreViewSet

RESSOURCES = (
    ("orientations", OrientationViewSet, "orientation"),
    ("mesures", MesureViewSet, "mesure"),
    ("projets", ProjetViewSet, "projet"),
    ("objectifs", ObjectifViewSet, "objectif"),
    ("actions", ActionViewSet, "action"),
    ("rencontres", RencontreViewSet, "rencontre"),
    ("conventions", ConventionViewSet, "convention"),
)


def enregistrer(router):
    """Enregistre les ensembles de vues de ce domaine dans le routeur de l'API."""
    for prefixe, vues, nom in RESSOURCES:
        router.register(prefixe, vues, basename=nom)
