import os

from django.core.wsgi import get_wsgi_application

from tsur.core.process import freeze_startup_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsur.settings")
application = get_wsgi_application()
# The application's long-lived objects are loaded now: keep full collections off them (p95).
freeze_startup_objects()
