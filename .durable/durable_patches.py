"""The one list of changes Interlock makes to durable-rules 2.0.28, and the patched source tree.

durable-rules 2.0.28 (the last release, 2020) ships only as an sdist. Its released
sdist is vendored unmodified beside this file (``durable_rules-2.0.28.tar.gz``,
checked against PyPI's SHA-256); Interlock's own build (``interlock_backend.py``)
extracts it, applies ``PATCHES`` and compiles the C extension
``durable_rules_engine`` and the ``durable`` package into Interlock's wheel (and
into an editable install). Fifteen changes, each a small edit of the released
source (measured and pinned by tests; see docs/engine.md):

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
5. Speed: the released setup.py replaces the compiler flags with
   ``-std=c99 -D_GNU_SOURCE``, so the engine is compiled without optimization;
   Interlock's build uses the same flags plus ``-O2`` (``COMPILE_FLAGS``).
6. Speed: before a fact joins a pattern, stock walks every earlier fact of
   that pattern with the same join hash to rule out a duplicate; for a
   pattern without an equality join that is all of them (quadratic). The
   join's last entry answers the same question in one step (13).
7. Memory: every pool (facts, partial matches, a fact's frame references)
   threads a free list through all its slots, and each growth by half writes
   every new slot, so a pool is resident up to its capacity. A pool now hands
   out recycled slots, then never-used ones from a high-water mark, and grows
   without writing (a page becomes resident when first used). Likewise each
   session's join indexes (~15 MB for the built-in rules) are allocated
   zeroed (``calloc``) instead of written with ``memset``.
8. Identity: the extension carries ``INTERLOCK_BUILD = BUILD`` (a module
   constant), and Interlock refuses to run on an engine without it
   (``engine/evaluation/enginebuild.py``): the stock engine crashes under Interlock's load.

9. Memory: every stored fact embeds the whole property table (19 slots, 456 of a 608-byte node)
   while a fact fills ~9, and its text is a second allocation. The table moves to the end of
   ``jsonObject`` and a stored fact is one allocation holding the slots it fills and its text
   (a fact being parsed keeps the whole table on the stack).
10. Memory: each reference from a stored fact to a partial match, right-memory entry or pending
   match holding it (6.3 million at 10,000 departments) is a 28-byte node, mostly padding; the
   frame's type shares a word with the node's index (24 bits) and the active flag with the
   reference's hash (24 bits, still picking one of 4 buckets): 20 bytes.
11. Memory: a right-memory entry (a fact waiting in a join, 3.9 million at 10,000 departments)
   keeps its active flag in the word of the fact's offset: 20 -> 16 bytes.
12. Correctness and memory: a dispatched match's slot is freed but stock leaves its facts'
   references to it, so they pile up and retracting such a fact later deletes whatever pending
   match reused the slot (a lost match). The references are removed with the dispatched match.
13. Memory: each fact kept a reference to every right-memory entry of its own (3.9 of 5.5 million
   references at 10,000 departments), read only by the duplicate check of 6 and by retraction.
   The check now asks the join's last entry; a retraction, which Interlock never makes, scans the
   right memories for the fact's entries (only if it entered one) and rebuilds those references
   before stock's walk.
14. Memory: a stored fact's slot index and a partial match's order of its facts are tables of
   small numbers (below 19 and 10) held in 2-byte cells: 1 byte each (16 bytes per fact, 8 per
   partial match).
15. Memory: every stored fact started a pool for its references (80 bytes and an allocation);
   since 13 most facts get none. The pool is made with the first reference.

``BUILD`` is bumped whenever a patch or the flags change (tests/evaluation/test_enginebuild.py
holds it equal to what Interlock expects), so an engine built before is refused.

Stdlib only: the tests read the patch list without setuptools.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tarfile
from pathlib import Path
from typing import NamedTuple

VERSION = "2.0.28"
#: The build's identity: the extension's ``INTERLOCK_BUILD`` constant. Bump the number whenever a
#: patch or the compiler flags change; engine/evaluation/enginebuild.py expects the same value.
BUILD = f"{VERSION}+interlock.18"
HERE = Path(__file__).resolve().parent
SDIST = HERE / f"durable_rules-{VERSION}.tar.gz"
#: SHA-256 of the released sdist, as PyPI publishes it (durable_rules-2.0.28.tar.gz, 57,572 bytes).
SDIST_SHA256 = "053b26f5e48d312d4fa27995243f954671be6eece477f150c059c364eb4d7d61"
#: The released setup.py's flags (it sets CFLAGS, replacing Python's own) plus -O2: stock
#: compiles the engine without optimization. macOS adds -fcommon, as the released setup.py does.
COMPILE_FLAGS = "-std=c99 -O2 -D_GNU_SOURCE" + (" -fcommon" if sys.platform == "darwin" else "")
#: The extension's sources in the patched tree: the Python binding, then the engine's core (the
#: released setup.py builds the core as a static library first; the objects are the same).
EXTENSION_SOURCES = ("src/rulespy/rules.c", *(f"src/rules/{name}.c" for name in ("json", "rete", "state", "events", "regex")))
INCLUDE_DIR = "src/rules"
OLD_CALL = "PyEval_CallObject("
NEW_CALL = "PyObject_CallObject("
PATCHED_FILE = "src/rulespy/rules.c"
PROPERTIES_FILE = "src/rules/state.h"
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
STATE_FILE = "src/rules/state.c"
SEQUENCE_FILE = "src/rules/events.c"
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
#: is quadratic in the facts. Both arrivals come while that one fact passes the network, so no other
#: fact can enter the join between them: the join's last right-memory entry answers the question
#: (build 16; before it, the fact's own references to its entries, which are no longer kept).
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
    betaStateNode *joining = &state->betaState[betaNode->value.b.index];
    if (joining->lastRightFrame != UNDEFINED_HASH_OFFSET) {
        rightFrameNode *last = RIGHT_FRAME_NODE(state, betaNode->value.b.index, joining->lastRightFrame);
        if (last->isActive && last->messageOffset == currentMessageOffset) {
            return RULES_OK;
        }
    }
"""
#: Every pool (facts, partial matches, each fact's frame references) starts with a free list
#: threading all its slots and, when full, grows by half and threads the new half: every slot is
#: written, so the memory of a pool is resident up to its capacity (up to a third unused). Here a
#: pool hands out recycled slots first, then never-used slots from a high-water mark (``fresh``),
#: and growing it writes nothing: a slot's page becomes resident when the slot is first used
#: (10,000 departments: peak 1,366 -> 1,218 MB). Only a retraction's search of the right memories
#: walks a pool by position, and it stops at the mark.
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
#: Every stored fact embeds a ``jsonObject`` whose property table has ``MAX_OBJECT_PROPERTIES`` slots
#: (19 here: 456 bytes, a 608-byte node), while a fact fills ~9 of them. Here the stored copy is one
#: allocation sized to the fact: the table moves to the end of ``jsonObject`` (facts being parsed keep
#: the whole table on the stack), a fact's node holds a pointer, and the copy takes the header, the
#: slots the fact fills and its text (which stock allocates on its own). 10,000 departments: ~293,000
#: facts, 608 + ~190 bytes each -> ~80 + ~380. The slot index is kept in bytes (a table has fewer
#: than 256 slots): the header 80 -> 64 bytes.
OLD_OBJECT = """typedef struct jsonObject {
    char *content;
    jsonProperty properties[MAX_OBJECT_PROPERTIES];
    unsigned short propertyIndex[MAX_OBJECT_PROPERTIES];
    unsigned char propertiesLength; 
    unsigned int idIndex; 
    unsigned int sidIndex;
    char sidBuffer[SID_BUFFER_LENGTH];
    char idBuffer[ID_BUFFER_LENGTH];
} jsonObject;"""
NEW_OBJECT = """typedef struct jsonObject {
    char *content;
    unsigned char propertyIndex[MAX_OBJECT_PROPERTIES];
    unsigned char propertiesLength; 
    unsigned int idIndex; 
    unsigned int sidIndex;
    char sidBuffer[SID_BUFFER_LENGTH];
    char idBuffer[ID_BUFFER_LENGTH];
    /* last: a stored fact's copy is allocated with only the slots it fills */
    jsonProperty properties[MAX_OBJECT_PROPERTIES];
} jsonObject;"""
OLD_STORED = "    jsonObject jo;\n} messageNode;"
NEW_STORED = "    jsonObject *jo;\n} messageNode;"
OLD_COPY = """static unsigned int copyMessage(jsonObject *targetMessage,
                                jsonObject *sourceMessage) {
    memcpy(targetMessage, sourceMessage, sizeof(jsonObject));
    unsigned int messageLength = (strlen(sourceMessage->content) + 1) * sizeof(char);
    targetMessage->content = malloc(messageLength);
    if (!targetMessage->content) {
        return ERR_OUT_OF_MEMORY;
    }
    memcpy(targetMessage->content, sourceMessage->content, messageLength);
"""
NEW_COPY = """static unsigned int copyMessage(jsonObject **storedMessage,
                                jsonObject *sourceMessage) {
    size_t header = sizeof(jsonObject) - sizeof(sourceMessage->properties);
    size_t filled = sourceMessage->propertiesLength * sizeof(jsonProperty);
    size_t messageLength = (strlen(sourceMessage->content) + 1) * sizeof(char);
    jsonObject *targetMessage = malloc(header + filled + messageLength);
    *storedMessage = targetMessage;
    if (!targetMessage) {
        return ERR_OUT_OF_MEMORY;
    }
    memcpy(targetMessage, sourceMessage, header + filled);
    targetMessage->content = (char *)targetMessage + header + filled;
    memcpy(targetMessage->content, sourceMessage->content, messageLength);
"""
OLD_FREE = """    if (mid == NULL) {
        mid = (char*)node->jo->idBuffer;
    }"""
