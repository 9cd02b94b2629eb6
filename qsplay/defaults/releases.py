"""Qlik Sense releases and the preinstalled rule set each one ships.

A scenario names its release (`qlik_release: "May 2024"`); an imported site takes it from QRS
`/qrs/about`. The set is the November 2017 rules (verbatim, preinstalled_rules.yaml) with every
documented change up to that release applied (preinstalled_rules_since_2017.yaml, each cited).
Without a release the newest documented set is used, and traces say so.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from ruamel.yaml import YAML

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
BASE_RELEASE = "November 2017"
DEFAULT_RELEASE = "May 2024"  # the newest release whose preinstalled-rules page is documented

# QRS /qrs/about `buildVersion` (major.minor) -> the release it belongs to. UNCONFIRMED: no Qlik page
# found lists build numbers next to release names; these are the numbers servers of each release are
# commonly seen reporting. A build between two rows counts as the older release.
BUILD_VERSIONS = (
    ((11, 24), "November 2017"), ((12, 5), "April 2018"), ((12, 16), "June 2018"),
    ((12, 26), "September 2018"), ((12, 36), "November 2018"), ((13, 9), "February 2019"),
    ((13, 21), "April 2019"), ((13, 32), "June 2019"), ((13, 42), "September 2019"),
    ((13, 51), "November 2019"), ((13, 62), "February 2020"), ((13, 72), "April 2020"),
    ((13, 82), "June 2020"), ((13, 95), "September 2020"), ((13, 102), "November 2020"),
    ((14, 5), "February 2021"), ((14, 20), "May 2021"), ((14, 28), "August 2021"),
    ((14, 44), "November 2021"), ((14, 54), "February 2022"), ((14, 67), "May 2022"),
    ((14, 78), "August 2022"), ((14, 97), "November 2022"), ((14, 113), "February 2023"),
    ((14, 129), "May 2023"), ((14, 144), "August 2023"), ((14, 159), "November 2023"),
    ((14, 173), "February 2024"), ((14, 187), "May 2024"),
)


@dataclass(frozen=True)
class RuleSet:
    """Which preinstalled rules a site uses, and why."""
    release: str  # e.g. "May 2024"
    origin: str  # scenario | default | import
    note: str = ""  # how the release was found (e.g. from buildVersion), or why it was adjusted

    def describe(self) -> str:
        how = {"scenario": "named by the scenario (qlik_release)", "default": "no qlik_release given: the "
               "newest documented release", "import": "from the imported site's QRS about"}.get(self.origin, self.origin)
        extra = f"; {self.note}" if self.note else ""
        return f"preinstalled rules of Qlik Sense {self.release} ({how}{extra})"

    def to_dict(self) -> dict:
        out = {"release": self.release, "origin": self.origin}
        if self.note:
            out["note"] = self.note
        return out


def parse_release(text) -> tuple[int, int]:
    """'May 2024', 'may2024', 'May 2024 Patch 3', '2024-05' -> (2024, 5). ValueError otherwise."""
    raw = str(text).strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
    if m and 1 <= int(m.group(2)) <= 12:
        return int(m.group(1)), int(m.group(2))
    m = re.match(r"([A-Za-z]+)\s*(\d{4})\b", raw)
    if m:
        word = m.group(1).lower()
        hits = [i for i, name in enumerate(MONTHS) if name.startswith(word) and len(word) >= 3]
        if len(hits) == 1:
            return int(m.group(2)), hits[0] + 1
    raise ValueError(f"a Qlik Sense release looks like \"May 2024\" (month and year), not {raw!r}")


def release_name(year: int, month: int) -> str:
    return f"{MONTHS[month - 1].title()} {year}"


def normalise_release(text) -> tuple[str, str]:
    """(canonical name, note): a release older than the 2017 baseline uses the baseline, said in the note."""
    year, month = parse_release(text)
    if (year, month) < parse_release(BASE_RELEASE):
        return BASE_RELEASE, (f"{release_name(year, month)} is older than the earliest documented set; "
                              f"the {BASE_RELEASE} set is used")
    return release_name(year, month), ""


def release_from_about(about: dict) -> tuple[str | None, str]:
    """The release of a site from its QRS `about` response: a release name in it if there is one,
    else its buildVersion through BUILD_VERSIONS (UNCONFIRMED mapping). (None, why) when neither works."""
    if not isinstance(about, dict):
        return None, "about is not a JSON object"
    for key in ("releaseLabel", "productName", "release", "version"):
        value = about.get(key)
        if isinstance(value, str):
            try:
                name, note = normalise_release(value)
                return name, f"about.{key} = {value!r}" + (f"; {note}" if note else "")
            except ValueError:
                continue
    build = about.get("buildVersion")
    if isinstance(build, str):
        m = re.match(r"(\d+)\.(\d+)", build.strip())
        if m:
            wanted = (int(m.group(1)), int(m.group(2)))
            older = [name for version, name in BUILD_VERSIONS if version <= wanted]
            if older:
                return older[-1], (f"about.buildVersion {build} read as {older[-1]} (the build-number table is "
                                   f"UNCONFIRMED: no Qlik page lists build numbers by release)")
            return BASE_RELEASE, f"about.buildVersion {build} is older than {BASE_RELEASE}; the {BASE_RELEASE} set is used"
    return None, "about has neither a release name nor a buildVersion"


@functools.lru_cache(maxsize=1)
def _changes() -> tuple[dict, ...]:
    text = resources.files(__package__).joinpath("preinstalled_rules_since_2017.yaml").read_text(encoding="utf-8")
    return tuple(YAML(typ="safe").load(text)["changes"])


def known_releases() -> list[str]:
    """Releases at which the preinstalled rules changed (the baseline first)."""
    out = [BASE_RELEASE]
    for change in _changes():
        if change["release"] not in out:
            out.append(change["release"])
    return out


def rule_specs_for(release: str, base: list[dict]) -> list[dict]:
    """The preinstalled rules of a release: the 2017 specs with every change up to it applied.
    Each spec that a change touched carries `since` (the release) and its `source`; an addition
    whose text no page gives carries `unconfirmed`."""
    wanted = parse_release(release)
    specs = [dict(s) for s in base]
    index = {s["name"].casefold(): s for s in specs}
    for change in _changes():
        if parse_release(change["release"]) > wanted:
            continue
        if "add" in change:
            spec = dict(change["add"], since=change["release"], source=" ".join(change["source"].split()))
            if change.get("unconfirmed"):
                spec["unconfirmed"] = " ".join(change["unconfirmed"].split())
            specs.append(spec)
            index[spec["name"].casefold()] = spec
        else:
            target = index[change["update"]["name"].casefold()]
            target.update({k: v for k, v in change["update"].items() if k != "name"})
            target["since"] = change["release"]
            target["source"] = " ".join(change["source"].split())
            if change.get("unconfirmed"):
                target["unconfirmed"] = " ".join(change["unconfirmed"].split())
    return specs
