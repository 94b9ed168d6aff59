"""A cheap language guess (BCP-47) from script and stopword counts; only used when input had
none."""

from __future__ import annotations

import re

__all__ = ["guess_language"]

_STOPWORDS = {
    "en": "the of and to in is that for on with was as by at from it are this be has have said",
    "de": "der die und das ist nicht mit den von zu sich auf für eine ein dem des im wird",
    "fr": "le la les et des est une dans que pour qui pas sur au du avec ce sont par",
    "es": "el la los las y que en del se por un una para con es al lo como más",
    "it": "il di che e la per non una sono del della con gli le si nel anche",
    "pt": "o a os as de que e do da em um uma para com não no na se por",
    "nl": "de het een en van is dat op te met voor zijn niet aan er",
    "pl": "i w na z nie się do że to jest o jak po przez od",
}
_STOP = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_WORD = re.compile(r"[^\W\d_]+")


def guess_language(text: str) -> str:
    """Return a BCP-47 code ("en", "uk", "ru", "ar", ...); "und" when there is no text."""
    sample = text[:2000]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return "und"
    counts = {"cyr": 0, "arab": 0, "hebr": 0, "cjk": 0, "kana": 0, "hang": 0, "grk": 0}
    for c in letters:
        o = ord(c)
        if 0x0400 <= o <= 0x04FF:
            counts["cyr"] += 1
        elif 0x0600 <= o <= 0x06FF:
            counts["arab"] += 1
        elif 0x0590 <= o <= 0x05FF:
            counts["hebr"] += 1
        elif 0x3040 <= o <= 0x30FF:
            counts["kana"] += 1
        elif 0x4E00 <= o <= 0x9FFF:
            counts["cjk"] += 1
        elif 0xAC00 <= o <= 0xD7AF:
            counts["hang"] += 1
        elif 0x0370 <= o <= 0x03FF:
            counts["grk"] += 1
    script, n = max(counts.items(), key=lambda kv: kv[1])
    if n > len(letters) / 2:
        if script == "cyr":
            if re.search(r"[іїєґІЇЄҐ]", sample):
                return "uk"
            return "ru"
        if script == "arab":
            return "fa" if re.search(r"[پچژگ]", sample) else "ar"
        return {"hebr": "he", "cjk": "zh", "kana": "ja", "hang": "ko", "grk": "el"}[script]
    words = [w.lower() for w in _WORD.findall(sample)]
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOP.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else "en"