NEW_FREE_MID = """    if (mid == NULL && node->jo) {
        mid = (char*)node->jo->idBuffer;
    }"""
OLD_FREE_CONTENT = """    if (node->jo->content) {
        free(node->jo->content);
        free(node->locationPool.content);
        node->jo->content = NULL;
        node->locationPool.content = NULL;
    }"""
NEW_FREE_CONTENT = """    if (node->jo) {
        free(node->jo);
        free(node->locationPool.content);
        node->jo = NULL;
        node->locationPool.content = NULL;
    }"""
#: Every stored fact keeps a reference to each partial match, right-memory entry and pending match
#: holding it (6.3 million at 10,000 departments), a 28-byte node: a byte for the frame's type padded
#: to four, a byte for ``isActive`` padded to four. Here the type shares a word with the node's index
#: (24 bits: a ruleset has far fewer nodes) and ``isActive`` shares one with the reference's hash,
#: kept to 24 bits (it only picks one of 4 buckets and tells references apart): 20 bytes.
OLD_LOCATION = """typedef struct frameLocation {
    unsigned char frameType;
    unsigned int nodeIndex;
    unsigned int frameOffset;
} frameLocation;

typedef struct locationNode {
    unsigned int prevOffset;
    unsigned int nextOffset;
    unsigned int hash;
    frameLocation location;
    unsigned char isActive;
} locationNode;"""
NEW_LOCATION = """typedef struct frameLocation {
    unsigned int frameOffset;
    unsigned int nodeIndex : 24;
    unsigned int frameType : 8;
} frameLocation;

#define LOCATION_HASH_MASK 0xFFFFFF

typedef struct locationNode {
    unsigned int prevOffset;
    unsigned int nextOffset;
    unsigned int hash : 24;
    unsigned int isActive : 8;
    frameLocation location;
} locationNode;"""
OLD_LOCATION_HASH = """    hash ^= location.frameOffset;
    hash *= FNV_32_PRIME;

    return hash;
}"""
NEW_LOCATION_HASH = """    hash ^= location.frameOffset;
    hash *= FNV_32_PRIME;

    return hash & LOCATION_HASH_MASK;
}"""
#: A right-memory entry (a fact waiting in a join: 3.9 million at 10,000 departments) is 20 bytes, a
#: byte of them the active flag padded to four. The flag shares a word with the fact's offset (31
#: bits: a pool never holds 2^31 facts): 16 bytes.
OLD_RIGHT_NODE = """typedef struct rightFrameNode {
    unsigned int prevOffset;
    unsigned int nextOffset;
    unsigned int hash;
    unsigned char isActive;
    unsigned int messageOffset;
} rightFrameNode;"""
NEW_RIGHT_NODE = """typedef struct rightFrameNode {
    unsigned int prevOffset;
    unsigned int nextOffset;
    unsigned int hash;
    unsigned int isActive : 1;
    unsigned int messageOffset : 31;
} rightFrameNode;"""
#: When a match has been dispatched, stock frees its pending-match slot but leaves each of its
#: facts' references to that slot: the references pile up (80,000 of 650,000 at 1,000 departments),
#: and retracting such a fact later deletes whatever pending match has reused the slot since (a
#: match lost without a trace). Here the dispatched match's references are removed with it.
OLD_DISPATCHED = """                if (currentMessageNode->messageType == MESSAGE_TYPE_EVENT) {
                    jsonObject *jo = currentMessageNode->jo;"""
