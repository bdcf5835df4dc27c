"""Ménages : composition, parcours résidentiel, ressources, publics prioritaires, consentement,
procédures d'expulsion."""

from __future__ import annotations

import uuid

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from logement.models import Horodatage, Referentiel, Territoire, verifier_ordre_dates

# --- Référentiels -------------------------------------------------------------------------------


class TypeSituation(Referentiel):
    """Situation résidentielle (rue, CHRS, hôtel, logement autonome…), regroupée en catégories
    pour les bilans (origine des ménages relogés)."""

    class Categorie(models.TextChoices):
        RUE = "rue", "Rue, abri de fortune"
        HEBERGEMENT = "hebergement", "Hébergement"
        HOTEL = "hotel", "Hôtel"
        TIERS = "tiers", "Chez un tiers"
        LOGEMENT_TEMPORAIRE = "logement_temporaire", "Logement temporaire, IML"
        INSTITUTION = "institution", "Sortie d'institution"
        LOGEMENT_MENACE = "logement_menace", "Logement, menacé d'expulsion"
        LOGEMENT = "logement", "Logement autonome"

    categorie = models.CharField("catégorie", max_length=30, choices=Categorie.choices)
    sans_domicile = models.BooleanField(
        "sans domicile",
        default=False,
        help_text="Compte pour l'indicateur « ménages sans domicile » des attributions.",
    )
    logement_perenne = models.BooleanField(
        "logement pérenne",
        default=False,
        help_text="Une entrée dans cette situation est un accès au logement durable.",
    )

    class Meta(Referentiel.Meta):
        verbose_name = "type de situation résidentielle"
        verbose_name_plural = "types de situation résidentielle"


class TypeRessource(Referentiel):
    class Meta(Referentiel.Meta):
        verbose_name = "type de ressource"
        verbose_name_plural = "types de ressource"


class PublicPrioritaire(Referentiel):
    class Meta(Referentiel.Meta):
        verbose_name = "public prioritaire"
        verbose_name_plural = "publics prioritaires"


# --- Ménage -------------------------------------------------------------------------------------


class MenageQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Ménages dont l'utilisateur peut voir les données personnelles.

        Référent : ménages ayant une mesure (quel qu'en soit le statut) dans sa structure ;
        coordinateur : ménages des EPCI de sa plateforme ; agent départemental : tout son
        Département ; co-pilote : aucun (agrégats seulement) ; administrateur : tous.
        """
        perimetre = user.perimetre
        if perimetre.tout:
            return self
        condition = Q(territoire_id__in=perimetre.epci_ids)
        if perimetre.structure_ids:
            Mesure = apps.get_model("accompagnement", "Mesure")
            condition |= Exists(
                Mesure.objects.filter(
                    menage=OuterRef("pk"), structure_id__in=perimetre.structure_ids
                )
            )
        return self.filter(condition)

    def actifs(self):
        return self.filter(statut=Menage.Statut.ACTIF)


class Menage(Horodatage):
    class Statut(models.TextChoices):
        ACTIF = "actif", "Suivi en cours"
        CLOS = "clos", "Dossier clos"
        ANONYMISE = "anonymise", "Anonymisé"

    class Dalo(models.TextChoices):
        AUCUN = "aucun", "Pas de recours"
        RECOURS = "recours", "Recours déposé"
        PRIORITAIRE = "prioritaire", "Reconnu prioritaire et urgent"
        REJETE = "rejete", "Recours rejeté"

    reference = models.CharField("référence", max_length=30, unique=True, editable=False)
    territoire = models.ForeignKey(
        Territoire,
        verbose_name="EPCI",
        on_delete=models.PROTECT,
        related_name="menages",
        limit_choices_to={"niveau": Territoire.Niveau.EPCI},
    )
    statut = models.CharField(
        "statut", max_length=20, choices=Statut.choices, default=Statut.ACTIF, db_index=True
    )
    adresse = models.CharField("adresse actuelle", max_length=250, blank=True, default="")
    commune = models.CharField("commune", max_length=120, blank=True, default="")
    telephone = models.CharField("téléphone", max_length=20, blank=True, default="")
    siao_id = models.CharField(
        "identifiant SI-SIAO",
        max_length=30,
        null=True,
        blank=True,
        unique=True,
        error_messages={"unique": "Un ménage porte déjà cet identifiant SI-SIAO."},
    )
    nur = models.CharField(
        "numéro unique (NUR)",
        max_length=30,
        null=True,
        blank=True,
        unique=True,
        error_messages={"unique": "Un ménage porte déjà ce NUR."},
        validators=[
            RegexValidator(
                r"^[0-9A-Z]{6,30}$",
                "Le NUR ne contient que des chiffres et "
                "des lettres majuscules (6 à 30 caractères).",
            )
        ],
    )
    nur_date_depot = models.DateField("dépôt de la demande", null=True, blank=True)
    nur_date_renouvellement = models.DateField(
        "échéance de renouvellement", null=True, blank=True, db_index=True
    )
    dalo = models.CharField("DALO", max_length=20, choices=Dalo.choices, default=Dalo.AUCUN)
    dalo_date_decision = models.DateField("décision COMED", null=True, blank=True)
    syplo = models.BooleanField("labellisé SYPLO", default=False)
    publics_prioritaires = models.ManyToManyField(
        PublicPrioritaire, verbose_name="publics prioritaires", blank=True, related_name="menages"
    )
    date_dernier_contact = models.DateField(
        "dernier contact",
        null=True,
        blank=True,
        db_index=True,
        help_text="Tenu à jour à chaque rencontre ; sert aux alertes et à la durée de conservation.",
    )
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Éditions concurrentes : chaque enregistrement d'un formulaire d'édition passe à la version
    # suivante, à condition que personne ne l'ait fait depuis la lecture (menages.concurrence).
    version = models.PositiveIntegerField("version", default=1, editable=False)
    modifie_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="modifié par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = MenageQuerySet.as_manager()

    class Meta:
        verbose_name = "ménage"
        ordering = ["-id"]
        indexes = [models.Index(fields=["territoire", "statut"], name="menage_territoire_statut")]
        constraints = [
            models.CheckConstraint(
                condition=Q(nur_date_renouvellement__isnull=True)
                | Q(nur_date_depot__isnull=True)
                | Q(nur_date_renouvellement__gte=F("nur_date_depot")),
                name="menage_nur_dates_ordonnees",
                violation_error_message="L'échéance du NUR précède son dépôt.",
            ),
        ]

    def __str__(self):
        # Pas le nom du demandeur : ce serait une requête par ménage affiché.
        return self.reference

    def clean(self):
        if self.territoire_id and self.territoire.niveau != Territoire.Niveau.EPCI:
            raise ValidationError({"territoire": "Un ménage est rattaché à un EPCI."})
        if self.nur and not self.nur_date_depot:
            raise ValidationError({"nur_date_depot": "Indiquez la date de dépôt de la demande."})
        verifier_ordre_dates(
            self,
            ("nur_date_depot", "nur_date_renouvellement", "L'échéance précède le dépôt."),
        )
        if self.dalo_date_decision and self.dalo == self.Dalo.AUCUN:
            raise ValidationError({"dalo": "Une décision COMED suppose un recours DALO."})

    def save(self, *args, **kwargs):
        if self.nur == "":
            self.nur = None
        if self.siao_id == "":
            self.siao_id = None
        if self.reference:
            return super().save(*args, **kwargs)
        # La référence dépend de la clé : on l'écrit dans la même transaction.
        with transaction.atomic():
            self.reference = f"tmp-{uuid.uuid4().hex[:24]}"
            super().save(*args, **kwargs)
            self.reference = self.reference_pour(self.pk)
            Menage.objects.filter(pk=self.pk).update(reference=self.reference)

    @staticmethod
    def reference_pour(pk: int) -> str:
        return f"M{pk:07d}"

    def alerte_nur(self, jour=None) -> str:
        """« echue » ou « proche » (moins de LOGEMENT["ALERTE_NUR_JOURS"] jours), sinon ""."""
        echeance = self.nur_date_renouvellement
        if not echeance:
            return ""
        jour = jour or timezone.localdate()
        if echeance < jour:
            return "echue"
        if (echeance - jour).days <= settings.LOGEMENT["ALERTE_NUR_JOURS"]:
            return "proche"
        return ""

    @property
    def demandeur_principal(self) -> Personne | None:
        # Parcourt la liste préchargée quand il y en a une (pas de requête par ménage).
        for personne in self.personnes.all():
            if personne.role == Personne.Role.DEMANDEUR:
                return personne
        return None


class Personne(Horodatage):
    class Sexe(models.TextChoices):
        FEMME = "F", "Femme"
        HOMME = "M", "Homme"
        AUTRE = "X", "Autre / non précisé"

    class Role(models.TextChoices):
        DEMANDEUR = "demandeur", "Demandeur principal"
        CONJOINT = "conjoint", "Conjoint(e)"
        ENFANT = "enfant", "Enfant"
        AUTRE = "autre", "Autre membre"

    class Nationalite(models.TextChoices):
        FRANCAISE = "francaise", "Française"
        UE = "ue", "Union européenne"
        HORS_UE = "hors_ue", "Hors Union européenne"
        NON_RENSEIGNEE = "nr", "Non renseignée"

    menage = models.ForeignKey(
        Menage, verbose_name="ménage", on_delete=models.CASCADE, related_name="personnes"
    )
    nom = models.CharField("nom", max_length=120)
    prenom = models.CharField("prénom", max_length=120)
    nom_normalise = models.CharField(
        "nom normalisé",
        max_length=250,
        editable=False,
        db_index=True,
        default="",
        help_text="Nom et prénom sans accents ni casse, pour la recherche et les doublons.",
    )
    date_naissance = models.DateField("date de naissance", null=True, blank=True)
    sexe = models.CharField("sexe", max_length=1, choices=Sexe.choices, default=Sexe.AUTRE)
    role = models.CharField("rôle dans le ménage", max_length=20, choices=Role.choices)
    nationalite = models.CharField(
        "nationalité",
        max_length=20,
        choices=Nationalite.choices,
        default=Nationalite.NON_RENSEIGNEE,
    )
    titre_sejour_fin = models.DateField("fin de validité du titre de séjour", null=True, blank=True)

    class Meta:
        verbose_name = "personne"
        ordering = ["menage_id", "role", "date_naissance"]
        constraints = [
            models.UniqueConstraint(
                fields=["menage"],
                condition=Q(role="demandeur"),
                name="personne_un_demandeur_par_menage",
                violation_error_message="Le ménage a déjà un demandeur principal.",
            ),
        ]

    def __str__(self):
        return self.nom_complet

    @property
    def nom_complet(self) -> str:
        return f"{self.prenom} {self.nom.upper()}"

    def clean(self):
        aujourdhui = timezone.localdate()
        if self.date_naissance and self.date_naissance > aujourdhui:
            raise ValidationError({"date_naissance": "La date de naissance est dans le futur."})
        if self.date_naissance and self.date_naissance.year < 1900:
            raise ValidationError({"date_naissance": "Date de naissance invraisemblable."})
        if self.titre_sejour_fin and self.nationalite != self.Nationalite.HORS_UE:
            raise ValidationError(
                {"titre_sejour_fin": "Un titre de séjour ne concerne qu'une personne hors UE."}
            )

    def save(self, *args, **kwargs):
        from logement.text import normaliser

        self.nom_normalise = normaliser(f"{self.nom} {self.prenom}")
        super().save(*args, **kwargs)


class SituationResidentielle(Horodatage):
    """Une étape du parcours d'une personne ; le parcours est l'historique de ces étapes."""

    personne = models.ForeignKey(
        Personne, verbose_name="personne", on_delete=models.CASCADE, related_name="situations"
    )
    type = models.ForeignKey(
        TypeSituation, verbose_name="situation", on_delete=models.PROTECT, related_name="+"
    )
    date_debut = models.DateField("depuis le")
    date_fin = models.DateField("jusqu'au", null=True, blank=True)
    commune = models.CharField("commune", max_length=120, blank=True, default="")
    commentaire = models.CharField("commentaire", max_length=250, blank=True, default="")

    class Meta:
        verbose_name = "situation résidentielle"
        verbose_name_plural = "situations résidentielles"
        ordering = ["personne_id", "-date_debut"]
        indexes = [
            models.Index(fields=["personne", "date_debut"], name="situation_personne_date"),
            # Liste de l'API, triée par date de début : sans lui, chaque page trie tout.
            models.Index(fields=["date_debut", "id"], name="situation_date_debut"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_fin__isnull=True) | Q(date_fin__gte=F("date_debut")),
                name="situation_dates_ordonnees",
                violation_error_message="La fin de la situation précède son début.",
            ),
            models.UniqueConstraint(
                fields=["personne"],
                condition=Q(date_fin__isnull=True),
                name="situation_une_en_cours_par_personne",
                violation_error_message="Cette personne a déjà une situation en cours : "
                "clôturez-la d'abord.",
            ),
        ]

    def __str__(self):
        return f"{self.type} depuis le {self.date_debut:%d/%m/%Y}"

    def clean(self):
        verifier_ordre_dates(self, ("date_debut", "date_fin", "La fin précède le début."))
        if not (self.personne_id and self.date_debut):
            return
        fin = self.date_fin or timezone.localdate().replace(year=9999)
        chevauchement = (
            SituationResidentielle.objects.filter(personne_id=self.personne_id)
            .exclude(pk=self.pk)
            .filter(date_debut__lte=fin)
            .filter(Q(date_fin__isnull=True) | Q(date_fin__gte=self.date_debut))
        )
        if chevauchement.exists():
            raise ValidationError(
                "Cette période chevauche une autre situation de la même personne."
            )


class Ressource(Horodatage):
    menage = models.ForeignKey(
        Menage, verbose_name="ménage", on_delete=models.CASCADE, related_name="ressources"
    )
    personne = models.ForeignKey(
        Personne,
        verbose_name="bénéficiaire",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ressources",
    )
    type = models.ForeignKey(
        TypeRessource, verbose_name="type", on_delete=models.PROTECT, related_name="+"
    )
    montant_mensuel = models.DecimalField(
        "montant mensuel (€)",
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(0, "Le montant ne peut pas être négatif.")],
    )
    date_debut = models.DateField("depuis le", null=True, blank=True)
    date_fin = models.DateField("jusqu'au", null=True, blank=True)

    class Meta:
        verbose_name = "ressource"
        ordering = ["menage_id", "type_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(montant_mensuel__gte=0),
                name="ressource_montant_positif",
                violation_error_message="Le montant ne peut pas être négatif.",
            ),
            models.CheckConstraint(
                condition=Q(date_fin__isnull=True)
                | Q(date_debut__isnull=True)
                | Q(date_fin__gte=F("date_debut")),
                name="ressource_dates_ordonnees",
                violation_error_message="La fin de la ressource précède son début.",
            ),
        ]

    def __str__(self):
        return f"{self.type} : {self.montant_mensuel} €/mois"

    def clean(self):
        verifier_ordre_dates(self, ("date_debut", "date_fin", "La fin précède le début."))
        if self.personne_id and self.menage_id and self.personne.menage_id != self.menage_id:
            raise ValidationError({"personne": "Cette personne n'appartient pas au ménage."})


class Consentement(Horodatage):
    """Information donnée au ménage et son adhésion à l'accompagnement (libre adhésion)."""

    class Adhesion(models.TextChoices):
        ACCEPTEE = "acceptee", "Adhésion recueillie"
        REFUSEE = "refusee", "Refus"
        RETIREE = "retiree", "Adhésion retirée"

    menage = models.ForeignKey(
        Menage, verbose_name="ménage", on_delete=models.CASCADE, related_name="consentements"
    )
    date = models.DateField("date", default=timezone.localdate)
    information_donnee = models.BooleanField(
        "information sur le traitement des données remise", default=True
    )
    adhesion = models.CharField("adhésion", max_length=20, choices=Adhesion.choices)
    recueilli_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="recueilli par",
        on_delete=models.PROTECT,
        related_name="+",
    )
    commentaire = models.CharField("commentaire", max_length=250, blank=True, default="")

    class Meta:
        verbose_name = "consentement"
        ordering = ["menage_id", "-date"]

    def __str__(self):
        return f"{self.get_adhesion_display()} le {self.date:%d/%m/%Y}"

    def clean(self):
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": "La date est dans le futur."})


