//go:build amd64

#include "textflag.h"

// 12×8 double-precision micro-kernel, AVX-512F. Accumulators: row r of
// the tile in Z(r), r = 0..11 (eight columns each); Z12 holds the current
// row of op(B), Z13 alpha, then beta. Each A value is broadcast from
// memory inside its FMA (embedded broadcast). Per element the roundings
// are those of the 6×8 AVX2 kernel (FMAs in ascending inner index from 0,
// times alpha, one FMA merge), so both kernels give the same bits.

// STEP12 does one inner index: the row of op(B) at DI (8 values), the
// twelve A values at SI, R11, AX, R10 (rows 0, 3, 6, 9) plus 0, 1, 2 times
// R9 (the row stride); then it advances the four row pointers by R12 bytes
// and DI by R13 bytes.
#define STEP12 \
	VMOVUPD (DI), Z12; \
	VFMADD231PD.BCST (SI), Z12, Z0; \
	VFMADD231PD.BCST (SI)(R9*1), Z12, Z1; \
	VFMADD231PD.BCST (SI)(R9*2), Z12, Z2; \
	VFMADD231PD.BCST (R11), Z12, Z3; \
	VFMADD231PD.BCST (R11)(R9*1), Z12, Z4; \
	VFMADD231PD.BCST (R11)(R9*2), Z12, Z5; \
	VFMADD231PD.BCST (AX), Z12, Z6; \
	VFMADD231PD.BCST (AX)(R9*1), Z12, Z7; \
	VFMADD231PD.BCST (AX)(R9*2), Z12, Z8; \
	VFMADD231PD.BCST (R10), Z12, Z9; \
	VFMADD231PD.BCST (R10)(R9*1), Z12, Z10; \
	VFMADD231PD.BCST (R10)(R9*2), Z12, Z11; \
	ADDQ R12, SI; \
	ADDQ R12, R11; \
	ADDQ R12, AX; \
	ADDQ R12, R10; \
	ADDQ R13, DI

// MERGE512 adds beta (Z13) times the row at R13, stores the row at DX,
// and advances both; only the columns in mask K1 are read and written.
#define MERGE512(R0) \
	VMOVUPD.Z (R13), K1, Z14; \
	VFMADD231PD Z14, Z13, R0; \
	VMOVUPD R0, K1, (DX); \
	ADDQ R8, DX; \
	ADDQ R10, R13

#define STORE512(R0) \
	VMOVUPD R0, K1, (DX); \
	ADDQ R8, DX

// func kern12AVX512(kc int, a *float64, ars, aps int, b, c *float64, ldc int, alpha, beta float64, load int, src *float64, lds int, bs int, mask int)
TEXT ·kern12AVX512(SB), NOSPLIT, $0-112
	MOVQ mask+104(FP), AX
	KMOVW AX, K1
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R9
	SHLQ $3, R9
	MOVQ aps+24(FP), R12
	SHLQ $3, R12
	MOVQ b+32(FP), DI
	MOVQ bs+96(FP), R13
	SHLQ $3, R13
	LEAQ (R9)(R9*2), BX
	LEAQ (SI)(BX*1), R11
	LEAQ (R11)(BX*1), AX
	LEAQ (AX)(BX*1), R10

	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11

	MOVQ CX, BX
	SHRQ $2, BX
	ANDQ $3, CX
	TESTQ BX, BX
	JZ   tail

loop4:
	STEP12
	STEP12
	STEP12
	STEP12
	DECQ BX
	JNZ  loop4

tail:
	TESTQ CX, CX
	JZ    done

loop1:
	STEP12
	DECQ CX
	JNZ  loop1

