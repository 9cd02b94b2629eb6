"""Decisions and traces as HTML (notebooks, the kernel, the Python API). Self-contained: inline CSS,
no scripts, so it renders the same in JupyterLab, classic Notebook and a static export."""
from __future__ import annotations

from ..safe_text import html_text as escape

from ..engine.decision import Decision, SecurityResult
from ..rules.evaluator import trace_as_dict
from .text import opens_app

CSS = """<style>
.qsp{font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:13px;line-height:1.45;max-width:980px}
.qsp .verdict{padding:6px 10px;border-radius:4px;font-weight:600;margin-bottom:6px}
.qsp .allow{background:#e3f4e8;color:#14532d;border-left:4px solid #16a34a}
.qsp .deny{background:#fde8e8;color:#7f1d1d;border-left:4px solid #dc2626}
.qsp h4{margin:10px 0 4px 0;font-size:13px}
.qsp ul{margin:2px 0 2px 18px;padding:0}
.qsp li{list-style:none;margin:1px 0}
.qsp .pass::before{content:"✔ ";color:#16a34a}
.qsp .fail::before{content:"✘ ";color:#dc2626}
.qsp .skip::before{content:"– ";color:#9ca3af}
.qsp .note::before{content:"! ";color:#b45309}
.qsp .info::before{content:"· ";color:#6b7280}
.qsp code{background:#f3f4f6;padding:0 3px;border-radius:3px;font-size:12px}
.qsp .t{color:#15803d;font-weight:600}.qsp .f{color:#b91c1c;font-weight:600}.qsp .n{color:#9ca3af}
.qsp .vals{color:#4b5563}.qsp .rulenote{color:#b45309;font-size:12px}
.qsp details{margin:1px 0}.qsp summary{cursor:pointer}
</style>"""
TITLES = {"authentication": "1. Authentication — the virtual proxy decides who you are",
          "license": "2. Licence — which access type lets you in",
          "security": "3. Security rules — any true rule grants",
          "section_access": "4. Section access — the app's own table: who opens it, which data they see"}


def render_decision_html(decision: Decision) -> str:
    cls = "allow" if decision.allowed else "deny"
    parts = [CSS, '<div class="qsp">', f'<div class="verdict {cls}">{escape(decision.summary())}</div>']
    by_phase: dict[str, list] = {}
    for step in decision.steps:
        by_phase.setdefault(step.phase, []).append(step)
    titles = TITLES if decision.platform != "cloud" else {
        "authentication": "1. Identity — a tenant user, or anonymous with the app's access code",
        "license": "2. Entitlement", "security": "3. Space role and tenant permissions"}
    for phase, title in titles.items():
        if phase == "section_access" and phase not in by_phase and not opens_app(decision):
            continue
        parts.append(f"<h4>{escape(title)}</h4>")
        if phase not in by_phase:
            parts.append('<ul><li class="skip">not reached: an earlier phase refused</li></ul>')
            continue
        if phase == "security" and decision.security is not None and decision.platform != "cloud":
            if decision.rule_set is not None:
                parts.append(f'<ul><li class="info">The site uses the {escape(decision.rule_set.describe())}.</li></ul>')
            parts.append(render_security_html(decision.security))
            continue
        parts.append("<ul>")
        for step in by_phase[phase]:
            parts.append(f'<li class="{_outcome(step.outcome)}">{escape(step.text)}')
            if step.detail and "trace" in step.detail:
                parts.append(f"<details><summary>condition</summary>{render_trace_html(trace_as_dict(step.detail['trace']))}</details>")
            parts.append("</li>")
        parts.append("</ul>")
        if phase == "section_access" and decision.section_access is not None:
            parts.append(render_section_access_html(decision.section_access))
    parts.append("</div>")
    return "".join(parts)


def render_section_access_html(result) -> str:
    """The matched rows of the app's section access table, and what the user sees."""
    if not result.has_table or not result.rows:
        return ""
    fields = list(result.rows[0]["values"])
    head = "".join(f"<th>{escape(f)}</th>" for f in ["row"] + fields)
    body = "".join("<tr>" + f"<td>{r['row']}</td>" + "".join(f"<td><code>{escape(r['values'].get(f, ''))}</code></td>"
                                                              for f in fields) + "</tr>" for r in result.rows)
    if result.reduction is None:
        sees = "all data" if result.allowed else ""
    else:
        sees = "; ".join(f"{escape(k)} = {escape(', '.join(v))}" for k, v in result.reduction.items())
    foot = f'<div class="vals">sees: {sees}</div>' if result.allowed else ""
    return f'<table class="sa"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{foot}'


