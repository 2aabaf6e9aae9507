"""ASGI entry point served by uvicorn (`make run`); the live room adds Channels routing here."""

from __future__ import annotations

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cascade.settings")

# whitenoise serves static files through a synchronous iterator; under ASGI Django warns on every
# file. The cost is a thread hop per static file, which is fine behind a caching proxy.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")

application = get_asgi_application()
