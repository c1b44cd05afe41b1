//go:build amd64

#include "textflag.h"

// Kernels of lnrow.go, 4 float64 per YMM register, n a positive multiple
// of 4. Multiplies and adds stay separate (no FMA), as in the Go loops.
// Plan 9 operand order: sources first, destination last.

// func lnAffineAVX2(h, o, gain, bias *float64, n int, rs float64)
TEXT ·lnAffineAVX2(SB), NOSPLIT, $0-48
	MOVQ h+0(FP), AX
	MOVQ o+8(FP), BX
	MOVQ gain+16(FP), CX
	MOVQ bias+24(FP), DX
	MOVQ n+32(FP), R11
	VBROADCASTSD rs+40(FP), Y15
	XORQ R12, R12

aloop:
	VMULPD  (AX)(R12*8), Y15, Y0 // hv = h·rs
	VMOVUPD Y0, (AX)(R12*8)
	VMULPD  (CX)(R12*8), Y0, Y1  // hv·g
	VADDPD  (DX)(R12*8), Y1, Y1  // + b
	VMOVUPD Y1, (BX)(R12*8)
	ADDQ    $4, R12
	CMPQ    R12, R11
	JLT     aloop
	VZEROUPPER
	RET

// func lnBackParamsAVX2(gr, h, gd, gg, bg, d *float64, n int)
TEXT ·lnBackParamsAVX2(SB), NOSPLIT, $0-56
	MOVQ gr+0(FP), AX
	MOVQ h+8(FP), BX
	MOVQ gd+16(FP), CX
	MOVQ gg+24(FP), DX
	MOVQ bg+32(FP), SI
	MOVQ d+40(FP), DI
	MOVQ n+48(FP), R11
	XORQ R12, R12

ploop:
	VMOVUPD (AX)(R12*8), Y0      // v = gr
	VMULPD  (BX)(R12*8), Y0, Y1  // v·h
	VADDPD  (DX)(R12*8), Y1, Y1
	VMOVUPD Y1, (DX)(R12*8)      // gg += v·h
	VADDPD  (SI)(R12*8), Y0, Y2
	VMOVUPD Y2, (SI)(R12*8)      // bg += v
	VMULPD  (CX)(R12*8), Y0, Y3
	VMOVUPD Y3, (DI)(R12*8)      // d = v·gd
	ADDQ    $4, R12
	CMPQ    R12, R11
	JLT     ploop
	VZEROUPPER
	RET

// func lnBackInputAVX2(d, h, dst, dy *float64, n int, m1, m2, rs float64, both int)
TEXT ·lnBackInputAVX2(SB), NOSPLIT, $0-72
	MOVQ d+0(FP), AX
	MOVQ h+8(FP), BX
	MOVQ dst+16(FP), CX
	MOVQ dy+24(FP), DX
	MOVQ n+32(FP), R11
	VBROADCASTSD m1+40(FP), Y13
	VBROADCASTSD m2+48(FP), Y14
	VBROADCASTSD rs+56(FP), Y15
	MOVQ both+64(FP), R10
	XORQ R12, R12
	TESTQ R10, R10
	JZ   iloop1

iloop2:
	VMOVUPD (AX)(R12*8), Y0
	VSUBPD  Y13, Y0, Y0          // d − m1
	VMULPD  (BX)(R12*8), Y14, Y1 // h·m2
	VSUBPD  Y1, Y0, Y0           // (d − m1) − h·m2
	VMULPD  Y15, Y0, Y0          // v = rs·(…)
	VADDPD  (CX)(R12*8), Y0, Y1
	VMOVUPD Y1, (CX)(R12*8)      // dst += v
	VADDPD  (DX)(R12*8), Y0, Y2
	VMOVUPD Y2, (DX)(R12*8)      // dy += v
	ADDQ    $4, R12
	CMPQ    R12, R11
	JLT     iloop2
	VZEROUPPER
	RET

iloop1:
	VMOVUPD (AX)(R12*8), Y0
	VSUBPD  Y13, Y0, Y0
	VMULPD  (BX)(R12*8), Y14, Y1
	VSUBPD  Y1, Y0, Y0
	VMULPD  Y15, Y0, Y0
	VADDPD  (CX)(R12*8), Y0, Y1
	VMOVUPD Y1, (CX)(R12*8)
	ADDQ    $4, R12
	CMPQ    R12, R11
	JLT     iloop1
	VZEROUPPER
	RET
