"""Pages des attributions : logements captés, propositions, pipeline et saisie de chaque étape."""

import datetime as dt
from collections import Counter

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from attributions.models import DecisionCaleol, Logement, ObjectifAttribution, Proposition
from logement.models import Structure
from menages.models import Menage, Personne, SituationResidentielle

from . import factories as f

pytestmark = pytest.mark.django_db

AUJOURDHUI = f.AUJOURDHUI
IL_Y_A = {n: AUJOURDHUI - dt.timedelta(days=n) for n in (1, 5, 10, 20, 25, 30, 40)}


def decision(code):
    return DecisionCaleol.objects.get(code=code)


def attribuee(**kwargs):
    """Proposition attribuée en CALEOL, réponse du ménage attendue."""
    return f.PropositionFactory(
        date_caleol=IL_Y_A[30], decision=decision(kwargs.pop("rang", "rang_1")), **kwargs
    )


def acceptee(**kwargs):
    return attribuee(reponse=Proposition.Reponse.ACCEPTATION, date_reponse=IL_Y_A[25], **kwargs)


def url(nom, *args):
    return reverse(f"attributions:{nom}", args=args)


def contenu(reponse):
    return reponse.content.decode()


def rien_ne_change(proposition):
    """Instantané des champs saisissables, pour vérifier qu'un refus n'a rien écrit."""
    proposition.refresh_from_db()
    return (
        proposition.date_caleol,
        proposition.decision_id,
        proposition.reponse,
        proposition.date_signature_bail,
        proposition.date_entree,
        proposition.date_classement,
    )


# --- Accès --------------------------------------------------------------------------------------


@pytest.fixture
def logement_a1(monde):
    return f.LogementFactory(territoire=monde.a1, loyer=1234.5, charges=60)


@pytest.fixture
def proposition_a1(monde, logement_a1):
    return f.PropositionFactory(menage=monde.m_a1, logement=logement_a1)


def _pages(logement, proposition):
    return [
        url("logements"),
        url("propositions"),
        url("logement_creer"),
        url("logement_fiche", logement.pk),
        url("logement_modifier", logement.pk),
        url("proposer", logement.pk),
        url("decision_caleol", proposition.pk),
        url("reponse_menage", proposition.pk),
        url("bail", proposition.pk),
        url("entree", proposition.pk),
    ]


def test_copilote_interdit_partout(client, monde, logement_a1, proposition_a1):
    client.force_login(monde.copilote)
    for page in _pages(logement_a1, proposition_a1):
        assert client.get(page).status_code == 403, page


def test_referent_lit_mais_ne_saisit_pas(client, monde, logement_a1, proposition_a1):
    client.force_login(monde.referent)
    lectures = [url("logements"), url("propositions"), url("logement_fiche", logement_a1.pk)]
    pages = _pages(logement_a1, proposition_a1)
    for page in pages:
        attendu = 200 if page in lectures else 403
        assert client.get(page).status_code == attendu, page
    assert client.post(url("logement_creer"), {}).status_code == 403
    fiche = contenu(client.get(url("logement_fiche", logement_a1.pk)))
    assert monde.m_a1.reference in fiche
    assert url("decision_caleol", proposition_a1.pk) not in fiche


def test_referent_ne_voit_que_les_logements_proposes_a_ses_menages(
    client, monde, logement_a1, proposition_a1
):
    autre = f.LogementFactory(territoire=monde.a1)
    client.force_login(monde.referent)
    page = contenu(client.get(url("logements")))
    assert logement_a1.reference in page
    assert autre.reference not in page
    assert client.get(url("logement_fiche", autre.pk)).status_code == 404


def test_logement_et_proposition_dun_autre_departement_introuvables(client, monde):
    proposition_b1 = f.PropositionFactory(menage=monde.m_b1)
    client.force_login(monde.agent)
    logement = proposition_b1.logement
    for page in _pages(logement, proposition_b1)[3:]:
        assert client.get(page).status_code == 404, page
    assert logement.reference not in contenu(client.get(url("logements")))
    assert monde.m_b1.reference not in contenu(client.get(url("propositions")))


