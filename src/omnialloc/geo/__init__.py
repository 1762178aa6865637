"""omnialloc.geo package."""
