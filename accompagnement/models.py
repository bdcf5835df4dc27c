"""Accompagnement : orientations, mesures (ASRL, AML, ASLL, AVDL…), conventions de financement,
projet d'accompagnement, rencontres, aides financières du FSL."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Sum
from django.utils import timezone

from logement.models import (
    Horodatage,
    Referentiel,
    Role,
    Structure,
    Territoire,
    verifier_ordre_dates,
)
from menages.models import Menage


def _champs_version():
    """Version et dernier auteur d'un élément du projet, pour refuser une édition concurrente."""
    return (
        models.PositiveIntegerField("version", default=1, editable=False),
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            verbose_name="modifié par",
            on_delete=models.SET_NULL,
            null=True,
            blank=True,
            editable=False,
            related_name="+",
        ),
    )


MONTANT_POSITIF = MinValueValidator(0, "Le montant ne peut pas être négatif.")


class Financeur(models.TextChoices):
    ETAT = "etat", "État (DIHAL, DDETS)"
    DEPARTEMENT = "departement", "Département (FSL)"
    EPCI = "epci", "EPCI"
    AUTRE = "autre", "Autre financeur"


# --- Référentiels -------------------------------------------------------------------------------


class TypeMesure(Referentiel):
    financeur = models.CharField("financeur", max_length=20, choices=Financeur.choices)
    duree_defaut_mois = models.PositiveSmallIntegerField(
        "durée par défaut (mois)", validators=[MinValueValidator(1)]
    )
    duree_max_mois = models.PositiveSmallIntegerField(
        "durée maximale, renouvellements compris (mois)",
        null=True,
        blank=True,
        help_text="Vide : pas de plafond. Varie selon le règlement du Département.",
    )
    relevant_fsl = models.BooleanField("financée par le FSL", default=False)
    cumul_fsl_interdit = models.BooleanField(
        "non cumulable avec une autre mesure FSL",
        default=False,
        help_text="Cas de l'AML : pas d'autre mesure FSL en cours pour le même ménage.",
    )
    specifique_logement_dabord = models.BooleanField("spécifique Logement d'abord", default=False)

    class Meta(Referentiel.Meta):
        verbose_name = "type de mesure"
        verbose_name_plural = "types de mesure"


class MotifFin(Referentiel):
    class Categorie(models.TextChoices):
        SORTIE_POSITIVE = "positive", "Sortie positive"
        RUPTURE = "rupture", "Rupture"
        NEUTRE = "neutre", "Autre fin"

    categorie = models.CharField("catégorie", max_length=20, choices=Categorie.choices)
    acces_logement = models.BooleanField(
        "accès au logement", default=False, help_text="Exige le logement et la date d'entrée."
    )
    maintien = models.BooleanField("maintien dans le logement assuré", default=False)

    class Meta(Referentiel.Meta):
        verbose_name = "motif de fin de mesure"
        verbose_name_plural = "motifs de fin de mesure"


class DomaineAccompagnement(Referentiel):
    class Meta(Referentiel.Meta):
        verbose_name = "domaine d'accompagnement"
        verbose_name_plural = "domaines d'accompagnement"


class OrigineOrientation(Referentiel):
    class Meta(Referentiel.Meta):
        verbose_name = "origine d'orientation"
        verbose_name_plural = "origines d'orientation"


# --- Conventions --------------------------------------------------------------------------------


