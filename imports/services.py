"""Écritures des imports : dépôt et essai à blanc, correction de la correspondance, décisions
sur les doublons, confirmation et envoi à la file, exécution tout-ou-rien (tâche), reprise,
abandon, surveillance des imports bloqués.

Rien n'est écrit en base métier avant l'exécution confirmée ; elle relit le fichier, refait
l'essai à blanc et appelle `genre.appliquer()` dans une seule transaction."""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from datetime import timedelta

import redis
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from journal.services import Action as ActionJournal
from journal.services import origine, tracer
from logement.celery import courtier_joignable, redis_joignable, taches_sur_place
from logement.text import sans_caractere_nul

from . import genres as registre
from . import lecture
from .correspondance import (
    IGNOREE,
    Origine,
    Rapprochement,
    colonnes_ignorees,
    colonnes_manquantes,
    extraire,
    message_manquantes,
    rapprocher,
)
from .genres.base import Action, Genre
from .models import CorrespondanceColonne, Import, LigneImport, droits_imports

logger = logging.getLogger(__name__)

FILE_INDISPONIBLE = (
    "La file des imports est momentanément indisponible : l'import est confirmé et démarrera "
    "dès son retour ; vous pouvez aussi le relancer."
)
INTERROMPU = (
    "L'import a été interrompu (arrêt du serveur de calcul) et n'a pas repris : rien n'a été "
    "importé. Vous pouvez reprendre l'essai à blanc puis confirmer à nouveau."
)
RIEN_ECRIT = "Rien n'a été importé"
# Erreurs citées dans un motif d'échec ; le rapport par ligne les donne toutes.
ERREURS_CITEES = 10


class ImportImpossible(Exception):
    """Échec attendu dont le message, en français, est montré tel quel à l'utilisateur."""


# --- Registre des genres ------------------------------------------------------------------------


def genres_disponibles() -> dict[str, Genre]:
    """Le registre `imports.genres.GENRES` (lu à chaque appel : les tests y ajoutent un genre)."""
    return getattr(registre, "GENRES", {}) or {}


def genre_ou_none(cle: str) -> Genre | None:
    return genres_disponibles().get(cle)


def genre_de(imp: Import) -> Genre:
    genre = genre_ou_none(imp.genre)
    if genre is None:
        raise ImportImpossible(
            f"Le genre d'import « {imp.genre} » n'existe plus sur la plateforme : rien n'a été "
            "importé."
        )
    return genre


# --- Lecture et correspondance ------------------------------------------------------------------


def lire_depot(fichier) -> tuple[bytes, lecture.Tableau]:
    """Les octets d'un fichier envoyé et son tableau ; lève FichierRefuse. La taille est vérifiée
    avant de tout lire en mémoire."""
    taille = getattr(fichier, "size", None)
    if taille is not None and taille > lecture.taille_max():
        raise lecture.FichierRefuse(
            f"Le fichier pèse {lecture.taille_lisible(taille)} : la taille maximale est de "
            f"{lecture.taille_lisible(lecture.taille_max())}. Découpez-le en plusieurs fichiers."
        )
    fichier.seek(0)
    contenu = fichier.read(lecture.taille_max() + 1)
    return contenu, lecture.lire(contenu, fichier.name)


def memorisees(structure, genre_cle: str) -> dict[str, str]:
    return dict(
        CorrespondanceColonne.objects.filter(structure=structure, genre=genre_cle).values_list(
            "entete", "colonne"
        )
    )


def rapprochements_pour(genre, structure, tableau, choix: dict[int, str] | None = None):
    """Correspondance proposée (mémorisée, puis reconnue), corrigée par `choix`
    ({index de colonne: clé de colonne ou IGNOREE}) s'il est donné."""
    rapprochements = rapprocher(tableau, genre, memorisees(structure, genre.cle))
    if choix is not None:
        appliquer_choix(rapprochements, choix)
    return rapprochements


