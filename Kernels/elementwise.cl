// Element-wise ops over flat fp32 arrays: activations, add, accumulate, scale, fill, copy.
// Every buffer is passed with an element offset; `count` is the number of elements.

__kernel void fill_forward(__global float* y, const int yOffset, const int count,
                           const float value) {
    const int i = get_global_id(0);
    if (i < count) y[yOffset + i] = value;
}
