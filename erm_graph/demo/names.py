"""Word lists the demo draws names from, and cheap seeded name makers."""

from __future__ import annotations

from random import Random

FIRST = (
    "Anna", "Ben", "Carla", "David", "Eva", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Karin",
    "Liam", "Maya", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wim", "Xenia", "Yusuf", "Zoe", "Amir", "Bea", "Chen", "Dara", "Emil", "Fatima", "Goran",
    "Hana", "Ivo", "Julia", "Kofi", "Lena", "Marco", "Nora", "Oskar", "Petra", "Rui", "Sara")
LAST = (
    "Schmidt", "Novak", "Rossi", "Garcia", "Okafor", "Tanaka", "Berg", "Dubois", "Kowalski",
    "Jensen", "Silva", "Fischer", "Nguyen", "Haddad", "Larsen", "Moreau", "Petrov", "Costa",
    "Weber", "Kim", "Murphy", "Ibrahim", "Horvat", "Lopez", "Andersson", "Meyer", "Ricci",
    "Sato", "Vogel", "Bauer", "Hoffmann", "Yilmaz", "Walsh", "Nakamura", "Dimitrov", "Brandt")
COMPANY_A = (
    "Alpine", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iron", "Juniper",
    "Keystone", "Lumen", "Maple", "Nova", "Orbit", "Pioneer", "Quartz", "River", "Summit",
    "Tidal", "Union", "Vertex", "Willow", "Zenith", "Crest", "Beacon", "Copper", "Silver")
COMPANY_B = (
    "Systems", "Foods", "Logistics", "Retail", "Health", "Energy", "Motors", "Labs", "Media",
    "Textiles", "Pharma", "Foundry", "Networks", "Hotels", "Farms", "Builders", "Software",
    "Metals", "Optics", "Marine")
COMPANY_C = ("GmbH", "AG", "Ltd", "Inc", "SA", "BV", "Oy", "AB", "SpA", "Group")
INDUSTRIES = ("manufacturing", "retail", "logistics", "healthcare", "energy", "software",
              "hospitality", "construction", "agriculture", "media", "finance", "public sector")
COUNTRIES = ("DE", "AT", "CH", "FR", "NL", "SE", "IT", "ES", "PL", "GB", "US", "DK", "FI")
SEGMENTS = ("enterprise", "smb", "consumer", "public")
NEEDS = ("offline mode", "bulk export", "multi-site dashboard", "longer warranty",
         "faster delivery", "API access", "spare parts catalogue", "energy report")
DEFECTS = ("sensor drift", "app crashes on login", "battery drains fast", "late invoice",
           "wrong part shipped", "firmware update failed", "display flickers")
IDEAS = ("bundle with maintenance", "loyalty discount", "self-service portal",
         "remote diagnostics", "subscription pricing")
PRAISE = ("quick response", "friendly technician", "easy setup", "great value",
          "clear documentation")


def person(rng: Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def company(rng: Random) -> str:
    return f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)} {rng.choice(COMPANY_C)}"


def email(name: str, domain: str) -> str:
    return f"{name.lower().replace(' ', '.')}@{domain}"
