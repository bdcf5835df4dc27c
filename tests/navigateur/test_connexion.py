"""Parcours de base dans un vrai navigateur : connexion, menu par rôle, accessibilité."""

import re

from playwright.sync_api import expect

from .conftest import MOT_DE_PASSE


def test_connexion_puis_tableau_de_bord_accessible(
    comptes, connecter, verifier_accessibilite, live_server
):
    page = connecter(comptes.coordinateur)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    verifier_accessibilite(page)


def test_page_de_connexion_accessible_et_erreur_claire(
    page, live_server, verifier_accessibilite, db
):
    page.goto(f"{live_server.url}/connexion/")
    verifier_accessibilite(page)
    page.get_by_label("Nom d’utilisateur").fill("inconnu")
    page.get_by_label("Mot de passe").fill("mauvais-mot-de-passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("mot de passe valides")


def test_agent_s_enrole_a_la_premiere_connexion(comptes, page, live_server, verifier_accessibilite):
    from base64 import b32decode

    from django_otp.oath import totp

    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Nom d’utilisateur").fill(comptes.agent.username)
    page.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Activer la double authentification")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    verifier_accessibilite(page)
    # Comme un humain qui ne peut pas scanner : la clé recopiée dans l'application.
    cle = page.locator("#cle-totp").inner_text().replace(" ", "")
    code = totp(b32decode(cle + "=" * (-len(cle) % 8)))
    page.get_by_label("Code de vérification").fill(f"{code:06d}")
    page.get_by_role("button", name="Activer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de secours")
    expect(page.locator(".codes-de-secours li")).to_have_count(10)
    verifier_accessibilite(page)
    page.get_by_role("link", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Sécuriser mon compte")).to_be_visible()


def test_agent_deja_enrole_saisit_son_code(comptes, connecter, live_server):
    page = connecter(comptes.agent)
    expect(page).to_have_url(re.compile(r"/$"))
    page.get_by_role("link", name="Sécuriser mon compte").click()
    expect(page.get_by_text("Activée", exact=True)).to_be_visible()


def test_mot_de_passe_oublie_accessible(page, live_server, verifier_accessibilite, db):
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié")
    verifier_accessibilite(page)
    page.get_by_label("Courriel").fill("personne@exemple.invalid")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
