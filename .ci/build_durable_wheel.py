"""Build a durable-rules 2.0.28 wheel that imports on every supported Python.

durable-rules ships only an sdist (last release 2020). Seven patches, each a
small change in the released source:

1. Python 3.13: the C extension fails at import with ``undefined symbol:
   PyEval_CallObject`` because CPython 3.13 removed that deprecated alias.
   Upstream fixed it in PR #403 (merged 2025-07) but never released. The same
   fix (``PyEval_CallObject`` -> ``PyObject_CallObject``, identical semantics
   for a tuple of positional arguments) is applied here.
2. Correctness: the evaluator of a join's test sequence (``$and``/``$or``
   groups, events.c ``reduceExpressionSequence``) leaves a nested group on its
   closing marker, so the enclosing group stops there and the tests after a
   nested ``$or`` are never evaluated (a fact failing them still matches); and
   when a group short-circuits it skips to the first closing marker it meets
   without bounds, reading past the end of the sequence (heap overflow, found
   with AddressSanitizer; it is what crashed the smaller property table
   below). Patched: a group consumes its own closing marker, and a
   short-circuit skips to the group's matching marker within the sequence.
3. Memory: every stored fact embeds a property table of
   ``MAX_OBJECT_PROPERTIES`` slots (255 stock: ~6.8 KB per fact, whatever its
   width). The engine's copy of a fact carries only the fields some pattern
   reads (14 at most for the built-in rules, plus ``id`` and ``sid``); the
   table is cut to 19 slots (~0.5 KB) and the adapter refuses wider facts.
   Likewise every partial match embeds room for 16 facts (10 kept: the
   compiler refuses longer rules; the built-in rules bind at most 7) and
   every fact starts with room for 16 references from partial matches (4
   kept; the list grows when full).
4. Speed: every index (facts, and partial matches left and right of each join)
   has a fixed 512 hash buckets, so chains grow with the facts stored and the
   cost turns quadratic past ~1e5 facts; the buckets are raised to 4,096 (65,536
   for the one index of facts per session); a fact's own index of the partial
   matches holding it is cut from 16 to 4 buckets (its list starts at 4).
5. Speed: setup.py replaces the compiler flags with ``-std=c99 -D_GNU_SOURCE``,
   so the engine's core is compiled without optimization; ``-O2`` is added
   (Linux and macOS lines).
6. Speed: before a fact joins a pattern, stock walks every earlier fact of
   that pattern with the same join hash to rule out a duplicate; for a
   pattern without an equality join that is all of them (quadratic). The
   fact's own list of frames answers the same question in a few steps.
7. Memory: every pool (facts, partial matches, a fact's frame references)
   threads a free list through all its slots, and each growth by half writes
   every new slot, so a pool is resident up to its capacity. A pool now hands
   out recycled slots, then never-used ones from a high-water mark, and grows
   without writing (a page becomes resident when first used). Likewise each
   session's join indexes (~15 MB for the built-in rules) are allocated
   zeroed (``calloc``) instead of written with ``memset``.

The wheel gets the local version ``2.0.28+interlock.12`` (it still satisfies
``durable-rules==2.0.28``), so a wheel built before a patch changed is never
reused. It is built with the *running* interpreter, on every Python version
alike, so ``pip install --find-links DEST durable-rules`` then needs no
compiler and no network.

Usage: python .ci/build_durable_wheel.py DEST_DIR
Stdlib only: it runs before anything else is installed.
"""
from __future__ import annotations

import glob
import os
import subprocess
import sys
import tarfile
import tempfile

VERSION = "2.0.28"
LOCAL_VERSION = f"{VERSION}+interlock.12"
SDIST = f"durable_rules-{VERSION}.tar.gz"
OLD_CALL = "PyEval_CallObject("
NEW_CALL = "PyObject_CallObject("
PATCHED_FILE = os.path.join("src", "rulespy", "rules.c")
PROPERTIES_FILE = os.path.join("src", "rules", "state.h")
#: Hash buckets per index (stock: 512, so chains grow as facts / 512 and cost turns quadratic
#: past ~1e5 stored facts). The partial-match indexes exist per join (4,096 made a 3,000-department
#: run's engine phase 2.2x faster for ~13 MB more per session); the fact index exists once per
#: session (65,536: 512 KB, chains of ~5 facts at 10,000 departments instead of ~75); each fact's
#: index of the partial matches holding it has 4 (stock 16: 128 bytes per fact, for a list of 4).
INDEX_BUCKETS = {"MAX_MESSAGE_INDEX_LENGTH": 65536, "MAX_LEFT_FRAME_INDEX_LENGTH": 4096,
                 "MAX_RIGHT_FRAME_INDEX_LENGTH": 4096}
