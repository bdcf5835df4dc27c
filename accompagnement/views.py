"""Pages de l'accompagnement : orientations et décisions, actions sur les mesures, projet
d'accompagnement, rencontres, file active du référent.

Les vues restent minces : périmètre (404), droit d'écrire (403), formulaire, service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from journal.services import Action, tracer
from logement.acces import donnees_personnelles_requises, role_requis, visible_ou_404
from logement.exports import reponse_csv, reponse_xlsx
from logement.models import Role
from logement.pagination import paginer
from menages.concurrence import EditionConcurrente, prendre_la_main
from menages.models import Menage

from . import selectors, services
from .exports import ENTETES_MESURES, lignes_mesures
from .forms import (
    ActionEditionForm,
    ActionForm,
    DemarrageForm,
    FiltreOrientationsForm,
    FinMesureForm,
    ObjectifEditionForm,
    ObjectifForm,
    OrientationForm,
    OuvertureMesureForm,
    ProjetForm,
    RedirectionForm,
    RefusForm,
    RencontreForm,
    RenouvellementForm,
    ajouter_erreurs,
    recapitulatif,
)
from .models import ActionProjet, Mesure, ObjectifProjet, Orientation, ProjetAccompagnement
from .templatetags.accompagnement_fiche import contexte_rencontres

decideur_requis = role_requis(Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)


def _fiche(menage_id) -> str:
    return reverse("menages:fiche", args=[menage_id])


def _succes(request, message: str, vers: str, **kwargs):
    messages.success(request, message)
    return redirect(vers, **kwargs)


def _saisie(request, form, *, contexte, executer, confirmation=False, avertir=None, renvois=None):
    """Formulaire → (étape de confirmation) → service.

    `executer(donnees)` appelle le service et renvoie la réponse ; une ValidationError du
    service revient en ligne sur le formulaire, avec ce que l'utilisateur a saisi. Avec
    `confirmation`, une première soumission valide affiche un récapitulatif (et l'éventuel
    avertissement de `avertir(donnees)`) ; le bouton « Confirmer » renvoie les mêmes champs,
    revalidés avant d'écrire ; « Modifier » revient au formulaire."""
    if request.method == "POST" and form.is_valid() and "modifier" not in request.POST:
        if not confirmation or "confirmer" in request.POST:
            try:
                return executer(form.cleaned_data)
            except ValidationError as erreur:
                ajouter_erreurs(form, erreur, renvois)
        else:
            return render(
                request,
                "accompagnement/confirmation.html",
                {
                    **contexte,
                    "form": form,
                    "recapitulatif": recapitulatif(form),
                    "avertissement": avertir(form.cleaned_data) if avertir else None,
                },
            )
    return render(request, "accompagnement/formulaire.html", {**contexte, "form": form})


# --- Orientations -------------------------------------------------------------------------------


@decideur_requis
def orientations(request):
    filtre = FiltreOrientationsForm(request.GET or None, user=request.user)
    criteres = filtre.cleaned_data if filtre.is_valid() else {}
    decidees = criteres.get("statut") == "decidees"
    page = paginer(
        request,
        selectors.orientations(
            request.user, decidees=decidees, plateforme=criteres.get("plateforme")
        ),
    )
    return render(
        request,
        "accompagnement/orientations.html",
        {
            "page": page,
            "filtre": filtre,
            "decidees": decidees,
            "delai_alerte": selectors.delai_alerte_orientation(),
        },
    )


@decideur_requis
def orientation_creer(request, menage_pk):
    menage = visible_ou_404(Menage, request.user, pk=menage_pk)
    form = OrientationForm(request.POST or None, user=request.user, menage=menage)
    if request.method == "POST" and form.is_valid():
        form.save()
        return _succes(request, f"Orientation du ménage {menage} enregistrée.", _fiche(menage.pk))
    return render(
        request,
        "accompagnement/formulaire.html",
        {
            "form": form,
            "menage": menage,
            "titre": "Orienter le ménage vers la plateforme",
            "bouton": "Enregistrer l'orientation",
            "retour": _fiche(menage.pk),
        },
    )


