"""Fuzz targets: for each front door (rule parser, scenario loader, QRS importer, command layer) a
generator of hostile inputs and an oracle that says whether the answer was acceptable.

Acceptable: a result, or the project's own error carrying a position (ConditionError with line and
column; ScenarioError whose problems name the file with line and column; QrsError naming the file;
CommandError with a message). Anything else is a crash; taking longer than the target's limit is a
hang. Generators mix grammar-aware inputs, mutations of real inputs (the project's scenarios, the
conformance files, Qlik's preinstalled rules, the QRS samples) and raw text.
"""
from __future__ import annotations

import json
import random
import shutil
import string
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"

# -- shared pieces --------------------------------------------------------------------------------
HOSTILE_CHARS = ["\x00", "\x07", "\x1b", "\t", "\r", "\n", "\u202e", "\u2066", "\u200b", "\ufeff", "\ud800",
                 "\U0001f600", "é", "\u201c", "\u201d", "\\", '"', "'", "`", "\x7f", "\u0085", "\u2028"]


def _mutate_text(rng: random.Random, text: str, alphabet: list[str], rounds: int | None = None) -> str:
    for _ in range(rounds or rng.randint(1, 4)):
        roll = rng.random()
        n = len(text)
        at = rng.randint(0, n)
        if roll < 0.25 and n:  # delete a slice
            end = min(n, at + rng.randint(1, 8))
            text = text[:at] + text[end:]
        elif roll < 0.55:  # insert a token or a hostile character
            piece = rng.choice(alphabet) if rng.random() < 0.8 else rng.choice(HOSTILE_CHARS)
            text = text[:at] + piece + text[at:]
        elif roll < 0.7 and n:  # duplicate a slice
            end = min(n, at + rng.randint(1, 20))
            text = text[:at] + text[at:end] * rng.randint(2, 4) + text[at:]
        elif roll < 0.8 and n:  # replace one character
            text = text[:at] + rng.choice(alphabet + HOSTILE_CHARS) + text[at + 1:]
        elif roll < 0.9 and n:  # truncate
            text = text[:at]
        else:  # swap two slices
            if n > 4:
                a, b = sorted(rng.sample(range(n), 2))
                text = text[:a] + text[b:] + text[a:b]
    return text


# -- the rule parser (and, when a condition parses, both evaluators) -----------------------------
RULE_TOKENS = ["user", "resource", ".", "group", "@Dept", "@", "name", "roles", "userId", "stream", "app", "owner",
               "objectType", "published", "environment", "ip", "=", "!=", "==", "!==", "like", "matches", "and", "or",
               "AND", "Or", "!", "(", ")", "((", "))", '"Sales"', '"a*"', '"(a+)+$"', '"["', '"\\""', '"\\\\"', "'x'",
               "HasPrivilege", "HasPrivilege(\"read\")", "IsAnonymous()", "Empty()", "IsOwned()", "(\"update\")",
               "true", "false", " ", "  ", "\n", ",", "*", "_", "-", "1", "0x", "\u201cSales\u201d", "#", "/*", "//"]


def _seed_conditions() -> list[str]:
    from qsplay.defaults import preinstalled_rule_specs
    seeds = [spec["condition"] for spec in preinstalled_rule_specs() if spec.get("condition")]
    seeds += ['user.group = "Sales" and resource.@Department = "Sales"', 'user.@Region = resource.@Region',
              'resource.app.stream.HasPrivilege("read") and !user.IsAnonymous()',
              'user.environment.ip like "10.*" or user.userId matches "sa_.*"']
    return seeds


def _grammar(rng: random.Random, depth: int = 0) -> str:
    from qsplay.synthetic import random_condition
    roll = rng.random()
    if roll < 0.5:
        return random_condition(rng)
    if roll < 0.8:
        return " ".join(rng.choice(RULE_TOKENS) for _ in range(rng.randint(0, 16)))
    deep = rng.randint(50, 3000)
    opener = rng.choice(["(", "!", "!(", "( ", "not "])
    return opener * deep + random_condition(rng) + (")" * deep if "(" in opener else "")


