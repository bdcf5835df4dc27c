"""Instantané d'un bilan : les chiffres d'un territoire sur une période, N et N-1, mis en blocs et
tableaux selon le public destinataire, à partir du registre `bilans.indicateurs`.

Le dictionnaire rendu (contrat entre le calcul, le secret statistique et le rendu) ne contient
aucun nom, adresse ni date de naissance de personne : seulement des effectifs et des grandeurs
dérivées, avec des libellés de référentiels, de territoires et de structures.

Blocs et tableaux produits (`code` des blocs → `code` des tableaux) :

Toutes audiences (État : Département, EPCI ou plateforme ; EPCI co-pilote : masqué ensuite) :
- `file_active` → `file_active_par_type`, `file_active_par_situation`, `file_active_par_public`
  (accompagnés, nouveaux, en cours à la fin, sortis ; ménages distincts au total) ;
- `acces_logement` → `acces_logement_par_origine`, `acces_logement_par_destination`,
  `delais_par_type` (délais médians orientation → début et → entrée dans le logement) ;
- `maintien_expulsions` → `maintien_par_type`, `expulsions_par_issue` ;
- `attributions` → `attributions_objectif`, `attributions_par_contingent`,
  `attributions_par_bailleur`, `attributions_par_qpv`, `attributions_par_epci` ;
- `durees_fins` → `durees_par_type`, `motifs_fin`, `fins_par_categorie`.
Département (rapport annuel), en plus :
- `territoires` → `par_territoire` (chaque EPCI puis chaque plateforme du Département) ;
- `structures` → `par_structure` (accompagnés, mesures en cours, référents, charge moyenne) ;
- `conventions` → `conventions` (financées, utilisées, taux d'occupation, coût par ménage).

Synthèse : `SYNTHESE` (et `SYNTHESE_DEPARTEMENT` pour le Département), codes d'indicateurs.
Chaque colonne d'indicateur est suivie de sa colonne N-1. `additif` est calculé : vrai quand,
pour chaque colonne d'effectif, la somme des lignes égale le total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone

from accompagnement.models import Financeur
from logement.models import Territoire

from . import indicateurs as reg
from .indicateurs import DIMENSIONS, INDICATEURS, Cadre
from .models import libelle_periode

SCHEMA = 1

SYNTHESE = (
    "menages_accompagnes",
    "menages_nouveaux",
    "menages_en_cours",
    "menages_sortis",
    "menages_acces_logement",
    "delai_orientation_debut",
    "delai_orientation_entree",
    "mesures_maintien",
    "expulsions_evitees",
    "expulsions_realisees",
    "baux_sans_domicile",
    "objectif_attribution",
    "taux_objectif",
    "duree_moyenne",
    "duree_mediane",
    "mesures_rupture",
)
SYNTHESE_DEPARTEMENT = ("charge_moyenne", "charge_maximale", "taux_occupation")

FILE_ACTIVE = ("menages_accompagnes", "menages_nouveaux", "menages_en_cours", "menages_sortis")

# Indicateurs d'activité : s'ils sont tous nuls en N, la période est « vide ».
ACTIVITE = (
    "menages_accompagnes",
    "menages_acces_logement",
    "mesures_terminees",
    "procedures_closes",
    "baux_sans_domicile",
)

PERIODES = ("N", "N-1")

Progression = Callable[[int, str], None]


def calculer_donnees(
    territoire: Territoire,
    audience: str,
    debut: dt.date,
    fin: dt.date,
    *,
    progression: Progression | None = None,
) -> dict:
    """Instantané JSON du bilan `audience` du territoire sur la période (bornes incluses).

    Pour l'audience « epci », le secret statistique est appliqué avant de rendre.
    """
    from .models import Bilan

    if territoire.niveau not in Bilan.NIVEAUX_PAR_AUDIENCE.get(audience, ()):
        raise ValueError(
            f"Un bilan « {audience} » ne se fait pas pour un territoire de niveau "
            f"« {territoire.niveau} »."
        )
    if fin < debut:
        raise ValueError("La fin de la période précède son début.")
    avancer = progression or (lambda pourcent, etape: None)
    calculs = _Calculs(reg.cadre_pour(territoire, debut, fin))
    avancer(5, "Chiffres clés")

    synthese_codes = SYNTHESE + (
        SYNTHESE_DEPARTEMENT if audience == Bilan.Audience.DEPARTEMENT else ()
    )
    blocs = []
    etapes = [
        ("File active", _bloc_file_active),
        ("Accès au logement", _bloc_acces_logement),
        ("Maintien et expulsions", _bloc_maintien),
        ("Attributions", _bloc_attributions),
        ("Durées et fins de mesure", _bloc_durees),
    ]
    if audience == Bilan.Audience.DEPARTEMENT:
        etapes += [
            ("Territoires", _bloc_territoires),
            ("Structures", _bloc_structures),
            ("Conventions", _bloc_conventions),
        ]
    for i, (etape, fabrique) in enumerate(etapes):
        avancer(10 + 80 * i // len(etapes), etape)
        blocs.append(fabrique(calculs, territoire))

    synthese = [calculs.chiffre(code) for code in synthese_codes]
    totaux_n = calculs.totaux(ACTIVITE)["N"]
    vide = not any(totaux_n.values()) and not calculs.conventions_vues
    codes_utilises = list(synthese_codes) + [
        colonne["indicateur"]
        for bloc in blocs
        for tableau in bloc["tableaux"]
        for colonne in tableau["colonnes"]
    ]
    cadre_n1 = calculs.cadres["N-1"]
    donnees = {
        "schema": SCHEMA,
        # Les noms portent déjà leur nature (« Département de… », « Communauté de communes… »).
        "titre": f"Bilan {libelle_periode(debut, fin)} — {territoire.nom}",
        "audience": audience,
        "audience_libelle": Bilan.Audience(audience).label,
        "territoire": {
            "id": territoire.pk,
            "nom": territoire.nom,
            "code": territoire.code,
            "niveau": territoire.niveau,
            "niveau_libelle": territoire.get_niveau_display(),
        },
        "periode": _periode(debut, fin),
        "periode_precedente": _periode(cadre_n1.debut, cadre_n1.fin),
        "genere_le": timezone.localtime().isoformat(timespec="seconds"),
        "seuil_secret": None,
        "vide": vide,
        "synthese": synthese,
        "blocs": blocs,
        "definitions": reg.definitions(codes_utilises),
    }
    if audience == Bilan.Audience.EPCI:
        from .secret import masquer

        avancer(95, "Secret statistique")
        donnees = masquer(donnees, settings.LOGEMENT["SEUIL_SECRET_STATISTIQUE"])
    avancer(100, "Chiffres calculés")
    return donnees


# --- Périodes -----------------------------------------------------------------------------------


def _periode(debut: dt.date, fin: dt.date) -> dict:
    return {
        "debut": debut.isoformat(),
        "fin": fin.isoformat(),
        "libelle": libelle_periode(debut, fin),
    }


# --- Calculs N et N-1, mis en cache -------------------------------------------------------------


class _Calculs:
    """Valeurs du registre pour N et N-1, calculées à la demande et gardées : un total ou une
    ventilation déjà calculé n'est pas redemandé à la base."""

    def __init__(self, cadre: Cadre):
        self.cadres = {"N": cadre, "N-1": cadre.precedent()}
        self._cache: dict[tuple, Any] = {}
        self.conventions_vues = False
        self.modalites: dict[str, list[tuple]] = {}

    def _valeurs(self, codes: Iterable[str], dimension: str | None) -> dict[str, dict]:
        codes = list(dict.fromkeys(codes))
        resultat = {}
        for periode, cadre in self.cadres.items():
            manquants = [c for c in codes if (periode, dimension, c) not in self._cache]
            if manquants:
                for code, v in reg.calculer(manquants, cadre, dimension).items():
                    self._cache[(periode, dimension, code)] = v
            resultat[periode] = {c: self._cache[(periode, dimension, c)] for c in codes}
        return resultat

    def garder(self, periode: str, code: str, valeur) -> None:
        self._cache[(periode, None, code)] = valeur

    def totaux(self, codes: Iterable[str]) -> dict[str, dict]:
        return self._valeurs(codes, None)

    def par(self, codes: Iterable[str], dimension: str) -> dict[str, dict]:
        return self._valeurs(codes, dimension)

    def chiffre(self, code: str) -> dict:
        """Un chiffre de la synthèse, N et N-1 (avec l'effectif de référence d'un dérivé)."""
        indicateur = INDICATEURS[code]
        codes = [code] + ([indicateur.effectif] if indicateur.effectif else [])
        totaux = self.totaux(codes)
        n, n1 = (_cellule(indicateur, totaux[p][code]) for p in PERIODES)
        effectifs = (
            [totaux[p][indicateur.effectif] for p in PERIODES]
            if indicateur.effectif
            else [None, None]
        )
        return {
            "code": code,
            "libelle": indicateur.libelle,
            "unite": indicateur.unite,
            "n": n,
            "n1": n1,
            "effectif_n": effectifs[0],
            "effectif_n1": effectifs[1],
        }


