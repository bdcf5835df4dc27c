from django.db import migrations

from logement.referentiels import charger, dechargeur

TYPES_MESURE = [
    {"code": "asrl", "libelle": "ASRL – Accompagnement social renforcé au logement",
     "financeur": "etat", "duree_defaut_mois": 12, "duree_max_mois": 24,
     "specifique_logement_dabord": True},
    {"code": "aml", "libelle": "AML – Aide à la médiation locative", "financeur": "departement",
     "duree_defaut_mois": 6, "duree_max_mois": 36, "relevant_fsl": True,
     "cumul_fsl_interdit": True, "specifique_logement_dabord": True},
    {"code": "asll", "libelle": "ASLL – Accompagnement social lié au logement (FSL)",
     "financeur": "departement", "duree_defaut_mois": 6, "duree_max_mois": 18,
     "relevant_fsl": True},
    {"code": "avdl", "libelle": "AVDL – Accompagnement vers et dans le logement",
     "financeur": "etat", "duree_defaut_mois": 6, "duree_max_mois": 24},
    {"code": "avdl_dalo", "libelle": "AVDL DALO", "financeur": "etat", "duree_defaut_mois": 6,
     "duree_max_mois": 24},
    {"code": "masp", "libelle": "MASP – Mesure d'accompagnement social personnalisé",
     "financeur": "departement", "duree_defaut_mois": 12, "duree_max_mois": 48},
]

MOTIFS_FIN = [
    {"code": "acces_logement", "libelle": "Accès au logement", "categorie": "positive",
     "acces_logement": True},
    {"code": "maintien", "libelle": "Maintien dans le logement assuré", "categorie": "positive",
     "maintien": True},
    {"code": "objectifs_atteints", "libelle": "Objectifs atteints", "categorie": "positive"},
    {"code": "relais_droit_commun", "libelle": "Relais vers le droit commun",
     "categorie": "positive"},
    {"code": "demenagement", "libelle": "Déménagement hors du territoire", "categorie": "neutre"},
    {"code": "non_adhesion", "libelle": "Non-adhésion, abandon", "categorie": "rupture"},
    {"code": "perte_contact", "libelle": "Perte de contact", "categorie": "rupture"},
    {"code": "hospitalisation_incarceration", "libelle": "Hospitalisation, incarcération",
     "categorie": "rupture"},
    {"code": "deces", "libelle": "Décès", "categorie": "neutre"},
]

DOMAINES = [
    {"code": "logement", "libelle": "Logement (accès, installation, droits et devoirs, entretien)"},
    {"code": "budget", "libelle": "Budget (dettes, charges, impayés)"},
    {"code": "acces_droits", "libelle": "Accès aux droits (CAF, CPAM, MDPH…)"},
    {"code": "sante", "libelle": "Santé"},
    {"code": "vie_quotidienne", "libelle": "Vie quotidienne"},
    {"code": "insertion", "libelle": "Insertion sociale et professionnelle"},
    {"code": "parentalite", "libelle": "Parentalité"},
    {"code": "mobilite", "libelle": "Mobilité"},
]

ORIGINES = [
    {"code": "siao", "libelle": "SIAO"},
    {"code": "ccapex", "libelle": "CCAPEX"},
    {"code": "ccas", "libelle": "CCAS"},
    {"code": "travailleur_social", "libelle": "Travailleur social (Département, association)"},
    {"code": "bailleur", "libelle": "Bailleur"},
    {"code": "spip", "libelle": "SPIP (sortie de prison)"},
    {"code": "hopital", "libelle": "Établissement de santé"},
    {"code": "ase", "libelle": "Aide sociale à l'enfance"},
    {"code": "autre", "libelle": "Autre"},
]

TABLES = [
    ("accompagnement.TypeMesure", TYPES_MESURE),
    ("accompagnement.MotifFin", MOTIFS_FIN),
    ("accompagnement.DomaineAccompagnement", DOMAINES),
    ("accompagnement.OrigineOrientation", ORIGINES),
]


def charger_tout(apps, schema_editor):
    for modele, lignes in TABLES:
        charger(apps, modele, lignes)


def decharger_tout(apps, schema_editor):
    for modele, lignes in TABLES:
        dechargeur(modele, lignes)(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("accompagnement", "0002_initial")]
    operations = [migrations.RunPython(charger_tout, decharger_tout)]
