"""Bilans : droits par rôle, demande et versions, production (fichiers et chiffres figés ensemble
ou rien), échec lisible, relance, idempotence, courtier injoignable, surveillance, bilans planifiés.

Le calcul et le rendu sont remplacés par des doublures là où l'on teste l'orchestration ; un test
de bout en bout les garde réels."""

import datetime as dt
import time
from datetime import timedelta
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from kombu.exceptions import OperationalError

from bilans import calcul, rendu, services, tasks
from bilans.models import Bilan, FichierBilan
from logement import celery_app
from logement.models import Role

from . import factories as f

pytestmark = pytest.mark.django_db

D = dt.date
ANNEE = D(2024, 1, 1), D(2024, 12, 31)


@pytest.fixture(autouse=True)
def _eager(taches_eager):
    pass


def instantane(territoire, audience, debut, fin, *, progression=None):
    if progression:
        progression(50, "Calcul des indicateurs")
    return {
        "schema": 1,
        "titre": f"Bilan {territoire.nom}",
        "audience": audience,
        "vide": False,
        "synthese": [
            {
                "code": "menages_accompagnes",
                "libelle": "Ménages accompagnés",
                "unite": "menages",
                "n": 1234,
                "n1": 98,
                "effectif_n": None,
                "effectif_n1": None,
            },
        ],
        "blocs": [],
        "definitions": [],
    }


@pytest.fixture
def doublures(monkeypatch):
    """Calcul et rendu factices ; `appels` garde les progressions et formats demandés."""
    appels = {"formats": [], "progressions": []}

    def calculer(territoire, audience, debut, fin, *, progression=None):
        def suivre(p, e=""):
            progression(p, e)
            appels["progressions"].append(
                Bilan.objects.values_list("progression", "etape").get(territoire=territoire)
            )

        return instantane(territoire, audience, debut, fin, progression=suivre)

    def produire(donnees, format):
        appels["formats"].append(format)
        return f"contenu {format} de {donnees['titre']}".encode()

    monkeypatch.setattr(calcul, "calculer_donnees", calculer)
    monkeypatch.setattr(rendu, "produire", produire)
    return appels


def lire(fichier_bilan) -> bytes:
    with fichier_bilan.fichier.open("rb") as fichier:
        return fichier.read()


def fichiers_sur_disque(racine: Path) -> list[Path]:
    return [p for p in racine.rglob("*") if p.is_file()] if racine.exists() else []


def demander(user, territoire, audience=Bilan.Audience.ETAT, periode=ANNEE, **kwargs):
    return services.demander_bilan(
        par=user,
        territoire=territoire,
        audience=audience,
        debut=periode[0],
        fin=periode[1],
        periodicite=kwargs.pop("periodicite", Bilan.Periodicite.ANNUEL),
    )


def bilan(territoire, audience=Bilan.Audience.ETAT, **kwargs):
    return Bilan.objects.create(
        territoire=territoire,
        audience=audience,
        date_debut=kwargs.pop("debut", ANNEE[0]),
        date_fin=kwargs.pop("fin", ANNEE[1]),
        tache_id=kwargs.pop("tache_id", "t-initiale"),
        **kwargs,
    )


# --- Droits : visible_to et demande -----------------------------------------------------------


@pytest.fixture
def bilans_du_monde(monde):
    A = Bilan.Audience
    return {
        "d1_departement": bilan(monde.d1, A.DEPARTEMENT),
        "d1_etat": bilan(monde.d1, A.ETAT),
        "a1_epci": bilan(monde.a1, A.EPCI),
        "a1_etat": bilan(monde.a1, A.ETAT),
        "p1_etat": bilan(monde.p1, A.ETAT),
        "p2_etat": bilan(monde.p2, A.ETAT),
        "a2_epci": bilan(monde.a2, A.EPCI),
        "d2_departement": bilan(monde.d2, A.DEPARTEMENT),
        "d2_etat": bilan(monde.d2, A.ETAT),
        "b1_epci": bilan(monde.b1, A.EPCI),
        "q1_etat": bilan(monde.q1, A.ETAT),
    }


DU_D1 = {"d1_departement", "d1_etat", "a1_epci", "a1_etat", "p1_etat", "p2_etat", "a2_epci"}