def _cellule(indicateur: reg.Indicateur, valeur):
    # Un compte sans ligne vaut 0 ; un chiffre propre inconnu (objectif…) reste « sans objet ».
    if valeur is None and indicateur.agregat and not indicateur.derive:
        return 0
    return reg.arrondi(valeur, indicateur.decimales)


# --- Tableaux -----------------------------------------------------------------------------------


def _colonnes(codes: Iterable[str]) -> list[dict]:
    """Une colonne par indicateur et par période (N puis N-1), chaque dérivé pointant vers la
    colonne de son effectif de la même période."""
    colonnes = []
    for code in codes:
        indicateur = INDICATEURS[code]
        for periode in PERIODES:
            colonnes.append(
                {
                    "code": f"{code}_{'n' if periode == 'N' else 'n1'}",
                    "libelle": f"{indicateur.libelle} {periode}",
                    "indicateur": code,
                    "periode": periode,
                    "unite": indicateur.unite,
                    "effectif": None,
                }
            )
    index = {(c["indicateur"], c["periode"]): i for i, c in enumerate(colonnes)}
    for colonne in colonnes:
        effectif = INDICATEURS[colonne["indicateur"]].effectif
        if effectif:
            colonne["effectif"] = index.get((effectif, colonne["periode"]))
    return colonnes


