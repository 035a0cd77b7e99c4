"""The operators' rule language: one rule a line, ``<decision> if <condition>``.

    block if card_fail_count_1h >= 5
    challenge if amount > 3 * user_amount_p95_90d and device_is_new
    review if model_score >= 0.9 and is_order   # a comment

A condition uses feature names (``FEATURE_NAMES``, ``CONTEXT_NAMES`` and
``model_score``, ``anomaly_score``), numbers, ``true``/``false``, ``+ - * /``, comparisons
(chains too), ``and``, ``or``, ``not`` and parentheses. It is parsed with
Python's ``ast`` and only those nodes are accepted; the tree is compiled into
closures, never evaluated as code, so a rule can name nothing else and call
nothing.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from liveshop.core.errors import LiveShopError
from liveshop.risk.events import Decision
from liveshop.risk.features import CONTEXT_NAMES, FEATURE_NAMES

SCORE_NAMES = ("model_score", "anomaly_score", "model_challenge_at", "model_block_at")
KNOWN_NAMES = frozenset(FEATURE_NAMES) | frozenset(CONTEXT_NAMES) | frozenset(SCORE_NAMES)
RULE_ACTIONS = (Decision.CHALLENGE, Decision.REVIEW, Decision.BLOCK)
MAX_RULE_LENGTH = 500
MAX_RULES = 200

Features = dict[str, float]
Condition = Callable[[Features], float | bool]

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: lambda left, right: left / right if right else 0.0,  # a rule never divides by 0
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class RuleError(LiveShopError):
    status_code = 422
    code = "risk_rule_invalid"


@dataclass(frozen=True)
class Rule:
    text: str
    action: Decision
    condition: Condition

    def fires(self, features: Features) -> bool:
        return bool(self.condition(features))


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    source: str
    version: int = 0

    def fired(self, features: Features) -> list[Rule]:
        return [rule for rule in self.rules if rule.fires(features)]


def parse_rules(source: str, *, version: int = 0) -> RuleSet:
    """Every rule of ``source`` (blank lines and ``#`` comments skipped); raises
    RuleError naming the line of the first bad rule."""
    rules: list[Rule] = []
    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            rules.append(parse_rule(line))
        except RuleError as error:
            raise RuleError(f"line {number}: {error.message}") from error
    if len(rules) > MAX_RULES:
        raise RuleError(f"at most {MAX_RULES} rules")
    return RuleSet(rules=tuple(rules), source=source, version=version)


def parse_rule(text: str) -> Rule:
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(f"a rule is at most {MAX_RULE_LENGTH} characters")
    head, separator, condition = text.partition(" if ")
    if not separator:
        raise RuleError(f"expected '<decision> if <condition>': {text!r}")
    try:
        action = Decision(head.strip().lower())
    except ValueError:
        action = Decision.ALLOW
    if action not in RULE_ACTIONS:
        choices = ", ".join(decision.value for decision in RULE_ACTIONS)
        raise RuleError(f"the decision must be one of {choices}, not {head.strip()!r}")
    source = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", condition.strip()))
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise RuleError(f"cannot read the condition {condition.strip()!r}") from error
    return Rule(text=text, action=action, condition=_compile(tree.body))


def _compile(node: ast.AST) -> Condition:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(value) for value in node.values]
        if isinstance(node.op, ast.And):
            return lambda features: all(part(features) for part in parts)
        return lambda features: any(part(features) for part in parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        operand = _compile(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda features: not operand(features)
        return lambda features: -operand(features)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        function: Callable[[Any, Any], Any] = _BINARY[type(node.op)]
        left, right = _compile(node.left), _compile(node.right)
        return lambda features: function(left(features), right(features))
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        return _compile_compare(node)
    if isinstance(node, ast.Name):
        return _compile_name(node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        value = float(node.value)
        return lambda features: value
    raise RuleError(f"not allowed in a rule: {ast.unparse(node)!r}")


def _compile_name(name: str) -> Condition:
    if name not in KNOWN_NAMES:
        raise RuleError(f"unknown feature {name!r}")
    return lambda features: features.get(name, 0.0)


def _compile_compare(node: ast.Compare) -> Condition:
    operands = [_compile(node.left), *(_compile(item) for item in node.comparators)]
    functions = [_COMPARE[type(op)] for op in node.ops]

    def compare(features: Features) -> bool:
        values = [operand(features) for operand in operands]
        return all(
            function(values[index], values[index + 1]) for index, function in enumerate(functions)
        )

    return compare
