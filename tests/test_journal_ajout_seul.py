"""Journal en ajout seul jusque dans la base (SQLite et PostgreSQL) : UPDATE, DELETE (et
TRUNCATE sous PostgreSQL) refusés ; seule la purge du service supprime ; admin en lecture
seule ; l'anonymisation efface les valeurs personnelles des traces."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from journal import services
from journal.models import Evenement
from menages.models import Personne

from . import factories as f

A = Evenement.Action


@pytest.fixture
def evenement(db):
    return services.tracer(A.CONSULTATION, menage=42, details={"essai": True})


def refuse(sql, params=()):
    with (
        pytest.raises(IntegrityError, match="ajout seul"),
        transaction.atomic(),
        connection.cursor() as curseur,
    ):
        curseur.execute(sql, params)


def test_update_brut_refuse(evenement):
    refuse("UPDATE journal_evenement SET action = 'export' WHERE id = %s", [evenement.pk])
    refuse("UPDATE journal_evenement SET auteur_id = NULL")
    assert Evenement.objects.get(pk=evenement.pk).action == A.CONSULTATION


def test_delete_brut_refuse(evenement):
    refuse("DELETE FROM journal_evenement WHERE id = %s", [evenement.pk])
    refuse("DELETE FROM journal_evenement")
    assert Evenement.objects.filter(pk=evenement.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE : PostgreSQL")
def test_truncate_refuse(evenement):
    refuse("TRUNCATE journal_evenement")


def test_orm_refuse_aussi(evenement):
    with pytest.raises(IntegrityError), transaction.atomic():
        Evenement.objects.filter(pk=evenement.pk).update(details={})
    with pytest.raises(IntegrityError), transaction.atomic():
        Evenement.objects.filter(pk=evenement.pk).delete()
    evenement.details = {"falsifie": True}
    with pytest.raises(IntegrityError), transaction.atomic():
        evenement.save()


def test_purge_seulement_par_le_service(db, settings):
    settings.JOURNAL_CONSERVATION_JOURS = 730
    maintenant = timezone.now()
    ancien = Evenement.objects.create(
        action=A.CONSULTATION, horodatage=maintenant - dt.timedelta(days=731)
    )
    recent = Evenement.objects.create(
        action=A.CONSULTATION, horodatage=maintenant - dt.timedelta(days=729)
    )
    assert services.purger() == 1
    assert not Evenement.objects.filter(pk=ancien.pk).exists()
    assert Evenement.objects.filter(pk=recent.pk).exists()
    purge = Evenement.objects.get(action=A.PURGE)
    assert purge.details["supprimes"] == 1 and purge.details["jours"] == 730
    # Le drapeau est rebaissé : la base refuse de nouveau.
    refuse("DELETE FROM journal_evenement WHERE id = %s", [recent.pk])
    with connection.cursor() as curseur:
        curseur.execute("SELECT purge FROM journal_autorisation")
        assert not curseur.fetchone()[0]


def test_tache_de_purge(db, settings):
    from journal.tasks import purger_journal

    settings.JOURNAL_CONSERVATION_JOURS = 10
    Evenement.objects.create(action=A.EXPORT, horodatage=timezone.now() - dt.timedelta(days=11))
    assert purger_journal.apply().get() == {"evenements_supprimes": 1}
    assert "journal-purge" in settings.CELERY_BEAT_SCHEDULE


def test_une_purge_qui_echoue_ne_laisse_pas_le_drapeau_leve(db, monkeypatch):
    def panne(*args, **kwargs):
        raise RuntimeError("panne")

    monkeypatch.setattr("journal.services.tracer", panne)
    Evenement.objects.create(action=A.EXPORT, horodatage=timezone.now() - dt.timedelta(days=9999))
    with pytest.raises(RuntimeError):
        services.purger()
    assert Evenement.objects.count() == 1
    refuse("DELETE FROM journal_evenement")


def test_effacement_des_valeurs_a_l_anonymisation(monde):
    personne = Personne.objects.create(
        menage=monde.m_a1, nom="Fictif", prenom="Léa", role=Personne.Role.ENFANT
    )
    personne.commune = "x"
    personne.nom = "Fictive"
    personne.save()
    autre = Evenement.objects.filter(menage_id=monde.m_b1.pk).values("changements").first()
    touches = services.effacer_donnees_menage(monde.m_a1.pk)
    assert touches >= 3
    for e in Evenement.objects.filter(menage_id=monde.m_a1.pk):
        assert "Fictif" not in str(e.changements) and "Léa" not in e.objet_repr
    modification = Evenement.objects.get(
        action=A.MODIFICATION, object_id=personne.pk, content_type__model="personne"
    )
    assert modification.changements == {"nom": [services.EFFACE, services.EFFACE]}
    assert modification.auteur_identifiant == "" and modification.action == A.MODIFICATION
    # Les autres ménages ne sont pas touchés, et la base refuse de nouveau toute retouche.
    assert Evenement.objects.filter(menage_id=monde.m_b1.pk).values("changements").first() == autre
    refuse("UPDATE journal_evenement SET objet_repr = 'x'")


def test_admin_en_lecture_seule(client, evenement):
    admin = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    liste = reverse("admin:journal_evenement_changelist")
    reponse = client.get(liste)
    assert reponse.status_code == 200
    assert 'name="action"' not in reponse.content.decode()  # pas d'actions groupées
    fiche = reverse("admin:journal_evenement_change", args=[evenement.pk])
    reponse = client.get(fiche)
    assert reponse.status_code == 200
    assert 'name="_save"' not in reponse.content.decode()
    assert client.post(fiche, {"action": "export"}).status_code == 403
    assert client.get(reverse("admin:journal_evenement_add")).status_code == 403
    suppression = reverse("admin:journal_evenement_delete", args=[evenement.pk])
    assert client.post(suppression, {"post": "yes"}).status_code == 403
    assert Evenement.objects.get(pk=evenement.pk).action == A.CONSULTATION


def test_flush_vide_tout_le_journal_compris(db):
    """`flush` (fin de chaque test transactionnel, live_server) passe malgré les déclencheurs.
    Ici dans la transaction du test, qui l'annule ensuite."""
    from django.core.management import call_command

    services.tracer(A.CONSULTATION, menage=1)
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
    assert not Evenement.objects.exists()
    services.tracer(A.CONSULTATION, menage=1)
    refuse("DELETE FROM journal_evenement")
