//go:build amd64

#include "textflag.h"

// Kernel of grurow.go, 4 units per YMM register; separate multiplies and
// subtractions in the Go loop's order (no FMA). Plan 9 operand order:
// sources first, destination last (VSUBPD a, b, c means c = b − a).
// The row pointers advance by 4 units a step; the u and n blocks are at
// byte offsets R9 = 8H and R10 = 16H from them.

DATA gruone<>+0(SB)/8, $1.0
GLOBL gruone<>(SB), RODATA|NOPTR, $8

// func gruBackRowAVX2(gr, act, p, h, gp, gx, gh *float64, n int)
TEXT ·gruBackRowAVX2(SB), NOSPLIT, $0-64
	MOVQ gr+0(FP), AX
	MOVQ act+8(FP), BX
	MOVQ p+16(FP), CX
	MOVQ h+24(FP), DX
	MOVQ gp+32(FP), SI
	MOVQ gx+40(FP), DI
	MOVQ gh+48(FP), R8
	MOVQ n+56(FP), R11
	MOVQ R11, R9
	SHLQ $3, R9                  // 8H: the u block
	LEAQ (R9)(R9*1), R10         // 16H: the n block
	MOVQ DI, R13                 // gx given
	MOVQ R8, R12                 // gh given
	VBROADCASTSD gruone<>(SB), Y15

loop:
	VMOVUPD (AX), Y0             // g
	VMOVUPD (BX), Y1             // r
	VMOVUPD (BX)(R9*1), Y2       // u
	VMOVUPD (BX)(R10*1), Y3      // n
	VSUBPD  Y2, Y15, Y4          // 1 − u
	VMULPD  Y4, Y0, Y5           // dn = g·(1−u)
	VMOVUPD (DX), Y6
	VSUBPD  Y3, Y6, Y6           // h − n
	VMULPD  Y6, Y0, Y6           // du = g·(h−n)
	TESTQ   R12, R12
	JZ      nogh
	VMULPD  Y2, Y0, Y7           // g·u
	VADDPD  (R8), Y7, Y7
	VMOVUPD Y7, (R8)             // gh += g·u
	ADDQ    $32, R8

nogh:
	VMULPD  Y3, Y3, Y7           // n²
	VSUBPD  Y7, Y15, Y7          // 1 − n²
	VMULPD  Y7, Y5, Y7           // dzn = dn·(1−n²)
	VMULPD  (CX)(R10*1), Y7, Y8  // dzn·p_n
	VMULPD  Y1, Y8, Y8           // ·r
	VSUBPD  Y1, Y15, Y9          // 1 − r
	VMULPD  Y9, Y8, Y8           // dzr = dzn·p_n·r·(1−r)
	VMULPD  Y2, Y6, Y10          // du·u
	VMULPD  Y4, Y10, Y10         // dzu = du·u·(1−u)
	VMULPD  Y1, Y7, Y11          // dzn·r
	VMOVUPD Y8, (SI)
	VMOVUPD Y10, (SI)(R9*1)
	VMOVUPD Y11, (SI)(R10*1)
	TESTQ   R13, R13
	JZ      nogx
	VADDPD  (DI), Y8, Y8
	VMOVUPD Y8, (DI)
	VADDPD  (DI)(R9*1), Y10, Y10
	VMOVUPD Y10, (DI)(R9*1)
	VADDPD  (DI)(R10*1), Y7, Y7
	VMOVUPD Y7, (DI)(R10*1)
	ADDQ    $32, DI

nogx:
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, CX
	ADDQ $32, DX
	ADDQ $32, SI
	SUBQ $4, R11
	JNZ  loop
	VZEROUPPER
	RET

// func gruBackRowsAVX512(gr, act, p, h, gp, gx, gh *float64, n, rows int)
// is gruBackRowAVX2's loop, 8 units per ZMM register, over rows
// consecutive rows (g, h, gh rows of n units; act, p, gp, gx rows of 3n).
TEXT ·gruBackRowsAVX512(SB), NOSPLIT, $0-72
	MOVQ gr+0(FP), AX
	MOVQ act+8(FP), BX
	MOVQ p+16(FP), CX
	MOVQ h+24(FP), DX
	MOVQ gp+32(FP), SI
	MOVQ gx+40(FP), DI
	MOVQ gh+48(FP), R8
	MOVQ n+56(FP), R9
	SHLQ $3, R9                  // 8H: the u block
	LEAQ (R9)(R9*1), R10         // 16H: the n block, and a row's skip
	MOVQ DI, R13                 // gx given
	MOVQ R8, R12                 // gh given
	VBROADCASTSD gruone<>(SB), Z15

row512:
	MOVQ n+56(FP), R11

loop512:
	VMOVUPD (AX), Z0             // g
	VMOVUPD (BX), Z1             // r
	VMOVUPD (BX)(R9*1), Z2       // u
	VMOVUPD (BX)(R10*1), Z3      // n
	VSUBPD  Z2, Z15, Z4          // 1 − u
	VMULPD  Z4, Z0, Z5           // dn = g·(1−u)
	VMOVUPD (DX), Z6
	VSUBPD  Z3, Z6, Z6           // h − n
	VMULPD  Z6, Z0, Z6           // du = g·(h−n)
	TESTQ   R12, R12
	JZ      nogh512
	VMULPD  Z2, Z0, Z7           // g·u
	VADDPD  (R8), Z7, Z7
	VMOVUPD Z7, (R8)             // gh += g·u
	ADDQ    $64, R8

nogh512:
	VMULPD  Z3, Z3, Z7           // n²
	VSUBPD  Z7, Z15, Z7          // 1 − n²
	VMULPD  Z7, Z5, Z7           // dzn = dn·(1−n²)
	VMULPD  (CX)(R10*1), Z7, Z8  // dzn·p_n
	VMULPD  Z1, Z8, Z8           // ·r
	VSUBPD  Z1, Z15, Z9          // 1 − r
	VMULPD  Z9, Z8, Z8           // dzr = dzn·p_n·r·(1−r)
	VMULPD  Z2, Z6, Z10          // du·u
	VMULPD  Z4, Z10, Z10         // dzu = du·u·(1−u)
	VMULPD  Z1, Z7, Z11          // dzn·r
	VMOVUPD Z8, (SI)
	VMOVUPD Z10, (SI)(R9*1)
	VMOVUPD Z11, (SI)(R10*1)
	TESTQ   R13, R13
	JZ      nogx512
	VADDPD  (DI), Z8, Z8
	VMOVUPD Z8, (DI)
	VADDPD  (DI)(R9*1), Z10, Z10
	VMOVUPD Z10, (DI)(R9*1)
	VADDPD  (DI)(R10*1), Z7, Z7
	VMOVUPD Z7, (DI)(R10*1)
	ADDQ    $64, DI

nogx512:
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, CX
	ADDQ $64, DX
	ADDQ $64, SI
	SUBQ $8, R11
	JNZ  loop512

	// next row: act, p, gp and gx skip their u and n blocks
	ADDQ R10, BX
	ADDQ R10, CX
	ADDQ R10, SI
	TESTQ R13, R13
	JZ   nogxrow
	ADDQ R10, DI

nogxrow:
	DECQ rows+64(FP)
	JNZ  row512
	VZEROUPPER
	RET
