"""Sérialiseurs des ménages : liste légère, fiche complète, écritures validées par les modèles.

Les choix offerts (EPCI, ménages, personnes) sont bornés au périmètre de l'utilisateur, comme
dans les formulaires : un identifiant hors périmètre est une erreur sur son champ, jamais une
écriture. Les règles restent dans les modèles (`valider()`) et les services de `menages`.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accompagnement.models import Mesure
from logement.models import Territoire
from menages import selectors, services
from menages.concurrence import EditionConcurrente, prendre_la_main
from menages.forms import LIGNES_COMPOSITION_MAX
from menages.models import (
    Consentement,
    Menage,
    Personne,
    PublicPrioritaire,
    Ressource,
    SituationResidentielle,
    TypeRessource,
    TypeSituation,
)

from .base import Conflit, erreurs_drf, valider

ANONYMISE = "Ce ménage est anonymisé : ses données ne peuvent plus être modifiées."
DATE_FUTURE = "La date est dans le futur."


def conflit_de_version(menage_id: int, version_lue: int | None) -> Conflit:
    """409 : le ménage a été enregistré depuis la version lue par le client (verrou optimiste)."""
    actuel = Menage.objects.select_related("modifie_par").get(pk=menage_id)
    quand = timezone.localtime(actuel.modifie_le)
    auteur = f" par {actuel.modifie_par}" if actuel.modifie_par_id else ""
    return Conflit(
        f"Ce ménage a été modifié{auteur} le {quand:%d/%m/%Y à %H:%M} : sa version est "
        f"{actuel.version}, votre requête portait la version {version_lue}. Rien n'a été "
        "enregistré : relisez le ménage, puis renvoyez vos modifications avec sa version actuelle."
    )


def prendre_la_main_ou_409(menage, *, version_lue: int | None, par) -> None:
    """`prendre_la_main` (menages.concurrence) : une version périmée devient un 409."""
    try:
        prendre_la_main(menage, version_lue=version_lue, par=par)
    except EditionConcurrente:
        raise conflit_de_version(menage.pk, version_lue) from None


# --- Périmètre ----------------------------------------------------------------------------------


def menages_visibles(user):
    return Menage.objects.visible_to(user)


def personnes_visibles(user):
    if user.perimetre.tout:
        return Personne.objects.all()
    return Personne.objects.filter(menage__in=menages_visibles(user))


def _introuvable(quoi: str) -> dict:
    return {
        "does_not_exist": f"Objet introuvable : aucun {quoi} de votre périmètre ne porte "
        "l'identifiant {pk_value}.",
        "incorrect_type": "Identifiant invalide : un nombre entier est attendu.",
    }


def _code_inconnu(quoi: str) -> dict:
    return {
        "does_not_exist": f"Code inconnu : aucun {quoi} ne porte le code « {{value}} ».",
        "invalid": "Code invalide : une chaîne de caractères est attendue.",
    }


class Code(serializers.SlugRelatedField):
    """Une ligne d'un référentiel désignée par son code (`slug_field="code"`)."""

    def __init__(self, quoi: str, **kwargs):
        kwargs.setdefault("error_messages", _code_inconnu(quoi))
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data):
        # PostgreSQL refuse le caractère nul dans un texte : la requête échouerait (500).
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class _AvecUtilisateur:
    """Accès à l'utilisateur de la requête (absent pendant la génération du schéma)."""

    @property
    def utilisateur(self):
        user = getattr(self.context.get("request"), "user", None)
        return user if user is not None and user.is_authenticated else None


# --- Lecture : éléments de la fiche -------------------------------------------------------------


class SituationMembreSerializer(serializers.ModelSerializer):
    type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    type_libelle = serializers.CharField(
        source="type.libelle", read_only=True, help_text="Libellé de la situation."
    )
    categorie = serializers.CharField(
        source="type.categorie", read_only=True, help_text="Catégorie de la situation (bilans)."
    )

    class Meta:
        model = SituationResidentielle
        fields = [
            "id",
            "type",
            "type_libelle",
            "categorie",
            "date_debut",
            "date_fin",
            "commune",
            "commentaire",
        ]
        read_only_fields = fields


class MembreSerializer(serializers.ModelSerializer):
    situations = SituationMembreSerializer(
        many=True, read_only=True, help_text="Historique des situations résidentielles."
    )

    class Meta:
        model = Personne
        fields = [
            "id",
            "nom",
            "prenom",
            "date_naissance",
            "sexe",
            "role",
            "nationalite",
            "titre_sejour_fin",
            "situations",
        ]
        read_only_fields = fields


