"""Entrées malformées : identifiants absurdes dans les URL, paramètres GET fantaisistes, champs de
formulaire forgés, corps trop gros ou de mauvais type. Toujours un 4xx clair ou un formulaire
invalide ; jamais de 500, jamais d'écriture hors du périmètre.

Chaque champ forgé a son contrôle positif : la même saisie avec une valeur du périmètre écrit
bien, preuve que le refus vient du contrôle d'accès et non d'une saisie incomplète."""

from __future__ import annotations

import json
import re

import pytest
from django import forms
from django.db import transaction
from django.urls import resolve, reverse

from accompagnement.models import MotifFin, OrigineOrientation, TypeMesure
from attributions.models import Contingent, Logement
from logement.models import Role, Structure
from menages.models import Personne, Ressource, TypeRessource, TypeSituation

from . import factories as f
from .test_matrice_fuites import (  # noqa: F401  (etranger : fixture)
    AUJOURDHUI,
    connecter,
    empreinte,
    etranger,
    modeles_metier,
    routes_de_la_matrice,
    texte_de,
)

pytestmark = pytest.mark.django_db

SENTINELLE = 987654321
IDENTIFIANTS_ABSURDES = [
    "abc",
    "-1",
    "0",
    "1.5",
    "%00",
    "%C2%B2",  # « ² »
    "%D9%A3",  # « ٣ », chiffre arabe-indien
    "99999999999999999999",
    str(2**63),
    "1" * 400,
]


def envoyer(client, methode, url, **kwargs):
    """(statut, texte) ; une exception de la vue (un 500) est rapportée comme statut."""
    statut, texte, _ = _envoyer(client, methode, url, **kwargs)
    return statut, texte


def _envoyer(client, methode, url, **kwargs):
    # Chaque requête dans un point de sauvegarde annulé : une erreur de base (PostgreSQL)
    # n'empoisonne pas les suivantes, et le journal écrit par une lecture est défait.
    with transaction.atomic():
        try:
            return _envoyer_sans_transaction(client, methode, url, **kwargs)
        finally:
            transaction.set_rollback(True)


def _envoyer_sans_transaction(client, methode, url, **kwargs):
    try:
        if "content_type" in kwargs:
            # Corps brut, envoyé tel quel (le client n'encode rien selon le type annoncé).
            reponse = client.generic(methode.upper(), url, kwargs["data"], kwargs["content_type"])
        else:
            reponse = getattr(client, methode)(url, **kwargs)
    except Exception as exc:  # noqa: BLE001 — toute exception de vue est un 500
        return f"500 ({type(exc).__name__}: {str(exc)[:200]})", "", []
    return reponse.status_code, texte_de(reponse)[0], erreurs_de_formulaire(reponse)


def erreurs_de_formulaire(reponse) -> list:
    """Les erreurs des formulaires et formsets rendus par la réponse."""
    erreurs = []
    for contexte in reponse.context or []:
        for valeur in contexte.flatten().values() if hasattr(contexte, "flatten") else []:
            if isinstance(valeur, forms.BaseForm) and valeur.is_bound:
                erreurs += list(valeur.errors.values())
            elif isinstance(valeur, forms.BaseFormSet) and valeur.is_bound:
                erreurs += [e for e in valeur.errors if e] + list(valeur.non_form_errors())
    return erreurs


def ecrire(client, url, donnees=None, garde=None, **kwargs) -> tuple[object, bool, list]:
    """POST dans un point de sauvegarde annulé : (statut, a écrit ?, erreurs de formulaire).

    « A écrit » : la base a changé ; ou, avec `garde` (fonction qui lit les objets étrangers
    visés), ces objets-là ont changé."""
    modeles = modeles_metier()
    lire = garde or (lambda: empreinte(modeles))
    with transaction.atomic():
        avant = lire()
        statut, _, erreurs = _envoyer_sans_transaction(
            client, "post", url, data=donnees or {}, **kwargs
        )
        apres = lire()
        transaction.set_rollback(True)
    return statut, avant != apres, erreurs


def _aujourdhui(decalage=0):
    import datetime as dt

    return (AUJOURDHUI + dt.timedelta(days=decalage)).isoformat()


