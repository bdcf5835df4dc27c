"""Parcourt chaque page de l'application avec chaque rôle de démonstration et signale ce qui casse.

Pour chaque utilisateur de démonstration, ouvre une session par /connexion/, puis suit en largeur
les liens internes (GET seulement, aucun formulaire soumis) et relève, page par page :
  - le statut HTTP (5xx : erreur serveur ; 4xx : lien cassé ou refus offert par l'interface) ;
  - les erreurs de la console du navigateur et les exceptions JavaScript ;
  - les violations axe-core WCAG 2.1 A et AA (le socle du RGAA) ;
  - sur quelques pages, à la largeur d'un téléphone (390×844), le débordement horizontal et axe.

Usage (serveur de démonstration lancé à part, base remplie par `manage.py seed_demo`) :
    python bench/crawl.py --base http://127.0.0.1:8109 --password demo-logement-2026
Double authentification (agent.departemental, admin) : au premier passage, le parcours s'enrôle
comme un humain (clé recopiée depuis la page) ; ensuite il lit la clé en base pour calculer le
code : lancez-le alors avec le même DATABASE_URL que le serveur.
Options : --users coordinatrice,referent  --max-pages 120  --par-motif 3  --mobile 6
          --toutes-regles (ajoute les règles « best-practice » d'axe : region, heading-order…)
          --json /tmp/crawl.json (rapport détaillé)  --verbose
La page de connexion est elle aussi analysée, avant la première session.
Code de sortie : 0 si rien n'est trouvé, 1 sinon.
"""

import argparse
import json
import os
import re
import sys
import time
from base64 import b32decode
from collections import defaultdict, deque
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import totp
from playwright.sync_api import sync_playwright

UTILISATEURS = [
    "coordinatrice",
    "referent",
    "referente2",
    "agent.departemental",
    "copilote",
    "admin",
]
NORMES_AXE = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM = "/usr/bin/chromium"
# Sans ces options, Chromium tente des connexions sortantes que la machine refuse.
ARGS_CHROMIUM = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Chemins jamais visités : la déconnexion fermerait la session, l'administration est celle de
# Django, l'enrôlement créerait une nouvelle clé de double authentification.
PREFIXES_EXCLUS = ("/deconnexion/", "/admin/", "/compte/double-authentification/")
EXTENSIONS_TELECHARGEES = (".csv", ".xlsx", ".pdf", ".zip", ".ods")
TELEPHONE = {"width": 390, "height": 844}
BUREAU = {"width": 1280, "height": 900}

# Éléments plus larges que la fenêtre : de quoi retrouver la cause d'un débordement.
JS_DEBORDEMENT = """() => {
  const largeur = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= largeur) return null;
  const fautifs = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > largeur + 1 && r.width > 0) {
      // Ignore un élément dont un ancêtre défile lui-même horizontalement (tableau DSFR).
      let p = el.parentElement, defile = false;
      while (p && p !== document.body) {
        const s = getComputedStyle(p);
        if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) { defile = true; break; }
        p = p.parentElement;
      }
      if (!defile) fautifs.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
        ' (' + Math.round(r.right) + 'px)');
    }
    if (fautifs.length >= 5) break;
  }
  return {scrollWidth: document.documentElement.scrollWidth, largeur, fautifs};
}"""


def motif(url):
    """Regroupe les URL d'une même page : chiffres → N, paramètres réduits à leurs noms."""
    parts = urlsplit(url)
    cles = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(cles) if cles else "")


def a_visiter(url, origine):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != origine:
        return False
    if parts.path.startswith(PREFIXES_EXCLUS) or parts.path.lower().endswith(
        EXTENSIONS_TELECHARGEES
    ):
        return False
    return "format" not in dict(parse_qsl(parts.query))


class Rapport:
    def __init__(self):
        self.pages = defaultdict(int)  # utilisateur → pages visitées
        self.statuts = []  # (utilisateur, url, statut, depuis)
        self.console = []  # (utilisateur, url, message)
        self.axe = defaultdict(list)  # règle → [(utilisateur, url, impact, aide, nœuds)]
        self.debordements = []  # (utilisateur, url, détail)
        self.visitees = defaultdict(list)  # utilisateur → [(statut, url)]

    def vide(self):
        return not (self.statuts or self.console or self.axe or self.debordements)

    def en_json(self):
        return {
            "pages": self.pages,
            "statuts": self.statuts,
            "console": self.console,
            "axe": self.axe,
            "debordements": self.debordements,
            "visitees": self.visitees,
        }


def connecter(page, base, utilisateur, mot_de_passe):
    page.goto(f"{base}/connexion/")
    page.fill("input[name=username]", utilisateur)
    page.fill("input[name=password]", mot_de_passe)
    page.click("form button[type=submit]:has-text('Se connecter')")
    page.wait_for_load_state("load")
    if urlsplit(page.url).path.startswith("/connexion/"):
        raise SystemExit(
            f"Connexion refusée pour {utilisateur} : vérifiez --password et seed_demo."
        )
    passer_double_authentification(page, utilisateur)


