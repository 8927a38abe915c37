"""The LLM-free miner: executable skills from slow/fast pairs by AST diff and anti-unification.

Steps (the Getafix idea, on Python statements):

1. **Diff.** Per pair, the two module trees are aligned statement by statement
   (:class:`difflib.SequenceMatcher` over ``ast.dump``); compound statements with equal
   headers are descended into, so an edit is the smallest run of changed statements,
   with its context (enclosing scope, inside a loop or not).
2. **Normalise.** In a one-statement-to-one-statement edit, every identifier that is not
   a builtin or an imported name becomes a variable hole ``__vN__``, numbered by first
   appearance, so ``evens = evens + [x]`` and ``out = out + [v]`` read alike.
3. **Generalise.** Edits are anti-unified pairwise: where two edits differ, the least
   general template puts a hole (the same pair of differing pieces always gets the same
   hole). A template must keep some concrete code, use in ``after`` only holes of
   ``before``, and have few expression holes.
4. **Cluster.** Each edit joins the first cluster whose template it generalises with
   usably, else it starts one. A cluster seen in at least ``min_support`` distinct
   problems is a candidate rule.
5. **Validate.** Each supporting problem is held out in turn: the rule is re-derived
   from the other problems and applied to the held-out slow program. Every held-out
   program it changes must stay equivalent on the pair's inputs
   (:func:`polca.sandbox.difftest.compare`), and together they must get faster by
   ``min_speedup`` (geometric mean, :func:`polca.sandbox.measure.measure`); any other
   corpus program the rule changes must stay equivalent too. Only rules that pass are
   kept, and at least one held-out program must have been rewritten.

A kept rule becomes a skill folder (:func:`write_skill`) whose ``rule.py`` builds a
:class:`polca.skills.template_rule.TemplateRule`.
"""

from __future__ import annotations

import ast
import builtins
import copy
import difflib
import hashlib
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from polca.parsing import parse_python
from polca.sandbox.difftest import compare
from polca.sandbox.measure import measure
from polca.sandbox.types import BackendName
from polca.skills.model import Skill
from polca.skills.pairs import Pair
from polca.skills.skill_writer import (
    DEFAULT_MINED_DIR,
    SkillDraft,
    example_harness,
    slug,
    write_skill,
)
from polca.skills.template_rule import (
    TemplateRule,
    assigned_var,
    is_hole,
    is_var,
    match,
    sites,
    uses_of,
)

log = logging.getLogger(__name__)

_BLOCKS = ("body", "orelse", "finalbody")
_BUILTINS = frozenset(dir(builtins))
MAX_EXPR_HOLES = 3
MIN_CONCRETE_NODES = 3


@dataclass(frozen=True)
class Edit:
    """One statement-level change of one pair, with its context."""

    pair_id: str
    problem: str
    before: str  # the slow statement(s), as written
    after: str  # the fast statement(s), as written
    in_loop: bool
    uses: frozenset[str] = frozenset()  # other uses of the assigned variable in its scope
    template: tuple[str, str] | None = None  # normalised one-statement edit, when there is one


@dataclass(frozen=True)
class Validation:
    """What a candidate rule did to one held-out or other corpus program."""

    pair_id: str
    equivalent: bool
    speedup: float | None
    held_out: bool
    message: str = ""


@dataclass(frozen=True)
class MinedRule:
    """A candidate rule, its support and, once validated, whether it is kept and why."""

    before: str
    after: str
    problems: tuple[str, ...]
    pair_ids: tuple[str, ...]
    loop_contexts: tuple[bool, ...]
    uses: tuple[str, ...]
    example: Edit
    validations: tuple[Validation, ...] = ()
    kept: bool = False
    reason: str = ""

    def rule(self) -> TemplateRule:
        return TemplateRule(self.before, self.after, self.loop_contexts, self.uses)


# -- 1. diff ---------------------------------------------------------------------------


def _dump(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False)


def _header(stmt: ast.stmt) -> str:
    shell = copy.copy(stmt)
    for name in (*_BLOCKS, "handlers"):
        if hasattr(shell, name):
            setattr(shell, name, [])
    return _dump(shell)


