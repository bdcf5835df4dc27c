"""Jetons d'API personnels : page « Jetons d'API » (liste, création montrée une fois,
révocation), stockage de la seule empreinte, journal, double authentification, et ce qu'un
jeton obtient (rien s'il est inconnu, expiré, révoqué, ou si le compte ne peut plus rien)."""

import datetime as dt
import hashlib
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from api import vues_jetons
from api.models import PREFIXE, JetonAPI
from comptes.middleware import SESSION_DOUBLE_AUTHENTIFICATION
from journal.models import Action, Evenement

MOT_DE_PASSE = "mot-de-passe-de-test-1"
MOTIF_JETON = re.compile(rf"{PREFIXE}[A-Za-z0-9_-]{{43}}")

pytestmark = pytest.mark.django_db


def creer(client, nom="Tableur de suivi", duree="90"):
    return client.post(reverse("jetons:creer"), {"nom": nom, "duree": duree})


def secret_de(reponse) -> str:
    trouves = set(MOTIF_JETON.findall(reponse.content.decode()))
    assert len(trouves) == 1, trouves
    return trouves.pop()


def appel_api(client, secret, mot_cle="Bearer"):
    # Une route de l'API qui existe quels que soient les points d'accès métier : le schéma est
    # public ; le jeton y est quand même vérifié (un jeton refusé donne 401).
    return client.get(
        reverse("api:schema") + "?format=json", HTTP_AUTHORIZATION=f"{mot_cle} {secret}"
    )


# --- Création : montrée une fois, stockée hachée ------------------------------------------------


def test_creation_montre_le_jeton_une_seule_fois_et_n_en_garde_que_l_empreinte(client, monde):
    client.force_login(monde.coordinateur)
    reponse = creer(client)
    assert reponse.status_code == 200
    assert "no-store" in reponse["Cache-Control"]
    secret = secret_de(reponse)
    assert len(secret) == len(PREFIXE) + 43

    jeton = JetonAPI.objects.get(user=monde.coordinateur)
    assert jeton.nom == "Tableur de suivi"
    assert jeton.prefixe == secret[:8]
    assert jeton.empreinte == hashlib.sha256(secret.encode()).hexdigest()
    # Le jeton en clair n'est nulle part en base : ni dans la table, ni dans la session.
    ligne = JetonAPI.objects.filter(pk=jeton.pk).values().get()
    assert not any(secret in str(valeur) for valeur in ligne.values())
    assert secret not in str(dict(client.session.items()))
    # Ni relisible ensuite : la liste ne montre que le début.
    liste = client.get(reverse("jetons:liste")).content.decode()
    assert secret not in liste
    assert f"{jeton.prefixe}…" in liste
    assert "Tableur de suivi" in liste


def test_duree_par_defaut_et_maximum(client, monde, settings):
    client.force_login(monde.coordinateur)
    formulaire = client.get(reverse("jetons:creer")).context["form"]
    assert formulaire.fields["duree"].initial == settings.API_JETON_DUREE_JOURS == 90
    valeurs = [v for v, _ in formulaire.fields["duree"].choices]
    assert max(valeurs) == settings.API_JETON_DUREE_MAX_JOURS == 365

    avant = timezone.now()
    creer(client, duree="90")
    jeton = JetonAPI.objects.get()
    assert dt.timedelta(days=90) <= jeton.expire_le - avant < dt.timedelta(days=90, minutes=1)

    # Au-delà d'un an : refusé, rien d'écrit.
    reponse = creer(client, nom="Trop long", duree="400")
    assert reponse.status_code == 200
    assert "duree" in reponse.context["form"].errors
    assert JetonAPI.objects.count() == 1


def test_le_maximum_suit_le_reglage(client, monde, settings):
    settings.API_JETON_DUREE_MAX_JOURS = 30
    client.force_login(monde.coordinateur)
    valeurs = [
        v for v, _ in client.get(reverse("jetons:creer")).context["form"].fields["duree"].choices
    ]
    assert max(valeurs) == 30
    assert "duree" in creer(client, duree="90").context["form"].errors
    assert not JetonAPI.objects.exists()
    # Le modèle refuse aussi une échéance trop lointaine, d'où qu'elle vienne.
    with pytest.raises(Exception, match="30 jours au plus"):
        JetonAPI.creer(user=monde.coordinateur, nom="direct", duree_jours=31)


def test_nom_obligatoire_rien_d_ecrit(client, monde):
    client.force_login(monde.coordinateur)
    reponse = creer(client, nom="   ")
    assert reponse.status_code == 200
    assert "nom" in reponse.context["form"].errors
    assert not MOTIF_JETON.search(reponse.content.decode())
    assert not JetonAPI.objects.exists()


