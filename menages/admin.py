"""Admin des ménages : composition, parcours, ressources, consentement, procédures d'expulsion."""

from django.contrib import admin

from logement.admin import EnLigne, ReferentielAdmin

from .models import (
    ActionPrevention,
    Consentement,
    EtapeProcedure,
    Menage,
    Personne,
    ProcedureExpulsion,
    PublicPrioritaire,
    Ressource,
    SituationResidentielle,
    TypeRessource,
    TypeSituation,
)

# Recherche d'un ménage par sa référence ou le nom d'un membre, reprise par les objets rattachés.
RECHERCHE_MENAGE = ("menage__reference", "menage__personnes__nom_normalise")


class AvecMenage:
    """Colonne « ménage » par sa référence : le `__str__` de Menage coûte une requête par ligne."""

    @admin.display(description="ménage", ordering="menage__reference")
    def menage_reference(self, obj):
        return obj.menage.reference


admin.site.register([TypeRessource, PublicPrioritaire], ReferentielAdmin)


@admin.register(TypeSituation)
class TypeSituationAdmin(ReferentielAdmin):
    list_display = (
        *ReferentielAdmin.list_display,
        "categorie",
        "sans_domicile",
        "logement_perenne",
    )
    list_filter = (*ReferentielAdmin.list_filter, "categorie", "sans_domicile", "logement_perenne")


class PersonneInline(EnLigne):
    model = Personne
    fields = (
        "nom",
        "prenom",
        "role",
        "date_naissance",
        "sexe",
        "nationalite",
        "titre_sejour_fin",
    )


class RessourceInline(EnLigne):
    model = Ressource
    fields = ("type", "personne", "montant_mensuel", "date_debut", "date_fin")
    autocomplete_fields = ("personne",)


class ConsentementInline(EnLigne):
    model = Consentement
    fields = ("date", "adhesion", "information_donnee", "recueilli_par", "commentaire")
    autocomplete_fields = ("recueilli_par",)


@admin.register(Menage)
class MenageAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "demandeur_principal",
        "territoire",
        "statut",
        "dalo",
        "syplo",
        "nur_date_renouvellement",
        "date_dernier_contact",
        "cree_le",
    )
    list_filter = (
        "statut",
        "territoire",
        "dalo",
        "syplo",
        "publics_prioritaires",
        "date_dernier_contact",
        "nur_date_renouvellement",
    )
    search_fields = (
        "reference",
        "nur",
        "siao_id",
        "commune",
        "personnes__nom",
        "personnes__prenom",
        "personnes__nom_normalise",
    )
    date_hierarchy = "cree_le"
    list_select_related = ("territoire",)
    # Sur 100 000 ménages, ne pas recompter toute la table à chaque recherche filtrée.
    show_full_result_count = False
    autocomplete_fields = ("territoire", "cree_par")
    filter_horizontal = ("publics_prioritaires",)
    readonly_fields = ("reference", "cree_le", "modifie_le")
    fieldsets = (
        (None, {"fields": ("reference", "territoire", "statut", "cree_par")}),
        ("coordonnées", {"fields": ("adresse", "commune", "telephone", "date_dernier_contact")}),
        (
            "demande de logement social",
            {
                "fields": (
                    "siao_id",
                    "nur",
                    "nur_date_depot",
                    "nur_date_renouvellement",
                    "syplo",
                    "dalo",
                    "dalo_date_decision",
                    "publics_prioritaires",
                )
            },
        ),
        ("suivi", {"fields": ("cree_le", "modifie_le")}),
    )
    inlines = (PersonneInline, RessourceInline, ConsentementInline)

    def get_queryset(self, request):
        # Le demandeur principal (colonne, autocomplétion) se lit dans les personnes préchargées.
        return super().get_queryset(request).prefetch_related("personnes")


class SituationResidentielleInline(EnLigne):
    model = SituationResidentielle
    fields = ("type", "date_debut", "date_fin", "commune", "commentaire")