def _same_shape(a: ast.stmt, b: ast.stmt) -> bool:
    if type(a) is not type(b) or not any(getattr(a, n, None) for n in _BLOCKS):
        return False
    return _header(a) == _header(b) and not getattr(a, "handlers", None)


def _diff_block(slow: list, fast: list, scope: ast.AST, in_loop: bool, out: list) -> None:
    matcher = difflib.SequenceMatcher(None, [_dump(s) for s in slow], [_dump(s) for s in fast], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for a, b in zip(slow[i1:i2], fast[j1:j2], strict=True):
                _diff_statement(a, b, scope, in_loop, out)
        else:
            out.append((slow[i1:i2], fast[j1:j2], scope, in_loop))


def _diff_statement(a: ast.stmt, b: ast.stmt, scope: ast.AST, in_loop: bool, out: list) -> None:
    if not _same_shape(a, b):
        out.append(([a], [b], scope, in_loop))
        return
    inner_scope = a if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef) else scope
    loop = inner_scope is scope and (in_loop or isinstance(a, ast.For | ast.While | ast.AsyncFor))
    for name in _BLOCKS:
        _diff_block(getattr(a, name, []) or [], getattr(b, name, []) or [], inner_scope, loop, out)


def statement_edits(pair: Pair) -> list[Edit]:
    """The statement-level edits that turn ``pair.slow`` into ``pair.fast``."""
    try:
        slow, fast = parse_python(pair.slow), parse_python(pair.fast)
    except SyntaxError as exc:
        log.info("pair %s does not parse (%s); skipped", pair.id, exc)
        return []
    raw: list = []
    _diff_block(slow.body, fast.body, slow, False, raw)
    imported = _imported_names(slow) | _imported_names(fast)
    return [_edit(pair, a, b, scope, in_loop, imported) for a, b, scope, in_loop in raw]


def _edit(pair: Pair, before: list, after: list, scope: ast.AST, in_loop: bool, imported: set[str]) -> Edit:
    text_before = "\n".join(ast.unparse(s) for s in before)
    text_after = "\n".join(ast.unparse(s) for s in after)
    template = None
    uses: frozenset[str] = frozenset()
    if len(before) == 1 and len(after) == 1:
        template = normalise(before[0], after[0], imported)
        target = before[0].targets[0] if isinstance(before[0], ast.Assign) else None
        if isinstance(target, ast.Name) and len(before[0].targets) == 1:
            uses = frozenset(uses_of(scope, target.id, skip=before[0]))
    return Edit(pair.id, pair.problem, text_before, text_after, in_loop, uses, template)


def _imported_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


# -- 2. normalise ----------------------------------------------------------------------