class RessourceMenageSerializer(serializers.ModelSerializer):
    type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    type_libelle = serializers.CharField(
        source="type.libelle", read_only=True, help_text="Libellé du type de ressource."
    )

    class Meta:
        model = Ressource
        fields = [
            "id",
            "personne",
            "type",
            "type_libelle",
            "montant_mensuel",
            "date_debut",
            "date_fin",
        ]
        read_only_fields = fields


class ConsentementSerializer(serializers.ModelSerializer):
    recueilli_par_nom = serializers.CharField(
        source="recueilli_par.__str__",
        read_only=True,
        help_text="Nom de l'agent qui a recueilli l'information et l'adhésion.",
    )

    class Meta:
        model = Consentement
        fields = [
            "id",
            "date",
            "information_donnee",
            "adhesion",
            "recueilli_par",
            "recueilli_par_nom",
            "commentaire",
        ]
        read_only_fields = fields


class PublicSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublicPrioritaire
        fields = ["code", "libelle"]
        read_only_fields = fields


class DemandeurSerializer(serializers.ModelSerializer):
    class Meta:
        model = Personne
        fields = ["id", "nom", "prenom"]
        read_only_fields = fields


class MesureOuverteSerializer(serializers.ModelSerializer):
    type = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Mesure
        fields = ["id", "type", "statut", "structure", "referent"]
        read_only_fields = fields


# --- Lecture : ménages --------------------------------------------------------------------------


