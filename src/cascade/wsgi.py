"""WSGI entry point, for hosts that cannot run ASGI (the live room then needs an ASGI server)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cascade.settings")

application = get_wsgi_application()
