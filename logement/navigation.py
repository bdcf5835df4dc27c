"""Menu principal : chaque entrée n'apparaît qu'aux rôles qu'elle sert."""

from django.urls import reverse

from .models import Role

# (libellé, nom d'URL, rôles admis ; None : tout utilisateur connecté).
ENTREES = [
    ("Tableau de bord", "accueil", None),
    ("Ménages", "menages:liste", (Role.REFERENT, Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)),
    ("Mes ménages", "accompagnement:mes_menages", (Role.REFERENT,)),
    ("Orientations", "accompagnement:orientations", (Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)),
    ("Logements", "attributions:logements", (Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)),
    ("Attributions", "attributions:propositions", (Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)),
    (
        "Conventions",
        "conventions:liste",
        (Role.REFERENT, Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL),
    ),
    ("Bilans", "bilans:liste", (Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL, Role.COPILOTE)),
    ("Imports", "imports:liste", (Role.REFERENT, Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)),
    ("Journal", "journal:recherche", (Role.AGENT_DEPARTEMENTAL,)),
    ("Utilisateurs", "utilisateurs:liste", (Role.AGENT_DEPARTEMENTAL,)),
    ("Anonymisation", "rgpd:anonymisation", (Role.AGENT_DEPARTEMENTAL,)),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    perimetre = user.perimetre
    courante = request.resolver_match.view_name if request.resolver_match else ""
    entrees = []
    for libelle, nom, roles in ENTREES:
        if roles is not None and not perimetre.a_role(*roles):
            continue
        entrees.append({"libelle": libelle, "url": reverse(nom), "active": courante == nom})
    return {"navigation": entrees, "perimetre": perimetre}