class ParserTarget:
    name = "parser"
    limit = 2.0

    def __init__(self):
        from qsplay.model import App, Stream, User
        from qsplay.semantics import Semantics
        self.seeds = _seed_conditions()
        self.user = User(id="u", name="Ann", directory="CORP", user_id="ann", groups=["Sales"], roles=["x"],
                         properties={"Region": ["North"]})
        stream = Stream(id="s", name="Sales", owner=self.user, properties={"Department": ["Sales"]})
        self.resource = App(id="a", name="App", owner=self.user, stream=stream)
        self.semantics = [Semantics(), Semantics(ne_on_lists="none_equal", missing_property="fail",
                                                 matches_case="sensitive")]

    def generate(self, rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.35:
            return _grammar(rng)
        if roll < 0.8:
            return _mutate_text(rng, rng.choice(self.seeds), RULE_TOKENS)
        alphabet = string.printable + "".join(HOSTILE_CHARS)
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))

    def run(self, text: str) -> None:
        from qsplay.rules import ConditionError, EvalContext, EvaluationFailure, Environment, parse
        from qsplay.rules.evaluator import _Evaluator
        from qsplay.rules.traced import compiled_traced
        from qsplay.fast.compiled import compile_condition
        try:
            parsed = parse(text)
        except ConditionError as err:
            if not (1 <= err.line and 1 <= err.col and 0 <= err.offset <= len(text)):
                raise AssertionError(f"error without a position: {err!r}")
            err.caret()
            return
        if parsed.root is None:
            return
        for sem in self.semantics:
            ctx = EvalContext(user=self.user, resource=self.resource, environment=Environment({"ip": ["10.1.2.3"]}),
                              semantics=sem, has_privilege=lambda target, action, want: (action == "read", None))
            answers = []
            for run in (lambda: _Evaluator(parsed, ctx, True).eval(parsed.root),
                        lambda: compiled_traced(parsed, sem)(ctx)):
                try:
                    value, node = run()
                    answers.append((value, node.to_dict()))
                except EvaluationFailure as exc:
                    answers.append(("failed", str(exc)))
            if answers[0] != answers[1]:
                raise AssertionError("the compiled trace differs from the reference walk")
            fast = compile_condition(parsed, sem)
            try:
                value = fast(self.user, self.resource, Environment({"ip": ["10.1.2.3"]}),
                             lambda target, action: action == "read")
            except EvaluationFailure:
                value = "failed"
            if value != answers[0][0]:
                raise AssertionError("the fast evaluator differs from the reference")


# -- the scenario loader ---------------------------------------------------------------------------
YAML_TOKENS = [":", ": ", "- ", "-", "[", "]", "{", "}", ",", "\"", "'", "&a ", "*a", "!!python/object:os.system ",
               "!tag ", "|", ">", "#", "\n", "\n  ", "  ", "\t", "? ", "...", "---", "%YAML 1.2\n", "null", "~",
               "true", "1e999", "9" * 50, "-1", "0x1F", "2026-13-45", "@", "`", "users:", "streams:", "apps:",
               "security_rules:", "checks:", "resource_filter: ", "condition: ", "owner: ", "stream: ", "id: ",
               "name: ", "expect: allow", "request: {user: anonymous, resource: stream:Everyone}"]


def _scenario_seeds() -> list[str]:
    files = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "tests" / "data").glob("*.yaml"))
    if (SHARED / "conformance").is_dir():
        files += sorted((SHARED / "conformance").glob("*.yaml"))
    return [f.read_text(encoding="utf-8") for f in files]


class LoaderTarget:
    name = "loader"
    limit = 10.0

    def __init__(self):
        self.seeds = _scenario_seeds()
        # short seeds make for fast inputs: also cut the files into their first sections
        self.seeds += [s[:s.find("\nchecks:")] if "\nchecks:" in s else s[:2000] for s in self.seeds]

    def generate(self, rng: random.Random) -> str:
        text = rng.choice(self.seeds)
        roll = rng.random()
        if roll < 0.5:
            return _mutate_text(rng, text, YAML_TOKENS)
        lines = text.split("\n")
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(lines))
            op = rng.random()
            if op < 0.25:
                del lines[i]
            elif op < 0.45:
                lines.insert(i, lines[rng.randrange(len(lines))])
            elif op < 0.65 and ": " in lines[i]:  # a value of another type
                key = lines[i].split(": ", 1)[0]
                lines[i] = key + ": " + rng.choice(["[1, 2]", "{a: b}", "", "null", "-5", "1" * rng.randint(1, 6000),
                                                     "!!binary aGk=", "*nope", "&x y", "'", "\"\\x\"", "\u202eevil",
                                                     "[" * 200 + "]" * 200])
            elif op < 0.8:
                lines[i] = " " * rng.randint(0, 9) + lines[i].lstrip()
            else:
                lines.insert(i, rng.choice(["a: &a [x, x, x, x, x, x, x, x, x, x]",
                                            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
                                            "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
                                            "x: " + "{a: " * 100 + "1" + "}" * 100]))
        return "\n".join(lines)

    def run(self, text: str) -> None:
        from qsplay.engine.checks import run_checks
        from qsplay.scenario import ScenarioError, load_scenario_text
        try:
            site = load_scenario_text(text, "fuzz.yaml")
        except ScenarioError as err:
            if not err.problems:
                raise AssertionError("a ScenarioError without problems")
            for p in err.problems:
                if p.file != "fuzz.yaml" or p.line < 1 or p.col < 1:
                    raise AssertionError(f"a problem without its place: {p!r}")
                str(p)
            return
        run_checks(site, "fuzz.yaml")


