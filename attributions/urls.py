from django.urls import path

from . import views

app_name = "attributions"

urlpatterns = [
    path("", views.logements, name="logements"),
    path("nouveau/", views.logement_creer, name="logement_creer"),
    path("export/", views.logements_export, name="logements_export"),
    path("<int:pk>/", views.logement_fiche, name="logement_fiche"),
    path("<int:pk>/modifier/", views.logement_modifier, name="logement_modifier"),
    path("<int:pk>/proposer/", views.proposer, name="proposer"),
    path("attributions/", views.propositions, name="propositions"),
    path("propositions/<int:pk>/caleol/", views.decision_caleol, name="decision_caleol"),
    path("propositions/<int:pk>/reponse/", views.reponse_menage, name="reponse_menage"),
    path("propositions/<int:pk>/bail/", views.bail, name="bail"),
    path("propositions/<int:pk>/entree/", views.entree, name="entree"),
]
