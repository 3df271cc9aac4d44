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
        return ICODEC_ERROR_CORRUPT;
    }
    if (width <= 0 || height <= 0 || (int64_t)width * (int64_t)height > max_pixels) {
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
        record_tj_message(image, handle);
        if (tjGetErrorCode(handle) != TJERR_WARNING) {
            free(pixels);
            free(cmyk);
            tjDestroy(handle);
            return ICODEC_ERROR_CORRUPT;
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
