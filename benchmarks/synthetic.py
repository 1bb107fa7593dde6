"""A synthetic population for tests, the evaluation and the benchmark.

Honest accounts have a heavy-tailed (Pareto) true influence. Who follows whom and who
engages with whom are drawn from it, with noise: content quality, posting rate,
engagement habits, follow-backs, a few honest viral weeks. A share of the accounts are
members (scored); the platform sees only the edges that touch a member, as in
production. Attacks add fake accounts or edges to a copy of a population.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np

from scoring.model.trust import Graph, choose_seeds
from scoring.model.types import (
    DAY,
    Accounts,
    BoolArray,
    Engagements,
    FloatArray,
    Followers,
    IntArray,
    Kind,
    MemberBatch,
    Params,
    Posts,
)

NOW = int(dt.datetime(2026, 11, 30, tzinfo=dt.UTC).timestamp())
YEAR = 365 * DAY

TOPICS = (
    "python", "rust", "privacy", "photography", "cooking", "football", "climate", "music",
    "travel", "design", "startups", "machine learning", "gardening", "cycling", "books",
    "film", "astronomy", "chess", "coffee", "architecture",
    # Sensitive (GDPR Art. 9), to check that they are never suggested.
    "mental health", "election", "faith", "pride", "trade union",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Population:
    """All accounts (honest and fake) and the edges the platform can see."""

    now: int
    influence: FloatArray  # true influence; 0 for fake accounts
    member: BoolArray
    fake: BoolArray
    verified: BoolArray
    data_since: IntArray
    created_at: IntArray
    followers_reported: IntArray
    follow_src: IntArray
    follow_dst: IntArray
    follow_at: IntArray
    eng_src: IntArray
    eng_dst: IntArray
    eng_kind: IntArray
    eng_count: IntArray
    eng_first: IntArray
    eng_last: IntArray
    post_author: IntArray
    post_at: IntArray
    post_engagers: IntArray
    post_by_kind: IntArray  # (posts, 4) counts by Kind
    post_topics: IntArray  # (posts, 2) indices into TOPICS, -1 for none

    @property
    def n_nodes(self) -> int:
        return len(self.influence)

    def members(self) -> IntArray:
        return np.flatnonzero(self.member)

    def honest_members(self) -> IntArray:
        return np.flatnonzero(self.member & ~self.fake)


def _visible(member: BoolArray, src: IntArray, dst: IntArray) -> BoolArray:
    return member[src] | member[dst]


def generate(n_accounts: int = 10_000, seed: int = 7, member_share: float = 0.7) -> Population:
    """An honest population of ``n_accounts`` accounts, ``member_share`` of them members."""
    rng = np.random.default_rng(seed)
    n = n_accounts
    now = NOW
    influence = rng.lognormal(0.0, 1.5, n)  # heavy-tailed: top 1% hold about a third
    member = rng.random(n) < member_share
    habit = rng.lognormal(0.0, 1.0, n)  # how much an account engages with others
    quality = rng.lognormal(0.0, 0.4, n)  # how engaging an account's posts are
    post_rate = rng.lognormal(np.log(0.3), 0.8, n)  # posts a day

    # Follows: each account follows a lognormal number of others, chosen by influence,
    # half of them inside its own community (about 50 accounts), so that friends of
    # friends engage with each other as in real networks.
    k = np.clip(rng.lognormal(np.log(25), 0.9, n), 1, 1500).astype(np.int64)
    src = np.repeat(np.arange(n), k)
    pick = influence**0.95
    dst = rng.choice(n, size=len(src), p=pick / pick.sum())
    community = rng.integers(0, max(1, n // 50), n)
    local = rng.random(len(src)) < 0.5
    dst[local] = _pick_within(rng, community, pick, src[local])
    # Follow-backs, likelier for smaller accounts.
    back = rng.random(len(src)) < 0.3 / (1.0 + influence[dst] / 10.0)
    src, dst = np.concatenate([src, dst[back]]), np.concatenate([dst, src[back]])
    keep = src != dst
    key = np.unique(src[keep] * n + dst[keep])
    fsrc, fdst = key // n, key % n
    fat = now - (rng.random(len(fsrc)) * 3 * YEAR).astype(np.int64)

    # Posts inside the window.
    window = 90 * DAY
    n_posts = rng.poisson(post_rate * 90)
    author = np.repeat(np.arange(n), n_posts)
    post_at = now - (rng.random(len(author)) * window).astype(np.int64)
    post_start = np.concatenate([[0], np.cumsum(n_posts)])
    interests = rng.integers(0, len(TOPICS) - 5, (n, 3))
    sensitive = rng.random(n) < 0.15
    interests[sensitive, 2] = rng.integers(len(TOPICS) - 5, len(TOPICS), sensitive.sum())
    topic_cols = rng.integers(0, 3, (len(author), 2))
    post_topics = interests[author[:, None], topic_cols]
    post_topics[rng.random(len(author)) < 0.4, 1] = -1

    # Engagement: events per post grow with influence; engagers are mostly followers,
    # picked by their engagement habit, and some are strangers.
    per_post = 0.6 * influence * quality
    events = rng.poisson(per_post * n_posts)
    ev_author = np.repeat(np.arange(n), events)
    ev_engager = _pick_engagers(rng, n, fsrc, fdst, habit, ev_author)
    ok = ev_engager != ev_author
    ev_author, ev_engager = ev_author[ok], ev_engager[ok]
    ev_post = post_start[ev_author] + (rng.random(len(ev_author)) * n_posts[ev_author]).astype(
        np.int64
    )
    ev_kind = rng.choice(4, size=len(ev_author), p=[0.72, 0.13, 0.11, 0.04])
    ev_at = np.minimum(
        post_at[ev_post] + rng.exponential(6 * 3600, len(ev_post)).astype(np.int64), now
    )

    # Honest viral weeks for about 2% of the accounts' count, at most 3% of the members who
    # post: new followers and new engagers together.
    posting = np.flatnonzero(member & (n_posts > 0))
    n_viral = max(1, min(n // 50, len(posting) * 3 // 100))
    viral = rng.choice(posting, size=n_viral, replace=False)
    vf_src, vf_dst, vf_at, ve_src, ve_dst, ve_at = [], [], [], [], [], []
    for v in viral:
        start = now - int(rng.integers(10, 80)) * DAY
        fans = rng.choice(n, size=int(rng.integers(80, 400)), replace=False)
        fans = fans[fans != v]
        vf_src.append(fans)
        vf_dst.append(np.full(len(fans), v))
        vf_at.append(start + (rng.random(len(fans)) * 7 * DAY).astype(np.int64))
        engaging = fans[rng.random(len(fans)) < 0.3]
        ve_src.append(engaging)
        ve_dst.append(np.full(len(engaging), v))
        ve_at.append(start + (rng.random(len(engaging)) * 7 * DAY).astype(np.int64))
    if viral.size:
        fsrc = np.concatenate([fsrc, *vf_src])
        fdst = np.concatenate([fdst, *vf_dst])
        fat = np.concatenate([fat, *vf_at])
        key, first = np.unique(fsrc * n + fdst, return_index=True)
        fsrc, fdst, fat = fsrc[first], fdst[first], fat[first]
        ve_s, ve_d, ve_t = np.concatenate(ve_src), np.concatenate(ve_dst), np.concatenate(ve_at)
        ve_post = post_start[ve_d] + (rng.random(len(ve_d)) * n_posts[ve_d]).astype(np.int64)
        ev_author = np.concatenate([ev_author, ve_d])
        ev_engager = np.concatenate([ev_engager, ve_s])
        ev_post = np.concatenate([ev_post, ve_post])
        ev_kind = np.concatenate([ev_kind, np.zeros(len(ve_d), dtype=np.int64)])
        ev_at = np.concatenate([ev_at, ve_t])

    # Per-post counts.
    by_kind = np.zeros((len(author), 4), dtype=np.int64)
    np.add.at(by_kind, (ev_post, ev_kind), 1)
    distinct = np.unique(ev_post * n + ev_engager) // n
    post_engagers = np.bincount(distinct, minlength=len(author)).astype(np.int64)

    # Aggregates (engager, author, kind), only those the platform can see.
    vis = _visible(member, ev_engager, ev_author)
    es, ed, ek, et = ev_engager[vis], ev_author[vis], ev_kind[vis], ev_at[vis]
    agg = (es * n + ed) * 4 + ek
    order = np.argsort(agg, kind="stable")
    agg, et = agg[order], et[order]
    uniq, starts, counts = np.unique(agg, return_index=True, return_counts=True)
    first = np.minimum.reduceat(et, starts)
    last = np.maximum.reduceat(et, starts)
    pair, kind = uniq // 4, uniq % 4
    fvis = _visible(member, fsrc, fdst)
    fsrc, fdst, fat = fsrc[fvis], fdst[fvis], fat[fvis]

    verified = member & (rng.random(n) < 0.45)
    data_since = np.where(
        verified,
        now - (rng.random(n) * 2 * YEAR).astype(np.int64),
        now - ((30 + rng.random(n) * 970) * DAY).astype(np.int64),
    )
    created_at = now - ((1 + rng.random(n) * 11) * YEAR).astype(np.int64)
    indegree = np.bincount(fdst, minlength=n)
    followers_reported = indegree + rng.poisson(0.05 * indegree)
    return Population(
        now=now,
        influence=influence,
        member=member,
        fake=np.zeros(n, dtype=np.bool_),
        verified=verified,
        data_since=data_since,
        created_at=created_at,
        followers_reported=followers_reported.astype(np.int64),
        follow_src=fsrc,
        follow_dst=fdst,
        follow_at=fat,
        eng_src=pair // n,
        eng_dst=pair % n,
        eng_kind=kind.astype(np.int64),
        eng_count=counts.astype(np.int64),
        eng_first=first,
        eng_last=last,
        post_author=author,
        post_at=post_at,
        post_engagers=post_engagers,
        post_by_kind=by_kind,
        post_topics=post_topics,
    )


def _pick_within(
    rng: np.random.Generator, group: IntArray, weight: FloatArray, who: IntArray
) -> IntArray:
    """For each of ``who``, an account of the same ``group`` drawn by ``weight``."""
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(group.max() + 2))
    cum = np.concatenate([[0.0], np.cumsum(weight[order])])
    g = group[who]
    lo, hi = cum[bounds[g]], cum[bounds[g + 1]]
    idx = np.searchsorted(cum, lo + rng.random(len(who)) * (hi - lo), side="right") - 1
    return order[np.clip(idx, bounds[g], bounds[g + 1] - 1)]


def _pick_engagers(
    rng: np.random.Generator,
    n: int,
    fsrc: IntArray,
    fdst: IntArray,
    habit: FloatArray,
    ev_author: IntArray,
) -> IntArray:
    """For each event, an engager: a follower of the author (by habit) or a stranger."""
    order = np.argsort(fdst, kind="stable")
    followers = fsrc[order]
    bounds = np.searchsorted(fdst[order], np.arange(n + 1))
    cum = np.concatenate([[0.0], np.cumsum(habit[followers])])
    lo, hi = cum[bounds[ev_author]], cum[bounds[ev_author + 1]]
    u = lo + rng.random(len(ev_author)) * (hi - lo)
    idx = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, max(len(followers) - 1, 0))
    chosen = followers[idx] if len(followers) else np.zeros(len(ev_author), dtype=np.int64)
    stranger = (rng.random(len(ev_author)) < 0.15) | (hi <= lo)
    p = habit / habit.sum()
    chosen[stranger] = rng.choice(n, size=int(stranger.sum()), p=p)
    return chosen


def graph(pop: Population, params: Params | None = None) -> Graph:
    return Graph.from_edges(
        pop.n_nodes,
        follow_src=pop.follow_src,
        follow_dst=pop.follow_dst,
        engage_src=pop.eng_src,
        engage_dst=pop.eng_dst,
        engage_count=pop.eng_count,
        params=params,
    )


def seeds(pop: Population, params: Params | None = None) -> IntArray:
    m = pop.members()
    seeds, _basis = choose_seeds(
        node=m,
        verified=pop.verified[m],
        verified_since=pop.data_since[m],
        now=pop.now,
        params=params,
    )
    return seeds


def batch(pop: Population, members: IntArray) -> MemberBatch:
    """The batch the Django side would load for ``members`` (node ids)."""
    row_of = np.full(pop.n_nodes, -1, dtype=np.int64)
    row_of[members] = np.arange(len(members))
    f = row_of[pop.follow_dst] >= 0
    e = row_of[pop.eng_dst] >= 0
    posts = np.flatnonzero(row_of[pop.post_author] >= 0)
    out_degree = np.bincount(pop.follow_src, minlength=pop.n_nodes)
    labels = [tuple(TOPICS[t] for t in pair if t >= 0) for pair in pop.post_topics[posts].tolist()]
    return MemberBatch(
        accounts=Accounts.build(
            node=members,
            followers_reported=pop.followers_reported[members],
            following_reported=out_degree[members],
            created_at=pop.created_at[members],
            verified=pop.verified[members],
            data_since=pop.data_since[members],
        ),
        followers=Followers.build(
            member=row_of[pop.follow_dst[f]], node=pop.follow_src[f], at=pop.follow_at[f]
        ),
        engagements=Engagements.build(
            member=row_of[pop.eng_dst[e]],
            node=pop.eng_src[e],
            kind=pop.eng_kind[e],
            count=pop.eng_count[e],
            first_at=pop.eng_first[e],
            last_at=pop.eng_last[e],
        ),
        posts=Posts.build(
            member=row_of[pop.post_author[posts]],
            at=pop.post_at[posts],
            engagers=pop.post_engagers[posts],
            likes=pop.post_by_kind[posts, Kind.LIKE],
            reshares=pop.post_by_kind[posts, Kind.RESHARE],
            replies=pop.post_by_kind[posts, Kind.REPLY],
            mentions=pop.post_by_kind[posts, Kind.MENTION],
            tags=labels,
            terms=[()] * len(posts),
        ),
    )


# Attacks ---------------------------------------------------------------------------


def _add_nodes(pop: Population, k: int, *, member: bool, now: int) -> tuple[Population, IntArray]:
    new = np.arange(pop.n_nodes, pop.n_nodes + k)
    return (
        replace(
            pop,
            influence=np.concatenate([pop.influence, np.zeros(k)]),
            member=np.concatenate([pop.member, np.full(k, member)]),
            fake=np.concatenate([pop.fake, np.ones(k, dtype=np.bool_)]),
            verified=np.concatenate([pop.verified, np.zeros(k, dtype=np.bool_)]),
            data_since=np.concatenate([pop.data_since, np.full(k, now - 20 * DAY)]),
            created_at=np.concatenate([pop.created_at, np.full(k, now - 40 * DAY)]),
            followers_reported=np.concatenate([pop.followers_reported, np.zeros(k, np.int64)]),
        ),
        new,
    )


def _add_follows(pop: Population, src: IntArray, dst: IntArray, at: IntArray) -> Population:
    n = pop.n_nodes
    s = np.concatenate([pop.follow_src, src])
    d = np.concatenate([pop.follow_dst, dst])
    t = np.concatenate([pop.follow_at, at])
    _, first = np.unique(s * n + d, return_index=True)
    keep = first[s[first] != d[first]]
    vis = keep[_visible(pop.member, s[keep], d[keep])]
    added = np.bincount(d[vis], minlength=n) - np.bincount(pop.follow_dst, minlength=n)
    return replace(
        pop,
        follow_src=s[vis],
        follow_dst=d[vis],
        follow_at=t[vis],
        followers_reported=pop.followers_reported + np.maximum(added, 0),
    )


def _add_engagement(
    pop: Population, src: IntArray, dst: IntArray, kind: IntArray, count: IntArray, at: IntArray
) -> Population:
    vis = _visible(pop.member, src, dst) & (src != dst) & (count > 0)
    return replace(
        pop,
        eng_src=np.concatenate([pop.eng_src, src[vis]]),
        eng_dst=np.concatenate([pop.eng_dst, dst[vis]]),
        eng_kind=np.concatenate([pop.eng_kind, kind[vis]]),
        eng_count=np.concatenate([pop.eng_count, count[vis]]),
        eng_first=np.concatenate([pop.eng_first, at[vis]]),
        eng_last=np.concatenate([pop.eng_last, np.full(int(vis.sum()), pop.now - DAY)]),
    )


def _add_posts(
    pop: Population, authors: IntArray, per_author: int, rng: np.random.Generator
) -> Population:
    a = np.repeat(authors, per_author)
    at = pop.now - (rng.random(len(a)) * 80 * DAY).astype(np.int64)
    topics = np.full((len(a), 2), -1, dtype=np.int64)
    topics[:, 0] = rng.integers(0, 5, len(a))
    return replace(
        pop,
        post_author=np.concatenate([pop.post_author, a]),
        post_at=np.concatenate([pop.post_at, at]),
        post_engagers=np.concatenate([pop.post_engagers, np.zeros(len(a), np.int64)]),
        post_by_kind=np.concatenate([pop.post_by_kind, np.zeros((len(a), 4), np.int64)]),
        post_topics=np.concatenate([pop.post_topics, topics]),
    )


def buy_followers(
    pop: Population, target: int, k: int, days: int = 3, seed: int = 1, likes: int = 0
) -> tuple[Population, IntArray]:
    """``k`` fake accounts follow ``target`` within ``days`` days; with ``likes``, each
    also likes that many of the target's posts as it arrives (the outside evaluation's
    attack: spread over the days, the follows make no burst)."""
    rng = np.random.default_rng(seed)
    pop, fakes = _add_nodes(pop, k, member=False, now=pop.now)
    at = pop.now - (rng.random(k) * days * DAY).astype(np.int64)
    pop = _add_follows(pop, fakes, np.full(k, target), at)
    if likes:
        pop = _add_engagement(
            pop, fakes, np.full(k, target), np.full(k, Kind.LIKE), np.full(k, likes), at
        )
    return pop, fakes


def buy_spread(
    pop: Population, target: int, k: int, others: int = 5, days: int = 90, seed: int = 6
) -> tuple[Population, IntArray]:
    """``k`` fake accounts follow ``target`` and like one of its posts, and each also likes
    a post of ``others`` other members drawn at random (trusted ones among them), so that
    each appears as an engager in ``others + 1`` members' archives; over ``days`` days."""
    rng = np.random.default_rng(seed)
    pop, fakes = _add_nodes(pop, k, member=False, now=pop.now)
    at = pop.now - (rng.random(k) * days * DAY).astype(np.int64)
    pop = _add_follows(pop, fakes, np.full(k, target), at)
    candidates = np.setdiff1d(pop.members(), [target])
    liked = np.stack([rng.choice(candidates, size=others, replace=False) for _ in range(k)])
    src = np.concatenate([fakes, np.repeat(fakes, others)])
    dst = np.concatenate([np.full(k, target), liked.ravel()])
    when = np.concatenate([at, np.repeat(at, others)])
    n = len(src)
    return _add_engagement(pop, src, dst, np.full(n, Kind.LIKE), np.ones(n, np.int64), when), fakes


