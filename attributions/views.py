"""Pages des attributions : logements captés, propositions aux ménages, pipeline jusqu'à l'entrée."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from journal.services import Action, tracer
from logement.acces import role_requis, visible_ou_404
from logement.exports import reponse_csv, reponse_xlsx
from logement.pagination import paginer
from logement.text import identifiant
from menages.models import Menage

from . import selectors, services
from .exports import ENTETES_LOGEMENTS, lignes_logements
from .forms import (
    BailForm,
    DecisionCaleolForm,
    EntreeForm,
    FiltreLogementsForm,
    FiltrePropositionsForm,
    LogementForm,
    PropositionForm,
    ReponseMenageForm,
)
from .models import Logement, Proposition
from .selectors import ROLES_LECTEURS, ROLES_REDACTEURS

# --- Logements ----------------------------------------------------------------------------------


def _logements_filtres(request):
    filtres = FiltreLogementsForm(request.GET, user=request.user)
    liste = filtres.filtrer(selectors.logements(request.user)).order_by(
        "-date_disponibilite", "-id"
    )
    return filtres, liste


@role_requis(*ROLES_LECTEURS)
def logements(request):
    filtres, liste = _logements_filtres(request)
    # Venu de la fiche d'un ménage : chaque logement disponible offre de le lui proposer.
    pour = None
    pk = identifiant(request.GET.get("pour", ""))
    if pk is not None and selectors.peut_ecrire(request.user):
        pour = Menage.objects.visible_to(request.user).filter(pk=pk).first()
    return render(
        request,
        "attributions/logements.html",
        {
            "filtres": filtres,
            "page": paginer(request, liste),
            "pour": pour,
            "aujourdhui": timezone.localdate(),
            "peut_ecrire": selectors.peut_ecrire(request.user),
            "requete_export": _requete_export(request),
        },
    )


def _requete_export(request) -> str:
    requete = request.GET.copy()
    for cle in ("page", "pour", "format"):
        requete.pop(cle, None)
    return requete.urlencode()


@role_requis(*ROLES_LECTEURS)
def logements_export(request):
    """La liste filtrée, aux colonnes que l'import des logements relit."""
    _, liste = _logements_filtres(request)
    nom = f"logements-{timezone.localdate():%Y-%m-%d}"
    lignes = list(lignes_logements(liste))
    format_ = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    filtres = {k: v for k, v in request.GET.lists() if k not in ("page", "pour", "format")}
    tracer(
        Action.EXPORT,
        details={
            "liste": "logements",
            "format": format_,
            "filtres": filtres,
            "lignes": len(lignes),
        },
    )
    if format_ == "xlsx":
        return reponse_xlsx(nom, [("Logements", ENTETES_LOGEMENTS, lignes)])
    return reponse_csv(nom, ENTETES_LOGEMENTS, lignes)


@role_requis(*ROLES_LECTEURS)
def logement_fiche(request, pk):
    logement = get_object_or_404(selectors.logements(request.user), pk=pk)
    propositions = list(
        selectors.propositions(request.user)
        .filter(logement=logement)
        .order_by("-date_proposition", "-id")
    )
    hors_perimetre = logement.propositions.count() - len(propositions)
    return render(
        request,
        "attributions/logement_fiche.html",
        {
            "logement": logement,
            "propositions": propositions,
            "hors_perimetre": hors_perimetre,
            "alerte_caleol": selectors.alerte_caleol(logement) if logement.disponible else "",
            "aujourdhui": timezone.localdate(),
            "peut_ecrire": selectors.peut_ecrire(request.user),
        },
    )


@role_requis(*ROLES_REDACTEURS)
def logement_creer(request):
    return _formulaire_logement(request, Logement())


@role_requis(*ROLES_REDACTEURS)
def logement_modifier(request, pk):
    return _formulaire_logement(request, visible_ou_404(Logement, request.user, pk=pk))


def _formulaire_logement(request, logement):
    creation = logement.pk is None
    form = LogementForm(request.POST or None, instance=logement, user=request.user)
    if request.method == "POST" and form.is_valid():
        logement = form.save()
        messages.success(
            request,
            f"Logement {logement.reference} {'enregistré' if creation else 'mis à jour'}.",
        )
        return redirect("attributions:logement_fiche", pk=logement.pk)
    return render(
        request,
        "attributions/logement_form.html",
        {"form": form, "logement": logement, "creation": creation},
    )


# --- Proposition d'un logement à des ménages ----------------------------------------------------


@role_requis(*ROLES_REDACTEURS)
def proposer(request, pk):
    logement = get_object_or_404(selectors.logements(request.user), pk=pk)
    if request.method == "POST":
        form = PropositionForm(request.POST, user=request.user, logement=logement)
        if form.is_valid():
            try:
                crees = services.proposer_logement(
                    logement,
                    menages=list(form.cleaned_data["menages"]),
                    contingent=form.cleaned_data["contingent"],
                    date=form.cleaned_data["date_proposition"],
                )
            except ValidationError as erreur:
                form.ajouter_erreurs(erreur)
            else:
                messages.success(
                    request,
                    f"Logement {logement.reference} proposé à "
                    f"{', '.join(p.menage.reference for p in crees)}.",
                )
                if alerte := selectors.alerte_caleol(logement):
                    messages.warning(request, alerte)
                return redirect("attributions:logement_fiche", pk=logement.pk)
        choisis = request.POST.getlist("menages")
    else:
        form = PropositionForm(user=request.user, logement=logement)
        choisis = request.GET.getlist("menages")
    recherche = request.GET.get("q", "")
    selection, trouves = selectors.menages_candidats(
        request.user, logement, recherche=recherche, choisis=choisis
    )
    contexte = {
        "logement": logement,
        "form": form,
        "recherche": recherche,
        "selection": selection,
        "trouves": trouves,
        "alerte_caleol": selectors.alerte_caleol(logement),
    }
    if request.htmx:
        return render(request, "attributions/_candidats.html", contexte)
    return render(request, "attributions/proposer.html", contexte)


