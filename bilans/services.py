"""Écritures des bilans : demande (nouvelle version), envoi à la file, production, relance,
surveillance des bilans bloqués et bilans planifiés."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from datetime import timedelta

import redis
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from kombu.exceptions import OperationalError

from logement.celery import courtier_joignable, taches_sur_place
from logement.models import Territoire

from .models import Bilan, FichierBilan, droits_bilans

logger = logging.getLogger(__name__)

FORMATS = (FichierBilan.Format.PDF, FichierBilan.Format.XLSX, FichierBilan.Format.CSV)
FILE_INDISPONIBLE = (
    "La file de production est momentanément indisponible : votre demande est enregistrée et "
    "démarrera dès son retour ; vous pouvez aussi la relancer."
)
INTERROMPU = (
    "La production a été interrompue (arrêt du serveur de calcul) et n'a pas repris : "
    "vous pouvez relancer le bilan."
)


class ProductionImpossible(Exception):
    """Échec attendu dont le message, en français, est montré tel quel à l'utilisateur."""


def _reglage(cle: str) -> int:
    return settings.LOGEMENT[cle]


# --- Périodes ---------------------------------------------------------------------------------


def periode_annee(annee: int) -> tuple[dt.date, dt.date]:
    return dt.date(annee, 1, 1), dt.date(annee, 12, 31)


def periode_trimestre(annee: int, trimestre: int) -> tuple[dt.date, dt.date]:
    debut = dt.date(annee, 3 * trimestre - 2, 1)
    suivant = dt.date(annee + 1, 1, 1) if trimestre == 4 else dt.date(annee, 3 * trimestre + 1, 1)
    return debut, suivant - timedelta(days=1)


def trimestre_precedent(jour: dt.date) -> tuple[int, int]:
    trimestre = (jour.month - 1) // 3 + 1
    return (jour.year - 1, 4) if trimestre == 1 else (jour.year, trimestre - 1)


# --- Demande et envoi -------------------------------------------------------------------------


def demander_bilan(
    *,
    par,
    territoire: Territoire,
    audience: str,
    debut: dt.date,
    fin: dt.date,
    periodicite: str = Bilan.Periodicite.LIBRE,
) -> Bilan:
    """Enregistre une demande (version suivante pour le même territoire, public et période),
    puis, après validation de la transaction, la confie à la file de production.

    `par` : l'utilisateur qui demande, ou None pour un bilan planifié. Après l'envoi,
    `bilan.expedie` vaut True ou False (None si la transaction englobante n'est pas finie)."""
    if par is not None and not droits_bilans(par).peut_demander(territoire, audience):
        raise PermissionDenied("Vous ne pouvez pas demander ce bilan pour ce territoire.")
    if debut > timezone.localdate():
        raise ValidationError({"date_debut": "La période n'a pas encore commencé."})
    bilan = Bilan(
        territoire=territoire,
        audience=audience,
        periodicite=periodicite,
        date_debut=debut,
        date_fin=fin,
        demande_par=par,
        tache_id=uuid.uuid4().hex,
    )
    bilan.full_clean(exclude=["version"], validate_unique=False, validate_constraints=False)
    cle = {"territoire": territoire, "audience": audience, "date_debut": debut, "date_fin": fin}
    for essai in range(3):
        try:
            with transaction.atomic():
                derniere = Bilan.objects.filter(**cle).aggregate(v=Max("version"))["v"] or 0
                bilan.version = derniere + 1
                bilan.save(force_insert=True)
                bilan.expedie = None
                transaction.on_commit(lambda: expedier(bilan))
            return bilan
        except IntegrityError:
            # Deux demandes simultanées ont pris la même version : on recompte.
            bilan.pk = None
            if essai == 2:
                raise
    raise AssertionError("inatteignable")


