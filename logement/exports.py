"""Exports tabulaires (CSV pour tableur français, XLSX) : un seul endroit pour le format."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

import xlsxwriter
from django.http import HttpResponse

# Une cellule commençant par l'un de ces caractères serait lue comme une formule par le tableur.
DEBUTS_DE_FORMULE = ("=", "+", "-", "@", "\t", "\r")


def neutraliser(valeur):
    """Désamorce l'injection de formule : préfixe d'une apostrophe le texte qui en a l'air."""
    if isinstance(valeur, str) and valeur.startswith(DEBUTS_DE_FORMULE):
        return "'" + valeur
    return valeur


def _texte_csv(valeur) -> str:
    if valeur is None:
        return ""
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, dt.date):
        return valeur.strftime("%d/%m/%Y")
    if isinstance(valeur, Decimal | float):
        return f"{valeur}".replace(".", ",")
    return str(neutraliser(valeur))


def reponse_csv(nom: str, entetes: Sequence[str], lignes: Iterable[Sequence]) -> HttpResponse:
    """CSV UTF-8 avec BOM et « ; » : ce qu'Excel en français ouvre sans assistant."""
    tampon = io.StringIO()
    tampon.write("\ufeff")
    ecrivain = csv.writer(tampon, delimiter=";", lineterminator="\r\n")
    ecrivain.writerow(entetes)
    for ligne in lignes:
        ecrivain.writerow([_texte_csv(v) for v in ligne])
    reponse = HttpResponse(tampon.getvalue(), content_type="text/csv; charset=utf-8")
    reponse["Content-Disposition"] = f'attachment; filename="{nom}.csv"'
    return reponse


def classeur_xlsx(feuilles: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """Un onglet par bloc ; vrais nombres et vraies dates ; en-têtes figés."""
    tampon = io.BytesIO()
    classeur = xlsxwriter.Workbook(tampon, {"in_memory": True, "strings_to_formulas": False})
    gras = classeur.add_format({"bold": True, "bg_color": "#E3E3FD", "text_wrap": True})
    date = classeur.add_format({"num_format": "dd/mm/yyyy"})
    for titre, entetes, lignes in feuilles:
        feuille = classeur.add_worksheet(titre[:31])
        feuille.write_row(0, 0, entetes, gras)
        feuille.freeze_panes(1, 0)
        for i, ligne in enumerate(lignes, start=1):
            for j, valeur in enumerate(ligne):
                if isinstance(valeur, dt.datetime):
                    feuille.write_datetime(i, j, valeur.replace(tzinfo=None), date)
                elif isinstance(valeur, dt.date):
                    feuille.write_datetime(i, j, dt.datetime.combine(valeur, dt.time()), date)
                elif isinstance(valeur, bool):
                    feuille.write_string(i, j, "oui" if valeur else "non")
                elif isinstance(valeur, int | float | Decimal):
                    feuille.write_number(i, j, float(valeur))
                elif valeur is None:
                    continue
                else:
                    feuille.write_string(i, j, str(neutraliser(valeur)))
        feuille.set_column(0, max(len(entetes) - 1, 0), 18)
    classeur.close()
    return tampon.getvalue()


def reponse_xlsx(nom: str, feuilles) -> HttpResponse:
    reponse = HttpResponse(
        classeur_xlsx(feuilles),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    reponse["Content-Disposition"] = f'attachment; filename="{nom}.xlsx"'
    return reponse