# --- Liste et fiche des logements ---------------------------------------------------------------


def test_liste_des_logements_avec_loyer_en_euros_et_derniere_etape(
    client, monde, logement_a1, proposition_a1
):
    client.force_login(monde.coordinateur)
    reponse = client.get(url("logements"))
    assert reponse.status_code == 200
    page = contenu(reponse)
    assert logement_a1.reference in page
    assert "1\xa0294,50&nbsp;€" in page
    assert "Proposée" in page


def test_filtres_des_logements(client, monde):
    libre = f.LogementFactory(territoire=monde.a1, typologie="T3", qpv=True, commune="Brélonne")
    retire = f.LogementFactory(territoire=monde.a1, date_retrait=AUJOURDHUI, commune="Ormeil")
    attribue = f.PropositionFactory(menage=monde.m_a1, bail=True).logement
    a2 = f.LogementFactory(territoire=monde.a2)
    client.force_login(monde.agent)

    def references(**params):
        reponse = client.get(url("logements"), params)
        return {logement.reference for logement in reponse.context["page"]}

    assert references(disponible="oui") == {libre.reference, a2.reference}
    assert references(disponible="non") == {retire.reference, attribue.reference}
    assert references(qpv="oui", typologie="T3") == {libre.reference}
    assert references(q="ormeil") == {retire.reference}
    assert references(epci=monde.a2.pk) == {a2.reference}
    # Un EPCI hors périmètre est refusé par le filtre, qui est ignoré.
    assert len(references(epci=monde.b1.pk)) == 4


def test_fiche_du_logement_montre_son_historique(client, monde, logement_a1, proposition_a1):
    refus = f.PropositionFactory(
        menage=monde.m_a1_sans_mesure,
        logement=logement_a1,
        reponse=Proposition.Reponse.REFUS,
        date_reponse=IL_Y_A[5],
        motif_refus="Trop loin de l'école.",
    )
    client.force_login(monde.coordinateur)
    page = contenu(client.get(url("logement_fiche", logement_a1.pk)))
    assert monde.m_a1.reference in page
    assert refus.motif_refus.replace("'", "&#x27;") in page
    assert "Sans suite" in page
    assert "la CALEOL en examine au moins 3" in page


# --- Saisie d'un logement -----------------------------------------------------------------------


def donnees_logement(monde, **extra):
    return {
        "reference": "LOG-NEUF-1",
        "adresse": "3 rue des Essais",
        "code_postal": "62300",
        "commune": "Lens",
        "territoire": monde.a1.pk,
        "typologie": "T2",
        "surface": "42",
        "loyer": "400",
        "charges": "50",
        "type_bailleur": "prive",
        "captation": "iml_mandat",
        "date_disponibilite": AUJOURDHUI.isoformat(),
        **extra,
    }


def test_coordinateur_saisit_un_logement(client, monde):
    client.force_login(monde.coordinateur)
    reponse = client.post(url("logement_creer"), donnees_logement(monde))
    logement = Logement.objects.get(reference="LOG-NEUF-1")
    assert reponse.status_code == 302
    assert reponse.url == url("logement_fiche", logement.pk)


def test_logement_dans_un_epci_hors_perimetre_refuse(client, monde):
    client.force_login(monde.coordinateur)
    reponse = client.post(url("logement_creer"), donnees_logement(monde, territoire=monde.a2.pk))
    assert reponse.status_code == 200
    assert "territoire" in reponse.context["form"].errors
    assert not Logement.objects.exists()


