"""Order use cases: capture, allocate, cancel, hold and release; the order and shipment read models;
backordered orders retried when stock arrives."""
