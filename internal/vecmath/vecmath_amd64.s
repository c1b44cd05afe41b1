//go:build amd64

#include "textflag.h"

// AVX2+FMA kernels, 4 float64 per YMM register, and AVX-512 kernels
// (AVX512F), 8 float64 per ZMM register, which give bit-identical results.
// Operand order is Plan 9: sources first, destination last (VSUBPD a, b, c
// means c = b - a). Constants are stored as 32-byte vectors so the AVX2
// code can use them as memory operands without broadcasts; the AVX-512
// code broadcasts their first element.

// REDUCE: R holds the clamped x. Out: A = bits of x·log2e + 1.5·2^52
// (low bits hold n = round(x/ln2)), R = x - n·ln2 (ln2 as hi+lo, the
// first FMA is exact). Clobbers B (holds n as float64 on exit).
#define REDUCE(R, A, B) \
	VMOVUPD magic<>(SB), A; \
	VFMADD231PD log2e<>(SB), R, A; \
	VSUBPD magic<>(SB), A, B; \
	VFNMADD231PD ln2hi<>(SB), B, R; \
	VFNMADD231PD ln2lo<>(SB), B, R

// SCALE2: A holds the REDUCE bits. Out: C = 2^floor(n/2), A = 2^(n-floor(n/2)),
// both normal for -2044 <= n <= 2046, so p·C·A rounds once even when the
// result is subnormal.
#define SCALE2(A, C) \
	VPSRLQ $1, A, C; \
	VPSLLQ $52, C, C; \
	VPSLLQ $52, A, A; \
	VPSUBQ C, A, A; \
	VPADDQ one<>(SB), C, C; \
	VPADDQ one<>(SB), A, A

// POLY: T = e^r - 1 = r + r²·Q(r) for r in R, Q of degree 11 (Taylor
// coefficients 1/k!, k = 2..13) in Estrin-like order. Clobbers R2, R4, B.
#define POLY(R, R2, R4, B, T) \
	VMULPD R, R, R2; \
	VMULPD R2, R2, R4; \
	VMOVUPD c13<>(SB), T; \
	VFMADD213PD c12<>(SB), R, T; \
	VFMADD213PD c10<>(SB), R2, T; \
	VFMADD231PD c11<>(SB), R, T; \
	VMOVUPD c9<>(SB), B; \
	VFMADD213PD c8<>(SB), R, B; \
	VFMADD213PD c6<>(SB), R2, B; \
	VFMADD231PD c7<>(SB), R, B; \
	VFMADD213PD B, R4, T; \
	VMOVUPD c5<>(SB), B; \
	VFMADD213PD c4<>(SB), R, B; \
	VFMADD213PD c2<>(SB), R2, B; \
	VFMADD231PD c3<>(SB), R, B; \
	VFMADD213PD B, R4, T; \
	VFMADD213PD R, R2, T

// EXPCORE: R holds x already clamped to [-746, 710] (NaN kept).
// Out: T = e^x. Clobbers R, R2, R4, A, B, C.
#define EXPCORE(R, R2, R4, A, B, C, T) \
	REDUCE(R, A, B); \
	SCALE2(A, C); \
	POLY(R, R2, R4, B, T); \
	VADDPD one<>(SB), T, T; \
	VMULPD C, T, T; \
	VMULPD A, T, T

// EXPV: T = e^X. The clamps keep X as the second Intel operand so that a
// NaN in X is what MAXPD/MINPD return.
#define EXPV(X, R, R2, R4, A, B, C, T) \
	VMOVUPD explo<>(SB), R; \
	VMAXPD X, R, R; \
	VMOVUPD exphi<>(SB), A; \
	VMINPD R, A, R; \
	EXPCORE(R, R2, R4, A, B, C, T)

// EXPNEGABS: T = e^-|X| (clamped below at -746). X is preserved.
#define EXPNEGABS(X, R, R2, R4, A, B, C, T) \
	VANDPD absmask<>(SB), X, R; \
	VXORPD signmask<>(SB), R, R; \
	VMOVUPD explo<>(SB), A; \
	VMAXPD R, A, R; \
	EXPCORE(R, R2, R4, A, B, C, T)

// SIGTAIL: given z = e^-|x| in T and x in X, A = (x<0 ? z : 1)/(1+z) with
// the rounding of 1+z compensated. Clobbers R, R2, B. T, X preserved.
#define SIGTAIL(X, R, R2, A, B, T) \
	VADDPD one<>(SB), T, R; \
	VSUBPD one<>(SB), R, R2; \
	VSUBPD R2, T, R2; \
	VMOVUPD one<>(SB), A; \
	VBLENDVPD X, T, A, A; \
	VDIVPD R, A, A; \
	VMOVUPD onehalf<>(SB), B; \
	VFNMADD231PD half<>(SB), R, B; \
	VMULPD B, R2, R2; \
	VFNMADD231PD R2, A, A