# --- Identifiants absurdes dans les URL ---------------------------------------------------------


def _url_avec(route, cible: str, valeur: str) -> str:
    """L'URL de la route, le paramètre `cible` remplacé par `valeur` tel quel, les autres par un
    identifiant inexistant (ou un format valide)."""
    chemin = route.motif
    for nom in route.parametres:
        bout = "pdf" if nom == "format" else str(SENTINELLE)
        if nom == cible:
            bout = "__CIBLE__"
        chemin = re.sub(rf"<(?:\w+:)?{nom}>", bout, chemin)
    return "/" + chemin.replace("__CIBLE__", valeur)


@pytest.mark.parametrize("role", ["administrateur", "referent"])
def test_identifiants_absurdes_dans_les_url_donnent_404(client, monde, role):
    connecter(client, getattr(monde, role))
    modeles = modeles_metier()
    avant = empreinte(modeles)
    erreurs, nb = [], 0
    for route in routes_de_la_matrice():
        for cible in route.parametres:
            valeurs = IDENTIFIANTS_ABSURDES + (
                ["exe", "..%2F..%2Fetc", "PDF"] if cible == "format" else []
            )
            for valeur in valeurs:
                url = _url_avec(route, cible, valeur)
                for methode in ("get", "post"):
                    nb += 1
                    statut, _ = envoyer(client, methode, url)
                    # Une vue réservée (rôle) ou POST seul peut répondre avant de chercher l'objet.
                    admis = {404, 405} if methode == "get" else {404}
                    if role != "administrateur":
                        admis.add(403)
                    if statut not in admis:
                        erreurs.append(f"{methode.upper()} {url} : {statut}")
    assert empreinte(modeles) == avant
    assert nb > 500
    assert not erreurs, "\n".join(erreurs)


# --- Paramètres GET absurdes --------------------------------------------------------------------

GRAND = "99999999999999999999"
REQUETES_ABSURDES = [
    "page=-1&tri=inconnu&statut=%3Cscript%3E&annee=99999&lignes=-5&format=exe&liste=x&etape=zzz",
    "page=abc&tri=-%3BDROP&annee=-5&territoire=abc&structure=abc&referent=abc&plateforme=abc"
    "&epci=abc&contingent=abc&type_mesure=abc&public=abc&situation=abc&financeur=zzz",
    # `pour` et `menages` (identifiants de ménage) : tests dédiés plus bas.
    f"page={GRAND}&territoire={GRAND}&structure={GRAND}"
    f"&epci={GRAND}&referent={GRAND}&plateforme={GRAND}&annee={GRAND}&lignes={GRAND}",
    "date=2024-02-30&date_debut=2024-13-45&date_fin=0000-00-00&annee=2024-02-30&q=%3C%3E",
    "lignes=%C2%B2&page=%C2%B2&annee=%C2%B2&territoire=%C2%B2&structure=%C2%B2",
    "q=" + "x" * 3000 + "&audience=zzz&role=zzz&statut=zzz&qpv=peut-etre&disponible=42",
    "territoire=1&territoire=2&page=1&page=2&tri=&tri=-reference&menages=1&menages=abc",
    "q=%FF%FE&pour=-1&menages=-1&format=xlsx&tri=" + "-" * 50,
    # L'octet nul (refusé par PostgreSQL dans un texte ou un JSON) : test dédié plus bas.
]


def _urls_get(objets):
    """Chaque page de la matrice, avec un objet que l'administrateur voit."""
    from .test_matrice_fuites import FABRIQUES

    cible = objets.cibles["b1"]
    for route in routes_de_la_matrice():
        if not route.parametres:
            yield reverse(route.nom)
            continue
        for kwargs, categorie, _ in FABRIQUES[route.nom](cible, objets.propre):
            if categorie != "mixte":
                yield reverse(route.nom, kwargs=kwargs)
                break