def test_bailleur_social_pour_un_proprietaire_prive_refuse_en_francais(client, monde):
    bailleur = f.StructureFactory(type=Structure.Type.BAILLEUR, territoire=monde.d1)
    client.force_login(monde.agent)
    reponse = client.post(url("logement_creer"), donnees_logement(monde, bailleur=bailleur.pk))
    assert "Un propriétaire privé n&#x27;est pas un bailleur social." in contenu(reponse)
    assert 'value="Lens"' in contenu(reponse)
    assert not Logement.objects.exists()


def test_modifier_un_logement(client, monde, logement_a1):
    client.force_login(monde.coordinateur)
    donnees = donnees_logement(monde, reference=logement_a1.reference, loyer="500")
    reponse = client.post(url("logement_modifier", logement_a1.pk), donnees)
    assert reponse.status_code == 302
    logement_a1.refresh_from_db()
    assert logement_a1.loyer == 500


# --- Proposer un logement -----------------------------------------------------------------------


def proposer(client, logement, menages, **kwargs):
    donnees = {
        "menages": menages,
        "contingent": f.reference(f.Contingent, "prefectoral").pk,
        "date_proposition": AUJOURDHUI.isoformat(),
    }
    return client.post(url("proposer", logement.pk), donnees, **kwargs)


def test_recherche_des_menages_a_proposer_dans_le_perimetre(client, monde, logement_a1):
    demandeur = monde.m_a1.personnes.get(role=Personne.Role.DEMANDEUR)
    client.force_login(monde.coordinateur)
    reponse = client.get(url("proposer", logement_a1.pk), {"q": demandeur.nom.upper()})
    assert [m.pk for m in reponse.context["trouves"]] == [monde.m_a1.pk]
    par_reference = client.get(url("proposer", logement_a1.pk), {"q": monde.m_b1.reference})
    assert par_reference.context["trouves"] == []
    partiel = client.get(
        url("proposer", logement_a1.pk), {"q": demandeur.nom}, HTTP_HX_REQUEST="true"
    )
    assert "<h1>" not in contenu(partiel)
    assert monde.m_a1.reference in contenu(partiel)


def test_proposer_a_deux_menages_avertit_de_la_regle_des_trois_candidats(
    client, monde, logement_a1
):
    client.force_login(monde.coordinateur)
    reponse = proposer(client, logement_a1, [monde.m_a1.pk, monde.m_a1_sans_mesure.pk], follow=True)
    assert set(logement_a1.propositions.values_list("menage_id", flat=True)) == {
        monde.m_a1.pk,
        monde.m_a1_sans_mesure.pk,
    }
    messages = [str(m) for m in reponse.context["messages"]]
    assert any("la CALEOL en examine au moins 3" in m for m in messages)


def test_pas_davertissement_pour_un_menage_dalo(client, monde, logement_a1):
    Menage.objects.filter(pk=monde.m_a1.pk).update(dalo=Menage.Dalo.PRIORITAIRE)
    client.force_login(monde.coordinateur)
    reponse = proposer(client, logement_a1, [monde.m_a1.pk], follow=True)
    assert not any("CALEOL" in str(m) for m in reponse.context["messages"])


def test_menage_dun_autre_territoire_glisse_dans_le_formulaire_refuse(client, monde, logement_a1):
    client.force_login(monde.agent)
    reponse = proposer(client, logement_a1, [monde.m_a1.pk, monde.m_b1.pk])
    assert reponse.status_code == 200
    assert "pas dans votre périmètre" in contenu(reponse)
    assert not Proposition.objects.exists()


def test_menage_deja_candidat_refuse(client, monde, logement_a1, proposition_a1):
    client.force_login(monde.coordinateur)
    reponse = proposer(client, logement_a1, [monde.m_a1.pk, monde.m_a1_sans_mesure.pk])
    assert f"Déjà candidat pour ce logement : {monde.m_a1.reference}." in contenu(reponse)
    assert logement_a1.propositions.count() == 1


