"""Topics from the member's own posts (tags, and keywords taken from texts before those are
discarded). Nothing else is used: no one can attach a topic to a member.

Topics in the special categories of GDPR Art. 9 are never suggested, nor are topics on
the moderators' deny-list or the member's block list. The member may still add such a
topic; a topic the member holds is scored like any other.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence, Set
from decimal import Decimal

import numpy as np

from .types import FloatArray, Params, Posts, TopicScore

# Matched against the normalised label. A plain keyword must be a whole word of it; a
# keyword ending in "*" is a stem that may sit anywhere inside a compound tag
# ("#mentalhealthawareness"). Over-matching is the safe side: a topic held back wrongly
# can still be added by the member. Words with a common harmless sense ("race", "black",
# "native", "campaign") are left out on purpose; their compounds are listed instead.
SENSITIVE_KEYWORDS: dict[str, frozenset[str]] = {
    "health": frozenset(
        """
        health* illness disease* diagnos* cancer* tumour tumor diabet* asthma* epilep*
        autis* adhd depress* anxiety bipolar schizo* ptsd trauma* suicid* selfharm*
        eatingdisorder* anorexi* bulimi* mentalhealth* therapy therapist psychiatr*
        medication* chemotherapy hiv aids hepatitis covid* longcovid pregnan* fertility
        ivf miscarriage abortion disabilit* disabled wheelchair* chronicpain*
        chronicillness* addiction* alcoholi* sober rehab dementia alzheimer* parkinson*
        sclerosis arthritis migraine* endometriosis pcos transplant* dialysis surgery
        hospital* symptom* vaccin* gesundheit krankheit sante salud maladie
        """.split()
    ),
    "religion": frozenset(
        """
        religio* faith church* christian* catholic* protestant* evangelical orthodox
        baptist methodist lutheran mormon* bible* gospel jesus christ prayer islam*
        muslim* quran koran mosque* ramadan allah jewish judaism torah synagogue* kosher
        rabbi hindu* buddhis* buddha sikh* jain atheis* agnostic* spiritual* theolog*
        pastor priest imam halal easter diwali hanukkah kirche glaube iglesia eglise
        """.split()
    ),
    "politics": frozenset(
        """
        politic* election* vote voting voter* ballot democrat* republican* labour labor
        tory tories conservative liberal socialism socialist communism communist marxis*
        fascis* anarchis* libertarian* leftist rightwing* leftwing* populis* nationalis*
        parliament* congress senate president brexit* maga gop partisan activis* protest*
        referendum* impeach* government minister greens afd spd cdu politik* politique*
        politica
        """.split()
    ),
    "sexuality": frozenset(
        """
        sexual* lgbt* queer* gay lesbian* bisexual* pansexual* asexual* transgender* trans
        nonbinary genderqueer intersex pride comingout homosexual* heterosexual* kink*
        bdsm polyamor* porn* nsfw onlyfans
        """.split()
    ),
    "ethnicity": frozenset(
        """
        ethnic* racial* racism* racist* blacklivesmatter* blm african afro latino latina
        latinx hispanic* asian indigenous* aboriginal* nativeamerican* firstnations
        romani sinti arab kurd* diaspora* immigrant* migrant* refugee* whitesupremac*
        antisemit* islamophob* xenophob*
        """.split()
    ),
    "union membership": frozenset(
        """
        tradeunion* laborunion* labourunion* unionmember* unioniz* unionis* unionstrong
        union unions gewerkschaft* syndicat* sindicato* strike picketline* teamsters
        collectivebargaining* workersrights* dgb tuc
        """.split()
    ),
}

_WORD_SPLIT = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WHOLE_WORDS: dict[str, str] = {
    kw: category
    for category, keywords in SENSITIVE_KEYWORDS.items()
    for kw in sorted(keywords)
    if not kw.endswith("*")
}
_STEMS: list[tuple[str, str]] = [
    (kw[:-1], category)
    for category, keywords in SENSITIVE_KEYWORDS.items()
    for kw in sorted(keywords)
    if kw.endswith("*")
]


@functools.lru_cache(maxsize=65_536)
def normalise(label: str) -> str:
    """The stored form of a topic: NFKC, no leading ``#``, lower case, words joined by
    single spaces (``"#Machine_Learning"`` -> ``"machine learning"``)."""
    text = unicodedata.normalize("NFKC", label).strip().lstrip("#")
    text = _CAMEL.sub(" ", text)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(w for w in _WORD_SPLIT.split(text) if w)


@functools.lru_cache(maxsize=65_536)
def sensitive_category(label: str) -> str | None:
    """The GDPR Art. 9 category a label falls in, or ``None``."""
    norm = normalise(label)
    if not norm:
        return None
    compact = norm.replace(" ", "")
    for word in (*norm.split(), compact):
        if word in _WHOLE_WORDS:
            return _WHOLE_WORDS[word]
    for stem, category in _STEMS:
        if stem in compact:
            return category
    return None


def _normalised_set(labels: Iterable[str]) -> set[str]:
    return {n for n in (normalise(x) for x in labels) if n}


def batch_topics(
    posts: Posts,
    n_members: int,
    scores: Sequence[Decimal],
    *,
    params: Params | None = None,
    held: Sequence[Set[str]] = (),
    blocked: Sequence[Set[str]] = (),
    deny: Set[str] = frozenset(),
    since: int | None = None,
) -> list[tuple[TopicScore, ...]]:
    """Topics of every member (row) of a batch, from their posts at or after ``since``.

    A topic's strength is the number of posts carrying it, each weighted by
    ``1 + ln(1 + distinct engagers)`` (a keyword from the text counts
    ``topic_term_weight``, a tag 1). Its score is the member's score scaled by the
    square root of its share of the member's weighted posts, so it never exceeds the
    member's score. Returns, strongest first, up to ``max_topics`` suggestions plus
    every held topic found in the posts. ``held``/``blocked`` are per row; ``deny`` is
    the moderators' list.
    """
    p = params or Params()
    keep = np.ones(len(posts.member), dtype=np.bool_)
    if since is not None:
        keep &= posts.at >= since
    label_id: dict[str, int] = {}
    labels: list[str] = []
    post_col: list[int] = []
    label_col: list[int] = []
    factor_col: list[float] = []
    for i in np.flatnonzero(keep).tolist():
        tags, terms = posts.tags[i], posts.terms[i]
        if not tags and not terms:
            continue
        seen: dict[str, float] = {}
        for label in tags:
            n = normalise(label)
            if n:
                seen[n] = 1.0
        for label in terms:
            n = normalise(label)
            if n and n not in seen:
                seen[n] = p.topic_term_weight
        for n, f in seen.items():
            j = label_id.get(n)
            if j is None:
                j = label_id[n] = len(labels)
                labels.append(n)
            post_col.append(i)
            label_col.append(j)
            factor_col.append(f)
    result: list[tuple[TopicScore, ...]] = [() for _ in range(n_members)]
    if not labels:
        return result
    post_weight: FloatArray = 1.0 + np.log1p(np.maximum(posts.engagers, 0).astype(np.float64))
    total = np.bincount(posts.member[keep], post_weight[keep], minlength=n_members)
    post_idx = np.asarray(post_col, dtype=np.int64)
    n_labels = len(labels)
    key = posts.member[post_idx] * n_labels + np.asarray(label_col, dtype=np.int64)
    uniq, inv = np.unique(key, return_inverse=True)
    strength = np.bincount(inv, np.asarray(factor_col) * post_weight[post_idx])
    count = np.bincount(inv)
    rows, lab = uniq // n_labels, uniq % n_labels
    order = np.lexsort((lab, -strength, rows))
    category = [sensitive_category(x) for x in labels]
    never_all = _normalised_set(deny)
    current = -1
    held_n: set[str] = set()
    never: set[str] = set()
    suggestions = 0
    out: list[TopicScore] = []
    for k in order.tolist():
        r = int(rows[k])
        if r != current:
            if current >= 0:
                result[current] = tuple(out)
            current, out, suggestions = r, [], 0
            held_n = _normalised_set(held[r]) if held else set()
            never = never_all | (_normalised_set(blocked[r]) if blocked else set())
        label = labels[lab[k]]
        is_held = label in held_n
        if count[k] < p.topic_min_posts and not is_held:
            continue
        suggest = category[lab[k]] is None and label not in never and not is_held
        if suggest:
            if suggestions >= p.max_topics:
                continue
            suggestions += 1
        elif not is_held:
            continue
        share = min(float(strength[k] / total[r]), 1.0) if total[r] > 0 else 0.0
        value = 1.0 + (float(scores[r]) - 1.0) * share**0.5
        out.append(
            TopicScore(
                label=label,
                score=Decimal(f"{value:.2f}"),
                posts=int(count[k]),
                sensitive_category=category[lab[k]],
                suggest=suggest,
            )
        )
    if current >= 0:
        result[current] = tuple(out)
    return result
