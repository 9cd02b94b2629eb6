"""The site model: users, resources, rules, licence and proxies, as plain objects."""
from .entities import (ANONYMOUS_LABELS, KIND_TO_TYPE, LICENSE_TYPES, RESOURCE_CLASSES, TYPE_TO_KIND, AllocationRecord, App,
                       AppObject, Check, ContentLibrary, CustomPropertyDefinition, DataConnection, Entity,
                       Extension, License, LicenseRule, Location, ReloadTask, SecurityRule, Stream, User,
                       UserDirectory, VirtualProxy, parse_duration, parse_time, stable_id)
from .site import RESOURCE_KINDS, LookupError_ as UnknownReference, Site

__all__ = [name for name in dir() if not name.startswith("_")]