@admin.register(Personne)
class PersonneAdmin(AvecMenage, admin.ModelAdmin):
    list_display = (
        "__str__",
        "menage_reference",
        "role",
        "sexe",
        "date_naissance",
        "nationalite",
        "titre_sejour_fin",
    )
    list_filter = ("role", "sexe", "nationalite", "menage__territoire")
    # nom_normalise : « lefevre » retrouve « Lefèvre ».
    search_fields = ("nom", "prenom", "nom_normalise", "menage__reference")
    # Colonne indexée : l'ordre du modèle passe par une jointure sur le ménage.
    ordering = ("nom_normalise",)
    list_select_related = ("menage",)
    show_full_result_count = False
    autocomplete_fields = ("menage",)
    readonly_fields = ("nom_normalise", "cree_le", "modifie_le")
    inlines = (SituationResidentielleInline,)


@admin.register(SituationResidentielle)
class SituationResidentielleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "personne", "type", "date_debut", "date_fin", "commune")
    list_filter = ("type__categorie", "type", "date_debut", "date_fin")
    search_fields = ("personne__nom_normalise", "personne__menage__reference", "commune")
    list_select_related = ("personne", "type")
    autocomplete_fields = ("personne",)


@admin.register(Ressource)
class RessourceAdmin(AvecMenage, admin.ModelAdmin):
    list_display = (
        "__str__",
        "menage_reference",
        "personne",
        "type",
        "montant_mensuel",
        "date_debut",
        "date_fin",
    )
    list_filter = ("type", "date_debut", "date_fin")
    search_fields = RECHERCHE_MENAGE
    list_select_related = ("menage", "personne", "type")
    autocomplete_fields = ("menage", "personne")


@admin.register(Consentement)
class ConsentementAdmin(AvecMenage, admin.ModelAdmin):
    list_display = (
        "__str__",
        "menage_reference",
        "adhesion",
        "information_donnee",
        "recueilli_par",
    )
    list_filter = ("adhesion", "information_donnee", "date")
    search_fields = (*RECHERCHE_MENAGE, "recueilli_par__last_name")
    date_hierarchy = "date"
    list_select_related = ("menage", "recueilli_par")
    autocomplete_fields = ("menage", "recueilli_par")


class EtapeProcedureInline(EnLigne):
    model = EtapeProcedure
    fields = ("etape", "date", "commentaire")


class ActionPreventionInline(EnLigne):
    model = ActionPrevention
    fields = ("type", "date", "commentaire")


@admin.register(ProcedureExpulsion)
class ProcedureExpulsionAdmin(AvecMenage, admin.ModelAdmin):
    list_display = (
        "__str__",
        "menage_reference",
        "bailleur",
        "montant_dette",
        "issue",
        "date_signalement",
        "date_cloture",
    )
    list_filter = ("issue", "menage__territoire", "date_signalement", "date_cloture")
    search_fields = (*RECHERCHE_MENAGE, "bailleur")
    date_hierarchy = "date_signalement"
    list_select_related = ("menage",)
    autocomplete_fields = ("menage",)
    inlines = (EtapeProcedureInline, ActionPreventionInline)


class EtapeOuActionAdmin(admin.ModelAdmin):
    """Étapes et actions d'une procédure : mêmes colonnes, rattachées à la procédure."""

    list_display = ("__str__", "procedure", "date", "commentaire")
    search_fields = ("procedure__menage__reference", "procedure__bailleur", "commentaire")
    date_hierarchy = "date"
    list_select_related = ("procedure",)
    autocomplete_fields = ("procedure",)


@admin.register(EtapeProcedure)
class EtapeProcedureAdmin(EtapeOuActionAdmin):
    list_filter = ("etape", "date")


@admin.register(ActionPrevention)
class ActionPreventionAdmin(EtapeOuActionAdmin):
    list_filter = ("type", "date")