def _additif(colonnes: list[dict], lignes: list[dict], total: dict | None) -> bool:
    if not total or not lignes:
        return False
    for i, colonne in enumerate(colonnes):
        if colonne["unite"] not in reg.UNITES_EFFECTIF:
            continue
        somme = sum(ligne["valeurs"][i] or 0 for ligne in lignes)
        if somme != (total["valeurs"][i] or 0):
            return False
    return True


def _tableau(
    code: str,
    titre: str,
    dimension: str,
    colonnes: list[dict],
    lignes: list[dict],
    total: dict | None,
    *,
    note: str | None = None,
    graphique: list[int] | None = None,
    additif: bool | None = None,
) -> dict:
    return {
        "code": code,
        "titre": titre,
        "dimension": dimension,
        "colonnes": colonnes,
        "lignes": lignes,
        "total": total,
        "additif": _additif(colonnes, lignes, total) if additif is None else additif,
        "graphique": {"type": "barres", "colonnes": graphique} if graphique else None,
        "note": note,
    }


def _modalites(
    calculs: _Calculs, dimension: str, cles: Iterable, imposees: list[tuple] | None = None
) -> list[tuple]:
    """(clé, libellé) des lignes : modalités connues d'avance (ou imposées), puis celles qui ont
    une valeur sans figurer parmi elles, puis « non renseigné »."""
    d = DIMENSIONS[dimension]
    if imposees is not None:
        connues = imposees
    else:
        connues = calculs.modalites.get(dimension)
        if connues is None:
            connues = calculs.modalites[dimension] = d.modalites() if d.modalites else []
    vues = {cle for cle, _ in connues}
    autres = [c for c in cles if c not in vues and c is not None]
    libelles = d.libelles(autres) if (autres and d.libelles) else {}
    suite = sorted(
        ((c, libelles.get(c, str(c))) for c in autres), key=lambda paire: paire[1].lower()
    )
    resultat = list(connues) + suite
    if imposees is None and None in cles:
        resultat.append((None, d.non_renseigne))
    return resultat


