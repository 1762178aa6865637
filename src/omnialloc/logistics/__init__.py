"""omnialloc.logistics package."""
