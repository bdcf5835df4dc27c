"""Admin de l'accompagnement : conventions, orientations, mesures, projets, rencontres, aides."""

from django.contrib import admin

from logement.admin import EnLigne, ReferentielAdmin
from menages.admin import RECHERCHE_MENAGE, AvecMenage

from .models import (
    ActionProjet,
    AideFinanciere,
    Convention,
    DomaineAccompagnement,
    Enveloppe,
    Mesure,
    MotifFin,
    ObjectifProjet,
    Orientation,
    OrigineOrientation,
    ProjetAccompagnement,
    Rencontre,
    Renouvellement,
    RevisionProjet,
    TypeMesure,
)

admin.site.register([DomaineAccompagnement, OrigineOrientation], ReferentielAdmin)


@admin.register(TypeMesure)
class TypeMesureAdmin(ReferentielAdmin):
    list_display = (
        *ReferentielAdmin.list_display,
        "financeur",
        "duree_defaut_mois",
        "duree_max_mois",
        "relevant_fsl",
        "cumul_fsl_interdit",
        "specifique_logement_dabord",
    )
    list_filter = (*ReferentielAdmin.list_filter, "financeur", "relevant_fsl")


@admin.register(MotifFin)
class MotifFinAdmin(ReferentielAdmin):
    list_display = (*ReferentielAdmin.list_display, "categorie", "acces_logement", "maintien")
    list_filter = (*ReferentielAdmin.list_filter, "categorie")


@admin.register(Convention)
class ConventionAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "reference",
        "financeur",
        "territoire",
        "nombre_mesures",
        "budget",
        "date_signature",
    )
    list_filter = ("annee", "financeur", "type_mesure", "territoire", "structure__type")
    search_fields = ("reference", "structure__nom", "territoire__nom")
    list_select_related = ("structure", "type_mesure", "territoire")
    autocomplete_fields = ("structure", "territoire")


@admin.register(Orientation)
class OrientationAdmin(AvecMenage, admin.ModelAdmin):
    list_display = (
        "__str__",
        "menage_reference",
        "plateforme",
        "origine",
        "structure_prescriptrice",
        "type_mesure_preconisee",
        "statut",
        "date_decision",
    )
    list_filter = (
        "statut",
        "plateforme",
        "origine",
        "type_mesure_preconisee",
        "date_orientation",
        "date_decision",
    )
    search_fields = (*RECHERCHE_MENAGE, "prescripteur", "structure_prescriptrice__nom")
    date_hierarchy = "date_orientation"
    list_select_related = (
        "menage",
        "plateforme",
        "origine",
        "structure_prescriptrice",
        "type_mesure_preconisee",
    )
    show_full_result_count = False
    autocomplete_fields = ("menage", "plateforme", "structure_prescriptrice", "decision_par")


class RenouvellementInline(EnLigne):
    model = Renouvellement
    fields = ("date_decision", "ancienne_fin_prevue", "nouvelle_fin_prevue", "motif", "decide_par")
    autocomplete_fields = ("decide_par",)


@admin.register(Mesure)
class MesureAdmin(AvecMenage, admin.ModelAdmin):
    list_display = (
        "__str__",
        "menage_reference",
        "structure",
        "territoire",
        "referent",
        "date_proposition",
        "date_debut",
        "date_fin_prevue",
        "date_fin",
        "motif_fin",
    )
    list_filter = (
        "statut",
        "type",
        "territoire",
        "structure__type",
        "motif_fin",
        "destination",
        "date_debut",
        "date_fin",
    )
    search_fields = (*RECHERCHE_MENAGE, "structure__nom", "referent__last_name")
    date_hierarchy = "date_proposition"
    list_select_related = ("menage", "type", "structure", "territoire", "referent", "motif_fin")
    show_full_result_count = False
    autocomplete_fields = (
        "menage",
        "territoire",
        "structure",
        "referent",
        "convention",
        "orientation",
        "logement",
    )
    readonly_fields = ("cree_le", "modifie_le")
    inlines = (RenouvellementInline,)


