"""Resources with the same name (real sites copy apps: "Duplicate" keeps the name, QMC shows both):
qsplay passes entities around by an unambiguous reference, so only a reference a person types can
be ambiguous, and then the message lists the candidates and how to name one by id."""
import pytest

from qsplay.commands import CommandError, Session, run_line
from qsplay.engine import make_request
from qsplay.explain.audit import audit
from qsplay.explain.why_not import why_not
from qsplay.graph import user_view
from qsplay.model import UnknownReference

from .conftest import decide, site_from

COPIES = """
qsplay: 1
name: copied apps
license: {professional: 2}
users:
  - {directory: CORP, id: ann, groups: [HR], access: [professional]}
  - {directory: CORP, id: ben, groups: [Sales], access: [professional]}
streams:
  - {name: HR, id: 11111111-0000-0000-0000-000000000001}
  - {name: Sales, id: 11111111-0000-0000-0000-000000000002}
apps:
  - {name: HR Tickets, id: 22222222-0000-0000-0000-000000000001, stream: HR, owner: CORP\\ann}
  - {name: HR Tickets, id: 22222222-0000-0000-0000-000000000002, stream: Sales, owner: CORP\\ben}
  - {name: HR Tickets, id: 22222222-0000-0000-0000-000000000003, owner: CORP\\ben}
objects:
  - {name: Overview, app: 22222222-0000-0000-0000-000000000001, type: sheet, owner: CORP\\ann, published: true}
security_rules:
  - name: Groups read their stream
    resource_filter: Stream_*
    actions: [read]
    condition: user.group = resource.name
    context: hub
"""


@pytest.fixture
def site():
    return site_from(COPIES)


def test_a_typed_ambiguous_reference_lists_the_candidates(site):
    with pytest.raises(UnknownReference) as err:
        site.find_resource("app:HR Tickets")
    message = str(err.value)
    assert "3 resources are called app:HR Tickets; name one by id" in message
    assert "app:22222222-0000-0000-0000-000000000002  (stream Sales, owner CORP\\ben)" in message
    assert "app:22222222-0000-0000-0000-000000000003  (not published, owner CORP\\ben)" in message
    assert site.find_resource("app:22222222-0000-0000-0000-000000000002").stream.name == "Sales"


def test_each_copy_has_its_own_unambiguous_reference(site):
    refs = [site.ref_of(a) for a in site.apps]
    assert refs == [f"app:22222222-0000-0000-0000-00000000000{i}" for i in (1, 2, 3)]
    assert [site.find_resource(r) for r in refs] == site.apps
    assert site.ref_of(site.streams[-1]) == "stream:Sales"  # unique names stay readable


def test_audit_keeps_copies_apart(site):
    result = audit(site, users=["CORP\\ann", "CORP\\ben"], kinds=["app"])
    assert len(result.resources) == len(set(result.resources)) == 3
    # the preinstalled Stream rule: read an app through its stream; owners read their own apps
    ann = {c.resource for c in result.cells if c.user == "CORP\\ann" and "read" in c.actions}
    assert "app:22222222-0000-0000-0000-000000000001" in ann
    assert "app:22222222-0000-0000-0000-000000000002" not in ann


def test_graph_of_a_user_works_with_copies(site):
    g = user_view(site, "CORP\\ben")
    assert "app:22222222-0000-0000-0000-000000000002" in g
    assert "app:22222222-0000-0000-0000-000000000003" in g


def test_decide_and_why_not_by_id(site):
    app = "app:22222222-0000-0000-0000-000000000002"
    assert not decide(site, app, user="CORP\\ann").allowed
    result = why_not(site, make_request(app, "read", "CORP\\ann"), compute_gains=False)
    assert result.decision.denied_by == "security"
    # the preinstalled Stream rule reads an app through HasPrivilege on its stream (Sales)
    assert result.suggestions[0].change == "add CORP\\ann to group Sales"


def test_commands_name_the_candidates(site):
    session = Session()
    session.use(site)
    with pytest.raises(CommandError) as err:
        run_line(session, 'decide --resource "app:HR Tickets" --user CORP\\ann')
    assert "name one by id" in str(err.value) and "22222222-0000-0000-0000-000000000003" in str(err.value)
    graph = run_line(session, "graph --user CORP\\ben")
    assert "22222222-0000-0000-0000-000000000002" in graph.text
