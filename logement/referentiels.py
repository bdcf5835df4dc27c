"""Chargement idempotent des tables de référence depuis les migrations de données."""


def charger(apps, modele: str, lignes: list[dict]):
    """Crée les lignes absentes (par code), sans écraser ce que l'admin a modifié depuis."""
    Modele = apps.get_model(modele)
    for ordre, ligne in enumerate(lignes, start=1):
        valeurs = {"ordre": ordre, **ligne}
        Modele.objects.get_or_create(code=valeurs.pop("code"), defaults=valeurs)


def dechargeur(modele: str, lignes: list[dict]):
    def dechargement(apps, schema_editor):
        apps.get_model(modele).objects.filter(code__in=[ligne["code"] for ligne in lignes]).delete()

    return dechargement