def appliquer_choix(rapprochements, choix: dict[int, str]) -> None:
    for r in rapprochements:
        if r.index in choix and choix[r.index] != r.colonne:
            r.colonne, r.origine = choix[r.index], Origine.CHOISIE


def memoriser(structure, genre_cle: str, rapprochements, *, par) -> None:
    """Les choix de l'utilisateur, repris au prochain fichier de la structure pour ce genre."""
    for r in rapprochements:
        if not r.cle_fichier:
            continue
        CorrespondanceColonne.objects.update_or_create(
            structure=structure,
            genre=genre_cle,
            entete=r.cle_fichier,
            defaults={"colonne": r.colonne, "libelle": r.entete[:300], "modifie_par": par},
        )


def relire(imp: Import) -> lecture.Tableau:
    if not imp.fichier:
        raise ImportImpossible("Le fichier de cet import a été effacé : déposez-le à nouveau.")
    try:
        with imp.fichier.open("rb") as fichier:
            contenu = fichier.read()
    except (FileNotFoundError, OSError) as erreur:
        raise ImportImpossible(
            "Le fichier déposé est introuvable sur le serveur : déposez-le à nouveau."
        ) from erreur
    try:
        return lecture.lire(contenu, imp.nom_fichier)
    except lecture.FichierRefuse as erreur:
        raise ImportImpossible(str(erreur)) from erreur


def rapprochements_de(imp: Import) -> list[Rapprochement]:
    return [Rapprochement.depuis_json(r) for r in imp.correspondance]


# --- Dépôt et essai à blanc ---------------------------------------------------------------------


def _verifier_droit(par, structure) -> None:
    if not droits_imports(par).couvre(structure):
        raise PermissionDenied("Votre habilitation ne permet pas d'importer vers cette structure.")


def peut_modifier(par, imp: Import) -> bool:
    """Correspondance, doublons, confirmation, reprise : la personne qui a déposé le fichier.
    L'essai à blanc se fait avec ses droits ; un autre compte y verrait autre chose."""
    return par is not None and imp.depose_par_id == par.pk


def _verifier_deposant(par, imp: Import) -> None:
    if not peut_modifier(par, imp):
        raise PermissionDenied(
            "Seule la personne qui a déposé le fichier peut modifier, confirmer ou relancer cet "
            "import."
        )
    _verifier_droit(par, imp.structure)


def nom_d_origine(nom: str) -> str:
    """Le nom montré et redonné au téléchargement : sans chemin ni caractère de contrôle (un
    retour à la ligne casserait l'en-tête Content-Disposition)."""
    nom = os.path.basename((nom or "").replace("\\", "/"))
    return "".join(c for c in nom if c.isprintable()).strip()[:255] or "fichier"


def deposer(
    *, par, genre: Genre, structure, nom: str, contenu: bytes, tableau, rapprochements
) -> Import:
    """Enregistre le dépôt (fichier privé) et son essai à blanc. N'écrit rien en base métier.

    Lève ValidationError (colonne obligatoire absente, refus du genre) ou PermissionDenied."""
    _verifier_droit(par, structure)
    manquantes = colonnes_manquantes(genre, rapprochements)
    if manquantes:
        raise ValidationError(message_manquantes(manquantes))
    nom = nom_d_origine(nom)
    imp = Import(
        genre=genre.cle,
        structure=structure,
        depose_par=par,
        rang_depot=droits_imports(par).rang(structure),
        nom_fichier=nom,
        format=tableau.format,
        taille=len(contenu),
        empreinte=hashlib.sha256(contenu).hexdigest(),
        correspondance=[r.en_json() for r in rapprochements],
        details={
            **tableau.details,
            "ligne_entetes": tableau.ligne_entetes,
            "lignes_vides": tableau.lignes_vides,
            "colonnes_ignorees": colonnes_ignorees(rapprochements),
        },
    )
    # Un nom tiré au hasard : le nom d'origine (donné par l'utilisateur) ne sert qu'à l'affichage.
    imp.fichier.save(f"{uuid.uuid4().hex}.{tableau.format}", ContentFile(contenu), save=False)
    try:
        imp.save()
        analyser(imp, par=par, tableau=tableau)
        tracer(
            ActionJournal.CREATION,
            objet=imp,
            details={
                "etape": "dépôt et essai à blanc",
                "genre": genre.cle,
                "structure": structure.pk,
                "fichier": nom,
                "lignes": imp.nb_lignes,
            },
        )
    except BaseException:
        default_storage.delete(imp.fichier.name)
        raise
    return imp


