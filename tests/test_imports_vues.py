"""Pages des imports : dépôt (mauvaises entrées refusées en français sans rien écrire,
correspondance saisie au dépôt), aperçu (compteurs, erreurs, filtre, pagination, doublons,
bouton de confirmation), confirmation, suivi, téléchargements, modèles, périmètre (404 hors
ressort, 403 au co-pilote)."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports import services
from imports.forms import signature
from imports.genres.base import Action
from imports.models import CorrespondanceColonne, Import
from journal.models import Evenement
from logement.models import Role, Structure

from . import factories as f
from .test_imports_moteur import ENTETES, csv_de, deposer, genre_essai  # noqa: F401

pytestmark = pytest.mark.usefixtures("genre_essai")


def envoi(client, structure, contenu, nom="personnes.csv", **extra):
    return client.post(
        reverse("imports:deposer"),
        {
            "genre": "essai",
            "structure": structure.pk,
            "fichier": SimpleUploadedFile(nom, contenu),
            **extra,
        },
    )


def texte(reponse) -> str:
    return reponse.content.decode()


def sans_balises(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def referent(client, monde):
    client.force_login(monde.referent)
    return client


# --- Accès --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "statut"),
    [
        ("referent", 200),
        ("coordinateur", 200),
        ("agent", 200),
        ("administrateur", 200),
        ("copilote", 403),
        ("sans_role", 403),
    ],
)
def test_acces_par_role(client, monde, role, statut):
    client.force_login(getattr(monde, role))
    for nom in ("imports:liste", "imports:deposer"):
        assert client.get(reverse(nom)).status_code == statut, nom
    menu = [e["libelle"] for e in client.get(reverse("accueil")).context["navigation"]]
    assert ("Imports" in menu) is (statut == 200)


def test_le_depot_ne_propose_que_les_structures_du_ressort(client, monde):
    client.force_login(monde.agent)
    reponse = client.get(reverse("imports:deposer"))
    assert "au plus 10 Mo et 10\u202f000 lignes" in texte(reponse)
    champ = reponse.context["form"]["structure"]
    assert {c.choice_label for c in champ} - {"---------"} == {"CHRS Un", "AML Deux"}
    client.force_login(monde.referent)
    champ = client.get(reverse("imports:deposer")).context["form"]["structure"]
    assert {c.choice_label for c in champ} - {"---------"} == {"CHRS Un"}


def test_structure_forgee_hors_ressort_refusee(referent, monde, stockage_prive):
    reponse = envoi(referent, monde.s3, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    assert reponse.status_code == 200
    assert "Sélectionnez un choix valide" in texte(reponse)
    assert not Import.objects.exists() and not list(stockage_prive.rglob("*.*"))


# --- Mauvaises entrées au dépôt : message français, rien d'écrit --------------------------------


@pytest.mark.parametrize(
    ("contenu", "nom", "message"),
    [
        (b"%PDF-1.4", "menages.pdf", "Type de fichier non reconnu (« .pdf »)"),
        (b"Nom;Date\nA;B\n", "menages.xlsx", "Fichier XLSX corrompu"),
        (b"", "menages.csv", "Le fichier soumis est vide"),
        (csv_de(), "menages.csv", "Le fichier ne contient aucune ligne de données"),
        (
            csv_de("DUPONT;Jean", entetes="Nom;Prénom"),
            "menages.csv",
            "Colonne obligatoire absente : « Date de naissance ».",
        ),
    ],
)
def test_mauvaise_entree_refusee_sans_rien_ecrire(
    referent, monde, stockage_prive, contenu, nom, message
):
    structures = Structure.objects.count()
    evenements = Evenement.objects.count()
    reponse = envoi(referent, monde.s1, contenu, nom)
    assert reponse.status_code == 200
    assert message in sans_balises(texte(reponse)).replace("&#x27;", "'")
    assert not Import.objects.exists()
    assert Structure.objects.count() == structures
    assert Evenement.objects.count() == evenements
    assert not list(stockage_prive.rglob("*.*"))


def test_fichier_trop_gros_refuse(referent, monde, settings, stockage_prive):
    settings.IMPORT_TAILLE_MAX = 2000
    reponse = envoi(referent, monde.s1, csv_de(*["DUPONT;Jean;01/02/1980;;Ici"] * 100))
    assert "la taille maximale est de 2 Ko" in texte(reponse)
    assert not Import.objects.exists() and not list(stockage_prive.rglob("*.*"))


def test_colonne_absente_corrigee_au_depot_puis_memorisee(referent, monde):
    contenu = csv_de("DUPONT;Jean;01/02/1980", entetes="Nom;Prénom;Naissance")
    reponse = envoi(referent, monde.s1, contenu)
    assert "Colonne obligatoire absente : « Date de naissance »." in texte(reponse)
    correspondance = reponse.context["correspondance"]
    assert [champ.label for champ in correspondance] == [
        "Colonne A du fichier : « Nom »",
        "Colonne B du fichier : « Prénom »",
        "Colonne C du fichier : « Naissance »",
    ]
    assert reponse.context["signature"] == signature(["Nom", "Prénom", "Naissance"])
    assert not Import.objects.exists()

    # L'utilisateur choisit la colonne et dépose à nouveau le même fichier.
    reponse = envoi(
        referent,
        monde.s1,
        contenu,
        signature=reponse.context["signature"],
        **{"colonnes-colonne_0": "nom", "colonnes-colonne_1": "prenom"},
        **{"colonnes-colonne_2": "date_naissance"},
    )
    imp = Import.objects.get()
    assert reponse.url == reverse("imports:fiche", args=[imp.pk])
    assert imp.nb_creations == 1
    assert CorrespondanceColonne.objects.get(entete="naissance").colonne == "date_naissance"
    # Le fichier suivant de la structure passe sans rien demander.
    envoi(referent, monde.s1, contenu)
    assert Import.objects.count() == 2


def test_correspondance_du_depot_invalide(referent, monde):
    contenu = csv_de("DUPONT;Jean;01/02/1980", entetes="Nom;Prénom;Naissance")
    reponse = envoi(
        referent,
        monde.s1,
        contenu,
        signature=signature(["Nom", "Prénom", "Naissance"]),
        **{"colonnes-colonne_0": "nom", "colonnes-colonne_1": "nom"},
    )
    page = texte(reponse)
    assert "La colonne « Nom » reçoit déjà l&#x27;en-tête « Nom »" in page
    assert not Import.objects.exists() and not CorrespondanceColonne.objects.exists()


# --- Aperçu -------------------------------------------------------------------------------------


def test_depot_puis_apercu_avec_erreurs(referent, monde):
    reponse = envoi(
        referent,
        monde.s1,
        csv_de(
            "DUPONT;Jean;01/02/1980;;Ici",
            "MARTIN;Léa;31/02/2024;;Là",
            "DURAND;Paul;05/05/1990;-3;Là",
        ),
    )
    imp = Import.objects.get()
    assert reponse.status_code == 302
    page = texte(referent.get(reponse.url))
    lisible = sans_balises(page)
    assert "ligne 3, colonne « Date de naissance », valeur « 31/02/2024 » : date impossible" in (
        lisible
    )
    assert "ligne 4, colonne « Montant mensuel », valeur « -3 » : montant négatif" in lisible
    assert "2 lignes en erreur à corriger" in lisible
    assert re.search(r"<button[^>]*disabled[^>]*>Confirmer l'import", page.replace("\n", " "))
    # Filtre par action.
    erreurs = referent.get(reverse("imports:fiche", args=[imp.pk]) + "?action=erreur")
    assert [r["ligne"].numero for r in erreurs.context["lignes_affichees"]] == [3, 4]
    forge = referent.get(reverse("imports:fiche", args=[imp.pk]) + "?action=inconnue&page=x")
    assert len(forge.context["lignes_affichees"]) == 3


def test_apercu_pagine_et_requetes_bornees(
    referent, monde, django_assert_max_num_queries, settings
):
    imp = deposer(
        monde.referent,
        monde.s1,
        csv_de(*[f"NOM{i};A;01/02/1980;;Ici" for i in range(120)]),
    )
    url = reverse("imports:fiche", args=[imp.pk])
    with django_assert_max_num_queries(20):
        reponse = referent.get(url + "?page=3")
    assert [r["ligne"].numero for r in reponse.context["lignes_affichees"]] == list(range(102, 122))
    assert "Page 3 sur 3" in texte(reponse)


def test_doublons_tranches_depuis_l_apercu(referent, monde):
    f.StructureFactory(nom="MARTIN Léa", territoire=monde.d1)
    f.StructureFactory(nom="DURAND Paul", territoire=monde.d1)
    imp = deposer(
        monde.referent,
        monde.s1,
        csv_de("MARTIN;Léa;12/03/1985;;Ici", "DURAND;Paul;05/05/1990;;Là", "NEUF;A;01/01/2000;;"),
    )
    url = reverse("imports:fiche", args=[imp.pk])
    page = texte(referent.get(url))
    assert "2 doublons à trancher" in page
    assert 'name="decision_2"' in page and 'name="decision_3"' in page
    reponse = referent.post(
        reverse("imports:decisions", args=[imp.pk]),
        {"decision_2": Action.METTRE_A_JOUR, "decision_3": "", "page": "1", "action": "doublon"},
    )
    assert reponse.url == url + "?page=1&action=doublon"
    assert dict(imp.lignes.filter(action=Action.DOUBLON).values_list("numero", "decision")) == {
        2: Action.METTRE_A_JOUR,
        3: "",
    }
    referent.post(reverse("imports:decisions", args=[imp.pk]), {"pour_tous": Action.IGNORER})
    assert not services.bloquants(imp)
    page = texte(referent.get(url))
    assert re.search(r"<button[^>]*>Confirmer l'import", page)
    assert not re.search(r"<button[^>]*disabled[^>]*>Confirmer l'import", page)
    # Une décision forgée ne change rien.
    reponse = referent.post(reverse("imports:decisions", args=[imp.pk]), {"decision_2": "effacer"})
    assert imp.lignes.get(numero=2).decision == Action.METTRE_A_JOUR


def test_correspondance_corrigee_depuis_l_apercu(referent, monde):
    imp = deposer(
        monde.referent,
        monde.s1,
        csv_de("DUPONT;Jean;01/02/1980;Ici", entetes="Nom;Prénom;Date de naissance;Ville"),
    )
    url = reverse("imports:correspondance", args=[imp.pk])
    champs = {"colonne_0": "nom", "colonne_1": "prenom", "colonne_2": "date_naissance"}
    reponse = referent.post(url, {**champs, "colonne_3": "commune"})
    assert reponse.status_code == 302
    imp.refresh_from_db()
    assert [r["colonne"] for r in imp.correspondance] == [
        "nom",
        "prenom",
        "date_naissance",
        "commune",
    ]
    # Sans colonne obligatoire : la page explique, rien n'est mémorisé de plus.
    avant = CorrespondanceColonne.objects.count()
    reponse = referent.post(url, {"colonne_0": "nom", "colonne_1": "prenom"})
    assert reponse.status_code == 200
    assert "Colonne obligatoire absente : « Date de naissance »." in texte(reponse)
    assert CorrespondanceColonne.objects.count() == avant


def test_confirmation_eager_et_suivi(
    referent, monde, taches_eager, django_capture_on_commit_callbacks
):
    avant = Structure.objects.count()
    imp = deposer(monde.referent, monde.s1, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    with django_capture_on_commit_callbacks(execute=True):
        reponse = referent.post(reverse("imports:confirmer", args=[imp.pk]))
    assert reponse.url == reverse("imports:fiche", args=[imp.pk])
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.TERMINE, imp.erreur
    assert Structure.objects.count() == avant + 1
    page = sans_balises(texte(referent.get(reponse.url)))
    assert "Import confirmé : il est en cours d'écriture." in page.replace("&#x27;", "'")
    assert "1 création, 0 mise à jour, 0 ligne ignorée" in page
    etat = referent.get(reverse("imports:etat", args=[imp.pk]), headers={"HX-Request": "true"})
    assert etat["HX-Refresh"] == "true"
    # Déjà confirmé : une seconde confirmation est refusée.
    referent.post(reverse("imports:confirmer", args=[imp.pk]))
    assert Structure.objects.count() == avant + 1


def test_confirmation_refusee_tant_qu_il_reste_une_erreur(referent, monde):
    imp = deposer(monde.referent, monde.s1, csv_de("DUPONT;Jean;31/02/1980;;Ici"))
    reponse = referent.post(reverse("imports:confirmer", args=[imp.pk]), follow=True)
    assert "Confirmation impossible : 1 ligne en erreur" in texte(reponse)
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.ESSAI


def test_suivi_montre_la_progression_publiee(referent, monde, monkeypatch):
    imp = deposer(monde.referent, monde.s1, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    Import.objects.filter(pk=imp.pk).update(statut=Import.Statut.EN_COURS, progression=25)
    monkeypatch.setattr(
        services,
        "progression_publiee",
        lambda imp: {"progression": 60, "etape": "Écriture des lignes"},
    )
    reponse = referent.get(reverse("imports:etat", args=[imp.pk]), headers={"HX-Request": "true"})
    page = texte(reponse)
    assert "Avancement : 60 %" in page and "Écriture des lignes" in page
    assert 'hx-trigger="every 2s"' in page and "HX-Refresh" not in reponse


def test_file_indisponible_annoncee(
    referent, monde, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "taches_sur_place", lambda: False)
    monkeypatch.setattr(services, "courtier_joignable", lambda: False)
    imp = deposer(monde.referent, monde.s1, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    with django_capture_on_commit_callbacks(execute=True):
        referent.post(reverse("imports:confirmer", args=[imp.pk]))
    # (Hors test, l'envoi a lieu avant la réponse et le message le dit aussitôt.)
    page = texte(referent.get(reverse("imports:fiche", args=[imp.pk])))
    assert "La file des imports est momentanément indisponible" in page
    assert "Relancer l'import" in page


def test_abandon(referent, monde, stockage_prive):
    imp = deposer(monde.referent, monde.s1, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    referent.post(reverse("imports:abandonner", args=[imp.pk]))
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.ABANDONNE
    assert referent.get(reverse("imports:fichier", args=[imp.pk])).status_code == 404


# --- Téléchargements ----------------------------------------------------------------------------


def test_fichier_d_origine_telecharge_et_trace(referent, monde):
    contenu = csv_de("DUPONT;Jean;01/02/1980;;Ici")
    imp = deposer(monde.referent, monde.s1, contenu)
    reponse = referent.get(reverse("imports:fichier", args=[imp.pk]))
    assert b"".join(reponse.streaming_content) == contenu
    assert 'filename="personnes.csv"' in reponse["Content-Disposition"]
    assert reponse["Cache-Control"] == "private, no-store"
    assert Evenement.objects.filter(
        action=Evenement.Action.TELECHARGEMENT, object_id=imp.pk, content_type__model="import"
    ).exists()


def test_rapport_par_ligne_csv_et_xlsx_formules_neutralisees(referent, monde):
    imp = deposer(
        monde.referent,
        monde.s1,
        csv_de("=HYPERLINK(1);Jean;01/02/1980;;Ici", "MARTIN;Léa;31/02/2024;;Là"),
    )
    csv = referent.get(reverse("imports:rapport", args=[imp.pk, "csv"]))
    lignes = csv.content.decode("utf-8-sig").splitlines()
    assert lignes[0] == "Ligne;Action;Libellé;Existant retrouvé;Erreurs"
    assert lignes[1] == "2;Création;'=HYPERLINK(1) Jean;;"
    assert lignes[2] == (
        "3;Erreur;MARTIN Léa;;ligne 3, colonne « Date de naissance », valeur « 31/02/2024 » : "
        "date impossible"
    )
    xlsx = referent.get(reverse("imports:rapport", args=[imp.pk, "xlsx"]))
    classeur = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert classeur.sheetnames == ["Rapport par ligne", "Import"]
    assert classeur["Rapport par ligne"]["C2"].value == "'=HYPERLINK(1) Jean"
    synthese = {r[0]: r[1] for r in classeur["Import"].iter_rows(min_row=2, values_only=True)}
    assert synthese["Lignes en erreur"] == 1 and synthese["Fichier"] == "personnes.csv"
    assert synthese["Colonne C"] == "Date de naissance → Date de naissance"
    exports = Evenement.objects.filter(
        action=Evenement.Action.EXPORT, object_id=imp.pk, content_type__model="import"
    )
    assert exports.count() == 2
    assert referent.get(reverse("imports:rapport", args=[imp.pk, "pdf"])).status_code == 404


def test_modeles_a_telecharger(referent):
    xlsx = referent.get(reverse("imports:modele", args=["essai", "xlsx"]))
    classeur = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert classeur.sheetnames == ["Personnes fictives", "Explications"]
    feuille = classeur["Personnes fictives"]
    assert [c.value for c in feuille[1]] == ENTETES.split(";")
    assert [c.value for c in feuille[2]] == [
        "MARTIN",
        "Léa",
        "12/03/1985",
        "512,40",
        ("Valmont-sur-Fiction"),
    ]
    explications = list(classeur["Explications"].iter_rows(values_only=True))
    assert explications[0] == ("Colonne", "Obligatoire", "Exemple", "Format et valeurs permises")
    assert explications[3] == ("Date de naissance", "oui", "12/03/1985", "jj/mm/aaaa")
    assert any("Dates au format jj/mm/aaaa" in (r[3] or "") for r in explications)
    csv = referent.get(reverse("imports:modele", args=["essai", "csv"]))
    assert csv.content.decode("utf-8-sig").splitlines() == [
        ENTETES,
        "MARTIN;Léa;12/03/1985;512,40;Valmont-sur-Fiction",
    ]
    assert referent.get(reverse("imports:modele", args=["inconnu", "csv"])).status_code == 404
    assert referent.get(reverse("imports:modele", args=["essai", "ods"])).status_code == 404


# --- Périmètre ----------------------------------------------------------------------------------


def _routes(imp):
    return {
        "get": [
            reverse("imports:fiche", args=[imp.pk]),
            reverse("imports:etat", args=[imp.pk]),
            reverse("imports:fichier", args=[imp.pk]),
            reverse("imports:rapport", args=[imp.pk, "csv"]),
            reverse("imports:rapport", args=[imp.pk, "xlsx"]),
        ],
        "post": [
            reverse("imports:correspondance", args=[imp.pk]),
            reverse("imports:decisions", args=[imp.pk]),
            reverse("imports:confirmer", args=[imp.pk]),
            reverse("imports:relancer", args=[imp.pk]),
            reverse("imports:abandonner", args=[imp.pk]),
        ],
    }


@pytest.mark.parametrize("etranger", ["referent_s3", "coordinateur_q1", "agent_d2", "referent_s2"])
def test_un_import_d_un_autre_ressort_est_introuvable(client, monde, etranger, taches_eager):
    f.StructureFactory(nom="MARTIN Léa", territoire=monde.d1)
    imp = deposer(
        monde.referent,
        monde.s1,
        csv_de("MARTIN;Léa;12/03/1985;;SECRETVILLE", "DUPONT;Jean;01/02/1980;;Ici"),
    )
    users = {
        "referent_s3": lambda: f.utilisateur(Role.REFERENT, structure=monde.s3),
        "coordinateur_q1": lambda: f.utilisateur(Role.COORDINATEUR, territoire=monde.q1),
        "agent_d2": lambda: f.utilisateur(Role.AGENT_DEPARTEMENTAL, territoire=monde.d2),
        "referent_s2": lambda: f.utilisateur(Role.REFERENT, structure=monde.s2),
    }
    client.force_login(users[etranger]())
    routes = _routes(imp)
    for url in routes["get"]:
        assert client.get(url).status_code == 404, url
    for url in routes["post"]:
        donnees = {"decision_2": Action.CREER, "pour_tous": Action.CREER, "colonne_0": "nom"}
        assert client.post(url, donnees).status_code == 404, url
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.ESSAI
    assert imp.lignes.get(numero=2).decision == ""
    liste = texte(client.get(reverse("imports:liste")))
    assert "personnes.csv" not in liste and "0</strong> import" in liste
    assert "SECRETVILLE" not in liste


def test_co_pilote_n_importe_jamais(client, monde):
    imp = deposer(monde.referent, monde.s1, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    client.force_login(monde.copilote)
    for url in _routes(imp)["get"] + [reverse("imports:liste"), reverse("imports:deposer")]:
        assert client.get(url).status_code == 403, url
    reponse = envoi(client, monde.s1, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    assert reponse.status_code == 403 and Import.objects.count() == 1


def test_l_agent_et_l_administrateur_voient_l_import_du_referent(client, monde):
    imp = deposer(monde.referent, monde.s1, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    for user in (monde.agent, monde.administrateur):
        client.force_login(user)
        assert client.get(reverse("imports:fiche", args=[imp.pk])).status_code == 200
        assert "personnes.csv" in texte(client.get(reverse("imports:liste")))
    # Le coordinateur de P1 n'a pas CHRS Un (rattachée au Département) dans son ressort.
    client.force_login(monde.coordinateur)
    assert client.get(reverse("imports:fiche", args=[imp.pk])).status_code == 404


def test_liste_filtree(client, monde):
    deposer(monde.referent, monde.s1, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    deposer(monde.agent, monde.s2, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    client.force_login(monde.agent)
    assert client.get(reverse("imports:liste")).context["page"].paginator.count == 2
    filtree = client.get(reverse("imports:liste") + f"?structure={monde.s2.pk}&statut=essai")
    assert [i.structure for i in filtree.context["page"]] == [monde.s2]
    forgee = client.get(reverse("imports:liste") + "?structure=%C2%B2&genre=zzz")
    assert forgee.status_code == 200 and forgee.context["page"].paginator.count == 2


def test_un_import_n_est_lu_que_par_qui_voit_aussi_large_que_son_deposant(client, monde):
    """Le rapport montre les existants retrouvés avec les droits du déposant : référent et
    coordinateur ne lisent que leurs propres imports ; l'agent lit tous ceux de son
    Département, l'administrateur tous."""
    sur_p1 = f.StructureFactory(nom="CCAS de P1", territoire=monde.p1)
    referent_p1 = f.utilisateur(Role.REFERENT, structure=sur_p1)
    du_referent = deposer(referent_p1, sur_p1, csv_de("UN;A;01/02/1980;;Ici"))
    du_coordinateur = deposer(monde.coordinateur, sur_p1, csv_de("DEUX;A;01/02/1980;;Ici"))
    de_l_agent = deposer(monde.agent, sur_p1, csv_de("TROIS;A;01/02/1980;;Ici"))
    assert (du_referent.rang_depot, du_coordinateur.rang_depot, de_l_agent.rang_depot) == (1, 2, 3)
    attendus = {
        referent_p1: {du_referent},
        monde.coordinateur: {du_coordinateur},
        monde.agent: {du_referent, du_coordinateur, de_l_agent},
        monde.administrateur: {du_referent, du_coordinateur, de_l_agent},
        monde.referent: set(),
    }
    for user, visibles in attendus.items():
        client.force_login(user)
        assert set(client.get(reverse("imports:liste")).context["page"]) == visibles, user
        for imp in (du_referent, du_coordinateur, de_l_agent):
            statut = client.get(reverse("imports:fiche", args=[imp.pk])).status_code
            assert statut == (200 if imp in visibles else 404), (user, imp.rang_depot)


