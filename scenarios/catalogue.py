"""The demo centre's building blocks as data: work types, contracts, shift templates, skill profiles, sizes.

A fictional broadband and mobile provider with a contact centre in England: phone queues for billing,
technical support, sales and cancellations (retention), a chat queue, a billing email inbox and second-line
technical tickets. Larger sizes add Spanish- and French-language queues served by bilingual agents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "CHANNEL_SHAPES",
    "CONTRACTS",
    "SIZES",
    "SKILL_PROFILES",
    "TIERS",
    "WORK_TYPES",
    "ChannelShape",
    "SizeSpec",
    "SkillProfile",
    "WorkTypeSpec",
]


@dataclass(frozen=True)
class WorkTypeSpec:
    """A work type of the catalogue, with what the generator needs beyond the model: workload share, AHT spread."""

    id: str
    name: str
    channel: str
    skill: str
    priority: int
    service_level: float
    within_s: int
    aht_s: float
    aht_cv: float  # coefficient of variation of the lognormal handle time
    workload_share: float  # share of the centre's handled workload
    measure: str = "answer"
    mean_patience_s: float | None = None
    concurrency: int = 1
    max_occupancy: float = 0.85
    platinum_within_s: int | None = None
    opening_hours: tuple[tuple[str, str, str], ...] = ()  # (weekday, start, end); empty: the centre's


@dataclass(frozen=True)
class ChannelShape:
    """Arrival pattern of a channel: intraday peaks (hour, height, width in hours), a floor, weekday factors."""

    peaks: tuple[tuple[float, float, float], ...]
    floor: float
    weekday: tuple[float, float, float, float, float, float, float]
    holiday_factor: float  # volume on a public holiday relative to the same weekday
    abandon_share: float  # share of contacts that leave before being handled (no handle time)


CHANNEL_SHAPES = {
    "phone": ChannelShape(
        peaks=((10.0, 1.0, 1.4), (14.5, 0.8, 1.7), (19.0, 0.3, 1.3)),
        floor=0.04,
        weekday=(1.25, 1.10, 1.05, 1.00, 0.95, 0.55, 0.30),
        holiday_factor=0.35,
        abandon_share=0.05,
    ),
    "chat": ChannelShape(
        peaks=((11.0, 0.7, 2.0), (20.0, 1.0, 1.8)),
        floor=0.05,
        weekday=(1.10, 1.05, 1.00, 1.00, 1.00, 0.80, 0.75),
        holiday_factor=0.60,
        abandon_share=0.04,
    ),
    "email": ChannelShape(
        peaks=((10.0, 1.0, 3.0), (15.0, 0.8, 3.0)),
        floor=0.15,
        weekday=(1.30, 1.10, 1.00, 1.00, 0.95, 0.45, 0.35),
        holiday_factor=0.40,
        abandon_share=0.0,
    ),
    "ticket": ChannelShape(
        peaks=((11.0, 1.0, 2.5), (15.5, 0.9, 2.5)),
        floor=0.05,
        weekday=(1.20, 1.15, 1.05, 1.00, 0.95, 0.40, 0.25),
        holiday_factor=0.40,
        abandon_share=0.0,
    ),
}

_WEEKDAYS_RETENTION = (
    *((d, "08:00", "20:00") for d in ("mon", "tue", "wed", "thu", "fri")),
    ("sat", "09:00", "17:00"),
)

WORK_TYPES: tuple[WorkTypeSpec, ...] = (
    WorkTypeSpec(
        "retention_phone",
        "Cancellations and retention",
        "phone",
        "retention",
        1,
        0.85,
        20,
        540,
        0.8,
        0.08,
        mean_patience_s=240,
        platinum_within_s=10,
        opening_hours=_WEEKDAYS_RETENTION,
    ),
    WorkTypeSpec(
        "billing_phone",
        "Billing enquiries",
        "phone",
        "billing",
        2,
        0.80,
        20,
        330,
        0.7,
        0.25,
        mean_patience_s=180,
        platinum_within_s=10,
    ),
    WorkTypeSpec(
        "tech_phone",
        "Technical support",
        "phone",
        "tech",
        2,
        0.80,
        30,
        480,
        0.8,
        0.22,
        mean_patience_s=240,
        platinum_within_s=15,
    ),
    WorkTypeSpec(
        "sales_phone", "New sales and upgrades", "phone", "sales", 3, 0.80, 30, 390, 0.7, 0.12, mean_patience_s=150
    ),
    WorkTypeSpec(
        "support_chat",
        "Web chat",
        "chat",
        "chat",
        2,
        0.80,
        60,
        720,
        0.6,
        0.12,
        mean_patience_s=300,
        concurrency=2,
    ),
    WorkTypeSpec(
        "billing_email",
        "Billing e-mail",
        "email",
        "email",
        4,
        0.90,
        24 * 3600,
        420,
        0.6,
        0.11,
        measure="first_response",
        max_occupancy=0.95,
        platinum_within_s=4 * 3600,
    ),
    WorkTypeSpec(
        "tech_ticket",
        "Second-line technical tickets",
        "ticket",
        "tech_l2",
        3,
        0.90,
        8 * 3600,
        900,
        0.9,
        0.10,
        measure="resolution",
        max_occupancy=0.95,
        platinum_within_s=4 * 3600,
    ),
)

#: Language variants added in the larger sizes: suffix -> the base work types that get a variant.
LANGUAGE_VARIANTS = {
    "es": ("billing_phone", "tech_phone", "support_chat"),
    "fr": ("billing_phone", "tech_phone", "support_chat"),
}
#: Workload share of each language variant, taken from its base work type.
LANGUAGE_SHARE = 0.12

TIERS = (("platinum", "Platinum", 4.0, 0.05), ("gold", "Gold", 2.0, 0.20), ("standard", "Standard", 1.0, 0.75))


@dataclass(frozen=True)
class ContractSpec:
    id: str
    name: str
    min_paid_minutes_week: int
    max_paid_minutes_week: int
    target_paid_minutes_week: int
    max_working_days: int
    shift_templates: tuple[str, ...]
    share: float
    max_working_weekends: int
    hourly_cost: tuple[float, float]
    min_consecutive_days_off: int = 2


CONTRACTS = (
    ContractSpec("ft40", "Full time, 40 h", 2160, 2400, 2400, 5, ("early", "day", "late"), 0.65, 1, (22.0, 28.0)),
    ContractSpec("pt30", "Part time, 30 h", 1500, 1920, 1800, 5, ("part",), 0.20, 1, (20.0, 24.0)),
    ContractSpec("pt20", "Part time, 20 h", 960, 1320, 1200, 4, ("part",), 0.15, 1, (20.0, 24.0), 3),
)


@dataclass(frozen=True)
class SkillProfile:
    """A kind of agent: the skills (primary first) and how common it is."""

    skills: tuple[str, ...]
    weight: float


SKILL_PROFILES = (
    SkillProfile(("billing", "sales"), 0.15),
    SkillProfile(("billing",), 0.12),
    SkillProfile(("tech",), 0.12),
    SkillProfile(("tech", "tech_l2"), 0.08),
    SkillProfile(("chat", "billing"), 0.10),
    SkillProfile(("chat",), 0.08),
    SkillProfile(("email", "billing"), 0.08),
    SkillProfile(("tech_l2", "email"), 0.05),
    SkillProfile(("retention", "billing"), 0.07),
    SkillProfile(("sales",), 0.07),
    SkillProfile(("billing", "tech", "chat"), 0.05),
    SkillProfile(("retention", "billing", "tech", "sales", "chat", "email"), 0.03),
)


@dataclass(frozen=True)
class SizeSpec:
    name: str
    agents: int
    regions: tuple[str, ...]
    languages: tuple[str, ...] = field(default=())


SIZES = {
    "S": SizeSpec("S", 20, ("north", "south")),
    "M": SizeSpec("M", 100, ("north", "south")),
    "L": SizeSpec("L", 300, ("north", "south", "west"), ("es",)),
    "XL": SizeSpec("XL", 1000, ("north", "south", "west", "east"), ("es", "fr")),
}