def analyser(imp: Import, *, par, tableau=None) -> None:
    """Essai à blanc : le genre analyse les lignes ; le rapport par ligne et les compteurs
    remplacent les précédents (les décisions prises sur un doublon toujours présent restent)."""
    genre = genre_de(imp)
    if tableau is None:
        tableau = relire(imp)
    lignes = extraire(tableau, rapprochements_de(imp))
    contexte = genre.contexte(par, imp.structure)
    analyse = genre.analyser(lignes, contexte)
    enregistrer_analyse(imp, analyse)


def _texte(valeur, longueur: int) -> str:
    return sans_caractere_nul(str(valeur or ""))[:longueur]


def enregistrer_analyse(imp: Import, analyse) -> None:
    # Décision gardée si la ligne désigne toujours le même existant.
    anciennes = {
        numero: (doublon_id, decision)
        for numero, doublon_id, decision in imp.lignes.filter(action=Action.DOUBLON)
        .exclude(decision="")
        .values_list("numero", "doublon_id", "decision")
    }
    imp.lignes.all().delete()
    compteurs = dict.fromkeys(Action.values, 0)
    nouvelles = []
    for ligne in analyse:
        action = ligne.action if ligne.action in compteurs else Action.ERREUR
        if ligne.erreurs:
            action = Action.ERREUR
        compteurs[action] += 1
        decision = ""
        if action == Action.DOUBLON and ligne.numero in anciennes:
            doublon_id, choisie = anciennes[ligne.numero]
            if doublon_id == ligne.doublon_id:
                decision = choisie
        nouvelles.append(
            LigneImport(
                import_fichier=imp,
                numero=ligne.numero,
                action=action,
                libelle=_texte(ligne.libelle, 300),
                erreurs=[
                    {
                        "colonne": _texte(e.colonne, 200),
                        "valeur": _texte(e.valeur, 200),
                        "message": _texte(e.message, 500),
                    }
                    for e in ligne.erreurs
                ]
                or (
                    [{"colonne": "", "valeur": "", "message": "ligne refusée"}]
                    if action == Action.ERREUR
                    else []
                ),
                doublon=_texte(ligne.doublon, 300),
                doublon_id=ligne.doublon_id,
                decision=decision,
            )
        )
    LigneImport.objects.bulk_create(nouvelles, batch_size=1000)
    imp.nb_lignes = len(nouvelles)
    imp.nb_creations = compteurs[Action.CREER]
    imp.nb_mises_a_jour = compteurs[Action.METTRE_A_JOUR]
    imp.nb_ignorees = compteurs[Action.IGNORER]
    imp.nb_doublons = compteurs[Action.DOUBLON]
    imp.nb_erreurs = compteurs[Action.ERREUR]
    imp.analyse_le = timezone.now()
    imp.save()


def _modifiable(imp: Import) -> None:
    if imp.statut != Import.Statut.ESSAI:
        raise ValidationError(
            f"Cet import est « {imp.get_statut_display().lower()} » : il ne se modifie plus."
        )


