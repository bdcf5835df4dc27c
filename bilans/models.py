"""Bilans : une demande (territoire, public destinataire, période), son état de production et,
une fois prête, ses chiffres figés (`donnees`) et ses fichiers. Un bilan prêt ne change plus ;
le produire à nouveau crée une nouvelle version."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from logement.models import (
    Habilitation,
    Horodatage,
    Role,
    Territoire,
    ressort,
    verifier_ordre_dates,
)

ETAT, EPCI, DEPARTEMENT = "etat", "epci", "departement"


@dataclass(frozen=True)
class DroitsBilans:
    """Ce qu'un utilisateur peut lire et demander, par public destinataire : des ensembles
    d'identifiants de territoires. Calculé depuis ses habilitations actives, rôle par rôle :
    `Perimetre.territoire_ids` mélange les rôles (un coordinateur y a son Département parent)
    et ne suffit pas ici."""

    tout: bool = False
    lecture: dict[str, frozenset[int]] = field(default_factory=dict)
    demande: dict[str, frozenset[int]] = field(default_factory=dict)

    @classmethod
    def pour(cls, user) -> DroitsBilans:
        perimetre = user.perimetre
        if perimetre.tout:
            return cls(tout=True)
        if not user.is_authenticated:
            return cls()
        habilitations = (
            Habilitation.objects.actives()
            .filter(
                user=user,
                role__in=(Role.AGENT_DEPARTEMENTAL, Role.COORDINATEUR, Role.COPILOTE),
                territoire__isnull=False,
            )
            .select_related("territoire")
        )
        lecture = {ETAT: set(), EPCI: set(), DEPARTEMENT: set()}
        demande = {ETAT: set(), EPCI: set(), DEPARTEMENT: set()}
        for h in habilitations:
            perimetre_habilitation = ressort(h.territoire)
            if h.role == Role.AGENT_DEPARTEMENTAL:
                publics = (ETAT, EPCI, DEPARTEMENT)
                ecrit = True
            elif h.role == Role.COORDINATEUR:
                publics, ecrit = (ETAT, EPCI), True
            elif h.territoire.niveau == Territoire.Niveau.EPCI:  # co-pilote d'un EPCI
                publics, ecrit = (EPCI,), False
            else:  # co-pilote de l'État sur un Département
                publics, ecrit = (ETAT, EPCI), False
            for public in publics:
                lecture[public] |= perimetre_habilitation
                if ecrit:
                    demande[public] |= perimetre_habilitation
        return cls(
            lecture={k: frozenset(v) for k, v in lecture.items()},
            demande={k: frozenset(v) for k, v in demande.items()},
        )

    def condition_lecture(self) -> Q:
        condition = Q(pk__in=[])
        for public, ids in self.lecture.items():
            if ids:
                condition |= Q(audience=public, territoire_id__in=ids)
        return condition

    @property
    def peut_demander_un_bilan(self) -> bool:
        return self.tout or any(self.demande.values())

    def peut_demander(self, territoire, audience) -> bool:
        """Droit seul ; la compatibilité public / niveau est vérifiée par `Bilan.clean`."""
        return self.tout or territoire.pk in self.demande.get(audience, ())

    def audiences_demandables(self) -> list[str]:
        return [a for a in Bilan.Audience.values if self.tout or self.demande.get(a)]

    def territoires_demandables(self):
        if self.tout:
            return Territoire.objects.all()
        return Territoire.objects.filter(id__in=set().union(*self.demande.values()))


def droits_bilans(user) -> DroitsBilans:
    """Une fois par requête (mis en cache sur l'utilisateur, comme `user.perimetre`)."""
    droits = getattr(user, "_droits_bilans", None)
    if droits is None:
        droits = DroitsBilans.pour(user)
        user._droits_bilans = droits
    return droits


def libelle_periode(debut: dt.date, fin: dt.date) -> str:
    """« année 2025 », « 2e trimestre 2025 », sinon « du 01/02/2025 au 30/04/2025 »."""
    if debut == dt.date(debut.year, 1, 1) and fin == dt.date(debut.year, 12, 31):
        return f"année {debut.year}"
    if debut.year == fin.year and debut.day == 1 and debut.month % 3 == 1:
        dernier_mois = debut.month + 2
        suivant = dt.date(debut.year + dernier_mois // 12, dernier_mois % 12 + 1, 1)
        if fin == suivant - dt.timedelta(days=1):
            rang = (debut.month - 1) // 3 + 1
            return f"{'1er' if rang == 1 else f'{rang}e'} trimestre {debut.year}"
    return f"du {debut:%d/%m/%Y} au {fin:%d/%m/%Y}"


class BilanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Le seul contrôle de lecture : listes, fiches, état et téléchargements en partent."""
        droits = droits_bilans(user)
        if droits.tout:
            return self
        return self.filter(droits.condition_lecture())


class Bilan(Horodatage):
    class Audience(models.TextChoices):
        ETAT = "etat", "État (préfecture, DDETS, DIHAL)"
        EPCI = "epci", "EPCI co-pilote"
        DEPARTEMENT = "departement", "Département (rapport annuel)"

    class Periodicite(models.TextChoices):
        ANNUEL = "annuel", "Annuel"
        TRIMESTRIEL = "trimestriel", "Trimestriel"
        LIBRE = "libre", "Période libre"

    class Statut(models.TextChoices):
        EN_ATTENTE = "en_attente", "En attente"
        EN_COURS = "en_cours", "En cours"
        PRET = "pret", "Prêt"
        ECHEC = "echec", "En échec"

    # Niveaux de territoire admis pour chaque public destinataire.
    NIVEAUX_PAR_AUDIENCE = {
        Audience.ETAT: (
            Territoire.Niveau.DEPARTEMENT,
            Territoire.Niveau.EPCI,
            Territoire.Niveau.PLATEFORME,
        ),
        Audience.EPCI: (Territoire.Niveau.EPCI,),
        Audience.DEPARTEMENT: (Territoire.Niveau.DEPARTEMENT,),
    }

    territoire = models.ForeignKey(
        Territoire, verbose_name="territoire", on_delete=models.PROTECT, related_name="bilans"
    )
    audience = models.CharField("destinataire", max_length=20, choices=Audience.choices)
    periodicite = models.CharField(
        "périodicité", max_length=20, choices=Periodicite.choices, default=Periodicite.ANNUEL
    )
    date_debut = models.DateField("du")
    date_fin = models.DateField("au")
    version = models.PositiveIntegerField("version", default=1)
    statut = models.CharField(
        "état", max_length=20, choices=Statut.choices, default=Statut.EN_ATTENTE, db_index=True
    )
    progression = models.PositiveSmallIntegerField("progression (%)", default=0)
    etape = models.CharField("étape en cours", max_length=200, blank=True, default="")
    erreur = models.TextField("motif de l'échec", blank=True, default="")
    demande_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bilans_demandes",
        help_text="Vide pour un bilan planifié.",
    )
    commence_le = models.DateTimeField("commencé le", null=True, blank=True)
    termine_le = models.DateTimeField("terminé le", null=True, blank=True)
    tentatives = models.PositiveSmallIntegerField("tentatives", default=0)
    tache_id = models.CharField("tâche Celery", max_length=64, blank=True, default="")
    expedie_le = models.DateTimeField(
        "confié à la file le",
        null=True,
        blank=True,
        help_text="Vide tant que la file de production n'a pas accepté la tâche.",
    )
    donnees = models.JSONField("chiffres figés", null=True, blank=True, editable=False)

    objects = BilanQuerySet.as_manager()

    class Meta:
        verbose_name = "bilan"
        ordering = ["-cree_le", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["territoire", "audience", "date_debut", "date_fin", "version"],
                name="bilan_version_unique",
            ),
            models.CheckConstraint(
                condition=Q(date_fin__gte=models.F("date_debut")),
                name="bilan_dates_ordonnees",
                violation_error_message="La fin de la période précède son début.",
            ),
            models.CheckConstraint(
                condition=Q(progression__lte=100), name="bilan_progression_bornee"
            ),
        ]
        indexes = [models.Index(fields=["territoire", "audience", "date_debut", "date_fin"])]

    def __str__(self):
        return (
            f"Bilan {self.get_audience_display()} — {self.territoire.nom} — "
            f"{self.date_debut:%d/%m/%Y} au {self.date_fin:%d/%m/%Y} (v{self.version})"
        )

    def clean(self):
        verifier_ordre_dates(self, ("date_debut", "date_fin", "La fin précède le début."))
        if self.territoire_id and self.audience:
            niveaux = self.NIVEAUX_PAR_AUDIENCE.get(self.audience, ())
            if self.territoire.niveau not in niveaux:
                admis = " ou ".join(str(Territoire.Niveau(n).label) for n in niveaux)
                raise ValidationError(
                    {
                        "audience": f"Un bilan « {self.get_audience_display()} » porte sur "
                        f"un territoire de niveau {admis}."
                    }
                )

    INTITULES = {
        Audience.ETAT: "Bilan État",
        Audience.EPCI: "Bilan EPCI co-pilote",
        Audience.DEPARTEMENT: "Rapport du Département",
    }

    @property
    def intitule(self) -> str:
        return f"{self.INTITULES.get(self.audience, 'Bilan')} — {self.territoire.nom} — {self.periode_libelle}"

    @property
    def en_production(self) -> bool:
        return self.statut in (self.Statut.EN_ATTENTE, self.Statut.EN_COURS)

    @property
    def periode_libelle(self) -> str:
        return libelle_periode(self.date_debut, self.date_fin)


class FichierBilan(Horodatage):
    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Tableur (XLSX)"
        CSV = "csv", "CSV"

    bilan = models.ForeignKey(
        Bilan, verbose_name="bilan", on_delete=models.CASCADE, related_name="fichiers"
    )
    format = models.CharField("format", max_length=10, choices=Format.choices)
    # Stockage privé (PRIVATE_MEDIA_ROOT) : servi seulement par la vue de téléchargement.
    fichier = models.FileField("fichier", upload_to="bilans/%Y/%m/")
    taille = models.PositiveIntegerField("taille (octets)")
    empreinte = models.CharField("empreinte SHA-256", max_length=64)

    class Meta:
        verbose_name = "fichier de bilan"
        verbose_name_plural = "fichiers de bilan"
        ordering = ["bilan_id", "format"]
        constraints = [
            models.UniqueConstraint(fields=["bilan", "format"], name="fichier_bilan_unique")
        ]

    def __str__(self):
        return f"{self.bilan} — {self.get_format_display()}"
