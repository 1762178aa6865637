"""omnialloc.notify package."""
