"""omnialloc: an order management system whose heart is an optimization engine."""

__version__ = "0.1.0"
