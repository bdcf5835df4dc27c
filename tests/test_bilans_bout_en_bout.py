"""Bilans de bout en bout sur le jeu construit à la main (tests/bilans_jeu.py) : de vraies
productions par `bilans.services` (tâche exécutée sur place), puis relecture des fichiers
enregistrés — texte du PDF (pdftotext), XLSX (openpyxl), CSV — et contrôle de chiffres calculés
ici, à la main, à partir des dates du jeu (chaque calcul est commenté).

Rappel du jeu (détail dans la docstring de bilans_jeu.py) : Département D = EPCI A + EPCI B.
M1 (A) : ASRL M1a 01/10/2024 → 30/09/2025, renouvelée ; ASLL M1b depuis le 15/06/2025.
M2 : AVDL M2a dans A (01/02 → 31/05/2025), AVDL M2b dans B depuis le 01/06/2025 ; bail signé
le 10/01/2026. M3 (B) : ASRL 2024 seulement. M4 (B) : ASLL 01/11/2024 → 28/02/2025.
M8 (A) : ASRL depuis le 01/11/2025. M6 : autre Département."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from bilans import services
from bilans.models import Bilan, FichierBilan
from logement.models import Role
from menages.models import Menage, Personne

from . import factories as f
from .bilans_jeu import D, construire_jeu, mesure

pytestmark = pytest.mark.django_db

AN_2025 = D(2025, 1, 1), D(2025, 12, 31)
AN_2026 = D(2026, 1, 1), D(2026, 12, 31)
ESPACES = "[ \u202f\u00a0]"  # séparateur des milliers / avant l'unité, selon le rendu

ASRL = "ASRL – Accompagnement social renforcé au logement"
ASLL = "ASLL – Accompagnement social lié au logement (FSL)"
AVDL = "AVDL – Accompagnement vers et dans le logement"
PAR_TYPE = "Ménages accompagnés par type de mesure"
PAR_SITUATION = "Ménages accompagnés selon la situation à l'entrée"
DUREES = "Durée des mesures terminées (jours)"
PAR_TERRITOIRE = "Chiffres par EPCI et par plateforme"
PAR_CONTINGENT = "Par contingent"
CONVENTIONS = "Mesures financées et utilisées, occupation et coût par ménage"
ACCOMPAGNES_N = "Ménages accompagnés N"
ACCOMPAGNES_N1 = "Ménages accompagnés N-1"
NOUVEAUX_N = "Nouveaux ménages N"
NOUVEAUX_N1 = "Nouveaux ménages N-1"
BAUX_N = "Attributions à des ménages sans domicile ou hébergés N"


@pytest.fixture(autouse=True)
def _eager(taches_eager):
    pass


@pytest.fixture
def jeu(db):
    return construire_jeu()


@pytest.fixture
def agent(jeu):
    return f.utilisateur(
        Role.AGENT_DEPARTEMENTAL,
        territoire=jeu.d,
        username="agent-bilans",
        first_name="Sacha",
        last_name="Demandeuse-Bilans",
    )


@pytest.fixture
def produire(agent, django_capture_on_commit_callbacks):
    """produire(territoire, public, (début, fin)) : demande par le service, tâche exécutée sur
    place au commit ; rend le bilan prêt."""

    def _produire(territoire, audience, periode, periodicite=Bilan.Periodicite.ANNUEL):
        with django_capture_on_commit_callbacks(execute=True):
            bilan = services.demander_bilan(
                par=agent,
                territoire=territoire,
                audience=audience,
                debut=periode[0],
                fin=periode[1],
                periodicite=periodicite,
            )
        bilan.refresh_from_db()
        assert bilan.statut == Bilan.Statut.PRET, bilan.erreur
        return bilan

    return _produire


# --- Relecture des fichiers -----------------------------------------------------------------------


class Fichiers:
    """Les trois fichiers d'un bilan, relus depuis le stockage."""

    def __init__(self, bilan: Bilan):
        self.bruts: dict[str, bytes] = {}
        for fichier in bilan.fichiers.all():
            with fichier.fichier.open("rb") as flux:
                self.bruts[fichier.format] = flux.read()
        assert set(self.bruts) == {"pdf", "xlsx", "csv"}
        self.pdf = texte_pdf(self.bruts["pdf"])
        self.classeur = openpyxl.load_workbook(io.BytesIO(self.bruts["xlsx"]))
        assert self.bruts["csv"].startswith(b"\xef\xbb\xbf"), "CSV sans BOM UTF-8"
        self.csv_texte = self.bruts["csv"].decode("utf-8-sig")
        self.csv = list(csv.DictReader(io.StringIO(self.csv_texte), delimiter=";"))

    # PDF ----------------------------------------------------------------------------------------

    def pdf_rangee(self, tableau: str, libelle: str) -> list[str]:
        """Valeurs (texte) de la ligne `libelle` du tableau titré `tableau`, dans l'ordre des
        colonnes. Un libellé trop long passe à la ligne : sa première ligne en est un préfixe."""
        return rangee_pdf(self.pdf, tableau, libelle)

    def pdf_synthese(self, libelle: str) -> list[str]:
        """[N, N-1, évolution] d'un chiffre clé (page de synthèse)."""
        return rangee_pdf(self.pdf, "Chiffre clé", libelle)

    # XLSX ---------------------------------------------------------------------------------------

    def xlsx(self, tableau: str, libelle: str, colonne: str, periode: str):
        """Cellule d'un tableau : on cherche son titre dans les feuilles, puis l'en-tête
        « libellé de colonne \\n période » et la ligne au libellé donné."""
        for feuille in self.classeur.worksheets:
            rangees = list(feuille.iter_rows(values_only=True))
            for i, rangee in enumerate(rangees):
                if rangee[0] != tableau:
                    continue
                entetes = [str(e or "").split("\n") for e in rangees[i + 1]]
                j = next(
                    j
                    for j, e in enumerate(entetes)
                    if e[0] == colonne and len(e) > 1 and e[1].startswith(periode)
                )
                for suite in rangees[i + 2 :]:
                    if suite[0] is None:
                        break
                    if suite[0] == libelle:
                        return suite[j]
                raise AssertionError(f"ligne {libelle!r} absente du tableau {tableau!r}")
        raise AssertionError(f"tableau {tableau!r} absent du classeur")

    def xlsx_synthese(self, libelle: str) -> tuple:
        """(N, N-1, évolution) d'un chiffre clé de la feuille « Synthèse »."""
        for rangee in self.classeur["Synthèse"].iter_rows(values_only=True):
            if rangee[0] == libelle:
                return rangee[1:4]
        raise AssertionError(f"chiffre clé {libelle!r} absent")

    # CSV ----------------------------------------------------------------------------------------

    def csv_valeur(self, tableau: str, libelle: str, colonne: str, periode: str) -> str:
        trouvees = [
            r["valeur"]
            for r in self.csv
            if (r["tableau"], r["ligne"], r["colonne"], r["période"])
            == (tableau, libelle, colonne, periode)
        ]
        assert len(trouvees) == 1, (tableau, libelle, colonne, periode, trouvees)
        return trouvees[0]

    def csv_synthese(self, libelle: str, periode: str) -> str:
        return self.csv_valeur("Chiffres clés", libelle, libelle, periode)

    # Tout le texte, pour chercher ce qui ne doit pas y être ---------------------------------------

    def textes(self) -> dict[str, str]:
        with zipfile.ZipFile(io.BytesIO(self.bruts["xlsx"])) as archive:
            xlsx = "\n".join(archive.read(nom).decode("utf-8") for nom in archive.namelist())
        cellules = "\n".join(
            str(v)
            for feuille in self.classeur.worksheets
            for rangee in feuille.iter_rows(values_only=True)
            for v in rangee
            if v is not None
        )
        return {"pdf": self.pdf, "xlsx": xlsx + "\n" + cellules, "csv": self.csv_texte}


