"""Synthetic IT-helpdesk tickets that honour the data contract, deterministic for a seed.

Why it exists: the demo trains on it (`make demo`), tests need realistic tickets without shipping
data files, and drift monitoring needs the same generator with controlled shifts (source mix,
unseen vocabulary, urgent rate).

How the data is shaped: each ticket first gets a latent urgency whose odds rise a little for the
premium tier and the phone channel (so categorical features matter). The text is then written in
one of four styles: plainly urgent, urgent but phrased mildly, a routine request, or a routine
request that happens to contain urgency words ("not urgent, but ... is down since last week").
Typos, odd casing, extra whitespace, empty titles and a share of flipped labels keep the task
learnable from the text but not trivially separable. Everything is drawn with numpy's vectorised
choices over template parts from `numpy.random.default_rng(seed)`, so 100k rows take well under a
second and the same config always yields the same frame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from mlflow_project.data.contract import CUSTOMER_TIERS, SOURCES

OUTPUT_COLUMNS: tuple[str, ...] = (
    "ticket_id", "title", "description", "source", "customer_tier", "created_at", "urgent",
)

MIN_URGENT_RATE = 0.01
MAX_URGENT_RATE = 0.99
MAX_LABEL_NOISE = 0.5
SECONDS_PER_DAY = 86_400

# Source mix that `DriftConfig.source_shift` moves towards: self-service channels take over.
SHIFTED_SOURCE_MIX: Mapping[str, float] = MappingProxyType(
    {"email": 0.10, "phone": 0.05, "web": 0.40, "chat": 0.45}
)
# Log-odds added to a ticket's urgency: modest, so the text stays the dominant signal.
SOURCE_URGENCY_LOGIT: Mapping[str, float] = MappingProxyType(
    {"email": 0.0, "phone": 0.6, "web": -0.1, "chat": 0.2, "unknown": 0.0}
)
TIER_URGENCY_LOGIT: Mapping[str, float] = MappingProxyType(
    {"premium": 0.6, "standard": 0.0, "unknown": 0.0}
)

# Share of latent-urgent tickets written mildly, and of routine tickets that contain urgency cues.
MILD_URGENT_SHARE = 0.25
ROUTINE_WITH_CUES_SHARE = 0.12
# Chance that each optional sentence slot (detail, context, closing) is present: 1-4 sentences.
DETAIL_SHARE = 0.6
CONTEXT_SHARE = 0.35
CLOSING_SHARE = 0.55
# Cosmetic noise, each applied independently to a small share of tickets.
TYPO_SHARE = 0.05
SHOUTED_TITLE_SHARE = 0.03
LOWERCASE_DESCRIPTION_SHARE = 0.03
EXTRA_WHITESPACE_SHARE = 0.03
EMPTY_TITLE_SHARE = 0.01

SYSTEM_PLACEHOLDER = "{system}"

SYSTEMS: tuple[str, ...] = (
    "VPN", "Outlook", "Teams", "SAP", "Salesforce", "Jira", "SharePoint", "Okta", "Zoom",
    "GitLab", "payroll system", "billing portal", "customer portal", "file server", "CRM",
    "ERP", "intranet", "HR portal", "shared drive", "mobile app", "checkout page", "email server",
)
# Products and error names that only ever appear under `DriftConfig.new_vocabulary`.
DRIFT_SYSTEMS: tuple[str, ...] = (
    "Zentrix dashboard", "HelixPay gateway", "Orbitly workspace", "NovaDesk console",
    "Kyro Sync agent", "QuantaLedger", "Vexo SSO", "Lumio analytics", "Brightwave CMS",
    "Kyro Sync (error KX-409)", "HelixPay (error HPX-7731)", "Zentrix (error ZTX-0042)",
)

# Each topic is a (title, opening sentence) pair so that title and description tell one story.
URGENT_TOPICS: tuple[tuple[str, str], ...] = (
    ("{system} down for the whole team",
     "{system} has been down for all users since this morning."),
    ("URGENT: {system} outage",
     "{system} is completely unreachable and nobody can work."),
    ("Production outage - {system} not responding",
     "We have a production outage: {system} returns errors for every request."),
    ("Critical: cannot login to {system}",
     "Nobody on our team can login to {system} and we are completely blocked."),
    ("Whole team cannot login to {system}",
     "Since the password policy change the whole team cannot login to {system}."),
    ("Data loss after {system} update",
     "We lost data in {system} after the overnight update."),
    ("Possible security breach in {system}",
     "We suspect a security breach, there are unknown admin logins in {system}."),
    ("Payment failing on {system}, need help asap",
     "Customer payments are failing in {system} since the last deployment."),
    ("{system} down, customers affected",
     "Customers report that {system} is down and they cannot place orders."),
    ("{system} crashed - need help asap",
     "{system} crashed and the whole department cannot work."),
)
URGENT_DETAILS: tuple[str, ...] = (
    "Customers are affected and orders are piling up.",
    "This is critical for the quarter-end close.",
    "The entire sales team is blocked.",
    "We are losing revenue every minute this is down.",
    "Around 200 users are affected.",
    "Invoices cannot be sent to customers.",
)
URGENT_CLOSINGS: tuple[str, ...] = (
    "Please fix asap.",
    "Please escalate immediately, this is critical.",
    "Call me on my mobile as soon as possible.",
    "Please treat this as priority one.",
)

MILD_URGENT_TOPICS: tuple[tuple[str, str], ...] = (
    ("Issue with {system}",
     "I think something is wrong with {system}, it keeps timing out."),
    ("{system} not working",
     "{system} is not loading for me and a few colleagues."),
    ("Problem logging in to {system}",
     "Since this morning {system} rejects our logins with an error."),
    ("Question about {system} payments",
     "Some of our customers say they cannot pay through {system}."),
    ("Files missing in {system}",
     "A couple of files seem to be missing from {system} since yesterday."),
)
MILD_URGENT_DETAILS: tuple[str, ...] = (
    "A few people in my team are affected.",
    "We cannot finish today's orders without it.",
    "It seems to affect more people than just me.",
)
MILD_URGENT_CLOSINGS: tuple[str, ...] = (
    "Could someone take a look when possible?",
    "Thanks for checking.",
    "Let me know if you need more details.",
)

ROUTINE_TOPICS: tuple[tuple[str, str], ...] = (
    ("Password reset request for {system}",
     "Could you please reset my password for {system}?"),
    ("Access request: {system}",
     "I would like to request access to {system} for my new role."),
    ("How do I export reports from {system}?",
     "How can I export a report from {system} to Excel?"),
    ("Feature request for {system}",
     "It would be great if {system} could support dark mode."),
    ("Need a copy of last month's invoice",
     "Please send me a copy of the {system} invoice from last month."),
    ("Change of address for billing",
     "We moved offices, please update our billing address in {system}."),
    ("Please add new hire to {system}",
     "A new colleague starts on Monday and needs an account in {system}."),
    ("Request to increase {system} storage quota",
     "Our team is close to the storage limit in {system}, could the quota be raised?"),
    ("How to change notifications in {system}",
     "Can you tell me how to change my notification settings in {system}?"),
    ("Question about {system} licence",
     "How many {system} licences does our department have left?"),
)
ROUTINE_DETAILS: tuple[str, ...] = (
    "There is no rush on this.",
    "Whenever you have time is fine.",
    "This is for the quarterly report next month.",
    "My manager already approved the request.",
)
ROUTINE_CLOSINGS: tuple[str, ...] = (
    "Thanks in advance.",
    "Many thanks.",
    "Have a nice day.",
    "Best regards.",
)

CUE_ROUTINE_TOPICS: tuple[tuple[str, str], ...] = (
    ("Not urgent: {system} down on my old laptop",
     "Not urgent, but {system} is down on the test laptop since last week."),
    ("Feature request: outage alerts in {system}",
     "Could {system} send us an alert when there is a production outage?"),
    ("Question about the security breach training",
     "Where can I find the security breach awareness training for {system}?"),
    ("Low priority: {system} critical update notice",
     "{system} shows a critical update notice, can it be installed next week?"),
    ("Follow-up on last month's {system} outage",
     "After the {system} outage last month, could we get a short summary report?"),
    ("No rush, {system} crashed once yesterday",
     "{system} crashed once yesterday but it works fine again now."),
    ("Wording of payment failing notice",
     "The payment failing notice in {system} is confusing, can the wording be improved?"),
)
CUE_ROUTINE_DETAILS: tuple[str, ...] = (
    "Nothing is blocked, it is just for information.",
    "We found a workaround, so no hurry.",
    "Next week is absolutely fine.",
)

NEUTRAL_CONTEXT: tuple[str, ...] = (
    "I am working from the Berlin office.",
    "My laptop runs Windows 11.",
    "I already tried restarting.",
    "This happens in Chrome and Edge.",
    "Screenshot attached.",
    "My manager is in copy.",
)
# (word, misspelling) pairs; a finite list so typos never look like new vocabulary.
TYPOS: tuple[tuple[str, str], ...] = (
    ("password", "pasword"), ("cannot", "cant"), ("login", "loign"), ("please", "pls"),
    ("access", "acess"), ("customers", "custmers"), ("request", "requst"), ("since", "sicne"),
    ("working", "wokring"), ("the", "teh"), ("invoice", "invioce"), ("error", "eror"),
)


@dataclass(frozen=True)
class DriftConfig:
    """Controlled shifts away from the training distribution, for drift-monitoring tests and demos.

    All knobs default to 0, which reproduces the drift-free data exactly.
    """

    source_shift: float = 0.0
    """0..1: moves the source mix toward `SHIFTED_SOURCE_MIX` (chat/web heavy); 1 = fully there."""
    new_vocabulary: float = 0.0
    """0..1: share of tickets naming products/errors that drift-free data never contains."""
    urgent_rate_shift: float = 0.0
    """Added to `GeneratorConfig.urgent_rate`; the result is clipped to [0.01, 0.99]."""

    def __post_init__(self) -> None:
        _require_in_range("drift.source_shift", self.source_shift, 0.0, 1.0)
        _require_in_range("drift.new_vocabulary", self.new_vocabulary, 0.0, 1.0)
        _require_in_range("drift.urgent_rate_shift", self.urgent_rate_shift, -1.0, 1.0)


def _default_source_mix() -> Mapping[str, float]:
    return MappingProxyType({"email": 0.45, "web": 0.25, "phone": 0.15, "chat": 0.15})


def _default_tier_mix() -> Mapping[str, float]:
    return MappingProxyType({"premium": 0.3, "standard": 0.7})


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything that shapes a synthetic ticket set; validated and normalised on creation.

    Mixes are stored normalised (summing to 1) in the contract's key order, read-only, so two
    configs that describe the same distribution compare equal and generate the same frame. The
    mixes are left out of the hash (mapping proxies are unhashable) but not out of equality.
    """

    rows: int = 5000
    seed: int = 42
    urgent_rate: float = 0.2
    """Expected share of `urgent == 1` in the output, label noise included."""
    source_mix: Mapping[str, float] = field(default_factory=_default_source_mix, hash=False)
    """Weights per contract source; keys must come from `SOURCES`."""
    tier_mix: Mapping[str, float] = field(default_factory=_default_tier_mix, hash=False)
    """Weights per contract customer tier; keys must come from `CUSTOMER_TIERS`."""
    label_noise: float = 0.03
    """Share of labels flipped, so that the task is not trivially separable."""
    start: str = "2026-01-01"
    """First instant of the `created_at` window (ISO-8601; naive means UTC)."""
    days: int = 30
    drift: DriftConfig = field(default_factory=DriftConfig)

    def __post_init__(self) -> None:
        _require_int_at_least("rows", self.rows, 1)
        _require_int_at_least("seed", self.seed, 0)
        _require_in_range("urgent_rate", self.urgent_rate, MIN_URGENT_RATE, MAX_URGENT_RATE)
        _require_in_range("label_noise", self.label_noise, 0.0, MAX_LABEL_NOISE,
                          inclusive_high=False)
        _require_int_at_least("days", self.days, 1)
        _require(isinstance(self.drift, DriftConfig),
                 f"drift must be a DriftConfig (got {type(self.drift).__name__})")
        _parse_start(self.start)
        source_mix = _normalised_mix("source_mix", self.source_mix, SOURCES)
        tier_mix = _normalised_mix("tier_mix", self.tier_mix, CUSTOMER_TIERS)
        object.__setattr__(self, "source_mix", source_mix)
        object.__setattr__(self, "tier_mix", tier_mix)


