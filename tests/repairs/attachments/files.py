"""Tiny real files of each accepted format, built byte by byte from their specifications (no imaging
library needed), plus files that must be refused."""

from __future__ import annotations

import struct
import zlib


def png(
    width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (200, 30, 30), padding: int = 0
) -> bytes:
    """A valid RGB PNG (ISO/IEC 15948): signature, IHDR, one IDAT, IEND. ``padding`` adds that many bytes
    in a private ancillary chunk (``ruSt``), to make a file of a chosen size that is still a valid PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour, no interlace
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))  # filter type 0 per row
    body = chunk(b"IHDR", header)
    if padding:
        body += chunk(b"ruSt", b"\x00" * padding)
    body += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def png_of_size(size: int) -> bytes:
    """A valid PNG of exactly ``size`` bytes (at least 81)."""
    base = len(png())
    extra = size - base - 12  # a chunk adds length, type and CRC (12 bytes) around its data
    if extra < 0:
        raise ValueError(f"a padded PNG has at least {base + 12} bytes")
    result = png(padding=extra)
    assert len(result) == size
    return result


def jpeg() -> bytes:
    """A valid baseline JPEG (ITU-T T.81): one 8×8 mid-grey block. Quantisation table of ones; Huffman
    tables with a single one-bit code each (DC difference category 0, AC end-of-block), so the scan is
    the bits ``0 0`` padded with ones: ``0x3F``."""

    def segment(marker: int, data: bytes) -> bytes:
        return struct.pack(">HH", 0xFF00 | marker, len(data) + 2) + data

    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    quantisation = segment(0xDB, b"\x00" + b"\x01" * 64)
    frame = segment(0xC0, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00")
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1, for symbol 0x00
    huffman = segment(0xC4, b"\x00" + one_code + b"\x10" + one_code)
    scan = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return b"\xff\xd8" + jfif + quantisation + frame + huffman + scan + b"\x3f" + b"\xff\xd9"


class _Bits:
    """Least-significant-bit-first bit writer (the order of WebP's VP8L bitstream)."""

    def __init__(self) -> None:
        self.value = 0
        self.count = 0

    def write(self, value: int, width: int) -> None:
        self.value |= value << self.count
        self.count += width

    def bytes(self) -> bytes:
        return self.value.to_bytes((self.count + 7) // 8, "little")


def webp(argb: tuple[int, int, int, int] = (255, 20, 120, 200)) -> bytes:
    """A valid lossless WebP (RFC 9649): a 1×1 VP8L image whose five prefix codes are "simple" codes of
    one symbol each (the pixel's green, red, blue, alpha; distance 0), so the pixel itself takes no bits."""
    alpha, red, green, blue = argb
    bits = _Bits()
    bits.write(0x2F, 8)  # VP8L signature
    bits.write(0, 14)  # width - 1
    bits.write(0, 14)  # height - 1
    bits.write(1, 1)  # alpha is used
    bits.write(0, 3)  # version
    bits.write(0, 1)  # no transform
    bits.write(0, 1)  # no colour cache
    bits.write(0, 1)  # no meta prefix codes
    for symbol in (green, red, blue, alpha):
        bits.write(1, 1)  # simple code
        bits.write(0, 1)  # one symbol
        bits.write(1, 1)  # written in 8 bits
        bits.write(symbol, 8)
    bits.write(1, 1)  # distance: simple code,
    bits.write(0, 1)  # one symbol,
    bits.write(0, 1)  # written in 1 bit:
    bits.write(0, 1)  # symbol 0
    payload = bits.bytes()
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def heic(major_brand: bytes = b"heic") -> bytes:
    """The start of an HEIC/HEIF file (ISO/IEC 23008-12): its ``ftyp`` box naming the brand, then an
    empty ``meta`` box. Enough for content detection, which reads the brands."""
    brands = major_brand + b"\x00\x00\x00\x00" + b"mif1" + major_brand
    ftyp = struct.pack(">I", 8 + len(brands)) + b"ftyp" + brands
    meta = struct.pack(">I", 12) + b"meta" + b"\x00\x00\x00\x00"
    return ftyp + meta


def pdf(text: str = "Diagnosis report") -> bytes:
    """A valid one-page PDF 1.4 (ISO 32000) with a text line; the cross-reference table holds the real
    byte offsets of its objects."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def gif() -> bytes:
    """A valid 1×1 GIF89a: an image format we do not accept."""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
        b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


TEXT = b"This is just text pretending to be a photo.\n"
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
