"""Benchmark du rapport annuel Département (pas un test) : temps total, temps des requêtes
d'indicateurs seules, mémoire de pointe, sur une base PostgreSQL déjà peuplée par seed_demo.

    bash bench/seed_demo.sh 100000 logement_bench_100k
    bash bench/seed_demo.sh 10000 logement_bench_10k
    .venv/bin/python bench/bilan.py logement_bench_10k logement_bench_100k

Chaque base est mesurée dans un sous-processus neuf (mémoire de pointe = ru_maxrss de ce
processus). Les requêtes « nues » sont celles que le calcul a émises, rejouées telles quelles
avec le même curseur : c'est le plancher que la production ne peut pas battre.
Cibles de l'issue : total ≤ 3 × requêtes nues ; mémoire à 100 000 ≤ 1,5 × mémoire à 10 000.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent


def mesurer(base: str) -> dict:
    """Dans le sous-processus : produit le rapport Département de l'année écoulée."""
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{base}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logement.settings")
    sys.path.insert(0, str(RACINE))
    import django

    django.setup()
    import datetime as dt

    # Socle : Django, WeasyPrint et le pilote chargés, avant tout calcul.
    import weasyprint  # noqa: F401
    from django.db import connection
    from django.utils import timezone

    from bilans.calcul import calculer_donnees
    from bilans.models import Bilan
    from bilans.services import produire_bilan
    from logement.models import Territoire
    from menages.models import Menage

    socle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    departement = Territoire.objects.filter(niveau=Territoire.Niveau.DEPARTEMENT).first()
    annee = timezone.localdate().year - 1
    debut, fin = dt.date(annee, 1, 1), dt.date(annee, 12, 31)
    menages = Menage.objects.count()

    # 1. Le calcul seul, en enregistrant ses requêtes.
    requetes: list[tuple[str, tuple]] = []

    def enregistrer(execute, sql, params, many, context):
        requetes.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(enregistrer):
        t0 = time.perf_counter()
        calculer_donnees(departement, Bilan.Audience.DEPARTEMENT, debut, fin)
        calcul = time.perf_counter() - t0

    # 2. Les mêmes requêtes rejouées nues (résultats lus, rien construit autour).
    t0 = time.perf_counter()
    with connection.cursor() as curseur:
        for sql, params in requetes:
            curseur.execute(sql, params)
            if curseur.description:
                curseur.fetchall()
    nues = time.perf_counter() - t0

    # 3. Le bilan complet comme le worker le produit : calcul, PDF, XLSX, CSV, stockage.
    bilan = Bilan.objects.create(
        territoire=departement,
        audience=Bilan.Audience.DEPARTEMENT,
        periodicite=Bilan.Periodicite.ANNUEL,
        date_debut=debut,
        date_fin=fin,
        version=(Bilan.objects.count() + 1),
    )
    t0 = time.perf_counter()
    produire_bilan(bilan.pk)
    total = time.perf_counter() - t0
    bilan.refresh_from_db()
    tailles = {f.format: f.taille for f in bilan.fichiers.all()}
    return {
        "base": base,
        "menages": menages,
        "statut": bilan.statut,
        "erreur": bilan.erreur,
        "requetes": len(requetes),
        "calcul_s": round(calcul, 3),
        "requetes_nues_s": round(nues, 3),
        "total_s": round(total, 3),
        "ratio_total_sur_nues": round(total / nues, 2) if nues else None,
        "memoire_socle_mio": round(socle, 1),
        "memoire_pointe_mio": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "fichiers_octets": tailles,
    }


def main(bases: list[str]) -> int:
    resultats = []
    for base in bases:
        sortie = subprocess.run(
            [sys.executable, __file__, "--mesurer", base],
            check=True,
            capture_output=True,
            text=True,
            cwd=RACINE,
        )
        resultat = json.loads(sortie.stdout.strip().splitlines()[-1])
        resultats.append(resultat)
        print(json.dumps(resultat, ensure_ascii=False))
    if len(resultats) >= 2:
        petit, grand = (
            min(resultats, key=lambda r: r["menages"]),
            max(resultats, key=lambda r: r["menages"]),
        )
        rapport = grand["memoire_pointe_mio"] / petit["memoire_pointe_mio"]
        print(
            f"mémoire {grand['menages']} / {petit['menages']} ménages : {rapport:.2f} "
            f"(cible ≤ 1,5) ; total / requêtes nues à {grand['menages']} : "
            f"{grand['ratio_total_sur_nues']} (cible ≤ 3)"
        )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--mesurer":
        print(json.dumps(mesurer(sys.argv[2]), ensure_ascii=False))
    else:
        sys.exit(main(sys.argv[1:] or ["logement_bench_10k", "logement_bench_100k"]))
