# The files carry real typography: en dashes for ranges, multiplication signs.
# ruff: noqa: RUF001
"""The files attached to demo documents: a customer drawing, a standard's summary sheet, a
first-article form (PDF, drawn with WeasyPrint) and a receiving checklist (XLSX)."""

from __future__ import annotations

import io

_PDF_STYLE = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: sans-serif; font-size: 9pt; color: #111; }
h1 { font-size: 14pt; margin: 0 0 4mm; }
table { border-collapse: collapse; width: 100%; margin-bottom: 4mm; }
th, td { border: 0.6pt solid #333; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #eee; }
.blank td { height: 7mm; }
"""


def _pdf(body: str, *, portrait: bool = False) -> bytes:
    style = _PDF_STYLE.replace("A4 landscape", "A4") if portrait else _PDF_STYLE
    document = f"<html><head><style>{style}</style></head><body>{body}</body></html>"
    import weasyprint  # loads Pango, so only when the demo makes its PDFs

    return bytes(weasyprint.HTML(string=document).write_pdf())


def housing_drawing_pdf() -> bytes:
    rows = "".join(
        f"<tr><td>{balloon}</td><td>{what}</td><td>{req}</td></tr>"
        for balloon, what, req in [
            (4, "Main bore", "Ø74.000 +0.035/0"),
            (7, "Bore position to datum A B", "Ø0.05"),
            (9, "Face flatness", "0.02"),
            (12, "Thread M6 × 1.0 – 6H", "8 places"),
            (15, "Surface finish, bore", "Ra 0.8"),
        ]
    )
    svg = """
<svg width="480" height="230" xmlns="http://www.w3.org/2000/svg">
  <rect x="20" y="20" width="300" height="190" fill="none" stroke="#000" stroke-width="2"/>
  <circle cx="170" cy="115" r="62" fill="none" stroke="#000" stroke-width="2"/>
  <line x1="90" y1="115" x2="250" y2="115" stroke="#000" stroke-dasharray="10,4"/>
  <line x1="170" y1="35" x2="170" y2="195" stroke="#000" stroke-dasharray="10,4"/>
  <circle cx="45" cy="45" r="6" fill="none" stroke="#000"/>
  <circle cx="295" cy="45" r="6" fill="none" stroke="#000"/>
  <circle cx="45" cy="185" r="6" fill="none" stroke="#000"/>
  <circle cx="295" cy="185" r="6" fill="none" stroke="#000"/>
  <text x="340" y="110" font-size="13">Ø74.000 +0.035/0</text>
  <text x="340" y="130" font-size="13">(4) Ra 0.8</text>
  <text x="20" y="15" font-size="12">VIEW A</text>
</svg>"""
    return _pdf(
        f"""
<h1>HSG-4471 Housing, machined — drawing revision D</h1>
{svg}
<table><tr><th>Balloon</th><th>Characteristic</th><th>Requirement</th></tr>{rows}</table>
<table>
<tr><th>Material</th><td>EN AW-6082 T6</td><th>General tolerances</th><td>ISO 2768-mK</td></tr>
<tr><th>Edges</th><td>Break all sharp edges 0.1–0.3</td><th>Units</th><td>mm</td></tr>
<tr><th>Drawn</th><td>Customer engineering</td><th>Revision</th><td>D</td></tr>
</table>
<p>Controlled at Aldermoor Precision as a customer drawing. Do not scale.</p>
"""
    )


def astm_summary_pdf() -> bytes:
    return _pdf(
        """
<h1>ASTM F138-19 — summary sheet (Aldermoor Precision)</h1>
<p>Prepared by document control for receiving inspection and purchasing. This is a summary of
the requirements we check, not the standard; read the licensed standard for the full text.</p>
<table>
<tr><th>Topic</th><th>What we check</th></tr>
<tr><td>Material</td><td>UNS S31673, 18Cr-14Ni-2.5Mo, vacuum remelted</td></tr>
<tr><td>Chemistry</td><td>Heat analysis on the mill certificate within Table 1;
Cr + 3.3 × Mo at least 26.0</td></tr>
<tr><td>Inclusions</td><td>ASTM E45 method A ratings on the certificate</td></tr>
<tr><td>Grain size</td><td>ASTM 5 or finer</td></tr>
<tr><td>Mechanical properties</td><td>Tensile, yield and elongation for the condition ordered
(annealed, cold worked, extra hard)</td></tr>
<tr><td>Certification</td><td>Mill certificate with heat number, edition of the standard,
and results of every required test</td></tr>
</table>
<p>Used by the bar specification and receiving inspection of the implant component line.</p>
""",
        portrait=True,
    )


def fai_form_pdf(number: str) -> bytes:
    blank = "".join("<tr class='blank'>" + "<td></td>" * 8 + "</tr>" for _ in range(12))
    return _pdf(
        f"""
<h1>{number} First-article inspection report</h1>
<table>
<tr><th>Part number</th><td></td><th>Drawing and revision</th><td></td>
<th>Job number</th><td></td></tr>
<tr><th>Customer</th><td></td><th>Reason</th>
<td>new part / new revision / process change / 2 years</td><th>Date</th><td></td></tr>
<tr><th>Material specification</th><td></td><th>Heat / cast number</th><td></td>
<th>Certificate numbers</th><td></td></tr>
</table>
<table>
<tr><th>Balloon</th><th>Characteristic</th><th>Nominal</th><th>Tolerance</th>
<th>Measured</th><th>Instrument / CMM program</th><th>Gauge number</th><th>Conforms</th></tr>
{blank}
</table>
<table>
<tr><th>Decision</th><td>accepted / rejected</td><th>Inspector</th><td></td>
<th>Signature and date</th><td></td></tr>
<tr><th>Implant components</th><td colspan="5">Medical Line Quality Engineer countersignature:
</td></tr>
</table>
"""
    )


def receiving_checklist_xlsx(number: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.create_sheet("Checklist", 0)
    book.remove(book.worksheets[1])
    sheet.append([f"{number} Receiving inspection checklist"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append(["Check", "Record"])
    for check in [
        "Goods-in number",
        "Purchase order and line",
        "Supplier and class (A / B / C)",
        "Part number and revision match the PO",
        "Quantity delivered",
        "Packaging condition",
        "Certificate of conformity present",
        "Mill certificate: heat number matches bar marking",
        "Chemistry and mechanical properties within specification",
        "Special process certificate",
        "Sample size and plan",
        "Decision (accepted / rejected, NC number)",
        "Inspector and date",
    ]:
        sheet.append([check, ""])
    sheet.column_dimensions["A"].width = 55
    sheet.column_dimensions["B"].width = 30
    results = book.create_sheet("Results")
    results.append(
        ["Part", "Characteristic", "Nominal", "Tolerance", "Measured", "Gauge number", "Result"]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
