// One Adam step (torch.optim.Adam without weight decay or amsgrad) over flat arrays:
//   m = beta1 m + (1 - beta1) g
//   v = beta2 v + (1 - beta2) g^2
//   p -= stepSize * m / (sqrt(v) / secondMomentCorrection + epsilon)
// with stepSize = lr / (1 - beta1^t) and secondMomentCorrection = sqrt(1 - beta2^t), both
// computed on the host in double precision.
//
// Layouts: p, g, m, v: flat arrays of `count` elements, each passed with an element offset.
// One work-item per element, any global size >= count.

__kernel void adam_update(__global float* p, const int pOffset,
                          __global const float* g, const int gOffset,
                          __global float* m, const int mOffset,
                          __global float* v, const int vOffset, const int count,
                          const float beta1, const float beta2, const float epsilon,
                          const float stepSize, const float secondMomentCorrection) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float grad = g[gOffset + i];
    const float first = beta1 * m[mOffset + i] + (1.0f - beta1) * grad;
    const float second = beta2 * v[vOffset + i] + (1.0f - beta2) * (grad * grad);
    m[mOffset + i] = first;
    v[vOffset + i] = second;
    p[pOffset + i] -= stepSize * (first / (sqrt(second) / secondMomentCorrection + epsilon));
}