def corriger_correspondance(imp: Import, *, par, choix: dict[int, str]) -> None:
    """Nouvelle correspondance choisie par l'utilisateur : mémorisée pour la structure, puis
    nouvel essai à blanc."""
    _verifier_deposant(par, imp)
    _modifiable(imp)
    genre = genre_de(imp)
    rapprochements = rapprochements_de(imp)
    appliquer_choix(rapprochements, choix)
    manquantes = colonnes_manquantes(genre, rapprochements)
    if manquantes:
        raise ValidationError(message_manquantes(manquantes))
    prises = [r.colonne for r in rapprochements if r.colonne != IGNOREE]
    if len(prises) != len(set(prises)):
        raise ValidationError("Une colonne de la plateforme ne peut recevoir qu'un en-tête.")
    tableau = relire(imp)
    memoriser(imp.structure, imp.genre, rapprochements, par=par)
    imp.correspondance = [r.en_json() for r in rapprochements]
    imp.details = {**imp.details, "colonnes_ignorees": colonnes_ignorees(rapprochements)}
    analyser(imp, par=par, tableau=tableau)


def trancher(imp: Import, *, par, decisions: dict[int, str], pour_tous: str = "") -> int:
    """Décisions sur les doublons ({numéro de ligne: action}) ; `pour_tous` s'applique à ceux
    qui restent à trancher. Renvoie le nombre de lignes décidées."""
    _verifier_deposant(par, imp)
    _modifiable(imp)
    admises = set(LigneImport.Decision.values)
    doublons = imp.lignes.filter(action=Action.DOUBLON)
    faites = 0
    for numero, decision in decisions.items():
        if decision in admises or decision == "":
            faites += doublons.filter(numero=numero).update(decision=decision)
    if pour_tous in admises:
        faites += doublons.filter(decision="").update(decision=pour_tous)
    return faites


def bloquants(imp: Import) -> list[str]:
    """Ce qui empêche de confirmer, en français ; vide si l'import peut partir."""
    raisons = []
    if imp.nb_erreurs:
        raisons.append(
            f"{imp.nb_erreurs} ligne{'s' if imp.nb_erreurs > 1 else ''} en erreur à corriger "
            "dans le fichier (puis déposez-le à nouveau)"
        )
    a_trancher = imp.lignes.filter(action=Action.DOUBLON, decision="").count()
    if a_trancher:
        raisons.append(
            f"{a_trancher} doublon{'s' if a_trancher > 1 else ''} à trancher "
            "(mettre à jour, créer ou ignorer)"
        )
    if not imp.nb_lignes:
        raisons.append("aucune ligne à importer")
    return raisons


def confirmer(imp: Import, *, par) -> Import:
    """L'utilisateur confirme : l'import part dans la file, après validation de la transaction."""
    _verifier_deposant(par, imp)
    with transaction.atomic():
        verrou = Import.objects.select_for_update().get(pk=imp.pk)
        _modifiable(verrou)
        raisons = bloquants(verrou)
        if raisons:
            raise ValidationError("Confirmation impossible : " + " ; ".join(raisons) + ".")
        verrou.statut = Import.Statut.EN_ATTENTE
        verrou.confirme_par = par
        verrou.confirme_le = timezone.now()
        verrou.tache_id = uuid.uuid4().hex
        verrou.expedie_le = None
        verrou.progression = 0
        verrou.etape = ""
        verrou.erreur = ""
        verrou.tentatives = 0
        verrou.save()
        tracer(
            ActionJournal.MODIFICATION,
            objet=verrou,
            details={
                "etape": "confirmation",
                "genre": verrou.genre,
                "lignes": verrou.nb_lignes,
                "creations": verrou.nb_creations,
                "mises_a_jour": verrou.nb_mises_a_jour,
                "doublons": verrou.nb_doublons,
            },
        )
        verrou.expedie = None
        transaction.on_commit(lambda: expedier(verrou))
    return verrou


def expedier(imp: Import) -> bool:
    """Confie l'import à la file ; en cas de panne, le note (visible sur sa fiche) et rend False :
    `verifier_imports_bloques` le renverra, l'utilisateur peut le relancer."""
    from . import tasks  # les tâches importent ce module

    envoye = False
    if taches_sur_place() or courtier_joignable():
        try:
            tasks.importer.apply_async(args=[imp.pk], task_id=imp.tache_id, retry=False)
            envoye = True
        except (OperationalError, OSError, redis.RedisError):
            logger.warning("Import %s : envoi à la file impossible", imp.pk, exc_info=True)
    if envoye:
        Import.objects.filter(pk=imp.pk, tache_id=imp.tache_id, expedie_le__isnull=True).update(
            expedie_le=timezone.now()
        )
    else:
        Import.objects.filter(
            pk=imp.pk, tache_id=imp.tache_id, statut=Import.Statut.EN_ATTENTE
        ).update(etape=FILE_INDISPONIBLE[:200])
    imp.expedie = envoye
    return envoye


