"""Checking an audit trail: each break found and named, the end compared with the heads.

`check_chain` walks the events in seq order, as stored, and names what breaks the chain:
an event edited, events inserted, missing or out of order, events hashed without the key.
After a break it resynchronises at the next event that verifies and links to one it has seen,
so that one tampering is one finding and a second one elsewhere is found too. Naming a break
looks a little ahead (LOOKAHEAD events) and around (PROBE seqs either side of a moved event),
so memory stays bounded however long the trail.

The chain cannot show that its tail was cut off: `report` compares its end with the stored
head (`audit_head`, read before and after the walk, so events appended meanwhile are no
finding) and with a head kept outside the system (`Head.parse`), which is the only defence
against someone who cuts the tail and rewinds the stored head too.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, NamedTuple

from engine.store.audit_chain import FIRST_SEQ, GENESIS_HASH, AuditRecord, ChainKey, canonical

LOOKAHEAD: Final = 256  # events read ahead to tell an insertion or a reordering from an edit
PROBE: Final = 16  # seqs either side at which a moved event may have been written
RECENT: Final = 256  # stored hashes remembered for resynchronising after a break
MAX_FINDINGS: Final = 20
_HEAD = re.compile(r"^(\d{1,18}):([0-9a-f]{64})(?::(\S+))?$")


class Problem(StrEnum):
    EDITED = "edited"
    INSERTED = "inserted"
    MISSING = "missing"
    RENUMBERED = "renumbered"  # events missing, and the ones after renumbered to close the gap
    REORDERED = "reordered"
    RELINKED = "relinked"
    UNKEYED = "unkeyed"
    NOT_KEYED = "not_keyed"
    WRONG_KEY = "wrong_key"
    TAIL_CUT = "tail_cut"
    ALL_DELETED = "all_deleted"
    HEAD_MISMATCH = "head_mismatch"
    HEAD_MISSING = "head_missing"
    AFTER_HEAD = "after_head"
    KEPT_BEYOND = "kept_beyond"
    KEPT_DIFFERS = "kept_differs"


@dataclass(frozen=True)
class Finding:
    problem: Problem
    seq: int  # where it starts
    message: str  # for an operator: what is wrong, in the trail's own numbers


class Head(NamedTuple):
    """An end of the trail: the newest event's seq and hash, and its time (for people)."""

    seq: int
    hash: str
    at: str = ""

    def line(self) -> str:
        """One token, `SEQ:HASH:TIME`, to keep outside the system and give back to `Head.parse`."""
        return f"{self.seq}:{self.hash}:{self.at}" if self.at else f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Head:
        match = _HEAD.match(text.strip())
        if match is None or int(match[1]) < FIRST_SEQ:
            raise ValueError("a kept audit head is SEQ:HASH[:TIME], as `formserver audit head` prints it "
                             "(e.g. 1234:9f86...0a08:2020-11-03T10:00:00+08:00)")
        return cls(int(match[1]), match[2], match[3] or "")


EMPTY: Final = Head(0, GENESIS_HASH)


@dataclass(frozen=True)
class Report:
    events: int
    keyed_from: int | None  # the first keyed event; events before it predate keyed hashes
    last: Head  # the newest event read (EMPTY for none)
    findings: tuple[Finding, ...]
    unlisted: int = 0  # findings beyond MAX_FINDINGS

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def first_broken(self) -> int | None:
        return min(f.seq for f in self.findings) if self.findings else None


@dataclass
class ChainResult:
    events: int = 0
    valid: int = 0  # events whose hash verifies at their own seq
    keyed_from: int | None = None
    last: Head = EMPTY
    findings: list[Finding] = field(default_factory=list)
    unlisted: int = 0
    hashes: dict[int, str] = field(default_factory=dict)  # stored hash at each watched seq


def check_chain(records: Iterable[AuditRecord], key: ChainKey, watch: Collection[int] = ()) -> ChainResult:
    """Walk `records` (the whole trail, in seq order as stored) and name every break;
    `watch`: seqs whose stored hashes the result keeps (the heads to compare with)."""
    return _Walk(records, key, watch).run()


def report(result: ChainResult, *, before: Head | None, after: Head | None, kept: Head | None = None) -> Report:
    """The chain's findings with what the heads say: `before` and `after` the stored head as read
    before and after the walk (None: no head row), `kept` a head kept outside the system."""
    findings = list(result.findings)
    if result.events and not result.valid:  # not one event verifies: one cause, not a finding per event
        findings = [Finding(Problem.WRONG_KEY, FIRST_SEQ, f"none of the {result.events} events matches its hash "
                            "under this key: this is not the key file of this database, or the trail was "
                            "rewritten with another key")]
    elif result.events and result.keyed_from is None:
        findings.append(Finding(Problem.NOT_KEYED, FIRST_SEQ, f"none of the {result.events} events is keyed: the "
                                "trail comes from a version before keyed hashes and was never keyed (`formserver "
                                "db upgrade` with its key file keys it), or it was recomputed by someone without "
                                "the key (if this database ever ran a version with keyed hashes, that is what "
                                "happened: do not key it, compare it with a backup and the kept heads)"))
    findings += _against_heads(result, before, after, kept)
    return Report(result.events, result.keyed_from, result.last, tuple(findings), result.unlisted)


