"""Pages du RGPD, réservées aux agents départementaux (leur Département) et aux
administrateurs : ménages à anonymiser (essai à blanc), export du droit d'accès."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from journal.services import tracer
from logement.acces import role_requis
from logement.models import Role
from logement.pagination import paginer
from menages.models import Personne

from . import acces, rendu, selectors

agent_requis = role_requis(Role.AGENT_DEPARTEMENTAL)
FORMATS = ("json", "pdf")


@agent_requis
def anonymisation(request):
    """Essai à blanc permanent : ce que la prochaine anonymisation planifiée effacera."""
    menages = selectors.menages_expires(menages=selectors.menages_du_ressort(request.user))
    page = paginer(request, menages)
    jours = settings.LOGEMENT["CONSERVATION_JOURS"]
    for menage in page:
        menage.source = selectors.source_du_dernier_contact(menage)
    return render(
        request,
        "rgpd/anonymisation.html",
        {
            "page": page,
            "jours": jours,
            "limite": selectors.limite_conservation(),
        },
    )


@agent_requis
def droit_acces(request, pk, format):
    if format not in FORMATS:
        raise Http404("Format inconnu.")
    personne = get_object_or_404(
        Personne.objects.filter(menage__in=selectors.menages_du_ressort(request.user)), pk=pk
    )
    donnees = acces.dossier(personne, par=request.user)
    nom = f"droit-acces-{personne.menage.reference}-{personne.pk}-{timezone.localdate():%Y-%m-%d}"
    if format == "pdf":
        contenu, type_mime = rendu.dossier_pdf(donnees), "application/pdf"
    else:
        contenu = json.dumps(
            acces.en_json(donnees), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
        ).encode()
        type_mime = "application/json"
    tracer(
        "acces_rgpd",
        objet=personne,
        menage=personne.menage_id,
        details={"format": format, "personne": personne.pk, "notes_de_rencontre": True},
    )
    reponse = HttpResponse(contenu, content_type=type_mime)
    reponse["Content-Disposition"] = f'attachment; filename="{nom}.{format}"'
    reponse["Cache-Control"] = "no-store"
    return reponse