NEW_DISPATCHED = """                if (currentMessageNode->messageType != MESSAGE_TYPE_EVENT) {
                    CHECK_RESULT(deleteFrameLocation(state,
                                                     currentMessageFrame->messageNodeOffset,
                                                     resultLocation));
                } else {
                    jsonObject *jo = currentMessageNode->jo;"""
#: Each fact in a join's right memory also kept a reference to that entry (3.9 million of the 5.5
#: million references at 10,000 departments). Only two things read them: the duplicate check above,
#: which the join's last entry answers (both arrivals of a fact come while that one fact passes
#: the network, so no other entry can come between them), and retracting a fact, which Interlock
#: never does: a retracted fact's entries are found again by scanning the right memories (only for
#: a fact that entered one: ``inRightMemory``) and its references rebuilt before stock's walk.
OLD_BETA_NODE = """    pool rightFramePool;
    unsigned int rightFrameIndex[MAX_RIGHT_FRAME_INDEX_LENGTH * 2];
} betaStateNode;"""
NEW_BETA_NODE = """    pool rightFramePool;
    unsigned int rightFrameIndex[MAX_RIGHT_FRAME_INDEX_LENGTH * 2];
    unsigned int lastRightFrame;
} betaStateNode;"""
OLD_MESSAGE_FLAGS = """    unsigned char isActive;
    unsigned char messageType;
    pool locationPool;"""