@dataclass(frozen=True)
class _Style:
    """Sentence pools for one way of writing a ticket; every topic's opening names the system."""

    topics: tuple[tuple[str, str], ...]
    details: tuple[str, ...]
    closings: tuple[str, ...]


URGENT_STYLE = _Style(URGENT_TOPICS, URGENT_DETAILS, URGENT_CLOSINGS)
MILD_URGENT_STYLE = _Style(MILD_URGENT_TOPICS, MILD_URGENT_DETAILS, MILD_URGENT_CLOSINGS)
ROUTINE_STYLE = _Style(ROUTINE_TOPICS, ROUTINE_DETAILS, ROUTINE_CLOSINGS)
CUE_ROUTINE_STYLE = _Style(CUE_ROUTINE_TOPICS, CUE_ROUTINE_DETAILS, ROUTINE_CLOSINGS)
STYLES: tuple[_Style, ...] = (URGENT_STYLE, MILD_URGENT_STYLE, ROUTINE_STYLE, CUE_ROUTINE_STYLE)


def generate_tickets(config: GeneratorConfig) -> pd.DataFrame:
    """Generate `config.rows` contract-valid tickets; the same config always gives the same frame.

    Each aspect (source, tier, labels, text, drift, noise, time) draws from its own child stream of
    `numpy.random.default_rng(config.seed)`, so turning one drift knob leaves the other aspects of
    the data unchanged.
    """
    rows = config.rows
    (source_rng, tier_rng, label_rng, text_rng, drift_rng, noise_rng,
     time_rng) = np.random.default_rng(config.seed).spawn(7)
    sources = _draw_categories(source_rng, _drifted_source_mix(config), SOURCES, rows)
    tiers = _draw_categories(tier_rng, config.tier_mix, CUSTOMER_TIERS, rows)
    latent_urgent = label_rng.random(rows) < _urgency_probability(config, sources, tiers)
    systems = _draw_systems(drift_rng, rows, config.drift.new_vocabulary)
    titles, descriptions = _write_texts(text_rng, latent_urgent, systems)
    titles, descriptions = _add_cosmetic_noise(noise_rng, titles, descriptions)
    flipped = noise_rng.random(rows) < config.label_noise
    return pd.DataFrame({
        "ticket_id": _ticket_ids(rows),
        "title": titles.to_numpy(dtype=object),
        "description": descriptions.to_numpy(dtype=object),
        "source": sources,
        "customer_tier": tiers,
        "created_at": _created_at(time_rng, rows, config.start, config.days),
        "urgent": (latent_urgent ^ flipped).astype("int64"),
    }, columns=list(OUTPUT_COLUMNS))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _require_int_at_least(name: str, value: int, minimum: int) -> None:
    is_int = isinstance(value, int | np.integer) and not isinstance(value, bool)
    _require(is_int and value >= minimum, f"{name} must be an integer >= {minimum} (got {value!r})")


