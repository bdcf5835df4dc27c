"""Invariants du modèle : contraintes en base et messages français de clean()."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accompagnement.models import (
    AideFinanciere,
    Enveloppe,
    Financeur,
    Mesure,
    MotifFin,
    Renouvellement,
    TypeMesure,
)
from attributions.models import DecisionCaleol, Proposition
from logement.models import Habilitation, Role, Territoire
from menages.models import (
    EtapeProcedure,
    Menage,
    Personne,
    ProcedureExpulsion,
    Ressource,
    SituationResidentielle,
    TypeRessource,
    TypeSituation,
)

from . import factories as f

pytestmark = pytest.mark.django_db
J = dt.date(2025, 6, 2)


def messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def refus_en_base(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_reference_du_menage_generee_et_unique():
    m1, m2 = f.MenageFactory(), f.MenageFactory()
    assert m1.reference == Menage.reference_pour(m1.pk)
    assert m1.reference != m2.reference
    assert Menage.objects.get(pk=m1.pk).reference == m1.reference


def test_nur_unique():
    f.MenageFactory(nur="062123456789", nur_date_depot=J)
    doublon = f.MenageFactory.build(
        territoire=f.EpciFactory(), nur="062123456789", nur_date_depot=J
    )
    with pytest.raises(ValidationError) as exc:
        doublon.full_clean(exclude=["reference"])
    assert exc.value.message_dict["nur"] == ["Un ménage porte déjà ce NUR."]
    refus_en_base(lambda: f.MenageFactory(nur="062123456789", nur_date_depot=J))


def test_nur_vide_ne_compte_pas_comme_doublon():
    f.MenageFactory(nur="")
    f.MenageFactory(nur="")
    assert Menage.objects.filter(nur__isnull=True).count() == 2


def test_nur_sans_depot_et_echeance_avant_depot_refuses():
    menage = f.MenageFactory.build(territoire=f.EpciFactory(), nur="062000000001")
    with pytest.raises(ValidationError, match="date de dépôt"):
        menage.full_clean(exclude=["reference"])
    refus_en_base(
        lambda: f.MenageFactory(
            nur="062000000002", nur_date_depot=J, nur_date_renouvellement=J - dt.timedelta(1)
        )
    )


def test_un_seul_demandeur_par_menage():
    menage = f.MenageFactory()
    refus_en_base(lambda: f.PersonneFactory(menage=menage, role=Personne.Role.DEMANDEUR))


def test_date_de_naissance_future_refusee():
    personne = f.PersonneFactory.build(
        menage=f.MenageFactory(), date_naissance=dt.date.today() + dt.timedelta(days=2)
    )
    with pytest.raises(ValidationError, match="dans le futur"):
        personne.full_clean()


def test_nom_normalise_sans_accents_ni_casse():
    personne = f.PersonneFactory(nom="Lefèvre-Œuvrard", prenom="Élodie")
    assert personne.nom_normalise == "lefevre-oeuvrard elodie"


def test_ressource_negative_refusee():
    menage = f.MenageFactory()
    rsa = TypeRessource.objects.get(code="rsa")
    ressource = Ressource(menage=menage, type=rsa, montant_mensuel=Decimal("-10"))
    with pytest.raises(ValidationError, match="négatif"):
        ressource.full_clean()
    refus_en_base(lambda: Ressource.objects.create(menage=menage, type=rsa, montant_mensuel=-1))


def test_situations_ne_se_chevauchent_pas():
    situation = f.SituationFactory(date_debut=J, date_fin=J + dt.timedelta(days=30))
    chevauchante = SituationResidentielle(
        personne=situation.personne,
        type=TypeSituation.objects.get(code="hotel"),
        date_debut=J + dt.timedelta(days=10),
    )
    with pytest.raises(ValidationError, match="chevauche"):
        chevauchante.full_clean()


def test_une_seule_situation_en_cours_par_personne():
    situation = f.SituationFactory(date_debut=J)
    refus_en_base(
        lambda: f.SituationFactory(personne=situation.personne, date_debut=J + dt.timedelta(9))
    )


def test_une_seule_mesure_ouverte_du_meme_type_par_menage():
    mesure = f.MesureFactory()
    doublon = Mesure(
        menage=mesure.menage,
        type=mesure.type,
        territoire=mesure.territoire,
        structure=mesure.structure,
        date_proposition=J,
    )
    with pytest.raises(ValidationError, match="déjà une mesure ouverte de ce type"):
        doublon.full_clean()
    refus_en_base(lambda: f.MesureFactory(menage=mesure.menage, structure=mesure.structure))


def test_une_mesure_terminee_peut_etre_suivie_dune_autre_du_meme_type():
    mesure = f.MesureFactory(
        statut=Mesure.Statut.TERMINEE,
        date_fin=dt.date.today(),
        motif_fin=MotifFin.objects.get(code="objectifs_atteints"),
    )
    f.MesureFactory(menage=mesure.menage, type=mesure.type)
    assert mesure.menage.mesures.count() == 2


def test_dates_de_mesure_ordonnees():
    refus_en_base(lambda: f.MesureFactory(date_proposition=J, date_debut=J - dt.timedelta(1)))
    refus_en_base(lambda: f.MesureFactory(date_debut=J, date_fin_prevue=J - dt.timedelta(1)))
    mesure = f.MesureFactory.build(
        menage=f.MenageFactory(),
        structure=f.StructureFactory(),
        territoire=f.EpciFactory(),
        date_proposition=J,
        date_debut=J + dt.timedelta(10),
        date_fin_prevue=J,
    )
    with pytest.raises(ValidationError) as exc:
        mesure.full_clean()
    assert exc.value.message_dict["date_fin_prevue"] == ["La fin prévue précède le début."]


def test_mesure_terminee_exige_date_et_motif():
    refus_en_base(lambda: f.MesureFactory(statut=Mesure.Statut.TERMINEE))
    refus_en_base(lambda: f.MesureFactory(date_fin=dt.date.today()))


def test_acces_au_logement_exige_destination_et_date_dentree():
    mesure = f.MesureFactory()
    mesure.statut = Mesure.Statut.TERMINEE
    mesure.date_fin = dt.date.today()
    mesure.motif_fin = MotifFin.objects.get(code="acces_logement")
    with pytest.raises(ValidationError) as exc:
        mesure.full_clean()
    assert set(exc.value.message_dict) == {"destination", "date_entree_logement"}


def test_aml_ne_se_cumule_pas_avec_une_autre_mesure_fsl():
    asll = f.MesureFactory(type=TypeMesure.objects.get(code="asll"))
    aml = Mesure(
        menage=asll.menage,
        type=TypeMesure.objects.get(code="aml"),
        territoire=asll.territoire,
        structure=asll.structure,
        date_proposition=J,
    )
    with pytest.raises(ValidationError, match="ne se cumule pas"):
        aml.full_clean()
    # Une mesure d'État (ASRL) reste cumulable avec l'ASLL.
    f.MesureFactory(menage=asll.menage, type=TypeMesure.objects.get(code="asrl")).full_clean()


def test_referent_doit_etre_habilite_dans_la_structure():
    mesure = f.MesureFactory()
    mesure.referent = f.utilisateur(Role.REFERENT, structure=f.StructureFactory())
    with pytest.raises(ValidationError, match="pas habilité dans la structure"):
        mesure.full_clean()
    mesure.referent = f.utilisateur(Role.REFERENT, structure=mesure.structure)
    mesure.full_clean()


def test_convention_doit_financer_la_mesure():
    mesure = f.MesureFactory()
    mesure.convention = f.ConventionFactory()  # autre structure
    with pytest.raises(ValidationError, match="ne finance pas"):
        mesure.full_clean()
    mesure.convention = f.ConventionFactory(structure=mesure.structure, annee=2001)
    with pytest.raises(ValidationError, match="pas active pendant l'année 2001"):
        mesure.full_clean()


def test_renouvellement_plafonne_par_la_duree_maximale():
    mesure = f.MesureFactory(
        type=TypeMesure.objects.get(code="asll"),  # 18 mois au plus
        date_proposition=J,
        date_debut=J,
        date_fin_prevue=J + dt.timedelta(days=180),
    )
    trop_long = Renouvellement(
        mesure=mesure,
        date_decision=J + dt.timedelta(days=170),
        ancienne_fin_prevue=mesure.date_fin_prevue,
        nouvelle_fin_prevue=dt.date(2027, 1, 1),
    )
    with pytest.raises(ValidationError, match="durée maximale .* 18 mois"):
        trop_long.full_clean()
    refus_en_base(
        lambda: Renouvellement.objects.create(
            mesure=mesure, date_decision=J, ancienne_fin_prevue=J, nouvelle_fin_prevue=J
        )
    )


def test_une_attribution_ne_compte_qua_la_signature_du_bail():
    f.PropositionFactory()
    signee = f.PropositionFactory(bail=True)
    attribuee_sans_bail = f.PropositionFactory(
        date_caleol=J, date_proposition=J, decision=DecisionCaleol.objects.get(code="rang_1")
    )
    assert list(Proposition.objects.attributions()) == [signee]
    assert attribuee_sans_bail.etape == Proposition.Etape.DECISION_CALEOL
    assert signee.etape == Proposition.Etape.BAIL


def test_bail_sans_acceptation_du_menage_refuse():
    refus_en_base(
        lambda: f.PropositionFactory(
            date_proposition=J,
            date_caleol=J,
            decision=DecisionCaleol.objects.get(code="rang_1"),
            date_signature_bail=J,
        )
    )
    proposition = f.PropositionFactory.build(
        menage=f.MenageFactory(),
        logement=f.LogementFactory(),
        date_proposition=J,
        date_caleol=J,
        decision=DecisionCaleol.objects.get(code="non_attribution"),
        reponse=Proposition.Reponse.ACCEPTATION,
        date_reponse=J,
        date_signature_bail=J,
    )
    with pytest.raises(ValidationError) as exc:
        proposition.full_clean()
    assert exc.value.message_dict["date_signature_bail"] == [
        "Un bail suppose une attribution par la CALEOL."
    ]
    assert "motif_decision" in exc.value.message_dict


def test_deux_baux_en_attente_sur_le_meme_logement_refuses():
    premiere = f.PropositionFactory(bail=True)
    refus_en_base(lambda: f.PropositionFactory(bail=True, logement=premiere.logement))


def test_code_officiel_du_territoire_verifie():
    epci = Territoire(niveau="epci", code="12AB", nom="X", parent=f.DepartementFactory())
    with pytest.raises(ValidationError, match="SIREN à 9 chiffres"):
        epci.full_clean()
    refus_en_base(
        lambda: Territoire.objects.create(niveau="epci", code="200000999", nom="Orphelin")
    )


def test_habilitation_exige_structure_ou_territoire_selon_le_role():
    user = f.UserFactory()
    with pytest.raises(ValidationError, match="structure"):
        Habilitation(user=user, role=Role.REFERENT).full_clean()
    with pytest.raises(ValidationError, match="Département"):
        Habilitation(
            user=user, role=Role.AGENT_DEPARTEMENTAL, territoire=f.EpciFactory()
        ).full_clean()
    refus_en_base(lambda: Habilitation.objects.create(user=user, role=Role.COORDINATEUR))


def test_un_role_termine_peut_etre_redonne_mais_pas_en_double():
    user, structure = f.UserFactory(), f.StructureFactory()
    premiere = Habilitation.objects.create(
        user=user, role=Role.REFERENT, structure=structure, date_debut=dt.date(2024, 1, 1)
    )
    refus_en_base(
        lambda: Habilitation.objects.create(user=user, role=Role.REFERENT, structure=structure)
    )
    premiere.date_fin = dt.date(2024, 6, 30)
    premiere.save()
    # L'historique garde la première ; la seconde, ouverte, est admise.
    Habilitation.objects.create(
        user=user, role=Role.REFERENT, structure=structure, date_debut=dt.date(2025, 1, 1)
    )
    assert Habilitation.objects.filter(user=user).count() == 2


def test_pas_dexpulsion_pendant_la_treve_hivernale():
    procedure = ProcedureExpulsion.objects.create(
        menage=f.MenageFactory(), date_signalement=dt.date(2024, 1, 10), montant_dette=3200
    )
    etape = EtapeProcedure(
        procedure=procedure, etape=EtapeProcedure.Etape.EXPULSION, date=dt.date(2024, 12, 5)
    )
    with pytest.raises(ValidationError, match="trêve hivernale"):
        etape.full_clean()


def test_etapes_de_procedure_dans_lordre_legal():
    procedure = ProcedureExpulsion.objects.create(
        menage=f.MenageFactory(), date_signalement=dt.date(2024, 1, 10)
    )
    EtapeProcedure.objects.create(
        procedure=procedure, etape=EtapeProcedure.Etape.JUGEMENT, date=dt.date(2024, 6, 1)
    )
    assignation_tardive = EtapeProcedure(
        procedure=procedure, etape=EtapeProcedure.Etape.ASSIGNATION, date=dt.date(2024, 7, 1)
    )
    with pytest.raises(ValidationError, match="ultérieure"):
        assignation_tardive.full_clean()


def test_procedure_close_exige_issue_et_date():
    refus_en_base(
        lambda: ProcedureExpulsion.objects.create(
            menage=f.MenageFactory(), date_signalement=J, issue="maintien"
        )
    )


def test_aide_refusee_au_dela_de_lenveloppe():
    menage = f.MenageFactory()
    enveloppe = Enveloppe.objects.create(
        libelle="Adaptation",
        financeur=Financeur.DEPARTEMENT,
        territoire=menage.territoire.parent,
        annee=2025,
        montant=1000,
    )
    AideFinanciere.objects.create(
        menage=menage,
        enveloppe=enveloppe,
        nature="adaptation",
        montant=800,
        date_demande=J,
        decision="accordee",
        date_decision=J,
    )
    aide = AideFinanciere(
        menage=menage,
        enveloppe=enveloppe,
        nature="adaptation",
        montant=300,
        date_demande=J,
        decision="accordee",
        date_decision=J,
    )
    with pytest.raises(ValidationError, match="n'a plus que 200"):
        aide.full_clean()
