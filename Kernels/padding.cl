// Reflection padding (PyTorch ReflectionPad2d) by P on all four sides, forward and backward.
//
// Layouts, each buffer passed with an element offset:
//   x: [N, C, H, W] input    y: [N, C, H + 2P, W + 2P] output.
// Output row oy reads input row reflect(oy - P), where reflect(i) = -i for i < 0 and
// 2(H - 1) - i for i >= H, so the edge row is not repeated. Both kernels assume P < H and P < W
// (the host checks), which makes every reflected index land inside the input.
//
// reflection_pad2d_forward   one work-item per output element.
// reflection_pad2d_backward  one work-item per input element, gathering the up to 3 output rows
//                            and 3 output columns that read it; no atomics.

int reflect_index(int i, int size) {
    if (i < 0) return -i;
    if (i >= size) return 2 * (size - 1) - i;
    return i;
}

__kernel void reflection_pad2d_forward(__global const float* x, const int xOffset,
                                       __global float* y, const int yOffset,
                                       const int planes, const int H, const int W, const int P) {
    const int OH = H + 2 * P;
    const int OW = W + 2 * P;
    const int index = get_global_id(0);
    if (index >= planes * OH * OW) return;
    const int ox = index % OW;
    const int oy = (index / OW) % OH;
    const int plane = index / (OW * OH);

    const int iy = reflect_index(oy - P, H);
    const int ix = reflect_index(ox - P, W);
    y[yOffset + index] = x[xOffset + (plane * H + iy) * W + ix];
}

// Writes the padded coordinates that read input coordinate i into `sources` and returns how
// many there are: i itself, its mirror across the leading edge and its mirror across the
// trailing edge, whichever fall inside the padded range.
int padded_sources(int i, int size, int P, int* sources) {
    int count = 0;
    sources[count++] = i + P;
    if (i > 0 && i <= P) sources[count++] = P - i;
    if (i < size - 1 && i >= size - 1 - P) sources[count++] = 2 * (size - 1) - i + P;
    return count;
}

__kernel void reflection_pad2d_backward(__global const float* dy, const int dyOffset,
                                        __global float* dx, const int dxOffset,
                                        const int planes, const int H, const int W,
                                        const int P) {
    const int OH = H + 2 * P;
    const int OW = W + 2 * P;
    const int index = get_global_id(0);
    if (index >= planes * H * W) return;
    const int ix = index % W;
    const int iy = (index / W) % H;
    const int plane = index / (W * H);

    int rows[3];
    int columns[3];
    const int rowCount = padded_sources(iy, H, P, rows);
    const int columnCount = padded_sources(ix, W, P, columns);
    float sum = 0.0f;
    for (int r = 0; r < rowCount; ++r) {
        for (int q = 0; q < columnCount; ++q) {
            sum += dy[dyOffset + (plane * OH + rows[r]) * OW + columns[q]];
        }
    }
    dx[dxOffset + index] = sum;
}
