"""omnialloc.domain package."""