def _renvoyer(import_id: int) -> Import | None:
    """Un import confirmé resté en attente repart sous un nouvel identifiant de tâche : un ancien
    message encore dans la file sera ignoré à sa livraison."""
    with transaction.atomic():
        imp = Import.objects.select_for_update().filter(pk=import_id).first()
        if imp is None or imp.statut != Import.Statut.EN_ATTENTE:
            return None
        imp.tache_id = uuid.uuid4().hex
        imp.expedie_le = None
        imp.etape = ""
        imp.save()
        imp.expedie = None
        transaction.on_commit(lambda: expedier(imp))
    return imp


def reprendre(imp: Import, *, par) -> Import:
    """Relance : un import confirmé resté en attente (file indisponible) est renvoyé ; un import
    en échec revient à l'essai à blanc, refait sur les données du moment."""
    _verifier_deposant(par, imp)
    if imp.statut == Import.Statut.EN_ATTENTE:
        renvoye = _renvoyer(imp.pk)
        if renvoye is None:
            raise ValidationError("Cet import n'est plus en attente.")
        return renvoye
    if imp.statut != Import.Statut.ECHEC:
        raise ValidationError("Seul un import en échec ou en attente peut être relancé.")
    with transaction.atomic():
        verrou = Import.objects.select_for_update().get(pk=imp.pk)
        if verrou.statut != Import.Statut.ECHEC:
            raise ValidationError("Seul un import en échec ou en attente peut être relancé.")
        verrou.statut = Import.Statut.ESSAI
        verrou.tache_id = ""
        verrou.progression = 0
        verrou.etape = ""
        verrou.save()
        analyser(verrou, par=par)
    return verrou


def abandonner(imp: Import, *, par) -> Import:
    """L'import ne sera pas fait : le fichier et le rapport par ligne (données personnelles)
    sont effacés ; l'historique garde qui, quand, quel fichier et les compteurs. Le déposant,
    ou un administrateur (import laissé en plan)."""
    if not (peut_modifier(par, imp) or droits_imports(par).tout):
        _verifier_deposant(par, imp)
    if imp.statut not in (Import.Statut.ESSAI, Import.Statut.ECHEC):
        raise ValidationError("Seul un import à l'essai ou en échec peut être abandonné.")
    nom = imp.fichier.name
    imp.lignes.all().delete()
    imp.statut = Import.Statut.ABANDONNE
    imp.fichier = ""
    imp.save()
    tracer(ActionJournal.MODIFICATION, objet=imp, details={"etape": "abandon"})
    if nom:
        transaction.on_commit(lambda: default_storage.delete(nom))
    return imp


# --- Exécution (tâche Celery) -------------------------------------------------------------------


def _prendre_en_charge(import_id: int, tache_id: str | None) -> Import | None:
    """Passe l'import « en cours » ; None s'il n'y a rien à faire (déjà terminé, en échec,
    message périmé d'une tâche remplacée par une relance, import supprimé)."""
    with transaction.atomic():
        imp = (
            Import.objects.select_for_update(of=("self",))
            .select_related("structure", "confirme_par")
            .filter(pk=import_id)
            .first()
        )
        if imp is None:
            logger.warning("Import %s introuvable : tâche ignorée", import_id)
            return None
        if tache_id and imp.tache_id and tache_id != imp.tache_id:
            logger.info("Import %s : message périmé (tâche %s) ignoré", import_id, tache_id)
            return None
        if imp.statut not in (Import.Statut.EN_ATTENTE, Import.Statut.EN_COURS):
            return None
        if imp.statut == Import.Statut.EN_COURS and imp.tentatives >= tentatives_max():
            _echouer(
                imp,
                f"L'import a été interrompu {imp.tentatives} fois (le serveur de calcul s'est "
                "arrêté pendant le travail) : rien n'a été importé. Reprenez l'essai à blanc ; "
                "si cela se reproduit, signalez-le à l'équipe technique.",
            )
            return None
        imp.statut = Import.Statut.EN_COURS
        imp.tentatives += 1
        imp.commence_le = timezone.now()
        imp.termine_le = None
        imp.progression = 0
        imp.etape = "Démarrage"
        imp.erreur = ""
        imp.save()
    return imp


