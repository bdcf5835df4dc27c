from django.urls import path

from . import vues_comptes as vues

app_name = "utilisateurs"

urlpatterns = [
    path("", vues.liste, name="liste"),
    path("inviter/", vues.inviter, name="inviter"),
    path("<int:pk>/", vues.fiche, name="fiche"),
    path("<int:pk>/desactiver/", vues.desactiver, name="desactiver"),
    path("<int:pk>/reactiver/", vues.reactiver, name="reactiver"),
    path("<int:pk>/renvoyer-invitation/", vues.renvoyer_invitation, name="renvoyer_invitation"),
    path("<int:pk>/habilitations/ajouter/", vues.ajouter_habilitation, name="ajouter_habilitation"),
    path(
        "<int:pk>/habilitations/<int:hid>/changer/",
        vues.changer_habilitation,
        name="changer_habilitation",
    ),
    path(
        "<int:pk>/habilitations/<int:hid>/terminer/",
        vues.terminer_habilitation,
        name="terminer_habilitation",
    ),
]