LOCATION_INDEX_BUCKETS = 4
#: Property slots per stored fact (stock 255). A fact may have at most PROPERTY_SLOTS - 1
#: properties, ``id`` and ``sid`` included; the adapter's MAX_FACT_FIELDS stays below that.
PROPERTY_SLOTS = 19
#: Facts one partial match can hold (stock 16; every partial match of every join embeds the table:
#: 244 -> 188 bytes). The compiler refuses a rule with more patterns (compiler.MAX_PATTERNS).
FRAME_SLOTS = 10
#: Frame references each stored fact starts with (stock 16, 448 bytes per fact; the list grows
#: by half when full, as every pool in the engine does).
LOCATION_SLOTS = 4
STATE_FILE = os.path.join("src", "rules", "state.c")
SEQUENCE_FILE = os.path.join("src", "rules", "events.c")
#: A group of a join's tests ends on its closing marker: consume it, so the enclosing group
#: goes on with the tests after it (stock returns with the marker unread, and the enclosing
#: group stops there).
OLD_GROUP_END = """        if (currentExpression->operator == OP_END) {
            return RULES_OK;          
        } 
"""
NEW_GROUP_END = """        if (currentExpression->operator == OP_END) {
            ++*i;
            return RULES_OK;
        }
"""
#: A short-circuited group skips to its own closing marker (nested groups counted), never
#: past the end of the sequence (stock stops at the first marker, or reads on past the end).
OLD_SKIP = """            while (currentExpression->operator != OP_END) {
                ++*i;
                currentExpression = &exprs->expressions[*i];
            }
            return RULES_OK;
"""
NEW_SKIP = """            unsigned short depth = 0;
            while (*i < exprs->length) {
                unsigned char skipped = exprs->expressions[*i].operator;
                ++*i;
                if (skipped == OP_AND || skipped == OP_OR) {
                    ++depth;
                } else if (skipped == OP_END) {
                    if (depth == 0) {
                        break;
                    }
                    --depth;
                }
            }
            return RULES_OK;
"""
#: Before a fact joins a pattern, stock walks every earlier fact of that pattern with the same
#: join hash to see whether this fact is already there (it can arrive twice, through two
#: alternatives): a pattern without an equality join puts all its facts on one hash, so the walk
#: is quadratic in the facts. The fact's own frame locations (a handful) answer the same question.
OLD_RIGHT_DUPLICATE = (
    "    CHECK_RESULT(getLastRightFrame(state,\n"
    "                                   betaNode->value.b.index,\n"
    "                                   messageHash,\n"
    "                                   &rightFrame));\n"
    "\n"
    "    while (rightFrame) {\n"
    "        if (rightFrame->messageOffset == currentMessageOffset) {\n"
    "            return RULES_OK;\n"
    "\n"
    "        }\n"
    "        \n"
    "        unsigned int rightFrameOffset = rightFrame->prevOffset;\n"
    "        rightFrame = NULL;\n"
    "        while (rightFrameOffset != UNDEFINED_HASH_OFFSET && !rightFrame) {\n"
    "            rightFrame = RIGHT_FRAME_NODE(state,\n"
    "                                          betaNode->value.b.index, \n"
    "                                          rightFrameOffset); \n"
    "            if (rightFrame->hash != messageHash) {\n"
    "                rightFrameOffset = rightFrame->prevOffset;\n"
    "                rightFrame = NULL;\n"
    "            } \n"
    "        }\n"
    "    }\n"
)
NEW_RIGHT_DUPLICATE = """    messageNode *arriving = MESSAGE_NODE(state, currentMessageOffset);
    for (unsigned int at = 1; at < arriving->locationPool.fresh; ++at) {
        locationNode *seen = LOCATION_NODE(arriving, at);
        if (seen->isActive &&
            seen->location.frameType == RIGHT_FRAME &&
            seen->location.nodeIndex == betaNode->value.b.index) {
            return RULES_OK;
        }
    }
"""
#: Every pool (facts, partial matches, each fact's frame references) starts with a free list
#: threading all its slots and, when full, grows by half and threads the new half: every slot is
#: written, so the memory of a pool is resident up to its capacity (up to a third unused). Here a
#: pool hands out recycled slots first, then never-used slots from a high-water mark (``fresh``),
#: and growing it writes nothing: a slot's page becomes resident when the slot is first used
#: (10,000 departments: peak 1,366 -> 1,218 MB). Only the duplicate check above walks a pool by
#: position, and it stops at the mark.
OLD_POOL = "    unsigned int count;\n} pool;"
NEW_POOL = "    unsigned int count;\n    unsigned int fresh;\n} pool;"
OLD_POOL_INIT = r"""#define INIT(type, pool, length) do { \
    pool.content = malloc(length * sizeof(type)); \
    if (!pool.content) { \
        return ERR_OUT_OF_MEMORY; \
    } \
    pool.contentLength = length; \
    for (unsigned int i = 0; i < length; ++ i) { \
        ((type *)pool.content)[i].isActive = 0; \
        ((type *)pool.content)[i].nextOffset = i + 1; \
        ((type *)pool.content)[i].prevOffset = i - 1; \
    } \
    ((type *)pool.content)[length - 1].nextOffset = UNDEFINED_HASH_OFFSET; \
    ((type *)pool.content)[0].prevOffset = UNDEFINED_HASH_OFFSET; \
    pool.freeOffset = 1; \
    pool.count = 0; \
} while(0)
"""
NEW_POOL_INIT = r"""#define INIT(type, pool, length) do { \
    pool.content = malloc(length * sizeof(type)); \
    if (!pool.content) { \
        return ERR_OUT_OF_MEMORY; \
    } \
    pool.contentLength = length; \
    ((type *)pool.content)[0].isActive = 0; \
    ((type *)pool.content)[0].nextOffset = UNDEFINED_HASH_OFFSET; \
    ((type *)pool.content)[0].prevOffset = UNDEFINED_HASH_OFFSET; \
    pool.freeOffset = UNDEFINED_HASH_OFFSET; \
    pool.fresh = 1; \
    pool.count = 0; \
} while(0)
"""
OLD_POOL_NEW = r"""#define NEW(type, pool, valueOffset) do { \
    valueOffset = pool.freeOffset; \
    type *value = &((type *)pool.content)[valueOffset]; \
    if (value->nextOffset == UNDEFINED_HASH_OFFSET) { \
        pool.content = realloc(pool.content, ((unsigned int)(pool.contentLength * 1.5)) * sizeof(type)); \
        if (!pool.content) { \
            return ERR_OUT_OF_MEMORY; \
        } \
        for (unsigned int i = pool.contentLength; i < (unsigned int)(pool.contentLength * 1.5); ++ i) { \
            ((type *)pool.content)[i].isActive = 0; \
            ((type *)pool.content)[i].nextOffset = i + 1; \
            ((type *)pool.content)[i].prevOffset = i - 1; \
        } \
        value = &((type *)pool.content)[valueOffset]; \
        value->nextOffset = pool.contentLength; \
        ((type *)pool.content)[pool.contentLength].prevOffset = valueOffset; \
        pool.contentLength *= 1.5; \
        ((type *)pool.content)[pool.contentLength - 1].nextOffset = UNDEFINED_HASH_OFFSET; \
    } \
    ((type *)pool.content)[value->nextOffset].prevOffset = UNDEFINED_HASH_OFFSET; \
    pool.freeOffset = value->nextOffset; \
    value->nextOffset = UNDEFINED_HASH_OFFSET; \
    value->prevOffset = UNDEFINED_HASH_OFFSET; \
    value->isActive = 1; \
    ++pool.count; \
} while(0)
"""
NEW_POOL_NEW = r"""#define NEW(type, pool, valueOffset) do { \
    type *value; \
    if (pool.freeOffset != UNDEFINED_HASH_OFFSET) { \
        valueOffset = pool.freeOffset; \
        value = &((type *)pool.content)[valueOffset]; \
        pool.freeOffset = value->nextOffset; \
        if (pool.freeOffset != UNDEFINED_HASH_OFFSET) { \
            ((type *)pool.content)[pool.freeOffset].prevOffset = UNDEFINED_HASH_OFFSET; \
        } \
    } else { \
        if (pool.fresh == pool.contentLength) { \
            unsigned int grown = (unsigned int)(pool.contentLength * 1.5); \
            void *larger = realloc(pool.content, grown * sizeof(type)); \
            if (!larger) { \
                return ERR_OUT_OF_MEMORY; \
            } \
            pool.content = larger; \
            pool.contentLength = grown; \
        } \
        valueOffset = pool.fresh++; \
        value = &((type *)pool.content)[valueOffset]; \
    } \
    value->nextOffset = UNDEFINED_HASH_OFFSET; \
    value->prevOffset = UNDEFINED_HASH_OFFSET; \
    value->isActive = 1; \
    ++pool.count; \
} while(0)
"""
#: Each session allocates a state for every join: two indexes of 4,096 buckets (64 KB), ~15 MB for
#: the built-in rules, which stock zeroes with ``memset`` (every page written, ~5 ms a run however
#: small the organization). ``calloc`` gives zeroed memory whose untouched pages cost nothing.
OLD_BETA_STATE = "    node->betaState = malloc(((ruleset*)tree)->betaCount * sizeof(betaStateNode));\n"
NEW_BETA_STATE = ("    node->betaState = calloc(((ruleset*)tree)->betaCount, sizeof(betaStateNode));\n"
                  "    if (!node->betaState) {\n        return ERR_OUT_OF_MEMORY;\n    }\n")
