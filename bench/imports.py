"""Benchmark des imports (pas un test) : un fichier fictif de 10 000 ménages (une ligne par
ménage, son demandeur) déposé par un agent départemental sur une base PostgreSQL déjà peuplée
par seed_demo ; temps de l'essai à blanc et de l'import confirmé, lignes par seconde,
requêtes, mémoire de pointe.

    bash bench/seed_demo.sh 10000 logement_bench_10k
    .venv/bin/python bench/imports.py logement_bench_10k [--lignes 10000] [--formats xlsx,csv]
                                                         [--garder]

Chaque format est mesuré dans un sous-processus neuf. L'import s'exécute comme dans le worker
(`imports.services.executer` : relecture, nouvel essai à blanc, écriture en une transaction),
sans courtier. Sans --garder, tout est annulé à la fin (la base reste celle de seed_demo) ;
la validation finale n'est alors pas mesurée.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent

NOMS = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefèvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
]
PRENOMS = [
    "Léa",
    "Emma",
    "Chloé",
    "Inès",
    "Jade",
    "Louise",
    "Camille",
    "Zoé",
    "Manon",
    "Lina",
    "Lucas",
    "Hugo",
    "Louis",
    "Nathan",
    "Gabriel",
    "Jules",
    "Arthur",
    "Adam",
    "Raphaël",
    "Noah",
    "Élodie",
    "Sacha",
    "Yanis",
    "Mohamed",
    "Aïcha",
    "Fatou",
    "Ibrahim",
    "Nour",
]


def fichier_menages(genre, *, lignes: int, epcis: list[str], situations: list[str], graine=7):
    """(en-têtes, lignes) : des ménages fictifs, valeurs dans les formats que le genre lit.
    Seules les colonnes connues du genre sont écrites ; une colonne obligatoire sans
    générateur arrête le banc (le genre a changé : adapter GENERATEURS)."""
    from menages.models import Personne

    hasard = random.Random(graine)
    generateurs = {
        "reference": lambda i: f"BANC-{i:06d}",
        "epci": lambda i: epcis[i % len(epcis)],
        "statut": lambda i: "Suivi en cours",
        "role": lambda i: str(Personne.Role.DEMANDEUR.label),
        "nom": lambda i: hasard.choice(NOMS).upper(),
        "prenom": lambda i: hasard.choice(PRENOMS),
        "date_naissance": lambda i: (
            f"{hasard.randint(1, 28):02d}/{hasard.randint(1, 12):02d}/{hasard.randint(1950, 2005)}"
        ),
        "sexe": lambda i: hasard.choice(("Femme", "Homme")),
        "situation": lambda i: hasard.choice(situations) if situations else "",
        "situation_depuis": lambda i: f"01/{hasard.randint(1, 12):02d}/2024",
        "commune": lambda i: "Valmont-sur-Fiction",
        "adresse": lambda i: f"{i % 200 + 1} rue des Essais",
        "telephone": lambda i: "",
        "syplo": lambda i: hasard.choice(("oui", "non")),
    }
    colonnes = [c for c in genre.colonnes if c.cle in generateurs]
    sans = [c.entete for c in genre.colonnes if c.obligatoire and c.cle not in generateurs]
    if sans:
        raise SystemExit(f"Colonnes obligatoires sans générateur : {', '.join(sans)}")
    donnees = [[generateurs[c.cle](i) for c in colonnes] for i in range(1, lignes + 1)]
    return [c.entete for c in colonnes], donnees


def en_octets(entetes, donnees, format_: str) -> bytes:
    if format_ == "xlsx":
        from logement.exports import classeur_xlsx

        return classeur_xlsx([("Ménages", entetes, donnees)])
    import csv
    import io

    tampon = io.StringIO()
    ecrivain = csv.writer(tampon, delimiter=";", lineterminator="\r\n")
    ecrivain.writerow(entetes)
    ecrivain.writerows(donnees)
    return ("\ufeff" + tampon.getvalue()).encode()


class Echec(Exception):
    pass


def _deposer_et_importer(resultat, phase, genre, agent, structure, contenu, garder):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from imports import services
    from imports.genres.base import Action
    from imports.models import Import
    from menages.models import Menage

    format_, lignes = resultat["format"], resultat["lignes"]
    # 1. Dépôt et essai à blanc, comme la vue « deposer ».
    t0 = time.perf_counter()
    octets, tableau = services.lire_depot(SimpleUploadedFile(f"banc.{format_}", contenu))
    lecture_s = time.perf_counter() - t0
    rapprochements = services.rapprochements_pour(genre, structure, tableau)
    imp = services.deposer(
        par=agent,
        genre=genre,
        structure=structure,
        nom=f"banc.{format_}",
        contenu=octets,
        tableau=tableau,
        rapprochements=rapprochements,
    )
    essai_s = time.perf_counter() - t0
    resultat.update(
        lecture_s=round(lecture_s, 2),
        essai_s=round(essai_s, 2),
        essai_lignes_par_s=round(lignes / essai_s),
        prevu={
            "creations": imp.nb_creations,
            "mises_a_jour": imp.nb_mises_a_jour,
            "doublons": imp.nb_doublons,
            "erreurs": imp.nb_erreurs,
        },
    )
    if imp.nb_erreurs:
        premieres = imp.lignes.filter(action=Action.ERREUR)[:3]
        resultat["exemples_d_erreurs"] = [(ligne.numero, ligne.erreurs) for ligne in premieres]
        raise Echec
    # Homonymes nés le même jour qu'un ménage de la démo : créés quand même.
    services.trancher(imp, par=agent, decisions={}, pour_tous=Action.CREER)
    # L'envoi à la file attend la validation (on_commit) : le banc exécute l'import lui-même.
    services.confirmer(imp, par=agent)
    imp.refresh_from_db()

    # 2. L'import confirmé, comme le worker.
    phase["nom"] = "import"
    t0 = time.perf_counter()
    imp = services.executer(imp.pk, tache_id=imp.tache_id)
    import_s = time.perf_counter() - t0
    if imp.statut != Import.Statut.TERMINE:
        resultat["erreur"] = imp.erreur
        raise Echec
    resultat.update(
        import_s=round(import_s, 2),
        import_lignes_par_s=round(lignes / import_s),
        crees=imp.crees,
        menages_crees=Menage.objects.count() - resultat.pop("menages_avant"),
    )
    if not garder:
        transaction.set_rollback(True)


def mesurer(base: str, format_: str, lignes: int, garder: bool) -> dict:
    """Dans le sous-processus : dépôt (essai à blanc), puis import confirmé."""
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{base}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logement.settings")
    os.environ["CELERY_BROKER_URL"] = ""  # aucune file : l'import est exécuté ici
    os.environ.setdefault("IMPORT_LIGNES_MAX", str(max(lignes, 20000)))
    # Fichiers déposés dans un dossier jetable, pas dans PRIVATE_MEDIA_ROOT.
    os.environ["PRIVATE_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="banc-imports-")
    sys.path.insert(0, str(RACINE))
    import django

    django.setup()
    from django.db import connection, transaction

    from imports import services
    from imports.models import droits_imports
    from journal.services import origine
    from logement.models import Habilitation, Role, Territoire
    from menages.models import Menage, TypeSituation

    genre = services.genre_ou_none("menages")
    if genre is None:
        raise SystemExit("Le genre « menages » n'est pas dans imports.genres.GENRES.")
    habilitation = (
        Habilitation.objects.actives()
        .filter(role=Role.AGENT_DEPARTEMENTAL, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if habilitation is None:
        raise SystemExit("Aucun agent départemental actif : peuplez la base avec seed_demo.")
    agent = habilitation.user
    structure = droits_imports(agent).structures().first()
    epcis = list(
        Territoire.objects.filter(id__in=agent.perimetre.epci_ids)
        .order_by("nom")
        .values_list("nom", flat=True)
    )
    situations = list(
        TypeSituation.objects.filter(actif=True).values_list("libelle", flat=True)[:8]
    )
    entetes, donnees = fichier_menages(genre, lignes=lignes, epcis=epcis, situations=situations)
    contenu = en_octets(entetes, donnees, format_)
    socle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    requetes = {"essai": 0, "import": 0}
    phase = {"nom": "essai"}

    def compter(execute, sql, params, many, context):
        requetes[phase["nom"]] += 1
        return execute(sql, params, many, context)

    resultat = {"base": base, "format": format_, "lignes": lignes, "octets": len(contenu)}
    resultat["menages_avant"] = Menage.objects.count()
    with connection.execute_wrapper(compter), origine("banc d'essai des imports"):
        try:
            with transaction.atomic():
                _deposer_et_importer(resultat, phase, genre, agent, structure, contenu, garder)
        except Echec:
            pass  # annulé ; le résultat dit pourquoi
    resultat.update(
        requetes_essai=requetes["essai"],
        requetes_import=requetes["import"],
        memoire_socle_mio=round(socle, 1),
        memoire_pointe_mio=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        annule=not garder,
    )
    return resultat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", default="logement_bench_10k")
    parser.add_argument("--lignes", type=int, default=10_000)
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--garder", action="store_true", help="valider l'import (sinon annulé)")
    args = parser.parse_args()
    for format_ in args.formats.split(","):
        commande = [sys.executable, __file__, "--mesurer", args.base, format_, str(args.lignes)]
        if args.garder:
            commande.append("--garder")
        sortie = subprocess.run(commande, check=True, capture_output=True, text=True, cwd=RACINE)
        resultat = json.loads(sortie.stdout.strip().splitlines()[-1])
        print(json.dumps(resultat, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--mesurer":
        _, _, base, format_, lignes, *reste = sys.argv
        print(
            json.dumps(mesurer(base, format_, int(lignes), "--garder" in reste), ensure_ascii=False)
        )
    else:
        sys.exit(main())