class _Rename(ast.NodeTransformer):
    def __init__(self, keep: set[str]) -> None:
        self.keep = keep
        self.names: dict[str, str] = {}

    def _new(self, name: str) -> str:
        return self.names.setdefault(name, f"__v{len(self.names)}__")

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.keep:
            return node
        return ast.copy_location(ast.Name(self._new(node.id), node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self._new(node.arg)
        return node


def normalise(before: ast.stmt, after: ast.stmt, imported: set[str] = frozenset()) -> tuple[str, str]:
    """The edit with identifiers replaced by ``__vN__`` (builtins and imports kept)."""
    rename = _Rename(set(_BUILTINS) | set(imported))
    first = rename.visit(copy.deepcopy(before))
    second = rename.visit(copy.deepcopy(after))
    return ast.unparse(first), ast.unparse(second)


# -- 3. generalise ---------------------------------------------------------------------


class _Mismatch(Exception):
    """Two trees cannot be generalised at this node."""


def _has_holes(node: ast.AST) -> bool:
    return any(is_var(n) or is_hole(n) for n in ast.walk(node))


def _load_dump(node: ast.AST) -> str:
    node = copy.deepcopy(node)
    for sub in ast.walk(node):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return _dump(node)


class _AntiUnifier:
    def __init__(self) -> None:
        self.holes: dict[tuple[str, str], str] = {}

    def generalise(self, a: ast.AST, b: ast.AST) -> ast.AST:
        if _dump(a) == _dump(b) and not _has_holes(a):
            return copy.deepcopy(a)
        plain = not any(is_var(n) or is_hole(n) for n in (a, b))
        if plain and type(a) is type(b):
            try:
                return self._fields(a, b)
            except _Mismatch:
                pass
        return self._hole(a, b)

    def _fields(self, a: ast.AST, b: ast.AST) -> ast.AST:
        node = type(a)()
        for name in a._fields:
            setattr(node, name, self._value(getattr(a, name, None), getattr(b, name, None)))
        return node

    def _value(self, va: object, vb: object) -> object:
        if isinstance(va, list) and isinstance(vb, list) and len(va) == len(vb):
            return [self._value(x, y) for x, y in zip(va, vb, strict=True)]
        if isinstance(va, ast.AST) and isinstance(vb, ast.AST):
            return self.generalise(va, vb)
        if va == vb and not isinstance(va, list):
            return va
        raise _Mismatch

    def _hole(self, a: ast.AST, b: ast.AST) -> ast.AST:
        if not (isinstance(a, ast.expr) and isinstance(b, ast.expr)):
            raise _Mismatch
        key = (_load_dump(a), _load_dump(b))
        if key not in self.holes:
            names = isinstance(a, ast.Name) and isinstance(b, ast.Name) and not (is_hole(a) or is_hole(b))
            self.holes[key] = f"__{'v' if names else 'h'}{len(self.holes)}__"
        return ast.Name(self.holes[key], getattr(a, "ctx", ast.Load()))


def anti_unify(first: tuple[str, str], second: tuple[str, str]) -> tuple[str, str] | None:
    """The least general template of two (before, after) templates, or None if unusable."""
    unifier = _AntiUnifier()
    try:
        pair_a = [parse_python(t).body[0] for t in first]
        pair_b = [parse_python(t).body[0] for t in second]
        general = [unifier.generalise(a, b) for a, b in zip(pair_a, pair_b, strict=True)]
    except (_Mismatch, SyntaxError, IndexError):
        return None
    template = canonical(ast.unparse(ast.fix_missing_locations(general[0])),
                         ast.unparse(ast.fix_missing_locations(general[1])))
    return template if usable(template) else None


def _hole_names(tree: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(tree) if is_var(n) or is_hole(n)]


def canonical(before: str, after: str) -> tuple[str, str]:
    """Holes renumbered by first appearance (``__v0__``, ``__h0__``, ...)."""
    trees = [parse_python(before), parse_python(after)]
    mapping: dict[str, str] = {}
    counts = {"v": 0, "h": 0}
    for tree in trees:
        for node in sorted((n for n in ast.walk(tree) if is_var(n) or is_hole(n)),
                           key=lambda n: (n.lineno, n.col_offset)):
            if node.id not in mapping:
                kind = node.id[2]
                mapping[node.id] = f"__{kind}{counts[kind]}__"
                counts[kind] += 1
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in mapping:
                node.id = mapping[node.id]
    return ast.unparse(trees[0]), ast.unparse(trees[1])


def usable(template: tuple[str, str]) -> bool:
    """Specific enough to be a rule, and ``after`` needs nothing ``before`` does not bind."""
    before, after = (parse_python(t).body[0] for t in template)
    if _dump(before) == _dump(after):
        return False
    if not set(_hole_names(after)) <= set(_hole_names(before)):
        return False
    if sum(1 for n in set(_hole_names(before)) if n.startswith("__h")) > MAX_EXPR_HOLES:
        return False
    concrete = [
        n for n in ast.walk(before)
        if not (is_var(n) or is_hole(n) or isinstance(n, ast.expr_context))
    ]
    return len(concrete) >= MIN_CONCRETE_NODES


# -- 4. cluster ------------------------------------------------------------------------


@dataclass
class _Cluster:
    template: tuple[str, str]
    edits: list[Edit] = field(default_factory=list)

    def problems(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.problem for e in self.edits))


def cluster_edits(edits: Sequence[Edit]) -> list[_Cluster]:
    """Greedy clustering: each templated edit joins the first cluster it generalises with."""
    clusters: list[_Cluster] = []
    for edit in edits:
        if edit.template is None:
            continue
        for cluster in clusters:
            merged = anti_unify(cluster.template, edit.template)
            if merged is not None:
                cluster.template = merged
                cluster.edits.append(edit)
                break
        else:
            clusters.append(_Cluster(edit.template, [edit]))
    return clusters


def _rule_from(template: tuple[str, str], edits: Sequence[Edit]) -> MinedRule:
    return MinedRule(
        before=template[0],
        after=template[1],
        problems=tuple(dict.fromkeys(e.problem for e in edits)),
        pair_ids=tuple(e.pair_id for e in edits),
        loop_contexts=tuple(sorted({e.in_loop for e in edits})),
        uses=tuple(sorted(set().union(*(e.uses for e in edits)))),
        example=edits[0],
    )


def candidate_rules(pairs: Sequence[Pair], *, min_support: int = 2) -> list[MinedRule]:
    """Templates seen in at least ``min_support`` distinct problems, most supported first."""
    if min_support < 1:
        raise ValueError(f"min_support = {min_support} must be at least 1 (the default is 2)")
    edits = [edit for pair in pairs for edit in statement_edits(pair)]
    rules = [_rule_from(c.template, c.edits) for c in cluster_edits(edits) if len(c.problems()) >= min_support]
    log.info("%d edits from %d pairs gave %d candidate rules", len(edits), len(pairs), len(rules))
    return sorted(rules, key=lambda r: (-len(r.problems), r.before))


# -- 5. validate -----------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationSettings:
    """How candidate rules are checked in the sandbox."""

    min_speedup: float = 1.10
    backend: BackendName = "auto"
    rounds: int = 7
    min_sample_s: float = 0.02
    timeout_s: float = 60.0


def _check(rule: TemplateRule, pair: Pair, held_out: bool, settings: ValidationSettings) -> Validation | None:
    new = rule.rewrite_source(pair.slow)
    if new == pair.slow:
        return None
    if not pair.all_inputs():
        log.info("pair %s has no inputs or tests; it cannot validate a rule", pair.id)
        return None
    slow, cand = pair.target(pair.slow, "slow"), pair.target(new, "rule")
    inputs = pair.sandbox_inputs()
    report = compare(slow, cand, inputs, backend=settings.backend)
    if not report.equal:
        return Validation(pair.id, False, None, held_out, report.message or report.feedback[:300])
    if not held_out:
        return Validation(pair.id, True, None, held_out)
    result = measure(slow, cand, inputs, backend=settings.backend, rounds=settings.rounds,
                     min_sample_s=settings.min_sample_s, timeout_s=settings.timeout_s)
    return Validation(pair.id, True, result.speedup, held_out, result.message)


def validate_rule(rule: MinedRule, pairs: Sequence[Pair], settings: ValidationSettings, *,
                  min_support: int = 2) -> MinedRule:
    """Leave each supporting problem out in turn, re-derive the rule, test it on that problem.

    The kept rule is the one mined from every problem; the held-out checks say whether
    mining generalises to programs the rule was not mined from.
    """
    by_id = {p.id: p for p in pairs}
    checks: list[Validation] = []
    for held in rule.problems:
        train = [by_id[i] for i in rule.pair_ids if by_id[i].problem != held]
        derived = _same_cluster(candidate_rules(train, min_support=min_support), rule)
        if derived is None:
            continue
        for pair in (p for p in pairs if p.problem == held):
            check = _check(derived.rule(), pair, True, settings)
            checks += [check] if check is not None else []
    others = (p for p in pairs if p.problem not in rule.problems)
    checks += [c for p in others if (c := _check(rule.rule(), p, False, settings)) is not None]
    return replace(rule, validations=tuple(checks), **_verdict(checks, settings.min_speedup))


def _same_cluster(derived: Sequence[MinedRule], rule: MinedRule) -> MinedRule | None:
    shared = [r for r in derived if set(r.pair_ids) & set(rule.pair_ids)]
    return max(shared, key=lambda r: len(set(r.pair_ids) & set(rule.pair_ids)), default=None)


def _verdict(checks: Sequence[Validation], min_speedup: float) -> dict:
    held = [c for c in checks if c.held_out]
    broken = [c.pair_id for c in checks if not c.equivalent]
    if broken:
        return {"kept": False, "reason": f"changes the behaviour of {', '.join(broken)}"}
    if not held:
        return {"kept": False, "reason": "no held-out program was rewritten and checked (the rule mined without it did not apply, or its pair has no inputs)"}
    speedups = [c.speedup for c in held if c.speedup]
    if len(speedups) < len(held):
        return {"kept": False, "reason": "held-out timing failed: " + "; ".join(c.message for c in held)}
    mean = math.exp(sum(math.log(s) for s in speedups) / len(speedups))
    if mean < min_speedup:
        return {"kept": False, "reason": f"held-out speedup {mean:.2f}x is below {min_speedup:.2f}x"}
    return {"kept": True, "reason": f"held-out speedup {mean:.2f}x, behaviour unchanged"}


def mine_rules(pairs: Sequence[Pair], *, min_support: int = 2,
               settings: ValidationSettings | None = None) -> list[MinedRule]:
    """Every candidate rule, validated; ``kept`` says which become skills.

    Candidates need ``min_support + 1`` problems, so that with one held out the rule is
    still re-derived from ``min_support`` of them.
    """
    settings = settings or ValidationSettings()
    candidates = candidate_rules(pairs, min_support=min_support + 1)
    log.info("validating %d candidate rules in the sandbox", len(candidates))
    validated = [validate_rule(rule, pairs, settings, min_support=min_support) for rule in candidates]
    for rule in validated:
        log.info("rule %s -> %s: %s", rule.before, rule.after, rule.reason)
    return validated



# -- 6. skills -------------------------------------------------------------------------


@dataclass(frozen=True)
class MiningReport:
    """Every validated candidate rule, and the skills written for the kept ones."""

    rules: tuple[MinedRule, ...]
    skills: tuple[Skill, ...]


def mine_skills(pairs: Sequence[Pair], out_dir: Path | str = DEFAULT_MINED_DIR, *, min_support: int = 2,
                settings: ValidationSettings | None = None, overwrite: bool = False) -> MiningReport:
    """Mine, validate, and write one executable skill per kept rule under ``out_dir``."""
    rules = mine_rules(pairs, min_support=min_support, settings=settings)
    by_id = {p.id: p for p in pairs}
    skills = [write_skill(draft_for(r, by_id[r.example.pair_id]), out_dir, overwrite=overwrite)
              for r in rules if r.kept]
    return MiningReport(tuple(rules), tuple(skills))


_GENERIC_NODES = frozenset({"assign", "expr", "call", "name", "constant", "attribute", "load", "store"})


def _words(stmt: ast.stmt) -> tuple[list[str], list[str]]:
    """Concrete identifiers, then the telling node kinds, of a template statement."""
    nodes = list(ast.walk(stmt))
    names = [n.id for n in nodes if isinstance(n, ast.Name) and not (is_var(n) or is_hole(n))]
    names += [n.attr for n in nodes if isinstance(n, ast.Attribute)]
    kinds = [type(n).__name__.lower() for n in nodes if not isinstance(n, ast.expr_context)]
    return list(dict.fromkeys(names)), [k for k in dict.fromkeys(kinds) if k not in _GENERIC_NODES]


def skill_id(rule: MinedRule) -> str:
    """``mined-<what goes>-to-<what comes>-<hash>`` (or ``drop-``/``add-``), stable per template."""
    before, after = (_words(parse_python(t).body[0]) for t in (rule.before, rule.after))
    gone = [w for w in before[0] if w not in after[0]] or [w for w in before[1] if w not in after[1]]
    new = [w for w in after[0] if w not in before[0]] or [w for w in after[1] if w not in before[1]]
    gone_text, new_text = slug(" ".join(gone[:2])), slug(" ".join(new[:2]))
    if gone and new:
        words = f"{gone_text}-to-{new_text}"
    else:
        words = f"drop-{gone_text}" if gone else f"add-{new_text}" if new else "rewrite"
    digest = hashlib.sha1(f"{rule.before}\n{rule.after}".encode()).hexdigest()[:6]
    return f"mined-{words}-{digest}"


def _trigger(before: str) -> str:
    fragments = [f.strip() for f in re.split(r"__[vh]\d+__", before)]
    best = max(fragments, key=len)
    return re.escape(best) if len(best) >= 2 else re.escape(before.split("__")[0] or "=")


def _family(rule: MinedRule) -> str:
    if re.search(r"\{|\b(set|dict|deque|Counter|heapq)\b", rule.after):
        return "data-structures"
    return "algorithmic" if "sorted" in rule.before else "constant-factors"


_UNSEEN_USES = {"aliased": "_alias = {v}", "attribute": "_kind = {v}.__class__", "subscripted": "_peek = {v}[:0]"}


def _counter(rule: MinedRule, engine: TemplateRule, before_py: str, fallback: str) -> str:
    """before.py with one use of the assigned variable that the pairs never showed."""
    var = assigned_var(parse_python(rule.before).body[0])
    kind = next((k for k in _UNSEEN_USES if k not in rule.uses), None)
    tree = parse_python(before_py)
    for site in sites(tree):
        bindings: dict[str, ast.AST] = {}
        if var is None or kind is None or not match(parse_python(rule.before).body[0], site.stmt, bindings):
            continue
        lines = before_py.splitlines(keepends=True)
        first = lines[site.stmt.lineno - 1]
        indent = first[: len(first) - len(first.lstrip())]
        lines.insert(site.stmt.end_lineno, indent + _UNSEEN_USES[kind].format(v=bindings[var].id) + "\n")
        counter = "".join(lines)
        if engine.rewrite_source(counter) == counter:
            return counter
    return fallback


def _rule_py(rule: MinedRule) -> str:
    return (f'"""Mined from {len(rule.problems)} problems; see SKILL.md for its preconditions."""\n\n'
            "from polca.skills.template_rule import TemplateRule\n\n"
            f"RULE = TemplateRule(\n    before={rule.before!r},\n    after={rule.after!r},\n"
            f"    loop_contexts={rule.loop_contexts!r},\n    uses={rule.uses!r},\n)\n"
            "rewrite = RULE.rewrite\n")


def draft_for(rule: MinedRule, example: Pair) -> SkillDraft:
    """The skill folder of a kept rule, its example taken from ``example``."""
    engine = rule.rule()
    before_py = example_harness(example, example.slow)
    after_py = engine.rewrite_source(before_py)
    counter = _counter(rule, engine, before_py, example_harness(example, example.fast))
    held = [v for v in rule.validations if v.held_out and v.speedup]
    figures = ", ".join(f"{v.pair_id} {v.speedup:.2f}x" for v in held) or "none"
    where = {(False,): "outside loops", (True,): "inside loops"}.get(rule.loop_contexts, "anywhere")
    sections = {
        "When to use": f"A statement of the form `{rule.before}` ({where}); seen in "
                       f"{len(rule.problems)} problems: {', '.join(rule.problems)}.",
        "Steps": f"1. Find a statement matching `{rule.before}` (`__vN__` is a variable, `__hN__` any "
                 f"expression).\n2. Replace it with `{rule.after}`, holes filled with the same code.\n"
                 "3. Re-run the program's tests.",
        "Complexity": f"Measured on held-out programs (rule mined without them): {figures}. "
                      f"{rule.reason.capitalize()}.",
        "Pitfalls": "Mined by the LLM-free miner: its preconditions are syntactic (the statement shape, the "
                    f"loop context) plus the uses of the assigned variable seen in the pairs: "
                    f"{', '.join(rule.uses) or 'none'}. Types are not checked.",
        "When not to use": "When the assigned variable is used in another way (aliased, indexed, mutated "
                           "elsewhere) than in the pairs above; the rule then leaves the code alone.",
        "Before-After example": f"```python\n# before\n{rule.example.before}\n# after\n{rule.example.after}\n```",
    }
    return SkillDraft(
        id=skill_id(rule), family=_family(rule), name=f"Mined: {rule.before} -> {rule.after}"[:120],
        description=f"Rewrite `{rule.before}` as `{rule.after}`; mined from {len(rule.problems)} "
                    f"slow/fast pairs and kept because {rule.reason}.",
        tags=("mined", "ast-miner"), triggers=(_trigger(rule.before),), sections=sections,
        files={"before.py": before_py, "after.py": after_py, "rule.py": _rule_py(rule), "counter.py": counter},
    )