def tentatives_max() -> int:
    return settings.IMPORT_TENTATIVES_MAX


def _echouer(imp: Import, motif: str) -> None:
    Import.objects.filter(pk=imp.pk, tache_id=imp.tache_id).exclude(
        statut=Import.Statut.TERMINE
    ).update(
        statut=Import.Statut.ECHEC,
        erreur=motif,
        etape="",
        termine_le=timezone.now(),
        modifie_le=timezone.now(),
    )


def _suivi(imp: Import):
    """Progression hors transaction : chaque appel est validé aussitôt (la page la voit)."""

    def progression(pourcent: int, etape: str = "") -> None:
        Import.objects.filter(
            pk=imp.pk, tache_id=imp.tache_id, statut=Import.Statut.EN_COURS
        ).update(progression=max(0, min(100, int(pourcent))), etape=(etape or "")[:200])

    return progression


class Publication:
    """Progression pendant l'écriture : la transaction la cacherait aux autres connexions, on la
    publie par le backend de résultats de Celery (au plus une fois par point de pourcentage, et
    plus du tout après un échec : une panne de Redis ne ralentit pas l'import)."""

    def __init__(self, publier, total: int, debut: int, fin: int, etape: str):
        self.publier, self.total = publier, max(total, 1)
        self.debut, self.fin, self.etape = debut, fin, etape
        self.dernier = -1
        self.instant = 0.0

    def __call__(self, faites: int) -> None:
        if self.publier is None:
            return
        pourcent = self.debut + (self.fin - self.debut) * min(faites, self.total) // self.total
        maintenant = time.monotonic()
        if pourcent == self.dernier or maintenant - self.instant < 0.5:
            return
        self.dernier, self.instant = pourcent, maintenant
        try:
            self.publier(
                {
                    "progression": pourcent,
                    "etape": self.etape,
                    "faites": faites,
                    "total": self.total,
                }
            )
        except Exception:  # noqa: BLE001 — la progression est accessoire, jamais bloquante
            logger.warning("Progression de l'import non publiée", exc_info=True)
            self.publier = None


def texte_erreur(numero: int, colonne: str, valeur: str, message: str) -> str:
    """« ligne 12, colonne « Date de naissance », valeur « 31/02/2024 » : date impossible »."""
    morceaux = [f"ligne {numero}"]
    if colonne:
        morceaux.append(f"colonne « {colonne} »")
        morceaux.append(f"valeur « {valeur} »" if valeur else "valeur vide")
    return ", ".join(morceaux) + f" : {message}"


def problemes(analyse, decisions: dict[int, str]) -> tuple[list[str], int, int]:
    """(messages, lignes en erreur, doublons sans décision) d'une analyse refaite."""
    messages, erreurs, a_trancher = [], 0, 0
    for ligne in analyse:
        if ligne.action == Action.ERREUR or ligne.erreurs:
            erreurs += 1
            for e in ligne.erreurs or []:
                messages.append(texte_erreur(ligne.numero, e.colonne, e.valeur, e.message))
        elif ligne.action == Action.DOUBLON and decisions.get(ligne.numero) not in (
            LigneImport.Decision.values
        ):
            a_trancher += 1
            messages.append(
                f"ligne {ligne.numero} : doublon apparu depuis l'essai à blanc "
                f"({ligne.doublon or 'existant'}), à trancher"
            )
    return messages, erreurs, a_trancher


