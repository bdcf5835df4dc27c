"""Secret statistique des bilans : masque les petits effectifs et ce qui permettrait de les retrouver."""

from __future__ import annotations

import copy

# Unités dont les valeurs sont des effectifs (comptes d'unités statistiques) : soumises au secret.
UNITES_EFFECTIF = frozenset({"menages", "mesures", "logements", "procedures", "nombre"})
SECRET = "s"


def masquer(donnees: dict, seuil: int) -> dict:
    """Rend une copie de l'instantané où le secret statistique est appliqué.

    - secret primaire : un effectif v avec 0 < v < seuil devient « s » (0 et null restent) ;
    - secret secondaire : dans un tableau additif avec total, aucune cellule masquée ne doit pouvoir
      être retrouvée par différence (total − somme des autres lignes), colonne par colonne ;
    - grandeurs dérivées (taux, médianes, moyennes) : masquées quand leur effectif de référence est
      masqué ou inférieur au seuil.
    L'entrée n'est pas modifiée ; `seuil_secret` est renseigné dans la copie.
    """
    resultat = copy.deepcopy(donnees)
    resultat["seuil_secret"] = seuil
    for chiffre in resultat.get("synthese") or []:
        _masquer_synthese(chiffre, seuil)
    for bloc in resultat.get("blocs") or []:
        for tableau in bloc.get("tableaux") or []:
            _masquer_tableau(tableau, seuil)
    return resultat


def est_masque(valeur) -> bool:
    return valeur == SECRET


def _petit(valeur, seuil: int) -> bool:
    """Vrai pour un effectif publié strictement entre 0 et le seuil."""
    return _est_nombre(valeur) and 0 < valeur < seuil


def _est_nombre(valeur) -> bool:
    return isinstance(valeur, int | float) and not isinstance(valeur, bool)


def _effectif_insuffisant(effectif, seuil: int) -> bool:
    """Un effectif de référence masqué ou inférieur au seuil interdit de publier la valeur dérivée."""
    return est_masque(effectif) or (_est_nombre(effectif) and effectif < seuil)


def _masquer_synthese(chiffre: dict, seuil: int) -> None:
    effectif = chiffre.get("unite") in UNITES_EFFECTIF
    for cle in ("n", "n1"):
        valeur = chiffre.get(cle)
        if valeur is None or est_masque(valeur):
            continue
        if effectif:
            if _petit(valeur, seuil):
                chiffre[cle] = SECRET
        elif _effectif_insuffisant(chiffre.get(f"effectif_{cle}"), seuil):
            chiffre[cle] = SECRET


def _rangees(tableau: dict) -> list[list]:
    """Listes de valeurs des lignes puis, s'il existe, du total (modifiables en place)."""
    rangees = [ligne["valeurs"] for ligne in tableau.get("lignes") or []]
    if tableau.get("total"):
        rangees.append(tableau["total"]["valeurs"])
    return rangees


def _masquer_tableau(tableau: dict, seuil: int) -> None:
    colonnes = tableau.get("colonnes") or []
    colonnes_effectif = [i for i, c in enumerate(colonnes) if c.get("unite") in UNITES_EFFECTIF]

    # 1. Secret primaire, lignes et total.
    for valeurs in _rangees(tableau):
        for i in colonnes_effectif:
            if _petit(valeurs[i], seuil):
                valeurs[i] = SECRET

    # 2. Secret secondaire : seulement là où une équation « somme des lignes = total » existe.
    if tableau.get("additif") and tableau.get("total"):
        lignes = [ligne["valeurs"] for ligne in tableau.get("lignes") or []]
        total = tableau["total"]["valeurs"]
        for i in colonnes_effectif:
            _proteger_colonne(lignes, total, i)

    # 3. Grandeurs dérivées, après le secondaire : un effectif masqué par complément les masque aussi.
    for valeurs in _rangees(tableau):
        for i, colonne in enumerate(colonnes):
            ref = colonne.get("effectif")
            if ref is None or colonne.get("unite") in UNITES_EFFECTIF:
                continue
            if valeurs[i] is not None and _effectif_insuffisant(valeurs[ref], seuil):
                valeurs[i] = SECRET


def _proteger_colonne(lignes: list[list], total: list, i: int) -> None:
    """Une colonne est une équation total = Σ lignes : une inconnue seule s'en déduit, deux non.

    Tant qu'une seule cellule (ligne ou total) est masquée, on masque en complément la plus petite
    cellule de ligne publiée non nulle (perte d'information minimale) ; à défaut, le total. Le total
    n'est masqué qu'en dernier recours car il est souvent repris ailleurs (synthèse, autres tableaux).
    Les cellules nulles (0) ou sans objet (null) ne portent pas d'information à protéger.
    """
    while True:
        masquees = [v for v in lignes if est_masque(v[i])]
        nb_masques = len(masquees) + (1 if est_masque(total[i]) else 0)
        if nb_masques != 1:
            return
        candidates = [v for v in lignes if _est_nombre(v[i]) and v[i] != 0]
        if candidates:
            min(candidates, key=lambda v: v[i])[i] = SECRET
        elif _est_nombre(total[i]) and total[i] != 0:
            total[i] = SECRET
        else:
            # Rien d'autre à masquer (une seule ligne non nulle et total déjà masqué, ou null) :
            # la cellule masquée n'est pas déductible d'une somme publiée.
            return
