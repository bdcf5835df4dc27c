"""Pages des ménages : liste et export, création, fiche et ses saisies."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.utils import timezone

from journal.services import Action, tracer
from logement.acces import donnees_personnelles_requises, role_requis, visible_ou_404
from logement.exports import reponse_csv, reponse_xlsx
from logement.models import Role
from logement.pagination import paginer

from . import selectors, services
from .concurrence import EditionConcurrente, prendre_la_main
from .exports import ENTETES_MENAGES, lignes_menages
from .forms import (
    LIGNES_COMPOSITION,
    LIGNES_COMPOSITION_MAX,
    ChangementSituationForm,
    ConsentementForm,
    CreationMenageForm,
    FiltresMenagesForm,
    MenageEditionForm,
    VersionMenageForm,
    ajouter_erreurs,
    composition_formset,
    ressources_formset,
)
from .models import Menage, Personne

# --- Liste et export ----------------------------------------------------------------------------


def _menages_filtres(request):
    """Le formulaire de filtres et les ménages visibles qui y répondent (liste comme export)."""
    visibles = Menage.objects.visible_to(request.user)
    donnees = None
    if request.GET:
        # Sans tri demandé, le menu affiche le tri réellement appliqué.
        donnees = request.GET.copy()
        donnees["tri"] = donnees.get("tri") or selectors.TRI_PAR_DEFAUT
    form = FiltresMenagesForm(donnees, user=request.user, menages=visibles)
    filtres = form.filtres_valides() if form.is_bound else {}
    menages = selectors.menages_filtres(visibles, filtres)
    return form, filtres, selectors.trier(selectors.avec_colonnes(menages), filtres.get("tri"))


def _liens_de_tri(request, tri: str) -> dict:
    """Pour chaque colonne triable : l'URL qui trie dessus (ou inverse le sens) et le sens actif."""
    liens = {}
    for cle in selectors.TRIS:
        parametres = request.GET.copy()
        parametres.pop("page", None)
        actif = tri.lstrip("-") == cle
        descendant = tri.startswith("-")
        parametres["tri"] = f"-{cle}" if actif and not descendant else cle
        sens = ("descending" if descendant else "ascending") if actif else ""
        liens[cle] = {"url": f"?{parametres.urlencode()}", "sens": sens}
    return liens


@donnees_personnelles_requises
def liste(request):
    form, filtres, menages = _menages_filtres(request)
    page = paginer(request, menages)
    for menage in page:
        menage.referents = selectors.referents(menage)
    requete_export = request.GET.copy()
    requete_export.pop("page", None)
    return render(
        request,
        "menages/liste.html",
        {
            "form": form,
            "page": page,
            "filtres_actifs": bool(filtres.keys() - {"tri"}),
            "tris": _liens_de_tri(request, filtres.get("tri") or selectors.TRI_PAR_DEFAUT),
            "requete_export": requete_export.urlencode(),
            "peut_creer": request.user.perimetre.a_role(
                Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL
            ),
        },
    )


@donnees_personnelles_requises
def export(request):
    _, _, menages = _menages_filtres(request)
    nom = f"menages-{timezone.localdate():%Y-%m-%d}"
    lignes = list(lignes_menages(menages))
    format_ = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    filtres = {k: v for k, v in request.GET.lists() if k not in ("page", "format")}
    tracer(
        Action.EXPORT,
        details={"liste": "ménages", "format": format_, "filtres": filtres, "lignes": len(lignes)},
    )
    if format_ == "xlsx":
        return reponse_xlsx(nom, [("Ménages", ENTETES_MENAGES, lignes)])
    return reponse_csv(nom, ENTETES_MENAGES, lignes)


# --- Création -----------------------------------------------------------------------------------


@role_requis(Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)
def creer(request):
    if request.method == "POST":
        form = CreationMenageForm(request.POST, user=request.user)
        composition = composition_formset(request.POST)
        if form.is_valid() and composition.is_valid():
            try:
                menage = services.creer_menage(
                    par=request.user, personnes=composition.personnes(), **form.champs_menage()
                )
            except ValidationError as erreur:
                ajouter_erreurs(form, erreur)
            else:
                messages.success(request, f"Le ménage {menage.reference} est créé.")
                return redirect("menages:fiche", pk=menage.pk)
    else:
        form = CreationMenageForm(user=request.user)
        composition = composition_formset(lignes=_nombre_de_lignes(request))
    return render(
        request,
        "menages/creer.html",
        {
            "form": form,
            "composition": composition,
            "plus_de_lignes": min(len(composition.forms) + 4, LIGNES_COMPOSITION_MAX),
            "lignes_max": LIGNES_COMPOSITION_MAX,
        },
    )


