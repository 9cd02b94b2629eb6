"""Large sites load in the background in the shell (and kernel): the prompt works at once, commands
that need the site say how far the load has got (issue 21)."""
import threading

import pytest

from qsplay.commands import base
from qsplay.commands.base import CommandError, Session, run_line
from qsplay.scenario import builtin_dir, progress

DEMO = builtin_dir() / "anonymous-hub.yaml"


def test_commands_wait_for_the_site_and_say_how_far_it_has_got(monkeypatch):
    release = threading.Event()
    real = base.load_scenario

    def slow_load(path, **kw):
        progress.report(0.4, "reading")
        release.wait(10)
        return real(path, **kw)

    monkeypatch.setattr(base, "load_scenario", slow_load)
    session = Session()
    loading = session.load_in_background(DEMO)
    for _ in range(100):
        if loading.fraction:
            break
        threading.Event().wait(0.01)
    with pytest.raises(CommandError, match=r"still loading \(40%, reading\)"):
        run_line(session, "users")
    assert "help" in run_line(session, "help").render()  # needs no site: works during the load
    from qsplay.shell.app import toolbar
    assert "loading" in str(toolbar(session)().value)
    release.set()
    assert loading.wait(10) and loading.error is None and loading.percent == 100
    assert "CORP\\alice" in run_line(session, "users").render()


def test_a_site_that_does_not_load_is_said_at_the_next_command(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nusers:\n  - {directory: CORP, id: a, grups: [g]}\n")
    session = Session()
    session.load_in_background(bad).wait(10)
    with pytest.raises(CommandError, match="did not load.*unknown key 'grups'"):
        run_line(session, "users")


def test_the_fast_reader_reports_progress(tmp_path):
    from benchmarks.realistic import generate
    from qsplay.qrs import import_folder, write_scenario
    from qsplay.scenario import load_scenario
    generate(tmp_path / "export", users=60, apps=40, objects=400, seed=2)
    doc, _ = import_folder(tmp_path / "export")
    write_scenario(doc, tmp_path / "site.yaml")
    seen = []
    with progress.reporting(lambda fraction, stage: seen.append((fraction, stage))):
        load_scenario(tmp_path / "site.yaml", fast=True)
    assert seen and seen == sorted(seen, key=lambda s: s[0]) and seen[-1] == (0.7, "building the model")