def _orientation_a_decider(request, pk, titre):
    """L'orientation visible (sinon 404) et le contexte de sa page de décision."""
    orientation = get_object_or_404(
        Orientation.objects.visible_to(request.user).select_related(
            "menage", "plateforme", "origine", "type_mesure_preconisee", "decision_par"
        ),
        pk=pk,
    )
    contexte = {
        "orientation": orientation,
        "menage": orientation.menage,
        "titre": titre,
        "retour": reverse("accompagnement:orientations"),
    }
    return orientation, contexte


def _deja_decidee(request, contexte):
    """Une décision ne se reprend pas : la page l'explique, sans formulaire."""
    statut = 409 if request.method == "POST" else 200
    return render(request, "accompagnement/orientation_decidee.html", contexte, status=statut)


def _avertissement_convention(donnees) -> str | None:
    """Une convention complète n'interdit pas d'ouvrir : on prévient, l'utilisateur décide."""
    convention = selectors.convention_saturee(
        structure=donnees["structure"],
        type_mesure=donnees["type_mesure"],
        jour=donnees["date_debut"] or timezone.localdate(),
    )
    if convention is None:
        return None
    return (
        f"La convention « {convention} » est complète : {convention.mesures_ouvertes} mesures "
        f"ouvertes pour {convention.nombre_mesures} financées. Vous pouvez confirmer quand "
        "même ; pensez à en informer le financeur."
    )


def _message_ouverture(mesure) -> str:
    etat = "démarrée" if mesure.date_debut else "proposée"
    return f"Mesure {mesure.type.code.upper()} {etat} pour le ménage {mesure.menage}."


@decideur_requis
def orientation_accepter(request, pk):
    orientation, contexte = _orientation_a_decider(request, pk, "Accepter l'orientation")
    if orientation.statut != Orientation.Statut.EN_ATTENTE:
        return _deja_decidee(request, contexte)
    form = OuvertureMesureForm(
        request.POST or None,
        user=request.user,
        initial={"type_mesure": orientation.type_mesure_preconisee_id},
    )

    def executer(d):
        mesure = services.accepter_orientation(
            orientation,
            par=request.user,
            date_decision=timezone.localdate(),
            type_mesure=d["type_mesure"],
            structure=d["structure"],
            referent=d["referent"],
            date_debut=d["date_debut"],
        )
        return _succes(
            request,
            f"Orientation acceptée. {_message_ouverture(mesure)}",
            "accompagnement:orientations",
        )

    return _saisie(
        request,
        form,
        contexte={**contexte, "bouton": "Accepter et ouvrir la mesure"},
        executer=executer,
        confirmation=True,
        avertir=_avertissement_convention,
        renvois={"type": "type_mesure"},
    )


@decideur_requis
def orientation_refuser(request, pk):
    orientation, contexte = _orientation_a_decider(request, pk, "Refuser l'orientation")
    if orientation.statut != Orientation.Statut.EN_ATTENTE:
        return _deja_decidee(request, contexte)

    def executer(d):
        services.refuser_orientation(
            orientation, par=request.user, date_decision=timezone.localdate(), motif=d["motif"]
        )
        return _succes(
            request,
            f"Orientation du ménage {orientation.menage} refusée.",
            "accompagnement:orientations",
        )

    return _saisie(
        request,
        RefusForm(request.POST or None),
        contexte={**contexte, "bouton": "Refuser l'orientation"},
        executer=executer,
        confirmation=True,
        renvois={"motif_decision": "motif"},
    )


@decideur_requis
def orientation_rediriger(request, pk):
    orientation, contexte = _orientation_a_decider(request, pk, "Réorienter le ménage")
    if orientation.statut != Orientation.Statut.EN_ATTENTE:
        return _deja_decidee(request, contexte)

    def executer(d):
        services.rediriger_orientation(
            orientation,
            par=request.user,
            date_decision=timezone.localdate(),
            motif=d["motif"],
            redirigee_vers=d["redirigee_vers"],
        )
        return _succes(
            request,
            f"Ménage {orientation.menage} réorienté vers {d['redirigee_vers']}.",
            "accompagnement:orientations",
        )

    return _saisie(
        request,
        RedirectionForm(request.POST or None),
        contexte={**contexte, "bouton": "Réorienter"},
        executer=executer,
        confirmation=True,
        renvois={"motif_decision": "motif"},
    )


