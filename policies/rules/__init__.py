"""One CrossGuard policy per module: `security/<name>.py` and `cost/<name>.py`, each exporting POLICY and META."""