NEW_MESSAGE_FLAGS = """    unsigned char isActive;
    unsigned char messageType;
    unsigned char inRightMemory;
    pool locationPool;"""
OLD_MESSAGE_TYPE = "    node->messageType = messageType;\n    CHECK_RESULT(copyMessage("
NEW_MESSAGE_TYPE = "    node->messageType = messageType;\n    node->inRightMemory = 0;\n    CHECK_RESULT(copyMessage("
OLD_RIGHT_REFERENCE = """    rightFrame->messageOffset = currentMessageOffset;
    CHECK_RESULT(addFrameLocation(state,
                                  rightFrameLocation,
                                  currentMessageOffset));
"""
NEW_RIGHT_REFERENCE = """    rightFrame->messageOffset = currentMessageOffset;
    joining->lastRightFrame = rightFrameLocation.frameOffset;
    arriving->inRightMemory = 1;
"""
OLD_RETRACT = """    messageNode *message = MESSAGE_NODE(state, messageOffset);
    if (!message->isActive) {
        return RULES_OK;
    }

    while (count < message->locationPool.count) {"""
NEW_RETRACT = """    messageNode *message = MESSAGE_NODE(state, messageOffset);
    if (!message->isActive) {
        return RULES_OK;
    }

    if (message->inRightMemory) {
        for (unsigned int joinIndex = 0; joinIndex < tree->betaCount; ++joinIndex) {
            pool *waitingPool = &state->betaState[joinIndex].rightFramePool;
            for (unsigned int at = 1; at < waitingPool->fresh; ++at) {
                rightFrameNode *waiting = RIGHT_FRAME_NODE(state, joinIndex, at);
                if (waiting->isActive && waiting->messageOffset == messageOffset) {
                    frameLocation waitingLocation;
                    waitingLocation.frameType = RIGHT_FRAME;
                    waitingLocation.nodeIndex = joinIndex;
                    waitingLocation.frameOffset = at;
                    CHECK_RESULT(addFrameLocation(state, waitingLocation, messageOffset));
                }
            }
        }
        message->inRightMemory = 0;
    }

    while (count < message->locationPool.count) {"""
