"""omnialloc.rules package."""
