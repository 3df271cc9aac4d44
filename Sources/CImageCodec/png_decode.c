/*
 * PNG decoding with libpng. libpng reports errors by calling an error handler that must not
 * return; ours records the message and longjmps back to the setjmp in icodec_decode_png, which
 * releases everything and returns a status. Every libpng call happens below that setjmp.
 */
#include "CImageCodec.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
    icodec_status status;
    icodec_image *image;
} png_reader;

static void record_message(icodec_image *image, const char *message) {
    snprintf(image->message, ICODEC_MESSAGE_CAPACITY, "%s", message);
}

static void on_png_error(png_structp png, png_const_charp message) {
    png_reader *reader = png_get_error_ptr(png);
    if (reader->status == ICODEC_OK) {
        reader->status = ICODEC_ERROR_CORRUPT;
        record_message(reader->image, message);
    }
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message) {
    png_reader *reader = png_get_error_ptr(png);
    reader->image->warning_count += 1;
    record_message(reader->image, message);
}

/* Fails with a chosen status; the status and message survive the longjmp. */
static void fail(png_structp png, png_reader *reader, icodec_status status, const char *message) {
    reader->status = status;
    record_message(reader->image, message);
    png_longjmp(png, 1);
}

static void read_from_memory(png_structp png, png_bytep out, size_t length) {
    png_reader *reader = png_get_io_ptr(png);
    if (length > reader->size - reader->offset) {
        fail(png, reader, ICODEC_ERROR_TRUNCATED, "the file ends before the PNG data is complete");
    }
    memcpy(out, reader->data + reader->offset, length);
    reader->offset += length;
}

static unsigned char *copy_bytes(const unsigned char *bytes, size_t count) {
    unsigned char *copy = malloc(count > 0 ? count : 1);
    if (copy != NULL && count > 0) {
        memcpy(copy, bytes, count);
    }
    return copy;
}

/* Keeps the first eXIf chunk and "Raw profile type exif" text found in `info`. */
static void collect_exif(png_structp png, png_infop info, icodec_image *image) {
    png_bytep exif = NULL;
    png_uint_32 exif_size = 0;
    if (image->exif == NULL && png_get_eXIf_1(png, info, &exif_size, &exif) != 0 && exif != NULL) {
        image->exif = copy_bytes(exif, exif_size);
        image->exif_size = image->exif != NULL ? exif_size : 0;
    }

    png_textp texts = NULL;
    int text_count = 0;
    png_get_text(png, info, &texts, &text_count);
    for (int i = 0; i < text_count && image->exif_profile_text == NULL; i++) {
        if (texts[i].key != NULL && texts[i].text != NULL
            && strcmp(texts[i].key, "Raw profile type exif") == 0) {
            size_t length = texts[i].text_length > 0 ? texts[i].text_length : texts[i].itxt_length;
            char *text = malloc(length + 1);
            if (text != NULL) {
                memcpy(text, texts[i].text, length);
                text[length] = '\0';
                image->exif_profile_text = text;
            }
        }
    }
}

/* Reduces big-endian 16-bit samples to 8 bits in place, rounding: (v * 255 + 32895) >> 16
 * equals round(v * 255 / 65535) for every v in 0...65535. */
static void reduce_16_to_8(unsigned char *samples, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint32_t value = ((uint32_t)samples[2 * i] << 8) | samples[2 * i + 1];
        samples[i] = (unsigned char)((value * 255u + 32895u) >> 16);
    }
}

icodec_status icodec_decode_png(const unsigned char *data, size_t size, int64_t max_pixels,
                                icodec_image *image) {
    memset(image, 0, sizeof(*image));
    png_reader reader = {data, size, 0, ICODEC_OK, image};

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_png_error,
                                             on_png_warning);
    if (png == NULL) {
        record_message(image, "libpng could not allocate its decoder");
        return ICODEC_ERROR_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    png_infop end_info = png_create_info_struct(png);
    unsigned char *volatile pixels = NULL;
    png_bytepp volatile rows = NULL;

    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(pixels);
        png_destroy_read_struct(&png, &info, &end_info);
        return reader.status != ICODEC_OK ? reader.status : ICODEC_ERROR_CORRUPT;
    }
    if (info == NULL || end_info == NULL) {
        fail(png, &reader, ICODEC_ERROR_OUT_OF_MEMORY, "libpng could not allocate its decoder");
    }
    png_set_read_fn(png, &reader, read_from_memory);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    int color_type = png_get_color_type(png, info);
    if ((int64_t)width * (int64_t)height > max_pixels) {
        char message[ICODEC_MESSAGE_CAPACITY];
        snprintf(message, sizeof(message), "the image is %ux%u, more than %lld pixels",
                 (unsigned)width, (unsigned)height, (long long)max_pixels);
        fail(png, &reader, ICODEC_ERROR_TOO_LARGE, message);
    }

    /* Expand palettes and low bit depths, drop alpha (tRNS expands to alpha, then goes too),
     * copy gray to RGB. 16-bit samples stay 16-bit here and are rounded below. */
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
    }
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    png_set_strip_alpha(png);
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0) {
        png_set_gray_to_rgb(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    int output_depth = png_get_bit_depth(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (channels != 3 || (output_depth != 8 && output_depth != 16)
        || row_bytes != (size_t)width * 3 * (size_t)(output_depth / 8)) {
        fail(png, &reader, ICODEC_ERROR_UNSUPPORTED,
             "libpng did not convert this colour type to RGB");
    }

    pixels = malloc(row_bytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (pixels == NULL || rows == NULL) {
        fail(png, &reader, ICODEC_ERROR_OUT_OF_MEMORY, "not enough memory for the pixels");
    }
    for (png_uint_32 y = 0; y < height; y++) {
        rows[y] = pixels + row_bytes * y;
    }
    png_read_image(png, rows);
    png_read_end(png, end_info);

    if (output_depth == 16) {
        reduce_16_to_8(pixels, (size_t)width * height * 3);
    }
    collect_exif(png, info, image);
    collect_exif(png, end_info, image);

    free(rows);
    png_destroy_read_struct(&png, &info, &end_info);
    image->width = (int)width;
    image->height = (int)height;
    image->pixels = pixels;
    return ICODEC_OK;
}

void icodec_image_free(icodec_image *image) {
    free(image->pixels);
    free(image->exif);
    free(image->exif_profile_text);
    image->pixels = NULL;
    image->exif = NULL;
    image->exif_profile_text = NULL;
}

void icodec_buffer_free(void *buffer) {
    free(buffer);
}