def _ventilation(
    calculs: _Calculs,
    code: str,
    titre: str,
    dimension: str,
    codes: tuple[str, ...],
    *,
    note: str | None = None,
    imposees: list[tuple] | None = None,
    sans_zero: bool = False,
) -> dict:
    """Tableau d'indicateurs ventilés par `dimension`, N et N-1, avec la ligne de total."""
    codes = _avec_effectifs(codes)
    par = calculs.par(codes, dimension)
    totaux = calculs.totaux(codes)
    colonnes = _colonnes(codes)
    cles = set()
    for periode in PERIODES:
        for valeurs in par[periode].values():
            cles |= {k for k, v in valeurs.items() if v}
    lignes = []
    for cle, libelle in _modalites(calculs, dimension, cles, imposees):
        valeurs = [
            _cellule(INDICATEURS[c["indicateur"]], par[c["periode"]][c["indicateur"]].get(cle))
            for c in colonnes
        ]
        if sans_zero and cle not in cles:
            continue
        lignes.append({"libelle": libelle, "valeurs": valeurs})
    menages = any(INDICATEURS[c].unite == "menages" for c in codes)
    total = {
        "libelle": "Total (ménages distincts)" if menages else "Total",
        "valeurs": [
            _cellule(INDICATEURS[c["indicateur"]], totaux[c["periode"]][c["indicateur"]])
            for c in colonnes
        ],
    }
    return _tableau(
        code,
        titre,
        DIMENSIONS[dimension].libelle,
        colonnes,
        lignes,
        total,
        note=note,
        graphique=[0, 1],
    )


def _avec_effectifs(codes: Iterable[str]) -> tuple[str, ...]:
    """Ajoute, devant chaque grandeur dérivée, son effectif de référence s'il manque."""
    resultat: list[str] = []
    for code in codes:
        effectif = INDICATEURS[code].effectif
        if effectif and effectif not in codes and effectif not in resultat:
            resultat.append(effectif)
        resultat.append(code)
    return tuple(resultat)


def _bloc(code: str, titre: str, tableaux: list[dict], texte: str = "") -> dict:
    return {"code": code, "titre": titre, "texte": texte, "tableaux": tableaux}


# --- Blocs --------------------------------------------------------------------------------------

NOTE_MENAGES = (
    "Un ménage suivi par plusieurs mesures compte dans chaque ligne où il a une mesure, et une "
    "fois au total."
)


def _bloc_file_active(calculs: _Calculs, territoire) -> dict:
    return _bloc(
        "file_active",
        "File active",
        [
            _ventilation(
                calculs,
                "file_active_par_type",
                "Ménages accompagnés par type de mesure",
                "type",
                FILE_ACTIVE,
                note=NOTE_MENAGES,
            ),
            _ventilation(
                calculs,
                "file_active_par_situation",
                "Ménages accompagnés selon la situation à l'entrée",
                "situation_entree",
                FILE_ACTIVE,
                note="Situation du demandeur principal au début de chaque mesure. " + NOTE_MENAGES,
            ),
            _ventilation(
                calculs,
                "file_active_par_public",
                "Ménages accompagnés par public prioritaire",
                "public",
                ("menages_accompagnes", "menages_nouveaux"),
                note="Un ménage peut relever de plusieurs publics prioritaires, ou d'aucun.",
            ),
        ],
        texte="Ménages ayant eu au moins une mesure d'accompagnement active pendant la période.",
    )


def _bloc_acces_logement(calculs: _Calculs, territoire) -> dict:
    return _bloc(
        "acces_logement",
        "Accès au logement",
        [
            _ventilation(
                calculs,
                "acces_logement_par_origine",
                "Ménages entrés dans un logement pérenne, selon leur situation d'origine",
                "situation_entree",
                ("menages_acces_logement",),
            ),
            _ventilation(
                calculs,
                "acces_logement_par_destination",
                "Ménages entrés dans un logement pérenne, selon le logement obtenu",
                "destination",
                ("menages_acces_logement",),
            ),
            _ventilation(
                calculs,
                "delais_par_type",
                "Délais médians depuis l'orientation (jours)",
                "type",
                ("delai_orientation_debut", "delai_orientation_entree"),
                sans_zero=True,
            ),
        ],
    )


