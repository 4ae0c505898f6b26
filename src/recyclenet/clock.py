"""Clock times, weekdays and tiers: the plain vocabulary the core and the configuration
share (the core imports this, never the configuration)."""

from __future__ import annotations

import re

TIERS: tuple[str, ...] = ("collection_point", "transfer_station", "sorting_centre")
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def hhmm_to_min(text: str) -> int:
    """Convert ``"HH:MM"`` to minutes after midnight."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_clock(text: str) -> int | None:
    """Minutes after midnight of a typed ``H:MM`` or ``HH:MM``, or of ``HH:MM:SS`` as an
    Excel time cell reads (rounded to the minute); ``None`` if it is not one (a time
    after 24:00 is none either)."""
    found = _CLOCK.match(text.strip())
    if found is None:
        return None
    hours, minutes, seconds = found.groups()
    value = int(hours) * 60 + int(minutes) + round(float(seconds or 0) / 60)
    return value if value <= 24 * 60 else None


_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)(?::([0-5]\d(?:\.\d*)?))?$")

# Weekday names a dispatcher may type: mon, Monday, 周一, 星期一, 礼拜一 (Sunday also 日/天).
_WEEKDAY_NAMES: dict[str, str] = {
    **{d: d for d in WEEKDAYS},
    **{
        full: d
        for d, full in zip(
            WEEKDAYS,
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
            strict=True,
        )
    },
    **{
        prefix + digit: d
        for d, digits in zip(WEEKDAYS, ("一", "二", "三", "四", "五", "六", "日天"), strict=True)
        for digit in digits
        for prefix in ("周", "星期", "礼拜")
    },
}


def parse_weekday(text: str) -> str | None:
    """The weekday code (``"mon"`` ... ``"sun"``) of a typed name: ``mon``, ``Monday``,
    ``周一``, ``星期一`` or ``礼拜一``; ``None`` if it is none of them."""
    return _WEEKDAY_NAMES.get(text.strip().lower())


def min_to_hhmm(minutes: float) -> str:
    """Convert minutes after midnight to ``"HH:MM"`` (rounded to the minute)."""
    total = int(round(minutes))
    return f"{total // 60:02d}:{total % 60:02d}"