# --- Mesures ------------------------------------------------------------------------------------


def _mesure(request, pk, *, pour_decideur=False):
    """La mesure visible (sinon 404), si l'utilisateur la fait vivre (sinon 403) ; avec
    `pour_decideur`, coordinateurs et agents départementaux passent aussi."""
    mesure = get_object_or_404(
        Mesure.objects.visible_to(request.user).select_related(
            "menage", "type", "structure", "referent"
        ),
        pk=pk,
    )
    user = request.user
    if not (
        selectors.suit_la_mesure(user, mesure)
        or (pour_decideur and selectors.decide_des_orientations(user))
    ):
        raise PermissionDenied("Seul un référent de la structure qui porte la mesure peut agir.")
    return mesure


def _contexte_mesure(mesure, titre, bouton):
    return {
        "mesure": mesure,
        "menage": mesure.menage,
        "titre": titre,
        "bouton": bouton,
        "retour": _fiche(mesure.menage_id),
    }


@decideur_requis
def mesure_ouvrir(request, menage_pk):
    menage = visible_ou_404(Menage, request.user, pk=menage_pk)

    def executer(d):
        mesure = services.ouvrir_mesure(
            menage=menage,
            type_mesure=d["type_mesure"],
            structure=d["structure"],
            referent=d["referent"],
            date_proposition=timezone.localdate(),
            date_debut=d["date_debut"],
        )
        return _succes(request, _message_ouverture(mesure), _fiche(menage.pk))

    return _saisie(
        request,
        OuvertureMesureForm(request.POST or None, user=request.user),
        contexte={
            "menage": menage,
            "titre": "Ouvrir une mesure d'accompagnement",
            "bouton": "Ouvrir la mesure",
            "retour": _fiche(menage.pk),
        },
        executer=executer,
        confirmation=True,
        avertir=_avertissement_convention,
        renvois={"type": "type_mesure"},
    )


@donnees_personnelles_requises
def mesure_demarrer(request, pk):
    mesure = _mesure(request, pk, pour_decideur=True)

    def executer(d):
        services.demarrer_mesure(mesure, date_debut=d["date_debut"])
        return _succes(
            request, f"Mesure {mesure.type.code.upper()} démarrée.", _fiche(mesure.menage_id)
        )

    return _saisie(
        request,
        DemarrageForm(request.POST or None),
        contexte=_contexte_mesure(mesure, "Démarrer la mesure", "Démarrer"),
        executer=executer,
    )


@donnees_personnelles_requises
def mesure_renouveler(request, pk):
    mesure = _mesure(request, pk)

    def executer(d):
        services.renouveler_mesure(
            mesure,
            nouvelle_fin_prevue=d["nouvelle_fin_prevue"],
            date_decision=d["date_decision"],
            motif=d["motif"],
            par=request.user,
        )
        return _succes(
            request,
            f"Mesure {mesure.type.code.upper()} renouvelée jusqu'au "
            f"{d['nouvelle_fin_prevue']:%d/%m/%Y}.",
            _fiche(mesure.menage_id),
        )

    return _saisie(
        request,
        RenouvellementForm(request.POST or None),
        contexte=_contexte_mesure(mesure, "Renouveler la mesure", "Renouveler"),
        executer=executer,
    )


@donnees_personnelles_requises
def mesure_terminer(request, pk):
    mesure = _mesure(request, pk)

    def executer(d):
        services.terminer_mesure(
            mesure,
            motif=d["motif"],
            date_fin=d["date_fin"],
            destination=d["destination"],
            logement=d["logement"],
            date_entree_logement=d["date_entree_logement"],
        )
        return _succes(
            request, f"Mesure {mesure.type.code.upper()} terminée.", _fiche(mesure.menage_id)
        )

    return _saisie(
        request,
        FinMesureForm(request.POST or None, user=request.user),
        contexte=_contexte_mesure(mesure, "Terminer la mesure", "Terminer la mesure"),
        executer=executer,
        confirmation=True,
        renvois={"motif_fin": "motif", "date": "date_entree_logement"},
    )


