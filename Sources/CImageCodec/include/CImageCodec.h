/*
 * PNG and JPEG decoding to 8-bit RGB, PNG encoding and PIL-compatible bicubic resampling.
 *
 * libpng reports errors by longjmp and TurboJPEG by return codes. Every function here returns
 * an icodec_status and writes a message instead, so no library error can unwind through Swift
 * frames or abort the process. All functions are safe to call from several threads at once.
 */
#ifndef CIMAGECODEC_H
#define CIMAGECODEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ICODEC_OK = 0,
    /// The library rejected the data (bad signature, CRC, marker, Huffman code, ...).
    ICODEC_ERROR_CORRUPT = 1,
    /// The data ended before the image was complete.
    ICODEC_ERROR_TRUNCATED = 2,
    /// The image has more pixels than the caller allows.
    ICODEC_ERROR_TOO_LARGE = 3,
    ICODEC_ERROR_OUT_OF_MEMORY = 4,
    /// A valid file that this decoder cannot convert (for example 12-bit JPEG).
    ICODEC_ERROR_UNSUPPORTED = 5,
    /// Invalid arguments from the caller.
    ICODEC_ERROR_ARGUMENT = 6,
} icodec_status;

#define ICODEC_MESSAGE_CAPACITY 256

/// A decoded image. Release it with icodec_image_free, also after a failed decode.
typedef struct {
    int width;
    int height;
    /// width * height * 3 bytes, RGB, rows top to bottom; NULL unless the decode succeeded.
    unsigned char *pixels;
    /// EXIF data from a PNG eXIf chunk, starting at the TIFF header; NULL if absent.
    unsigned char *exif;
    size_t exif_size;
    /// Text of a PNG "Raw profile type exif" chunk (ImageMagick's hex dump); NULL if absent.
    char *exif_profile_text;
    /// Number of warnings the decoder recovered from; message contains the last one.
    int warning_count;
    /// The error message after a failure, or the last warning after a success.
    char message[ICODEC_MESSAGE_CAPACITY];
} icodec_image;

/// Decodes a PNG of any bit depth and colour type to 8-bit RGB: palettes expanded, gray copied
/// to three channels, alpha and tRNS dropped, 16-bit samples rounded to round(v * 255 / 65535).
icodec_status icodec_decode_png(const unsigned char *data, size_t size, int64_t max_pixels,
                                icodec_image *image);

/// Decodes a baseline, progressive or arithmetic JPEG (gray, YCbCr, RGB, CMYK, YCCK) to RGB.
/// CMYK and YCCK convert as Pillow does, treating the stored values as Adobe-inverted. A file
/// whose data ends before its end-of-image marker is ICODEC_ERROR_TRUNCATED, even though libjpeg
/// would fill in the missing rows. A complete file that libjpeg decodes with recoverable
/// warnings (bad Huffman codes, extraneous bytes) returns ICODEC_OK with warning_count > 0,
/// as Pillow accepts it too.
icodec_status icodec_decode_jpeg(const unsigned char *data, size_t size, int64_t max_pixels,
                                 icodec_image *image);

void icodec_image_free(icodec_image *image);

/// Encodes 8-bit RGB pixels (width * height * 3 bytes) as a PNG in memory. On success
/// *png_data holds *png_size bytes allocated with malloc; release them with icodec_buffer_free.
icodec_status icodec_encode_png_rgb8(const unsigned char *pixels, int width, int height,
                                     unsigned char **png_data, size_t *png_size,
                                     char *message, size_t message_capacity);

void icodec_buffer_free(void *buffer);

/// Resizes 8-bit RGB pixels with Pillow's bicubic filter (a = -0.5, support scaled by the
/// reduction factor when shrinking, separable horizontal then vertical pass, 22-bit fixed-point
/// weights, rounding to uint8 between the passes). Matches Image.resize(size, BICUBIC).
icodec_status icodec_resize_bicubic_rgb8(const unsigned char *source, int source_width,
                                         int source_height, unsigned char *destination,
                                         int destination_width, int destination_height);

#ifdef __cplusplus
}
#endif

#endif