def _require_in_range(name: str, value: float, low: float, high: float, *,
                      inclusive_high: bool = True) -> None:
    """Raise ValueError naming `name` unless `value` is a finite number in the given range."""
    is_number = isinstance(value, int | float | np.floating) and not isinstance(value, bool)
    in_range = is_number and math.isfinite(value) and low <= value and (
        value <= high if inclusive_high else value < high
    )
    closing = "]" if inclusive_high else ")"
    _require(in_range, f"{name} must be a number in [{low}, {high}{closing} (got {value!r})")


def _parse_start(start: str) -> np.datetime64:
    """Turn `start` into a UTC second-precision instant; naive timestamps are taken as UTC."""
    try:
        stamp = pd.Timestamp(start)
    except (TypeError, ValueError) as error:
        raise ValueError(f"start must be an ISO-8601 date or timestamp (got {start!r})") from error
    _require(not pd.isna(stamp), f"start must be an ISO-8601 date or timestamp (got {start!r})")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return np.datetime64(stamp.to_datetime64(), "s")


def _normalised_mix(name: str, mix: Mapping[str, float],
                    allowed: tuple[str, ...]) -> Mapping[str, float]:
    """Check keys and weights of a category mix; return it summing to 1, in contract key order."""
    _require(isinstance(mix, Mapping), f"{name} must be a mapping of category to weight")
    unknown_keys = sorted(str(key) for key in mix if key not in allowed)
    _require(not unknown_keys,
             f"{name} keys must be from {', '.join(allowed)} (got {', '.join(unknown_keys)})")
    for key, weight in mix.items():
        _require_in_range(f"{name}[{key!r}]", weight, 0.0, math.inf)
    total = float(sum(mix.values()))
    _require(total > 0, f"{name} weights must sum to > 0 (got {total})")
    return MappingProxyType({key: float(mix[key]) / total for key in allowed if key in mix})


