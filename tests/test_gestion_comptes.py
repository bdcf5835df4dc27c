"""Gestion des comptes dans l'application : ressort de l'agent départemental, invitation par
lien à usage unique, habilitations données, changées, terminées, désactivation."""

import datetime as dt
import re

import pytest
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from logement.models import Habilitation, Role, User
from logement.services_comptes import (
    _verifier_pas_le_dernier_administrateur,
    desactiver_compte,
    identifiant_libre,
)

from . import factories as f

pytestmark = pytest.mark.django_db

AUJOURDHUI = f.AUJOURDHUI
MOT_DE_PASSE = "une phrase de passe assez longue"


def connecter(client, user):
    """Session ouverte, double authentification passée quand elle est exigée."""
    client.force_login(user)
    if apps.is_installed("django_otp"):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        appareil = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session["otp_device_id"] = appareil.persistent_id
        session.save()
    return client


def url(nom, *args):
    return reverse(f"utilisateurs:{nom}", args=args)


@pytest.fixture
def agent(client, monde):
    return connecter(client, monde.agent)


@pytest.fixture
def admin(client, monde):
    return connecter(client, monde.administrateur)


@pytest.fixture
def hors_ressort(monde):
    """Un référent du second Département."""
    return f.utilisateur(Role.REFERENT, structure=monde.s3, username="referent_d2")


def invitation(monde, **kwargs):
    return {
        "prenom": "Dominique",
        "nom": "Fictif",
        "email": "dominique.fictif@exemple.invalid",
        "role": Role.REFERENT,
        "structure": monde.s1.pk,
        "territoire": "",
        **kwargs,
    }


def habilitation(**kwargs):
    return {"date_debut": AUJOURDHUI.isoformat(), "date_fin": "", **kwargs}


# --- Accès --------------------------------------------------------------------------------------


def test_anonyme_renvoye_a_la_connexion(client, monde):
    reponse = client.get(url("liste"))
    assert reponse.status_code == 302
    assert reponse.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", ["referent", "coordinateur", "copilote", "sans_role"])
def test_roles_non_autorises_403(client, monde, role):
    connecter(client, getattr(monde, role))
    cible = monde.referent.pk
    for nom, args in [
        ("liste", ()),
        ("inviter", ()),
        ("fiche", (cible,)),
        ("ajouter_habilitation", (cible,)),
        ("desactiver", (cible,)),
    ]:
        assert client.get(url(nom, *args)).status_code == 403, nom
    assert client.post(url("inviter"), invitation(monde)).status_code == 403
    assert client.post(url("desactiver", cible)).status_code == 403
    assert not User.objects.filter(email="dominique.fictif@exemple.invalid").exists()
    assert User.objects.get(pk=cible).is_active


def test_menu_montre_utilisateurs_aux_seuls_gestionnaires(client, monde):
    connecter(client, monde.referent)
    assert "Utilisateurs" not in [e["libelle"] for e in client.get("/").context["navigation"]]
    connecter(client, monde.agent)
    assert "Utilisateurs" in [e["libelle"] for e in client.get("/").context["navigation"]]


# --- Liste et fiche -----------------------------------------------------------------------------


def test_agent_liste_les_comptes_de_son_departement(agent, monde, hors_ressort):
    ancien = f.UserFactory(username="ancien")
    f.HabilitationFactory(
        user=ancien,
        role=Role.COORDINATEUR,
        territoire=monde.p2,
        date_debut=AUJOURDHUI - dt.timedelta(days=400),
        date_fin=AUJOURDHUI - dt.timedelta(days=30),
    )
    reponse = agent.get(url("liste"))
    assert reponse.status_code == 200
    visibles = {u.username for u in reponse.context["page"]}
    assert visibles == {"referent", "coordinateur", "agent", "copilote", "ancien"}
    assert "referent_d2" not in reponse.content.decode()


def test_administrateur_voit_tous_les_comptes(admin, monde, hors_ressort):
    visibles = {u.username for u in admin.get(url("liste")).context["page"]}
    assert {"referent_d2", "administrateur", "sans_role", "referent"} <= visibles