def _bloc_maintien(calculs: _Calculs, territoire) -> dict:
    return _bloc(
        "maintien_expulsions",
        "Maintien dans le logement et prévention des expulsions",
        [
            _ventilation(
                calculs,
                "maintien_par_type",
                "Mesures terminées avec maintien dans le logement",
                "type",
                ("mesures_maintien",),
            ),
            _ventilation(
                calculs,
                "expulsions_par_issue",
                "Procédures d'expulsion closes, par issue",
                "issue",
                ("procedures_closes",),
                note="Évitées : maintien, plan d'apurement respecté, relogement.",
            ),
        ],
    )


def _bloc_attributions(calculs: _Calculs, territoire) -> dict:
    codes = (
        "baux_sans_domicile",
        "objectif_attribution",
        "taux_objectif",
        "attributions_totales",
        "part_attributions",
    )
    totaux = calculs.totaux(codes)
    colonnes = _colonnes(codes)
    ligne = {
        "libelle": territoire.nom,
        "valeurs": [
            _cellule(INDICATEURS[c["indicateur"]], totaux[c["periode"]][c["indicateur"]])
            for c in colonnes
        ],
    }
    epcis = sorted(
        Territoire.objects.filter(pk__in=calculs.cadres["N"].epci_ids).values_list("pk", "nom"),
        key=lambda paire: paire[1].lower(),
    )
    baux = ("baux_sans_domicile",)
    return _bloc(
        "attributions",
        "Attributions à des ménages sans domicile ou hébergés",
        [
            _tableau(
                "attributions_objectif",
                "Attributions et objectif annuel",
                "Territoire",
                colonnes,
                [ligne],
                None,
                graphique=[0, 1],
                additif=False,
            ),
            _ventilation(
                calculs, "attributions_par_contingent", "Par contingent", "contingent", baux
            ),
            _ventilation(
                calculs, "attributions_par_bailleur", "Par type de bailleur", "type_bailleur", baux
            ),
            _ventilation(calculs, "attributions_par_qpv", "En QPV et hors QPV", "qpv", baux),
            _ventilation(
                calculs, "attributions_par_epci", "Par EPCI", "epci", baux, imposees=epcis
            ),
        ],
        texte="Une attribution compte à la signature du bail.",
    )


def _bloc_durees(calculs: _Calculs, territoire) -> dict:
    return _bloc(
        "durees_fins",
        "Durées d'accompagnement et fins de mesure",
        [
            _ventilation(
                calculs,
                "durees_par_type",
                "Durée des mesures terminées (jours)",
                "type",
                ("mesures_terminees", "duree_moyenne", "duree_mediane"),
            ),
            _ventilation(
                calculs,
                "motifs_fin",
                "Mesures terminées par motif",
                "motif",
                ("mesures_terminees",),
            ),
            _ventilation(
                calculs,
                "fins_par_categorie",
                "Mesures terminées par catégorie de fin",
                "categorie_motif",
                ("mesures_terminees",),
                note="Ruptures : non-adhésion, perte de contact, hospitalisation ou incarcération.",
            ),
        ],
    )


