package vecmath

import (
	"syscall"
	"testing"
	"unsafe"
)

// guardedTail returns a slice of n float64 that ends exactly at a page
// followed by an inaccessible page, so any access past its end faults.
func guardedTail(t *testing.T, n int) []float64 {
	t.Helper()
	ps := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[ps:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	all := unsafe.Slice((*float64)(unsafe.Pointer(&mem[0])), ps/8)
	return all[len(all)-n:]
}

// TestNoAccessPastEnd runs every function on every path with x, dst, sp
// and sg ending right before an inaccessible page: the masked tails must
// neither read nor write past len(x).
func TestNoAccessPastEnd(t *testing.T) {
	modes(t, func(t *testing.T) {
		for n := 1; n <= 19; n++ {
			x, dst := guardedTail(t, n), guardedTail(t, n)
			sp, sg := guardedTail(t, n), guardedTail(t, n)
			for i := range x {
				x[i] = float64(i) - 9.5
			}
			for _, f := range []func(dst, x []float64){Exp, Softplus, Sigmoid, Tanh} {
				f(dst, x)
			}
			SoftplusSigmoid(sp, sg, x)
		}
	})
}