#: Every stored fact starts a pool for its references (4 slots, the first never used: 80 bytes and
#: an allocation), though since patch 13 most facts get none: 216,000 of 293,000 pools at 10,000
#: departments never grew past it. The pool is made when the fact's first reference comes.
OLD_LOCATION_INIT = """    messageNode *node = MESSAGE_NODE(state, *valueOffset);
    INIT(locationNode, \n         node->locationPool, \n         MAX_LOCATION_NODES);
"""
NEW_LOCATION_INIT = """    messageNode *node = MESSAGE_NODE(state, *valueOffset);
    node->locationPool.content = NULL; /* made by the first reference (addFrameLocation) */
    node->locationPool.contentLength = 0;
    node->locationPool.freeOffset = UNDEFINED_HASH_OFFSET;
    node->locationPool.fresh = 0;
    node->locationPool.count = 0;
"""
OLD_FIRST_REFERENCE = """    messageNode *message = MESSAGE_NODE(state, messageNodeOffset);
    unsigned int locationNodeOffset;
    NEW(locationNode, """
NEW_FIRST_REFERENCE = """    messageNode *message = MESSAGE_NODE(state, messageNodeOffset);
    unsigned int locationNodeOffset;
    if (!message->locationPool.content) {
        INIT(locationNode, message->locationPool, MAX_LOCATION_NODES);
    }
    NEW(locationNode, """
#: The module gets a constant naming this build, so Interlock can tell it from any other
#: (``engine/evaluation/enginebuild.py``). Only the Python 3 branch of rules.c is patched.
OLD_INIT = """    PyObject *m = PyModule_Create(&moduledef);
    if (m != NULL) {
        RulesError = PyErr_NewException("durable_rules_engine.error", NULL, NULL);
        Py_INCREF(RulesError);
        PyModule_AddObject(m, "error", RulesError);
    }
"""
NEW_INIT = f"""    PyObject *m = PyModule_Create(&moduledef);
    if (m != NULL) {{
        RulesError = PyErr_NewException("durable_rules_engine.error", NULL, NULL);
        Py_INCREF(RulesError);
        PyModule_AddObject(m, "error", RulesError);
        if (PyModule_AddStringConstant(m, "INTERLOCK_BUILD", "{BUILD}") < 0) {{
            Py_DECREF(m);
            return NULL;
        }}
    }}
"""


class Patch(NamedTuple):
    """Replace ``old`` by ``new`` in ``path`` (relative to the sdist's root), found exactly ``times`` times."""

    path: str
    old: str
    new: str
    times: int = 1


