"""Chargé par le worker des tests de bilans (`celery worker --include tests.bilans_worker_lent`) :
ralentit le calcul d'un bilan et signale le processus qui le fait, pour qu'un test puisse tuer
ce processus en plein travail. Le code de production n'en sait rien."""

import os
import time
from pathlib import Path

from bilans import calcul

_calculer = calcul.calculer_donnees


def calculer_lentement(territoire, audience, debut, fin, *, progression=None):
    dossier = os.environ.get("BILANS_TEST_SIGNAUX")
    if dossier:
        # Un fichier par essai, nommé par le pid du processus qui travaille.
        Path(dossier, f"{os.getpid()}-{time.monotonic_ns()}").write_text(str(os.getpid()))
    if progression:
        progression(10, "Calcul ralenti pour le test")
    time.sleep(float(os.environ.get("BILANS_TEST_LENTEUR", "0")))
    return _calculer(territoire, audience, debut, fin, progression=progression)


calcul.calculer_donnees = calculer_lentement
