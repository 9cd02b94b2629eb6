"""qsplay: see how Qlik Sense decides access, step by step."""
__version__ = "0.1.0"