# --- Projet d'accompagnement --------------------------------------------------------------------


def _projet_de(mesure) -> ProjetAccompagnement | None:
    try:
        return mesure.projet
    except ProjetAccompagnement.DoesNotExist:
        return None


def _contexte_projet(request, mesure, projet, *, erreur=None, annonce=""):
    """Objectifs, actions et historique, chaque élément muni de son formulaire d'édition ;
    `erreur` = (clé, formulaire lié invalide) remplace le formulaire vierge concerné."""
    cle_erreur, form_erreur = erreur or (None, None)
    detail = selectors.detail_projet(projet) if projet else {"objectifs": [], "revisions": []}
    for objectif in detail["objectifs"]:
        objectif.form = ObjectifEditionForm(
            prefix=f"objectif-{objectif.pk}",
            initial={
                "intitule": objectif.intitule,
                "statut": objectif.statut,
                "echeance": objectif.echeance,
                "version": objectif.version,
            },
        )
        objectif.form_action = ActionForm(prefix=f"nouvelle-action-{objectif.pk}")
        for action in objectif.actions.all():
            action.form = ActionEditionForm(
                prefix=f"action-{action.pk}",
                initial={
                    "intitule": action.intitule,
                    "porteur": action.porteur,
                    "echeance": action.echeance,
                    "realisee_le": action.realisee_le,
                    "version": action.version,
                },
            )
            if cle_erreur == f"action-{action.pk}":
                action.form, action.ouvert = form_erreur, True
        if cle_erreur == f"objectif-{objectif.pk}":
            objectif.form, objectif.ouvert = form_erreur, True
        if cle_erreur == f"nouvelle-action-{objectif.pk}":
            objectif.form_action, objectif.ajout_ouvert = form_erreur, True
    return {
        "mesure": mesure,
        "menage": mesure.menage,
        "projet": projet,
        "modifiable": selectors.suit_la_mesure(request.user, mesure),
        "form_objectif": form_erreur
        if cle_erreur == "nouvel-objectif"
        else ObjectifForm(prefix="nouvel-objectif"),
        "annonce": annonce,
        "aujourdhui": timezone.localdate(),
        **detail,
    }


@donnees_personnelles_requises
def projet(request, pk):
    mesure = get_object_or_404(
        Mesure.objects.visible_to(request.user).select_related(
            "menage", "type", "structure", "referent", "projet"
        ),
        pk=pk,
    )
    projet = _projet_de(mesure)
    initial = (
        {
            "date_elaboration": projet.date_elaboration,
            "diagnostic": projet.diagnostic,
            "date_signature": projet.date_signature,
            "version": projet.version,
        }
        if projet
        else None
    )
    form = ProjetForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not selectors.suit_la_mesure(request.user, mesure):
            raise PermissionDenied(
                "Seul un référent de la structure qui porte la mesure peut agir."
            )
        if form.is_valid():
            champs = dict(form.cleaned_data)
            version = champs.pop("version")
            try:
                with transaction.atomic():
                    if projet:
                        prendre_la_main(projet, version_lue=version, par=request.user)
                        services.modifier_projet(projet, par=request.user, **champs)
                        message = "Projet d'accompagnement mis à jour."
                    else:
                        services.creer_projet(mesure, par=request.user, **champs)
                        message = "Projet d'accompagnement créé."
                return _succes(request, message, "accompagnement:projet", pk=mesure.pk)
            except ValidationError as erreur:
                ajouter_erreurs(form, erreur)
            except EditionConcurrente as conflit:
                form.add_error(None, conflit.message)
    return render(
        request,
        "accompagnement/projet.html",
        {**_contexte_projet(request, mesure, projet), "form_projet": form},
    )


def _edition_projet(request, pk):
    """Pour les écritures en ligne : la mesure que l'utilisateur suit, et son projet (sinon 404)."""
    mesure = get_object_or_404(
        Mesure.objects.visible_to(request.user).select_related(
            "menage", "type", "structure", "referent", "projet"
        ),
        pk=pk,
    )
    if not selectors.suit_la_mesure(request.user, mesure):
        raise PermissionDenied("Seul un référent de la structure qui porte la mesure peut agir.")
    projet = _projet_de(mesure)
    if projet is None:
        raise PermissionDenied("Créez d'abord le projet d'accompagnement.")
    return mesure, projet