#: Every change to the released source. The build refuses to go on if any patch does not find
#: its text exactly as often as stated (a different source, or an edited one).
PATCHES = (
    Patch(PATCHED_FILE, OLD_CALL, NEW_CALL, times=5),
    Patch(PATCHED_FILE, OLD_INIT, NEW_INIT),
    Patch(SEQUENCE_FILE, OLD_GROUP_END, NEW_GROUP_END),
    Patch(SEQUENCE_FILE, OLD_SKIP, NEW_SKIP),
    Patch(SEQUENCE_FILE, OLD_RIGHT_DUPLICATE, NEW_RIGHT_DUPLICATE),
    Patch(PROPERTIES_FILE, "#define MAX_OBJECT_PROPERTIES 255", f"#define MAX_OBJECT_PROPERTIES {PROPERTY_SLOTS}"),
    Patch(PROPERTIES_FILE, "#define MAX_MESSAGE_FRAMES 16", f"#define MAX_MESSAGE_FRAMES {FRAME_SLOTS}"),
    Patch(STATE_FILE, "#define MAX_LOCATION_NODES 16", f"#define MAX_LOCATION_NODES {LOCATION_SLOTS}"),
    Patch(PROPERTIES_FILE, OLD_POOL, NEW_POOL),
    Patch(STATE_FILE, OLD_POOL_INIT, NEW_POOL_INIT),
    Patch(STATE_FILE, OLD_POOL_NEW, NEW_POOL_NEW),
    Patch(STATE_FILE, OLD_BETA_STATE, NEW_BETA_STATE),
    Patch(STATE_FILE, OLD_LEFT_ZERO, ZEROED),
    Patch(STATE_FILE, OLD_RIGHT_ZERO, ZEROED),
    *(Patch(PROPERTIES_FILE, f"#define {name} 512", f"#define {name} {buckets}") for name, buckets in INDEX_BUCKETS.items()),
    Patch(PROPERTIES_FILE, "#define MAX_LOCATION_INDEX_LENGTH 16", f"#define MAX_LOCATION_INDEX_LENGTH {LOCATION_INDEX_BUCKETS}"),
    Patch(PROPERTIES_FILE, OLD_OBJECT, NEW_OBJECT),
    Patch(PROPERTIES_FILE, OLD_STORED, NEW_STORED),
    Patch(STATE_FILE, "->jo.", "->jo->", times=14),
    Patch(SEQUENCE_FILE, "->jo.", "->jo->", times=3),
    Patch(STATE_FILE, "*message = &node->jo;", "*message = node->jo;"),
    Patch(SEQUENCE_FILE, "&rightMessage->jo,", "rightMessage->jo,", times=2),
    Patch(SEQUENCE_FILE, "&message->jo,", "message->jo,", times=2),
    Patch(SEQUENCE_FILE, "jsonObject *jo = &currentMessageNode->jo;", "jsonObject *jo = currentMessageNode->jo;"),
    Patch(STATE_FILE, OLD_COPY, NEW_COPY),
    Patch(STATE_FILE, OLD_FREE, NEW_FREE_MID),
    Patch(STATE_FILE, OLD_FREE_CONTENT, NEW_FREE_CONTENT),
    Patch(PROPERTIES_FILE, OLD_LOCATION, NEW_LOCATION),
    Patch(STATE_FILE, OLD_LOCATION_HASH, NEW_LOCATION_HASH),
    Patch(PROPERTIES_FILE, OLD_RIGHT_NODE, NEW_RIGHT_NODE),
    Patch(SEQUENCE_FILE, OLD_DISPATCHED, NEW_DISPATCHED),
    Patch(PROPERTIES_FILE, OLD_BETA_NODE, NEW_BETA_NODE),
    Patch(PROPERTIES_FILE, OLD_MESSAGE_FLAGS, NEW_MESSAGE_FLAGS),
    Patch(STATE_FILE, OLD_MESSAGE_TYPE, NEW_MESSAGE_TYPE),
    Patch(SEQUENCE_FILE, OLD_RIGHT_REFERENCE, NEW_RIGHT_REFERENCE),
    Patch(SEQUENCE_FILE, OLD_RETRACT, NEW_RETRACT),
    Patch(SEQUENCE_FILE, "memset(jo.propertyIndex, 0, MAX_OBJECT_PROPERTIES * sizeof(unsigned short));",
          "memset(jo.propertyIndex, 0, sizeof(jo.propertyIndex));", times=2),
    Patch(STATE_FILE, "memset(jo->propertyIndex, 0, MAX_OBJECT_PROPERTIES * sizeof(unsigned short));",
          "memset(jo->propertyIndex, 0, sizeof(jo->propertyIndex));"),
    Patch(PROPERTIES_FILE, "    unsigned short reverseIndex[MAX_MESSAGE_FRAMES];", "    unsigned char reverseIndex[MAX_MESSAGE_FRAMES];"),
    Patch(STATE_FILE, "reverseIndex, 0, MAX_MESSAGE_FRAMES * sizeof(unsigned short));", "reverseIndex, 0, sizeof(targetNode->reverseIndex));"),
    Patch(STATE_FILE, "reverseIndex, MAX_MESSAGE_FRAMES * sizeof(unsigned short));", "reverseIndex, sizeof(targetNode->reverseIndex));"),
    Patch(STATE_FILE, OLD_LOCATION_INIT, NEW_LOCATION_INIT),
    Patch(STATE_FILE, OLD_FIRST_REFERENCE, NEW_FIRST_REFERENCE),
)