def _bloc_territoires(calculs: _Calculs, departement) -> dict:
    """Chaque EPCI puis chaque plateforme du Département ; les plateformes recouvrent les EPCI,
    le tableau n'est donc pas additif."""
    territoires = list(
        Territoire.objects.filter(
            parent=departement,
            niveau__in=[Territoire.Niveau.EPCI, Territoire.Niveau.PLATEFORME],
        )
    )
    territoires.sort(key=lambda t: (t.niveau != Territoire.Niveau.EPCI, t.nom.lower()))
    portees = reg.portees(territoires)
    codes = ("menages_accompagnes", "menages_acces_logement", "baux_sans_domicile")
    par_epci = calculs.par(codes, "epci")
    par_plateforme = calculs.par(codes, "plateforme")
    totaux = calculs.totaux((*codes, "objectif_attribution"))
    objectifs = {
        periode: reg.objectifs_attribution(portees, cadre.fin.year)
        for periode, cadre in calculs.cadres.items()
    }
    colonnes = _colonnes((*codes, "objectif_attribution"))
    lignes = []
    for t in territoires:
        par = par_epci if t.niveau == Territoire.Niveau.EPCI else par_plateforme
        valeurs = []
        for c in colonnes:
            if c["indicateur"] == "objectif_attribution":
                valeurs.append(objectifs[c["periode"]][t.pk].objectif)
            else:
                valeurs.append(par[c["periode"]][c["indicateur"]].get(t.pk) or 0)
        libelle = t.nom if t.niveau == Territoire.Niveau.EPCI else f"{t.nom} (plateforme)"
        lignes.append({"libelle": libelle, "valeurs": valeurs})
    total = {
        "libelle": f"{departement.nom} (ménages distincts)",
        "valeurs": [
            _cellule(INDICATEURS[c["indicateur"]], totaux[c["periode"]][c["indicateur"]])
            for c in colonnes
        ],
    }
    return _bloc(
        "territoires",
        "Par territoire",
        [
            _tableau(
                "par_territoire",
                "Chiffres par EPCI et par plateforme",
                "Territoire",
                colonnes,
                lignes,
                total,
                graphique=[0, 1],
                additif=False,
                note="Une plateforme couvre un ou plusieurs EPCI : ses lignes recoupent celles "
                "des EPCI. Un ménage qui a changé d'EPCI compte dans chacun.",
            )
        ],
    )


def _bloc_structures(calculs: _Calculs, departement) -> dict:
    return _bloc(
        "structures",
        "Par structure",
        [
            _ventilation(
                calculs,
                "par_structure",
                "Accompagnement et charge des référents par structure",
                "structure",
                ("menages_accompagnes", "mesures_en_cours", "referents", "charge_moyenne"),
                note="Charge moyenne : mesures en cours à la fin de la période ÷ référents.",
            )
        ],
    )


def _bloc_conventions(calculs: _Calculs, departement) -> dict:
    codes = (
        "mesures_financees",
        "mesures_utilisees",
        "taux_occupation",
        "menages_convention",
        "cout_par_menage",
    )
    par_periode = {
        periode: reg.conventions_occupation(departement.pk, cadre.fin.year)
        for periode, cadre in calculs.cadres.items()
    }
    calculs.conventions_vues = bool(par_periode["N"][0])
    # Les totaux servent aussi à la synthèse : on les garde comme ceux du registre.
    for periode, (_, total) in par_periode.items():
        for code, valeur in total.items():
            calculs.garder(periode, code, valeur)
    colonnes = _colonnes(codes)
    cles = list(par_periode["N"][0]) + [
        k for k in par_periode["N-1"][0] if k not in par_periode["N"][0]
    ]
    lignes = []
    for cle in cles:
        ligne = par_periode["N"][0].get(cle) or par_periode["N-1"][0][cle]
        valeurs = []
        for c in colonnes:
            convention = par_periode[c["periode"]][0].get(cle)
            indicateur = INDICATEURS[c["indicateur"]]
            valeurs.append(
                _cellule(indicateur, convention[c["indicateur"]])
                if convention
                else (None if indicateur.derive else 0)
            )
        financeur = Financeur(ligne["financeur"]).label
        lignes.append({"libelle": f"{ligne['libelle']} ({financeur})", "valeurs": valeurs})
    total = {
        "libelle": "Ensemble des conventions (ménages distincts)",
        "valeurs": [
            _cellule(INDICATEURS[c["indicateur"]], par_periode[c["periode"]][1][c["indicateur"]])
            for c in colonnes
        ],
    }
    return _bloc(
        "conventions",
        "Conventions de financement",
        [
            _tableau(
                "conventions",
                "Mesures financées et utilisées, occupation et coût par ménage",
                "Convention",
                colonnes,
                lignes,
                total,
                graphique=[0, 2],
                note="Conventions de l'année de la fin de la période, rapprochées de celles de "
                "l'année précédente (même financeur, structure, type de mesure et territoire).",
            )
        ],
    )