// SPTAIL: given z = e^-|x| in T (0 <= z <= 1) and x in X,
// T = max(x,0) + log1p(z). Clobbers R, R2, R4, A, B, C.
// 1+z = 2^k(1+f) with f exact; log(1+f) = f - s(f - w·P(w)),
// s = f/(2+f), w = s².
#define SPTAIL(X, R, R2, R4, A, B, C, T) \
	VCMPPD $0x1e, half<>(SB), T, B; \
	VSUBPD one<>(SB), T, R; \
	VMULPD half<>(SB), R, R; \
	VBLENDVPD B, R, T, R; \
	VADDPD two<>(SB), R, R2; \
	VDIVPD R2, R, R2; \
	VMULPD R2, R2, R4; \
	VMOVUPD l4<>(SB), A; \
	VFMADD213PD l3<>(SB), R4, A; \
	VFMADD213PD l2<>(SB), R4, A; \
	VFMADD213PD l1<>(SB), R4, A; \
	VMOVUPD l8<>(SB), C; \
	VFMADD213PD l7<>(SB), R4, C; \
	VFMADD213PD l6<>(SB), R4, C; \
	VFMADD213PD l5<>(SB), R4, C; \
	VMOVUPD l11<>(SB), T; \
	VFMADD213PD l10<>(SB), R4, T; \
	VFMADD213PD l9<>(SB), R4, T; \
	VMULPD R4, R4, R4; \
	VMULPD R4, R4, R4; \
	VFMADD213PD C, R4, T; \
	VFMADD213PD A, R4, T; \
	VMULPD R2, R2, R4; \
	VMULPD R4, T, T; \
	VSUBPD T, R, T; \
	VFNMADD213PD R, R2, T; \
	VANDPD ln2lo<>(SB), B, A; \
	VADDPD A, T, T; \
	VANDPD ln2hi<>(SB), B, A; \
	VADDPD A, T, T; \
	VMAXPD zero<>(SB), X, A; \
	VADDPD A, T, T

// Kernel bodies: input X, output named last.
#define SOFTPLUSV(X, R, R2, R4, A, B, C, T) \
	EXPNEGABS(X, R, R2, R4, A, B, C, T); \
	SPTAIL(X, R, R2, R4, A, B, C, T)

#define SIGMOIDV(X, R, R2, R4, A, B, C, T) \
	EXPNEGABS(X, R, R2, R4, A, B, C, T); \
	SIGTAIL(X, R, R2, A, B, T)

// SPSGV: sigmoid is written to SG (memory or register), softplus left in T.
#define SPSGV(X, R, R2, R4, A, B, C, T, SG) \
	EXPNEGABS(X, R, R2, R4, A, B, C, T); \
	SIGTAIL(X, R, R2, A, B, T); \
	VMOVUPD A, SG; \
	SPTAIL(X, R, R2, R4, A, B, C, T)

// TANHV: A = tanh(X). em = e^y - 1 for y = -2|x| clamped at -40:
// y = n·ln2 + r, em = 2^n·expm1(r) + (2^n - 1); tanh|x| = -em/(em+2) with
// the rounding of em+2 compensated; the sign of x is copied at the end.
#define TANHV(X, R, R2, R4, A, B, C, T) \
	VANDPD absmask<>(SB), X, R; \
	VADDPD R, R, R; \
	VXORPD signmask<>(SB), R, R; \
	VMOVUPD tanhlo<>(SB), A; \
	VMAXPD R, A, R; \
	REDUCE(R, A, B); \
	VPSLLQ $52, A, A; \
	VPADDQ one<>(SB), A, A; \
	POLY(R, R2, R4, B, T); \
	VSUBPD one<>(SB), A, C; \
	VFMADD213PD C, A, T; \
	VADDPD two<>(SB), T, R; \
	VMOVUPD two<>(SB), R2; \
	VSUBPD R, R2, R2; \
	VADDPD T, R2, R2; \
	VDIVPD R, T, A; \
	VMOVUPD onehalf<>(SB), B; \
	VFNMADD231PD half<>(SB), R, B; \
	VMULPD B, R2, R2; \
	VFNMADD231PD R2, A, A; \
	VANDPD absmask<>(SB), A, A; \
	VANDPD signmask<>(SB), X, B; \
	VORPD B, A, A

// TAILMASK loads into Y15 a lane mask selecting the first CX (1..3) lanes.
#define TAILMASK \
	MOVQ $3, AX; \
	SUBQ CX, AX; \
	LEAQ tailmask<>(SB), BX; \
	VMOVUPD (BX)(AX*8), Y15

// UNARY generates a dst[i] = f(x[i]) kernel from a body macro BODY whose
// result lands in register OUTn.
#define UNARY(BODY, OUT0, OUT1) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ x_base+24(FP), SI; \
	MOVQ x_len+32(FP), CX; \
