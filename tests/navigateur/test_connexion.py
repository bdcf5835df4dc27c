"""Parcours de base dans un vrai navigateur : connexion, menu par rôle, accessibilité."""

import re

from playwright.sync_api import expect


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
