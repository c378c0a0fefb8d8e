"""Helpers of scripts/record-fixtures: run the adapter's argv against the real lab and save the output."""

import sys
from pathlib import Path

# The recorder uses the very builders the service uses, straight from the source tree.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
