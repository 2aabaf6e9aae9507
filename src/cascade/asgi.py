"""ASGI entry point served by uvicorn (`make run`): Django for HTTP, Channels for the live
room's WebSockets (session auth, and the Origin checked against ALLOWED_HOSTS)."""

from __future__ import annotations

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cascade.settings")

# whitenoise serves static files through a synchronous iterator; under ASGI Django warns on every
# file. The cost is a thread hop per static file, which is fine behind a caching proxy.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")

# Django must be set up before anything imports models (the WebSocket routes do).
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from cascade.live.routing import websocket_urlpatterns  # noqa: E402


def build_application(http: object | None = None) -> ProtocolTypeRouter:
    """HTTP to Django, WebSockets to the live room (tests build one with fresh settings)."""
    return ProtocolTypeRouter(
        {
            "http": http or get_asgi_application(),
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )


application = build_application(django_application)
