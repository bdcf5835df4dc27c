"""Journal : créations, modifications (avant/après), suppressions et lectures tracées, avec
leur auteur et leur adresse IP ; jamais de mot de passe ni de note de rencontre."""

import datetime as dt
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from accompagnement.models import Rencontre
from attributions.models import Proposition
from bilans.models import Bilan, FichierBilan
from journal import services
from journal.models import Evenement
from journal.suivi import MASQUE
from logement.models import User
from menages.models import Menage, Personne, PublicPrioritaire

from . import factories as f

A = Evenement.Action


def evenements(objet, action=None):
    qs = Evenement.objects.filter(
        content_type=ContentType.objects.get_for_model(type(objet)), object_id=objet.pk
    )
    return qs.filter(action=action) if action else qs


def dernier(objet, action):
    return evenements(objet, action).order_by("-id").first()


def test_modification_du_menage_par_la_vue_trace_avant_et_apres(client, monde):
    menage = monde.m_a1
    public = PublicPrioritaire.objects.get(code="violences")
    client.force_login(monde.agent)
    reponse = client.get(reverse("menages:modifier", args=[menage.pk]))
    version = reponse.context["form"]["version"].value()
    reponse = client.post(
        reverse("menages:modifier", args=[menage.pk]),
        {
            "territoire": monde.a2.pk,
            "commune": "Nouvelle-Commune",
            "dalo": "recours",
            "version": version,
            "publics_prioritaires": [public.pk],
        },
        REMOTE_ADDR="192.0.2.15",
    )
    assert reponse.status_code == 302
    evenement = evenements(menage, A.MODIFICATION).get(changements__has_key="commune")
    assert evenement.changements["territoire"] == [monde.a1.pk, monde.a2.pk]
    assert evenement.changements["commune"] == [menage.commune, "Nouvelle-Commune"]
    assert evenement.changements["dalo"] == ["aucun", "recours"]
    assert not {"modifie_le", "cree_le", "version", "modifie_par", "reference"} & set(
        evenement.changements
    )
    assert (evenement.auteur, evenement.auteur_identifiant) == (monde.agent, "agent")
    assert evenement.adresse_ip == "192.0.2.15"
    assert evenement.menage_id == menage.pk
    assert evenement.objet_repr == menage.reference
    publics = evenements(menage, A.MODIFICATION).filter(changements__has_key="publics_prioritaires")
    assert publics.get().changements["publics_prioritaires"] == [[], [str(public)]]


def test_un_enregistrement_sans_changement_ne_trace_rien(monde):
    avant = Evenement.objects.count()
    Menage.objects.get(pk=monde.m_a1.pk).save()
    assert Evenement.objects.count() == avant


def test_creation_et_suppression(monde):
    personne = Personne.objects.create(
        menage=monde.m_a1, nom="Fictif", prenom="Léa", role=Personne.Role.ENFANT
    )
    creation = dernier(personne, A.CREATION)
    assert creation.changements["nom"] == "Fictif"
    assert creation.changements["menage"] == monde.m_a1.pk
    assert creation.menage_id == monde.m_a1.pk
    assert creation.auteur is None and creation.details["origine"] == "tâche planifiée"
    pk = personne.pk
    personne.delete()
    suppression = Evenement.objects.get(
        action=A.SUPPRESSION, object_id=pk, content_type__model="personne"
    )
    assert suppression.changements["prenom"] == "Léa"
    assert suppression.menage_id == monde.m_a1.pk


def test_la_suppression_d_un_menage_trace_ses_elements_et_survit(monde):
    menage = f.MenageFactory(territoire=monde.a1)
    situation = f.SituationFactory(personne=menage.personnes.get())
    pk, situation_pk = menage.pk, situation.pk
    Menage.objects.get(pk=pk).delete()
    supprimes = Evenement.objects.filter(action=A.SUPPRESSION, menage_id=pk)
    modeles = set(supprimes.values_list("content_type__model", flat=True))
    assert {"menage", "personne", "situationresidentielle"} <= modeles
    assert supprimes.filter(object_id=situation_pk, content_type__model="situationresidentielle")
    # L'événement de création, antérieur, est toujours là.
    assert Evenement.objects.filter(action=A.CREATION, menage_id=pk, object_id=pk).exists()


