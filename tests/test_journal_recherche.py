"""Recherche dans le journal : agents départementaux (leur Département) et administrateurs ;
filtres, export CSV tracé, nombre de requêtes borné."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from journal import services
from journal.models import Evenement
from journal.selectors import evenements_visibles
from menages.models import Menage

from . import factories as f

A = Evenement.Action
URL = reverse("journal:recherche")


def resultats(reponse) -> set[int]:
    return {e.pk for e in reponse.context["page"].object_list}


@pytest.fixture
def traces(monde):
    return {
        "a1": services.tracer(A.CONSULTATION, objet=monde.m_a1, utilisateur=monde.coordinateur),
        "b1": services.tracer(A.CONSULTATION, objet=monde.m_b1, utilisateur=monde.administrateur),
        "export_agent": services.tracer(A.EXPORT, utilisateur=monde.agent),
        "logement_b1": services.tracer(
            A.MODIFICATION, objet=f.LogementFactory(territoire=monde.b1)
        ),
        "logement_a2": services.tracer(
            A.MODIFICATION, objet=f.LogementFactory(territoire=monde.a2)
        ),
        "connexion_autre": services.tracer(A.CONNEXION, utilisateur=monde.referent),
    }


def test_agent_ne_voit_que_son_departement(client, monde, traces):
    client.force_login(monde.agent)
    reponse = client.get(URL)
    assert reponse.status_code == 200
    visibles = set(evenements_visibles(monde.agent).values_list("pk", flat=True))
    page = reponse.context["page"]
    assert page.paginator.count == len(visibles)
    assert resultats(reponse) <= visibles
    assert {traces["a1"].pk, traces["export_agent"].pk, traces["logement_a2"].pk} <= visibles
    assert not {traces["b1"].pk, traces["logement_b1"].pk, traces["connexion_autre"].pk} & visibles
    # Tous les événements des ménages de d2 (créations du monde comprises) lui restent cachés.
    assert not Evenement.objects.filter(pk__in=visibles, menage_id=monde.m_b1.pk).exists()
    # Même en le cherchant par sa référence.
    reponse = client.get(URL, {"menage": monde.m_b1.reference})
    assert reponse.context["page"].paginator.count == 0
    assert "Aucun événement" in reponse.content.decode()


def test_administrateur_voit_tout(client, monde, traces):
    client.force_login(monde.administrateur)
    reponse = client.get(URL, {"menage": monde.m_b1.reference, "action": "consultation"})
    assert resultats(reponse) == {traces["b1"].pk}


@pytest.mark.parametrize("role", ["coordinateur", "referent", "copilote", "sans_role"])
def test_autres_roles_refuses(client, monde, role):
    client.force_login(getattr(monde, role))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("journal:export")).status_code == 403


def test_anonyme_renvoye_a_la_connexion(client, db):
    assert client.get(URL).status_code == 302


def test_menu(client, monde):
    client.force_login(monde.agent)
    assert URL in client.get(reverse("accueil")).content.decode()
    client.force_login(monde.coordinateur)
    assert URL not in client.get(reverse("accueil")).content.decode()


def test_filtres(client, monde, traces):
    client.force_login(monde.agent)
    par_action = client.get(URL, {"action": "export"})
    assert resultats(par_action) == {traces["export_agent"].pk}
    par_auteur = client.get(URL, {"auteur": "coordin"})
    assert traces["a1"].pk in resultats(par_auteur)
    assert traces["export_agent"].pk not in resultats(par_auteur)
    par_type = client.get(URL, {"type_objet": "attributions.logement"})
    assert resultats(par_type) == {traces["logement_a2"].pk} | set(
        Evenement.objects.filter(
            content_type__model="logement", territoire_id=monde.a2.pk
        ).values_list("pk", flat=True)
    )
    demain = timezone.localdate() + dt.timedelta(days=1)
    assert client.get(URL, {"debut": demain.isoformat()}).context["page"].paginator.count == 0
    par_menage = client.get(URL, {"menage": monde.m_a1.reference})
    assert all(e.menage_id == monde.m_a1.pk for e in par_menage.context["page"])


@pytest.mark.parametrize(
    "filtres",
    [
        {"menage": "n'importe quoi"},
        {"debut": "2025-13-45"},
        {"type_objet": "auth.permission"},
        {"action": "inventee"},
        {"debut": "2025-02-01", "fin": "2025-01-01"},
        {"page": "abc"},
    ],
)
def test_filtres_invalides_ignores_sans_erreur(client, monde, filtres):
    client.force_login(monde.agent)
    reponse = client.get(URL, filtres)
    assert reponse.status_code == 200


def test_changements_affiches(client, monde):
    menage = Menage.objects.get(pk=monde.m_a1.pk)
    ancienne = menage.commune
    menage.commune = "Ville-Fictive"
    menage.save()
    client.force_login(monde.agent)
    contenu = client.get(URL, {"action": "modification"}).content.decode()
    assert f"Commune : {ancienne or '—'} → Ville-Fictive" in contenu


def test_export_csv_trace(client, monde, traces):
    client.force_login(monde.agent)
    reponse = client.get(reverse("journal:export"), {"action": "consultation"})
    assert reponse.status_code == 200
    lignes = list(csv.reader(io.StringIO(reponse.content.decode("utf-8-sig")), delimiter=";"))
    assert lignes[0][0] == "Date et heure"
    assert len(lignes) == 2  # en-tête + la consultation de m_a1
    assert lignes[1][6] == monde.m_a1.reference
    export = Evenement.objects.filter(action=A.EXPORT, auteur=monde.agent).latest("id")
    assert export.details["liste"] == "journal" and export.details["lignes"] == 1
    assert export.details["filtres"] == {"action": ["consultation"]}


def test_requetes_bornees(client, monde, django_assert_max_num_queries):
    client.force_login(monde.agent)
    client.get(URL)  # caches (types d'objet, session)
    for _ in range(40):
        services.tracer(A.CONSULTATION, objet=monde.m_a1, utilisateur=monde.agent)
    with django_assert_max_num_queries(12):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(URL, {"page": "2", "auteur": "agent"}).status_code == 200


def test_trace_portant_une_relation_inverse_se_lit_et_s_exporte(client, monde):
    """Un import de ménages trace les ressources avec le ménage (relation inverse, sans
    verbose_name) : la recherche et l'export la montrent au lieu d'une erreur serveur."""
    services.tracer(
        "creation",
        objet=monde.m_a1,
        utilisateur=monde.agent,
        changements={"ressources": [None, "RSA : 607,75"], "commune": [None, "Ici"]},
    )
    client.force_login(monde.agent)
    page = client.get(reverse("journal:recherche"))
    assert page.status_code == 200
    assert "RSA : 607,75" in page.content.decode()
    export = client.get(reverse("journal:export"))
    assert export.status_code == 200
    assert "RSA : 607,75" in export.content.decode("utf-8-sig")