class ConventionQuerySet(models.QuerySet):
    def visible_to(self, user):
        perimetre = user.perimetre
        if perimetre.tout:
            return self
        return self.filter(
            Q(territoire_id__in=perimetre.territoire_ids)
            | Q(structure_id__in=perimetre.structure_ids)
        )

    def avec_occupation(self, annee: int, aujourdhui: dt.date | None = None):
        """Conventions de l'année `annee` annotées de leur occupation, calculée en SQL.

        Période observée : du 1er janvier au 31 décembre, ou jusqu'à aujourd'hui pour l'année
        en cours. Chaque mesure rattachée compte ses jours actifs dans la période (bornes
        incluses, une mesure non terminée court jusqu'à la fin de la période) :
        - `jours_mesures` : somme de ces jours ; `jours_capacite` : mesures financées × jours
          de la période ; `taux_occupation` : leur rapport en % (vide si la période n'a pas
          commencé) ;
        - `mesures_rattachees` : toutes les mesures rattachées, actives ou non dans l'année ;
        - `menages_accompagnes` : ménages distincts dont une mesure est active dans la période ;
        - `cout_par_menage` : budget ÷ ménages accompagnés (vide sans ménage).
        """
        from django.db.models.functions import Cast, Coalesce, Greatest, Least

        from logement.expressions import JoursEntre

        aujourdhui = aujourdhui or timezone.localdate()
        debut = dt.date(annee, 1, 1)
        fin = min(dt.date(annee, 12, 31), aujourdhui)
        jours_periode = max((fin - debut).days + 1, 0)
        debut_sql = models.Value(debut, output_field=models.DateField())
        fin_sql = models.Value(fin, output_field=models.DateField())
        active = Q(mesures__date_debut__isnull=False, mesures__date_debut__lte=fin) & (
            Q(mesures__date_fin__isnull=True) | Q(mesures__date_fin__gte=debut)
        )
        jours = (
            JoursEntre(
                Least(Coalesce("mesures__date_fin", fin_sql), fin_sql),
                Greatest("mesures__date_debut", debut_sql),
            )
            + 1
        )
        return (
            self.filter(annee=annee)
            .annotate(
                mesures_rattachees=models.Count("mesures"),
                jours_mesures=Coalesce(models.Sum(jours, filter=active), 0),
                jours_capacite=F("nombre_mesures") * jours_periode,
                menages_accompagnes=models.Count("mesures__menage", filter=active, distinct=True),
            )
            .annotate(
                taux_occupation=models.Case(
                    models.When(
                        jours_capacite__gt=0,
                        then=Cast("jours_mesures", models.FloatField()) * 100 / F("jours_capacite"),
                    ),
                    output_field=models.FloatField(),
                ),
                cout_par_menage=models.Case(
                    models.When(
                        menages_accompagnes__gt=0,
                        then=models.ExpressionWrapper(
                            F("budget") / F("menages_accompagnes"),
                            output_field=models.DecimalField(max_digits=12, decimal_places=2),
                        ),
                    ),
                    output_field=models.DecimalField(max_digits=12, decimal_places=2),
                ),
            )
        )


class Convention(Horodatage):
    """Financement d'un nombre de mesures d'un type, pour une structure et une année."""

    reference = models.CharField("référence", max_length=60, blank=True, default="")
    financeur = models.CharField("financeur", max_length=20, choices=Financeur.choices)
    structure = models.ForeignKey(
        Structure, verbose_name="structure", on_delete=models.PROTECT, related_name="conventions"
    )
    type_mesure = models.ForeignKey(
        TypeMesure, verbose_name="type de mesure", on_delete=models.PROTECT, related_name="+"
    )
    territoire = models.ForeignKey(
        Territoire, verbose_name="territoire", on_delete=models.PROTECT, related_name="conventions"
    )
    annee = models.PositiveSmallIntegerField(
        "année",
        # Au-delà, la fiche ne pourrait plus calculer l'occupation (dates de l'année).
        validators=[
            MinValueValidator(2000, "Année invraisemblable."),
            MaxValueValidator(2100, "Année invraisemblable."),
        ],
    )
    nombre_mesures = models.PositiveIntegerField(
        "mesures financées", validators=[MinValueValidator(1, "Au moins une mesure financée.")]
    )
    budget = models.DecimalField(
        "budget (€)", max_digits=12, decimal_places=2, validators=[MONTANT_POSITIF]
    )
    date_signature = models.DateField("signée le", null=True, blank=True)

    objects = ConventionQuerySet.as_manager()

    class Meta:
        verbose_name = "convention de financement"
        verbose_name_plural = "conventions de financement"
        ordering = ["-annee", "structure_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["financeur", "structure", "type_mesure", "annee", "territoire"],
                name="convention_unique",
                violation_error_message="Une convention existe déjà pour ce financeur, cette "
                "structure, ce type de mesure, ce territoire et cette année.",
            ),
            models.CheckConstraint(
                condition=Q(budget__gte=0),
                name="convention_budget_positif",
                violation_error_message="Le budget ne peut pas être négatif.",
            ),
            models.CheckConstraint(
                condition=Q(nombre_mesures__gte=1),
                name="convention_capacite_positive",
                violation_error_message="Au moins une mesure financée.",
            ),
        ]

    def __str__(self):
        return f"{self.type_mesure.code.upper()} {self.annee} — {self.structure} ({self.nombre_mesures})"

    @property
    def periode(self) -> tuple[dt.date, dt.date]:
        return dt.date(self.annee, 1, 1), dt.date(self.annee, 12, 31)


# --- Orientations -------------------------------------------------------------------------------


class OrientationQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.perimetre.tout:
            return self
        return self.filter(menage__in=Menage.objects.visible_to(user))

    def en_attente(self):
        return self.filter(statut=Orientation.Statut.EN_ATTENTE)

    def decidees(self):
        return self.exclude(statut=Orientation.Statut.EN_ATTENTE)


class Orientation(Horodatage):
    """Saisine de la plateforme pour un ménage, et la décision de la plateforme."""

    class Statut(models.TextChoices):
        EN_ATTENTE = "en_attente", "En attente de décision"
        ACCEPTEE = "acceptee", "Acceptée"
        REFUSEE = "refusee", "Refusée"
        REDIRIGEE = "redirigee", "Réorientée"

    menage = models.ForeignKey(
        Menage, verbose_name="ménage", on_delete=models.CASCADE, related_name="orientations"
    )
    plateforme = models.ForeignKey(
        Territoire,
        verbose_name="plateforme saisie",
        on_delete=models.PROTECT,
        related_name="orientations",
        limit_choices_to={"niveau": Territoire.Niveau.PLATEFORME},
    )
    date_orientation = models.DateField("reçue le", db_index=True)
    origine = models.ForeignKey(
        OrigineOrientation, verbose_name="orienté par", on_delete=models.PROTECT, related_name="+"
    )
    structure_prescriptrice = models.ForeignKey(
        Structure,
        verbose_name="structure prescriptrice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orientations_prescrites",
    )
    prescripteur = models.CharField(
        "prescripteur (nom, fonction)", max_length=200, blank=True, default=""
    )
    motif = models.TextField("motif de l'orientation")
    type_mesure_preconisee = models.ForeignKey(
        TypeMesure,
        verbose_name="mesure préconisée",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    statut = models.CharField(
        "statut", max_length=20, choices=Statut.choices, default=Statut.EN_ATTENTE, db_index=True
    )
    date_decision = models.DateField("décidée le", null=True, blank=True)
    decision_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="décision prise par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    motif_decision = models.TextField(
        "motif du refus ou de la réorientation", blank=True, default=""
    )
    redirigee_vers = models.CharField("réorientée vers", max_length=200, blank=True, default="")

    objects = OrientationQuerySet.as_manager()

    class Meta:
        verbose_name = "orientation"
        ordering = ["-date_orientation"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_decision__isnull=True)
                | Q(date_decision__gte=F("date_orientation")),
                name="orientation_dates_ordonnees",
                violation_error_message="La décision précède la réception de l'orientation.",
            ),
            models.CheckConstraint(
                condition=Q(statut="en_attente", date_decision__isnull=True)
                | (~Q(statut="en_attente") & Q(date_decision__isnull=False)),
                name="orientation_decision_datee",
                violation_error_message="Une orientation décidée porte la date de sa décision.",
            ),
        ]

    def __str__(self):
        return f"Orientation du {self.date_orientation:%d/%m/%Y} ({self.get_statut_display()})"

    def clean(self):
        verifier_ordre_dates(
            self, ("date_orientation", "date_decision", "La décision précède la réception.")
        )
        if self.statut != self.Statut.EN_ATTENTE and not self.date_decision:
            raise ValidationError({"date_decision": "Indiquez la date de la décision."})
        if self.statut in (self.Statut.REFUSEE, self.Statut.REDIRIGEE) and not self.motif_decision:
            raise ValidationError({"motif_decision": "Indiquez le motif de la décision."})
        if self.statut == self.Statut.REDIRIGEE and not self.redirigee_vers:
            raise ValidationError({"redirigee_vers": "Indiquez vers qui le ménage est réorienté."})
        if self.plateforme_id and self.plateforme.niveau != Territoire.Niveau.PLATEFORME:
            raise ValidationError({"plateforme": "Choisissez une plateforme territoriale."})

    @property
    def delai_decision_jours(self) -> int | None:
        fin = self.date_decision or timezone.localdate()
        return (fin - self.date_orientation).days


# --- Mesures ------------------------------------------------------------------------------------


class MesureQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.perimetre.tout:
            return self
        return self.filter(menage__in=Menage.objects.visible_to(user))

    def ouvertes(self):
        return self.filter(statut__in=Mesure.STATUTS_OUVERTS)

    def actives_entre(self, debut: dt.date, fin: dt.date):
        """Mesures commencées au plus tard le `fin` et non terminées avant le `debut`."""
        return self.filter(date_debut__isnull=False, date_debut__lte=fin).filter(
            Q(date_fin__isnull=True) | Q(date_fin__gte=debut)
        )


