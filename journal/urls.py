from django.urls import path

from . import views

app_name = "journal"

urlpatterns = [
    path("", views.recherche, name="recherche"),
    path("export/", views.export, name="export"),
]
