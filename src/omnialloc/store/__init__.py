"""omnialloc.store package."""
