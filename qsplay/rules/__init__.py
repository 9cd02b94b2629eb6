"""Qlik's rule condition language: lexer, parser, syntax tree, evaluator, resource filters."""
from .ast import ParsedCondition
from .errors import ConditionError
from .evaluator import EvalContext, EvaluationFailure, Environment, TraceNode, evaluate
from .filters import FilterError, ResourceFilter, parse_filter
from .parser import parse

__all__ = ["ConditionError", "EvalContext", "EvaluationFailure", "Environment", "FilterError",
           "ParsedCondition", "ResourceFilter", "TraceNode", "evaluate", "parse", "parse_filter"]
