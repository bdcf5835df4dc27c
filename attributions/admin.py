"""Admin des attributions : logements captés, propositions, décisions de CALEOL, objectifs."""

from django.contrib import admin

from logement.admin import EnLigne, ReferentielAdmin
from menages.admin import RECHERCHE_MENAGE, AvecMenage

from .models import Contingent, DecisionCaleol, Logement, ObjectifAttribution, Proposition

admin.site.register(Contingent, ReferentielAdmin)


@admin.register(DecisionCaleol)
class DecisionCaleolAdmin(ReferentielAdmin):
    list_display = (*ReferentielAdmin.list_display, "attribution", "rang")
    list_filter = (*ReferentielAdmin.list_filter, "attribution")


class PropositionInline(AvecMenage, EnLigne):
    """Historique des propositions du logement, en lecture : on les saisit depuis leur page."""

    model = Proposition
    fields = readonly_fields = (
        "menage_reference",
        "contingent",
        "date_proposition",
        "decision",
        "reponse",
        "date_signature_bail",
        "date_entree",
    )
    can_delete = False
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("menage", "contingent", "decision")


@admin.register(Logement)
class LogementAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "commune",
        "territoire",
        "typologie",
        "surface",
        "loyer",
        "type_bailleur",
        "bailleur",
        "captation",
        "date_disponibilite",
        "date_retrait",
    )
    list_filter = (
        "territoire",
        "typologie",
        "type_bailleur",
        "captation",
        "contingent",
        "qpv",
        "date_disponibilite",
        "date_retrait",
    )
    search_fields = ("reference", "adresse", "code_postal", "commune", "bailleur__nom")
    date_hierarchy = "date_disponibilite"
    list_select_related = ("territoire", "bailleur")
    autocomplete_fields = ("territoire", "bailleur")
    readonly_fields = ("cree_le", "modifie_le")
    inlines = (PropositionInline,)


@admin.register(Proposition)
class PropositionAdmin(AvecMenage, admin.ModelAdmin):
    list_display = (
        "logement",
        "menage_reference",
        "contingent",
        "date_proposition",
        "date_caleol",
        "decision",
        "reponse",
        "date_signature_bail",
        "date_entree",
    )
    list_filter = (
        "reponse",
        "decision",
        "contingent",
        "logement__territoire",
        "date_proposition",
        "date_signature_bail",
    )
    search_fields = (*RECHERCHE_MENAGE, "logement__reference", "logement__commune")
    date_hierarchy = "date_proposition"
    list_select_related = ("logement", "menage", "contingent", "decision")
    show_full_result_count = False
    autocomplete_fields = ("menage", "logement")


@admin.register(ObjectifAttribution)
class ObjectifAttributionAdmin(admin.ModelAdmin):
    list_display = ("territoire", "annee", "objectif", "attributions_totales")
    list_filter = ("annee", ("territoire", admin.RelatedOnlyFieldListFilter))
    search_fields = ("territoire__nom", "territoire__code")
    list_select_related = ("territoire",)
    autocomplete_fields = ("territoire",)