CLES_TOTP = {}  # utilisateur → clé base32 de son application d'authentification
DERNIER_PAS = {}  # utilisateur → dernier pas de 30 s utilisé (un code ne sert qu'une fois)


def code_totp(utilisateur, cle):
    pas = int(time.time() // 30)
    if DERNIER_PAS.get(utilisateur, -1) >= pas:
        time.sleep(30 - time.time() % 30 + 0.5)
        pas += 1
    DERNIER_PAS[utilisateur] = pas
    return f"{totp(b32decode(cle + '=' * (-len(cle) % 8))):06d}"


def cle_en_base(utilisateur):
    """Clé TOTP de l'utilisateur lue dans la base du serveur (même DATABASE_URL)."""
    import django

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logement.settings")
    # L'API synchrone de Playwright tourne dans une boucle asyncio : l'ORM s'en méfierait.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    django.setup()
    from base64 import b32encode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    appareil = TOTPDevice.objects.filter(user__username=utilisateur, confirmed=True).first()
    if appareil is None:
        raise SystemExit(f"Aucune application d'authentification en base pour {utilisateur}.")
    return b32encode(appareil.bin_key).decode().rstrip("=")


def passer_double_authentification(page, utilisateur):
    """Enrôlement au premier passage, code de vérification ensuite."""
    chemin = urlsplit(page.url).path
    if chemin.startswith("/compte/double-authentification/"):
        cle = page.inner_text("#cle-totp").replace(" ", "")
        CLES_TOTP[utilisateur] = cle
        page.fill("input[name=code]", code_totp(utilisateur, cle))
        page.click("form button[type=submit]:has-text('Activer')")
        page.wait_for_load_state("load")
        page.click("a:has-text('Continuer')")
        page.wait_for_load_state("load")
    elif chemin.startswith("/compte/verification/"):
        if utilisateur not in CLES_TOTP:
            CLES_TOTP[utilisateur] = cle_en_base(utilisateur)
        page.fill("input[name=code]", code_totp(utilisateur, CLES_TOTP[utilisateur]))
        page.click("form button[type=submit]:has-text('Vérifier')")
        page.wait_for_load_state("load")
    else:
        return
    if urlsplit(page.url).path.startswith("/compte/"):
        raise SystemExit(f"Double authentification refusée pour {utilisateur}.")


def analyser(page, axe, rapport, utilisateur, url, args):
    """Lance axe sur la page courante et range ses violations par règle."""
    normes = NORMES_AXE + (["best-practice"] if args.toutes_regles else [])
    resultats = axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": normes}, "resultTypes": ["violations"]},
    ).response
    for v in resultats["violations"]:
        noeuds = [
            {
                "cible": ", ".join(map(str, n["target"])),
                "html": n["html"][:200],
                "resume": n.get("failureSummary", ""),
            }
            for n in v["nodes"]
        ]
        rapport.axe[v["id"]].append((utilisateur, url, v["impact"], v["help"], noeuds))
        if args.verbose:
            print(f"    axe {v['id']} ({len(noeuds)}) : {noeuds[0]['cible']}")


