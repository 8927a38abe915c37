"""Quote the shipping cost of a batch of parcels from the carrier's rate card."""

from dataclasses import dataclass
from enum import Enum


class Zone(Enum):
    DOMESTIC = "domestic"
    EUROPE = "europe"
    WORLD = "world"


@dataclass
class Parcel:
    weight_g: int
    zone: Zone
    express: bool = False


# (zone, up to grams, cents)
RATE_CARD = [
    (Zone.DOMESTIC, 500, 390), (Zone.DOMESTIC, 2000, 590), (Zone.DOMESTIC, 10000, 990),
    (Zone.EUROPE, 500, 890), (Zone.EUROPE, 2000, 1390), (Zone.EUROPE, 10000, 2490),
    (Zone.WORLD, 500, 1490), (Zone.WORLD, 2000, 2990), (Zone.WORLD, 10000, 5490),
]


def quote_cents(parcels: list[Parcel]) -> int:
    total = 0
    for parcel in parcels:
        candidates = []
        for zone, limit, cents in RATE_CARD:
            if zone == parcel.zone and parcel.weight_g <= limit:
                candidates.append(cents)
        if not candidates:
            raise ValueError(f"no rate for {parcel.weight_g} g to {parcel.zone.value}")
        price = sorted(candidates)[0]
        if parcel.express:
            price = price * 3 // 2
        total += price
    return total
