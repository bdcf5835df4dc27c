"""Bilans dans un vrai navigateur : l'agent départemental demande un bilan, suit sa production
(htmx) jusqu'à « Prêt » et télécharge le PDF ; un coordinateur d'un autre Département ne voit pas
la fiche ; un formulaire invalide explique l'erreur en français. axe-core sur chaque page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from bilans import services, tasks
from bilans.models import Bilan
from logement.models import Role

from .. import factories as f
from .conftest import MOT_DE_PASSE

ANNEE = timezone.localdate().year - 1  # l'année proposée par défaut dans le formulaire


@pytest.fixture(autouse=True)
def _eager(taches_eager):
    pass


def section_etat(page):
    return page.locator("#etat-bilan")


def remplir_demande(page, *, territoire, public, annee=ANNEE):
    page.get_by_role("combobox", name="Territoire", exact=True).select_option(label=territoire)
    page.get_by_role("combobox", name="Destinataire du bilan").select_option(label=public)
    cocher(page, "Une année civile")
    page.get_by_role("combobox", name=re.compile(r"^Année")).select_option(str(annee))


def cocher(page, libelle):
    """Bouton radio du DSFR : l'étiquette recouvre le contrôle, on clique dessus."""
    page.locator("label").get_by_text(libelle, exact=True).click()


def ouvrir_demande(page, menu, verifier_accessibilite):
    menu("Bilans")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bilans")
    verifier_accessibilite(page)
    page.get_by_role("link", name="Demander un bilan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demander un bilan")
    verifier_accessibilite(page)


def telecharger_pdf(page) -> bytes:
    with page.expect_download() as attente:
        section_etat(page).get_by_role("link", name=re.compile(r"^Télécharger le PDF")).click()
    telechargement = attente.value
    assert telechargement.suggested_filename.endswith(".pdf")
    with open(telechargement.path(), "rb") as fichier:
        return fichier.read()


def test_agent_demande_un_bilan_pret_des_l_arrivee_sur_la_fiche(
    comptes, connecter, menu, verifier_accessibilite
):
    # Comportement réel en test : la tâche s'exécute sur place, à la validation de la demande,
    # avant la redirection : la fiche s'ouvre sur un bilan déjà prêt, sans interrogation htmx.
    m = comptes
    page = connecter(m.agent)
    ouvrir_demande(page, menu, verifier_accessibilite)
    remplir_demande(
        page,
        territoire="Département fictif Un (Département)",
        public="Département (rapport annuel)",
    )
    page.get_by_role("button", name="Demander le bilan").click()

    expect(page).to_have_url(re.compile(r"/bilans/\d+/$"))
    bilan = Bilan.objects.get()
    assert page.url.endswith(f"/bilans/{bilan.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Rapport du Département — Département fictif Un — année {ANNEE}"
    )
    expect(page.get_by_role("status").first).to_contain_text("Votre demande est enregistrée")
    expect(section_etat(page).get_by_role("heading", level=2)).to_have_text("État : Prêt")
    expect(section_etat(page)).not_to_have_attribute("hx-get", re.compile(".*"))
    # Les chiffres clés figés sont montrés sur la fiche.
    synthese = page.get_by_role("table", name=re.compile(r"^Synthèse figée"))
    expect(synthese.get_by_role("row", name=re.compile(r"^Ménages accompagnés"))).to_be_visible()
    verifier_accessibilite(page)
    assert telecharger_pdf(page).startswith(b"%PDF")
    assert (bilan.version, bilan.demande_par) == (1, m.agent)

    menu("Bilans")
    ligne = page.get_by_role("row").filter(
        has=page.get_by_role("link", name=bilan.get_audience_display())
    )
    expect(ligne).to_contain_text("Prêt")
    verifier_accessibilite(page)