def test_rencontre_tracee_sans_sa_note(monde):
    rencontre = f.RencontreFactory(
        menage=monde.m_a1, structure=monde.s1, auteur=monde.referent, note="Secret de structure"
    )
    creation = dernier(rencontre, A.CREATION)
    assert creation.changements["note"] == MASQUE
    assert creation.menage_id == monde.m_a1.pk
    rencontre.note = "Autre secret"
    rencontre.duree_minutes = 60
    rencontre.save()
    modification = dernier(rencontre, A.MODIFICATION)
    assert modification.changements == {"duree_minutes": [45, 60], "note": [MASQUE, MASQUE]}
    rencontre.delete()
    tout = json.dumps(list(Evenement.objects.values("changements", "objet_repr", "details")))
    assert "secret" not in tout.lower()
    assert not Rencontre.objects.exists()


def test_proposition_tracee(monde):
    proposition = f.PropositionFactory(menage=monde.m_a1)
    assert dernier(proposition, A.CREATION).menage_id == monde.m_a1.pk
    proposition.reponse = Proposition.Reponse.REFUS
    proposition.date_reponse = dt.date.today()
    proposition.save()
    modification = dernier(proposition, A.MODIFICATION)
    assert modification.changements["reponse"][1] == "refus"
    assert modification.menage_id == monde.m_a1.pk
    # Le logement, sans ménage, porte son territoire (portée de la recherche).
    assert dernier(proposition.logement, A.CREATION).territoire_id == monde.a1.pk


def test_mesure_et_projet_relies_au_menage(monde):
    from accompagnement.models import ActionProjet, ObjectifProjet, ProjetAccompagnement

    projet = ProjetAccompagnement.objects.create(
        mesure=monde.mesure_a1, date_elaboration=dt.date(2025, 1, 5)
    )
    from accompagnement.models import DomaineAccompagnement

    objectif = ObjectifProjet.objects.create(
        projet=projet, domaine=DomaineAccompagnement.objects.first(), intitule="Budget"
    )
    action = ActionProjet.objects.create(
        objectif=ObjectifProjet.objects.get(pk=objectif.pk), intitule="Ouvrir un compte"
    )
    for objet in (projet, objectif, action):
        assert dernier(objet, A.CREATION).menage_id == monde.m_a1.pk
    assert dernier(monde.mesure_a1, A.CREATION).menage_id == monde.m_a1.pk


def test_jamais_de_mot_de_passe(db):
    user = f.UserFactory(username="camille")
    creation = dernier(user, A.CREATION)
    assert "password" not in creation.changements
    assert creation.objet_repr == "camille"
    user.set_password("un-autre-mot-de-passe-tres-long")
    user.save()
    assert not evenements(user, A.MODIFICATION).exists()
    user.first_name = "Dominique"
    user.save()
    assert dernier(user, A.MODIFICATION).changements == {"first_name": ["Camille", "Dominique"]}
    assert "pbkdf2" not in json.dumps(list(Evenement.objects.values("changements")))
    assert "md5$" not in json.dumps(list(Evenement.objects.values("changements")))


def test_habilitation_tracee_avec_son_territoire(monde):
    from logement.models import Habilitation, Role

    habilitation = Habilitation.objects.create(
        user=monde.sans_role, role=Role.COORDINATEUR, territoire=monde.p2
    )
    assert dernier(habilitation, A.CREATION).territoire_id == monde.p2.pk


def test_connexion_reussie_et_echouee(client, monde):
    url = reverse("login")
    client.post(
        url, {"username": "referent", "password": "mauvais-mot-de-passe"}, REMOTE_ADDR="192.0.2.7"
    )
    echec = Evenement.objects.get(action=A.ECHEC_CONNEXION)
    assert echec.details["identifiant_saisi"] == "referent"
    assert echec.adresse_ip == "192.0.2.7"
    assert "mauvais" not in json.dumps(echec.details)
    client.post(
        url, {"username": "referent", "password": "mot-de-passe-de-test-1"}, REMOTE_ADDR="192.0.2.8"
    )
    connexion = Evenement.objects.get(action=A.CONNEXION)
    assert (connexion.auteur, connexion.adresse_ip) == (monde.referent, "192.0.2.8")


