//go:build amd64

#include "textflag.h"

// func affineAVX2(n, k, c int, x, w, b, out *float64)
//
// Rows are taken in pairs (the last one alone when n is odd), columns in
// chunks of 16: a pair keeps its two 16-column chunks of out in Y0..Y3 and
// Y4..Y7 (initialised from b), and for each inner index d broadcasts
// x[i,d] (Y8) and x[i+1,d] (Y9), loads w[d, chunk] (Y10..Y13) and does
// eight FMAs. Plan 9 operand order: VFMADD231PD a, b, c means c = b·a + c.
//
// Registers: CX rows left, DX = k, BX = 8·k (row bytes of x), R10 = 8·c
// (row bytes of w and out), SI = &x[i,0],
// DI = w, R8 = b, R9 = &out[i,0], R11 column byte offset, R12 = &w[d,j],
// R13 = &x[i,d], R14 inner count, AX = &out[i,j].
TEXT ·affineAVX2(SB), NOSPLIT, $0-56
	MOVQ n+0(FP), CX
	MOVQ k+8(FP), DX
	MOVQ c+16(FP), R10
	MOVQ x+24(FP), SI
	MOVQ w+32(FP), DI
	MOVQ b+40(FP), R8
	MOVQ out+48(FP), R9
	MOVQ DX, BX
	SHLQ $3, BX
	SHLQ $3, R10

pairs:
	CMPQ CX, $2
	JL   single
	XORQ R11, R11

pcols:
	VMOVUPD (R8)(R11*1), Y0
	VMOVUPD 32(R8)(R11*1), Y1
	VMOVUPD 64(R8)(R11*1), Y2
	VMOVUPD 96(R8)(R11*1), Y3
	VMOVAPD Y0, Y4
	VMOVAPD Y1, Y5
	VMOVAPD Y2, Y6
	VMOVAPD Y3, Y7
	LEAQ    (DI)(R11*1), R12
	MOVQ    SI, R13
	MOVQ    DX, R14

pinner:
	VBROADCASTSD (R13), Y8
	VBROADCASTSD (R13)(BX*1), Y9
	VMOVUPD      (R12), Y10
	VMOVUPD      32(R12), Y11
	VMOVUPD      64(R12), Y12
	VMOVUPD      96(R12), Y13
	VFMADD231PD  Y10, Y8, Y0
	VFMADD231PD  Y11, Y8, Y1
	VFMADD231PD  Y12, Y8, Y2
	VFMADD231PD  Y13, Y8, Y3
	VFMADD231PD  Y10, Y9, Y4
	VFMADD231PD  Y11, Y9, Y5
	VFMADD231PD  Y12, Y9, Y6
	VFMADD231PD  Y13, Y9, Y7
	ADDQ         $8, R13
	ADDQ         R10, R12
	DECQ         R14
	JNZ          pinner

	LEAQ    (R9)(R11*1), AX
	VMOVUPD Y0, (AX)
	VMOVUPD Y1, 32(AX)
	VMOVUPD Y2, 64(AX)
	VMOVUPD Y3, 96(AX)
	VMOVUPD Y4, (AX)(R10*1)
	VMOVUPD Y5, 32(AX)(R10*1)
	VMOVUPD Y6, 64(AX)(R10*1)
	VMOVUPD Y7, 96(AX)(R10*1)
	ADDQ    $128, R11
	CMPQ    R11, R10
	JL      pcols

	LEAQ (SI)(BX*2), SI
	LEAQ (R9)(R10*2), R9
	SUBQ $2, CX
	JMP  pairs

single:
	TESTQ CX, CX
	JZ    done
	XORQ  R11, R11

scols:
	VMOVUPD (R8)(R11*1), Y0
	VMOVUPD 32(R8)(R11*1), Y1
	VMOVUPD 64(R8)(R11*1), Y2
	VMOVUPD 96(R8)(R11*1), Y3
	LEAQ    (DI)(R11*1), R12
	MOVQ    SI, R13
	MOVQ    DX, R14

sinner:
	VBROADCASTSD (R13), Y8
	VFMADD231PD  (R12), Y8, Y0
	VFMADD231PD  32(R12), Y8, Y1
	VFMADD231PD  64(R12), Y8, Y2
	VFMADD231PD  96(R12), Y8, Y3
	ADDQ         $8, R13
	ADDQ         R10, R12
	DECQ         R14
	JNZ          sinner

	LEAQ    (R9)(R11*1), AX
	VMOVUPD Y0, (AX)
	VMOVUPD Y1, 32(AX)
	VMOVUPD Y2, 64(AX)
	VMOVUPD Y3, 96(AX)
	ADDQ    $128, R11
	CMPQ    R11, R10
	JL      scols

done:
	VZEROUPPER
	RET
