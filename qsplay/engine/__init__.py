"""The decision pipeline: request -> authentication -> licence -> security -> Decision."""
from .checks import CheckResult, FileResult, explain, run_checks
from .decision import Decision, Identity, LicenseResult, RuleEvaluation, SecurityResult, Step
from .pipeline import Engine, decide
from .request import Request, make_request
from .state import SiteState

# Other platforms (e.g. Qlik Cloud) register an engine class here: platform name -> factory(site).
PLATFORM_ENGINES: dict = {}


def engine_for(site):
    """The decision engine for a site's platform (Qlik Sense Enterprise on Windows by default)."""
    factory = PLATFORM_ENGINES.get(site.platform)
    if factory is None and site.platform != "windows":
        import importlib
        importlib.import_module(f"qsplay.{site.platform}")  # a platform package registers itself
        factory = PLATFORM_ENGINES.get(site.platform)
    return (factory or Engine)(site)


__all__ = [name for name in dir() if not name.startswith("_")]