def _probabilities(mix: Mapping[str, float], categories: tuple[str, ...]) -> np.ndarray:
    weights = np.array([mix.get(category, 0.0) for category in categories], dtype=float)
    return weights / weights.sum()


def _drifted_source_mix(config: GeneratorConfig) -> Mapping[str, float]:
    """Blend the configured source mix with `SHIFTED_SOURCE_MIX` by `drift.source_shift`."""
    shift = config.drift.source_shift
    base = _probabilities(config.source_mix, SOURCES)
    shifted = _probabilities(SHIFTED_SOURCE_MIX, SOURCES)
    return dict(zip(SOURCES, (1.0 - shift) * base + shift * shifted, strict=True))


def _draw_categories(rng: np.random.Generator, mix: Mapping[str, float],
                     categories: tuple[str, ...], rows: int) -> np.ndarray:
    choices = rng.choice(len(categories), size=rows, p=_probabilities(mix, categories))
    return np.array(categories, dtype=object)[choices]


def _urgency_probability(config: GeneratorConfig, sources: np.ndarray,
                         tiers: np.ndarray) -> np.ndarray:
    """Per-ticket chance of latent urgency: a shared intercept plus source and tier log-odds.

    The intercept is calibrated on the *configured* (not drifted) source mix, so a source shift is
    a pure covariate shift: P(urgent | source, tier) stays the same and the overall rate follows
    the mix. The latent rate is set so that, after symmetric label flips, the observed rate equals
    the target (as far as the label noise allows).
    """
    target = float(np.clip(config.urgent_rate + config.drift.urgent_rate_shift,
                           MIN_URGENT_RATE, MAX_URGENT_RATE))
    noise = config.label_noise
    latent_rate = float(np.clip((target - noise) / (1.0 - 2.0 * noise), 1e-4, 1.0 - 1e-4))
    intercept = _calibrated_intercept(latent_rate, config.source_mix, config.tier_mix)
    source_logit = pd.Series(sources).map(SOURCE_URGENCY_LOGIT).to_numpy(dtype=float)
    tier_logit = pd.Series(tiers).map(TIER_URGENCY_LOGIT).to_numpy(dtype=float)
    return _sigmoid(intercept + source_logit + tier_logit)


