"""Gestion des comptes dans un vrai navigateur : l'agent départemental invite un référent, lui
ajoute une habilitation ; l'invité choisit son mot de passe par le lien reçu, une seule fois."""

import re

from django.core import mail
from playwright.sync_api import expect

from logement.models import Role, User

CODE_DE_SECOURS = "secours123"


def passer_double_authentification(page, user):
    """Si la plateforme exige la double authentification, la passe avec un code de secours."""
    if "/compte/" not in page.url:
        return
    page.get_by_label("Code de vérification").fill(CODE_DE_SECOURS)
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_load_state()


def preparer_double_authentification(user):
    from django.apps import apps

    if not apps.is_installed("django_otp.plugins.otp_static"):
        return
    from django_otp.plugins.otp_static.models import StaticDevice

    appareil = StaticDevice.objects.create(user=user, name="Codes de secours", confirmed=True)
    appareil.token_set.create(token=CODE_DE_SECOURS)


def test_inviter_puis_ajouter_une_habilitation(
    comptes, connecter, menu, verifier_accessibilite, live_server, browser
):
    m = comptes
    preparer_double_authentification(m.agent)
    page = connecter(m.agent)
    passer_double_authentification(page, m.agent)
    menu("Utilisateurs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Utilisateurs")
    expect(page.get_by_role("row").filter(has_text="referent")).not_to_have_count(0)
    verifier_accessibilite(page)

    page.get_by_role("link", name="Inviter un utilisateur").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inviter un utilisateur")
    verifier_accessibilite(page)
    page.get_by_label("Prénom").fill("Dominique")
    page.get_by_role("textbox", name="Nom", exact=True).fill("Fictif")
    page.get_by_label("Adresse e-mail").fill("dominique.fictif@exemple.invalid")
    page.get_by_role("combobox", name="Rôle (première habilitation)").select_option(
        label="Référent (travailleur social)"
    )
    page.get_by_role("combobox", name=re.compile(r"^Structure")).select_option(label="CHRS Un")
    page.get_by_role("button", name="Envoyer l'invitation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dominique Fictif")
    expect(page.get_by_role("status").first).to_contain_text("Invitation envoyée")
    expect(page.get_by_text("Invitation en attente")).to_be_visible()
    verifier_accessibilite(page)
    invite = User.objects.get(email="dominique.fictif@exemple.invalid")
    assert len(mail.outbox) == 1
    lien = re.search(r"https?://\S+", mail.outbox[0].body).group(0)

    page.get_by_role("link", name="Ajouter une habilitation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nouvelle habilitation")
    verifier_accessibilite(page)
    page.get_by_role("combobox", name="Rôle", exact=True).select_option(
        label="Coordinateur de plateforme"
    )
    page.get_by_role("combobox", name=re.compile(r"^Territoire")).select_option(
        label="Plateforme P2 (Plateforme territoriale)"
    )
    page.get_by_role("button", name="Ajouter l'habilitation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dominique Fictif")
    tableau = page.get_by_role("table", name="Habilitations en cours ou à venir")
    expect(tableau.get_by_role("row")).to_have_count(3)
    expect(tableau).to_contain_text("Plateforme P2")
    verifier_accessibilite(page)
    assert set(invite.habilitations.values_list("role", flat=True)) == {
        Role.REFERENT,
        Role.COORDINATEUR,
    }

    # L'invité choisit son mot de passe (autre navigateur, sans session) ; le lien ne ressert pas.
    contexte = browser.new_context()
    try:
        invite_page = contexte.new_page()
        invite_page.set_default_timeout(10_000)
        invite_page.goto(lien)
        invite_page.locator("#id_new_password1").fill("une phrase de passe solide")
        invite_page.locator("#id_new_password2").fill("une phrase de passe solide")
        invite_page.get_by_role("button", name="Enregistrer le mot de passe").click()
        expect(invite_page).to_have_url(re.compile(r"/mot-de-passe/enregistre/$"))
        invite.refresh_from_db()
        assert invite.check_password("une phrase de passe solide")
        invite_page.goto(lien)
        expect(invite_page.get_by_text("Ce lien n'est plus valable")).to_be_visible()
    finally:
        contexte.close()
