from django.db import migrations

from logement.referentiels import charger, dechargeur

CONTINGENTS = [
    {"code": "prefectoral", "libelle": "Contingent préfectoral"},
    {"code": "action_logement", "libelle": "Action Logement"},
    {"code": "collectivites", "libelle": "Collectivités territoriales"},
    {"code": "bailleur", "libelle": "Bailleur (non réservé)"},
]

DECISIONS = [
    {"code": "rang_1", "libelle": "Attribution rang 1", "attribution": True, "rang": 1},
    {"code": "rang_2", "libelle": "Attribution rang 2", "attribution": True, "rang": 2},
    {"code": "rang_3", "libelle": "Attribution rang 3", "attribution": True, "rang": 3},
    {"code": "sous_condition", "libelle": "Attribution sous condition suspensive",
     "attribution": True},
    {"code": "non_attribution", "libelle": "Non-attribution"},
    {"code": "irrecevable", "libelle": "Irrecevabilité"},
]

TABLES = [("attributions.Contingent", CONTINGENTS), ("attributions.DecisionCaleol", DECISIONS)]


def charger_tout(apps, schema_editor):
    for modele, lignes in TABLES:
        charger(apps, modele, lignes)


def decharger_tout(apps, schema_editor):
    for modele, lignes in TABLES:
        dechargeur(modele, lignes)(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("attributions", "0002_initial")]
    operations = [migrations.RunPython(charger_tout, decharger_tout)]
