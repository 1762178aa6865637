"""Reference data: the per-process network, SKU and channel caches, and loading the demo network."""
