"""Cost rules (the `inferstack-cost` pack)."""
