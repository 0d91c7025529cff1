//go:build amd64

#include "textflag.h"

// func gramTile4x2(a0, a1, a2, a3, b0, b1 *float64, n int, s *[8]float64)
TEXT ·gramTile4x2(SB), NOSPLIT, $0-64
	MOVQ a0+0(FP), R8
	MOVQ a1+8(FP), R9
	MOVQ a2+16(FP), R10
	MOVQ a3+24(FP), R11
	MOVQ b0+32(FP), R12
	MOVQ b1+40(FP), R13
	MOVQ n+48(FP), CX
	MOVQ s+56(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	SHLQ $3, CX // n in bytes
	XORQ SI, SI
	CMPQ SI, CX
	JGE  reduce

loop:
	VMOVUPD     (R12)(SI*1), Y8 // b0
	VMOVUPD     (R13)(SI*1), Y9 // b1
	VMOVUPD     (R8)(SI*1), Y10 // a0
	VFMADD231PD Y8, Y10, Y0
	VFMADD231PD Y9, Y10, Y1
	VMOVUPD     (R9)(SI*1), Y11 // a1
	VFMADD231PD Y8, Y11, Y2
	VFMADD231PD Y9, Y11, Y3
	VMOVUPD     (R10)(SI*1), Y12 // a2
	VFMADD231PD Y8, Y12, Y4
	VFMADD231PD Y9, Y12, Y5
	VMOVUPD     (R11)(SI*1), Y13 // a3
	VFMADD231PD Y8, Y13, Y6
	VFMADD231PD Y9, Y13, Y7
	ADDQ        $32, SI
	CMPQ        SI, CX
	JL          loop

reduce:
	// s[i] = the sum of Yi's four lanes: (l0 + l2) + (l1 + l3).
	VEXTRACTF128 $1, Y0, X8
	VADDPD       X8, X0, X8
	VHADDPD      X8, X8, X8
	VMOVSD       X8, 0(DI)
	VEXTRACTF128 $1, Y1, X8
	VADDPD       X8, X1, X8
	VHADDPD      X8, X8, X8
	VMOVSD       X8, 8(DI)
	VEXTRACTF128 $1, Y2, X8
	VADDPD       X8, X2, X8
	VHADDPD      X8, X8, X8
	VMOVSD       X8, 16(DI)
	VEXTRACTF128 $1, Y3, X8
	VADDPD       X8, X3, X8
	VHADDPD      X8, X8, X8
	VMOVSD       X8, 24(DI)
	VEXTRACTF128 $1, Y4, X8
	VADDPD       X8, X4, X8
	VHADDPD      X8, X8, X8
	VMOVSD       X8, 32(DI)
	VEXTRACTF128 $1, Y5, X8
	VADDPD       X8, X5, X8
	VHADDPD      X8, X8, X8
	VMOVSD       X8, 40(DI)
	VEXTRACTF128 $1, Y6, X8
	VADDPD       X8, X6, X8
	VHADDPD      X8, X8, X8
	VMOVSD       X8, 48(DI)
	VEXTRACTF128 $1, Y7, X8
	VADDPD       X8, X7, X8
	VHADDPD      X8, X8, X8
	VMOVSD       X8, 56(DI)
	VZEROUPPER
	RET

// func cpuid(op, op2 uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL op+0(FP), AX
	MOVL op2+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