def test_seul_le_deposant_modifie_ou_confirme(client, monde, taches_eager):
    f.StructureFactory(nom="MARTIN Léa", territoire=monde.d1)
    imp = deposer(monde.referent, monde.s1, csv_de("MARTIN;Léa;12/03/1985;;Ici"))
    client.force_login(monde.agent)
    page = texte(client.get(reverse("imports:fiche", args=[imp.pk])))
    assert "seule la personne qui a déposé le fichier" in page
    assert "Confirmer l&#x27;import" not in page and "Confirmer l'import" not in page
    client.post(reverse("imports:decisions", args=[imp.pk]), {"pour_tous": Action.CREER})
    reponse = client.post(reverse("imports:confirmer", args=[imp.pk]), follow=True)
    assert "Seule la personne qui a déposé le fichier" in texte(reponse)
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.ESSAI
    assert imp.lignes.get().decision == ""
    client.post(reverse("imports:abandonner", args=[imp.pk]))
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.ESSAI
    # L'administrateur peut abandonner un import laissé en plan.
    client.force_login(monde.administrateur)
    client.post(reverse("imports:abandonner", args=[imp.pk]))
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.ABANDONNE


def test_deux_coordinateurs_ne_partagent_pas_leurs_imports(client, monde):
    """Une structure départementale sert deux plateformes : l'import de l'un (qui montre ses
    ménages retrouvés) reste invisible à l'autre."""
    coordinateur_p2 = f.utilisateur(Role.COORDINATEUR, territoire=monde.p2)
    imp = deposer(monde.coordinateur, monde.s1, csv_de("UN;A;01/02/1980;;Ici"))
    client.force_login(coordinateur_p2)
    assert imp not in set(client.get(reverse("imports:liste")).context["page"])
    assert client.get(reverse("imports:fiche", args=[imp.pk])).status_code == 404
