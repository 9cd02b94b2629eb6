"""The tutorial notebooks' source: run `python notebooks/build_notebooks.py` after editing, and commit
the .ipynb files it writes (without outputs). Each notebook explains as it goes and ends with
exercises whose answers the engine checks.

Jupyter runs a notebook's kernel in the notebook's own folder, so scenario paths here are relative
to notebooks/ (`../scenarios/...`); tests/test_notebooks.py runs them from there too."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
QSPLAY_KERNEL = {"kernelspec": {"name": "qsplay", "display_name": "qsplay", "language": "qsplay"},
                 "language_info": {"name": "qsplay"}}
PYTHON_KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                 "language_info": {"name": "python"}}


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str):
    return new_code_cell(text.strip())


NOTEBOOKS = {
    "01-rule-language.ipynb": (PYTHON_KERNEL, [
        md("""
# 1. The rule language

A Qlik Sense rule reads as a sentence: *allow the requester to [action] the [resource] provided that
[conditions]*. Conditions compare properties of the **user** and the **resource**:
`user.group = "Sales" and resource.name like "Sales*"`. qsplay parses them with its own parser
(nothing is `eval`ed) and shows every sub-expression's value.
"""),
        code("""
import qsplay
site = qsplay.Site.demo()
site.run('eval user.group = "Sales" and resource.name like "Pub*" for CORP\\\\bob on stream:Public')
"""),
        md("""
`=` ignores case, `==` does not; `like` takes `*` wildcards; `matches` is a full, case-insensitive
regular expression. NOT binds tighter than AND, and AND tighter than OR: `A or B and C` is
`A or (B and C)` (Qlik help, *Operators and functions for conditions*).
"""),
        code("""
print(site.run('eval user.name == "bob berg" for CORP\\\\bob'))
print(site.run('eval user.name = "bob berg" for CORP\\\\bob'))
"""),
        md("""