def test_nombre_de_jetons_actifs_plafonne(client, monde, settings):
    settings.API_JETONS_ACTIFS_MAX = 2
    client.force_login(monde.coordinateur)
    creer(client, nom="Un")
    creer(client, nom="Deux")
    reponse = creer(client, nom="Trois")
    assert "révoquez-en un" in reponse.content.decode()
    assert JetonAPI.objects.count() == 2
    # Un jeton révoqué libère une place.
    JetonAPI.objects.get(nom="Un").revoquer()
    secret_de(creer(client, nom="Trois"))


def test_creation_et_revocation_tracees_au_journal_sans_le_jeton(client, monde):
    client.force_login(monde.coordinateur)
    secret = secret_de(creer(client))
    jeton = JetonAPI.objects.get()
    du_jeton = Evenement.objects.filter(
        content_type=ContentType.objects.get_for_model(JetonAPI), object_id=jeton.pk
    )
    creation = du_jeton.get(action=Action.CREATION)
    assert creation.auteur == monde.coordinateur
    assert creation.changements["nom"] == "Tableur de suivi"
    assert creation.changements["prefixe"] == jeton.prefixe

    client.post(reverse("jetons:revoquer", args=[jeton.pk]), {"confirmer": "1"})
    revocation = du_jeton.get(action=Action.MODIFICATION)
    assert revocation.auteur == monde.coordinateur
    assert list(revocation.changements) == ["revoque_le"]
    for evenement in Evenement.objects.all():
        assert secret not in str(evenement.changements) + str(evenement.details)
        assert jeton.empreinte not in str(evenement.changements)


def test_formulaire_vide_n_ecrit_rien(client, monde):
    client.force_login(monde.coordinateur)
    reponse = client.post(reverse("jetons:creer"), {})
    assert reponse.status_code == 200
    assert not JetonAPI.objects.exists()


# --- Liste : ses jetons seulement ---------------------------------------------------------------


def test_la_liste_ne_montre_que_ses_propres_jetons(client, monde):
    JetonAPI.creer(user=monde.agent, nom="Jeton de l'agent", duree_jours=30)
    mien, _ = JetonAPI.creer(user=monde.coordinateur, nom="Le mien", duree_jours=30)
    expire, _ = JetonAPI.creer(user=monde.coordinateur, nom="Ancien", duree_jours=30)
    JetonAPI.objects.filter(pk=expire.pk).update(
        cree_le=timezone.now() - dt.timedelta(days=60),
        expire_le=timezone.now() - dt.timedelta(days=1),
    )
    client.force_login(monde.coordinateur)
    texte = client.get(reverse("jetons:liste")).content.decode()
    assert "Le mien" in texte and "Ancien" in texte and "Expiré" in texte
    assert "Jeton de l&#x27;agent" not in texte and "Jeton de l'agent" not in texte
    assert reverse("jetons:revoquer", args=[mien.pk]) in texte
    assert reverse("jetons:revoquer", args=[expire.pk]) not in texte


def test_lien_dans_le_menu_du_compte(client, monde):
    client.force_login(monde.referent)
    texte = client.get(reverse("accueil")).content.decode()
    assert f'href="{reverse("jetons:liste")}"' in texte
    assert "Jetons d&#x27;API" in texte or "Jetons d'API" in texte


def test_pages_de_jetons_reservees_aux_comptes_connectes(client, monde):
    jeton, _ = JetonAPI.creer(user=monde.referent, nom="x", duree_jours=30)
    for url in (
        reverse("jetons:liste"),
        reverse("jetons:creer"),
        reverse("jetons:revoquer", args=[jeton.pk]),
    ):
        reponse = client.get(url)
        assert reponse.status_code == 302 and reponse.url.startswith(reverse("login"))
    assert (
        client.post(reverse("jetons:revoquer", args=[jeton.pk]), {"confirmer": "1"}).status_code
        == 302
    )
    jeton.refresh_from_db()
    assert jeton.revoque_le is None


# --- Révocation ---------------------------------------------------------------------------------