def parcourir(navigateur, args, utilisateur, rapport):
    origine = "{0.scheme}://{0.netloc}".format(urlsplit(args.base))
    contexte = navigateur.new_context(viewport=BUREAU, locale="fr-FR")
    page = contexte.new_page()
    erreurs = []
    page.on("console", lambda m: m.type == "error" and erreurs.append(m.text))
    page.on("pageerror", lambda e: erreurs.append(f"exception JS : {e}"))
    axe = Axe()
    if not rapport.pages:
        # La page de connexion, vue par un visiteur anonyme.
        page.goto(f"{args.base}/connexion/", wait_until="load")
        analyser(page, axe, rapport, "(anonyme)", page.url, args)
        rapport.console.extend(("(anonyme)", page.url, e) for e in erreurs)
    connecter(page, args.base, utilisateur, args.password)
    erreurs.clear()

    depart = urljoin(args.base, "/")
    file = deque([(depart, "(départ)")])
    vus = {depart}
    par_motif = defaultdict(int)
    visitees = []
    while file and rapport.pages[utilisateur] < args.max_pages:
        url, depuis = file.popleft()
        m = motif(url)
        if par_motif[m] >= args.par_motif:
            continue
        par_motif[m] += 1
        erreurs.clear()
        try:
            reponse = page.goto(url, wait_until="load")
        except Exception as exc:  # noqa: BLE001 — un échec de navigation est un constat, pas un arrêt.
            if "Download is starting" in str(exc):
                continue  # un lien de téléchargement sans extension (…/fichiers/csv/) : normal
            rapport.console.append((utilisateur, url, f"navigation impossible : {exc}"))
            continue
        rapport.pages[utilisateur] += 1
        statut = reponse.status if reponse else 0
        rapport.visitees[utilisateur].append((statut, url))
        if args.verbose:
            print(f"  [{statut}] {url}")
        if statut >= 400:
            rapport.statuts.append((utilisateur, url, statut, depuis))
            continue
        if urlsplit(page.url).path.startswith("/connexion/"):
            rapport.statuts.append(
                (utilisateur, url, "session perdue (renvoi vers /connexion/)", depuis)
            )
            connecter(page, args.base, utilisateur, args.password)
            continue
        visitees.append(url)
        analyser(page, axe, rapport, utilisateur, url, args)
        # Laisse le temps aux scripts (DSFR, htmx) de se plaindre avant de changer de page.
        page.wait_for_timeout(50)
        for e in erreurs:
            rapport.console.append((utilisateur, url, e))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            lien = urldefrag(href).url
            if lien not in vus and a_visiter(lien, origine):
                vus.add(lien)
                file.append((lien, url))

    # Quelques pages à la largeur d'un téléphone, une par motif, dans l'ordre de découverte :
    # axe y est relancé (un tableau qui défile doit rester atteignable au clavier).
    page.set_viewport_size(TELEPHONE)
    motifs_vus = set()
    for url in visitees:
        if len(motifs_vus) >= args.mobile:
            break
        if motif(url) in motifs_vus:
            continue
        motifs_vus.add(motif(url))
        page.goto(url, wait_until="load")
        analyser(page, axe, rapport, utilisateur, f"{url} (390 px)", args)
        debord = page.evaluate(JS_DEBORDEMENT)
        if debord:
            rapport.debordements.append((utilisateur, url, debord))
    contexte.close()


def resumer(rapport, exemples):
    print("\n=== Pages visitées par rôle ===")
    for utilisateur, n in rapport.pages.items():
        print(f"  {utilisateur:22} {n}")
    if rapport.statuts:
        print(f"\n=== Statuts HTTP en erreur ({len(rapport.statuts)}) ===")
        for utilisateur, url, statut, depuis in rapport.statuts:
            print(f"  {statut} {url}  [{utilisateur}, lien depuis {depuis}]")
    if rapport.console:
        print(f"\n=== Erreurs de console ({len(rapport.console)}) ===")
        for utilisateur, url, message in rapport.console:
            print(f"  {url} [{utilisateur}] : {message[:300]}")
    if rapport.axe:
        print("\n=== Violations axe-core par règle ===")
        for regle, cas in sorted(rapport.axe.items()):
            pages = {url for _, url, *_ in cas}
            noeuds = sum(len(c[4]) for c in cas)
            print(f"- {regle} ({cas[0][2]}) : {cas[0][3]} — {len(pages)} page(s), {noeuds} nœud(s)")
            montres = set()
            for utilisateur, url, _, _, nds in cas:
                if url in montres:
                    continue
                montres.add(url)
                print(f"    {url} [{utilisateur}] {nds[0]['cible']} : {nds[0]['html']}")
                if len(montres) >= exemples:
                    break
    if rapport.debordements:
        print(f"\n=== Débordement horizontal à 390 px ({len(rapport.debordements)}) ===")
        for utilisateur, url, d in rapport.debordements:
            print(
                f"  {url} [{utilisateur}] {d['scrollWidth']}px > {d['largeur']}px : {', '.join(d['fautifs'])}"
            )
    print("\nRien à signaler." if rapport.vide() else "\nDes problèmes ont été trouvés.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8109")
    parser.add_argument("--password", default="demo-logement-2026")
    parser.add_argument("--users", default=",".join(UTILISATEURS))
    parser.add_argument("--max-pages", type=int, default=120, help="pages au plus par utilisateur")
    parser.add_argument("--par-motif", type=int, default=3, help="pages au plus par motif d'URL")
    parser.add_argument(
        "--mobile", type=int, default=6, help="pages vérifiées à 390 px par utilisateur"
    )
    parser.add_argument("--exemples", type=int, default=3, help="URL d'exemple par règle axe")
    parser.add_argument(
        "--toutes-regles", action="store_true", help="ajoute les règles best-practice"
    )
    parser.add_argument("--json", help="écrit le rapport détaillé dans ce fichier")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    args.base = args.base.rstrip("/")

    rapport = Rapport()
    debut = time.monotonic()
    with sync_playwright() as p:
        navigateur = p.chromium.launch(executable_path=CHROMIUM, args=ARGS_CHROMIUM)
        for utilisateur in args.users.split(","):
            print(f"→ {utilisateur}")
            parcourir(navigateur, args, utilisateur, rapport)
        navigateur.close()
    resumer(rapport, args.exemples)
    print(f"({time.monotonic() - debut:.0f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rapport.en_json(), f, ensure_ascii=False, indent=1, default=str)
    return 0 if rapport.vide() else 1


if __name__ == "__main__":
    sys.exit(main())
