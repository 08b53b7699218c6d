"""Reading a database id from user input (a query string, a posted field): ``parse_id``."""

MAX_ID = 2**63 - 1  # the largest value of a 64-bit signed integer column (SQLite, PostgreSQL bigint)


def parse_id(value) -> int | None:
    """The positive id written in ``value`` (a string of digits or an int), or None for anything
    else: empty, signed, not digits, zero, or beyond 64 bits. SQLite raises OverflowError on
    larger integers and PostgreSQL a DataError, so a caller answers None with a 404, an ignored
    filter or a form error before any query."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None
