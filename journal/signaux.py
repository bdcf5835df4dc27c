"""Traçage automatique des créations, modifications et suppressions des modèles suivis, et des
connexions. Les écritures en masse (bulk_create, update(), COPY de seed_demo) ne passent pas
par les signaux de Django : elles ne sont pas tracées ici."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from . import suivi
from .models import Action
from .services import tracer

ATTRIBUT_AVANT = "_journal_avant"
ATTRIBUT_M2M = "_journal_m2m_avant"


def _avant(sender, instance, raw=False, **kwargs):
    """État en base avant l'enregistrement, en une requête (rien pour une création)."""
    if raw or instance._state.adding or instance.pk is None:
        instance.__dict__.pop(ATTRIBUT_AVANT, None)
        return
    config = suivi.suivi_de(sender)
    champs = suivi.champs_traces(sender, config)
    ligne = (
        sender._base_manager.using(instance._state.db or "default")
        .filter(pk=instance.pk)
        .values(*[f.attname for f in champs])
        .first()
    )
    if ligne is None:
        instance.__dict__.pop(ATTRIBUT_AVANT, None)
        return
    instance.__dict__[ATTRIBUT_AVANT] = {f.name: ligne[f.attname] for f in champs}


def _apres(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    config = suivi.suivi_de(sender)
    if created:
        tracer(Action.CREATION, objet=instance, changements=suivi.valeurs(instance, config))
        return
    brut_avant = instance.__dict__.pop(ATTRIBUT_AVANT, None)
    if brut_avant is None:
        return
    avant = {champ: suivi.en_json(v) for champ, v in brut_avant.items()}
    apres = suivi.valeurs(instance, config)
    changements = suivi.differences(avant, apres, config)
    for champ in config.masques:
        if brut_avant.get(champ) != getattr(instance, champ, None):
            changements[champ] = [suivi.MASQUE, suivi.MASQUE]
    if changements:
        tracer(Action.MODIFICATION, objet=instance, changements=changements)


def _suppression(sender, instance, **kwargs):
    tracer(
        Action.SUPPRESSION,
        objet=instance,
        changements=suivi.valeurs(instance, suivi.suivi_de(sender)),
    )


def _libelles(instance, nom_champ) -> list[str]:
    return sorted(str(o) for o in getattr(instance, nom_champ).all())


def _m2m(nom_champ):
    def recepteur(sender, instance, action, reverse, **kwargs):
        if reverse:
            return  # changement vu depuis l'autre bout (ex. un public prioritaire)
        if action in ("pre_add", "pre_remove", "pre_clear"):
            instance.__dict__[ATTRIBUT_M2M] = _libelles(instance, nom_champ)
        elif action in ("post_add", "post_remove", "post_clear"):
            avant = instance.__dict__.pop(ATTRIBUT_M2M, [])
            apres = _libelles(instance, nom_champ)
            if avant != apres:
                tracer(Action.MODIFICATION, objet=instance, changements={nom_champ: [avant, apres]})

    return recepteur


_RECEPTEURS_M2M = []


def _connexion(sender, request, user, **kwargs):
    tracer(Action.CONNEXION, utilisateur=user, objet=user)


def _deconnexion(sender, request, user, **kwargs):
    if user is not None:
        tracer(Action.DECONNEXION, utilisateur=user, objet=user)


def _echec_connexion(sender, credentials, request=None, **kwargs):
    # `credentials` est déjà expurgé par Django ; on ne garde de toute façon que l'identifiant.
    identifiant = str((credentials or {}).get("username") or "")[:150]
    tracer(Action.ECHEC_CONNEXION, details={"identifiant_saisi": identifiant})


def brancher():
    for modele in suivi.modeles_suivis():
        uid = f"journal:{modele._meta.label}"
        pre_save.connect(_avant, sender=modele, dispatch_uid=f"{uid}:pre_save")
        post_save.connect(_apres, sender=modele, dispatch_uid=f"{uid}:post_save")
        post_delete.connect(_suppression, sender=modele, dispatch_uid=f"{uid}:post_delete")
        if modele._meta.label == "logement.User":
            continue  # groupes et permissions Django : inutilisés (droits = habilitations)
        for champ in modele._meta.many_to_many:
            recepteur = _m2m(champ.name)
            _RECEPTEURS_M2M.append(recepteur)  # les signaux ne gardent qu'une référence faible
            m2m_changed.connect(
                recepteur,
                sender=champ.remote_field.through,
                dispatch_uid=f"{uid}:{champ.name}:m2m",
            )
    user_logged_in.connect(_connexion, dispatch_uid="journal:connexion")
    user_logged_out.connect(_deconnexion, dispatch_uid="journal:deconnexion")
    user_login_failed.connect(_echec_connexion, dispatch_uid="journal:echec_connexion")
