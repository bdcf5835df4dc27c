from django.urls import path

from . import views

app_name = "accompagnement"

urlpatterns = [
    path("orientations/", views.orientations, name="orientations"),
    path(
        "orientations/<int:pk>/accepter/", views.orientation_accepter, name="orientation_accepter"
    ),
    path("orientations/<int:pk>/refuser/", views.orientation_refuser, name="orientation_refuser"),
    path(
        "orientations/<int:pk>/reorienter/",
        views.orientation_rediriger,
        name="orientation_rediriger",
    ),
    path("menages/<int:menage_pk>/orienter/", views.orientation_creer, name="orientation_creer"),
    path("menages/<int:menage_pk>/mesures/ouvrir/", views.mesure_ouvrir, name="mesure_ouvrir"),
    path("menages/<int:menage_pk>/rencontres/", views.rencontre_ajouter, name="rencontre_ajouter"),
    path("mesures/<int:pk>/demarrer/", views.mesure_demarrer, name="mesure_demarrer"),
    path("mesures/<int:pk>/renouveler/", views.mesure_renouveler, name="mesure_renouveler"),
    path("mesures/<int:pk>/terminer/", views.mesure_terminer, name="mesure_terminer"),
    path("mesures/<int:pk>/projet/", views.projet, name="projet"),
    path("mesures/<int:pk>/projet/objectifs/", views.objectif_ajouter, name="objectif_ajouter"),
    path(
        "mesures/<int:pk>/projet/objectifs/<int:objectif_pk>/",
        views.objectif_modifier,
        name="objectif_modifier",
    ),
    path(
        "mesures/<int:pk>/projet/objectifs/<int:objectif_pk>/actions/",
        views.action_ajouter,
        name="action_ajouter",
    ),
    path(
        "mesures/<int:pk>/projet/actions/<int:action_pk>/",
        views.action_modifier,
        name="action_modifier",
    ),
    path(
        "mesures/<int:pk>/projet/actions/<int:action_pk>/realisee/",
        views.action_realisee,
        name="action_realisee",
    ),
    path("mes-menages/", views.mes_menages, name="mes_menages"),
    path("mesures/export/", views.mesures_export, name="mesures_export"),
]
