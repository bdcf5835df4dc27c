"""Pages des imports : historique, dépôt, fiche (aperçu de l'essai à blanc, correspondance des
colonnes, doublons, confirmation, suivi htmx, rapport), téléchargements, modèles.

Tout part de `Import.objects.visible_to(user)` : hors ressort, 404. Importer : référent (ses
structures), coordinateur (sa plateforme), agent départemental (son Département) ; le
co-pilote n'importe jamais (403)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from journal.services import Action as ActionJournal
from journal.services import tracer
from logement.acces import role_requis
from logement.models import Role
from logement.pagination import paginer
from logement.text import identifiant

from . import modeles, rapport, services
from .correspondance import cle_entete, colonnes_manquantes, lettre_de_colonne, message_manquantes
from .forms import (
    CorrespondanceForm,
    DecisionsForm,
    DepotForm,
    FiltreLignesForm,
    FiltresImportsForm,
)
from .genres.base import Action
from .models import Import, droits_imports

ROLES_IMPORT = (Role.REFERENT, Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)
LIGNES_PAR_PAGE = 50
TYPES_CONTENU = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _import_visible(request, pk) -> Import:
    return get_object_or_404(
        Import.objects.visible_to(request.user).select_related(
            "structure", "depose_par", "confirme_par"
        ),
        pk=pk,
    )


def _messages_de(erreur) -> list[str]:
    if isinstance(erreur, ValidationError):
        return erreur.messages
    return [str(erreur) or "Votre habilitation ne permet pas cette opération."]


def _modeles(genres) -> list[dict]:
    return [
        {
            "libelle": genre.libelle,
            "liens": [(fmt, reverse("imports:modele", args=[cle, fmt])) for fmt in modeles.FORMATS],
        }
        for cle, genre in genres.items()
    ]


@role_requis(*ROLES_IMPORT)
def liste(request):
    visibles = Import.objects.visible_to(request.user)
    form = FiltresImportsForm(request.GET or None, imports=visibles)
    imports = form.filtrer(visibles).select_related("structure", "depose_par")
    return render(
        request,
        "imports/liste.html",
        {
            "form": form,
            "page": paginer(request, imports),
            "peut_importer": droits_imports(request.user).peut_importer,
            "modeles": _modeles(services.genres_disponibles()),
        },
    )


@role_requis(*ROLES_IMPORT)
def deposer(request):
    form = DepotForm(request.POST or None, request.FILES or None, user=request.user)
    correspondance = None
    if request.method == "POST" and form.is_valid():
        genre, structure = form.genre_choisi, form.cleaned_data["structure"]
        rapprochements = services.rapprochements_pour(genre, structure, form.tableau)
        choisie = False
        # Correspondance saisie après un premier essai : valable pour les mêmes en-têtes.
        if request.POST.get("signature") == form.signature:
            correspondance = CorrespondanceForm(
                request.POST, prefix="colonnes", genre=genre, rapprochements=rapprochements
            )
            if correspondance.is_valid():
                services.appliquer_choix(rapprochements, correspondance.choix())
                choisie = True
            else:
                form.add_error(None, "Corrigez la correspondance des colonnes ci-dessous.")
        manquantes = colonnes_manquantes(genre, rapprochements)
        if manquantes and correspondance is None:
            form.add_error("fichier", message_manquantes(manquantes))
        if not form.errors:
            try:
                with transaction.atomic():
                    imp = services.deposer(
                        par=request.user,
                        genre=genre,
                        structure=structure,
                        nom=form.cleaned_data["fichier"].name,
                        contenu=form.contenu,
                        tableau=form.tableau,
                        rapprochements=rapprochements,
                    )
                    if choisie:
                        services.memoriser(structure, genre.cle, rapprochements, par=request.user)
            except (ValidationError, PermissionDenied, services.ImportImpossible) as erreur:
                for texte in _messages_de(erreur):
                    form.add_error(None, texte)
            else:
                messages.success(
                    request,
                    "Fichier lu : voici l'essai à blanc. Rien n'est écrit avant votre "
                    "confirmation.",
                )
                return redirect("imports:fiche", pk=imp.pk)
        if correspondance is None:
            correspondance = CorrespondanceForm(
                prefix="colonnes", genre=genre, rapprochements=rapprochements
            )
    return render(
        request,
        "imports/deposer.html",
        {
            "form": form,
            "correspondance": correspondance,
            "signature": form.signature if correspondance is not None else "",
            "modeles": _modeles(services.genres_disponibles()),
            "peut_importer": droits_imports(request.user).peut_importer,
        },
    )


def _contexte_etat(request, imp: Import) -> dict:
    publiee = services.progression_publiee(imp)
    return {
        "imp": imp,
        "peut_relancer": services.peut_modifier(request.user, imp),
        "progression": (publiee or {}).get("progression", imp.progression),
        "etape": (publiee or {}).get("etape", imp.etape),
    }


def _colonnes(imp: Import, genre) -> list[dict]:
    entetes = {c.cle: c for c in genre.colonnes} if genre else {}
    # Colonnes calculées d'un export de la plateforme : reconnues, ignorées exprès.
    informatives = {cle_entete(e) for e in getattr(genre, "colonnes_informatives", ())}
    resultat = []
    for r in services.rapprochements_de(imp):
        colonne = entetes.get(r.colonne)
        origine = r.origine
        if not colonne and r.cle_fichier in informatives:
            origine = "informative"
        resultat.append(
            {
                "lettre": lettre_de_colonne(r.index),
                "entete": r.entete,
                "colonne": colonne.entete if colonne else "",
                "origine": origine,
            }
        )
    return resultat


def _fiche(request, imp: Import, *, correspondance=None, status=200):
    genre = services.genre_ou_none(imp.genre)
    filtre = FiltreLignesForm(request.GET or None)
    lignes = filtre.filtrer(imp.lignes.all()).order_by("numero")
    page = Paginator(lignes, LIGNES_PAR_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    peut_modifier = services.peut_modifier(request.user, imp)
    essai = imp.statut == Import.Statut.ESSAI and peut_modifier
    contexte = {
        **_contexte_etat(request, imp),
        "genre": genre,
        "colonnes": _colonnes(imp, genre),
        "filtre": filtre,
        "page": page,
        "essai": essai,
        "peut_modifier": peut_modifier,
        "peut_abandonner": peut_modifier or droits_imports(request.user).tout,
        "bloquants": services.bloquants(imp) if essai else [],
        "a_trancher": imp.lignes.filter(action=Action.DOUBLON, decision="").count(),
        "retour": urlencode(
            {k: v for k, v in request.GET.items() if k in ("page", "action") and v}
        ),
    }
    decisions = DecisionsForm(lignes=page.object_list) if essai else None
    contexte["decisions"] = decisions
    contexte["avec_decisions"] = bool(decisions and decisions.lignes)
    contexte["lignes_affichees"] = [
        {
            "ligne": ligne,
            "erreurs": rapport.erreurs_de(ligne),
            "champ": decisions[f"decision_{ligne.numero}"]
            if decisions and ligne.action == Action.DOUBLON
            else None,
        }
        for ligne in page.object_list
    ]
    if essai and genre is not None:
        contexte["correspondance"] = correspondance or CorrespondanceForm(
            genre=genre, rapprochements=services.rapprochements_de(imp)
        )
    return render(request, "imports/fiche.html", contexte, status=status)


@role_requis(*ROLES_IMPORT)
def fiche(request, pk):
    return _fiche(request, _import_visible(request, pk))


@role_requis(*ROLES_IMPORT)
def etat(request, pk):
    """Fragment interrogé toutes les 2 s pendant l'import ; à la fin, la page se recharge pour
    montrer compteurs et rapport."""
    imp = _import_visible(request, pk)
    reponse = render(request, "imports/_etat.html", _contexte_etat(request, imp))
    if request.htmx and not imp.en_production:
        reponse["HX-Refresh"] = "true"
    return reponse


def _vers_fiche(pk, retour: str = ""):
    url = reverse("imports:fiche", args=[pk])
    return redirect(f"{url}?{retour}" if retour else url)


def _retour(request) -> str:
    """Page et filtre de l'aperçu, repris après une action (valeurs bornées, jamais une URL)."""
    garde = {}
    page = identifiant(request.POST.get("page", ""))
    if page:
        garde["page"] = page
    action = request.POST.get("action", "")
    if action in dict(FiltreLignesForm.base_fields["action"].choices):
        garde["action"] = action
    return urlencode({k: v for k, v in garde.items() if v})


