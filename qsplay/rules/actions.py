"""Actions and contexts of Qlik Sense rules: names, QRS bitmask values and audit letters.

Bit values: QRS API "Create security rule" (None 0, Create 1, Read 2, ... Approve 4096).
Letters: the QMC audit page legend (C R U D E A T M P O V).
"""
from __future__ import annotations

# name, QRS bit, QMC audit letter (None: the audit page shows no letter for it)
ACTION_TABLE: tuple[tuple[str, int, str | None], ...] = (
    ("create", 1, "C"),
    ("read", 2, "R"),
    ("update", 4, "U"),
    ("delete", 8, "D"),
    ("export", 16, "E"),
    ("publish", 32, "P"),
    ("change_owner", 64, "O"),
    ("change_role", 128, None),
    ("export_data", 256, "A"),
    ("access_offline", 512, "M"),
    ("distribute", 1024, None),
    ("duplicate", 2048, "T"),
    ("approve", 4096, "V"),
)
ACTIONS: tuple[str, ...] = tuple(name for name, _, _ in ACTION_TABLE)
ACTION_BITS: dict[str, int] = {name: bit for name, bit, _ in ACTION_TABLE}
ACTION_LETTERS: dict[str, str] = {name: letter for name, _, letter in ACTION_TABLE if letter}
# the order the contract lists the audit letters in
LETTER_ORDER = "CRUDEATMPOV"
ALL_ACTIONS_MASK = 4294967295  # what RootAdmin and ServiceAccount carry in QRS

_ALIASES = {
    "offline_access": "access_offline",
    "offline": "access_offline",
    "changeowner": "change_owner",
    "changerole": "change_role",
    "exportdata": "export_data",
    "accessoffline": "access_offline",
    "allow_access": "create",  # licence rules: QRS stores "Allow access" as bit 1
}

CONTEXTS = ("both", "hub", "qmc")
REQUEST_CONTEXTS = ("hub", "qmc")
# QRS ruleContext: 0 both, 1 hub only, 2 QMC only (QRS SystemRule entity)
CONTEXT_TO_QRS = {"both": 0, "hub": 1, "qmc": 2}
QRS_TO_CONTEXT = {v: k for k, v in CONTEXT_TO_QRS.items()}
CONTEXT_LABELS = {"both": "Both in hub and QMC", "hub": "Only in hub", "qmc": "Only in QMC"}


def normalize_action(text: str) -> str | None:
    """'Change owner', 'change-owner', 'CHANGE_OWNER' -> 'change_owner'; None if unknown."""
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    if key in ACTION_BITS:
        return key
    return _ALIASES.get(key) or _ALIASES.get(key.replace("_", ""))


def actions_from_mask(mask: int) -> frozenset[str]:
    return frozenset(name for name, bit, _ in ACTION_TABLE if mask & bit)


def mask_from_actions(actions) -> int:
    return sum(ACTION_BITS[a] for a in set(actions))


def letters(actions) -> str:
    present = {ACTION_LETTERS[a] for a in actions if a in ACTION_LETTERS}
    return "".join(ch for ch in LETTER_ORDER if ch in present)


def sort_actions(actions) -> list[str]:
    order = {name: i for i, name in enumerate(ACTIONS)}
    return sorted(set(actions), key=lambda a: order.get(a, 99))
