"""extract/readers/csv_drop.py: the one decoding of file drops (BOM, UTF-16, a clear error for other encodings)."""

from __future__ import annotations

import pytest

from extract.errors import BadResponse
from extract.readers.csv_drop import decode, header, read_frame

WHERE = "file:///drop/x.csv"
TEXT = "partner,value\nRossiya,1\nТоджикистон,2\n"


@pytest.mark.parametrize(
    "body",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),  # Excel's CSV UTF-8
        TEXT.encode("utf-16"),  # Excel's Unicode text (with its byte-order mark)
        b"\xfe\xff" + TEXT.encode("utf-16-be"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16-be"],
)
def test_utf8_and_utf16_with_a_bom_decode_to_the_same_text_and_rows(body, tmp_path):
    assert decode("national", WHERE, body) == TEXT
    frame = read_frame("national", WHERE, body)
    assert frame.columns == ["partner", "value"]
    assert frame.rows() == [("Rossiya", "1"), ("Тоджикистон", "2")]
    path = tmp_path / "x.csv"
    path.write_bytes(body)
    assert header(path) == ["partner", "value"]


def test_a_legacy_code_page_is_refused_naming_the_line_and_byte():
    body = "partner,value\nRossiya,1\nTürkiye,2\n".encode("cp1252")
    with pytest.raises(BadResponse) as info:
        decode("national", WHERE, body)
    message = str(info.value)
    assert message.startswith(f"[national] {WHERE} line 3: not UTF-8 text: byte 0xfc at offset 25")
    assert "re-save the file as UTF-8" in message
    with pytest.raises(BadResponse, match="line 3: not UTF-8"):
        read_frame("national", WHERE, body)


def test_a_line_with_more_fields_than_the_header_is_refused():
    with pytest.raises(BadResponse, match=rf"\[comext\] {WHERE} line 3: not a well-formed CSV file"):
        read_frame("comext", WHERE, b"a,b\n1,2\n1,2,3\n")