class Mesure(Horodatage):
    class Statut(models.TextChoices):
        PROPOSEE = "proposee", "Proposée"
        EN_COURS = "en_cours", "En cours"
        SUSPENDUE = "suspendue", "Suspendue"
        TERMINEE = "terminee", "Terminée"

    class Destination(models.TextChoices):
        LOGEMENT_SOCIAL = "logement_social", "Logement social"
        PARC_PRIVE = "parc_prive", "Parc privé"
        IML_BAIL_GLISSANT = "iml_bail_glissant", "IML, bail glissant"
        PENSION_FAMILLE = "pension_famille", "Pension de famille"
        AUTRE = "autre", "Autre logement"

    STATUTS_OUVERTS = (Statut.PROPOSEE, Statut.EN_COURS, Statut.SUSPENDUE)

    menage = models.ForeignKey(
        Menage, verbose_name="ménage", on_delete=models.PROTECT, related_name="mesures"
    )
    type = models.ForeignKey(
        TypeMesure, verbose_name="type de mesure", on_delete=models.PROTECT, related_name="mesures"
    )
    territoire = models.ForeignKey(
        Territoire,
        verbose_name="EPCI",
        on_delete=models.PROTECT,
        related_name="mesures",
        help_text="EPCI où la mesure est exercée (celui du ménage à l'ouverture).",
        limit_choices_to={"niveau": Territoire.Niveau.EPCI},
    )
    structure = models.ForeignKey(
        Structure, verbose_name="structure", on_delete=models.PROTECT, related_name="mesures"
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="référent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mesures_suivies",
    )
    convention = models.ForeignKey(
        Convention,
        verbose_name="convention",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mesures",
    )
    orientation = models.ForeignKey(
        Orientation,
        verbose_name="orientation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mesures",
    )
    statut = models.CharField(
        "statut", max_length=20, choices=Statut.choices, default=Statut.PROPOSEE, db_index=True
    )
    date_proposition = models.DateField("proposée le")
    date_debut = models.DateField("début", null=True, blank=True, db_index=True)
    date_fin_prevue = models.DateField("fin prévue", null=True, blank=True, db_index=True)
    date_fin = models.DateField("fin réelle", null=True, blank=True, db_index=True)
    motif_fin = models.ForeignKey(
        MotifFin,
        verbose_name="motif de fin",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    destination = models.CharField(
        "logement obtenu", max_length=30, choices=Destination.choices, blank=True, default=""
    )
    logement = models.ForeignKey(
        "attributions.Logement",
        verbose_name="logement capté",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mesures",
    )
    date_entree_logement = models.DateField("entrée dans le logement", null=True, blank=True)

    objects = MesureQuerySet.as_manager()

    class Meta:
        verbose_name = "mesure d'accompagnement"
        verbose_name_plural = "mesures d'accompagnement"
        ordering = ["-date_proposition"]
        indexes = [
            models.Index(fields=["territoire", "statut"], name="mesure_territoire_statut"),
            models.Index(fields=["structure", "statut"], name="mesure_structure_statut"),
            models.Index(fields=["referent", "statut"], name="mesure_referent_statut"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["menage", "type"],
                condition=Q(statut__in=["proposee", "en_cours", "suspendue"]),
                name="mesure_une_ouverte_par_type",
                violation_error_message="Ce ménage a déjà une mesure ouverte de ce type.",
            ),
            models.CheckConstraint(
                condition=Q(date_debut__isnull=True) | Q(date_debut__gte=F("date_proposition")),
                name="mesure_debut_apres_proposition",
                violation_error_message="Le début précède la proposition.",
            ),
            models.CheckConstraint(
                condition=Q(date_fin_prevue__isnull=True)
                | Q(date_debut__isnull=True)
                | Q(date_fin_prevue__gte=F("date_debut")),
                name="mesure_fin_prevue_apres_debut",
                violation_error_message="La fin prévue précède le début.",
            ),
            models.CheckConstraint(
                condition=Q(date_fin__isnull=True)
                | Q(date_fin__gte=F("date_proposition"))
                & (Q(date_debut__isnull=True) | Q(date_fin__gte=F("date_debut"))),
                name="mesure_fin_apres_debut",
                violation_error_message="La fin précède le début.",
            ),
            models.CheckConstraint(
                condition=Q(statut="terminee", date_fin__isnull=False, motif_fin__isnull=False)
                | (~Q(statut="terminee") & Q(date_fin__isnull=True, motif_fin__isnull=True)),
                name="mesure_terminee_motif_et_date",
                violation_error_message="Une mesure terminée a une date et un motif de fin ; "
                "une mesure ouverte n'en a pas.",
            ),
            models.CheckConstraint(
                condition=~Q(statut__in=["en_cours", "suspendue"]) | Q(date_debut__isnull=False),
                name="mesure_en_cours_a_un_debut",
                violation_error_message="Une mesure en cours a une date de début.",
            ),
            models.CheckConstraint(
                condition=Q(date_entree_logement__isnull=True)
                | Q(date_entree_logement__gte=F("date_proposition")),
                name="mesure_entree_logement_apres_proposition",
                violation_error_message="L'entrée dans le logement précède la mesure.",
            ),
        ]

    def __str__(self):
        return f"{self.type.code.upper()} — {self.get_statut_display()}"

    @property
    def est_ouverte(self) -> bool:
        return self.statut in self.STATUTS_OUVERTS

    def clean(self):
        verifier_ordre_dates(
            self,
            ("date_proposition", "date_debut", "Le début précède la proposition."),
            ("date_debut", "date_fin_prevue", "La fin prévue précède le début."),
            ("date_debut", "date_fin", "La fin précède le début."),
            ("date_proposition", "date_fin", "La fin précède la proposition."),
            ("date_proposition", "date_entree_logement", "L'entrée précède la mesure."),
        )
        erreurs = {}
        if self.statut in (self.Statut.EN_COURS, self.Statut.SUSPENDUE) and not self.date_debut:
            erreurs["date_debut"] = "Une mesure en cours a une date de début."
        if self.statut == self.Statut.TERMINEE:
            if not self.date_fin:
                erreurs["date_fin"] = "Indiquez la date de fin."
            if not self.motif_fin_id:
                erreurs["motif_fin"] = "Indiquez le motif de fin."
            elif self.motif_fin.acces_logement:
                if not self.destination:
                    erreurs["destination"] = "Indiquez le logement obtenu."
                if not self.date_entree_logement:
                    erreurs["date_entree_logement"] = "Indiquez la date d'entrée dans le logement."
        elif self.date_fin or self.motif_fin_id:
            erreurs["statut"] = "Une mesure avec une date ou un motif de fin est terminée."
        if self.territoire_id and self.territoire.niveau != Territoire.Niveau.EPCI:
            erreurs["territoire"] = "Une mesure est exercée dans un EPCI."
        if (
            self.referent_id
            and self.structure_id
            and not self.referent.habilitations.filter(
                role=Role.REFERENT, structure_id=self.structure_id
            ).exists()
        ):
            erreurs["referent"] = "Ce référent n'est pas habilité dans la structure choisie."
        if self.convention_id:
            erreurs.update(self._erreurs_convention())
        if erreurs:
            raise ValidationError(erreurs)
        self._verifier_cumul()

    def _erreurs_convention(self) -> dict:
        c = self.convention
        if c.structure_id != self.structure_id or c.type_mesure_id != self.type_id:
            return {
                "convention": "La convention ne finance pas ce type de mesure dans cette structure."
            }
        # La mesure doit être active pendant l'année financée.
        debut = self.date_debut or self.date_proposition
        if (debut and debut.year > c.annee) or (self.date_fin and self.date_fin.year < c.annee):
            return {
                "convention": f"La mesure n'est pas active pendant l'année {c.annee} de la "
                "convention."
            }
        return {}

    def _verifier_cumul(self):
        """L'AML ne se cumule pas avec une autre mesure FSL ouverte pour le même ménage."""
        if not (self.menage_id and self.type_id and self.est_ouverte):
            return
        autres = Mesure.objects.ouvertes().filter(menage_id=self.menage_id).exclude(pk=self.pk)
        if autres.filter(type_id=self.type_id).exists():
            raise ValidationError({"type": "Ce ménage a déjà une mesure ouverte de ce type."})
        if not self.type.relevant_fsl:
            return
        fsl = autres.filter(type__relevant_fsl=True)
        if self.type.cumul_fsl_interdit and fsl.exists():
            raise ValidationError(
                {
                    "type": f"Une {self.type.code.upper()} ne se cumule pas avec une autre mesure "
                    "FSL en cours."
                }
            )
        if fsl.filter(type__cumul_fsl_interdit=True).exists():
            raise ValidationError(
                {"type": "Le ménage a une mesure FSL non cumulable en cours (AML)."}
            )

    @property
    def duree_jours(self) -> int | None:
        if not self.date_debut:
            return None
        return ((self.date_fin or timezone.localdate()) - self.date_debut).days


class Renouvellement(Horodatage):
    mesure = models.ForeignKey(
        Mesure, verbose_name="mesure", on_delete=models.CASCADE, related_name="renouvellements"
    )
    date_decision = models.DateField("décidé le")
    ancienne_fin_prevue = models.DateField("fin prévue avant")
    nouvelle_fin_prevue = models.DateField("nouvelle fin prévue")
    motif = models.TextField("motif", blank=True, default="")
    decide_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "renouvellement"
        ordering = ["mesure_id", "date_decision"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nouvelle_fin_prevue__gt=F("ancienne_fin_prevue")),
                name="renouvellement_prolonge",
                violation_error_message="Un renouvellement repousse la fin prévue.",
            ),
        ]

    def __str__(self):
        return f"Renouvellement jusqu'au {self.nouvelle_fin_prevue:%d/%m/%Y}"

    def clean(self):
        verifier_ordre_dates(
            self,
            ("ancienne_fin_prevue", "nouvelle_fin_prevue", "La nouvelle fin précède l'ancienne."),
        )
        if not (self.mesure_id and self.nouvelle_fin_prevue):
            return
        mesure = self.mesure
        if mesure.date_debut and self.date_decision and self.date_decision < mesure.date_debut:
            raise ValidationError(
                {"date_decision": "Le renouvellement précède le début de la mesure."}
            )
        plafond = mesure.type.duree_max_mois
        if plafond and mesure.date_debut:
            limite = mesure.date_debut + relativedelta(months=plafond)
            if self.nouvelle_fin_prevue > limite:
                raise ValidationError(
                    {
                        "nouvelle_fin_prevue": f"La durée maximale d'une mesure {mesure.type.code.upper()} "
                        f"est de {plafond} mois : fin au plus tard le {limite:%d/%m/%Y}."
                    }
                )


