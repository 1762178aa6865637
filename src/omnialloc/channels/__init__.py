"""omnialloc.channels package."""