def test_revocation_confirmee_rend_le_jeton_inoperant(client, monde):
    client.force_login(monde.coordinateur)
    secret = secret_de(creer(client))
    jeton = JetonAPI.objects.get()
    assert appel_api(client.__class__(), secret).status_code == 200

    page = client.get(reverse("jetons:revoquer", args=[jeton.pk]))
    assert page.status_code == 200 and "définitif" in page.content.decode()
    # Sans confirmation, rien ne change.
    client.post(reverse("jetons:revoquer", args=[jeton.pk]), {})
    jeton.refresh_from_db()
    assert jeton.revoque_le is None

    reponse = client.post(reverse("jetons:revoquer", args=[jeton.pk]), {"confirmer": "1"})
    assert reponse.status_code == 302 and reponse.url == reverse("jetons:liste")
    jeton.refresh_from_db()
    assert jeton.revoque_le is not None
    refus = appel_api(client.__class__(), secret)
    assert refus.status_code == 401
    assert "révoqué" in refus.json()["detail"]

    # Une seconde révocation ne réécrit rien.
    date = jeton.revoque_le
    client.post(reverse("jetons:revoquer", args=[jeton.pk]), {"confirmer": "1"})
    jeton.refresh_from_db()
    assert jeton.revoque_le == date
    assert (
        Evenement.objects.filter(
            content_type=ContentType.objects.get_for_model(JetonAPI),
            object_id=jeton.pk,
            action=Action.MODIFICATION,
        ).count()
        == 1
    )