def test_logement_deja_attribue_ne_se_propose_plus(client, monde):
    logement = f.PropositionFactory(menage=monde.m_a1, bail=True).logement
    client.force_login(monde.coordinateur)
    reponse = proposer(client, logement, [monde.m_a1_sans_mesure.pk])
    assert "n&#x27;est plus disponible" in contenu(reponse)
    assert logement.propositions.count() == 1


# --- Étapes -------------------------------------------------------------------------------------


def test_non_attribution_sans_motif_refusee_puis_confirmee(client, monde, proposition_a1):
    client.force_login(monde.coordinateur)
    donnees = {
        "date_caleol": IL_Y_A[10].isoformat(),
        "decision": decision("non_attribution").pk,
        "motif_decision": "",
    }
    reponse = client.post(url("decision_caleol", proposition_a1.pk), donnees)
    # La confirmation passe d'abord, puis le modèle exige le motif.
    reponse = client.post(url("decision_caleol", proposition_a1.pk), {**donnees, "confirme": "on"})
    assert "Indiquez le motif de la non-attribution." in contenu(reponse)
    assert proposition_a1.date_caleol is None and rien_ne_change(proposition_a1)[1] is None

    donnees["motif_decision"] = "Ressources insuffisantes."
    confirmation = client.post(url("decision_caleol", proposition_a1.pk), donnees)
    assert "met fin à cette proposition" in contenu(confirmation)
    assert rien_ne_change(proposition_a1)[1] is None
    fin = client.post(url("decision_caleol", proposition_a1.pk), {**donnees, "confirme": "on"})
    assert fin.status_code == 302
    proposition_a1.refresh_from_db()
    assert proposition_a1.etape == Proposition.Etape.CLOSE


def test_attribution_enregistree_sans_confirmation(client, monde, proposition_a1):
    client.force_login(monde.coordinateur)
    reponse = client.post(
        url("decision_caleol", proposition_a1.pk),
        {"date_caleol": IL_Y_A[10].isoformat(), "decision": decision("rang_1").pk},
    )
    assert reponse.status_code == 302
    proposition_a1.refresh_from_db()
    assert proposition_a1.etape == Proposition.Etape.DECISION_CALEOL


def test_caleol_avant_la_proposition_refusee(client, monde, proposition_a1):
    client.force_login(monde.coordinateur)
    reponse = client.post(
        url("decision_caleol", proposition_a1.pk),
        {
            "date_caleol": (IL_Y_A[40] - dt.timedelta(days=1)).isoformat(),
            "decision": decision("rang_1").pk,
        },
    )
    assert "La CALEOL précède la proposition." in contenu(reponse)
    assert rien_ne_change(proposition_a1)[0] is None


def test_refus_du_menage_exige_un_motif_et_une_confirmation(client, monde):
    proposition = attribuee(menage=monde.m_a1)
    client.force_login(monde.agent)
    donnees = {"reponse": "refus", "date_reponse": IL_Y_A[5].isoformat(), "confirme": "on"}
    reponse = client.post(url("reponse_menage", proposition.pk), donnees)
    assert "Indiquez le motif du refus." in contenu(reponse)
    assert rien_ne_change(proposition)[2] == Proposition.Reponse.EN_ATTENTE
    donnees.update(motif_refus="Trop loin.", confirme="")
    assert "met fin" in contenu(client.post(url("reponse_menage", proposition.pk), donnees))
    client.post(url("reponse_menage", proposition.pk), {**donnees, "confirme": "on"})
    proposition.refresh_from_db()
    assert proposition.etape == Proposition.Etape.CLOSE


def test_acceptation_sans_attribution_refusee(client, monde, proposition_a1):
    client.force_login(monde.agent)
    reponse = client.post(
        url("reponse_menage", proposition_a1.pk),
        {"reponse": "acceptation", "date_reponse": IL_Y_A[5].isoformat()},
    )
    assert "la CALEOL doit l&#x27;avoir décidée" in contenu(reponse)
    assert rien_ne_change(proposition_a1)[2] == Proposition.Reponse.EN_ATTENTE


