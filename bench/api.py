"""Banc d'essai de l'API REST v1 (pas un test) : pour chaque liste et un détail de chaque
ressource, en agent départemental puis en coordinateur de la démo, le nombre de requêtes SQL
avec `taille=50` et `taille=500` (il doit être le même : borne indépendante de la page) et le
temps médian de quelques appels, sur une base PostgreSQL déjà peuplée par seed_demo.

    bash bench/seed_demo.sh 10000 logement_bench_10k
    bash bench/seed_demo.sh 100000 logement_bench_100k
    psql -h 127.0.0.1 -U postgres -d logement_bench_100k -c ANALYZE  # idem pour 10k
    .venv/bin/python bench/api.py logement_bench_10k logement_bench_100k [--seuil 2] [--appels 5]

Chaque base est mesurée dans un sous-processus neuf. Les appels passent par le client de test
de Django (toute la pile : intergiciels, authentification, sérialisation JSON), avec un jeton
d'API par compte, sans limitation de débit. Tout se fait dans une transaction annulée à la
fin : ni jeton ni trace de consultation ne restent dans la base. Une base que l'autovacuum n'a
pas encore analysée (ou un serveur où il est coupé) donne des plans faux : le banc le signale.

Code de sortie 1 si une liste fait plus de requêtes à 500 qu'à 50, si une page dépasse le
seuil (secondes, temps médian) ou si un appel ne répond pas 200.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

RACINE = Path(__file__).resolve().parent.parent
PREFIXE = "/api/v1/"
TAILLES = (50, 500)
# Listes paginées (préfixe de l'adresse) ; `indicateurs/`, non paginé, est mesuré à part.
LISTES = (
    "menages",
    "personnes",
    "situations",
    "ressources",
    "orientations",
    "mesures",
    "projets",
    "objectifs",
    "actions",
    "rencontres",
    "conventions",
    "logements",
    "propositions",
    "objectifs-attribution",
    "bilans",
)
# Synchronisation incrémentale (Power Query, logiciel de structure) : filtre `modifie_depuis`
# (instant médian du modèle) et tri `-modifie_le`.
VARIANTES = {
    "menages": "menages.Menage",
    "mesures": "accompagnement.Mesure",
}


class _Banc:
    """Les appels d'un compte : un client de test et l'en-tête de son jeton."""

    def __init__(self, client, secret: str, appels: int):
        self.client = client
        self.entetes = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "secure": True}
        self.appels = appels

    def get(self, adresse: str):
        reponse = self.client.get(adresse, **self.entetes)
        reponse.content  # noqa: B018 (corps rendu : la sérialisation est mesurée)
        return reponse

    def compter(self, adresse: str):
        """(réponse, nombre de requêtes SQL, leur durée en ms) d'un appel."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as requetes:
            reponse = self.get(adresse)
        duree = sum(float(r["time"]) for r in requetes.captured_queries)
        return reponse, len(requetes), round(duree * 1000)

    def chronometrer(self, adresse: str) -> int:
        """Temps médian (ms) de `appels` appels."""
        durees = []
        for _ in range(self.appels):
            t0 = time.perf_counter()
            self.get(adresse)
            durees.append(time.perf_counter() - t0)
        return round(statistics.median(durees) * 1000)


def _mesurer_liste(banc: _Banc, nom: str, adresse: str) -> tuple[dict, int | None]:
    """Une ligne du tableau pour une liste paginée, et l'identifiant de son premier résultat."""
    separateur = "&" if "?" in adresse else "?"
    ligne = {"point": nom, "type": "liste", "statuts": []}
    premier = None
    banc.get(f"{adresse}{separateur}taille={TAILLES[0]}")  # chauffe : caches du processus
    for taille in TAILLES:
        page = f"{adresse}{separateur}taille={taille}"
        reponse, requetes, sql_ms = banc.compter(page)
        ligne["statuts"].append(reponse.status_code)
        ligne[f"requetes_{taille}"] = requetes
        ligne[f"sql_ms_{taille}"] = sql_ms
        if reponse.status_code != 200:
            ligne["erreur"] = reponse.content.decode()[:300]
            return ligne, None
        corps = reponse.json()
        ligne["total"] = corps["count"]
        ligne[f"lignes_{taille}"] = len(corps["results"])
        if premier is None and corps["results"]:
            premier = corps["results"][0]["id"]
        ligne[f"ms_{taille}"] = banc.chronometrer(page)
    if ligne["total"] > 1 and ligne[f"lignes_{TAILLES[1]}"] <= TAILLES[0]:
        # Liste courte : les deux pages sont pareilles ; une page d'un seul résultat dit alors
        # si le nombre de requêtes suit le nombre de lignes.
        ligne["requetes_1"] = banc.compter(f"{adresse}{separateur}taille=1")[1]
    return ligne, premier


