import doctest

import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

import labkit.text
from labkit.text import NEGATIONS, STOP_WORDS, fix_escapes, tokenize


def test_doctests():
    assert doctest.testmod(labkit.text).failed == 0


@pytest.mark.parametrize("raw, expected", [
    ("Plus\\u002c tomorrow", "Plus, tomorrow"),
    ("Day\\u2019s", "Day\u2019s"),
    ("Tom &amp; Jerry", "Tom & Jerry"),
    ("&lt;3 you", "<3 you"),
    ("it&#39;s &#039;on&#039; &gt;&gt;", "it's 'on' >>"),
    ("Rock &amp;amp;amp; roll", "Rock & roll"),  # escaped more than once
    ('he said \\"hi\\"', 'he said "hi"'),
    ("smile \\ud83d\\ude00 now", "smile \U0001F600 now"),  # a surrogate pair is one emoji
    ("caf\\u00E9", "caf\u00e9"),
    ("  two\t\tspaces \n here  ", "two spaces here"),
    ("plain text, nothing to do", "plain text, nothing to do"),
])
def test_fix_escapes(raw, expected):
    assert fix_escapes(raw) == expected


def test_fix_escapes_drops_lone_surrogates_so_text_stays_encodable():
    fixed = fix_escapes("broken \\ud83d emoji")
    assert fixed == "broken emoji"
    fixed.encode("utf-8")


def test_fix_escapes_on_a_semeval_line():
    raw = ("Nationals 9th Inning had that 4th Quarter feel\\u002c didn\\u2019t it?  "
           "Coulda swore &amp; more")
    assert fix_escapes(raw) == ("Nationals 9th Inning had that 4th Quarter feel, didn\u2019t it? "
                                "Coulda swore & more")


def test_tokenize_lower_cases_and_keeps_tweet_tokens():
    tokens = tokenize("GREAT Movie :) :D #BestEver @Friend 😍😍 <3 http://t.co/AbC")
    assert tokens == ["great", "movie", ":)", ":D", "#bestever", "@friend", "😍", "😍", "<3",
                      "http://t.co/AbC"]  # URLs are case-sensitive: kept as written


def test_tokenize_preserves_case_when_asked():
    assert tokenize("GREAT Movie #BestEver", lower=False) == ["GREAT", "Movie", "#BestEver"]


def test_tokenize_greek():
    assert tokenize("Η ταινία ήταν υπέροχη!") == ["η", "ταινία", "ήταν", "υπέροχη", "!"]


def test_tokenize_shortens_stretched_words():
    assert tokenize("sooooooo goooood") == ["sooo", "goood"]


@pytest.mark.parametrize("text, expected", [
    ("I don't know", ["i", "do", "n't", "know"]),
    ("it's the film's end", ["it", "'s", "the", "film", "'s", "end"]),
    ("we can't, you won't, i'm sure they'll", ["we", "ca", "n't", ",", "you", "wo", "n't", ",",
                                              "i", "'m", "sure", "they", "'ll"]),
    ("Day\u2019s end, didn\u2019t", ["day", "'s", "end", ",", "did", "n't"]),  # curly apostrophe
    ("rock'n'roll at 5 o'clock", ["rock'n'roll", "at", "5", "o'clock"]),
    ("wait . . . what", ["wait", "...", "what"]),
])
def test_tokenize_splits_clitics_like_glove(text, expected):
    assert tokenize(text) == expected


def test_stop_word_removal_keeps_negations():
    tokens = tokenize("The plot is not good, it was never fun and there's no hope. "
                      "I didn't like nothing.", remove_stopwords=True)
    for kept in ["not", "never", "no", "n't", "nothing", "good", "fun", "hope", "like"]:
        assert kept in tokens
    for dropped in ["the", "is", "it", "was", "and", "there", "'s", "i"]:
        assert dropped not in tokens


def test_stop_word_removal_ignores_case():
    assert tokenize("The NOT Bad", lower=False, remove_stopwords=True) == ["NOT", "Bad"]


def test_stop_words_are_sklearns_without_negations():
    assert NEGATIONS.isdisjoint(STOP_WORDS)
    assert {"no", "not", "nor", "never", "n't", "none", "nothing", "nobody", "neither",
            "nowhere", "cannot"} <= NEGATIONS
    assert set(ENGLISH_STOP_WORDS) - NEGATIONS <= STOP_WORDS
    assert "the" in STOP_WORDS and "'s" in STOP_WORDS
