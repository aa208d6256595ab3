"""The organisation's own words: what a scenario calls its units, sites and hub, in every message, figure and page.

ecosim's generator and its parameters speak of a retail chain (stores, regions, head office). A
scenario of another organisation says what it calls them::

    organisation:
      unit_word: team          # a store: the group people work in (team, ward, branch, office)
      units_word: teams        # its plural (default: unit_word + "s")
      site_word: site          # a region: the units under one manager (site, division, hospital)
      hub_word: shared services    # head office: the staff who work centrally

:func:`words` reads them from a scenario; :func:`say` puts them into a text written in retail words
(labels, captions, messages), so the retail defaults leave every text as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Words:
    """What the organisation calls its parts."""

    unit: str = "store"
    units: str = "stores"
    site: str = "region"
    sites: str = "regions"
    hub: str = "head office"

    @property
    def retail(self) -> bool:
        """Whether these are the retail words (texts are left as they are)."""
        return self == RETAIL


RETAIL = Words()


def plural(word: str) -> str:
    """A plain English plural: ``team`` -> ``teams``, ``branch`` -> ``branches``, ``facility`` -> ``facilities``."""
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


def words(scenario: Any) -> Words:
    """The words of a scenario (a validated :class:`~ecosim.scenario.schema.Scenario` or its dict)."""
    org = scenario.get("organisation", {}) if isinstance(scenario, dict) else getattr(scenario, "organisation", None)

    def get(name: str, default: str | None) -> str | None:
        if org is None:
            return default
        value = org.get(name, default) if isinstance(org, dict) else getattr(org, name, default)
        return default if value is None else str(value)

    unit = get("unit_word", RETAIL.unit) or RETAIL.unit
    site = get("site_word", RETAIL.site) or RETAIL.site
    return Words(
        unit=unit,
        units=get("units_word", None) or (RETAIL.units if unit == RETAIL.unit else plural(unit)),
        site=site,
        sites=get("sites_word", None) or (RETAIL.sites if site == RETAIL.site else plural(site)),
        hub=get("hub_word", RETAIL.hub) or RETAIL.hub,
    )


_RETAIL_TERMS = re.compile(r"\b(stores|store|regions|region|head office|head-office|shop floor)\b", re.IGNORECASE)


def say(text: str, w: Words | None) -> str:
    """``text``, written in retail words, in the organisation's words (capitals kept at the start of words)."""
    if w is None or w.retail:
        return text

    def swap(m: re.Match[str]) -> str:
        found = m.group(0)
        key = found.lower()
        new = {
            "stores": w.units,
            "store": w.unit,
            "regions": w.sites,
            "region": w.site,
            "head office": w.hub,
            "head-office": w.hub,
            "shop floor": "front line",
        }[key]
        return new[:1].upper() + new[1:] if found[:1].isupper() else new

    return _RETAIL_TERMS.sub(swap, text)