def texte_pdf(contenu: bytes) -> str:
    assert contenu.startswith(b"%PDF-")
    assert shutil.which("pdftotext"), "pdftotext (paquet poppler-utils) est nécessaire"
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=contenu,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode("utf-8")


def rangee_pdf(texte: str, tableau: str, libelle: str) -> list[str]:
    # Le titre du tableau est en début de ligne (la légende du graphique, qui le répète, vient
    # après le tableau) ; la première ligne qui commence par le libellé (ou son début, s'il
    # passe à la ligne) suivi de valeurs est la bonne. Les libellés des graphiques sont seuls
    # sur leur ligne et tronqués par « … » : ils ne ressemblent pas à une rangée.
    debut = re.search(rf"^\s*{re.escape(tableau)}", texte, re.M)
    assert debut, f"tableau {tableau!r} absent du PDF"
    for ligne in texte[debut.end() :].splitlines():
        m = re.match(r"^\s*(\S.*?)\s{2,}(\S.*)$", ligne.replace("\u202f", " "))
        if m and libelle.startswith(m[1]) and len(m[1]) >= min(len(libelle), 6):
            return re.split(r"\s{2,}", m[2].strip())
    raise AssertionError(f"ligne {libelle!r} absente du tableau {tableau!r} dans le PDF")