def expedier(bilan: Bilan) -> bool:
    """Confie le bilan à la file ; en cas de panne, le note sur le bilan (visible sur sa fiche)
    et rend False : `verifier_bilans_bloques` le renverra, l'utilisateur peut le relancer."""
    from . import tasks  # les tâches importent ce module

    envoye = False
    if taches_sur_place() or courtier_joignable():
        try:
            tasks.produire_bilan.apply_async(args=[bilan.pk], task_id=bilan.tache_id, retry=False)
            envoye = True
        except (OperationalError, OSError, redis.RedisError):
            logger.warning("Bilan %s : envoi à la file impossible", bilan.pk, exc_info=True)
    if envoye:
        Bilan.objects.filter(pk=bilan.pk, tache_id=bilan.tache_id, expedie_le__isnull=True).update(
            expedie_le=timezone.now()
        )
    else:
        Bilan.objects.filter(
            pk=bilan.pk, tache_id=bilan.tache_id, statut=Bilan.Statut.EN_ATTENTE
        ).update(etape=FILE_INDISPONIBLE[:200])
    bilan.expedie = envoye
    return envoye


def _renvoyer(bilan_id: int, *, relance: bool) -> Bilan | None:
    """Remet le bilan en attente sous un nouvel identifiant de tâche : un ancien message encore
    dans la file sera ignoré à sa livraison (voir `produire_bilan`)."""
    with transaction.atomic():
        bilan = Bilan.objects.select_for_update().filter(pk=bilan_id).first()
        admis = (Bilan.Statut.ECHEC, Bilan.Statut.EN_ATTENTE)
        if bilan is None or bilan.statut not in admis:
            return None
        bilan.statut = Bilan.Statut.EN_ATTENTE
        bilan.tache_id = uuid.uuid4().hex
        bilan.expedie_le = None
        bilan.progression = 0
        bilan.etape = ""
        bilan.erreur = ""
        if relance:
            bilan.tentatives = 0
            bilan.commence_le = bilan.termine_le = None
        bilan.save()
        bilan.expedie = None
        transaction.on_commit(lambda: expedier(bilan))
    return bilan


def relancer(bilan: Bilan, *, par=None) -> Bilan:
    """Un bilan en échec, ou resté en attente, repart de zéro (même version : rien n'a été
    produit). Un bilan prêt ne se relance pas : on en demande une nouvelle version."""
    if par is not None and not droits_bilans(par).peut_demander(bilan.territoire, bilan.audience):
        raise PermissionDenied("Vous ne pouvez pas relancer ce bilan.")
    relance = _renvoyer(bilan.pk, relance=True)
    if relance is None:
        raise ValidationError("Seul un bilan en échec ou en attente peut être relancé.")
    return relance


# --- Production -------------------------------------------------------------------------------


def _prendre_en_charge(bilan_id: int, tache_id: str | None) -> Bilan | None:
    """Passe le bilan « en cours » ; None s'il n'y a rien à faire (déjà prêt, en échec,
    message périmé d'une tâche remplacée par une relance, bilan supprimé)."""
    with transaction.atomic():
        bilan = (
            Bilan.objects.select_for_update(of=("self",))
            .select_related("territoire")
            .filter(pk=bilan_id)
            .first()
        )
        if bilan is None:
            logger.warning("Bilan %s introuvable : tâche ignorée", bilan_id)
            return None
        if tache_id and bilan.tache_id and tache_id != bilan.tache_id:
            logger.info("Bilan %s : message périmé (tâche %s) ignoré", bilan_id, tache_id)
            return None
        if bilan.statut not in (Bilan.Statut.EN_ATTENTE, Bilan.Statut.EN_COURS):
            return None  # prêt (redélivrance après succès) ou en échec : rien ne change
        if bilan.statut == Bilan.Statut.EN_COURS and bilan.tentatives >= _reglage(
            "BILAN_TENTATIVES_MAX"
        ):
            # Redélivré après la mort du worker, encore et encore : on arrête.
            _echouer(
                bilan,
                f"La production a été interrompue {bilan.tentatives} fois (le serveur de calcul "
                "s'est arrêté pendant le travail) : vous pouvez relancer le bilan ; si cela se "
                "reproduit, signalez-le à l'équipe technique.",
            )
            return None
        bilan.statut = Bilan.Statut.EN_COURS
        bilan.tentatives += 1
        bilan.commence_le = timezone.now()
        bilan.termine_le = None
        bilan.progression = 0
        bilan.etape = "Démarrage"
        bilan.erreur = ""
        bilan.save()
    return bilan


