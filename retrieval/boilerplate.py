"""What page furniture says: the known phrases of ads, share buttons, cookie notices,
photo credits, comment threads, "Related" sections, bylines and datelines.

The page-text cleaner (:mod:`retrieval.clean`) marks a line that these recognise as junk
whatever its length or stop words. The phrases are English; lines of other languages are
told apart by the cleaner's features (length, stop words, punctuation, repetition) alone.
"""

from __future__ import annotations

import re

# Longer lines are never boilerplate by a phrase alone.
PHRASE_CHECK_CHARS = 160
SECTION_HEADER_WORDS = 5
TITLE_CASE_HEAD_CHARS = 90
DATELINE_WORDS = 10

# All patterns run on the lower-cased, whitespace-normalised line.
_BOILERPLATE_LINE = re.compile(
    r"""\W*(?:
        advertisements?|ad|sponsored(?:\ content)?|promoted|
        share(?:\ this)?(?:\ (?:article|story|post|page))?|tweet|e-?mail|print|
        comments?|\d+\ comments?|
        read\ more|continue\ reading|show\ more|see\ more|load\ more|view\ more|
        related(?:\ (?:articles?|stories|posts|content|topics))?|recommended|trending|
        most\ (?:read|popular|viewed|shared)|up\ next|more\ stories|
        sign\ (?:up|in)|log\ ?in|subscribe|newsletters?|menu|search|close|caption|
        next|previous|back\ to\ top|skip\ to\ (?:main\ )?content|loading|
        image\ \d+\ of\ \d+|\d+\ ?/\ ?\d+|tags?|topics|categories|
        facebook|twitter|linkedin|whatsapp|pinterest|reddit|instagram|youtube|rss
    )\W*""",
    re.VERBOSE,
)
_BOILERPLATE_PHRASE = re.compile(
    r"""\bphoto(?:graph)?s?\ ?(?:by\b|:|credit)|\bimage\ ?(?:credit|source|:)|\bcredit\ ?:|
        getty\ images|shutterstock|\bap\ photo\b|\bfile\ photo\b|
        ©|\(c\)\ ?\d{4}|\bcopyright\b|all\ rights\ reserved|
        \bcookies?\b|privacy\ policy|terms\ (?:of|and)\ (?:use|service|conditions)|
        \bsign\ up\b|\bsubscribe\b|\bnewsletter|\bshare\ (?:this|on)\b|\bfollow\ us\b|
        \bclick\ here\b|\bread\ (?:more|next|also)\b|\balso\ read\b|
        join\ the\ conversation|download\ (?:the|our)\ app|you\ (?:may|might)\ also|
        \badvertisement\b|\bsponsored\b|\ball\ comments\b|\bskip\ to\b""",
    re.VERBOSE,
)
# Words of which at least one must occur before _BOILERPLATE_PHRASE is worth running.
_PHRASE_TRIGGERS = frozenset(
    {
        "photo", "photos", "photograph", "image", "credit", "getty", "shutterstock", "ap", "file",
        "c", "copyright", "rights", "cookie", "cookies", "privacy", "terms", "sign", "subscribe",
        "newsletter", "newsletters", "share", "follow", "click", "read", "join", "download", "may",
        "might", "advertisement", "sponsored", "comments", "skip"
    }
)
# Cookie banners and legal footers are boilerplate however long they are. (Checked on
# the line's words: a regular expression with two ".*" went quadratic on long lines.)
_COOKIE_WORDS = frozenset({"cookie", "cookies"})
_CONSENT_WORDS = frozenset({"agree", "accept", "consent", "privacy"})
# Headers of reader comments: the main span must not run on into a comment thread.
_COMMENT_MARK = re.compile(
    r"""\b\d+\ ?(?:s|m|h|d|w|mins?|minutes?|hrs?|hours?|days?|weeks?|months?|years?)\ ago\b|
        \b(?:said|says|wrote|writes)\ ?:$|^\W*(?:reply|report|quote)\W*$|
        \brating\ ?:\ ?\d+\ votes?\b|leave\ a\ (?:reply|comment)|cancel\ reply|
        \bin\ reply\ to\b|bloggers\ like\ this""",
    re.VERBOSE,
)
# Headings of the page sections that follow an article: teasers, comments, more links.
_SECTION_HEADER = re.compile(
    r"""\W*(?:related(?:\ \w+)?|recommended(?:\ \w+)?|trending(?:\ \w+)?|popular|
        most\ (?:read|popular|viewed|shared)|more\ (?:stories|news|from|in|on|like)\b.*|
        up\ next|read\ next|(?:view\ |all\ |\d+\ )?comments?|
        you\ (?:may|might)\ (?:also\ )?like|don'?t\ miss|editor'?s\ picks?|
        (?:other|latest|top)\ (?:stories|news|articles|headlines)
    )\W*""",
    re.VERBOSE,
)
_COMMENT_TRIGGERS = frozenset(
    {
        "ago", "said", "says", "wrote", "writes", "reply", "report", "quote", "rating", "leave",
        "cancel", "bloggers"
    }
)
_DIGIT = re.compile(r"\d")
_BYLINE_STARTS = ("by ", "updated", "published", "posted")
DATELINE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}\b|"
    r"\b\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|"
    r"\b\d{1,2}:\d{2}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|"
    r"^(?:by|updated|published|posted)\b"
)
# Words after the first one, unless they follow sentence punctuation or a quote.
_INNER_WORD = re.compile(r"(?<=[^\W\d_,;–—-]) +(\w+)")


def is_section_break(key: str, tokens: list[str]) -> bool:
    """A comment header or the heading of a section that follows the article."""
    if len(tokens) <= SECTION_HEADER_WORDS and _SECTION_HEADER.fullmatch(key):
        return True
    return (
        len(key) <= PHRASE_CHECK_CHARS
        and not _COMMENT_TRIGGERS.isdisjoint(tokens)
        and _COMMENT_MARK.search(key) is not None
    )


def is_dateline(key: str, tokens: list[str], sentence: bool) -> bool:
    """A byline or timestamp standing on its own line."""
    return (
        not sentence
        and len(tokens) <= DATELINE_WORDS
        and (_DIGIT.search(key) is not None or key.startswith(_BYLINE_STARTS))
        and DATELINE.search(key) is not None
    )


def is_boilerplate(key: str, tokens: list[str]) -> bool:
    """A copyright line, a cookie notice, or a short line of ads, sharing, credits and the like."""
    if key.startswith(("©", "copyright")):
        return True
    if "cookie" in key and not _COOKIE_WORDS.isdisjoint(tokens) and not _CONSENT_WORDS.isdisjoint(tokens):
        return True
    if len(key) > PHRASE_CHECK_CHARS:
        return False
    if len(tokens) <= 6 and _BOILERPLATE_LINE.fullmatch(key):
        return True
    return ("©" in key or not _PHRASE_TRIGGERS.isdisjoint(tokens)) and bool(
        _BOILERPLATE_PHRASE.search(key)
    )


def is_title_case(text: str, stop_words: frozenset[str]) -> bool:
    """Two Capitalised stop words inside the line: a headline or a teaser, not prose."""
    capitalised = 0
    for word in _INNER_WORD.findall(text[:TITLE_CASE_HEAD_CHARS]):
        if word[0].isupper() and not word.isupper() and word.lower() in stop_words:
            capitalised += 1
    return capitalised >= 2
