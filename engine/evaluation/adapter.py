"""The only module that touches durable-rules. It owns the engine's known defects.

durable-rules 2.0.28 (the last release, 2020) is the rules engine the user
chose. Its measured defects (see docs/engine.md) are guarded here, each pinned
by a test in tests/evaluation/test_adapter.py:

* negation (``$not``) fires eagerly and mis-retracts: every negating rule is
  gated by a phase pattern placed *before* the negation; all facts are
  asserted first, then the phase facts, stratum by stratum;
* a join on the reserved ``id`` field dangles across assert calls: facts may
  not carry domain data in ``id``, and the compiler refuses ``id`` references;
* every stored fact embeds a fixed property table (255 slots stock, 19 in our
  build: see .durable/durable_patches.py), and a wider fact crashes the
  process: facts with more than ``MAX_FACT_FIELDS``
  fields are refused here;
* fact identity is a 32-bit FNV-1a hash, so distinct facts collide and are
  silently dropped: facts are deduplicated in Python and each gets an ``id``
  whose hash is unique in its session;
* the stock ``Host`` starts two immortal timer threads: ``_SyncHost`` starts
  none, and runs actions synchronously;
* at most 1024 live sessions per ruleset, and ``delete_state`` crashes on a
  session in which no action ever ran: one session per run, a ``phase_ack``
  rule guarantees an action, and the state is always deleted;
* exceptions raised in actions are swallowed into the session state: actions
  are wrapped, and the first error is re-raised as EngineError;
* ``any`` fires an extra combined activation: the compiler never emits it;
* every action calls a deprecated datetime function (a warning per action on
  Python 3.12+): the lease clock is replaced by ``time.time``.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any

from interlock.evaluation.enginebuild import load_engine
from interlock.errors import EngineError, InterlockError

# Interlock's own build of durable-rules, or EngineInstallError (an installation problem, exit 3).
_dre, _engine = load_engine()

# durable's Closure stamps every action with _unix_now(), which calls the
# deprecated datetime.utcfromtimestamp (a DeprecationWarning per action on
# Python 3.12+). It only measures action leases, so wall-clock seconds serve.
_engine._unix_now = time.time

Fact = dict[str, Any]
Bindings = dict[str, Fact]
#: Called for every activation: (rule name, bound facts, emit). ``emit`` asserts
#: a derived fact into the same session (forward chaining).
Dispatcher = Callable[[str, Bindings, Callable[[Fact], None]], None]

PHASE_KIND = "$phase"
PHASE_ALIAS = "phase_gate"
ACK_RULE = "phase_ack"
RESERVED_FIELDS = frozenset({"id", "sid", "$s"})
#: Matches delivered per action call ("cap"): the engine's per-action glue
#: (~40 us of JSON and state bookkeeping) is paid once per batch, not per match.
MATCHES_PER_ACTION = 1000
#: Facts per assert call.
ASSERT_CHUNK = 2000
#: Facts one (partial) match can bind, a phase gate included: our build's MAX_MESSAGE_FRAMES (stock
#: 16; see .durable/durable_patches.py). One more is an engine error (304) at assert time, so rules
#: that bind more are refused when registered.
FRAME_SLOTS = 10
#: Fields a fact may carry in the engine (plus ``id`` and ``sid``): the engine's per-fact property
#: table has 19 slots in our build (255 stock), and a fact that overflows it crashes the process (no
#: error code). ``id`` and ``sid`` take two and the table must keep one free: 16 fields. The
#: engine's copy carries only the fields patterns read (at most 14 for the built-in rules).
MAX_FACT_FIELDS = 16

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv1a32(text: str) -> int:
    """The engine's fact identity hash (``fnv1Hash32`` in state.c)."""
    value = _FNV_OFFSET
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


