#!/usr/bin/env python3
"""Write the small PNG and JPEG fixtures of Tests/ImagesTests/Fixtures and their expected pixels.

PNGs are written by a minimal encoder in this file, so every bit depth, colour type, Adam7
interlacing, tRNS and eXIf chunk can be produced. Their expected RGB values come from the
generating arrays with the decoder's rules: palette lookup, gray copied to three channels, alpha
dropped, 16-bit samples rounded to round(v * 255 / 65535). The script checks that Pillow agrees
wherever Pillow converts correctly. JPEGs are written by Pillow (and one YCCK JPEG by the
system TurboJPEG through ctypes, since Pillow cannot write YCCK); their expected values are
Pillow's decoding, converted to RGB and turned upright with ImageOps.exif_transpose.

Usage: python3 tools/make_image_fixtures.py [--odd-images DIR]
With --odd-images, also writes odd_images_expected.json: Pillow's size and sampled pixels for
each file of DIR (a folder of awkward real-world images, organised in subfolders).

Requires Pillow and numpy (pip install pillow numpy).
"""

import argparse
import base64
import ctypes
import ctypes.util
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image, ImageOps

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "Tests", "ImagesTests", "Fixtures")
WIDTH, HEIGHT = 16, 12
ADAM7_PASSES = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                (1, 0, 2, 2), (0, 1, 1, 2)]


# MARK: - PNG encoder

def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, bit_depth):
    """Packs one row of integer samples (already flattened across channels)."""
    if bit_depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in samples)
    if bit_depth == 8:
        return bytes(int(v) for v in samples)
    per_byte = 8 // bit_depth
    out = bytearray()
    for start in range(0, len(samples), per_byte):
        byte = 0
        group = list(samples[start:start + per_byte])
        group += [0] * (per_byte - len(group))
        for value in group:
            byte = (byte << bit_depth) | int(value)
        out.append(byte)
    return bytes(out)


def encode_png(samples, bit_depth, color_type, interlaced=False, palette=None, trns=None,
               exif=None, text_chunks=()):
    """samples: [H, W, C] integer array of raw sample values (palette indices for type 3)."""
    height, width = samples.shape[:2]
    raw = bytearray()
    if interlaced:
        for x0, y0, dx, dy in ADAM7_PASSES:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            for row in sub:
                raw += b"\x00" + pack_row(row.reshape(-1), bit_depth)
    else:
        for row in samples:
            raw += b"\x00" + pack_row(row.reshape(-1), bit_depth)

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0,
                         1 if interlaced else 0)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
    if palette is not None:
        out += png_chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    if exif is not None:
        out += png_chunk(b"eXIf", exif)
    for keyword, text in text_chunks:
        out += png_chunk(b"zTXt", keyword.encode("latin-1") + b"\x00\x00"
                         + zlib.compress(text.encode("latin-1")))
    out += png_chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    out += png_chunk(b"IEND", b"")
    return out


# MARK: - Patterns and EXIF

def coordinates(width=WIDTH, height=HEIGHT):
    y, x = np.mgrid[0:height, 0:width]
    return x, y


def gray_samples(bit_depth):
    x, y = coordinates()
    if bit_depth == 16:
        values = (x * 4099 + y * 3001 + x * y * 17) % 65536
    else:
        values = (x * 7 + y * 13 + (x * y) % 5) % (1 << bit_depth)
    return values[:, :, None]


def rgb_samples(bit_depth):
    x, y = coordinates()
    if bit_depth == 16:
        channels = [(x * 4099 + y * 301) % 65536, (y * 5303 + x * 97 + 11) % 65536,
                    (x * y * 1031 + 40000) % 65536]
    else:
        channels = [x * 16, y * 21, (x * y * 7 + 30) % 256]
    return np.stack(channels, axis=-1)


def alpha_samples(bit_depth):
    x, y = coordinates()
    return (((x + y) * 37) % (1 << bit_depth))[:, :, None]