def test_delai_de_reponse_depasse_signale(client, monde):
    attribuee(menage=monde.m_a1)
    client.force_login(monde.coordinateur)
    reponse = client.get(url("propositions"))
    assert "Délai de 10 jours dépassé" in contenu(reponse)
    assert reponse.context["delai_depasse"] == 1


@pytest.mark.parametrize(
    ("etat", "message"),
    [
        ("proposee", "Un bail suppose une attribution par la CALEOL."),
        ("attribuee", "Un bail suppose l&#x27;acceptation du ménage."),
    ],
)
def test_bail_avant_caleol_ou_acceptation_refuse(client, monde, proposition_a1, etat, message):
    proposition = proposition_a1 if etat == "proposee" else attribuee(menage=monde.m_a1)
    client.force_login(monde.coordinateur)
    reponse = client.post(
        url("bail", proposition.pk),
        {"date_signature_bail": IL_Y_A[1].isoformat(), "confirme": "on"},
    )
    assert reponse.status_code == 200
    assert message in contenu(reponse)
    assert rien_ne_change(proposition)[3] is None


def test_bail_classe_les_autres_candidats_sans_suite(client, monde, logement_a1):
    rang_1 = acceptee(menage=monde.m_a1, logement=logement_a1)
    rang_2 = attribuee(menage=monde.m_a1_sans_mesure, logement=logement_a1, rang="rang_2")
    rang_3 = f.PropositionFactory(menage=monde.m_a2, logement=logement_a1)
    deja_refuse = f.PropositionFactory(
        menage=f.MenageFactory(territoire=monde.a1),
        logement=logement_a1,
        reponse=Proposition.Reponse.REFUS,
        date_reponse=IL_Y_A[5],
        motif_refus="Trop petit.",
    )
    client.force_login(monde.agent)
    donnees = {"date_signature_bail": IL_Y_A[1].isoformat()}
    confirmation = client.post(url("bail", rang_1.pk), donnees)
    assert "2 autre(s) candidat(s)" in contenu(confirmation)
    assert rien_ne_change(rang_2)[5] is None

    reponse = client.post(url("bail", rang_1.pk), {**donnees, "confirme": "on"})
    assert reponse.status_code == 302
    for autre in (rang_2, rang_3):
        autre.refresh_from_db()
        assert autre.etape == Proposition.Etape.CLOSE
        assert autre.date_classement == IL_Y_A[1]
        assert autre.motif_classement == Proposition.MOTIF_ATTRIBUE_A_UN_AUTRE
    deja_refuse.refresh_from_db()
    assert deja_refuse.date_classement is None
    rang_1.refresh_from_db()
    assert rang_1.etape == Proposition.Etape.BAIL
    # Le candidat classé ne peut plus signer.
    refus = client.post(url("decision_caleol", rang_3.pk), {"date_caleol": IL_Y_A[1].isoformat()})
    assert refus.status_code == 200
    assert "sans suite" in contenu(
        client.post(
            url("decision_caleol", rang_3.pk),
            {"date_caleol": IL_Y_A[1].isoformat(), "decision": decision("rang_1").pk},
        )
    )


def test_entree_avant_le_bail_refusee(client, monde):
    proposition = f.PropositionFactory(menage=monde.m_a1, bail=True)
    client.force_login(monde.coordinateur)
    reponse = client.post(url("entree", proposition.pk), {"date_entree": IL_Y_A[25].isoformat()})
    assert "L&#x27;entrée précède la signature du bail." in contenu(reponse)
    assert rien_ne_change(proposition)[4] is None


