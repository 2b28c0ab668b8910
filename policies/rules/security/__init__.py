"""Security rules (the `inferstack-security` pack)."""
