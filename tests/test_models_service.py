"""Work types and service targets: modes, measures, concurrency, tiers."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from models import Channel, Measure, Mode, OutsideHours, ServiceTarget, WorkType


def _work_type(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "billing_phone",
        "channel": "phone",
        "skill": "billing",
        "priority": 1,
        "target": {"service_level": 0.8, "within_s": 20},
        "aht_s": 300,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("channel", "mode"),
    [("phone", Mode.REALTIME), ("chat", Mode.REALTIME), ("email", Mode.DEFERRED), ("ticket", Mode.DEFERRED)],
)
def test_mode_defaults_from_channel(channel: str, mode: Mode) -> None:
    measure = "answer" if mode is Mode.REALTIME else "first_response"
    work_type = WorkType.model_validate(
        _work_type(channel=channel, target={"service_level": 0.9, "within_s": 3600, "measure": measure})
    )
    assert work_type.mode is mode
    assert work_type.channel is Channel(channel)


@pytest.mark.parametrize("aht", [0, -1, -0.5])
def test_work_type_aht_must_be_positive(aht: float) -> None:
    with pytest.raises(ValidationError) as caught:
        WorkType.model_validate(_work_type(aht_s=aht))
    assert [e["loc"] for e in caught.value.errors()] == [("aht_s",)]


def test_realtime_needs_answer_measure() -> None:
    target = {"service_level": 0.8, "within_s": 20, "measure": "first_response"}
    with pytest.raises(ValidationError, match="set target.measure: answer"):
        WorkType.model_validate(_work_type(target=target))


def test_deferred_rejects_answer_measure_and_patience() -> None:
    with pytest.raises(ValidationError, match="deferred work type measures first_response or resolution"):
        WorkType.model_validate(_work_type(channel="email"))
    target = {"service_level": 0.9, "within_s": 86400, "measure": "resolution", "mean_patience_s": 60}
    with pytest.raises(ValidationError, match="mean_patience_s applies to realtime queues only"):
        WorkType.model_validate(_work_type(channel="email", target=target))


def test_concurrency_only_on_concurrent_channels() -> None:
    chat = WorkType.model_validate(_work_type(channel="chat", concurrency=3))
    assert chat.concurrency == 3
    with pytest.raises(ValidationError, match="set concurrency: 1 for phone"):
        WorkType.model_validate(_work_type(concurrency=2))


def test_overlapping_opening_hours_are_rejected() -> None:
    hours = [
        {"weekday": "mon", "start_minute": "08:00", "end_minute": "12:00"},
        {"weekday": "mon", "start_minute": "11:00", "end_minute": "13:00"},
    ]
    with pytest.raises(ValidationError, match=r"opening_hours\[0\] .* overlaps opening_hours\[1\]"):
        WorkType.model_validate(_work_type(opening_hours=hours))


def test_tier_threshold_may_only_tighten() -> None:
    target = ServiceTarget(service_level=0.8, within_s=20, tier_within_s={"gold": 10})
    assert (target.within_s_for("gold"), target.within_s_for("standard"), target.within_s_for(None)) == (10, 20, 20)
    with pytest.raises(ValidationError, match=r"use a value in 1..20"):
        ServiceTarget(service_level=0.8, within_s=20, tier_within_s={"gold": 30})


@pytest.mark.parametrize("level", [0, 1.01, -0.2])
def test_service_level_in_unit_interval(level: float) -> None:
    with pytest.raises(ValidationError, match="service_level"):
        ServiceTarget(service_level=level, within_s=20)


def test_measure_values() -> None:
    assert {m.value for m in Measure} == {"answer", "first_response", "resolution"}


def test_outside_hours_defaults_by_mode_and_can_be_set() -> None:
    """Realtime work drops contacts that arrive while closed, deferred work keeps them for the next opening,
    unless the work type says otherwise; anything else is refused."""
    phone = WorkType.model_validate(_work_type())
    email = WorkType.model_validate(
        _work_type(channel="email", target={"service_level": 0.9, "within_s": 86400, "measure": "first_response"})
    )
    assert phone.outside_hours is None and phone.outside_hours_rule is OutsideHours.DROP
    assert email.outside_hours_rule is OutsideHours.NEXT_OPENING
    moved = WorkType.model_validate(_work_type(outside_hours="next_opening"))
    assert moved.outside_hours_rule is OutsideHours.NEXT_OPENING
    with pytest.raises(ValidationError, match="outside_hours"):
        WorkType.model_validate(_work_type(outside_hours="queue"))
