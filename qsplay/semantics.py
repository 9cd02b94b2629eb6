"""Named choices where Qlik's documented behaviour is ambiguous (UNCONFIRMED in the references).

Each choice is visible: a scenario sets it under `semantics:`, the shell with `set`, and every
trace that depends on it says which reading was used.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

CHOICES = {
    # != against a multi-valued property. any_differs: true when some value differs (Qlik Core's
    # documented wording, "only one value needs not to match"); none_equal: true when no value equals.
    "ne_on_lists": ("any_differs", "none_equal"),
    # a property the site does not define. empty: it has no values (comparisons are false);
    # fail: the rule fails to evaluate and grants nothing (the QRS audit's "evaluationfailure").
    "missing_property": ("empty", "fail"),
    # matches: case-insensitive with implicit anchors (help 2022+), or case-sensitive (help 2.x).
    "matches_case": ("insensitive", "sensitive"),
    # quarantine of professional/analyzer allocations: help scopes it to serial keys; a Qlik KB says
    # user-based allocations are never quarantined. serial_only | never | always
    "allocation_quarantine": ("serial_only", "never", "always"),
    # analyzer capacity users: analyzer's limits (no creating, editing or publishing sheets or apps;
    # help: Analyzer access allocations) or none; that capacity shares them is UNCONFIRMED
    "analyzer_capacity_limits": ("like_analyzer", "none"),
    # a QMC request: not_needed (no access pass is checked or used; with a signed key an allocated
    # user's QMC session counts towards the five) or needed (the QMC is licensed like the hub)
    "qmc_access_pass": ("not_needed", "needed"),
    # an object (resource.owner, resource.stream, user) compared with text or a pattern: qualified (a
    # user's DIRECTORY\userId, another object's id), id (its GUID) or name; Qlik documents only
    # object-to-object comparison (`resource.owner = user`)
    "entity_text": ("qualified", "id", "name"),
    # a filter entry with a type and an empty id (`Stream_`): nothing (it selects no resource) or
    # every (read as Stream_*); Qlik documents neither
    "empty_id_filter": ("nothing", "every"),
    # an allocation QRS flags `excess` (beyond the quota; AccessTypeResult 6 ExcessAssignment): refused,
    # or usable like any other (no page says what the proxy does with it)
    "excess_allocation": ("refused", "usable"),
    # `*` in USERID or GROUP of a section access table. any_user: matches everyone (the reading that
    # makes Qlik's own example `USER, *, A, 1` with a GROUP column work); listed_only: only values
    # listed elsewhere in that column (how `*` works in reduction fields, help "Star").
    "section_access_star_identity": ("any_user", "listed_only"),
    # an empty USERID or GROUP cell. matches_none: the row matches no one through it (associative
    # reading: the user has no empty identity); ignored: the field is not checked for that row.
    "section_access_empty_identity": ("matches_none", "ignored"),
    # a user whose row is ADMIN. all_data: sees everything (help: ADMIN "has access to all data");
    # reduced: reduction values on ADMIN rows reduce the data like USER rows.
    "section_access_admin": ("all_data", "reduced"),
}
DESCRIPTIONS = {
    "ne_on_lists": "!= on a multi-valued property: any_differs (Qlik Core wording) or none_equal",
    "missing_property": "an undefined property: empty (no values) or fail (rule grants nothing)",
    "matches_case": "matches: insensitive (help 2022+) or sensitive (help 2.x)",
    "allocation_quarantine": "professional/analyzer deallocation quarantine: serial_only, never or always",
    "analyzer_capacity_limits": "analyzer capacity cannot create/edit/publish sheets or apps: like_analyzer or none",
    "qmc_access_pass": "does a QMC request need an access pass: not_needed (help, KB) or needed",
    "entity_text": "an object compared with text (resource.owner = user.userId): qualified, id or name",
    "empty_id_filter": "a filter entry like Stream_ (no id): nothing or every",
    "excess_allocation": "an allocation QRS flags excess (beyond the quota): refused or usable",
    "section_access_star_identity": "* in section access USERID/GROUP: any_user or listed_only",
    "section_access_empty_identity": "an empty section access USERID/GROUP cell: matches_none or ignored",
    "section_access_admin": "a section access ADMIN row: all_data or reduced (reduction values apply)",
}


@dataclass(frozen=True)
class Semantics:
    ne_on_lists: str = "any_differs"
    missing_property: str = "empty"
    matches_case: str = "insensitive"
    allocation_quarantine: str = "serial_only"
    analyzer_capacity_limits: str = "like_analyzer"
    qmc_access_pass: str = "not_needed"
    entity_text: str = "qualified"
    empty_id_filter: str = "nothing"
    excess_allocation: str = "refused"
    section_access_star_identity: str = "any_user"
    section_access_empty_identity: str = "matches_none"
    section_access_admin: str = "all_data"

    def with_choice(self, name: str, value: str) -> "Semantics":
        check_choice(name, value)
        return replace(self, **{name: value})

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def check_choice(name: str, value: str) -> None:
    if name not in CHOICES:
        raise ValueError(f"unknown semantics option {name!r}; options: {', '.join(CHOICES)}")
    if value not in CHOICES[name]:
        raise ValueError(f"{name} must be one of {', '.join(CHOICES[name])}, not {value!r}")