# --- Projet d'accompagnement --------------------------------------------------------------------


class ProjetAccompagnement(Horodatage):
    """Projet personnalisé co-construit avec le ménage après le diagnostic."""

    mesure = models.OneToOneField(
        Mesure, verbose_name="mesure", on_delete=models.CASCADE, related_name="projet"
    )
    date_elaboration = models.DateField("élaboré le")
    date_signature = models.DateField("signé avec le ménage le", null=True, blank=True)
    diagnostic = models.TextField("diagnostic partagé", blank=True, default="")
    version, modifie_par = _champs_version()

    class Meta:
        verbose_name = "projet d'accompagnement"
        verbose_name_plural = "projets d'accompagnement"
        ordering = ["-date_elaboration", "-id"]

    def __str__(self):
        return f"Projet du {self.date_elaboration:%d/%m/%Y}"

    def clean(self):
        verifier_ordre_dates(
            self, ("date_elaboration", "date_signature", "La signature précède l'élaboration.")
        )


class ObjectifProjet(Horodatage):
    class Statut(models.TextChoices):
        A_ENGAGER = "a_engager", "À engager"
        EN_COURS = "en_cours", "En cours"
        ATTEINT = "atteint", "Atteint"
        NON_ATTEINT = "non_atteint", "Non atteint"
        ABANDONNE = "abandonne", "Abandonné"

    projet = models.ForeignKey(
        ProjetAccompagnement,
        verbose_name="projet",
        on_delete=models.CASCADE,
        related_name="objectifs",
    )
    domaine = models.ForeignKey(
        DomaineAccompagnement, verbose_name="domaine", on_delete=models.PROTECT, related_name="+"
    )
    intitule = models.CharField("objectif", max_length=250)
    statut = models.CharField(
        "statut", max_length=20, choices=Statut.choices, default=Statut.A_ENGAGER
    )
    echeance = models.DateField("échéance", null=True, blank=True, db_index=True)
    date_atteinte = models.DateField("atteint le", null=True, blank=True)
    version, modifie_par = _champs_version()

    class Meta:
        verbose_name = "objectif du projet"
        verbose_name_plural = "objectifs du projet"
        ordering = ["projet_id", "domaine_id", "echeance"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_atteinte__isnull=True) | Q(statut="atteint"),
                name="objectif_atteint_si_date",
                violation_error_message="Seul un objectif atteint a une date d'atteinte.",
            ),
        ]

    def __str__(self):
        return self.intitule

    def clean(self):
        if self.date_atteinte and self.statut != self.Statut.ATTEINT:
            raise ValidationError({"statut": "Seul un objectif atteint a une date d'atteinte."})