def _echouer(bilan: Bilan, motif: str) -> None:
    Bilan.objects.filter(pk=bilan.pk, tache_id=bilan.tache_id).exclude(
        statut=Bilan.Statut.PRET
    ).update(
        statut=Bilan.Statut.ECHEC,
        erreur=motif,
        etape="",
        termine_le=timezone.now(),
        modifie_le=timezone.now(),
    )


def _suivi(bilan: Bilan):
    """Rappel de progression : chaque appel est validé aussitôt (le polling le voit)."""

    def progression(pourcent: int, etape: str = "") -> None:
        Bilan.objects.filter(
            pk=bilan.pk, tache_id=bilan.tache_id, statut=Bilan.Statut.EN_COURS
        ).update(progression=max(0, min(100, int(pourcent))), etape=(etape or "")[:200])

    return progression


def nom_fichier(bilan: Bilan, fmt: str) -> str:
    territoire = slugify(bilan.territoire.nom)[:60] or "territoire"
    return (
        f"bilan-{bilan.audience}-{territoire}-{bilan.date_debut:%Y%m%d}-{bilan.date_fin:%Y%m%d}"
        f"-v{bilan.version}.{fmt}"
    )


def motif_lisible(erreur: BaseException) -> str:
    if isinstance(erreur, ProductionImpossible):
        return str(erreur)
    if isinstance(erreur, SoftTimeLimitExceeded):
        minutes = max(1, round(_reglage("BILAN_DUREE_MAX_SECONDES") / 60))
        return (
            f"La production a dépassé la durée maximale ({minutes} min) et a été arrêtée : "
            "vous pouvez relancer le bilan ; si cela se reproduit, signalez-le à l'équipe technique."
        )
    return (
        f"La production a échoué sur une erreur interne ({type(erreur).__name__}). Aucun fichier "
        "n'a été conservé. Vous pouvez relancer le bilan ; si cela se reproduit, signalez-le à "
        "l'équipe technique."
    )


