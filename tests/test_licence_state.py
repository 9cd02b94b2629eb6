"""A pulled site's licence state: import-qrs reads it, the licence phase starts from it, and why-not
names the facts behind a licence refusal and changes that, applied, grant.

Fixture: tests/data/qrs-licence (the files `qsplay pull` writes, shapes from
reference/qrs-live-site.md §2.3): at 2026-11-30 16:00 UTC professional 3 of 3 in use (one of them
CORP\\carol's, quarantined until 5 December), analyzer 2 of 2 (one held by the deleted OLD\\eve),
analyzer capacity 600 of 600 minutes used, the Contractors login group's 10 passes used.
Qlik's rules behind the expectations: allocated access is used first, licence rules allocate only
from free allocations ("Allocate is disabled if the number of licenses available for allocation is
insufficient"); a quarantined allocation can be reinstated to the same user only; capacity is
used up for the month; a login pass returns 28 days after use (help: professional-access-allocations,
analyzer-capacity, login access; reference/qlik-licensing-proxy-cloud.md).
"""
import shutil

import pytest

from qsplay.cli import main
from qsplay.engine import engine_for, make_request
from qsplay.explain import edits as E
from qsplay.explain.why_not import decide_fresh, why_not
from qsplay.qrs import import_folder, write_scenario

from .conftest import ROOT

FIXTURE = ROOT / "tests" / "data" / "qrs-licence"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lic")
    doc, report = import_folder(FIXTURE)
    return write_scenario(doc, folder / "site.yaml")


def hub(user):
    return make_request("stream:Everyone", "read", user, "", "hub")


def test_import_reads_pools_allocations_and_the_dump_time(site):
    lic = site.license
    assert site.now.isoformat() == "2026-11-30T16:00:00+00:00"  # pull-manifest.json finished
    assert (lic.key, lic.professional, lic.analyzer, lic.analyzer_capacity_minutes, lic.capacity_used_minutes,
            lic.tokens) == ("signed", 3, 2, 600, 600, 1)
    by_user = {(a.user, a.access): a for a in lic.allocations}
    assert by_user[("CORP\\carol", "professional")].quarantined_until.isoformat() == "2026-12-05T09:00:00+00:00"
    assert by_user[("OLD\\eve", "analyzer")].deleted
    assert by_user[("CORP\\bob", "professional")].last_used.isoformat() == "2026-10-01T09:00:00+00:00"
    login = site.find_license_rule("Contractors login")
    assert login.tokens == 1 and len(login.passes_used) == 10
    assert login.resource_filter.startswith("License.LoginAccessType_")


def test_the_licence_phase_runs_on_the_sites_pools(site):
    engine = engine_for(site)
    state = engine.new_state()
    assert state.in_use("professional") == 3 and state.in_use("analyzer") == 2
    assert engine.decide(hub("CORP\\ann"), state).license.access_type == "professional"  # allocated
    assert engine.decide(hub("CORP\\frank"), state).license.access_type == "analyzer"
    codes = {u: {a["access_type"]: a["code"] for a in engine.decide(hub(u), state).license.attempts}
             for u in ("CORP\\dave", "CORP\\carol", "CORP\\erin", "CORP\\harry")}
    assert codes["CORP\\dave"]["professional"] == "pool_exhausted"
    assert codes["CORP\\carol"]["professional"] == "quarantined"
    assert codes["CORP\\erin"]["login_access"] == "passes_used_up"
    assert codes["CORP\\harry"]["analyzer_capacity"] == "minutes_used_up"


@pytest.mark.parametrize("user, facts, fix_kind", [
    ("CORP\\dave", ["all 3 professional allocations are in use (2 held, 1 in quarantine)", "CORP\\ann (last used "
                    "2026-11-30 15:20)", "CORP\\carol"], "release_allocation"),
    ("CORP\\carol", ["CORP\\carol's allocation is quarantined until 2026-12-05 09:00 UTC"], "reinstate_allocation"),
    ("CORP\\erin", ["10 of 10 passes used in the last 28 days", "the next returns 2026-12-03 10:00 UTC"], "raise_pool"),
    ("CORP\\harry", ["600 of 600 minutes used in 2026-11"], "raise_pool"),
])
def test_why_not_names_the_facts_and_a_fix_that_grants(site, user, facts, fix_kind):
    result = why_not(site, hub(user), compute_gains=False)
    assert result.decision.denied_by == "license"
    text = "\n".join(result.facts)
    for fact in facts:
        assert fact in text
    first = result.suggestions[0]
    assert first.kind == fix_kind and first.phase == "license"
    for s in result.suggestions:  # every suggestion, applied to the file and re-decided, grants
        assert decide_fresh(E.apply_edits(site, s.edits), hub(user)).allowed, s.change
        with E.trying(site, s.edits) as edited:  # and the in-memory form agrees
            assert decide_fresh(edited, hub(user)).allowed, s.change


def test_the_pool_fix_names_the_least_recently_used_holder(site):
    changes = [s.change for s in why_not(site, hub("CORP\\dave"), compute_gains=False).suggestions]
    assert any(c.startswith("deallocate CORP\\bob's professional access (last used 2026-10-01") for c in changes)
    assert any(c.startswith("deallocate the deleted user OLD\\eve's analyzer access") for c in changes)
    assert any("raise the licence's professional allocations to 4" in c for c in changes)


def test_why_not_apply_writes_a_file_that_grants(site, tmp_path, capsys):
    out = tmp_path / "fixed.yaml"
    assert main(["why-not", site.source, "--user", "CORP\\carol", "--resource", "stream:Everyone", "--action", "read",
                 "--apply", "1", "-o", str(out)]) == 0
    assert "quarantined_until" not in [line for line in out.read_text().splitlines() if "carol" in line][-1]
    assert main(["decide", str(out), "--user", "CORP\\carol", "--resource", "stream:Everyone", "--action",
                 "read"]) == 0


def test_an_excess_allocation_is_refused_unless_semantics_say_usable(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(FIXTURE, folder)
    text = (folder / "license_analyzeraccesstype.json").read_text().replace('"excess": false', '"excess": true')
    (folder / "license_analyzeraccesstype.json").write_text(text)
    doc, _ = import_folder(folder)
    site = write_scenario(doc, tmp_path / "x.yaml")
    attempts = {a["access_type"]: a["code"] for a in decide_fresh(site, hub("CORP\\frank")).license.attempts}
    assert attempts["analyzer"] == "excess"
    (tmp_path / "y.yaml").write_text((tmp_path / "x.yaml").read_text() + "semantics: {excess_allocation: usable}\n")
    from qsplay.scenario import load_scenario
    assert decide_fresh(load_scenario(tmp_path / "y.yaml"), hub("CORP\\frank")).allowed


def test_a_folder_without_manifest_dates_the_state_by_the_files(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(FIXTURE, folder)
    (folder / "pull-manifest.json").unlink()
    doc, report = import_folder(folder)
    assert any("modification time" in line for line in report)
    assert "now" in doc