def render_security_html(result: SecurityResult, depth: int = 0) -> str:
    parts = ["<ul>"]
    skipped = [e for e in result.evaluations if e.status in ("action", "context")]
    for ev in result.evaluations:
        if ev.status in ("action", "context"):
            continue
        outcome = {"granted": "pass", "false": "fail", "failed": "fail", "parse_error": "fail"}.get(ev.status, "skip")
        body = f'<b>{escape(ev.rule)}</b>: {escape(ev.reason)}'
        if ev.trace is not None:
            opened = " open" if ev.status == "granted" or depth == 0 and not result.allowed else ""
            body += f"<details{opened}><summary><code>{escape(_short(ev.condition))}</code></summary>" \
                    f"{render_trace_html(ev.trace.to_dict())}</details>"
        parts.append(f'<li class="{outcome}">{body}</li>')
    if skipped:
        names = ", ".join(escape(e.rule) for e in skipped)
        parts.append(f'<li class="skip">{len(skipped)} more rule(s) select this resource but do not grant '
                     f'{escape(result.action)} here or in this context: {names}</li>')
    for note in result.notes:
        parts.append(f'<li class="note">{escape(note)}</li>')
    verdict = (f"granted by {escape(', '.join(result.granting_rules))}" if result.allowed
               else f"no rule grants {escape(result.action)}")
    parts.append(f'<li class="{"pass" if result.allowed else "fail"}"><b>{escape(result.resource)} '
                 f'{escape(result.action)}</b>: {verdict}</li></ul>')
    return "".join(parts)


def render_trace_html(node: dict) -> str:
    value = node.get("value")
    badge = {True: '<span class="t">true</span>', False: '<span class="f">false</span>',
             None: '<span class="n">not evaluated</span>'}[value]
    kind = node.get("kind")
    if kind in ("and", "or", "not"):
        label = {"and": "all of", "or": "any of", "not": "not"}[kind]
        children = "".join(render_trace_html(c) for c in node.get("children", []))
        return f"<ul><li>{badge} {label}{children}</li></ul>"
    text = escape(" ".join(node.get("text", "").split()))
    vals = ""
    if node.get("operands") and value is not None:
        vals = ' <span class="vals">← ' + "; ".join(
            f"{escape(o['text'])} is {escape(_values(o['values']))}" for o in node["operands"]) + "</span>"
    notes = "".join(f'<div class="rulenote">! {escape(n)}</div>' for n in node.get("notes", []))
    nested = ""
    for sub in node.get("nested", []):
        inner = _nested_html(sub)
        nested += f"<details><summary>asks: {escape(sub['resource'])} {escape(sub['action'])}? " \
                  f"{'yes' if sub['allowed'] else 'no'}</summary>{inner}</details>"
    return f"<ul><li>{badge} <code>{text}</code>{vals}{notes}{nested}</li></ul>"


def _nested_html(sub: dict) -> str:
    parts = ["<ul>"]
    for rule in sub.get("rules", []):
        if rule["status"] in ("action", "context"):
            continue
        outcome = "pass" if rule["status"] == "granted" else "skip"
        trace = render_trace_html(rule["trace"]) if "trace" in rule else ""
        parts.append(f'<li class="{outcome}"><b>{escape(rule["rule"])}</b>: {escape(rule["reason"])}{trace}</li>')
    for note in sub.get("notes", []):
        parts.append(f'<li class="note">{escape(note)}</li>')
    parts.append("</ul>")
    return "".join(parts)


def _values(values: list[str]) -> str:
    if not values:
        return "empty"
    return f'"{values[0]}"' if len(values) == 1 else "[" + ", ".join(values) + "]"


def _short(text: str, limit: int = 110) -> str:
    one = " ".join(text.split()) or "(empty: always true)"
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _outcome(outcome: str) -> str:
    return outcome if outcome in ("pass", "fail", "skip", "note") else "info"


def render_table_html(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f'{CSS}<div class="qsp"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
