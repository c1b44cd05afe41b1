//go:build amd64

#include "textflag.h"

// Kernels of ctback.go, 4 float64 per YMM register. Plan 9 operand order:
// sources first, destination last (VFMADD231PD a, b, c means c += a·b).

DATA ctone<>+0(SB)/8, $1.0
GLOBL ctone<>(SB), RODATA|NOPTR, $8

// func ctBackHiddenAVX2(gv, th, e, or, cd, og, sw, sg, sd *float64, n int, s float64) float64
TEXT ·ctBackHiddenAVX2(SB), NOSPLIT, $0-96
	MOVQ gv+0(FP), AX
	MOVQ th+8(FP), BX
	MOVQ e+16(FP), CX
	MOVQ or+24(FP), DX
	MOVQ cd+32(FP), SI
	MOVQ og+40(FP), DI
	MOVQ sw+48(FP), R8
	MOVQ sg+56(FP), R9
	MOVQ sd+64(FP), R10
	MOVQ n+72(FP), R11
	VBROADCASTSD s+80(FP), Y15
	VBROADCASTSD ctone<>(SB), Y14
	VXORPD Y13, Y13, Y13
	XORQ R12, R12

hloop:
	CMPQ R12, R11
	JGE  hdone
	VMOVUPD (AX)(R12*8), Y0            // g
	VMOVUPD (BX)(R12*8), Y1            // t = tanh(c(t))
	VMOVUPD (DI)(R12*8), Y2
	VFMADD231PD Y1, Y0, Y2             // og += g·t
	VMOVUPD Y2, (DI)(R12*8)
	VMOVAPD Y14, Y3
	VFNMADD231PD Y1, Y1, Y3            // 1 − t²
	VMULPD (DX)(R12*8), Y0, Y4         // g·o
	VMULPD Y3, Y4, Y4                  // gc
	VMULPD (CX)(R12*8), Y4, Y5         // w = gc·e
	VADDPD (R8)(R12*8), Y5, Y6
	VMOVUPD Y6, (R8)(R12*8)            // sw += w
	VADDPD (R9)(R12*8), Y4, Y6
	VMOVUPD Y6, (R9)(R12*8)            // sg += gc
	VMOVUPD (R10)(R12*8), Y6
	VFMADD231PD Y15, Y5, Y6
	VMOVUPD Y6, (R10)(R12*8)           // sd += w·s
	VFMADD231PD (SI)(R12*8), Y5, Y13   // acc += w·cd
	ADDQ $4, R12
	JMP  hloop

hdone:
	VEXTRACTF128 $1, Y13, X0
	VADDPD       X0, X13, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	MOVSD        X0, ret+88(FP)
	VZEROUPPER
	RET

// func ctBackDecayAVX2(gv, e, cd, sw, sg, sd *float64, n int, s float64) float64
TEXT ·ctBackDecayAVX2(SB), NOSPLIT, $0-72
	MOVQ gv+0(FP), AX
	MOVQ e+8(FP), CX
	MOVQ cd+16(FP), SI
	MOVQ sw+24(FP), R8
	MOVQ sg+32(FP), R9
	MOVQ sd+40(FP), R10
	MOVQ n+48(FP), R11
	VBROADCASTSD s+56(FP), Y15
	VXORPD Y13, Y13, Y13
	XORQ R12, R12

dloop:
	CMPQ R12, R11
	JGE  ddone
	VMOVUPD (AX)(R12*8), Y0            // g
	VMULPD (CX)(R12*8), Y0, Y5         // w = g·e
	VADDPD (R8)(R12*8), Y5, Y6
	VMOVUPD Y6, (R8)(R12*8)            // sw += w
	VADDPD (R9)(R12*8), Y0, Y6
	VMOVUPD Y6, (R9)(R12*8)            // sg += g
	VMOVUPD (R10)(R12*8), Y6
	VFMADD231PD Y15, Y5, Y6
	VMOVUPD Y6, (R10)(R12*8)           // sd += w·s
	VFMADD231PD (SI)(R12*8), Y5, Y13   // acc += w·cd
	ADDQ $4, R12
	JMP  dloop

ddone:
	VEXTRACTF128 $1, Y13, X0
	VADDPD       X0, X13, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	MOVSD        X0, ret+64(FP)
	VZEROUPPER
	RET
