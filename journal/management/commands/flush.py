"""`flush` vide toute la base, journal compris : c'est l'opération qui détruit tout, pas une
retouche du journal. On lève le drapeau d'autorisation le temps du vidage (sinon les
déclencheurs le refuseraient, et les tests transactionnels ne pourraient pas finir)."""

from django.core.management.commands import flush
from django.db import connections, transaction


class Command(flush.Command):
    def handle(self, **options):
        base = options["database"]
        with transaction.atomic(using=base), connections[base].cursor() as curseur:
            curseur.execute("UPDATE journal_autorisation SET purge = %s WHERE id = 1", [True])
            super().handle(**options)
            curseur.execute("UPDATE journal_autorisation SET purge = %s WHERE id = 1", [False])