def donnees_personnelles(jeu) -> list[str]:
    """Noms, prénoms, dates de naissance (trois écritures) et adresses des personnes du jeu,
    noms des utilisateurs (référents, agent qui demande)."""
    interdits = set()
    for personne in Personne.objects.all():
        interdits |= {personne.nom, personne.prenom}
        if personne.date_naissance:
            naissance = personne.date_naissance
            interdits |= {
                naissance.isoformat(),
                naissance.strftime("%d/%m/%Y"),
                naissance.strftime("%d%m%Y"),
            }
    interdits |= {a for a in Menage.objects.values_list("adresse", flat=True) if a}
    for user in (jeu.r1, jeu.r2, jeu.r3):
        interdits |= {user.first_name, user.last_name}
    interdits |= {"Sacha", "Demandeuse-Bilans"}
    # Le jeu contient bien ce qu'on cherche (sinon le test ne prouverait rien).
    assert {"Fictif-Secret", "Dominique", "14/03/1977", "12 rue du Secret"} <= interdits
    return sorted(i for i in interdits if i)


def verifier_sans_donnees_personnelles(jeu, fichiers: Fichiers) -> None:
    interdits = donnees_personnelles(jeu)
    for fmt, texte in fichiers.textes().items():
        presents = [i for i in interdits if i in texte]
        assert not presents, f"{fmt} : données personnelles {presents}"


def normal(texte: str) -> str:
    return texte.replace("\u202f", " ").replace("\u00a0", " ")


# --- Rapport du Département -------------------------------------------------------------------