def test_entree_dans_les_lieux_change_la_situation_du_menage(client, monde):
    proposition = f.PropositionFactory(menage=monde.m_a1, bail=True)
    demandeur = monde.m_a1.personnes.get()
    f.SituationFactory(personne=demandeur)
    client.force_login(monde.coordinateur)
    reponse = client.post(
        url("entree", proposition.pk),
        {"date_entree": IL_Y_A[10].isoformat(), "changer_situation": "on"},
    )
    assert reponse.status_code == 302
    proposition.refresh_from_db()
    assert proposition.etape == Proposition.Etape.ENTREE
    en_cours = SituationResidentielle.objects.get(personne=demandeur, date_fin__isnull=True)
    assert en_cours.type.code == "logement_prive"
    assert en_cours.date_debut == IL_Y_A[10]


def test_entree_avant_la_situation_en_cours_nest_pas_ecrite(client, monde):
    proposition = f.PropositionFactory(menage=monde.m_a1, bail=True)
    demandeur = monde.m_a1.personnes.get()
    f.SituationFactory(personne=demandeur, date_debut=IL_Y_A[5])
    client.force_login(monde.coordinateur)
    reponse = client.post(
        url("entree", proposition.pk),
        {"date_entree": IL_Y_A[10].isoformat(), "changer_situation": "on"},
    )
    assert reponse.status_code == 200
    assert "doit commencer après le" in contenu(reponse)
    assert rien_ne_change(proposition)[4] is None


# --- Pipeline -----------------------------------------------------------------------------------


def une_proposition_par_etape(monde, territoire=None):
    """Une proposition à chaque étape (et chaque manière d'être sans suite) dans un EPCI."""
    territoire = territoire or monde.a1

    def nouvelle(**kwargs):
        return f.PropositionFactory(menage=f.MenageFactory(territoire=territoire), **kwargs)

    nouvelle()
    nouvelle(date_caleol=IL_Y_A[30], decision=decision("rang_2"))
    nouvelle(
        date_caleol=IL_Y_A[30],
        decision=decision("rang_1"),
        reponse=Proposition.Reponse.ACCEPTATION,
        date_reponse=IL_Y_A[25],
    )
    nouvelle(bail=True)
    nouvelle(bail=True, date_entree=IL_Y_A[10])
    nouvelle(
        date_caleol=IL_Y_A[30], decision=decision("irrecevable"), motif_decision="Hors plafond."
    )
    nouvelle(reponse=Proposition.Reponse.REFUS, date_reponse=IL_Y_A[25], motif_refus="Trop loin.")
    nouvelle(date_classement=IL_Y_A[5], motif_classement=Proposition.MOTIF_ATTRIBUE_A_UN_AUTRE)


def test_comptes_par_etape_en_base_conformes_a_la_regle(monde):
    une_proposition_par_etape(monde)
    en_base = Proposition.objects.compter_par_etape()
    en_python = Counter(p.etape for p in Proposition.objects.select_related("decision"))
    assert en_base == {etape: en_python.get(etape, 0) for etape in Proposition.Etape.values}
    assert en_base[Proposition.Etape.CLOSE] == 3
    assert all(en_base.values())
    for p in Proposition.objects.avec_etape().select_related("decision"):
        assert p.etape_calculee == p.etape


def test_pipeline_compte_et_filtre_par_etape(client, monde):
    une_proposition_par_etape(monde)
    une_proposition_par_etape(monde, territoire=monde.b1)
    client.force_login(monde.coordinateur)
    reponse = client.get(url("propositions"))
    comptes = {e["code"]: e["nombre"] for e in reponse.context["etapes"]}
    assert comptes == {
        "proposee": 1,
        "caleol": 1,
        "reponse": 1,
        "bail": 1,
        "entree": 1,
        "close": 3,
    }
    sans_suite = client.get(url("propositions"), {"etape": "close"})
    assert {p.etape for p in sans_suite.context["page"]} == {Proposition.Etape.CLOSE}
    assert len(sans_suite.context["page"]) == 3
    autre_annee = client.get(url("propositions"), {"annee": AUJOURDHUI.year - 3})
    assert sum(e["nombre"] for e in autre_annee.context["etapes"]) == 0


