"""Builders for real documents of every supported type, written by the libraries that make them."""

from __future__ import annotations

from pathlib import Path


def write_docx(path: Path, *, title: str, sections: dict[str, list[str]]) -> Path:
    """A Word document with a title, headings and paragraphs."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=0)
    for heading, paragraphs in sections.items():
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    document.save(path)
    return path


def write_pdf(path: Path, lines: list[str]) -> Path:
    """A PDF with Chinese text in a CID font, one line each."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    pdf.setFont("STSong-Light", 12)
    for n, line in enumerate(lines):
        pdf.drawString(50, 800 - 20 * n, line)
    pdf.save()
    return path
