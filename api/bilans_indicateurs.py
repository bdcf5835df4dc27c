"""Point d'accès agrégé `indicateurs` : les chiffres du registre des bilans
(`bilans.indicateurs`) pour un territoire et une période, N et N-1, avec leur définition.

Ouvert à tout rôle qui lit des bilans, co-pilote compris, sur les territoires dont il lit les
bilans (`DroitsBilans`). Les chiffres sont ceux de la synthèse d'un bilan (même calcul), et le
secret statistique y est appliqué par la fonction des bilans (`bilans.secret.masquer`, même
seuil) pour qui ne voit pas les données nominatives de tout le territoire : un co-pilote n'y
retrouve donc jamais un petit effectif. Les indicateurs propres au rapport du Département
(charge des référents, conventions) ne sont servis qu'à qui lit ce rapport."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.response import Response

from bilans import indicateurs as registre

# La synthèse des bilans (N, N-1, effectifs de référence des grandeurs dérivées) : la même
# construction que dans un bilan, pour que les chiffres et le secret soient les mêmes.
from bilans.calcul import SYNTHESE_DEPARTEMENT, _Calculs
from bilans.forms import PREMIERE_ANNEE
from bilans.models import DEPARTEMENT, DroitsBilans, droits_bilans, libelle_periode
from bilans.secret import masquer
from bilans.services import periode_annee
from logement.models import Territoire

from .base import Agregats
from .bilans_serializers import ValeurField

TAG_INDICATEURS = "Indicateurs"

# Indicateurs que seul le rapport du Département publie (synthèse propre, tableaux « structures »
# et « conventions ») : servis à qui lit ce rapport pour le territoire demandé.
INDICATEURS_DEPARTEMENT = frozenset(
    {
        *SYNTHESE_DEPARTEMENT,
        "referents",
        "mesures_financees",
        "mesures_utilisees",
        "menages_convention",
        "cout_par_menage",
    }
)


def territoires_lisibles(droits: DroitsBilans):
    """Territoires dont l'utilisateur lit les bilans : son ressort pour les indicateurs."""
    if droits.tout:
        return Territoire.objects.all()
    return Territoire.objects.filter(id__in=set().union(*droits.lecture.values()))


def codes_permis(droits: DroitsBilans, territoire: Territoire) -> list[str]:
    """Codes du registre servis pour ce territoire, dans l'ordre du registre."""
    rapport = droits.tout or territoire.pk in droits.lecture.get(DEPARTEMENT, ())
    return [c for c in registre.INDICATEURS if rapport or c not in INDICATEURS_DEPARTEMENT]


def secret_applique(user, epci_ids) -> bool:
    """Le secret statistique protège les chiffres de qui ne voit pas les données nominatives
    de chacun des EPCI du territoire (co-pilote) ; les autres les lisent déjà nominativement."""
    perimetre = user.perimetre
    return not (perimetre.tout or set(epci_ids) <= perimetre.epci_ids)


class LecteursIndicateurs(permissions.BasePermission):
    message = "Votre habilitation ne donne accès à aucun bilan ni indicateur territorial."

    def has_permission(self, request, view):
        droits = droits_bilans(request.user)
        return droits.tout or any(droits.lecture.values())