def test_ouverture_de_la_fiche_tracee(client, monde):
    client.force_login(monde.coordinateur)
    assert client.get(reverse("menages:fiche", args=[monde.m_a1.pk])).status_code == 200
    consultation = Evenement.objects.get(action=A.CONSULTATION)
    assert consultation.menage_id == monde.m_a1.pk
    assert consultation.auteur == monde.coordinateur
    # Hors périmètre : 404, et rien n'est tracé comme consulté.
    assert client.get(reverse("menages:fiche", args=[monde.m_b1.pk])).status_code == 404
    assert Evenement.objects.filter(action=A.CONSULTATION).count() == 1


@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_export_de_liste_trace(client, monde, format_):
    client.force_login(monde.agent)
    reponse = client.get(reverse("menages:export"), {"format": format_, "statut": "actif"})
    assert reponse.status_code == 200
    export = Evenement.objects.get(action=A.EXPORT)
    assert export.details["lignes"] == Menage.objects.visible_to(monde.agent).count() == 3
    assert export.details["format"] == format_
    assert export.details["filtres"]["statut"] == ["actif"]


def test_telechargement_de_bilan_trace(client, monde):
    bilan = Bilan.objects.create(
        territoire=monde.d1,
        audience=Bilan.Audience.DEPARTEMENT,
        statut=Bilan.Statut.PRET,
        progression=100,
        date_debut=dt.date(2024, 1, 1),
        date_fin=dt.date(2024, 12, 31),
        donnees={"synthese": []},
    )
    fichier = FichierBilan(bilan=bilan, format="csv", taille=3, empreinte="0" * 64)
    fichier.fichier.save(f"bilan-{bilan.pk}.csv", ContentFile(b"abc"), save=False)
    fichier.save()
    client.force_login(monde.agent)
    reponse = client.get(reverse("bilans:telecharger", args=[bilan.pk, "csv"]))
    assert reponse.status_code == 200
    b"".join(reponse.streaming_content)
    telechargement = Evenement.objects.get(action=A.TELECHARGEMENT)
    assert telechargement.object_id == bilan.pk
    assert telechargement.territoire_id == monde.d1.pk
    assert telechargement.details["format"] == "csv"


def test_tracer_hors_requete_et_origine_nommee(monde):
    with services.origine("commande import_siao"):
        evenement = services.tracer(A.ANONYMISATION, menage=monde.m_a1)
    assert evenement.auteur is None
    assert evenement.details == {"origine": "commande import_siao"}
    assert evenement.menage_id == monde.m_a1.pk
    with pytest.raises(ValueError):
        services.tracer("inventee")


def test_la_trace_suit_la_transaction_metier(monde):
    avant = Evenement.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        Personne.objects.create(menage=monde.m_a1, nom="X", prenom="Y", role="enfant")
        raise RuntimeError("échec de l'écriture métier")
    assert Evenement.objects.count() == avant


def test_une_vue_qui_echoue_n_ecrit_ni_donnee_ni_trace(client, monde, monkeypatch):
    """Requête d'écriture = transaction (middleware) : l'exception annule tout."""
    from menages import views

    def save_puis_plante(self, *args, **kwargs):
        Menage.objects.filter(pk=monde.m_a1.pk).update(commune="Jamais")
        Evenement.objects.create(action=A.MODIFICATION, menage_id=monde.m_a1.pk)
        raise RuntimeError("panne")

    monkeypatch.setattr(views.MenageEditionForm, "save", save_puis_plante)
    client.raise_request_exception = False
    client.force_login(monde.agent)
    version = Menage.objects.get(pk=monde.m_a1.pk).version
    avant = Evenement.objects.count()
    reponse = client.post(
        reverse("menages:modifier", args=[monde.m_a1.pk]),
        {"territoire": monde.a1.pk, "dalo": "aucun", "version": version},
    )
    assert reponse.status_code == 500
    assert Menage.objects.get(pk=monde.m_a1.pk).commune != "Jamais"
    assert Evenement.objects.count() == avant


def test_user_supprime_le_journal_garde_son_identifiant(monde):
    evenement = services.tracer(A.CONSULTATION, menage=monde.m_a1, utilisateur=monde.sans_role)
    User.objects.filter(pk=monde.sans_role.pk).delete()
    evenement = Evenement.objects.get(pk=evenement.pk)
    assert evenement.auteur_identifiant == "sans_role"


def test_deconnexion_tracee(client, monde):
    client.force_login(monde.referent)
    client.get(reverse("accueil"))
    client.post(reverse("logout"))
    assert Evenement.objects.get(action=A.DECONNEXION).auteur == monde.referent