def produire_bilan(bilan_id: int, *, tache_id: str | None = None) -> Bilan | None:
    """Le travail de la tâche Celery : chiffres figés, puis PDF, XLSX et CSV.

    Les fichiers et les chiffres sont enregistrés ensemble, dans une transaction, ou pas du tout.
    Idempotent : un bilan déjà prêt (redélivrance) n'est pas touché."""
    from . import calcul, rendu  # écrits à part ; importés ici pour garder le module léger

    bilan = _prendre_en_charge(bilan_id, tache_id)
    if bilan is None:
        return Bilan.objects.filter(pk=bilan_id).first()
    progression = _suivi(bilan)
    ecrits: list[str] = []
    try:
        donnees = calcul.calculer_donnees(
            bilan.territoire,
            bilan.audience,
            bilan.date_debut,
            bilan.date_fin,
            progression=lambda p, e="": progression(min(int(p), 100) * 80 // 100, e),
        )
        contenus = {}
        for i, fmt in enumerate(FORMATS):
            progression(80 + 5 * i, f"Mise en forme du fichier {FichierBilan.Format(fmt).label}")
            contenus[fmt] = rendu.produire(donnees, fmt)
        progression(95, "Enregistrement des fichiers")
        with transaction.atomic():
            verrou = Bilan.objects.select_for_update().filter(pk=bilan.pk).first()
            if verrou is None or verrou.statut != Bilan.Statut.EN_COURS:
                # Déclaré interrompu pendant le calcul, ou supprimé : on n'écrit rien.
                logger.warning("Bilan %s n'est plus en cours : résultat abandonné", bilan.pk)
                return verrou
            if verrou.tache_id != bilan.tache_id:
                return verrou
            for fmt, contenu in contenus.items():
                fichier = FichierBilan(
                    bilan=verrou,
                    format=fmt,
                    taille=len(contenu),
                    empreinte=hashlib.sha256(contenu).hexdigest(),
                )
                fichier.fichier.save(nom_fichier(bilan, fmt), ContentFile(contenu), save=False)
                ecrits.append(fichier.fichier.name)
                fichier.save()
            verrou.donnees = donnees
            verrou.statut = Bilan.Statut.PRET
            verrou.progression = 100
            verrou.etape = ""
            verrou.termine_le = timezone.now()
            verrou.save()
        return verrou
    except Exception as erreur:
        # Rien de partiel : fichiers déjà posés effacés (la transaction a annulé leurs lignes).
        for nom in ecrits:
            try:
                default_storage.delete(nom)
            except OSError:
                logger.exception("Bilan %s : fichier %s non effacé", bilan.pk, nom)
        logger.exception("Bilan %s : échec de la production", bilan.pk)
        _echouer(bilan, motif_lisible(erreur))
        return Bilan.objects.filter(pk=bilan.pk).first()


# --- Surveillance et planification ------------------------------------------------------------


def verifier_bilans_bloques() -> dict[str, int]:
    """Aucun bilan ne reste « en cours » indéfiniment (worker tué sans redélivrance) ; une
    demande que la file n'a pas reçue (panne du courtier) ou jamais commencée est renvoyée."""
    maintenant = timezone.now()
    limite_en_cours = maintenant - timedelta(seconds=_reglage("BILAN_EN_COURS_MAX_SECONDES"))
    interrompus = Bilan.objects.filter(
        statut=Bilan.Statut.EN_COURS, commence_le__lt=limite_en_cours
    ).update(
        statut=Bilan.Statut.ECHEC,
        erreur=INTERROMPU,
        etape="",
        termine_le=maintenant,
        modifie_le=maintenant,
    )
    non_recus = Bilan.objects.filter(
        statut=Bilan.Statut.EN_ATTENTE,
        expedie_le__isnull=True,
        modifie_le__lt=maintenant - timedelta(minutes=_reglage("BILAN_RENVOI_MINUTES")),
    )
    oublies = Bilan.objects.filter(
        statut=Bilan.Statut.EN_ATTENTE,
        expedie_le__lt=maintenant - timedelta(hours=_reglage("BILAN_ATTENTE_MAX_HEURES")),
    )
    renvoyes = 0
    for bilan_id in [
        *non_recus.values_list("pk", flat=True),
        *oublies.values_list("pk", flat=True),
    ]:
        if _renvoyer(bilan_id, relance=False) is not None:
            renvoyes += 1
    return {"interrompus": interrompus, "renvoyes": renvoyes}


def _planifier(cibles, *, debut, fin, periodicite) -> int:
    """Un bilan planifié par (territoire, public), sauf s'il existe déjà (beat relancé)."""
    crees = 0
    for territoire, audience in cibles:
        deja = Bilan.objects.filter(
            territoire=territoire,
            audience=audience,
            date_debut=debut,
            date_fin=fin,
            demande_par__isnull=True,
        ).exists()
        if not deja:
            demander_bilan(
                par=None,
                territoire=territoire,
                audience=audience,
                debut=debut,
                fin=fin,
                periodicite=periodicite,
            )
            crees += 1
    return crees


def planifier_bilans_annuels(annee: int) -> int:
    """Rapport Département et bilan État de chaque Département, bilan État de chaque
    plateforme, bilan EPCI de chaque EPCI."""
    niveau = Territoire.Niveau
    cibles = []
    for territoire in Territoire.objects.order_by("niveau", "nom"):
        if territoire.niveau == niveau.DEPARTEMENT:
            cibles += [(territoire, Bilan.Audience.DEPARTEMENT), (territoire, Bilan.Audience.ETAT)]
        elif territoire.niveau == niveau.PLATEFORME:
            cibles.append((territoire, Bilan.Audience.ETAT))
        else:
            cibles.append((territoire, Bilan.Audience.EPCI))
    debut, fin = periode_annee(annee)
    return _planifier(cibles, debut=debut, fin=fin, periodicite=Bilan.Periodicite.ANNUEL)


def planifier_bilans_trimestriels(annee: int, trimestre: int) -> int:
    """Bilan État de chaque Département et de chaque plateforme."""
    territoires = Territoire.objects.filter(
        niveau__in=(Territoire.Niveau.DEPARTEMENT, Territoire.Niveau.PLATEFORME)
    ).order_by("niveau", "nom")
    debut, fin = periode_trimestre(annee, trimestre)
    return _planifier(
        [(t, Bilan.Audience.ETAT) for t in territoires],
        debut=debut,
        fin=fin,
        periodicite=Bilan.Periodicite.TRIMESTRIEL,
    )
