"""Stock: positions and adjustments, bulk stock imports and their change history, transfers between nodes."""