def test_recherche_filtres_et_pagination(agent, monde):
    for i in range(30):
        f.utilisateur(Role.REFERENT, structure=monde.s2, username=f"ref{i}", last_name=f"Zed{i}")
    monde.copilote.is_active = False
    monde.copilote.save()
    page = agent.get(url("liste"), {"q": "zed1"}).context["page"]
    assert {u.username for u in page} == {"ref1", *(f"ref{i}" for i in range(10, 20))}
    page = agent.get(url("liste"), {"role": Role.COORDINATEUR}).context["page"]
    assert [u.username for u in page] == ["coordinateur"]
    page = agent.get(url("liste"), {"statut": "inactif"}).context["page"]
    assert [u.username for u in page] == ["copilote"]
    page = agent.get(url("liste"), {"page": "2"}).context["page"]
    assert page.number == 2 and page.paginator.count == 34
    # Valeurs forgées : ignorées, jamais une erreur serveur.
    reponse = agent.get(url("liste"), {"role": "pirate", "statut": "x", "page": "abc"})
    assert reponse.status_code == 200
    assert reponse.context["page"].paginator.count == 34


def test_liste_en_nombre_de_requetes_constant(agent, monde, django_assert_max_num_queries):
    for i in range(20):
        f.utilisateur(Role.REFERENT, structure=monde.s2, username=f"ref{i}")
    with django_assert_max_num_queries(15):
        assert agent.get(url("liste")).status_code == 200


def test_fiche_en_nombre_de_requetes_constant(agent, monde, django_assert_max_num_queries):
    for structure in (monde.s2, f.StructureFactory(territoire=monde.a1)):
        f.HabilitationFactory(user=monde.referent, role=Role.REFERENT, structure=structure)
    with django_assert_max_num_queries(20):
        assert agent.get(url("fiche", monde.referent.pk)).status_code == 200


def test_fiche_d_un_compte_hors_ressort_404(agent, monde, hors_ressort):
    assert agent.get(url("fiche", hors_ressort.pk)).status_code == 404
    assert agent.get(url("fiche", 999_999)).status_code == 404
    assert agent.get("/utilisateurs/abc/").status_code == 404
    assert agent.get(url("desactiver", hors_ressort.pk)).status_code == 404
    assert agent.post(url("desactiver", hors_ressort.pk)).status_code == 404
    assert agent.post(url("ajouter_habilitation", hors_ressort.pk), {}).status_code == 404
    hors_ressort.refresh_from_db()
    assert hors_ressort.is_active


def test_fiche_montre_habilitations_connexion_et_double_authentification(agent, monde):
    f.HabilitationFactory(
        user=monde.referent,
        role=Role.REFERENT,
        structure=monde.s2,
        date_debut=AUJOURDHUI - dt.timedelta(days=100),
        date_fin=AUJOURDHUI - dt.timedelta(days=10),
    )
    reponse = agent.get(url("fiche", monde.referent.pk))
    assert reponse.status_code == 200
    assert [h.structure for h in reponse.context["en_cours"]] == [monde.s1]
    assert [h.structure for h in reponse.context["passees"]] == [monde.s2]
    contenu = reponse.content.decode()
    assert "Dernière connexion" in contenu
    if apps.is_installed("django_otp"):
        assert "Double authentification" in contenu
        assert reponse.context["statut_2fa"] is False
        assert agent.get(url("fiche", monde.agent.pk)).context["statut_2fa"] is True


# --- Invitation ---------------------------------------------------------------------------------


def test_invitation_puis_lien_a_usage_unique(agent, monde):
    reponse = agent.post(url("inviter"), invitation(monde))
    invite = User.objects.get(email="dominique.fictif@exemple.invalid")
    assert reponse.status_code == 302 and reponse.url == url("fiche", invite.pk)
    assert invite.username == "dominique.fictif"
    assert not invite.has_usable_password()
    assert list(invite.habilitations.values_list("role", "structure")) == [
        (Role.REFERENT, monde.s1.pk)
    ]

    assert len(mail.outbox) == 1
    courriel = mail.outbox[0]
    assert courriel.to == ["dominique.fictif@exemple.invalid"]
    assert "Logement d'abord" in courriel.subject
    assert "dominique.fictif" in courriel.body and "qu'une seule fois" in courriel.body
    lien = re.search(r"https?://\S+", courriel.body).group(0)

    anonyme = Client()
    reponse = anonyme.get(lien, follow=True)
    assert reponse.status_code == 200 and reponse.context["validlink"]
    formulaire = reponse.redirect_chain[-1][0] if reponse.redirect_chain else lien
    trop_court = anonyme.post(formulaire, {"new_password1": "court", "new_password2": "court"})
    assert trop_court.status_code == 200
    assert "12 caractères" in trop_court.content.decode()
    reponse = anonyme.post(
        formulaire, {"new_password1": MOT_DE_PASSE, "new_password2": MOT_DE_PASSE}
    )
    assert reponse.status_code == 302
    invite.refresh_from_db()
    assert invite.check_password(MOT_DE_PASSE)

    # Le lien a servi : il ne marche plus.
    deuxieme = Client().get(lien, follow=True)
    assert not deuxieme.context["validlink"]
    assert "plus valable" in deuxieme.content.decode()
    assert Client().login(username="dominique.fictif", password=MOT_DE_PASSE)