@require_POST
@role_requis(*ROLES_IMPORT)
def correspondance(request, pk):
    imp = _import_visible(request, pk)
    genre = services.genre_ou_none(imp.genre)
    if imp.statut != Import.Statut.ESSAI or genre is None:
        messages.error(request, "La correspondance ne se modifie que pendant l'essai à blanc.")
        return _vers_fiche(pk)
    form = CorrespondanceForm(
        request.POST, genre=genre, rapprochements=services.rapprochements_de(imp)
    )
    if not form.is_valid():
        return _fiche(request, imp, correspondance=form)
    try:
        with transaction.atomic():
            services.corriger_correspondance(imp, par=request.user, choix=form.choix())
    except (ValidationError, PermissionDenied, services.ImportImpossible) as erreur:
        messages.error(request, " ".join(_messages_de(erreur)))
    else:
        messages.success(
            request,
            "Correspondance enregistrée pour cette structure ; l'essai à blanc est refait.",
        )
    return _vers_fiche(pk)


@require_POST
@role_requis(*ROLES_IMPORT)
def decisions(request, pk):
    imp = _import_visible(request, pk)
    numeros = [
        n
        for n in (identifiant(cle.removeprefix("decision_")) for cle in request.POST)
        if n is not None
    ][: LIGNES_PAR_PAGE * 2]
    lignes = list(imp.lignes.filter(action=Action.DOUBLON, numero__in=numeros))
    form = DecisionsForm(request.POST, lignes=lignes)
    if not form.is_valid():
        messages.error(request, "Décision invalide : choisissez dans la liste proposée.")
        return _vers_fiche(pk, _retour(request))
    try:
        faites = services.trancher(
            imp,
            par=request.user,
            decisions=form.decisions(),
            pour_tous=form.cleaned_data.get("pour_tous", ""),
        )
    except (ValidationError, PermissionDenied) as erreur:
        messages.error(request, " ".join(_messages_de(erreur)))
    else:
        reste = imp.lignes.filter(action=Action.DOUBLON, decision="").count()
        messages.success(
            request,
            f"Décisions enregistrées ({faites}) ; "
            + (
                f"{reste} doublon(s) encore à trancher."
                if reste
                else "tous les doublons sont tranchés."
            ),
        )
    return _vers_fiche(pk, _retour(request))


