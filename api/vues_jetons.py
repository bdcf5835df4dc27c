"""« Jetons d'API » : chacun liste, crée et révoque ses propres jetons (jamais ceux d'un autre).

Un jeton ne se crée que depuis une session ouverte avec la double authentification quand le
compte y est tenu ou en a une : DoubleAuthentificationMiddleware l'impose déjà à toute page,
`_refus_creation` le revérifie. Le jeton n'est montré qu'une fois, dans la réponse même du
POST de création (jamais mis en session ni en cache : rien ne permet de le relire).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from comptes.services import double_authentification_active, double_authentification_requise

from .forms import JetonForm
from .models import JetonAPI


def _refus_creation(user) -> str | None:
    """Pourquoi ce compte ne peut pas créer de jeton maintenant (None : il le peut)."""
    perimetre = user.perimetre
    if not (perimetre.tout or perimetre.roles):
        return "Votre compte n'a aucune habilitation en cours : un jeton ne donnerait accès à rien."
    tenu = double_authentification_requise(user) or double_authentification_active(user)
    if tenu and not user.is_verified():
        return "Validez d'abord la double authentification de votre session pour créer un jeton."
    return None


@never_cache
@login_required
@require_GET
def liste(request):
    jetons = list(request.user.jetons_api.all())
    maintenant = timezone.now()
    for jeton in jetons:
        jeton.etat_courant = jeton.etat(maintenant)
    return render(
        request,
        "api/jetons.html",
        {
            "jetons": jetons,
            "actifs": sum(j.etat_courant == JetonAPI.Etat.ACTIF for j in jetons),
            "form": JetonForm(),
            "refus": _refus_creation(request.user),
        },
    )


# Les écritures (JetonAPI.creer, .revoquer) portent leur transaction, avec leur trace : pas de
# transaction de requête, dans laquelle une page 404 rendue après une exception ne pourrait plus
# lire la base (JournalMiddleware la marque à annuler).
@transaction.non_atomic_requests
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@sensitive_variables("secret")
def creer(request):
    refus = _refus_creation(request.user)
    form = JetonForm(request.POST if request.method == "POST" and refus is None else None)
    if form.is_bound and form.is_valid():
        try:
            jeton, secret = JetonAPI.creer(
                user=request.user,
                nom=form.cleaned_data["nom"],
                duree_jours=form.cleaned_data["duree"],
            )
        except ValidationError as erreur:
            form.add_error(None, erreur.messages)
        else:
            # Rendu direct, sans redirection : recharger la page ne le remontre pas.
            return render(request, "api/jeton_cree.html", {"jeton": jeton, "secret": secret})
    return render(request, "api/jeton_creer.html", {"form": form, "refus": refus})


@transaction.non_atomic_requests
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def revoquer(request, pk):
    jeton = get_object_or_404(JetonAPI.objects.filter(user=request.user), pk=pk)
    if request.method == "POST" and request.POST.get("confirmer"):
        if jeton.revoquer():
            messages.success(request, f"Le jeton « {jeton.nom} » est révoqué : il ne sert plus.")
        else:
            messages.info(request, f"Le jeton « {jeton.nom} » était déjà révoqué.")
        return redirect("jetons:liste")
    return render(request, "api/jeton_revoquer.html", {"jeton": jeton})
