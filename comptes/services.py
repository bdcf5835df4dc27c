"""Double authentification (TOTP) : qui la doit, enrôlement, codes de secours."""

from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from logement.models import Role

NOM_APPLICATION = "Application d'authentification"
NOM_CODES_DE_SECOURS = "Codes de secours"
NOMBRE_CODES_DE_SECOURS = 10


def double_authentification_requise(user) -> bool:
    """Les comptes qui voient tout un Département, ou davantage, ne tiennent pas à un seul mot
    de passe : agents départementaux, administrateurs, accès à l'administration Django."""
    if not user.is_authenticated or not settings.DOUBLE_AUTHENTIFICATION_OBLIGATOIRE:
        return False
    return (
        user.is_superuser
        or user.is_staff
        or user.perimetre.a_role(Role.AGENT_DEPARTEMENTAL, Role.ADMINISTRATEUR)
    )


def double_authentification_active(user) -> bool:
    return user_has_device(user, confirmed=True)


def appareil_en_cours_d_enrolement(user) -> TOTPDevice:
    """L'appareil TOTP non confirmé de l'utilisateur (créé au besoin) : recharger la page
    d'enrôlement ne change pas la clé déjà scannée."""
    appareil = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if appareil is None:
        appareil = TOTPDevice.objects.create(user=user, name=NOM_APPLICATION, confirmed=False)
    return appareil


def cle_en_groupes(appareil: TOTPDevice) -> str:
    """Clé secrète en base32, par groupes de 4 : à recopier à la main dans l'application."""
    cle = b32encode(appareil.bin_key).decode().rstrip("=")
    return " ".join(cle[i : i + 4] for i in range(0, len(cle), 4))


def qr_code_svg(appareil: TOTPDevice) -> str:
    """QR code de configuration en SVG en ligne (ni image externe, ni PIL)."""
    return segno.make(appareil.config_url, error="m").svg_inline(
        scale=5, border=2, dark="#000", light="#fff", omitsize=False
    )


@transaction.atomic
def confirmer_enrolement(*, appareil: TOTPDevice) -> list[str]:
    """Confirme l'appareil, écarte les anciens et crée de nouveaux codes de secours."""
    TOTPDevice.objects.filter(user=appareil.user).exclude(pk=appareil.pk).delete()
    appareil.confirmed = True
    appareil.save(update_fields=["confirmed"])
    return renouveler_codes_de_secours(user=appareil.user)


@transaction.atomic
def renouveler_codes_de_secours(*, user) -> list[str]:
    """Dix codes à usage unique, pour se connecter sans le téléphone ; les anciens sont annulés."""
    appareil, _ = StaticDevice.objects.get_or_create(
        user=user, name=NOM_CODES_DE_SECOURS, defaults={"confirmed": True}
    )
    appareil.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(NOMBRE_CODES_DE_SECOURS)]
    StaticToken.objects.bulk_create(StaticToken(device=appareil, token=code) for code in codes)
    return codes


def code_totp_courant(appareil: TOTPDevice) -> str:
    """Le code qu'afficherait l'application maintenant, pour les tests et l'exploration
    automatique (bench/crawl.py). Un code déjà accepté ne l'est pas deux fois : après une
    vérification dans la même fenêtre de 30 s, on prend la fenêtre suivante (tolérée)."""
    import time

    from django_otp.oath import TOTP

    appareil.refresh_from_db()
    totp = TOTP(appareil.bin_key, appareil.step, appareil.t0, appareil.digits, appareil.drift)
    totp.time = time.time()
    if appareil.last_t >= totp.t():
        totp.time += (appareil.last_t + 1 - totp.t()) * appareil.step
    return f"{totp.token():0{appareil.digits}d}"
