"""Finding indicators, sets and observations by the names analysts type."""

from __future__ import annotations

from sqlmodel import Session, col, select

from tracker.services.inputs import InputError
from tracker.storage.models import Indicator, IndicatorSet, Observation

# An observation id may be shortened, as with git commits, to a prefix this long or longer.
MIN_ID_PREFIX = 6


def _suggest(word: str, known: list[str]) -> str:
    # Imported here: only a mistyped name needs it, and `tracker observe` starts without it.
    import difflib

    close = difflib.get_close_matches(word, known, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(k) for k in close)}?" if close else ""


def find_set(session: Session, slug: str | None) -> IndicatorSet | None:
    """The set named by slug, or None for "every set" when no slug is given."""
    if slug is None:
        return None
    indicator_set = session.exec(select(IndicatorSet).where(IndicatorSet.slug == slug)).first()
    if indicator_set is None:
        known = list(session.exec(select(IndicatorSet.slug)).all())
        listing = f" (sets: {', '.join(sorted(known))})" if known else " (no sets are loaded)"
        raise InputError(f"no indicator set '{slug}'{_suggest(slug, known)}{listing}")
    return indicator_set


def find_indicator(
    session: Session, key: str, set_slug: str | None = None, *, allow_retired: bool = False
) -> Indicator:
    """The indicator with this key, in the given set or, if the key is unique, in any set."""
    key = key.strip()
    indicator_set = find_set(session, set_slug)
    query = select(Indicator)
    if indicator_set is not None:
        query = query.where(Indicator.set_id == indicator_set.id)
    matches = session.exec(query.where(Indicator.key == key)).all()
    if not allow_retired:
        # A retired indicator keeps its history, but its key is free for a live one elsewhere.
        live = [m for m in matches if m.retired_at is None]
        if matches and not live:
            raise InputError(
                f"indicator '{key}' is retired (it is no longer in its definition file); "
                "its history is kept, but nothing new can be recorded against it"
            )
        matches = live
    if not matches:
        known = list(session.exec(query.with_only_columns(Indicator.key)).all())
        raise InputError(f"no indicator with key '{key}'{_suggest(key, known)}")
    if len(matches) > 1:
        slugs = sorted(session.get_one(IndicatorSet, m.set_id).slug for m in matches)
        raise InputError(f"key '{key}' is in several sets ({', '.join(slugs)}); say which set")
    return matches[0]


def find_observation(session: Session, ref: str) -> Observation:
    """An observation by its id, or by an unambiguous prefix of it."""
    ref = ref.strip().lower()
    if len(ref) < MIN_ID_PREFIX:
        raise InputError(
            f"observation id '{ref}' is too short; give at least {MIN_ID_PREFIX} characters"
        )
    escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    matches = session.exec(
        select(Observation).where(col(Observation.uuid).like(f"{escaped}%", escape="\\")).limit(2)
    ).all()
    if not matches:
        raise InputError(f"no observation with id '{ref}'")
    if len(matches) > 1:
        raise InputError(f"observation id '{ref}' is ambiguous; give more characters")
    return matches[0]