@pytest.mark.parametrize("role", ["administrateur", "coordinateur"])
def test_parametres_get_absurdes_jamais_de_500(client, monde, request, role):
    connecter(client, getattr(monde, role))
    erreurs, nb = [], 0
    for url in _urls_get(request.getfixturevalue("etranger")):
        for requete in REQUETES_ABSURDES:
            nb += 1
            statut, texte = envoyer(client, "get", f"{url}?{requete}")
            if not isinstance(statut, int) or statut >= 500:
                erreurs.append(f"GET {url}?{requete[:120]} : {statut}")
            elif statut == 400 and not texte.strip():
                erreurs.append(f"GET {url}?{requete[:120]} : 400 sans message")
    assert nb > 100
    assert not erreurs, "\n".join(erreurs)


OCTET_NUL = "q=%00&nom=a%00b&territoire=%00&statut=%00&tri=%00&liste=%00&etape=%00"


@pytest.mark.parametrize("role", ["administrateur", "coordinateur"])
def test_octet_nul_en_parametre_get(client, monde, request, role):
    connecter(client, getattr(monde, role))
    erreurs = []
    for url in _urls_get(request.getfixturevalue("etranger")):
        if resolve(url).view_name in CONNUS_OCTET_NUL:
            continue  # tests dédiés ci-dessous
        statut, _ = envoyer(client, "get", f"{url}?{OCTET_NUL}")
        if not isinstance(statut, int) or statut >= 500:
            erreurs.append(f"GET {url}?{OCTET_NUL} : {statut}")
    assert not erreurs, "\n".join(erreurs)


# Pages dont l'octet nul a son test dédié ci-dessous.
CONNUS_OCTET_NUL = {"menages:export", "journal:export", "attributions:proposer"}


def test_recherche_de_candidats_avec_octet_nul(client, monde, logement_a1):
    connecter(client, monde.coordinateur)
    url = reverse("attributions:proposer", args=[logement_a1.pk])
    statut, _ = envoyer(client, "get", f"{url}?q=a%00b")
    assert statut == 200


def test_export_du_journal_avec_octet_nul(client, monde):
    connecter(client, monde.agent)
    statut, _ = envoyer(client, "get", f"{reverse('journal:export')}?q=%00")
    assert statut == 200


def test_export_des_menages_avec_octet_nul(client, monde):
    connecter(client, monde.agent)
    statut, _ = envoyer(client, "get", f"{reverse('menages:export')}?q=%00")
    assert statut == 200


# Identifiants de ménage lus dans la requête hors formulaire : `?pour=` (liste des logements),
# `?menages=` (ménages déjà cochés sur la page « proposer »).
IDENTIFIANTS_GET_SANS_ERREUR = ["abc", "-1", "0", "1.5", "%D9%A3", "", "1" * 18]


@pytest.fixture
def logement_a1(monde):
    return f.LogementFactory(territoire=monde.a1)


@pytest.mark.parametrize("valeur", IDENTIFIANTS_GET_SANS_ERREUR)
def test_identifiant_de_menage_absurde_en_parametre_get(client, monde, logement_a1, valeur):
    connecter(client, monde.coordinateur)
    for url in (
        f"{reverse('attributions:logements')}?pour={valeur}",
        f"{reverse('attributions:proposer', args=[logement_a1.pk])}?menages={valeur}",
    ):
        statut, _ = envoyer(client, "get", url)
        assert statut == 200, (url, statut)


def test_pour_en_chiffre_exposant_jamais_de_500(client, monde):
    connecter(client, monde.coordinateur)
    statut, _ = envoyer(client, "get", f"{reverse('attributions:logements')}?pour=%C2%B2")
    assert statut == 200


def test_menages_en_chiffre_exposant_jamais_de_500(client, monde, logement_a1):
    connecter(client, monde.coordinateur)
    url = reverse("attributions:proposer", args=[logement_a1.pk])
    statut, _ = envoyer(client, "get", f"{url}?menages=%C2%B2")
    assert statut == 200


def test_menages_identifiant_enorme_jamais_de_500(client, monde, logement_a1):
    connecter(client, monde.coordinateur)
    url = reverse("attributions:proposer", args=[logement_a1.pk])
    statut, _ = envoyer(client, "get", f"{url}?menages={GRAND}")
    assert statut == 200


