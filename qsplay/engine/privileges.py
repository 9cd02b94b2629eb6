"""HasPrivilege questions that depend on each other, answered as a fixpoint within a budget.

A rule may ask `resource.stream.HasPrivilege("read")`, and the stream's rules may ask about other
privileges, round and round (issue 18: k stream rules each granting one action when the stream has
any other took factorial time: k=9 over 150 s). The questions of one decision — one user, context
and environment — form a system of equations "privilege = some rule's condition is true". The
answer is its least fixpoint: everything starts not granted, and a question is re-evaluated only
when a privilege it read changes. A privilege that only its own cycle would grant stays not granted
(as before: "a cycle counts as not granted"); one granted some other way is granted wherever it is
asked. Each question is evaluated a bounded number of times, so cost is polynomial, and every
decision has a budget of rule evaluations; past it, the open questions count as not granted and
the trace says so.

A negated HasPrivilege (`!resource.HasPrivilege("read")`) in a cycle can have no stable answer;
when the iteration does not settle within the budget the open questions count as not granted.
"""
from __future__ import annotations

from typing import Callable, Hashable

from ..rules.evaluator import EvaluationFailure

# evaluations of one question (its rules for one resource and action) a decision may spend: a real
# site needs a few per HasPrivilege chain; a runaway stops here in well under a second
DECISION_BUDGET = 5_000
MAX_FLIPS = 3  # a question whose answer keeps changing (a negated cycle) has no stable answer


class BudgetExceeded(EvaluationFailure):
    """A decision spent its evaluation budget."""

    def __init__(self, spent: int, unstable: bool = False):
        why = ("keep changing each other's answer (a negated HasPrivilege in a cycle has no stable answer)"
               if unstable else f"were stopped after {spent:,} evaluations (the budget of one decision)")
        super().__init__(f"HasPrivilege questions that depend on each other {why}; the open ones count as "
                         f"not granted")
        self.spent = spent


class PrivilegeSolver:
    """Answers for one (user, context, environment). `grants(key, resource, ask)` evaluates the
    rules for key = (resource key, action) and calls `ask(other_key, other_resource)` for each
    HasPrivilege it needs; `ask` returns the current answer for it. Answers once settled are kept (memoised per
    user, resource, action and context for as long as the solver lives)."""

    def __init__(self, grants: Callable[[Hashable, Callable], bool], budget: int = DECISION_BUDGET):
        self.grants = grants
        self.budget = budget
        self.settled: dict[Hashable, bool] = {}
        self.stopped: set = set()  # questions the budget cut off: not granted
        self.evaluations = 0  # all this solver has spent (the budget is per question asked)

    def answer(self, key: Hashable, resource) -> bool:
        if key in self.settled:
            return self.settled[key]
        value: dict[Hashable, bool] = {key: False}
        subject = {key: resource}
        readers: dict[Hashable, set] = {}
        work = [key]
        queued = {key}
        flips: dict[Hashable, int] = {}
        spent = 0
        while work:
            current = work.pop()
            queued.discard(current)
            spent += 1
            self.evaluations += 1
            if spent > self.budget:
                self._stop(value)
                raise BudgetExceeded(spent - 1)

            def ask(other: Hashable, other_resource, reader=current) -> bool:
                if other in self.settled:
                    return self.settled[other]
                if other not in value:
                    value[other] = False
                    subject[other] = other_resource
                    work.append(other)
                    queued.add(other)
                readers.setdefault(other, set()).add(reader)
                return value[other]
            new = bool(self.grants(current, subject[current], ask))
            if new != value[current]:
                flips[current] = flips.get(current, 0) + 1
                if flips[current] > MAX_FLIPS:
                    self._stop(value)
                    raise BudgetExceeded(spent, unstable=True)
                value[current] = new
                for reader in readers.get(current, ()):
                    if reader not in queued:
                        work.append(reader)
                        queued.add(reader)
        self.settled.update(value)
        return value[key]

    def _stop(self, value: dict) -> None:
        for k in value:  # the open questions: not granted, and said so
            self.settled[k] = False
            self.stopped.add(k)