# --- Prévention des expulsions ------------------------------------------------------------------


class ProcedureExpulsion(Horodatage):
    class Issue(models.TextChoices):
        EN_COURS = "en_cours", "En cours"
        MAINTIEN = "maintien", "Maintien dans le logement"
        PLAN_APUREMENT = "plan_apurement", "Plan d'apurement respecté"
        RELOGEMENT = "relogement", "Relogement"
        EXPULSION = "expulsion", "Expulsion réalisée"
        DEPART = "depart", "Départ volontaire"

    ISSUES_EVITEES = (Issue.MAINTIEN, Issue.PLAN_APUREMENT, Issue.RELOGEMENT)

    menage = models.ForeignKey(
        Menage, verbose_name="ménage", on_delete=models.CASCADE, related_name="procedures"
    )
    date_signalement = models.DateField("signalée le")
    bailleur = models.CharField("bailleur", max_length=200, blank=True, default="")
    montant_dette = models.DecimalField(
        "dette locative (€)",
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0, "Le montant ne peut pas être négatif.")],
    )
    issue = models.CharField(
        "issue", max_length=20, choices=Issue.choices, default=Issue.EN_COURS, db_index=True
    )
    date_cloture = models.DateField("close le", null=True, blank=True)

    class Meta:
        verbose_name = "procédure d'expulsion"
        verbose_name_plural = "procédures d'expulsion"
        ordering = ["-date_signalement"]
        constraints = [
            models.CheckConstraint(
                condition=Q(montant_dette__gte=0),
                name="procedure_dette_positive",
                violation_error_message="La dette ne peut pas être négative.",
            ),
            models.CheckConstraint(
                condition=Q(date_cloture__isnull=True) | Q(date_cloture__gte=F("date_signalement")),
                name="procedure_dates_ordonnees",
                violation_error_message="La clôture précède le signalement.",
            ),
            models.CheckConstraint(
                condition=Q(issue="en_cours", date_cloture__isnull=True)
                | (~Q(issue="en_cours") & Q(date_cloture__isnull=False)),
                name="procedure_issue_et_cloture",
                violation_error_message="Une procédure close a une issue et une date de clôture.",
            ),
        ]

    def __str__(self):
        return f"Procédure du {self.date_signalement:%d/%m/%Y} ({self.get_issue_display()})"

    def clean(self):
        verifier_ordre_dates(
            self, ("date_signalement", "date_cloture", "La clôture précède le signalement.")
        )
        if self.issue != self.Issue.EN_COURS and not self.date_cloture:
            raise ValidationError({"date_cloture": "Indiquez la date de clôture."})
        if self.issue == self.Issue.EN_COURS and self.date_cloture:
            raise ValidationError({"issue": "Une procédure close doit avoir une issue."})


