"""Admin du socle : territoires, structures, comptes et habilitations, et la base des référentiels."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Habilitation, Structure, Territoire, User


class ReferentielAdmin(admin.ModelAdmin):
    """Base commune à toutes les tables de référence (sous-classes de `Referentiel`)."""

    list_display = ("libelle", "code", "ordre", "actif")
    list_editable = ("ordre", "actif")
    list_filter = ("actif",)
    search_fields = ("libelle", "code")
    # Les migrations de données retrouvent les lignes par leur code : le JavaScript de l'admin
    # ne le propose qu'à la création et ne le réécrit jamais ensuite.
    prepopulated_fields = {"code": ("libelle",)}


class EnLigne(admin.TabularInline):
    """Inline sans formulaires vides d'office : les tables liées grossissent vite."""

    extra = 0
    show_change_link = True


@admin.register(Territoire)
class TerritoireAdmin(admin.ModelAdmin):
    list_display = ("nom", "niveau", "code", "parent")
    list_filter = ("niveau", ("parent", admin.RelatedOnlyFieldListFilter))
    search_fields = ("nom", "code")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent", "perimetre")


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ("nom", "type", "territoire", "commune", "siret", "actif")
    list_filter = ("type", "actif", ("territoire", admin.RelatedOnlyFieldListFilter))
    search_fields = ("nom", "siret", "commune")
    list_select_related = ("territoire",)
    autocomplete_fields = ("territoire",)
    readonly_fields = ("cree_le", "modifie_le")


class HabilitationInline(EnLigne):
    model = Habilitation
    fields = ("role", "structure", "territoire", "date_debut", "date_fin")
    autocomplete_fields = ("structure", "territoire")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        BaseUserAdmin.fieldsets[0],
        (
            "informations personnelles",
            {"fields": ("first_name", "last_name", "email", "telephone")},
        ),
        *BaseUserAdmin.fieldsets[2:],
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (
            "informations personnelles",
            {"fields": ("first_name", "last_name", "email", "telephone")},
        ),
    )
    list_display = ("username", "last_name", "first_name", "email", "telephone", "is_active")
    list_filter = (*BaseUserAdmin.list_filter, "habilitations__role")
    search_fields = (*BaseUserAdmin.search_fields, "telephone")
    inlines = (HabilitationInline,)


@admin.register(Habilitation)
class HabilitationAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "structure", "territoire", "date_debut", "date_fin")
    list_filter = (
        "role",
        ("structure", admin.RelatedOnlyFieldListFilter),
        ("territoire", admin.RelatedOnlyFieldListFilter),
        "date_debut",
        "date_fin",
    )
    search_fields = (
        "user__username",
        "user__last_name",
        "user__first_name",
        "structure__nom",
        "territoire__nom",
    )
    list_select_related = ("user", "structure", "territoire")
    autocomplete_fields = ("user", "structure", "territoire")
    readonly_fields = ("cree_le", "modifie_le")
