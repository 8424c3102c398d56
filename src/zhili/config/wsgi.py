"""The WSGI application (gunicorn ``zhili.config.wsgi:application``)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhili.config.settings")
application = get_wsgi_application()

from zhili.core.startup import refuse_to_start  # noqa: E402 - needs the settings loaded above

# Any WSGI server: a production installation without its keys, hosts or collected assets does not serve.
refuse_to_start(process="web", serves_pages=True)

if os.environ.get("ZHILI_GC_TUNING", "1") == "1":
    # A request allocates many short-lived objects; the default thresholds (700, 10, 10) run the
    # cyclic collector hundreds of times a second, and its full passes over the long-lived heap
    # (Django, the URLconf, loaded models) show as latency spikes. Objects alive now are moved out
    # of its sight, and young generations are collected less often.
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)