def _reponse_projet(request, mesure, projet, *, erreur=None, annonce=""):
    """htmx : la partie « objectifs » rafraîchie ; sans htmx, la page entière (ou un retour)."""
    if request.htmx:
        return render(
            request,
            "accompagnement/_projet_objectifs.html",
            _contexte_projet(request, mesure, projet, erreur=erreur, annonce=annonce),
        )
    if erreur is None:
        return _succes(request, annonce, "accompagnement:projet", pk=mesure.pk)
    return render(
        request,
        "accompagnement/projet.html",
        {**_contexte_projet(request, mesure, projet, erreur=erreur), "form_projet": ProjetForm()},
    )


def _ecrire_projet(request, mesure, projet, *, cle, form, ecrire, annonce):
    """Valide `form`, appelle `ecrire(donnees)` ; l'erreur éventuelle revient sur ce formulaire."""
    if form.is_valid():
        try:
            ecrire(form.cleaned_data)
            return _reponse_projet(request, mesure, projet, annonce=annonce)
        except ValidationError as erreur:
            ajouter_erreurs(form, erreur)
        except EditionConcurrente as conflit:
            form.add_error(None, conflit.message)
    return _reponse_projet(request, mesure, projet, erreur=(cle, form))


def _modification_versionnee(objet, modifier, par):
    """`ecrire` d'une édition : refusée si l'objet a changé depuis la version lue."""

    def ecrire(donnees):
        champs = dict(donnees)
        version = champs.pop("version")
        with transaction.atomic():
            prendre_la_main(objet, version_lue=version, par=par)
            modifier(objet, par=par, **champs)

    return ecrire


def _objectif_du_projet(projet, objectif_pk) -> ObjectifProjet:
    objectif = get_object_or_404(ObjectifProjet, pk=objectif_pk, projet=projet)
    objectif.projet = projet  # déjà chargé : la révision n'a pas à le relire
    return objectif


def _action_du_projet(projet, action_pk, *, verrou=False) -> ActionProjet:
    actions = ActionProjet.objects.select_related("objectif")
    if verrou:
        actions = actions.select_for_update(of=("self",))
    action = get_object_or_404(actions, pk=action_pk, objectif__projet=projet)
    action.objectif.projet = projet
    return action


@require_POST
@donnees_personnelles_requises
def objectif_ajouter(request, pk):
    mesure, projet = _edition_projet(request, pk)
    return _ecrire_projet(
        request,
        mesure,
        projet,
        cle="nouvel-objectif",
        form=ObjectifForm(request.POST, prefix="nouvel-objectif"),
        ecrire=lambda d: services.ajouter_objectif(projet, par=request.user, **d),
        annonce="Objectif ajouté.",
    )


@require_POST
@donnees_personnelles_requises
def objectif_modifier(request, pk, objectif_pk):
    mesure, projet = _edition_projet(request, pk)
    objectif = _objectif_du_projet(projet, objectif_pk)
    return _ecrire_projet(
        request,
        mesure,
        projet,
        cle=f"objectif-{objectif.pk}",
        form=ObjectifEditionForm(request.POST, prefix=f"objectif-{objectif.pk}"),
        ecrire=_modification_versionnee(objectif, services.modifier_objectif, request.user),
        annonce="Objectif mis à jour.",
    )


@require_POST
@donnees_personnelles_requises
def action_ajouter(request, pk, objectif_pk):
    mesure, projet = _edition_projet(request, pk)
    objectif = _objectif_du_projet(projet, objectif_pk)
    return _ecrire_projet(
        request,
        mesure,
        projet,
        cle=f"nouvelle-action-{objectif.pk}",
        form=ActionForm(request.POST, prefix=f"nouvelle-action-{objectif.pk}"),
        ecrire=lambda d: services.ajouter_action(objectif, par=request.user, **d),
        annonce="Action ajoutée.",
    )


