#!/usr/bin/env python3
"""Check events against the JSON Schemas of wire format v1 (Schemas/).

Usage:
  python3 Tools/schema-check.py                  # check the schemas and Schemas/examples only
  python3 Tools/schema-check.py --corpus FILE    # NDJSON of {"expect","why","event"} lines
  python3 Tools/schema-check.py --events FILE    # NDJSON of bare events; FILE may be "-" (stdin)

Every run first checks that each schema under Schemas/ is a valid JSON Schema
2020-12 and that every Schemas/examples/*.json event is valid (exit 2 if not).

For each non-blank input line it prints `LINE<TAB>valid|invalid<TAB>message`
(message: the most relevant error with its JSON path; empty when valid).
--corpus exits 1 if any verdict differs from the line's `expect` (the
mismatches are also printed to stderr); --events exits 1 if any event is
invalid. Exit 2: usage, schema or example errors, or an unreadable corpus line.

Schemas are resolved only through a local referencing.Registry (their $id is
`urn:call-ledger:schema:...`); nothing is ever fetched. Formats are asserted
(FormatChecker; `date-time` uses rfc3339-validator).

Regular expressions: JSON Schema patterns are ECMA-262 regexes, while the
jsonschema package runs them with Python's `re`, which differs where it matters
to us: Python's `$` also matches before a trailing "\\n" (so "abc\\n" would pass
`^[\\x20-\\x7E]{1,128}$`), and `\\s`, `\\d`, `\\w` and `.` use other character
sets. This checker therefore translates each `pattern` to Python with the
ECMA-262 meaning (see ecma_to_python) before using it.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import multiprocessing
import os
import re
import sys
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import SchemaError as JSchemaError, ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "Schemas"
URN = "urn:call-ledger:schema:"
EVENT_ID = URN + "event.v1"

# ECMA-262 WhiteSpace and LineTerminator, i.e. what `\s` matches there.
_ECMA_WS = (
    "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029"
    "\\u202f\\u205f\\u3000\\ufeff"
)
_ESCAPES_OUTSIDE = {
    "s": "[" + _ECMA_WS + "]",
    "S": "[^" + _ECMA_WS + "]",
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[A-Za-z0-9_]",
    "W": "[^A-Za-z0-9_]",
}
_ESCAPES_INSIDE = {"s": _ECMA_WS, "d": "0-9", "w": "A-Za-z0-9_"}


@functools.lru_cache(maxsize=None)
def ecma_to_python(pattern: str) -> re.Pattern[str]:
    """Compile an ECMA-262 pattern (the subset our schemas use) with its ECMA meaning.

    `$` becomes end of input (`\\Z`), `.` excludes all ECMA line terminators,
    and `\\s \\S \\d \\D \\w \\W` get their ECMA character sets. Negated classes
    inside a bracket (e.g. `[\\S]`) are refused rather than guessed.
    """
    out: list[str] = []
    i, in_class, n = 0, False, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise ValueError(f"pattern {pattern!r} ends with a backslash")
            e = pattern[i + 1]
            if in_class and e in _ESCAPES_INSIDE:
                out.append(_ESCAPES_INSIDE[e])
            elif in_class and e in "SDW":
                raise ValueError(f"pattern {pattern!r}: \\{e} inside [...] is not supported")
            elif not in_class and e in _ESCAPES_OUTSIDE:
                out.append(_ESCAPES_OUTSIDE[e])
            elif e == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", pattern[i + 2:i + 6]):
                out.append(pattern[i:i + 6])
                i += 6
                continue
            elif e in "bBxtnrfv0123456789" or not e.isalnum():
                out.append(pattern[i:i + 2])
            else:
                raise ValueError(f"pattern {pattern!r}: escape \\{e} is not supported")
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1:i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1:i + 2] == "]":
                # ECMA: "[]" matches nothing and "[^]" anything; Python reads "]" as a literal.
                raise ValueError(f"pattern {pattern!r}: empty class is not supported")
        elif c == "$":
            out.append("\\Z")
        elif c == ".":
            out.append("[^\\n\\r\\u2028\\u2029]")
        else:
            out.append(c)
        i += 1
    # re.ASCII: `\b`/`\B` then use ECMA's ASCII word characters.
    return re.compile("".join(out), re.ASCII)


def _ecma_pattern(validator, patrn, instance, schema):
    if validator.is_type(instance, "string") and not ecma_to_python(patrn).search(instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _ecma_pattern_properties(validator, pattern_properties, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for patrn, subschema in pattern_properties.items():
        rx = ecma_to_python(patrn)
        for k, v in instance.items():
            if rx.search(k):
                yield from validator.descend(v, subschema, path=k, schema_path=patrn)


Validator = validators.extend(
    Draft202012Validator,
    {"pattern": _ecma_pattern, "patternProperties": _ecma_pattern_properties},
)


class SchemaError(Exception):
    pass


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str):
    """json.loads, refusing NaN/Infinity (not JSON); ValueError on any failure."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _walk_patterns(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "pattern" and isinstance(v, str):
                yield v
            elif k == "patternProperties" and isinstance(v, dict):
                yield from v.keys()
            yield from _walk_patterns(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_patterns(v)


def load_registry() -> tuple[Registry, dict[str, dict]]:
    """Every Schemas/**/*.json with a $id (examples excluded), checked as 2020-12 schemas."""
    schemas: dict[str, dict] = {}
    files = sorted(p for p in SCHEMAS.rglob("*.json") if "examples" not in p.relative_to(SCHEMAS).parts)
    if not files:
        raise SchemaError(f"no schemas under {SCHEMAS}")
    for path in files:
        rel = path.relative_to(ROOT)
        try:
            contents = parse_json(path.read_text(encoding="utf-8"))
        except ValueError as e:
            raise SchemaError(f"{rel}: not JSON: {e}") from e
        if not isinstance(contents, dict) or not isinstance(contents.get("$id"), str):
            raise SchemaError(f"{rel}: a schema object with a string $id is required")
        if contents.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
            raise SchemaError(f"{rel}: $schema must be JSON Schema 2020-12")
        try:
            Draft202012Validator.check_schema(contents)
        except JSchemaError as e:
            raise SchemaError(f"{rel}: not a valid 2020-12 schema: {e}") from e
        for p in _walk_patterns(contents):
            try:
                ecma_to_python(p)
            except (ValueError, re.error) as e:
                raise SchemaError(f"{rel}: pattern {p!r}: {e}") from e
        sid = contents["$id"]
        if sid in schemas:
            raise SchemaError(f"{rel}: duplicate $id {sid}")
        schemas[sid] = contents
    # The registry and the validators get copies without `$schema` (checked above):
    # jsonschema picks the validator class of a `$ref` target from its `$schema`,
    # which would drop our ECMA-262 `pattern` keyword there (validator_for in evolve).
    schemas = {sid: {k: v for k, v in c.items() if k != "$schema"} for sid, c in schemas.items()}
    registry = Registry().with_resources(
        (sid, Resource.from_contents(c, default_specification=DRAFT202012)) for sid, c in schemas.items()
    ).crawl()
    if EVENT_ID not in schemas:
        raise SchemaError(f"no schema with $id {EVENT_ID}")
    return registry, schemas


def _pointer(doc, fragment: str, where: str):
    if fragment in ("", "#"):
        return doc
    if not fragment.startswith("#/"):
        raise SchemaError(f"{where}: unsupported $ref fragment {fragment!r}")
    node = doc
    for part in fragment[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError) as e:
            raise SchemaError(f"{where}: $ref {fragment!r} does not resolve") from e
    return node


def inline_refs(node, doc_id: str, schemas: dict[str, dict], depth: int = 0):
    """A copy of `node` with every `$ref` replaced by what it points to (same verdicts and
    error messages, no registry look-ups at validation time: the fast path).

    `{"$ref": X, ...}` becomes the target itself when the siblings are only annotations,
    else the siblings plus `allOf: [target]` ($ref is an in-place applicator in 2020-12).
    """
    if depth > 64:
        raise SchemaError(f"{doc_id}: $ref nesting too deep (a cycle?)")
    if isinstance(node, list):
        return [inline_refs(v, doc_id, schemas, depth) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("$defs", "$id", "$schema", "$comment", "title", "description", "examples"):
            continue
        if k == "$ref":
            continue
        if k in ("$dynamicRef", "$recursiveRef", "$anchor", "$dynamicAnchor"):
            raise SchemaError(f"{doc_id}: {k} is not supported by the fast path")
        if k in ("const", "enum", "default"):
            out[k] = v  # values, not schemas
        elif k in ("properties", "patternProperties", "dependentSchemas"):
            out[k] = {name: inline_refs(sub, doc_id, schemas, depth) for name, sub in v.items()}
        else:
            out[k] = inline_refs(v, doc_id, schemas, depth)
    ref = node.get("$ref")
    if ref is None:
        return out
    base, _, frag = ref.partition("#")
    target_id = base or doc_id
    if target_id not in schemas:
        raise SchemaError(f"{doc_id}: $ref to unknown schema {ref!r}")
    target = inline_refs(_pointer(schemas[target_id], "#" + frag, doc_id), target_id, schemas, depth + 1)
    if not out:
        return target
    out["allOf"] = [target, *out.get("allOf", [])]
    return out


class Checker:
    def __init__(self) -> None:
        self.registry, self.schemas = load_registry()
        fc = FormatChecker()
        if "date-time" not in fc.checkers:
            raise SchemaError("date-time format checking is unavailable (install rfc3339-validator)")
        self.event = Validator(self.schemas[EVENT_ID], registry=self.registry, format_checker=fc)
        # Fast path: validators of the per-type schemas, with their $refs inlined.
        # event.v1 dispatches on `type` to exactly these (checked below), so for an
        # object with a known type the verdict and errors are the same; anything else
        # goes through event.v1. --corpus cross-checks every line against event.v1.
        self.by_type: dict[str, Validator] = {}
        for branch in self.schemas[EVENT_ID].get("allOf", []):
            t = branch["if"]["properties"]["type"]["const"]
            target = branch["then"]["$ref"]
            if target not in self.schemas:
                raise SchemaError(f"event.v1 dispatches {t} to unknown schema {target}")
            bundled = inline_refs(self.schemas[target], target, self.schemas)
            self.by_type[t] = Validator(bundled, format_checker=fc)
        envelope_types = self.schemas[URN + "envelope.v1"]["properties"]["type"]["enum"]
        if sorted(envelope_types) != sorted(self.by_type):
            raise SchemaError("event.v1's dispatch and the envelope's `type` enum list different types")

    def check(self, event) -> str | None:
        """None when valid, else the most relevant error message."""
        v = self.event
        if isinstance(event, dict):
            t = event.get("type")
            if isinstance(t, str) and t in self.by_type:
                v = self.by_type[t]
        errors = v.iter_errors(event)
        first = next(errors, None)
        if first is None:
            return None
        err = best_match([first, *errors])
        return f"{err.json_path}: {err.message}".replace("\t", " ").replace("\n", " ")

    def check_full(self, event) -> bool:
        """Through event.v1 only (no fast path)."""
        return self.event.is_valid(event)

    def check_examples(self) -> list[str]:
        problems = []
        examples = sorted((SCHEMAS / "examples").glob("*.json"))
        if not examples:
            problems.append("Schemas/examples: no examples")
        seen = set()
        for path in examples:
            rel = path.relative_to(ROOT)
            try:
                ev = parse_json(path.read_text(encoding="utf-8"))
            except ValueError as e:
                problems.append(f"{rel}: not JSON: {e}")
                continue
            if isinstance(ev, dict):
                seen.add(ev.get("type"))
            msg = self.check(ev)
            if msg is not None or not self.check_full(ev):
                problems.append(f"{rel}: invalid: {msg}")
                continue
            if ev.get("type") != path.stem:
                problems.append(f"{rel}: type {ev.get('type')!r} differs from the file name")
        for t in sorted(set(self.by_type) - seen):
            problems.append(f"Schemas/examples: no example of {t}")
        return problems


def _lines(name: str):
    if name == "-":
        yield from enumerate(sys.stdin, 1)
    else:
        with open(name, encoding="utf-8") as f:
            yield from enumerate(f, 1)


def run_corpus(checker: Checker, name: str) -> int:
    out, mismatches, failed, bad = [], [], 0, 0
    counts = {"valid": 0, "invalid": 0}
    for lineno, line in _lines(name):
        if not line.strip():
            continue
        try:
            case = parse_json(line)
            expect, event = case["expect"], case["event"]
            if expect not in counts:
                raise ValueError(f"expect must be valid or invalid, not {expect!r}")
        except (ValueError, KeyError, TypeError) as e:
            print(f"{name}:{lineno}: bad corpus line: {e}", file=sys.stderr)
            bad += 1
            continue
        counts[expect] += 1
        msg = checker.check(event)
        verdict = "valid" if msg is None else "invalid"
        out.append(f"{lineno}\t{verdict}\t{msg or ''}")
        problems = []
        if (msg is None) != checker.check_full(event):
            problems.append(f"{lineno}: event.v1 and the per-type schema disagree")
        if verdict != expect:
            problems.append(f"{lineno}: expected {expect}, got {verdict} ({case.get('why', '')}){': ' + msg if msg else ''}")
        mismatches += problems
        failed += bool(problems)
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))
    for m in mismatches:
        print(m, file=sys.stderr)
    total = counts["valid"] + counts["invalid"]
    print(f"corpus {name}: {total} lines, {counts['valid']} expected valid, {counts['invalid']} expected invalid",
          file=sys.stderr)
    print(f"schema-corpus: {total - failed} passed, {failed} failed", file=sys.stderr)
    if bad:
        return 2
    return 1 if mismatches else 0