def to_8bit(samples, bit_depth):
    if bit_depth == 16:
        rounded = (samples.astype(np.int64) * 255 + 32895) >> 16
        # The fixtures must tell rounding from taking the high byte.
        assert (rounded != samples >> 8).any()
        return rounded
    return samples * (255 // ((1 << bit_depth) - 1))


def make_palette(count):
    i = np.arange(count)
    return np.stack([(i * 37 + 5) % 256, (i * 91 + 50) % 256, (i * 13 + 200) % 256], axis=-1)


def tiff_orientation(orientation, byte_order):
    """A TIFF/EXIF block whose IFD0 holds ImageWidth then Orientation (tags must be sorted)."""
    e = "<" if byte_order == "II" else ">"
    block = byte_order.encode() + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 2)
    block += struct.pack(e + "HHII", 0x0100, 4, 1, WIDTH)
    block += struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0)
    return block + struct.pack(e + "I", 0)


def imagemagick_exif_text(tiff):
    data = (b"Exif\x00\x00" + tiff).hex()
    lines = [data[i:i + 72] for i in range(0, len(data), 72)]
    return "\nexif\n%8d\n" % (len(data) // 2) + "\n".join(lines) + "\n"


# MARK: - Fixture sets

def write(name, data):
    path = os.path.join(FIXTURES, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def record(expected, name, rgb, source):
    rgb = np.asarray(rgb, dtype=np.uint8)
    expected[name] = {"width": int(rgb.shape[1]), "height": int(rgb.shape[0]),
                      "source": source, "rgb": base64.b64encode(rgb.tobytes()).decode()}


def check_pillow_png(path, rgb, tolerance):
    pillow = np.array(ImageOps.exif_transpose(Image.open(path)).convert("RGB")).astype(int)
    difference = np.abs(pillow - rgb.astype(int)).max()
    assert difference <= tolerance, (path, difference)


def make_pngs(expected):
    """PNGs of every bit depth and colour type; expected values come from the arrays."""
    cases = []
    for depth in (1, 2, 4, 8, 16):
        samples = gray_samples(depth)
        rgb = np.repeat(to_8bit(samples, depth), 3, axis=2)
        cases.append((f"png/gray_{depth}bit.png", encode_png(samples, depth, 0), rgb,
                      depth != 16))
    for depth in (1, 2, 4, 8):
        count = min(1 << depth, 200)
        x, y = coordinates()
        indices = ((x * 5 + y * 3) % count)[:, :, None]
        palette = make_palette(count)
        rgb = palette[indices[:, :, 0]]
        cases.append((f"png/palette_{depth}bit.png",
                      encode_png(indices, depth, 3, palette=palette), rgb, True))
    for depth in (8, 16):
        samples = rgb_samples(depth)
        cases.append((f"png/rgb_{depth}bit.png", encode_png(samples, depth, 2),
                      to_8bit(samples, depth), depth == 8))
        gray, alpha = gray_samples(depth), alpha_samples(depth)
        cases.append((f"png/gray_alpha_{depth}bit.png",
                      encode_png(np.concatenate([gray, alpha], axis=2), depth, 4),
                      np.repeat(to_8bit(gray, depth), 3, axis=2), depth == 8))
        cases.append((f"png/rgba_{depth}bit.png",
                      encode_png(np.concatenate([samples, alpha_samples(depth)], axis=2),
                                 depth, 6), to_8bit(samples, depth), depth == 8))

    # Transparency chunks: a palette with per-entry alpha, an RGB colour key, a gray key.
    x, y = coordinates()
    indices = ((x + y * 2) % 16)[:, :, None]
    palette = make_palette(16)
    cases.append(("png/palette_trns.png",
                  encode_png(indices, 4, 3, palette=palette, trns=bytes(range(0, 160, 10))),
                  palette[indices[:, :, 0]], True))
    samples = rgb_samples(8)
    key = samples[2, 3]
    cases.append(("png/rgb_trns.png",
                  encode_png(samples, 8, 2, trns=struct.pack(">HHH", *[int(v) for v in key])),
                  samples, True))
    samples = gray_samples(16)
    cases.append(("png/gray_16bit_trns.png",
                  encode_png(samples, 16, 0, trns=struct.pack(">H", int(samples[1, 1, 0]))),
                  np.repeat(to_8bit(samples, 16), 3, axis=2), False))

    # Adam7 interlaced variants.
    for name, depth, color_type, samples, rgb, palette in [
        ("gray_1bit", 1, 0, gray_samples(1), np.repeat(to_8bit(gray_samples(1), 1), 3, 2), None),
        ("gray_16bit", 16, 0, gray_samples(16), np.repeat(to_8bit(gray_samples(16), 16), 3, 2),
         None),
        ("palette_4bit", 4, 3, ((x * 5 + y * 3) % 16)[:, :, None],
         make_palette(16)[(x * 5 + y * 3) % 16], make_palette(16)),
        ("rgb_8bit", 8, 2, rgb_samples(8), rgb_samples(8), None),
        ("rgba_16bit", 16, 6, np.concatenate([rgb_samples(16), alpha_samples(16)], 2),
         to_8bit(rgb_samples(16), 16), None),
    ]:
        cases.append((f"png/interlaced_{name}.png",
                      encode_png(samples, depth, color_type, interlaced=True, palette=palette),
                      rgb, depth != 16))

    # EXIF orientation in an eXIf chunk (both byte orders) and in ImageMagick's text chunk.
    samples = rgb_samples(8)
    for orientation, order in [(3, "II"), (6, "MM"), (7, "II"), (8, "MM")]:
        cases.append((f"png/exif_orientation_{orientation}.png",
                      encode_png(samples, 8, 2, exif=tiff_orientation(orientation, order)),
                      orient(samples, orientation), True))
    text = imagemagick_exif_text(tiff_orientation(5, "MM"))
    cases.append(("png/exif_text_orientation_5.png",
                  encode_png(samples, 8, 2, text_chunks=[("Raw profile type exif", text)]),
                  orient(samples, 5), True))

    for name, data, rgb, pillow_exact in cases:
        path = write(name, data)
        # Pillow truncates 16-bit RGB to the high byte (off by at most 1) and clips 16-bit gray
        # to 255, so 16-bit gray is not compared.
        if pillow_exact:
            check_pillow_png(path, rgb, 0)
        elif "gray" not in name:
            check_pillow_png(path, rgb, 1)
        record(expected, name, rgb, "generator")


def orient(rgb, orientation):
    """The upright image for an EXIF orientation, as ImageOps.exif_transpose produces it."""
    image = Image.fromarray(np.asarray(rgb, dtype=np.uint8))
    methods = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
               4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
               6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
               8: Image.Transpose.ROTATE_90}
    if orientation in methods:
        image = image.transpose(methods[orientation])
    return np.array(image)


def smooth_rgb(width=WIDTH, height=HEIGHT):
    """Gradients plus a bright top-left block: JPEG keeps them well and every flip shows."""
    x, y = coordinates(width, height)
    rgb = np.stack([x * 255 // (width - 1), y * 255 // (height - 1),
                    np.full_like(x, 60)], axis=-1)
    rgb[0:4, 0:4] = [250, 250, 250]
    return rgb.astype(np.uint8)


def tjcompress_cmyk(cmyk, quality=92):
    """Compresses CMYK pixels with TurboJPEG, which stores them as a YCCK JPEG."""
    library = ctypes.CDLL(ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0")
    library.tjInitCompress.restype = ctypes.c_void_p
    library.tjCompress2.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                    ctypes.c_int, ctypes.c_int,
                                    ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)),
                                    ctypes.POINTER(ctypes.c_ulong), ctypes.c_int, ctypes.c_int,
                                    ctypes.c_int]
    library.tjFree.argtypes = [ctypes.c_void_p]
    library.tjDestroy.argtypes = [ctypes.c_void_p]
    handle = library.tjInitCompress()
    source = np.ascontiguousarray(cmyk, dtype=np.uint8)
    buffer = ctypes.POINTER(ctypes.c_ubyte)()
    size = ctypes.c_ulong(0)
    tjpf_cmyk, tjsamp_444 = 11, 0
    status = library.tjCompress2(handle, source.ctypes.data, source.shape[1], 0, source.shape[0],
                                 tjpf_cmyk, ctypes.byref(buffer), ctypes.byref(size), tjsamp_444,
                                 quality, 0)
    assert status == 0, "tjCompress2 failed"
    data = ctypes.string_at(buffer, size.value)
    library.tjFree(buffer)
    library.tjDestroy(handle)
    return data