done:
	VBROADCASTSD alpha+56(FP), Z13
	VMULPD Z13, Z0, Z0
	VMULPD Z13, Z1, Z1
	VMULPD Z13, Z2, Z2
	VMULPD Z13, Z3, Z3
	VMULPD Z13, Z4, Z4
	VMULPD Z13, Z5, Z5
	VMULPD Z13, Z6, Z6
	VMULPD Z13, Z7, Z7
	VMULPD Z13, Z8, Z8
	VMULPD Z13, Z9, Z9
	VMULPD Z13, Z10, Z10
	VMULPD Z13, Z11, Z11
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $3, R8
	MOVQ load+72(FP), AX
	TESTQ AX, AX
	JZ   store

	VBROADCASTSD beta+64(FP), Z13
	MOVQ src+80(FP), R13
	MOVQ lds+88(FP), R10
	SHLQ $3, R10
	MERGE512(Z0)
	MERGE512(Z1)
	MERGE512(Z2)
	MERGE512(Z3)
	MERGE512(Z4)
	MERGE512(Z5)
	MERGE512(Z6)
	MERGE512(Z7)
	MERGE512(Z8)
	MERGE512(Z9)
	MERGE512(Z10)
	MERGE512(Z11)
	VZEROUPPER
	RET

store:
	STORE512(Z0)
	STORE512(Z1)
	STORE512(Z2)
	STORE512(Z3)
	STORE512(Z4)
	STORE512(Z5)
	STORE512(Z6)
	STORE512(Z7)
	STORE512(Z8)
	STORE512(Z9)
	STORE512(Z10)
	STORE512(Z11)
	VZEROUPPER
	RET

// STEP6 is STEP12 for rows 0..5 (pointers SI and R11).
#define STEP6 \
	VMOVUPD (DI), Z12; \
	VFMADD231PD.BCST (SI), Z12, Z0; \
	VFMADD231PD.BCST (SI)(R9*1), Z12, Z1; \
	VFMADD231PD.BCST (SI)(R9*2), Z12, Z2; \
	VFMADD231PD.BCST (R11), Z12, Z3; \
	VFMADD231PD.BCST (R11)(R9*1), Z12, Z4; \
	VFMADD231PD.BCST (R11)(R9*2), Z12, Z5; \
	ADDQ R12, SI; \
	ADDQ R12, R11; \
	ADDQ R13, DI

// MERGE6 and STORE6 are MERGE512 and STORE512 that stop after the
// tile's last row (BX counts the rows left).
#define MERGE6(R0) \
	MERGE512(R0); \
	DECQ BX; \
	JZ   out6

#define STORE6(R0) \
	STORE512(R0); \
	DECQ BX; \
	JZ   out6

// func kern6AVX512(kc int, a *float64, ars, aps int, b, c *float64, ldc int, alpha, beta float64, load int, src *float64, lds int, bs int, mask int, rows int)
TEXT ·kern6AVX512(SB), NOSPLIT, $0-120
	MOVQ mask+104(FP), AX
	KMOVW AX, K1
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R9
	SHLQ $3, R9
	MOVQ aps+24(FP), R12
	SHLQ $3, R12
	MOVQ b+32(FP), DI
	MOVQ bs+96(FP), R13
	SHLQ $3, R13
	LEAQ (R9)(R9*2), BX
	LEAQ (SI)(BX*1), R11

	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5

	MOVQ CX, BX
	SHRQ $2, BX
	ANDQ $3, CX
	TESTQ BX, BX
	JZ   tail6

loop6:
	STEP6
	STEP6
	STEP6
	STEP6
	DECQ BX
	JNZ  loop6

tail6:
	TESTQ CX, CX
	JZ    done6

loop61:
	STEP6
	DECQ CX
	JNZ  loop61

done6:
	VBROADCASTSD alpha+56(FP), Z13
	VMULPD Z13, Z0, Z0
	VMULPD Z13, Z1, Z1
	VMULPD Z13, Z2, Z2
	VMULPD Z13, Z3, Z3
	VMULPD Z13, Z4, Z4
	VMULPD Z13, Z5, Z5
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $3, R8
	MOVQ rows+112(FP), BX
	MOVQ load+72(FP), AX
	TESTQ AX, AX
	JZ   store6

	VBROADCASTSD beta+64(FP), Z13
	MOVQ src+80(FP), R13
	MOVQ lds+88(FP), R10
	SHLQ $3, R10
	MERGE6(Z0)
	MERGE6(Z1)
	MERGE6(Z2)
	MERGE6(Z3)
	MERGE6(Z4)
	MERGE6(Z5)
	VZEROUPPER
	RET

store6:
	STORE6(Z0)
	STORE6(Z1)
	STORE6(Z2)
	STORE6(Z3)
	STORE6(Z4)
	STORE6(Z5)

out6:
	VZEROUPPER
	RET