def test_rapport_du_departement_relu_dans_les_trois_formats(jeu, produire):
    bilan = produire(jeu.d, Bilan.Audience.DEPARTEMENT, AN_2025)
    fichiers = Fichiers(bilan)

    # File active 2025 (A et B) : mesures actives un jour de 2025 = M1a (jusqu'au 30/09),
    # M1b, M2a, M2b, M4a (jusqu'au 28/02), M8a ; M3a s'est terminée le 31/12/2024, M6a est
    # hors Département. Ménages distincts : M1, M2, M4, M8 = 4.
    # 2024 : M1a (depuis le 01/10), M3a, M4a (depuis le 01/11) → M1, M3, M4 = 3.
    # Évolution : (4 − 3) / 3 = +33,3 %.
    assert normal(" | ".join(fichiers.pdf_synthese("Ménages accompagnés"))) == "4 | 3 | +33,3 %"
    n, n1, evolution = fichiers.xlsx_synthese("Ménages accompagnés")
    assert (n, n1) == (4, 3) and evolution == pytest.approx((4 - 3) / 3)
    assert fichiers.csv_synthese("Ménages accompagnés", "année 2025") == "4"
    assert fichiers.csv_synthese("Ménages accompagnés", "année 2024") == "3"

    # Un ménage, deux mesures : M1 a l'ASRL M1a et l'ASLL M1b en 2025. Par type :
    # ASRL = M1, M8 → 2 ; ASLL = M1, M4 → 2 ; AVDL = M2 (M2a et M2b, même type) → 1.
    # Somme des lignes 2 + 2 + 1 = 5, mais le total compte M1 une fois : 4.
    attendu_n = {ASRL: 2, ASLL: 2, AVDL: 1, "Total (ménages distincts)": 4}
    for libelle, valeur in attendu_n.items():
        assert fichiers.pdf_rangee(PAR_TYPE, libelle)[0] == str(valeur), libelle
        assert fichiers.xlsx(PAR_TYPE, libelle, ACCOMPAGNES_N, "année 2025") == valeur
        assert fichiers.csv_valeur(PAR_TYPE, libelle, ACCOMPAGNES_N, "année 2025") == str(valeur)
    assert sum(v for k, v in attendu_n.items() if k.startswith("A")) == 5

    # Mesure à cheval sur 2024-2025 et renouvelée (M1a, 01/10/2024 → 30/09/2025 ; fin prévue
    # 31/03/2025 reportée au 30/09/2025) : elle compte en ASRL les deux années, comme nouvelle
    # seulement en 2024 (le renouvellement ne crée pas de mesure).
    # ASRL 2024 : M1 (M1a), M3 (M3a, 01/03 → 31/12/2024) → 2 accompagnés, 2 nouveaux.
    # ASRL 2025 : M1, M8 → 2 accompagnés ; nouveau : M8 seul (M8a le 01/11/2025) → 1.
    colonnes_asrl = fichiers.pdf_rangee(PAR_TYPE, ASRL)[:4]
    assert colonnes_asrl == ["2", "2", "1", "2"]  # accompagnés N, N-1, nouveaux N, N-1
    assert fichiers.xlsx(PAR_TYPE, ASRL, NOUVEAUX_N, "année 2025") == 1
    assert fichiers.xlsx(PAR_TYPE, ASRL, NOUVEAUX_N1, "année 2024") == 2
    assert fichiers.csv_valeur(PAR_TYPE, ASRL, NOUVEAUX_N, "année 2025") == "1"
    # Sa durée va du début d'origine à la fin réelle, renouvellement compris :
    # du 01/10/2024 au 30/09/2025 = 364 jours (seule ASRL terminée en 2025).
    duree_m1a = (D(2025, 9, 30) - D(2024, 10, 1)).days
    assert duree_m1a == 364
    durees_asrl = fichiers.pdf_rangee(DUREES, ASRL)
    assert durees_asrl[0] == "1" and durees_asrl[2] == str(duree_m1a)  # terminées N, moyenne N
    assert fichiers.xlsx(DUREES, ASRL, "Durée moyenne d'accompagnement N", "année 2025") == 364
    # Durée moyenne de toutes les mesures terminées en 2025 : M1a 364 j, M2a (01/02 → 31/05)
    # 119 j, M4a (01/11/2024 → 28/02/2025) 119 j → 602 / 3 = 200,67 → « 200,7 ».
    durees = [
        duree_m1a,
        (D(2025, 5, 31) - D(2025, 2, 1)).days,
        (D(2025, 2, 28) - D(2024, 11, 1)).days,
    ]
    assert durees == [364, 119, 119]
    moyenne = round(sum(durees) / 3, 1)
    assert moyenne == 200.7
    # 2024 : M3a seule, du 01/03 au 31/12/2024 = 305 jours. Évolution (200,7 − 305) / 305.
    duree_m3a = (D(2024, 12, 31) - D(2024, 3, 1)).days
    assert duree_m3a == 305
    evolution_duree = f"{(moyenne - duree_m3a) / duree_m3a * 100:.1f}".replace(".", ",")
    assert evolution_duree == "-34,2"
    assert normal(" | ".join(fichiers.pdf_synthese("Durée moyenne d'accompagnement"))) == (
        "200,7 jours | 305 jours | −34,2 %"  # virgule décimale, vrai signe moins (U+2212)
    )
    assert fichiers.xlsx_synthese("Durée moyenne d'accompagnement")[:2] == (200.7, 305)
    assert fichiers.csv_synthese("Durée moyenne d'accompagnement", "année 2025") == "200,7"

    # Ménage qui change d'EPCI : M2 compte dans A (M2a) et dans B (M2b), une fois au
    # Département. A : M1, M2, M8 = 3 ; B : M2, M4 = 2 ; P2 (A et B) : M1, M2, M4, M8 = 4
    # (et non 3 + 2 = 5) ; P1 (A seul) = 3 ; total du Département = 4.
    for libelle, valeur in {
        "EPCI A": 3,
        "EPCI B": 2,
        "Plateforme P1 (plateforme)": 3,
        "Plateforme P2 (plateforme)": 4,
        "Département du Jeu (ménages distincts)": 4,
    }.items():
        assert fichiers.pdf_rangee(PAR_TERRITOIRE, libelle)[0] == str(valeur), libelle
        assert fichiers.xlsx(PAR_TERRITOIRE, libelle, ACCOMPAGNES_N, "année 2025") == valeur
    # Au Département, M2 n'est pas sorti (M2b en cours au 31/12) : seul M4 l'est → 1.
    assert fichiers.pdf_synthese("Ménages sortis")[0] == "1"

    # N vs N-1 pour un taux : 1 bail pour un ménage sans domicile en 2025 (M1 ; M7 était chez
    # un tiers, M2 signe en 2026) contre l'objectif A 10 + B 5 = 15 → 1 / 15 = 6,7 % ; en 2024,
    # 0 bail pour l'objectif du Département (12) → 0,0 % ; écart +6,7 points.
    taux = round(100 * 1 / (10 + 5), 1)
    assert taux == 6.7
    assert normal(" | ".join(fichiers.pdf_synthese("Taux d'atteinte de l'objectif"))) == (
        "6,7 % | 0,0 % | +6,7 pt"
    )
    # XLSX : un vrai nombre, stocké en fraction avec un format pourcentage.
    assert fichiers.xlsx_synthese("Taux d'atteinte de l'objectif")[:2] == (
        pytest.approx(0.067),
        0,
    )
    assert fichiers.csv_synthese("Taux d'atteinte de l'objectif", "année 2025") == "6,7"

    # Format français des milliers (conventions) : C1 (ASRL, 50 000 €) finance M1a et M8a →
    # 2 ménages → 25 000 € par ménage ; ensemble 50 000 + 12 000 = 62 000 € pour 2 ménages
    # distincts (M1 est sur C1 et C2, M8 sur C1) → 31 000 €.
    assert 50000 / 2 == 25000 and (50000 + 12000) / 2 == 31000
    assert re.search(rf"^\s*ASRL — CHRS.*\s25{ESPACES}000,00{ESPACES}€", fichiers.pdf, re.M)
    assert re.search(rf"^\s*Ensemble\s.*\s31{ESPACES}000,00{ESPACES}€", fichiers.pdf, re.M)
    assert not re.search(r"25[.,]000|25000", fichiers.pdf)  # ni « 25,000 » ni « 25000 »
    conv_c1 = "ASRL — CHRS du Jeu (État (DIHAL, DDETS))"
    cout = fichiers.xlsx(CONVENTIONS, conv_c1, "Coût par ménage N", "année 2025")
    assert isinstance(cout, float | int) and cout == 25000
    # CSV : pas de séparateur de milliers (le tableur lit un nombre), virgule décimale.
    assert fichiers.csv_valeur(CONVENTIONS, conv_c1, "Coût par ménage N", "année 2025") == "25000"
    # Taux d'occupation de C1 : M1a du 01/01 au 30/09/2025 (273 j) + M8a du 01/11 au 31/12
    # (61 j) = 334 jours-mesure sur 10 × 365 → 9,15 % → « 9,2 % ».
    jours_c1 = (
        (D(2025, 9, 30) - D(2025, 1, 1)).days + 1 + (D(2025, 12, 31) - D(2025, 11, 1)).days + 1
    )
    assert jours_c1 == 334 and round(100 * jours_c1 / 3650, 1) == 9.2
    assert re.search(rf"^\s*ASRL — CHRS.*\s9,2{ESPACES}%", fichiers.pdf, re.M)

    # Annexe des définitions en fin de PDF ; pas de secret dans le rapport du Département.
    annexe = re.search(r"^\s*Annexe : définitions des indicateurs\s*$", fichiers.pdf, re.M)
    assert annexe and annexe.start() > fichiers.pdf.index("8. Conventions de financement\n")
    assert "secret statistique" not in fichiers.pdf
    verifier_sans_donnees_personnelles(jeu, fichiers)