def test_l_etat_se_met_a_jour_par_htmx_jusqu_a_pret(
    comptes, connecter, menu, verifier_accessibilite, monkeypatch
):
    # La file garde la tâche (un worker occupé ailleurs) : le test joue ensuite le worker.
    gardees = []

    def expedier(bilan):
        gardees.append(bilan.pk)
        Bilan.objects.filter(pk=bilan.pk).update(expedie_le=timezone.now())
        bilan.expedie = True
        return True

    monkeypatch.setattr(services, "expedier", expedier)
    m = comptes
    page = connecter(m.agent)
    ouvrir_demande(page, menu, verifier_accessibilite)
    remplir_demande(page, territoire="EPCI A1 (EPCI)", public="État (préfecture, DDETS, DIHAL)")
    page.get_by_role("button", name="Demander le bilan").click()

    expect(page).to_have_url(re.compile(r"/bilans/\d+/$"))
    bilan = Bilan.objects.get()
    assert gardees == [bilan.pk]
    assert page.url.endswith(f"/bilans/{bilan.pk}/")
    etat = section_etat(page)
    expect(etat.get_by_role("heading", level=2)).to_have_text("État : En attente")
    expect(etat).to_contain_text("Le bilan attend son tour dans la file de production.")
    expect(etat).to_have_attribute("hx-trigger", "every 2s")
    verifier_accessibilite(page)
    # Repère posé dans la page : un rechargement l'effacerait.
    page.evaluate("window.repereSansRechargement = true")

    # Le worker prend le bilan et avance : la fiche le montre d'elle-même (fragment htmx).
    Bilan.objects.filter(pk=bilan.pk).update(
        statut=Bilan.Statut.EN_COURS,
        progression=40,
        etape="Calcul des indicateurs",
        tentatives=1,
        commence_le=timezone.now(),
    )
    expect(etat.get_by_role("heading", level=2)).to_have_text("État : En cours")
    expect(etat.get_by_role("status")).to_contain_text("Avancement : 40 %")
    expect(etat.get_by_role("status")).to_contain_text("Calcul des indicateurs")
    expect(page.get_by_role("progressbar", name="Avancement : 40 %")).to_have_attribute(
        "value", "40"
    )
    assert page.evaluate("window.repereSansRechargement") is True
    verifier_accessibilite(page)

    # Le worker termine (la vraie tâche, calcul et rendu réels) : sans action de l'utilisateur,
    # la page passe à « Prêt » et propose les fichiers.
    tasks.produire_bilan.apply(args=[bilan.pk], task_id=bilan.tache_id)
    bilan.refresh_from_db()
    assert bilan.statut == Bilan.Statut.PRET, bilan.erreur
    expect(etat.get_by_role("heading", level=2)).to_have_text("État : Prêt", timeout=20_000)
    expect(etat.get_by_role("link", name=re.compile(r"^Télécharger le"))).to_have_count(3)
    expect(etat).not_to_have_attribute("hx-get", re.compile(".*"))
    verifier_accessibilite(page)
    assert telecharger_pdf(page).startswith(b"%PDF")


def test_coordinateur_d_un_autre_departement_obtient_404(comptes, connecter, menu, live_server):
    m = comptes
    bilan = Bilan.objects.create(
        territoire=m.d1,
        audience=Bilan.Audience.ETAT,
        date_debut=timezone.localdate().replace(year=ANNEE, month=1, day=1),
        date_fin=timezone.localdate().replace(year=ANNEE, month=12, day=31),
        statut=Bilan.Statut.PRET,
        demande_par=m.agent,
    )
    autre = f.utilisateur(Role.COORDINATEUR, territoire=m.q1, username="coordinateur-d2")
    autre.set_password(MOT_DE_PASSE)
    autre.save()

    page = connecter(autre)
    menu("Bilans")
    expect(page.get_by_role("status").first).to_contain_text("0 bilan")
    for nom in ("bilans:fiche", "bilans:etat"):
        reponse = page.request.get(live_server.url + reverse(nom, args=[bilan.pk]))
        assert reponse.status == 404, nom
    telechargement = reverse("bilans:telecharger", args=[bilan.pk, "pdf"])
    assert page.request.get(live_server.url + telechargement).status == 404


def test_periode_libre_a_l_envers_refusee_en_francais(
    comptes, connecter, menu, verifier_accessibilite
):
    m = comptes
    page = connecter(m.agent)
    ouvrir_demande(page, menu, verifier_accessibilite)
    page.get_by_role("combobox", name="Territoire", exact=True).select_option(
        label="Département fictif Un (Département)"
    )
    page.get_by_role("combobox", name="Destinataire du bilan").select_option(
        label="État (préfecture, DDETS, DIHAL)"
    )
    cocher(page, "Des dates libres")
    page.get_by_role("textbox", name=re.compile(r"^Du ")).fill(f"{ANNEE}-06-30")
    page.get_by_role("textbox", name=re.compile(r"^Au ")).fill(f"{ANNEE}-01-01")
    page.get_by_role("button", name="Demander le bilan").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Demander un bilan")
    expect(page.get_by_text("La fin de la période précède son début.")).to_be_visible()
    # L'erreur est reliée au champ « Au » (lue par un lecteur d'écran avec le champ).
    champ = page.get_by_role("textbox", name=re.compile(r"^Au "))
    expect(champ).to_have_attribute("aria-invalid", "true")
    expect(champ).to_have_value(f"{ANNEE}-01-01")
    verifier_accessibilite(page)
    assert not Bilan.objects.exists()
