"""omnialloc.api package."""