def test_invitation_d_un_e_mail_deja_connu(agent, monde):
    reponse = agent.post(url("inviter"), invitation(monde, email="REFERENT@exemple.invalid"))
    assert reponse.status_code == 200
    assert "Un compte existe déjà avec cette adresse e-mail." in reponse.content.decode()
    assert User.objects.filter(email__iexact="referent@exemple.invalid").count() == 1
    assert not mail.outbox


def test_identifiant_derive_de_l_e_mail_reste_unique(monde):
    f.UserFactory(username="camille.martin")
    assert identifiant_libre("Camille.Martin@exemple.invalid") == "camille.martin-2"
    assert identifiant_libre("c'est+moi@exemple.invalid") == "cest+moi"


@pytest.mark.parametrize(
    ("champs", "champ_en_erreur"),
    [
        ({"structure": "S3"}, "structure"),  # structure d'un autre Département
        ({"role": Role.COORDINATEUR, "structure": "", "territoire": "Q1"}, "territoire"),
        ({"role": Role.AGENT_DEPARTEMENTAL, "structure": "", "territoire": "D2"}, "territoire"),
        ({"role": Role.ADMINISTRATEUR, "structure": ""}, "role"),
        ({"structure": "abc"}, "structure"),
        ({"role": "pirate"}, "role"),
    ],
)
def test_invitation_forgee_hors_departement_refusee(agent, monde, champs, champ_en_erreur):
    ids = {"S3": monde.s3.pk, "Q1": monde.q1.pk, "D2": monde.d2.pk}
    champs = {k: ids.get(v, v) for k, v in champs.items()}
    avant = (User.objects.count(), Habilitation.objects.count())
    reponse = agent.post(url("inviter"), invitation(monde, **champs))
    assert reponse.status_code == 200
    assert reponse.context["form"].errors[champ_en_erreur]
    assert (User.objects.count(), Habilitation.objects.count()) == avant
    assert not mail.outbox


def test_administrateur_invite_un_administrateur(admin, monde):
    reponse = admin.post(url("inviter"), invitation(monde, role=Role.ADMINISTRATEUR, structure=""))
    assert reponse.status_code == 302
    invite = User.objects.get(email="dominique.fictif@exemple.invalid")
    assert invite.perimetre.tout
    assert len(mail.outbox) == 1


def test_validation_du_modele_en_francais(agent, monde):
    # Un coordinateur s'exerce sur une plateforme ou un EPCI, pas sur un Département.
    reponse = agent.post(
        url("inviter"),
        invitation(monde, role=Role.COORDINATEUR, structure="", territoire=monde.d1.pk),
    )
    assert reponse.context["form"].errors["territoire"] == [
        "Pour ce rôle, le territoire doit être : Plateforme territoriale, EPCI."
    ]
    reponse = agent.post(url("inviter"), invitation(monde, structure=""))
    assert "Un référent est habilité sur une structure." in reponse.content.decode()
    assert not User.objects.filter(email="dominique.fictif@exemple.invalid").exists()


def test_renvoyer_l_invitation(agent, monde):
    agent.post(url("inviter"), invitation(monde))
    invite = User.objects.get(email="dominique.fictif@exemple.invalid")
    assert agent.post(url("renvoyer_invitation", invite.pk)).status_code == 302
    assert len(mail.outbox) == 2
    # Un compte qui a déjà son mot de passe n'attend pas d'invitation.
    agent.post(url("renvoyer_invitation", monde.referent.pk))
    assert len(mail.outbox) == 2


# --- Habilitations ------------------------------------------------------------------------------


def test_ajouter_une_habilitation(agent, monde):
    reponse = agent.post(
        url("ajouter_habilitation", monde.referent.pk),
        habilitation(role=Role.COORDINATEUR, territoire=monde.p2.pk),
    )
    assert reponse.status_code == 302
    assert monde.referent.habilitations.filter(
        role=Role.COORDINATEUR, territoire=monde.p2, date_debut=AUJOURDHUI
    ).exists()


def test_ajout_forge_avec_une_structure_d_un_autre_departement(agent, monde):
    avant = Habilitation.objects.count()
    reponse = agent.post(
        url("ajouter_habilitation", monde.referent.pk),
        habilitation(role=Role.REFERENT, structure=monde.s3.pk),
    )
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["structure"] == [
        "Ce choix n'est pas disponible : il ne relève pas de votre ressort."
    ]
    assert Habilitation.objects.count() == avant