@pytest.mark.parametrize(
    ("role", "attendus"),
    [
        ("agent", DU_D1),
        # Sa plateforme et ses EPCI, publics État et EPCI : ni le Département, ni P2 / A2.
        ("coordinateur", {"a1_epci", "a1_etat", "p1_etat"}),
        ("copilote", {"a1_epci"}),
        ("copilote_etat", DU_D1 - {"d1_departement"}),
        ("administrateur", None),
        ("referent", set()),
        ("sans_role", set()),
    ],
)
def test_chaque_role_voit_les_bilans_de_son_ressort(monde, bilans_du_monde, role, attendus):
    if role == "copilote_etat":
        user = f.utilisateur(Role.COPILOTE, territoire=monde.d1)
    else:
        user = getattr(monde, role)
    if attendus is None:
        attendus = set(bilans_du_monde)

    visibles = set(Bilan.objects.visible_to(user).values_list("pk", flat=True))

    assert visibles == {bilans_du_monde[nom].pk for nom in attendus}


def test_une_habilitation_terminee_ne_donne_plus_rien(monde, bilans_du_monde):
    user = f.UserFactory()
    f.HabilitationFactory(
        user=user,
        role=Role.AGENT_DEPARTEMENTAL,
        territoire=monde.d1,
        date_debut=D(2020, 1, 1),
        date_fin=D(2021, 1, 1),
    )

    assert not Bilan.objects.visible_to(user).exists()


def test_agent_et_coordinateur_ne_demandent_que_dans_leur_ressort(monde, doublures):
    with pytest.raises(PermissionDenied):
        demander(monde.agent, monde.b1, Bilan.Audience.EPCI)
    with pytest.raises(PermissionDenied):
        demander(monde.agent, monde.d2, Bilan.Audience.DEPARTEMENT)
    with pytest.raises(PermissionDenied):
        demander(monde.coordinateur, monde.d1, Bilan.Audience.DEPARTEMENT)
    with pytest.raises(PermissionDenied):
        demander(monde.coordinateur, monde.a2)
    with pytest.raises(PermissionDenied):
        demander(monde.copilote, monde.a1, Bilan.Audience.EPCI)
    with pytest.raises(PermissionDenied):
        demander(monde.referent, monde.a1)


@pytest.fixture
def sans_envoi(monkeypatch):
    """La demande seule, sans partir dans la file."""
    monkeypatch.setattr(services, "expedier", lambda bilan: True)


def test_demande_dans_le_ressort(monde, sans_envoi):
    assert demander(monde.agent, monde.d1, Bilan.Audience.DEPARTEMENT).statut == "en_attente"
    assert demander(monde.agent, monde.a2, Bilan.Audience.EPCI).demande_par == monde.agent
    assert demander(monde.coordinateur, monde.p1).territoire == monde.p1
    assert demander(monde.coordinateur, monde.a1, Bilan.Audience.EPCI).territoire == monde.a1
    assert demander(monde.administrateur, monde.b1, Bilan.Audience.EPCI).territoire == monde.b1


def test_le_public_doit_convenir_au_niveau_du_territoire(monde, sans_envoi):
    with pytest.raises(ValidationError) as erreur:
        demander(monde.agent, monde.a1, Bilan.Audience.DEPARTEMENT)
    assert "Département" in str(erreur.value.message_dict["audience"])
    with pytest.raises(ValidationError):
        demander(monde.agent, monde.p1, Bilan.Audience.EPCI)


def test_periode_a_venir_ou_a_l_envers_refusee(monde, sans_envoi):
    demain = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError):
        demander(monde.agent, monde.d1, periode=(demain, demain + timedelta(days=30)))
    with pytest.raises(ValidationError):
        demander(monde.agent, monde.d1, periode=(D(2024, 5, 1), D(2024, 4, 1)))
    assert not Bilan.objects.exists()