def _against_heads(result: ChainResult, before: Head | None, after: Head | None, kept: Head | None) -> list[Finding]:
    end, found = result.last.seq, []
    if before is not None and before.seq >= FIRST_SEQ:
        if end == 0:
            found.append(Finding(Problem.ALL_DELETED, FIRST_SEQ, f"all events deleted: the head says {before.seq} "
                                 "events, the trail has none"))
        elif end < before.seq:
            found.append(Finding(Problem.TAIL_CUT, end + 1, f"tail cut: the head says {before.seq} events, the "
                                 f"trail ends at {end} ({_events(end + 1, before.seq)} deleted)"))
        elif result.hashes.get(before.seq, before.hash) != before.hash:
            found.append(Finding(Problem.HEAD_MISMATCH, before.seq, f"the head names event {before.seq} with "
                                 "another hash: the head or the events up to it were rewritten"))
    if after is None and end:
        found.append(Finding(Problem.HEAD_MISSING, end, f"the head is missing while the trail has {end} events: "
                             "it was deleted (a cut tail now shows only against a kept head)"))
    elif after is not None and end > after.seq:
        found.append(Finding(Problem.AFTER_HEAD, after.seq + 1, f"{_events(after.seq + 1, end)} after the head "
                             f"(seq {after.seq}): added outside the server"))
    if kept is not None:
        if end < kept.seq:
            rewound = " (and the head rewound)" if before is None or before.seq < kept.seq else ""
            found.append(Finding(Problem.KEPT_BEYOND, end + 1, f"the trail ends at {end}, before the kept head "
                                 f"at seq {kept.seq}: {_events(end + 1, kept.seq)} deleted{rewound}"))
        elif result.hashes.get(kept.seq) != kept.hash:
            found.append(Finding(Problem.KEPT_DIFFERS, kept.seq, f"event {kept.seq} no longer has the kept head's "
                                 f"hash: the trail was rewritten at or before seq {kept.seq}"))
    return found


def _events(first: int, last: int) -> str:
    return f"event {first}" if first == last else f"events {first}..{last}"


# -- the walk ---------------------------------------------------------------------------------------
KEYED, LEGACY = "keyed", "legacy"


class _Ahead:
    """An iterator that can look ahead: `find` reads (and keeps) events until one matches."""

    def __init__(self, records: Iterable[AuditRecord]) -> None:
        self._source = iter(records)
        self.buffered: deque[AuditRecord] = deque()

    def __iter__(self) -> Iterator[AuditRecord]:
        return self

    def __next__(self) -> AuditRecord:
        return self.buffered.popleft() if self.buffered else next(self._source)

    def find(self, wanted: Callable[[AuditRecord], bool]) -> tuple[int, AuditRecord] | None:
        for index in range(LOOKAHEAD):
            if index == len(self.buffered):
                nxt = next(self._source, None)
                if nxt is None:
                    return None
                self.buffered.append(nxt)
            if wanted(self.buffered[index]):
                return index, self.buffered[index]
        return None


@dataclass
class _Open:
    """A finding whose extent grows until the chain resynchronises."""

    problem: Problem
    seq: int
    count: int = 0  # events inserted, missing, or hashed without the key
    last: int = 0
    resumed: bool = False  # the chain verified and linked again after `last`


