from django.urls import path

from . import views

app_name = "comptes"
urlpatterns = [
    path("securite/", views.securite, name="securite"),
    path("double-authentification/", views.enrolement, name="enrolement"),
    path("verification/", views.verification, name="verification"),
    path("codes-de-secours/", views.codes_de_secours, name="codes_de_secours"),
    path("mot-de-passe/", views.ChangementMotDePasseView.as_view(), name="mot_de_passe"),
]
