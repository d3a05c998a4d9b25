import os

from django.core.wsgi import get_wsgi_application

from tsur.core.process import freeze_startup_objects, warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsur.settings")
application = get_wsgi_application()
# Views, API schemas and templates loaded once here, not by each worker's first requests; then
# the application's long-lived objects are kept off full collections (p95).
warm_up()
freeze_startup_objects()