class ActionProjet(Horodatage):
    class Porteur(models.TextChoices):
        MENAGE = "menage", "Le ménage"
        REFERENT = "referent", "Le référent"
        PARTENAIRE = "partenaire", "Un partenaire"

    objectif = models.ForeignKey(
        ObjectifProjet, verbose_name="objectif", on_delete=models.CASCADE, related_name="actions"
    )
    intitule = models.CharField("action", max_length=250)
    porteur = models.CharField(
        "portée par", max_length=20, choices=Porteur.choices, default=Porteur.MENAGE
    )
    echeance = models.DateField("échéance", null=True, blank=True, db_index=True)
    realisee_le = models.DateField("réalisée le", null=True, blank=True)
    version, modifie_par = _champs_version()

    class Meta:
        verbose_name = "action"
        ordering = ["objectif_id", "echeance"]

    def __str__(self):
        return self.intitule

    def clean(self):
        if self.realisee_le and self.realisee_le > timezone.localdate():
            raise ValidationError(
                {"realisee_le": "Une action ne peut être réalisée dans le futur."}
            )


class RevisionProjet(Horodatage):
    projet = models.ForeignKey(
        ProjetAccompagnement,
        verbose_name="projet",
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    date = models.DateField("révisé le")
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resume = models.TextField("ce qui a changé")

    class Meta:
        verbose_name = "révision du projet"
        verbose_name_plural = "révisions du projet"
        ordering = ["projet_id", "-date"]

    def __str__(self):
        return f"Révision du {self.date:%d/%m/%Y}"


# --- Rencontres ---------------------------------------------------------------------------------


class RencontreQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.perimetre.tout:
            return self
        return self.filter(menage__in=Menage.objects.visible_to(user))


class Rencontre(Horodatage):
    class Type(models.TextChoices):
        VISITE_DOMICILE = "visite_domicile", "Visite à domicile"
        ENTRETIEN = "entretien", "Entretien"
        TELEPHONE = "telephone", "Téléphone"
        ACCOMPAGNEMENT_PHYSIQUE = "accompagnement_physique", "Accompagnement physique"
        REUNION_PARTENAIRES = "reunion_partenaires", "Réunion partenaires"

    menage = models.ForeignKey(
        Menage, verbose_name="ménage", on_delete=models.CASCADE, related_name="rencontres"
    )
    mesure = models.ForeignKey(
        Mesure,
        verbose_name="mesure",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rencontres",
    )
    date = models.DateField("date", default=timezone.localdate)
    type = models.CharField("type", max_length=30, choices=Type.choices)
    duree_minutes = models.PositiveSmallIntegerField(
        "durée (minutes)", validators=[MinValueValidator(1, "La durée est d'au moins une minute.")]
    )
    note = models.TextField(
        "note", blank=True, default="", help_text="Visible uniquement de votre structure."
    )
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", on_delete=models.PROTECT, related_name="+"
    )
    structure = models.ForeignKey(
        Structure, verbose_name="structure de l'auteur", on_delete=models.PROTECT, related_name="+"
    )

    objects = RencontreQuerySet.as_manager()

    class Meta:
        verbose_name = "rencontre"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["menage", "date"], name="rencontre_menage_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(duree_minutes__gte=1),
                name="rencontre_duree_positive",
                violation_error_message="La durée est d'au moins une minute.",
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} le {self.date:%d/%m/%Y}"

    def clean(self):
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": "Une rencontre ne peut être datée dans le futur."})
        if self.mesure_id and self.menage_id and self.mesure.menage_id != self.menage_id:
            raise ValidationError({"mesure": "Cette mesure concerne un autre ménage."})

    def note_visible_par(self, user) -> bool:
        """La note n'est lisible que par la structure qui l'a écrite."""
        return self.structure_id in user.perimetre.structure_ids