@pytest.mark.parametrize(
    "valeur",
    [
        "abc",
        "-1",
        "%C2%B2",
        GRAND,
        "1" * 400,
    ],
)
def test_proposer_post_avec_menage_absurde_formulaire_invalide(client, monde, logement_a1, valeur):
    connecter(client, monde.coordinateur)
    url = reverse("attributions:proposer", args=[logement_a1.pk])
    donnees = {
        "menages": [monde.m_a1.pk, valeur.replace("%C2%B2", "²")],
        "contingent": _pk(Contingent, "prefectoral"),
        "date_proposition": _aujourdhui(),
    }
    statut, a_ecrit, erreurs = ecrire(client, url, donnees)
    assert statut == 200 and erreurs and not a_ecrit, (statut, erreurs)


# Un identifiant au-delà des entiers 64 bits dans un choix multiple : Django le relirait par
# pk__in, qui déborde sous SQLite ; logement.forms le refuse avant comme choix invalide.


@pytest.mark.parametrize(
    ("role", "nom", "champ"),
    [
        ("agent", "menages:creer", "publics_prioritaires"),
        ("agent", "menages:changer_situation", "personnes"),
        ("coordinateur", "attributions:proposer", "menages"),
    ],
)
def test_choix_multiple_avec_identifiant_hors_64_bits(client, monde, logement_a1, role, nom, champ):
    connecter(client, getattr(monde, role))
    arguments = {
        "menages:creer": [],
        "menages:changer_situation": [monde.m_a1.pk],
        "attributions:proposer": [logement_a1.pk],
    }[nom]
    statut, a_ecrit, erreurs = ecrire(client, reverse(nom, args=arguments), {champ: str(2**63)})
    assert statut == 200 and not a_ecrit, statut


# --- Champs de formulaire forgés ----------------------------------------------------------------


def _personne(prefixe="personnes-0-", **kwargs):
    return {
        f"{prefixe}nom": "Fictif",
        f"{prefixe}prenom": "Alex",
        f"{prefixe}role": Personne.Role.DEMANDEUR,
        f"{prefixe}sexe": Personne.Sexe.AUTRE,
        f"{prefixe}nationalite": Personne.Nationalite.FRANCAISE,
        **kwargs,
    }


def _creation_menage(territoire):
    return {
        "territoire": territoire.pk,
        "commune": "Valmont-sur-Fiction",
        "dalo": "aucun",
        "personnes-TOTAL_FORMS": "1",
        "personnes-INITIAL_FORMS": "0",
        **_personne(),
    }


def _pk(modele, code):
    return modele.objects.get(code=code).pk


