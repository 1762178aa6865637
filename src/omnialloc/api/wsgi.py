"""WSGI entry point for gunicorn: ``gunicorn omnialloc.api.wsgi:app``."""

from omnialloc.config import get_settings
from omnialloc.observability import heap, logs

logs.configure_from(get_settings())  # JSON lines with request ids (unusable settings exit here, with a message)

from omnialloc.api import create_app  # noqa: E402 - after the settings are known to be usable

app = create_app()

# The collector settings of a long-lived worker (omnialloc.observability.heap: the start-up heap frozen, a
# higher young-generation threshold), applied once everything above is loaded.
heap.settle()