class IdAllocator:
    """Gives every new fact a short ``id`` whose 32-bit hash no other fact has.

    The engine compares only ``fnv1a32(id)`` to decide that a fact is a
    duplicate, so two distinct ids with the same hash would silently drop one
    fact. Candidates come from a sequence (``f1``, ``f2``, ...: short, so cheap
    to hash); one whose hash is taken is skipped. Which facts are new is the
    session's business (``DurableEngine._identify``).

    The default sequence was checked once up to ``_CHECKED``: there the ids to
    skip are known (``_SKIPPED``) and nothing is hashed or remembered (a set of
    hashes cost ~50 bytes and a Python FNV loop ~1.5 us per fact). Past it, and
    for any other candidates, each candidate is hashed against those taken.
    """

    def __init__(self, candidates: Iterator[str] | None = None) -> None:
        self._used: set[int] = set()
        self._candidates = candidates if candidates is not None else _id_candidates()
        self._checked = type(self._candidates) is _Sequence

    def __call__(self) -> str:
        if self._checked:
            sequence: _Sequence = self._candidates  # type: ignore[assignment]
            n = sequence.next
            while n in _SKIPPED:
                n += 1
            if n <= _CHECKED:
                sequence.next = n + 1
                return f"f{n}"
            # past the checked range: the hashes of every id handed out so far, then one by one
            sequence.next = n
            self._used = {fnv1a32(f"f{k}") for k in range(1, n) if k not in _SKIPPED}
            self._checked = False
        for candidate in self._candidates:
            digest = fnv1a32(candidate)
            if digest not in self._used:
                self._used.add(digest)
                return candidate
        raise EngineError("fact ids are exhausted")  # pragma: no cover - the default sequence is endless


class _Sequence:
    """The default candidates ``f1``, ``f2``, ...; ``next`` is the number of the next one."""

    def __init__(self) -> None:
        self.next = 1

    def __iter__(self) -> _Sequence:
        return self

    def __next__(self) -> str:
        n, self.next = self.next, self.next + 1
        return f"f{n}"


#: The default ids were checked up to ``f{_CHECKED}`` (``tests/evaluation/test_adapter.py`` checks
#: again): ``_SKIPPED`` are the numbers whose id hashes like an earlier id kept (f264602 like f6059).
_CHECKED = 1 << 20
_SKIPPED = frozenset({264602, 264603, 264608, 264609, 264610, 264611, 264618, 264619, 264620, 264621, 264622,
                      264623, 264624, 264625, 264626, 264627, 1048194, 1048195, 1048198, 1048199})


def _id_candidates() -> Iterator[str]:
    return _Sequence()


def canonical(fact: Mapping[str, Any]) -> str:
    """Content identity of a fact, independent of key order and engine fields."""
    return json.dumps({k: v for k, v in fact.items() if k not in RESERVED_FIELDS}, sort_keys=True, separators=(",", ":"))


def gate(stratum: int) -> dict[str, Any]:
    """The pattern that holds a negating rule back until its stratum's phase fact."""
    return {PHASE_ALIAS: {"$and": [{"kind": PHASE_KIND}, {"n": stratum}]}}


class _SyncHost(_engine.Host):  # type: ignore[misc]
    """A Host without the stock background timer threads; actions run inline."""

    def __init__(self, actions: Mapping[str, Callable[[Any], None]]) -> None:
        self._actions = dict(actions)
        super().__init__()

    def _run(self) -> None:  # the stock Host starts two re-arming Timer threads here
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._actions[action_name]


class _Facts:
    """A session's facts by ``id``, as the caller built them. The default ids (``f1``, ``f2``, ...)
    index a list, so no id string and no dict entry is kept per fact; any other id, a dict."""

    __slots__ = ("_listed", "_named")

    def __init__(self) -> None:
        self._listed: list[Fact | None] = [None]
        self._named: dict[str, Fact] = {}

    def add(self, ident: str, fact: Fact) -> None:
        listed = self._listed
        number = ident[1:]
        if ident[:1] == "f" and number.isascii() and number.isdigit() and number[:1] != "0" and 0 <= int(number) - len(listed) < 64:
            listed.extend([None] * (int(number) - len(listed)))
            listed.append(fact)
        else:
            self._named[ident] = fact

    def __getitem__(self, ident: str) -> Fact:
        if self._named:
            found = self._named.get(ident)
            if found is not None:
                return found
        fact = self._listed[int(ident[1:])]
        if fact is None:  # pragma: no cover - the engine hands back only ids it was given
            raise KeyError(ident)
        return fact


class _Session:
    """One run's mutable state: its sid, id allocator, the facts seen, and errors."""

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.ids = IdAllocator(_id_candidates())
        #: id -> the fact as the caller built it: matches bind these, not the engine's JSON copies
        #: (which have whole floats as ints and cost a decoded dict per binding).
        self.facts = _Facts()
        #: hash of a fact's items -> the fact (a list of facts when distinct facts share a hash).
        self.known: dict[int, Fact | list[Fact]] = {}
        self.errors: list[BaseException] = []
        self.acted = False
        self.stored = 0


