from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.liste, name="liste"),
    path("deposer/", views.deposer, name="deposer"),
    path("modeles/<str:genre>/<str:format>/", views.modele, name="modele"),
    path("<int:pk>/", views.fiche, name="fiche"),
    path("<int:pk>/etat/", views.etat, name="etat"),
    path("<int:pk>/correspondance/", views.correspondance, name="correspondance"),
    path("<int:pk>/doublons/", views.decisions, name="decisions"),
    path("<int:pk>/confirmer/", views.confirmer, name="confirmer"),
    path("<int:pk>/relancer/", views.relancer, name="relancer"),
    path("<int:pk>/abandonner/", views.abandonner, name="abandonner"),
    path("<int:pk>/fichier/", views.fichier, name="fichier"),
    path("<int:pk>/rapport/<str:format>/", views.rapport_lignes, name="rapport"),
]
