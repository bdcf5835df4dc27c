"""Socle commun : territoires, structures, comptes utilisateurs et habilitations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Referentiel(models.Model):
    """Base des tables de référence : des données modifiables dans l'admin, pas des constantes."""

    code = models.SlugField("code", max_length=40, unique=True)
    libelle = models.CharField("libellé", max_length=200)
    ordre = models.PositiveSmallIntegerField("ordre d'affichage", default=0)
    actif = models.BooleanField("actif", default=True)

    class Meta:
        abstract = True
        ordering = ["ordre", "libelle"]

    def __str__(self):
        return self.libelle


class Horodatage(models.Model):
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True, db_index=True)

    class Meta:
        abstract = True


def verifier_ordre_dates(obj, *paires):
    """Lève une ValidationError par champ quand une date précède celle dont elle dépend.

    `paires` : (champ_avant, champ_apres, message) ; les dates vides sont ignorées.
    """
    erreurs = {}
    for avant, apres, message in paires:
        d1, d2 = getattr(obj, avant), getattr(obj, apres)
        if d1 and d2 and d2 < d1:
            erreurs.setdefault(apres, message)
    if erreurs:
        raise ValidationError(erreurs)


class TerritoireQuerySet(models.QuerySet):
    def visible_to(self, user):
        perimetre = user.perimetre
        if perimetre.tout:
            return self
        return self.filter(id__in=perimetre.territoire_ids)


class Territoire(models.Model):
    class Niveau(models.TextChoices):
        DEPARTEMENT = "departement", "Département"
        EPCI = "epci", "EPCI"
        PLATEFORME = "plateforme", "Plateforme territoriale"

    niveau = models.CharField("niveau", max_length=20, choices=Niveau.choices, db_index=True)
    code = models.CharField(
        "code officiel",
        max_length=20,
        help_text="Département : code INSEE (62, 2A, 971) ; EPCI : SIREN (9 chiffres) ; "
        "plateforme : code libre.",
    )
    nom = models.CharField("nom", max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name="département de rattachement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enfants",
        limit_choices_to={"niveau": "departement"},
    )
    perimetre = models.ManyToManyField(
        "self",
        verbose_name="EPCI couverts",
        symmetrical=False,
        blank=True,
        related_name="plateformes",
        limit_choices_to={"niveau": "epci"},
        help_text="Pour une plateforme : les EPCI de son périmètre.",
    )

    objects = TerritoireQuerySet.as_manager()

    class Meta:
        verbose_name = "territoire"
        ordering = ["niveau", "nom"]
        constraints = [
            models.UniqueConstraint(fields=["niveau", "code"], name="territoire_code_unique"),
            models.CheckConstraint(
                condition=Q(niveau="departement", parent__isnull=True)
                | (~Q(niveau="departement") & Q(parent__isnull=False)),
                name="territoire_parent_selon_niveau",
                violation_error_message="Un EPCI ou une plateforme doit être rattaché à un "
                "Département ; un Département n'a pas de parent.",
            ),
        ]

    def __str__(self):
        return f"{self.nom} ({self.get_niveau_display()})"

    FORMATS_CODE = {
        Niveau.DEPARTEMENT: (
            r"^(\d{2}|2A|2B|\d{3})$",
            "un code INSEE de Département (ex. 62, 2A, 971)",
        ),
        Niveau.EPCI: (r"^\d{9}$", "un SIREN à 9 chiffres"),
        Niveau.PLATEFORME: (r"^[\w-]{1,20}$", "un code sans espace"),
    }

    def clean(self):
        motif, attendu = self.FORMATS_CODE.get(self.niveau, (None, None))
        if motif and self.code and not re.match(motif, self.code):
            raise ValidationError({"code": f"Le code doit être {attendu}."})
        if self.parent_id and self.parent.niveau != self.Niveau.DEPARTEMENT:
            raise ValidationError({"parent": "Le parent doit être un Département."})

    @property
    def departement(self) -> Territoire:
        return self if self.niveau == self.Niveau.DEPARTEMENT else self.parent


class StructureQuerySet(models.QuerySet):
    def visible_to(self, user):
        perimetre = user.perimetre
        if perimetre.tout:
            return self
        return self.filter(
            Q(id__in=perimetre.structure_ids) | Q(territoire_id__in=perimetre.territoire_ids)
        )