def _cas_forges(monde):
    """(rôle, URL, saisie valide, champs forgés[, garde]) : la saisie valide écrit ; la même
    avec les champs forgés (hors périmètre) n'écrit rien (rien du tout, ou rien de ce que lit
    la garde)."""
    m = monde
    orientation = f.OrientationFactory(menage=m.m_a2, plateforme=m.p2)
    referent_s3 = f.utilisateur(Role.REFERENT, structure=m.s3, username="referent-s3")
    logement_b1 = f.LogementFactory(territoire=m.b1, reference="LOG-B1")
    logement_a1 = f.LogementFactory(territoire=m.a1, reference="LOG-A1")
    bailleur_d2 = f.StructureFactory(
        nom="Bailleur D2", type=Structure.Type.BAILLEUR, territoire=m.d2
    )
    bailleur_d1 = f.StructureFactory(
        nom="Bailleur D1", type=Structure.Type.BAILLEUR, territoire=m.d1
    )
    personne_b1 = m.m_b1.personnes.get()
    ressource_b1 = Ressource.objects.create(
        menage=m.m_b1, type=TypeRessource.objects.first(), montant_mensuel=500
    )
    logement_champs = {
        "reference": "LOG-NOUVEAU",
        "adresse": "1 rue Fictive",
        "code_postal": "00100",
        "commune": "Valmont",
        "typologie": Logement.Typologie.T2,
        "surface": "40",
        "loyer": "300",
        "charges": "50",
        "type_bailleur": Logement.TypeBailleur.PRIVE,
        "captation": Logement.Captation.IML_MANDAT,
        "date_disponibilite": _aujourdhui(),
    }
    return [
        (
            "agent",
            reverse("menages:creer"),
            _creation_menage(m.a1),
            {"territoire": m.b1.pk},
        ),
        (
            "coordinateur",
            reverse("menages:creer"),
            _creation_menage(m.a1),
            {"territoire": m.a2.pk},
        ),
        (
            "agent",
            reverse("menages:modifier", args=[m.m_a1.pk]),
            {"territoire": m.a2.pk, "dalo": "aucun", "commune": "X", "version": m.m_a1.version},
            {"territoire": m.b1.pk},
        ),
        (
            "agent",
            reverse("accompagnement:orientation_accepter", args=[orientation.pk]),
            {"type_mesure": _pk(TypeMesure, "aml"), "structure": m.s1.pk, "confirmer": "1"},
            {"structure": m.s3.pk},
        ),
        (
            "agent",
            reverse("accompagnement:orientation_accepter", args=[orientation.pk]),
            {"type_mesure": _pk(TypeMesure, "aml"), "structure": m.s1.pk, "confirmer": "1"},
            {"referent": referent_s3.pk},
        ),
        (
            "agent",
            reverse("accompagnement:mesure_ouvrir", args=[m.m_a1_sans_mesure.pk]),
            {"type_mesure": _pk(TypeMesure, "asrl"), "structure": m.s2.pk, "confirmer": "1"},
            {"structure": m.s3.pk},
        ),
        (
            "coordinateur",
            reverse("accompagnement:orientation_creer", args=[m.m_a1.pk]),
            {
                "plateforme": m.p1.pk,
                "date_orientation": _aujourdhui(),
                "origine": _pk(OrigineOrientation, "siao"),
                "motif": "Saisine",
            },
            {"plateforme": m.q1.pk},
        ),
        (
            "coordinateur",
            reverse("accompagnement:orientation_creer", args=[m.m_a1.pk]),
            {
                "plateforme": m.p1.pk,
                "date_orientation": _aujourdhui(),
                "origine": _pk(OrigineOrientation, "siao"),
                "motif": "Saisine",
            },
            {"structure_prescriptrice": m.s3.pk},
        ),
        (
            "referent",
            reverse("accompagnement:rencontre_ajouter", args=[m.m_a1.pk]),
            {
                "date": _aujourdhui(),
                "type": "entretien",
                "duree_minutes": "30",
                "structure": m.s1.pk,
            },
            {"structure": m.s2.pk},
        ),
        (
            "referent",
            reverse("accompagnement:rencontre_ajouter", args=[m.m_a1.pk]),
            {
                "date": _aujourdhui(),
                "type": "entretien",
                "duree_minutes": "30",
                "structure": m.s1.pk,
            },
            {"mesure": m.mesure_b1.pk},
        ),
        (
            "referent",
            reverse("accompagnement:mesure_terminer", args=[m.mesure_a1.pk]),
            {
                "motif": _pk(MotifFin, "acces_logement"),
                "date_fin": _aujourdhui(),
                "destination": "parc_prive",
                "date_entree_logement": _aujourdhui(),
                "confirmer": "1",
            },
            {"logement": logement_b1.pk},
        ),
        (
            "coordinateur",
            reverse("attributions:proposer", args=[logement_a1.pk]),
            {
                "menages": [m.m_a1.pk],
                "contingent": _pk(Contingent, "prefectoral"),
                "date_proposition": _aujourdhui(),
            },
            {"menages": [m.m_a1.pk, m.m_b1.pk]},
        ),
        (
            "agent",
            reverse("attributions:logement_creer"),
            {**logement_champs, "territoire": m.a1.pk},
            {"territoire": m.b1.pk},
        ),
        (
            "agent",
            reverse("attributions:logement_creer"),
            {
                **logement_champs,
                "territoire": m.a1.pk,
                "type_bailleur": Logement.TypeBailleur.SOCIAL,
                "bailleur": bailleur_d1.pk,
            },
            {"bailleur": bailleur_d2.pk},
        ),
        (
            "agent",
            reverse("conventions:creer"),
            {
                "financeur": "etat",
                "structure": m.s1.pk,
                "type_mesure": _pk(TypeMesure, "asrl"),
                "territoire": m.d1.pk,
                "annee": AUJOURDHUI.year,
                "nombre_mesures": "5",
                "budget": "1000",
            },
            {"structure": m.s3.pk},
        ),
        (
            "agent",
            reverse("conventions:creer"),
            {
                "financeur": "etat",
                "structure": m.s1.pk,
                "type_mesure": _pk(TypeMesure, "asrl"),
                "territoire": m.d1.pk,
                "annee": AUJOURDHUI.year,
                "nombre_mesures": "5",
                "budget": "1000",
            },
            {"territoire": m.d2.pk},
        ),
        (
            "agent",
            reverse("bilans:demander"),
            {
                "territoire": m.d1.pk,
                "audience": "departement",
                "type_periode": "annee",
                "annee": AUJOURDHUI.year - 1,
            },
            {"territoire": m.d2.pk},
        ),
        (
            "coordinateur",
            reverse("bilans:demander"),
            {
                "territoire": m.p1.pk,
                "audience": "etat",
                "type_periode": "annee",
                "annee": AUJOURDHUI.year - 1,
            },
            {"territoire": m.p2.pk},
        ),
        (
            "agent",
            reverse("menages:changer_situation", args=[m.m_a1.pk]),
            {
                "personnes": [m.m_a1.personnes.get().pk],
                "type": _pk(TypeSituation, "rue"),
                "date": _aujourdhui(-1),
            },
            {"personnes": [personne_b1.pk]},
        ),
        (
            "agent",
            reverse("menages:ressources", args=[m.m_a1.pk]),
            {
                "ressources-TOTAL_FORMS": "1",
                "ressources-INITIAL_FORMS": "0",
                "ressources-0-type": TypeRessource.objects.first().pk,
                "ressources-0-montant_mensuel": "100",
                "menage-version": m.m_a1.version,
            },
            {"ressources-0-personne": personne_b1.pk},
        ),
        (
            "agent",
            reverse("menages:ressources", args=[m.m_a1.pk]),
            {
                "ressources-TOTAL_FORMS": "1",
                "ressources-INITIAL_FORMS": "0",
                "ressources-0-type": TypeRessource.objects.first().pk,
                "ressources-0-montant_mensuel": "100",
                "menage-version": m.m_a1.version,
            },
            {"ressources-INITIAL_FORMS": "1", "ressources-0-id": ressource_b1.pk},
            # Le ménage A1 peut être écrit (sa version) ; la ressource de B1, jamais.
            lambda: list(Ressource.objects.filter(menage=m.m_b1).values()),
        ),
        (
            "agent",
            reverse("utilisateurs:inviter"),
            {
                "prenom": "Camille",
                "nom": "Invitee",
                "email": "invitee@exemple.invalid",
                "role": Role.REFERENT,
                "structure": m.s1.pk,
                "date_debut": _aujourdhui(),
            },
            {"structure": m.s3.pk},
        ),
        (
            "agent",
            reverse("utilisateurs:inviter"),
            {
                "prenom": "Camille",
                "nom": "Invitee",
                "email": "invitee@exemple.invalid",
                "role": Role.COORDINATEUR,
                "territoire": m.p1.pk,
                "date_debut": _aujourdhui(),
            },
            {"territoire": m.q1.pk},
        ),
        (
            "agent",
            reverse("utilisateurs:ajouter_habilitation", args=[m.referent.pk]),
            {"role": Role.COPILOTE, "territoire": m.a1.pk, "date_debut": _aujourdhui()},
            {"territoire": m.b1.pk},
        ),
    ]


