"""qsplay: see how Qlik Sense decides access, step by step.

    import qsplay
    site = qsplay.Site("scenarios/anonymous-hub.yaml")   # or qsplay.Site.demo()
    site.decide("anonymous", "app:Market Trends", proxy="public")
"""
__version__ = "0.1.0"


def __getattr__(name):  # the Python API loads only when used, so `qsplay --version` stays instant
    if name == "Site":
        from .api import Site
        return Site
    raise AttributeError(f"module 'qsplay' has no attribute {name!r}")
