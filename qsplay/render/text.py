"""Decisions and traces as terminal text."""
from __future__ import annotations

from ..engine.decision import Decision, SecurityResult
from ..rules.evaluator import trace_as_dict
from ..safe_text import one_line

MARK = {"pass": "+", "fail": "x", "skip": "-", "note": "!", "info": " "}
PHASE_TITLES = {"authentication": "1. Authentication (virtual proxy)", "license": "2. Licence (access type)",
                "security": "3. Security rules", "section_access": "4. Section access (the app's load script)"}
CLOUD_TITLES = {"authentication": "1. Identity (tenant user, or anonymous with an access code)",
                "license": "2. Entitlement", "security": "3. Space role and tenant permissions"}


def render_decision(decision: Decision, verbose: bool = False) -> str:
    """The decision, then each phase's steps; security rules with their condition trees.
    `verbose` also lists rules skipped for action or context."""
    lines = [one_line(decision.summary()), ""]
    by_phase: dict[str, list] = {}
    for step in decision.steps:
        by_phase.setdefault(step.phase, []).append(step)
    titles = CLOUD_TITLES if decision.platform == "cloud" else PHASE_TITLES
    for phase, title in titles.items():
        if phase not in by_phase:
            if phase == "section_access":
                if opens_app(decision) and decision.denied_by in ("authentication", "license", "security"):
                    lines.append(f"{title}: not reached")
                continue
            if phase == "security" and decision.denied_by in ("authentication", "license"):
                lines.append(f"{title}: not reached")
            elif phase == "license" and decision.denied_by == "authentication":
                lines.append(f"{title}: not reached")
            continue
        lines.append(title)
        if phase == "security" and decision.security is not None and decision.platform != "cloud":
            if decision.rule_set is not None:
                lines.append(f"     The site uses the {decision.rule_set.describe()}.")
            lines.extend(render_security(decision.security, verbose, indent="   "))
            continue
        for step in by_phase[phase]:
            if step.detail and "trace" in step.detail and verbose:
                lines.append(f"   {MARK.get(step.outcome, ' ')} {one_line(step.text)}")
                lines.extend(render_trace(trace_as_dict(step.detail["trace"]), "       "))
            else:
                lines.append(f"   {MARK.get(step.outcome, ' ')} {one_line(step.text)}")
    return "\n".join(lines).rstrip() + "\n"


def opens_app(decision: Decision) -> bool:
    """Whether the request would open an app's data (the fourth phase applies to it)."""
    req = decision.request
    return (decision.platform != "cloud" and req.context == "hub" and req.action == "read"
            and req.resource.lower().startswith(("app:", "object:")))


def render_security(result: SecurityResult, verbose: bool = False, indent: str = "") -> list[str]:
    lines = []
    skipped = 0
    quiet = []  # on an allowed request the granting rules are the why; the others get one line
    for ev in result.evaluations:
        if ev.status in ("action", "context") and not verbose:
            skipped += 1
            continue
        if result.allowed and not verbose and ev.status != "granted":
            quiet.append(f"{one_line(ev.rule)} ({ev.status})")
            continue
        mark = {"granted": "+", "false": "x", "failed": "x", "parse_error": "x"}.get(ev.status, "-")
        lines.append(f"{indent}{mark} {one_line(ev.rule)}: {one_line(ev.reason)}")
        if ev.trace is not None and ev.status in ("granted", "false", "disabled"):
            lines.extend(render_trace(ev.trace.to_dict(), indent + "    "))
    if quiet:
        lines.append(f"{indent}- also considered, not granting: {', '.join(quiet)}")
    if skipped:
        lines.append(f"{indent}  ({skipped} more rule{'s' if skipped != 1 else ''} select this resource but do "
                     f"not grant {result.action} here or in this context; --verbose lists them)")
    for note in result.notes:
        lines.append(f"{indent}! {one_line(note)}")
    verdict = (f"granted by {', '.join(result.granting_rules)}" if result.allowed
               else f"no rule grants {result.action}: denied")
    lines.append(one_line(f"{indent}=> {result.resource} {result.action}: {verdict}"))
    return lines


def render_trace(node: dict, indent: str = "") -> list[str]:
    """A condition's evaluation tree: each sub-expression with its value and why."""
    value = node.get("value")
    shown = {True: "true ", False: "false", None: "(not evaluated)"}[value]
    kind = node.get("kind")
    text = node.get("text", "")
    if kind in ("and", "or", "not"):
        label = {"and": "all of", "or": "any of", "not": "not"}[kind]
        lines = [f"{indent}{shown}  {label}:"]
        for child in node.get("children", []):
            lines.extend(render_trace(child, indent + "    "))
        return lines
    if kind == "skipped":
        return [f"{indent}{shown}  {_one_line(text)}"]
    detail = ""
    operands = node.get("operands", [])
    if operands and value is not None:
        parts = [f"{o['text']} is {_values(o['values'])}" for o in operands]
        detail = "  <- " + "; ".join(parts)
    lines = [f"{indent}{shown}  {_one_line(text)}{detail}"]
    for note in node.get("notes", []):
        lines.append(f"{indent}        ! {note}")
    for nested in node.get("nested", []):
        lines.append(f"{indent}        asks: {nested['resource']} {nested['action']}? "
                     f"{'yes' if nested['allowed'] else 'no'}")
        for rule in nested.get("rules", []):
            if rule["status"] in ("action", "context"):
                continue
            if nested["allowed"] and rule["status"] != "granted":
                continue  # granted: the granting rules are the why; denied: every rule that could have
            lines.append(f"{indent}          {'+' if rule['status'] == 'granted' else '-'} {rule['rule']}: {rule['reason']}")
            if "trace" in rule and rule["status"] in ("granted", "false"):
                lines.extend(render_trace(rule["trace"], indent + "              "))
        for n in nested.get("notes", []):
            lines.append(f"{indent}          ! {n}")
    return lines


def _values(values: list[str]) -> str:
    if not values:
        return "empty"
    if len(values) == 1:
        return f'"{values[0]}"'
    return "[" + ", ".join(values) + "]"


def _one_line(text: str) -> str:
    return " ".join(text.split())