# Hors de la transaction de requête du journal : l'envoi à la file (on_commit) doit avoir lieu
# avant la réponse, pour dire tout de suite à l'utilisateur si la file est indisponible.
@transaction.non_atomic_requests
@require_POST
@role_requis(*ROLES_IMPORT)
def confirmer(request, pk):
    imp = _import_visible(request, pk)
    try:
        imp = services.confirmer(imp, par=request.user)
    except (ValidationError, PermissionDenied) as erreur:
        messages.error(request, " ".join(_messages_de(erreur)))
        return _vers_fiche(pk)
    if imp.expedie is False:
        messages.warning(request, services.FILE_INDISPONIBLE)
    else:
        messages.success(request, "Import confirmé : il est en cours d'écriture.")
    return _vers_fiche(pk)


@transaction.non_atomic_requests
@require_POST
@role_requis(*ROLES_IMPORT)
def relancer(request, pk):
    imp = _import_visible(request, pk)
    try:
        imp = services.reprendre(imp, par=request.user)
    except (ValidationError, PermissionDenied, services.ImportImpossible) as erreur:
        messages.error(request, " ".join(_messages_de(erreur)))
        return _vers_fiche(pk)
    if imp.statut == Import.Statut.ESSAI:
        messages.success(request, "L'essai à blanc est refait sur les données du moment.")
    elif getattr(imp, "expedie", None) is False:
        messages.warning(request, services.FILE_INDISPONIBLE)
    else:
        messages.success(request, "L'import est relancé.")
    return _vers_fiche(pk)


@require_POST
@role_requis(*ROLES_IMPORT)
def abandonner(request, pk):
    imp = _import_visible(request, pk)
    try:
        services.abandonner(imp, par=request.user)
    except (ValidationError, PermissionDenied) as erreur:
        messages.error(request, " ".join(_messages_de(erreur)))
    else:
        messages.success(request, "Import abandonné : le fichier et le rapport sont effacés.")
    return _vers_fiche(pk)


@role_requis(*ROLES_IMPORT)
def fichier(request, pk):
    imp = _import_visible(request, pk)
    if not imp.fichier:
        raise Http404("Le fichier de cet import a été effacé.")
    try:
        contenu = imp.fichier.open("rb")
    except FileNotFoundError as erreur:
        raise Http404("Le fichier de cet import est introuvable.") from erreur
    tracer(ActionJournal.TELECHARGEMENT, objet=imp, details={"fichier": imp.nom_fichier})
    reponse = FileResponse(
        contenu,
        as_attachment=True,
        filename=imp.nom_fichier,
        content_type=TYPES_CONTENU.get(imp.format, "application/octet-stream"),
    )
    reponse["Cache-Control"] = "private, no-store"
    return reponse


@role_requis(*ROLES_IMPORT)
def rapport_lignes(request, pk, format):
    imp = _import_visible(request, pk)
    if format not in rapport.FORMATS:
        raise Http404("Format inconnu.")
    tracer(
        ActionJournal.EXPORT,
        objet=imp,
        details={"liste": "rapport d'import", "format": format, "lignes": imp.nb_lignes},
    )
    reponse = rapport.reponse(imp, format)
    reponse["Cache-Control"] = "private, no-store"
    return reponse


@role_requis(*ROLES_IMPORT)
def modele(request, genre, format):
    choisi = services.genre_ou_none(genre)
    if choisi is None or format not in modeles.FORMATS:
        raise Http404("Modèle inconnu.")
    return modeles.reponse(choisi, format)