# --- Bilan État : bail signé l'année suivante ----------------------------------------------------


def test_bilan_etat_bail_signe_l_annee_suivante(jeu, produire):
    attributions = "Attributions à des ménages sans domicile ou hébergés"
    bilan_2025 = Fichiers(produire(jeu.d, Bilan.Audience.ETAT, AN_2025))
    bilan_2026 = Fichiers(produire(jeu.d, Bilan.Audience.ETAT, AN_2026))

    # Baux signés en 2025 par des ménages sans domicile ou hébergés, dans A et B : M1 (rue,
    # 10/06/2025) → 1. M7 (chez un tiers) ne compte pas ; le bail de M2 (CHRS), proposé le
    # 15/11/2025, n'est signé que le 10/01/2026 : absent de 2025. 2024 : aucun bail → 0.
    assert bilan_2025.pdf_synthese(attributions)[:2] == ["1", "0"]
    assert bilan_2025.xlsx_synthese(attributions)[:2] == (1, 0)
    assert bilan_2025.csv_synthese(attributions, "année 2025") == "1"
    # Le contingent Action Logement (bail de M2) est vide en 2025…
    assert bilan_2025.pdf_rangee(PAR_CONTINGENT, "Action Logement")[0] == "0"
    assert bilan_2025.csv_valeur(PAR_CONTINGENT, "Action Logement", BAUX_N, "année 2025") == "0"

    # … et le bail compte en 2026, l'année de sa signature : 2026 = M2 → 1 ; N-1 (2025) = M1
    # → 1 ; évolution 0,0 %. Contingent Action Logement : 1 en 2026, 0 en 2025 ; en QPV.
    assert normal(" | ".join(bilan_2026.pdf_synthese(attributions))) == "1 | 1 | 0,0 %"
    assert bilan_2026.xlsx_synthese(attributions)[:2] == (1, 1)
    assert bilan_2026.pdf_rangee(PAR_CONTINGENT, "Action Logement")[:2] == ["1", "0"]
    assert bilan_2026.xlsx(PAR_CONTINGENT, "Action Logement", BAUX_N, "année 2026") == 1
    assert bilan_2026.csv_valeur(PAR_CONTINGENT, "Action Logement", BAUX_N, "année 2026") == "1"
    assert bilan_2026.pdf_rangee("En QPV et hors QPV", "En QPV")[:2] == ["1", "0"]

    # Le bilan État n'a ni structures ni conventions (réservées au rapport du Département).
    assert CONVENTIONS not in bilan_2025.pdf
    for fichiers in (bilan_2025, bilan_2026):
        verifier_sans_donnees_personnelles(jeu, fichiers)


