"""Rapport par ligne d'un import, à télécharger en CSV ou XLSX (formules neutralisées par
logement.exports) : ce que l'essai à blanc a prévu ou ce que l'import a fait, ligne à ligne."""

from __future__ import annotations

from django.utils import timezone

from logement.exports import reponse_csv, reponse_xlsx

from .correspondance import lettre_de_colonne
from .services import genre_ou_none, texte_erreur

ENTETES = ["Ligne", "Action", "Libellé", "Existant retrouvé", "Erreurs"]
FORMATS = ("csv", "xlsx")


def erreurs_de(ligne) -> list[str]:
    return [
        texte_erreur(ligne.numero, e.get("colonne", ""), e.get("valeur", ""), e.get("message", ""))
        for e in ligne.erreurs or []
    ]


def lignes(imp):
    for ligne in imp.lignes.order_by("numero").iterator(chunk_size=2000):
        yield [
            ligne.numero,
            ligne.action_retenue_libelle,
            ligne.libelle,
            ligne.doublon,
            " ; ".join(erreurs_de(ligne)),
        ]


def synthese(imp) -> list[list]:
    """Feuille « Import » du classeur : de quoi relire le rapport sans la plateforme."""
    resultat = [
        ["Import n°", imp.pk],
        ["Fichier", imp.nom_fichier],
        ["Genre", imp.genre_libelle],
        ["Structure", str(imp.structure)],
        ["Déposé par", str(imp.depose_par or "")],
        ["Déposé le", timezone.localtime(imp.cree_le).strftime("%d/%m/%Y %H:%M")],
        ["État", imp.get_statut_display()],
        ["Lignes", imp.nb_lignes],
        ["Créations prévues", imp.nb_creations],
        ["Mises à jour prévues", imp.nb_mises_a_jour],
        ["Lignes ignorées", imp.nb_ignorees],
        ["Doublons", imp.nb_doublons],
        ["Lignes en erreur", imp.nb_erreurs],
    ]
    if imp.confirme_le:
        resultat += [
            ["Confirmé par", str(imp.confirme_par or "")],
            ["Confirmé le", timezone.localtime(imp.confirme_le).strftime("%d/%m/%Y %H:%M")],
        ]
    if imp.statut == imp.Statut.TERMINE:
        resultat += [["Créés", imp.crees], ["Mis à jour", imp.mis_a_jour], ["Ignorés", imp.ignores]]
    if imp.erreur:
        resultat.append(["Motif de l'échec", imp.erreur])
    genre = genre_ou_none(imp.genre)
    entetes = {c.cle: c.entete for c in genre.colonnes} if genre else {}
    for r in imp.correspondance:
        cible = entetes.get(r.get("colonne"), r.get("colonne")) or "ignorée"
        resultat.append(
            [f"Colonne {lettre_de_colonne(int(r['index']))}", f"{r.get('entete', '')} → {cible}"]
        )
    return resultat


def nom_rapport(imp) -> str:
    return f"rapport-import-{imp.pk}-{imp.genre}"


def reponse(imp, format_: str):
    if format_ == "xlsx":
        return reponse_xlsx(
            nom_rapport(imp),
            [
                ("Rapport par ligne", ENTETES, lignes(imp)),
                ("Import", ["Rubrique", "Valeur"], synthese(imp)),
            ],
        )
    return reponse_csv(nom_rapport(imp), ENTETES, lignes(imp))
