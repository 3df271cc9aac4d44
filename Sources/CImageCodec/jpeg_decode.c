/*
 * JPEG decoding with the TurboJPEG 2.x API, which reports errors through return codes.
 */
#include "CImageCodec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

static void record_tj_message(icodec_image *image, tjhandle handle) {
    snprintf(image->message, ICODEC_MESSAGE_CAPACITY, "%s", tjGetErrorStr2(handle));
}

/* x * y / 255 rounded, exactly as Pillow's MULDIV255 macro computes it. */
static int multiply_divide_255(int x, int y) {
    int product = x * y + 128;
    return ((product >> 8) + product) >> 8;
}

/* Converts CMYK as stored in the file to RGB with Pillow's rules: Pillow reads every CMYK JPEG
 * as Adobe-inverted (C' = 255 - C), then computes R = (255 - K') - (255 - K') * C' / 255, which
 * on the stored values is about C * K / 255. */
static void convert_cmyk_to_rgb(const unsigned char *cmyk, unsigned char *rgb, size_t count) {
    for (size_t i = 0; i < count; i++) {
        int black = cmyk[4 * i + 3];
        for (int channel = 0; channel < 3; channel++) {
            int cyan = 255 - cmyk[4 * i + channel];
            int value = black - multiply_divide_255(cyan, black);
            rgb[3 * i + channel] = (unsigned char)(value < 0 ? 0 : value);
        }
    }
}

/* Whether walking the marker segments and entropy-coded data from SOI reaches an EOI marker.
 * EOI cannot occur inside entropy-coded data (0xFF there is followed by 0x00 or RSTn) and
 * segments are skipped by their lengths, so an EOI inside an EXIF thumbnail does not count. */
static int reaches_end_marker(const unsigned char *data, size_t size) {
    size_t i = 2;
    while (i < size) {
        if (data[i] != 0xFF) {
            i++; /* extraneous bytes, which libjpeg also skips */
            continue;
        }
        while (i < size && data[i] == 0xFF) {
            i++;
        }
        if (i >= size) {
            return 0;
        }
        unsigned char marker = data[i++];
        if (marker == 0xD9) {
            return 1;
        }
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            continue;
        }
        if (i + 2 > size) {
            return 0;
        }
        size_t length = ((size_t)data[i] << 8) | data[i + 1];
        if (length < 2) {
            return 0;
        }
        i += length;
        if (marker == 0xDA) {
            while (i + 1 < size && !(data[i] == 0xFF && data[i + 1] != 0x00 && data[i + 1] != 0xFF
                                     && !(data[i + 1] >= 0xD0 && data[i + 1] <= 0xD7))) {
                i++;
            }
        }
    }
    return 0;
}

/* Whether a libjpeg message is one of its recoverable warnings (JWRN_* in jerror.h), after
 * which the decoded image is complete though possibly damaged. */
static int is_recoverable_warning(const char *message) {
    static const char *prefixes[] = {
        "Corrupt JPEG data", "Warning:", "Inconsistent progression sequence",
        "Unknown Adobe color transform", "Invalid SOS parameters for sequential JPEG",
    };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (strncmp(message, prefixes[i], strlen(prefixes[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

icodec_status icodec_decode_jpeg(const unsigned char *data, size_t size, int64_t max_pixels,
                                 icodec_image *image) {
    memset(image, 0, sizeof(*image));
    tjhandle handle = tjInitDecompress();
    if (handle == NULL) {
        snprintf(image->message, ICODEC_MESSAGE_CAPACITY, "%s", tjGetErrorStr2(NULL));
        return ICODEC_ERROR_OUT_OF_MEMORY;
    }

    int width = 0, height = 0, subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(handle, data, (unsigned long)size, &width, &height, &subsampling,
                            &colorspace) != 0) {
        record_tj_message(image, handle);
        tjDestroy(handle);
        return reaches_end_marker(data, size) ? ICODEC_ERROR_CORRUPT : ICODEC_ERROR_TRUNCATED;
    }
    if (width <= 0 || height <= 0) {
        /* libjpeg treats a stream without a frame header as tables-only and reports no size. */
        tjDestroy(handle);
        if (!reaches_end_marker(data, size)) {
            snprintf(image->message, ICODEC_MESSAGE_CAPACITY, "the data ends before the frame "
                     "header");
            return ICODEC_ERROR_TRUNCATED;
        }
        snprintf(image->message, ICODEC_MESSAGE_CAPACITY, "the file holds no image data");
        return ICODEC_ERROR_CORRUPT;
    }
    if ((int64_t)width * (int64_t)height > max_pixels) {
        snprintf(image->message, ICODEC_MESSAGE_CAPACITY, "the image is %dx%d, more than %lld "
                 "pixels", width, height, (long long)max_pixels);
        tjDestroy(handle);
        return ICODEC_ERROR_TOO_LARGE;
    }

    int is_cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    size_t pixel_count = (size_t)width * (size_t)height;
    unsigned char *pixels = malloc(pixel_count * 3);
    unsigned char *cmyk = is_cmyk ? malloc(pixel_count * 4) : NULL;
    if (pixels == NULL || (is_cmyk && cmyk == NULL)) {
        free(pixels);
        free(cmyk);
        tjDestroy(handle);
        snprintf(image->message, ICODEC_MESSAGE_CAPACITY, "not enough memory for the pixels");
        return ICODEC_ERROR_OUT_OF_MEMORY;
    }

    /* TurboJPEG's defaults (accurate integer IDCT, fancy upsampling) are libjpeg's defaults,
     * which Pillow also uses. */
    int result = tjDecompress2(handle, data, (unsigned long)size, is_cmyk ? cmyk : pixels, width,
                               0, height, is_cmyk ? TJPF_CMYK : TJPF_RGB, 0);
    if (result != 0) {
        /* A truncated file makes libjpeg warn, fill in the missing data and carry on. TurboJPEG
         * 2.1 also reports a fatal error as TJERR_WARNING when a warning came first, so the
         * message and the file's structure decide, not tjGetErrorCode alone. */
        record_tj_message(image, handle);
        icodec_status status = ICODEC_OK;
        if (!reaches_end_marker(data, size)) {
            status = ICODEC_ERROR_TRUNCATED;
        } else if (tjGetErrorCode(handle) != TJERR_WARNING
                   || !is_recoverable_warning(image->message)) {
            status = ICODEC_ERROR_CORRUPT;
        }
        if (status != ICODEC_OK) {
            free(pixels);
            free(cmyk);
            tjDestroy(handle);
            return status;
        }
        image->warning_count = 1;
    }
    if (is_cmyk) {
        convert_cmyk_to_rgb(cmyk, pixels, pixel_count);
        free(cmyk);
    }

    tjDestroy(handle);
    image->width = width;
    image->height = height;
    image->pixels = pixels;
    return ICODEC_OK;
}
