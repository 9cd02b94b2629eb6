"""The command line as the contract fixes it (§3): decide --json, check --json, exit codes."""
import json
import subprocess
import sys

import pytest

from qsplay.cli import main

from .conftest import ROOT, SHARED

DEMO = str(ROOT / "scenarios" / "anonymous-hub.yaml")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_decide_json_has_the_contract_fields(capsys):
    code, out, _ = run(capsys, "decide", DEMO, "--user", "anonymous", "--proxy", "public",
                       "--resource", "stream:Public", "--action", "read", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["request"] == {"proxy": "public", "user": "anonymous", "resource": "stream:Public",
                               "action": "read", "context": "hub"}
    assert data["decision"] == "allow" and data["denied_by"] is None
    assert data["identity"]["anonymous"] is True and data["identity"]["outcome"] == "anonymous"
    assert data["identity"]["user"].startswith("NONE\\anonymous")
    assert data["license"]["granted"] is True and data["license"]["access_type"] == "analyzer_capacity"
    assert data["license"]["rule"] == "Anonymous visitors use analyzer capacity"
    assert data["license"]["message"] is None
    assert data["security"]["allowed"] is True
    assert data["security"]["granting_rules"] == ["Everyone (anonymous) can read the Public stream"]
    assert {s["phase"] for s in data["steps"]} == {"authentication", "license", "security"}
    assert all("text" in s for s in data["steps"])


def test_decide_json_phase_not_run_is_null(capsys):
    code, out, _ = run(capsys, "decide", DEMO, "--user", "anonymous", "--resource", "stream:Public", "--json")
    data = json.loads(out)
    assert data["decision"] == "deny" and data["denied_by"] == "authentication"
    assert data["license"] is None and data["security"] is None


def test_decide_text_and_expect(capsys):
    code, out, _ = run(capsys, "decide", DEMO, "--user", "CORP\\bob", "--resource", "app:Draft Ideas")
    assert code == 0 and out.startswith("DENY")
    assert "3. Security rules" in out
    code, _, _ = run(capsys, "decide", DEMO, "--user", "CORP\\bob", "--resource", "app:Draft Ideas",
                     "--expect", "allow")
    assert code == 1


def test_check_exit_codes_and_json(capsys, tmp_path):
    code, out, _ = run(capsys, "check", DEMO, "--json")
    data = json.loads(out)
    assert code == 0 and data["failed"] == 0 and data["passed"] == len(data["files"][0]["checks"])
    failing = tmp_path / "failing.yaml"
    failing.write_text((ROOT / "scenarios" / "anonymous-hub.yaml").read_text().replace(
        "    expect: deny\n    denied_by: authentication\n", "    expect: allow\n", 1))
    code, out, _ = run(capsys, "check", str(failing), "--json")
    data = json.loads(out)
    assert code == 1 and data["failed"] == 1
    bad = [c for c in data["files"][0]["checks"] if not c["passed"]][0]
    assert bad["expected"] == {"decision": "allow"}
    assert bad["got"]["decision"] == "deny" and bad["got"]["denied_by"] == "authentication"


def test_check_counts_a_file_that_does_not_load_as_one_failure_and_exits_2(capsys, tmp_path):
    # exit 2 for unusable input, as the contract's "Exit codes" and the README say
    broken = tmp_path / "broken.yaml"
    broken.write_text("qsplay: 1\nname: x\nusers: [{directory: C, id: a, grups: []}]\n")
    code, out, _ = run(capsys, "check", str(broken), DEMO, "--json")
    data = json.loads(out)
    assert code == 2 and data["failed"] == 1
    assert data["files"][0]["checks"][0]["name"] == str(broken)
    assert "did you mean 'groups'" in data["files"][0]["checks"][0]["explanation"]


def test_unusable_input_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "decide", str(tmp_path / "missing.yaml"), "--resource", "stream:X")
    assert code == 2 and err.strip() == f"{tmp_path / 'missing.yaml'}: no such file"
    code, out, _ = run(capsys, "check", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml: no such file" in out and "line 1" not in out
    code, _, err = run(capsys, "decide", DEMO, "--user", "CORP\\bobb", "--resource", "stream:Public")
    assert code == 2 and "did you mean 'CORP\\bob'" in err
    code, _, err = run(capsys, "decide", DEMO)
    assert code == 2 and "--resource" in err


@pytest.mark.skipif(not (SHARED / "conformance").exists(), reason="shared conformance not present")
def test_scenarios_and_conformance_hold(capsys):
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    files += sorted(str(p) for p in (SHARED / "conformance").glob("*.yaml"))
    code, out, _ = run(capsys, "check", *files)
    assert code == 0, out


def test_version_runs_as_a_program():
    out = subprocess.run([sys.executable, "-m", "qsplay", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("qsplay ")
