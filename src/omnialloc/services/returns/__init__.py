"""Returns and reverse logistics: RMAs, grading and disposition, refunds and store credit, work orders."""
