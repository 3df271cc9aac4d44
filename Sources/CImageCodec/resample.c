/*
 * Bicubic resampling of 8-bit RGB that reproduces Pillow's Image.resize(size, BICUBIC)
 * (Pillow's libImaging/Resample.c algorithm, reimplemented):
 *  - the cubic convolution kernel with a = -0.5 and support 2;
 *  - when shrinking by a factor s > 1 the kernel is stretched by s (antialiasing);
 *  - output pixel i samples the source around center = (i + 0.5) * s, taps from
 *    (int)(center - support + 0.5) to (int)(center + support + 0.5), clamped to the image, with
 *    weights normalised to sum 1, then rounded to 22-bit fixed point;
 *  - a horizontal pass, rounded to uint8, then a vertical pass, each skipped when that size is
 *    unchanged.
 */
#include "CImageCodec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PRECISION_BITS (32 - 8 - 2)
#define KERNEL_SUPPORT 2.0

typedef struct {
    int taps;         /* maximum taps per output pixel */
    int *first;       /* first source index of each output pixel */
    int *count;       /* taps used by each output pixel */
    int32_t *weights; /* [output][taps] fixed-point weights */
} resample_plan;

static double cubic_kernel(double x) {
    const double a = -0.5;
    if (x < 0.0) {
        x = -x;
    }
    if (x < 1.0) {
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    }
    if (x < 2.0) {
        return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    }
    return 0.0;
}

static void free_plan(resample_plan *plan) {
    free(plan->first);
    free(plan->count);
    free(plan->weights);
}

static int make_plan(int input_size, int output_size, resample_plan *plan) {
    double scale = (double)input_size / output_size;
    double filter_scale = scale < 1.0 ? 1.0 : scale;
    double support = KERNEL_SUPPORT * filter_scale;
    int taps = (int)ceil(support) * 2 + 1;

    plan->taps = taps;
    plan->first = malloc(sizeof(int) * (size_t)output_size);
    plan->count = malloc(sizeof(int) * (size_t)output_size);
    plan->weights = calloc((size_t)output_size * (size_t)taps, sizeof(int32_t));
    double *weights = malloc(sizeof(double) * (size_t)taps);
    if (plan->first == NULL || plan->count == NULL || plan->weights == NULL || weights == NULL) {
        free(weights);
        free_plan(plan);
        return 0;
    }

    for (int i = 0; i < output_size; i++) {
        double center = (i + 0.5) * scale;
        int first = (int)(center - support + 0.5);
        int last = (int)(center + support + 0.5);
        if (first < 0) {
            first = 0;
        }
        if (last > input_size) {
            last = input_size;
        }
        int count = last - first;

        double total = 0.0;
        for (int k = 0; k < count; k++) {
            weights[k] = cubic_kernel((k + first - center + 0.5) / filter_scale);
            total += weights[k];
        }
        for (int k = 0; k < count; k++) {
            double weight = total != 0.0 ? weights[k] / total : weights[k];
            double fixed = weight * (1 << PRECISION_BITS);
            plan->weights[(size_t)i * taps + k] = (int32_t)(fixed < 0 ? fixed - 0.5 : fixed + 0.5);
        }
        plan->first[i] = first;
        plan->count[i] = count;
    }
    free(weights);
    return 1;
}

static unsigned char clip_to_byte(int32_t value) {
    if (value >= (1 << PRECISION_BITS << 8)) {
        return 255;
    }
    if (value <= 0) {
        return 0;
    }
    return (unsigned char)(value >> PRECISION_BITS);
}