OLD_LEFT_ZERO = "        memset(betaNode->leftFrameIndex, 0, MAX_LEFT_FRAME_INDEX_LENGTH * sizeof(unsigned int) * 2);\n"
OLD_RIGHT_ZERO = "        memset(betaNode->rightFrameIndex, 0, MAX_RIGHT_FRAME_INDEX_LENGTH * sizeof(unsigned int) * 2);\n"
ZEROED = "        /* the index is zeroed by calloc: empty */\n"
#: (file, old text, new text): every patch must apply exactly as often as the source has it.
PATCHES = (
    (PATCHED_FILE, OLD_CALL, NEW_CALL),
    (SEQUENCE_FILE, OLD_GROUP_END, NEW_GROUP_END),
    (SEQUENCE_FILE, OLD_SKIP, NEW_SKIP),
    (SEQUENCE_FILE, OLD_RIGHT_DUPLICATE, NEW_RIGHT_DUPLICATE),
    (PROPERTIES_FILE, "#define MAX_OBJECT_PROPERTIES 255", f"#define MAX_OBJECT_PROPERTIES {PROPERTY_SLOTS}"),
    (PROPERTIES_FILE, "#define MAX_MESSAGE_FRAMES 16", f"#define MAX_MESSAGE_FRAMES {FRAME_SLOTS}"),
    (STATE_FILE, "#define MAX_LOCATION_NODES 16", f"#define MAX_LOCATION_NODES {LOCATION_SLOTS}"),
    (PROPERTIES_FILE, OLD_POOL, NEW_POOL),
    (STATE_FILE, OLD_POOL_INIT, NEW_POOL_INIT),
    (STATE_FILE, OLD_POOL_NEW, NEW_POOL_NEW),
    (STATE_FILE, OLD_BETA_STATE, NEW_BETA_STATE),
    (STATE_FILE, OLD_LEFT_ZERO, ZEROED),
    (STATE_FILE, OLD_RIGHT_ZERO, ZEROED),
    ("setup.py", "'-std=c99 -D_GNU_SOURCE'", "'-std=c99 -O2 -D_GNU_SOURCE'"),
    ("setup.py", "'-std=c99 -D_GNU_SOURCE -fcommon'", "'-std=c99 -O2 -D_GNU_SOURCE -fcommon'"),
    *((PROPERTIES_FILE, f"#define {name} 512", f"#define {name} {buckets}") for name, buckets in INDEX_BUCKETS.items()),
    (PROPERTIES_FILE, "#define MAX_LOCATION_INDEX_LENGTH 16", f"#define MAX_LOCATION_INDEX_LENGTH {LOCATION_INDEX_BUCKETS}"),
    ("setup.py", f"version = '{VERSION}'", f"version = '{LOCAL_VERSION}'"),
)


