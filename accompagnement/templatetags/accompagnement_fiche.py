"""Bloc « accompagnement » de la fiche ménage : orientations, mesures, projet, rencontres."""

from django import template
from django.utils import timezone

from accompagnement import selectors
from accompagnement.forms import RencontreForm

register = template.Library()


def contexte_rencontres(user, menage, *, form=None, annonce="") -> dict:
    """Liste des dernières rencontres et formulaire d'ajout : partagé par le bloc de la fiche et
    la réponse htmx de l'ajout. Sans structure au nom de laquelle écrire, pas de formulaire."""
    rencontres, nb_rencontres = selectors.rencontres_recentes(user, menage)
    structures = selectors.structures_pour_rencontre(user, menage)
    if form is None and structures:
        form = RencontreForm(menage=menage, structures=structures)
    return {
        "menage": menage,
        "rencontres": rencontres,
        "nb_rencontres": nb_rencontres,
        "form_rencontre": form if structures else None,
        "annonce": annonce,
    }


@register.inclusion_tag("accompagnement/_fiche_accompagnement.html", takes_context=True)
def bloc_accompagnement(context, menage):
    request = context["request"]
    user = request.user
    return {
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "aujourdhui": timezone.localdate(),
        **selectors.bloc_fiche(user, menage),
        **contexte_rencontres(user, menage),
    }
