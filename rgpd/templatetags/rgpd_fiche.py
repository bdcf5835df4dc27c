"""Bloc « droits des personnes » de la fiche ménage : export du droit d'accès de chaque membre,
pour l'agent départemental du Département du ménage et l'administrateur."""

from django import template

from logement.models import Role
from rgpd.selectors import menages_du_ressort

register = template.Library()


@register.inclusion_tag("rgpd/_bloc_fiche.html", takes_context=True)
def bloc_droits(context, menage, personnes):
    user = context["request"].user
    autorise = (
        user.perimetre.a_role(Role.AGENT_DEPARTEMENTAL)
        and menages_du_ressort(user).filter(pk=menage.pk).exists()
    )
    return {"autorise": autorise, "menage": menage, "personnes": personnes}
