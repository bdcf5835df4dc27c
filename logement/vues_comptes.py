"""Gestion des comptes dans l'application : liste du ressort, fiche, invitation, habilitations,
désactivation. Réservée aux agents départementaux (leur Département) et aux administrateurs ;
autres rôles : 403 ; compte ou habilitation hors ressort : 404."""

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from . import services_comptes as services
from .acces import role_requis
from .forms_comptes import FiltresComptesForm, HabilitationForm, InvitationForm, reporter_erreurs
from .models import Role
from .pagination import paginer
from .selectors_comptes import Ressort, comptes_du_ressort, est_administrateur

gestionnaire_requis = role_requis(Role.AGENT_DEPARTEMENTAL)


def _compte_ou_404(ressort: Ressort, pk):
    return get_object_or_404(ressort.utilisateurs(), pk=pk)


def _habilitation_ou_404(ressort: Ressort, compte, hid):
    return get_object_or_404(
        ressort.habilitations().filter(user=compte).select_related("structure", "territoire"),
        pk=hid,
    )


def _statut_2fa(compte):
    """None si la double authentification n'est pas installée ; sinon True/False."""
    if not apps.is_installed("django_otp"):
        return None
    from django_otp import devices_for_user

    return any(devices_for_user(compte, confirmed=True))


@gestionnaire_requis
def liste(request):
    ressort = Ressort.de(request.user)
    form = FiltresComptesForm(request.GET or None)
    criteres = form.criteres()
    comptes = comptes_du_ressort(
        ressort,
        recherche=criteres.get("q", ""),
        role=criteres.get("role", ""),
        statut=criteres.get("statut", ""),
    )
    return render(
        request, "comptes_gestion/liste.html", {"form": form, "page": paginer(request, comptes)}
    )


@gestionnaire_requis
def fiche(request, pk):
    ressort = Ressort.de(request.user)
    compte = _compte_ou_404(ressort, pk)
    aujourdhui = timezone.localdate()
    habilitations = []
    for h in compte.habilitations.select_related("structure__territoire", "territoire").order_by(
        "-date_debut", "-pk"
    ):
        if h.date_debut > aujourdhui:
            h.etat = "à venir"
        elif h.date_fin is not None and h.date_fin < aujourdhui:
            h.etat = "terminée"
        else:
            h.etat = "en cours"
        h.gerable = h.etat != "terminée" and ressort.contient(h)
        h.dans_ressort = ressort.contient(h)
        habilitations.append(h)
    peut_gerer = ressort.tout or not est_administrateur(compte)
    return render(
        request,
        "comptes_gestion/fiche.html",
        {
            "compte": compte,
            "en_cours": [h for h in habilitations if h.etat != "terminée"],
            "passees": [h for h in habilitations if h.etat == "terminée"],
            "peut_gerer": peut_gerer,
            "soi_meme": compte.pk == request.user.pk,
            "invitation_en_attente": not compte.has_usable_password(),
            "statut_2fa": _statut_2fa(compte),
        },
    )


