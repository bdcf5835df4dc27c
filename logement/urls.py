from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from comptes import views as comptes_views

from . import views

admin.site.site_header = "Logement d'abord — administration"
admin.site.site_title = "Logement d'abord"
admin.site.index_title = "Administration de la plateforme"

urlpatterns = [
    path("", views.accueil, name="accueil"),
    path("connexion/", comptes_views.ConnexionView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("compte/", include("comptes.urls")),
    path("compte/jetons/", include("api.urls_jetons")),
    path(
        "mot-de-passe-oublie/",
        comptes_views.ReinitialisationView.as_view(),
        name="password_reset",
    ),
    path(
        "mot-de-passe-oublie/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/<uidb64>/<token>/",
        comptes_views.NouveauMotDePasseView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/enregistre/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("sante/", views.sante, name="sante"),
    path("menages/", include("menages.urls")),
    path("accompagnement/", include("accompagnement.urls")),
    path("conventions/", include("accompagnement.urls_conventions")),
    path("logements/", include("attributions.urls")),
    path("bilans/", include("bilans.urls")),
    path("journal/", include("journal.urls")),
    path("rgpd/", include("rgpd.urls")),
    path("utilisateurs/", include("logement.urls_comptes")),
    path("api/v1/", include("api.urls")),
    path("imports/", include("imports.urls")),
    path("admin/", admin.site.urls),
]

# Sous /api/, une adresse inconnue ou une erreur serveur répond en JSON ; ailleurs, les pages
# 404.html et 500.html habituelles.
handler404 = "api.exceptions.page_introuvable"
handler500 = "api.exceptions.erreur_serveur"