def test_ajout_en_double_et_dates_inversees(agent, monde):
    reponse = agent.post(
        url("ajouter_habilitation", monde.referent.pk),
        habilitation(role=Role.REFERENT, structure=monde.s1.pk),
    )
    assert "Cet utilisateur a déjà ce rôle dans cette structure." in reponse.content.decode()
    reponse = agent.post(
        url("ajouter_habilitation", monde.referent.pk),
        habilitation(
            role=Role.REFERENT,
            structure=monde.s2.pk,
            date_fin=(AUJOURDHUI - dt.timedelta(days=1)).isoformat(),
        ),
    )
    assert reponse.context["form"].errors["date_fin"] == ["La fin précède le début."]
    assert monde.referent.habilitations.count() == 1


def test_terminer_garde_l_historique(agent, monde):
    h = monde.referent.habilitations.get()
    # GET : une page de confirmation, rien d'écrit.
    assert agent.get(url("terminer_habilitation", monde.referent.pk, h.pk)).status_code == 200
    h.refresh_from_db()
    assert h.date_fin is None
    reponse = agent.post(url("terminer_habilitation", monde.referent.pk, h.pk))
    assert reponse.status_code == 302
    h.refresh_from_db()
    assert h.date_fin == AUJOURDHUI
    # Demain, plus aucun droit ; l'habilitation reste dans l'historique.
    assert not Habilitation.objects.actives(AUJOURDHUI + dt.timedelta(days=1)).filter(pk=h.pk)
    # Déjà terminée (hier) : message, pas d'écriture.
    Habilitation.objects.filter(pk=h.pk).update(date_fin=AUJOURDHUI - dt.timedelta(days=1))
    agent.post(url("terminer_habilitation", monde.referent.pk, h.pk))
    h.refresh_from_db()
    assert h.date_fin == AUJOURDHUI - dt.timedelta(days=1)


def test_terminer_une_habilitation_a_venir_l_annule(agent, monde):
    h = f.HabilitationFactory(
        user=monde.referent,
        role=Role.REFERENT,
        structure=monde.s2,
        date_debut=AUJOURDHUI + dt.timedelta(days=10),
    )
    agent.post(url("terminer_habilitation", monde.referent.pk, h.pk))
    assert not Habilitation.objects.filter(pk=h.pk).exists()


def test_habilitation_hors_ressort_404(agent, monde):
    autre = f.HabilitationFactory(user=monde.referent, role=Role.REFERENT, structure=monde.s3)
    for nom in ("terminer_habilitation", "changer_habilitation"):
        assert agent.get(url(nom, monde.referent.pk, autre.pk)).status_code == 404
        assert agent.post(url(nom, monde.referent.pk, autre.pk)).status_code == 404
    # Habilitation d'un autre compte sous l'identifiant de celui-ci : 404 aussi.
    h_coord = monde.coordinateur.habilitations.get()
    assert (
        agent.post(url("terminer_habilitation", monde.referent.pk, h_coord.pk)).status_code == 404
    )
    autre.refresh_from_db()
    h_coord.refresh_from_db()
    assert autre.date_fin is None and h_coord.date_fin is None


def test_changer_termine_l_ancienne_et_cree_la_nouvelle(agent, monde):
    ancienne = monde.referent.habilitations.get()
    reponse = agent.post(
        url("changer_habilitation", monde.referent.pk, ancienne.pk),
        habilitation(role=Role.REFERENT, structure=monde.s2.pk),
    )
    assert reponse.status_code == 302
    ancienne.refresh_from_db()
    assert ancienne.date_fin == AUJOURDHUI
    assert monde.referent.habilitations.filter(structure=monde.s2, date_fin=None).exists()


def test_changer_vers_un_autre_departement_ne_termine_rien(agent, monde):
    ancienne = monde.referent.habilitations.get()
    reponse = agent.post(
        url("changer_habilitation", monde.referent.pk, ancienne.pk),
        habilitation(role=Role.REFERENT, structure=monde.s3.pk),
    )
    assert reponse.status_code == 200
    ancienne.refresh_from_db()
    assert ancienne.date_fin is None
    assert monde.referent.habilitations.count() == 1


