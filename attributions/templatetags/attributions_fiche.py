"""Bloc « logement » de la fiche ménage : propositions, décisions de CALEOL, baux."""

from django import template

from attributions import selectors
from attributions.models import Proposition

register = template.Library()


@register.inclusion_tag("attributions/_fiche_attributions.html", takes_context=True)
def bloc_attributions(context, menage):
    request = context["request"]
    user = request.user
    propositions = (
        selectors.propositions(user).filter(menage=menage).order_by("-date_proposition", "-id")
    )
    return {
        "menage": menage,
        "request": request,
        "user": user,
        "propositions": list(propositions),
        "peut_ecrire": selectors.peut_ecrire(user),
    }


@register.filter
def libelle_etape(code: str) -> str:
    return Proposition.Etape(code).label