# --- Aides financières (FSL et Département) -----------------------------------------------------


class Enveloppe(Horodatage):
    """Crédit annuel sur lequel s'imputent les aides (ex. 60 000 €/an pour l'adaptation)."""

    libelle = models.CharField("libellé", max_length=200)
    financeur = models.CharField("financeur", max_length=20, choices=Financeur.choices)
    territoire = models.ForeignKey(
        Territoire, verbose_name="territoire", on_delete=models.PROTECT, related_name="enveloppes"
    )
    annee = models.PositiveSmallIntegerField("année")
    montant = models.DecimalField(
        "montant (€)", max_digits=12, decimal_places=2, validators=[MONTANT_POSITIF]
    )

    class Meta:
        verbose_name = "enveloppe"
        ordering = ["-annee", "libelle"]
        constraints = [
            models.UniqueConstraint(
                fields=["territoire", "annee", "libelle"],
                name="enveloppe_unique",
                violation_error_message="Cette enveloppe existe déjà pour cette année.",
            ),
            models.CheckConstraint(
                condition=Q(montant__gte=0),
                name="enveloppe_montant_positif",
                violation_error_message="Le montant ne peut pas être négatif.",
            ),
        ]

    def __str__(self):
        return f"{self.libelle} {self.annee}"

    def montant_engage(self, exclure=None):
        aides = self.aides.filter(decision=AideFinanciere.Decision.ACCORDEE)
        if exclure:
            aides = aides.exclude(pk=exclure)
        return aides.aggregate(total=Sum("montant"))["total"] or 0