/* Resamples rows [first_row, first_row + rows) of `source` horizontally into `destination`. */
static void resample_horizontal(const unsigned char *source, int source_width, int first_row,
                                int rows, unsigned char *destination, int destination_width,
                                const resample_plan *plan) {
    for (int y = 0; y < rows; y++) {
        const unsigned char *row = source + ((size_t)(y + first_row) * source_width) * 3;
        unsigned char *out = destination + ((size_t)y * destination_width) * 3;
        for (int x = 0; x < destination_width; x++) {
            const int32_t *weights = plan->weights + (size_t)x * plan->taps;
            const unsigned char *taps = row + (size_t)plan->first[x] * 3;
            int32_t sums[3] = {1 << (PRECISION_BITS - 1), 1 << (PRECISION_BITS - 1),
                               1 << (PRECISION_BITS - 1)};
            for (int k = 0; k < plan->count[x]; k++) {
                sums[0] += taps[3 * k + 0] * weights[k];
                sums[1] += taps[3 * k + 1] * weights[k];
                sums[2] += taps[3 * k + 2] * weights[k];
            }
            out[3 * x + 0] = clip_to_byte(sums[0]);
            out[3 * x + 1] = clip_to_byte(sums[1]);
            out[3 * x + 2] = clip_to_byte(sums[2]);
        }
    }
}

/* Resamples vertically; plan->first is relative to the first row of `source`. */
static void resample_vertical(const unsigned char *source, int width,
                              unsigned char *destination, int destination_height,
                              const resample_plan *plan) {
    size_t stride = (size_t)width * 3;
    for (int y = 0; y < destination_height; y++) {
        const int32_t *weights = plan->weights + (size_t)y * plan->taps;
        const unsigned char *column = source + (size_t)plan->first[y] * stride;
        unsigned char *out = destination + (size_t)y * stride;
        for (size_t x = 0; x < stride; x++) {
            int32_t sum = 1 << (PRECISION_BITS - 1);
            for (int k = 0; k < plan->count[y]; k++) {
                sum += column[(size_t)k * stride + x] * weights[k];
            }
            out[x] = clip_to_byte(sum);
        }
    }
}

icodec_status icodec_resize_bicubic_rgb8(const unsigned char *source, int source_width,
                                         int source_height, unsigned char *destination,
                                         int destination_width, int destination_height) {
    if (source == NULL || destination == NULL || source_width <= 0 || source_height <= 0
        || destination_width <= 0 || destination_height <= 0) {
        return ICODEC_ERROR_ARGUMENT;
    }
    int resize_width = destination_width != source_width;
    int resize_height = destination_height != source_height;
    if (!resize_width && !resize_height) {
        memcpy(destination, source, (size_t)source_width * source_height * 3);
        return ICODEC_OK;
    }

    resample_plan horizontal = {0}, vertical = {0};
    if (!make_plan(source_width, destination_width, &horizontal)) {
        return ICODEC_ERROR_OUT_OF_MEMORY;
    }
    if (!make_plan(source_height, destination_height, &vertical)) {
        free_plan(&horizontal);
        return ICODEC_ERROR_OUT_OF_MEMORY;
    }

    if (!resize_width) {
        resample_vertical(source, source_width, destination, destination_height, &vertical);
    } else if (!resize_height) {
        resample_horizontal(source, source_width, 0, source_height, destination,
                            destination_width, &horizontal);
    } else {
        /* Only the source rows that some output row reads go through the horizontal pass. */
        int first_row = vertical.first[0];
        int last = destination_height - 1;
        int last_row = vertical.first[last] + vertical.count[last];
        int rows = last_row - first_row;
        unsigned char *temporary = malloc((size_t)destination_width * rows * 3);
        if (temporary == NULL) {
            free_plan(&horizontal);
            free_plan(&vertical);
            return ICODEC_ERROR_OUT_OF_MEMORY;
        }
        for (int y = 0; y < destination_height; y++) {
            vertical.first[y] -= first_row;
        }
        resample_horizontal(source, source_width, first_row, rows, temporary, destination_width,
                            &horizontal);
        resample_vertical(temporary, destination_width, destination, destination_height,
                          &vertical);
        free(temporary);
    }

    free_plan(&horizontal);
    free_plan(&vertical);
    return ICODEC_OK;
}