_WORKER: Checker | None = None
CHUNK = 1000


def _check_chunk(chunk: list[tuple[int, str]]) -> tuple[list[str], int]:
    checker = _WORKER
    out, invalid = [], 0
    for lineno, line in chunk:
        try:
            event = parse_json(line)
        except ValueError as e:
            msg = f"not JSON: {e}"
        else:
            msg = checker.check(event)
        if msg is None:
            out.append(f"{lineno}\tvalid\t")
        else:
            invalid += 1
            out.append(f"{lineno}\tinvalid\t{msg}")
    return out, invalid


def _chunks(name: str):
    chunk = []
    for lineno, line in _lines(name):
        if line.strip():
            chunk.append((lineno, line))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def run_events(checker: Checker, name: str, jobs: int) -> int:
    """Verdicts in input order; chunks are checked in `jobs` forked processes."""
    global _WORKER
    _WORKER = checker
    invalid = 0
    chunks = _chunks(name)
    first = next(chunks, None)
    if first is None:
        return 0
    second = next(chunks, None)
    pool = None
    if second is not None and jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
        # Forked workers inherit the compiled validators (no schema loading per worker).
        pool = multiprocessing.get_context("fork").Pool(jobs)
        results = pool.imap(_check_chunk, itertools.chain([first, second], chunks))
    else:
        results = map(_check_chunk, itertools.chain([first] + ([second] if second else []), chunks))
    try:
        for out, bad in results:
            invalid += bad
            sys.stdout.write("\n".join(out) + "\n")
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return 1 if invalid else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Validate wire format v1 events against Schemas/.")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--corpus", metavar="FILE", help='NDJSON of {"expect","why","event"}; exit 1 on any mismatch')
    g.add_argument("--events", metavar="FILE", help="NDJSON of bare events ('-' = stdin); exit 1 if any is invalid")
    ap.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                    help="processes for --events (default: CPUs, at most 4)")
    args = ap.parse_args(argv)
    try:
        checker = Checker()
    except SchemaError as e:
        print(f"schema error: {e}", file=sys.stderr)
        return 2
    problems = checker.check_examples()
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 2
    try:
        if args.corpus:
            return run_corpus(checker, args.corpus)
        if args.events:
            return run_events(checker, args.events, args.jobs)
    except (OSError, UnicodeDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{len(checker.schemas)} schemas and their examples are valid", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
