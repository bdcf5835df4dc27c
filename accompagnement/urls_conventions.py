from django.urls import path

from . import vues_conventions as vues

app_name = "conventions"

urlpatterns = [
    path("", vues.liste, name="liste"),
    path("nouvelle/", vues.creer, name="creer"),
    path("<int:pk>/", vues.fiche, name="fiche"),
    path("<int:pk>/modifier/", vues.modifier, name="modifier"),
]
