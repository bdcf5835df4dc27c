"""Pagination par numéro de page : la plus simple à suivre depuis un tableur (Power Query)."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "taille"
    max_page_size = 500
    page_query_param = "page"
    page_size_query_description = "Nombre de résultats par page (500 au plus)."
    page_query_description = "Numéro de la page de résultats."
    invalid_page_message = "Page invalide : {message}"
