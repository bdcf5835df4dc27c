"""Imports de fichiers : le dépôt (fichier privé, correspondance des colonnes, essai à blanc),
sa confirmation, son exécution par une tâche et le rapport par ligne ; les correspondances de
colonnes mémorisées par structure et par genre ; le ressort d'import de chaque utilisateur."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.db.models import Q

from logement.models import Habilitation, Horodatage, Role, Structure, ressort

from .genres.base import Action

# Largeur du ressort par lequel on atteint une structure : un import n'est lu que par qui
# voit au moins aussi large que son déposant (le rapport montre les existants retrouvés avec
# les droits de ce dernier).
RANG_REFERENT, RANG_COORDINATEUR, RANG_AGENT, RANG_ADMINISTRATEUR = 1, 2, 3, 4
RANGS = {
    Role.REFERENT: RANG_REFERENT,
    Role.COORDINATEUR: RANG_COORDINATEUR,
    Role.AGENT_DEPARTEMENTAL: RANG_AGENT,
}


@dataclass(frozen=True)
class DroitsImports:
    """Les structures vers lesquelles un utilisateur importe, avec le rang de son rôle le plus
    large sur chacune.

    Calculé rôle par rôle depuis ses habilitations actives (comme `DroitsBilans`) :
    Référent : ses structures ; coordinateur : les structures de sa plateforme, de ses EPCI et
    celles rattachées au Département (celles qu'il choisit pour ouvrir une mesure) ; agent
    départemental : celles de son Département et de ses EPCI et plateformes ; co-pilote :
    aucune ; administrateur : toutes.

    Lecture : l'aperçu d'un import montre les existants retrouvés avec les droits de son
    déposant. Deux coordinateurs de plateformes voisines partagent les structures
    départementales sans partager leurs ménages : référent et coordinateur ne lisent donc que
    leurs propres imports ; l'agent départemental, ceux des structures de son Département
    (tout ce qu'ils montrent est dans son ressort)."""

    tout: bool = False
    rangs: dict[int, int] = field(default_factory=dict)  # structure → rang
    user_id: int | None = None

    @classmethod
    def pour(cls, user) -> DroitsImports:
        perimetre = user.perimetre
        if perimetre.tout:
            return cls(tout=True)
        if not user.is_authenticated:
            return cls()
        habilitations = (
            Habilitation.objects.actives()
            .filter(user=user, role__in=tuple(RANGS))
            .select_related("territoire")
        )
        rangs: dict[int, int] = {}
        territoires: dict[int, int] = {}
        for h in habilitations:
            rang = RANGS[h.role]
            if h.role == Role.REFERENT:
                rangs[h.structure_id] = max(rangs.get(h.structure_id, 0), rang)
            elif h.territoire_id:
                couverts = ressort(h.territoire)
                if h.role == Role.COORDINATEUR and h.territoire.parent_id:
                    # Comme pour ouvrir une mesure : les structures départementales qui
                    # interviennent sur sa plateforme (Structure.objects.visible_to).
                    couverts.add(h.territoire.parent_id)
                for t in couverts:
                    territoires[t] = max(territoires.get(t, 0), rang)
        if territoires:
            for pk, territoire_id in Structure.objects.filter(
                territoire_id__in=territoires
            ).values_list("id", "territoire_id"):
                rangs[pk] = max(rangs.get(pk, 0), territoires[territoire_id])
        return cls(rangs=rangs, user_id=user.pk)

    @property
    def structure_ids(self) -> frozenset[int]:
        return frozenset(self.rangs)

    @property
    def peut_importer(self) -> bool:
        return self.tout or bool(self.rangs)

    def couvre(self, structure) -> bool:
        return self.tout or structure.pk in self.rangs

    def rang(self, structure) -> int:
        return RANG_ADMINISTRATEUR if self.tout else self.rangs.get(structure.pk, 0)

    def condition_lecture(self) -> Q:
        """Ses propres imports (vers une structure encore de son ressort) ; pour l'agent
        départemental, tous ceux des structures de son Département, sauf ceux d'un
        administrateur."""
        condition = Q(structure_id__in=self.structure_ids, depose_par_id=self.user_id)
        agent = [pk for pk, r in self.rangs.items() if r == RANG_AGENT]
        if agent:
            condition |= Q(structure_id__in=agent, rang_depot__lte=RANG_AGENT)
        return condition

    def structures(self):
        """Les structures actives offertes au dépôt."""
        structures = Structure.objects.filter(actif=True)
        if not self.tout:
            structures = structures.filter(id__in=self.structure_ids)
        return structures.select_related("territoire").order_by("nom")


def droits_imports(user) -> DroitsImports:
    """Une fois par requête (mis en cache sur l'utilisateur, comme `user.perimetre`)."""
    droits = getattr(user, "_droits_imports", None)
    if droits is None:
        droits = DroitsImports.pour(user)
        user._droits_imports = droits
    return droits


class ImportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Le seul contrôle de lecture : liste, fiche, état, fichiers et rapport en partent."""
        droits = droits_imports(user)
        if droits.tout:
            return self
        return self.filter(droits.condition_lecture())


class Import(Horodatage):
    class Statut(models.TextChoices):
        ESSAI = "essai", "Essai à blanc"
        EN_ATTENTE = "en_attente", "Confirmé, en attente"
        EN_COURS = "en_cours", "En cours"
        TERMINE = "termine", "Terminé"
        ECHEC = "echec", "En échec"
        ABANDONNE = "abandonne", "Abandonné"

    genre = models.CharField("genre", max_length=40)
    structure = models.ForeignKey(
        Structure, verbose_name="structure", on_delete=models.PROTECT, related_name="imports"
    )
    depose_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="déposé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="imports_deposes",
    )
    rang_depot = models.PositiveSmallIntegerField(
        "rang du déposant",
        default=RANG_REFERENT,
        help_text="1 référent, 2 coordinateur, 3 agent départemental, 4 administrateur : seuls "
        "ceux qui voient la structure au moins aussi large lisent l'import.",
    )
    # Stockage privé (PRIVATE_MEDIA_ROOT) : servi seulement par la vue de téléchargement ;
    # effacé quand l'import est abandonné.
    fichier = models.FileField("fichier", upload_to="imports/%Y/%m/", blank=True)
    nom_fichier = models.CharField("nom du fichier", max_length=255)
    format = models.CharField("format", max_length=10)
    taille = models.PositiveIntegerField("taille (octets)", default=0)
    empreinte = models.CharField("empreinte SHA-256", max_length=64, blank=True, default="")
    correspondance = models.JSONField(
        "correspondance des colonnes",
        default=list,
        blank=True,
        help_text="Un élément par colonne du fichier : en-tête, colonne du genre (vide : "
        "ignorée), origine du choix.",
    )
    details = models.JSONField("détails de lecture", default=dict, blank=True)
    statut = models.CharField(
        "état", max_length=20, choices=Statut.choices, default=Statut.ESSAI, db_index=True
    )
    # Essai à blanc (le dernier) : ce que l'import ferait.
    nb_lignes = models.PositiveIntegerField("lignes", default=0)
    nb_creations = models.PositiveIntegerField("créations prévues", default=0)
    nb_mises_a_jour = models.PositiveIntegerField("mises à jour prévues", default=0)
    nb_ignorees = models.PositiveIntegerField("lignes ignorées", default=0)
    nb_doublons = models.PositiveIntegerField("doublons", default=0)
    nb_erreurs = models.PositiveIntegerField("lignes en erreur", default=0)
    analyse_le = models.DateTimeField("essai à blanc du", null=True, blank=True)
    # Import confirmé : ce qu'il a fait.
    crees = models.PositiveIntegerField("créés", default=0)
    mis_a_jour = models.PositiveIntegerField("mis à jour", default=0)
    ignores = models.PositiveIntegerField("ignorés", default=0)
    confirme_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="confirmé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="imports_confirmes",
    )
    confirme_le = models.DateTimeField("confirmé le", null=True, blank=True)
    commence_le = models.DateTimeField("commencé le", null=True, blank=True)
    termine_le = models.DateTimeField("terminé le", null=True, blank=True)
    progression = models.PositiveSmallIntegerField("progression (%)", default=0)
    etape = models.CharField("étape en cours", max_length=200, blank=True, default="")
    erreur = models.TextField("motif de l'échec", blank=True, default="")
    tentatives = models.PositiveSmallIntegerField("tentatives", default=0)
    tache_id = models.CharField("tâche Celery", max_length=64, blank=True, default="")
    expedie_le = models.DateTimeField(
        "confié à la file le",
        null=True,
        blank=True,
        help_text="Vide tant que la file n'a pas accepté la tâche.",
    )

    objects = ImportQuerySet.as_manager()

    class Meta:
        verbose_name = "import"
        ordering = ["-cree_le", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progression__lte=100), name="import_progression_bornee"
            ),
        ]
        indexes = [models.Index(fields=["structure", "genre"])]

    def __str__(self):
        return f"Import n° {self.pk} — {self.nom_fichier}"

    @property
    def en_production(self) -> bool:
        return self.statut in (self.Statut.EN_ATTENTE, self.Statut.EN_COURS)

    @property
    def genre_libelle(self) -> str:
        from .services import genre_ou_none

        genre = genre_ou_none(self.genre)
        return genre.libelle if genre else self.genre


class LigneImport(models.Model):
    """Une ligne du fichier dans le rapport : ce que l'essai à blanc a prévu, la décision de
    l'utilisateur pour un doublon, les erreurs."""

    class Decision(models.TextChoices):
        METTRE_A_JOUR = Action.METTRE_A_JOUR.value, "Mettre à jour l'existant"
        CREER = Action.CREER.value, "Créer quand même"
        IGNORER = Action.IGNORER.value, "Ignorer la ligne"

    import_fichier = models.ForeignKey(
        Import, verbose_name="import", on_delete=models.CASCADE, related_name="lignes"
    )
    numero = models.PositiveIntegerField("ligne")
    action = models.CharField("action", max_length=20, choices=Action.choices)
    libelle = models.CharField("libellé", max_length=300, blank=True, default="")
    erreurs = models.JSONField("erreurs", default=list, blank=True)
    doublon = models.CharField("existant retrouvé", max_length=300, blank=True, default="")
    doublon_id = models.BigIntegerField("identifiant de l'existant", null=True, blank=True)
    decision = models.CharField(
        "décision", max_length=20, choices=Decision.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = "ligne d'import"
        verbose_name_plural = "lignes d'import"
        ordering = ["import_fichier_id", "numero"]
        constraints = [
            models.UniqueConstraint(
                fields=["import_fichier", "numero"], name="ligne_import_unique"
            ),
        ]
        indexes = [models.Index(fields=["import_fichier", "action", "numero"])]

    def __str__(self):
        return f"Ligne {self.numero} — {self.get_action_display()}"

    @property
    def action_retenue(self) -> str:
        """Ce que l'import fait de la ligne : la décision pour un doublon, sinon l'action."""
        if self.action == Action.DOUBLON and self.decision:
            return self.decision
        return self.action

    @property
    def action_retenue_libelle(self) -> str:
        if self.action == Action.DOUBLON and self.decision:
            return f"Doublon : {self.get_decision_display().lower()}"
        return self.get_action_display()


class CorrespondanceColonne(Horodatage):
    """Choix mémorisé : pour cette structure et ce genre, tel en-tête de fichier va dans telle
    colonne (ou est ignoré) ; repris au fichier suivant."""

    structure = models.ForeignKey(
        Structure,
        verbose_name="structure",
        on_delete=models.CASCADE,
        related_name="correspondances_import",
    )
    genre = models.CharField("genre", max_length=40)
    entete = models.CharField(
        "en-tête normalisé", max_length=200, help_text="Sans accents, casse ni ponctuation."
    )
    libelle = models.CharField("en-tête tel qu'écrit", max_length=300, blank=True, default="")
    colonne = models.CharField(
        "colonne", max_length=60, blank=True, default="", help_text="Vide : colonne ignorée."
    )
    modifie_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="choisie par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "correspondance de colonne"
        verbose_name_plural = "correspondances de colonnes"
        ordering = ["structure_id", "genre", "entete"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "genre", "entete"], name="correspondance_colonne_unique"
            ),
        ]

    def __str__(self):
        return f"{self.structure} — {self.genre} — {self.libelle or self.entete} → {self.colonne or 'ignorée'}"
