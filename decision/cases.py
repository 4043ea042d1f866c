"""Curator test cases: virtual patients and the notes they must (or must not) get.

Pure functions over a compiled release, so publishing, the admin and `check_knowledge_base`
judge a case the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from decision.engine import CompiledRelease, Inputs, Note, evaluate


@dataclass(frozen=True, slots=True)
class Expect:
    outcome: str  # "present" or "absent"
    kind: str
    drug: str | None = None
    note_id: str = ""
    level: str = ""
    severity: str = ""

    def matches(self, note: Note) -> bool:
        return (
            note.kind == self.kind
            and (self.drug is None or note.drug == self.drug)
            and (not self.note_id or note.id == self.note_id)
            and (not self.level or note.level == self.level)
            and (not self.severity or note.severity == self.severity)
        )

    def describe(self) -> str:
        parts = [f"a {self.kind} note"]
        if self.drug:
            parts.append(f"on {self.drug}")
        if self.note_id:
            parts.append(f"with id {self.note_id}")
        if self.level:
            parts.append(f"at level {self.level}")
        if self.severity:
            parts.append(f"of {self.severity} severity")
        verb = "must appear" if self.outcome == "present" else "must not appear"
        return f"{' '.join(parts)} {verb}"


@dataclass(frozen=True, slots=True)
class CaseSpec:
    key: str
    title: str
    inputs: Inputs
    expectations: tuple[Expect, ...]


@dataclass(frozen=True, slots=True)
class Failure:
    expected: str
    got: tuple[str, ...]

    def __str__(self) -> str:
        return f"expected {self.expected}; got: {', '.join(self.got) or 'no such note'}"


@dataclass(frozen=True, slots=True)
class CaseResult:
    key: str
    title: str
    failures: tuple[Failure, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def describe_note(note: Note) -> str:
    scale = note.level or note.severity
    return f"{note.kind} {note.drug or 'general'} {scale or ''} [{note.id}]".replace("  ", " ")


def run_case(release: CompiledRelease, case: CaseSpec) -> CaseResult:
    problems = unknown_slugs(release, case.inputs)
    if problems:
        failure = Failure(expected="inputs that the release's vocabulary knows", got=problems)
        return CaseResult(case.key, case.title, (failure,))
    notes = evaluate(release, case.inputs)
    failures = []
    for expect in case.expectations:
        matching = [note for note in notes if expect.matches(note)]
        if expect.outcome == "present" and not matching:
            same_kind = tuple(
                describe_note(note)
                for note in notes
                if note.kind == expect.kind and (expect.drug is None or note.drug == expect.drug)
            )
            failures.append(Failure(expect.describe(), same_kind))
        elif expect.outcome == "absent" and matching:
            failures.append(Failure(expect.describe(), tuple(describe_note(n) for n in matching)))
    return CaseResult(case.key, case.title, tuple(failures))


def run_cases(release: CompiledRelease, cases) -> list[CaseResult]:
    return [run_case(release, case) for case in cases]


def unknown_slugs(release: CompiledRelease, inputs: Inputs) -> tuple[str, ...]:
    vocabulary = release.vocabulary
    problems = []
    if inputs.pain_type not in vocabulary.pain_types:
        problems.append(f"unknown pain type '{inputs.pain_type}'")
    problems += [f"unknown drug '{s}'" for s in inputs.analgesics if s not in vocabulary.drugs]
    problems += [
        f"unknown patient factor '{s}'"
        for s in inputs.factors
        if s not in vocabulary.patient_factors
    ]
    return tuple(problems)
