"""Load a real site: read QRS API exports into a scenario; write rules back as QRS JSON."""
from .importer import import_folder, write_scenario
from .reader import QrsError

__all__ = ["QrsError", "import_folder", "write_scenario"]