def make_jpegs(expected):
    """JPEGs written by Pillow; expected values are Pillow's decoding."""
    rgb = Image.fromarray(smooth_rgb())
    cases = [
        ("jpeg/baseline_420.jpg", rgb, dict(quality=92, subsampling="4:2:0")),
        ("jpeg/baseline_422.jpg", rgb, dict(quality=92, subsampling="4:2:2")),
        ("jpeg/baseline_444.jpg", rgb, dict(quality=92, subsampling="4:4:4")),
        ("jpeg/progressive_420.jpg", rgb, dict(quality=92, subsampling="4:2:0",
                                               progressive=True)),
        ("jpeg/odd_size_420.jpg", Image.fromarray(smooth_rgb(15, 11)),
         dict(quality=92, subsampling="4:2:0")),
        ("jpeg/gray.jpg", rgb.convert("L"), dict(quality=92)),
        ("jpeg/gray_progressive.jpg", rgb.convert("L"), dict(quality=92, progressive=True)),
    ]
    x, y = coordinates()
    cmyk = np.stack([x * 15, y * 20, (x + y) * 9, np.full_like(x, 40)], -1).astype(np.uint8)
    cases.append(("jpeg/cmyk_adobe.jpg", Image.fromarray(cmyk, "CMYK"), dict(quality=92)))
    for orientation in range(1, 9):
        order = "II" if orientation % 2 else "MM"
        exif = b"Exif\x00\x00" + tiff_orientation(orientation, order)
        cases.append((f"jpeg/exif_orientation_{orientation}.jpg", rgb,
                      dict(quality=95, subsampling="4:4:4", exif=exif)))

    for name, image, options in cases:
        path = os.path.join(FIXTURES, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        image.save(path, "JPEG", **options)
    write("jpeg/ycck_adobe.jpg", tjcompress_cmyk(255 - cmyk))
    for name in [case[0] for case in cases] + ["jpeg/ycck_adobe.jpg"]:
        path = os.path.join(FIXTURES, name)
        with Image.open(path) as image:
            if "orientation" in name:
                assert image.getexif().get(0x0112) == int(name[-5]), name
            if "ycck" in name:
                assert image.mode == "CMYK", name
                assert image.info.get("adobe_transform") == 2, name
            if "progressive" in name:
                assert image.info.get("progressive"), name
            upright = ImageOps.exif_transpose(image).convert("RGB")
            record(expected, name, np.array(upright), "pillow")


# MARK: - Odd images

def sample_positions(width, height, count=4):
    xs = sorted({min(width - 1, round(i * (width - 1) / (count - 1))) for i in range(count)})
    ys = sorted({min(height - 1, round(i * (height - 1) / (count - 1))) for i in range(count)})
    return [(x, y) for y in ys for x in xs]


def make_odd_images_expectations(folder):
    """Pillow's view of each awkward image: upright RGB size, channel means, sampled pixels."""
    results = {}
    for directory, _, files in sorted(os.walk(folder)):
        for name in sorted(files):
            if not name.lower().endswith((".png", ".jpg", ".jpeg")):
                continue
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, folder)
            try:
                with Image.open(path) as image:
                    mode = image.mode
                    rgb = np.array(ImageOps.exif_transpose(image).convert("RGB"))
            except Exception as error:  # Pillow's failure is recorded, not raised.
                results[relative] = {"pillow_error": str(error).replace(path, relative)}
                continue
            height, width = rgb.shape[:2]
            results[relative] = {
                "width": width, "height": height, "mode": mode,
                "mean": [round(float(rgb[:, :, c].mean()), 3) for c in range(3)],
                "samples": [[x, y] + [int(v) for v in rgb[y, x]]
                            for x, y in sample_positions(width, height)],
            }
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--odd-images", help="folder of awkward images to record Pillow's view of")
    arguments = parser.parse_args()

    expected = {}
    make_pngs(expected)
    make_jpegs(expected)
    with open(os.path.join(FIXTURES, "expected_pixels.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(expected)} fixtures")

    if arguments.odd_images:
        results = make_odd_images_expectations(arguments.odd_images)
        lines = [f" {json.dumps(name)}: {json.dumps(results[name], sort_keys=True)}"
                 for name in sorted(results)]
        with open(os.path.join(FIXTURES, "odd_images_expected.json"), "w") as f:
            f.write("{\n" + ",\n".join(lines) + "\n}\n")
        print(f"recorded {len(results)} odd images")


if __name__ == "__main__":
    main()