@pytest.mark.parametrize("autre", ["agent", "administrateur", "coordinateur"])
def test_on_ne_revoque_pas_le_jeton_d_un_autre(client, monde, autre):
    jeton, secret = JetonAPI.creer(user=monde.referent, nom="Jeton du référent", duree_jours=30)
    client.force_login(getattr(monde, autre))
    url = reverse("jetons:revoquer", args=[jeton.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirmer": "1"}).status_code == 404
    jeton.refresh_from_db()
    assert jeton.revoque_le is None
    assert appel_api(client.__class__(), secret).status_code == 200


# --- Double authentification --------------------------------------------------------------------


def _session_non_verifiee(client, user):
    """Connexion par le formulaire, sans saisir de code : la session n'est pas vérifiée."""
    user.set_password(MOT_DE_PASSE)
    user.save()
    reponse = client.post(reverse("login"), {"username": user.username, "password": MOT_DE_PASSE})
    assert reponse.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


@pytest.mark.parametrize("nom", ["jetons:liste", "jetons:creer"])
def test_compte_tenu_a_la_2fa_sans_code_n_atteint_pas_les_jetons(client, monde, nom):
    """Le middleware de double authentification couvre ces pages comme les autres."""
    _session_non_verifiee(client, monde.agent)
    reponse = client.get(reverse(nom))
    assert reponse.status_code == 302
    assert reponse.url.startswith(reverse("comptes:enrolement"))
    assert creer(client).status_code == 302
    assert not JetonAPI.objects.exists()


def test_compte_avec_appareil_sans_code_n_atteint_pas_les_jetons(client, monde):
    """Un référent (2FA facultative) qui l'a activée doit saisir son code avant de créer."""
    TOTPDevice.objects.create(user=monde.referent, name="Téléphone", confirmed=True)
    _session_non_verifiee(client, monde.referent)
    assert client.session[SESSION_DOUBLE_AUTHENTIFICATION] is True
    reponse = creer(client)
    assert reponse.status_code == 302
    assert reponse.url.startswith(reverse("comptes:verification"))
    assert not JetonAPI.objects.exists()


def test_compte_tenu_a_la_2fa_cree_un_jeton_une_fois_verifie(client, monde):
    client.force_login(monde.agent)  # tests/conftest.py : session vérifiée
    assert secret_de(creer(client)).startswith(PREFIXE)


def test_referent_sans_appareil_cree_un_jeton_sans_code(client, monde):
    _session_non_verifiee(client, monde.referent)
    assert secret_de(creer(client)).startswith(PREFIXE)


def test_la_vue_reverifie_la_double_authentification(monde):
    """Défense en profondeur : même sans le middleware, la vue refuse une session non
    vérifiée d'un compte qui a un appareil."""
    TOTPDevice.objects.create(user=monde.referent, name="Téléphone", confirmed=True)
    requete = RequestFactory().post(reverse("jetons:creer"), {"nom": "x", "duree": "30"})
    requete.user = type(monde.referent).objects.get(pk=monde.referent.pk)
    requete.user.is_verified = lambda: False
    requete.session = SessionStore()
    requete._messages = FallbackStorage(requete)
    reponse = vues_jetons.creer(requete)
    assert reponse.status_code == 200
    assert "Validez d&#x27;abord la double authentification" in reponse.content.decode()
    assert not JetonAPI.objects.exists()
    requete.user.is_verified = lambda: True
    assert MOTIF_JETON.search(vues_jetons.creer(requete).content.decode())
    requete.user = AnonymousUser()
    assert vues_jetons.creer(requete).status_code == 302


# --- Ce que vaut un jeton -----------------------------------------------------------------------


def test_sans_habilitation_pas_de_jeton(client, monde):
    client.force_login(monde.sans_role)
    page = client.get(reverse("jetons:liste")).content.decode()
    assert "aucune habilitation en cours" in page
    assert creer(client).status_code == 200
    assert not JetonAPI.objects.exists()


def test_jeton_bearer_et_token_acceptes(client, monde):
    _, secret = JetonAPI.creer(user=monde.referent, nom="x", duree_jours=30)
    assert appel_api(client, secret).status_code == 200
    assert appel_api(client, secret, mot_cle="Token").status_code == 200
    assert appel_api(client, secret, mot_cle="bearer").status_code == 200


def test_jeton_expire_refuse(client, monde):
    jeton, secret = JetonAPI.creer(user=monde.referent, nom="x", duree_jours=30)
    JetonAPI.objects.filter(pk=jeton.pk).update(
        cree_le=timezone.now() - dt.timedelta(days=31),
        expire_le=timezone.now() - dt.timedelta(days=1),
    )
    reponse = appel_api(client, secret)
    assert reponse.status_code == 401
    assert reponse.json()["code"] == "authentification_refusee"
    assert "a expiré le" in reponse.json()["detail"]
    assert reponse["WWW-Authenticate"].startswith("Bearer")


def test_jeton_d_un_compte_desactive_refuse(client, monde):
    _, secret = JetonAPI.creer(user=monde.referent, nom="x", duree_jours=30)
    monde.referent.is_active = False
    monde.referent.save()
    reponse = appel_api(client, secret)
    assert reponse.status_code == 401
    assert "désactivé" in reponse.json()["detail"]


def test_jeton_d_un_compte_sans_habilitation_en_cours_refuse(client, monde):
    _, secret = JetonAPI.creer(user=monde.referent, nom="x", duree_jours=30)
    monde.referent.habilitations.update(date_fin=timezone.localdate() - dt.timedelta(days=1))
    reponse = appel_api(client, secret)
    assert reponse.status_code == 403
    assert "aucune habilitation en cours" in reponse.json()["detail"]


@pytest.mark.parametrize(
    "valeur",
    [
        "Bearer lda_inconnu",
        "Bearer pas-un-jeton",
        "Bearer",
        "Bearer lda_a lda_b",
        "Token " + "lda_" + "x" * 500,
    ],
)
def test_jeton_inconnu_ou_mal_forme_refuse_en_francais(client, monde, valeur):
    reponse = client.get(reverse("api:schema"), HTTP_AUTHORIZATION=valeur)
    assert reponse.status_code == 401
    corps = reponse.json()
    assert corps["code"] == "authentification_refusee"
    assert "jeton" in corps["detail"].lower() or "Authorization" in corps["detail"]
    assert reponse["WWW-Authenticate"] == 'Bearer realm="api"'


def test_dernier_usage_note_au_plus_une_fois_par_minute(client, monde, django_assert_num_queries):
    jeton, secret = JetonAPI.creer(user=monde.referent, nom="x", duree_jours=30)
    assert jeton.dernier_usage is None
    appel_api(client, secret)
    jeton.refresh_from_db()
    premier = jeton.dernier_usage
    assert premier is not None
    appel_api(client, secret)
    jeton.refresh_from_db()
    assert jeton.dernier_usage == premier  # pas réécrit dans la minute

    jeton.refresh_from_db()
    with django_assert_num_queries(0):
        jeton.noter_usage(premier + dt.timedelta(seconds=59))
    JetonAPI.objects.filter(pk=jeton.pk).update(dernier_usage=premier - dt.timedelta(minutes=2))
    appel_api(client, secret)
    jeton.refresh_from_db()
    assert jeton.dernier_usage > premier


def test_admin_en_lecture_seule_sans_empreinte(admin_client, monde):
    jeton, _ = JetonAPI.creer(user=monde.referent, nom="Jeton vu par l'admin", duree_jours=30)
    liste = admin_client.get(reverse("admin:api_jetonapi_changelist"))
    assert liste.status_code == 200 and "Jeton vu par l" in liste.content.decode()
    assert admin_client.get(reverse("admin:api_jetonapi_add")).status_code == 403
    fiche = admin_client.get(reverse("admin:api_jetonapi_change", args=[jeton.pk]))
    assert fiche.status_code == 200
    assert jeton.empreinte not in fiche.content.decode()
    admin_client.post(reverse("admin:api_jetonapi_change", args=[jeton.pk]), {"nom": "modifié"})
    admin_client.post(reverse("admin:api_jetonapi_delete", args=[jeton.pk]), {"post": "yes"})
    jeton.refresh_from_db()
    assert jeton.nom == "Jeton vu par l'admin"
