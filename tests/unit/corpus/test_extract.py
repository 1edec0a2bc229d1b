"""Files into corpus text: formats, Project Gutenberg boilerplate, and one clear line for
every file that cannot join."""

from pathlib import Path

import pytest

from longweave.corpus.extract import CorpusError, extract

BOOKS = Path(__file__).resolve().parents[4] / "shared" / "books"
BOOK_FILES = sorted(BOOKS.glob("*.txt")) if BOOKS.is_dir() else []


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("book", BOOK_FILES, ids=lambda p: p.stem)
def test_a_gutenberg_book_keeps_its_text_and_moves_its_licence_to_metadata(book):
    doc = extract(book)
    assert "Project Gutenberg" not in doc.text[:2000] and "*** END" not in doc.text
    assert "PROJECT GUTENBERG" not in doc.text[-3000:].upper()
    assert doc.licence and "Project Gutenberg" in doc.licence
    assert doc.metadata["author"] and doc.title != book.stem
    assert doc.metadata["source_url"].startswith("https://www.gutenberg.org/ebooks/")


def test_a_gutenberg_like_header_elsewhere_is_handled_the_same(tmp_path):
    body = "Chapter 1\n\n" + "Some words here. " * 30
    text = ("The Project Gutenberg eBook of Tiny\n\nTitle: Tiny\n\nAuthor: Someone\n\n"
            "Release date: May 1, 2001 [eBook #42]\n\n*** START OF THE PROJECT GUTENBERG "
            f"EBOOK TINY ***\n\n{body}\n\n*** END OF THE PROJECT GUTENBERG EBOOK TINY ***\n"
            "licence text\n")
    doc = extract(write(tmp_path, "tiny.txt", text.encode()))
    assert doc.title == "Tiny" and doc.metadata["author"] == "Someone"
    assert doc.text.startswith("Chapter 1") and "licence text" not in doc.text
    assert doc.metadata["source_url"] == "https://www.gutenberg.org/ebooks/42"
    # Some files centre the markers (Pride and Prejudice, eBook #1342): indented.
    centred = text.replace("*** END", "            *** END").replace(
        "*** START", "      *** START")
    doc = extract(write(tmp_path, "centred.txt", centred.encode()))
    assert doc.text.startswith("Chapter 1") and "licence text" not in doc.text


def test_other_encodings_are_detected(tmp_path):
    text = "Le café était fermé. L'été dernier, à Besançon, nous étions très déçus. " * 20
    doc = extract(write(tmp_path, "latin.txt", text.encode("cp1252")))
    assert "café était fermé" in doc.text
    assert extract(write(tmp_path, "bom.md", b"\xef\xbb\xbf# T\n\nbody")).text == "# T\n\nbody\n"


def test_html_keeps_the_visible_blocks_in_order(tmp_path):
    html = (b"<html><head><style>p{}</style><script>var x = 1;</script></head><body>"
            b"<nav>Home | About</nav><h1>Report</h1><p>First <b>bold</b> paragraph.</p>"
            b"<ul><li>one</li><li>two</li></ul><footer>(c) site</footer></body></html>")
    doc = extract(write(tmp_path, "page.html", html))
    assert doc.text == "# Report\n\nFirst bold paragraph.\n\none\n\ntwo\n"


def test_a_pdf_text_layer_is_read(tmp_path):
    pdf = write(tmp_path, "doc.pdf", minimal_pdf("Hello from a PDF text layer"))
    assert "Hello from a PDF text layer" in extract(pdf).text


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"", "the file is empty"),
    ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data, not text"),
    ("scan.pdf", None, "no text in it (a PDF without a text layer"),
    ("broken.pdf", b"%PDF-1.4 this is not a pdf", "not a readable PDF"),
    ("slides.pptx", b"PK\x03\x04", "unsupported file type '.pptx'"),
    ("big.txt", b"x" * 2001, "2,001 bytes is over the limit of 2,000"),
    ("blank.md", b"\n\n   \n", "no text in it"),
])
def test_bad_files_get_one_clear_line(tmp_path, name, data, message):
    path = write(tmp_path, name, minimal_pdf(None) if data is None else data)
    with pytest.raises(CorpusError) as info:
        extract(path, max_bytes=2000)
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_a_missing_file_is_a_clear_line_too(tmp_path):
    with pytest.raises(CorpusError, match="cannot read it"):
        extract(tmp_path / "nope.txt")


def minimal_pdf(text: str | None) -> bytes:
    """A one-page PDF; with `text`, a text layer showing it (Helvetica), else a blank page."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode() if text else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return out
