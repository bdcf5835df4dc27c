"""Recherche dans le journal (agents départementaux, administrateurs) et son export CSV.
Aucune vue n'écrit dans le journal autrement qu'en y ajoutant la trace de l'export."""

from django.shortcuts import render
from django.utils import timezone

from logement.acces import role_requis
from logement.exports import reponse_csv
from logement.pagination import paginer

from . import selectors
from .forms import FiltresJournalForm
from .services import Action, tracer

# Au-delà, l'export est tronqué (et la trace le dit) : qu'on affine la période.
EXPORT_MAX = 100_000

ENTETES_EXPORT = [
    "Date et heure",
    "Auteur (identifiant)",
    "Auteur (nom)",
    "Action",
    "Type d'objet",
    "Objet",
    "Ménage",
    "Changements",
    "Détails",
    "Adresse IP",
]


def _recherche(request):
    form = FiltresJournalForm(request.GET or None)
    filtres = form.filtres_valides() if form.is_bound else {}
    evenements = selectors.filtrer(selectors.evenements_visibles(request.user), filtres)
    return form, filtres, evenements


@role_requis(*selectors.ROLES_RECHERCHE)
def recherche(request):
    form, filtres, evenements = _recherche(request)
    page = paginer(request, evenements)
    for evenement in page:
        evenement.type_objet = selectors.type_objet(evenement)
        evenement.reference_menage = selectors.reference_menage(evenement.menage_id)
        evenement.lignes = selectors.lignes_changements(evenement)
        # L'origine d'une écriture hors requête s'affiche déjà à la place de l'auteur.
        evenement.texte_details = selectors.texte_details(evenement, sans=("origine",))
    requete_export = request.GET.copy()
    requete_export.pop("page", None)
    return render(
        request,
        "journal/recherche.html",
        {
            "form": form,
            "page": page,
            "filtres_actifs": bool(filtres),
            "requete_export": requete_export.urlencode(),
        },
    )


def _ligne_export(evenement):
    changements = " | ".join(
        f"{ligne['champ']} : {ligne['avant']} → {ligne['apres']}"
        if "avant" in ligne
        else f"{ligne['champ']} : {ligne['valeur']}"
        for ligne in selectors.lignes_changements(evenement, longueur=None)
    )
    return [
        timezone.localtime(evenement.horodatage).strftime("%d/%m/%Y %H:%M:%S"),
        evenement.auteur_identifiant,
        evenement.auteur_nom,
        evenement.get_action_display(),
        selectors.type_objet(evenement),
        evenement.objet_repr,
        selectors.reference_menage(evenement.menage_id),
        changements,
        selectors.texte_details(evenement),
        evenement.adresse_ip or "",
    ]


@role_requis(*selectors.ROLES_RECHERCHE)
def export(request):
    _, filtres, evenements = _recherche(request)
    evenements = list(evenements[: EXPORT_MAX + 1])
    tronque = len(evenements) > EXPORT_MAX
    evenements = evenements[:EXPORT_MAX]
    lignes = [_ligne_export(e) for e in evenements]
    tracer(
        Action.EXPORT,
        details={
            "liste": "journal",
            "filtres": {k: v for k, v in request.GET.lists() if k != "page"},
            "lignes": len(lignes),
            **({"tronque_a": EXPORT_MAX} if tronque else {}),
        },
    )
    return reponse_csv(f"journal-{timezone.localdate():%Y-%m-%d}", ENTETES_EXPORT, lignes)