def patch_source(text: str, old: str = OLD_CALL, new: str = NEW_CALL) -> tuple[str, int]:
    """Return the patched source and how many places were replaced."""
    return text.replace(old, new), text.count(old)


def _pip(*args: str) -> None:
    # pip's own output goes to stderr: stdout carries only the wheel's path (the Makefile reads it).
    subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"], check=True, stdout=sys.stderr)


def existing_wheel(dest: str) -> str | None:
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    found = sorted(glob.glob(os.path.join(dest, f"durable_rules-{LOCAL_VERSION}-{tag}-*.whl")))
    return found[0] if found else None


def build(dest: str) -> str:
    """Download the sdist, patch it, build a wheel into ``dest``; return its path."""
    os.makedirs(dest, exist_ok=True)
    cached = existing_wheel(dest)
    if cached:
        return cached
    with tempfile.TemporaryDirectory() as work:
        _pip("download", "--no-deps", "--no-binary", ":all:", f"durable-rules=={VERSION}", "-d", work)
        with tarfile.open(os.path.join(work, SDIST)) as archive:
            archive.extractall(work, filter="data") if hasattr(tarfile, "data_filter") else archive.extractall(work)
        root = os.path.join(work, f"durable_rules-{VERSION}")
        for relative, old, new in PATCHES:
            path = os.path.join(root, relative)
            with open(path, encoding="utf-8") as f:
                patched, count = patch_source(f.read(), old, new)
            if count == 0:
                raise SystemExit(f"error: {relative} has no {old!r}; is this really durable-rules {VERSION}?")
            with open(path, "w", encoding="utf-8") as f:
                f.write(patched)
        _pip("wheel", "--no-deps", "--no-build-isolation" if _has_setuptools() else "--use-pep517", root, "-w", dest)
    wheel = existing_wheel(dest)
    if not wheel:
        raise SystemExit("error: the durable-rules wheel was not built")
    return wheel


def _has_setuptools() -> bool:
    try:
        import setuptools  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: build_durable_wheel.py DEST_DIR", file=sys.stderr)
        return 2
    print(build(args[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