# --- Bilan EPCI : secret statistique -----------------------------------------------------------


def test_bilans_epci_secret_primaire_et_secondaire(jeu, produire, settings):
    # Seuil 2 : un effectif de 1 est masqué ; 2 et plus restent publiés (sauf complément).
    settings.LOGEMENT = {**settings.LOGEMENT, "SEUIL_SECRET_STATISTIQUE": 2}
    a = Fichiers(produire(jeu.a, Bilan.Audience.EPCI, AN_2025))
    b = Fichiers(produire(jeu.b, Bilan.Audience.EPCI, AN_2025))

    # EPCI A, 2025 : M1 (M1a, M1b), M2 (M2a, dans A jusqu'au 31/05), M8 → 3, publié.
    # 2024 : M1 seul (M1a depuis le 01/10/2024) → 1 → « s ».
    assert a.pdf_synthese("Ménages accompagnés")[:2] == ["3", "s"]
    assert a.xlsx_synthese("Ménages accompagnés")[:2] == (3, "s")
    assert a.csv_synthese("Ménages accompagnés", "année 2024") == "s"
    # Sortis de A en 2025 : M2 (M2a terminée le 31/05, M2b est dans B) → 1 → « s ».
    assert a.pdf_synthese("Ménages sortis")[0] == "s"

    # Situation à l'entrée dans A (colonne « accompagnés 2025 ») : rue = M1, M8 → 2 ;
    # hébergement = M2 (CHRS) → 1 ; total 3. Le 1 est masqué (secret primaire) ; comme le
    # total (3) est publié et le tableau additif, rue = 3 − 1 le trahirait : rue est masqué
    # aussi (secret secondaire), bien que 2 ≥ seuil. Le total reste publié.
    attendu = {"Rue, abri de fortune": "s", "Hébergement": "s", "Total (ménages distincts)": "3"}
    for libelle, valeur in attendu.items():
        assert a.pdf_rangee(PAR_SITUATION, libelle)[0] == valeur, libelle
        assert a.csv_valeur(PAR_SITUATION, libelle, ACCOMPAGNES_N, "année 2025") == valeur
        cellule = a.xlsx(PAR_SITUATION, libelle, ACCOMPAGNES_N, "année 2025")
        assert cellule == (3 if valeur == "3" else "s"), libelle  # 3 : vrai nombre
    assert a.pdf_rangee(PAR_SITUATION, "Hôtel")[0] == "0"  # 0 n'est pas un secret
    # La légende du secret, avec le seuil.
    legende = "s : secret statistique (effectif inférieur à 2)"
    assert legende in a.pdf
    assert legende in a.csv_texte

    # EPCI B, 2025 : M2 (M2b depuis le 01/06), M4 (M4a → 28/02) → 2 ; 2024 : M3 (M3a), M4
    # (M4a depuis le 01/11) → 2. Publiés, évolution 0,0 %.
    assert normal(" | ".join(b.pdf_synthese("Ménages accompagnés"))) == "2 | 2 | 0,0 %"
    # Ménage qui change d'EPCI : A (3) + B (2) = 5 > 4 ménages distincts au Département (M2
    # compte dans chaque EPCI où il a été suivi).
    assert 3 + 2 == 5

    # Co-pilote : agrégats seulement, ni structures ni conventions.
    for fichiers in (a, b):
        assert "Par structure" not in fichiers.pdf and CONVENTIONS not in fichiers.pdf
        assert "CHRS du Jeu" not in fichiers.pdf
        verifier_sans_donnees_personnelles(jeu, fichiers)


