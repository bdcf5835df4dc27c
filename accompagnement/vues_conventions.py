"""Conventions de financement : liste avec occupation et coût par ménage, fiche, saisie.

Lecture : référent (conventions de sa structure), coordinateur et agent départemental (celles
de leur ressort) ; saisie : agent départemental et administrateur ; co-pilote : 403.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from logement.acces import role_requis, visible_ou_404
from logement.models import Role
from logement.pagination import paginer

from .forms_conventions import ConventionForm, FiltresConventionsForm
from .models import Convention, Mesure
from .selectors import demandeurs

ROLES_LECTURE = (Role.REFERENT, Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)
ROLES_SAISIE = (Role.AGENT_DEPARTEMENTAL,)


@role_requis(*ROLES_LECTURE)
def liste(request):
    visibles = Convention.objects.visible_to(request.user)
    form = FiltresConventionsForm(
        request.GET or None, conventions=visibles, annee_par_defaut=timezone.localdate().year
    )
    conventions = form.filtrer(visibles).select_related("structure", "type_mesure", "territoire")
    page = paginer(request, conventions.order_by("structure__nom", "type_mesure__ordre", "pk"))
    return render(
        request,
        "conventions/liste.html",
        {
            "form": form,
            "annee": form.annee_choisie,
            "page": page,
            "peut_saisir": request.user.perimetre.a_role(*ROLES_SAISIE),
        },
    )


@role_requis(*ROLES_LECTURE)
def fiche(request, pk):
    annee = visible_ou_404(Convention, request.user, pk=pk).annee
    convention = (
        Convention.objects.select_related("structure", "type_mesure", "territoire")
        .avec_occupation(annee)
        .get(pk=pk)
    )
    mesures = (
        Mesure.objects.visible_to(request.user)
        .filter(convention=convention)
        .select_related("menage", "type", "referent")
        .prefetch_related(demandeurs("menage__personnes"))
        .order_by("-date_debut", "-pk")
    )
    return render(
        request,
        "conventions/fiche.html",
        {
            "convention": convention,
            "page": paginer(request, mesures),
            "peut_saisir": request.user.perimetre.a_role(*ROLES_SAISIE),
        },
    )


@role_requis(*ROLES_SAISIE)
def creer(request):
    form = ConventionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        convention = form.save()
        messages.success(request, f"La convention {convention} est enregistrée.")
        return redirect("conventions:fiche", pk=convention.pk)
    return render(
        request, "conventions/formulaire.html", {"form": form, "titre": "Nouvelle convention"}
    )


@role_requis(*ROLES_SAISIE)
def modifier(request, pk):
    convention = visible_ou_404(Convention, request.user, pk=pk)
    form = ConventionForm(request.POST or None, instance=convention, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "La convention est modifiée.")
        return redirect("conventions:fiche", pk=convention.pk)
    return render(
        request,
        "conventions/formulaire.html",
        {"form": form, "titre": "Modifier la convention", "convention": convention},
    )
