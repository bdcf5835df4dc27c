"""Écritures en plusieurs étapes : tout ou rien, et effets de bord attendus."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accompagnement import services as acc
from accompagnement.models import Mesure, MotifFin, TypeMesure
from logement.models import Role
from menages.models import Menage, Personne, SituationResidentielle, TypeSituation
from menages.services import changer_situation, creer_menage

from . import factories as f

pytestmark = pytest.mark.django_db
J = dt.date(2025, 3, 3)


def test_creer_menage_avec_ses_membres_et_sa_situation():
    epci = f.EpciFactory()
    menage = creer_menage(
        territoire=epci,
        par=f.UserFactory(),
        situation=TypeSituation.objects.get(code="chrs"),
        date_situation=J,
        personnes=[
            {"nom": "Fictif", "prenom": "Sam", "role": Personne.Role.DEMANDEUR},
            {
                "nom": "Fictif",
                "prenom": "Lou",
                "role": Personne.Role.ENFANT,
                "date_naissance": dt.date(2019, 1, 1),
            },
        ],
    )
    assert menage.reference.startswith("M")
    assert menage.personnes.count() == 2
    assert SituationResidentielle.objects.filter(personne__menage=menage).count() == 2


def test_creer_menage_invalide_necrit_rien():
    epci = f.EpciFactory()
    with pytest.raises(ValidationError):
        creer_menage(
            territoire=epci,
            par=None,
            personnes=[
                {"nom": "Fictif", "prenom": "Sam", "role": Personne.Role.DEMANDEUR},
                {
                    "nom": "Fictif",
                    "prenom": "Lou",
                    "role": Personne.Role.ENFANT,
                    "date_naissance": dt.date(2999, 1, 1),
                },
            ],
        )
    assert not Menage.objects.exists()
    assert not Personne.objects.exists()


def test_creer_menage_sans_demandeur_refuse():
    with pytest.raises(ValidationError, match="demandeur principal"):
        creer_menage(
            territoire=f.EpciFactory(),
            par=None,
            personnes=[{"nom": "X", "prenom": "Y", "role": Personne.Role.ENFANT}],
        )


def test_changer_situation_clot_la_precedente_la_veille():
    situation = f.SituationFactory(date_debut=J)
    hotel = TypeSituation.objects.get(code="hotel")
    changer_situation([situation.personne], type=hotel, date=J + dt.timedelta(days=20))
    situation.refresh_from_db()
    assert situation.date_fin == J + dt.timedelta(days=19)
    with pytest.raises(ValidationError, match="doit commencer après"):
        changer_situation([situation.personne], type=hotel, date=J)


def test_ouvrir_mesure_calcule_la_fin_prevue_et_rattache_la_convention():
    menage = f.MenageFactory()
    structure = f.StructureFactory()
    referent = f.utilisateur(Role.REFERENT, structure=structure)
    convention = f.ConventionFactory(structure=structure, annee=J.year)
    mesure = acc.ouvrir_mesure(
        menage=menage,
        type_mesure=TypeMesure.objects.get(code="asrl"),
        structure=structure,
        referent=referent,
        date_proposition=J,
        date_debut=J,
    )
    assert mesure.statut == Mesure.Statut.EN_COURS
    assert mesure.date_fin_prevue == dt.date(2026, 3, 3)  # 12 mois par défaut
    assert mesure.convention == convention
    assert mesure.territoire == menage.territoire


def test_ouvrir_une_deuxieme_mesure_du_meme_type_refuse():
    mesure = f.MesureFactory()
    with pytest.raises(ValidationError, match="déjà une mesure ouverte"):
        acc.ouvrir_mesure(
            menage=mesure.menage,
            type_mesure=mesure.type,
            structure=mesure.structure,
            date_proposition=J,
        )


def test_renouveler_puis_terminer_par_un_acces_au_logement():
    mesure = f.MesureFactory(date_proposition=J, date_debut=J, date_fin_prevue=J.replace(year=2026))
    f.SituationFactory(personne=mesure.menage.personnes.get(), date_debut=dt.date(2024, 1, 1))
    acc.renouveler_mesure(
        mesure,
        nouvelle_fin_prevue=dt.date(2026, 9, 1),
        date_decision=dt.date(2026, 2, 1),
        motif="Relogement en cours",
    )
    mesure.refresh_from_db()
    assert mesure.date_fin_prevue == dt.date(2026, 9, 1)

    entree = dt.date(2026, 4, 15)
    acc.terminer_mesure(
        mesure,
        motif=MotifFin.objects.get(code="acces_logement"),
        date_fin=dt.date(2026, 5, 1),
        destination=Mesure.Destination.LOGEMENT_SOCIAL,
        date_entree_logement=entree,
    )
    mesure.refresh_from_db()
    assert mesure.statut == Mesure.Statut.TERMINEE
    actuelle = SituationResidentielle.objects.get(
        personne__menage=mesure.menage, date_fin__isnull=True
    )
    assert actuelle.type.code == "logement_social"
    assert actuelle.date_debut == entree
    with pytest.raises(ValidationError, match="déjà terminée"):
        acc.terminer_mesure(mesure, motif=MotifFin.objects.get(code="deces"), date_fin=entree)


def test_terminer_sans_date_dentree_ne_touche_pas_au_parcours():
    mesure = f.MesureFactory()
    situation = f.SituationFactory(personne=mesure.menage.personnes.get())
    with pytest.raises(ValidationError):
        acc.terminer_mesure(
            mesure, motif=MotifFin.objects.get(code="acces_logement"), date_fin=dt.date.today()
        )
    mesure.refresh_from_db()
    situation.refresh_from_db()
    assert mesure.statut == Mesure.Statut.EN_COURS
    assert situation.date_fin is None


def test_rencontre_met_a_jour_le_dernier_contact_sans_le_faire_reculer():
    menage = f.MenageFactory()
    structure = f.StructureFactory()
    auteur = f.utilisateur(Role.REFERENT, structure=structure)
    for jour in (dt.date(2025, 5, 10), dt.date(2025, 4, 1)):
        acc.enregistrer_rencontre(
            menage=menage,
            auteur=auteur,
            structure=structure,
            date=jour,
            type="entretien",
            duree_minutes=30,
        )
    menage.refresh_from_db()
    assert menage.date_dernier_contact == dt.date(2025, 5, 10)


def test_rencontre_dans_le_futur_refusee():
    structure = f.StructureFactory()
    with pytest.raises(ValidationError, match="futur"):
        acc.enregistrer_rencontre(
            menage=f.MenageFactory(),
            auteur=f.UserFactory(),
            structure=structure,
            date=dt.date.today() + dt.timedelta(days=1),
            type="entretien",
            duree_minutes=30,
        )
