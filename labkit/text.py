"""Text cleaning and tokenisation.

Tokens follow the conventions of the packaged GloVe 6B vectors, so that as many as
possible have a pretrained vector: lower-cased by default, English clitics split the
Penn Treebank way (``don't`` -> ``do n't``, ``it's`` -> ``it 's``), and emoticons,
hashtags, @-mentions, URLs and emoji kept whole (nltk's ``TweetTokenizer``).

>>> tokenize("I don't like it :( #fail")
['i', 'do', "n't", 'like', 'it', ':(', '#fail']
>>> tokenize("It was NOT good, not at all!", remove_stopwords=True)
['not', 'good', ',', 'not', '!']
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

from nltk.tokenize import TweetTokenizer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

__all__ = ["NEGATIONS", "STOP_WORDS", "fix_escapes", "tokenize"]

#: Words that flip sentiment; never removed as stop words.
NEGATIONS: frozenset[str] = frozenset({
    "no", "not", "nor", "never", "n't", "none", "nothing", "nobody", "noone",
    "neither", "nowhere", "cannot", "cant", "couldnt", "hasnt",
})

#: scikit-learn's English stop words without the negations, plus the clitics that
#: :func:`tokenize` splits off (``'s``, ``'re``, ...).
STOP_WORDS: frozenset[str] = (
    frozenset(ENGLISH_STOP_WORDS) | {"'s", "'re", "'ve", "'ll", "'d", "'m"}
) - NEGATIONS

_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?")
_WHITESPACE = re.compile(r"\s+")
_WORD_APOSTROPHE = re.compile(r"(?<=\w)[\u2019\u2018`´](?=\w)")
_CLITIC = re.compile(r"^([^\W_]+)(n't|'s|'re|'ve|'ll|'d|'m)$", re.IGNORECASE)


def _unescape_match(match: re.Match) -> str:
    first, second = int(match.group(1), 16), match.group(2)
    if second and 0xD800 <= first <= 0xDBFF:  # a surrogate pair, e.g. one emoji
        return chr(0x10000 + ((first - 0xD800) << 10) + (int(second, 16) - 0xDC00))
    codes = [first] + ([int(second, 16)] if second else [])
    return "".join(chr(c) for c in codes if not 0xD800 <= c <= 0xDFFF)  # drop lone halves


def fix_escapes(text: str) -> str:
    """Undo the escaping quirks of scraped tweets and collapse whitespace.

    Literal ``\\uXXXX`` escapes become the character, ``\\"`` becomes ``"``, and
    HTML entities are unescaped (repeatedly, for double-escaped ``&amp;amp;``).

    >>> fix_escapes("Plus\\\\u002c tomorrow\\\\u2019s   game &amp; more &lt;3 ")
    'Plus, tomorrow’s game & more <3'
    """
    text = _UNICODE_ESCAPE.sub(_unescape_match, text).replace('\\"', '"')
    for _ in range(3):  # "&amp;amp;" -> "&amp;" -> "&"
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    return _WHITESPACE.sub(" ", text).strip()


@lru_cache(maxsize=2)
def _tweet_tokenizer(lower: bool) -> TweetTokenizer:
    # reduce_len: "sooooo" -> "sooo", which GloVe knows; the stretched forms it does not.
    return TweetTokenizer(preserve_case=not lower, reduce_len=True)


def _split_token(token: str) -> list[str]:
    if " " in token:  # TweetTokenizer keeps ". . ." as one token
        token = "..." if set(token) <= {".", " "} else token.replace(" ", "")
    match = _CLITIC.match(token)
    return list(match.groups()) if match else [token]


def tokenize(text: str, lower: bool = True, remove_stopwords: bool = False) -> list[str]:
    """Split ``text`` into tokens (see the module docstring for the conventions).

    ``remove_stopwords`` drops :data:`STOP_WORDS` but keeps :data:`NEGATIONS`.

    >>> tokenize("Η ταινία ήταν υπέροχη! 😍😍 Sooooo good :D")
    ['η', 'ταινία', 'ήταν', 'υπέροχη', '!', '😍', '😍', 'sooo', 'good', ':D']
    >>> tokenize("Can't WAIT", lower=False)
    ['Ca', "n't", 'WAIT']
    """
    text = _WORD_APOSTROPHE.sub("'", text)
    tokens = [part for token in _tweet_tokenizer(lower).tokenize(text)
              for part in _split_token(token)]
    if remove_stopwords:
        tokens = [t for t in tokens if t.lower() not in STOP_WORDS]
    return tokens