def test_bilan_epci_au_seuil_par_defaut(jeu, produire, settings):
    # Seuil par défaut (5) : A n'a que 3 ménages accompagnés → masqué partout.
    assert settings.LOGEMENT["SEUIL_SECRET_STATISTIQUE"] == 5
    a = Fichiers(produire(jeu.a, Bilan.Audience.EPCI, AN_2025))
    assert a.pdf_synthese("Ménages accompagnés")[:2] == ["s", "s"]
    assert a.pdf_rangee(PAR_TYPE, "Total (ménages distincts)")[0] == "s"
    assert a.xlsx_synthese("Ménages accompagnés")[0] == "s"
    assert a.csv_synthese("Ménages accompagnés", "année 2025") == "s"
    assert "s : secret statistique (effectif inférieur à 5)" in a.pdf


# --- Période sans donnée -----------------------------------------------------------------------


def test_periode_sans_donnee_le_dit_dans_les_trois_fichiers(jeu, produire):
    bilan = produire(jeu.d, Bilan.Audience.ETAT, (D(2010, 1, 1), D(2010, 12, 31)))
    assert bilan.statut == Bilan.Statut.PRET and bilan.donnees["vide"] is True
    fichiers = Fichiers(bilan)
    synthese = fichiers.pdf.split("\f")[1]
    assert "Aucune donnée pour cette période" in synthese
    assert "du 01/01/2010 au" in synthese
    assert fichiers.pdf_synthese("Ménages accompagnés") == ["0", "0", "—"]
    valeurs = [v for r in fichiers.classeur["Synthèse"].iter_rows(values_only=True) for v in r]
    assert "Aucune donnée pour cette période." in valeurs
    assert any(r["ligne"] == "Aucune donnée pour cette période" for r in fichiers.csv)
    assert fichiers.csv_synthese("Ménages accompagnés", "année 2010") == "0"


