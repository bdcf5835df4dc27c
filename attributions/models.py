"""Logements captés, propositions aux ménages, décisions de CALEOL, baux et objectifs annuels."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from logement.models import Horodatage, Referentiel, Structure, Territoire, verifier_ordre_dates
from menages.models import Menage

MONTANT_POSITIF = MinValueValidator(0, "Le montant ne peut pas être négatif.")


class Contingent(Referentiel):
    class Meta(Referentiel.Meta):
        verbose_name = "contingent"


class DecisionCaleol(Referentiel):
    attribution = models.BooleanField(
        "vaut attribution",
        default=False,
        help_text="Attribution (rang 1, 2, 3 ou sous condition) : le ménage peut signer un bail.",
    )
    rang = models.PositiveSmallIntegerField("rang", null=True, blank=True)

    class Meta(Referentiel.Meta):
        verbose_name = "décision de CALEOL"
        verbose_name_plural = "décisions de CALEOL"


class LogementQuerySet(models.QuerySet):
    def visible_to(self, user):
        perimetre = user.perimetre
        if perimetre.tout:
            return self
        condition = Q(territoire_id__in=perimetre.epci_ids)
        if perimetre.structure_ids:
            # Un référent voit les logements proposés aux ménages qu'il suit.
            condition |= Q(id__in=Proposition.objects.visible_to(user).values("logement_id"))
        return self.filter(condition)

    def avec_disponibilite(self):
        return self.annotate(
            disponible=ExpressionWrapper(_condition_disponible(), output_field=BooleanField())
        )

    def disponibles(self):
        return self.filter(_condition_disponible())

    def indisponibles(self):
        return self.exclude(_condition_disponible())

    def avec_derniere_etape(self):
        """Étape de la dernière proposition faite pour chaque logement (vide sans proposition)."""
        derniere = (
            Proposition.objects.filter(logement=OuterRef("pk"))
            .avec_etape()
            .order_by("-date_proposition", "-id")
        )
        return self.annotate(derniere_etape=Subquery(derniere.values("etape_calculee")[:1]))


def _condition_disponible() -> Q:
    """Disponible : pas retiré du dispositif, et aucun bail signé par un ménage de la plateforme
    (en attente d'entrée ou occupé)."""
    bail = Proposition.objects.filter(logement=OuterRef("pk"), date_signature_bail__isnull=False)
    return Q(date_retrait__isnull=True) & ~Exists(bail)


class Logement(Horodatage):
    class Typologie(models.TextChoices):
        T1 = "T1", "T1"
        T2 = "T2", "T2"
        T3 = "T3", "T3"
        T4 = "T4", "T4"
        T5 = "T5", "T5"
        T6 = "T6", "T6 et plus"

    class TypeBailleur(models.TextChoices):
        SOCIAL = "social", "Bailleur social"
        PRIVE = "prive", "Propriétaire privé"

    class Captation(models.TextChoices):
        PARC_SOCIAL = "parc_social", "Parc social"
        IML_MANDAT = "iml_mandat", "IML – mandat de gestion"
        SOUS_LOCATION = "sous_location", "Sous-location, bail glissant"
        SOLIBAIL = "solibail", "Solibail"

    reference = models.CharField("référence", max_length=40, unique=True)
    adresse = models.CharField("adresse", max_length=250)
    code_postal = models.CharField("code postal", max_length=5)
    commune = models.CharField("commune", max_length=120)
    territoire = models.ForeignKey(
        Territoire,
        verbose_name="EPCI",
        on_delete=models.PROTECT,
        related_name="logements",
        limit_choices_to={"niveau": Territoire.Niveau.EPCI},
    )
    typologie = models.CharField("typologie", max_length=2, choices=Typologie.choices)
    surface = models.DecimalField(
        "surface (m²)",
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(9, "Un logement fait au moins 9 m².")],
    )
    loyer = models.DecimalField(
        "loyer (€)", max_digits=8, decimal_places=2, validators=[MONTANT_POSITIF]
    )
    charges = models.DecimalField(
        "charges (€)", max_digits=8, decimal_places=2, default=0, validators=[MONTANT_POSITIF]
    )
    type_bailleur = models.CharField("bailleur", max_length=10, choices=TypeBailleur.choices)
    bailleur = models.ForeignKey(
        Structure,
        verbose_name="bailleur social",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="logements",
        limit_choices_to={"type": Structure.Type.BAILLEUR},
    )
    qpv = models.BooleanField("en QPV", default=False)
    contingent = models.ForeignKey(
        Contingent,
        verbose_name="contingent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    captation = models.CharField("mode de captation", max_length=20, choices=Captation.choices)
    date_disponibilite = models.DateField("disponible le", db_index=True)
    date_retrait = models.DateField(
        "retiré le", null=True, blank=True, help_text="Le logement n'est plus mobilisable."
    )

    objects = LogementQuerySet.as_manager()

    # La CALEOL examine au moins trois candidats par logement, sauf désignation DALO.
    CANDIDATS_MINIMUM_CALEOL = 3

    class Meta:
        verbose_name = "logement"
        ordering = ["-date_disponibilite"]
        constraints = [
            models.CheckConstraint(
                condition=Q(loyer__gte=0) & Q(charges__gte=0),
                name="logement_montants_positifs",
                violation_error_message="Loyer et charges ne peuvent pas être négatifs.",
            ),
            models.CheckConstraint(
                condition=Q(surface__gte=9),
                name="logement_surface_minimale",
                violation_error_message="Un logement fait au moins 9 m².",
            ),
            models.CheckConstraint(
                condition=Q(date_retrait__isnull=True)
                | Q(date_retrait__gte=F("date_disponibilite")),
                name="logement_dates_ordonnees",
                violation_error_message="Le retrait précède la disponibilité.",
            ),
        ]

    def __str__(self):
        return f"{self.reference} — {self.typologie}, {self.commune}"

    @property
    def loyer_charges_comprises(self):
        return self.loyer + self.charges

    def clean(self):
        verifier_ordre_dates(
            self, ("date_disponibilite", "date_retrait", "Le retrait précède la disponibilité.")
        )
        if self.code_postal and not (self.code_postal.isdigit() and len(self.code_postal) == 5):
            raise ValidationError({"code_postal": "Le code postal compte 5 chiffres."})
        if self.territoire_id and self.territoire.niveau != Territoire.Niveau.EPCI:
            raise ValidationError({"territoire": "Un logement est situé dans un EPCI."})
        if self.bailleur_id and self.type_bailleur != self.TypeBailleur.SOCIAL:
            raise ValidationError(
                {"bailleur": "Un propriétaire privé n'est pas un bailleur social."}
            )


class PropositionQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.perimetre.tout:
            return self
        return self.filter(menage__in=Menage.objects.visible_to(user))

    def attributions(self):
        """Une attribution ne compte qu'à la signature du bail."""
        return self.filter(date_signature_bail__isnull=False)

    def attributions_entre(self, debut, fin):
        return self.filter(date_signature_bail__range=(debut, fin))

    def avec_etape(self):
        """Annote `etape_calculee` : la règle de `Proposition.REGLES_ETAPE`, évaluée en base."""
        return self.annotate(
            etape_calculee=Case(
                *(
                    When(condition, then=Value(etape))
                    for etape, condition in Proposition.REGLES_ETAPE
                ),
                default=Value(Proposition.Etape.PROPOSEE),
                output_field=CharField(),
            )
        )

    def a_l_etape(self, *etapes):
        return self.avec_etape().filter(etape_calculee__in=etapes)

    def en_cours(self):
        """Propositions encore dans la course : ni sans suite, ni conclues par un bail."""
        return self.a_l_etape(*Proposition.ETAPES_EN_COURS)

    def compter_par_etape(self) -> dict[str, int]:
        """Nombre de propositions par étape, en une requête ; chaque étape figure, même à zéro."""
        comptes = dict.fromkeys(Proposition.Etape.values, 0)
        lignes = self.avec_etape().order_by().values("etape_calculee").annotate(n=Count("id"))
        comptes.update({ligne["etape_calculee"]: ligne["n"] for ligne in lignes})
        return comptes

    def delai_de_reponse_depasse(self, jour=None):
        jour = jour or timezone.localdate()
        limite = jour - dt.timedelta(days=Proposition.DELAI_REPONSE_JOURS)
        return self.a_l_etape(Proposition.Etape.DECISION_CALEOL).filter(
            decision__attribution=True, date_caleol__lt=limite
        )


class Proposition(Horodatage):
    """Proposition d'un logement à un ménage, jusqu'à la CALEOL, la réponse et le bail."""

    class Reponse(models.TextChoices):
        EN_ATTENTE = "en_attente", "En attente"
        ACCEPTATION = "acceptation", "Acceptation"
        REFUS = "refus", "Refus"

    class Etape(models.TextChoices):
        PROPOSEE = "proposee", "Proposée"
        DECISION_CALEOL = "caleol", "Décision CALEOL"
        REPONSE = "reponse", "Réponse du ménage"
        BAIL = "bail", "Bail signé"
        ENTREE = "entree", "Entrée dans les lieux"
        CLOSE = "close", "Sans suite"

    # L'étape est la première dont la condition est remplie (à défaut : proposée). Seule
    # définition de la règle : évaluée en base par `avec_etape()`, en Python par `etape`.
    REGLES_ETAPE = (
        (Etape.ENTREE, Q(date_entree__isnull=False)),
        (Etape.BAIL, Q(date_signature_bail__isnull=False)),
        (
            Etape.CLOSE,
            Q(reponse=Reponse.REFUS)
            | Q(decision__attribution=False)
            | Q(date_classement__isnull=False),
        ),
        (Etape.REPONSE, Q(reponse=Reponse.ACCEPTATION)),
        (Etape.DECISION_CALEOL, Q(decision__isnull=False)),
    )
    ETAPES_EN_COURS = (Etape.PROPOSEE, Etape.DECISION_CALEOL, Etape.REPONSE)

    # Délai légal de réponse du ménage après une attribution (jours).
    DELAI_REPONSE_JOURS = 10
    MOTIF_ATTRIBUE_A_UN_AUTRE = "Logement attribué à un autre candidat."

    menage = models.ForeignKey(
        Menage, verbose_name="ménage", on_delete=models.PROTECT, related_name="propositions"
    )
    logement = models.ForeignKey(
        Logement, verbose_name="logement", on_delete=models.PROTECT, related_name="propositions"
    )
    contingent = models.ForeignKey(
        Contingent, verbose_name="contingent", on_delete=models.PROTECT, related_name="+"
    )
    date_proposition = models.DateField("proposée le", db_index=True)
    date_caleol = models.DateField("passage en CALEOL", null=True, blank=True)
    decision = models.ForeignKey(
        DecisionCaleol,
        verbose_name="décision de la CALEOL",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    motif_decision = models.CharField(
        "motif (non-attribution, condition)", max_length=250, blank=True, default=""
    )
    reponse = models.CharField(
        "réponse du ménage", max_length=20, choices=Reponse.choices, default=Reponse.EN_ATTENTE
    )
    date_reponse = models.DateField("répondu le", null=True, blank=True)
    motif_refus = models.CharField("motif du refus", max_length=250, blank=True, default="")
    date_signature_bail = models.DateField("bail signé le", null=True, blank=True, db_index=True)
    date_entree = models.DateField("entrée dans les lieux", null=True, blank=True)
    date_classement = models.DateField(
        "classée sans suite le",
        null=True,
        blank=True,
        help_text="La proposition sort de la course sans décision ni refus : le logement a été "
        "attribué à un autre candidat, ou retiré.",
    )
    motif_classement = models.CharField(
        "motif du classement sans suite", max_length=250, blank=True, default=""
    )

    objects = PropositionQuerySet.as_manager()

    class Meta:
        verbose_name = "proposition de logement"
        verbose_name_plural = "propositions de logement"
        ordering = ["-date_proposition"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_caleol__isnull=True) | Q(date_caleol__gte=F("date_proposition")),
                name="proposition_caleol_apres_proposition",
                violation_error_message="La CALEOL précède la proposition.",
            ),
            models.CheckConstraint(
                condition=Q(decision__isnull=True) | Q(date_caleol__isnull=False),
                name="proposition_decision_datee",
                violation_error_message="Une décision de CALEOL porte la date de la commission.",
            ),
            models.CheckConstraint(
                condition=Q(date_reponse__isnull=True) | Q(date_reponse__gte=F("date_proposition")),
                name="proposition_reponse_apres_proposition",
                violation_error_message="La réponse précède la proposition.",
            ),
            models.CheckConstraint(
                condition=Q(date_signature_bail__isnull=True)
                | Q(
                    reponse="acceptation",
                    date_caleol__isnull=False,
                    date_signature_bail__gte=F("date_caleol"),
                ),
                name="proposition_bail_apres_acceptation",
                violation_error_message="Un bail se signe après la CALEOL et l'acceptation du "
                "ménage.",
            ),
            models.CheckConstraint(
                condition=Q(date_entree__isnull=True)
                | Q(date_signature_bail__isnull=False, date_entree__gte=F("date_signature_bail")),
                name="proposition_entree_apres_bail",
                violation_error_message="L'entrée dans les lieux suit la signature du bail.",
            ),
            models.CheckConstraint(
                condition=Q(date_classement__isnull=True) | Q(date_signature_bail__isnull=True),
                name="proposition_classee_sans_bail",
                violation_error_message="Une proposition classée sans suite ne mène pas à un bail.",
            ),
            models.UniqueConstraint(
                fields=["logement"],
                condition=Q(date_signature_bail__isnull=False, date_entree__isnull=True),
                name="proposition_un_bail_en_attente_par_logement",
                violation_error_message="Un bail est déjà signé pour ce logement.",
            ),
        ]

    def __str__(self):
        return f"{self.logement} → {self.menage.reference}"

    @property
    def etape(self) -> str:
        return next(
            (etape for etape, condition in self.REGLES_ETAPE if _satisfait(self, condition)),
            self.Etape.PROPOSEE,
        )

    @property
    def etape_libelle(self) -> str:
        return self.Etape(self.etape).label

    @property
    def sans_suite(self) -> bool:
        return self.etape == self.Etape.CLOSE

    @property
    def date_limite_reponse(self) -> dt.date | None:
        """Fin du délai de réponse du ménage, qui court à compter de l'attribution."""
        if self.decision_id and self.decision.attribution and self.date_caleol:
            return self.date_caleol + dt.timedelta(days=self.DELAI_REPONSE_JOURS)
        return None

    @property
    def delai_reponse_depasse(self) -> bool:
        limite = self.date_limite_reponse
        return bool(
            limite and self.etape == self.Etape.DECISION_CALEOL and timezone.localdate() > limite
        )

    def clean(self):
        verifier_ordre_dates(
            self,
            ("date_proposition", "date_caleol", "La CALEOL précède la proposition."),
            ("date_proposition", "date_reponse", "La réponse précède la proposition."),
            ("date_caleol", "date_signature_bail", "Le bail précède la CALEOL."),
            ("date_signature_bail", "date_entree", "L'entrée précède la signature du bail."),
        )
        erreurs = {}
        if self.decision_id and not self.date_caleol:
            erreurs["date_caleol"] = "Indiquez la date de la CALEOL."
        if self.reponse != self.Reponse.EN_ATTENTE and not self.date_reponse:
            erreurs["date_reponse"] = "Indiquez la date de la réponse du ménage."
        if self.reponse == self.Reponse.REFUS and not self.motif_refus:
            erreurs["motif_refus"] = "Indiquez le motif du refus."
        if self.decision_id and not self.decision.attribution and not self.motif_decision:
            erreurs["motif_decision"] = "Indiquez le motif de la non-attribution."
        if self.date_signature_bail:
            if not (self.decision_id and self.decision.attribution):
                erreurs["date_signature_bail"] = "Un bail suppose une attribution par la CALEOL."
            elif self.reponse != self.Reponse.ACCEPTATION:
                erreurs["date_signature_bail"] = "Un bail suppose l'acceptation du ménage."
        if self.date_entree and not self.date_signature_bail:
            erreurs["date_entree"] = "L'entrée dans les lieux suit la signature du bail."
        if self.reponse == self.Reponse.ACCEPTATION and not (
            self.decision_id and self.decision.attribution
        ):
            erreurs.setdefault(
                "reponse", "Le ménage accepte une attribution : la CALEOL doit l'avoir décidée."
            )
        if self.date_classement:
            if not self.motif_classement:
                erreurs["motif_classement"] = "Indiquez pourquoi la proposition est sans suite."
            if self.date_signature_bail:
                erreurs.setdefault(
                    "date_signature_bail", "Cette proposition est classée sans suite."
                )
        if erreurs:
            raise ValidationError(erreurs)


