from django.db import migrations

from logement.referentiels import charger, dechargeur

SITUATIONS = [
    {"code": "rue", "libelle": "Rue", "categorie": "rue", "sans_domicile": True},
    {"code": "abri_fortune", "libelle": "Abri de fortune (squat, campement, véhicule)",
     "categorie": "rue", "sans_domicile": True},
    {"code": "hebergement_urgence", "libelle": "Hébergement d'urgence", "categorie": "hebergement",
     "sans_domicile": True},
    {"code": "chrs", "libelle": "CHRS (hébergement d'insertion)", "categorie": "hebergement",
     "sans_domicile": True},
    {"code": "hebergement_asile", "libelle": "Hébergement pour demandeurs d'asile (CADA, HUDA)",
     "categorie": "hebergement", "sans_domicile": True},
    {"code": "hotel", "libelle": "Hôtel (nuitées hôtelières)", "categorie": "hotel",
     "sans_domicile": True},
    {"code": "tiers", "libelle": "Hébergé chez un tiers", "categorie": "tiers"},
    {"code": "logement_temporaire", "libelle": "Logement temporaire, IML, ALT",
     "categorie": "logement_temporaire", "sans_domicile": True},
    {"code": "sortie_ase", "libelle": "Sortie d'aide sociale à l'enfance (ASE)",
     "categorie": "institution"},
    {"code": "sortie_prison", "libelle": "Sortie de prison", "categorie": "institution"},
    {"code": "sortie_hopital", "libelle": "Sortie d'hôpital ou d'institution",
     "categorie": "institution"},
    {"code": "menace_expulsion", "libelle": "Locataire menacé d'expulsion",
     "categorie": "logement_menace"},
    {"code": "logement_social", "libelle": "Logement autonome – parc social",
     "categorie": "logement", "logement_perenne": True},
    {"code": "logement_prive", "libelle": "Logement autonome – parc privé",
     "categorie": "logement", "logement_perenne": True},
    {"code": "bail_glissant", "libelle": "Sous-location, bail glissant", "categorie": "logement",
     "logement_perenne": True},
    {"code": "pension_famille", "libelle": "Pension de famille, résidence accueil",
     "categorie": "logement", "logement_perenne": True},
]

RESSOURCES = [
    {"code": "salaire", "libelle": "Salaire"},
    {"code": "rsa", "libelle": "RSA"},
    {"code": "prime_activite", "libelle": "Prime d'activité"},
    {"code": "aah", "libelle": "AAH"},
    {"code": "are", "libelle": "ARE (allocation chômage)"},
    {"code": "ass", "libelle": "ASS"},
    {"code": "prestations_familiales", "libelle": "Prestations familiales"},
    {"code": "pension", "libelle": "Pension (retraite, invalidité)"},
    {"code": "bourse", "libelle": "Bourse, contrat jeune majeur, CEJ"},
    {"code": "autre", "libelle": "Autre ressource"},
    {"code": "aucune", "libelle": "Aucune ressource"},
]

PUBLICS = [
    {"code": "monoparentale", "libelle": "Famille monoparentale"},
    {"code": "violences", "libelle": "Victime de violences conjugales"},
    {"code": "jeune_moins_25", "libelle": "Jeune de moins de 25 ans"},
    {"code": "sortant_ase", "libelle": "Sortant de l'aide sociale à l'enfance"},
    {"code": "expulse", "libelle": "Expulsé ou menacé d'expulsion"},
    {"code": "refugie", "libelle": "Réfugié, bénéficiaire d'une protection internationale"},
    {"code": "sortant_prison", "libelle": "Sortant de prison"},
    {"code": "sortant_institution", "libelle": "Sortant d'hôpital ou d'institution"},
]


def charger_tout(apps, schema_editor):
    charger(apps, "menages.TypeSituation", SITUATIONS)
    charger(apps, "menages.TypeRessource", RESSOURCES)
    charger(apps, "menages.PublicPrioritaire", PUBLICS)


def decharger_tout(apps, schema_editor):
    dechargeur("menages.TypeSituation", SITUATIONS)(apps, schema_editor)
    dechargeur("menages.TypeRessource", RESSOURCES)(apps, schema_editor)
    dechargeur("menages.PublicPrioritaire", PUBLICS)(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("menages", "0001_initial")]
    operations = [migrations.RunPython(charger_tout, decharger_tout)]