def motif_lisible(erreur: BaseException) -> str:
    if isinstance(erreur, ImportImpossible):
        return str(erreur)
    if isinstance(erreur, ValidationError | PermissionDenied):
        textes = erreur.messages if isinstance(erreur, ValidationError) else [str(erreur)]
        return f"{RIEN_ECRIT} : " + " ".join(t for t in textes if t)
    if isinstance(erreur, SoftTimeLimitExceeded):
        minutes = max(1, round(settings.IMPORT_DUREE_MAX_SECONDES / 60))
        return (
            f"{RIEN_ECRIT} : l'import a dépassé la durée maximale ({minutes} min) et a été "
            "arrêté. Découpez le fichier ; si cela se reproduit, signalez-le à l'équipe technique."
        )
    return (
        f"{RIEN_ECRIT} : l'import a échoué sur une erreur interne ({type(erreur).__name__}). "
        "Reprenez l'essai à blanc ; si cela se reproduit, signalez-le à l'équipe technique."
    )


def executer(import_id: int, *, tache_id: str | None = None, publier=None) -> Import | None:
    """Le travail de la tâche : relit le fichier, refait l'essai à blanc (les données ont pu
    changer depuis l'aperçu), puis écrit tout dans une transaction, ou rien.

    `publier(meta)` : facultatif, publie la progression pendant l'écriture (backend Celery)."""
    imp = _prendre_en_charge(import_id, tache_id)
    if imp is None:
        return Import.objects.filter(pk=import_id).first()
    progression = _suivi(imp)
    par = imp.confirme_par
    try:
        with origine(f"import n° {imp.pk} confirmé par {par.get_username() if par else '?'}"):
            return _executer(imp, par, progression, publier)
    except Exception as erreur:
        logger.exception("Import %s : échec", imp.pk)
        _echouer(imp, motif_lisible(erreur))
        return Import.objects.filter(pk=imp.pk).first()


def _executer(imp: Import, par, progression, publier) -> Import | None:
    if par is None or not par.is_active:
        raise ImportImpossible(
            f"{RIEN_ECRIT} : le compte qui a confirmé l'import n'est plus actif."
        )
    _verifier_deposant(par, imp)
    genre = genre_de(imp)
    progression(5, "Relecture du fichier")
    tableau = relire(imp)
    progression(10, "Nouvel essai à blanc sur les données du moment")
    lignes = extraire(tableau, rapprochements_de(imp))
    contexte = genre.contexte(par, imp.structure)
    analyse = genre.analyser(lignes, contexte)
    decisions = dict(
        imp.lignes.filter(action=Action.DOUBLON)
        .exclude(decision="")
        .values_list("numero", "decision")
    )
    messages, erreurs, a_trancher = problemes(analyse, decisions)
    if messages:
        with transaction.atomic():
            enregistrer_analyse(imp, analyse)
        cites = " ; ".join(messages[:ERREURS_CITEES])
        reste = len(messages) - ERREURS_CITEES
        raise ImportImpossible(
            f"{RIEN_ECRIT} : les données ont changé depuis l'essai à blanc ({erreurs} ligne(s) "
            f"en erreur, {a_trancher} doublon(s) à trancher). {cites}"
            + (f" ; et {reste} autre(s), voir le rapport." if reste > 0 else ".")
        )
    progression(25, "Écriture des lignes")
    rappel = Publication(publier, len(analyse), 25, 95, "Écriture des lignes")
    with transaction.atomic():
        verrou = Import.objects.select_for_update().filter(pk=imp.pk).first()
        if verrou is None or verrou.statut != Import.Statut.EN_COURS:
            logger.warning("Import %s n'est plus en cours : rien n'est écrit", imp.pk)
            return verrou
        if verrou.tache_id != imp.tache_id:
            return verrou
        compteurs = genre.appliquer(analyse, decisions, contexte, progression=rappel)
        enregistrer_analyse(verrou, analyse)
        verrou.crees = compteurs.crees
        verrou.mis_a_jour = compteurs.mis_a_jour
        verrou.ignores = compteurs.ignores
        verrou.statut = Import.Statut.TERMINE
        verrou.progression = 100
        verrou.etape = ""
        verrou.termine_le = timezone.now()
        verrou.save()
        tracer(
            ActionJournal.MODIFICATION,
            objet=verrou,
            utilisateur=par,
            details={
                "etape": "import terminé",
                "crees": compteurs.crees,
                "mis_a_jour": compteurs.mis_a_jour,
                "ignores": compteurs.ignores,
            },
        )
    return verrou