class DurableEngine:
    """A compiled ruleset registered once; every ``run`` is an isolated session.

    ``rules`` maps rule names to durable's JSON form (``{"all": [...]}``); the
    caller has already put ``gate(n)`` first in every negating rule and passes
    the highest stratum as ``strata``. Use as a context manager, or ``close()``.
    """

    _names = itertools.count(1)

    def __init__(self, rules: Mapping[str, Mapping[str, Any]], dispatch: Dispatcher, strata: int,
                 matchable: Callable[[Fact], bool] | None = None,
                 between_strata: Callable[[int], Iterable[Fact]] | None = None,
                 fields: Mapping[str, frozenset[str]] | None = None) -> None:
        self._dispatch = dispatch
        # Per kind, the fields patterns read (compiler.fields_read): the engine's copy of a fact
        # carries only those (matches bind the caller's own facts). None: every field.
        self._fields = dict(fields) if fields is not None else None
        widest = max(map(len, (self._fields or {}).values()), default=0)
        if widest > MAX_FACT_FIELDS:
            raise EngineError(f"the rules read {widest} fields of one kind of fact; the rules engine holds at "
                              f"most {MAX_FACT_FIELDS} per fact")
        # Facts no pattern can match are kept out: every stored fact costs memory and hash-chain time.
        self._matchable = matchable or (lambda fact: True)
        # Facts that become final when a stratum ends (a derivation keeping one fact per key).
        self._between_strata = between_strata or (lambda stratum: ())
        self._strata = max(1, strata)
        self._lock = threading.Lock()
        self._session: _Session | None = None
        self._sids = itertools.count(1)
        definition: dict[str, Any] = {}
        actions: dict[str, Callable[[Any], None]] = {}
        for name, rule in rules.items():
            _refuse_id_joins(name, rule)
            _refuse_long_rules(name, rule)
            definition[name] = {**rule, "run": name, "cap": MATCHES_PER_ACTION}
            actions[name] = self._action(name, _aliases(rule))
        # phase_ack guarantees at least one action per session: delete_state
        # crashes on a session in which no action was ever dispatched.
        definition[ACK_RULE] = {"all": [{"p": {"kind": PHASE_KIND}}], "run": ACK_RULE}
        actions[ACK_RULE] = self._ack
        self._name = f"interlock-{next(self._names)}"
        self._host = _SyncHost(actions)
        # register_rulesets mutates its argument (it deletes "run"): pass a copy, none of the caller's
        # rules (a JSON round trip: the rules are JSON, and it is ~10x faster than deepcopy).
        self._host.register_rulesets({self._name: json.loads(json.dumps(definition))})
        self._ruleset = self._host.get_ruleset(self._name)
        self._closed = False

    # -- lifecycle ---------------------------------------------------------
    def __enter__(self) -> DurableEngine:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Free the C ruleset (Host never does)."""
        if not self._closed:
            self._closed = True
            _dre.delete_ruleset(self._ruleset._handle)

    # -- running -----------------------------------------------------------
    def run(self, facts: Iterable[Fact]) -> int:
        """Assert ``facts`` then the phase facts; return the number of facts stored.

        Activations reach the dispatcher synchronously. Deduplication happens
        here, so the caller may pass the same fact twice.
        """
        if self._closed:
            raise EngineError("the rules engine was already closed")
        with self._lock:
            session = _Session(str(next(self._sids)))
            self._session = session
            try:
                self._assert_batch(session, self._admit(session, facts))  # streamed: one chunk at a time
                for stratum in range(1, self._strata + 1):
                    self._assert_batch(session, self._admit(session, self._between_strata(stratum)))
                    phase = self._identify(session, {"kind": PHASE_KIND, "n": stratum})
                    self._assert_batch(session, [phase] if phase is not None else [])
                self._raise_errors(session)
                return session.stored
            finally:
                self._end(session)
                self._session = None

    def _admit(self, session: _Session, facts: Iterable[Fact]) -> Iterator[str]:
        """The new facts some pattern can match, as the engine's JSON with their identity (lazily:
        a run never holds the JSON of all its facts at once)."""
        admitted = (self._identify(session, fact) for fact in facts if self._matchable(fact))
        return (text for text in admitted if text is not None)

    def _identify(self, session: _Session, fact: Mapping[str, Any]) -> str | None:
        """The fact's JSON for the engine, with its ``id`` and ``sid``; None when already known.

        A fact is known when an equal one (Python equality: 1 and 1.0 are one value, True and 1
        are not) was identified in this session; the hash of its items finds the candidates."""
        if not RESERVED_FIELDS.isdisjoint(fact):
            field = sorted(RESERVED_FIELDS.intersection(fact))[0]
            raise EngineError(f"fact {canonical(fact)[:80]} uses the reserved field {field!r}")
        try:
            key = hash(frozenset(fact.items()))
        except TypeError:  # a value that cannot be hashed (facts are flat, but a caller may err)
            key = hash(canonical(fact))
        prior = session.known.get(key)
        if prior is not None:
            same = prior if isinstance(prior, list) else [prior]
            if any(_same_fact(known, fact) for known in same):
                return None
        read = self._fields.get(fact.get("kind")) if self._fields is not None else None  # type: ignore[arg-type]
        if read is None and len(fact) > MAX_FACT_FIELDS:
            raise EngineError(f"a {fact.get('kind')!r} fact has {len(fact)} fields; the rules engine holds at most "
                              f"{MAX_FACT_FIELDS} per fact")
        # The engine hashes a number by its text ("%lld" for an int, "%f" for a double), so an equality
        # join would never pair 40000 with 40000.0: whole floats are given to it as ints (Python holds
        # them equal, and so does the reference evaluator).
        text = _encode({k: int(v) if type(v) is float and v.is_integer() and -_EXACT < v < _EXACT else v
                        for k, v in fact.items() if read is None or k in read})
        ident = session.ids()
        session.known[key] = fact if prior is None else [*same, fact]  # type: ignore[assignment]
        session.facts.add(ident, fact)  # type: ignore[arg-type]
        engine_fields = f'"id":"{ident}","sid":"{session.sid}"}}'
        return f"{text[:-1]},{engine_fields}" if text != "{}" else "{" + engine_fields

    def _assert_batch(self, session: _Session, texts: Iterable[str]) -> None:
        """Assert facts in chunks: the JSON text of a whole run would be a second copy of it."""
        pending = iter(texts)
        while chunk := list(itertools.islice(pending, ASSERT_CHUNK)):
            state = self._assert_texts(chunk)
            session.stored += len(chunk)
            self._do_actions(session, state)

    def _assert_texts(self, texts: list[str]) -> int:
        """Assert facts given as the engine's JSON; the session state handle for their actions."""
        code, state = _dre.assert_facts(self._ruleset._handle, f"[{','.join(texts)}]")
        # code 1: some fact matched no pattern and was not stored (harmless);
        # code 2: a duplicate identity, impossible after _identify unless the
        # engine's hash collided, which IdAllocator rules out.
        if code == 2:
            raise EngineError("the rules engine rejected a fact as a duplicate (identity collision)")
        return int(state)

    def _do_actions(self, session: _Session, state: int) -> None:
        failure: list[BaseException] = []

        def complete(error: BaseException | None, _state: object) -> None:
            if error:
                failure.append(error if isinstance(error, BaseException) else EngineError(str(error)))

        self._ruleset.do_actions(state, complete)
        if failure:
            session.errors.extend(failure)
        self._raise_errors(session)

    def _raise_errors(self, session: _Session) -> None:
        if session.errors:
            first = session.errors[0]
            if isinstance(first, (InterlockError, KeyboardInterrupt, SystemExit)):
                raise first  # bad input, an interruption: not the engine's failure
            raise EngineError(f"a rule action failed: {type(first).__name__}: {first}") from first
        swallowed = self._ruleset.get_state(session.sid).get("exception") if session.acted else None
        if swallowed:
            raise EngineError(f"a rule action failed inside the engine: {swallowed}")

    def _end(self, session: _Session) -> None:
        if not session.acted:
            # Guarantee one dispatched action before delete_state (see _SyncHost notes).
            try:
                fact = {"kind": PHASE_KIND, "n": 0, "id": f"$ack-{session.sid}", "sid": session.sid}
                _code, state = _dre.assert_facts(self._ruleset._handle, json.dumps([fact]))
                self._ruleset.do_actions(state, lambda e, s: None)
            except Exception:  # pragma: no cover - best effort during unwinding
                pass
        if session.acted:
            self._ruleset.delete_state(session.sid)

    # -- actions -----------------------------------------------------------
    def _ack(self, c: Any) -> None:
        if self._session is not None:
            self._session.acted = True

    def _action(self, name: str, aliases: frozenset[str]) -> Callable[[Any], None]:
        def act(c: Any) -> None:
            session = self._session
            if session is None:  # pragma: no cover - actions only run inside run()
                return
            session.acted = True
            if session.errors:
                return
            try:
                # Derived facts are asserted together when the batch of matches is done: one
                # engine call (and one JSON text) per action instead of one per fact.
                derived: list[str] = []
                emit = lambda fact: self._emit(session, derived, fact)  # noqa: E731
                for message in _messages(c, aliases):
                    bindings = {alias: session.facts[fact["id"]] for alias, fact in message.items()
                                if alias != PHASE_ALIAS}
                    self._dispatch(name, bindings, emit)
                if derived:
                    session.stored += len(derived)
                    self._assert_texts(derived)  # its actions join this session's queue
            except BaseException as error:  # re-raised by _raise_errors; durable would swallow it
                session.errors.append(error)
            finally:
                _release_matches(c)

        return act

    def _emit(self, session: _Session, derived: list[str], fact: Fact) -> None:
        if not self._matchable(fact):
            return
        text = self._identify(session, fact)
        if text is not None:  # None: already known, the forward-chaining fixpoint
            derived.append(text)


