// proc_sip/include/math.h: what wasm2c 1.0.32's output uses for f32/f64.
// gcc inlines sqrt/fabs/copysign with SSE2; the rest are calls the loader
// refuses unless the kernel's ABI table provides them (none does yet).
#pragma once
#define NAN (__builtin_nanf(""))
#define INFINITY (__builtin_inff())
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define signbit(x) __builtin_signbit(x)
#define fabs(x) __builtin_fabs(x)
#define fabsf(x) __builtin_fabsf(x)
#define sqrt(x) __builtin_sqrt(x)
#define sqrtf(x) __builtin_sqrtf(x)
#define copysign(x, y) __builtin_copysign(x, y)
#define copysignf(x, y) __builtin_copysignf(x, y)
double ceil(double); float ceilf(float);
double floor(double); float floorf(float);
double trunc(double); float truncf(float);
double nearbyint(double); float nearbyintf(float);
double fmin(double, double); float fminf(float, float);
double fmax(double, double); float fmaxf(float, float);
