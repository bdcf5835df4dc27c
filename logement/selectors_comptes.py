"""Ressort de la gestion des comptes : quels comptes, territoires et structures un gestionnaire
(agent départemental, administrateur) peut voir et attribuer."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from .models import Habilitation, Role, Structure, Territoire, User


@dataclass(frozen=True)
class Ressort:
    """L'administrateur gère tout ; l'agent départemental, ce qui relève de ses Départements :
    leurs territoires (le Département, ses EPCI et plateformes) et les structures qui y sont
    rattachées, ainsi que les comptes qui y ont (ou y ont eu) une habilitation."""

    tout: bool = False
    departement_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def de(cls, user) -> Ressort:
        perimetre = user.perimetre
        if perimetre.tout:
            return cls(tout=True)
        if not perimetre.a_role(Role.AGENT_DEPARTEMENTAL):
            return cls()
        departements = (
            Habilitation.objects.actives()
            .filter(user=user, role=Role.AGENT_DEPARTEMENTAL)
            .values_list("territoire_id", flat=True)
        )
        return cls(departement_ids=frozenset(departements))

    def territoires(self):
        if self.tout:
            return Territoire.objects.all()
        return Territoire.objects.filter(
            Q(id__in=self.departement_ids) | Q(parent_id__in=self.departement_ids)
        )

    def structures(self):
        if self.tout:
            return Structure.objects.all()
        return Structure.objects.filter(
            Q(territoire_id__in=self.departement_ids)
            | Q(territoire__parent_id__in=self.departement_ids)
        )

    def habilitations(self):
        """Habilitations (actives, passées ou à venir) que ce gestionnaire peut terminer."""
        if self.tout:
            return Habilitation.objects.all()
        return Habilitation.objects.filter(
            Q(territoire__in=self.territoires()) | Q(structure__in=self.structures())
        )

    def utilisateurs(self):
        if self.tout:
            return User.objects.all()
        return User.objects.filter(id__in=self.habilitations().values("user_id"))

    def contient(self, habilitation: Habilitation) -> bool:
        if self.tout:
            return True
        territoire = habilitation.territoire
        structure = habilitation.structure
        cibles = [t for t in (territoire, structure and structure.territoire) if t]
        return any(
            t.id in self.departement_ids or t.parent_id in self.departement_ids for t in cibles
        )


def habilitations_en_cours(jour=None):
    """Habilitations en cours à la date donnée, que le compte soit actif ou non."""
    jour = jour or timezone.localdate()
    return Habilitation.objects.filter(
        Q(date_debut__lte=jour) & (Q(date_fin__isnull=True) | Q(date_fin__gte=jour))
    )


def administrateurs_actifs():
    """Comptes actifs qui administrent la plateforme (superutilisateur ou rôle administrateur)."""
    return User.objects.filter(is_active=True).filter(
        Q(is_superuser=True)
        | Q(id__in=habilitations_en_cours().filter(role=Role.ADMINISTRATEUR).values("user_id"))
    )


def est_administrateur(user) -> bool:
    return administrateurs_actifs().filter(pk=user.pk).exists()


def comptes_du_ressort(ressort: Ressort, *, recherche="", role="", statut=""):
    """Liste filtrée des comptes, leurs habilitations en cours préchargées (nombre de requêtes
    constant)."""
    comptes = ressort.utilisateurs()
    for mot in recherche.split()[:5]:
        comptes = comptes.filter(
            Q(last_name__icontains=mot)
            | Q(first_name__icontains=mot)
            | Q(email__icontains=mot)
            | Q(username__icontains=mot)
        )
    if role:
        comptes = comptes.filter(
            id__in=habilitations_en_cours().filter(role=role).values("user_id")
        )
    if statut == "actif":
        comptes = comptes.filter(is_active=True)
    elif statut == "inactif":
        comptes = comptes.filter(is_active=False)
    return comptes.prefetch_related(
        Prefetch(
            "habilitations",
            queryset=habilitations_en_cours().select_related("structure", "territoire"),
            to_attr="habilitations_en_cours",
        )
    ).order_by("last_name", "first_name", "pk")