@gestionnaire_requis
def inviter(request):
    form = InvitationForm(request.POST or None, par=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            compte = services.inviter_utilisateur(
                **form.valeurs(), par=request.user, base_url=request.build_absolute_uri("/")
            )
        except ValidationError as erreur:
            reporter_erreurs(form, erreur)
        except OSError:  # serveur de courrier injoignable : la transaction a tout annulé
            form.add_error(
                None,
                "L'e-mail d'invitation n'a pas pu être envoyé : le compte n'a pas été créé. "
                "Réessayez plus tard.",
            )
        else:
            messages.success(
                request,
                f"Invitation envoyée à {compte.email}. Le lien pour choisir un mot de passe "
                "ne sert qu'une fois.",
            )
            return redirect("utilisateurs:fiche", pk=compte.pk)
    return render(
        request,
        "comptes_gestion/formulaire.html",
        {"form": form, "titre": "Inviter un utilisateur", "bouton": "Envoyer l'invitation"},
    )


@gestionnaire_requis
def ajouter_habilitation(request, pk):
    ressort = Ressort.de(request.user)
    compte = _compte_ou_404(ressort, pk)
    services.verifier_gestion_du_compte(request.user, compte)
    form = HabilitationForm(request.POST or None, par=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.ajouter_habilitation(compte, **form.valeurs(), par=request.user)
        except ValidationError as erreur:
            reporter_erreurs(form, erreur)
        else:
            messages.success(request, "L'habilitation est ajoutée.")
            return redirect("utilisateurs:fiche", pk=compte.pk)
    return render(
        request,
        "comptes_gestion/formulaire.html",
        {
            "form": form,
            "compte": compte,
            "titre": f"Nouvelle habilitation de {compte}",
            "bouton": "Ajouter l'habilitation",
        },
    )


@gestionnaire_requis
def changer_habilitation(request, pk, hid):
    ressort = Ressort.de(request.user)
    compte = _compte_ou_404(ressort, pk)
    ancienne = _habilitation_ou_404(ressort, compte, hid)
    services.verifier_gestion_du_compte(request.user, compte)
    form = HabilitationForm(
        request.POST or None,
        par=request.user,
        initial={
            "role": ancienne.role,
            "structure": ancienne.structure_id,
            "territoire": ancienne.territoire_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.changer_habilitation(ancienne, **form.valeurs(), par=request.user)
        except ValidationError as erreur:
            reporter_erreurs(form, erreur)
        else:
            messages.success(
                request, "L'ancienne habilitation est terminée et la nouvelle est enregistrée."
            )
            return redirect("utilisateurs:fiche", pk=compte.pk)
    return render(
        request,
        "comptes_gestion/formulaire.html",
        {
            "form": form,
            "compte": compte,
            "ancienne": ancienne,
            "titre": f"Changer une habilitation de {compte}",
            "bouton": "Terminer l'ancienne et enregistrer la nouvelle",
        },
    )


def _confirmer(request, compte, *, titre, texte, bouton, action, avertissement=""):
    return render(
        request,
        "comptes_gestion/confirmer.html",
        {
            "compte": compte,
            "titre": titre,
            "texte": texte,
            "bouton": bouton,
            "action": action,
            "avertissement": avertissement,
        },
    )


@gestionnaire_requis
@require_http_methods(["GET", "POST"])
def terminer_habilitation(request, pk, hid):
    ressort = Ressort.de(request.user)
    compte = _compte_ou_404(ressort, pk)
    habilitation = _habilitation_ou_404(ressort, compte, hid)
    services.verifier_gestion_du_compte(request.user, compte)
    if request.method == "POST":
        try:
            terminee = services.terminer_habilitation(habilitation, par=request.user)
        except ValidationError as erreur:
            messages.error(request, " ".join(erreur.messages))
        else:
            messages.success(
                request,
                "L'habilitation est terminée ce jour ; elle reste dans l'historique."
                if terminee
                else "L'habilitation n'avait pas commencé : elle est annulée.",
            )
        return redirect("utilisateurs:fiche", pk=compte.pk)
    return _confirmer(
        request,
        compte,
        titre="Terminer une habilitation",
        texte=f"{habilitation.get_role_display()} — "
        f"{habilitation.structure or habilitation.territoire or 'tous territoires'}",
        bouton="Terminer l'habilitation",
        action="terminer",
        avertissement="L'habilitation prend fin ce soir et reste dans l'historique. Pour couper "
        "l'accès immédiatement, désactivez le compte.",
    )


@gestionnaire_requis
@require_http_methods(["GET", "POST"])
def desactiver(request, pk):
    compte = _compte_ou_404(Ressort.de(request.user), pk)
    services.verifier_gestion_du_compte(request.user, compte)
    if request.method == "POST":
        try:
            fermees = services.desactiver_compte(compte, par=request.user)
        except ValidationError as erreur:
            messages.error(request, " ".join(erreur.messages))
        else:
            messages.success(
                request,
                f"Le compte de {compte} est désactivé ; "
                f"{fermees} session{'s' if fermees > 1 else ''} ouverte"
                f"{'s' if fermees > 1 else ''} fermée{'s' if fermees > 1 else ''}.",
            )
        return redirect("utilisateurs:fiche", pk=compte.pk)
    return _confirmer(
        request,
        compte,
        titre="Désactiver le compte",
        texte=f"{compte} ({compte.email})",
        bouton="Désactiver le compte",
        action="desactiver",
        avertissement="La personne ne pourra plus se connecter et ses sessions ouvertes seront "
        "fermées. Ses habilitations restent dans l'historique.",
    )


@gestionnaire_requis
@require_http_methods(["GET", "POST"])
def reactiver(request, pk):
    compte = _compte_ou_404(Ressort.de(request.user), pk)
    services.verifier_gestion_du_compte(request.user, compte)
    if request.method == "POST":
        try:
            services.reactiver_compte(compte, par=request.user)
        except ValidationError as erreur:
            messages.error(request, " ".join(erreur.messages))
        else:
            messages.success(request, f"Le compte de {compte} est réactivé.")
        return redirect("utilisateurs:fiche", pk=compte.pk)
    return _confirmer(
        request,
        compte,
        titre="Réactiver le compte",
        texte=f"{compte} ({compte.email})",
        bouton="Réactiver le compte",
        action="reactiver",
        avertissement="La personne retrouvera les droits de ses habilitations en cours.",
    )


@gestionnaire_requis
@require_POST
def renvoyer_invitation(request, pk):
    compte = _compte_ou_404(Ressort.de(request.user), pk)
    services.verifier_gestion_du_compte(request.user, compte)
    if compte.has_usable_password() or not compte.is_active:
        messages.error(request, "Ce compte n'attend pas d'invitation.")
    else:
        try:
            services.envoyer_invitation(
                compte, par=request.user, base_url=request.build_absolute_uri("/")
            )
        except OSError:
            messages.error(request, "L'e-mail n'a pas pu être envoyé. Réessayez plus tard.")
        else:
            messages.success(request, f"Un nouveau lien a été envoyé à {compte.email}.")
    return redirect("utilisateurs:fiche", pk=compte.pk)
