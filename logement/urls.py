from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

admin.site.site_header = "Logement d'abord — administration"
admin.site.site_title = "Logement d'abord"
admin.site.index_title = "Administration de la plateforme"

urlpatterns = [
    path("", views.accueil, name="accueil"),
    path("connexion/", auth_views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("sante/", views.sante, name="sante"),
    path("menages/", include("menages.urls")),
    path("accompagnement/", include("accompagnement.urls")),
    path("conventions/", include("accompagnement.urls_conventions")),
    path("logements/", include("attributions.urls")),
    path("bilans/", include("bilans.urls")),
    path("admin/", admin.site.urls),
]