@require_POST
@donnees_personnelles_requises
def action_modifier(request, pk, action_pk):
    mesure, projet = _edition_projet(request, pk)
    action = _action_du_projet(projet, action_pk)
    return _ecrire_projet(
        request,
        mesure,
        projet,
        cle=f"action-{action.pk}",
        form=ActionEditionForm(request.POST, prefix=f"action-{action.pk}"),
        ecrire=_modification_versionnee(action, services.modifier_action, request.user),
        annonce="Action mise à jour.",
    )


@require_POST
@donnees_personnelles_requises
def action_realisee(request, pk, action_pk):
    """Un clic : l'action est faite aujourd'hui."""
    mesure, projet = _edition_projet(request, pk)
    with transaction.atomic():
        # Relue verrouillée : deux clics simultanés ne la marquent qu'une fois, et la version
        # change pour qu'un formulaire d'édition ouvert ailleurs ne l'écrase pas ensuite.
        action = _action_du_projet(projet, action_pk, verrou=True)
        if action.realisee_le is None:
            prendre_la_main(action, version_lue=action.version, par=request.user)
            services.modifier_action(action, par=request.user, realisee_le=timezone.localdate())
    return _reponse_projet(
        request, mesure, projet, annonce=f"Action « {action.intitule} » réalisée."
    )


# --- Rencontres ---------------------------------------------------------------------------------


@require_POST
@donnees_personnelles_requises
def rencontre_ajouter(request, menage_pk):
    menage = visible_ou_404(Menage, request.user, pk=menage_pk)
    structures = selectors.structures_pour_rencontre(request.user, menage)
    if not structures:
        raise PermissionDenied(
            "Seul un référent d'une structure qui accompagne ce ménage peut noter une rencontre."
        )
    form = RencontreForm(request.POST, menage=menage, structures=structures)
    annonce = ""
    if form.is_valid():
        try:
            services.enregistrer_rencontre(menage=menage, auteur=request.user, **form.cleaned_data)
        except ValidationError as erreur:
            ajouter_erreurs(form, erreur)
        else:
            annonce = "Rencontre enregistrée."
            if not request.htmx:
                return _succes(request, annonce, _fiche(menage.pk))
            form = None  # formulaire remis à zéro
    if request.htmx:
        return render(
            request,
            "accompagnement/_rencontres.html",
            contexte_rencontres(request.user, menage, form=form, annonce=annonce),
        )
    return render(
        request,
        "accompagnement/formulaire.html",
        {
            "form": form,
            "menage": menage,
            "titre": "Noter une rencontre",
            "bouton": "Enregistrer la rencontre",
            "retour": _fiche(menage.pk),
        },
    )


# --- File active du référent --------------------------------------------------------------------


@role_requis(Role.REFERENT)
def mes_menages(request):
    sans_referent = request.GET.get("liste") == "sans_referent"
    page = paginer(request, selectors.file_active(request.user, sans_referent=sans_referent))
    autre = selectors.file_active(request.user, sans_referent=not sans_referent).count()
    return render(
        request,
        "accompagnement/mes_menages.html",
        {
            "page": page,
            "sans_referent": sans_referent,
            "nb_suivis": autre if sans_referent else page.paginator.count,
            "nb_sans_referent": page.paginator.count if sans_referent else autre,
            "aujourdhui": timezone.localdate(),
        },
    )


# --- Export des mesures -------------------------------------------------------------------------


@donnees_personnelles_requises
def mesures_export(request):
    """Les mesures des ménages du périmètre, aux colonnes que l'import des mesures relit."""
    mesures = Mesure.objects.visible_to(request.user).order_by(
        "menage_id", "date_proposition", "id"
    )
    nom = f"mesures-{timezone.localdate():%Y-%m-%d}"
    lignes = list(lignes_mesures(mesures))
    format_ = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    tracer(Action.EXPORT, details={"liste": "mesures", "format": format_, "lignes": len(lignes)})
    if format_ == "xlsx":
        return reponse_xlsx(nom, [("Mesures", ENTETES_MESURES, lignes)])
    return reponse_csv(nom, ENTETES_MESURES, lignes)