class EtapeProcedure(Horodatage):
    class Etape(models.TextChoices):
        # Ordre légal de la procédure : l'ordre des valeurs sert à comparer les étapes.
        IMPAYES = "01_impayes", "Impayés"
        COMMANDEMENT_PAYER = "02_commandement_payer", "Commandement de payer"
        ASSIGNATION = "03_assignation", "Assignation"
        JUGEMENT = "04_jugement", "Jugement"
        COMMANDEMENT_QUITTER = "05_commandement_quitter", "Commandement de quitter les lieux"
        CONCOURS_FORCE_PUBLIQUE = "06_concours_force_publique", "Concours de la force publique"
        EXPULSION = "07_expulsion", "Expulsion"

    procedure = models.ForeignKey(
        ProcedureExpulsion,
        verbose_name="procédure",
        on_delete=models.CASCADE,
        related_name="etapes",
    )
    etape = models.CharField("étape", max_length=40, choices=Etape.choices)
    date = models.DateField("date")
    commentaire = models.CharField("commentaire", max_length=250, blank=True, default="")

    class Meta:
        verbose_name = "étape de procédure"
        verbose_name_plural = "étapes de procédure"
        ordering = ["procedure_id", "date", "etape"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "etape"],
                name="etape_unique_par_procedure",
                violation_error_message="Cette étape est déjà enregistrée pour la procédure.",
            ),
        ]

    def __str__(self):
        return f"{self.get_etape_display()} le {self.date:%d/%m/%Y}"

    def clean(self):
        if not (self.procedure_id and self.date):
            return
        if self.date < self.procedure.date_signalement:
            raise ValidationError({"date": "L'étape précède le signalement de la procédure."})
        if self.etape == self.Etape.EXPULSION and _en_treve_hivernale(self.date):
            raise ValidationError(
                {"date": "Aucune expulsion pendant la trêve hivernale (1er novembre – 31 mars)."}
            )
        autres = EtapeProcedure.objects.filter(procedure_id=self.procedure_id).exclude(pk=self.pk)
        if autres.filter(etape__lt=self.etape, date__gt=self.date).exists():
            raise ValidationError({"date": "Une étape antérieure de la procédure est datée après."})
        if autres.filter(etape__gt=self.etape, date__lt=self.date).exists():
            raise ValidationError({"date": "Une étape ultérieure de la procédure est datée avant."})