class Structure(Horodatage):
    class Type(models.TextChoices):
        CHRS = "chrs", "Association CHRS"
        AML_IML = "aml_iml", "Association AML / IML"
        CCAS = "ccas", "CCAS"
        SIAO = "siao", "SIAO"
        DEPARTEMENT = "departement", "Service du Département"
        BAILLEUR = "bailleur", "Bailleur social"
        ETAT = "etat", "Service de l'État (DDETS)"
        EPCI = "epci", "Service d'un EPCI"
        AUTRE = "autre", "Autre"

    nom = models.CharField("nom", max_length=200)
    type = models.CharField("type", max_length=20, choices=Type.choices, db_index=True)
    siret = models.CharField("SIRET", max_length=14, blank=True, default="")
    territoire = models.ForeignKey(
        Territoire,
        verbose_name="territoire d'intervention",
        on_delete=models.PROTECT,
        related_name="structures",
    )
    adresse = models.CharField("adresse", max_length=250, blank=True, default="")
    commune = models.CharField("commune", max_length=120, blank=True, default="")
    actif = models.BooleanField("active", default=True)

    objects = StructureQuerySet.as_manager()

    class Meta:
        verbose_name = "structure"
        ordering = ["nom"]
        constraints = [
            models.UniqueConstraint(
                fields=["siret"],
                condition=~Q(siret=""),
                name="structure_siret_unique",
                violation_error_message="Une structure porte déjà ce SIRET.",
            ),
        ]

    def __str__(self):
        return self.nom

    def clean(self):
        if self.siret and not re.fullmatch(r"\d{14}", self.siret):
            raise ValidationError({"siret": "Le SIRET compte 14 chiffres."})


class User(AbstractUser):
    """Compte d'un agent ; ses droits viennent uniquement de ses habilitations."""

    telephone = models.CharField("téléphone", max_length=20, blank=True, default="")

    class Meta:
        verbose_name = "utilisateur"
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return self.get_full_name() or self.username

    @cached_property
    def perimetre(self) -> Perimetre:
        return Perimetre.pour(self)


class Role(models.TextChoices):
    REFERENT = "referent", "Référent (travailleur social)"
    COORDINATEUR = "coordinateur", "Coordinateur de plateforme"
    AGENT_DEPARTEMENTAL = "agent_departemental", "Agent départemental"
    COPILOTE = "copilote", "Co-pilote (EPCI, État)"
    ADMINISTRATEUR = "administrateur", "Administrateur"


class HabilitationQuerySet(models.QuerySet):
    def actives(self, jour=None):
        jour = jour or timezone.localdate()
        return self.filter(
            Q(date_debut__lte=jour) & (Q(date_fin__isnull=True) | Q(date_fin__gte=jour)),
            user__is_active=True,
        )


class Habilitation(Horodatage):
    """Un rôle donné à un utilisateur sur une structure et/ou un territoire."""

    user = models.ForeignKey(
        User, verbose_name="utilisateur", on_delete=models.CASCADE, related_name="habilitations"
    )
    role = models.CharField("rôle", max_length=30, choices=Role.choices, db_index=True)
    structure = models.ForeignKey(
        Structure,
        verbose_name="structure",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="habilitations",
    )
    territoire = models.ForeignKey(
        Territoire,
        verbose_name="territoire",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="habilitations",
    )
    date_debut = models.DateField("début", default=timezone.localdate)
    date_fin = models.DateField("fin", null=True, blank=True)

    objects = HabilitationQuerySet.as_manager()

    # Ce que chaque rôle exige : (structure, territoire, niveaux de territoire admis).
    EXIGENCES = {
        Role.REFERENT: (True, False, ()),
        Role.COORDINATEUR: (False, True, (Territoire.Niveau.PLATEFORME, Territoire.Niveau.EPCI)),
        Role.AGENT_DEPARTEMENTAL: (False, True, (Territoire.Niveau.DEPARTEMENT,)),
        Role.COPILOTE: (False, True, (Territoire.Niveau.EPCI, Territoire.Niveau.DEPARTEMENT)),
        Role.ADMINISTRATEUR: (False, False, ()),
    }

    class Meta:
        verbose_name = "habilitation"
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_fin__isnull=True) | Q(date_fin__gte=models.F("date_debut")),
                name="habilitation_dates_ordonnees",
                violation_error_message="La fin de l'habilitation précède son début.",
            ),
            models.CheckConstraint(
                condition=~Q(role="referent") | Q(structure__isnull=False),
                name="habilitation_referent_structure",
                violation_error_message="Un référent est habilité sur une structure.",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["coordinateur", "agent_departemental", "copilote"])
                | Q(territoire__isnull=False),
                name="habilitation_territoire_requis",
                violation_error_message="Ce rôle s'exerce sur un territoire.",
            ),
            # Trois contraintes partielles plutôt qu'une avec nulls_distinct (absent de SQLite).
            # Seules les habilitations sans fin sont uniques : une habilitation terminée reste dans
            # l'historique et le même rôle peut être redonné ensuite.
            models.UniqueConstraint(
                fields=["user", "role", "structure"],
                condition=Q(structure__isnull=False, date_fin__isnull=True),
                name="habilitation_unique_structure",
                violation_error_message="Cet utilisateur a déjà ce rôle dans cette structure.",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "territoire"],
                condition=Q(territoire__isnull=False, date_fin__isnull=True),
                name="habilitation_unique_territoire",
                violation_error_message="Cet utilisateur a déjà ce rôle sur ce territoire.",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(structure__isnull=True, territoire__isnull=True, date_fin__isnull=True),
                name="habilitation_unique_globale",
                violation_error_message="Cet utilisateur a déjà ce rôle.",
            ),
        ]

    def __str__(self):
        cible = self.territoire or self.structure or "tous territoires"
        return f"{self.user} — {self.get_role_display()} — {cible}"

    def clean(self):
        exige_structure, exige_territoire, niveaux = self.EXIGENCES.get(
            self.role, (False, False, ())
        )
        erreurs = {}
        if exige_structure and not self.structure_id:
            erreurs["structure"] = "Un référent est habilité sur une structure."
        if exige_territoire and not self.territoire_id:
            erreurs["territoire"] = "Ce rôle s'exerce sur un territoire."
        elif niveaux and self.territoire_id and self.territoire.niveau not in niveaux:
            admis = ", ".join(Territoire.Niveau(n).label for n in niveaux)
            erreurs["territoire"] = f"Pour ce rôle, le territoire doit être : {admis}."
        if erreurs:
            raise ValidationError(erreurs)
        verifier_ordre_dates(self, ("date_debut", "date_fin", "La fin précède le début."))


