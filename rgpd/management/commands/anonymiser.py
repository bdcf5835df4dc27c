"""Anonymise les ménages dont la durée de conservation est dépassée ; --essai liste sans écrire."""

from django.conf import settings
from django.core.management.base import BaseCommand

from rgpd import services


class Command(BaseCommand):
    help = (
        "Anonymise irréversiblement les ménages sans contact depuis plus de "
        "LOGEMENT['CONSERVATION_JOURS'] jours (ni mesure ouverte, ni procédure en cours). "
        "Avec --essai, liste ce qui serait anonymisé sans rien écrire."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--essai", action="store_true", help="essai à blanc : liste, n'écrit rien"
        )

    def handle(self, *args, essai=False, **options):
        lignes = services.anonymiser_menages_expires(essai=essai)
        for ligne in lignes:
            self.stdout.write(
                f"{ligne.reference}\t{ligne.territoire}\t{ligne.dernier_contact:%d/%m/%Y}\t"
                f"{ligne.motif}"
            )
        jours = settings.LOGEMENT["CONSERVATION_JOURS"]
        if essai:
            bilan = f"Essai à blanc : {len(lignes)} ménage(s) seraient anonymisés ({jours} jours)."
        else:
            bilan = f"{len(lignes)} ménage(s) anonymisé(s) ({jours} jours)."
        self.stdout.write(self.style.SUCCESS(bilan))
