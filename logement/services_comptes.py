"""Écritures de la gestion des comptes : invitation, habilitations, désactivation.

Chaque fonction revérifie le ressort du gestionnaire (`par`) : le formulaire borne déjà les
choix, mais une écriture hors ressort ne doit jamais passer, même appelée d'ailleurs.
"""

from __future__ import annotations

import re
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Habilitation, Role, User
from .selectors_comptes import Ressort, administrateurs_actifs, est_administrateur

LONGUEUR_IDENTIFIANT = 40


def _tracer(action, **kwargs):
    """Trace dans le journal (même transaction : pas d'écriture sans sa trace), quand
    l'application journal est installée ; les créations et modifications de User et
    Habilitation y sont de plus tracées par signaux."""
    if not apps.is_installed("journal"):
        return
    from journal.services import tracer

    tracer(action, **kwargs)


# --- Vérifications de ressort -------------------------------------------------------------------


def verifier_attribution(par, *, role, structure, territoire) -> None:
    """Lève une ValidationError (en français, par champ) si `par` ne peut pas donner ce rôle."""
    ressort = Ressort.de(par)
    if ressort.tout:
        return
    if not ressort.departement_ids:
        raise PermissionDenied(
            "Seuls un agent départemental ou un administrateur gèrent les comptes."
        )
    erreurs = {}
    if role == Role.ADMINISTRATEUR:
        erreurs["role"] = "Seul un administrateur peut attribuer le rôle administrateur."
    if structure is not None and not ressort.structures().filter(pk=structure.pk).exists():
        erreurs["structure"] = "Cette structure n'est pas rattachée à votre Département."
    if territoire is not None and not ressort.territoires().filter(pk=territoire.pk).exists():
        erreurs["territoire"] = "Ce territoire n'est pas dans votre Département."
    if erreurs:
        raise ValidationError(erreurs)


def verifier_gestion_du_compte(par, cible: User) -> None:
    """Un agent départemental ne modifie pas un compte administrateur."""
    if not Ressort.de(par).tout and est_administrateur(cible):
        raise PermissionDenied(
            "Seul un administrateur peut modifier le compte d'un administrateur."
        )


def _verifier_pas_le_dernier_administrateur(cible: User, message: str) -> None:
    # Verrouille les comptes administrateurs : deux retraits simultanés ne laissent pas zéro.
    administrateurs = list(
        administrateurs_actifs().select_for_update().values_list("pk", flat=True)
    )
    if cible.pk in administrateurs and len(administrateurs) <= 1:
        raise ValidationError(message)


# --- Invitation ---------------------------------------------------------------------------------


def identifiant_libre(email: str) -> str:
    """Identifiant dérivé de la partie locale de l'e-mail ; suffixe -2, -3… s'il est pris."""
    base = re.sub(r"[^\w.+-]", "", email.split("@")[0].lower(), flags=re.ASCII)
    base = base[:LONGUEUR_IDENTIFIANT] or "utilisateur"
    pris = set(User.objects.filter(username__istartswith=base).values_list("username", flat=True))
    pris = {p.lower() for p in pris}
    candidat, n = base, 1
    while candidat in pris:
        n += 1
        candidat = f"{base}-{n}"
    return candidat


def lien_definition_mot_de_passe(user: User, *, base_url: str) -> str:
    """Lien à usage unique (jeton de réinitialisation de Django : invalide dès que le mot de
    passe change, expire après PASSWORD_RESET_TIMEOUT)."""
    chemin = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return base_url.rstrip("/") + chemin