def _satisfait(obj, condition) -> bool:
    """Évalue sur une instance une condition Q faite d'égalités et de `isnull`, comme la base.

    Sert à lire `REGLES_ETAPE` sans requête ; un chemin à travers une relation vide vaut NULL,
    qui n'est égal à rien (comme la jointure externe en SQL).
    """
    if isinstance(condition, Q):
        resultats = (_satisfait(obj, enfant) for enfant in condition.children)
        vrai = all(resultats) if condition.connector == Q.AND else any(resultats)
        return vrai != condition.negated
    chemin, attendu = condition
    *champs, lookup = chemin.split("__")
    if lookup != "isnull":
        champs, lookup = [*champs, lookup], "exact"
    valeur = obj
    for i, nom in enumerate(champs):
        if valeur is None:
            break
        champ = valeur._meta.get_field(nom)
        dernier = i == len(champs) - 1
        valeur = getattr(valeur, champ.attname if dernier and champ.is_relation else nom)
    if lookup == "isnull":
        return (valeur is None) == attendu
    return valeur is not None and valeur == attendu


class ObjectifAttributionQuerySet(models.QuerySet):
    def visible_to(self, user):
        perimetre = user.perimetre
        if perimetre.tout:
            return self
        return self.filter(territoire_id__in=perimetre.territoire_ids)


