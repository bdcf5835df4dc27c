"""Admin des imports : consultation seule. Un import se dépose, se confirme et se télécharge
depuis l'application, qui applique les droits ; les correspondances mémorisées se corrigent."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import CorrespondanceColonne, Import


class LectureSeule:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Import)
class ImportAdmin(LectureSeule, admin.ModelAdmin):
    list_display = (
        "pk",
        "genre",
        "structure",
        "nom_fichier",
        "statut",
        "nb_lignes",
        "crees",
        "mis_a_jour",
        "depose_par",
        "cree_le",
    )
    list_filter = ("statut", "genre")
    search_fields = ("nom_fichier", "structure__nom")
    list_select_related = ("structure", "depose_par")
    date_hierarchy = "cree_le"
    # Pas le champ fichier : son lien pointerait vers une URL de média qui n'existe pas (privé).
    exclude = ("fichier", "correspondance", "details")
    readonly_fields = ("telechargement",)

    @admin.display(description="fichier d'origine")
    def telechargement(self, obj):
        if not obj.fichier:
            return "effacé"
        url = reverse("imports:fichier", args=[obj.pk])
        return format_html('<a href="{}">Télécharger</a>', url)


@admin.register(CorrespondanceColonne)
class CorrespondanceColonneAdmin(admin.ModelAdmin):
    list_display = ("structure", "genre", "libelle", "colonne", "modifie_par", "modifie_le")
    list_filter = ("genre",)
    search_fields = ("structure__nom", "libelle", "entete")
    list_select_related = ("structure", "modifie_par")
    readonly_fields = ("modifie_par",)
