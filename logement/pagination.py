"""Pagination commune des listes (taille fixe, numéro de page robuste aux saisies fantaisistes)."""

from django.core.paginator import Paginator

PAR_PAGE = 25


def paginer(request, queryset, par_page: int = PAR_PAGE):
    """Page demandée ; un numéro invalide ou hors bornes donne la première ou la dernière."""
    return Paginator(queryset, par_page).get_page(request.GET.get("page"))
