"""Journal d'audit : qui a créé, modifié, supprimé, consulté, exporté ou téléchargé quoi.

La table est en ajout seul : des déclencheurs (migration 0002) refusent UPDATE et DELETE, sauf
pendant une purge ou un effacement autorisés par `journal.services` (drapeau de la table
`journal_autorisation`, levé et baissé dans la même transaction).

Attention : sous SQLite, une migration qui modifie `Evenement` recrée la table et perd ses
déclencheurs ; il faut alors les recréer dans la même migration (voir 0002). Les tests
`test_journal_ajout_seul` le détecteraient.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    CREATION = "creation", "Création"
    MODIFICATION = "modification", "Modification"
    SUPPRESSION = "suppression", "Suppression"
    CONSULTATION = "consultation", "Consultation"
    EXPORT = "export", "Export"
    TELECHARGEMENT = "telechargement", "Téléchargement"
    ANONYMISATION = "anonymisation", "Anonymisation"
    ACCES_RGPD = "acces_rgpd", "Droit d'accès (RGPD)"
    CONNEXION = "connexion", "Connexion"
    ECHEC_CONNEXION = "echec_connexion", "Échec de connexion"
    DECONNEXION = "deconnexion", "Déconnexion"
    HABILITATION = "habilitation", "Habilitation"
    INVITATION = "invitation", "Invitation"
    PURGE = "purge", "Purge du journal"


class Evenement(models.Model):
    Action = Action

    horodatage = models.DateTimeField("date et heure", default=timezone.now, editable=False)
    # Pas de contrainte en base : supprimer un compte ne doit ni toucher au journal (ajout seul)
    # ni être bloqué par lui ; l'identifiant figé ci-dessous reste lisible.
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    auteur_identifiant = models.CharField("identifiant de l'auteur", max_length=150, blank=True)
    auteur_nom = models.CharField("nom de l'auteur", max_length=300, blank=True)
    action = models.CharField("action", max_length=30, choices=Action.choices)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name="type d'objet",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    object_id = models.BigIntegerField("identifiant de l'objet", null=True, blank=True)
    objet_repr = models.CharField("objet", max_length=200, blank=True)
    # Entiers sans clé étrangère : l'événement survit à la suppression ou à l'anonymisation.
    menage_id = models.BigIntegerField("ménage", null=True, blank=True)
    territoire_id = models.BigIntegerField(
        "territoire",
        null=True,
        blank=True,
        help_text="Pour un objet sans ménage (logement, convention, habilitation) : son "
        "territoire, qui borne la recherche des agents départementaux.",
    )
    changements = models.JSONField(
        "changements",
        default=dict,
        blank=True,
        help_text="Modification : {champ: [avant, après]} ; création : les valeurs ; "
        "suppression : les valeurs d'avant.",
    )
    details = models.JSONField("détails", default=dict, blank=True)
    adresse_ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)

    class Meta:
        verbose_name = "événement du journal"
        verbose_name_plural = "journal"
        ordering = ["-horodatage", "-id"]
        indexes = [
            models.Index(fields=["-horodatage", "-id"], name="journal_horodatage"),
            models.Index(fields=["auteur", "-horodatage"], name="journal_auteur"),
            models.Index(fields=["menage_id", "-horodatage"], name="journal_menage"),
            models.Index(fields=["action", "-horodatage"], name="journal_action"),
            models.Index(fields=["content_type", "object_id"], name="journal_objet"),
            models.Index(fields=["territoire_id", "-horodatage"], name="journal_territoire"),
        ]

    def __str__(self):
        return f"{self.horodatage:%d/%m/%Y %H:%M} — {self.get_action_display()} — {self.objet_repr}"

    @property
    def auteur_affiche(self) -> str:
        if self.auteur_nom and self.auteur_identifiant:
            return f"{self.auteur_nom} ({self.auteur_identifiant})"
        return self.auteur_identifiant or self.details.get("origine", "") or "—"
