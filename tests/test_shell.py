"""The interactive shell, driven through prompt-toolkit's pipe input and in a real terminal (tmux).

Decisions asserted here are the seed walkthrough's (KB 000035663: anonymous users read the
dedicated stream through the "Only in hub" rule; an inactive account is refused with "Your
account is inactive...").
"""
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from qsplay.commands import Session, run_line
from qsplay.commands.completion import completions
from qsplay.scenario import demo_path, load_scenario
from qsplay.shell.app import needs_more, run_shell

from .conftest import ROOT


class Capture(DummyOutput):
    def __init__(self):
        super().__init__()
        self.text = []

    def write_raw(self, data):
        self.text.append(data)

    def write(self, data):
        self.text.append(data)

    @property
    def value(self):
        return "".join(self.text).replace("\r\n", "\n")


def drive(keys, path=None, history=None):
    """Type `keys`: a string, or a list whose strings are sent in turn, 0.3 s apart (prompt-toolkit
    loads history in the background, so a key that needs it must wait a moment); a `Wait("text")`
    item holds the rest back until the shell has printed that text (a busy machine may take
    seconds to load the site or answer, so fixed delays alone are flaky)."""
    out = Capture()
    items = [keys] if isinstance(keys, str) else list(keys)

    def feed(pipe):
        for item in items[1:]:
            if isinstance(item, Wait):
                deadline = time.monotonic() + 60
                while item.text not in out.value and time.monotonic() < deadline:
                    time.sleep(0.05)
                continue
            time.sleep(0.3)
            pipe.send_text(item)

    with create_pipe_input() as pipe:
        pipe.send_text(items[0])
        feeder = threading.Thread(target=feed, args=(pipe,), daemon=True)
        feeder.start()
        with create_app_session(input=pipe, output=out):
            code = run_shell(str(path) if path else None, input=pipe, output=out,
                             history=history or InMemoryHistory())
        feeder.join(5)
    return code, out.value


class Wait:
    def __init__(self, text):
        self.text = text


def test_a_decision_a_bad_line_and_ctrl_d():
    code, text = drive("can anonymous read stream:Public via public\r"
                       "can CORP\\carol read stream:Finance\r"
                       "frobnicate\r"
                       "can CORP\\bob fly stream:Public\r"
                       "\x04")
    assert code == 0
    assert "ALLOW  NONE\\anonymous" in text and "granted by Everyone (anonymous) can read the Public stream" in text
    assert "Your account is inactive" in text
    assert "unknown command 'frobnicate'" in text
    assert "unknown action 'fly'" in text


def test_history_is_kept_and_recalled():
    history = InMemoryHistory()
    # up-arrow recalls the previous line; running it twice gives the decision twice
    code, text = drive(["can CORP\\alice read stream:Public\r", Wait("ALLOW  CORP\\alice"), "\x1b[A", "\r\x04"],
                       history=history)
    assert text.count("ALLOW  CORP\\alice read stream:Public") == 2
    assert list(history.get_strings())[-1] == "can CORP\\alice read stream:Public"


def test_multi_line_condition_continues_after_and():
    assert needs_more('eval user.group = "Sales" and')
    assert needs_more("rule add X --filter Stream_* --actions read --condition '(user.group = \"A\"")
    assert not needs_more('eval user.group = "Sales"')
    code, text = drive('eval user.IsAnonymous() or\r resource.name = "Public" for CORP\\bob on stream:Public\r\x04')
    assert "TRUE  for CORP\\bob on stream:Public" in text


def test_ctrl_d_with_unsaved_edits_asks_first(tmp_path):
    copy = tmp_path / "site.yaml"
    shutil.copy(demo_path(), copy)
    code, text = drive(["rule disable Stream\r", Wait("disabled"), "\x04", Wait("Quit anyway?"), "n\r",
                        "can CORP\\bob read stream:Public\r", Wait("ALLOW  CORP\\bob"), "\x04", "y\r"], path=copy)
    assert code == 0
    assert "Quit anyway? [y/N]" in text
    assert "ALLOW  CORP\\bob read stream:Public" in text  # answering no kept the session going


