"""Jetons d'API dans l'admin : lecture seule (le titulaire les crée et les révoque lui-même ;
désactiver le compte les rend tous inopérants)."""

from django.contrib import admin

from .models import JetonAPI


@admin.register(JetonAPI)
class JetonAPIAdmin(admin.ModelAdmin):
    list_display = ("nom", "user", "prefixe", "cree_le", "expire_le", "dernier_usage", "etat")
    list_filter = ("cree_le", "expire_le", "revoque_le")
    search_fields = ("nom", "prefixe", "user__username", "user__last_name")
    list_select_related = ("user",)
    date_hierarchy = "cree_le"
    actions = None
    # L'empreinte ne sert à rien à un humain et ne doit pas circuler.
    exclude = ("empreinte",)

    @admin.display(description="état")
    def etat(self, obj):
        return obj.etat_libelle

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "empreinte"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
