import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

from bascule.core.startup import settle  # noqa: E402 — needs Django loaded

settle()  # start-up objects out of the garbage collector's way (bascule/core/startup.py)
