"""What every page's layout needs: the CSP nonce for inline-free scripts, the site identity, the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from bascule.core.perimeter import perimeter_for

SITE = {
    "site_title": "Bascule",
    "site_tagline": "Piloter la réorganisation des services et le passage au nouveau système d'information",
    "header_brand_html": "République<br>française",
    "footer_description": "Bascule est un logiciel libre de pilotage de bascules pour les administrations de l'État.",
    "beta_tag": True,
}

NAVIGATION = [
    ("core:home", "Accueil", ""),
    ("organisation:structure_tree", "Structures", "/organisation/structures"),
    ("organisation:person_list", "Personnes", "/organisation/personnes"),
    ("programmes:programme_list", "Programmes", "/programmes"),
    ("organisation:import", "Imports", "/organisation/import"),
]


def bascule(request: HttpRequest) -> dict[str, Any]:
    path = request.path
    navigation = []
    for url_name, label, prefix in NAVIGATION:
        url = reverse(url_name)
        current = path == url if not prefix else path.startswith(prefix)
        navigation.append({"url": url, "label": label, "current": current})
    user = getattr(request, "user", None)
    perimeter = perimeter_for(user) if user is not None and user.is_authenticated else None
    return {
        # str() generates the nonce now: django-csp's lazy nonce is falsy until evaluated.
        "csp_nonce": str(getattr(request, "csp_nonce", "")),
        "export_formats": [("csv", "CSV"), ("xlsx", "XLSX"), ("ods", "ODS")],
        "SITE_CONFIG": SITE,
        "navigation": navigation,
        "perimeter": perimeter,
        "skiplinks": [
            {"link": "#content", "label": "Contenu"},
            {"link": "#fr-navigation", "label": "Menu"},
            {"link": "#footer", "label": "Pied de page"},
        ],
    }