def _mesurer_un(banc: _Banc, nom: str, type_: str, adresse: str) -> dict:
    """Une ligne du tableau pour une réponse non paginée (détail, indicateurs)."""
    banc.get(adresse)  # chauffe
    reponse, requetes, sql_ms = banc.compter(adresse)
    ligne = {
        "point": nom,
        "type": type_,
        "statuts": [reponse.status_code],
        "requetes": requetes,
        "sql_ms": sql_ms,
    }
    if reponse.status_code != 200:
        ligne["erreur"] = reponse.content.decode()[:300]
        return ligne
    ligne["ms"] = banc.chronometrer(adresse)
    return ligne


def _instant_median(chemin_modele: str) -> str:
    """`modifie_le` du ménage (ou de la mesure) médian : le filtre garde environ la moitié."""
    from django.apps import apps

    modele = apps.get_model(chemin_modele)
    nombre = modele.objects.count()
    if not nombre:
        return dt.datetime(2000, 1, 1, tzinfo=dt.UTC).isoformat()
    dates = modele.objects.order_by("modifie_le").values_list("modifie_le", flat=True)
    return dates[nombre // 2].isoformat()


def _tables_sans_statistiques() -> list[str]:
    """Tables notables jamais analysées : sans statistiques, PostgreSQL choisit ses plans à
    l'aveugle (autovacuum désactivé, base tout juste peuplée) et les temps ne disent rien."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as curseur:
        curseur.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > 1000 "
            "AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname"
        )
        return [nom for (nom,) in curseur.fetchall()]


def _territoire_indicateurs(user):
    """Le territoire le plus large dont le compte lit les bilans (Département, sinon EPCI…)."""
    from api.bilans_indicateurs import territoires_lisibles
    from bilans.models import droits_bilans
    from logement.models import Territoire

    rang = {niveau: i for i, niveau in enumerate(Territoire.Niveau.values)}
    lisibles = territoires_lisibles(droits_bilans(user))
    return min(lisibles, key=lambda t: (rang[t.niveau], t.pk), default=None)


def _comptes():
    """Le premier agent départemental et le premier coordinateur actifs (ceux de la démo)."""
    from logement.models import Habilitation, Role

    comptes = []
    for role in (Role.AGENT_DEPARTEMENTAL, Role.COORDINATEUR):
        habilitation = (
            Habilitation.objects.actives()
            .filter(role=role, user__is_active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if habilitation is None:
            raise SystemExit(f"Aucun compte « {role.label} » actif : peuplez la base (seed_demo).")
        comptes.append((role.label, habilitation.user))
    return comptes


def _mesurer_compte(banc: _Banc, user, filtres: dict[str, str], annee: int) -> list[dict]:
    lignes = []
    for nom in LISTES:
        ligne, premier = _mesurer_liste(banc, f"{nom}/", f"{PREFIXE}{nom}/")
        lignes.append(ligne)
        if premier is not None:
            lignes.append(
                _mesurer_un(banc, f"{nom}/{{id}}/", "détail", f"{PREFIXE}{nom}/{premier}/")
            )
        else:
            lignes.append({"point": f"{nom}/{{id}}/", "type": "détail", "statuts": [], "vide": 1})
        if nom in VARIANTES:
            variantes = (
                (f"{nom}/?modifie_depuis=…", urlencode({"modifie_depuis": filtres[nom]})),
                (f"{nom}/?tri=-modifie_le", "tri=-modifie_le"),
            )
            for libelle, requete in variantes:
                lignes.append(_mesurer_liste(banc, libelle, f"{PREFIXE}{nom}/?{requete}")[0])
    territoire = _territoire_indicateurs(user)
    if territoire is None:
        lignes.append({"point": "indicateurs/", "type": "agrégat", "statuts": [], "vide": 1})
    else:
        requete = urlencode({"territoire": territoire.pk, "annee": annee})
        ligne = _mesurer_un(banc, "indicateurs/", "agrégat", f"{PREFIXE}indicateurs/?{requete}")
        ligne["precision"] = f"{territoire.get_niveau_display()} {territoire.nom}, {annee}"
        lignes.append(ligne)
    return lignes


def mesurer(base: str, appels: int) -> dict:
    """Dans le sous-processus : toutes les mesures d'une base, dans une transaction annulée."""
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{base}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logement.settings")
    os.environ["CELERY_BROKER_URL"] = ""  # un bilan ne part dans aucune file
    for reglage in ("API_DEBIT_JETON", "API_DEBIT_SESSION", "API_DEBIT_ANONYME"):
        os.environ[reglage] = ""  # vide : sans limite
    sys.path.insert(0, str(RACINE))
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from api.models import JetonAPI
    from journal.services import origine
    from menages.models import Menage

    settings.API_DEBIT_JETON = settings.API_DEBIT_SESSION = settings.API_DEBIT_ANONYME = None
    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    annee = timezone.localdate().year - 1
    resultat = {"base": base, "menages": Menage.objects.count(), "annee": annee, "comptes": []}
    filtres = {nom: _instant_median(modele) for nom, modele in VARIANTES.items()}
    resultat["modifie_depuis"] = filtres
    resultat["sans_statistiques"] = _tables_sans_statistiques()
    with origine("banc d'essai de l'API"), transaction.atomic():
        for libelle, user in _comptes():
            jeton, secret = JetonAPI.creer(user=user, nom="Banc d'essai", duree_jours=1)
            # Dernier usage dans le futur : aucune écriture « une fois par minute » ne vient
            # fausser un compte de requêtes.
            JetonAPI.objects.filter(pk=jeton.pk).update(
                dernier_usage=timezone.now() + dt.timedelta(days=1)
            )
            banc = _Banc(Client(), secret, appels)
            resultat["comptes"].append(
                {
                    "compte": f"{libelle} ({user.username})",
                    "lignes": _mesurer_compte(banc, user, filtres, annee),
                }
            )
        transaction.set_rollback(True)
    return resultat


# --- Tableau et verdict (processus principal) --------------------------------------------------


def problemes(resultat: dict, seuil_ms: float) -> tuple[list[str], list[str]]:
    """(problèmes, avertissements) : les premiers font échouer le banc ; les seconds disent
    ce que le banc n'a pas pu éprouver (liste vide, page de 500 pas plus remplie que celle de
    50, base sans statistiques)."""
    trouves, avertissements = [], []
    if resultat["sans_statistiques"]:
        avertissements.append(
            f"{resultat['base']} : tables jamais analysées, plans de PostgreSQL à l'aveugle "
            f"(lancer `psql -d {resultat['base']} -c ANALYZE`) : "
            + ", ".join(resultat["sans_statistiques"])
        )
    for compte in resultat["comptes"]:
        for ligne in compte["lignes"]:
            ou = f"{resultat['base']}, {compte['compte']}, {ligne['point']}"
            if ligne.get("vide"):
                avertissements.append(f"{ou} : aucun résultat, rien à mesurer")
                continue
            if any(statut != 200 for statut in ligne["statuts"]):
                trouves.append(f"{ou} : statut {ligne['statuts']} {ligne.get('erreur', '')}")
                continue
            a, b = ligne.get(f"requetes_{TAILLES[0]}"), ligne.get(f"requetes_{TAILLES[1]}")
            if a is not None and b != a:
                trouves.append(f"{ou} : {b} requêtes à taille={TAILLES[1]}, {a} à {TAILLES[0]}")
            elif ligne.get("requetes_1") not in (None, a):
                trouves.append(
                    f"{ou} : {a} requêtes à taille={TAILLES[0]}, {ligne['requetes_1']} à 1"
                )
            elif (
                a is not None
                and ligne[f"lignes_{TAILLES[1]}"] <= TAILLES[0]
                and "requetes_1" not in ligne
            ):
                avertissements.append(
                    f"{ou} : {ligne['total']} résultat(s), la page de {TAILLES[1]} n'en montre "
                    f"pas plus que celle de {TAILLES[0]} : égalité des requêtes non éprouvée"
                )
            for cle in ("ms", *(f"ms_{t}" for t in TAILLES)):
                if ligne.get(cle) is not None and ligne[cle] > seuil_ms:
                    trouves.append(f"{ou} : {ligne[cle]} ms ({cle}) > {seuil_ms:.0f} ms")
    return trouves, avertissements


def tableau(resultat: dict) -> str:
    """Markdown : un tableau par compte. « SQL » : durée des requêtes de l'appel compté (page
    de 500 pour une liste), le reste du temps médian étant Python (filtres, sérialisation)."""
    petite, grande = TAILLES
    entete = (
        f"| point d'accès | total | req. {petite} | req. {grande} | lignes {grande} "
        f"| ms {petite} | ms {grande} | dont SQL |"
    )
    depuis = ", ".join(f"{nom} {instant}" for nom, instant in resultat["modifie_depuis"].items())
    blocs = [f"`modifie_depuis` (instant médian, garde environ la moitié) : {depuis}"]
    for compte in resultat["comptes"]:
        lignes = [
            f"**{resultat['base']}** ({resultat['menages']} ménages) — {compte['compte']}",
            "",
            entete,
            "|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for ligne in compte["lignes"]:
            point = f"`{ligne['point']}`"
            if ligne.get("precision"):
                point += f" ({ligne['precision']})"
            if "requetes_1" in ligne:
                point += f" (taille=1 : {ligne['requetes_1']} req.)"
            if ligne.get("vide") or any(s != 200 for s in ligne["statuts"]):
                etat = "vide" if ligne.get("vide") else f"statut {ligne['statuts']}"
                lignes.append(f"| {point} | {etat} | | | | | | |")
            elif ligne["type"] == "liste":
                lignes.append(
                    f"| {point} | {ligne['total']} | {ligne[f'requetes_{petite}']} "
                    f"| {ligne[f'requetes_{grande}']} | {ligne[f'lignes_{grande}']} "
                    f"| {ligne[f'ms_{petite}']} | {ligne[f'ms_{grande}']} "
                    f"| {ligne[f'sql_ms_{grande}']} |"
                )
            else:
                lignes.append(
                    f"| {point} | {ligne['type']} | {ligne['requetes']} | — | — "
                    f"| {ligne['ms']} | — | {ligne['sql_ms']} |"
                )
        blocs.append("\n".join(lignes))
    return "\n\n".join(blocs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bases", nargs="*", default=["logement_bench_10k", "logement_bench_100k"])
    parser.add_argument(
        "--seuil", type=float, default=2.0, help="temps médian maximal d'une page (s)"
    )
    parser.add_argument("--appels", type=int, default=5, help="appels chronométrés par mesure")
    parser.add_argument("--json", action="store_true", help="imprimer aussi les mesures brutes")
    args = parser.parse_args()
    tous, avertissements = [], []
    for base in args.bases:
        sortie = subprocess.run(
            [sys.executable, __file__, "--mesurer", base, str(args.appels)],
            capture_output=True,
            text=True,
            cwd=RACINE,
        )
        if sortie.returncode:
            print(f"La mesure de {base} a échoué :\n{sortie.stderr[-3000:]}", file=sys.stderr)
            return 1
        resultat = json.loads(sortie.stdout.strip().splitlines()[-1])
        if args.json:
            print(json.dumps(resultat, ensure_ascii=False))
        print(tableau(resultat), end="\n\n")
        trouves, avertis = problemes(resultat, args.seuil * 1000)
        tous.extend(trouves)
        avertissements.extend(avertis)
    if avertissements:
        print("Avertissements :")
        print("\n".join(f"- {a}" for a in avertissements), end="\n\n")
    if tous:
        print("Problèmes :")
        print("\n".join(f"- {p}" for p in tous))
        return 1
    print(f"Aucun problème : requêtes indépendantes de la taille de page, pages ≤ {args.seuil} s.")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--mesurer":
        print(json.dumps(mesurer(sys.argv[2], int(sys.argv[3])), ensure_ascii=False))
    else:
        sys.exit(main())
