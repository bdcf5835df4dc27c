"""Admin des bilans : consultation seule. Un bilan se demande, se relance et se télécharge
depuis l'application, qui applique les droits ; ses chiffres figés ne se modifient pas."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import Bilan, FichierBilan


class LectureSeule:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FichierBilanEnLigne(LectureSeule, admin.TabularInline):
    model = FichierBilan
    extra = 0
    # Pas le champ fichier : son lien pointerait vers une URL de média qui n'existe pas (privé).
    fields = ("format", "telechargement", "taille", "empreinte", "cree_le")
    readonly_fields = fields

    @admin.display(description="fichier")
    def telechargement(self, obj):
        url = reverse("bilans:telecharger", args=[obj.bilan_id, obj.format])
        return format_html('<a href="{}">Télécharger</a>', url)


@admin.register(Bilan)
class BilanAdmin(LectureSeule, admin.ModelAdmin):
    list_display = (
        "pk",
        "audience",
        "territoire",
        "date_debut",
        "date_fin",
        "version",
        "statut",
        "tentatives",
        "demande_par",
        "cree_le",
    )
    list_filter = ("statut", "audience", "periodicite")
    search_fields = ("territoire__nom", "territoire__code")
    list_select_related = ("territoire", "demande_par")
    date_hierarchy = "cree_le"
    exclude = ("donnees",)
    inlines = (FichierBilanEnLigne,)
