#!/usr/bin/env python3
"""Write Pillow's bicubic resize, crop and flip results to Tests/ImagesTests/Fixtures.

The source images follow a formula that the Swift tests repeat, so only the outputs are stored:
    value(x, y, c) = (29 x + 47 y + 71 c + 5 ((x y (c + 3)) mod 31)) mod 256
Each case resizes with Image.resize((width, height), Image.BICUBIC), as torchvision's Resize
does for PIL images, then optionally crops (left, top, size) and mirrors left to right, as the
CycleGAN reference preprocessing does.

Usage: python3 tools/pil_resize_reference.py   (requires Pillow and numpy)
"""

import base64
import json
import os

import numpy as np
from PIL import Image

OUTPUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ImagesTests", "Fixtures",
                      "resize_expected.json")

# (name, source size, resized size, crop (left, top, size) or None, flip)
CASES = [
    ("enlarge both axes", (16, 12), (37, 29), None, False),
    ("shrink both axes with antialiasing", (64, 48), (20, 15), None, False),
    ("shrink height only", (40, 30), (40, 17), None, False),
    ("shrink width only", (30, 20), (11, 20), None, False),
    ("enlarge by the default load/crop ratio", (32, 32), (36, 36), None, False),
    ("shrink width, enlarge height", (50, 30), (21, 40), None, False),
    ("round to a multiple of four", (30, 23), (32, 24), None, False),
    ("resize, crop and flip", (64, 48), (40, 40), (5, 3, 32), True),
    ("crop and flip without resizing", (20, 16), (20, 16), (2, 1, 12), True),
]


def source_image(width, height):
    y, x, c = np.mgrid[0:height, 0:width, 0:3]
    values = (29 * x + 47 * y + 71 * c + 5 * ((x * y * (c + 3)) % 31)) % 256
    return Image.fromarray(values.astype(np.uint8), "RGB")


def main():
    results = []
    for name, source_size, size, crop, flip in CASES:
        image = source_image(*source_size).resize(size, Image.BICUBIC)
        if crop is not None:
            left, top, crop_size = crop
            image = image.crop((left, top, left + crop_size, top + crop_size))
        if flip:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        pixels = np.array(image)
        results.append({"name": name, "source": list(source_size), "size": list(size),
                        "crop": list(crop) if crop else None, "flip": flip,
                        "width": pixels.shape[1], "height": pixels.shape[0],
                        "rgb": base64.b64encode(pixels.tobytes()).decode()})
    with open(OUTPUT, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print(f"wrote {len(results)} cases to {os.path.normpath(OUTPUT)}")


if __name__ == "__main__":
    main()
