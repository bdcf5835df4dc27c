from django.urls import path

from . import views

app_name = "bilans"

urlpatterns = [
    path("", views.liste, name="liste"),
    path("demander/", views.demander, name="demander"),
    path("<int:pk>/", views.fiche, name="fiche"),
    path("<int:pk>/etat/", views.etat, name="etat"),
    path("<int:pk>/relancer/", views.relancer, name="relancer"),
    path("<int:pk>/nouvelle-version/", views.nouvelle_version, name="nouvelle_version"),
    path("<int:pk>/fichiers/<str:format>/", views.telecharger, name="telecharger"),
]
