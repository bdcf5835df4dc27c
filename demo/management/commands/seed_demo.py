"""Commande seed_demo : crée le jeu de démonstration fictif (voir demo/generateur.py)."""

import argparse
import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from demo import generateur as demo
from logement.models import User


def _date(valeur: str) -> dt.date:
    try:
        return dt.date.fromisoformat(valeur)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"date invalide « {valeur} » (attendu AAAA-MM-JJ)"
        ) from exc


class Command(BaseCommand):
    help = (
        "Crée des données de démonstration entièrement fictives : le « Département de Valmont » "
        "(code 00), trois EPCI, deux plateformes, des structures, un compte par rôle (mot de "
        f"passe commun « {demo.MOT_DE_PASSE} ») et N ménages avec leur parcours, leurs mesures, "
        "propositions, aides et procédures sur les trois dernières années. Le résultat ne dépend "
        "que de --menages, --seed et --today. Si des données de démonstration existent déjà, la "
        "commande refuse de s'exécuter, sauf avec --reset qui les supprime d'abord."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--menages", type=int, default=300, help="nombre de ménages (défaut : 300)"
        )
        parser.add_argument("--seed", type=int, default=42, help="graine du tirage (défaut : 42)")
        parser.add_argument(
            "--today",
            type=_date,
            default=None,
            help="date de référence AAAA-MM-JJ (défaut : aujourd'hui) ; pas dans le futur",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="supprime d'abord les données de démonstration existantes "
            "(Département 00, comptes @demo.invalid)",
        )
        parser.add_argument(
            "--sans-bilans",
            action="store_true",
            help="ne demande pas les bilans de l'année écoulée (rapport Département, bilan EPCI)",
        )

    def handle(self, *args, menages, seed, today, reset, sans_bilans=False, **options):
        if menages < 0:
            raise CommandError("--menages doit être positif ou nul.")
        if isinstance(today, str):  # call_command(today="…") ne passe pas par argparse
            today = _date(today)
        aujourdhui = today or timezone.localdate()
        if aujourdhui > timezone.localdate():
            raise CommandError("--today ne peut pas être dans le futur.")
        verbeux = options["verbosity"] >= 1
        debut = time.monotonic()
        with transaction.atomic():
            if demo.donnees_demo_presentes():
                if not reset:
                    raise CommandError(
                        "Des données de démonstration existent déjà (Département « "
                        f"{demo.DEPARTEMENT[1]} », code {demo.DEPARTEMENT[0]}). Relancez avec "
                        "--reset pour les supprimer avant d'en créer de nouvelles."
                    )
                try:
                    demo.supprimer_donnees_demo()
                    connection.check_constraints()
                except (ProtectedError, IntegrityError) as exc:
                    raise CommandError(
                        "Suppression impossible : des données réelles font référence aux "
                        f"données de démonstration ({exc.args[0]})."
                    ) from exc
                if verbeux:
                    self.stdout.write("Données de démonstration précédentes supprimées.")
            pris = User.objects.filter(username__in=demo.IDENTIFIANTS)
            if pris.exists():
                noms = ", ".join(sorted(pris.values_list("username", flat=True)))
                raise CommandError(
                    f"Identifiants déjà pris par des comptes qui ne sont pas de démonstration : "
                    f"{noms}."
                )
            generateur = demo.Generateur(
                nb_menages=menages,
                graine=seed,
                aujourdhui=aujourdhui,
                journal=self.stdout.write if verbeux else None,
            )
            try:
                generateur.executer()
            except LookupError as exc:
                raise CommandError(str(exc)) from exc
            # Confiés à la file à la validation de la transaction (sur place sans courtier).
            bilans = [] if sans_bilans else demo.demander_bilans_demo(aujourdhui)
        if not verbeux:
            return
        duree = time.monotonic() - debut
        self.stdout.write(self.style.SUCCESS(f"Données de démonstration créées en {duree:.1f} s :"))
        for modele, nombre in generateur.lignes_creees().items():
            nom = (
                "publics prioritaires des ménages"
                if modele is demo.Menage.publics_prioritaires.through
                else modele._meta.verbose_name_plural
            )
            self.stdout.write(f"  {nom} : {nombre}")
        for bilan in bilans:
            bilan.refresh_from_db()
            self.stdout.write(f"  {bilan} : {bilan.get_statut_display().lower()}")
        self.stdout.write(
            f"Comptes de démonstration, mot de passe commun « {demo.MOT_DE_PASSE} » :"
        )
        for identifiant, role, cible, *_ in demo.COMPTES:
            self.stdout.write(f"  {identifiant:<20} {role.label} — {demo.libelle_cible(cible)}")
        self.stdout.write(
            f"  {'ref.<structure>.<n>':<20} autres référents, habilités chacun dans sa structure"
        )
