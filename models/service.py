"""What the centre serves: skills, customer tiers, work types and their service targets."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from models.base import FrozenModel, Identifier
from models.calendar import WeeklyWindow, overlapping_windows

__all__ = ["Channel", "CustomerTier", "Measure", "Mode", "OutsideHours", "ServiceTarget", "Skill", "WorkType"]


class Channel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    TICKET = "ticket"
    MESSAGING = "messaging"
    SOCIAL = "social"
    CALLBACK = "callback"


class Mode(StrEnum):
    """Realtime work is answered while the customer waits; deferred work waits in a backlog until its deadline."""

    REALTIME = "realtime"
    DEFERRED = "deferred"


class Measure(StrEnum):
    """What a service target measures."""

    ANSWER = "answer"  # realtime: answered within T seconds of arrival
    FIRST_RESPONSE = "first_response"  # deferred: first response within T seconds of creation
    RESOLUTION = "resolution"  # deferred: resolved within T seconds of creation


class OutsideHours(StrEnum):
    """What becomes of contacts that arrive while a work type is closed (outside its opening hours, or on a day
    the centre is closed): ``drop`` them (a caller hears the closed message: nobody has to answer them) or move
    them to the ``next_opening`` (an e-mail waits in the inbox: the backlog arrives when the work type opens)."""

    DROP = "drop"
    NEXT_OPENING = "next_opening"


#: What a work type does with contacts outside its opening hours when it does not say, by mode.
DEFAULT_OUTSIDE_HOURS = {Mode.REALTIME: OutsideHours.DROP, Mode.DEFERRED: OutsideHours.NEXT_OPENING}

#: The mode a channel has when a work type does not say.
DEFAULT_MODE = {
    Channel.PHONE: Mode.REALTIME,
    Channel.CHAT: Mode.REALTIME,
    Channel.EMAIL: Mode.DEFERRED,
    Channel.TICKET: Mode.DEFERRED,
    Channel.MESSAGING: Mode.DEFERRED,
    Channel.SOCIAL: Mode.DEFERRED,
    Channel.CALLBACK: Mode.DEFERRED,
}
#: Channels on which one agent may serve several contacts at once.
CONCURRENT_CHANNELS = frozenset({Channel.CHAT, Channel.MESSAGING, Channel.SOCIAL})


class Skill(FrozenModel):
    id: Identifier
    name: str = ""


class CustomerTier(FrozenModel):
    """A customer value tier (e.g. platinum, gold, standard). `weight` scales the cost of failing its customers."""

    id: Identifier
    name: str = ""
    weight: float = Field(default=1.0, gt=0)


class ServiceTarget(FrozenModel):
    """``service_level`` of contacts meet ``measure`` within ``within_s`` seconds.

    Realtime: answer 80% within 20 s (``service_level=0.8, within_s=20``), with an optional mean patience for
    abandonment (Erlang A). With a patience, ``max_abandon_rate`` caps the share of callers who hang up, and
    ``service_level_over`` says what the service level divides by: ``offered`` (answered within T over all
    offered contacts; an abandoned contact is a miss; the default, and the stricter) or ``answered`` (answered
    within T over answered contacts; pair it with ``max_abandon_rate``, since it rewards callers hanging up).
    Deferred: first response 90% within 24 h (``measure=first_response,
    within_s=86400``). ``tier_within_s`` tightens the threshold for some customer tiers.
    """

    service_level: float = Field(gt=0, le=1)
    within_s: int = Field(gt=0)
    measure: Measure = Measure.ANSWER
    mean_patience_s: float | None = Field(default=None, gt=0)
    max_abandon_rate: float | None = Field(default=None, gt=0, lt=1)
    service_level_over: Literal["offered", "answered"] = "offered"
    tier_within_s: dict[Identifier, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _tiers_tighten(self) -> ServiceTarget:
        if self.mean_patience_s is None and (self.max_abandon_rate is not None or self.service_level_over != "offered"):
            raise ValueError(
                "max_abandon_rate and service_level_over need abandonment: give mean_patience_s (Erlang A)"
            )
        for tier, seconds in self.tier_within_s.items():
            if not 0 < seconds <= self.within_s:
                raise ValueError(
                    f"tier '{tier}' has within_s={seconds}; a tier may only tighten the target, so use a value "
                    f"in 1..{self.within_s}"
                )
        return self

    def within_s_for(self, tier: str | None) -> int:
        """The answer/response threshold for a customer of `tier`."""
        if tier is None:
            return self.within_s
        return self.tier_within_s.get(tier, self.within_s)


class WorkType(FrozenModel):
    """A queue: contacts of one kind on one channel, served by agents with one skill.

    ``priority`` 1 is the highest. ``aht_s`` is the default average handle time, used where history has none.
    ``concurrency`` is how many contacts of this type one agent handles at once (chat). ``opening_hours`` limit
    when it is worked (empty: the centre's opening hours). ``outside_hours`` says what becomes of contacts that
    arrive while it is closed (`OutsideHours`; by default ``drop`` for realtime work, ``next_opening`` for
    deferred work: see `outside_hours_rule`).
    """

    id: Identifier
    name: str = ""
    channel: Channel
    mode: Mode
    skill: Identifier
    priority: int = Field(ge=1, le=9)
    target: ServiceTarget
    aht_s: float = Field(gt=0)
    concurrency: int = Field(default=1, ge=1, le=20)
    max_occupancy: float = Field(default=1.0, gt=0, le=1)
    opening_hours: list[WeeklyWindow] = Field(default_factory=list)
    outside_hours: OutsideHours | None = None

    @property
    def outside_hours_rule(self) -> OutsideHours:
        """`outside_hours`, or the default of the work type's mode (`DEFAULT_OUTSIDE_HOURS`)."""
        return self.outside_hours or DEFAULT_OUTSIDE_HOURS[self.mode]

    @model_validator(mode="before")
    @classmethod
    def _default_mode(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("mode") is None and "channel" in data:
            try:
                data = {**data, "mode": DEFAULT_MODE[Channel(data["channel"])]}
            except ValueError:
                pass  # the field validator reports the unknown channel
        return data

    @model_validator(mode="after")
    def _consistent(self) -> WorkType:
        if self.mode is Mode.REALTIME and self.target.measure is not Measure.ANSWER:
            raise ValueError(
                f"a realtime work type measures 'answer', not '{self.target.measure}'; set target.measure: answer "
                "or make the work type deferred"
            )
        if self.mode is Mode.DEFERRED:
            if self.target.measure is Measure.ANSWER:
                raise ValueError(
                    "a deferred work type measures first_response or resolution; set target.measure accordingly"
                )
            if self.target.mean_patience_s is not None:
                raise ValueError("mean_patience_s applies to realtime queues only; remove it from this work type")
        if self.concurrency > 1 and self.channel not in CONCURRENT_CHANNELS:
            raise ValueError(
                f"concurrency {self.concurrency} is only possible on "
                f"{', '.join(sorted(c.value for c in CONCURRENT_CHANNELS))}; set concurrency: 1 for {self.channel}"
            )
        overlaps = overlapping_windows(self.opening_hours)
        if overlaps:
            i, j = overlaps[0]
            raise ValueError(
                f"opening_hours[{i}] ({self.opening_hours[i].describe()}) overlaps opening_hours[{j}] "
                f"({self.opening_hours[j].describe()}); merge them into one window"
            )
        return self
