//go:build amd64

#include "textflag.h"

// func etaBlock(x **float64, beta *float64, k int, b0 float64, n int, e *float64)
TEXT ·etaBlock(SB), NOSPLIT, $0-48
	MOVQ         x+0(FP), AX
	MOVQ         beta+8(FP), BX
	MOVQ         k+16(FP), CX
	VBROADCASTSD b0+24(FP), Y8
	MOVQ         n+32(FP), DX
	MOVQ         e+40(FP), DI
	SHLQ         $3, DX // n in bytes
	XORQ         SI, SI
	CMPQ         SI, DX
	JGE          done

rows:
	VMOVAPD Y8, Y0
	VMOVAPD Y8, Y1
	VMOVAPD Y8, Y2
	VMOVAPD Y8, Y3
	XORQ    R8, R8

cols:
	MOVQ         (AX)(R8*8), R9 // column a
	ADDQ         SI, R9
	VBROADCASTSD (BX)(R8*8), Y4 // beta[a]
	VFMADD231PD  0(R9), Y4, Y0
	VFMADD231PD  32(R9), Y4, Y1
	VFMADD231PD  64(R9), Y4, Y2
	VFMADD231PD  96(R9), Y4, Y3
	INCQ         R8
	CMPQ         R8, CX
	JL           cols

	VMOVUPD Y0, 0(DI)(SI*1)
	VMOVUPD Y1, 32(DI)(SI*1)
	VMOVUPD Y2, 64(DI)(SI*1)
	VMOVUPD Y3, 96(DI)(SI*1)
	ADDQ    $128, SI
	CMPQ    SI, DX
	JL      rows

done:
	VZEROUPPER
	RET
