"""omnialloc.services package."""
