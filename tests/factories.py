"""Fabriques factory-boy : données fictives, cohérentes, minimales pour chaque test."""

import datetime as dt

import factory
from django.utils import timezone

from accompagnement.models import (
    Convention,
    Financeur,
    Mesure,
    Orientation,
    OrigineOrientation,
    Rencontre,
    TypeMesure,
)
from attributions.models import Contingent, DecisionCaleol, Logement, Proposition
from logement.models import Habilitation, Role, Structure, Territoire, User
from menages.models import Menage, Personne, SituationResidentielle, TypeSituation

AUJOURDHUI = timezone.localdate()


def reference(modele, code):
    """Ligne d'une table de référence chargée par les migrations."""
    return modele.objects.get(code=code)


class DepartementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territoire
        django_get_or_create = ("niveau", "code")

    niveau = Territoire.Niveau.DEPARTEMENT
    code = factory.Sequence(lambda n: f"{(n % 89) + 1:02d}")
    nom = factory.Sequence(lambda n: f"Département fictif {n}")


class EpciFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territoire

    niveau = Territoire.Niveau.EPCI
    code = factory.Sequence(lambda n: f"{200000000 + n}")
    nom = factory.Sequence(lambda n: f"Communauté fictive {n}")
    parent = factory.SubFactory(DepartementFactory)


class PlateformeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territoire
        skip_postgeneration_save = True

    niveau = Territoire.Niveau.PLATEFORME
    code = factory.Sequence(lambda n: f"PF{n}")
    nom = factory.Sequence(lambda n: f"Plateforme fictive {n}")
    parent = factory.SubFactory(DepartementFactory)

    @factory.post_generation
    def epcis(self, create, extracted, **kwargs):
        if create and extracted:
            self.perimetre.set(extracted)


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    nom = factory.Sequence(lambda n: f"Association fictive {n}")
    type = Structure.Type.CHRS
    territoire = factory.SubFactory(DepartementFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Agent{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@exemple.invalid")
    password = factory.django.Password("mot-de-passe-de-test-1")


class HabilitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Habilitation

    user = factory.SubFactory(UserFactory)
    role = Role.REFERENT
    date_debut = AUJOURDHUI - dt.timedelta(days=365)


def utilisateur(role, *, structure=None, territoire=None, **kwargs):
    """Un utilisateur avec une seule habilitation."""
    user = UserFactory(**kwargs)
    HabilitationFactory(user=user, role=role, structure=structure, territoire=territoire)
    return user


class MenageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Menage
        skip_postgeneration_save = True

    territoire = factory.SubFactory(EpciFactory)
    commune = "Valmont-sur-Fiction"

    @factory.post_generation
    def demandeur(self, create, extracted, **kwargs):
        if create and extracted is not False:
            PersonneFactory(menage=self, role=Personne.Role.DEMANDEUR, **kwargs)


class PersonneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Personne

    menage = factory.SubFactory(MenageFactory, demandeur=False)
    nom = factory.Sequence(lambda n: f"Fictif{n}")
    prenom = "Alex"
    date_naissance = dt.date(1985, 5, 17)
    sexe = Personne.Sexe.AUTRE
    role = Personne.Role.CONJOINT


class SituationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SituationResidentielle

    personne = factory.SubFactory(PersonneFactory)
    type = factory.LazyFunction(lambda: reference(TypeSituation, "rue"))
    date_debut = AUJOURDHUI - dt.timedelta(days=400)


class MesureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mesure

    menage = factory.SubFactory(MenageFactory)
    type = factory.LazyFunction(lambda: reference(TypeMesure, "asrl"))
    territoire = factory.SelfAttribute("menage.territoire")
    structure = factory.SubFactory(StructureFactory)
    statut = Mesure.Statut.EN_COURS
    date_proposition = AUJOURDHUI - dt.timedelta(days=120)
    date_debut = AUJOURDHUI - dt.timedelta(days=100)
    date_fin_prevue = AUJOURDHUI + dt.timedelta(days=265)


class OrientationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Orientation

    menage = factory.SubFactory(MenageFactory)
    plateforme = factory.SubFactory(PlateformeFactory)
    date_orientation = AUJOURDHUI - dt.timedelta(days=10)
    origine = factory.LazyFunction(lambda: reference(OrigineOrientation, "siao"))
    motif = "Sortie d'hébergement, projet de logement autonome."


class ConventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Convention

    financeur = Financeur.ETAT
    structure = factory.SubFactory(StructureFactory)
    type_mesure = factory.LazyFunction(lambda: reference(TypeMesure, "asrl"))
    territoire = factory.SelfAttribute("structure.territoire")
    annee = AUJOURDHUI.year
    nombre_mesures = 10
    budget = 50000


class RencontreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rencontre

    menage = factory.SubFactory(MenageFactory)
    date = AUJOURDHUI - dt.timedelta(days=3)
    type = Rencontre.Type.ENTRETIEN
    duree_minutes = 45
    note = "Note confidentielle de la structure."
    auteur = factory.SubFactory(UserFactory)
    structure = factory.SubFactory(StructureFactory)


class LogementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Logement

    reference = factory.Sequence(lambda n: f"LOG-{n:05d}")
    adresse = factory.Sequence(lambda n: f"{n} allée des Fictions")
    code_postal = "00100"
    commune = "Valmont-sur-Fiction"
    territoire = factory.SubFactory(EpciFactory)
    typologie = Logement.Typologie.T2
    surface = 45
    loyer = 380
    charges = 60
    type_bailleur = Logement.TypeBailleur.PRIVE
    captation = Logement.Captation.IML_MANDAT
    date_disponibilite = AUJOURDHUI - dt.timedelta(days=60)


class PropositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposition

    menage = factory.SubFactory(MenageFactory)
    logement = factory.SubFactory(
        LogementFactory, territoire=factory.SelfAttribute("..menage.territoire")
    )
    contingent = factory.LazyFunction(lambda: reference(Contingent, "prefectoral"))
    date_proposition = AUJOURDHUI - dt.timedelta(days=40)

    class Params:
        bail = factory.Trait(
            date_caleol=AUJOURDHUI - dt.timedelta(days=30),
            decision=factory.LazyFunction(lambda: reference(DecisionCaleol, "rang_1")),
            reponse=Proposition.Reponse.ACCEPTATION,
            date_reponse=AUJOURDHUI - dt.timedelta(days=25),
            date_signature_bail=AUJOURDHUI - dt.timedelta(days=20),
        )
