from django.urls import path

from . import views

app_name = "menages"

urlpatterns = [
    path("", views.liste, name="liste"),
    path("export/", views.export, name="export"),
    path("nouveau/", views.creer, name="creer"),
    path("<int:pk>/", views.fiche, name="fiche"),
    path("<int:pk>/modifier/", views.modifier, name="modifier"),
    path("<int:pk>/situation/", views.changer_situation, name="changer_situation"),
    path("<int:pk>/ressources/", views.ressources, name="ressources"),
    path("<int:pk>/consentement/", views.consentement, name="consentement"),
]