# --- Versions : un bilan prêt ne change plus -------------------------------------------------


def empreintes(bilan: Bilan) -> dict[str, str]:
    resultat = {}
    for fichier in bilan.fichiers.all():
        with fichier.fichier.open("rb") as flux:
            resultat[fichier.format] = hashlib.sha256(flux.read()).hexdigest()
    return resultat


def test_deuxieme_demande_cree_la_version_2_sans_toucher_la_1(jeu, produire):
    v1 = produire(jeu.d, Bilan.Audience.DEPARTEMENT, AN_2025)
    avant = empreintes(v1)
    assert avant == {fb.format: fb.empreinte for fb in v1.fichiers.all()}
    donnees_v1 = v1.donnees
    noms_v1 = sorted(v1.fichiers.values_list("fichier", flat=True))

    # Entre les deux demandes, un nouveau ménage suivi en 2025 dans A (M5 reçoit une ASRL).
    mesure(jeu.m5, "asrl", jeu.a, jeu.s1, jeu.r1, D(2025, 3, 1))
    v2 = produire(jeu.d, Bilan.Audience.DEPARTEMENT, AN_2025)

    assert (v1.version, v2.version) == (1, 2) and v1.pk != v2.pk
    # La version 2 voit le nouveau ménage : 4 + M5 = 5 ménages accompagnés en 2025.
    assert Fichiers(v2).pdf_synthese("Ménages accompagnés")[:2] == ["5", "3"]
    # La version 1 n'a pas bougé : mêmes fichiers, mêmes octets, mêmes chiffres (4).
    v1.refresh_from_db()
    assert v1.statut == Bilan.Statut.PRET
    assert sorted(v1.fichiers.values_list("fichier", flat=True)) == noms_v1
    assert empreintes(v1) == avant
    assert {fb.format: fb.empreinte for fb in v1.fichiers.all()} == avant
    assert v1.donnees == donnees_v1
    assert Fichiers(v1).pdf_synthese("Ménages accompagnés")[:2] == ["4", "3"]
    assert FichierBilan.objects.filter(bilan__in=[v1, v2]).count() == 6
    assert set(empreintes(v2).values()).isdisjoint(avant.values())