def envoyer_invitation(user: User, *, par: User, base_url: str) -> None:
    contexte = {
        "user": user,
        "par": par,
        "lien": lien_definition_mot_de_passe(user, base_url=base_url),
        "validite_jours": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    send_mail(
        subject="Votre compte sur la plateforme Logement d'abord",
        message=render_to_string("comptes_gestion/email_invitation.txt", contexte),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def inviter_utilisateur(
    *, prenom, nom, email, role, structure=None, territoire=None, par: User, base_url: str
) -> User:
    """Crée le compte (sans mot de passe utilisable) et sa première habilitation, puis envoie le
    lien de définition du mot de passe. Si l'envoi échoue, rien n'est créé."""
    email = User.objects.normalize_email(email.strip())
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Un compte existe déjà avec cette adresse e-mail."})
    verifier_attribution(par, role=role, structure=structure, territoire=territoire)
    user = User(
        username=identifiant_libre(email),
        first_name=prenom.strip(),
        last_name=nom.strip(),
        email=email,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    ajouter_habilitation(user, role=role, structure=structure, territoire=territoire, par=par)
    _tracer("invitation", objet=user, details={"email": email, "role": role})
    envoyer_invitation(user, par=par, base_url=base_url)
    return user


# --- Habilitations ------------------------------------------------------------------------------


@transaction.atomic
def ajouter_habilitation(
    user: User, *, role, structure=None, territoire=None, date_debut=None, date_fin=None, par
) -> Habilitation:
    verifier_gestion_du_compte(par, user)
    verifier_attribution(par, role=role, structure=structure, territoire=territoire)
    habilitation = Habilitation(
        user=user,
        role=role,
        structure=structure,
        territoire=territoire,
        date_debut=date_debut or timezone.localdate(),
        date_fin=date_fin,
    )
    habilitation.full_clean()
    habilitation.save()
    return habilitation


@transaction.atomic
def terminer_habilitation(habilitation: Habilitation, *, par, jour=None) -> Habilitation | None:
    """Fin au jour donné (aujourd'hui par défaut : elle vaut jusqu'au soir), jamais de
    suppression : l'historique des droits reste.

    Seule exception : une habilitation qui n'a pas encore commencé n'a jamais donné de droit ;
    la terminer ne peut pas la faire finir avant son début (contrainte du modèle), on l'annule
    donc (suppression, tracée par le journal) plutôt que de lui laisser un jour d'effet.
    Renvoie l'habilitation terminée, ou None si elle a été annulée.
    """
    jour = jour or timezone.localdate()
    habilitation = (
        Habilitation.objects.select_for_update(of=("self",))
        .select_related("user", "territoire", "structure__territoire")
        .get(pk=habilitation.pk)
    )
    if not Ressort.de(par).contient(habilitation):
        raise PermissionDenied("Cette habilitation n'est pas dans votre ressort.")
    verifier_gestion_du_compte(par, habilitation.user)
    if habilitation.date_fin is not None and habilitation.date_fin < jour:
        raise ValidationError("Cette habilitation est déjà terminée.")
    if habilitation.role == Role.ADMINISTRATEUR and not habilitation.user.is_superuser:
        _verifier_pas_le_dernier_administrateur(
            habilitation.user,
            "C'est le dernier administrateur actif : désignez-en un autre avant de lui retirer "
            "ce rôle.",
        )
    if habilitation.date_debut > jour:
        habilitation.delete()
        return None
    habilitation.date_fin = jour
    habilitation.full_clean()
    habilitation.save(update_fields=["date_fin", "modifie_le"])
    return habilitation


@transaction.atomic
def changer_habilitation(
    habilitation: Habilitation,
    *,
    role,
    structure=None,
    territoire=None,
    date_debut=None,
    date_fin=None,
    par,
) -> Habilitation:
    """Changer = terminer l'ancienne aujourd'hui et créer la nouvelle (l'historique reste)."""
    terminer_habilitation(habilitation, par=par)
    return ajouter_habilitation(
        habilitation.user,
        role=role,
        structure=structure,
        territoire=territoire,
        date_debut=date_debut,
        date_fin=date_fin,
        par=par,
    )


# --- Activation ---------------------------------------------------------------------------------


def fermer_sessions(user: User) -> int:
    """Supprime les sessions ouvertes de ce compte (moteurs de session en base) ; renvoie leur
    nombre. Quel que soit le moteur, un compte inactif n'est de toute façon plus authentifié."""
    moteur = import_module(settings.SESSION_ENGINE)
    if settings.SESSION_ENGINE not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return 0
    fermees = 0
    identifiant = str(user.pk)
    sessions = Session.objects.filter(expire_date__gt=timezone.now())
    for session in sessions.iterator():
        if session.get_decoded().get("_auth_user_id") == identifiant:
            moteur.SessionStore(session_key=session.session_key).delete()
            fermees += 1
    return fermees


@transaction.atomic
def desactiver_compte(user: User, *, par: User) -> int:
    """Désactive le compte et ferme ses sessions ; renvoie le nombre de sessions fermées."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == par.pk:
        raise ValidationError("Vous ne pouvez pas désactiver votre propre compte.")
    verifier_gestion_du_compte(par, user)
    if not user.is_active:
        raise ValidationError("Ce compte est déjà désactivé.")
    ressort = Ressort.de(par)
    if not ressort.tout:
        non_terminees = Habilitation.objects.filter(user=user).filter(
            Q(date_fin__isnull=True) | Q(date_fin__gte=timezone.localdate())
        )
        if not all(
            ressort.contient(h)
            for h in non_terminees.select_related("territoire", "structure__territoire")
        ):
            raise ValidationError(
                "Ce compte est aussi habilité hors de votre Département : seul un administrateur "
                "peut le désactiver. Vous pouvez terminer ses habilitations de votre Département."
            )
    _verifier_pas_le_dernier_administrateur(
        user, "C'est le dernier administrateur actif : il ne peut pas être désactivé."
    )
    user.is_active = False
    user.save(update_fields=["is_active"])
    fermees = fermer_sessions(user)
    _tracer(
        "habilitation",
        objet=user,
        details={"operation": "desactivation", "sessions_fermees": fermees},
    )
    return fermees


@transaction.atomic
def reactiver_compte(user: User, *, par: User) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    verifier_gestion_du_compte(par, user)
    if user.is_active:
        raise ValidationError("Ce compte est déjà actif.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    _tracer("habilitation", objet=user, details={"operation": "reactivation"})
    return user
