"""The deployment's scripts (deploy/) are run as programs, not imported as a package: their
folder goes on the path, as it does when they run."""

from __future__ import annotations

import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
if str(DEPLOY) not in sys.path:
    sys.path.insert(0, str(DEPLOY))
