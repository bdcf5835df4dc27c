"""Moteur d'import : ressort d'import par rôle, dépôt et essai à blanc sans écriture,
correspondance mémorisée, doublons, confirmation tout-ou-rien (tâche), données changées depuis
l'aperçu, file indisponible, surveillance. Le genre factice `GenreEssai` écrit des structures
(une table métier simple) : les vrais genres ont leurs propres tests."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone

from imports import genres as registre
from imports import lecture, services
from imports.correspondance import Origine
from imports.genres.base import Action, Colonne, Compteurs, Erreur, Genre, LigneAnalysee
from imports.models import CorrespondanceColonne, Import, LigneImport, droits_imports
from journal.models import Evenement
from logement.models import Role, Structure
from logement.text import normaliser

from . import factories as f
from .test_bilans_worker import lancer_worker, stockage_partage  # noqa: F401  (fixtures)
from .test_celery_worker import courtier_redis  # noqa: F401  (fixture)

# --- Le genre factice ---------------------------------------------------------------------------


def _date(texte: str) -> dt.date:
    jour, mois, annee = texte.split("/")
    if len(annee) != 4:
        raise ValueError
    return dt.date(int(annee), int(mois), int(jour))


class GenreEssai(Genre):
    """« Personnes fictives » : une structure de type « autre » par ligne, nommée « NOM Prénom »,
    dans le territoire de la structure cible. Doublon : même nom normalisé dans ce territoire."""

    cle = "essai"
    libelle = "Personnes fictives"
    colonnes = (
        Colonne("nom", "Nom", obligatoire=True, synonymes=("Nom de famille",), exemple="MARTIN"),
        Colonne("prenom", "Prénom", synonymes=("Prenom usuel",), exemple="Léa"),
        Colonne(
            "date_naissance",
            "Date de naissance",
            obligatoire=True,
            synonymes=("DDN", "Né(e) le"),
            aide="jj/mm/aaaa",
            exemple="12/03/1985",
        ),
        Colonne("montant", "Montant mensuel", aide="en euros, virgule décimale", exemple="512,40"),
        Colonne("commune", "Commune", exemple="Valmont-sur-Fiction"),
    )

    def contexte(self, user, structure):
        existants = {
            normaliser(nom): pk
            for pk, nom in Structure.objects.filter(territoire=structure.territoire).values_list(
                "pk", "nom"
            )
        }
        return {"structure": structure, "existants": existants}

    def analyser(self, lignes, contexte):
        resultat = []
        vus = set()
        for numero, valeurs in lignes:
            erreurs = []
            nom = valeurs.get("nom", "")
            complet = f"{nom} {valeurs.get('prenom', '')}".strip()
            if not nom:
                erreurs.append(Erreur("Nom", "", "valeur obligatoire manquante"))
            naissance = valeurs.get("date_naissance", "")
            try:
                _date(naissance)
            except (ValueError, TypeError):
                erreurs.append(Erreur("Date de naissance", naissance, "date impossible"))
            montant = valeurs.get("montant", "")
            if montant:
                try:
                    if Decimal(montant.replace(" ", "").replace(",", ".")) < 0:
                        erreurs.append(Erreur("Montant mensuel", montant, "montant négatif"))
                except InvalidOperation:
                    erreurs.append(Erreur("Montant mensuel", montant, "nombre illisible"))
            cle = normaliser(complet)
            doublon_id = contexte["existants"].get(cle)
            if erreurs:
                action = Action.ERREUR
            elif cle in vus:
                action = Action.IGNORER
            elif doublon_id:
                action = Action.DOUBLON
            else:
                action = Action.CREER
            vus.add(cle)
            resultat.append(
                LigneAnalysee(
                    numero=numero,
                    action=action,
                    libelle=complet,
                    erreurs=erreurs,
                    doublon=complet if doublon_id else "",
                    doublon_id=doublon_id,
                    donnees={"nom": complet, "commune": valeurs.get("commune", "")},
                )
            )
        return resultat

    def appliquer(self, analyse, decisions, contexte, progression=None):
        compteurs = Compteurs()
        territoire = contexte["structure"].territoire
        for i, ligne in enumerate(analyse, start=1):
            action = decisions.get(ligne.numero, ligne.action)
            if ligne.donnees["commune"] == "PANNE":  # refus à l'écriture (contrainte, etc.)
                raise ValidationError(f"ligne {ligne.numero} : la commune « PANNE » est refusée.")
            if ligne.donnees["commune"] == "BOGUE":
                raise IntegrityError("violation de contrainte simulée")
            if action == Action.CREER:
                Structure.objects.create(
                    nom=ligne.donnees["nom"],
                    type=Structure.Type.AUTRE,
                    territoire=territoire,
                    commune=ligne.donnees["commune"],
                )
                compteurs.crees += 1
            elif action == Action.METTRE_A_JOUR:
                Structure.objects.filter(pk=ligne.doublon_id).update(
                    commune=ligne.donnees["commune"]
                )
                compteurs.mis_a_jour += 1
            else:
                compteurs.ignores += 1
            if progression:
                progression(i)
        return compteurs


@pytest.fixture
def genre_essai(monkeypatch):
    genre = GenreEssai()
    monkeypatch.setattr(
        registre, "GENRES", {**services.genres_disponibles(), genre.cle: genre}, raising=False
    )
    return genre


ENTETES = "Nom;Prénom;Date de naissance;Montant mensuel;Commune"


def csv_de(*lignes: str, entetes: str = ENTETES) -> bytes:
    return ("\ufeff" + "\r\n".join([entetes, *lignes]) + "\r\n").encode()


def fichier(contenu: bytes, nom: str = "personnes.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(nom, contenu)


def deposer(user, structure, contenu: bytes, nom: str = "personnes.csv", choix=None) -> Import:
    """Comme la vue : lecture, correspondance, dépôt et essai à blanc."""
    genre = services.genre_ou_none("essai")
    octets, tableau = services.lire_depot(fichier(contenu, nom))
    rapprochements = services.rapprochements_pour(genre, structure, tableau, choix)
    return services.deposer(
        par=user,
        genre=genre,
        structure=structure,
        nom=nom,
        contenu=octets,
        tableau=tableau,
        rapprochements=rapprochements,
    )


def nombre_de_structures() -> int:
    return Structure.objects.count()


# --- Ressort d'import ---------------------------------------------------------------------------


def test_ressort_d_import_par_role(monde):
    m = monde
    sur_p1 = f.StructureFactory(nom="CCAS de P1", territoire=m.p1)
    sur_a1 = f.StructureFactory(nom="CCAS de A1", territoire=m.a1)
    sur_a2 = f.StructureFactory(nom="CCAS de A2", territoire=m.a2)
    sur_q1 = f.StructureFactory(nom="CCAS de Q1", territoire=m.q1)

    def ids(user):
        return set(droits_imports(type(user).objects.get(pk=user.pk)).structures())

    assert ids(m.referent) == {m.s1}
    # Coordinateur de P1 : sa plateforme, l'EPCI qu'elle couvre et les structures
    # départementales (comme pour ouvrir une mesure), pas celles des autres EPCI.
    assert ids(m.coordinateur) == {sur_p1, sur_a1, m.s1, m.s2}
    assert ids(m.agent) == {m.s1, m.s2, sur_p1, sur_a1, sur_a2}
    assert ids(m.copilote) == set()
    assert ids(m.sans_role) == set()
    assert ids(m.administrateur) == set(Structure.objects.all())
    assert sur_q1 not in ids(m.agent)


def test_un_import_hors_ressort_est_refuse_par_le_service(monde, genre_essai):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        deposer(monde.referent, monde.s3, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    assert not Import.objects.exists()


# --- Essai à blanc ------------------------------------------------------------------------------


def test_essai_a_blanc_n_ecrit_rien_en_base_metier(monde, genre_essai, stockage_prive):
    avant = nombre_de_structures()
    imp = deposer(
        monde.referent,
        monde.s1,
        csv_de(
            "DUPONT;Jean;01/02/1980;1 234,50;Ici",
            "",
            "MARTIN ;Léa;12/03/1985;;Là",
        ),
    )
    assert nombre_de_structures() == avant
    assert imp.statut == Import.Statut.ESSAI
    assert (imp.nb_lignes, imp.nb_creations, imp.nb_erreurs) == (2, 2, 0)
    # Les numéros de ligne sont ceux du tableur : la ligne vide (3) est sautée, pas renumérotée.
    assert list(imp.lignes.values_list("numero", "action", "libelle")) == [
        (2, Action.CREER, "DUPONT Jean"),
        (4, Action.CREER, "MARTIN Léa"),
    ]
    assert imp.details["lignes_vides"] == 1
    assert imp.details["encodage"] == "UTF-8 (avec BOM)"
    # Fichier privé conservé tel quel, sous un nom tiré au hasard.
    assert imp.fichier.name.startswith("imports/") and "personnes" not in imp.fichier.name
    assert (stockage_prive / imp.fichier.name).read_bytes().startswith(b"\xef\xbb\xbfNom;")
    assert imp.nom_fichier == "personnes.csv"
    depot = Evenement.objects.get(
        action=Evenement.Action.CREATION, object_id=imp.pk, content_type__model="import"
    )
    assert depot.details["etape"] == "dépôt et essai à blanc"


def test_colonne_obligatoire_absente_rien_n_est_ecrit(monde, genre_essai, stockage_prive):
    with pytest.raises(ValidationError) as erreur:
        deposer(monde.referent, monde.s1, csv_de("DUPONT;Jean", entetes="Nom;Prénom"))
    assert erreur.value.messages == ["Colonne obligatoire absente : « Date de naissance »."]
    assert not Import.objects.exists()
    assert not list(stockage_prive.rglob("*.csv"))


def test_erreurs_nomment_ligne_colonne_valeur_et_bloquent_la_confirmation(monde, genre_essai):
    imp = deposer(
        monde.referent,
        monde.s1,
        csv_de(
            "DUPONT;Jean;01/02/1980;;Ici",
            "MARTIN;Léa;31/02/2024;;Là",
            "DURAND;Paul;05/05/1990;-12,00;Là",
        ),
    )
    assert imp.nb_erreurs == 2
    rapports = {
        ligne.numero: [services.texte_erreur(ligne.numero, **e) for e in ligne.erreurs]
        for ligne in imp.lignes.filter(action=Action.ERREUR)
    }
    assert rapports == {
        3: ["ligne 3, colonne « Date de naissance », valeur « 31/02/2024 » : date impossible"],
        4: ["ligne 4, colonne « Montant mensuel », valeur « -12,00 » : montant négatif"],
    }
    assert services.bloquants(imp)[0].startswith("2 lignes en erreur")
    with pytest.raises(ValidationError, match="Confirmation impossible"):
        services.confirmer(imp, par=monde.referent)
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.ESSAI


# --- Correspondance -----------------------------------------------------------------------------


def test_correspondance_corrigee_memorisee_et_reprise_au_fichier_suivant(monde, genre_essai):
    contenu = csv_de(
        "DUPONT;Jean;01/02/1980;Ici", entetes="NOM;Prénom d’usage;Date de naissance;Ville"
    )
    imp = deposer(monde.referent, monde.s1, contenu)
    origines = {r["entete"]: (r["colonne"], r["origine"]) for r in imp.correspondance}
    assert origines == {
        "NOM": ("nom", Origine.RECONNUE),
        "Prénom d’usage": ("", ""),
        "Date de naissance": ("date_naissance", Origine.RECONNUE),
        "Ville": ("", ""),
    }
    assert imp.details["colonnes_ignorees"] == ["Prénom d’usage (colonne B)", "Ville (colonne D)"]
    services.corriger_correspondance(
        imp, par=monde.referent, choix={0: "nom", 1: "prenom", 2: "date_naissance", 3: "commune"}
    )
    imp.refresh_from_db()
    assert imp.lignes.get().libelle == "DUPONT Jean"
    memo = dict(
        CorrespondanceColonne.objects.filter(structure=monde.s1, genre="essai").values_list(
            "entete", "colonne"
        )
    )
    assert memo == {
        "nom": "nom",
        "prenomdusage": "prenom",
        "datedenaissance": "date_naissance",
        "ville": "commune",
    }
    # Fichier suivant de la même structure : repris d'office ; une autre structure ne l'a pas.
    suivant = deposer(monde.referent, monde.s1, contenu)
    assert {r["entete"]: r["origine"] for r in suivant.correspondance}["Ville"] == (
        Origine.MEMORISEE
    )
    assert suivant.lignes.get().libelle == "DUPONT Jean"
    ailleurs = deposer(monde.administrateur, monde.s2, contenu)
    assert ailleurs.lignes.get().libelle == "DUPONT"


def test_correspondance_sans_colonne_obligatoire_refusee(monde, genre_essai):
    imp = deposer(monde.referent, monde.s1, csv_de("DUPONT;Jean;01/02/1980;;Ici"))
    with pytest.raises(ValidationError, match="Colonne obligatoire absente : « Nom »"):
        services.corriger_correspondance(
            imp, par=monde.referent, choix={0: "", 2: "date_naissance"}
        )
    assert not CorrespondanceColonne.objects.exists()


# --- Confirmation et exécution ------------------------------------------------------------------


def confirmer_et_executer(imp, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.confirmer(imp, par=user)
    imp.refresh_from_db()
    return imp


@pytest.fixture
def eager(taches_eager):
    pass


def test_import_confirme_ecrit_tout_et_trace(
    monde, genre_essai, eager, django_capture_on_commit_callbacks
):
    existant = f.StructureFactory(nom="MARTIN Léa", territoire=monde.d1, commune="Avant")
    avant = nombre_de_structures()
    imp = deposer(
        monde.referent,
        monde.s1,
        csv_de(
            "DUPONT;Jean;01/02/1980;;Ici",
            "MARTIN;Léa;12/03/1985;;Après",
            "DURAND;Paul;05/05/1990;;Là",
            "DUPONT;Jean;01/02/1980;;Ici",
        ),
    )
    assert (imp.nb_creations, imp.nb_doublons, imp.nb_ignorees) == (2, 1, 1)
    assert services.bloquants(imp) == ["1 doublon à trancher (mettre à jour, créer ou ignorer)"]
    assert services.trancher(imp, par=monde.referent, decisions={3: Action.METTRE_A_JOUR}) == 1

    imp = confirmer_et_executer(imp, monde.referent, django_capture_on_commit_callbacks)

    assert imp.statut == Import.Statut.TERMINE, imp.erreur
    assert (imp.crees, imp.mis_a_jour, imp.ignores) == (2, 1, 1)
    assert nombre_de_structures() == avant + 2
    existant.refresh_from_db()
    assert existant.commune == "Après"
    assert imp.progression == 100 and imp.confirme_par == monde.referent
    # Rapport final : la décision est gardée sur la ligne du doublon.
    assert imp.lignes.get(numero=3).action_retenue == Action.METTRE_A_JOUR
    etapes = list(
        Evenement.objects.filter(object_id=imp.pk, content_type__model="import")
        .order_by("pk")
        .values_list("details__etape", flat=True)
    )
    assert etapes == ["dépôt et essai à blanc", "confirmation", "import terminé"]


def test_erreur_a_la_derniere_ligne_a_l_ecriture_rien_n_est_ecrit(
    monde, genre_essai, eager, django_capture_on_commit_callbacks
):
    avant = nombre_de_structures()
    lignes = [f"NOM{i};Prénom;01/02/1980;;Ici" for i in range(20)] + ["DERNIER;X;01/02/1980;;PANNE"]
    imp = deposer(monde.referent, monde.s1, csv_de(*lignes))
    assert imp.nb_creations == 21 and not services.bloquants(imp)

    imp = confirmer_et_executer(imp, monde.referent, django_capture_on_commit_callbacks)

    assert imp.statut == Import.Statut.ECHEC
    assert imp.erreur == "Rien n'a été importé : ligne 22 : la commune « PANNE » est refusée."
    assert nombre_de_structures() == avant
    assert (imp.crees, imp.mis_a_jour) == (0, 0)


def test_erreur_interne_a_l_ecriture_rien_n_est_ecrit(
    monde, genre_essai, eager, django_capture_on_commit_callbacks
):
    avant = nombre_de_structures()
    imp = deposer(
        monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici", "DEUX;B;01/02/1980;;BOGUE")
    )
    imp = confirmer_et_executer(imp, monde.referent, django_capture_on_commit_callbacks)
    assert imp.statut == Import.Statut.ECHEC
    assert "erreur interne (IntegrityError)" in imp.erreur
    assert nombre_de_structures() == avant


def test_donnees_changees_depuis_l_apercu_rien_n_est_ecrit(
    monde, genre_essai, eager, django_capture_on_commit_callbacks
):
    imp = deposer(
        monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici", "DERNIER;Z;01/02/1980;;Là")
    )
    assert imp.nb_creations == 2
    # Entre l'aperçu et la confirmation, quelqu'un crée l'existant de la dernière ligne.
    f.StructureFactory(nom="DERNIER Z", territoire=monde.d1)
    avant = nombre_de_structures()

    imp = confirmer_et_executer(imp, monde.referent, django_capture_on_commit_callbacks)

    assert imp.statut == Import.Statut.ECHEC
    assert imp.erreur.startswith("Rien n'a été importé : les données ont changé depuis l'essai")
    assert "ligne 3 : doublon apparu depuis l'essai à blanc (DERNIER Z), à trancher" in imp.erreur
    assert nombre_de_structures() == avant
    # Le rapport montre la nouvelle analyse ; reprendre l'essai à blanc permet de trancher.
    assert imp.lignes.get(numero=3).action == Action.DOUBLON
    imp = services.reprendre(imp, par=monde.referent)
    assert imp.statut == Import.Statut.ESSAI and imp.nb_doublons == 1
    services.trancher(imp, par=monde.referent, decisions={}, pour_tous=Action.IGNORER)
    imp = confirmer_et_executer(imp, monde.referent, django_capture_on_commit_callbacks)
    assert imp.statut == Import.Statut.TERMINE
    assert (imp.crees, imp.ignores) == (1, 1)
    assert nombre_de_structures() == avant + 1


def test_decision_gardee_si_le_meme_existant_est_retrouve(monde, genre_essai):
    f.StructureFactory(nom="MARTIN Léa", territoire=monde.d1)
    imp = deposer(monde.referent, monde.s1, csv_de("MARTIN;Léa;12/03/1985;;Ici"))
    services.trancher(imp, par=monde.referent, decisions={2: Action.CREER})
    services.analyser(imp, par=monde.referent)
    assert imp.lignes.get().decision == Action.CREER
    # Décision forgée ou sur une ligne qui n'est pas un doublon : sans effet.
    assert services.trancher(imp, par=monde.referent, decisions={2: "supprimer"}) == 0
    assert services.trancher(imp, par=monde.referent, decisions={99: Action.CREER}) == 0


def test_import_deja_confirme_ne_se_modifie_plus(monde, genre_essai, monkeypatch):
    monkeypatch.setattr(services, "expedier", lambda imp: True)
    imp = deposer(monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici"))
    services.confirmer(imp, par=monde.referent)
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.EN_ATTENTE
    with pytest.raises(ValidationError, match="ne se modifie plus"):
        services.confirmer(imp, par=monde.referent)
    with pytest.raises(ValidationError, match="ne se modifie plus"):
        services.trancher(imp, par=monde.referent, decisions={})
    with pytest.raises(ValidationError):
        services.abandonner(imp, par=monde.referent)


def test_abandon_efface_fichier_et_rapport(
    monde, genre_essai, stockage_prive, django_capture_on_commit_callbacks
):
    imp = deposer(monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici"))
    chemin = stockage_prive / imp.fichier.name
    assert chemin.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.abandonner(imp, par=monde.referent)
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.ABANDONNE
    assert not imp.fichier and not chemin.exists()
    assert not LigneImport.objects.filter(import_fichier=imp).exists()
    assert imp.nb_lignes == 1  # l'historique garde les compteurs


# --- File, tâche, surveillance ------------------------------------------------------------------


def test_courtier_injoignable_import_en_attente_puis_relance(
    monde, genre_essai, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "taches_sur_place", lambda: False)
    monkeypatch.setattr(services, "courtier_joignable", lambda: False)
    imp = deposer(monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici"))
    with django_capture_on_commit_callbacks(execute=True):
        imp = services.confirmer(imp, par=monde.referent)
    assert imp.expedie is False
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.EN_ATTENTE and imp.expedie_le is None
    assert imp.etape == services.FILE_INDISPONIBLE[:200]

    envoyes = []
    monkeypatch.setattr(services, "courtier_joignable", lambda: True)
    from imports import tasks

    monkeypatch.setattr(
        tasks.importer,
        "apply_async",
        lambda args, task_id, retry: envoyes.append((args, task_id)),
    )
    ancienne = imp.tache_id
    with django_capture_on_commit_callbacks(execute=True):
        relance = services.reprendre(imp, par=monde.referent)
    assert relance.expedie is True
    imp.refresh_from_db()
    assert envoyes == [([imp.pk], imp.tache_id)] and imp.tache_id != ancienne
    assert imp.expedie_le is not None


def test_message_perime_ignore_et_import_termine_pas_rejoue(
    monde, genre_essai, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "expedier", lambda imp: True)
    imp = deposer(monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici"))
    services.confirmer(imp, par=monde.referent)
    imp.refresh_from_db()
    avant = nombre_de_structures()
    services.executer(imp.pk, tache_id="ancienne-tache")
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.EN_ATTENTE and nombre_de_structures() == avant
    services.executer(imp.pk, tache_id=imp.tache_id)
    services.executer(imp.pk, tache_id=imp.tache_id)  # redélivrance après succès
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.TERMINE and nombre_de_structures() == avant + 1


def test_progression_publiee_pendant_l_ecriture(monde, genre_essai, monkeypatch):
    monkeypatch.setattr(services, "expedier", lambda imp: True)
    imp = deposer(
        monde.referent,
        monde.s1,
        csv_de(*[f"NOM{i};A;01/02/1980;;Ici" for i in range(300)]),
    )
    services.confirmer(imp, par=monde.referent)
    imp.refresh_from_db()
    publiees = []
    horloge = iter(range(0, 10_000))
    monkeypatch.setattr(services.time, "monotonic", lambda: next(horloge))
    services.executer(imp.pk, tache_id=imp.tache_id, publier=publiees.append)
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.TERMINE
    pourcents = [p["progression"] for p in publiees]
    assert pourcents == sorted(pourcents) and pourcents[0] >= 25 and pourcents[-1] == 95
    assert publiees[-1] == {
        "progression": 95,
        "etape": "Écriture des lignes",
        "faites": 300,
        "total": 300,
    }


def test_une_panne_du_backend_n_arrete_pas_l_import(monde, genre_essai, monkeypatch):
    monkeypatch.setattr(services, "expedier", lambda imp: True)
    imp = deposer(monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici", "DEUX;B;01/02/1980;;"))
    services.confirmer(imp, par=monde.referent)
    imp.refresh_from_db()
    appels = []

    def publier(meta):
        appels.append(meta)
        raise ConnectionError("Redis injoignable")

    services.executer(imp.pk, tache_id=imp.tache_id, publier=publier)
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.TERMINE and len(appels) == 1


def test_habilitation_perdue_avant_l_execution(monde, genre_essai, monkeypatch):
    monkeypatch.setattr(services, "expedier", lambda imp: True)
    imp = deposer(monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici"))
    services.confirmer(imp, par=monde.referent)
    imp.refresh_from_db()
    monde.referent.habilitations.update(date_fin=timezone.localdate() - dt.timedelta(days=1))
    avant = nombre_de_structures()
    services.executer(imp.pk, tache_id=imp.tache_id)
    imp.refresh_from_db()
    assert imp.statut == Import.Statut.ECHEC
    assert "ne permet pas d'importer vers cette structure" in imp.erreur
    assert nombre_de_structures() == avant


def test_imports_bloques_en_echec_et_non_recus_renvoyes(
    monde, genre_essai, monkeypatch, django_capture_on_commit_callbacks
):
    envoyes = []
    monkeypatch.setattr(services, "expedier", lambda imp: envoyes.append(imp.pk))
    bloque = deposer(monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici"))
    non_recu = deposer(monde.referent, monde.s1, csv_de("DEUX;A;01/02/1980;;Ici"))
    longtemps = timezone.now() - dt.timedelta(days=1)
    Import.objects.filter(pk=bloque.pk).update(
        statut=Import.Statut.EN_COURS, commence_le=longtemps, tache_id="t1"
    )
    Import.objects.filter(pk=non_recu.pk).update(
        statut=Import.Statut.EN_ATTENTE, modifie_le=longtemps, tache_id="t2"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.verifier_imports_bloques() == {"interrompus": 1, "renvoyes": 1}
    bloque.refresh_from_db()
    assert bloque.statut == Import.Statut.ECHEC and bloque.erreur == services.INTERROMPU
    assert envoyes == [non_recu.pk]


def test_genre_retire_du_registre(monde, genre_essai, monkeypatch):
    imp = deposer(monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici"))
    monkeypatch.setattr(registre, "GENRES", {}, raising=False)
    with pytest.raises(services.ImportImpossible, match="n'existe plus"):
        services.analyser(imp, par=monde.referent)


def test_fichier_efface_du_disque(monde, genre_essai, stockage_prive):
    imp = deposer(monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici"))
    (stockage_prive / imp.fichier.name).unlink()
    with pytest.raises(services.ImportImpossible, match="introuvable"):
        services.relire(imp)


def test_fichier_trop_gros_refuse_avant_lecture(settings):
    settings.IMPORT_TAILLE_MAX = 10
    with pytest.raises(lecture.FichierRefuse, match="la taille maximale est de 10 octets"):
        services.lire_depot(fichier(b"x" * 11))


def test_nom_d_origine_sans_chemin_ni_controle():
    assert services.nom_d_origine("C:\\Users\\moi\\Ménages 2025.xlsx") == "Ménages 2025.xlsx"
    assert services.nom_d_origine("../../etc/pa\r\nss\x00wd.csv") == "passwd.csv"
    assert services.nom_d_origine("\n") == "fichier"


def test_referent_sans_habilitation_active_n_a_aucun_ressort(monde):
    ancien = f.utilisateur(Role.REFERENT, structure=monde.s1, username="ancien")
    ancien.habilitations.update(
        date_debut=timezone.localdate() - dt.timedelta(days=30),
        date_fin=timezone.localdate() - dt.timedelta(days=1),
    )
    assert not droits_imports(ancien).peut_importer


def test_csv_modele_se_reimporte(monde, genre_essai):
    from imports import modeles

    contenu = modeles.reponse(genre_essai, "csv").content
    imp = deposer(monde.referent, monde.s1, contenu, nom="modele.csv")
    assert imp.nb_lignes == 1 and imp.nb_creations == 1, list(imp.lignes.values())
    xlsx = io.BytesIO(modeles.classeur(genre_essai))
    imp = deposer(monde.referent, monde.s1, xlsx.getvalue(), nom="modele.xlsx")
    assert imp.nb_lignes == 1 and imp.nb_creations == 1, list(imp.lignes.values())


def test_fichiers_et_rapports_purges_apres_la_duree_de_conservation(
    monde, genre_essai, settings, stockage_prive, django_capture_on_commit_callbacks, monkeypatch
):
    settings.IMPORT_CONSERVATION_JOURS = 30
    monkeypatch.setattr(services, "expedier", lambda imp: True)
    ancien = deposer(monde.referent, monde.s1, csv_de("UN;A;01/02/1980;;Ici"))
    en_attente = deposer(monde.referent, monde.s1, csv_de("DEUX;A;01/02/1980;;Ici"))
    services.confirmer(en_attente, par=monde.referent)
    recent = deposer(monde.referent, monde.s1, csv_de("TROIS;A;01/02/1980;;Ici"))
    il_y_a_un_an = timezone.now() - dt.timedelta(days=365)
    Import.objects.filter(pk__in=[ancien.pk, en_attente.pk]).update(cree_le=il_y_a_un_an)
    chemin = stockage_prive / ancien.fichier.name

    with django_capture_on_commit_callbacks(execute=True):
        assert services.purger_fichiers() == 1
    ancien.refresh_from_db()
    assert not ancien.fichier and not chemin.exists()
    assert not ancien.lignes.exists() and ancien.nb_lignes == 1 and "purge_le" in ancien.details
    assert en_attente.lignes.exists() and recent.lignes.exists()
    assert services.purger_fichiers() == 0
    assert Evenement.objects.filter(details__imports_purges=1).exists()


# --- Un vrai worker -----------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_un_vrai_worker_importe_et_publie_sa_progression(monde, lancer_worker):  # noqa: F811
    """Redis, PostgreSQL et un worker Celery : le genre « ménages » réel (le worker n'a pas le
    genre factice), l'envoi à la file après la validation, la progression publiée par le
    backend de résultats pendant la transaction d'écriture."""
    from celery.result import AsyncResult

    from logement.celery import app
    from menages.models import Menage

    from .test_bilans_worker import attendre

    genre = services.genre_ou_none("menages")
    if genre is None:
        pytest.skip("le genre « menages » n'est pas encore dans le registre")
    _, journal, _ = lancer_worker()
    contenu = csv_de(
        "BANC-1;EPCI A1;Demandeur principal;FICTIF;Camille;02/03/1981",
        "BANC-2;EPCI A2;Demandeur principal;IMAGINAIRE;Dominique;04/05/1990",
        entetes="Référence;EPCI;Rôle dans le ménage;Nom;Prénom;Date de naissance",
    )
    octets, tableau = services.lire_depot(fichier(contenu))
    imp = services.deposer(
        par=monde.agent,
        genre=genre,
        structure=monde.s1,
        nom="menages.csv",
        contenu=octets,
        tableau=tableau,
        rapprochements=services.rapprochements_pour(genre, monde.s1, tableau),
    )
    assert (imp.nb_creations, imp.nb_erreurs) == (2, 0), list(imp.lignes.values("erreurs"))
    avant = Menage.objects.count()

    imp = services.confirmer(imp, par=monde.agent)  # sans transaction englobante : envoyé
    assert imp.expedie is True

    def fini():
        imp.refresh_from_db()
        return imp.statut in (Import.Statut.TERMINE, Import.Statut.ECHEC)

    attendre(fini, journal, "l'import n'est pas terminé")
    assert imp.statut == Import.Statut.TERMINE, imp.erreur
    assert (imp.crees, Menage.objects.count()) == (2, avant + 2)
    # Dernier état publié par la tâche (le résultat final n'est pas gardé : ignore_result).
    publie = AsyncResult(imp.tache_id, app=app)
    assert publie.state == "PROGRESS"
    assert 25 <= publie.info["progression"] <= 95
    assert publie.info["etape"] == "Écriture des lignes"
    # La page de suivi le lit pour un import en cours.
    Import.objects.filter(pk=imp.pk).update(statut=Import.Statut.EN_COURS)
    imp.refresh_from_db()
    assert services.progression_publiee(imp)["total"] == 2
