// Losses with mean reduction, reduced on the device, and their gradients.
//
//   mse_loss             loss = mean((x - t)^2), t a constant;       dx = scale * 2 (x - t) / count
//   l1_loss              loss = mean(|x - target|);                  dx = scale * sign(x - target)
//                        / count, 0 where x == target (as PyTorch)
//   bce_with_logits_loss loss = mean(max(x, 0) - x t + log(1 + exp(-|x|))), the binary
//                        cross-entropy of sigmoid(x) against t without overflow for large |x|;
//                        dx = scale * (sigmoid(x) - t) / count
//
// Layouts: x, target, dx: flat arrays of `count` elements; loss: one element. Every buffer is
// passed with an element offset.
//
// *_forward  one work-group of exactly GROUP_SIZE work-items (a power of two) writes loss[0]:
//            each work-item sums a strided share and a local tree reduction adds the shares in a
//            fixed order, so the loss is deterministic.
// *_backward one work-item per element, any global size >= count.

#ifndef GROUP_SIZE
#define GROUP_SIZE 256
#endif

// Sums `value` over the work-group and returns the total to every work-item.
float group_sum(float value, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int active = GROUP_SIZE / 2; active > 0; active >>= 1) {
        if (lid < active) scratch[lid] += scratch[lid + active];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

float stable_sigmoid(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + exp(-x));
    const float e = exp(x);
    return e / (1.0f + e);
}

__kernel void mse_loss_forward(__global const float* x, const int xOffset,
                               __global float* loss, const int lossOffset, const int count,
                               const float target) {
    __local float scratch[GROUP_SIZE];
    float sum = 0.0f;
    for (int i = get_local_id(0); i < count; i += GROUP_SIZE) {
        const float difference = x[xOffset + i] - target;
        sum += difference * difference;
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) loss[lossOffset] = total / count;
}

__kernel void mse_loss_backward(__global const float* x, const int xOffset,
                                __global float* dx, const int dxOffset, const int count,
                                const float target, const float scale) {
    const int i = get_global_id(0);
    if (i < count) dx[dxOffset + i] = scale * 2.0f * (x[xOffset + i] - target) / count;
}

__kernel void l1_loss_forward(__global const float* x, const int xOffset,
                              __global const float* target, const int targetOffset,
                              __global float* loss, const int lossOffset, const int count) {
    __local float scratch[GROUP_SIZE];
    float sum = 0.0f;
    for (int i = get_local_id(0); i < count; i += GROUP_SIZE) {
        sum += fabs(x[xOffset + i] - target[targetOffset + i]);
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) loss[lossOffset] = total / count;
}

__kernel void l1_loss_backward(__global const float* x, const int xOffset,
                               __global const float* target, const int targetOffset,
                               __global float* dx, const int dxOffset, const int count,
                               const float scale) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float difference = x[xOffset + i] - target[targetOffset + i];
    const float direction = difference > 0.0f ? 1.0f : (difference < 0.0f ? -1.0f : 0.0f);
    dx[dxOffset + i] = direction * (scale / count);
}

__kernel void bce_with_logits_loss_forward(__global const float* x, const int xOffset,
                                           __global float* loss, const int lossOffset,
                                           const int count, const float target) {
    __local float scratch[GROUP_SIZE];
    float sum = 0.0f;
    for (int i = get_local_id(0); i < count; i += GROUP_SIZE) {
        const float logit = x[xOffset + i];
        sum += fmax(logit, 0.0f) - logit * target + log1p(exp(-fabs(logit)));
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) loss[lossOffset] = total / count;
}

__kernel void bce_with_logits_loss_backward(__global const float* x, const int xOffset,
                                            __global float* dx, const int dxOffset,
                                            const int count, const float target,
                                            const float scale) {
    const int i = get_global_id(0);
    if (i < count) dx[dxOffset + i] = (scale / count) * (stable_sigmoid(x[xOffset + i]) - target);
}