class ParametresIndicateurs(serializers.Serializer):
    territoire = serializers.PrimaryKeyRelatedField(
        queryset=Territoire.objects.none(),
        error_messages={
            "does_not_exist": "Territoire introuvable ou hors de votre ressort.",
            "incorrect_type": "Identifiant de territoire invalide.",
        },
        help_text="Identifiant du territoire (Département, EPCI ou plateforme) dont vous lisez "
        "les bilans.",
    )
    annee = serializers.IntegerField(
        required=False,
        min_value=PREMIERE_ANNEE,
        max_value=2100,
        help_text="Année civile ; sinon, `date_debut` et `date_fin`.",
    )
    date_debut = serializers.DateField(
        required=False, help_text="Premier jour de la période (AAAA-MM-JJ), sans `annee`."
    )
    date_fin = serializers.DateField(
        required=False, help_text="Dernier jour de la période (AAAA-MM-JJ), sans `annee`."
    )
    codes = serializers.CharField(
        required=False,
        help_text="Codes des indicateurs voulus, séparés par des virgules ; par défaut, tous "
        "ceux qui vous sont ouverts.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.context.get("request"), "user", None)
        if user is not None and user.is_authenticated:  # sinon : génération du schéma
            self.droits = droits_bilans(user)
            self.fields["territoire"].queryset = territoires_lisibles(self.droits)

    def validate(self, attrs):
        annee, debut, fin = (attrs.get(c) for c in ("annee", "date_debut", "date_fin"))
        if annee is not None:
            if debut or fin:
                raise serializers.ValidationError(
                    {"annee": "Indiquez soit l'année, soit les dates de début et de fin."}
                )
            debut, fin = periode_annee(annee)
            champ_debut = "annee"
        elif debut or fin:
            manquant = "date_fin" if debut else "date_debut"
            if not (debut and fin):
                raise serializers.ValidationError({manquant: "Indiquez cette date."})
            if fin < debut:
                raise serializers.ValidationError(
                    {"date_fin": "La fin de la période précède son début."}
                )
            champ_debut = "date_debut"
        else:
            raise serializers.ValidationError(
                {"annee": "Indiquez l'année, ou les dates de début et de fin."}
            )
        if debut > timezone.localdate():
            raise serializers.ValidationError({champ_debut: "La période n'a pas encore commencé."})
        if debut.year < PREMIERE_ANNEE:  # comme les bilans : pas de chiffres avant
            raise serializers.ValidationError(
                {champ_debut: f"La période commence au plus tôt le 1er janvier {PREMIERE_ANNEE}."}
            )

        permis = codes_permis(self.droits, attrs["territoire"])
        codes = permis
        if attrs.get("codes"):
            codes = list(dict.fromkeys(c.strip() for c in attrs["codes"].split(",") if c.strip()))
            inconnus = [c for c in codes if c not in registre.INDICATEURS]
            if inconnus:
                raise serializers.ValidationError(
                    {"codes": f"Indicateur inconnu : {', '.join(inconnus)}."}
                )
            reserves = [c for c in codes if c not in permis]
            if reserves:
                raise serializers.ValidationError(
                    {
                        "codes": "Indicateur réservé au rapport du Département, que votre "
                        f"habilitation ne lit pas pour ce territoire : {', '.join(reserves)}."
                    }
                )
        return {"territoire": attrs["territoire"], "debut": debut, "fin": fin, "codes": codes}


class IndicateurSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Code de l'indicateur dans le registre.")
    libelle = serializers.CharField(help_text="Libellé de l'indicateur.")
    definition = serializers.CharField(help_text="Définition en clair : ce qui est compté.")
    unite = serializers.CharField(
        help_text="Unité : menages, mesures, logements, procedures, nombre (effectifs), jours, "
        "mois, pourcentage, euros."
    )
    n = ValeurField(help_text="Valeur sur la période demandée.")
    n1 = ValeurField(help_text="Valeur sur la même période un an plus tôt (N-1).")


class PeriodeSerializer(serializers.Serializer):
    debut = serializers.DateField(help_text="Premier jour (inclus).")
    fin = serializers.DateField(help_text="Dernier jour (inclus).")
    libelle = serializers.CharField(help_text="La période en clair.")


class TerritoireResumeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Identifiant du territoire.")
    nom = serializers.CharField(help_text="Nom du territoire.")
    niveau = serializers.ChoiceField(
        choices=Territoire.Niveau.choices, help_text="Niveau du territoire."
    )


class IndicateursSerializer(serializers.Serializer):
    territoire = TerritoireResumeSerializer(help_text="Le territoire demandé.")
    periode = PeriodeSerializer(help_text="La période demandée (N).")
    periode_precedente = PeriodeSerializer(help_text="La même période un an plus tôt (N-1).")
    secret_statistique = serializers.BooleanField(
        help_text="Vrai si le secret statistique est appliqué : un effectif entre 1 et le seuil "
        "exclu, et ce qui permettrait de le retrouver, vaut « s »."
    )
    seuil_secret = serializers.IntegerField(
        allow_null=True, help_text="Seuil du secret statistique (null s'il n'est pas appliqué)."
    )
    indicateurs = IndicateurSerializer(many=True, help_text="Les indicateurs, N et N-1.")


def _periode(debut, fin) -> dict:
    return {"debut": debut, "fin": fin, "libelle": libelle_periode(debut, fin)}


def calculer_indicateurs(territoire, cadre: registre.Cadre, codes, *, secret: bool) -> dict:
    """Les indicateurs `codes` du territoire sur la période du cadre, N et N-1, secret appliqué
    ou non.

    Une requête par source d'indicateurs et par période (plus les médianes et calculs propres) :
    le nombre de requêtes ne dépend pas du volume de données."""
    calculs = _Calculs(cadre)
    effectifs = [registre.INDICATEURS[c].effectif for c in codes]
    calculs.totaux([*codes, *(e for e in effectifs if e)])  # regroupés par source
    synthese = [calculs.chiffre(code) for code in codes]
    seuil = settings.LOGEMENT["SEUIL_SECRET_STATISTIQUE"] if secret else None
    if secret:
        synthese = masquer({"synthese": synthese}, seuil)["synthese"]
    precedente = calculs.cadres["N-1"]
    return {
        "territoire": territoire,
        "periode": _periode(cadre.debut, cadre.fin),
        "periode_precedente": _periode(precedente.debut, precedente.fin),
        "secret_statistique": secret,
        "seuil_secret": seuil,
        # Sans les effectifs de référence : ils trahiraient un petit effectif masqué.
        "indicateurs": [
            {
                "code": chiffre["code"],
                "libelle": chiffre["libelle"],
                "definition": registre.INDICATEURS[chiffre["code"]].definition,
                "unite": chiffre["unite"],
                "n": chiffre["n"],
                "n1": chiffre["n1"],
            }
            for chiffre in synthese
        ],
    }


@extend_schema_view(
    list=extend_schema(
        summary="Indicateurs d'un territoire",
        description="Les indicateurs du registre des bilans (ménages accompagnés, accès au "
        "logement, attributions, durées…) pour un territoire dont vous lisez les bilans et une "
        "période (une année, ou des dates), en N et N-1, avec leur définition et leur unité. "
        "Ouvert aux co-pilotes : pour qui ne voit pas les données nominatives de tout le "
        "territoire, le secret statistique des bilans s'applique (« s »). Territoire hors de "
        "votre ressort : 400.",
        parameters=[ParametresIndicateurs],
        responses={200: IndicateursSerializer},
    )
)
@extend_schema(tags=[TAG_INDICATEURS])
class IndicateursViewSet(viewsets.GenericViewSet):
    permission_classes = [Agregats, LecteursIndicateurs]
    serializer_class = IndicateursSerializer
    pagination_class = None
    filter_backends = []

    def list(self, request, *args, **kwargs):
        parametres = ParametresIndicateurs(
            data=request.query_params, context=self.get_serializer_context()
        )
        parametres.is_valid(raise_exception=True)
        demande = parametres.validated_data
        territoire = demande["territoire"]
        cadre = registre.cadre_pour(territoire, demande["debut"], demande["fin"])
        resultat = calculer_indicateurs(
            territoire,
            cadre,
            demande["codes"],
            secret=secret_applique(request.user, cadre.epci_ids),
        )
        return Response(IndicateursSerializer(resultat).data)
