"""Connexion (blocage après échecs, session expirée), double authentification, mot de passe."""

import math

from axes.helpers import get_client_username, get_cool_off
from axes.utils import reset as reinitialiser_axes
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from . import forms, services
from .middleware import SESSION_DOUBLE_AUTHENTIFICATION, SESSION_EXPIREE


class ConnexionView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.method == "GET" and self.request.session.pop(SESSION_EXPIREE, False):
            context["session_expiree"] = True
        return context


def connexion_bloquee(request, original_response=None, credentials=None):
    """Réponse de django-axes après trop d'échecs : la page de connexion, avec un message
    clair et le délai à attendre, en 429."""
    duree = get_cool_off(request)
    minutes = math.ceil(duree.total_seconds() / 60) if duree else None
    username = get_client_username(request, credentials) or ""
    form = AuthenticationForm(request, initial={"username": username})
    return render(
        request,
        "registration/login.html",
        {"form": form, "bloque": True, "minutes": minutes, "next": request.POST.get("next", "")},
        status=429,
    )


def _suivante(request, defaut="accueil"):
    suivante = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        suivante, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return suivante
    return reverse(defaut)


@never_cache
@login_required
def securite(request):
    """« Sécuriser mon compte » : état de la double authentification."""
    return render(
        request,
        "comptes/securite.html",
        {
            "active": services.double_authentification_active(request.user),
            "requise": services.double_authentification_requise(request.user),
        },
    )


@never_cache
@login_required
@sensitive_post_parameters("code")
def enrolement(request):
    user = request.user
    # Un appareil déjà confirmé ne se remplace qu'après avoir prouvé qu'on le détient : sinon
    # un mot de passe volé suffirait à enrôler le téléphone de l'attaquant.
    if services.double_authentification_active(user) and not user.is_verified():
        return redirect(f"{reverse('comptes:verification')}?{request.GET.urlencode()}")
    appareil = services.appareil_en_cours_d_enrolement(user)
    form = forms.CodeForm(request.POST or None)
    if form.is_valid():
        if appareil.verify_token(form.cleaned_data["code"]):
            codes = services.confirmer_enrolement(appareil=appareil)
            otp_login(request, appareil)
            request.session[SESSION_DOUBLE_AUTHENTIFICATION] = True
            return render(
                request,
                "comptes/codes_de_secours.html",
                {"codes": codes, "suivante": _suivante(request), "premiere_fois": True},
            )
        form.add_error(
            "code",
            "Ce code ne correspond pas. Vérifiez l'heure de votre téléphone et saisissez le "
            "code affiché en ce moment.",
        )
    return render(
        request,
        "comptes/enrolement.html",
        {
            "form": form,
            "qr_code": services.qr_code_svg(appareil),
            "cle": services.cle_en_groupes(appareil),
            "requise": services.double_authentification_requise(user),
            "next": request.GET.get("next", ""),
        },
    )


@never_cache
@login_required
@sensitive_post_parameters("code")
def verification(request):
    user = request.user
    if not services.double_authentification_active(user):
        return redirect(f"{reverse('comptes:enrolement')}?{request.GET.urlencode()}")
    form = forms.VerificationForm(request.POST or None, user=user)
    if form.is_valid():
        otp_login(request, form.appareil)
        return redirect(_suivante(request))
    return render(request, "comptes/verification.html", {"form": form, "next": _suivante(request)})


@never_cache
@login_required
def codes_de_secours(request):
    """Nouveaux codes de secours (les anciens sont annulés) : session vérifiée seulement."""
    if request.method != "POST" or not request.user.is_verified():
        return redirect("comptes:securite")
    codes = services.renouveler_codes_de_secours(user=request.user)
    return render(
        request,
        "comptes/codes_de_secours.html",
        {"codes": codes, "suivante": reverse("comptes:securite")},
    )


class ReinitialisationView(auth_views.PasswordResetView):
    form_class = forms.DemandeReinitialisationForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


class NouveauMotDePasseView(auth_views.PasswordResetConfirmView):
    form_class = forms.NouveauMotDePasseForm

    def form_valid(self, form):
        reponse = super().form_valid(form)
        # Le mot de passe vient d'être changé par le lien reçu : les blocages dus aux
        # tentatives précédentes n'ont plus lieu d'être.
        reinitialiser_axes(username=form.user.get_username())
        return reponse


class ChangementMotDePasseView(auth_views.PasswordChangeView):
    form_class = forms.ChangementMotDePasseForm
    success_url = reverse_lazy("comptes:securite")

    def form_valid(self, form):
        messages.success(self.request, "Votre mot de passe a été changé.")
        return super().form_valid(form)