@admin.register(Renouvellement)
class RenouvellementAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "mesure",
        "date_decision",
        "ancienne_fin_prevue",
        "nouvelle_fin_prevue",
        "decide_par",
    )
    list_filter = ("date_decision", "mesure__type")
    search_fields = ("mesure__menage__reference", "motif")
    date_hierarchy = "date_decision"
    list_select_related = ("mesure__type", "decide_par")
    autocomplete_fields = ("mesure", "decide_par")


class ObjectifProjetInline(EnLigne):
    model = ObjectifProjet
    fields = ("domaine", "intitule", "statut", "echeance", "date_atteinte")


class RevisionProjetInline(EnLigne):
    model = RevisionProjet
    fields = ("date", "auteur", "resume")
    autocomplete_fields = ("auteur",)


@admin.register(ProjetAccompagnement)
class ProjetAccompagnementAdmin(admin.ModelAdmin):
    list_display = ("__str__", "mesure", "date_elaboration", "date_signature")
    list_filter = ("mesure__type", "date_elaboration", "date_signature")
    search_fields = ("mesure__menage__reference", "mesure__menage__personnes__nom_normalise")
    date_hierarchy = "date_elaboration"
    # Le modèle n'a pas d'ordre par défaut : l'autocomplétion paginerait une liste instable.
    ordering = ("-date_elaboration",)
    list_select_related = ("mesure__type",)
    autocomplete_fields = ("mesure",)
    inlines = (ObjectifProjetInline, RevisionProjetInline)


class ActionProjetInline(EnLigne):
    model = ActionProjet
    fields = ("intitule", "porteur", "echeance", "realisee_le")


@admin.register(ObjectifProjet)
class ObjectifProjetAdmin(admin.ModelAdmin):
    list_display = ("intitule", "projet", "domaine", "statut", "echeance", "date_atteinte")
    list_filter = ("statut", "domaine", "echeance")
    search_fields = ("intitule", "projet__mesure__menage__reference")
    list_select_related = ("projet", "domaine")
    autocomplete_fields = ("projet",)
    inlines = (ActionProjetInline,)


@admin.register(ActionProjet)
class ActionProjetAdmin(admin.ModelAdmin):
    list_display = ("intitule", "objectif", "porteur", "echeance", "realisee_le")
    list_filter = ("porteur", "echeance", "realisee_le")
    search_fields = ("intitule", "objectif__intitule")
    list_select_related = ("objectif",)
    autocomplete_fields = ("objectif",)


@admin.register(RevisionProjet)
class RevisionProjetAdmin(admin.ModelAdmin):
    list_display = ("__str__", "projet", "auteur")
    list_filter = ("date",)
    search_fields = ("resume", "projet__mesure__menage__reference")
    date_hierarchy = "date"
    list_select_related = ("projet", "auteur")
    autocomplete_fields = ("projet", "auteur")


@admin.register(Rencontre)
class RencontreAdmin(AvecMenage, admin.ModelAdmin):
    list_display = ("__str__", "menage_reference", "mesure", "duree_minutes", "auteur", "structure")
    list_filter = ("type", "date", "structure")
    search_fields = (*RECHERCHE_MENAGE, "auteur__last_name", "structure__nom")
    date_hierarchy = "date"
    list_select_related = ("menage", "mesure__type", "auteur", "structure")
    show_full_result_count = False
    autocomplete_fields = ("menage", "mesure", "auteur", "structure")
    # La note n'est lisible que par la structure qui l'a écrite, pas par l'administration.
    exclude = ("note",)


@admin.register(Enveloppe)
class EnveloppeAdmin(admin.ModelAdmin):
    list_display = ("libelle", "annee", "financeur", "territoire", "montant")
    list_filter = ("annee", "financeur", "territoire")
    search_fields = ("libelle", "territoire__nom")
    list_select_related = ("territoire",)
    autocomplete_fields = ("territoire",)


@admin.register(AideFinanciere)
class AideFinanciereAdmin(AvecMenage, admin.ModelAdmin):
    list_display = (
        "__str__",
        "menage_reference",
        "forme",
        "enveloppe",
        "decision",
        "date_demande",
        "date_decision",
    )
    list_filter = ("decision", "nature", "forme", "enveloppe", "date_demande")
    search_fields = RECHERCHE_MENAGE
    date_hierarchy = "date_demande"
    list_select_related = ("menage", "enveloppe")
    autocomplete_fields = ("menage", "enveloppe")
