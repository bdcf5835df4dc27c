"""Authentification : blocage après échecs, mots de passe, session, double authentification,
réinitialisation du mot de passe. Ces tests passent par les vrais formulaires (client.post),
pas par client.login, que tests/conftest.py marque déjà comme vérifié."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from comptes.middleware import SESSION_DERNIERE_ACTIVITE
from comptes.services import code_totp_courant
from logement.models import Role

from . import factories as f

MOT_DE_PASSE = "mot-de-passe-de-test-1"


def connexion(client, username, password=MOT_DE_PASSE, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


@pytest.fixture
def sans_ralentissement(settings):
    # django-otp impose une attente croissante après un code faux ; inutile ici.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# Blocage après échecs (django-axes) ---------------------------------------------------------


@pytest.fixture
def limite_trois(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.25  # 15 minutes


def test_echec_de_connexion_message_francais_sans_dire_lequel(client, monde):
    reponse = connexion(client, "referent", "mauvais-mot-de-passe")
    assert reponse.status_code == 200
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in reponse.content.decode()


def test_trop_d_echecs_bloque_avec_un_message_clair(client, monde, limite_trois):
    for _ in range(2):
        assert connexion(client, "referent", "mauvais-mot-de-passe").status_code == 200
    reponse = connexion(client, "referent", "mauvais-mot-de-passe")
    assert reponse.status_code == 429
    texte = reponse.content.decode()
    assert "Trop de tentatives de connexion" in texte
    assert "réessayez dans 15 minutes" in texte
    assert "Mot de passe oublié ?" in texte
    assert 'value="referent"' in texte

    # Même le bon mot de passe est refusé pendant le blocage.
    reponse = connexion(client, "referent")
    assert reponse.status_code == 429
    assert "_auth_user_id" not in client.session


def test_blocage_par_couple_identifiant_et_adresse(client, monde, limite_trois):
    for _ in range(3):
        connexion(client, "referent", "mauvais-mot-de-passe")
    assert connexion(client, "referent").status_code == 429
    # Un autre compte depuis le même poste, le même compte depuis un autre poste : libres.
    assert connexion(client, "coordinateur").status_code == 302
    client.logout()
    assert connexion(client, "referent", REMOTE_ADDR="10.0.0.9").status_code == 302


def test_blocage_leve_apres_le_delai(client, monde, limite_trois):
    from axes.models import AccessAttempt

    for _ in range(3):
        connexion(client, "referent", "mauvais-mot-de-passe")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert connexion(client, "referent").status_code == 302


def test_connexion_reussie_remet_le_compteur_a_zero(client, monde, limite_trois):
    for _ in range(2):
        connexion(client, "referent", "mauvais-mot-de-passe")
    assert connexion(client, "referent").status_code == 302
    client.logout()
    for _ in range(2):
        assert connexion(client, "referent", "mauvais-mot-de-passe").status_code == 200


# Mots de passe ------------------------------------------------------------------------------


def test_mot_de_passe_de_moins_de_12_caracteres_refuse_en_francais(db):
    with pytest.raises(ValidationError) as erreur:
        validate_password("Kx7#pqz2Lm9")  # 11 caractères
    assert "au minimum 12 caractères" in " ".join(erreur.value.messages)
    validate_password("Kx7#pqz2Lm9!")


def test_mot_de_passe_courant_ou_numerique_refuse(db):
    for faible in ("password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(faible)


# Session ------------------------------------------------------------------------------------


def test_session_reglee_pour_expirer_apres_inactivite(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_session_expiree_annoncee_sur_la_page_de_connexion(client, monde):
    assert connexion(client, "referent").status_code == 302
    assert client.get(reverse("accueil")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    reponse = client.get(reverse("menages:liste"))
    assert reponse.status_code == 302
    assert reponse.url.startswith(reverse("login"))
    page = client.get(reponse.url)
    assert "Votre session a expiré" in page.content.decode()
    # Le message ne revient pas à l'affichage suivant.
    assert "Votre session a expiré" not in client.get(reverse("login")).content.decode()


def test_deconnexion_volontaire_ne_parle_pas_d_expiration(client, monde):
    connexion(client, "referent")
    client.post(reverse("logout"))
    assert "Votre session a expiré" not in client.get(reverse("login")).content.decode()


def test_une_requete_prolonge_la_session(client, monde):
    connexion(client, "referent")
    session = client.session
    session[SESSION_DERNIERE_ACTIVITE] -= 120
    session.save()
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    client.get(reverse("accueil"))
    restant = Session.objects.get().expire_date - timezone.now()
    assert restant > timedelta(minutes=29)


def test_la_session_n_est_pas_reecrite_a_chaque_requete(
    client, monde, django_assert_max_num_queries
):
    connexion(client, "referent")
    with django_assert_max_num_queries(50) as requetes:
        client.get(reverse("sante"))
    ecritures = [q for q in requetes.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert not [q for q in ecritures if "django_session" in q["sql"]]


# Double authentification --------------------------------------------------------------------


def _enroler(client, user):
    """Premier passage : page d'enrôlement, code de l'appareil créé, codes de secours."""
    page = client.get(reverse("comptes:enrolement"))
    assert page.status_code == 200
    appareil = TOTPDevice.objects.get(user=user, confirmed=False)
    reponse = client.post(reverse("comptes:enrolement"), {"code": code_totp_courant(appareil)})
    assert reponse.status_code == 200
    return appareil, reponse


@pytest.mark.parametrize("attribut", ["agent", "administrateur"])
def test_compte_territorial_conduit_a_l_enrolement_puis_aux_pages(client, monde, attribut):
    user = getattr(monde, attribut)
    reponse = connexion(client, user.username)
    assert reponse.status_code == 302
    # Toute page renvoie vers l'enrôlement tant qu'aucun code n'a été saisi.
    for nom in ("accueil", "menages:liste", "comptes:securite"):
        reponse = client.get(reverse(nom))
        assert reponse.status_code == 302
        assert reponse.url.startswith(reverse("comptes:enrolement"))
    assert client.get(reverse("sante")).status_code == 200

    page = client.get(reverse("comptes:enrolement"))
    texte = page.content.decode()
    assert "<svg" in texte
    assert re.search(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", texte), "clé en groupes de 4"
    assert "obligatoire" in texte

    appareil, reponse = _enroler(client, user)
    appareil.refresh_from_db()
    assert appareil.confirmed
    texte = reponse.content.decode()
    assert "Vos codes de secours" in texte
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert client.get(reverse("accueil")).status_code == 200


def test_superutilisateur_sans_habilitation_tenu_a_la_double_authentification(client, db):
    f.UserFactory(username="racine", is_superuser=True, is_staff=True)
    connexion(client, "racine")
    reponse = client.get(reverse("admin:index"))
    assert reponse.status_code == 302
    assert reponse.url.startswith(reverse("comptes:enrolement"))


def test_code_faux_a_l_enrolement(client, monde, sans_ralentissement):
    connexion(client, "agent")
    client.get(reverse("comptes:enrolement"))
    reponse = client.post(reverse("comptes:enrolement"), {"code": "000000"})
    assert "Ce code ne correspond pas" in reponse.content.decode()
    assert not TOTPDevice.objects.filter(user=monde.agent, confirmed=True).exists()


def test_connexion_suivante_demande_le_code(client, monde, sans_ralentissement):
    connexion(client, "agent")
    appareil, _ = _enroler(client, monde.agent)
    client.post(reverse("logout"))

    connexion(client, "agent")
    reponse = client.get(reverse("menages:liste"))
    assert reponse.url.startswith(reverse("comptes:verification"))
    # L'enrôlement d'un autre téléphone est fermé à qui n'a que le mot de passe.
    assert client.get(reverse("comptes:enrolement")).url.startswith(reverse("comptes:verification"))

    reponse = client.post(reverse("comptes:verification"), {"code": "000000"})
    assert "Ce code n&#x27;est pas valide" in reponse.content.decode()
    reponse = client.post(
        reverse("comptes:verification") + "?next=/menages/",
        {"code": code_totp_courant(appareil), "next": "/menages/"},
    )
    assert reponse.status_code == 302
    assert reponse.url == "/menages/"
    assert client.get(reverse("menages:liste")).status_code == 200


def test_suite_exterieure_ignoree(client, monde):
    connexion(client, "agent")
    appareil, _ = _enroler(client, monde.agent)
    client.post(reverse("logout"))
    connexion(client, "agent")
    reponse = client.post(
        reverse("comptes:verification"),
        {"code": code_totp_courant(appareil), "next": "https://exemple.invalid/"},
    )
    assert reponse.url == reverse("accueil")


def test_code_de_secours_sert_une_seule_fois(client, monde, sans_ralentissement):
    connexion(client, "agent")
    _enroler(client, monde.agent)
    code = StaticToken.objects.filter(device__user=monde.agent).first().token
    client.post(reverse("logout"))

    connexion(client, "agent")
    reponse = client.post(reverse("comptes:verification"), {"code": code.upper()})
    assert reponse.status_code == 302
    client.post(reverse("logout"))

    connexion(client, "agent")
    reponse = client.post(reverse("comptes:verification"), {"code": code})
    assert reponse.status_code == 200
    assert "Ce code n&#x27;est pas valide" in reponse.content.decode()


def test_requete_htmx_non_verifiee_redirige_toute_la_page(client, monde):
    connexion(client, "agent")
    reponse = client.get(reverse("menages:liste"), headers={"HX-Request": "true"})
    assert reponse.headers["HX-Redirect"].startswith(reverse("comptes:enrolement"))


@pytest.mark.parametrize("attribut", ["referent", "coordinateur", "copilote"])
def test_double_authentification_facultative_pour_les_autres_roles(client, monde, attribut):
    connexion(client, getattr(monde, attribut).username)
    assert client.get(reverse("accueil")).status_code == 200
    page = client.get(reverse("comptes:securite")).content.decode()
    assert "Non activée" in page
    assert "obligatoire" not in page


def test_referent_peut_activer_la_double_authentification(client, monde):
    connexion(client, "referent")
    assert "Sécuriser mon compte" in client.get(reverse("accueil")).content.decode()
    _enroler(client, monde.referent)
    assert "Activée" in client.get(reverse("comptes:securite")).content.decode()
    client.post(reverse("logout"))
    # Une fois activée, elle est demandée à chaque connexion, comme pour les autres.
    connexion(client, "referent")
    assert client.get(reverse("accueil")).url.startswith(reverse("comptes:verification"))


def test_nouveaux_codes_de_secours_annulent_les_anciens(client, monde):
    connexion(client, "agent")
    _enroler(client, monde.agent)
    anciens = set(
        StaticToken.objects.filter(device__user=monde.agent).values_list("token", flat=True)
    )
    reponse = client.post(reverse("comptes:codes_de_secours"))
    assert reponse.status_code == 200
    nouveaux = set(
        StaticToken.objects.filter(device__user=monde.agent).values_list("token", flat=True)
    )
    assert len(nouveaux) == 10 and not anciens & nouveaux


def test_aide_de_test_marque_la_session_verifiee(client, monde):
    """tests/conftest.py : force_login et login ouvrent des sessions déjà vérifiées."""
    client.force_login(monde.agent)
    assert client.get(reverse("menages:liste")).status_code == 200
    client.logout()
    assert client.login(username="administrateur", password=MOT_DE_PASSE)
    assert client.get(reverse("accueil")).status_code == 200


# Mot de passe oublié ------------------------------------------------------------------------


def test_lien_mot_de_passe_oublie_sur_la_connexion(client, db):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_reinitialisation_par_courriel(client, monde, settings, limite_trois):
    for _ in range(3):
        connexion(client, "referent", "mauvais-mot-de-passe")
    reponse = client.post(reverse("password_reset"), {"email": monde.referent.email})
    assert reponse.status_code == 302
    assert reponse.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [monde.referent.email]
    assert "nouveau mot de passe" in message.subject
    lien = re.search(r"http://testserver(/mot-de-passe/\S+/)", message.body).group(1)

    page = client.get(lien, follow=True)
    assert "Choisir un nouveau mot de passe" in page.content.decode()
    adresse = page.redirect_chain[-1][0]
    trop_court = client.post(adresse, {"new_password1": "Court-1", "new_password2": "Court-1"})
    assert "au minimum 12 caractères" in trop_court.content.decode()
    nouveau = "une phrase assez longue pour 2026"
    reponse = client.post(adresse, {"new_password1": nouveau, "new_password2": nouveau})
    assert reponse.url == reverse("password_reset_complete")
    # Le lien ne sert qu'une fois, et le blocage dû aux échecs précédents est levé.
    assert "plus valable" in client.get(lien, follow=True).content.decode()
    assert connexion(client, "referent", nouveau).status_code == 302


def test_reinitialisation_ne_revele_pas_si_l_adresse_existe(client, monde):
    connue = client.post(reverse("password_reset"), {"email": monde.referent.email})
    inconnue = client.post(reverse("password_reset"), {"email": "personne@exemple.invalid"})
    assert connue.status_code == inconnue.status_code == 302
    assert connue.url == inconnue.url
    assert len(mail.outbox) == 1


def test_pages_de_reinitialisation_en_francais(client, db):
    assert "Mot de passe oublié" in client.get(reverse("password_reset")).content.decode()
    assert (
        "Vérifiez votre messagerie" in client.get(reverse("password_reset_done")).content.decode()
    )
    assert (
        "Mot de passe enregistré" in client.get(reverse("password_reset_complete")).content.decode()
    )


def test_changement_de_mot_de_passe(client, monde):
    connexion(client, "referent")
    nouveau = "une autre phrase assez longue"
    reponse = client.post(
        reverse("comptes:mot_de_passe"),
        {"old_password": MOT_DE_PASSE, "new_password1": nouveau, "new_password2": nouveau},
    )
    assert reponse.status_code == 302
    monde.referent.refresh_from_db()
    assert monde.referent.check_password(nouveau)


def test_utilisateur_inactif_ne_recoit_pas_de_lien(client, db):
    f.utilisateur(Role.REFERENT, username="parti", is_active=False, structure=f.StructureFactory())
    client.post(reverse("password_reset"), {"email": "parti@exemple.invalid"})
    assert mail.outbox == []