loop8: \
	CMPQ CX, $8; \
	JB   one4; \
	VMOVUPD (SI), Y0; \
	VMOVUPD 32(SI), Y8; \
	BODY(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	BODY(Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15); \
	VMOVUPD OUT0, (DI); \
	VMOVUPD OUT1, 32(DI); \
	ADDQ $64, SI; \
	ADDQ $64, DI; \
	SUBQ $8, CX; \
	JMP  loop8; \
one4: \
	CMPQ CX, $4; \
	JB   tail; \
	VMOVUPD (SI), Y0; \
	BODY(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VMOVUPD OUT0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $4, CX; \
tail: \
	TESTQ CX, CX; \
	JZ    done; \
	TAILMASK; \
	VMASKMOVPD (SI), Y15, Y0; \
	BODY(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VMASKMOVPD OUT0, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

// AVX-512 kernels, 8 float64 per ZMM register (AVX512F only). Every macro
// below performs, lane for lane, the same operation sequence as its AVX2
// counterpart above, with the same constants (read from the first element
// of the 32-byte tables by broadcast), so the results are bit-identical:
//   - VBLENDVPD becomes a compare (or sign test) into a K register plus
//     VBLENDMPD; VANDPD with a compare mask becomes a zero-masked
//     broadcast (giving +0 in the unselected lanes, as the AND did);
//   - VANDPD/VXORPD/VORPD become VPANDQ/VPXORQ/VPORQ (same bits, and no
//     AVX512DQ needed);
//   - MIN/MAX keep the same operand roles (they decide which NaN or zero
//     is returned), so the constant is broadcast into a register first
//     wherever it was the first Intel source.
// Each body macro takes a K register as its last argument (used by the
// sigmoid and softplus tails, ignored otherwise).

#define REDUCE512(R, A, B) \
	VBROADCASTSD magic<>(SB), A; \
	VFMADD231PD.BCST log2e<>(SB), R, A; \
	VSUBPD.BCST magic<>(SB), A, B; \
	VFNMADD231PD.BCST ln2hi<>(SB), B, R; \
	VFNMADD231PD.BCST ln2lo<>(SB), B, R

#define SCALE2_512(A, C) \
	VPSRLQ $1, A, C; \
	VPSLLQ $52, C, C; \
	VPSLLQ $52, A, A; \
	VPSUBQ C, A, A; \
	VPADDQ.BCST one<>(SB), C, C; \
	VPADDQ.BCST one<>(SB), A, A

#define POLY512(R, R2, R4, B, T) \
	VMULPD R, R, R2; \
	VMULPD R2, R2, R4; \
	VBROADCASTSD c13<>(SB), T; \
	VFMADD213PD.BCST c12<>(SB), R, T; \
	VFMADD213PD.BCST c10<>(SB), R2, T; \
	VFMADD231PD.BCST c11<>(SB), R, T; \
	VBROADCASTSD c9<>(SB), B; \
	VFMADD213PD.BCST c8<>(SB), R, B; \
	VFMADD213PD.BCST c6<>(SB), R2, B; \
	VFMADD231PD.BCST c7<>(SB), R, B; \
	VFMADD213PD B, R4, T; \
	VBROADCASTSD c5<>(SB), B; \
	VFMADD213PD.BCST c4<>(SB), R, B; \
	VFMADD213PD.BCST c2<>(SB), R2, B; \
	VFMADD231PD.BCST c3<>(SB), R, B; \
	VFMADD213PD B, R4, T; \
	VFMADD213PD R, R2, T

#define EXPCORE512(R, R2, R4, A, B, C, T) \
	REDUCE512(R, A, B); \
	SCALE2_512(A, C); \
	POLY512(R, R2, R4, B, T); \
	VADDPD.BCST one<>(SB), T, T; \
	VMULPD C, T, T; \
	VMULPD A, T, T

#define EXPV512(X, R, R2, R4, A, B, C, T, K) \
	VBROADCASTSD explo<>(SB), R; \
	VMAXPD X, R, R; \
	VBROADCASTSD exphi<>(SB), A; \
	VMINPD R, A, R; \
	EXPCORE512(R, R2, R4, A, B, C, T)

#define EXPNEGABS512(X, R, R2, R4, A, B, C, T) \
	VPANDQ.BCST absmask<>(SB), X, R; \
	VPXORQ.BCST signmask<>(SB), R, R; \
	VBROADCASTSD explo<>(SB), A; \
	VMAXPD R, A, R; \
	EXPCORE512(R, R2, R4, A, B, C, T)

// SIGTAIL512: the AVX2 code selects on the sign bit of x (so -0 and
// negative NaNs count as negative); VPTESTMQ against the sign mask does
// the same.
#define SIGTAIL512(X, R, R2, A, B, T, K) \
	VADDPD.BCST one<>(SB), T, R; \
	VSUBPD.BCST one<>(SB), R, R2; \
	VSUBPD R2, T, R2; \
	VBROADCASTSD one<>(SB), A; \
	VPTESTMQ.BCST signmask<>(SB), X, K; \
	VBLENDMPD T, A, K, A; \
	VDIVPD R, A, A; \
	VBROADCASTSD onehalf<>(SB), B; \
	VFNMADD231PD.BCST half<>(SB), R, B; \
	VMULPD B, R2, R2; \
	VFNMADD231PD R2, A, A

// SPTAIL512: K = (z > 1/2, ordered) replaces the AVX2 all-ones lane mask B.
#define SPTAIL512(X, R, R2, R4, A, C, T, K) \
	VCMPPD.BCST $0x1e, half<>(SB), T, K; \
	VSUBPD.BCST one<>(SB), T, R; \
	VMULPD.BCST half<>(SB), R, R; \
	VBLENDMPD R, T, K, R; \
	VADDPD.BCST two<>(SB), R, R2; \
	VDIVPD R2, R, R2; \
	VMULPD R2, R2, R4; \
	VBROADCASTSD l4<>(SB), A; \
	VFMADD213PD.BCST l3<>(SB), R4, A; \
	VFMADD213PD.BCST l2<>(SB), R4, A; \
	VFMADD213PD.BCST l1<>(SB), R4, A; \
	VBROADCASTSD l8<>(SB), C; \
	VFMADD213PD.BCST l7<>(SB), R4, C; \
	VFMADD213PD.BCST l6<>(SB), R4, C; \
	VFMADD213PD.BCST l5<>(SB), R4, C; \
	VBROADCASTSD l11<>(SB), T; \
	VFMADD213PD.BCST l10<>(SB), R4, T; \
	VFMADD213PD.BCST l9<>(SB), R4, T; \
	VMULPD R4, R4, R4; \
	VMULPD R4, R4, R4; \
	VFMADD213PD C, R4, T; \
	VFMADD213PD A, R4, T; \
	VMULPD R2, R2, R4; \
	VMULPD R4, T, T; \
	VSUBPD T, R, T; \
	VFNMADD213PD R, R2, T; \
	VBROADCASTSD.Z ln2lo<>(SB), K, A; \
	VADDPD A, T, T; \
	VBROADCASTSD.Z ln2hi<>(SB), K, A; \
	VADDPD A, T, T; \
	VMAXPD.BCST zero<>(SB), X, A; \
	VADDPD A, T, T

#define SOFTPLUSV512(X, R, R2, R4, A, B, C, T, K) \
	EXPNEGABS512(X, R, R2, R4, A, B, C, T); \
	SPTAIL512(X, R, R2, R4, A, C, T, K)

#define SIGMOIDV512(X, R, R2, R4, A, B, C, T, K) \
	EXPNEGABS512(X, R, R2, R4, A, B, C, T); \
	SIGTAIL512(X, R, R2, A, B, T, K)

// SPSGV512: sigmoid is left in A (stored by the caller), softplus in T;
// the sigmoid is copied to SG (a register) before SPTAIL512 reuses A.
#define SPSGV512(X, R, R2, R4, A, B, C, T, K, SG) \
	EXPNEGABS512(X, R, R2, R4, A, B, C, T); \
	SIGTAIL512(X, R, R2, A, B, T, K); \
	VMOVAPD A, SG; \
	SPTAIL512(X, R, R2, R4, A, C, T, K)

#define TANHV512(X, R, R2, R4, A, B, C, T, K) \
	VPANDQ.BCST absmask<>(SB), X, R; \
	VADDPD R, R, R; \
	VPXORQ.BCST signmask<>(SB), R, R; \
	VBROADCASTSD tanhlo<>(SB), A; \
	VMAXPD R, A, R; \
	REDUCE512(R, A, B); \
	VPSLLQ $52, A, A; \
	VPADDQ.BCST one<>(SB), A, A; \
	POLY512(R, R2, R4, B, T); \
	VSUBPD.BCST one<>(SB), A, C; \
	VFMADD213PD C, A, T; \
	VADDPD.BCST two<>(SB), T, R; \
	VBROADCASTSD two<>(SB), R2; \
	VSUBPD R, R2, R2; \
	VADDPD T, R2, R2; \
	VDIVPD R, T, A; \
	VBROADCASTSD onehalf<>(SB), B; \
	VFNMADD231PD.BCST half<>(SB), R, B; \
	VMULPD B, R2, R2; \
	VFNMADD231PD R2, A, A; \
	VPANDQ.BCST absmask<>(SB), A, A; \
	VPANDQ.BCST signmask<>(SB), X, B; \
	VPORQ B, A, A

// TAILMASK512 sets K7 to the first CX (1..7) lanes.
#define TAILMASK512 \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K7

// UNARY512: 16 elements per iteration (two ZMM bodies), then 8, then a
// masked 1..7-element tail (masked loads do not fault on the lanes left out).
#define UNARY512(BODY, OUT0, OUT1) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ x_base+24(FP), SI; \
	MOVQ x_len+32(FP), CX; \
loop16: \
	CMPQ CX, $16; \
	JB   one8; \
	VMOVUPD (SI), Z0; \
	VMOVUPD 64(SI), Z8; \
	BODY(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, K1); \
	BODY(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, K2); \
	VMOVUPD OUT0, (DI); \
	VMOVUPD OUT1, 64(DI); \
	ADDQ $128, SI; \
	ADDQ $128, DI; \
	SUBQ $16, CX; \
	JMP  loop16; \
one8: \
	CMPQ CX, $8; \
	JB   tail; \
	VMOVUPD (SI), Z0; \
	BODY(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, K1); \
	VMOVUPD OUT0, (DI); \
	ADDQ $64, SI; \
	ADDQ $64, DI; \
	SUBQ $8, CX; \
tail: \
	TESTQ CX, CX; \
	JZ    done; \
	TAILMASK512; \
	VMOVUPD.Z (SI), K7, Z0; \
	BODY(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, K1); \
	VMOVUPD OUT0, K7, (DI); \
done: \
	VZEROUPPER; \
	RET

// func expAVX2(dst, x []float64)
TEXT ·expAVX2(SB), NOSPLIT, $0-48
	UNARY(EXPV, Y7, Y15)

// func softplusAVX2(dst, x []float64)
TEXT ·softplusAVX2(SB), NOSPLIT, $0-48
	UNARY(SOFTPLUSV, Y7, Y15)

// func sigmoidAVX2(dst, x []float64)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-48
	UNARY(SIGMOIDV, Y4, Y12)

// func tanhAVX2(dst, x []float64)
TEXT ·tanhAVX2(SB), NOSPLIT, $0-48
	UNARY(TANHV, Y4, Y12)

// func softplusSigmoidAVX2(sp, sg, x []float64)
TEXT ·softplusSigmoidAVX2(SB), NOSPLIT, $0-72
	MOVQ sp_base+0(FP), DI
	MOVQ sg_base+24(FP), DX
	MOVQ x_base+48(FP), SI
	MOVQ x_len+56(FP), CX

loop8:
	CMPQ CX, $8
	JB   one4
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y8
	SPSGV(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, (DX))
	SPSGV(Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15, 32(DX))
	VMOVUPD Y7, (DI)
	VMOVUPD Y15, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $8, CX
	JMP  loop8

one4:
	CMPQ CX, $4
	JB   tail
	VMOVUPD (SI), Y0
	SPSGV(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, (DX))
	VMOVUPD Y7, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $4, CX

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK
	VMASKMOVPD (SI), Y15, Y0
	SPSGV(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y14)
	VMASKMOVPD Y7, Y15, (DI)
	VMASKMOVPD Y14, Y15, (DX)

done:
	VZEROUPPER
	RET

// func expAVX512(dst, x []float64)
TEXT ·expAVX512(SB), NOSPLIT, $0-48
	UNARY512(EXPV512, Z7, Z15)

// func softplusAVX512(dst, x []float64)
TEXT ·softplusAVX512(SB), NOSPLIT, $0-48
	UNARY512(SOFTPLUSV512, Z7, Z15)

// func sigmoidAVX512(dst, x []float64)
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-48
	UNARY512(SIGMOIDV512, Z4, Z12)

// func tanhAVX512(dst, x []float64)
TEXT ·tanhAVX512(SB), NOSPLIT, $0-48
	UNARY512(TANHV512, Z4, Z12)

// func softplusSigmoidAVX512(sp, sg, x []float64)
TEXT ·softplusSigmoidAVX512(SB), NOSPLIT, $0-72
	MOVQ sp_base+0(FP), DI
	MOVQ sg_base+24(FP), DX
	MOVQ x_base+48(FP), SI
	MOVQ x_len+56(FP), CX

loop16:
	CMPQ CX, $16
	JB   one8
	VMOVUPD (SI), Z0
	VMOVUPD 64(SI), Z8
	SPSGV512(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, K1, Z16)
	SPSGV512(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, K2, Z17)
	VMOVUPD Z16, (DX)
	VMOVUPD Z17, 64(DX)
	VMOVUPD Z7, (DI)
	VMOVUPD Z15, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, DX
	SUBQ $16, CX
	JMP  loop16

one8:
	CMPQ CX, $8
	JB   tail
	VMOVUPD (SI), Z0
	SPSGV512(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, K1, Z16)
	VMOVUPD Z16, (DX)
	VMOVUPD Z7, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $8, CX

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK512
	VMOVUPD.Z (SI), K7, Z0
	SPSGV512(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, K1, Z16)
	VMOVUPD Z16, K7, (DX)
	VMOVUPD Z7, K7, (DI)

done:
	VZEROUPPER
	RET

// Lane masks for the 1..3-element tail: 8·(3-n) bytes in gives n ones.
DATA tailmask<>+0(SB)/8, $0xffffffffffffffff
DATA tailmask<>+8(SB)/8, $0xffffffffffffffff
DATA tailmask<>+16(SB)/8, $0xffffffffffffffff
DATA tailmask<>+24(SB)/8, $0
DATA tailmask<>+32(SB)/8, $0
DATA tailmask<>+40(SB)/8, $0
DATA tailmask<>+48(SB)/8, $0
GLOBL tailmask<>(SB), RODATA|NOPTR, $56

DATA explo<>+0(SB)/8, $0xc087500000000000
DATA explo<>+8(SB)/8, $0xc087500000000000
DATA explo<>+16(SB)/8, $0xc087500000000000
DATA explo<>+24(SB)/8, $0xc087500000000000
GLOBL explo<>(SB), RODATA|NOPTR, $32

DATA exphi<>+0(SB)/8, $0x4086300000000000
DATA exphi<>+8(SB)/8, $0x4086300000000000
DATA exphi<>+16(SB)/8, $0x4086300000000000
DATA exphi<>+24(SB)/8, $0x4086300000000000
GLOBL exphi<>(SB), RODATA|NOPTR, $32

DATA tanhlo<>+0(SB)/8, $0xc044000000000000
DATA tanhlo<>+8(SB)/8, $0xc044000000000000
DATA tanhlo<>+16(SB)/8, $0xc044000000000000
DATA tanhlo<>+24(SB)/8, $0xc044000000000000
GLOBL tanhlo<>(SB), RODATA|NOPTR, $32

DATA log2e<>+0(SB)/8, $0x3ff71547652b82fe
DATA log2e<>+8(SB)/8, $0x3ff71547652b82fe
DATA log2e<>+16(SB)/8, $0x3ff71547652b82fe
DATA log2e<>+24(SB)/8, $0x3ff71547652b82fe
GLOBL log2e<>(SB), RODATA|NOPTR, $32

DATA magic<>+0(SB)/8, $0x4338000000000000
DATA magic<>+8(SB)/8, $0x4338000000000000
DATA magic<>+16(SB)/8, $0x4338000000000000
DATA magic<>+24(SB)/8, $0x4338000000000000
GLOBL magic<>(SB), RODATA|NOPTR, $32

DATA ln2hi<>+0(SB)/8, $0x3fe62e42fefa39ef
DATA ln2hi<>+8(SB)/8, $0x3fe62e42fefa39ef
DATA ln2hi<>+16(SB)/8, $0x3fe62e42fefa39ef
DATA ln2hi<>+24(SB)/8, $0x3fe62e42fefa39ef
GLOBL ln2hi<>(SB), RODATA|NOPTR, $32

DATA ln2lo<>+0(SB)/8, $0x3c7abc9e3b39803f
DATA ln2lo<>+8(SB)/8, $0x3c7abc9e3b39803f
DATA ln2lo<>+16(SB)/8, $0x3c7abc9e3b39803f
DATA ln2lo<>+24(SB)/8, $0x3c7abc9e3b39803f
GLOBL ln2lo<>(SB), RODATA|NOPTR, $32

DATA one<>+0(SB)/8, $0x3ff0000000000000
DATA one<>+8(SB)/8, $0x3ff0000000000000
DATA one<>+16(SB)/8, $0x3ff0000000000000
DATA one<>+24(SB)/8, $0x3ff0000000000000
GLOBL one<>(SB), RODATA|NOPTR, $32

DATA two<>+0(SB)/8, $0x4000000000000000
DATA two<>+8(SB)/8, $0x4000000000000000
DATA two<>+16(SB)/8, $0x4000000000000000
DATA two<>+24(SB)/8, $0x4000000000000000
GLOBL two<>(SB), RODATA|NOPTR, $32

DATA half<>+0(SB)/8, $0x3fe0000000000000
DATA half<>+8(SB)/8, $0x3fe0000000000000
DATA half<>+16(SB)/8, $0x3fe0000000000000
DATA half<>+24(SB)/8, $0x3fe0000000000000
GLOBL half<>(SB), RODATA|NOPTR, $32

DATA onehalf<>+0(SB)/8, $0x3ff8000000000000
DATA onehalf<>+8(SB)/8, $0x3ff8000000000000
DATA onehalf<>+16(SB)/8, $0x3ff8000000000000
DATA onehalf<>+24(SB)/8, $0x3ff8000000000000
GLOBL onehalf<>(SB), RODATA|NOPTR, $32

DATA zero<>+0(SB)/8, $0x0000000000000000
DATA zero<>+8(SB)/8, $0x0000000000000000
DATA zero<>+16(SB)/8, $0x0000000000000000
DATA zero<>+24(SB)/8, $0x0000000000000000
GLOBL zero<>(SB), RODATA|NOPTR, $32

DATA absmask<>+0(SB)/8, $0x7fffffffffffffff
DATA absmask<>+8(SB)/8, $0x7fffffffffffffff
DATA absmask<>+16(SB)/8, $0x7fffffffffffffff
DATA absmask<>+24(SB)/8, $0x7fffffffffffffff
GLOBL absmask<>(SB), RODATA|NOPTR, $32

DATA signmask<>+0(SB)/8, $0x8000000000000000
DATA signmask<>+8(SB)/8, $0x8000000000000000
DATA signmask<>+16(SB)/8, $0x8000000000000000
DATA signmask<>+24(SB)/8, $0x8000000000000000
GLOBL signmask<>(SB), RODATA|NOPTR, $32

DATA c2<>+0(SB)/8, $0x3fe0000000000000
DATA c2<>+8(SB)/8, $0x3fe0000000000000
DATA c2<>+16(SB)/8, $0x3fe0000000000000
DATA c2<>+24(SB)/8, $0x3fe0000000000000
GLOBL c2<>(SB), RODATA|NOPTR, $32

DATA c3<>+0(SB)/8, $0x3fc5555555555555
DATA c3<>+8(SB)/8, $0x3fc5555555555555
DATA c3<>+16(SB)/8, $0x3fc5555555555555
DATA c3<>+24(SB)/8, $0x3fc5555555555555
GLOBL c3<>(SB), RODATA|NOPTR, $32

DATA c4<>+0(SB)/8, $0x3fa5555555555555
DATA c4<>+8(SB)/8, $0x3fa5555555555555
DATA c4<>+16(SB)/8, $0x3fa5555555555555
DATA c4<>+24(SB)/8, $0x3fa5555555555555
GLOBL c4<>(SB), RODATA|NOPTR, $32

DATA c5<>+0(SB)/8, $0x3f81111111111111
DATA c5<>+8(SB)/8, $0x3f81111111111111
DATA c5<>+16(SB)/8, $0x3f81111111111111
DATA c5<>+24(SB)/8, $0x3f81111111111111
GLOBL c5<>(SB), RODATA|NOPTR, $32

DATA c6<>+0(SB)/8, $0x3f56c16c16c16c17
DATA c6<>+8(SB)/8, $0x3f56c16c16c16c17
DATA c6<>+16(SB)/8, $0x3f56c16c16c16c17
DATA c6<>+24(SB)/8, $0x3f56c16c16c16c17
GLOBL c6<>(SB), RODATA|NOPTR, $32

DATA c7<>+0(SB)/8, $0x3f2a01a01a01a01a
DATA c7<>+8(SB)/8, $0x3f2a01a01a01a01a
DATA c7<>+16(SB)/8, $0x3f2a01a01a01a01a
DATA c7<>+24(SB)/8, $0x3f2a01a01a01a01a
GLOBL c7<>(SB), RODATA|NOPTR, $32

DATA c8<>+0(SB)/8, $0x3efa01a01a01a01a
DATA c8<>+8(SB)/8, $0x3efa01a01a01a01a
DATA c8<>+16(SB)/8, $0x3efa01a01a01a01a
DATA c8<>+24(SB)/8, $0x3efa01a01a01a01a
GLOBL c8<>(SB), RODATA|NOPTR, $32

DATA c9<>+0(SB)/8, $0x3ec71de3a556c734
DATA c9<>+8(SB)/8, $0x3ec71de3a556c734
DATA c9<>+16(SB)/8, $0x3ec71de3a556c734
DATA c9<>+24(SB)/8, $0x3ec71de3a556c734
GLOBL c9<>(SB), RODATA|NOPTR, $32

DATA c10<>+0(SB)/8, $0x3e927e4fb7789f5c
DATA c10<>+8(SB)/8, $0x3e927e4fb7789f5c
DATA c10<>+16(SB)/8, $0x3e927e4fb7789f5c
DATA c10<>+24(SB)/8, $0x3e927e4fb7789f5c
GLOBL c10<>(SB), RODATA|NOPTR, $32

DATA c11<>+0(SB)/8, $0x3e5ae64567f544e4
DATA c11<>+8(SB)/8, $0x3e5ae64567f544e4
DATA c11<>+16(SB)/8, $0x3e5ae64567f544e4
DATA c11<>+24(SB)/8, $0x3e5ae64567f544e4
GLOBL c11<>(SB), RODATA|NOPTR, $32

DATA c12<>+0(SB)/8, $0x3e21eed8eff8d898
DATA c12<>+8(SB)/8, $0x3e21eed8eff8d898
DATA c12<>+16(SB)/8, $0x3e21eed8eff8d898
DATA c12<>+24(SB)/8, $0x3e21eed8eff8d898
GLOBL c12<>(SB), RODATA|NOPTR, $32

DATA c13<>+0(SB)/8, $0x3de6124613a86d09
DATA c13<>+8(SB)/8, $0x3de6124613a86d09
DATA c13<>+16(SB)/8, $0x3de6124613a86d09
DATA c13<>+24(SB)/8, $0x3de6124613a86d09
GLOBL c13<>(SB), RODATA|NOPTR, $32

DATA l1<>+0(SB)/8, $0x3fe5555555555555
DATA l1<>+8(SB)/8, $0x3fe5555555555555
DATA l1<>+16(SB)/8, $0x3fe5555555555555
DATA l1<>+24(SB)/8, $0x3fe5555555555555
GLOBL l1<>(SB), RODATA|NOPTR, $32

DATA l2<>+0(SB)/8, $0x3fd999999999999a
DATA l2<>+8(SB)/8, $0x3fd999999999999a
DATA l2<>+16(SB)/8, $0x3fd999999999999a
DATA l2<>+24(SB)/8, $0x3fd999999999999a
GLOBL l2<>(SB), RODATA|NOPTR, $32

DATA l3<>+0(SB)/8, $0x3fd2492492492492
DATA l3<>+8(SB)/8, $0x3fd2492492492492
DATA l3<>+16(SB)/8, $0x3fd2492492492492
DATA l3<>+24(SB)/8, $0x3fd2492492492492
GLOBL l3<>(SB), RODATA|NOPTR, $32

DATA l4<>+0(SB)/8, $0x3fcc71c71c71c71c
DATA l4<>+8(SB)/8, $0x3fcc71c71c71c71c
DATA l4<>+16(SB)/8, $0x3fcc71c71c71c71c
DATA l4<>+24(SB)/8, $0x3fcc71c71c71c71c
GLOBL l4<>(SB), RODATA|NOPTR, $32

DATA l5<>+0(SB)/8, $0x3fc745d1745d1746
DATA l5<>+8(SB)/8, $0x3fc745d1745d1746
DATA l5<>+16(SB)/8, $0x3fc745d1745d1746
DATA l5<>+24(SB)/8, $0x3fc745d1745d1746
GLOBL l5<>(SB), RODATA|NOPTR, $32

DATA l6<>+0(SB)/8, $0x3fc3b13b13b13b14
DATA l6<>+8(SB)/8, $0x3fc3b13b13b13b14
DATA l6<>+16(SB)/8, $0x3fc3b13b13b13b14
DATA l6<>+24(SB)/8, $0x3fc3b13b13b13b14
GLOBL l6<>(SB), RODATA|NOPTR, $32

DATA l7<>+0(SB)/8, $0x3fc1111111111111
DATA l7<>+8(SB)/8, $0x3fc1111111111111
DATA l7<>+16(SB)/8, $0x3fc1111111111111
DATA l7<>+24(SB)/8, $0x3fc1111111111111
GLOBL l7<>(SB), RODATA|NOPTR, $32

DATA l8<>+0(SB)/8, $0x3fbe1e1e1e1e1e1e
DATA l8<>+8(SB)/8, $0x3fbe1e1e1e1e1e1e
DATA l8<>+16(SB)/8, $0x3fbe1e1e1e1e1e1e
DATA l8<>+24(SB)/8, $0x3fbe1e1e1e1e1e1e
GLOBL l8<>(SB), RODATA|NOPTR, $32

DATA l9<>+0(SB)/8, $0x3fbaf286bca1af28
DATA l9<>+8(SB)/8, $0x3fbaf286bca1af28
DATA l9<>+16(SB)/8, $0x3fbaf286bca1af28
DATA l9<>+24(SB)/8, $0x3fbaf286bca1af28
GLOBL l9<>(SB), RODATA|NOPTR, $32

DATA l10<>+0(SB)/8, $0x3fb8618618618618
DATA l10<>+8(SB)/8, $0x3fb8618618618618
DATA l10<>+16(SB)/8, $0x3fb8618618618618
DATA l10<>+24(SB)/8, $0x3fb8618618618618
GLOBL l10<>(SB), RODATA|NOPTR, $32

DATA l11<>+0(SB)/8, $0x3fb642c8590b2164
DATA l11<>+8(SB)/8, $0x3fb642c8590b2164
DATA l11<>+16(SB)/8, $0x3fb642c8590b2164
DATA l11<>+24(SB)/8, $0x3fb642c8590b2164
GLOBL l11<>(SB), RODATA|NOPTR, $32

