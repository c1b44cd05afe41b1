//go:build amd64

#include "textflag.h"

// 6×8 double-precision micro-kernel, AVX2+FMA. Accumulators: row r of the
// tile in Y(2r) (columns 0..3) and Y(2r+1) (columns 4..7), r = 0..5.
// Y12, Y13 hold the current row of packed B; Y14, Y15 the broadcast A
// values. Plan 9 operand order: sources first, destination last
// (VFMADD231PD x, y, z means z = y·x + z).

// STEP does one inner index: the row of op(B) at DI (8 values), the six A
// values at SI, SI+R9, SI+2·R9, R11, R11+R9, R11+2·R9 (R11 = SI+3·R9);
// then it advances SI and R11 by R12 bytes and DI by R13 bytes (64 for
// packed B, the row stride for B read in place).
#define STEP \
	VMOVUPD (DI), Y12; \
	VMOVUPD 32(DI), Y13; \
	VBROADCASTSD (SI), Y14; \
	VFMADD231PD Y12, Y14, Y0; \
	VFMADD231PD Y13, Y14, Y1; \
	VBROADCASTSD (SI)(R9*1), Y15; \
	VFMADD231PD Y12, Y15, Y2; \
	VFMADD231PD Y13, Y15, Y3; \
	VBROADCASTSD (SI)(R9*2), Y14; \
	VFMADD231PD Y12, Y14, Y4; \
	VFMADD231PD Y13, Y14, Y5; \
	VBROADCASTSD (R11), Y15; \
	VFMADD231PD Y12, Y15, Y6; \
	VFMADD231PD Y13, Y15, Y7; \
	VBROADCASTSD (R11)(R9*1), Y14; \
	VFMADD231PD Y12, Y14, Y8; \
	VFMADD231PD Y13, Y14, Y9; \
	VBROADCASTSD (R11)(R9*2), Y15; \
	VFMADD231PD Y12, Y15, Y10; \
	VFMADD231PD Y13, Y15, Y11; \
	ADDQ R12, SI; \
	ADDQ R12, R11; \
	ADDQ R13, DI

// SCALE multiplies a row's accumulators by alpha (Y14).
#define SCALE(R0, R1) \
	VMULPD Y14, R0, R0; \
	VMULPD Y14, R1, R1

// MERGE adds beta (Y15) times the row at R13 (the row of C, or of the
// matrix merged instead of it), stores the row at DX, and advances both.
#define MERGE(R0, R1) \
	VFMADD231PD (R13), Y15, R0; \
	VFMADD231PD 32(R13), Y15, R1; \
	VMOVUPD R0, (DX); \
	VMOVUPD R1, 32(DX); \
	ADDQ R8, DX; \
	ADDQ R10, R13

#define STORE(R0, R1) \
	VMOVUPD R0, (DX); \
	VMOVUPD R1, 32(DX); \
	ADDQ R8, DX

// func kernAVX2(kc int, a *float64, ars, aps int, b, c *float64, ldc int, alpha, beta float64, load int, src *float64, lds int, bs int)
TEXT ·kernAVX2(SB), NOSPLIT, $0-104
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R9
	SHLQ $3, R9
	MOVQ aps+24(FP), R12
	SHLQ $3, R12
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $3, R8
	LEAQ (R9)(R9*2), R11
	ADDQ SI, R11
	MOVQ bs+96(FP), R13
	SHLQ $3, R13

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11

	MOVQ CX, BX
	SHRQ $2, BX
	ANDQ $3, CX
	TESTQ BX, BX
	JZ   tail

loop4:
	STEP
	STEP
	STEP
	STEP
	DECQ BX
	JNZ  loop4

tail:
	TESTQ CX, CX
	JZ    done

loop1:
	STEP
	DECQ CX
	JNZ  loop1

done:
	VBROADCASTSD alpha+56(FP), Y14
	SCALE(Y0, Y1)
	SCALE(Y2, Y3)
	SCALE(Y4, Y5)
	SCALE(Y6, Y7)
	SCALE(Y8, Y9)
	SCALE(Y10, Y11)
	MOVQ load+72(FP), AX
	TESTQ AX, AX
	JZ   store

	VBROADCASTSD beta+64(FP), Y15
	MOVQ src+80(FP), R13
	MOVQ lds+88(FP), R10
	SHLQ $3, R10
	MERGE(Y0, Y1)
	MERGE(Y2, Y3)
	MERGE(Y4, Y5)
	MERGE(Y6, Y7)
	MERGE(Y8, Y9)
	MERGE(Y10, Y11)
	VZEROUPPER
	RET

store:
	STORE(Y0, Y1)
	STORE(Y2, Y3)
	STORE(Y4, Y5)
	STORE(Y6, Y7)
	STORE(Y8, Y9)
	STORE(Y10, Y11)
	VZEROUPPER
	RET
