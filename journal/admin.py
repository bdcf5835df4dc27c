"""Le journal dans l'admin : lecture seule (ni ajout, ni modification, ni suppression, ni action)."""

from django.contrib import admin

from .models import Evenement


@admin.register(Evenement)
class EvenementAdmin(admin.ModelAdmin):
    list_display = ("horodatage", "action", "auteur_identifiant", "objet_repr", "menage_id")
    list_filter = ("action", "content_type")
    search_fields = ("auteur_identifiant", "auteur_nom", "objet_repr")
    date_hierarchy = "horodatage"
    list_select_related = ("content_type",)
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