def test_taux_de_realisation_face_a_lobjectif(client, monde):
    for _ in range(3):
        f.PropositionFactory(menage=f.MenageFactory(territoire=monde.a1), bail=True)
    f.PropositionFactory(menage=f.MenageFactory(territoire=monde.a2), bail=True)
    f.PropositionFactory(menage=f.MenageFactory(territoire=monde.a1))  # pas de bail : ne compte pas
    annee = IL_Y_A[20].year
    ObjectifAttribution.objects.create(territoire=monde.a1, annee=annee, objectif=12)
    ObjectifAttribution.objects.create(territoire=monde.a2, annee=annee, objectif=8)
    ObjectifAttribution.objects.create(territoire=monde.d1, annee=annee, objectif=16)

    client.force_login(monde.coordinateur)  # plateforme P1 : l'EPCI A1 seul
    chiffres = client.get(url("propositions"), {"annee": annee}).context["annee"]
    assert (chiffres["baux"], chiffres["objectif"], str(chiffres["taux"])) == (3, 12, "25.0")

    client.force_login(monde.agent)  # tout le Département : son objectif, pas la somme des EPCI
    chiffres = client.get(url("propositions"), {"annee": annee}).context["annee"]
    assert (chiffres["baux"], chiffres["objectif"], str(chiffres["taux"])) == (4, 16, "25.0")
    par_epci = client.get(url("propositions"), {"annee": annee, "epci": monde.a2.pk})
    assert par_epci.context["annee"]["objectif"] == 8
    assert par_epci.context["annee"]["baux"] == 1


# --- Bloc de la fiche ménage --------------------------------------------------------------------


def rendre_bloc(user, menage):
    requete = RequestFactory().get("/")
    requete.user = user
    gabarit = Template("{% load attributions_fiche %}{% bloc_attributions menage %}")
    return gabarit.render(Context({"request": requete, "menage": menage}))


def test_bloc_de_la_fiche_menage(monde, proposition_a1):
    acceptee(menage=monde.m_a1)
    html = rendre_bloc(monde.coordinateur, monde.m_a1)
    assert proposition_a1.logement.reference in html
    assert "Acceptation du ménage le" in html
    assert "Proposer un logement" in html
    assert f"pour={monde.m_a1.pk}" in html
    assert "Proposer un logement" not in rendre_bloc(monde.referent, monde.m_a1)


# --- Requêtes en nombre constant ----------------------------------------------------------------


def test_pages_en_nombre_de_requetes_constant(
    client, monde, logement_a1, django_assert_max_num_queries
):
    une_proposition_par_etape(monde)
    f.PropositionFactory(menage=monde.m_a1, logement=logement_a1)
    client.force_login(monde.agent)
    pages = [
        url("logements"),
        url("propositions"),
        url("logement_fiche", logement_a1.pk),
        url("proposer", logement_a1.pk) + "?q=fictif",
    ]
    bornes = {}
    for page in pages:
        with django_assert_max_num_queries(20) as requetes:
            assert client.get(page).status_code == 200
        bornes[page] = len(requetes.captured_queries)
    with django_assert_max_num_queries(10) as requetes:
        rendre_bloc(monde.agent, monde.m_a1)
    bornes["bloc"] = len(requetes.captured_queries)

    for _ in range(3):
        une_proposition_par_etape(monde)
        une_proposition_par_etape(monde, territoire=monde.a2)
    for _ in range(6):
        menage = f.MenageFactory(territoire=monde.a1)
        f.PropositionFactory(menage=menage, logement=logement_a1)
        f.PropositionFactory(menage=monde.m_a1, date_caleol=IL_Y_A[30], decision=decision("rang_3"))
    for page in pages:
        with django_assert_max_num_queries(bornes[page]):
            assert client.get(page).status_code == 200
    with django_assert_max_num_queries(bornes["bloc"]):
        rendre_bloc(monde.agent, monde.m_a1)