def test_redemander_cree_la_version_suivante_pour_la_meme_cle(monde, sans_envoi):
    v1 = demander(monde.agent, monde.d1)
    v2 = demander(monde.agent, monde.d1)
    autre_public = demander(monde.agent, monde.d1, Bilan.Audience.DEPARTEMENT)
    autre_periode = demander(monde.agent, monde.d1, periode=(D(2024, 1, 1), D(2024, 3, 31)))

    assert (v1.version, v2.version) == (1, 2)
    assert autre_public.version == autre_periode.version == 1
    assert v1.tache_id != v2.tache_id


# --- Production -------------------------------------------------------------------------------


def test_production_enregistre_trois_fichiers_et_les_chiffres(
    monde, doublures, stockage_prive, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        b = demander(monde.agent, monde.d1)

    b.refresh_from_db()
    assert b.statut == Bilan.Statut.PRET
    assert (b.progression, b.etape, b.erreur, b.tentatives) == (100, "", "", 1)
    assert b.commence_le <= b.termine_le
    assert b.expedie_le is not None
    assert b.donnees["titre"] == "Bilan Département fictif Un"
    assert sorted(doublures["formats"]) == ["csv", "pdf", "xlsx"]
    # La progression est écrite en base pendant le calcul (ramenée à 0-80 %).
    assert doublures["progressions"] == [(40, "Calcul des indicateurs")]
    fichiers = {fb.format: fb for fb in b.fichiers.all()}
    assert set(fichiers) == {"pdf", "xlsx", "csv"}
    pdf = fichiers["pdf"]
    assert lire(pdf) == b"contenu pdf de Bilan D\xc3\xa9partement fictif Un"
    assert pdf.taille == len(b"contenu pdf de Bilan D\xc3\xa9partement fictif Un")
    assert len(pdf.empreinte) == 64
    assert len(fichiers_sur_disque(stockage_prive)) == 3
    assert all(str(p).startswith(str(stockage_prive)) for p in fichiers_sur_disque(stockage_prive))


def test_un_echec_de_calcul_est_lisible_et_ne_laisse_rien(monde, monkeypatch, stockage_prive):
    def calcul_en_panne(*args, **kwargs):
        raise ZeroDivisionError("division")

    monkeypatch.setattr(calcul, "calculer_donnees", calcul_en_panne)
    b = bilan(monde.d1)

    services.produire_bilan(b.pk)

    b.refresh_from_db()
    assert b.statut == Bilan.Statut.ECHEC
    assert "erreur interne (ZeroDivisionError)" in b.erreur
    assert "vous pouvez relancer" in b.erreur.lower()
    assert b.termine_le is not None and b.donnees is None
    assert not FichierBilan.objects.exists()
    assert fichiers_sur_disque(stockage_prive) == []


def test_un_echec_au_milieu_des_fichiers_efface_ceux_deja_ecrits(
    monde, doublures, monkeypatch, stockage_prive
):
    """Le PDF et le XLSX sont posés sur le disque ; l'enregistrement du CSV échoue."""
    enregistrer = FichierBilan.save

    def save(self, *args, **kwargs):
        if self.format == "csv":
            raise OSError("disque plein")
        return enregistrer(self, *args, **kwargs)

    monkeypatch.setattr(FichierBilan, "save", save)
    b = bilan(monde.d1)

    services.produire_bilan(b.pk)

    b.refresh_from_db()
    assert b.statut == Bilan.Statut.ECHEC
    assert "OSError" in b.erreur
    assert not FichierBilan.objects.exists()
    assert fichiers_sur_disque(stockage_prive) == []


def test_un_motif_de_production_impossible_est_montre_tel_quel(monde, monkeypatch):
    def refuse(*args, **kwargs):
        raise services.ProductionImpossible("Le territoire n'a aucun EPCI rattaché.")

    monkeypatch.setattr(calcul, "calculer_donnees", refuse)
    b = bilan(monde.d1)

    services.produire_bilan(b.pk)

    b.refresh_from_db()
    assert b.erreur == "Le territoire n'a aucun EPCI rattaché."


def test_depassement_de_duree_explique(monde, monkeypatch, settings):
    settings.LOGEMENT = {**settings.LOGEMENT, "BILAN_DUREE_MAX_SECONDES": 1800}

    def trop_long(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(calcul, "calculer_donnees", trop_long)
    b = bilan(monde.d1)

    services.produire_bilan(b.pk)

    b.refresh_from_db()
    assert b.statut == Bilan.Statut.ECHEC
    assert "durée maximale (30 min)" in b.erreur


def test_un_bilan_pret_redelivre_ne_change_pas(monde, doublures):
    b = bilan(monde.d1)
    services.produire_bilan(b.pk, tache_id="t-initiale")
    b.refresh_from_db()
    termine, empreintes = b.termine_le, set(b.fichiers.values_list("empreinte", flat=True))

    services.produire_bilan(b.pk, tache_id="t-initiale")
    tasks.produire_bilan.apply(args=[b.pk], task_id="t-initiale")

    b.refresh_from_db()
    assert (b.statut, b.tentatives, b.termine_le) == (Bilan.Statut.PRET, 1, termine)
    assert set(b.fichiers.values_list("empreinte", flat=True)) == empreintes
    assert b.fichiers.count() == 3


def test_un_message_perime_est_ignore(monde, doublures):
    """Après une relance, l'ancien message encore dans la file ne produit rien."""
    b = bilan(monde.d1, tache_id="nouvelle")

    services.produire_bilan(b.pk, tache_id="ancienne")

    b.refresh_from_db()
    assert (b.statut, b.tentatives) == (Bilan.Statut.EN_ATTENTE, 0)


def test_un_bilan_redelivre_en_cours_reprend(monde, doublures):
    """Le worker est mort pendant le travail : la file redonne le message, la tâche reprend."""
    b = bilan(monde.d1, statut=Bilan.Statut.EN_COURS, tentatives=1, progression=40)

    services.produire_bilan(b.pk, tache_id="t-initiale")

    b.refresh_from_db()
    assert (b.statut, b.tentatives) == (Bilan.Statut.PRET, 2)


def test_trop_de_redelivrances_finissent_en_echec(monde, doublures, settings):
    settings.LOGEMENT = {**settings.LOGEMENT, "BILAN_TENTATIVES_MAX": 3}
    b = bilan(monde.d1, statut=Bilan.Statut.EN_COURS, tentatives=3)

    services.produire_bilan(b.pk, tache_id="t-initiale")

    b.refresh_from_db()
    assert b.statut == Bilan.Statut.ECHEC
    assert "interrompue 3 fois" in b.erreur
    assert doublures["formats"] == []


def test_resultat_abandonne_si_le_bilan_a_ete_declare_interrompu(
    monde, monkeypatch, stockage_prive
):
    def calcul_puis_interruption(territoire, *args, **kwargs):
        Bilan.objects.filter(territoire=territoire).update(statut=Bilan.Statut.ECHEC)
        return instantane(territoire, *args, **kwargs)

    monkeypatch.setattr(calcul, "calculer_donnees", calcul_puis_interruption)
    monkeypatch.setattr(rendu, "produire", lambda donnees, format: b"x")
    b = bilan(monde.d1)

    services.produire_bilan(b.pk)

    b.refresh_from_db()
    assert b.statut == Bilan.Statut.ECHEC
    assert not FichierBilan.objects.exists()
    assert fichiers_sur_disque(stockage_prive) == []


# --- Relance ------------------------------------------------------------------------------------


def test_relancer_un_bilan_en_echec_le_produit(
    monde, doublures, django_capture_on_commit_callbacks
):
    b = bilan(monde.d1, statut=Bilan.Statut.ECHEC, erreur="Panne", tentatives=1)

    with django_capture_on_commit_callbacks(execute=True):
        relance = services.relancer(b, par=monde.agent)

    b.refresh_from_db()
    assert relance.pk == b.pk and b.version == 1
    assert b.tache_id != "t-initiale"
    assert (b.statut, b.erreur, b.tentatives) == (Bilan.Statut.PRET, "", 1)


def test_un_bilan_pret_ne_se_relance_pas(monde, sans_envoi):
    b = bilan(monde.d1, statut=Bilan.Statut.PRET)

    with pytest.raises(ValidationError):
        services.relancer(b, par=monde.agent)


def test_le_copilote_ne_relance_pas(monde, sans_envoi):
    b = bilan(monde.a1, Bilan.Audience.EPCI, statut=Bilan.Statut.ECHEC)

    with pytest.raises(PermissionDenied):
        services.relancer(b, par=monde.copilote)


# --- Courtier injoignable -----------------------------------------------------------------------


@pytest.fixture
def courtier_injoignable(monkeypatch):
    from .test_celery_worker import _oublier_connexions_celery

    url = "redis://127.0.0.1:1/0"
    cles = ("task_always_eager", "broker_url", "result_backend")
    avant = {cle: celery_app.conf[cle] for cle in cles}
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    _oublier_connexions_celery()
    celery_app.conf.update(task_always_eager=False, broker_url=url, result_backend=None)
    yield url
    _oublier_connexions_celery()
    celery_app.conf.update(avant)


def test_courtier_injoignable_la_demande_reste_en_attente(
    monde, courtier_injoignable, django_capture_on_commit_callbacks
):
    debut = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        b = demander(monde.agent, monde.d1)

    assert time.monotonic() - debut < 3
    assert b.expedie is False
    b.refresh_from_db()
    assert (b.statut, b.expedie_le) == (Bilan.Statut.EN_ATTENTE, None)
    assert b.etape.startswith("La file de production est momentanément indisponible")


def test_un_envoi_refuse_par_la_file_est_note(monde, monkeypatch):
    monkeypatch.setattr(services, "taches_sur_place", lambda: False)
    monkeypatch.setattr(services, "courtier_joignable", lambda: True)

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks.produire_bilan, "apply_async", refuse)
    b = bilan(monde.d1)

    assert services.expedier(b) is False
    b.refresh_from_db()
    assert b.expedie_le is None and "indisponible" in b.etape


# --- Surveillance -------------------------------------------------------------------------------


def test_un_bilan_en_cours_trop_longtemps_passe_en_echec(monde, settings):
    settings.LOGEMENT = {**settings.LOGEMENT, "BILAN_EN_COURS_MAX_SECONDES": 600}
    maintenant = timezone.now()
    bloque = bilan(
        monde.d1, statut=Bilan.Statut.EN_COURS, commence_le=maintenant - timedelta(seconds=601)
    )
    recent = bilan(
        monde.a1, statut=Bilan.Statut.EN_COURS, commence_le=maintenant - timedelta(seconds=60)
    )

    assert tasks.verifier_bilans_bloques.delay().get() == {"interrompus": 1, "renvoyes": 0}

    bloque.refresh_from_db()
    recent.refresh_from_db()
    assert bloque.statut == Bilan.Statut.ECHEC
    assert "interrompue" in bloque.erreur and "relancer" in bloque.erreur
    assert recent.statut == Bilan.Statut.EN_COURS


def test_une_demande_non_recue_par_la_file_est_renvoyee(
    monde, doublures, settings, django_capture_on_commit_callbacks
):
    settings.LOGEMENT = {
        **settings.LOGEMENT,
        "BILAN_RENVOI_MINUTES": 5,
        "BILAN_ATTENTE_MAX_HEURES": 6,
    }
    il_y_a = timezone.now() - timedelta(minutes=6)
    non_recue = bilan(monde.d1)
    oubliee = bilan(monde.a1, Bilan.Audience.EPCI, tache_id="t2")
    confiee = bilan(monde.p1, tache_id="t3")
    Bilan.objects.filter(pk=non_recue.pk).update(modifie_le=il_y_a)
    Bilan.objects.filter(pk=oubliee.pk).update(expedie_le=timezone.now() - timedelta(hours=7))
    Bilan.objects.filter(pk=confiee.pk).update(expedie_le=il_y_a, modifie_le=il_y_a)

    with django_capture_on_commit_callbacks(execute=True):
        resultat = services.verifier_bilans_bloques()

    assert resultat == {"interrompus": 0, "renvoyes": 2}
    statuts = dict(Bilan.objects.values_list("pk", "statut"))
    assert statuts[non_recue.pk] == statuts[oubliee.pk] == Bilan.Statut.PRET
    assert statuts[confiee.pk] == Bilan.Statut.EN_ATTENTE


# --- Bilans planifiés ---------------------------------------------------------------------------


def test_bilans_annuels_le_15_janvier_pour_l_annee_ecoulee(monde, sans_envoi, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a: D(2025, 1, 15))

    assert tasks.bilans_annuels.delay().get() == 10

    crees = set(Bilan.objects.values_list("territoire__nom", "audience", "date_debut", "date_fin"))
    attendus = {
        ("Département fictif Un", "departement"),
        ("Département fictif Un", "etat"),
        ("Département fictif Deux", "departement"),
        ("Département fictif Deux", "etat"),
        ("Plateforme P1", "etat"),
        ("Plateforme P2", "etat"),
        ("Plateforme Q1", "etat"),
        ("EPCI A1", "epci"),
        ("EPCI A2", "epci"),
        ("EPCI B1", "epci"),
    }
    assert crees == {(nom, a, D(2024, 1, 1), D(2024, 12, 31)) for nom, a in attendus}
    assert set(Bilan.objects.values_list("periodicite", flat=True)) == {"annuel"}
    assert not Bilan.objects.filter(demande_par__isnull=False).exists()
    # Beat relancé le même jour : rien en double.
    assert tasks.bilans_annuels.delay().get() == 0


@pytest.mark.parametrize(
    ("jour", "periode"),
    [
        (D(2025, 1, 15), (D(2024, 10, 1), D(2024, 12, 31))),
        (D(2025, 4, 15), (D(2025, 1, 1), D(2025, 3, 31))),
        (D(2025, 7, 15), (D(2025, 4, 1), D(2025, 6, 30))),
        (D(2025, 10, 15), (D(2025, 7, 1), D(2025, 9, 30))),
    ],
)
def test_bilans_trimestriels_pour_le_trimestre_ecoule(
    monde, sans_envoi, monkeypatch, jour, periode
):
    monkeypatch.setattr(timezone, "localdate", lambda *a: jour)

    assert tasks.bilans_trimestriels.delay().get() == 5

    assert set(
        Bilan.objects.values_list("territoire__nom", "audience", "date_debut", "date_fin")
    ) == {
        (nom, "etat", *periode)
        for nom in (
            "Département fictif Un",
            "Département fictif Deux",
            "Plateforme P1",
            "Plateforme P2",
            "Plateforme Q1",
        )
    }
    assert set(Bilan.objects.values_list("periodicite", flat=True)) == {"trimestriel"}


def test_le_calendrier_beat_porte_les_taches_des_bilans():
    calendrier = settings.CELERY_BEAT_SCHEDULE
    taches = {entree["task"]: entree["schedule"] for entree in calendrier.values()}
    annuel = taches["bilans.tasks.bilans_annuels"]
    trimestriel = taches["bilans.tasks.bilans_trimestriels"]

    assert (annuel.day_of_month, annuel.month_of_year) == ({15}, {1})
    assert (trimestriel.day_of_month, trimestriel.month_of_year) == ({15}, {1, 4, 7, 10})
    assert "bilans.tasks.verifier_bilans_bloques" in taches
    # Comme au démarrage d'un worker : les modules tasks de chaque app sont importés.
    celery_app.loader.import_default_modules()
    assert set(taches) <= set(celery_app.tasks)


def test_la_tache_de_production_est_acquittee_tard():
    tache = tasks.produire_bilan
    assert tache.acks_late and tache.reject_on_worker_lost
    assert tache.soft_time_limit == settings.LOGEMENT["BILAN_DUREE_MAX_SECONDES"]
    assert tache.time_limit > tache.soft_time_limit


# --- De bout en bout, calcul et rendu réels -----------------------------------------------------


def test_bout_en_bout_sans_doublure(monde, stockage_prive, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        b = demander(monde.agent, monde.a1, Bilan.Audience.EPCI)

    b.refresh_from_db()
    assert b.statut == Bilan.Statut.PRET, b.erreur
    assert b.donnees["audience"] == "epci"
    assert b.donnees["seuil_secret"] == settings.LOGEMENT["SEUIL_SECRET_STATISTIQUE"]
    fichiers = {fb.format: lire(fb) for fb in b.fichiers.all()}
    assert fichiers["pdf"].startswith(b"%PDF")
    assert fichiers["xlsx"].startswith(b"PK")
    assert fichiers["csv"].startswith("\ufeff".encode())
    assert len(fichiers_sur_disque(stockage_prive)) == 3