def test_champs_forges_refuses_sans_rien_ecrire(client, monde, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    erreurs = []
    cas = _cas_forges(monde)
    for role, url, valide, forges, *garde in cas:
        connecter(client, getattr(monde, role))
        statut, a_ecrit, messages = ecrire(client, url, valide)
        if not a_ecrit:
            erreurs.append(f"{role} {url} : la saisie valide n'écrit pas ({statut}, {messages})")
            continue
        statut, a_ecrit, messages = ecrire(client, url, {**valide, **forges}, *garde)
        if a_ecrit:
            erreurs.append(f"{role} {url} {forges} : écriture avec un champ forgé ({statut})")
        elif not isinstance(statut, int) or statut >= 500:
            erreurs.append(f"{role} {url} {forges} : {statut}")
        elif statut == 200 and not messages:
            erreurs.append(f"{role} {url} {forges} : 200 sans erreur de formulaire")
    assert len(cas) >= 20
    assert not erreurs, "\n".join(erreurs)


# --- Corps trop gros, fichiers, types de contenu ------------------------------------------------

VUES_DE_FORMULAIRE = [
    ("agent", "menages:creer"),
    ("agent", "conventions:creer"),
    ("agent", "attributions:logement_creer"),
    ("agent", "bilans:demander"),
    ("agent", "utilisateurs:inviter"),
]


@pytest.mark.parametrize(("role", "nom"), VUES_DE_FORMULAIRE)
def test_json_ou_texte_envoye_a_un_formulaire(client, monde, role, nom):
    connecter(client, getattr(monde, role))
    url = reverse(nom)
    for corps, type_contenu in [
        (json.dumps({"territoire": monde.b1.pk, "nom": "X"}), "application/json"),
        ("territoire=1", "text/plain"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
        ("territoire=%FF%FE&nom=%00", "application/x-www-form-urlencoded; charset=inexistant"),
        ("<xml/>", "application/xml"),
    ]:
        statut, a_ecrit, _ = ecrire(client, url, corps, content_type=type_contenu)
        assert not a_ecrit, (nom, type_contenu)
        assert isinstance(statut, int) and 200 <= statut < 500, (nom, type_contenu, statut)


@pytest.mark.parametrize(("role", "nom"), VUES_DE_FORMULAIRE)
def test_multipart_sans_frontiere_400(client, monde, role, nom):
    connecter(client, getattr(monde, role))
    statut, a_ecrit, _ = ecrire(client, reverse(nom), "--x\r\n", content_type="multipart/form-data")
    assert not a_ecrit
    assert statut == 400


def test_corps_trop_gros_400(client, monde, settings):
    connecter(client, monde.agent)
    url = reverse("menages:creer")
    enorme = "commune=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    statut, a_ecrit, _ = ecrire(
        client, url, enorme, content_type="application/x-www-form-urlencoded"
    )
    assert statut == 400 and not a_ecrit


def test_trop_de_champs_400(client, monde, settings):
    connecter(client, monde.agent)
    champs = {f"c{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5)}
    statut, a_ecrit, _ = ecrire(client, reverse("menages:creer"), champs)
    assert statut == 400 and not a_ecrit


def test_fichier_joint_a_une_vue_sans_fichier_ignore(client, monde):
    """Aucune vue n'accepte de fichier : un envoi, même gros, est ignoré (formulaire refusé)."""
    import io

    connecter(client, monde.agent)
    fichier = io.BytesIO(b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024))
    fichier.name = "piece.exe"
    donnees = {**_creation_menage(monde.b1), "piece": fichier}
    statut, a_ecrit, _ = ecrire(client, reverse("menages:creer"), donnees)
    assert statut == 200 and not a_ecrit


# Modules de vues qui lisent un fichier déposé, et où sont leurs tests de taille et de type.
VUES_A_FICHIER = {
    "imports.views": "tests/test_imports_lecture.py et tests/test_imports_vues.py : mauvais "
    "type, XLSX corrompu, fichier vide, trop gros, trop de lignes, colonne obligatoire absente",
}


def test_aucune_vue_n_accepte_de_fichier():
    """Si une vue se met à lire request.FILES, elle doit avoir ses tests de taille et de type
    (trop gros → 4xx, mauvais type → erreur de formulaire) et figurer dans VUES_A_FICHIER."""
    import inspect
    from importlib import import_module

    lisent = []
    for route in routes_de_la_matrice():
        nom_module = route.vue.rsplit(".", 1)[0]
        module = import_module(nom_module)
        if "request.FILES" in inspect.getsource(module) and nom_module not in VUES_A_FICHIER:
            lisent.append(route.nom)
    assert not lisent, f"Vues qui acceptent un fichier, à couvrir ici : {sorted(set(lisent))}"