class AideFinanciere(Horodatage):
    class Nature(models.TextChoices):
        DEPOT_GARANTIE = "depot_garantie", "Accès : dépôt de garantie"
        PREMIER_LOYER = "premier_loyer", "Accès : premier loyer"
        ASSURANCE = "assurance", "Accès : assurance habitation"
        MOBILIER = "mobilier", "Accès : mobilier"
        IMPAYES_LOYER = "impayes_loyer", "Maintien : impayés de loyer"
        ENERGIE = "energie", "Maintien : énergie"
        EAU = "eau", "Maintien : eau"
        ADAPTATION = "adaptation", "Adaptation du logement au vieillissement"
        REHABILITATION = "rehabilitation", "Réhabilitation d'un logement très dégradé"

    class Forme(models.TextChoices):
        SUBVENTION = "subvention", "Subvention"
        PRET = "pret", "Prêt"

    class Decision(models.TextChoices):
        EN_ATTENTE = "en_attente", "En attente"
        ACCORDEE = "accordee", "Accordée"
        REFUSEE = "refusee", "Refusée"

    menage = models.ForeignKey(
        Menage, verbose_name="ménage", on_delete=models.CASCADE, related_name="aides"
    )
    enveloppe = models.ForeignKey(
        Enveloppe,
        verbose_name="enveloppe",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="aides",
    )
    nature = models.CharField("nature", max_length=30, choices=Nature.choices)
    montant = models.DecimalField(
        "montant (€)", max_digits=10, decimal_places=2, validators=[MONTANT_POSITIF]
    )
    forme = models.CharField(
        "forme", max_length=20, choices=Forme.choices, default=Forme.SUBVENTION
    )
    date_demande = models.DateField("demandée le")
    decision = models.CharField(
        "décision", max_length=20, choices=Decision.choices, default=Decision.EN_ATTENTE
    )
    date_decision = models.DateField("décidée le", null=True, blank=True)

    class Meta:
        verbose_name = "aide financière"
        verbose_name_plural = "aides financières"
        ordering = ["-date_demande"]
        constraints = [
            models.CheckConstraint(
                condition=Q(montant__gte=0),
                name="aide_montant_positif",
                violation_error_message="Le montant ne peut pas être négatif.",
            ),
            models.CheckConstraint(
                condition=Q(decision="en_attente") | Q(date_decision__isnull=False),
                name="aide_decision_datee",
                violation_error_message="Une décision porte sa date.",
            ),
            models.CheckConstraint(
                condition=Q(date_decision__isnull=True) | Q(date_decision__gte=F("date_demande")),
                name="aide_dates_ordonnees",
                violation_error_message="La décision précède la demande.",
            ),
        ]

    def __str__(self):
        return f"{self.get_nature_display()} — {self.montant} €"

    def clean(self):
        verifier_ordre_dates(
            self, ("date_demande", "date_decision", "La décision précède la demande.")
        )
        if self.decision != self.Decision.EN_ATTENTE and not self.date_decision:
            raise ValidationError({"date_decision": "Indiquez la date de la décision."})
        if (
            self.enveloppe_id
            and self.decision == self.Decision.ACCORDEE
            and self.montant is not None
        ):
            reste = self.enveloppe.montant - self.enveloppe.montant_engage(exclure=self.pk)
            if self.montant > reste:
                raise ValidationError(
                    {
                        "montant": f"L'enveloppe « {self.enveloppe} » n'a plus que {reste} € disponibles."
                    }
                )
