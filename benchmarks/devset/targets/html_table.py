"""Render a list of row dicts as an HTML table for the weekly status email."""


def escape(text):
    """Minimal HTML escaping for cell contents."""
    out = ""
    for ch in text:
        if ch == "&":
            out += "&amp;"
        elif ch == "<":
            out += "&lt;"
        elif ch == ">":
            out += "&gt;"
        else:
            out += ch
    return out


def render_table(rows, columns):
    """Return an HTML <table> with one header row and one <tr> per record."""
    html = "<table>\n<tr>"
    for col in columns:
        html = html + "<th>" + escape(col) + "</th>"
    html = html + "</tr>\n"
    for i in range(len(rows)):
        row = rows[i]
        if i % 2 == 0:
            html += '<tr class="even">'
        else:
            html += '<tr class="odd">'
        for col in columns:
            value = row.get(col, "")
            html = html + "<td>" + escape(str(value)) + "</td>"
        html += "</tr>\n"
    html = html + "</table>\n"
    return html
