"""Formulaires de connexion, de double authentification et de mot de passe, au gabarit DSFR."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django_otp import match_token

from logement.forms import FormulaireDsfr


class CodeForm(FormulaireDsfr):
    """Un code à six chiffres de l'application (ou, à la vérification, un code de secours)."""

    code = forms.CharField(
        label="Code de vérification",
        help_text="Les six chiffres affichés par votre application d'authentification.",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


class VerificationForm(CodeForm):
    """Vérifie le code contre tous les appareils confirmés de l'utilisateur."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = (
            "Les six chiffres affichés par votre application d'authentification, "
            "ou l'un de vos codes de secours."
        )
        self.appareil = None

    def clean_code(self):
        code = super().clean_code()
        # match_token applique le ralentissement de django-otp après chaque échec.
        self.appareil = match_token(self.user, code)
        if self.appareil is None:
            raise forms.ValidationError(
                "Ce code n'est pas valide ou a expiré. Saisissez le code affiché en ce moment "
                "par votre application."
            )
        return code


class DemandeReinitialisationForm(FormulaireDsfr, auth_forms.PasswordResetForm):
    pass


class NouveauMotDePasseForm(FormulaireDsfr, auth_forms.SetPasswordForm):
    pass


class ChangementMotDePasseForm(FormulaireDsfr, auth_forms.PasswordChangeForm):
    pass