def buy_likes(
    pop: Population, target: int, k: int, days: int = 30, seed: int = 5
) -> tuple[Population, IntArray]:
    """``k`` fake accounts that follow nobody each like one of ``target``'s posts."""
    rng = np.random.default_rng(seed)
    pop, fakes = _add_nodes(pop, k, member=False, now=pop.now)
    at = pop.now - (rng.random(k) * days * DAY).astype(np.int64)
    pop = _add_engagement(
        pop, fakes, np.full(k, target), np.full(k, Kind.LIKE), np.ones(k, np.int64), at
    )
    return pop, fakes


def cold_start(pop: Population) -> Population:
    """The same population before anyone has connected a verified source."""
    return replace(pop, verified=np.zeros_like(pop.verified))


def _ring_edges(
    pop: Population, ring: IntArray, rng: np.random.Generator, density: float = 1.0
) -> Population:
    """Everyone in ``ring`` likes and reshares the posts of (a ``density`` share of)
    everyone else and follows them; the last account, the target, gets it from all."""
    grid_src, grid_dst = np.meshgrid(ring, ring, indexing="ij")
    src, dst = grid_src.ravel(), grid_dst.ravel()
    target = ring[-1]
    chosen = (rng.random(len(src)) < density) | (src == target) | (dst == target)
    keep = (src != dst) & chosen
    src, dst = src[keep], dst[keep]
    posts = np.bincount(pop.post_author, minlength=pop.n_nodes)
    likes = np.maximum(posts[dst], 1)
    at = pop.now - (rng.random(len(src)) * 60 * DAY).astype(np.int64) - 20 * DAY
    pop = _add_follows(pop, src, dst, at)
    pop = _add_engagement(pop, src, dst, np.full(len(src), Kind.LIKE), likes, at)
    reshares = np.maximum(likes // 2, 1)
    return _add_engagement(pop, src, dst, np.full(len(src), Kind.RESHARE), reshares, at)


def sockpuppet_ring(
    pop: Population, target: int, size: int, seed: int = 2
) -> tuple[Population, IntArray]:
    """``size - 1`` new self-reported member accounts and ``target`` engage each other."""
    rng = np.random.default_rng(seed)
    pop, fakes = _add_nodes(pop, size - 1, member=True, now=pop.now)
    pop = _add_posts(pop, fakes, 10, rng)
    return _ring_edges(pop, np.append(fakes, target), rng), fakes


def pod_ring(
    pop: Population, target: int, size: int, density: float = 1.0, seed: int = 3
) -> tuple[Population, IntArray]:
    """An engagement pod: ``size - 1`` real members and ``target`` engage each other."""
    rng = np.random.default_rng(seed)
    candidates = np.setdiff1d(pop.honest_members(), [target])
    pod = rng.choice(candidates, size=size - 1, replace=False)
    return _ring_edges(pop, np.append(pod, target), rng, density), pod


def follow_back_farm(
    pop: Population, target: int, attack_edges: int, farm_size: int = 1000, seed: int = 4
) -> tuple[Population, IntArray]:
    """A farm of ``farm_size`` self-reported member accounts that follow and engage each
    other and ``target``; ``attack_edges`` real members follow a farm account back."""
    rng = np.random.default_rng(seed)
    pop, farm = _add_nodes(pop, farm_size, member=True, now=pop.now)
    pop = _add_posts(pop, farm, 5, rng)
    inner = 20
    src = np.repeat(farm, inner)
    dst = rng.choice(farm, size=len(src))
    at = pop.now - (rng.random(len(src)) * 60 * DAY).astype(np.int64)
    pop = _add_follows(pop, src, dst, at)
    pop = _add_engagement(pop, src, dst, np.full(len(src), Kind.LIKE), np.full(len(src), 3), at)
    tgt = np.full(farm_size, target)
    at = pop.now - (rng.random(farm_size) * 60 * DAY).astype(np.int64)
    posts = max(int(np.count_nonzero(pop.post_author == target)), 1)
    pop = _add_follows(pop, farm, tgt, at)
    pop = _add_engagement(
        pop, farm, tgt, np.full(farm_size, Kind.LIKE), np.full(farm_size, posts), at
    )
    pop = _add_engagement(
        pop, farm, tgt, np.full(farm_size, Kind.RESHARE), np.full(farm_size, max(posts // 2, 1)), at
    )
    real = rng.choice(pop.honest_members(), size=attack_edges, replace=False)
    victims = rng.choice(farm, size=attack_edges)
    at = pop.now - (rng.random(attack_edges) * YEAR).astype(np.int64)
    return _add_follows(pop, real, victims, at), farm