def _aliases(rule: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(alias for pattern in rule.get("all", []) for alias in pattern)


def _messages(c: Any, aliases: frozenset[str]) -> list[Mapping[str, Any]]:
    """The matches of one action: a single dict, or a list of them under ``cap``.

    Under ``cap`` durable unwraps a match whose only alias is ``m`` into the
    bare fact; it is wrapped back so every match maps aliases to facts.
    """
    single = getattr(c, "_m", None)
    if single is not None:
        return [single]
    unwrapped = aliases == {"m"}
    return [{"m": content._d} if unwrapped else content._d for content in c.m]


#: The engine's copy of a fact (any key order does; facts are flat).
_PLAIN = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"))


def _plain_encoder() -> Callable[[Any], str]:
    """``_PLAIN.encode``, without building json's C encoder anew for every fact (``JSONEncoder.encode``
    does, which was a third of the cost of handing a fact to the engine). Where that encoder is not
    available, or writes anything else than ``_PLAIN`` does, ``_PLAIN.encode`` itself."""
    try:
        from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]

        made = c_make_encoder(None, _PLAIN.default, encode_basestring, None, ":", ",", False, False, True)

        def encode(value: Any) -> str:
            return "".join(made(value, 0))

        sample = {"kind": "m\u00e9tric \"q\"", "n": 1, "x": 0.1, "big": 1e300, "t": True, "f": False, "z": None,
                  "nan": float("nan"), "inf": float("-inf"), "\n": "\u2028\x00"}
        if encode(sample) == _PLAIN.encode(sample):
            return encode
    except Exception:  # another Python: the plain encoder
        pass
    return _PLAIN.encode


