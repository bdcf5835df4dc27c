"""Les autres candidats d'un logement déjà attribué (bail signé) sortent de la course."""

from django.db import migrations
from django.db.models import OuterRef, Q, Subquery

MOTIF = "Logement attribué à un autre candidat."


def classer(apps, schema_editor):
    Proposition = apps.get_model("attributions", "Proposition")
    bail = Proposition.objects.filter(
        logement=OuterRef("logement"), date_signature_bail__isnull=False
    ).order_by("date_signature_bail")
    en_attente = (
        Proposition.objects.filter(date_signature_bail__isnull=True, date_classement__isnull=True)
        .exclude(reponse="refus")
        .filter(Q(decision__isnull=True) | Q(decision__attribution=True))
        .annotate(date_bail=Subquery(bail.values("date_signature_bail")[:1]))
        .filter(date_bail__isnull=False)
    )
    a_classer = list(en_attente)
    for proposition in a_classer:
        proposition.date_classement = max(proposition.date_bail, proposition.date_proposition)
        proposition.motif_classement = MOTIF
    Proposition.objects.bulk_update(a_classer, ["date_classement", "motif_classement"], 500)


class Migration(migrations.Migration):
    dependencies = [("attributions", "0004_classement_sans_suite")]
    operations = [migrations.RunPython(classer, migrations.RunPython.noop)]