def _calibrated_intercept(rate: float, source_mix: Mapping[str, float],
                          tier_mix: Mapping[str, float]) -> float:
    """Find, by bisection, the intercept whose expected urgency over the mixes equals `rate`."""
    weights = np.outer(_probabilities(source_mix, SOURCES),
                       _probabilities(tier_mix, CUSTOMER_TIERS))
    offsets = np.add.outer([SOURCE_URGENCY_LOGIT[s] for s in SOURCES],
                           [TIER_URGENCY_LOGIT[t] for t in CUSTOMER_TIERS])
    low, high = -30.0, 30.0
    for _ in range(100):
        middle = (low + high) / 2.0
        if float((weights * _sigmoid(middle + offsets)).sum()) < rate:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def _sigmoid(values: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(values, dtype=float)))


def _draw_systems(rng: np.random.Generator, rows: int, new_vocabulary: float) -> np.ndarray:
    """The product each ticket is about; a `new_vocabulary` share names a drift-only product."""
    base = np.array(SYSTEMS, dtype=object)[rng.integers(len(SYSTEMS), size=rows)]
    drifted = np.array(DRIFT_SYSTEMS, dtype=object)[rng.integers(len(DRIFT_SYSTEMS), size=rows)]
    return np.where(rng.random(rows) < new_vocabulary, drifted, base)


