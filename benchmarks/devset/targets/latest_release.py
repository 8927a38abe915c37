"""Find the newest and oldest release of each package from a flat release list."""


def parse_version(text):
    return tuple(int(part) for part in text.split("."))


def newest_versions(releases):
    """releases: list of (package, version string) -> dict package -> newest version string."""
    by_package = {}
    for package, version in releases:
        if package not in by_package:
            by_package[package] = []
        by_package[package].append(parse_version(version))
    newest = {}
    for package in by_package:
        best = sorted(by_package[package])[-1]
        newest[package] = ".".join(str(p) for p in best)
    return newest


def first_release_dates(events):
    """events: list of (package, day number) -> dict package -> earliest day."""
    result = {}
    for package, _ in events:
        days = [d for p, d in events if p == package]
        result[package] = sorted(days)[0]
    return result
