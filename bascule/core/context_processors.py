"""What every page's layout needs: the CSP nonce for inline-free scripts, the site identity, the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from bascule.core.registry import NAVIGATION, NavEntry, user_can

SITE = {
    "site_title": "Bascule",
    "site_tagline": "Piloter la réorganisation des services et le passage au nouveau système d'information",
    "header_brand_html": "République<br>française",
    "footer_description": "Bascule est un logiciel libre de pilotage de bascules pour les administrations de l'État.",
    "beta_tag": True,
}


def bascule(request: HttpRequest) -> dict[str, Any]:
    path = request.path
    user = getattr(request, "user", None)
    navigation = []
    home = reverse("core:home")
    for entry in [NavEntry("core:home", "Accueil", "", 0), *NAVIGATION]:
        if entry.ability and not (user is not None and user_can(user, entry.ability)):
            continue
        url = reverse(entry.url_name)
        current = path == url if not entry.prefix else path.startswith(entry.prefix)
        navigation.append(
            {"url": url, "label": entry.label, "current": current or (url == home and path == home)}
        )
    return {
        # str() generates the nonce now: django-csp's lazy nonce is falsy until evaluated.
        "csp_nonce": str(getattr(request, "csp_nonce", "")),
        "export_formats": [("csv", "CSV"), ("xlsx", "XLSX"), ("ods", "ODS")],
        "SITE_CONFIG": SITE,
        "navigation": navigation,
        "skiplinks": [
            {"link": "#content", "label": "Contenu"},
            {"link": "#fr-navigation", "label": "Menu"},
            {"link": "#footer", "label": "Pied de page"},
        ],
    }