def test_edit_save_round_trip_keeps_comments(tmp_path):
    path = tmp_path / "site.yaml"
    shutil.copy(demo_path(), path)
    original = path.read_text()
    code, text = drive("user CORP\\bob --add-group Finance\r"
                       "rule disable \"Finance reads the Finance stream\"\r"
                       "rule set StreamEveryoneAnonymous --context both\r"
                       "save\r\x04", path=path)
    assert f"saved {path}" in text
    saved = path.read_text()
    assert "# allocated by hand in the QMC" in saved  # comments kept
    assert "groups: [Sales, Finance]" in saved
    assert "- name: StreamEveryoneAnonymous\n    context: both" in saved
    # everything not edited is byte-for-byte the same, in the same order
    changed = [line for line in saved.splitlines() if line not in original.splitlines()]
    assert len(changed) <= 5, changed
    site = load_scenario(path)
    assert not site.find_security_rule("Finance reads the Finance stream").condition == ""
    assert site.find_security_rule("Finance reads the Finance stream").disabled
    assert not list(tmp_path.glob(".*.tmp"))  # the temp file was renamed into place


def test_saving_a_builtin_scenario_needs_a_new_name():
    session = Session()
    session.load(demo_path())
    run_line(session, "rule disable Stream")
    with pytest.raises(Exception) as err:
        run_line(session, "save")
    assert "save it under a new name" in str(err.value)


def test_completion_from_the_shell():
    session = Session()
    session.load(demo_path())
    texts = lambda t: [c.text for c in completions(session, t)]
    assert "can" in texts("c")
    assert "CORP\\alice" in texts("can CORP\\al")
    assert "publish" in texts("can CORP\\alice pu")
    assert '"app:Market Trends"' in texts("can CORP\\alice read app:M")
    assert "group" in texts("eval user.gr")
    assert 'HasPrivilege("' in texts("eval resource.stream.Has")
    assert "ip" in texts("eval user.environment.")
    assert "StreamEveryoneAnonymous" in texts("rule disable StreamEveryoneA")
    assert "--resource" in texts("decide --res")
    assert "hub" in texts("decide --context ")
    assert "public" in texts("can anonymous read stream:Public via ")


def test_tab_completes_in_the_running_shell():
    code, text = drive(["can CORP\\car", "\t", " read stream:Finance\r\x04"])
    assert "CORP\\carol" in text and "Your account is inactive" in text


def _shell_running(marker: str) -> bool:
    """Whether the shell process (started on a uniquely named scenario file) is still alive."""
    return subprocess.run(["pgrep", "-f", re.escape(marker) + "$"], capture_output=True).returncode == 0


@pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("pgrep") is None, reason="needs tmux and pgrep")
def test_in_a_real_terminal_under_tmux(tmp_path):
    server = f"qsplay-test-{uuid.uuid4().hex[:8]}"
    qsplay = [sys.executable, "-m", "qsplay"]
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "TERM": "xterm-256color"}

    def tmux(*args):
        return subprocess.run(["tmux", "-L", server, "-f", "/dev/null", *args], capture_output=True,
                              text=True, env=env)

    def screen():
        return tmux("capture-pane", "-p", "-S", "-200").stdout

    def wait_for(text, seconds=15):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in screen():
                return True
            time.sleep(0.1)
        return False

    scenario = tmp_path / f"demo-{server}.yaml"
    shutil.copy(ROOT / "scenarios" / "anonymous-hub.yaml", scenario)
    tmux("new-session", "-d", "-x", "200", "-y", "50", "-c", str(ROOT), " ".join(qsplay) + f" {scenario}; sleep 30")
    try:
        assert wait_for("qsplay>"), screen()
        tmux("send-keys", "-l", "can anonymous read stream:Public via public")
        tmux("send-keys", "Enter")
        assert wait_for("granted by Everyone (anonymous) can read the Public stream"), screen()
        tmux("send-keys", "-l", "nonsense here")
        tmux("send-keys", "Enter")
        assert wait_for("unknown command 'nonsense'"), screen()
        tmux("send-keys", "-l", "can CORP\\bob read stream:Public")
        tmux("send-keys", "Enter")
        assert wait_for("ALLOW  CORP\\bob read stream:Public"), screen()
        assert _shell_running(scenario.name)
        tmux("send-keys", "C-d")
        # the shell ends (the pane's `sleep` keeps the window): its process is gone, with no traceback
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _shell_running(scenario.name):
            time.sleep(0.1)
        assert not _shell_running(scenario.name)
        assert "Traceback" not in screen()
    finally:
        tmux("kill-server")