class MenageListeSerializer(serializers.ModelSerializer):
    """Champs légers, tous lus dans les annotations et préchargements de `avec_colonnes`."""

    territoire_nom = serializers.CharField(
        source="territoire.nom", read_only=True, help_text="Nom de l'EPCI."
    )
    demandeur = serializers.SerializerMethodField(help_text="Demandeur principal du ménage.")
    nb_personnes = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Nombre de membres du ménage."
    )
    situation_actuelle = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="Situation résidentielle en cours du demandeur principal (libellé).",
    )
    publics_prioritaires = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        read_only=True,
        help_text="Codes des publics prioritaires du ménage.",
    )
    mesures_ouvertes = MesureOuverteSerializer(
        many=True,
        read_only=True,
        help_text="Mesures d'accompagnement proposées, en cours ou suspendues.",
    )

    class Meta:
        model = Menage
        fields = [
            "id",
            "reference",
            "statut",
            "territoire",
            "territoire_nom",
            "commune",
            "demandeur",
            "nb_personnes",
            "situation_actuelle",
            "publics_prioritaires",
            "mesures_ouvertes",
            "dalo",
            "syplo",
            "nur_date_renouvellement",
            "date_dernier_contact",
            "version",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = fields

    @extend_schema_field(DemandeurSerializer(allow_null=True))
    def get_demandeur(self, menage):
        demandeurs = menage.demandeurs
        return DemandeurSerializer(demandeurs[0]).data if demandeurs else None


def prechargements_detail() -> list:
    """Ce que la fiche de l'API montre, en une requête par relation quel que soit le volume."""
    return [
        Prefetch(
            "personnes__situations",
            queryset=SituationResidentielle.objects.select_related("type").order_by("-date_debut"),
        ),
        Prefetch("ressources", queryset=Ressource.objects.select_related("type")),
        "publics_prioritaires",
        Prefetch("consentements", queryset=Consentement.objects.select_related("recueilli_par")),
    ]


class MenageDetailSerializer(serializers.ModelSerializer):
    territoire_nom = serializers.CharField(
        source="territoire.nom", read_only=True, help_text="Nom de l'EPCI."
    )
    personnes = serializers.SerializerMethodField(
        help_text="Membres du ménage, demandeur principal en tête, avec leurs situations."
    )
    publics_prioritaires = PublicSerializer(many=True, read_only=True)
    ressources = RessourceMenageSerializer(many=True, read_only=True)
    total_ressources_en_cours = serializers.SerializerMethodField(
        help_text="Somme mensuelle (€) des ressources non terminées à ce jour."
    )
    consentements = ConsentementSerializer(
        many=True,
        read_only=True,
        help_text="Information donnée au ménage et son adhésion, la plus récente en tête.",
    )
    alerte_nur = serializers.SerializerMethodField(
        help_text="« echue » si l'échéance du NUR est passée, « proche » si elle approche, "
        "vide sinon."
    )

    class Meta:
        model = Menage
        fields = [
            "id",
            "reference",
            "statut",
            "territoire",
            "territoire_nom",
            "adresse",
            "commune",
            "telephone",
            "siao_id",
            "nur",
            "nur_date_depot",
            "nur_date_renouvellement",
            "alerte_nur",
            "dalo",
            "dalo_date_decision",
            "syplo",
            "publics_prioritaires",
            "date_dernier_contact",
            "personnes",
            "ressources",
            "total_ressources_en_cours",
            "consentements",
            "cree_par",
            "cree_le",
            "modifie_par",
            "modifie_le",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(MembreSerializer(many=True))
    def get_personnes(self, menage):
        # Comme la fiche : le demandeur principal en tête, puis l'ordre du modèle (rôle, âge).
        personnes = sorted(menage.personnes.all(), key=lambda p: p.role != Personne.Role.DEMANDEUR)
        return MembreSerializer(personnes, many=True).data

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_total_ressources_en_cours(self, menage):
        return serializers.DecimalField(
            max_digits=12, decimal_places=2, coerce_to_string=False
        ).to_representation(selectors.ressources_en_cours_total(menage))

    @extend_schema_field(serializers.ChoiceField(choices=["", "proche", "echue"]))
    def get_alerte_nur(self, menage) -> str:
        return menage.alerte_nur()


def fiche(menage, context) -> dict:
    """Représentation complète d'un ménage relu avec ses relations (après une écriture)."""
    menage = Menage.objects.select_related("territoire").get(pk=menage.pk)
    prefetch_related_objects([menage], *prechargements_detail())
    return MenageDetailSerializer(menage, context=context).data


# --- Écriture : ménages -------------------------------------------------------------------------

CHAMPS_MENAGE = [
    "territoire",
    "adresse",
    "commune",
    "telephone",
    "nur",
    "nur_date_depot",
    "nur_date_renouvellement",
    "siao_id",
    "dalo",
    "dalo_date_decision",
    "syplo",
    "publics_prioritaires",
]


class _MenageEcriture(_AvecUtilisateur, serializers.ModelSerializer):
    """Champs communs à la création et à la modification (ceux de menages.forms.MenageForm)."""

    territoire = serializers.PrimaryKeyRelatedField(
        queryset=Territoire.objects.none(),
        help_text="Identifiant de l'EPCI de rattachement (un EPCI de votre périmètre).",
        error_messages=_introuvable("EPCI"),
    )
    publics_prioritaires = Code(
        "public prioritaire actif",
        many=True,
        required=False,
        queryset=PublicPrioritaire.objects.filter(actif=True),
        help_text="Codes des publics prioritaires (remplacent la liste actuelle).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.utilisateur is None:
            return
        epci = selectors.epci_visibles(self.utilisateur)
        if self.instance is not None and getattr(self.instance, "territoire_id", None):
            # Comme l'interface : un référent garde l'EPCI actuel, même hors de son ressort.
            epci = epci | Territoire.objects.filter(pk=self.instance.territoire_id)
        self.fields["territoire"].queryset = epci

    def _champs_modele(self, attrs) -> dict:
        champs = {k: v for k, v in attrs.items() if k in CHAMPS_MENAGE}
        champs.pop("publics_prioritaires", None)
        for cle in ("nur", "siao_id"):
            if champs.get(cle) == "":
                champs[cle] = None
        return champs


class PersonneCreationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Personne
        fields = [
            "nom",
            "prenom",
            "date_naissance",
            "sexe",
            "role",
            "nationalite",
            "titre_sejour_fin",
        ]

    def validate(self, attrs):
        valider(Personne(**attrs), exclude=["menage"])
        return attrs


class MenageCreationSerializer(_MenageEcriture):
    personnes = PersonneCreationSerializer(
        many=True,
        help_text=f"Composition du ménage : de 1 à {LIGNES_COMPOSITION_MAX} personnes, dont un "
        "et un seul demandeur principal.",
    )
    situation = Code(
        "type de situation actif",
        queryset=TypeSituation.objects.filter(actif=True),
        required=False,
        allow_null=True,
        help_text="Code de la situation de départ, appliquée à chaque membre du ménage.",
    )
    date_situation = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Début de la situation de départ (obligatoire si `situation` est donnée).",
    )

    class Meta:
        model = Menage
        fields = [*CHAMPS_MENAGE, "personnes", "situation", "date_situation"]

    def validate_personnes(self, personnes):
        # Mêmes règles que le formulaire de composition (menages.forms._CompositionFormSet).
        if not personnes:
            raise serializers.ValidationError("Ajoutez au moins une personne au ménage.")
        if len(personnes) > LIGNES_COMPOSITION_MAX:
            raise serializers.ValidationError(
                f"Un ménage compte au plus {LIGNES_COMPOSITION_MAX} personnes."
            )
        demandeurs = [p for p in personnes if p.get("role") == Personne.Role.DEMANDEUR]
        if len(demandeurs) != 1:
            raise serializers.ValidationError(
                "Le ménage doit compter un et un seul demandeur principal."
            )
        return personnes

    def validate(self, attrs):
        # Mêmes règles que menages.forms.CreationMenageForm.clean.
        situation, date = attrs.get("situation"), attrs.get("date_situation")
        if situation and not date:
            raise serializers.ValidationError(
                {"date_situation": "Indiquez depuis quand dure cette situation."}
            )
        if date and not situation:
            raise serializers.ValidationError({"situation": "Choisissez la situation de départ."})
        if date and date > timezone.localdate():
            raise serializers.ValidationError({"date_situation": DATE_FUTURE})
        valider(Menage(**self._champs_modele(attrs)), exclude=["reference"])
        return attrs

    def create(self, validated_data):
        champs = self._champs_modele(validated_data)
        territoire = champs.pop("territoire")
        try:
            return services.creer_menage(
                territoire=territoire,
                personnes=[dict(p) for p in validated_data["personnes"]],
                par=self.utilisateur,
                situation=validated_data.get("situation"),
                date_situation=validated_data.get("date_situation"),
                publics=validated_data.get("publics_prioritaires", ()),
                **champs,
            )
        except DjangoValidationError as exc:
            raise _renommer(erreurs_drf(exc), {"date": "date_situation"}) from exc

    def to_representation(self, instance):
        return fiche(instance, self.context)


class MenageModificationSerializer(_MenageEcriture):
    version = serializers.IntegerField(
        min_value=0,
        write_only=True,
        help_text="Version du ménage lue avant la modification (champ `version` de la fiche). "
        "Obligatoire pour PUT, facultative pour PATCH ; si le ménage a été enregistré depuis, "
        "la réponse est 409 et rien n'est écrit.",
    )

    class Meta:
        model = Menage
        fields = [*CHAMPS_MENAGE, "version"]

    def validate(self, attrs):
        candidat = copy.copy(self.instance)
        for champ, valeur in self._champs_modele(attrs).items():
            setattr(candidat, champ, valeur)
        valider(candidat, exclude=["reference"])
        return attrs

    def update(self, instance, validated_data):
        version = validated_data.pop("version", instance.version)
        publics = validated_data.pop("publics_prioritaires", None)
        with transaction.atomic():
            prendre_la_main_ou_409(instance, version_lue=version, par=self.utilisateur)
            for champ, valeur in self._champs_modele(validated_data).items():
                setattr(instance, champ, valeur)
            instance.save()
            if publics is not None:
                instance.publics_prioritaires.set(publics)
        return instance

    def to_representation(self, instance):
        return fiche(instance, self.context)


def _renommer(erreur: serializers.ValidationError, noms: dict) -> serializers.ValidationError:
    """Erreurs d'un service nommées comme ses arguments → noms des champs de l'API."""
    if isinstance(erreur.detail, dict):
        return serializers.ValidationError({noms.get(k, k): v for k, v in erreur.detail.items()})
    return erreur


# --- Personnes ----------------------------------------------------------------------------------


class PersonneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Personne
        fields = [
            "id",
            "menage",
            "nom",
            "prenom",
            "date_naissance",
            "sexe",
            "role",
            "nationalite",
            "titre_sejour_fin",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = fields


# --- Situations résidentielles ------------------------------------------------------------------


class SituationSerializer(_AvecUtilisateur, serializers.ModelSerializer):
    personne = serializers.PrimaryKeyRelatedField(
        queryset=Personne.objects.none(),
        help_text="Identifiant de la personne (membre d'un ménage de votre périmètre).",
        error_messages=_introuvable("membre de ménage"),
    )
    menage = serializers.IntegerField(
        source="personne.menage_id", read_only=True, help_text="Identifiant du ménage."
    )
    type = Code(
        "type de situation actif",
        queryset=TypeSituation.objects.filter(actif=True),
        help_text="Code de la situation résidentielle.",
    )
    type_libelle = serializers.CharField(
        source="type.libelle", read_only=True, help_text="Libellé de la situation."
    )
    categorie = serializers.CharField(
        source="type.categorie", read_only=True, help_text="Catégorie de la situation (bilans)."
    )
    en_cours = serializers.SerializerMethodField(help_text="Vrai si la situation n'a pas de fin.")

    class Meta:
        model = SituationResidentielle
        fields = [
            "id",
            "personne",
            "menage",
            "type",
            "type_libelle",
            "categorie",
            "date_debut",
            "date_fin",
            "en_cours",
            "commune",
            "commentaire",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = ["date_fin", "cree_le", "modifie_le"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.utilisateur is not None:
            self.fields["personne"].queryset = personnes_visibles(self.utilisateur).select_related(
                "menage"
            )

    def get_en_cours(self, situation) -> bool:
        return situation.date_fin is None

    def validate_date_debut(self, date):
        # Comme menages.forms.ChangementSituationForm.clean_date.
        if date > timezone.localdate():
            raise serializers.ValidationError(DATE_FUTURE)
        return date

    def validate_personne(self, personne):
        if personne.menage.statut == Menage.Statut.ANONYMISE:
            raise serializers.ValidationError(ANONYMISE)
        return personne

    def create(self, validated_data):
        # Comme l'interface : la situation en cours se clôt la veille, la nouvelle s'ouvre.
        try:
            (situation,) = services.changer_situation(
                [validated_data["personne"]],
                type=validated_data["type"],
                date=validated_data["date_debut"],
                commune=validated_data.get("commune", ""),
                commentaire=validated_data.get("commentaire", ""),
            )
        except DjangoValidationError as exc:
            raise _renommer(erreurs_drf(exc), {"date": "date_debut"}) from exc
        return situation


# --- Ressources ---------------------------------------------------------------------------------


class RessourceSerializer(_AvecUtilisateur, serializers.ModelSerializer):
    menage = serializers.PrimaryKeyRelatedField(
        queryset=Menage.objects.none(),
        help_text="Identifiant du ménage (de votre périmètre) ; ne change pas ensuite.",
        error_messages=_introuvable("ménage"),
    )
    personne = serializers.PrimaryKeyRelatedField(
        queryset=Personne.objects.none(),
        required=False,
        allow_null=True,
        help_text="Bénéficiaire : un membre du ménage, ou rien pour le ménage entier.",
        error_messages=_introuvable("membre de ménage"),
    )
    type = Code(
        "type de ressource",
        queryset=TypeRessource.objects.all(),
        help_text="Code du type de ressource.",
    )
    type_libelle = serializers.CharField(
        source="type.libelle", read_only=True, help_text="Libellé du type de ressource."
    )
    version_menage = serializers.IntegerField(
        min_value=0,
        required=False,
        write_only=True,
        help_text="Facultatif : version du ménage lue avant l'écriture. Les ressources font "
        "partie du ménage : si le ménage a été enregistré depuis, la réponse est 409 et rien "
        "n'est écrit. Chaque écriture fait passer le ménage à la version suivante.",
    )

    class Meta:
        model = Ressource
        fields = [
            "id",
            "menage",
            "personne",
            "type",
            "type_libelle",
            "montant_mensuel",
            "date_debut",
            "date_fin",
            "version_menage",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = ["cree_le", "modifie_le"]
        # Le message du validateur du modèle, que DRF remplace par le sien.
        extra_kwargs = {
            "montant_mensuel": {
                "error_messages": {"min_value": "Le montant ne peut pas être négatif."}
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.utilisateur is not None:
            self.fields["menage"].queryset = menages_visibles(self.utilisateur)
            self.fields["personne"].queryset = personnes_visibles(self.utilisateur)

    def validate_menage(self, menage):
        if self.instance is not None and menage.pk != self.instance.menage_id:
            raise serializers.ValidationError("Une ressource ne change pas de ménage.")
        if menage.statut == Menage.Statut.ANONYMISE:
            raise serializers.ValidationError(ANONYMISE)
        return menage

    def validate(self, attrs):
        candidat = copy.copy(self.instance) if self.instance is not None else Ressource()
        for champ, valeur in attrs.items():
            if champ != "version_menage":
                setattr(candidat, champ, valeur)
        valider(candidat)
        return attrs

    def _ecrire(self, ressource, validated_data):
        menage = validated_data.pop("menage", None) or ressource.menage
        version = validated_data.pop("version_menage", menage.version)
        for champ, valeur in validated_data.items():
            setattr(ressource, champ, valeur)
        ressource.menage = menage
        with transaction.atomic():
            # Comme la saisie des ressources de la fiche : elle suit la version du ménage.
            prendre_la_main_ou_409(menage, version_lue=version, par=self.utilisateur)
            ressource.save()
        return ressource

    def create(self, validated_data):
        return self._ecrire(Ressource(), validated_data)

    def update(self, instance, validated_data):
        return self._ecrire(instance, validated_data)