_encode = _plain_encoder()
#: Integral floats below this become ints for the engine (exact in a double, and in a long long).
_EXACT = 2.0 ** 53


def _same_fact(known: Mapping[str, Any], fact: Mapping[str, Any]) -> bool:
    """Equal as Python has it, except that a flag is never the same as a number (True == 1)."""
    return known == fact and all((type(known[k]) is bool) == (type(v) is bool) for k, v in fact.items())


def _release_matches(c: Any) -> None:
    """durable keeps every action's closure in a reference cycle (its completion callback), so
    the decoded matches it holds would wait for the cyclic collector: at 3,000 departments ~130 MB
    of them when the collector is paused. Dropping them here frees them as soon as the action is
    done; durable reads only the closure's state and handle afterwards."""
    found = vars(c)
    if "m" in found:
        c.m = []
    if "_m" in found:
        c._m = {}


def _refuse_long_rules(name: str, rule: Mapping[str, Any]) -> None:
    """A match binding more facts than a frame holds fails inside the engine: refuse the rule."""
    binds = sum(1 for alias in _aliases(rule) if not alias.endswith("$not"))
    if binds > FRAME_SLOTS:
        raise EngineError(f"rule {name} binds {binds} facts; the rules engine holds at most {FRAME_SLOTS} per match")


def _refuse_id_joins(name: str, rule: Mapping[str, Any]) -> None:
    """A reference to a bound fact's ``id`` dangles across assert calls: refuse it."""
    aliases = {"$m"}
    for pattern in rule.get("all", []):
        aliases.update(pattern)
    for node in _walk(rule):
        if isinstance(node, dict) and len(node) == 1:
            ((key, value),) = node.items()
            if value == "id" and key in aliases:
                raise EngineError(f"rule {name} joins on the reserved field 'id', which durable-rules cannot do")


def _walk(node: Any) -> Iterable[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
