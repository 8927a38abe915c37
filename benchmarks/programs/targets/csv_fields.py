"""Split CSV lines into fields, honouring double-quoted fields with embedded commas."""


def csv_fields(lines: list[str]) -> list[list[str]]:
    rows = []
    for line in lines:
        fields = []
        field = ""
        quoted = False
        for ch in line:
            if ch == '"':
                quoted = not quoted
            elif ch == "," and not quoted:
                fields.append(field)
                field = ""
            else:
                field = field + ch
        fields.append(field)
        rows.append(fields)
    return rows
