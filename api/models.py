"""Jetons d'API personnels : créés et révoqués par leur titulaire, montrés une seule fois.

Seule l'empreinte SHA-256 du jeton est gardée : une base copiée ne donne aucun jeton
utilisable. Un jeton n'apporte aucun droit propre : chaque requête agit avec les habilitations
du moment de son titulaire (`user.perimetre`), comme une session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

PREFIXE = "lda_"  # reconnaissable dans un fichier ou un dépôt de code (détection de fuite)
LONGUEUR_PREFIXE_VISIBLE = 8
# Le dernier usage n'est écrit qu'une fois par minute au plus : pas une écriture par requête.
INTERVALLE_DERNIER_USAGE = dt.timedelta(minutes=1)


def duree_par_defaut_jours() -> int:
    return settings.API_JETON_DUREE_JOURS


def duree_max_jours() -> int:
    return settings.API_JETON_DUREE_MAX_JOURS


def empreinte(secret: str) -> str:
    """SHA-256 suffit : le jeton est tiré au hasard (256 bits), pas choisi par un humain."""
    return hashlib.sha256(secret.encode()).hexdigest()


class JetonAPIQuerySet(models.QuerySet):
    def actifs(self, maintenant=None):
        maintenant = maintenant or timezone.now()
        return self.filter(revoque_le__isnull=True, expire_le__gt=maintenant)


class JetonAPI(models.Model):
    class Etat(models.TextChoices):
        ACTIF = "actif", "Actif"
        EXPIRE = "expire", "Expiré"
        REVOQUE = "revoque", "Révoqué"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="titulaire",
        on_delete=models.CASCADE,
        related_name="jetons_api",
    )
    nom = models.CharField(
        "nom",
        max_length=100,
        help_text="À quoi sert ce jeton (ex. « Tableur de suivi », « Logiciel de la structure »).",
    )
    prefixe = models.CharField(
        "préfixe",
        max_length=LONGUEUR_PREFIXE_VISIBLE,
        editable=False,
        help_text="Début du jeton, pour le reconnaître ; le reste n'est connu que du titulaire.",
    )
    empreinte = models.CharField("empreinte SHA-256", max_length=64, unique=True, editable=False)
    cree_le = models.DateTimeField("créé le", default=timezone.now, editable=False)
    expire_le = models.DateTimeField("expire le")
    dernier_usage = models.DateTimeField("dernier usage", null=True, blank=True, editable=False)
    revoque_le = models.DateTimeField("révoqué le", null=True, blank=True, editable=False)

    objects = JetonAPIQuerySet.as_manager()

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ["-cree_le", "-pk"]
        indexes = [models.Index(fields=["user", "-cree_le"], name="jeton_api_user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expire_le__gt=models.F("cree_le")),
                name="jeton_api_expire_apres_creation",
                violation_error_message="L'expiration doit suivre la création.",
            ),
        ]

    def __str__(self):
        return f"Jeton d'API « {self.nom} » ({self.prefixe}…)"

    def clean(self):
        if self.expire_le and self.cree_le:
            if self.expire_le <= self.cree_le:
                raise ValidationError({"expire_le": "L'expiration doit suivre la création."})
            if self.expire_le - self.cree_le > dt.timedelta(days=duree_max_jours()):
                raise ValidationError(
                    {
                        "expire_le": f"Un jeton vaut {duree_max_jours()} jours au plus : "
                        "créez-en un nouveau à l'échéance."
                    }
                )

    # --- État ---------------------------------------------------------------------------------

    def etat(self, maintenant=None) -> str:
        if self.revoque_le is not None:
            return self.Etat.REVOQUE
        if self.expire_le <= (maintenant or timezone.now()):
            return self.Etat.EXPIRE
        return self.Etat.ACTIF

    @property
    def etat_libelle(self) -> str:
        return self.Etat(self.etat()).label

    @property
    def est_actif(self) -> bool:
        return self.etat() == self.Etat.ACTIF

    # --- Écritures ----------------------------------------------------------------------------

    @classmethod
    @transaction.atomic
    def creer(cls, *, user, nom: str, duree_jours: int) -> tuple[JetonAPI, str]:
        """Crée le jeton et renvoie (jeton, secret) ; le secret n'est gardé nulle part."""
        maintenant = timezone.now()
        plafond = settings.API_JETONS_ACTIFS_MAX
        if cls.objects.filter(user=user).actifs(maintenant).count() >= plafond:
            raise ValidationError(
                f"Vous avez déjà {plafond} jetons actifs : révoquez-en un avant d'en créer un autre."
            )
        secret = PREFIXE + secrets.token_urlsafe(32)
        jeton = cls(
            user=user,
            nom=nom,
            prefixe=secret[:LONGUEUR_PREFIXE_VISIBLE],
            empreinte=empreinte(secret),
            cree_le=maintenant,
            expire_le=maintenant + dt.timedelta(days=duree_jours),
        )
        jeton.full_clean()
        jeton.save(force_insert=True)
        _tracer(
            "creation",
            jeton,
            changements={
                "nom": jeton.nom,
                "prefixe": jeton.prefixe,
                "expire_le": jeton.expire_le.isoformat(),
            },
        )
        return jeton, secret

    @transaction.atomic
    def revoquer(self) -> bool:
        """Révoque le jeton (définitif) ; False s'il l'était déjà."""
        maintenant = timezone.now()
        # Mise à jour conditionnelle : deux révocations simultanées n'écrivent qu'une fois.
        if not JetonAPI.objects.filter(pk=self.pk, revoque_le__isnull=True).update(
            revoque_le=maintenant
        ):
            self.refresh_from_db(fields=["revoque_le"])
            return False
        self.revoque_le = maintenant
        _tracer("modification", self, changements={"revoque_le": [None, maintenant.isoformat()]})
        return True

    def noter_usage(self, maintenant=None) -> None:
        """Date du dernier usage, écrite au plus une fois par minute (update sans signal)."""
        maintenant = maintenant or timezone.now()
        if self.dernier_usage and maintenant - self.dernier_usage < INTERVALLE_DERNIER_USAGE:
            return
        JetonAPI.objects.filter(pk=self.pk).update(dernier_usage=maintenant)
        self.dernier_usage = maintenant


def _tracer(action, jeton, *, changements):
    """Journal d'audit, dans la transaction de l'écriture (jamais le secret : il n'est pas ici)."""
    from journal.services import tracer

    tracer(action, objet=jeton, utilisateur=jeton.user, changements=changements)