class _Walk:
    def __init__(self, records: Iterable[AuditRecord], key: ChainKey, watch: Collection[int]) -> None:
        self.ahead = _Ahead(records)
        self.key = key
        self.watch = set(watch)
        self.result = ChainResult()
        self.expected_seq, self.expected_prev = FIRST_SEQ, GENESIS_HASH
        self.open: _Open | None = None
        self.recent: dict[str, int] = {}
        self.order: deque[str] = deque()

    def run(self) -> ChainResult:
        for r in self.ahead:
            self.step(r)
        if self.open is not None:
            self._close()
        return self.result

    def step(self, r: AuditRecord) -> None:
        res = self.result
        res.events += 1
        kind = self._kind(r, r.seq)
        res.valid += kind is not None
        if r.seq in self.watch:
            res.hashes[r.seq] = r.hash
        if self.open is None and r.seq > self.expected_seq:
            self._add(Problem.MISSING, self.expected_seq, f"{_events(self.expected_seq, r.seq - 1)} missing: deleted")
            self.expected_prev = r.prev_hash  # nothing left to check its link against
        if self.open is not None:
            if self._fits(kind) and r.prev_hash in self.recent:
                self.open.resumed = True
                self._close()
                self._accept(r, kind)
            else:
                self.open.last = r.seq
                self.open.count += self.open.problem is Problem.UNKEYED and kind == LEGACY
        elif self._fits(kind):
            if r.prev_hash != self.expected_prev:
                self._add(Problem.RELINKED, r.seq, f"event {r.seq} does not follow event {r.seq - 1}: the events "
                          "before it were replaced or rewritten")
            self._accept(r, kind)
        elif kind == LEGACY:
            self.open = _Open(Problem.UNKEYED, r.seq, count=1, last=r.seq)
        else:
            self._diagnose(r)
        self._remember(r)
        res.last = Head(r.seq, r.hash, r.at)

    def _kind(self, r: AuditRecord, seq: int) -> str | None:
        message = canonical(seq, r.at, r.actor, r.action, r.household_id, r.detail, r.prev_hash)
        if self.key.digest(message) == r.hash:
            return KEYED
        if hashlib.sha256(message).hexdigest() == r.hash:
            return LEGACY
        return None

    def _fits(self, kind: str | None) -> bool:
        """Keyed events always; unkeyed ones only before the first keyed event (a legacy trail)."""
        return kind == KEYED or (kind == LEGACY and self.result.keyed_from is None)

    def _accept(self, r: AuditRecord, kind: str | None) -> None:
        if kind == KEYED and self.result.keyed_from is None:
            self.result.keyed_from = r.seq
        self.expected_seq, self.expected_prev = r.seq + 1, r.hash

    def _remember(self, r: AuditRecord) -> None:
        position = self.result.events
        self.recent[r.hash] = position
        self.order.append(r.hash)
        if len(self.order) > RECENT:
            old = self.order.popleft()
            if self.recent.get(old) == position - RECENT:  # not stored again since
                del self.recent[old]

    def _diagnose(self, r: AuditRecord) -> None:
        """Name the break at `r`, which does not verify at its seq, the chain being intact before it."""
        seq, prev = r.seq, self.expected_prev
        if len(self.result.findings) >= MAX_FINDINGS:  # not listed: not worth the look around either
            self.open = _Open(Problem.EDITED, seq, last=seq)
            return
        # The event that really followed the last good one, further on: what stands before it was put in.
        successor = self.ahead.find(lambda x: x.prev_hash == prev and self._fits(self._kind(x, seq)))
        if successor is not None:
            between = [r, *list(self.ahead.buffered)[: successor[0]]]
            moved = any(self._written_as(x) is not None for x in between)
            self.open = _Open(Problem.REORDERED if moved else Problem.INSERTED, seq, count=len(between))
        elif r.prev_hash == prev:
            self.open = _Open(Problem.EDITED, seq)
        else:
            written = self._written_as(r)
            if written is None:
                self.open = _Open(Problem.EDITED, seq)
            elif written > seq and self.ahead.find(lambda x: x.hash == r.prev_hash) is None:
                self.open = _Open(Problem.RENUMBERED, seq, count=written - seq)
            else:
                self.open = _Open(Problem.REORDERED, seq)
        self.open.last = seq

    def _written_as(self, r: AuditRecord) -> int | None:
        """The seq near its own at which `r` verifies, if it was moved there from one."""
        for distance in range(1, PROBE + 1):
            for seq in (r.seq + distance, r.seq - distance):
                if seq >= FIRST_SEQ and self._fits(self._kind(r, seq)):
                    return seq
        return None

    def _close(self) -> None:
        o, self.open = self.open, None
        if o is None:
            return
        self._add(o.problem, o.seq, _describe(o))

    def _add(self, problem: Problem, seq: int, message: str) -> None:
        if len(self.result.findings) < MAX_FINDINGS:
            self.result.findings.append(Finding(problem, seq, message))
        else:
            self.result.unlisted += 1


def _describe(o: _Open) -> str:
    after = f"; the events after it were renumbered (through seq {o.last})"
    tail = (f" (the chain resumes after seq {o.last})" if o.resumed else
            f" (and no event after it verifies, through seq {o.last})")
    if o.problem is Problem.INSERTED:
        renumbered = after if o.last >= o.seq + o.count else ""
        return (f"{_events(o.seq, o.seq + o.count - 1)} inserted, not written by the server (no valid keyed "
                f"hash){renumbered}")
    if o.problem is Problem.RENUMBERED:
        return f"{o.count} event(s) missing before seq {o.seq}: deleted{after}"
    if o.problem is Problem.REORDERED:
        return f"order broken at seq {o.seq}: {_events(o.seq, o.last)} not in the order they were written"
    if o.problem is Problem.UNKEYED:
        through = tail if o.last > o.seq + o.count - 1 else ""
        return (f"{o.count} event(s) from seq {o.seq} hashed without the key after keyed events{through}: "
                "rewritten by someone who does not hold the key")
    extra = tail if o.last > o.seq else ""
    return f"event {o.seq} does not match its keyed hash: edited, or forged without the key{extra}"
