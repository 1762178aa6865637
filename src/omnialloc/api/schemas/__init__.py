"""Request and response models of the HTTP API (pydantic v2), one module per feature.

``common`` holds the field types and base models every feature shares (strict input, lenient output);
each other module holds one feature's models and is named for it, like the blueprint that uses it.
Import from the feature module (``from omnialloc.api.schemas.orders import OrderIn``).
"""
