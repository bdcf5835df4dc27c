"""Correspondance des colonnes : chaque en-tête du fichier rapproché d'une `Colonne` du genre
(en-tête, synonymes, ou choix mémorisé pour la structure), puis découpage des lignes en
`{clé de colonne: texte}` pour le genre."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from logement.text import normaliser

IGNOREE = ""  # valeur de `colonne` pour un en-tête du fichier qu'on n'importe pas


class Origine:
    MEMORISEE = "memorisee"  # choix fait pour un fichier précédent de la même structure
    RECONNUE = "reconnue"  # en-tête ou synonyme du genre
    CHOISIE = "choisie"  # choix de l'utilisateur pour ce fichier
    AUCUNE = ""


def cle_entete(texte: str) -> str:
    """« Date de naissance (jj/mm/aaaa) » et « DATE_DE_NAISSANCE » → « datedenaissancejjmmaaaa »
    et « datedenaissance » : sans accents, casse, espaces ni ponctuation."""
    return "".join(c for c in normaliser(texte or "") if c.isalnum())[:200]


@dataclass
class Rapprochement:
    index: int  # position de la colonne dans le fichier (0 = A)
    entete: str  # tel qu'écrit dans le fichier (deux lignes : « Demandeur / Nom »)
    cle_fichier: str  # clé de mémorisation (cle_entete de l'en-tête)
    colonne: str = IGNOREE  # clé de la Colonne du genre, vide si ignorée
    origine: str = Origine.AUCUNE

    def en_json(self) -> dict:
        return asdict(self)

    @classmethod
    def depuis_json(cls, donnees: dict) -> Rapprochement:
        return cls(
            index=int(donnees["index"]),
            entete=donnees.get("entete", ""),
            cle_fichier=donnees.get("cle_fichier", ""),
            colonne=donnees.get("colonne", IGNOREE),
            origine=donnees.get("origine", Origine.AUCUNE),
        )


def lettre_de_colonne(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA : la colonne telle que le tableur l'affiche."""
    lettres = ""
    index += 1
    while index:
        index, reste = divmod(index - 1, 26)
        lettres = chr(65 + reste) + lettres
    return lettres


def index_du_genre(genre) -> dict[str, str]:
    """{clé d'en-tête: clé de colonne} : en-tête français, synonymes et clé technique (un fichier
    exporté par un autre outil garde parfois les noms techniques)."""
    index = {}
    for colonne in genre.colonnes:
        for libelle in (colonne.entete, *colonne.synonymes, colonne.cle):
            index.setdefault(cle_entete(libelle), colonne.cle)
    return index


def rapprocher(tableau, genre, memorisees: dict[str, str] | None = None) -> list[Rapprochement]:
    """Un rapprochement par colonne du fichier ; une colonne du genre n'est prise qu'une fois
    (la première colonne du fichier qui y répond)."""
    memorisees = memorisees or {}
    cles = {c.cle for c in genre.colonnes}
    index = index_du_genre(genre)
    prises: set[str] = set()
    resultat = []
    for i, entete in enumerate(tableau.entetes):
        candidats = tableau.candidats[i] if i < len(tableau.candidats) else [entete]
        cle_fichier = cle_entete(entete)
        rapprochement = Rapprochement(index=i, entete=entete, cle_fichier=cle_fichier)
        if not cle_fichier:
            resultat.append(rapprochement)
            continue
        if cle_fichier in memorisees and memorisees[cle_fichier] in (cles | {IGNOREE}):
            choix = memorisees[cle_fichier]
            if choix not in prises:
                rapprochement.colonne, rapprochement.origine = choix, Origine.MEMORISEE
        else:
            for candidat in candidats:
                trouvee = index.get(cle_entete(candidat))
                if trouvee and trouvee not in prises:
                    rapprochement.colonne, rapprochement.origine = trouvee, Origine.RECONNUE
                    break
        if rapprochement.colonne:
            prises.add(rapprochement.colonne)
        resultat.append(rapprochement)
    return resultat


def colonnes_manquantes(genre, rapprochements) -> list:
    """Les colonnes obligatoires du genre qu'aucun en-tête du fichier ne fournit."""
    fournies = {r.colonne for r in rapprochements if r.colonne}
    return [c for c in genre.colonnes if c.obligatoire and c.cle not in fournies]


def message_manquantes(manquantes) -> str:
    if len(manquantes) == 1:
        return f"Colonne obligatoire absente : « {manquantes[0].entete} »."
    noms = ", ".join(f"« {c.entete} »" for c in manquantes)
    return f"Colonnes obligatoires absentes : {noms}."


def colonnes_ignorees(rapprochements) -> list[str]:
    """En-têtes du fichier qui ne seront pas importés (avec la lettre de leur colonne)."""
    return [
        f"{r.entete or '(sans en-tête)'} (colonne {lettre_de_colonne(r.index)})"
        for r in rapprochements
        if not r.colonne
    ]


def extraire(tableau, rapprochements) -> list[tuple[int, dict[str, str]]]:
    """Les lignes telles que le genre les reçoit : (numéro, {clé de colonne: texte})."""
    retenues = [(r.index, r.colonne) for r in rapprochements if r.colonne]
    return [
        (numero, {cle: valeurs[i] if i < len(valeurs) else "" for i, cle in retenues})
        for numero, valeurs in tableau.lignes
    ]