**Multi-valued properties.** A user in several groups matches `user.group = "X"` when any group is X.
`!=` is the trap: Qlik's docs say only that "the full list does not have to match"; qsplay reads it
as *some value differs* (Qlik Core's wording, a named choice you can change with `set ne_on_lists`).
So a user in [Sales, Finance] passes `user.group != "Sales"`. Say *not in* with `!(... = ...)`.
"""),
        code("""
site.run("user CORP\\\\bob --add-group Finance")
print(site.run('eval user.group != "Sales" for CORP\\\\bob'))
print(site.run('eval !(user.group = "Sales") for CORP\\\\bob'))
site.run("undo")
"""),
        md("""
**Errors are located.** A condition that does not parse says where and what was expected:
"""),
        code("""
from qsplay.rules import ConditionError, parse
try:
    parse('user.group = "Sales" and resource.name like user.name')
except ConditionError as err:
    print(err.message); print(err.caret())
"""),
        md("""
## Exercises
1. Write a condition that is **true for Bob** (group Sales) **on stream Public**, and **false for Alice**
   on the same stream. Replace the answer below and run the check.
"""),
        code("""
answer = 'user.group = "Sales" and resource.name = "Public"'   # your condition here

from qsplay.rules import parse, evaluate, EvalContext, Environment
def holds(condition, user, resource):
    m = site.model
    ctx = EvalContext(user=m.find_user(user), resource=m.find_resource(resource), environment=Environment({}),
                      semantics=m.semantics)
    return evaluate(parse(condition), ctx)[0]
ok = holds(answer, "CORP\\\\bob", "stream:Public") and not holds(answer, "CORP\\\\alice", "stream:Public")
print("✔ correct" if ok else "✘ not yet: true for Bob, false for Alice, on stream:Public")
"""),
    ]),
    "02-additive-rules-and-hasprivilege.ipynb": (QSPLAY_KERNEL, [
        md("""
# 2. Additive rules and HasPrivilege

This notebook runs on the **qsplay kernel**: every cell is shell commands. Security rules only ever
grant: a request is allowed when **any** enabled rule whose filter, action and context apply is true,
and denied when none is. There are no deny rules.
"""),
        code("rules"),
        code("can CORP\\bob read stream:Public"),
        md("""
Apps are readable through the preinstalled **Stream** rule, whose condition asks
`resource.stream.HasPrivilege("read")`: the engine asks itself whether the user can read the app's
stream. Expand the nested decision in the trace below.
"""),
        code('can anonymous read "app:Market Trends" via public'),
        md("""
Disable the rule that lets visitors read the stream, and the app goes with it (HasPrivilege chains
stream → app → sheet). `preview` shows everything that changes; `undo` takes it back.
"""),
        code('preview --disable "Everyone (anonymous) can read the Public stream"'),
        code('''rule disable "Everyone (anonymous) can read the Public stream"
can anonymous read "app:Market Trends" via public
undo'''),
        md("""
## Exercise
Bob cannot read the Finance stream. Make **one** what-if change so that he can (hint: `why-not`),
then check with `expect`.
"""),
        code("why-not --user CORP\\bob --resource stream:Finance"),
        code('''user CORP\\bob --add-group Finance
expect allow CORP\\bob read stream:Finance'''),
    ]),
    "03-licences.ipynb": (QSPLAY_KERNEL, [
        md("""
# 3. Licences and "no access pass"

Before any security rule runs, the licence phase must find an access type, in Qlik's order:
allocated professional, allocated analyzer, professional rules, analyzer rules, analyzer capacity
rules, then (token licences) user access and login access. When nothing applies the hub says
*"You cannot access Qlik Sense because you have no access pass"* — whatever the security rules say.
"""),
        code('''load ../scenarios/no-access-pass.yaml
can ACME\\dana read stream:Sales'''),
        md("Why-not finds the licence change that would let her in, checked by re-running the engine:"),
        code("why-not --user ACME\\dana --resource stream:Sales"),
        md("""
Login access passes run on a clock: one pass covers 60 minutes, 1 token gives 10 passes, and a used
pass returns after 28 days.
"""),
        code('''load ../scenarios/licence-login-passes.yaml
can anonymous read stream:Everyone
licence
time +28d
licence'''),
        md("""
## Exercise
On the login-passes site, check that a visitor gets in (`expect allow ...`).
"""),
        code("expect allow anonymous:learner read stream:Everyone"),
        md("""
## Try it: the licence panel
`licence-panel` moves the clock and makes requests; watch passes being used and coming back
(the same state that `licence`, `sessions` and `state` show).
"""),
        code("licence-panel"),
    ]),
    "04-anonymous-hub.ipynb": (QSPLAY_KERNEL, [
        md("""
# 4. Anonymous access to the hub (the seed walkthrough)

Qlik Support's *How to allow Anonymous Hub access* lists three things that must line up:
1. a virtual proxy whose anonymous access mode lets visitors in (`NONE\\anonymous<guid>`),
2. a licence rule giving them analyzer capacity (or login passes): `user.IsAnonymous()`,
3. a stream with a rule for anonymous readers (*Only in hub*) and one for signed-in users.
"""),
        code("proxies"),
        code("rules --licence"),
        code("can anonymous read stream:Public via public"),
        md("The same visitor on the central proxy is asked to log in (authentication refuses):"),
        code("can anonymous read stream:Public"),
        md("The path, as a graph — proxy → licence rule → stream rule → stream → app:"),
        code('graph --user anonymous --proxy public --resource "app:Market Trends"'),
        md("""
## Try it: the explorer
`explore` opens dropdowns for proxy, user, resource, action and context; the decision, its trace and
its graph follow every change. Try the visitor on the central proxy, then on `public`.
"""),
        code("explore"),
        md("""
## Exercise
The anonymous rule is *Only in hub*. Make visitors see the Public stream in the QMC context as well,
with one change to that rule, and check it.
"""),
        code('''rule set "Everyone (anonymous) can read the Public stream" --context both
expect allow anonymous read stream:Public in qmc via public'''),
    ]),
    "05-qlik-cloud-anonymous.ipynb": (PYTHON_KERNEL, [
        md("""
# 5. Qlik Cloud: anonymous access

In Qlik Cloud, anonymous access is switched on **per app**, in a **managed space**, by a user whose
tenant role allows *Public link creation* (not allowed by default — not even for tenant admins) and
who is Owner or *Can manage* in the space. The app link and the embed code carry an **access code**
(`eac`); it does not expire, and resetting it invalidates old links and embed codes. Each anonymous
session lasts 15 minutes; a refresh starts a new one. (Qlik help: *Sharing app content with
anonymous access*.) The same three phases apply: identity, entitlement, permission.
"""),
        code("""
import qsplay
cloud = qsplay.Site("../scenarios/cloud-anonymous-sharing.yaml")
cloud.decide("ACME\\\\olga", "app:Market data", "toggle_anonymous_access")
"""),
        md("A tenant admin without a space role cannot even open the app:"),
        code('print(cloud.decide("ACME\\\\tim", "app:Market data", "open"))'),
        md("A visitor with the link's current code gets in; the old, reset code does not:"),
        code("""
print(cloud.decide("anonymous:a", "app:Market data", "open", environment={"eac": "K7QX2"}).summary())
print(cloud.decide("anonymous:b", "app:Market data", "open", environment={"eac": "A1B2C"}).summary())
"""),
        md("""
## Exercise
Who may copy the **embed code**? Name a user for whom it is allowed and one for whom it is not.
"""),
        code("""
allowed_user, refused_user = "ACME\\\\olga", "ACME\\\\vic"   # your answer here
ok = (cloud.decide(allowed_user, "app:Market data", "copy_embed_code").allowed
      and not cloud.decide(refused_user, "app:Market data", "copy_embed_code").allowed)
print("✔ correct" if ok else "✘ not yet: Owner or Can manage, with Public link creation allowed")
"""),
    ]),
    "06-audit-and-fix.ipynb": (PYTHON_KERNEL, [
        md("""
# 6. Auditing and fixing a site

The QMC audits a few users at a time. qsplay audits the whole site, lints the rules, previews a
change before you make it, and proposes the smallest fixes for a denied request.
"""),
        code("""
import qsplay
site = qsplay.Site("../scenarios/lint-showcase.yaml")
print(site.run("lint"))
"""),
        code("site.audit(kinds=['stream'], include_anonymous=True)"),
        md("The riskiest finding: anonymous visitors may update apps. Preview disabling that rule:"),
        code("print(site.run('preview --disable \"Anonymous edits apps\"'))"),
        md("""
The rule editor shows the same audit diff as you type a rule (here: what a narrower anonymous rule
would take away and give):
"""),
        code("""
from qsplay.widgets import RuleEditor
RuleEditor(site, name="Anonymous reads apps", resource_filter="App_*", actions="read",
           condition="user.IsAnonymous()")
"""),
        md("Back on the demo site, why can Bob not open Alice's draft, and what would fix it?"),
        code("""
demo = qsplay.Site.demo()
fixes = demo.why_not("CORP\\\\bob", "app:Draft Ideas")
print(fixes)
"""),
        md("""
## Exercise
Apply the first suggestion and check that Bob can now read the app.
"""),
        code("""
from qsplay.explain.edits import apply_edits
from qsplay.explain.why_not import decide_fresh
from qsplay.engine import make_request
fixed = apply_edits(demo.model, fixes.suggestions[0].edits)
decision = decide_fresh(fixed, make_request("app:Draft Ideas", "read", "CORP\\\\bob"))
print("✔ correct" if decision.allowed else "✘ not yet", "-", decision.summary())
"""),
    ]),
}


def main() -> None:
    for name, (metadata, cells) in NOTEBOOKS.items():
        nb = new_notebook(cells=cells, metadata=metadata)
        nbformat.write(nb, HERE / name)
        print("wrote", name)


if __name__ == "__main__":
    main()
