"""Plain YAML values that YAML 1.1 and YAML 1.2 read differently (issue 21).

Interlock reads YAML as PyYAML does, by YAML 1.1's rules (keys excepted: they are
always the text written). Editors using yaml-language-server read YAML 1.2 by
default. A few plain forms mean different things under the two, so the same file
is valid to one and wrong to the other: `6_000` is 6000 under 1.1 and the text
"6_000" under 1.2 ("Incorrect type. Expected number"), `yes`/`no`/`on`/`off` are
booleans under 1.1 and text under 1.2, `012` is 10 (octal) under 1.1 and 12 under
1.2, `1:30` is 90 (base 60) under 1.1 and text under 1.2, `1e3` is text under 1.1
and 1000 under 1.2. `interlock check` warns about each (W005) with the form that
reads the same everywhere; the bundled, scaffolded and documented files use none.
"""
from __future__ import annotations

import re

_TAG = "tag:yaml.org,2002:"
#: YAML 1.1 booleans that YAML 1.2's core schema reads as text (true/false are the same in both).
BOOLEAN_WORDS = frozenset(w for word in ("yes", "no", "on", "off") for w in (word, word.capitalize(), word.upper()))
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_BINARY = re.compile(r"[-+]?0b[01_]+")
#: A YAML 1.2 core number that YAML 1.1 reads as text (no dot before the exponent).
_NUMBER_12 = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")


def value_note(where: str, text: str, tag: str) -> str | None:
    """Why a plain value reads differently under YAML 1.2, with what to write instead; None when it does not.

    ``where`` starts the message ("plans[0].target_incentive: "), as every problem of the file does.
    """
    if tag == f"{_TAG}str":
        if text[:1] in "+-.0123456789" and _NUMBER_12.fullmatch(text):
            return (f"{where}{text} is text to Interlock (YAML 1.1) but a number to editors (YAML 1.2): "
                    f"write {float(text)!r} for the number, or quote it for text")
        return None
    if tag == f"{_TAG}bool":
        if text in BOOLEAN_WORDS:
            meaning = "true" if text.lower() in ("yes", "on") else "false"
            return (f"{where}{text} is {meaning} to Interlock (YAML 1.1) but the text {text!r} to editors "
                    f"(YAML 1.2): write {meaning}, or quote it for text")
        return None
    if tag not in (f"{_TAG}int", f"{_TAG}float"):
        return None
    if _SEXAGESIMAL.fullmatch(text):
        return (f"{where}{text} is a base-60 number to Interlock (YAML 1.1) but text to editors (YAML 1.2): "
                "quote it, or write the number")
    if _BINARY.fullmatch(text) or (_OCTAL.fullmatch(text) and text.lstrip("+-") != "0"):
        return (f"{where}{text} is read as {'a binary' if 'b' in text else 'an octal'} number by Interlock (YAML 1.1) "
                "and differently by editors (YAML 1.2): write the number in decimal without leading zeros")
    if "_" in text:
        plain = text.replace("_", "")
        return (f"{where}{text} is the number {plain} to Interlock (YAML 1.1) but text to editors (YAML 1.2, "
                f"\"Incorrect type. Expected number\"): write {plain}")
    return None


def key_note(where: str, key: str, in_clawback: bool = False) -> str:
    hint = " (in a clawback, write triggers:)" if key.lower() == "on" and in_clawback else ""
    return (f"{where}the key {key} is the text {key!r} to Interlock and to YAML 1.2 editors, but true or false to "
            f"YAML 1.1 readers (GitHub Actions, older editors): quote it{hint}")