# -- the QRS importer -----------------------------------------------------------------------------
def _qrs_seeds() -> list[tuple[str, str]]:
    folders = [ROOT / "tests" / "data" / "qrs"]
    if (SHARED / "samples").is_dir():
        folders += [SHARED / "samples" / "qrs-exports", SHARED / "samples" / "qrs-rule-packages"]
    out = []
    for folder in folders:
        for f in sorted(folder.rglob("*.json")):
            out.append((f.name, f.read_text(encoding="utf-8-sig")))
    return out


def _wrong(rng: random.Random):
    return rng.choice([None, 0, -1, 10 ** 30, 3.5, "", "x" * rng.randint(1, 300), [], {}, [1, "a"], {"a": None},
                       True, "\u202e", "Stream_*", "App*,,", "(" * 300, "user.group = \"x"])


def _mutate_json(rng: random.Random, data):
    for _ in range(rng.randint(1, 4)):
        holder, key, node = None, None, data
        for _ in range(rng.randint(0, 6)):
            if isinstance(node, dict) and node:
                holder, key = node, rng.choice(list(node))
            elif isinstance(node, list) and node:
                holder, key = node, rng.randrange(len(node))
            else:
                break
            node = holder[key]
        if holder is None:
            return _wrong(rng)
        if rng.random() < 0.2 and isinstance(holder, dict):
            del holder[key]
        else:
            holder[key] = _wrong(rng)
    return data


class QrsTarget:
    name = "qrs"
    limit = 10.0

    def __init__(self):
        self.seeds = _qrs_seeds()
        self.folder = Path(tempfile.mkdtemp(prefix="qsplay-fuzz-qrs-"))

    def generate(self, rng: random.Random) -> str:
        name, text = rng.choice(self.seeds)
        if rng.random() < 0.6:
            try:
                text = json.dumps(_mutate_json(rng, json.loads(text)))
            except ValueError:
                pass
        else:
            text = _mutate_text(rng, text, ['"', ",", ":", "[", "]", "{", "}", "null", "1e400", "\\u0000", "-"])
        return json.dumps({"file": name, "text": text})

    def run(self, payload: str) -> None:
        from qsplay.qrs import QrsError
        from qsplay.qrs.importer import import_folder
        from qsplay.scenario import ScenarioError
        from qsplay.scenario.loader import site_from_document
        spec = json.loads(payload)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        (self.folder / spec["file"]).write_text(spec["text"], encoding="utf-8", errors="surrogatepass")
        try:
            document, _ = import_folder(self.folder, "fuzz")
        except QrsError as err:
            if spec["file"] not in str(err) and str(self.folder) not in str(err):
                raise AssertionError(f"a QRS error that does not name the file: {err}")
            return
        try:
            site_from_document(document, "fuzz.yaml", lenient=True)
        except ScenarioError:
            pass  # what an export holds can still be wrong for a scenario: located, not a crash


# -- the command layer (shell and kernel) -------------------------------------------------------
COMMAND_WORDS = ["can", "why", "why-not", "decide", "rule", "user", "eval", "show", "set", "time", "audit", "graph",
                 "lint", "preview", "undo", "diff", "save", "load", "help", "check", "as", "expect", "clock", "sessions",
                 "--user", "--resource", "--action", "--format", "--type", "--context", "-o", "stream:Public",
                 "stream:Everyone", "app:Nope", "CORP\\bob", "anonymous", "read", "publish", "in", "qmc", "via", "public",
                 "'", '"', "--condition", 'user.group = "', "+90x", "+5m", "disable", "enable", "Stream", "-h",
                 "summary", "json", "csv", "--anonymous", "/dev/null", "/nonexistent.yaml", "\u202e", "\x00", "--",
                 "-", "=", "!", "((((", "*", "user.IsAnonymous()"]


class CommandTarget:
    name = "commands"
    limit = 20.0

    def __init__(self):
        from qsplay.commands import Session
        from qsplay.scenario import demo_path
        self.session = Session()
        self.session.load(demo_path())
        self.runs = 0

    def generate(self, rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.7:
            return " ".join(rng.choice(COMMAND_WORDS) for _ in range(rng.randint(1, 8)))
        if roll < 0.9:
            alphabet = string.printable + "".join(HOSTILE_CHARS)
            return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))
        return rng.choice(COMMAND_WORDS) + " " + rng.choice(COMMAND_WORDS) * rng.randint(1000, 20000)

    def run(self, line: str) -> None:
        from qsplay.commands import CommandError, run_line
        from qsplay.scenario import demo_path
        self.runs += 1
        if self.runs % 200 == 0:  # edits pile up: start again from the demo now and then
            self.session.load(demo_path())
        if any(w in line.split() for w in ("save", "load")):
            line = line.replace("save", "show").replace("load", "show")  # never write or read user files
        try:
            out = run_line(self.session, line)
            out.render()
        except CommandError as err:
            if not str(err):
                raise AssertionError("a CommandError without a message")


TARGETS = {t.name: t for t in (ParserTarget, LoaderTarget, QrsTarget, CommandTarget)}