def _nombre_de_lignes(request) -> int:
    try:
        lignes = int(request.GET.get("lignes", LIGNES_COMPOSITION))
    except ValueError:
        return LIGNES_COMPOSITION
    return max(1, min(lignes, LIGNES_COMPOSITION_MAX))


# --- Fiche --------------------------------------------------------------------------------------


@donnees_personnelles_requises
def fiche(request, pk):
    menage = visible_ou_404(Menage, request.user, pk=pk)
    tracer(Action.CONSULTATION, objet=menage)
    prefetch_related_objects([menage], *selectors.prechargements_fiche())
    # Le demandeur principal en tête, puis l'ordre du modèle (rôle, âge).
    personnes = sorted(menage.personnes.all(), key=lambda p: p.role != Personne.Role.DEMANDEUR)
    return render(
        request,
        "menages/fiche.html",
        {
            "menage": menage,
            "personnes": personnes,
            "total_ressources": selectors.ressources_en_cours_total(menage),
            "alerte_nur": menage.alerte_nur(),
            "historique": selectors.historique(menage),
        },
    )


# --- Saisies de la fiche ------------------------------------------------------------------------
# Qui voit le ménage peut y écrire : coordinateur et agent départemental de son territoire,
# référent d'une structure qui l'accompagne, administrateur ; jamais un co-pilote.


def _formulaire(request, menage, form, titre, gabarit="menages/formulaire.html", **extra):
    return render(request, gabarit, {"menage": menage, "form": form, "titre": titre, **extra})


@donnees_personnelles_requises
def changer_situation(request, pk):
    menage = visible_ou_404(Menage, request.user, pk=pk)
    form = ChangementSituationForm(request.POST or None, menage=menage)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.changer_situation(
                d["personnes"],
                type=d["type"],
                date=d["date"],
                commune=d["commune"],
                commentaire=d["commentaire"],
            )
        except ValidationError as erreur:
            ajouter_erreurs(form, erreur)
        else:
            messages.success(request, "Le changement de situation est enregistré.")
            return redirect("menages:fiche", pk=menage.pk)
    return _formulaire(request, menage, form, "Changer la situation résidentielle")


@donnees_personnelles_requises
def ressources(request, pk):
    menage = visible_ou_404(Menage, request.user, pk=pk)
    formset = ressources_formset(request.POST or None, menage=menage)
    # Les ressources font partie du ménage : leur saisie suit la version du ménage.
    version = VersionMenageForm(request.POST or None, menage=menage)
    a_supprimer = []
    if request.method == "POST" and version.is_valid() and formset.is_valid():
        # Une suppression se confirme : la page revient avec la liste de ce qui partira.
        a_supprimer = [form.instance for form in formset.deleted_forms]
        if not a_supprimer or "confirmer_suppression" in request.POST:
            try:
                with transaction.atomic():
                    prendre_la_main(
                        menage, version_lue=version.cleaned_data["version"], par=request.user
                    )
                    formset.save()
            except EditionConcurrente as conflit:
                version.add_error(None, conflit.message)
                a_supprimer = []
            else:
                messages.success(request, "Les ressources du ménage sont enregistrées.")
                return redirect("menages:fiche", pk=menage.pk)
    return render(
        request,
        "menages/ressources.html",
        {"menage": menage, "formset": formset, "version": version, "a_supprimer": a_supprimer},
    )


@donnees_personnelles_requises
def consentement(request, pk):
    menage = visible_ou_404(Menage, request.user, pk=pk)
    form = ConsentementForm(request.POST or None)
    form.instance.menage = menage
    form.instance.recueilli_par = request.user
    return _enregistrer(
        request,
        menage,
        form,
        titre="Information et libre adhésion",
        succes="L'information et l'adhésion du ménage sont enregistrées.",
    )


@donnees_personnelles_requises
def modifier(request, pk):
    menage = visible_ou_404(Menage, request.user, pk=pk)
    form = MenageEditionForm(request.POST or None, instance=menage, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                prendre_la_main(
                    form.instance, version_lue=form.cleaned_data["version"], par=request.user
                )
                form.save()
        except EditionConcurrente as conflit:
            form.add_error(None, conflit.message)
        else:
            messages.success(request, "Les informations du ménage sont enregistrées.")
            return redirect("menages:fiche", pk=menage.pk)
    return _formulaire(request, menage, form, "Modifier le ménage")


def _enregistrer(request, menage, form, *, titre, succes):
    """Formulaire de modèle : enregistré d'un bloc (relations comprises), retour à la fiche."""
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, succes)
        return redirect("menages:fiche", pk=menage.pk)
    return _formulaire(request, menage, form, titre)
