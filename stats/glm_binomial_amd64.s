//go:build amd64

#include "textflag.h"

// func binomialBlock(eta, y, s, sz, f *float64, n int, c *[44]float64)
TEXT ·binomialBlock(SB), NOSPLIT, $0-56
	MOVQ eta+0(FP), AX
	MOVQ y+8(FP), BX
	MOVQ s+16(FP), CX
	MOVQ sz+24(FP), DX
	MOVQ f+32(FP), SI
	MOVQ n+40(FP), DI
	MOVQ c+48(FP), R8
	SHLQ $3, DI // n in bytes
	XORQ R9, R9
	CMPQ R9, DI
	JGE  done

loop:
	VMOVUPD      (AX)(R9*1), Y0 // eta
	VMULPD       0(R8), Y0, Y1  // x = eta/2
	VMULPD       32(R8), Y1, Y2 // x·log2e
	VROUNDPD     $0, Y2, Y2     // k
	VMOVAPD      Y1, Y3
	VFNMADD231PD 64(R8), Y2, Y3 // hi = x - k·ln2hi
	VMULPD       96(R8), Y2, Y4 // lo = k·ln2lo
	VSUBPD       Y4, Y3, Y5     // r = hi - lo
	VMULPD       Y5, Y5, Y6     // t = r²
	VMOVUPD      128(R8), Y7    // P5
	VFMADD213PD  160(R8), Y6, Y7 // P4 + t·p
	VFMADD213PD  192(R8), Y6, Y7 // P3 + t·p
	VFMADD213PD  224(R8), Y6, Y7 // P2 + t·p
	VFMADD213PD  256(R8), Y6, Y7 // P1 + t·p
	VMOVAPD      Y5, Y8
	VFNMADD231PD Y7, Y6, Y8     // c = r - t·p
	VMULPD       Y8, Y5, Y9     // r·c
	VMOVUPD      288(R8), Y10   // 2
	VSUBPD       Y8, Y10, Y10   // 2 - c
	VDIVPD       Y10, Y9, Y9    // r·c/(2-c)
	VSUBPD       Y9, Y4, Y9     // lo - r·c/(2-c)
	VSUBPD       Y3, Y9, Y9     // ... - hi
	VMOVUPD      320(R8), Y10   // 1
	VSUBPD       Y9, Y10, Y9    // e^r = 1 - (...)
	VCVTPD2DQY   Y2, X11        // k, as int32
	VPMOVSXDQ    X11, Y11       // as int64
	VPSLLQ       $52, Y11, Y11
	VPADDQ       Y11, Y9, Y9    // h = e^r·2^k

	VMULPD      Y9, Y9, Y1   // h²
	VADDPD      Y10, Y1, Y2  // op = 1 + h²
	VMULPD      Y9, Y2, Y3   // op·h
	VDIVPD      Y3, Y10, Y3  // d = 1/(op·h)
	VMULPD      Y9, Y1, Y4   // h³
	VMULPD      Y3, Y4, Y4   // mu = h³·d
	VMULPD      Y3, Y1, Y5   // s = h²·d
	VMOVUPD     Y5, (CX)(R9*1)
	VMULPD      Y2, Y2, Y6   // op²
	VMULPD      Y3, Y6, Y6   // 1/s = op²·d
	VMOVUPD     (BX)(R9*1), Y7 // y
	VSUBPD      Y4, Y7, Y8   // y - mu
	VMULPD      Y6, Y8, Y8   // (y - mu)/s
	VFMADD231PD Y0, Y5, Y8   // + s·eta
	VMOVUPD     Y8, (DX)(R9*1)
	VSUBPD      Y4, Y10, Y12 // 1 - mu
	VSUBPD      Y7, Y10, Y13 // 1 - y
	VMULPD      Y13, Y12, Y12
	VFMADD231PD Y7, Y4, Y12  // mu·y + (1-mu)·(1-y): exactly mu or 1-mu
	VMOVUPD     Y12, (SI)(R9*1)
	ADDQ        $32, R9
	CMPQ        R9, DI
	JL          loop

done:
	VZEROUPPER
	RET