class ObjectifAttribution(Horodatage):
    """Objectif annuel d'attributions à des ménages sans domicile ou hébergés (ex. 408)."""

    territoire = models.ForeignKey(
        Territoire,
        verbose_name="territoire",
        on_delete=models.PROTECT,
        related_name="objectifs_attribution",
    )
    annee = models.PositiveSmallIntegerField(
        "année", validators=[MinValueValidator(2000, "Année invraisemblable.")]
    )
    objectif = models.PositiveIntegerField(
        "objectif", validators=[MinValueValidator(1, "L'objectif est d'au moins une attribution.")]
    )
    attributions_totales = models.PositiveIntegerField(
        "attributions totales du territoire",
        null=True,
        blank=True,
        help_text="Toutes attributions de logements sociaux, quand elles sont connues (SNE).",
    )

    objects = ObjectifAttributionQuerySet.as_manager()

    class Meta:
        verbose_name = "objectif d'attribution"
        verbose_name_plural = "objectifs d'attribution"
        ordering = ["-annee", "territoire_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["territoire", "annee"],
                name="objectif_unique_par_an",
                violation_error_message="Un objectif existe déjà pour ce territoire et cette année.",
            ),
            models.CheckConstraint(
                condition=Q(objectif__gte=1),
                name="objectif_positif",
                violation_error_message="L'objectif est d'au moins une attribution.",
            ),
        ]

    def __str__(self):
        return f"{self.territoire.nom} {self.annee} : {self.objectif}"
