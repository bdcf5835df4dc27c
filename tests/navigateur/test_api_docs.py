"""Dans Chromium : la documentation de l'API (Swagger UI servi par la plateforme) s'affiche
sans erreur ni violation de la politique de sécurité du contenu ; la page « Jetons d'API »
se parcourt comme un humain (création montrée une fois, révocation)."""

import re

from playwright.sync_api import expect

from api.models import PREFIXE, JetonAPI

# Posé avant tout script de la page : les violations de CSP y sont relevées (elles ne passent
# pas toutes par la console).
RELEVE_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def _violations(page):
    return page.evaluate("window.__violations")


def test_documentation_de_l_api_sans_erreur_ni_violation_csp(page, live_server, comptes, connecter):
    page.add_init_script(RELEVE_CSP)
    connecter(comptes.coordinateur)
    page.goto(f"{live_server.url}/api/v1/docs/")
    # Le titre vient du schéma : il n'apparaît qu'une fois le schéma chargé et lu.
    expect(page.get_by_role("heading", name=re.compile("API Logement d'abord"))).to_be_visible()
    expect(page.locator(".swagger-ui .info")).to_contain_text("Limitation de débit")
    expect(page.get_by_role("button", name=re.compile("Authorize"))).to_be_visible()
    page.get_by_role("button", name=re.compile("Authorize")).click()
    expect(page.get_by_text("jeton (http, Bearer)")).to_be_visible()
    page.get_by_role("button", name="Close").first.click()
    # Une lecture essayée depuis la documentation, avec la session du navigateur.
    lecture = page.locator(".opblock-get").first
    lecture.locator(".opblock-summary").click()
    lecture.get_by_role("button", name="Try it out").click()
    lecture.get_by_role("button", name="Execute").click()
    statut = lecture.locator(".live-responses-table tbody .response-col_status").first
    # Session acceptée (ni 401 ni 403), pas d'erreur serveur ; 400 si la lecture attend un
    # paramètre obligatoire.
    expect(statut).to_have_text(re.compile(r"^\s*(2\d\d|400|404)\b"))
    assert _violations(page) == []
    # Le fichier du schéma lui-même se lit dans le navigateur.
    reponse = page.request.get(f"{live_server.url}/api/v1/schema/?format=json")
    assert reponse.ok and reponse.json()["info"]["title"] == "API Logement d'abord"


def test_jetons_creer_copier_revoquer(
    page, live_server, comptes, connecter, verifier_accessibilite
):
    page.add_init_script(RELEVE_CSP)
    connecter(comptes.referent)
    page.get_by_role("link", name="Jetons d'API").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jetons d'API")
    expect(page.get_by_text("Vous n'avez encore créé aucun jeton.")).to_be_visible()
    verifier_accessibilite(page)

    page.get_by_label("Nom du jeton").fill("Tableur de suivi")
    page.get_by_label("Durée de validité").select_option(label="1 mois")
    page.get_by_role("button", name="Créer le jeton").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jeton « Tableur de suivi » créé")
    secret = page.get_by_label("Votre jeton").input_value()
    assert re.fullmatch(rf"{PREFIXE}[A-Za-z0-9_-]{{43}}", secret)
    verifier_accessibilite(page)

    page.get_by_role("link", name="J'ai copié le jeton").click()
    ligne = page.get_by_role("row", name=re.compile("Tableur de suivi"))
    expect(ligne).to_contain_text(secret[:8] + "…")
    expect(ligne).to_contain_text("Actif")
    assert secret not in page.content()
    # Le jeton sert : l'API le reconnaît.
    reponse = page.request.get(
        f"{live_server.url}/api/v1/schema/?format=json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert reponse.ok

    ligne.get_by_role("link", name=re.compile("Révoquer")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Révoquer le jeton")
    page.get_by_role("button", name="Révoquer le jeton").click()
    expect(page.get_by_role("status")).to_contain_text("est révoqué")
    expect(page.get_by_role("row", name=re.compile("Tableur de suivi"))).to_contain_text("Révoqué")
    assert JetonAPI.objects.get().revoque_le is not None
    refus = page.request.get(
        f"{live_server.url}/api/v1/schema/?format=json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert refus.status == 401 and "révoqué" in refus.json()["detail"]
    assert _violations(page) == []
