from django.urls import path

from . import views

app_name = "rgpd"

urlpatterns = [
    path("anonymisation/", views.anonymisation, name="anonymisation"),
    path(
        "personnes/<int:pk>/droit-acces.<str:format>",
        views.droit_acces,
        name="droit_acces",
    ),
]