def test_agent_ne_modifie_pas_un_administrateur(agent, monde):
    f.HabilitationFactory(user=monde.administrateur, role=Role.COPILOTE, territoire=monde.d1)
    reponse = agent.get(url("fiche", monde.administrateur.pk))
    assert reponse.status_code == 200 and not reponse.context["peut_gerer"]
    assert agent.post(url("desactiver", monde.administrateur.pk)).status_code == 403
    reponse = agent.post(
        url("ajouter_habilitation", monde.administrateur.pk),
        habilitation(role=Role.COORDINATEUR, territoire=monde.p1.pk),
    )
    assert reponse.status_code == 403
    monde.administrateur.refresh_from_db()
    assert monde.administrateur.is_active


def test_dernier_administrateur_ne_perd_pas_son_role(admin, monde):
    h = monde.administrateur.habilitations.get()
    admin.post(url("terminer_habilitation", monde.administrateur.pk, h.pk))
    h.refresh_from_db()
    assert h.date_fin is None


# --- Activation ---------------------------------------------------------------------------------


def test_desactiver_ferme_les_sessions(agent, monde):
    referent = connecter(Client(), monde.referent)
    assert referent.get("/").status_code == 200
    autre_session = connecter(Client(), monde.referent)

    def sessions_du_referent():
        return [
            s
            for s in Session.objects.all()
            if s.get_decoded().get(SESSION_KEY) == str(monde.referent.pk)
        ]

    assert len(sessions_du_referent()) == 2
    # GET : confirmation seulement.
    assert agent.get(url("desactiver", monde.referent.pk)).status_code == 200
    assert User.objects.get(pk=monde.referent.pk).is_active

    reponse = agent.post(url("desactiver", monde.referent.pk), follow=True)
    assert "2 sessions ouvertes fermées" in reponse.content.decode()
    assert not User.objects.get(pk=monde.referent.pk).is_active
    assert sessions_du_referent() == []
    assert referent.get("/").status_code == 302
    assert autre_session.get("/").status_code == 302
    # Les sessions des autres restent ouvertes.
    assert agent.get(url("liste")).status_code == 200

    reponse = agent.post(url("reactiver", monde.referent.pk))
    assert User.objects.get(pk=monde.referent.pk).is_active


def test_ne_pas_se_desactiver_soi_meme(agent, monde):
    reponse = agent.post(url("desactiver", monde.agent.pk), follow=True)
    assert "Vous ne pouvez pas désactiver votre propre compte." in reponse.content.decode()
    assert User.objects.get(pk=monde.agent.pk).is_active


def test_ne_pas_desactiver_le_dernier_administrateur(monde):
    # Par l'application, un administrateur qui en désactive un autre est lui-même actif : la
    # règle joue contre deux désactivations simultanées (verrou) ; on l'éprouve directement.
    with pytest.raises(ValidationError, match="dernier administrateur actif"):
        _verifier_pas_le_dernier_administrateur(
            monde.administrateur, "dernier administrateur actif"
        )
    second = f.utilisateur(Role.ADMINISTRATEUR, username="second_admin")
    _verifier_pas_le_dernier_administrateur(monde.administrateur, "dernier administrateur actif")
    desactiver_compte(monde.administrateur, par=second)
    assert not User.objects.get(pk=monde.administrateur.pk).is_active
    with pytest.raises(ValidationError, match="propre compte"):
        desactiver_compte(second, par=second)


def test_agent_ne_desactive_pas_un_compte_habilite_ailleurs(agent, monde):
    f.HabilitationFactory(user=monde.referent, role=Role.REFERENT, structure=monde.s3)
    reponse = agent.post(url("desactiver", monde.referent.pk), follow=True)
    assert "seul un administrateur" in reponse.content.decode()
    assert User.objects.get(pk=monde.referent.pk).is_active


def test_ecritures_exigent_le_jeton_csrf(monde):
    client = connecter(Client(enforce_csrf_checks=True), monde.agent)
    assert client.post(url("desactiver", monde.referent.pk)).status_code == 403
    assert client.post(url("inviter"), invitation(monde)).status_code == 403
    assert User.objects.get(pk=monde.referent.pk).is_active


def test_renvoyer_l_invitation_n_accepte_que_post(agent, monde):
    assert agent.get(url("renvoyer_invitation", monde.referent.pk)).status_code == 405


@pytest.mark.skipif(not apps.is_installed("journal"), reason="application journal absente")
def test_invitation_et_desactivation_au_journal(agent, monde):
    from journal.models import Evenement

    agent.post(url("inviter"), invitation(monde))
    agent.post(url("desactiver", monde.referent.pk))
    actions = set(Evenement.objects.filter(auteur=monde.agent).values_list("action", flat=True))
    assert {"invitation", "habilitation"} <= actions
