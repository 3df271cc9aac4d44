/*
 * PNG encoding with libpng into a growing memory buffer; the caller writes the file.
 */
#include "CImageCodec.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    int out_of_memory;
    char *message;
    size_t message_capacity;
} png_writer;

static void on_write_error(png_structp png, png_const_charp message) {
    png_writer *writer = png_get_error_ptr(png);
    snprintf(writer->message, writer->message_capacity, "%s", message);
    png_longjmp(png, 1);
}

static void on_write_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void write_to_memory(png_structp png, png_bytep bytes, size_t length) {
    png_writer *writer = png_get_io_ptr(png);
    if (length > writer->capacity - writer->size) {
        size_t capacity = writer->capacity * 2 + length;
        unsigned char *grown = realloc(writer->data, capacity);
        if (grown == NULL) {
            writer->out_of_memory = 1;
            png_error(png, "not enough memory for the encoded PNG");
        }
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, bytes, length);
    writer->size += length;
}

static void flush_memory(png_structp png) {
    (void)png;
}

icodec_status icodec_encode_png_rgb8(const unsigned char *pixels, int width, int height,
                                     unsigned char **png_data, size_t *png_size,
                                     char *message, size_t message_capacity) {
    *png_data = NULL;
    *png_size = 0;
    if (pixels == NULL || width <= 0 || height <= 0) {
        snprintf(message, message_capacity, "invalid image size %dx%d", width, height);
        return ICODEC_ERROR_ARGUMENT;
    }
    png_writer writer = {NULL, 0, 0, 0, message, message_capacity};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer, on_write_error,
                                              on_write_warning);
    if (png == NULL) {
        snprintf(message, message_capacity, "libpng could not allocate its encoder");
        return ICODEC_ERROR_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);

    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(writer.data);
        return writer.out_of_memory ? ICODEC_ERROR_OUT_OF_MEMORY : ICODEC_ERROR_ARGUMENT;
    }
    if (info == NULL) {
        writer.out_of_memory = 1;
        png_error(png, "libpng could not allocate its encoder");
    }
    png_set_write_fn(png, &writer, write_to_memory, flush_memory);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) {
        png_write_row(png, pixels + (size_t)y * (size_t)width * 3);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);

    *png_data = writer.data;
    *png_size = writer.size;
    return ICODEC_OK;
}