class BuildError(Exception):
    """The engine's source cannot be prepared: say what and why, in one line."""


def patch_source(text: str, old: str = OLD_CALL, new: str = NEW_CALL) -> tuple[str, int]:
    """Return the patched source and how many places were replaced."""
    return text.replace(old, new), text.count(old)


def stamp() -> str:
    """What the patched tree is made from: the sdist and this file (the patch list)."""
    digest = hashlib.sha256()
    digest.update(SDIST.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def verify_sdist() -> None:
    if not SDIST.is_file():
        raise BuildError(f"the vendored durable-rules sdist is missing: {SDIST}")
    found = hashlib.sha256(SDIST.read_bytes()).hexdigest()
    if found != SDIST_SHA256:
        raise BuildError(f"{SDIST} is not the released durable-rules {VERSION} sdist (SHA-256 {found}, "
                         f"expected {SDIST_SHA256})")


def apply_patches(root: Path) -> None:
    """Apply every patch to the extracted source under ``root``; refuse a source that does not fit."""
    for patch in PATCHES:
        path = root / patch.path
        text = path.read_text(encoding="utf-8")
        patched, count = patch_source(text, patch.old, patch.new)
        if count != patch.times:
            raise BuildError(f"{patch.path} has {count} of {patch.old.strip().splitlines()[0]!r} "
                             f"(expected {patch.times}); is this really durable-rules {VERSION}?")
        path.write_text(patched, encoding="utf-8")


def prepare(dest: str | os.PathLike[str]) -> Path:
    """Extract the vendored sdist into ``dest`` and patch it, unless ``dest`` already holds this build.

    ``dest`` gets the sdist's layout (``libpy/durable/``, ``src/``, ``LICENSE``). Files are
    overwritten in place, never removed, so extensions an editable install compiled into
    ``libpy/`` stay where the install points; every file gets a fresh date, so a compiler
    never takes a stale object for up to date. Returns ``dest``.
    """
    root = Path(dest)
    marker = root / ".interlock-build"
    wanted = f"{BUILD} {stamp()}"
    if marker.is_file() and marker.read_text(encoding="utf-8") == wanted:
        return root
    verify_sdist()
    root.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    prefix = f"durable_rules-{VERSION}/"
    with tarfile.open(SDIST) as archive:
        members = []
        for member in archive.getmembers():
            if not member.name.startswith(prefix) or not (member.isfile() or member.isdir()):
                continue
            member.name = member.name[len(prefix):]
            # Not the released egg-info: it would present "durable-rules" as an installed distribution.
            if member.name and not member.name.startswith("libpy/durable_rules.egg-info"):
                members.append(member)
        if hasattr(tarfile, "data_filter"):
            archive.extractall(root, members=members, filter="data")
        else:  # pragma: no cover - Python 3.11 before 3.11.4
            archive.extractall(root, members=members)
    apply_patches(root)
    for path in root.rglob("*"):
        if path.is_file() and path != marker and not path.name.startswith("durable_rules_engine."):
            os.utime(path)
    marker.write_text(wanted, encoding="utf-8")
    return root


def main(argv: list[str] | None = None) -> int:
    """``python .durable/durable_patches.py DEST``: write the patched source tree (to read or diff it)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: durable_patches.py DEST_DIR", file=sys.stderr)
        return 2
    try:
        print(prepare(args[0]))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