class ActionPrevention(Horodatage):
    class Type(models.TextChoices):
        VISITE_EXPLICATIVE = "visite_explicative", "Visite explicative de jugement"
        PLAN_APUREMENT = "plan_apurement", "Plan d'apurement"
        AIDE_FSL = "aide_fsl", "Aide du FSL"
        SAISINE_CCAPEX = "saisine_ccapex", "Saisine de la CCAPEX"
        DIAGNOSTIC = "diagnostic", "Diagnostic social et financier"

    procedure = models.ForeignKey(
        ProcedureExpulsion,
        verbose_name="procédure",
        on_delete=models.CASCADE,
        related_name="actions",
    )
    type = models.CharField("action", max_length=30, choices=Type.choices)
    date = models.DateField("date")
    commentaire = models.CharField("commentaire", max_length=250, blank=True, default="")

    class Meta:
        verbose_name = "action de prévention"
        verbose_name_plural = "actions de prévention"
        ordering = ["procedure_id", "date"]

    def __str__(self):
        return f"{self.get_type_display()} le {self.date:%d/%m/%Y}"

    def clean(self):
        if self.procedure_id and self.date and self.date < self.procedure.date_signalement:
            raise ValidationError({"date": "L'action précède le signalement de la procédure."})


def _en_treve_hivernale(jour) -> bool:
    return jour.month >= 11 or jour.month <= 3
