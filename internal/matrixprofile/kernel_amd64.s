//go:build amd64 && !purego

#include "textflag.h"

// func sweepRowAVX2(c, dfY, dgY, invY, colRho *float64, colIdx *int, n int, df, dg, inv float64, i int) float64
//
// For k in [0, n), four at a time:
//	v := (dgY[k]*df + dfY[k]*dg) + c[k]; c[k] = v
//	rho := (invY[k]*inv) * v
//	if rho > colRho[k] || rho == colRho[k] && i < colIdx[k] { colRho[k], colIdx[k] = rho, i }
//	best = max(best, rho)
// (the multiplications and additions in exactly sweepOneGo's order, no fused multiply-adds), eight
// cells per loop step in two independent halves, then four.

// STEP sweeps the four cells at element AX plus off bytes, keeping the best correlation in B;
// V, R, CR, CI and T are scratch. With Y0-Y3 = df, dg, inv, i broadcast:
//	V = dgY*df + dfY*dg + c; c = V; R = invY*inv*V (rho); B = max(B, R)
//	mask = (rho == colRho && colIdx > i) || rho > colRho
//	colRho, colIdx = mask ? (rho, i) : (colRho, colIdx)
#define STEP(off, B, V, R, CR, CI, T) \
	VMOVUPD off(DX)(AX*8), V \
	VMULPD  Y0, V, V \
	VMOVUPD off(SI)(AX*8), R \
	VMULPD  Y1, R, R \
	VADDPD  R, V, V \
	VADDPD  off(DI)(AX*8), V, V \
	VMOVUPD V, off(DI)(AX*8) \
	VMOVUPD off(R8)(AX*8), R \
	VMULPD  Y2, R, R \
	VMULPD  V, R, R \
	VMAXPD  R, B, B \
	VMOVUPD off(R9)(AX*8), CR \
	VMOVDQU off(R10)(AX*8), CI \
	VCMPPD  $0x00, CR, R, V \
	VPCMPGTQ Y3, CI, T \
	VANDPD  T, V, V \
	VCMPPD  $0x1e, CR, R, T \
	VORPD   T, V, V \
	VBLENDVPD V, R, CR, CR \
	VBLENDVPD V, Y3, CI, CI \
	VMOVUPD CR, off(R9)(AX*8) \
	VMOVDQU CI, off(R10)(AX*8)

TEXT ·sweepRowAVX2(SB), NOSPLIT, $0-96
	MOVQ c+0(FP), DI
	MOVQ dfY+8(FP), SI
	MOVQ dgY+16(FP), DX
	MOVQ invY+24(FP), R8
	MOVQ colRho+32(FP), R9
	MOVQ colIdx+40(FP), R10
	MOVQ n+48(FP), CX
	VBROADCASTSD df+56(FP), Y0
	VBROADCASTSD dg+64(FP), Y1
	VBROADCASTSD inv+72(FP), Y2
	VPBROADCASTQ i+80(FP), Y3
	MOVQ $0xc000000000000000, AX // -2.0
	MOVQ AX, X4
	VPBROADCASTQ X4, Y4
	VMOVUPD Y4, Y12
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-8, BX

loop8:
	CMPQ AX, BX
	JGE  tail4
	STEP(0, Y4, Y5, Y6, Y7, Y8, Y9)
	STEP(32, Y12, Y10, Y11, Y13, Y14, Y15)
	ADDQ $8, AX
	JMP  loop8

tail4:
	CMPQ AX, CX
	JGE  done
	STEP(0, Y4, Y5, Y6, Y7, Y8, Y9)

done:
	VMAXPD  Y12, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VMAXPD  X5, X4, X4
	VPERMILPD $1, X4, X5
	VMAXPD  X5, X4, X4
	VZEROUPPER
	MOVSD   X4, ret+88(FP)
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
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
