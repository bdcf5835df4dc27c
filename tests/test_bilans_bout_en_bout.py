import datetime as dt, json, subprocess
import pytest
from bilans import services
from bilans.models import Bilan
from .bilans_jeu import jeu_bilans  # noqa
from logement.models import Role
from . import factories as f

D = dt.date

def test_explo(jeu_bilans, taches_eager, django_capture_on_commit_callbacks):
    j = jeu_bilans
    agent = f.utilisateur(Role.AGENT_DEPARTEMENTAL, territoire=j.d, username="agent_e")
    for nom, t, aud, deb, fin in [("etat_d", j.d, "etat", D(2025,1,1), D(2025,12,31)),
                                  ("epci_a", j.a, "epci", D(2025,1,1), D(2025,12,31)),
                                  ("epci_b", j.b, "epci", D(2025,1,1), D(2025,12,31)),
                                  ("dep_d", j.d, "departement", D(2025,1,1), D(2025,12,31)),
                                  ("etat_2026", j.d, "etat", D(2026,1,1), D(2026,12,31)),
                                  ("vide", j.d, "etat", D(2010,1,1), D(2010,12,31))]:
        with django_capture_on_commit_callbacks(execute=True):
            b = services.demander_bilan(par=agent, territoire=t, audience=aud, debut=deb, fin=fin, periodicite="annuel")
        b.refresh_from_db()
        assert b.statut == "pret", b.erreur
        json.dump(b.donnees, open(f"/tmp/explo_e/{nom}.json","w"), ensure_ascii=False, indent=1)
        for fb in b.fichiers.all():
            data = fb.fichier.open("rb").read()
            open(f"/tmp/explo_e/{nom}.{fb.format}","wb").write(data)
