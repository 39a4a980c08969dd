"""Files made by real tools for the format tests: a report PDF with running furniture, a drawing, an
encrypted PDF, a Word memo."""

from __future__ import annotations

from pathlib import Path

from tests.test_server import chroma_server as chroma_server  # a real `chroma run`, as a fixture

DATA = Path(__file__).parent / "data"
HEADER = "Riverton Harbour Authority - Annual Report 2024"
FOOTER_URL = "https://riverton.example/annual-report"
BROKEN_SENTENCE = "The committee decided after a long debate to postpone the vote on the new toll until the spring."
PAGE_THREE_SENTENCE = "The ferry carried forty-one thousand passengers during the eleven weeks of the closure."
FILLER = [
    "Engineers walked the whole deck of the bridge every morning and wrote down each crack they found.",
    "Every loose bolt was marked with yellow paint so that the night shift could tighten it.",
    "The rusted plates under the central span were cut out and replaced with new galvanised steel.",
    "Traffic counts were taken at both ends of the bridge to plan the diversions for the summer.",
]


def make_report_pdf(path: Path) -> None:
    """A three-page report drawn with reportlab: a running header and footer (URL, "n/3") on every
    page, headings in a larger font, and a sentence that runs from page 1 onto page 2."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    width, height = A4
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle("Harbour Bridge Annual Report 2024")
    pages = [
        [("Inspection", 16), *[(line, 11) for line in FILLER * 2], ("", 11),
         ("The committee decided after a long debate to", 11)],
        [("postpone the vote on the new toll until the spring.", 11), *[(line, 11) for line in FILLER]],
        [("Closure", 16), *[(line, 11) for line in FILLER[:2]], ("", 11), (PAGE_THREE_SENTENCE, 11)],
    ]
    for number, lines in enumerate(pages, start=1):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(60, height - 40, HEADER)
        pdf.drawString(60, 30, FOOTER_URL)
        pdf.drawRightString(width - 60, 30, f"{number}/3")
        y = height - 90
        for text, size in lines:
            if size > 11:
                y -= 10
            pdf.setFont("Helvetica-Bold" if size > 11 else "Helvetica", size)
            pdf.drawString(60, y, text)
            y -= size * 1.3 + (12 if size > 11 else 0)
        pdf.showPage()
    pdf.save()


GAPS_LINES = (  # a paragraph whose sentence breaks over a wider gap between two lines, as a PDF's often does
    "A reading that the logger could not take is stored as a gap, and one it took but could",
    "not store is stored as a void. Any sum or mean over a series with a gap in it is a gap.",
    "In summary, isgap(x) is true both for gaps and for voids. To tell the two kinds apart,",
    "isvoid(x) is only true for voids. Missing readings are printed as <GAP> when a series",
    "is printed without its units.",
)


def make_gaps_pdf(path: Path) -> None:
    """A one-page PDF drawn with reportlab: a heading, and a paragraph with a wider gap above its fourth
    line (the text extracted breaks the sentence "To tell the two kinds apart, / isvoid(x) is ..." there)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    y = A4[1] - 100
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(60, y, "Missing readings")
    y -= 35
    pdf.setFont("Helvetica", 11)
    for number, line in enumerate(GAPS_LINES):
        y -= 8 if number == 3 else 0
        pdf.drawString(60, y, line)
        y -= 14.3
    pdf.showPage()
    pdf.save()


def make_drawing_pdf(path: Path) -> None:
    """A PDF with no text layer and no image to read by OCR: lines drawn by reportlab (a scan is read
    by OCR: tests/test_ocr.py)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for step in range(10):
        pdf.line(60, 700 - 40 * step, 500, 720 - 40 * step)
    pdf.showPage()
    pdf.save()


def make_encrypted_pdf(source: Path, path: Path) -> None:
    """`source` encrypted with a user password by pypdf."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(source))
    writer.encrypt("secret")
    with path.open("wb") as handle:
        writer.write(handle)


def make_memo_docx(path: Path) -> None:
    """A Word memo with a title, headings and paragraphs, written by python-docx."""
    import docx

    document = docx.Document()
    document.add_heading("Bridge closure memo", 0)
    document.add_paragraph("This memo sets out what the closure of the harbour bridge will cost the council.")
    document.add_heading("Costs", 1)
    document.add_paragraph("The repairs will cost 2.4 million pounds, paid from the road maintenance fund.")
    document.add_heading("Staffing", 1)
    document.add_paragraph("Four extra wardens will guide pedestrians to the temporary ferry each weekday.")
    document.save(path)