def progression_publiee(imp: Import) -> dict | None:
    """La progression publiée par la tâche pendant l'écriture, si le backend la donne."""
    if imp.statut != Import.Statut.EN_COURS or not imp.tache_id or taches_sur_place():
        return None
    from celery.backends.base import DisabledBackend
    from celery.result import AsyncResult

    from logement.celery import app

    try:
        if isinstance(app.backend, DisabledBackend) or not redis_joignable(app.conf.result_backend):
            return None
        resultat = AsyncResult(imp.tache_id, app=app)
        if resultat.state == "PROGRESS" and isinstance(resultat.info, dict):
            return resultat.info
    except Exception:  # noqa: BLE001 — l'affichage retombe sur l'état en base
        logger.warning("Progression de l'import %s illisible", imp.pk, exc_info=True)
    return None


# --- Surveillance -------------------------------------------------------------------------------


def verifier_imports_bloques() -> dict[str, int]:
    """Aucun import ne reste « en cours » indéfiniment (worker tué sans redélivrance) ; un
    import confirmé que la file n'a pas reçu (panne du courtier) est renvoyé."""
    maintenant = timezone.now()
    limite = maintenant - timedelta(seconds=settings.IMPORT_DUREE_MAX_SECONDES + 300)
    interrompus = Import.objects.filter(
        statut=Import.Statut.EN_COURS, commence_le__lt=limite
    ).update(
        statut=Import.Statut.ECHEC,
        erreur=INTERROMPU,
        etape="",
        termine_le=maintenant,
        modifie_le=maintenant,
    )
    non_recus = Import.objects.filter(
        statut=Import.Statut.EN_ATTENTE,
        expedie_le__isnull=True,
        modifie_le__lt=maintenant - timedelta(minutes=5),
    ).values_list("pk", flat=True)
    renvoyes = sum(1 for pk in list(non_recus) if _renvoyer(pk) is not None)
    return {"interrompus": interrompus, "renvoyes": renvoyes}


def purger_fichiers(*, maintenant=None) -> int:
    """Les fichiers déposés et les rapports par ligne (noms, dates de naissance…) ne sont
    gardés que IMPORT_CONSERVATION_JOURS : ensuite, l'historique ne garde que qui, quand, quel
    fichier et les compteurs. Un import en attente ou en cours n'est pas touché."""
    maintenant = maintenant or timezone.now()
    jours = settings.IMPORT_CONSERVATION_JOURS
    anciens = (
        Import.objects.filter(cree_le__lt=maintenant - timedelta(days=jours))
        .exclude(statut__in=(Import.Statut.EN_ATTENTE, Import.Statut.EN_COURS))
        .exclude(fichier="", lignes__isnull=True)
        .distinct()
    )
    purges = 0
    for imp in anciens:
        nom = imp.fichier.name
        with transaction.atomic():
            imp.lignes.all().delete()
            Import.objects.filter(pk=imp.pk).update(
                fichier="", details={**imp.details, "purge_le": maintenant.isoformat()}
            )
            if nom:
                transaction.on_commit(lambda nom=nom: default_storage.delete(nom))
        purges += 1
    if purges:
        tracer(
            ActionJournal.SUPPRESSION,
            details={"imports_purges": purges, "jours": jours, "objet": "fichiers et rapports"},
        )
    return purges
