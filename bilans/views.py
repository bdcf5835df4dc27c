"""Pages des bilans : liste, demande, fiche avec état rafraîchi (htmx), relance, nouvelle
version, téléchargement des fichiers.

Tout part de `Bilan.objects.visible_to(user)` : hors périmètre, 404. Demander ou relancer :
agent départemental et coordinateur, sur leur ressort ; le co-pilote lit seulement."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from journal.services import Action, tracer
from logement.acces import role_requis
from logement.models import Role
from logement.pagination import paginer

from . import services
from .forms import DemandeBilanForm, FiltresBilansForm
from .models import Bilan, FichierBilan, droits_bilans
from .rendu import valeur_fr

ROLES_LECTURE = (Role.AGENT_DEPARTEMENTAL, Role.COORDINATEUR, Role.COPILOTE)
ROLES_DEMANDE = (Role.AGENT_DEPARTEMENTAL, Role.COORDINATEUR)

TYPES_CONTENU = {
    FichierBilan.Format.PDF: "application/pdf",
    FichierBilan.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FichierBilan.Format.CSV: "text/csv; charset=utf-8",
}


def _bilan_visible(request, pk) -> Bilan:
    return get_object_or_404(
        Bilan.objects.visible_to(request.user).select_related("territoire", "demande_par"), pk=pk
    )


def _annoncer(request, bilan: Bilan, texte: str) -> None:
    if bilan.expedie is False:
        messages.warning(request, services.FILE_INDISPONIBLE)
    else:
        messages.success(request, texte)


def _synthese(bilan: Bilan) -> list[dict]:
    """Chiffres clés de l'instantané, déjà mis en forme à la française."""
    lignes = (bilan.donnees or {}).get("synthese") or []
    return [
        {
            "libelle": ligne.get("libelle", ""),
            "n": valeur_fr(ligne.get("n"), ligne.get("unite", "")),
            "n1": valeur_fr(ligne.get("n1"), ligne.get("unite", "")),
        }
        for ligne in lignes
    ]


def _contexte_etat(request, bilan: Bilan) -> dict:
    droits = droits_bilans(request.user)
    return {
        "bilan": bilan,
        "fichiers": list(bilan.fichiers.all()) if bilan.statut == Bilan.Statut.PRET else [],
        "peut_agir": droits.peut_demander(bilan.territoire, bilan.audience),
    }


@role_requis(*ROLES_LECTURE)
def liste(request):
    visibles = Bilan.objects.visible_to(request.user)
    form = FiltresBilansForm(request.GET or None, bilans=visibles)
    bilans = form.filtrer(visibles).select_related("territoire", "demande_par")
    return render(
        request,
        "bilans/liste.html",
        {
            "form": form,
            "page": paginer(request, bilans),
            "peut_demander": droits_bilans(request.user).peut_demander_un_bilan,
        },
    )


# Hors de la transaction de requête du journal : l'envoi à la file (on_commit) doit avoir lieu
# avant la réponse, pour dire tout de suite à l'utilisateur si la file est indisponible.
@transaction.non_atomic_requests
@role_requis(*ROLES_DEMANDE)
def demander(request):
    form = DemandeBilanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        debut, fin, periodicite = form.periode
        try:
            bilan = services.demander_bilan(
                par=request.user,
                territoire=form.cleaned_data["territoire"],
                audience=form.cleaned_data["audience"],
                debut=debut,
                fin=fin,
                periodicite=periodicite,
            )
        except ValidationError as erreur:
            for champ, textes in getattr(erreur, "message_dict", {None: erreur.messages}).items():
                form.add_error(champ if champ in form.fields else None, textes)
        else:
            _annoncer(request, bilan, "Votre demande est enregistrée : le bilan est en production.")
            return redirect("bilans:fiche", pk=bilan.pk)
    return render(request, "bilans/demander.html", {"form": form})


@role_requis(*ROLES_LECTURE)
def fiche(request, pk):
    bilan = _bilan_visible(request, pk)
    return render(
        request,
        "bilans/fiche.html",
        {**_contexte_etat(request, bilan), "synthese": _synthese(bilan)},
    )


@role_requis(*ROLES_LECTURE)
def etat(request, pk):
    """Fragment interrogé toutes les 2 s pendant la production ; à la fin, la page se recharge
    pour montrer fichiers et chiffres."""
    bilan = _bilan_visible(request, pk)
    reponse = render(request, "bilans/_etat.html", _contexte_etat(request, bilan))
    if request.htmx and not bilan.en_production:
        reponse["HX-Refresh"] = "true"
    return reponse


@transaction.non_atomic_requests
@require_POST
@role_requis(*ROLES_DEMANDE)
def relancer(request, pk):
    bilan = _bilan_visible(request, pk)
    try:
        bilan = services.relancer(bilan, par=request.user)
    except ValidationError as erreur:
        messages.error(request, " ".join(erreur.messages))
    else:
        _annoncer(request, bilan, "Le bilan est relancé.")
    return redirect("bilans:fiche", pk=pk)


@transaction.non_atomic_requests
@require_POST
@role_requis(*ROLES_DEMANDE)
def nouvelle_version(request, pk):
    bilan = _bilan_visible(request, pk)
    if bilan.statut != Bilan.Statut.PRET:
        messages.error(request, "Une nouvelle version se demande à partir d'un bilan prêt.")
        return redirect("bilans:fiche", pk=pk)
    try:
        nouveau = services.demander_bilan(
            par=request.user,
            territoire=bilan.territoire,
            audience=bilan.audience,
            debut=bilan.date_debut,
            fin=bilan.date_fin,
            periodicite=bilan.periodicite,
        )
    except ValidationError as erreur:
        messages.error(request, " ".join(erreur.messages))
        return redirect("bilans:fiche", pk=pk)
    _annoncer(
        request,
        nouveau,
        f"La version {nouveau.version} est demandée ; la version {bilan.version} reste "
        "disponible telle quelle.",
    )
    return redirect("bilans:fiche", pk=nouveau.pk)


@role_requis(*ROLES_LECTURE)
def telecharger(request, pk, format):
    bilan = get_object_or_404(
        Bilan.objects.visible_to(request.user).select_related("territoire"),
        pk=pk,
        statut=Bilan.Statut.PRET,
    )
    fichier = get_object_or_404(FichierBilan, bilan=bilan, format=format)
    try:
        contenu = fichier.fichier.open("rb")
    except FileNotFoundError as erreur:
        raise Http404("Le fichier de ce bilan est introuvable.") from erreur
    tracer(
        Action.TELECHARGEMENT,
        objet=bilan,
        details={"format": fichier.format, "version": bilan.version},
    )
    reponse = FileResponse(
        contenu,
        as_attachment=True,
        filename=services.nom_fichier(bilan, fichier.format),
        content_type=TYPES_CONTENU[fichier.format],
    )
    reponse["Cache-Control"] = "private, no-store"
    return reponse