# --- Pipeline -----------------------------------------------------------------------------------


@role_requis(*ROLES_LECTEURS)
def propositions(request):
    filtres = FiltrePropositionsForm(request.GET, user=request.user)
    du_territoire = filtres.filtrer_territoire(Proposition.objects.visible_to(request.user))
    retenues = du_territoire
    if annee := filtres.cleaned_data.get("annee"):
        retenues = retenues.filter(date_proposition__year=annee)
    liste = selectors.pour_affichage(retenues)
    legende = "Propositions"
    if etape := filtres.cleaned_data.get("etape"):
        liste = liste.filter(etape_calculee=etape)
        legende += f" à l'étape « {Proposition.Etape(etape).label} »"
    page = paginer(request, liste.order_by("-date_proposition", "-id"))
    comptes = retenues.compter_par_etape()
    return render(
        request,
        "attributions/propositions.html",
        {
            "filtres": filtres,
            "etapes": [
                {"code": code, "libelle": libelle, "nombre": comptes[code]}
                for code, libelle in Proposition.Etape.choices
            ],
            "etape_choisie": etape,
            "delai_depasse": retenues.delai_de_reponse_depasse().count(),
            "delai_jours": Proposition.DELAI_REPONSE_JOURS,
            "annee": selectors.tableau_attributions(
                request.user,
                du_territoire,
                annee=filtres.annee_choisie(),
                epci=filtres.cleaned_data.get("epci"),
            ),
            "page": page,
            "legende": f"{legende} ({page.paginator.count})",
            "peut_ecrire": selectors.peut_ecrire(request.user),
        },
    )


# --- Étapes d'une proposition -------------------------------------------------------------------


@role_requis(*ROLES_REDACTEURS)
def decision_caleol(request, pk):
    proposition = _proposition(request, pk)
    return _saisir_etape(
        request,
        proposition,
        DecisionCaleolForm,
        titre="Décision de la CALEOL",
        initial={
            "date_caleol": proposition.date_caleol or timezone.localdate(),
            "decision": proposition.decision_id,
            "motif_decision": proposition.motif_decision,
        },
        appliquer=lambda d: services.enregistrer_decision_caleol(
            proposition, date=d["date_caleol"], decision=d["decision"], motif=d["motif_decision"]
        ),
        succes="Décision de la CALEOL enregistrée.",
    )


@role_requis(*ROLES_REDACTEURS)
def reponse_menage(request, pk):
    proposition = _proposition(request, pk)
    return _saisir_etape(
        request,
        proposition,
        ReponseMenageForm,
        titre="Réponse du ménage",
        initial={"date_reponse": timezone.localdate()},
        appliquer=lambda d: services.enregistrer_reponse(
            proposition, reponse=d["reponse"], date=d["date_reponse"], motif=d["motif_refus"]
        ),
        succes="Réponse du ménage enregistrée.",
    )


@role_requis(*ROLES_REDACTEURS)
def bail(request, pk):
    proposition = _proposition(request, pk)
    autres = (
        Proposition.objects.filter(logement_id=proposition.logement_id)
        .exclude(pk=proposition.pk)
        .en_cours()
        .count()
    )
    return _saisir_etape(
        request,
        proposition,
        BailForm,
        titre="Signature du bail",
        initial={"date_signature_bail": timezone.localdate()},
        form_kwargs={"autres_candidats": autres},
        appliquer=lambda d: services.signer_bail(proposition, date=d["date_signature_bail"]),
        succes="Bail enregistré : l'attribution est comptée.",
    )


@role_requis(*ROLES_REDACTEURS)
def entree(request, pk):
    proposition = _proposition(request, pk)
    return _saisir_etape(
        request,
        proposition,
        EntreeForm,
        titre="Entrée dans les lieux",
        initial={"date_entree": timezone.localdate()},
        appliquer=lambda d: services.enregistrer_entree(
            proposition, date=d["date_entree"], changer_la_situation=d["changer_situation"]
        ),
        succes="Entrée dans les lieux enregistrée.",
    )


def _proposition(request, pk) -> Proposition:
    return get_object_or_404(selectors.propositions(request.user), pk=pk)


def _saisir_etape(
    request, proposition, form_class, *, titre, initial, appliquer, succes, form_kwargs=None
):
    """Saisie d'une étape : formulaire, confirmation quand elle clôt quelque chose, service."""
    form = form_class(request.POST or None, initial=initial, **(form_kwargs or {}))
    retour = reverse("attributions:logement_fiche", args=[proposition.logement_id])
    contexte = {"proposition": proposition, "form": form, "titre": titre, "retour": retour}
    if request.method == "POST" and form.is_valid():
        if form.attend_confirmation():
            contexte["message"] = form.a_confirmer()
            return render(request, "attributions/confirmer.html", contexte)
        try:
            appliquer(form.cleaned_data)
        except ValidationError as erreur:
            form.ajouter_erreurs(erreur)
        else:
            messages.success(request, succes)
            return redirect(retour)
    return render(request, "attributions/etape.html", contexte)