def _write_texts(rng: np.random.Generator, latent_urgent: np.ndarray,
                 systems: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """Pick a writing style per ticket from its latent urgency and compose title and description."""
    rows = len(systems)
    mild = rng.random(rows) < MILD_URGENT_SHARE
    cued = rng.random(rows) < ROUTINE_WITH_CUES_SHARE
    style_index = np.where(latent_urgent, np.where(mild, 1, 0), np.where(cued, 3, 2))
    titles = np.empty(rows, dtype=object)
    descriptions = np.empty(rows, dtype=object)
    for index, style in enumerate(STYLES):
        chosen = style_index == index
        topics = rng.integers(len(style.topics), size=int(chosen.sum()))
        title_templates, opening_templates = zip(*style.topics, strict=True)
        titles[chosen] = _fill(title_templates, topics, systems[chosen])
        openings = _fill(opening_templates, topics, systems[chosen])
        descriptions[chosen] = _extend_description(rng, style, openings)
    return _capitalise_first(titles), _capitalise_first(descriptions)


def _extend_description(rng: np.random.Generator, style: _Style,
                        openings: np.ndarray) -> np.ndarray:
    """One to four sentences: the opening, then optional detail, context and closing."""
    rows = len(openings)
    description = openings
    optional_parts = (
        (style.details, DETAIL_SHARE), (NEUTRAL_CONTEXT, CONTEXT_SHARE),
        (style.closings, CLOSING_SHARE),
    )
    for pool, share in optional_parts:
        sentences = np.array(pool, dtype=object)[rng.integers(len(pool), size=rows)]
        present = rng.random(rows) < share
        description = description + np.where(present, " " + sentences, "")
    return description


def _fill(templates: tuple[str, ...], chosen: np.ndarray, systems: np.ndarray) -> np.ndarray:
    """Take each row's chosen template and put the row's system where the template names one."""
    parts = np.array([template.partition(SYSTEM_PLACEHOLDER) for template in templates],
                     dtype=object)
    head, placeholder, tail = parts[chosen].T
    return head + np.where(placeholder != "", systems, "") + tail


def _capitalise_first(texts: np.ndarray) -> pd.Series:
    series = pd.Series(texts, dtype=object)
    return series.str.slice(0, 1).str.upper() + series.str.slice(1)


def _add_cosmetic_noise(rng: np.random.Generator, titles: pd.Series,
                        descriptions: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Typos, shouted titles, lower-cased descriptions, stray whitespace and empty titles."""
    rows = len(titles)
    descriptions = _add_typos(rng, descriptions)
    titles = titles.where(rng.random(rows) >= SHOUTED_TITLE_SHARE, titles.str.upper())
    descriptions = descriptions.where(rng.random(rows) >= LOWERCASE_DESCRIPTION_SHARE,
                                      descriptions.str.lower())
    spaced = rng.random(rows) < EXTRA_WHITESPACE_SHARE
    titles = titles.where(~spaced, titles + "  ")
    descriptions = descriptions.where(~spaced, " " + descriptions.str.replace(" ", "   ", n=1))
    return titles.where(rng.random(rows) >= EMPTY_TITLE_SHARE, ""), descriptions


def _add_typos(rng: np.random.Generator, texts: pd.Series) -> pd.Series:
    """Misspell the first occurrence of one `TYPOS` word in a `TYPO_SHARE` of texts."""
    rows = len(texts)
    typo_rows = rng.random(rows) < TYPO_SHARE
    typo_choice = rng.integers(len(TYPOS), size=rows)
    texts = texts.copy()
    for index, (word, misspelling) in enumerate(TYPOS):
        chosen = typo_rows & (typo_choice == index)
        texts[chosen] = texts[chosen].str.replace(rf"\b{word}\b", misspelling, n=1, regex=True)
    return texts


def _ticket_ids(rows: int) -> np.ndarray:
    numbers = np.char.zfill(np.arange(1, rows + 1).astype(str), 6)
    return np.char.add("SYN-", numbers).astype(object)


def _created_at(rng: np.random.Generator, rows: int, start: str, days: int) -> np.ndarray:
    """Sorted UTC timestamps spread over `days` days from `start`, so ids follow time order."""
    offsets = np.sort(rng.integers(0, days * SECONDS_PER_DAY, size=rows))
    instants = _parse_start(start) + offsets.astype("timedelta64[s]")
    return np.datetime_as_string(instants, unit="s", timezone="UTC").astype(object)
