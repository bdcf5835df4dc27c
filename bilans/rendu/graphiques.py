"""Graphiques SVG des bilans, écrits en Python (pas de JavaScript) pour être inclus tels quels au PDF."""

from __future__ import annotations

from xml.sax.saxutils import escape

from bilans.rendu import est_nombre, libelle_periode, valeur_fr

# Couleurs du système de design de l'État : bleu France puis un bleu clair pour la période N-1.
COULEURS = ("#000091", "#8585F6", "#CE614A", "#3A3A3A")

LARGEUR = 640
MARGE_LIBELLES = 190
MARGE_VALEURS = 70
HAUTEUR_BARRE = 11
ECART_GROUPES = 10
LIGNE_LEGENDE = 14
# Au-delà, le graphique ne montre que les plus fortes valeurs : illisible sinon, et chaque texte SVG
# coûte à WeasyPrint (≈ 7 ms et 200 octets) ; le tableau au-dessus garde toutes les lignes.
MAX_LIGNES = 15


def _tronquer(texte: str, longueur: int = 32) -> str:
    return texte if len(texte) <= longueur else texte[: longueur - 1] + "…"


def lignes_representees(tableau: dict) -> list[dict]:
    """Lignes du tableau dans le graphique : toutes, ou les MAX_LIGNES plus fortes sur la 1re série."""
    lignes = tableau.get("lignes") or []
    if len(lignes) <= MAX_LIGNES:
        return lignes
    indices = (tableau.get("graphique") or {}).get("colonnes") or [0]

    def poids(ligne):
        valeur = ligne["valeurs"][indices[0]]
        return valeur if est_nombre(valeur) else 0

    gardees = {id(ligne) for ligne in sorted(lignes, key=poids, reverse=True)[:MAX_LIGNES]}
    return [ligne for ligne in lignes if id(ligne) in gardees]


def barres(donnees: dict, tableau: dict) -> str | None:
    """Barres horizontales groupées (une barre par colonne retenue, par ligne du tableau).

    Les cellules « s » ou sans donnée n'ont pas de barre ; leur texte (« s », « — ») est écrit.
    Rend None s'il n'y a rien à dessiner.
    """
    graphique = tableau.get("graphique") or {}
    indices = [i for i in graphique.get("colonnes") or [] if i < len(tableau["colonnes"])]
    lignes = lignes_representees(tableau)
    if not indices or not lignes:
        return None
    colonnes = [tableau["colonnes"][i] for i in indices]
    maximum = max(
        (
            ligne["valeurs"][i]
            for ligne in lignes
            for i in indices
            if est_nombre(ligne["valeurs"][i])
        ),
        default=0,
    )
    echelle = (LARGEUR - MARGE_LIBELLES - MARGE_VALEURS) / maximum if maximum > 0 else 0
    hauteur_groupe = HAUTEUR_BARRE * len(indices) + ECART_GROUPES
    # Légende : une série par ligne, pour que les libellés longs ne sortent pas du cadre.
    haut_legende = LIGNE_LEGENDE * len(indices) + 8
    hauteur = haut_legende + hauteur_groupe * len(lignes) + 4

    parties = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphique" width="100%" '
        f'viewBox="0 0 {LARGEUR} {hauteur}" role="img" '
        f'aria-label="{escape(tableau.get("titre") or "", {chr(34): "&quot;"})}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="9">'
    ]
    for k, colonne in enumerate(colonnes):
        couleur = COULEURS[k % len(COULEURS)]
        texte = f"{colonne['libelle']} — {libelle_periode(donnees, colonne.get('periode', 'N'))}"
        haut = 4 + k * LIGNE_LEGENDE
        parties.append(
            f'<rect x="{MARGE_LIBELLES}" y="{haut}" width="10" height="10" fill="{couleur}"/>'
        )
        parties.append(
            f'<text x="{MARGE_LIBELLES + 14}" y="{haut + 9}">{escape(_tronquer(texte, 80))}</text>'
        )

    y = haut_legende
    for ligne in lignes:
        milieu = y + HAUTEUR_BARRE * len(indices) / 2 + 3
        parties.append(
            f'<text x="{MARGE_LIBELLES - 6}" y="{milieu:.1f}" text-anchor="end">'
            f"{escape(_tronquer(str(ligne['libelle'])))}</text>"
        )
        for k, (i, colonne) in enumerate(zip(indices, colonnes, strict=True)):
            valeur = ligne["valeurs"][i]
            haut = y + k * HAUTEUR_BARRE
            largeur = valeur * echelle if est_nombre(valeur) and valeur > 0 else 0
            if largeur:
                parties.append(
                    f'<rect x="{MARGE_LIBELLES}" y="{haut}" width="{largeur:.1f}" '
                    f'height="{HAUTEUR_BARRE - 2}" fill="{COULEURS[k % len(COULEURS)]}"/>'
                )
            parties.append(
                f'<text x="{MARGE_LIBELLES + largeur + 4:.1f}" y="{haut + HAUTEUR_BARRE - 3}" '
                f'fill="#3A3A3A">{escape(valeur_fr(valeur, colonne["unite"]))}</text>'
            )
        y += hauteur_groupe
    parties.append(
        f'<line x1="{MARGE_LIBELLES}" y1="{haut_legende - 3}" x2="{MARGE_LIBELLES}" '
        f'y2="{hauteur - 4}" stroke="#666" stroke-width="0.5"/>'
    )
    parties.append("</svg>")
    return "".join(parties)