@dataclass(frozen=True)
class Perimetre:
    """Ce qu'un utilisateur peut voir, calculé une fois par requête depuis ses habilitations.

    - `epci_ids` : EPCI dont il voit les données personnelles (coordinateur, agent départemental) ;
    - `structure_ids` : structures dont il suit les ménages (référent) ;
    - `agregats_epci_ids` : EPCI dont il ne voit que des agrégats (co-pilote) ;
    - `territoire_ids` : tous les territoires de son ressort (Départements, EPCI, plateformes).
    """

    tout: bool = False
    epci_ids: frozenset[int] = field(default_factory=frozenset)
    structure_ids: frozenset[int] = field(default_factory=frozenset)
    agregats_epci_ids: frozenset[int] = field(default_factory=frozenset)
    territoire_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def pour(cls, user) -> Perimetre:
        if not user or not user.is_authenticated or not user.is_active:
            return cls()
        if user.is_superuser:
            return cls(tout=True, roles=frozenset({Role.ADMINISTRATEUR}))
        habilitations = list(
            Habilitation.objects.actives().filter(user=user).select_related("territoire")
        )
        roles = frozenset(h.role for h in habilitations)
        if Role.ADMINISTRATEUR in roles:
            return cls(tout=True, roles=roles)
        structures = {h.structure_id for h in habilitations if h.role == Role.REFERENT}
        territoriales = [h for h in habilitations if h.role != Role.REFERENT]
        couverts = epci_couverts({h.territoire for h in territoriales})
        epci, agregats, territoires = set(), set(), set()
        for h in territoriales:
            t = h.territoire
            territoires |= couverts[t.id] | {t.id, t.parent_id or t.id}
            (agregats if h.role == Role.COPILOTE else epci).update(couverts[t.id])
        # Les plateformes qui couvrent un EPCI du ressort en font partie.
        if epci or agregats:
            territoires |= set(
                Territoire.objects.filter(perimetre__in=epci | agregats).values_list(
                    "id", flat=True
                )
            )
        return cls(
            epci_ids=frozenset(epci),
            structure_ids=frozenset(structures),
            agregats_epci_ids=frozenset(agregats | epci),
            territoire_ids=frozenset(territoires),
            roles=roles,
        )

    @property
    def voit_donnees_personnelles(self) -> bool:
        return self.tout or bool(self.epci_ids or self.structure_ids)

    def a_role(self, *roles) -> bool:
        return self.tout or bool(self.roles.intersection(roles))


def ressort(territoire) -> set[int]:
    """Le territoire et ce qu'il contient : les EPCI et plateformes d'un Département, les EPCI
    couverts par une plateforme."""
    if territoire.niveau == Territoire.Niveau.DEPARTEMENT:
        return {territoire.pk, *territoire.enfants.values_list("id", flat=True)}
    if territoire.niveau == Territoire.Niveau.PLATEFORME:
        return {territoire.pk, *territoire.perimetre.values_list("id", flat=True)}
    return {territoire.pk}


def epci_couverts(territoires) -> dict[int, set[int]]:
    """EPCI couverts par chaque territoire, en deux requêtes quel que soit leur nombre : un
    Département → ses EPCI ; un EPCI → lui-même ; une plateforme → les EPCI de son périmètre."""
    territoires = list(territoires)
    couverts = {t.id: set() for t in territoires}
    par_niveau = {n: [t.id for t in territoires if t.niveau == n] for n in Territoire.Niveau}
    for t in territoires:
        if t.niveau == Territoire.Niveau.EPCI:
            couverts[t.id].add(t.id)
    if par_niveau[Territoire.Niveau.DEPARTEMENT]:
        for epci_id, dep_id in Territoire.objects.filter(
            niveau=Territoire.Niveau.EPCI, parent_id__in=par_niveau[Territoire.Niveau.DEPARTEMENT]
        ).values_list("id", "parent_id"):
            couverts[dep_id].add(epci_id)
    if par_niveau[Territoire.Niveau.PLATEFORME]:
        for pf_id, epci_id in Territoire.perimetre.through.objects.filter(
            from_territoire_id__in=par_niveau[Territoire.Niveau.PLATEFORME]
        ).values_list("from_territoire_id", "to_territoire_id"):
            couverts[pf_id].add(epci_id)
    return couverts
